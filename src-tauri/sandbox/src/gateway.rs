//! The API gateway in front of the sandbox (Azure API Management in the real
//! platform): counts requests, checks the subscription key, applies injected
//! faults at the points where the real gateway would fail, and adds the
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
use crate::faults;

pub(crate) async fn layer(State(app): State<App>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    app.counters.locked().requests += 1;
    if path.starts_with("/admin") {
        return next.run(req).await;
    }
    let latency = app.faults.locked().latency_ms(&path);
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
    let refusal = app.faults.locked().take_refusal(&path);
    if let Some(r) = refusal {
        return r;
    }
    let mut resp = next.run(req).await;
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.contains("json"))
        .unwrap_or(false);
    if is_json && app.faults.locked().take_malformed(&path) {
        resp = faults::malformed(resp);
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
