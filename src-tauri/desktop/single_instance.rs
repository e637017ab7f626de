//! One running Budbringer per user: a second start (a double click on the
//! shortcut while it runs in the notification area, or a start at login after
//! a manual one) brings the existing window forward and exits. Two instances
//! would poll the same inbox and write the same database.

use tauri::{plugin::TauriPlugin, Runtime};

pub fn plugin<R: Runtime>() -> TauriPlugin<R> {
    tauri_plugin_single_instance::init(|app, _args, _cwd| super::window::show_main(app))
}
