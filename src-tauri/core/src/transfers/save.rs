//! Giving a verified part-file its final name: atomically, and never over a
//! file that is already there, on every file system we may meet: local disks,
//! FAT sticks and network shares (SMB), where hard links and `fsync` differ.
//!
//! `std::fs::rename` replaces the target on Unix and on Windows, so the rename
//! goes through each platform's no-replace call: `renameat2(RENAME_NOREPLACE)`
//! on Linux, `renamex_np(RENAME_EXCL)` on macOS and `MoveFileExW` without
//! `MOVEFILE_REPLACE_EXISTING` on Windows. Where the file system does not
//! support it (NFS, some FUSE and older kernels on Linux, some volumes on
//! macOS), the name is first claimed by creating it exclusively (`O_EXCL`,
//! `CREATE_NEW`, which SMB and FAT honour), and the part-file is renamed over
//! that empty placeholder, which is ours.

use super::names::{candidates, path_limit};
use std::io::{Error, ErrorKind, Result};
use std::path::{Path, PathBuf};

/// How the final name is given. The tests force [`Commit::Reserve`], the path a
/// file system without no-replace renames takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commit {
    /// The platform's no-replace rename, falling back to `Reserve` when it fails
    /// for any reason but a taken name.
    NoReplaceRename,
    /// Claim the name with an exclusive create, then rename over the claim.
    Reserve,
}

/// Names tried before giving up (`name (2).ext` … `name (1000).ext`).
const MAX_ATTEMPTS: usize = 1000;

/// Flushes `part` and gives it a free name in `dir` based on `name` (already
/// sanitised), without overwriting anything. Returns the final path.
pub fn finish(part: &Path, dir: &Path, name: &str) -> Result<PathBuf> {
    finish_with(part, dir, name, Commit::NoReplaceRename, &|_| {})
}

/// [`finish`], with the method and a hook called with each chosen name just
/// before it is committed (where another program may take it, in the tests).
pub fn finish_with(
    part: &Path,
    dir: &Path,
    name: &str,
    mut method: Commit,
    before_commit: &dyn Fn(&Path),
) -> Result<PathBuf> {
    // On SMB `sync_all` reaches the server (FlushFileBuffers / SMB2 FLUSH); the
    // part-file's data must be durable before it gets a name anyone sees.
    std::fs::File::open(part)?.sync_all()?;
    for target in candidates(dir, name, path_limit()).take(MAX_ATTEMPTS) {
        before_commit(&target);
        if method == Commit::NoReplaceRename {
            match rename_no_replace(part, &target) {
                Ok(()) => return done(dir, target),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    tracing::info!(error = %e, dir = %dir.display(), "no-replace rename unavailable; reserving names");
                    method = Commit::Reserve;
                }
            }
        }
        match reserve_and_rename(part, &target) {
            Ok(()) => return done(dir, target),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(Error::new(ErrorKind::AlreadyExists, format!("no free name for '{name}' after {MAX_ATTEMPTS} tries")))
}

fn done(dir: &Path, target: PathBuf) -> Result<PathBuf> {
    sync_dir(dir);
    Ok(target)
}

/// Claims `target` with an exclusive create, then renames `part` over the
/// (empty, ours) claim. If the rename fails, the claim is removed again.
fn reserve_and_rename(part: &Path, target: &Path) -> Result<()> {
    // create_new: O_CREAT|O_EXCL on Unix, CREATE_NEW on Windows: fails when
    // anything, even a dangling symlink, has the name.
    drop(std::fs::OpenOptions::new().write(true).create_new(true).open(target)?);
    // Between the claim and the rename the name holds our empty file; should
    // something have written into it meanwhile, it is no longer ours to replace.
    if std::fs::symlink_metadata(target)?.len() != 0 {
        return Err(Error::new(ErrorKind::AlreadyExists, "the reserved name was written to"));
    }
    std::fs::rename(part, target).inspect_err(|_| {
        let _ = std::fs::remove_file(target);
    })
}

#[cfg(target_os = "linux")]
fn rename_no_replace(from: &Path, to: &Path) -> Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let (from, to) = (CString::new(from.as_os_str().as_bytes())?, CString::new(to.as_os_str().as_bytes())?);
    // SAFETY: two valid NUL-terminated paths; renameat2 only reads them.
    let rc =
        unsafe { libc::renameat2(libc::AT_FDCWD, from.as_ptr(), libc::AT_FDCWD, to.as_ptr(), libc::RENAME_NOREPLACE) };
    if rc == 0 {
        Ok(())
    } else {
        Err(Error::last_os_error())
    }
}

#[cfg(target_os = "macos")]
fn rename_no_replace(from: &Path, to: &Path) -> Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let (from, to) = (CString::new(from.as_os_str().as_bytes())?, CString::new(to.as_os_str().as_bytes())?);
    // SAFETY: two valid NUL-terminated paths; renamex_np only reads them.
    let rc = unsafe { libc::renamex_np(from.as_ptr(), to.as_ptr(), libc::RENAME_EXCL) };
    if rc == 0 {
        Ok(())
    } else {
        Err(Error::last_os_error())
    }
}

#[cfg(windows)]
fn rename_no_replace(from: &Path, to: &Path) -> Result<()> {
    use std::os::windows::ffi::OsStrExt;
    use windows_sys::Win32::Storage::FileSystem::{MoveFileExW, MOVEFILE_WRITE_THROUGH};
    let wide = |p: &Path| p.as_os_str().encode_wide().chain(std::iter::once(0)).collect::<Vec<u16>>();
    let (from, to) = (wide(from), wide(to));
    // Without MOVEFILE_REPLACE_EXISTING the move fails with
    // ERROR_ALREADY_EXISTS (AlreadyExists) when the name is taken; paths
    // over MAX_PATH fail too and take the reserving path, which handles them.
    // SAFETY: two valid NUL-terminated wide strings.
    let ok = unsafe { MoveFileExW(from.as_ptr(), to.as_ptr(), MOVEFILE_WRITE_THROUGH) };
    if ok != 0 {
        Ok(())
    } else {
        Err(Error::last_os_error())
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn rename_no_replace(_from: &Path, _to: &Path) -> Result<()> {
    Err(Error::from(ErrorKind::Unsupported))
}

fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
#[path = "save_tests.rs"]
mod tests;
