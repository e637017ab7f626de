//! Trying a TUS upload again without looping for ever (`docs/ALTINN.md#tus`):
//! where the server's upload stands, and the count of tries since it last
//! moved on. `send.rs` runs the upload with these.

use super::broker::{Broker, CallError, TusError};
use crate::error::{AppError, AppResult, ErrorCode};
use std::time::Duration;
use uuid::Uuid;

/// Where the server's upload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// The upload's offset (0 when it had to be made first).
    At(u64),
    /// The transfer is past uploading (409): the overview says how it went.
    Over,
}

/// The server's offset by HEAD; when there is no upload (never made, or
/// expired after a day without activity) it is made, from 0. Locks and
/// network trouble are waited out, counted in `tries`.
pub async fn position(broker: &Broker, id: Uuid, size: u64, tries: &mut NoProgress) -> AppResult<Position> {
    loop {
        let e = match broker.tus_offset(id).await {
            Ok(Some(o)) => return Ok(Position::At(o)),
            Ok(None) => match broker.tus_create(id, size).await {
                Ok(()) => return Ok(Position::At(0)),
                Err(e) => e,
            },
            Err(e) => e,
        };
        match &e {
            TusError::Over(_) => return Ok(Position::Over),
            TusError::Call(c) if !c.transient => return Err(c.error.clone()),
            _ => {}
        }
        tracing::info!(%id, error = %e.call().error, "TUS offset unknown; asking again");
        tries.failed(Some(e.call()), pause_for(&e)).await?;
    }
}

/// How long to wait before the next try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pause {
    /// 250 ms doubling, at most 30 s, or what `Retry-After` says.
    Backoff,
    /// The upload is locked: 1 s doubling, at most 20 s, so that the default
    /// eight tries (about 70 s) outlast the server's 60 s read timeout.
    Locked,
}

pub fn pause_for(e: &TusError) -> Pause {
    match e {
        TusError::Locked(_) => Pause::Locked,
        _ => Pause::Backoff,
    }
}

/// Counts tries since the upload last moved on.
pub struct NoProgress {
    attempts: u32,
    max: u32,
}

impl NoProgress {
    pub fn new(max: u32) -> Self {
        NoProgress { attempts: 0, max: max.max(1) }
    }

    /// The server's offset passed the best it had confirmed.
    pub fn progress(&mut self) {
        self.attempts = 0;
    }

    /// One more try without progress: waits, or gives up with `e`'s error
    /// (or a named one) when the tries are used up.
    pub async fn failed(&mut self, e: Option<&CallError>, pause: Pause) -> AppResult<()> {
        self.attempts += 1;
        if self.attempts >= self.max {
            return Err(match e {
                Some(e) => e.error.clone(),
                None => AppError::new(ErrorCode::BrokerError)
                    .with_detail(format!("the TUS upload made no progress in {} tries", self.max)),
            });
        }
        tokio::time::sleep(self.wait(e.and_then(|e| e.retry_after), pause)).await;
        Ok(())
    }

    fn wait(&self, hint: Option<Duration>, pause: Pause) -> Duration {
        let n = self.attempts.saturating_sub(1);
        hint.unwrap_or_else(|| match pause {
            Pause::Backoff => Duration::from_millis(250u64 << n.min(7)).min(Duration::from_secs(30)),
            Pause::Locked => Duration::from_secs(1u64 << n.min(5)).min(Duration::from_secs(20)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_waits_outlast_a_minute_in_eight_tries() {
        let mut t = NoProgress::new(8);
        let mut total = Duration::ZERO;
        for _ in 0..7 {
            t.attempts += 1;
            total += t.wait(None, Pause::Locked);
        }
        assert!(total > Duration::from_secs(60), "{total:?}");
        t.progress();
        t.attempts += 1;
        assert_eq!(t.wait(None, Pause::Backoff), Duration::from_millis(250));
        assert_eq!(t.wait(Some(Duration::from_secs(3)), Pause::Locked), Duration::from_secs(3));
    }
}
