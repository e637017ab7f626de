//! One owner at a time for a piece of work (a received file being saved, a
//! send job running), whichever copy of the engine over the same data folder
//! asks: the app, a second copy of it, the command line. An in-process mutex
//! would not do, so these are file locks (`flock` on Unix, `LockFileEx` on
//! Windows, through fs4) on small files in `<data>/locks/`. The operating
//! system releases a lock when its holder closes the file or dies, so a
//! crashed owner never leaves work locked.
//!
//! The lock files are never deleted: deleting one while another process waits
//! on it would let two owners lock two different files of the same name.

use crate::error::{AppError, AppResult, ErrorCode};
use fs4::FileExt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A held lock; dropping it releases it.
#[derive(Debug)]
pub struct Lock {
    file: File,
    name: String,
}

impl Lock {
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Closing the file releases it too; unlocking first makes it immediate.
        let _ = FileExt::unlock(&self.file);
    }
}

fn lock_error(path: &Path, e: std::io::Error) -> AppError {
    AppError::new(ErrorCode::FileSystem).with_detail(format!("lock {}: {e}", path.display()))
}

/// How often a waiting owner looks again.
const POLL: Duration = Duration::from_millis(25);

/// Takes the lock `name` in `dir` if nobody holds it.
pub(super) fn try_lock(dir: &Path, name: &str) -> AppResult<Option<Lock>> {
    std::fs::create_dir_all(dir).map_err(|e| lock_error(dir, e))?;
    let path = lock_path(dir, name);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| lock_error(&path, e))?;
    // Fully qualified: std's own File::try_lock is newer than our minimum Rust.
    match FileExt::try_lock(&file) {
        Ok(()) => Ok(Some(Lock { file, name: name.to_owned() })),
        Err(fs4::TryLockError::WouldBlock) => Ok(None),
        Err(fs4::TryLockError::Error(e)) => Err(lock_error(&path, e)),
    }
}

/// Waits for the lock `name` in `dir`. Polls instead of blocking a thread, so
/// a caller that stops waiting (its task dropped) leaves nothing behind.
pub(super) async fn lock(dir: &Path, name: &str) -> AppResult<Lock> {
    loop {
        if let Some(l) = try_lock(dir, name)? {
            return Ok(l);
        }
        tokio::time::sleep(POLL).await;
    }
}

fn lock_path(dir: &Path, name: &str) -> PathBuf {
    let safe: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    dir.join(format!("{safe}.lock"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_owner_at_a_time_and_released_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = try_lock(dir.path(), "download-1").unwrap().expect("free at first");
        assert!(try_lock(dir.path(), "download-1").unwrap().is_none(), "a second owner is refused");
        assert!(try_lock(dir.path(), "download-2").unwrap().is_some(), "other work is not blocked");
        drop(first);
        assert!(try_lock(dir.path(), "download-1").unwrap().is_some(), "free again once dropped");
    }
}
