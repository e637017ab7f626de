//! Shared set-up for the fault suite: a fresh sandbox with both practice
//! organisations, and the three invariants every case must keep:
//! no file lost, no download confirmed before it is saved, no transfer duplicated.

use budbringer_core::environment::Environment;
use budbringer_core::error::ErrorCode;
use budbringer_core::store::Store;
use budbringer_core::transfers::broker::CallError;
use budbringer_core::transfers::inbox::{Inbox, InboxPhase, IncomingFile};
use budbringer_core::transfers::send::{self, Phase, SendJob, SendRequest, UploadSettings};
use budbringer_core::transfers::validate::OrgNumber;
use budbringer_sandbox::{SeedFile, PRACTICE_ORG_A, PRACTICE_ORG_B, PRACTICE_RESOURCE};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use uuid::Uuid;

// The sandbox with both practice organisations, `client_for`, `make_file` and
// the recording `Sink` are the transfer tests' own set-up, shared here.
#[allow(dead_code)]
#[path = "../transfers/support.rs"]
mod base;
pub use base::{client_for, make_file, Sink, World};

/// [`base::world`] with the rate limits off: the suite searches often, and the
/// default 10/min would turn every case into a rate-limit case.
pub async fn world() -> World {
    let w = base::world().await;
    let admin = w.sandbox.admin();
    let mut s = admin.settings();
    s.search_rate_limit_per_minute = 0;
    s.details_rate_limit_per_minute = 0;
    admin.set_settings(s);
    w
}

pub fn request(path: &Path) -> SendRequest {
    SendRequest {
        path: path.to_owned(),
        resource_id: PRACTICE_RESOURCE.into(),
        recipients: vec![PRACTICE_ORG_B.into()],
        properties: BTreeMap::new(),
        reference: None,
    }
}

pub fn new_job(path: &Path, settings: &UploadSettings) -> SendJob {
    let sender = OrgNumber::parse(PRACTICE_ORG_A).unwrap();
    SendJob::new(&request(path), Environment::Sandbox, &sender, None, settings).unwrap()
}

/// Sends `path` from A to B to the end (published or failed).
pub async fn send_file(w: &World, path: &Path, settings: &UploadSettings) -> SendJob {
    let mut job = new_job(path, settings);
    send::run(&mut job, &w.a, settings, &Sink::default(), std::future::pending()).await;
    job
}

/// Fast retries, so that cases which run out of attempts end in seconds.
pub fn quick(max_attempts: u32) -> UploadSettings {
    UploadSettings { max_attempts, ..Default::default() }
}

pub fn tus_settings() -> UploadSettings {
    UploadSettings { tus_threshold: 1024 * 1024, chunk_size: 8 * 1024 * 1024, max_attempts: 6, ..Default::default() }
}

pub fn seed(w: &World, name: &str, content: &[u8]) -> Uuid {
    use base64::Engine;
    w.sandbox
        .admin()
        .seed_file(SeedFile {
            sender: PRACTICE_ORG_A.into(),
            recipient: PRACTICE_ORG_B.into(),
            file_name: name.into(),
            content_base64: Some(base64::engine::general_purpose::STANDARD.encode(content)),
            ..Default::default()
        })
        .unwrap()
}

// ---------------------------------------------------------------------------
// The invariants, read from the server's own state (not through the faults).
// ---------------------------------------------------------------------------

/// The server's transfers, as JSON.
pub fn transfers(w: &World) -> Vec<serde_json::Value> {
    let s = w.sandbox.admin().snapshot();
    s["transfers"].as_object().map(|m| m.values().cloned().collect()).unwrap_or_default()
}

/// Transfers on the server made for this reference. More than one = a duplicate.
pub fn transfers_for(w: &World, reference: &str) -> usize {
    transfers(w).iter().filter(|t| t["senders_reference"] == reference).count()
}

/// Whether B has confirmed transfer `id` on the server.
pub fn confirmed_on_server(w: &World, id: Uuid) -> bool {
    transfers(w)
        .iter()
        .filter(|t| t["id"] == id.to_string())
        .flat_map(|t| t["recipient_history"].as_array().cloned().unwrap_or_default())
        .any(|e| e["status"] == "DownloadConfirmed")
}

pub fn files_in(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(rd) => rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => vec![],
    }
}

