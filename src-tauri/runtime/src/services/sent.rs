//! The Sent page's refresh and receipts, within Altinn's limits
//! (`docs/ALTINN.md#rate-limits`: the gateway allows 15 details and 120
//! overviews a minute per caller).
//!
//! * The list is refreshed with the **overview** (it carries the transfer's
//!   status and each recipient's current status), only for transfers whose
//!   status can still change: a final one whose receipt is stored is never
//!   asked again. The least recently checked go first, so a long list is
//!   covered over a few refreshes instead of in one burst.
//! * The **details** (both status histories) are fetched when a receipt is
//!   opened, unless the stored receipt is already complete and final, or was
//!   fetched within the last minute.
//! * Every call is taken from a [`RateBudget`] per environment and sender:
//!   what does not fit now waits for the next refresh; a 429 holds the
//!   endpoint for its `Retry-After`.

use crate::state::AppState;
use budbringer_core::environment::Environment;
use budbringer_core::error::{AppError, AppResult, ErrorCode};
use budbringer_core::sync::Locked;
use budbringer_core::transfers::broker::{Broker, Details, Overview};
use budbringer_core::transfers::budget::{RateBudget, SENT_DETAILS_PER_MINUTE, SENT_OVERVIEW_PER_MINUTE};
use budbringer_core::transfers::send::{Phase, SendJob};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long a fetched receipt is shown without asking again (not final ones).
pub const DETAILS_FRESH_FOR: Duration = Duration::from_secs(60);

/// Transfer statuses after which nothing changes that a receipt shows.
const FINAL: [&str; 4] = ["AllConfirmedDownloaded", "Purged", "Cancelled", "Failed"];

/// What one refresh of the Sent list did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SentRefresh {
    /// Transfers asked about now.
    pub checked: u32,
    /// Of those, whose status had changed (their receipts are stored and reported).
    pub changed: u32,
    /// Final transfers with a stored receipt: not asked.
    pub final_skipped: u32,
    /// Transfers that did not fit in this minute's budget: the next refresh takes them.
    pub waiting: u32,
    /// When the budget has room again, if something waits.
    pub retry_in_secs: Option<u64>,
    /// The first error (other than the limit) met; the rest of the list still went on.
    pub error: Option<AppError>,
}

/// A receipt as the Sent page shows it.
#[derive(Debug, Clone)]
pub struct OpenedReceipt {
    pub job: SendJob,
    /// The details came from Altinn now (false: the stored receipt).
    pub fetched: bool,
    /// The details could not be fetched now because of Altinn's limit: try again in this many seconds.
    pub retry_in_secs: Option<u64>,
}

/// The Sent page's calls to Altinn: one per app, kept by the window's state.
pub struct SentLists {
    per_minute: (u32, u32),
    budgets: Mutex<HashMap<(Environment, String), Arc<RateBudget>>>,
    /// When each transfer was last checked with the overview.
    checked: Mutex<HashMap<Uuid, Instant>>,
    /// When each receipt's details were last fetched.
    fetched: Mutex<HashMap<Uuid, Instant>>,
}

impl Default for SentLists {
    fn default() -> Self {
        Self::with_budget(SENT_OVERVIEW_PER_MINUTE, SENT_DETAILS_PER_MINUTE)
    }
}

/// True when the transfer's status can no longer change: the list does not ask again.
pub fn is_settled(receipt: &Details) -> bool {
    FINAL.contains(&receipt.overview.status())
}

/// True when the receipt is final and its histories show its current statuses:
/// nothing more to ask Altinn.
pub fn is_final(receipt: &Details) -> bool {
    is_settled(receipt) && histories_complete(receipt)
}

/// The histories end in the statuses the overview part shows (a receipt
/// refreshed with the overview only has older histories).
fn histories_complete(d: &Details) -> bool {
    let last = d.file_transfer_status_history.last().map(|e| e.file_transfer_status.as_str());
    let transfer_ok = d.overview.file_transfer_status.is_none() || last == d.overview.file_transfer_status.as_deref();
    transfer_ok
        && d.overview.recipients.iter().all(|r| match &r.current_recipient_file_transfer_status_code {
            None => true,
            Some(code) => d
                .recipient_file_transfer_status_history
                .iter()
                .any(|e| e.recipient == r.recipient && &e.recipient_file_transfer_status_code == code),
        })
}

/// The overview's statuses as the receipt's current ones; the histories stay
/// as they were until the details are fetched.
fn merged(old: Option<&Details>, ov: Overview) -> Details {
    match old {
        Some(d) => Details { overview: ov, ..d.clone() },
        None => Details {
            overview: ov,
            file_transfer_status_history: vec![],
            recipient_file_transfer_status_history: vec![],
        },
    }
}

fn same_statuses(a: &Overview, b: &Overview) -> bool {
    a.file_transfer_status == b.file_transfer_status
        && a.recipients.len() == b.recipients.len()
        && a.recipients.iter().zip(&b.recipients).all(|(x, y)| {
            x.recipient == y.recipient
                && x.current_recipient_file_transfer_status_code == y.current_recipient_file_transfer_status_code
        })
}

