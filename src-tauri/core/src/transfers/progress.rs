//! Progress reports: bytes done, a speed smoothed over a few seconds, and an
//! ETA, emitted at most ten times a second.

use serde::Serialize;
use std::time::{Duration, Instant};
use ts_rs::TS;

/// How often a report may be emitted at most.
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);
/// The time constant of the speed's exponential smoothing.
const SMOOTHING: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    pub done: u64,
    pub total: u64,
    /// Bytes per second, smoothed.
    pub speed: f64,
    /// Seconds left at the current speed, when known.
    pub eta_secs: Option<u64>,
}

/// Turns a stream of byte counts into throttled, smoothed reports.
pub struct ProgressMeter {
    total: u64,
    done: u64,
    speed: f64,
    last_sample: Instant,
    last_sample_done: u64,
    last_emit: Option<Instant>,
}

impl ProgressMeter {
    pub fn new(total: u64, already_done: u64) -> Self {
        ProgressMeter {
            total,
            done: already_done,
            speed: 0.0,
            last_sample: Instant::now(),
            last_sample_done: already_done,
            last_emit: None,
        }
    }

    /// Records `n` more bytes; returns a report if one is due.
    pub fn advance(&mut self, n: u64) -> Option<Progress> {
        self.advance_at(n, Instant::now())
    }

    /// Sets the absolute position (after a resume from the server's offset).
    pub fn set_done(&mut self, done: u64) {
        self.done = done;
        self.last_sample_done = done;
        self.last_sample = Instant::now();
    }

    pub fn advance_at(&mut self, n: u64, now: Instant) -> Option<Progress> {
        self.done = (self.done + n).min(self.total.max(self.done + n));
        let dt = now.duration_since(self.last_sample);
        if dt >= MIN_INTERVAL {
            let inst = (self.done - self.last_sample_done) as f64 / dt.as_secs_f64();
            let alpha = 1.0 - (-dt.as_secs_f64() / SMOOTHING.as_secs_f64()).exp();
            self.speed = if self.speed == 0.0 { inst } else { self.speed + alpha * (inst - self.speed) };
            self.last_sample = now;
            self.last_sample_done = self.done;
        }
        let due = self.last_emit.is_none_or(|t| now.duration_since(t) >= MIN_INTERVAL) || self.done >= self.total;
        if due {
            self.last_emit = Some(now);
            Some(self.report())
        } else {
            None
        }
    }

    pub fn report(&self) -> Progress {
        let left = self.total.saturating_sub(self.done);
        let eta_secs = (self.speed > 1.0).then(|| (left as f64 / self.speed).ceil() as u64);
        Progress { done: self.done, total: self.total, speed: self.speed, eta_secs }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttles_to_ten_per_second_and_smooths() {
        let start = Instant::now();
        let mut m = ProgressMeter::new(10_000_000, 0);
        m.last_sample = start;
        let mut reports = 0;
        // 1 MB/s in 1 kB steps every millisecond for 2 s.
        for i in 1..=2000u64 {
            if m.advance_at(1000, start + Duration::from_millis(i)).is_some() {
                reports += 1;
            }
        }
        assert!((19..=21).contains(&reports), "{reports} reports in 2 s");
        let r = m.report();
        assert_eq!(r.done, 2_000_000);
        assert!((r.speed - 1_000_000.0).abs() < 50_000.0, "speed {}", r.speed);
        assert_eq!(r.eta_secs, Some(8));
    }

    #[test]
    fn the_final_report_is_never_dropped() {
        let start = Instant::now();
        let mut m = ProgressMeter::new(100, 0);
        assert!(m.advance_at(50, start).is_some());
        let last = m.advance_at(50, start + Duration::from_millis(1)).expect("completion is always reported");
        assert_eq!(last.done, 100);
    }
}
