//! The Inbox page: list, look for new files now, download, open and show
//! received files. The work is done in [`budbringer_core::transfers::inbox`]
//! and [`budbringer_runtime::services::inbox`] (which the background poller
//! uses too); download progress reaches the UI as transfer events.

use crate::services;
use budbringer_core::error::{AppError, AppResult, ErrorCode};
use budbringer_core::transfers::inbox::{IncomingFile, RefreshReport};
use budbringer_runtime::services::inbox;
use budbringer_runtime::state::AppState;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_opener::OpenerExt;
use ts_rs::TS;
use uuid::Uuid;

/// A received file as the UI shows it.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IncomingView {
    #[serde(flatten)]
    pub file: IncomingFile,
    pub expires_soon: bool,
}

fn view(file: IncomingFile) -> IncomingView {
    let expires_soon = file.expires_soon(time::OffsetDateTime::now_utc());
    IncomingView { file, expires_soon }
}

#[tauri::command]
pub fn inbox_list(state: State<'_, Arc<AppState>>) -> AppResult<Vec<IncomingView>> {
    let (inbox, _) = inbox::active(&state);
    Ok(inbox.list()?.into_iter().map(view).collect())
}

/// Looks for new files now.
#[tauri::command]
pub async fn inbox_refresh<R: Runtime>(app: AppHandle<R>) -> AppResult<RefreshReport> {
    let state = app.state::<Arc<AppState>>();
    let notifier = services::notifier(&app);
    Ok(inbox::refresh(&state, &services::events(&app), notifier.as_ref()).await?)
}

/// Downloads a file (to `folder`, or the download folder), verifies and saves
/// it, then confirms it to Altinn unless `confirm` is false.
#[tauri::command]
pub async fn inbox_download<R: Runtime>(
    app: AppHandle<R>,
    id: Uuid,
    folder: Option<String>,
    confirm: Option<bool>,
) -> AppResult<IncomingView> {
    let state = app.state::<Arc<AppState>>();
    let folder = folder.map(PathBuf::from);
    let file = inbox::download(&state, &services::events(&app), id, folder, confirm.unwrap_or(true)).await?;
    Ok(view(file))
}

/// Opens a saved file with the system's default program.
#[tauri::command]
pub fn inbox_open<R: Runtime>(app: AppHandle<R>, id: Uuid) -> AppResult<()> {
    let path = inbox::saved_path(&app.state::<Arc<AppState>>(), id)?;
    app.opener().open_path(path.to_string_lossy(), None::<&str>).map_err(file_system)
}

/// Shows a saved file in the system's file manager.
#[tauri::command]
pub fn inbox_reveal<R: Runtime>(app: AppHandle<R>, id: Uuid) -> AppResult<()> {
    let path = inbox::saved_path(&app.state::<Arc<AppState>>(), id)?;
    app.opener().reveal_item_in_dir(&path).map_err(file_system)
}

fn file_system(e: tauri_plugin_opener::Error) -> AppError {
    AppError::new(ErrorCode::FileSystem).with_detail(e.to_string())
}
