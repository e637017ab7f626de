//! A link that is not loopback: per-connection bandwidth and round-trip time,
//! so that the benchmarks can compare one stream with parallel parts on
//! something like a real network (issue 16). Off unless asked for: the
//! standalone binary's `--link 40mbit,20ms`, or `ALTINN_SANDBOX_LINK` in the
//! environment of any process that starts a sandbox.
//!
//! The model, per HTTP/1.1 connection (requests on one connection follow each
//! other, so shaping each request's bodies shapes the connection):
//! * a new connection costs two round trips before its first request is
//!   answered (TCP and TLS handshakes; the sandbox speaks plain HTTP, the real
//!   platform TLS 1.3);
//! * every request costs one round trip (the request travels up, the answer back);
//! * the request body and the response body each flow at most at the
//!   bandwidth (a full-duplex link), paced by the bytes sent so far.
//!
//! Not modelled: TCP slow start, loss, and a shared bottleneck (the limit is
//! per connection, as with per-flow shaping or a window-limited path; several
//! connections add up).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use budbringer_core::sync::Locked;
use futures_util::StreamExt;

/// The environment variable that turns shaping on: `40mbit,20ms`.
pub const LINK_ENV: &str = "ALTINN_SANDBOX_LINK";

/// One connection's bandwidth (bytes per second, each direction) and round trip.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Link {
    pub bytes_per_sec: f64,
    pub rtt: Duration,
}

impl Link {
    /// Reads `40mbit,20ms` (also `mbps`, `kbit`, `gbit`; `ms` or `s`), in either order.
    pub fn parse(s: &str) -> Result<Link, String> {
        let (mut rate, mut rtt) = (None, None);
        for part in s.split(',').map(|p| p.trim().to_ascii_lowercase()).filter(|p| !p.is_empty()) {
            let split = part.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(part.len());
            let (num, unit) = part.split_at(split);
            let n: f64 = num.parse().map_err(|_| format!("not a number in {part:?}"))?;
            match unit {
                "kbit" | "kbps" => rate = Some(n * 1e3 / 8.0),
                "mbit" | "mbps" => rate = Some(n * 1e6 / 8.0),
                "gbit" | "gbps" => rate = Some(n * 1e9 / 8.0),
                "ms" => rtt = Some(Duration::from_secs_f64(n / 1e3)),
                "s" => rtt = Some(Duration::from_secs_f64(n)),
                _ => return Err(format!("unknown unit in {part:?} (use mbit and ms, as in 40mbit,20ms)")),
            }
        }
        match (rate, rtt) {
            (Some(r), rtt) if r > 0.0 => Ok(Link { bytes_per_sec: r, rtt: rtt.unwrap_or_default() }),
            _ => Err(format!("{s:?}: give a bandwidth, as in 40mbit,20ms")),
        }
    }

    /// The link asked for in [`LINK_ENV`], if any (a bad value is reported and ignored).
    pub fn from_env() -> Option<Link> {
        let v = std::env::var(LINK_ENV).ok().filter(|v| !v.trim().is_empty())?;
        match Link::parse(&v) {
            Ok(l) => Some(l),
            Err(e) => {
                tracing::warn!("sandbox: {LINK_ENV} ignored: {e}");
                None
            }
        }
    }
}

#[derive(Clone)]
struct Shaper {
    link: Link,
    /// Connections (peer address and port) that have had their handshake.
    seen: Arc<Mutex<HashSet<SocketAddr>>>,
}

/// Adds the shaping layer (outermost, so it holds for every route) when
/// [`LINK_ENV`] asks for a link.
pub(crate) fn apply<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    match Link::from_env() {
        Some(link) => {
            tracing::info!(?link, "sandbox: shaping every connection");
            let shaper = Shaper { link, seen: Arc::new(Mutex::new(HashSet::new())) };
            router.layer(axum::middleware::from_fn_with_state(shaper, layer))
        }
        None => router,
    }
}

async fn layer(State(s): State<Shaper>, req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let new_connection = peer.is_some_and(|p| {
        let mut seen = s.seen.locked();
        if seen.len() > 100_000 {
            seen.clear();
        }
        seen.insert(p)
    });
    let round_trips = if new_connection { 3 } else { 1 };
    tokio::time::sleep(s.link.rtt * round_trips).await;
    let rate = s.link.bytes_per_sec;
    let req = req.map(|b| paced(b, rate));
    next.run(req).await.map(|b| paced(b, rate))
}

/// `body`, no faster than `rate` bytes a second: each piece waits until the
/// bytes before it would have crossed the link.
fn paced(body: Body, rate: f64) -> Body {
    let start = Instant::now();
    let mut sent = 0u64;
    let stream = body.into_data_stream().then(move |piece| {
        let due = piece.as_ref().ok().map(|b| {
            sent += b.len() as u64;
            start + Duration::from_secs_f64(sent as f64 / rate)
        });
        async move {
            if let Some(due) = due {
                tokio::time::sleep_until(due.into()).await;
            }
            piece
        }
    });
    Body::from_stream(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_read_as_written() {
        let l = Link::parse("40mbit,20ms").unwrap();
        assert_eq!(l.bytes_per_sec, 5_000_000.0);
        assert_eq!(l.rtt, Duration::from_millis(20));
        assert_eq!(Link::parse(" 20ms , 1gbit ").unwrap().bytes_per_sec, 125_000_000.0);
        assert_eq!(Link::parse("100mbps").unwrap().rtt, Duration::ZERO);
        assert!(Link::parse("20ms").is_err());
        assert!(Link::parse("40mb,20ms").is_err());
        assert!(Link::parse("fast").is_err());
    }
}
