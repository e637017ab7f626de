//! `systemuser/changerequest/vendor`: the vendor asks the customer to add
//! rights to (or remove rights from) an existing system user
//! (ChangeRequestSystemUserController, ChangeRequestSystemUserService;
//! docs/ALTINN.md#changing-a-system-users-rights).
//!
//! POST `?correlation-id=…&system-user-id=…`, in this order: the scope (403);
//! a correlation id (400, text); the vendor from `consumer` (401); the system
//! user (AUTH-00015); a correlation id other than the system user's id (400,
//! text); the vendor made the system (401); nothing to change (200,
//! `NoChangeNeeded`); the same correlation id again (200 with it); then the
//! new change's checks: the system (AUTH-00011), the vendor (AUTH-00011), the
//! party (AUTH-00000), the redirect URL (AUTH-00026, -00021), the required
//! rights are the system's (AUTH-00001) → 201.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Value};
use uuid::Uuid;

use super::common::{confirm_url, json_body, lower, scoped, vendor_org, SCOPE_REQUEST_READ, SCOPE_REQUEST_WRITE};
use super::problems::auth;
use super::requests::{redirect_problem, rights_problem};
use crate::app::App;
use crate::errors::{self, json_response};
use crate::model::onboarding::{timed_out, ChangeRequest};
use crate::model::{fmt_ts, strip_org, State as Model};

/// ChangeRequestResponse.
pub(crate) fn change_json(app: &App, r: &ChangeRequest) -> Value {
    json!({
        "id": r.id,
        "externalRef": r.external_ref,
        "systemId": r.system_id,
        "systemUserId": r.system_user_id,
        "partyOrgNo": r.party_org_no,
        "requiredRights": r.required_rights,
        "unwantedRights": r.unwanted_rights,
        "requiredAccessPackages": [],
        "unwantedAccessPackages": [],
        "status": r.status,
        "redirectUrl": r.redirect_url,
        "confirmUrl": confirm_url(app, true, r.id),
        "created": fmt_ts(r.created),
        "timedOut": timed_out(r.created, app.clock.now()),
    })
}

fn empty(v: Option<&Value>) -> bool {
    v.and_then(|v| v.as_array()).map(|a| a.is_empty()).unwrap_or(true)
}

pub(super) async fn create(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
    body: Bytes,
) -> Response {
    let c = match scoped(&app, &headers, &[SCOPE_REQUEST_WRITE]) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let correlation = q.get("correlation-id").and_then(|v| Uuid::parse_str(v).ok()).filter(|u| !u.is_nil());
    let Some(correlation) = correlation else {
        return errors::text(
            400,
            "Missing or invalid QueryParameter: correlation-id. Generate a unique UUID (RFC 4122) for this Change Request, and add as a Query Parameter.",
        );
    };
    let v = match json_body(&headers, &body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(vendor) = vendor_org(&c) else { return errors::unauthorized(false) };
    let su_id = q.get("system-user-id").and_then(|v| Uuid::parse_str(v).ok()).unwrap_or_default();
    let Some(su) = app.read(|s| s.system_users.get(&su_id).cloned()) else { return auth(15) };
    if correlation == su.id {
        return errors::text(
            400,
            "The correlation-id should not be the same as the system-user-id. Generate a unique id.",
        );
    }
    if su.system_id.split('_').next() != Some(vendor.as_str()) {
        return errors::unauthorized(false);
    }
    let o = lower(&v);
    let required = o.get("requiredrights").cloned().unwrap_or(json!([]));
    let unwanted = o.get("unwantedrights").cloned().unwrap_or(json!([]));
    let redirect = o.get("redirecturl").and_then(|v| v.as_str()).filter(|s| !s.is_empty()).map(str::to_owned);
    let external_ref = su.external_ref.clone().unwrap_or_else(|| su.org_number.clone());
    if empty(Some(&required))
        && empty(Some(&unwanted))
        && empty(o.get("requiredaccesspackages"))
        && empty(o.get("unwantedaccesspackages"))
    {
        return json_response(
            200,
            &json!({
                "id": correlation, "externalRef": external_ref, "systemId": su.system_id,
                "systemUserId": su.id, "partyOrgNo": su.org_number,
                "requiredRights": [], "unwantedRights": [], "requiredAccessPackages": [], "unwantedAccessPackages": [],
                "status": "NoChangeNeeded", "redirectUrl": redirect, "confirmUrl": "",
            }),
        );
    }
    if let Some(r) = app.read(|s| s.change_requests.get(&correlation).cloned()) {
        if app.read(|s| owned(s, &r.system_id, &vendor)) {
            return json_response(200, &change_json(&app, &r));
        }
    }
    let Some(sys) = app.read(|s| s.systems.get(&su.system_id).cloned()) else { return auth(11) };
    if sys.vendor_org != vendor {
        return auth(11);
    }
    if !app.read(|s| s.organisations.contains_key(&strip_org(&su.org_number))) {
        return auth(0);
    }
    if let Some(p) = redirect.as_deref().and_then(|u| redirect_problem(&sys, u)) {
        return p;
    }
    if !empty(Some(&required)) {
        if let Some(p) = rights_problem(&sys, &required) {
            return p;
        }
    }
    let cr = ChangeRequest {
        id: correlation,
        system_user_id: su.id,
        system_id: su.system_id.clone(),
        party_org_no: su.org_number.clone(),
        external_ref,
        required_rights: required,
        unwanted_rights: unwanted,
        status: "New".into(),
        redirect_url: redirect,
        created: app.clock.now(),
    };
    app.mutate(|s| s.change_requests.insert(cr.id, cr.clone()));
    json_response(201, &change_json(&app, &cr))
}

fn owned(s: &Model, system: &str, vendor: &str) -> bool {
    s.systems.get(system).map(|sys| sys.vendor_org == vendor).unwrap_or(false)
}

fn answer(app: &App, headers: &HeaderMap, find: impl Fn(&Model) -> Option<ChangeRequest>) -> Response {
    let c = match scoped(app, headers, &[SCOPE_REQUEST_READ]) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(vendor) = vendor_org(&c) else { return errors::unauthorized(false) };
    let Some(r) = app.read(&find) else { return auth(10) };
    if !app.read(|s| owned(s, &r.system_id, &vendor)) {
        return auth(11);
    }
    json_response(200, &change_json(app, &r))
}

pub(super) async fn get(State(app): State<App>, Path(rid): Path<String>, headers: HeaderMap) -> Response {
    let Ok(rid) = Uuid::parse_str(&rid) else { return auth(10) };
    answer(&app, &headers, |s| s.change_requests.get(&rid).cloned())
}

pub(super) async fn by_ref(
    State(app): State<App>,
    Path((sid, org, ext)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    answer(&app, &headers, |s| {
        s.change_requests
            .values()
            .filter(|r| r.system_id == sid && r.party_org_no == org && r.external_ref == ext)
            .max_by_key(|r| r.created)
            .cloned()
    })
}
