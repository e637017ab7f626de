//! Downloading a file so that it is never lost, never half-there and never
//! mixed with another download of it: bytes go to a hidden part-file beside
//! the destination, which this download holds locked for itself (a second
//! saver of the same transfer, in this process or another, is refused rather
//! than appending to it); a broken download resumes with `Range`; a stalled
//! one is ended by the idle limit ([`crate::http`]) and resumed; once the
//! bytes are in, the part-file's real length and MD5 *on disk* must match the
//! sender's; it is flushed, then given a final name that overwrites nothing.
//! Only after that may the caller confirm the download to Altinn.

use super::broker::{Broker, CallError};
use super::checksum::{md5_open_file, BUF_SIZE};
use super::names::sanitize_file_name;
use super::save::finish;
use crate::error::{AppError, ErrorCode};
use crate::http::{self, Activity};
use fs4::FileExt;
use reqwest::StatusCode;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// How a download went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub path: PathBuf,
    pub size: u64,
    pub md5: String,
    /// Bytes that were already on disk from an earlier, broken attempt.
    pub resumed_from: u64,
}

/// What to download and where.
pub struct DownloadSpec<'a> {
    pub id: Uuid,
    /// The name the sender gave; it is sanitised here.
    pub file_name: &'a str,
    pub dir: &'a Path,
    /// The sender's MD5 (lower-case hex) from the overview; required.
    pub expected_md5: &'a str,
    /// The size from the overview, when known.
    pub expected_size: Option<u64>,
    /// How many times a broken connection is resumed before giving up.
    pub max_resumes: u32,
}

/// The hidden part-file for a transfer, in the destination folder so the
/// final rename never crosses file systems. Its name is fixed per transfer,
/// so a download resumes even after the app restarts.
pub fn part_path(dir: &Path, id: Uuid) -> PathBuf {
    dir.join(format!(".budbringer-{id}.part"))
}

pub fn io_error(e: std::io::Error) -> AppError {
    // ENOSPC (28) and EDQUOT (122) on Unix; ERROR_HANDLE_DISK_FULL (39) and ERROR_DISK_FULL (112) on Windows.
    let full = e.kind() == std::io::ErrorKind::StorageFull
        || e.kind() == std::io::ErrorKind::QuotaExceeded
        || matches!(e.raw_os_error(), Some(28) | Some(122) if cfg!(unix))
        || matches!(e.raw_os_error(), Some(39) | Some(112) if cfg!(windows));
    let code = if full { ErrorCode::DiskFull } else { ErrorCode::FileSystem };
    AppError::new(code).with_detail(e.to_string())
}

fn permanent_io(e: std::io::Error) -> CallError {
    CallError::permanent(io_error(e))
}

/// Opens the part-file for this download alone: created if missing, kept if
/// there (to resume), and locked. Another saver holding it is a transient
/// refusal: it will be done, or free, later.
fn open_exclusive(part: &Path) -> Result<File, CallError> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(part)
        .map_err(permanent_io)?;
    match FileExt::try_lock(&file) {
        Ok(()) => Ok(file),
        Err(fs4::TryLockError::WouldBlock) => Err(CallError {
            error: AppError::new(ErrorCode::FileSystem)
                .with_detail(format!("{} is being saved by another copy of Budbringer", part.display())),
            transient: true,
            retry_after: None,
        }),
        Err(fs4::TryLockError::Error(e)) => Err(permanent_io(e)),
    }
}

/// The part-file's length, or 0 for something that is not a regular file in
/// its place (a device such as `/dev/full` in the fault suite: nothing to
/// resume from, and reading it may never end).
fn length_of(file: &File) -> std::io::Result<u64> {
    let meta = file.metadata()?;
    Ok(if meta.is_file() { meta.len() } else { 0 })
}

