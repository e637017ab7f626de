//! The Tauri application: window, plugins, state and command registration.

#[cfg(debug_assertions)]
use crate::commands::testing;
use crate::commands::{self, dialogs, inbox, names, practice, receipts, send, sent, settings, setup, startup};
use crate::desktop;
use crate::services::{self, events::Watchers, picked::Picked};
use budbringer_core::logging;
use budbringer_core::settings::paths;
use budbringer_runtime::state::AppState;
use std::path::PathBuf;
use std::sync::Arc;
use tauri::{DragDropEvent, Manager, WindowEvent};

/// Where the app keeps its data and logs (`budbringer_core::settings::paths`):
/// `BUDBRINGER_DATA_DIR` moves both; otherwise the platform's folders.
fn folders<R: tauri::Runtime>(app: &tauri::App<R>) -> tauri::Result<(PathBuf, PathBuf)> {
    let f = paths::app_folders(std::env::var_os(paths::DATA_DIR_ENV), || {
        Ok::<_, tauri::Error>((app.path().app_data_dir()?, app.path().app_log_dir()?))
    })?;
    Ok((f.data, f.logs))
}

pub fn run() {
    startup::started();
    // Linux: WebKitGTK's compositing mode is left as WebKit chooses. Forcing
    // WEBKIT_DISABLE_COMPOSITING_MODE=1 saved about 90 MiB PSS under Xvfb, but
    // with it the end-to-end test of the window hung, twice, at the same step of
    // the wizard, and passed without it (docs/BENCHMARKS.md, "compositing mode").
    // Single instance, start at login, close to the tray (src-tauri/desktop/).
    desktop::plugins(tauri::Builder::default())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .manage(Arc::new(Watchers::default()))
        .manage(Arc::new(Picked::default()))
        .manage(Arc::new(budbringer_runtime::services::sent::SentLists::default()))
        .setup(|app| {
            let (data_dir, log_dir) = folders(app)?;
            for dir in [&data_dir, &log_dir] {
                std::fs::create_dir_all(dir)?;
                // The user's own: other users of the computer may not list or read it (docs/SECURITY.md).
                #[cfg(unix)]
                std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
            }
            let guard = logging::init(&log_dir);
            app.manage(guard);
            tracing::info!(version = env!("CARGO_PKG_VERSION"), data = %data_dir.display(), "Budbringer starting");
            let settings = budbringer_core::settings::file::load(&data_dir);
            desktop::setup(app.handle(), &settings);
            // Files dropped on the window become handles here; the page never names a path
            // (services/picked.rs). A listener of the window's own: desktop::plugins has the builder's.
            if let Some(window) = app.get_webview_window("main") {
                let handle = app.handle().clone();
                window.on_window_event(move |event| {
                    if let WindowEvent::DragDrop(DragDropEvent::Drop { paths, .. }) = event {
                        services::dropped(&handle, paths.clone());
                    }
                });
            }
            let downloads = app.path().download_dir().ok();
            let state = Arc::new(AppState::new(settings, data_dir, log_dir).with_system_downloads(downloads));
            app.manage(state.clone());
            if budbringer_runtime::sandbox_start::needed_at_start(&state) {
                // Practice work to go on with: the sandbox first (else it starts on first need).
                if let Err(e) = tauri::async_runtime::block_on(state.sandbox()) {
                    tracing::error!(error = %e, "practice sandbox did not start");
                }
            }
            services::start(app.handle());
            Ok(())
        })
        .invoke_handler(handler())
        .run(tauri::generate_context!())
        .expect("Budbringer could not start its window");
}

/// Every command the window may call, in one list: [`handler`] registers them
/// and the secrets scan (`secrets_scan.rs`) checks that it called each one.
/// `$m` is `generate_handler` or [`command_names`].
macro_rules! with_commands {
    ($m:ident) => {
        $m![
            // Settings (and the shell)
            settings::app_info,
            settings::set_language,
            settings::set_environment,
            settings::set_poll_interval,
            settings::set_download_dir,
            settings::set_auto_save,
            settings::set_upload_tuning,
            desktop::set_background,
            settings::set_proxy,
            startup::app_painted,
            // Names for numbers, on every page
            names::names_orgs,
            names::names_services,
            names::names_search,
            // Transfer events, for the Send, Sent and Inbox pages
            commands::transfers_watch,
            // Send and Sent
            send::send_files,
            send::send_prepare,
            send::send_list,
            send::send_pause,
            send::send_resume,
            send::send_cancel,
            send::send_retry,
            send::send_retry_all,
            send::send_clear_finished,
            send::send_refresh_receipt,
            sent::sent_refresh,
            sent::sent_open_receipt,
            // Inbox
            inbox::inbox_list,
            inbox::inbox_refresh,
            inbox::inbox_download,
            inbox::inbox_open,
            inbox::inbox_reveal,
            // Receipts for the archive as PDF (Sent and Inbox)
            receipts::receipt_save_sent,
            receipts::receipt_save_received,
            // File and folder pickers
            dialogs::pick_files,
            dialogs::pick_folder,
            // The end-to-end test's stand-ins for the dialogs and a drop: debug builds only.
            #[cfg(debug_assertions)]
            testing::e2e_drop_files,
            #[cfg(debug_assertions)]
            testing::e2e_pick_folder,
            #[cfg(debug_assertions)]
            testing::e2e_seed_sent,
            #[cfg(debug_assertions)]
            testing::e2e_seed_inbox,
            #[cfg(debug_assertions)]
            testing::e2e_next_save_path,
            // Setup
            practice::practice_use_org,
            practice::practice_sandbox_url,
            setup::auth_get_profiles,
            setup::orgs_list,
            setup::orgs_switch,
            setup::orgs_add,
            setup::orgs_remove,
            setup::auth_get_profile,
            setup::auth_save_profile,
            setup::auth_generate_key,
            setup::auth_import_key,
            setup::auth_public_key,
            setup::auth_set_api_key,
            setup::auth_clear_api_key,
            setup::auth_register_system,
            setup::auth_request_system_user,
            setup::auth_system_user_status,
            setup::auth_connection_test,
            setup::auth_set_services,
            setup::auth_change_status,
            setup::auth_renew_system_user_request,
            setup::auth_rotation_start,
            setup::auth_rotation_test,
            setup::auth_rotation_finish,
            setup::auth_rotation_cancel,
            setup::auth_export_key_backup,
        ]
    };
}
#[cfg(test)]
pub(crate) use with_commands;

/// The names the commands are invoked by (the functions' names).
#[cfg(test)]
macro_rules! command_names {
    ($($(#[$a:meta])* $module:ident :: $command:ident),* $(,)?) => {{
        // Pushes, not vec![]: each name keeps its command's #[cfg].
        #[allow(clippy::vec_init_then_push)]
        fn names() -> Vec<&'static str> {
            let mut names = Vec::new();
            $( $(#[$a])* names.push(stringify!($command)); )*
            names
        }
        names()
    }};
}
#[cfg(test)]
pub(crate) use command_names;

/// The window's command handler.
pub(crate) fn handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    use tauri::generate_handler;
    with_commands!(generate_handler)
}
