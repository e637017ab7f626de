//! `systemregister/vendor`: register, update and read the vendor's own system
//! (SystemRegisterController; docs/ALTINN.md#registering-the-system).
//!
//! POST checks, in this order: the scope (403); the vendor id's authority
//! (`0192:`, else AUTH.VLD-00000 at once); then it collects the validation
//! errors of the system id, redirect URLs, client ids and rights; then the
//! token's organisation must be the vendor (403, empty) before the collected
//! errors are returned (400).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use uuid::Uuid;

use super::common::{json_body, lower, scoped, vendor_org, SCOPE_REGISTER_ADMIN, SCOPE_REGISTER_WRITE};
use super::problems::{self, Vld};
use crate::app::App;
use crate::errors::{self, json_response};
use crate::model::onboarding::rights_resources;
use crate::model::{strip_org, RegisteredSystem};

const WRITE: &[&str] = &[SCOPE_REGISTER_ADMIN, SCOPE_REGISTER_WRITE];

fn strings(o: &std::collections::BTreeMap<String, Value>, key: &str) -> Vec<String> {
    o.get(key)
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_str().map(|s| s.trim().to_owned())).collect())
        .unwrap_or_default()
}

fn vendor_id(o: &std::collections::BTreeMap<String, Value>) -> String {
    o.get("vendor")
        .and_then(|v| v.get("ID").or_else(|| v.get("id")).or_else(|| v.get("Id")))
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .trim()
        .to_owned()
}

/// HasWriteAccess: the admin scope, or the token's organisation is the owner.
fn may_write(c: &crate::auth::Caller, owner: &str) -> bool {
    c.has_scope(SCOPE_REGISTER_ADMIN) || vendor_org(c).as_deref() == Some(owner)
}

/// An absolute https URL (IsValidRedirectUrl).
fn https(u: &str) -> bool {
    u.strip_prefix("https://").map(|rest| !rest.is_empty() && !rest.starts_with('/')).unwrap_or(false)
}

/// ValidateRights: the attribute id's format (AUTH.VLD-00009), the resource in
/// the Resource Registry (-00003), duplicate rights (-00006).
fn validate_rights(app: &App, rights: &Value, errors: &mut Vec<Vld>) {
    let mut bad_format = vec![];
    let mut not_found = vec![];
    let mut keys = std::collections::BTreeSet::new();
    let mut duplicate = false;
    for right in rights.as_array().into_iter().flatten() {
        let attrs: Vec<&Value> = right
            .get("resource")
            .or_else(|| right.get("Resource"))
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
            .collect();
        let mut key = String::new();
        for a in &attrs {
            let id = a.get("id").or_else(|| a.get("Id")).and_then(|v| v.as_str()).unwrap_or("");
            let value = a.get("value").or_else(|| a.get("Value")).and_then(|v| v.as_str()).unwrap_or("");
            key.push_str(&format!("{id}:{value},"));
            if id != "urn:altinn:resource" {
                bad_format.push(value.to_owned());
            } else if !app.read(|s| s.resources.contains_key(&strip_org(value))) {
                not_found.push(value.to_owned());
            }
        }
        let action = right.get("action").and_then(|v| v.as_str()).unwrap_or("");
        if !keys.insert(format!("{action}:{key}")) {
            duplicate = true;
        }
    }
    if !bad_format.is_empty() {
        errors.push(Vld {
            n: 9,
            path: problems::RESOURCE_RIGHTS,
            extension: Some(("Invalid Resource Id Details : ", bad_format.join(" | "))),
        });
    }
    if !not_found.is_empty() {
        errors.push(Vld {
            n: 3,
            path: problems::RESOURCE_RIGHTS,
            extension: Some(("ResourceIds Not Found : ", not_found.join(" | "))),
        });
    }
    if duplicate {
        errors.push(Vld { n: 6, path: problems::RESOURCE_RIGHTS, extension: None });
    }
}

/// ValidateAccessPackages: the sandbox knows no access packages, so any is
/// "not found" (-00008); duplicates are -00007.
fn validate_packages(packages: &Value, errors: &mut Vec<Vld>) {
    let urns: Vec<&str> = packages
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p.get("urn").or_else(|| p.get("Urn")).and_then(|v| v.as_str()).unwrap_or(""))
        .collect();
    if !urns.is_empty() {
        errors.push(Vld {
            n: 8,
            path: problems::ACCESS_PACKAGES,
            extension: Some(("Invalid Urn Details : ", format!("Not found: {}", urns.join(", ")))),
        });
    }
    let mut seen = std::collections::BTreeSet::new();
    if urns.iter().any(|u| !seen.insert(*u)) {
        errors.push(Vld { n: 7, path: problems::ACCESS_PACKAGES, extension: None });
    }
}

fn stored(id: &str, vendor: &str, body: &Value) -> RegisteredSystem {
    let o = lower(body);
    let rights = o.get("rights").cloned().unwrap_or(json!([]));
    RegisteredSystem {
        id: id.to_owned(),
        vendor_org: vendor.to_owned(),
        body: body.clone(),
        client_ids: strings(&o, "clientid"),
        resources: rights_resources(&rights),
        redirect_urls: strings(&o, "allowedredirecturls"),
    }
}

