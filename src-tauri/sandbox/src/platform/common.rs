//! What the platform handlers share: the API prefix, the scopes, the token
//! check, the JSON body and the approval page's address.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::http::{header, HeaderMap};
use axum::response::Response;
use serde_json::Value;
use uuid::Uuid;

use crate::app::App;
use crate::auth::{authenticate, Caller};
use crate::errors;
use crate::model::strip_org;

pub(crate) const A: &str = "/authentication/api/v1";

pub const SCOPE_REGISTER_WRITE: &str = "altinn:authentication/systemregister.write";
pub const SCOPE_REGISTER_ADMIN: &str = "altinn:authentication/systemregister.admin";
pub const SCOPE_REQUEST_WRITE: &str = "altinn:authentication/systemuser.request.write";
pub const SCOPE_REQUEST_READ: &str = "altinn:authentication/systemuser.request.read";

/// The bearer token with one of `scopes` (the policy's RequireScopeAnyOf):
/// no token → 401, no scope → 403, both with an empty body.
pub(crate) fn scoped(app: &App, headers: &HeaderMap, scopes: &[&str]) -> Result<Caller, Response> {
    let c = authenticate(app, headers)?;
    if !scopes.iter().any(|s| c.has_scope(s)) {
        return Err(errors::forbidden());
    }
    Ok(c)
}

/// The vendor's organisation number, read from the token's `consumer` claim
/// the way RetrieveOrgNoFromToken does (not from a system user's details).
pub(crate) fn vendor_org(c: &Caller) -> Option<String> {
    c.claims.pointer("/consumer/ID").and_then(|v| v.as_str()).map(strip_org).filter(|o| !o.is_empty())
}

pub(crate) fn json_body(headers: &HeaderMap, body: &Bytes) -> Result<Value, Response> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.to_ascii_lowercase().contains("json") {
        return Err(errors::unsupported_media());
    }
    serde_json::from_slice(body).map_err(|e| errors::validation(serde_json::json!({"$": [e.to_string()]})))
}

/// JSON object keys in lower case (System.Text.Json binds them without case).
pub(crate) fn lower(v: &Value) -> BTreeMap<String, Value> {
    v.as_object().map(|o| o.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())).collect()).unwrap_or_default()
}

/// The approval page for a request or change request. Altinn's is
/// `https://am.ui.<host>/accessmanagement/ui/systemuser/request?id=…&DONTCHOOSEREPORTEE=true`;
/// the sandbox serves the same path itself.
pub(crate) fn confirm_url(app: &App, change: bool, id: Uuid) -> String {
    let kind = if change { "changerequest" } else { "request" };
    format!("{}/accessmanagement/ui/systemuser/{kind}?id={id}&DONTCHOOSEREPORTEE=true", app.base)
}
