//! A client-side budget of calls per endpoint per minute, kept under the
//! gateway's limits (`docs/ALTINN.md#rate-limits`) so that normal use never
//! meets a 429, and honouring `Retry-After` when one comes all the same.
//!
//! The gateway counts per caller and endpoint in windows of a minute. A
//! sliding window here (no more than `limit` calls in any 60 seconds) is never
//! more than `limit` in any of the gateway's windows, wherever they start.

use crate::sync::Locked;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The window the gateway counts in.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Calls per minute the Sent page may spend, per endpoint. Below the
/// gateway's 120 (overview) and 15 (details): the send queue's own polling and
/// the receipt at the end of each send share the same counts.
pub const SENT_OVERVIEW_PER_MINUTE: u32 = 60;
pub const SENT_DETAILS_PER_MINUTE: u32 = 10;

#[derive(Default)]
struct Lane {
    calls: VecDeque<Instant>,
    /// A 429's `Retry-After`: nothing goes out before it.
    held_until: Option<Instant>,
}

/// Calls per endpoint per minute. `limits` not listed are not budgeted.
pub struct RateBudget {
    limits: HashMap<&'static str, u32>,
    lanes: Mutex<HashMap<&'static str, Lane>>,
}

impl RateBudget {
    pub fn new(limits: &[(&'static str, u32)]) -> Self {
        RateBudget { limits: limits.iter().copied().collect(), lanes: Mutex::new(HashMap::new()) }
    }

    /// Takes one call of `endpoint` now, or says how long until one is free.
    pub fn try_take(&self, endpoint: &'static str) -> Result<(), Duration> {
        self.try_take_at(endpoint, Instant::now())
    }

    pub fn try_take_at(&self, endpoint: &'static str, now: Instant) -> Result<(), Duration> {
        let Some(&limit) = self.limits.get(endpoint) else {
            return Ok(());
        };
        let mut lanes = self.lanes.locked();
        let lane = lanes.entry(endpoint).or_default();
        if let Some(until) = lane.held_until {
            if until > now {
                return Err(until - now);
            }
            lane.held_until = None;
        }
        while lane.calls.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
            lane.calls.pop_front();
        }
        if lane.calls.len() as u32 >= limit {
            let oldest = lane.calls.front().copied().unwrap_or(now);
            return Err(WINDOW.saturating_sub(now.duration_since(oldest)));
        }
        lane.calls.push_back(now);
        Ok(())
    }

    /// A 429 came: nothing more of `endpoint` until `Retry-After` has passed
    /// (a whole window when the gateway gave none).
    pub fn hold(&self, endpoint: &'static str, retry_after: Option<Duration>) {
        self.hold_at(endpoint, retry_after, Instant::now())
    }

    pub fn hold_at(&self, endpoint: &'static str, retry_after: Option<Duration>, now: Instant) {
        let until = now + retry_after.unwrap_or(WINDOW);
        let mut lanes = self.lanes.locked();
        let lane = lanes.entry(endpoint).or_default();
        lane.held_until = Some(lane.held_until.map_or(until, |u| u.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_more_than_the_limit_in_any_minute() {
        let b = RateBudget::new(&[("details", 3)]);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(b.try_take_at("details", t0).is_ok());
        }
        assert_eq!(b.try_take_at("details", t0 + Duration::from_secs(20)), Err(Duration::from_secs(40)));
        // The first call leaves the window after 60 s, and only then.
        assert!(b.try_take_at("details", t0 + Duration::from_secs(59)).is_err());
        assert!(b.try_take_at("details", t0 + Duration::from_secs(60)).is_ok());
        // Other endpoints have their own count; unlisted ones none.
        let b2 = RateBudget::new(&[("details", 1), ("overview", 1)]);
        assert!(b2.try_take_at("details", t0).is_ok());
        assert!(b2.try_take_at("overview", t0).is_ok());
        assert!(b2.try_take_at("search", t0).is_ok());
    }

    #[test]
    fn retry_after_holds_the_endpoint() {
        let b = RateBudget::new(&[("overview", 100)]);
        let t0 = Instant::now();
        b.hold_at("overview", Some(Duration::from_secs(7)), t0);
        assert_eq!(b.try_take_at("overview", t0 + Duration::from_secs(2)), Err(Duration::from_secs(5)));
        assert!(b.try_take_at("overview", t0 + Duration::from_secs(7)).is_ok());
        b.hold_at("overview", None, t0);
        assert!(b.try_take_at("overview", t0 + Duration::from_secs(59)).is_err());
    }
}
