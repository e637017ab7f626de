//! The icon in the notification area, when chosen in Settings: open the
//! window (also with a click on the icon) or quit. The inbox keeps watching
//! while the window is hidden.

use budbringer_core::settings::Language;
use budbringer_runtime::locale::text;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Runtime};

const TRAY_ID: &str = "budbringer";

/// Shows the icon (again, in `lang`).
pub fn show<R: Runtime>(app: &AppHandle<R>, lang: Language) {
    remove(app);
    if let Err(e) = build(app, lang) {
        tracing::warn!(error = %e, "tray icon not shown");
    }
}

pub fn remove<R: Runtime>(app: &AppHandle<R>) {
    let _ = app.remove_tray_by_id(TRAY_ID);
}

fn build<R: Runtime>(app: &AppHandle<R>, lang: Language) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, "open", text(lang, "tray.open", &[]), true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", text(lang, "tray.quit", &[]), true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &quit])?;
    let mut tray = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip(text(lang, "tray.tooltip", &[]))
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id.as_ref() {
            "open" => super::window::show_main(app),
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|icon, event| {
            if let TrayIconEvent::Click { button: MouseButton::Left, button_state: MouseButtonState::Up, .. } = event {
                super::window::show_main(icon.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    Ok(())
}
