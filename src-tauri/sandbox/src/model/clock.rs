//! The sandbox clock: real time plus an offset that tests can move.

use std::sync::atomic::{AtomicI64, Ordering};

use time::OffsetDateTime;

/// Real time plus an offset that tests can move.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + time::Duration::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }
    pub fn unix(&self) -> i64 {
        self.now().unix_timestamp()
    }
    pub fn advance_secs(&self, secs: i64) {
        self.offset_ms.fetch_add(secs * 1000, Ordering::SeqCst);
    }
    pub fn set_offset_secs(&self, secs: i64) {
        self.offset_ms.store(secs * 1000, Ordering::SeqCst);
    }
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }
    pub fn set_offset_ms(&self, ms: i64) {
        self.offset_ms.store(ms, Ordering::SeqCst);
    }
}
