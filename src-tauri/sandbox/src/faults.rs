//! Fault injection: the orders tests give ([`FaultSpec`]), the ones still
//! pending ([`Faults`]), how each fault takes effect, and which ones fired.
//!
//! The gateway applies the faults that any endpoint can suffer: latency, 503,
//! 429, malformed JSON, an answer lost after the handler acted, a request body
//! that breaks off, a response body cut or stalled mid-way. The upload and
//! download handlers take drops and truncations for their own bodies, and the
//! processing job takes processing failures.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::Response;
use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};

use crate::errors;

/// One fault-injection order. Every field is optional. `path_prefix` limits
/// the fault to request paths that start with it (default: every non-admin
/// path), `path_suffix` to paths that end with it, `method` to one HTTP method.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultSpec {
    pub path_prefix: Option<String>,
    /// Only paths ending with this (`/confirmdownload`, `/download`, …).
    pub path_suffix: Option<String>,
    /// Only requests with this method (`POST`, `GET`, `PATCH`, `HEAD`).
    pub method: Option<String>,
    /// Cut the connection after this many body bytes on the next matching
    /// upload (streamed or TUS PATCH) or download.
    pub drop_after_bytes: Option<u64>,
    /// Answer the next N matching requests with 503.
    pub fail_503: Option<u32>,
    /// Answer the next N matching requests with the gateway's 429.
    pub rate_limit_429: Option<u32>,
    /// `Retry-After` seconds of those 429s (default 60).
    pub retry_after_secs: Option<u64>,
    /// Added latency per matching request, milliseconds (until cleared).
    pub latency_ms: Option<u64>,
    /// The next matching download sends only this many bytes, with a
    /// `Content-Length` that matches the shortened body (silent truncation).
    pub truncate_download_at: Option<u64>,
    /// The next N matching JSON responses get a malformed body.
    pub malformed_json: Option<u32>,
    /// The next N matching requests are carried out, and then their answer is
    /// lost: the connection is cut before the client reads it.
    pub lose_answer: Option<u32>,
    /// The next matching request's body breaks off after this many bytes, as
    /// when the client's connection drops in the middle of an upload.
    pub cut_request_after_bytes: Option<u64>,
    /// The next matching response's body is cut after this many bytes.
    pub cut_response_after_bytes: Option<u64>,
    /// The next matching response's body stops after this many bytes and then
    /// sends nothing more, without closing: a server that stalls mid-answer.
    pub stall_response_after_bytes: Option<u64>,
    /// The next N uploads that reach processing fail there (Broker's
    /// processing or storage failing after the last byte arrived).
    pub fail_processing: Option<u32>,
}

/// Which requests an order applies to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Matcher {
    pub prefix: String,
    pub suffix: Option<String>,
    pub method: Option<String>,
}

impl Matcher {
    /// `method` is `None` where the caller does not know it (a handler's own
    /// path key): an order limited to one method then matches too.
    fn matches(&self, method: Option<&str>, path: &str) -> bool {
        path.starts_with(self.prefix.as_str())
            && self.suffix.as_deref().is_none_or(|s| path.ends_with(s))
            && match (self.method.as_deref(), method) {
                (Some(want), Some(got)) => want.eq_ignore_ascii_case(got),
                _ => true,
            }
    }
}

/// What an order does; counted ones are used up one request at a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Kind {
    Drop(u64),
    Fail503(u32),
    RateLimit429 { left: u32, retry_after_secs: u64 },
    Latency(u64),
    Truncate(u64),
    Malformed(u32),
    LoseAnswer(u32),
    CutRequest(u64),
    CutResponse(u64),
    StallResponse(u64),
    FailProcessing(u32),
}

