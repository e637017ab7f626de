//! Behaving like a desktop program: one running instance, an optional icon in
//! the notification area that keeps the inbox watching while the window is
//! closed, start at login, and notifications that bring the window back.
//!
//! The decisions ([`close_action`], [`start_hidden`]) are plain functions, tested
//! headless; the rest registers Tauri plugins and reacts to their events.

pub mod autostart;
pub mod single_instance;
pub mod tray;
pub mod window;

use crate::commands::settings::update_settings;
use budbringer_core::error::AppResult;
use budbringer_core::settings::Settings;
use budbringer_runtime::state::AppState;
use std::sync::Arc;
use tauri::{AppHandle, Manager, Runtime, State, WindowEvent};
use window::{show_main, MAIN_WINDOW};

/// What closing the window does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseAction {
    /// Hide it; the app keeps running from the notification area.
    Hide,
    /// Close it, and with it the app.
    Close,
}

/// With the tray icon on, closing hides the window (the inbox keeps watching);
/// without it, closing quits as in any program.
pub fn close_action(settings: &Settings) -> CloseAction {
    if settings.tray {
        CloseAction::Hide
    } else {
        CloseAction::Close
    }
}

/// Start without showing the window only when started at login (our own
/// argument) and there is a tray icon to open it from.
pub fn start_hidden(args: &[String], settings: &Settings) -> bool {
    settings.tray && args.iter().any(|a| a == autostart::AT_LOGIN_ARG)
}

/// Whether this run guards the single instance: a run with its own data
/// folder (`BUDBRINGER_DATA_DIR`: tests, portable use) shares nothing with
/// the installed app and is an instance of its own.
pub fn single_instance_applies(data_dir_override: Option<&std::ffi::OsStr>) -> bool {
    data_dir_override.is_none_or(|d| d.is_empty())
}

/// Registers the plugins; call before any other plugin (single instance must be first).
pub fn plugins<R: Runtime>(mut builder: tauri::Builder<R>) -> tauri::Builder<R> {
    let data_dir = std::env::var_os(budbringer_core::settings::paths::DATA_DIR_ENV);
    if single_instance_applies(data_dir.as_deref()) {
        builder = builder.plugin(single_instance::plugin());
    }
    builder.plugin(autostart::plugin()).on_window_event(|window, event| {
        if let WindowEvent::CloseRequested { api, .. } = event {
            let tray = window.try_state::<Arc<AppState>>().map(|s| s.settings());
            if tray.is_some_and(|s| close_action(&s) == CloseAction::Hide) {
                api.prevent_close();
                let _ = window.hide();
            }
        }
    })
}

/// At start: the tray icon (when chosen), start at login as the settings say,
/// a hidden window when started at login, and notification clicks.
pub fn setup<R: Runtime>(app: &AppHandle<R>, settings: &Settings) {
    if settings.tray {
        tray::show(app, settings.language);
    }
    autostart::apply(app, settings.start_at_login);
    let args: Vec<String> = std::env::args().collect();
    if start_hidden(&args, settings) {
        if let Some(w) = app.get_webview_window(MAIN_WINDOW) {
            let _ = w.hide();
        }
    }
    notification_clicks(app);
}

/// A click on one of our notifications brings the window back (on Windows only
/// while the toast is on screen, not from the Action Center).
fn notification_clicks<R: Runtime>(app: &AppHandle<R>) {
    use tauri_plugin_notification::NotificationExt;
    let handle = app.clone();
    let _ = app.notification().on_action(move |_| show_main(&handle));
}

/// Turns the tray icon and start at login on or off, and saves the choice.
#[tauri::command]
pub fn set_background<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, Arc<AppState>>,
    tray: bool,
    start_at_login: bool,
) -> AppResult<Settings> {
    autostart::set(&app, start_at_login)?;
    let s = update_settings(&state, |s| {
        s.tray = tray;
        s.start_at_login = start_at_login;
        Ok(())
    })?;
    if tray {
        tray::show(&app, s.language);
    } else {
        tray::remove(&app);
        // Without an icon there is no way back to a hidden window.
        show_main(&app);
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_with_its_own_data_folder_is_its_own_instance() {
        assert!(single_instance_applies(None));
        assert!(single_instance_applies(Some(std::ffi::OsStr::new(""))));
        assert!(!single_instance_applies(Some(std::ffi::OsStr::new("/tmp/bb-test"))));
    }

    #[test]
    fn closing_hides_only_with_a_tray_icon() {
        let mut s = Settings::default();
        assert_eq!(close_action(&s), CloseAction::Close);
        s.tray = true;
        assert_eq!(close_action(&s), CloseAction::Hide);
    }

    #[test]
    fn only_a_start_at_login_with_a_tray_icon_starts_hidden() {
        let mut s = Settings::default();
        let at_login = vec!["budbringer".to_owned(), autostart::AT_LOGIN_ARG.to_owned()];
        let by_hand = vec!["budbringer".to_owned()];
        assert!(!start_hidden(&at_login, &s), "no tray icon: the window must show");
        s.tray = true;
        assert!(start_hidden(&at_login, &s));
        assert!(!start_hidden(&by_hand, &s));
    }
}
