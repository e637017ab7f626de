//! The native file and folder pickers (rfd), for the Send page, the key
//! import and the download folder. What the user picks is recorded in
//! [`Picked`](crate::services::picked::Picked) and the UI gets handles, never
//! paths it could hand back altered.

use crate::services::picked::{Picked, PickedFile, PickedFolder};
use budbringer_core::error::AppResult;
use std::sync::Arc;
use tauri::State;

/// The native "choose files" dialog.
#[tauri::command]
pub async fn pick_files(picked: State<'_, Arc<Picked>>) -> AppResult<Vec<PickedFile>> {
    let files = rfd::AsyncFileDialog::new().pick_files().await.unwrap_or_default();
    Ok(picked.add_files(files.into_iter().map(|f| f.path().to_path_buf())))
}

/// The native "choose folder" dialog.
#[tauri::command]
pub async fn pick_folder(picked: State<'_, Arc<Picked>>) -> AppResult<Option<PickedFolder>> {
    let folder = rfd::AsyncFileDialog::new().pick_folder().await;
    Ok(folder.map(|f| picked.add_folder(f.path().to_path_buf())))
}