impl Kind {
    /// The name under which a fired fault is counted.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Drop(_) => "drop",
            Kind::Fail503(_) => "fail_503",
            Kind::RateLimit429 { .. } => "rate_limit_429",
            Kind::Latency(_) => "latency",
            Kind::Truncate(_) => "truncate",
            Kind::Malformed(_) => "malformed_json",
            Kind::LoseAnswer(_) => "lose_answer",
            Kind::CutRequest(_) => "cut_request",
            Kind::CutResponse(_) => "cut_response",
            Kind::StallResponse(_) => "stall_response",
            Kind::FailProcessing(_) => "fail_processing",
        }
    }

    /// Uses one request's worth; false once nothing is left.
    fn spend(&mut self) -> bool {
        match self {
            Kind::Fail503(n) | Kind::Malformed(n) | Kind::LoseAnswer(n) | Kind::FailProcessing(n) => {
                *n = n.saturating_sub(1);
                *n > 0
            }
            Kind::RateLimit429 { left, .. } => {
                *left = left.saturating_sub(1);
                *left > 0
            }
            Kind::Latency(_) => true,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Order {
    pub matcher: Matcher,
    pub kind: Kind,
}

/// Active faults, and how often each kind has fired (so that a test can
/// check its fault took effect).
#[derive(Debug, Default, Clone, Serialize)]
pub struct Faults {
    pub orders: Vec<Order>,
    pub fired: BTreeMap<String, u64>,
}

impl Faults {
    pub(crate) fn add(&mut self, f: &FaultSpec) {
        let matcher = Matcher {
            prefix: f.path_prefix.clone().unwrap_or_default(),
            suffix: f.path_suffix.clone().filter(|s| !s.is_empty()),
            method: f.method.clone().filter(|s| !s.is_empty()),
        };
        let mut push = |kind: Kind| self.orders.push(Order { matcher: matcher.clone(), kind });
        let counted = |n: Option<u32>| n.filter(|n| *n > 0);
        if let Some(n) = f.drop_after_bytes {
            push(Kind::Drop(n));
        }
        if let Some(n) = counted(f.fail_503) {
            push(Kind::Fail503(n));
        }
        if let Some(n) = counted(f.rate_limit_429) {
            push(Kind::RateLimit429 { left: n, retry_after_secs: f.retry_after_secs.unwrap_or(60) });
        }
        if let Some(n) = f.latency_ms {
            push(Kind::Latency(n));
        }
        if let Some(n) = f.truncate_download_at {
            push(Kind::Truncate(n));
        }
        if let Some(n) = counted(f.malformed_json) {
            push(Kind::Malformed(n));
        }
        if let Some(n) = counted(f.lose_answer) {
            push(Kind::LoseAnswer(n));
        }
        if let Some(n) = f.cut_request_after_bytes {
            push(Kind::CutRequest(n));
        }
        if let Some(n) = f.cut_response_after_bytes {
            push(Kind::CutResponse(n));
        }
        if let Some(n) = f.stall_response_after_bytes {
            push(Kind::StallResponse(n));
        }
        if let Some(n) = counted(f.fail_processing) {
            push(Kind::FailProcessing(n));
        }
    }

    /// Takes one use of the first order of a kind (`which`) that matches.
    fn take(&mut self, method: Option<&str>, path: &str, which: fn(&Kind) -> bool) -> Option<Kind> {
        let i = self.orders.iter().position(|o| which(&o.kind) && o.matcher.matches(method, path))?;
        let kind = self.orders[i].kind.clone();
        if !self.orders[i].kind.spend() {
            self.orders.remove(i);
        }
        *self.fired.entry(kind.name().to_owned()).or_insert(0) += 1;
        Some(kind)
    }

    /// Takes the first drop order for `path`: cut after that many body bytes.
    pub(crate) fn take_drop(&mut self, path: &str) -> Option<u64> {
        match self.take(None, path, |k| matches!(k, Kind::Drop(_)))? {
            Kind::Drop(n) => Some(n),
            _ => None,
        }
    }

    /// Takes the first truncation order for `path`: send only that many bytes.
    pub(crate) fn take_truncate(&mut self, path: &str) -> Option<u64> {
        match self.take(None, path, |k| matches!(k, Kind::Truncate(_)))? {
            Kind::Truncate(n) => Some(n),
            _ => None,
        }
    }

    /// The added latency of a request (every matching order counts).
    pub(crate) fn latency_ms(&mut self, method: &str, path: &str) -> u64 {
        let ms: u64 = self
            .orders
            .iter()
            .filter(|o| o.matcher.matches(Some(method), path))
            .filter_map(|o| match o.kind {
                Kind::Latency(ms) => Some(ms),
                _ => None,
            })
            .sum();
        if ms > 0 {
            *self.fired.entry("latency".into()).or_insert(0) += 1;
        }
        ms
    }

    /// Takes one 503 order for the request, else one 429 order: the answer
    /// the gateway gives instead of passing the request on.
    pub(crate) fn take_refusal(&mut self, method: &str, path: &str) -> Option<Response> {
        if self.take(Some(method), path, |k| matches!(k, Kind::Fail503(_))).is_some() {
            return Some(errors::problem_plain(503, "Service Unavailable (sandbox fault injection)"));
        }
        match self.take(Some(method), path, |k| matches!(k, Kind::RateLimit429 { .. }))? {
            Kind::RateLimit429 { retry_after_secs, .. } => Some(errors::apim_429(retry_after_secs as i64)),
            _ => None,
        }
    }

    /// Takes one malformed-JSON order for the request.
    pub(crate) fn take_malformed(&mut self, method: &str, path: &str) -> bool {
        self.take(Some(method), path, |k| matches!(k, Kind::Malformed(_))).is_some()
    }

    /// Takes one lost-answer order for the request.
    pub(crate) fn take_lose_answer(&mut self, method: &str, path: &str) -> bool {
        self.take(Some(method), path, |k| matches!(k, Kind::LoseAnswer(_))).is_some()
    }

    /// Takes a request-body cut for the request: the body breaks off after that many bytes.
    pub(crate) fn take_cut_request(&mut self, method: &str, path: &str) -> Option<u64> {
        match self.take(Some(method), path, |k| matches!(k, Kind::CutRequest(_)))? {
            Kind::CutRequest(n) => Some(n),
            _ => None,
        }
    }

    /// Takes a response-body fault for the request: cut, or stall, after that many bytes.
    pub(crate) fn take_response_fault(&mut self, method: &str, path: &str) -> Option<Kind> {
        self.take(Some(method), path, |k| matches!(k, Kind::CutResponse(_) | Kind::StallResponse(_)))
    }

    /// Takes one processing-failure order (any transfer).
    pub(crate) fn take_fail_processing(&mut self) -> bool {
        self.take(None, "", |k| matches!(k, Kind::FailProcessing(_))).is_some()
    }
}

/// Replaces a JSON response's body with a cut-off document (status and headers stay).
pub(crate) fn malformed(resp: Response) -> Response {
    let (mut parts, _) = resp.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from("{\"fileTransferId\": \"3f1d2c0e-7b6a-4c1e"))
}

fn dropped() -> std::io::Error {
    std::io::Error::other("sandbox: injected connection drop")
}

/// A response that aborts the connection: its body fails at once. Used for an
/// injected drop and where the client's own body broke off.
pub(crate) fn connection_drop() -> Response {
    let s = futures_util::stream::once(async { Err::<Bytes, std::io::Error>(dropped()) });
    let mut r = Response::new(Body::from_stream(s));
    *r.status_mut() = axum::http::StatusCode::INTERNAL_SERVER_ERROR;
    r
}

/// A download body that sends `limit` bytes of `stream` and then fails, so the
/// connection is cut mid-body.
pub(crate) fn cut_after<S>(stream: S, limit: u64) -> Body
where
    S: Stream<Item = std::io::Result<Bytes>> + Send + 'static,
{
    let mut sent = 0u64;
    let s = stream.map(move |chunk| match chunk {
        Ok(mut b) => {
            if sent >= limit {
                return Err(dropped());
            }
            if sent + b.len() as u64 > limit {
                b.truncate((limit - sent) as usize);
            }
            sent += b.len() as u64;
            Ok(b)
        }
        Err(e) => Err(e),
    });
    // After the allowed bytes, fail the body so the connection is cut.
    let tail = futures_util::stream::once(async { Err(dropped()) });
    Body::from_stream(s.chain(tail))
}

/// A body that passes `limit` bytes of `body` and then breaks off (`stall`
/// false) or goes silent for good without closing (`stall` true). A body
/// shorter than `limit` passes whole.
pub(crate) fn limit_body(body: Body, limit: u64, stall: bool) -> Body {
    type Inner = std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, axum::Error>> + Send>>;
    let inner: Inner = Box::pin(body.into_data_stream());
    let s = futures_util::stream::unfold(Some((inner, 0u64)), move |state| async move {
        let (mut inner, sent) = state?;
        if sent >= limit {
            if stall {
                // Silent until the client gives up and closes the connection.
                tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
            }
            return Some((Err(dropped()), None));
        }
        match inner.next().await {
            None => None,
            Some(Err(e)) => Some((Err(std::io::Error::other(e)), None)),
            Some(Ok(mut b)) => {
                if sent + b.len() as u64 > limit {
                    b.truncate((limit - sent) as usize);
                }
                let sent = sent + b.len() as u64;
                Some((Ok(b), Some((inner, sent))))
            }
        }
    });
    Body::from_stream(s)
}
