//! `systemuser/request/vendor`: the vendor asks for a system user, follows
//! the request and finds the system user (RequestSystemUserController,
//! RequestSystemUserService; docs/ALTINN.md#requesting-and-approving-a-system-user).
//!
//! POST, in this order: the scope (403); the vendor from the token's
//! `consumer` (AUTH-00023); a system user with the same system, party and
//! externalRef (AUTH-00004); the same request again (200 with it, whatever
//! its status, timed out or not: only the old status `Timedout` is skipped);
//! then the new request's checks: the system (AUTH-00011), a request with
//! the same ids (AUTH-00006…-00009), the vendor owns the system (AUTH-00011),
//! the party exists (AUTH-00000), the redirect URL (AUTH-00026, -00021), the
//! rights (AUTH-00001, -00059) → 201.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use uuid::Uuid;

use super::common::{confirm_url, json_body, lower, scoped, vendor_org, SCOPE_REQUEST_READ, SCOPE_REQUEST_WRITE};
use super::problems::auth;
use crate::app::App;
use crate::errors::{self, json_response};
use crate::model::onboarding::{rights_resources, timed_out};
use crate::model::{fmt_ts, strip_org, RegisteredSystem, State as Model, SystemUser, SystemUserRequest};

/// RequestSystemResponse.
pub(crate) fn request_json(app: &App, r: &SystemUserRequest) -> Value {
    json!({
        "id": r.id,
        "integrationTitle": "Budbringer",
        "externalRef": r.external_ref,
        "systemId": r.system_id,
        "partyOrgNo": r.party_org_no,
        "rights": r.rights,
        "accessPackages": [],
        "status": r.status,
        "redirectUrl": r.redirect_url,
        "confirmUrl": confirm_url(app, false, r.id),
        "escalated": false,
        "created": fmt_ts(r.created),
        "timedOut": timed_out(r.created, app.clock.now()),
    })
}

/// ValidateRedirectUrl: the chosen URL's path must equal one of the system's.
pub(crate) fn redirect_problem(sys: &RegisteredSystem, url: &str) -> Option<Response> {
    if sys.redirect_urls.is_empty() {
        return Some(auth(26));
    }
    let left = |u: &str| u.split(['?', '#']).next().unwrap_or("").trim_end_matches('/').to_ascii_lowercase();
    if !sys.redirect_urls.iter().any(|x| left(x) == left(url)) {
        return Some(auth(21));
    }
    None
}

/// ValidateRights: every right must be one of the system's (AUTH-00001).
pub(crate) fn rights_problem(sys: &RegisteredSystem, rights: &Value) -> Option<Response> {
    let wanted = rights_resources(rights);
    if wanted.len() > sys.resources.len() || wanted.iter().any(|r| !sys.resources.contains(r)) {
        return Some(auth(1));
    }
    None
}

fn find_by_ref<'a>(s: &'a Model, system: &str, org: &str, ext: &str) -> Option<&'a SystemUserRequest> {
    s.requests.values().find(|r| r.system_id == system && r.party_org_no == org && r.external_ref == ext)
}

fn owned_by(s: &Model, system: &str, vendor: &str) -> bool {
    s.systems.get(system).map(|sys| sys.vendor_org == vendor).unwrap_or(false)
}

pub(super) async fn create(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let c = match scoped(&app, &headers, &[SCOPE_REQUEST_WRITE]) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let v = match json_body(&headers, &body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(vendor) = vendor_org(&c) else { return auth(23) };
    let o = lower(&v);
    let text = |k: &str| o.get(k).and_then(|v| v.as_str()).map(|s| s.trim().to_owned());
    let system_id = text("systemid").unwrap_or_default();
    let party = text("partyorgno").unwrap_or_default();
    let ext_given = text("externalref");
    // The controller looks up with `ExternalRef ?? PartyOrgNo`; the service
    // stores an empty one as the organisation number.
    let lookup_ref = ext_given.clone().unwrap_or_else(|| party.clone());
    let rights = o.get("rights").cloned();
    let redirect = text("redirecturl").filter(|s| !s.is_empty());

    let existing_user = app.read(|s| {
        s.system_users.values().any(|u| {
            u.system_id == system_id
                && u.org_number == party
                && u.external_ref.as_deref().unwrap_or(&u.org_number) == lookup_ref
        })
    });
    if existing_user {
        return auth(4);
    }
    let again = app.read(|s| {
        find_by_ref(s, &system_id, &party, &lookup_ref).filter(|_| owned_by(s, &system_id, &vendor)).cloned()
    });
    if let Some(r) = again.filter(|r| r.status != "Timedout") {
        return json_response(200, &request_json(&app, &r));
    }

    let Some(sys) = app.read(|s| s.systems.get(&system_id).cloned()) else { return auth(11) };
    if let Some(r) = app.read(|s| find_by_ref(s, &system_id, &party, &lookup_ref).cloned()) {
        match r.status.as_str() {
            "Accepted" => return auth(6),
            "New" => return auth(7),
            "Denied" => return auth(8),
            "Rejected" => return auth(9),
            _ => {}
        }
    }
    if sys.vendor_org != vendor {
        return auth(11);
    }
    if !app.read(|s| s.organisations.contains_key(&strip_org(&party))) {
        return auth(0);
    }
    if let Some(p) = redirect.as_deref().and_then(|u| redirect_problem(&sys, u)) {
        return p;
    }
    let Some(rights) = rights.filter(|r| !r.is_null()) else { return auth(1) };
    if rights.as_array().map(|a| a.is_empty()).unwrap_or(true) {
        return auth(59);
    }
    if let Some(p) = rights_problem(&sys, &rights) {
        return p;
    }
    let external_ref = ext_given.filter(|e| !e.is_empty()).unwrap_or_else(|| party.clone());
    let req = SystemUserRequest {
        id: Uuid::new_v4(),
        external_ref_given: external_ref != party,
        external_ref,
        system_id,
        party_org_no: party,
        rights,
        redirect_url: redirect,
        status: "New".into(),
        created: app.clock.now(),
        system_user_id: None,
    };
    app.mutate(|s| s.requests.insert(req.id, req.clone()));
    let mut resp = json_response(201, &request_json(&app, &req));
    let location = format!("{}/authentication/api/v1/systemuser/request/{}", app.base, req.id);
    if let Ok(h) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, h);
    }
    resp
}

