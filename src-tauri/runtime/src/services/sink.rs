//! The two traits the services report through (see the module above).

use budbringer_core::error::AppError;
use budbringer_core::transfers::inbox::RefreshReport;
use budbringer_core::transfers::send::SendUpdate;
use uuid::Uuid;

/// What the services tell whoever watches the transfers.
pub trait EventSink: Send + Sync + 'static {
    /// A send job changed or made progress.
    fn send_update(&self, update: SendUpdate);
    /// The inbox was refreshed.
    fn inbox_refreshed(&self, report: &RefreshReport);
    /// The inbox could not be refreshed (the poller tries again by itself).
    fn inbox_failed(&self, error: AppError);
    /// A received file is downloading: `done` of `total` bytes.
    fn download_progress(&self, id: Uuid, done: u64, total: u64);
}

/// Shows the user a notice outside the window (the texts are translated already).
pub trait Notifier: Send + Sync + 'static {
    fn notify(&self, title: &str, body: &str);
}
