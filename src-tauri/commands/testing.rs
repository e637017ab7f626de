//! Test-only commands for the end-to-end test, which cannot drive the
//! native dialogs or a real drag from the file manager. They exist in debug
//! builds only (`cfg(debug_assertions)`: `cargo build --release` and the
//! packages leave them out, and `app.rs` registers them under the same
//! condition), and they go through the same registry as a real choice, so
//! the rest of the app cannot tell them apart.

use crate::services::{self, picked::Picked, picked::PickedFolder};
use std::path::PathBuf;
use std::sync::Arc;
use tauri::{AppHandle, Runtime, State};

/// Does what dropping `paths` on the window does.
#[tauri::command]
pub fn e2e_drop_files<R: Runtime>(app: AppHandle<R>, paths: Vec<String>) {
    services::dropped(&app, paths.into_iter().map(PathBuf::from).collect());
}

/// Does what choosing `path` in the folder dialog does.
#[tauri::command]
pub fn e2e_pick_folder(picked: State<'_, Arc<Picked>>, path: String) -> PickedFolder {
    picked.add_folder(PathBuf::from(path))
}
