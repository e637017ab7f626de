//! The transfer event bus: what the open windows hear about sending and
//! receiving. Each window opens a Tauri [`Channel`] with `transfers_watch`;
//! the background services report through [`EventSink`], which sends to every
//! channel still open.

use super::picked::PickedFile;
use budbringer_core::error::AppError;
use budbringer_core::sync::Locked;
use budbringer_core::transfers::inbox::RefreshReport;
use budbringer_core::transfers::progress::Progress;
use budbringer_core::transfers::send::{SendJob, SendUpdate};
use budbringer_runtime::services::EventSink;
use serde::Serialize;
use std::sync::Mutex;
use tauri::ipc::Channel;
use ts_rs::TS;
use uuid::Uuid;

/// What the UI hears about transfers.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum TransferEvent {
    /// A send job changed or made progress.
    #[serde(rename_all = "camelCase")]
    Send { job: Box<SendJob>, progress: Option<Progress> },
    /// The inbox was refreshed.
    #[serde(rename_all = "camelCase")]
    Inbox { report: RefreshReport },
    /// A received file is downloading.
    #[serde(rename_all = "camelCase")]
    Download { id: Uuid, done: u64, total: u64 },
    /// The inbox could not be refreshed (it will try again by itself).
    #[serde(rename_all = "camelCase")]
    InboxError { error: AppError },
    /// Files were dropped on the window: the Send page takes them.
    #[serde(rename_all = "camelCase")]
    FilesDropped { files: Vec<PickedFile> },
}

/// The channels of the open windows.
#[derive(Default)]
pub struct Watchers(Mutex<Vec<Channel<TransferEvent>>>);

impl Watchers {
    /// Adds a window's channel; it is dropped once it stops receiving.
    pub fn watch(&self, channel: Channel<TransferEvent>) {
        self.0.locked().push(channel);
    }

    pub fn emit(&self, e: TransferEvent) {
        let mut list = self.0.locked();
        list.retain(|c| c.send(e.clone()).is_ok());
    }
}

impl EventSink for Watchers {
    fn send_update(&self, u: SendUpdate) {
        self.emit(TransferEvent::Send { job: Box::new(u.job), progress: u.progress });
    }
    fn inbox_refreshed(&self, report: &RefreshReport) {
        self.emit(TransferEvent::Inbox { report: report.clone() });
    }
    fn inbox_failed(&self, error: AppError) {
        self.emit(TransferEvent::InboxError { error });
    }
    fn download_progress(&self, id: Uuid, done: u64, total: u64) {
        self.emit(TransferEvent::Download { id, done, total });
    }
}
