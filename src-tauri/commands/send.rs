//! The Send page (and the Sent page's receipts): queue files, list, pause,
//! resume, cancel and retry jobs. The work is done by the send queue
//! ([`budbringer_core::transfers::engine`]) and
//! [`budbringer_runtime::services::send`]; progress reaches the UI as
//! transfer events (`transfers_watch`).

use crate::services::picked::Picked;
use budbringer_core::error::{AppError, AppResult};
use budbringer_core::transfers::md5_cache;
use budbringer_core::transfers::send::SendJob;
use budbringer_runtime::services::send::{self, SendFiles};
use budbringer_runtime::state::AppState;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use tauri::State;
use ts_rs::TS;
use uuid::Uuid;

/// What happened to each file handed to `send_files`.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SendOutcome {
    /// The file's handle, as given.
    pub file: Uuid,
    pub job: Option<SendJob>,
    pub error: Option<AppError>,
}

/// Checks and queues files for sending. `files` are handles of files the
/// user picked or dropped ([`Picked`]): the window cannot name any other.
/// Each file gets its own outcome: one bad file does not stop the others.
#[tauri::command]
pub fn send_files(
    state: State<'_, Arc<AppState>>,
    picked: State<'_, Arc<Picked>>,
    files: Vec<Uuid>,
    recipients: Vec<String>,
    resource_id: Option<String>,
    reference: Option<String>,
    properties: Option<BTreeMap<String, String>>,
) -> AppResult<Vec<SendOutcome>> {
    let mut outcomes = Vec::new();
    let mut chosen = Vec::new();
    for file in files {
        match picked.file(file) {
            Ok(path) => chosen.push((file, path.to_string_lossy().into_owned())),
            Err(e) => outcomes.push(SendOutcome { file, job: None, error: Some(e) }),
        }
    }
    if chosen.is_empty() && !outcomes.is_empty() {
        return Ok(outcomes);
    }
    let paths = chosen.iter().map(|(_, p)| p.clone()).collect();
    // From the organisation chosen in the header (the active one).
    let request =
        SendFiles { paths, recipients, resource_id, reference, properties: properties.unwrap_or_default(), from: None };
    // The runtime answers in the order it was given the paths.
    let queued = send::send_files(&state, request)?;
    for ((file, _), (_, outcome)) in chosen.into_iter().zip(queued) {
        outcomes.push(match outcome {
            Ok(job) => SendOutcome { file, job: Some(job), error: None },
            Err(e) => SendOutcome { file, job: None, error: Some(e) },
        });
    }
    Ok(outcomes)
}

/// Starts the checksums of files just added on the Send page, in the
/// background, so that Send finds them ready (issue 16: the MD5 of a GiB takes
/// about a second). `files` are handles from the pickers or a drop; unknown
/// handles and folders are skipped (Send reports them). One reader thread,
/// a bounded queue; a file that changes afterwards is read again when sent
/// ([`md5_cache`]).
/// Off the window's thread: looking at many files (on a network drive) takes time.
#[tauri::command]
pub async fn send_prepare(picked: State<'_, Arc<Picked>>, files: Vec<Uuid>) -> AppResult<()> {
    let picked = picked.inner().clone();
    tauri::async_runtime::spawn_blocking(move || md5_cache::global().start(prepared_paths(&picked, &files)));
    Ok(())
}

/// The regular files behind `files`.
fn prepared_paths(picked: &Picked, files: &[Uuid]) -> Vec<PathBuf> {
    files.iter().filter_map(|h| picked.file(*h).ok()).filter(|p| p.is_file()).collect()
}

/// The active organisation's jobs in the active environment, unfinished
/// first, then newest first; the first `limit` of them if given (the pages
/// show their first rows, then load the rest behind them). Off the main
/// thread: 10,000 entries of history take a moment to read.
#[tauri::command]
pub async fn send_list(state: State<'_, Arc<AppState>>, limit: Option<u32>) -> AppResult<Vec<SendJob>> {
    let state = Arc::clone(&state);
    super::blocking(move || send::newest_jobs(&state, limit.map(|n| n as usize))).await
}

#[tauri::command]
pub fn send_pause(state: State<'_, Arc<AppState>>, id: Uuid) -> AppResult<()> {
    state.queue()?.pause(id)
}

#[tauri::command]
pub fn send_resume(state: State<'_, Arc<AppState>>, id: Uuid) -> AppResult<()> {
    state.queue()?.resume(id)
}

#[tauri::command]
pub fn send_cancel(state: State<'_, Arc<AppState>>, id: Uuid) -> AppResult<()> {
    state.queue()?.cancel(id)
}

#[tauri::command]
pub async fn send_retry(state: State<'_, Arc<AppState>>, id: Uuid) -> AppResult<()> {
    state.queue()?.clone().retry(id).await
}

#[tauri::command]
pub async fn send_retry_all(state: State<'_, Arc<AppState>>) -> AppResult<usize> {
    state.queue()?.clone().retry_all().await
}

/// The receipt with each recipient's current status, fetched from Altinn now.
#[tauri::command]
pub async fn send_refresh_receipt(state: State<'_, Arc<AppState>>, id: Uuid) -> AppResult<SendJob> {
    state.queue()?.refresh_receipt(id).await
}

#[tauri::command]
pub fn send_clear_finished(state: State<'_, Arc<AppState>>) -> AppResult<usize> {
    state.queue()?.clear_finished()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_takes_only_files_chosen_in_this_window() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.pdf");
        std::fs::write(&f, b"x").unwrap();
        let picked = Picked::default();
        let file = picked.add_files([f.clone()])[0].handle;
        let folder = picked.add_files([dir.path().to_owned()])[0].handle;
        let paths = prepared_paths(&picked, &[file, folder, Uuid::new_v4()]);
        assert_eq!(paths, vec![f], "the folder and the made-up handle name nothing to read");
    }
}