/// Downloads, verifies and saves. `on_progress(done, total)` is called as bytes arrive.
pub async fn download_verified(
    broker: &Broker,
    spec: &DownloadSpec<'_>,
    on_progress: Arc<dyn Fn(u64, u64) + Send + Sync>,
) -> Result<Saved, CallError> {
    std::fs::create_dir_all(spec.dir).map_err(permanent_io)?;
    let part = part_path(spec.dir, spec.id);
    // Held until the file has its final name: nobody else writes to it meanwhile.
    let file = open_exclusive(&part)?;
    let mut have = length_of(&file).map_err(permanent_io)?;
    let resumed_from = have;
    if spec.expected_size.is_some_and(|size| have > size) {
        // Not ours to keep: start again.
        file.set_len(0).map_err(permanent_io)?;
        have = 0;
    }
    let total = spec.expected_size.unwrap_or(0);
    let mut attempts = 0u32;
    loop {
        if spec.expected_size == Some(have) && have > 0 {
            break;
        }
        match fetch_into(broker, spec.id, &file, &mut have, total, &on_progress).await {
            Ok(()) => break,
            Err(e) if e.transient && attempts < spec.max_resumes => {
                attempts += 1;
                let wait = e.retry_after.unwrap_or(Duration::from_millis(200 * 2u64.pow(attempts.min(6))));
                tracing::warn!(id = %spec.id, have, attempt = attempts, error = %e.error, "download interrupted; resuming");
                tokio::time::sleep(wait).await;
            }
            Err(e) => return Err(e),
        }
    }
    // What is on disk is what counts: its real length and MD5, read back.
    let (size, md5) = on_disk(&file, &part).await?;
    let size_ok = spec.expected_size.is_none_or(|s| s == size);
    if !size_ok || !md5.eq_ignore_ascii_case(spec.expected_md5.trim()) {
        // Keep nothing that does not match: the next attempt starts clean.
        let _ = std::fs::remove_file(&part);
        return Err(CallError::permanent(AppError::new(ErrorCode::DownloadChecksumMismatch).with_detail(format!(
            "expected MD5 {} and {} bytes, the saved file has MD5 {md5} and {size} bytes",
            spec.expected_md5,
            spec.expected_size.map(|s| s.to_string()).unwrap_or_else(|| "?".into())
        ))));
    }
    // Marked as downloaded from the internet before it gets its name (Windows; transfers/zone.rs).
    super::zone::mark_downloaded(&part, Some(&broker.download_url(spec.id)));
    let path = finish(&part, spec.dir, &sanitize_file_name(spec.file_name)).map_err(permanent_io)?;
    drop(file);
    Ok(Saved { path, size, md5, resumed_from })
}