pub(super) async fn create(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let c = match scoped(&app, &headers, WRITE) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let v = match json_body(&headers, &body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let o = lower(&v);
    let vendor = vendor_id(&o);
    if vendor.split(':').next() != Some("0192") {
        return problems::validation(&[Vld { n: 0, path: problems::VENDOR_ID, extension: None }]);
    }
    let vendor_no = strip_org(&vendor);
    let id = o.get("id").and_then(|v| v.as_str()).unwrap_or("").trim().to_owned();
    let mut errors = vec![];
    // ValidateRegisteredSystem.
    if id.contains(' ') {
        errors.push(Vld { n: 13, path: problems::SYSTEM_ID, extension: None });
    }
    if id.split('_').next() != Some(vendor_no.as_str()) {
        errors.push(Vld { n: 1, path: problems::SYSTEM_ID, extension: None });
    }
    if app.read(|s| s.systems.contains_key(&id)) {
        errors.push(Vld { n: 2, path: problems::SYSTEM_ID, extension: None });
    }
    if !strings(&o, "allowedredirecturls").iter().all(|u| https(u)) {
        errors.push(Vld { n: 5, path: problems::REDIRECT_URLS, extension: None });
    }
    let clients = strings(&o, "clientid");
    if app.read(|s| clients.iter().any(|c| s.systems.values().any(|sys| sys.client_ids.contains(c)))) {
        errors.push(Vld { n: 4, path: problems::CLIENT_ID, extension: None });
    }
    validate_rights(&app, o.get("rights").unwrap_or(&json!([])), &mut errors);
    validate_packages(o.get("accesspackages").unwrap_or(&json!([])), &mut errors);
    if !may_write(&c, &vendor_no) {
        return errors::forbidden();
    }
    if !errors.is_empty() {
        return problems::validation(&errors);
    }
    let sys = stored(&id, &vendor_no, &v);
    app.mutate(|s| s.systems.insert(id.clone(), sys));
    // The answer is the system's internal GUID.
    json_response(200, &json!(Uuid::new_v4()))
}

pub(super) async fn update(
    State(app): State<App>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let c = match scoped(&app, &headers, WRITE) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let v = match json_body(&headers, &body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let not_found = || crate::errors::text(404, &format!("System with ID '{sid}' not found."));
    let Some(current) = app.read(|s| s.systems.get(&sid).cloned()) else { return not_found() };
    if !may_write(&c, &current.vendor_org) {
        return errors::forbidden();
    }
    let o = lower(&v);
    if strip_org(&vendor_id(&o)) != current.vendor_org || !vendor_id(&o).starts_with("0192:") {
        return not_found();
    }
    let id = o.get("id").and_then(|v| v.as_str()).unwrap_or("").trim().to_owned();
    if id != sid {
        return problems::validation(&[Vld { n: 12, path: problems::SYSTEM_ID, extension: None }]);
    }
    let mut errors = vec![];
    validate_rights(&app, o.get("rights").unwrap_or(&json!([])), &mut errors);
    validate_packages(o.get("accesspackages").unwrap_or(&json!([])), &mut errors);
    // ValidateClientIds: duplicates in the request, or a client of another system.
    let clients = strings(&o, "clientid");
    let mut seen = std::collections::BTreeSet::new();
    if clients.iter().any(|c| !seen.insert(c.to_ascii_lowercase())) {
        errors.push(Vld { n: 11, path: problems::CLIENT_ID, extension: None });
    }
    for cid in &clients {
        if app.read(|s| {
            s.systems.values().any(|sys| sys.id != sid && sys.client_ids.iter().any(|x| x.eq_ignore_ascii_case(cid)))
        }) {
            errors.push(Vld { n: 4, path: problems::CLIENT_ID, extension: None });
        }
    }
    if !errors.is_empty() {
        return problems::validation(&errors);
    }
    let sys = stored(&sid, &current.vendor_org, &v);
    app.mutate(|s| s.systems.insert(sid.clone(), sys));
    json_response(200, &json!({"succeeded": true}))
}

/// `PUT vendor/{id}/rights`: replaces the system's rights.
pub(super) async fn update_rights(
    State(app): State<App>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let c = match scoped(&app, &headers, WRITE) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let v = match json_body(&headers, &body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    // The real handler reads the system without a null check (a 500 for an unknown id).
    let Some(mut current) = app.read(|s| s.systems.get(&sid).cloned()) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if !may_write(&c, &current.vendor_org) {
        return errors::forbidden();
    }
    let mut errors = vec![];
    validate_rights(&app, &v, &mut errors);
    if !errors.is_empty() {
        return problems::validation(&errors);
    }
    current.resources = rights_resources(&v);
    if let Some(o) = current.body.as_object_mut() {
        o.retain(|k, _| !k.eq_ignore_ascii_case("rights"));
        o.insert("rights".into(), v);
    }
    app.mutate(|s| s.systems.insert(sid.clone(), current));
    json_response(200, &json!({"succeeded": true}))
}

pub(super) async fn get(State(app): State<App>, Path(sid): Path<String>, headers: HeaderMap) -> Response {
    let c = match scoped(&app, &headers, WRITE) {
        Ok(c) => c,
        Err(r) => return r,
    };
    match app.read(|s| s.systems.get(&sid).cloned()) {
        None => StatusCode::NOT_FOUND.into_response(),
        Some(s) if !may_write(&c, &s.vendor_org) => errors::forbidden(),
        Some(s) => json_response(200, &s.body),
    }
}
