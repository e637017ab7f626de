//! Start at login, per user and without administrator rights: the
//! `HKCU\...\Run` key on Windows, a LaunchAgent on macOS, an XDG autostart
//! entry on Linux (tauri-plugin-autostart). The window gets no permission for
//! the plugin: only [`set`], from the `set_background` command, changes it.

use budbringer_core::error::{AppError, AppResult, ErrorCode};
use tauri::{plugin::TauriPlugin, AppHandle, Runtime};
use tauri_plugin_autostart::ManagerExt;

/// The argument a start at login carries, so the app can start hidden.
pub const AT_LOGIN_ARG: &str = "--at-login";

/// On macOS the plugin's default, a LaunchAgent in `~/Library/LaunchAgents`.
pub fn plugin<R: Runtime>() -> TauriPlugin<R> {
    tauri_plugin_autostart::Builder::new().arg(AT_LOGIN_ARG).build()
}

/// Registers or removes the start at login.
pub fn set<R: Runtime>(app: &AppHandle<R>, enabled: bool) -> AppResult<()> {
    let manager = app.autolaunch();
    let result = if enabled { manager.enable() } else { manager.disable() };
    // Disabling what was never enabled is fine.
    match result {
        Ok(()) => Ok(()),
        Err(_) if !enabled && !manager.is_enabled().unwrap_or(true) => Ok(()),
        Err(e) => Err(AppError::new(ErrorCode::SettingsFailed).with_detail(format!("start at login: {e}"))),
    }
}

/// At start: makes the registration match the setting (an installer update
/// may have moved the program, or IT may have preset the setting).
pub fn apply<R: Runtime>(app: &AppHandle<R>, enabled: bool) {
    let registered = app.autolaunch().is_enabled().unwrap_or(false);
    if registered != enabled || enabled {
        if let Err(e) = set(app, enabled) {
            tracing::warn!(error = %e, "start at login could not be changed");
        }
    }
}