/// The length and MD5 of the part-file as stored, read back from disk. The
/// path must still be the file we hold (nobody swapped it under us).
async fn on_disk(file: &File, part: &Path) -> Result<(u64, String), CallError> {
    file.sync_all().map_err(permanent_io)?;
    if !same_file(file, part).map_err(permanent_io)? {
        return Err(CallError::permanent(
            AppError::new(ErrorCode::FileSystem).with_detail(format!("{} was replaced while saving", part.display())),
        ));
    }
    let size = length_of(file).map_err(permanent_io)?;
    // Read through our own (locked) file, from its start.
    let mut reader = file.try_clone().map_err(permanent_io)?;
    reader.seek(SeekFrom::Start(0)).map_err(permanent_io)?;
    let md5 = tokio::task::spawn_blocking(move || md5_open_file(reader))
        .await
        .map_err(|e| CallError { error: AppError::internal(e.to_string()), transient: true, retry_after: None })?
        .map_err(permanent_io)?;
    Ok((size, md5))
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> std::io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let (a, b) = (file.metadata()?, std::fs::metadata(path)?);
    Ok(a.dev() == b.dev() && a.ino() == b.ino())
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> std::io::Result<bool> {
    // Windows does not let a file that is open without FILE_SHARE_DELETE be
    // replaced; it is enough that it is still there.
    Ok(path.is_file())
}

fn network(e: AppError) -> CallError {
    CallError { error: e, transient: true, retry_after: None }
}

/// One GET (ranged when bytes are already there), written to the part-file
/// at its end. The network and the disk work at the same time: this task
/// receives, one thread writes (starting the disk write-back as it goes, so
/// the final flush is short). `have` ends as the part-file's real length.
async fn fetch_into(
    broker: &Broker,
    id: Uuid,
    file: &File,
    have: &mut u64,
    total: u64,
    on_progress: &Arc<dyn Fn(u64, u64) + Send + Sync>,
) -> Result<(), CallError> {
    let activity = Activity::default();
    let answer = http::idle_bounded("download", &activity, broker.download(id, *have)).await.map_err(network)?;
    let resp = match answer {
        Err(e) if e.error.code == ErrorCode::BrokerRangeInvalid && *have > 0 => {
            // Our part-file is as long as the file or longer: verify what we have.
            return Ok(());
        }
        other => other?,
    };
    if resp.status() == StatusCode::OK && *have > 0 {
        // The server sent the whole file: start the part-file over.
        file.set_len(0).map_err(permanent_io)?;
        *have = 0;
    }
    let mut out = file.try_clone().map_err(permanent_io)?;
    out.seek(SeekFrom::Start(*have)).map_err(permanent_io)?;
    let (write_tx, write_rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(PIPELINE_DEPTH);
    let writer = tokio::task::spawn_blocking(move || write_part(out, write_rx));
    let mut stream = resp.bytes_stream();
    let mut received = 0u64;
    let mut result = Ok(());
    loop {
        let next = match http::next_within("download", &mut stream).await {
            Ok(n) => n,
            Err(stall) => {
                result = Err(network(stall));
                break;
            }
        };
        match next {
            None => break,
            Some(Ok(bytes)) => {
                let n = bytes.len() as u64;
                // A closed channel means the writer failed; its error is taken below.
                if write_tx.send(bytes).await.is_err() {
                    break;
                }
                received += n;
                on_progress(*have + received, total);
                if total > 0 && *have + received > total {
                    // More than the file's size: stop reading (the server may
                    // never stop); the size check then refuses the part-file.
                    break;
                }
            }
            Some(Err(e)) => {
                result = Err(network(
                    AppError::new(ErrorCode::Network)
                        .with_detail(format!("download broken after {} bytes: {e}", *have + received)),
                ));
                break;
            }
        }
    }
    drop(write_tx);
    let written = writer.await.map_err(|e| network(AppError::internal(e.to_string())))?;
    *have = length_of(file).map_err(permanent_io)?;
    written.map_err(permanent_io)?;
    if result.is_ok() && total > 0 && *have < total {
        // The body ended early without an error (a truncated response).
        return Err(network(
            AppError::new(ErrorCode::Network).with_detail(format!("download ended after {have} of {total} bytes")),
        ));
    }
    result
}

/// Pieces in flight between the network and each of the writer and the hasher.
const PIPELINE_DEPTH: usize = 64;
/// Start the disk write-back after this many bytes, so that the final flush
/// waits only for the tail of the file.
const WRITEBACK_STEP: u64 = 32 * 1024 * 1024;

/// Writes every piece to the part-file (from where `file` is positioned) and
/// flushes it to disk; returns the bytes written. Stops at the first error
/// (and so closes the channel).
fn write_part(file: File, mut rx: tokio::sync::mpsc::Receiver<bytes::Bytes>) -> std::io::Result<u64> {
    let mut writer = std::io::BufWriter::with_capacity(BUF_SIZE, file);
    let (mut written, mut pending) = (0u64, 0u64);
    while let Some(b) = rx.blocking_recv() {
        writer.write_all(&b)?;
        written += b.len() as u64;
        pending += b.len() as u64;
        if pending >= WRITEBACK_STEP {
            writer.flush()?;
            start_writeback(writer.get_ref());
            pending = 0;
        }
    }
    let file = writer.into_inner().map_err(|e| e.into_error())?;
    file.sync_data()?;
    Ok(written)
}

/// Asks the kernel to start writing the file's dirty pages now, without
/// waiting (Linux); the later `sync_data` then has little left to do.
#[cfg(target_os = "linux")]
fn start_writeback(file: &std::fs::File) {
    use std::os::fd::AsRawFd;
    // SAFETY: a valid open descriptor; the call only schedules write-back.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &std::fs::File) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_full_is_named() {
        let e = io_error(std::io::Error::from_raw_os_error(if cfg!(windows) { 112 } else { 28 }));
        assert_eq!(e.code, ErrorCode::DiskFull);
        assert_eq!(io_error(std::io::Error::other("x")).code, ErrorCode::FileSystem);
    }
}
