//! The inboxes of the active environment's organisations: one look for new
//! files for each (the poller's and the "check now" button's), the poller
//! that repeats it, downloads, and the files saved on this computer.

use super::sink::{EventSink, Notifier};
use crate::locale;
use crate::state::AppState;
use budbringer_core::altinn::Profile;
use budbringer_core::error::{AppError, AppResult, ErrorCode};
use budbringer_core::orgnumber::OrgNumber;
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

/// The inbox of `profile`'s organisation. Each look spends `share` of the
/// poll interval's part of Broker's rate limits.
pub fn of(state: &AppState, profile: &Profile, share: u32) -> Inbox {
    let limits = Limits::for_interval(state.settings().poll_interval_secs / share.max(1));
    Inbox::new(state.store.clone(), profile.environment, &profile.org_number).with_limits(limits)
}

/// The active organisation's inbox in the active environment, and its profile.
pub fn active(state: &AppState) -> (Inbox, Profile) {
    let profile = state.profiles.get(state.settings().environment);
    (of(state, &profile, 1), profile)
}

/// [`active`], telling `events` how downloads progress.
fn reporting(state: &AppState, events: &Arc<dyn EventSink>) -> (Inbox, Profile) {
    let (inbox, profile) = active(state);
    (with_progress(inbox, events), profile)
}

fn with_progress(inbox: Inbox, events: &Arc<dyn EventSink>) -> Inbox {
    let events = events.clone();
    inbox.with_progress(Arc::new(move |id, done, total| events.download_progress(id, done, total)))
}

/// The organisations of the active environment that can receive: the poller
/// looks for files for each of them.
pub fn receiving(state: &AppState) -> Vec<Profile> {
    let env = state.settings().environment;
    state.profiles.list(env).into_iter().filter(|p| p.missing().is_empty()).collect()
}

/// Looks for new files once for every organisation that can receive; with
/// auto-save on, saves and confirms them. New files get one desktop notice
/// per organisation and look, naming the organisation when there are several.
///
/// Rate limits count per Maskinporten integration (or per subscription key,
/// docs/ALTINN.md#rate-limits), and several organisations may share one (a
/// system acting for several through system users, one API key): the look of
/// each takes an equal part of the interval's share, so all of them together
/// stay within what one poller may spend.
pub async fn refresh(
    state: &AppState,
    events: &Arc<dyn EventSink>,
    notifier: &dyn Notifier,
) -> Result<RefreshReport, RefreshError> {
    let orgs = receiving(state);
    if orgs.is_empty() {
        return Err(RefreshError::NotReady);
    }
    let share = orgs.len() as u32;
    let mut all = RefreshReport::default();
    let mut failure = None;
    let mut succeeded = false;
    for profile in &orgs {
        match refresh_org(state, events, notifier, profile, share, orgs.len() > 1).await {
            Ok(r) => {
                succeeded = true;
                all.new.extend(r.new);
                all.auto_saved.extend(r.auto_saved);
                all.failed.extend(r.failed);
                all.expiring_soon += r.expiring_soon;
                all.more |= r.more;
            }
            // One organisation's problem (its key, its access) does not stop the others'.
            Err(e) => {
                tracing::warn!(org = %profile.org_number, code = ?e.error.code, "inbox look failed");
                if orgs.len() > 1 {
                    events.inbox_failed(e.error.clone());
                }
                failure.get_or_insert(e);
            }
        }
    }
    match failure {
        Some(e) if !succeeded => Err(RefreshError::Failed(e)),
        _ => {
            events.inbox_refreshed(&all);
            Ok(all)
        }
    }
}

/// One organisation's look.
async fn refresh_org(
    state: &AppState,
    events: &Arc<dyn EventSink>,
    notifier: &dyn Notifier,
    profile: &Profile,
    share: u32,
    name_it: bool,
) -> Result<RefreshReport, CallError> {
    let client = state.client_for(profile.environment, &profile.org_number).await?;
    let broker = Broker::new(client);
    let inbox = with_progress(of(state, profile, share), events);
    let auto = state.settings().auto_save.then(|| state.download_folder());
    let report = inbox.refresh(&broker, &profile.resource_ids, auto.as_deref()).await?;
    if !report.new.is_empty() {
        let (title, mut body) = locale::new_files_notice(state.settings().language, report.new.len());
        if name_it {
            body = format!("{body} {}", org_label(state, &profile.org_number).await);
        }
        notifier.notify(&title, &body);
    }
    Ok(report)
}

/// "Name (123 456 789)", or the number alone when no name is known.
async fn org_label(state: &AppState, org: &str) -> String {
    let spaced = match OrgNumber::parse(org).map(|o| o.digits()) {
        Ok(d) => format!("{} {} {}", &d[..3], &d[3..6], &d[6..]),
        Err(_) => org.to_owned(),
    };
    match crate::names::orgs(state, &[org.to_owned()]).await.ok().and_then(|v| v.into_iter().next()?.name) {
        Some(name) => format!("{name} ({spaced})"),
        None => spaced,
    }
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
