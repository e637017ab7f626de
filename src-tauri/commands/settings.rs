//! The Settings page (and what the shell needs to draw itself): the settings
//! are checked by `budbringer_core::settings` and saved (atomically, by
//! `budbringer_core::settings::file`) before they become the app's. The
//! window never reads or writes the file itself.

use crate::services::picked::Picked;
use budbringer_core::environment::Environment;
use budbringer_core::error::{AppError, AppResult, ErrorCode};
use budbringer_core::network::{ProxySettings, PROXY_PASSWORD_SECRET};
use budbringer_core::secrets::Secret;
use budbringer_core::settings::{proxy::parse_proxy, Language, Settings};
use budbringer_runtime::state::AppState;
use serde::Serialize;
use std::sync::Arc;
use tauri::State;
use ts_rs::TS;
use uuid::Uuid;

/// What the shell needs to draw itself.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: &'static str,
    pub settings: Settings,
    /// Which keyring holds the secrets (`secret-service`, `kernel-keyring`, `memory`, …).
    pub secret_store: &'static str,
    /// Whether the secret store survives a restart of the computer: false for
    /// the Linux kernel keyring and the memory store, which the UI must not
    /// call safe storage (issue 12).
    pub secret_store_durable: bool,
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
        secret_store_durable: state.secrets.durable(),
        secret_store_problem: state.secret_store_problem.clone(),
        sandbox_url: state.sandbox_base_url(),
        store_problem: state.store_problem.clone(),
    }
}

#[tauri::command]
pub fn set_language(state: State<'_, Arc<AppState>>, language: String) -> AppResult<Settings> {
    let language = Language::parse(&language)?;
    update_settings(&state, |s| {
        s.language = language;
        Ok(())
    })
}

#[tauri::command]
pub async fn set_environment(state: State<'_, Arc<AppState>>, environment: Environment) -> AppResult<Settings> {
    if environment == Environment::Sandbox {
        state.sandbox().await?;
    }
    update_settings(&state, |s| {
        s.environment = environment;
        Ok(())
    })
}

/// Where received files are saved: `folder` is the handle of a folder the
/// user picked in the folder dialog ([`Picked`]); none means the default folder.
#[tauri::command]
pub fn set_download_dir(
    state: State<'_, Arc<AppState>>,
    picked: State<'_, Arc<Picked>>,
    folder: Option<Uuid>,
) -> AppResult<Settings> {
    let path = folder.map(|h| picked.folder(h)).transpose()?.map(|p| p.to_string_lossy().into_owned());
    update_settings(&state, |s| s.set_download_dir(path))
}

#[tauri::command]
pub fn set_auto_save(state: State<'_, Arc<AppState>>, enabled: bool) -> AppResult<Settings> {
    update_settings(&state, |s| {
        s.auto_save = enabled;
        Ok(())
    })
}

/// When files go through resumable TUS uploads, and in what chunk size.
#[tauri::command]
pub fn set_upload_tuning(
    state: State<'_, Arc<AppState>>,
    tus_threshold_mib: u32,
    chunk_mib: u32,
) -> AppResult<Settings> {
    let s = update_settings(&state, |s| s.set_upload_tuning(tus_threshold_mib, chunk_mib))?;
    if let Ok(q) = state.queue() {
        q.set_settings(s.upload_settings());
    }
    Ok(s)
}

#[tauri::command]
pub fn set_poll_interval(state: State<'_, Arc<AppState>>, seconds: u32) -> AppResult<Settings> {
    update_settings(&state, |s| s.set_poll_interval(seconds))
}

/// How connections reach the internet: `proxy` `None` (or "system") for the
/// system's proxy, "none" for none, or a URL (`budbringer_core::network`),
/// with the hosts reached without it and the user name it asks for.
/// `password` goes to the keyring only: absent keeps the stored one, empty
/// removes it.
#[tauri::command]
pub fn set_proxy(
    state: State<'_, Arc<AppState>>,
    proxy: Option<String>,
    no_proxy: Option<String>,
    proxy_user: Option<String>,
    password: Option<String>,
) -> AppResult<Settings> {
    let proxy = proxy
        .as_deref()
        .map(parse_proxy)
        .transpose()
        .map_err(|e| AppError::new(ErrorCode::ProxyInvalid).with_detail(e.detail.unwrap_or_default()))?;
    let proxy = proxy.flatten();
    let trimmed = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let (no_proxy, proxy_user) = (trimmed(no_proxy), trimmed(proxy_user));
    let mut next = state.settings();
    (next.proxy, next.no_proxy, next.proxy_user) = (proxy, no_proxy, proxy_user);
    ProxySettings::from_settings(&next).validate()?;
    match password {
        Some(p) if p.is_empty() || next.proxy_user.is_none() => state.secrets.delete(PROXY_PASSWORD_SECRET)?,
        Some(p) => state.secrets.set(PROXY_PASSWORD_SECRET, &Secret::new(p))?,
        None => {}
    }
    let s = update_settings(&state, |s| {
        (s.proxy, s.no_proxy, s.proxy_user) = (next.proxy, next.no_proxy, next.proxy_user);
        Ok(())
    })?;
    // Clients take the proxy when they are made.
    state.forget_clients();
    Ok(s)
}

/// Applies a change, saves it, and only then makes it the app's settings.
pub(crate) fn update_settings(
    state: &AppState,
    change: impl FnOnce(&mut Settings) -> AppResult<()>,
) -> AppResult<Settings> {
    let mut guard = state.settings.write().map_err(|_| AppError::internal("settings lock poisoned"))?;
    let mut next = guard.clone();
    change(&mut next)?;
    budbringer_core::settings::file::save(&state.data_dir, &next)?;
    *guard = next.clone();
    Ok(next)
}
