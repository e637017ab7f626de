//! Finding every file Altinn holds for us, however many, within Broker's rate
//! limits, at a cost that grows with what changed rather than with the history
//! (`docs/ALTINN.md#search`):
//!
//! * Broker's search answers at most 100 ids, so a search asks only for what
//!   is still ours to fetch: `status=Published` with `recipientStatus`
//!   `Initialized` (not downloaded yet) or `DownloadStarted` (downloaded, not
//!   confirmed), oldest first (`orderAscending=true`), from where the last
//!   look got to (`from`, which with a status filters on when the transfer was
//!   published). A full page is followed by the next one from its last
//!   transfer's time; where a look got to is kept in the store, so the next
//!   poll, or the next start of the app, goes on from there.
//! * Each look goes back a little ([`OVERLAP`]) before where the last one got
//!   to, so a transfer published just before but visible just after the last
//!   search is not skipped; what it finds again is known and costs nothing.
//! * Only a transfer we do not know yet costs an overview.
//! * A look spends at most its share of the rate limits ([`Limits`]); what is
//!   left waits for the next poll ([`Scanned::more`]).

use super::broker::{Broker, CallError, Overview, Search};
use crate::error::AppError;
use crate::store::Store;
use futures_util::{stream, StreamExt};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

/// How far before the last look's end the next one starts.
pub const OVERLAP: time::Duration = time::Duration::minutes(2);
/// Broker's page size: a full page means there may be more.
pub const PAGE: usize = 100;
/// How many overviews are fetched at once.
pub const OVERVIEW_CONCURRENCY: usize = 16;
/// The recipient statuses that leave a file ours to fetch, looked for in turn.
pub const STILL_OURS: [&str; 2] = ["Initialized", "DownloadStarted"];

/// What one look may spend: Broker allows about 10 searches and 120 overviews
/// a minute (`docs/ALTINN.md#rate-limits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub searches: u32,
    pub overviews: u32,
}

impl Limits {
    /// A look every `interval_secs` stays within the limits, with room to spare
    /// for the send queue's own calls.
    pub fn for_interval(interval_secs: u32) -> Limits {
        let per_minute = |n: u32| (n as u64 * interval_secs as u64 / 60) as u32;
        Limits {
            searches: per_minute(10).saturating_sub(1).max(1),
            overviews: per_minute(120).saturating_sub(20).max(20),
        }
    }
}

/// What a look found.
#[derive(Debug, Default)]
pub struct Scanned {
    /// Overviews that could not be read (not transient), by transfer.
    pub failed: Vec<(Uuid, AppError)>,
    /// The look stopped at its limits: there is more to fetch.
    pub more: bool,
}

/// Asks the store what we know of a transfer: `None` when nothing, else when
/// it was published (if known).
pub type Known<'a> = &'a (dyn Fn(Uuid) -> Option<Option<String>> + Sync);

fn parse(t: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(t, &Rfc3339).ok()
}

