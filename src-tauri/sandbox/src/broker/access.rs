//! Who may call what: the scope each endpoint needs, the sandbox PDP (caller
//! org = party with the right on the resource), the gateway's rate limit per
//! caller; and the request checks every Broker handler shares (Accept,
//! Content-Type, ids, JSON keys without case).

use budbringer_core::sync::Locked;

use axum::http::{header, HeaderMap};
use axum::response::Response;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::app::App;
use crate::auth::{authenticate, Caller};
use crate::errors::{self, validation};
use crate::model::{strip_org, FileTransfer};

pub(super) const P: &str = "/broker/api/v1";

#[derive(Clone, Copy)]
pub(super) enum Policy {
    Sender,
    Recipient,
    SenderOrRecipient,
    ServiceOwner,
}

pub(super) fn authz(app: &App, headers: &HeaderMap, p: Policy) -> Result<Caller, Response> {
    let c = authenticate(app, headers)?;
    let ok = match p {
        Policy::Sender => c.has_scope("altinn:broker.write"),
        Policy::Recipient => c.has_scope("altinn:broker.read"),
        Policy::SenderOrRecipient => c.has_scope("altinn:broker.read") || c.has_scope("altinn:broker.write"),
        Policy::ServiceOwner => c.has_scope("altinn:serviceowner"),
    };
    if !ok {
        return Err(errors::forbidden());
    }
    Ok(c)
}

/// AcceptHeaderValidationMiddleware for `[Produces("application/json")]` actions.
pub(super) fn check_accept(headers: &HeaderMap, produces: &str) -> Result<(), Response> {
    let Some(a) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else { return Ok(()) };
    let ok = a
        .split(',')
        .map(|t| t.split(';').next().unwrap_or("").trim())
        .any(|t| t.eq_ignore_ascii_case(produces) || t == "*/*" || t.is_empty());
    if ok {
        Ok(())
    } else if produces == "text/csv" {
        Err(errors::text(
            406,
            "This endpoint does not support the requested Accept header. Supported Accept headers are: text/csv, */*.",
        ))
    } else {
        Err(errors::not_acceptable())
    }
}

pub(super) fn parse_id(s: &str) -> Result<Uuid, Response> {
    Uuid::parse_str(s).map_err(|_| validation(json!({"fileTransferId": [format!("The value '{s}' is not valid.")]})))
}

/// Sandbox PDP (docs/ALTINN.md#who-may-do-what): caller org = party, party has `action` on the resource.
pub(super) fn pdp(app: &App, c: &Caller, resource_id: &str, party: &str, action: &str) -> bool {
    let Some(org) = &c.org else { return false };
    if org != &strip_org(party) {
        return false;
    }
    app.read(|s| {
        if s.settings.require_system_user && !c.system_user {
            return false;
        }
        // The decision itself (resource policy, access lists, the system
        // user's delegated rights) lives with the model: model/onboarding.rs.
        let su = c.system_user.then(|| {
            let id = c
                .claims
                .pointer("/authorization_details/0/systemuser_id/0")
                .and_then(|v| v.as_str())
                .and_then(|v| Uuid::parse_str(v).ok());
            (id, c.claims.pointer("/authorization_details/0/system_id").and_then(|v| v.as_str()))
        });
        s.broker_permits(org, resource_id, action, su)
    })
}

pub(super) fn is_sender(app: &App, c: &Caller, ft: &FileTransfer) -> bool {
    pdp(app, c, &ft.resource_id, &ft.sender, "write")
}

pub(super) fn is_recipient(app: &App, c: &Caller, ft: &FileTransfer) -> bool {
    ft.recipients.iter().any(|r| pdp(app, c, &ft.resource_id, r, "read"))
}

pub(super) fn caller_actor(c: &Caller) -> String {
    format!("0192:{}", c.org.clone().unwrap_or_default())
}

pub(super) fn get_ft(app: &App, id: Uuid) -> Option<FileTransfer> {
    app.read(|s| s.transfers.get(&id).cloned())
}

/// Gateway rate limit per endpoint and caller; `limit` per minute of the sandbox clock.
pub(super) fn rate_limited(app: &App, endpoint: &str, c: &Caller, limit: u32) -> Option<Response> {
    if limit == 0 {
        return None;
    }
    let now = app.clock.unix();
    let key = (
        endpoint.to_string(),
        if c.client_id.is_empty() { c.org.clone().unwrap_or_default() } else { c.client_id.clone() },
    );
    let mut ctr = app.counters.locked();
    *ctr.limited_calls.entry(endpoint.to_string()).or_default() += 1;
    let e = ctr.rate.entry(key).or_insert((now, 0));
    if now - e.0 >= 60 {
        *e = (now, 0);
    }
    e.1 += 1;
    if e.1 > limit {
        let retry = (60 - (now - e.0)).max(1);
        *ctr.rate_limited.entry(endpoint.to_string()).or_default() += 1;
        return Some(errors::apim_429(retry));
    }
    None
}

/// The gateway's per-endpoint limit for initialize, uploads, overview, download
/// and confirm (Broker's rate-limit load test: 120 a minute each).
pub(super) fn broker_limited(app: &App, endpoint: &str, c: &Caller) -> Option<Response> {
    let limit = app.read(|s| s.settings.broker_rate_limit_per_minute);
    rate_limited(app, endpoint, c, limit)
}

pub(super) fn lower_keys(v: &Value) -> Map<String, Value> {
    v.as_object().map(|o| o.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())).collect()).unwrap_or_default()
}

pub(super) fn is_json_ct(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let m = v.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            m == "application/json" || m.ends_with("+json") || m == "text/json"
        })
        .unwrap_or(false)
}
