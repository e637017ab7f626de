//! The background services, as the window runs them: the work is in
//! `budbringer_runtime::services` (send-queue start-up, the inbox poller);
//! here it is started on Tauri's runtime and wired to the windows' event bus
//! ([`events`]) and to desktop notifications ([`notifications`]).

pub mod events;
pub mod notifications;
pub mod picked;

use budbringer_runtime::services::{inbox, queue, EventSink, Notifier};
use budbringer_runtime::state::AppState;
use events::{TransferEvent, Watchers};
use picked::Picked;
use std::path::PathBuf;
use std::sync::Arc;
use tauri::{AppHandle, Manager, Runtime};

/// Where the services report: the open windows.
pub fn events<R: Runtime>(app: &AppHandle<R>) -> Arc<dyn EventSink> {
    app.state::<Arc<Watchers>>().inner().clone()
}

/// How the services reach the user outside the window.
pub fn notifier<R: Runtime>(app: &AppHandle<R>) -> Arc<dyn Notifier> {
    Arc::new(notifications::Desktop(app.clone()))
}

/// Starts the send queue (restarting unfinished jobs) and the inbox poller.
pub fn start<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<Arc<AppState>>().inner().clone();
    // The queue runs its jobs on the runtime it is made in: Tauri's.
    tauri::async_runtime::block_on(async { queue::start(&state, events(app)) });
    tauri::async_runtime::spawn(inbox::poll(state, events(app), notifier(app)));
}

/// Files dropped on the window (Tauri's native drag-and-drop event, never
/// the page's): recorded as the user's choice, and the windows told
/// ([`TransferEvent::FilesDropped`]) with handles for the Send page.
pub fn dropped<R: Runtime>(app: &AppHandle<R>, paths: Vec<PathBuf>) {
    let files = app.state::<Arc<Picked>>().add_files(paths);
    if !files.is_empty() {
        app.state::<Arc<Watchers>>().emit(TransferEvent::FilesDropped { files });
    }
}
