//! The main window, which every way back (a second start, the tray icon, a
//! notification click) brings forward.

use tauri::{AppHandle, Manager, Runtime, WebviewWindow};

/// The window every action brings back.
pub const MAIN_WINDOW: &str = "main";

/// Brings the main window forward: shown, not minimised, focused.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window(MAIN_WINDOW) {
        bring_forward(&w);
    }
}

fn bring_forward<R: Runtime>(w: &WebviewWindow<R>) {
    let _ = w.show();
    let _ = w.unminimize();
    let _ = w.set_focus();
}