fn secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

impl SentLists {
    /// A budget of `overview` and `details` calls per minute (tests also use
    /// one far over the gateway's limits, to see that they would meet 429s).
    pub fn with_budget(overview: u32, details: u32) -> Self {
        SentLists {
            per_minute: (overview, details),
            budgets: Mutex::new(HashMap::new()),
            checked: Mutex::new(HashMap::new()),
            fetched: Mutex::new(HashMap::new()),
        }
    }

    fn budget(&self, env: Environment, sender: &str) -> Arc<RateBudget> {
        let (overview, details) = self.per_minute;
        self.budgets
            .locked()
            .entry((env, sender.to_owned()))
            .or_insert_with(|| Arc::new(RateBudget::new(&[("overview", overview), ("details", details)])))
            .clone()
    }

    /// Refreshes the statuses of the sent transfers that can still change,
    /// as many as this minute's budget allows.
    pub async fn refresh(&self, state: &AppState) -> AppResult<SentRefresh> {
        let queue = state.queue()?;
        let mut out = SentRefresh::default();
        let mut todo: Vec<SendJob> = Vec::new();
        for job in queue.list()? {
            if job.phase != Phase::Published || job.file_transfer_id.is_none() {
                continue;
            }
            if job.receipt.as_ref().is_some_and(is_settled) {
                out.final_skipped += 1;
            } else {
                todo.push(job);
            }
        }
        {
            // Never checked first, then the longest ago; newest first among equals.
            let checked = self.checked.locked();
            todo.sort_by_key(|j| checked.get(&j.id).copied());
        }
        let mut brokers: HashMap<Environment, Broker> = HashMap::new();
        for job in todo {
            let Some(ft) = job.file_transfer_id else { continue };
            let budget = self.budget(job.environment, &job.sender);
            if let Err(wait) = budget.try_take("overview") {
                out.waiting += 1;
                out.retry_in_secs = Some(out.retry_in_secs.map_or(secs(wait), |s| s.min(secs(wait))));
                continue;
            }
            let broker = match brokers.get(&job.environment) {
                Some(b) => b.clone(),
                None => {
                    let b = Broker::new(state.running_client(job.environment)?);
                    brokers.insert(job.environment, b.clone());
                    b
                }
            };
            out.checked += 1;
            match broker.overview(ft).await {
                Ok(ov) => {
                    self.checked.locked().insert(job.id, Instant::now());
                    let unchanged = job.receipt.as_ref().is_some_and(|d| same_statuses(&d.overview, &ov));
                    if !unchanged {
                        queue.store_receipt(job.id, merged(job.receipt.as_ref(), ov))?;
                        out.changed += 1;
                    }
                }
                Err(e) if e.error.code == ErrorCode::RateLimited => {
                    // Someone else spent the gateway's count (another copy of the app, the CLI).
                    budget.hold("overview", e.retry_after);
                    out.waiting += 1;
                    let wait = secs(e.retry_after.unwrap_or(budbringer_core::transfers::budget::WINDOW));
                    out.retry_in_secs = Some(out.retry_in_secs.map_or(wait, |s| s.min(wait)));
                }
                Err(e) => {
                    if out.error.is_none() {
                        out.error = Some(e.error);
                    }
                }
            }
        }
        Ok(out)
    }

    /// The receipt for the Sent page's dialog: the stored one when it is
    /// complete and final or fresh, else the details fetched now (within the budget).
    pub async fn open_receipt(&self, state: &AppState, id: Uuid) -> AppResult<OpenedReceipt> {
        let queue = state.queue()?;
        let job = queue.get(id)?;
        let stored = |job: SendJob, retry_in_secs| Ok(OpenedReceipt { job, fetched: false, retry_in_secs });
        let Some(ft) = job.file_transfer_id else { return stored(job, None) };
        if let Some(d) = &job.receipt {
            if is_final(d) {
                return stored(job, None);
            }
            let recent = self.fetched.locked().get(&id).is_some_and(|t| t.elapsed() < DETAILS_FRESH_FOR);
            if recent && histories_complete(d) {
                return stored(job, None);
            }
        }
        let budget = self.budget(job.environment, &job.sender);
        if let Err(wait) = budget.try_take("details") {
            return stored(job, Some(secs(wait)));
        }
        let broker = Broker::new(state.running_client(job.environment)?);
        match broker.details(ft).await {
            Ok(d) => {
                self.fetched.locked().insert(id, Instant::now());
                self.checked.locked().insert(id, Instant::now());
                Ok(OpenedReceipt { job: queue.store_receipt(id, d)?, fetched: true, retry_in_secs: None })
            }
            Err(e) if e.error.code == ErrorCode::RateLimited => {
                let wait = e.retry_after.unwrap_or(budbringer_core::transfers::budget::WINDOW);
                budget.hold("details", Some(wait));
                stored(job, Some(secs(wait)))
            }
            Err(e) => Err(e.error),
        }
    }
}
