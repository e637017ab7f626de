//! The invariants, checked at the end of every run against what the server
//! holds (the sandbox's own state, not through the API under test), what the
//! data folders hold, and what the engine reported along the way.

use crate::world::{is_fault_failure, Node};
use budbringer_core::error::ErrorCode;
use budbringer_core::store::{Store, Table};
use budbringer_core::transfers::inbox::{InboxPhase, IncomingFile};
use budbringer_core::transfers::send::{Phase, SendJob};
use budbringer_sandbox::{Admin, TransferInfo};
use md5::{Digest, Md5};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// A file A asked to send, as the simulation made it.
pub struct Sent {
    pub job: Uuid,
    pub path: PathBuf,
    pub md5: String,
    pub malware: bool,
}

pub fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn published(t: &TransferInfo) -> bool {
    matches!(t.status.as_str(), "Published" | "AllConfirmedDownloaded" | "Purged")
        || t.history.iter().any(|s| s == "Published")
}

/// The MD5 of the bytes Broker stored for a transfer: read from the sandbox's
/// storage (Broker records its own MD5 only for some uploads), else the one
/// Broker recorded or was given.
fn stored_md5(admin: &Admin, t: &TransferInfo) -> Option<String> {
    admin.stored_bytes(t.id).map(|b| md5_hex(&b)).or(t.computed_checksum.clone()).or(t.user_checksum.clone())
}

fn store_of(node: &Node) -> Store {
    Store::open(&node.data).unwrap().0
}

/// Final files (not hidden part-files) in a folder, with their bytes.
fn final_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let Ok(rd) = std::fs::read_dir(dir) else { return vec![] };
    rd.filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with(".budbringer-"))
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect()
}

fn part_files(dir: &Path) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dir) else { return vec![] };
    rd.filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".budbringer-") && n.ends_with(".part"))
        .collect()
}

/// When a file got its final name: its inode's status change (the link, then
/// the part-file's removal); earlier than any confirmation made after it.
#[cfg(unix)]
fn named_at(p: &Path) -> Option<std::time::SystemTime> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(p).ok()?;
    Some(std::time::UNIX_EPOCH + std::time::Duration::new(m.ctime() as u64, m.ctime_nsec() as u32))
}

#[cfg(not(unix))]
fn named_at(p: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(p).ok()?.modified().ok()
}

