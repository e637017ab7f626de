//! The Settings page (and what the shell needs to draw itself): the settings
//! are checked by `budbringer_core::settings` and saved here, through
//! tauri-plugin-store, before they become the app's.

use budbringer_core::environment::Environment;
use budbringer_core::error::{AppError, AppResult, ErrorCode};
use budbringer_core::settings::{Language, Settings};
use budbringer_runtime::state::AppState;
use serde::Serialize;
use std::sync::Arc;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_store::StoreExt;
use ts_rs::TS;

const SETTINGS_FILE: &str = "settings.json";
const SETTINGS_KEY: &str = "settings";

/// What the shell needs to draw itself.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: &'static str,
    pub settings: Settings,
    /// Which keyring holds the secrets (`secret-service`, `kernel-keyring`, `memory`, …).
    pub secret_store: &'static str,
    /// Why no OS keyring could be used, when that is the case.
    pub secret_store_problem: Option<AppError>,
    /// Where the embedded practice sandbox listens, once started.
    pub sandbox_url: Option<String>,
    /// Set when the local history was damaged and set aside at start.
    pub store_problem: Option<AppError>,
}

#[tauri::command]
pub fn app_info(state: State<'_, Arc<AppState>>) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        settings: state.settings(),
        secret_store: state.secrets.backend(),
        secret_store_problem: state.secret_store_problem.clone(),
        sandbox_url: state.sandbox_base_url(),
        store_problem: state.store_problem.clone(),
    }
}

#[tauri::command]
pub fn set_language<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, Arc<AppState>>,
    language: String,
) -> AppResult<Settings> {
    let language = Language::parse(&language)?;
    update_settings(&app, &state, |s| {
        s.language = language;
        Ok(())
    })
}

#[tauri::command]
pub async fn set_environment<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, Arc<AppState>>,
    environment: Environment,
) -> AppResult<Settings> {
    if environment == Environment::Sandbox {
        state.sandbox().await?;
    }
    update_settings(&app, &state, |s| {
        s.environment = environment;
        Ok(())
    })
}

/// Where received files are saved (an empty value means the default folder).
#[tauri::command]
pub fn set_download_dir<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, Arc<AppState>>,
    path: Option<String>,
) -> AppResult<Settings> {
    update_settings(&app, &state, |s| s.set_download_dir(path))
}

#[tauri::command]
pub fn set_auto_save<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, Arc<AppState>>,
    enabled: bool,
) -> AppResult<Settings> {
    update_settings(&app, &state, |s| {
        s.auto_save = enabled;
        Ok(())
    })
}

/// When files go through resumable TUS uploads, and in what chunk size.
#[tauri::command]
pub fn set_upload_tuning<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, Arc<AppState>>,
    tus_threshold_mib: u32,
    chunk_mib: u32,
) -> AppResult<Settings> {
    let s = update_settings(&app, &state, |s| s.set_upload_tuning(tus_threshold_mib, chunk_mib))?;
    if let Ok(q) = state.queue() {
        q.set_settings(s.upload_settings());
    }
    Ok(s)
}

#[tauri::command]
pub fn set_poll_interval<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, Arc<AppState>>,
    seconds: u32,
) -> AppResult<Settings> {
    update_settings(&app, &state, |s| s.set_poll_interval(seconds))
}

/// Applies a change, saves it, and only then makes it the app's settings.
pub(crate) fn update_settings<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    change: impl FnOnce(&mut Settings) -> AppResult<()>,
) -> AppResult<Settings> {
    let mut guard = state.settings.write().map_err(|_| AppError::internal("settings lock poisoned"))?;
    let mut next = guard.clone();
    change(&mut next)?;
    save_settings(app, state, &next)?;
    *guard = next.clone();
    Ok(next)
}

fn settings_err(e: impl std::fmt::Display) -> AppError {
    AppError::new(ErrorCode::SettingsFailed).with_detail(e.to_string())
}

pub fn load_settings<R: Runtime>(app: &AppHandle<R>, data_dir: &std::path::Path) -> Settings {
    match app.store(data_dir.join(SETTINGS_FILE)) {
        // No saved settings yet: a first start, with the machine's defaults file applied.
        Ok(store) => Settings::load_or_first_start(store.get(SETTINGS_KEY).as_ref()),
        Err(e) => {
            tracing::warn!(error = %e, "settings store could not be opened; using defaults");
            Settings::default()
        }
    }
}

fn save_settings<R: Runtime>(app: &AppHandle<R>, state: &AppState, settings: &Settings) -> AppResult<()> {
    let store = app.store(state.data_dir.join(SETTINGS_FILE)).map_err(settings_err)?;
    store.set(SETTINGS_KEY, serde_json::to_value(settings).map_err(settings_err)?);
    store.save().map_err(settings_err)
}
