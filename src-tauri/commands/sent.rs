//! The Sent page: the list refreshed and receipts opened within Altinn's
//! limits ([`budbringer_runtime::services::sent`]).

use budbringer_core::error::{AppError, AppResult};
use budbringer_core::transfers::send::SendJob;
use budbringer_runtime::services::sent::{OpenedReceipt, SentLists, SentRefresh};
use budbringer_runtime::state::AppState;
use serde::Serialize;
use std::sync::Arc;
use tauri::State;
use ts_rs::TS;
use uuid::Uuid;

/// What a refresh of the Sent list did.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SentRefreshReport {
    /// Transfers asked about now.
    pub checked: u32,
    /// Of those, whose status had changed.
    pub changed: u32,
    /// Final transfers with a stored receipt: not asked.
    pub final_skipped: u32,
    /// Transfers left for the next refresh: Altinn's per-minute limit was reached.
    pub waiting: u32,
    /// Seconds until there is room again, if something waits.
    pub retry_in_secs: Option<u32>,
    /// The first error met (the rest of the list still went on).
    pub error: Option<AppError>,
}

/// A receipt for the Sent page's dialog.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SentReceipt {
    pub job: SendJob,
    /// The details came from Altinn now (false: the stored receipt).
    pub fetched: bool,
    /// Altinn's limit kept the details from being fetched now: seconds until they can be.
    pub retry_in_secs: Option<u32>,
}

fn secs(s: Option<u64>) -> Option<u32> {
    s.map(|s| u32::try_from(s).unwrap_or(u32::MAX))
}

impl From<SentRefresh> for SentRefreshReport {
    fn from(r: SentRefresh) -> Self {
        SentRefreshReport {
            checked: r.checked,
            changed: r.changed,
            final_skipped: r.final_skipped,
            waiting: r.waiting,
            retry_in_secs: secs(r.retry_in_secs),
            error: r.error,
        }
    }
}

impl From<OpenedReceipt> for SentReceipt {
    fn from(r: OpenedReceipt) -> Self {
        SentReceipt { job: r.job, fetched: r.fetched, retry_in_secs: secs(r.retry_in_secs) }
    }
}

/// Refreshes the statuses of sent transfers that can still change, within the budget.
#[tauri::command]
pub async fn sent_refresh(
    state: State<'_, Arc<AppState>>,
    lists: State<'_, Arc<SentLists>>,
) -> AppResult<SentRefreshReport> {
    Ok(lists.refresh(&state).await?.into())
}

/// A receipt with its full history: stored when complete, else fetched (within the budget).
#[tauri::command]
pub async fn sent_open_receipt(
    state: State<'_, Arc<AppState>>,
    lists: State<'_, Arc<SentLists>>,
    id: Uuid,
) -> AppResult<SentReceipt> {
    Ok(lists.open_receipt(&state, id).await?.into())
}