pub fn check(admin: &Admin, a: &Node, b: &Node, sent: &[Sent]) -> Vec<String> {
    let mut v = Vec::new();
    let transfers = admin.transfers();
    let me_b = format!("0192:{}", b.org);
    let me_a = format!("0192:{}", a.org);

    // --- The receiver ---------------------------------------------------------
    let files = final_files(&b.inbox_dir);
    let mut by_md5: HashMap<String, Vec<&PathBuf>> = HashMap::new();
    for (p, bytes) in &files {
        by_md5.entry(md5_hex(bytes)).or_default().push(p);
    }
    let to_b: Vec<&TransferInfo> = transfers.iter().filter(|t| t.recipients.contains(&me_b)).collect();
    for t in &to_b {
        let expected = stored_md5(admin, t).unwrap_or_default();
        let confirmed = t.recipient_status.get(&me_b).map(String::as_str) == Some("DownloadConfirmed");
        if published(t) && !confirmed {
            v.push(format!("lost: transfer {} ({}) was never saved and confirmed by B", t.id, t.file_name));
        }
        if !confirmed {
            continue;
        }
        // Every transfer we confirmed has a byte-identical file under its final name,
        // named before the confirmation arrived.
        let Some(paths) = by_md5.get(&expected) else {
            v.push(format!("confirmed but not saved: {} ({}) has no intact file in B's folder", t.id, t.file_name));
            continue;
        };
        let first_confirm = admin.confirm_times(t.id).into_iter().min();
        let named = paths.iter().filter_map(|p| named_at(p)).min();
        if let (Some(c), Some(n)) = (first_confirm, named) {
            if c < n {
                v.push(format!(
                    "confirmed before saved: {} was confirmed {:?} before its file got its name",
                    t.id,
                    n.duration_since(c).unwrap_or_default()
                ));
            }
        }
        if paths.len() > 1 {
            v.push(format!(
                "saved twice: {} ({}) is in B's folder {} times: {paths:?}",
                t.id,
                t.file_name,
                paths.len()
            ));
        }
    }
    // No file under a final name fails its checksum: each is the bytes of a transfer to B.
    let known: HashMap<String, &TransferInfo> =
        to_b.iter().filter_map(|t| stored_md5(admin, t).map(|c| (c, *t))).collect();
    for (md5, paths) in &by_md5 {
        if !known.contains_key(md5) {
            v.push(format!("corrupt: {paths:?} match no transfer's bytes (MD5 {md5})"));
        }
    }
    let b_store = store_of(b);
    let incoming: Vec<IncomingFile> = b_store.list(Table::Incoming).unwrap();
    for part in part_files(&b.inbox_dir) {
        let id = part.trim_start_matches(".budbringer-").trim_end_matches(".part");
        let done = incoming.iter().any(|f| f.id.to_string() == id && f.phase == InboxPhase::Confirmed);
        if done {
            v.push(format!("left behind: {part} for a finished transfer"));
        }
    }
    for f in &incoming {
        if matches!(f.phase, InboxPhase::Downloading) {
            v.push(format!("in progress forever: received file {} is still Downloading", f.id));
        }
        if f.phase == InboxPhase::Confirmed {
            let intact =
                f.saved_path.as_ref().and_then(|p| files.iter().find(|(q, _)| q == p)).map(|(_, b)| md5_hex(b));
            let expected = f.overview.checksum.clone();
            if intact.is_none() || intact != expected {
                v.push(format!("inbox says confirmed, but {:?} is missing or wrong", f.saved_path));
            }
        }
    }

    // --- The sender -----------------------------------------------------------
    let a_store = store_of(a);
    let jobs: HashMap<Uuid, SendJob> =
        a_store.list::<SendJob>(Table::Outgoing).unwrap().into_iter().map(|j| (j.id, j)).collect();
    let from_a: Vec<&TransferInfo> = transfers.iter().filter(|t| t.sender == me_a).collect();
    let mut per_content: BTreeMap<&str, Vec<&TransferInfo>> = BTreeMap::new();
    for t in &from_a {
        if let Some(c) = t.user_checksum.as_deref() {
            per_content.entry(c).or_default().push(t);
        }
    }
    for s in sent {
        let Some(job) = jobs.get(&s.job) else {
            v.push(format!("job {} is gone from the store", s.job));
            continue;
        };
        let mine = per_content.get(s.md5.as_str()).cloned().unwrap_or_default();
        let delivered: Vec<&&TransferInfo> = mine.iter().filter(|t| published(t)).collect();
        if delivered.len() > 1 {
            let ids: Vec<Uuid> = delivered.iter().map(|t| t.id).collect();
            v.push(format!(
                "sent twice: job {} ({}) reached the recipient {} times: {ids:?}",
                s.job,
                name(s),
                ids.len()
            ));
        }
        let with_bytes = mine.iter().filter(|t| t.has_file || published(t)).count();
        if with_bytes > 1 {
            v.push(format!("job {} ({}) has its bytes in {with_bytes} transfers", s.job, name(s)));
        }
        if let Some(ft) = job.file_transfer_id {
            match transfers.iter().find(|t| t.id == ft) {
                None => v.push(format!("job {} points at transfer {ft}, which does not exist", s.job)),
                Some(t) if t.user_checksum.as_deref() != Some(s.md5.as_str()) => v.push(format!(
                    "wrong transfer: job {} ({}) points at {ft}, whose checksum {:?} is another file's (reference {:?})",
                    s.job,
                    name(s),
                    t.user_checksum,
                    t.senders_reference
                )),
                _ => {}
            }
        }
        match job.phase {
            Phase::Published => {
                // What Broker computed from the bytes it stored.
                let t = job.file_transfer_id.and_then(|ft| transfers.iter().find(|t| t.id == ft));
                let stored = t.and_then(|t| stored_md5(admin, t));
                if stored.as_deref() != Some(s.md5.as_str()) || !t.is_some_and(published) {
                    v.push(format!(
                        "job {} ({}) says Published, but Altinn does not have its bytes published \
                         (stored MD5 {stored:?}, the file's {}, status {:?})",
                        s.job,
                        name(s),
                        s.md5,
                        t.map(|t| (&t.status, &t.history))
                    ));
                }
            }
            Phase::Cancelled | Phase::Failed if !delivered.is_empty() => v.push(format!(
                "job {} ({}) says {:?}, but Altinn published it ({})",
                s.job,
                name(s),
                job.phase,
                delivered[0].id
            )),
            Phase::Failed => {
                let code = job.error.as_ref().map(|e| e.code);
                let expected = s.malware && code == Some(ErrorCode::MalwareFound);
                if !expected {
                    v.push(format!("job {} ({}) ends Failed with {:?} in a healthy world", s.job, name(s), job.error));
                }
            }
            Phase::Cancelled => {}
            p => v.push(format!("in progress forever: job {} ({}) is still {p:?}", s.job, name(s))),
        }
    }
    // Failures that no fault explains: the file is always readable and never
    // changes, and nothing the engine reports may be an internal error.
    for (job, e) in a.recorder.send_failures.lock().unwrap().iter() {
        let explained =
            is_fault_failure(e.code) || e.code == ErrorCode::MalwareFound || e.code == ErrorCode::TransferCancelled;
        if !explained {
            v.push(format!("job {job} failed with {} ({:?}), which no fault explains", e.code, e.detail));
        }
    }
    v.sort();
    v.dedup();
    v
}

fn name(s: &Sent) -> String {
    s.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}
