//! The one place the HTTP client is made, and how long the network may keep
//! us waiting. A server that stops answering (or stops half-way through an
//! answer) must end in an error that is tried again, never in a job or a
//! poll that waits forever:
//!
//! * connecting is bounded by [`Timeouts::connect`];
//! * every call that is not a transfer (tokens, initialize, overview, search,
//!   confirm, …) is bounded as a whole by [`Timeouts::call`], set on the client;
//! * a transfer (upload or download) may take hours, so it lifts that bound
//!   ([`transfer`]) and is bounded by idleness instead: no byte moving for
//!   [`Timeouts::idle`] ends it ([`Activity`], [`idle_bounded`]).
//!
//! Redirect policy, proxy and body caps belong in [`builder`] too.

use crate::error::{AppError, AppResult, ErrorCode};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How long the network may keep us waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To open a connection.
    pub connect: Duration,
    /// A transfer with no byte moving either way (nor an answer coming) for this long has stalled.
    pub idle: Duration,
    /// A call that is not a transfer, from start to the end of its answer.
    pub call: Duration,
}

impl Timeouts {
    pub const DEFAULT: Timeouts =
        Timeouts { connect: Duration::from_secs(20), idle: Duration::from_secs(60), call: Duration::from_secs(60) };
}

static CURRENT: RwLock<Timeouts> = RwLock::new(Timeouts::DEFAULT);

/// The time limits in force.
pub fn timeouts() -> Timeouts {
    *CURRENT.read().unwrap_or_else(|p| p.into_inner())
}

/// Sets the time limits for this process: for clients made from now on, and
/// for every transfer's idle check. For tests and the simulation, which
/// cannot wait a minute for each stall.
pub fn set_timeouts(t: Timeouts) {
    *CURRENT.write().unwrap_or_else(|p| p.into_inner()) = t;
}

/// The longest a transfer may take as a whole (only idleness really bounds it).
const TRANSFER_CEILING: Duration = Duration::from_secs(7 * 24 * 3600);

/// The client builder with Budbringer's limits and identity.
pub fn builder() -> reqwest::ClientBuilder {
    let t = timeouts();
    reqwest::Client::builder()
        .connect_timeout(t.connect)
        .timeout(t.call)
        .tcp_keepalive(Duration::from_secs(30))
        .user_agent(concat!("Budbringer/", env!("CARGO_PKG_VERSION")))
}

/// The HTTP client every Altinn call goes through.
pub fn client() -> AppResult<reqwest::Client> {
    builder().build().map_err(|e| AppError::internal(format!("HTTP client: {e}")))
}

/// Marks a request as a transfer: no bound on its whole length; the caller
/// bounds its idleness with [`idle_bounded`] and the body reads with [`next_within`].
pub fn transfer(req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    req.timeout(TRANSFER_CEILING)
}

/// When a transfer last moved a byte. Cheap to clone and to touch.
#[derive(Clone)]
pub struct Activity {
    start: Instant,
    last_ms: Arc<AtomicU64>,
}

impl Default for Activity {
    fn default() -> Self {
        Activity { start: Instant::now(), last_ms: Arc::new(AtomicU64::new(0)) }
    }
}

impl Activity {
    /// Something moved just now.
    pub fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn quiet_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.start.elapsed().saturating_sub(last)
    }
}

/// The error of a transfer that stalled: the network's kind, so it is tried again.
pub fn stalled(what: &str, idle: Duration) -> AppError {
    AppError::new(ErrorCode::Network)
        .with_detail(format!("{what}: nothing moved for {} s; the connection has stalled", idle.as_secs()))
}

/// Runs `fut` until it ends, or until `activity` has been quiet for the idle
/// limit (then `Err` with the stall).
pub async fn idle_bounded<F: std::future::Future>(
    what: &str,
    activity: &Activity,
    fut: F,
) -> Result<F::Output, AppError> {
    bounded_by(timeouts().idle, what, activity, fut).await
}

async fn bounded_by<F: std::future::Future>(
    idle: Duration,
    what: &str,
    activity: &Activity,
    fut: F,
) -> Result<F::Output, AppError> {
    activity.touch();
    let mut fut = std::pin::pin!(fut);
    loop {
        let left = idle.saturating_sub(activity.quiet_for());
        if left.is_zero() {
            return Err(stalled(what, idle));
        }
        tokio::select! {
            out = &mut fut => return Ok(out),
            _ = tokio::time::sleep(left) => {}
        }
    }
}

/// The next piece of a streamed body, or a stall error when none comes within the idle limit.
pub async fn next_within<S: futures_util::Stream + Unpin>(
    what: &str,
    stream: &mut S,
) -> Result<Option<S::Item>, AppError> {
    use futures_util::StreamExt;
    let idle = timeouts().idle;
    tokio::time::timeout(idle, stream.next()).await.map_err(|_| stalled(what, idle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_quiet_transfer_is_ended_and_a_busy_one_is_not() {
        let idle = Duration::from_millis(200);
        let a = Activity::default();
        let quiet = bounded_by(idle, "quiet", &a, std::future::pending::<()>()).await;
        assert_eq!(quiet.unwrap_err().code, ErrorCode::Network);
        let busy = Activity::default();
        let b2 = busy.clone();
        let work = async move {
            for _ in 0..6 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                b2.touch();
            }
            7
        };
        assert_eq!(bounded_by(idle, "busy", &busy, work).await.unwrap(), 7, "600 ms of steady progress is not a stall");
    }
}
