//! Fault injection: the orders tests give ([`FaultSpec`]), the ones still
//! pending ([`Faults`]) and how each fault takes effect. The gateway applies
//! latency, 503, 429 and malformed JSON to every request; the upload and
//! download handlers take drops and truncations for their own bodies.

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::Response;
use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};

use crate::errors;

/// One fault-injection order. Every field is optional; `path_prefix` limits
/// the fault to request paths that start with it (default: every non-admin path).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultSpec {
    pub path_prefix: Option<String>,
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
}

/// Active faults.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Faults {
    pub drops: Vec<(String, u64)>,
    pub fail_503: Vec<(String, u32)>,
    pub rate_limit_429: Vec<(String, u32, u64)>,
    pub latency: Vec<(String, u64)>,
    pub truncate: Vec<(String, u64)>,
    pub malformed: Vec<(String, u32)>,
}

impl Faults {
    pub(crate) fn add(&mut self, f: &FaultSpec) {
        let p = f.path_prefix.clone().unwrap_or_default();
        if let Some(n) = f.drop_after_bytes {
            self.drops.push((p.clone(), n));
        }
        if let Some(n) = f.fail_503 {
            self.fail_503.push((p.clone(), n));
        }
        if let Some(n) = f.rate_limit_429 {
            self.rate_limit_429.push((p.clone(), n, f.retry_after_secs.unwrap_or(60)));
        }
        if let Some(n) = f.latency_ms {
            self.latency.push((p.clone(), n));
        }
        if let Some(n) = f.truncate_download_at {
            self.truncate.push((p.clone(), n));
        }
        if let Some(n) = f.malformed_json {
            self.malformed.push((p, n));
        }
    }

    /// Takes the first drop order for `path`: cut after that many body bytes.
    pub(crate) fn take_drop(&mut self, path: &str) -> Option<u64> {
        take_one(&mut self.drops, path)
    }

    /// Takes the first truncation order for `path`: send only that many bytes.
    pub(crate) fn take_truncate(&mut self, path: &str) -> Option<u64> {
        take_one(&mut self.truncate, path)
    }

    /// The added latency of a request to `path` (every matching order counts).
    pub(crate) fn latency_ms(&self, path: &str) -> u64 {
        self.latency.iter().filter(|(p, _)| path.starts_with(p.as_str())).map(|(_, ms)| *ms).sum()
    }

    /// Takes one 503 order for `path`, else one 429 order: the answer the
    /// gateway gives instead of passing the request on.
    pub(crate) fn take_refusal(&mut self, path: &str) -> Option<Response> {
        if take_counted(&mut self.fail_503, path) {
            return Some(errors::problem_plain(503, "Service Unavailable (sandbox fault injection)"));
        }
        let i = self.rate_limit_429.iter().position(|(p, n, _)| *n > 0 && path.starts_with(p.as_str()))?;
        self.rate_limit_429[i].1 -= 1;
        let retry_after = self.rate_limit_429[i].2;
        self.rate_limit_429.retain(|(_, n, _)| *n > 0);
        Some(errors::apim_429(retry_after as i64))
    }

    /// Takes one malformed-JSON order for `path`.
    pub(crate) fn take_malformed(&mut self, path: &str) -> bool {
        take_counted(&mut self.malformed, path)
    }
}

fn take_one(list: &mut Vec<(String, u64)>, path: &str) -> Option<u64> {
    let i = list.iter().position(|(p, _)| path.starts_with(p.as_str()))?;
    Some(list.remove(i).1)
}

fn take_counted(list: &mut Vec<(String, u32)>, path: &str) -> bool {
    if let Some(e) = list.iter_mut().find(|(p, n)| *n > 0 && path.starts_with(p.as_str())) {
        e.1 -= 1;
        list.retain(|(_, n)| *n > 0);
        return true;
    }
    false
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