/// Invariants after a send: the source file is untouched, at most one
/// transfer exists for the job's reference (exactly one once published, none
/// when the job says nothing was initialized), and a failed job carries a
/// named error.
pub fn assert_send_invariants(w: &World, job: &SendJob, original: &[u8]) {
    assert_eq!(std::fs::read(&job.path).unwrap(), original, "no file lost: the source is untouched");
    let n = transfers_for(w, &job.reference);
    assert!(n <= 1, "no transfer duplicated: {n} transfers for {}", job.reference);
    match job.phase {
        Phase::Published => {
            assert_eq!(n, 1, "a published job has exactly one transfer");
            assert!(job.error.is_none());
        }
        Phase::Failed => {
            let e = job.error.as_ref().expect("a failed job names its error");
            assert_ne!(e.code, budbringer_core::error::ErrorCode::Internal, "named, not internal: {e:?}");
            if job.file_transfer_id.is_none() && !job.initialize_sent {
                assert_eq!(n, 0, "nothing initialized");
            }
        }
        p => panic!("a job ends published or failed, not {p:?}"),
    }
}

pub struct Receiver {
    pub inbox: Inbox,
    pub dir: PathBuf,
}

pub fn receiver(w: &World, name: &str) -> Receiver {
    let (store, _) = Store::open(&w.dir.path().join(format!("{name}.db"))).unwrap();
    Receiver { inbox: Inbox::new(store, Environment::Sandbox, PRACTICE_ORG_B), dir: w.dir.path().join(name) }
}

impl Receiver {
    pub async fn refresh(&self, w: &World) -> Result<(), CallError> {
        self.inbox.refresh(&w.b, &[PRACTICE_RESOURCE.to_owned()], None).await.map(|_| ())
    }

    /// Saves and confirms `id`, checking the invariants whatever the outcome:
    /// on success the saved bytes are `expected` and the server has the
    /// confirmation; on failure nothing is under a final name, nothing is
    /// confirmed, and the error is named.
    pub async fn save(&self, w: &World, id: Uuid, expected: &[u8]) -> Result<IncomingFile, CallError> {
        assert!(!confirmed_on_server(w, id), "not confirmed before saving");
        let r = self.inbox.save_and_confirm(&w.b, id, &self.dir, true).await;
        match &r {
            Ok(f) => {
                assert_eq!(f.phase, InboxPhase::Confirmed);
                let p = f.saved_path.as_ref().unwrap();
                assert_eq!(std::fs::read(p).unwrap(), expected, "no file lost: the saved bytes are the sent bytes");
                assert!(confirmed_on_server(w, id), "confirmed once saved");
                // The order inside the call: the confirmation reached Altinn only
                // after the file had its final name (the sandbox records when).
                let confirmed_at = w.sandbox.admin().confirm_times(id).into_iter().min().unwrap();
                assert!(named_at(p) <= confirmed_at, "confirmed before the file got its name");
                let parts: Vec<_> = files_in(&self.dir).into_iter().filter(|n| n.ends_with(".part")).collect();
                assert!(parts.is_empty(), "no part-file left: {parts:?}");
            }
            Err(e) => {
                assert_ne!(e.error.code, ErrorCode::Internal, "named, not internal: {e:?}");
                let finals: Vec<_> =
                    files_in(&self.dir).into_iter().filter(|n| !n.starts_with(".budbringer-")).collect();
                assert!(finals.is_empty(), "nothing saved under a final name: {finals:?}");
                assert!(!confirmed_on_server(w, id), "never confirmed when not saved");
                assert_ne!(self.inbox.get(id).unwrap().phase, InboxPhase::Confirmed);
            }
        }
        r
    }
}

/// When a file got its name: its inode change time on Unix (a rename sets
/// it, with the kernel's coarse clock, which never runs ahead of the real
/// time), its modification time elsewhere.
#[cfg(unix)]
pub fn named_at(p: &Path) -> std::time::SystemTime {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(p).unwrap();
    std::time::UNIX_EPOCH + std::time::Duration::new(m.ctime() as u64, m.ctime_nsec() as u32)
}

#[cfg(not(unix))]
pub fn named_at(p: &Path) -> std::time::SystemTime {
    std::fs::metadata(p).unwrap().modified().unwrap()
}

/// Receives a published job's file as B, checking the invariants.
pub async fn receive_all(w: &World, job: &SendJob, original: &[u8]) {
    let id = job.file_transfer_id.unwrap();
    let r = receiver(w, "inbox");
    r.refresh(w).await.unwrap();
    r.save(w, id, original).await.unwrap();
}