/// GET by id or by external ids: 401 without a vendor, AUTH-00010 when there
/// is no such request, AUTH-00011 when the vendor does not own its system.
fn answer(app: &App, headers: &HeaderMap, find: impl Fn(&Model) -> Option<SystemUserRequest>) -> Response {
    let c = match scoped(app, headers, &[SCOPE_REQUEST_READ]) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(vendor) = vendor_org(&c) else { return errors::unauthorized(false) };
    let Some(r) = app.read(&find) else { return auth(10) };
    if !app.read(|s| owned_by(s, &r.system_id, &vendor)) {
        return auth(11);
    }
    json_response(200, &request_json(app, &r))
}

pub(super) async fn get(State(app): State<App>, Path(rid): Path<String>, headers: HeaderMap) -> Response {
    let Ok(rid) = Uuid::parse_str(&rid) else {
        return crate::errors::validation(json!({"requestId": [format!("The value '{rid}' is not valid.")]}));
    };
    answer(&app, &headers, |s| s.requests.get(&rid).cloned())
}

pub(super) async fn by_ref(
    State(app): State<App>,
    Path((sid, org, ext)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    answer(&app, &headers, |s| find_by_ref(s, &sid, &org, &ext).cloned())
}

/// `DELETE vendor/{id}` → 202; the request is gone (the real service does
/// not check the vendor here).
pub(super) async fn delete(State(app): State<App>, Path(rid): Path<String>, headers: HeaderMap) -> Response {
    if let Err(r) = scoped(&app, &headers, &[SCOPE_REQUEST_WRITE]) {
        return r;
    }
    let Ok(rid) = Uuid::parse_str(&rid) else { return auth(10) };
    match app.mutate(|s| s.requests.remove(&rid)) {
        Some(_) => StatusCode::ACCEPTED.into_response(),
        None => auth(10),
    }
}

fn system_user_json(u: &SystemUser) -> Value {
    json!({
        "id": u.id,
        "integrationTitle": "Budbringer",
        "systemId": u.system_id,
        "systemInternalId": u.system_id,
        "partyOrgNo": u.org_number,
        "reporteeOrgNo": u.org_number,
        "externalRef": u.external_ref.clone().unwrap_or_else(|| u.org_number.clone()),
        "created": fmt_ts(u.created),
        "isDeleted": false,
        "supplierOrgno": u.system_id.split('_').next().unwrap_or(""),
        "userType": "standard",
    })
}

/// `systemuser/vendor/byquery`: scope `systemuser.request.write` (not read).
pub(super) async fn system_user_by_query(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let c = match scoped(&app, &headers, &[SCOPE_REQUEST_WRITE]) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(vendor) = vendor_org(&c) else { return errors::unauthorized(false) };
    let sid = q.get("system-id").cloned().unwrap_or_default();
    let org = q.get("orgno").map(|o| strip_org(o)).unwrap_or_default();
    let ext = q.get("external-ref").cloned().unwrap_or_else(|| org.clone());
    let found = app.read(|s| {
        s.system_users
            .values()
            .find(|u| {
                u.system_id == sid
                    && u.org_number == org
                    && u.external_ref.as_deref().unwrap_or(&u.org_number) == ext
                    && u.system_id.split('_').next() == Some(vendor.as_str())
            })
            .cloned()
    });
    match found {
        Some(u) => json_response(200, &system_user_json(&u)),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
