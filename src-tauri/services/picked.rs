//! The files and folders the user chose, as the window may name them.
//!
//! The webview never hands Rust a path. A script that got into the window
//! (a bug in a dependency, a crafted file name that escaped the page) could
//! otherwise send any file the user can read to any organisation, import a
//! key from anywhere, or save received files anywhere. Paths enter only from
//! the native dialogs (rfd) and the window's own drag-and-drop event, both on
//! the Rust side; each is recorded here and the UI gets an opaque handle (a
//! random UUID) with the name and size it shows. Commands take handles and
//! look them up: a handle that was never given out names nothing.
//!
//! A file handle and a folder handle are not interchangeable: a dropped
//! folder can be offered for sending (and is refused there like any
//! unreadable file), but only a folder picked in the folder dialog can become
//! the download folder.

use budbringer_core::error::{AppError, AppResult, ErrorCode};
use budbringer_core::sync::Locked;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use ts_rs::TS;
use uuid::Uuid;

/// At most this many choices are remembered (a session picks a few dozen);
/// the oldest go first.
const MAX_ENTRIES: usize = 10_000;

/// A file the user picked or dropped, as the UI sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PickedFile {
    /// What commands take instead of the path.
    pub handle: Uuid,
    /// The file's name (the last part of its path).
    pub name: String,
    /// Its size in bytes when it could be read (not for a folder).
    pub size: Option<u64>,
}

/// A folder the user picked in the folder dialog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PickedFolder {
    pub handle: Uuid,
    /// The whole path, to show where files will go.
    pub path: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// From the file dialog or a drop: something to send or import.
    File,
    /// From the folder dialog: somewhere to save.
    Folder,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Uuid, (PathBuf, Kind)>,
    /// The same path chosen again gets the same handle (so the UI's list
    /// does not show it twice).
    by_path: HashMap<(PathBuf, Kind), Uuid>,
    order: VecDeque<Uuid>,
}

/// The registry of choices, one per app (held in Tauri's state).
#[derive(Default)]
pub struct Picked(Mutex<Inner>);

impl Picked {
    fn add(&self, path: PathBuf, kind: Kind) -> Uuid {
        let mut inner = self.0.locked();
        if let Some(h) = inner.by_path.get(&(path.clone(), kind)) {
            return *h;
        }
        let handle = Uuid::new_v4();
        inner.entries.insert(handle, (path.clone(), kind));
        inner.by_path.insert((path, kind), handle);
        inner.order.push_back(handle);
        while inner.order.len() > MAX_ENTRIES {
            if let Some(old) = inner.order.pop_front() {
                if let Some((p, k)) = inner.entries.remove(&old) {
                    inner.by_path.remove(&(p, k));
                }
            }
        }
        handle
    }

    /// Records files the user chose (dialog or drop).
    pub fn add_files(&self, paths: impl IntoIterator<Item = PathBuf>) -> Vec<PickedFile> {
        paths
            .into_iter()
            .map(|path| {
                let name = display_name(&path);
                let size = std::fs::metadata(&path).ok().filter(|m| m.is_file()).map(|m| m.len());
                PickedFile { handle: self.add(path, Kind::File), name, size }
            })
            .collect()
    }

    /// Records a folder the user chose in the folder dialog.
    pub fn add_folder(&self, path: PathBuf) -> PickedFolder {
        let shown = path.to_string_lossy().into_owned();
        PickedFolder { handle: self.add(path, Kind::Folder), path: shown }
    }

    /// The file behind a handle from [`add_files`](Self::add_files).
    pub fn file(&self, handle: Uuid) -> AppResult<PathBuf> {
        self.get(handle, Kind::File)
    }

    /// The folder behind a handle from [`add_folder`](Self::add_folder).
    pub fn folder(&self, handle: Uuid) -> AppResult<PathBuf> {
        self.get(handle, Kind::Folder)
    }

    fn get(&self, handle: Uuid, kind: Kind) -> AppResult<PathBuf> {
        match self.0.locked().entries.get(&handle) {
            Some((path, k)) if *k == kind => Ok(path.clone()),
            _ => Err(AppError::new(ErrorCode::NotChosen).with_detail(format!(
                "{handle} is not a {} chosen in this window",
                if kind == Kind::File { "file" } else { "folder" }
            ))),
        }
    }
}

fn display_name(path: &Path) -> String {
    path.file_name().unwrap_or(path.as_os_str()).to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_handles_given_out_name_a_path() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("rapport.pdf");
        std::fs::write(&f, b"12345").unwrap();
        let picked = Picked::default();
        let [file] = picked.add_files([f.clone()]).try_into().unwrap();
        assert_eq!((file.name.as_str(), file.size), ("rapport.pdf", Some(5)));
        assert_eq!(picked.file(file.handle).unwrap(), f);
        // A made-up handle, or a path dressed as one, names nothing.
        for h in [Uuid::new_v4(), Uuid::nil()] {
            assert_eq!(picked.file(h).unwrap_err().code, ErrorCode::NotChosen);
        }
        // A file is not a folder, nor the other way round.
        assert_eq!(picked.folder(file.handle).unwrap_err().code, ErrorCode::NotChosen);
        let folder = picked.add_folder(dir.path().to_path_buf());
        assert_eq!(folder.path, dir.path().to_string_lossy());
        assert_eq!(picked.folder(folder.handle).unwrap(), dir.path());
        assert_eq!(picked.file(folder.handle).unwrap_err().code, ErrorCode::NotChosen);
    }

    #[test]
    fn the_same_path_keeps_its_handle_and_old_choices_are_forgotten() {
        let picked = Picked::default();
        let a = picked.add_files([PathBuf::from("/nowhere/a.txt")]);
        let again = picked.add_files([PathBuf::from("/nowhere/a.txt")]);
        assert_eq!(a, again);
        assert_eq!(a[0].size, None, "no size for a file that cannot be read");
        let first = a[0].handle;
        picked.add_files((0..MAX_ENTRIES).map(|i| PathBuf::from(format!("/nowhere/{i}"))));
        assert!(picked.file(first).is_err(), "the oldest choice was forgotten");
        assert_eq!(picked.0.locked().entries.len(), MAX_ENTRIES);
        assert_eq!(picked.0.locked().by_path.len(), MAX_ENTRIES);
    }
}
