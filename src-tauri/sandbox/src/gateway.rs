//! The API gateway in front of the sandbox (Azure API Management in the real
//! platform): counts requests, checks the subscription key, applies injected
//! faults at the points where the real gateway (or the network) would fail,
//! records when each download confirmation was carried out, and adds the
//! security headers. `/admin` passes untouched.

use budbringer_core::sync::Locked;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;

use crate::app::App;
use crate::errors::json_response;
use crate::faults::{self, Kind};

pub(crate) async fn layer(State(app): State<App>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let method = req.method().as_str().to_owned();
    app.counters.locked().requests += 1;
    if path.starts_with("/admin") {
        return next.run(req).await;
    }
    let latency = app.faults.locked().latency_ms(&method, &path);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let behind_gateway = path.starts_with("/broker") || path.starts_with("/authentication");
    if behind_gateway {
        if let Some(key) = app.read(|s| s.settings.api_key.clone()) {
            let got = req.headers().get("Ocp-Apim-Subscription-Key").and_then(|v| v.to_str().ok());
            let msg = match got {
                None => Some("Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API."),
                Some(k) if k != key => Some("Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."),
                _ => None,
            };
            if let Some(m) = msg {
                return json_response(401, &json!({"statusCode": 401, "message": m}));
            }
        }
    }
    let refusal = app.faults.locked().take_refusal(&method, &path);
    if let Some(r) = refusal {
        return r;
    }
    let cut = app.faults.locked().take_cut_request(&method, &path);
    // The client's connection drops mid-upload: the handler sees its body break off.
    let req = match cut {
        Some(n) => req.map(|body| faults::limit_body(body, n, false)),
        None => req,
    };
    let mut resp = next.run(req).await;
    if method == "POST" && path.ends_with("/confirmdownload") && resp.status().is_success() {
        record_confirm(&app, &path);
    }
    if app.faults.locked().take_lose_answer(&method, &path) {
        // The server has acted; the answer never reaches the client.
        return faults::connection_drop();
    }
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.contains("json"))
        .unwrap_or(false);
    if is_json && app.faults.locked().take_malformed(&method, &path) {
        resp = faults::malformed(resp);
    }
    let body_fault = app.faults.locked().take_response_fault(&method, &path);
    match body_fault {
        Some(Kind::CutResponse(n)) => resp = resp.map(|b| faults::limit_body(b, n, false)),
        Some(Kind::StallResponse(n)) => resp = resp.map(|b| faults::limit_body(b, n, true)),
        _ => {}
    }
    let h = resp.headers_mut();
    h.insert("X-Content-Type-Options", HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::DATE,
        HeaderValue::from_str(&httpdate::fmt_http_date(app.clock.now().into()))
            .expect("an HTTP date is a valid header"),
    );
    resp
}

/// Notes when a confirmation of `/…/filetransfer/{id}/confirmdownload` was
/// carried out (wall-clock time, to compare with when the file got its name).
fn record_confirm(app: &App, path: &str) {
    let id = path.trim_end_matches("/confirmdownload").rsplit('/').next().and_then(|s| uuid::Uuid::parse_str(s).ok());
    if let Some(id) = id {
        app.counters.locked().confirms.entry(id).or_default().push(std::time::SystemTime::now());
    }
}
