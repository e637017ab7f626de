//! The Inbox page: list, look for new files now, download, open and show
//! received files. The work is done in [`budbringer_core::transfers::inbox`]
//! and [`budbringer_runtime::services::inbox`] (which the background poller
//! uses too); download progress reaches the UI as transfer events.

use crate::services::{self, picked::Picked};
use budbringer_core::error::{AppError, AppResult, ErrorCode};
use budbringer_core::transfers::inbox::{IncomingFile, RefreshReport};
use budbringer_core::transfers::names::sanitize_file_name;
use budbringer_core::transfers::opening::{self, FileRisk, RiskLevel};
use budbringer_runtime::services::inbox;
use budbringer_runtime::state::AppState;
use serde::Serialize;
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
    /// The name to show: the name it was saved under, or the cleaned name it
    /// will get. Never the sender's raw name (`overview.fileName`), which may
    /// hide its real extension behind direction overrides.
    pub display_name: String,
    /// What opening it could do, judged by that name; none for ordinary documents.
    pub risk: Option<FileRisk>,
}

fn view(file: IncomingFile) -> IncomingView {
    let expires_soon = file.expires_soon(time::OffsetDateTime::now_utc());
    let display_name = match file.saved_path.as_deref().and_then(|p| p.file_name()) {
        Some(n) => n.to_string_lossy().into_owned(),
        None => sanitize_file_name(file.overview.file_name.as_deref().unwrap_or_default()),
    };
    let risk = opening::risk(&display_name);
    IncomingView { file, expires_soon, display_name, risk }
}

/// The active organisation's received files, unfinished first, then newest
/// first; the first `limit` of them if given (as `send_list`). Off the main thread.
#[tauri::command]
pub async fn inbox_list(state: State<'_, Arc<AppState>>, limit: Option<u32>) -> AppResult<Vec<IncomingView>> {
    let state = Arc::clone(&state);
    super::blocking(move || {
        let (inbox, _) = inbox::active(&state);
        Ok(inbox.newest(limit.map(|n| n as usize))?.into_iter().map(view).collect())
    })
    .await
}

/// Looks for new files now.
#[tauri::command]
pub async fn inbox_refresh<R: Runtime>(app: AppHandle<R>) -> AppResult<RefreshReport> {
    let state = app.state::<Arc<AppState>>();
    let notifier = services::notifier(&app);
    Ok(inbox::refresh(&state, &services::events(&app), notifier.as_ref()).await?)
}

/// Downloads a file (to `folder`, the handle of a folder the user picked,
/// or the download folder), verifies and saves it, then confirms it to
/// Altinn unless `confirm` is false.
#[tauri::command]
pub async fn inbox_download<R: Runtime>(
    app: AppHandle<R>,
    id: Uuid,
    folder: Option<Uuid>,
    confirm: Option<bool>,
) -> AppResult<IncomingView> {
    let state = app.state::<Arc<AppState>>();
    let folder = folder.map(|h| app.state::<Arc<Picked>>().folder(h)).transpose()?;
    let file = inbox::download(&state, &services::events(&app), id, folder, confirm.unwrap_or(true)).await?;
    Ok(view(file))
}

/// Opens a saved file with the system's default program. Programs, scripts,
/// shortcuts and the like are never opened ([`opening`]); documents that can
/// carry code only when `confirmed` (the UI asked the user first).
#[tauri::command]
pub fn inbox_open<R: Runtime>(app: AppHandle<R>, id: Uuid, confirmed: Option<bool>) -> AppResult<()> {
    let path = inbox::saved_path(&app.state::<Arc<AppState>>(), id)?;
    check_open(&path, confirmed.unwrap_or(false))?;
    app.opener().open_path(path.to_string_lossy(), None::<&str>).map_err(file_system)
}

/// Whether a saved file may be opened from the app.
fn check_open(path: &std::path::Path, confirmed: bool) -> AppResult<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    match opening::risk(&name) {
        Some(r) if r.level == RiskLevel::Refuse => {
            Err(AppError::new(ErrorCode::OpenRefused).with_detail(format!("{name}: {:?}", r.kind)))
        }
        Some(r) if !confirmed => {
            Err(AppError::new(ErrorCode::OpenNeedsConfirmation).with_detail(format!("{name}: {:?}", r.kind)))
        }
        _ => Ok(()),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use budbringer_core::environment::Environment;
    use budbringer_core::transfers::broker::Overview;
    use budbringer_core::transfers::inbox::InboxPhase;

    fn incoming(raw: &str, saved: Option<&str>) -> IncomingFile {
        let overview: Overview =
            serde_json::from_value(serde_json::json!({ "fileTransferId": Uuid::nil(), "fileName": raw })).unwrap();
        IncomingFile {
            id: Uuid::nil(),
            environment: Environment::Sandbox,
            overview,
            phase: if saved.is_some() { InboxPhase::Saved } else { InboxPhase::New },
            saved_path: saved.map(std::path::PathBuf::from),
            error: None,
            first_seen: "2026-01-01T00:00:00Z".into(),
            org: String::new(),
        }
    }

    /// "rapport\u{202E}fdp.exe" reads as "rapportexe.pdf": the UI gets the
    /// cleaned name (and its risk) to show instead.
    #[test]
    fn the_inbox_shows_the_cleaned_name_and_its_risk() {
        let v = view(incoming("rapport\u{202E}fdp.exe", None));
        assert!(!v.display_name.contains('\u{202E}'), "{:?}", v.display_name);
        assert!(v.display_name.ends_with(".exe"), "{:?}", v.display_name);
        assert_eq!(v.risk.map(|r| r.level), Some(RiskLevel::Refuse));
        // Once saved, the name on disk (which may carry a " (2)").
        let v = view(incoming("brev.pdf", Some("/home/u/Nedlastinger/brev (2).pdf")));
        assert_eq!((v.display_name.as_str(), v.risk), ("brev (2).pdf", None));
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["displayName"], "brev (2).pdf");
    }

    #[test]
    fn programs_are_never_opened_and_macros_only_when_confirmed() {
        let p = std::path::Path::new;
        assert_eq!(check_open(p("/d/x.exe"), true).unwrap_err().code, ErrorCode::OpenRefused);
        assert_eq!(check_open(p("/d/x.lnk"), false).unwrap_err().code, ErrorCode::OpenRefused);
        assert_eq!(check_open(p("/d/x.xlsm"), false).unwrap_err().code, ErrorCode::OpenNeedsConfirmation);
        check_open(p("/d/x.xlsm"), true).unwrap();
        check_open(p("/d/x.pdf"), false).unwrap();
    }
}
