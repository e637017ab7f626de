//! The `#[tauri::command]`s, one file per page. They only translate: read the
//! arguments, call `budbringer-runtime` or `budbringer-core`, and shape the
//! answer for the UI. `app.rs` registers them.

pub mod dialogs;
pub mod inbox;
pub mod names;
pub mod practice;
pub mod receipts;
pub mod send;
pub mod sent;
pub mod settings;
pub mod setup;
pub mod startup;
#[cfg(debug_assertions)]
pub mod testing;

use crate::services::events::{TransferEvent, Watchers};
use budbringer_core::error::{AppError, AppResult};
use std::sync::Arc;
use tauri::ipc::Channel;
use tauri::State;

/// Runs `work` on a thread for blocking work (files, the keyring, the
/// database, key generation), so that neither the main thread nor the async
/// workers wait on it. A panic in it becomes INTERNAL.
pub(crate) async fn blocking<T: Send + 'static>(work: impl FnOnce() -> AppResult<T> + Send + 'static) -> AppResult<T> {
    tauri::async_runtime::spawn_blocking(work).await.map_err(|e| AppError::internal(e.to_string()))?
}

/// Opens a window's channel for transfer events (sending and receiving).
#[tauri::command]
pub fn transfers_watch(watchers: State<'_, Arc<Watchers>>, on_event: Channel<TransferEvent>) {
    watchers.watch(on_event);
}
