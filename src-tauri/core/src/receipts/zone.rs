//! The time zone a receipt's times are written in: the computer's, so a clerk
//! files `26.11.2026 15:03:15 (UTC+01:00)` in Norwegian time, summer time
//! included, and the offset makes the moment unambiguous in the archive.
//!
//! The `time` crate cannot read the local offset safely in a process with
//! several threads on Linux (it would call into libc's environment), so the
//! zone comes from `jiff`: on Linux and macOS the system's time zone database
//! (`TZ`, `/etc/localtime`, `/usr/share/zoneinfo`), on Windows the system's
//! zone mapped to its IANA name and jiff's bundled database (the
//! `tzdb-bundle-platform` feature: Windows has no IANA database of its own).
//! When no zone can be found the times are written in UTC, labelled `UTC`.

use jiff::tz::TimeZone;
use time::OffsetDateTime;

/// Where a receipt's times are shown; the computer's zone in the app, any
/// named one in tests.
#[derive(Debug, Clone, Default)]
pub struct Zone {
    /// `None`: UTC, labelled `UTC` (no zone was found).
    tz: Option<TimeZone>,
}

impl Zone {
    /// The computer's time zone, or UTC when it cannot be found.
    pub fn system() -> Zone {
        match TimeZone::try_system() {
            Ok(tz) => Zone { tz: Some(tz) },
            Err(e) => {
                tracing::warn!(error = %e, "no time zone found; receipts show UTC");
                Zone::utc()
            }
        }
    }

    /// A zone of the IANA database by name (`Europe/Oslo`), if it has it.
    pub fn named(name: &str) -> Option<Zone> {
        TimeZone::get(name).ok().map(|tz| Zone { tz: Some(tz) })
    }

    /// UTC, labelled `UTC`: what a receipt shows when no zone is known.
    pub fn utc() -> Zone {
        Zone { tz: None }
    }

    /// The wall-clock fields of `t` in this zone, and its offset in seconds
    /// (`None` for the UTC fallback).
    fn local(&self, t: OffsetDateTime) -> (OffsetDateTime, Option<i32>) {
        let utc = t.to_offset(time::UtcOffset::UTC);
        let Some(tz) = &self.tz else { return (utc, None) };
        let Ok(at) = jiff::Timestamp::new(utc.unix_timestamp(), 0) else { return (utc, None) };
        let offset = tz.to_offset(at).seconds();
        match time::UtcOffset::from_whole_seconds(offset) {
            Ok(o) => (utc.to_offset(o), Some(offset)),
            Err(_) => (utc, None),
        }
    }

    /// `26.11.2026 15:03:15 (UTC+01:00)`, or `26.11.2026 14:03:15 UTC`
    /// without a zone.
    pub fn datetime(&self, t: OffsetDateTime) -> String {
        let (l, offset) = self.local(t);
        let clock = format!(
            "{:02}.{:02}.{} {:02}:{:02}:{:02}",
            l.day(),
            u8::from(l.month()),
            l.year(),
            l.hour(),
            l.minute(),
            l.second()
        );
        match offset {
            Some(s) => {
                let sign = if s < 0 { '-' } else { '+' };
                let s = s.unsigned_abs();
                format!("{clock} (UTC{sign}{:02}:{:02})", s / 3600, s / 60 % 60)
            }
            None => format!("{clock} UTC"),
        }
    }

    /// `2026-11-26`: the day of `t` in this zone (a receipt's file name).
    pub fn date(&self, t: OffsetDateTime) -> String {
        let (l, _) = self.local(t);
        format!("{}-{:02}-{:02}", l.year(), u8::from(l.month()), l.day())
    }
}
