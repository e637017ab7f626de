//! The inbox of the active environment: one look for new files (the poller's
//! and the "check now" button's), the poller that repeats it, downloads, and
//! the files saved on this computer.

use super::sink::{EventSink, Notifier};
use crate::locale;
use crate::state::AppState;
use budbringer_core::altinn::Profile;
use budbringer_core::error::{AppError, AppResult, ErrorCode};
use budbringer_core::transfers::broker::{Broker, CallError};
use budbringer_core::transfers::inbox::{Inbox, IncomingFile, RefreshReport};
use budbringer_core::transfers::inbox_scan::Limits;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// The poller's first look, shortly after the app starts.
pub const FIRST_LOOK: Duration = Duration::from_secs(2);

/// Why a look for new files did not happen.
#[derive(Debug)]
pub enum RefreshError {
    /// The active profile cannot receive yet (no organisation, client or resource).
    NotReady,
    Failed(CallError),
}

impl From<RefreshError> for AppError {
    fn from(e: RefreshError) -> Self {
        match e {
            RefreshError::NotReady => AppError::new(ErrorCode::ProfileIncomplete)
                .with_detail("set up the organisation, the Maskinporten client and the resource first"),
            RefreshError::Failed(e) => e.error,
        }
    }
}

/// The active environment's inbox, and the profile it receives for. Each
/// look spends the poll interval's share of Broker's rate limits.
pub fn active(state: &AppState) -> (Inbox, Profile) {
    let settings = state.settings();
    let profile = state.profiles.get(settings.environment);
    let limits = Limits::for_interval(settings.poll_interval_secs);
    (Inbox::new(state.store.clone(), settings.environment, &profile.org_number).with_limits(limits), profile)
}

/// [`active`], telling `events` how downloads progress.
fn reporting(state: &AppState, events: &Arc<dyn EventSink>) -> (Inbox, Profile) {
    let (inbox, profile) = active(state);
    let events = events.clone();
    (inbox.with_progress(Arc::new(move |id, done, total| events.download_progress(id, done, total))), profile)
}

/// Looks for new files once; with auto-save on, saves and confirms them. New
/// files get one desktop notice per look.
pub async fn refresh(
    state: &AppState,
    events: &Arc<dyn EventSink>,
    notifier: &dyn Notifier,
) -> Result<RefreshReport, RefreshError> {
    let settings = state.settings();
    let profile = state.profiles.get(settings.environment);
    if !profile.missing().is_empty() {
        return Err(RefreshError::NotReady);
    }
    let client = state.client(settings.environment).await.map_err(|e| RefreshError::Failed(e.into()))?;
    let broker = Broker::new(client);
    let (inbox, _) = reporting(state, events);
    let auto = settings.auto_save.then(|| state.download_folder());
    let report = inbox.refresh(&broker, &profile.resource_ids, auto.as_deref()).await.map_err(RefreshError::Failed)?;
    if !report.new.is_empty() {
        let (title, body) = locale::new_files_notice(state.settings().language, report.new.len());
        notifier.notify(&title, &body);
    }
    events.inbox_refreshed(&report);
    Ok(report)
}

/// Looks for new files every poll interval, for as long as the app runs.
pub async fn poll(state: Arc<AppState>, events: Arc<dyn EventSink>, notifier: Arc<dyn Notifier>) {
    let mut wait = FIRST_LOOK;
    loop {
        tokio::time::sleep(wait).await;
        let interval = Duration::from_secs(state.settings().poll_interval_secs as u64);
        let outcome = refresh(&state, &events, notifier.as_ref()).await;
        wait = next_wait(&outcome, interval);
        if let Err(RefreshError::Failed(e)) = outcome {
            events.inbox_failed(e.error);
        }
    }
}

/// How long the poller waits after a look: the poll interval, or longer after
/// a failure (as long as Altinn asked, else twice the interval).
pub fn next_wait(outcome: &Result<RefreshReport, RefreshError>, interval: Duration) -> Duration {
    match outcome {
        Ok(_) | Err(RefreshError::NotReady) => interval,
        Err(RefreshError::Failed(e)) => e.retry_after.unwrap_or(interval * 2).max(interval),
    }
}

/// Downloads a file (to `folder`, or the download folder), verifies and saves
/// it, then confirms it to Altinn unless `confirm` is false.
pub async fn download(
    state: &AppState,
    events: &Arc<dyn EventSink>,
    id: Uuid,
    folder: Option<PathBuf>,
    confirm: bool,
) -> AppResult<IncomingFile> {
    let (inbox, profile) = reporting(state, events);
    let broker = Broker::new(state.client(profile.environment).await?);
    let dir = folder.unwrap_or_else(|| state.download_folder());
    inbox.save_and_confirm(&broker, id, &dir, confirm).await.map_err(|e| e.error)
}

/// Where a received file was saved, if it is still there.
pub fn saved_path(state: &AppState, id: Uuid) -> AppResult<PathBuf> {
    let (inbox, _) = active(state);
    inbox
        .get(id)?
        .saved_path
        .filter(|p| p.is_file())
        .ok_or_else(|| AppError::new(ErrorCode::NotFound).with_detail("the file is not saved on this computer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_poller_waits_the_interval_or_as_long_as_altinn_asks() {
        let minute = Duration::from_secs(60);
        let failed = |retry_after: Option<Duration>| {
            Err(RefreshError::Failed(CallError {
                error: AppError::new(ErrorCode::RateLimited),
                transient: true,
                retry_after,
            }))
        };
        assert_eq!(next_wait(&Ok(RefreshReport::default()), minute), minute);
        assert_eq!(next_wait(&Err(RefreshError::NotReady), minute), minute);
        assert_eq!(next_wait(&failed(None), minute), 2 * minute, "a failure without advice: twice the interval");
        assert_eq!(next_wait(&failed(Some(5 * minute)), minute), 5 * minute, "Retry-After is honoured");
        assert_eq!(next_wait(&failed(Some(Duration::from_secs(1))), minute), minute, "never sooner than the interval");
    }
}
