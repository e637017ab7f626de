//! The native file and folder pickers (rfd), for the Send page, the key
//! import and the download folder.

/// The native "choose files" dialog.
#[tauri::command]
pub async fn pick_files() -> Vec<String> {
    rfd::AsyncFileDialog::new()
        .pick_files()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|f| f.path().to_string_lossy().into_owned())
        .collect()
}

/// The native "choose folder" dialog.
#[tauri::command]
pub async fn pick_folder() -> Option<String> {
    rfd::AsyncFileDialog::new().pick_folder().await.map(|f| f.path().to_string_lossy().into_owned())
}
