//! The Tauri application: window, plugins, state and command registration.

use crate::commands;
use budbringer_core::logging;
use budbringer_runtime::state::AppState;
use std::path::PathBuf;
use tauri::Manager;

/// Where the app keeps its data and logs. `BUDBRINGER_DATA_DIR` moves both
/// (tests and portable installs use it); otherwise the platform's folders.
fn folders<R: tauri::Runtime>(app: &tauri::App<R>) -> tauri::Result<(PathBuf, PathBuf)> {
    if let Some(dir) = std::env::var_os("BUDBRINGER_DATA_DIR").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        return Ok((dir.join("data"), dir.join("logs")));
    }
    Ok((app.path().app_data_dir()?, app.path().app_log_dir()?))
}

pub fn run() {
    tauri::Builder::default()
        .plugin(tauri_plugin_store::Builder::default().build())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .manage(commands::transfers::Watchers::default())
        .setup(|app| {
            let (data_dir, log_dir) = folders(app)?;
            std::fs::create_dir_all(&data_dir)?;
            std::fs::create_dir_all(&log_dir)?;
            let guard = logging::init(&log_dir);
            app.manage(guard);
            tracing::info!(version = env!("CARGO_PKG_VERSION"), data = %data_dir.display(), "Budbringer starting");
            let settings = commands::load_settings(app.handle(), &data_dir);
            let environment = settings.environment;
            app.manage(budbringer_core::altinn::ProfileStore::open(&data_dir));
            app.manage(AppState::new(settings, data_dir, log_dir));
            if environment == budbringer_core::environment::Environment::Sandbox {
                // Start the practice sandbox now, so the first screen can use it at once.
                let state = app.state::<AppState>();
                if let Err(e) = tauri::async_runtime::block_on(state.sandbox()) {
                    tracing::error!(error = %e, "practice sandbox did not start");
                }
            }
            commands::transfers::start_queue(app.handle());
            commands::transfers::start_inbox_poller(app.handle());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::set_language,
            commands::set_environment,
            commands::set_poll_interval,
            commands::set_download_dir,
            commands::set_auto_save,
            commands::set_upload_tuning,
            commands::transfers::transfers_watch,
            commands::transfers::send_files,
            commands::transfers::send_list,
            commands::transfers::send_pause,
            commands::transfers::send_resume,
            commands::transfers::send_cancel,
            commands::transfers::send_retry,
            commands::transfers::send_retry_all,
            commands::transfers::send_clear_finished,
            commands::transfers::send_refresh_receipt,
            commands::transfers::inbox_list,
            commands::transfers::inbox_refresh,
            commands::transfers::inbox_download,
            commands::transfers::inbox_open,
            commands::transfers::inbox_reveal,
            commands::transfers::pick_files,
            commands::transfers::pick_folder,
            commands::transfers::practice_use_org,
            commands::auth::auth_get_profiles,
            commands::auth::auth_get_profile,
            commands::auth::auth_save_profile,
            commands::auth::auth_generate_key,
            commands::auth::auth_import_key,
            commands::auth::auth_public_key,
            commands::auth::auth_set_api_key,
            commands::auth::auth_clear_api_key,
            commands::auth::auth_register_system,
            commands::auth::auth_request_system_user,
            commands::auth::auth_system_user_status,
            commands::auth::auth_connection_test,
        ])
        .run(tauri::generate_context!())
        .expect("Budbringer could not start its window");
}
