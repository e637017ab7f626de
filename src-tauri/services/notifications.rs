//! Desktop notifications, through tauri-plugin-notification. The texts come
//! translated from the runtime (`budbringer_runtime::locale`).

use budbringer_runtime::services::Notifier;
use tauri::{AppHandle, Runtime};
use tauri_plugin_notification::NotificationExt;

pub struct Desktop<R: Runtime>(pub AppHandle<R>);

impl<R: Runtime> Notifier for Desktop<R> {
    fn notify(&self, title: &str, body: &str) {
        // Not shown (no notification daemon, notifications turned off): the inbox itself still says so.
        if let Err(e) = self.0.notification().builder().title(title).body(body).show() {
            tracing::info!(error = %e, "desktop notification not shown");
        }
    }
}
