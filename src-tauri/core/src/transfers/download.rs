//! Downloading a file so that it is never lost and never half-there: bytes go
//! to a hidden part-file beside the destination; a broken download resumes
//! with `Range`; the whole file must match the sender's MD5; it is flushed to
//! disk, then given a final name that overwrites nothing (`save.rs`). Only
//! after that may the caller confirm the download to Altinn.

use super::broker::{Broker, CallError};
use super::checksum::{to_hex, BUF_SIZE};
use super::names::sanitize_file_name;
use super::save::finish;
use crate::error::{AppError, ErrorCode};
use futures_util::StreamExt;
use md5::{Digest, Md5};
use reqwest::StatusCode;
use std::io::{Read, Write};
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

fn hash_existing(path: &Path) -> std::io::Result<(Md5, u64)> {
    let mut hasher = Md5::new();
    let mut len = 0u64;
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((hasher, 0)),
        Err(e) => return Err(e),
    };
    if !f.metadata()?.is_file() {
        // A device or pipe in the part-file's place (a symlink to /dev/full in
        // the fault suite): nothing to resume from, and reading it may never end.
        return Ok((hasher, 0));
    }
    let mut buf = vec![0u8; BUF_SIZE];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok((hasher, len));
        }
        hasher.update(&buf[..n]);
        len += n as u64;
    }
}

/// Downloads, verifies and saves. `on_progress(done, total)` is called as bytes arrive.
pub async fn download_verified(
    broker: &Broker,
    spec: &DownloadSpec<'_>,
    on_progress: Arc<dyn Fn(u64, u64) + Send + Sync>,
) -> Result<Saved, CallError> {
    std::fs::create_dir_all(spec.dir).map_err(|e| CallError::permanent(io_error(e)))?;
    let part = part_path(spec.dir, spec.id);
    let (mut hasher, mut have) = hash_existing(&part).map_err(|e| CallError::permanent(io_error(e)))?;
    let resumed_from = have;
    if let Some(size) = spec.expected_size {
        if have > size {
            // Not ours to keep: start again.
            std::fs::remove_file(&part).map_err(|e| CallError::permanent(io_error(e)))?;
            (hasher, have) = (Md5::new(), 0);
        }
    }
    let total = spec.expected_size.unwrap_or(0);
    let mut attempts = 0u32;
    loop {
        if spec.expected_size == Some(have) && have > 0 {
            break;
        }
        match fetch_into(broker, spec.id, &part, &mut hasher, &mut have, total, &on_progress).await {
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
    let md5 = to_hex(&hasher.finalize());
    let size_ok = spec.expected_size.is_none_or(|s| s == have);
    if !size_ok || !md5.eq_ignore_ascii_case(spec.expected_md5.trim()) {
        // Keep nothing that does not match: the next attempt starts clean.
        let _ = std::fs::remove_file(&part);
        return Err(CallError::permanent(AppError::new(ErrorCode::DownloadChecksumMismatch).with_detail(format!(
            "expected MD5 {} and {} bytes, received MD5 {md5} and {have} bytes",
            spec.expected_md5,
            spec.expected_size.map(|s| s.to_string()).unwrap_or_else(|| "?".into())
        ))));
    }
    // Marked as downloaded from the internet before it gets its name (Windows; transfers/zone.rs).
    super::zone::mark_downloaded(&part, Some(&broker.download_url(spec.id)));
    let path =
        finish(&part, spec.dir, &sanitize_file_name(spec.file_name)).map_err(|e| CallError::permanent(io_error(e)))?;
    Ok(Saved { path, size: have, md5, resumed_from })
}

/// One GET (ranged when bytes are already there), appended to the part-file.
///
/// The network, the disk and MD5 work at the same time: this task receives,
/// one thread writes (starting the disk write-back as it goes, so the final
/// flush is short) and one thread hashes. Both threads get the same pieces in
/// the same order, so what was written is what was hashed.
async fn fetch_into(
    broker: &Broker,
    id: Uuid,
    part: &Path,
    hasher: &mut Md5,
    have: &mut u64,
    total: u64,
    on_progress: &Arc<dyn Fn(u64, u64) + Send + Sync>,
) -> Result<(), CallError> {
    let resp = match broker.download(id, *have).await {
        Err(e) if e.error.code == ErrorCode::BrokerRangeInvalid && *have > 0 => {
            // Our part-file is as long as the file or longer: verify what we have.
            return Ok(());
        }
        other => other?,
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(part)
        .map_err(|e| CallError::permanent(io_error(e)))?;
    if resp.status() == StatusCode::OK && *have > 0 {
        // The server sent the whole file: start the part-file over.
        file.set_len(0).map_err(|e| CallError::permanent(io_error(e)))?;
        *hasher = Md5::new();
        *have = 0;
    }
    let (write_tx, write_rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(PIPELINE_DEPTH);
    let (hash_tx, mut hash_rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(PIPELINE_DEPTH);
    let writer = tokio::task::spawn_blocking(move || write_part(file, write_rx));
    let mut h = std::mem::replace(hasher, Md5::new());
    let hashing = tokio::task::spawn_blocking(move || {
        while let Some(b) = hash_rx.blocking_recv() {
            h.update(&b);
        }
        h
    });
    let mut stream = resp.bytes_stream();
    let mut received = 0u64;
    let mut result = Ok(());
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => {
                let n = bytes.len() as u64;
                // A closed channel means the writer failed; its error is taken below.
                if write_tx.send(bytes.clone()).await.is_err() || hash_tx.send(bytes).await.is_err() {
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
            Err(e) => {
                result = Err(CallError {
                    error: AppError::new(ErrorCode::Network)
                        .with_detail(format!("download broken after {} bytes: {e}", *have + received)),
                    transient: true,
                    retry_after: None,
                });
                break;
            }
        }
    }
    drop((write_tx, hash_tx));
    // Whatever happened, what was written must match what was hashed.
    let written = writer.await.map_err(|e| CallError::permanent(AppError::internal(e.to_string())))?;
    *hasher = hashing.await.map_err(|e| CallError::permanent(AppError::internal(e.to_string())))?;
    match written {
        Err(e) => return Err(CallError::permanent(io_error(e))),
        Ok(w) => *have += w,
    }
    if result.is_ok() && total > 0 && *have < total {
        // The body ended early without an error (a truncated response).
        return Err(CallError {
            error: AppError::new(ErrorCode::Network)
                .with_detail(format!("download ended after {have} of {total} bytes")),
            transient: true,
            retry_after: None,
        });
    }
    result
}

/// Pieces in flight between the network and each of the writer and the hasher.
const PIPELINE_DEPTH: usize = 64;
/// Start the disk write-back after this many bytes, so that the final flush
/// waits only for the tail of the file.
const WRITEBACK_STEP: u64 = 32 * 1024 * 1024;

/// Appends every piece to the part-file and flushes it to disk; returns the
/// bytes written. Stops at the first error (and so closes the channel).
fn write_part(file: std::fs::File, mut rx: tokio::sync::mpsc::Receiver<bytes::Bytes>) -> std::io::Result<u64> {
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