fn format(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// Looks on each resource for what is still ours to fetch; each new
/// transfer's overview goes to `found` (which stores it) before the look's
/// place is saved past it. A transient failure ends the look (what it got
/// so far is kept) and is returned for the poller to wait on.
pub async fn scan(
    broker: &Broker,
    store: &Store,
    key: &str,
    resources: &[String],
    mut limits: Limits,
    known: Known<'_>,
    found: &mut (dyn FnMut(Overview) -> Result<(), CallError> + Send),
) -> Result<Scanned, CallError> {
    let mut out = Scanned::default();
    // The least recently looked-at first, so that a small budget still comes round to each.
    let mut pairs: Vec<(String, &str, String)> = Vec::new();
    for r in resources {
        for status in STILL_OURS {
            let at = store.meta(&format!("{key}/{r}/{status}/looked")).map_err(CallError::from)?.unwrap_or_default();
            pairs.push((r.clone(), status, at));
        }
    }
    pairs.sort_by(|a, b| a.2.cmp(&b.2));
    for (resource, status, _) in pairs {
        if limits.searches == 0 {
            out.more = true;
            break;
        }
        let place = format!("{key}/{resource}/{status}");
        let more = scan_one(broker, store, &place, &resource, status, &mut limits, known, found, &mut out).await?;
        out.more |= more;
    }
    Ok(out)
}

/// One resource and recipient status, page by page. Returns whether it
/// stopped at the limits.
#[allow(clippy::too_many_arguments)]
async fn scan_one(
    broker: &Broker,
    store: &Store,
    place: &str,
    resource: &str,
    status: &str,
    limits: &mut Limits,
    known: Known<'_>,
    found: &mut (dyn FnMut(Overview) -> Result<(), CallError> + Send),
    out: &mut Scanned,
) -> Result<bool, CallError> {
    let cursor = store.meta(place).map_err(CallError::from)?.and_then(|c| parse(&c));
    let mut from = cursor.map(|c| c - OVERLAP);
    let mut reached = cursor;
    loop {
        if limits.searches == 0 {
            return Ok(true);
        }
        limits.searches -= 1;
        let q = Search {
            resource_id: resource.to_owned(),
            status: Some("Published".into()),
            recipient_status: Some(status.to_owned()),
            role: Some("Recipient".into()),
            from: from.map(format),
            order_ascending: Some(true),
            ..Default::default()
        };
        let ids = broker.search(&q).await?;
        // Marked only once answered: a search refused (a 429) goes first next time.
        store.set_meta(&format!("{place}/looked"), &format(OffsetDateTime::now_utc())).map_err(CallError::from)?;
        let full = ids.len() >= PAGE;
        // Known ones cost nothing; new ones an overview, in order, as far as the budget goes.
        let mut times: Vec<(Uuid, Option<Option<String>>)> = ids.iter().map(|id| (*id, known(*id))).collect();
        let new: Vec<Uuid> = times.iter().filter(|(_, k)| k.is_none()).map(|(id, _)| *id).collect();
        let affordable = new.len().min(limits.overviews as usize);
        limits.overviews -= affordable as u32;
        let overviews: Vec<(Uuid, Result<Overview, CallError>)> = stream::iter(new[..affordable].to_vec())
            .map(|id| async move { (id, broker.overview(id).await) })
            .buffered(OVERVIEW_CONCURRENCY)
            .collect()
            .await;
        let mut overviews = overviews.into_iter();
        let mut stopped = None;
        for (id, k) in times.iter_mut() {
            if k.is_some() {
                continue;
            }
            match overviews.next() {
                None => {
                    // Out of budget for overviews: the rest waits for the next look.
                    stopped = Some(Ok(true));
                    break;
                }
                Some((_, Ok(o))) => {
                    *k = Some(o.published.clone());
                    found(o)?;
                }
                Some((_, Err(e))) if e.transient => {
                    stopped = Some(Err(e));
                    break;
                }
                Some((_, Err(e))) => {
                    out.failed.push((*id, e.error));
                    *k = Some(None);
                }
            }
        }
        // The place advances over the handled prefix of the page.
        let handled = times.iter().take_while(|(_, k)| k.is_some());
        let latest = handled.filter_map(|(_, k)| k.clone().flatten().and_then(|t| parse(&t))).max();
        if let Some(t) = latest {
            if reached.is_none_or(|r| t > r) {
                reached = Some(t);
                store.set_meta(place, &format(t)).map_err(CallError::from)?;
            }
        }
        match stopped {
            Some(Ok(more)) => return Ok(more),
            Some(Err(e)) => return Err(e),
            None => {}
        }
        if !full {
            return Ok(false);
        }
        // The next page starts at this page's last transfer (found again, known by then).
        let next = latest.map(|t| t - time::Duration::microseconds(1));
        if next.is_none() || next <= from {
            tracing::warn!(resource, status, "a full search page without progress; the rest waits for the next look");
            return Ok(true);
        }
        from = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_the_poll_interval() {
        assert_eq!(Limits::for_interval(60), Limits { searches: 9, overviews: 100 });
        assert_eq!(Limits::for_interval(10), Limits { searches: 1, overviews: 20 });
        assert_eq!(Limits::for_interval(600), Limits { searches: 99, overviews: 1180 });
    }
}
