//! "Lagre som PDF" on the Sent page's receipt and the Inbox's file details
//! (issue 17): the receipt is made by [`budbringer_runtime::receipts`], the
//! user picks where in the native save dialog (no path comes from the UI),
//! and it is written whole or not at all.

use budbringer_core::error::AppResult;
use budbringer_runtime::receipts::{self, MadeReceipt};
use budbringer_runtime::state::AppState;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use tauri::State;
use ts_rs::TS;
use uuid::Uuid;

/// Where a receipt was saved, for the announcement.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SavedReceipt {
    pub file_name: String,
    /// The whole path, as the user chose it.
    pub path: String,
}

/// The end-to-end test's answer to the next save dialog (debug builds only):
/// it cannot drive the native one.
#[cfg(debug_assertions)]
pub static NEXT_SAVE_PATH: std::sync::Mutex<Option<PathBuf>> = std::sync::Mutex::new(None);

/// The native save dialog, starting with `name` in the user's Documents folder.
async fn choose(name: &str) -> Option<PathBuf> {
    #[cfg(debug_assertions)]
    if let Some(p) = NEXT_SAVE_PATH.lock().ok().and_then(|mut p| p.take()) {
        return Some(p);
    }
    let mut dialog = rfd::AsyncFileDialog::new().set_file_name(name).add_filter("PDF", &["pdf"]);
    if let Some(docs) = dirs_documents() {
        dialog = dialog.set_directory(docs);
    }
    dialog.save_file().await.map(|f| f.path().to_path_buf())
}

fn dirs_documents() -> Option<PathBuf> {
    let home = std::env::var_os(if cfg!(windows) { "USERPROFILE" } else { "HOME" })?;
    let docs = PathBuf::from(home).join("Documents");
    docs.is_dir().then_some(docs)
}

async fn save(made: MadeReceipt) -> AppResult<Option<SavedReceipt>> {
    let Some(mut path) = choose(&made.file_name).await else { return Ok(None) };
    // A name typed without ".pdf" still gets a file a PDF reader opens.
    if path.extension().is_none_or(|e| !e.eq_ignore_ascii_case("pdf")) {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".pdf");
        path.set_file_name(name);
    }
    let path = super::blocking(move || receipts::save(&made, &path)).await?;
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(Some(SavedReceipt { file_name, path: path.to_string_lossy().into_owned() }))
}

/// Saves a sent transfer's receipt as PDF. None: the user cancelled.
#[tauri::command]
pub async fn receipt_save_sent(state: State<'_, Arc<AppState>>, id: Uuid) -> AppResult<Option<SavedReceipt>> {
    save(receipts::sent(&state, id).await?).await
}

/// Saves a received file's receipt as PDF. None: the user cancelled.
#[tauri::command]
pub async fn receipt_save_received(state: State<'_, Arc<AppState>>, id: Uuid) -> AppResult<Option<SavedReceipt>> {
    save(receipts::received(&state, id).await?).await
}
