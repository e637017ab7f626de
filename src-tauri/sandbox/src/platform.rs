//! Altinn platform: system register, system-user requests and the sandbox
//! approval page that stands in for the Altinn portal.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use axum::Router;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

use crate::app::App;
use crate::auth::{authenticate, Caller};
use crate::errors::{self, json_response, problem};
use crate::model::{fmt_ts, strip_org, RegisteredSystem, SystemUser, SystemUserRequest};

const A: &str = "/authentication/api/v1";

pub fn routes() -> Router<App> {
    Router::new()
        .route(&format!("{A}/systemregister/vendor"), post(register_system))
        .route(&format!("{A}/systemregister/vendor/{{sid}}"), put(update_system).get(get_system))
        .route(&format!("{A}/systemuser/request/vendor"), post(create_request))
        .route(&format!("{A}/systemuser/request/vendor/{{rid}}"), get(get_request))
        .route(&format!("{A}/systemuser/request/vendor/byexternalref/{{sid}}/{{org}}/{{ext}}"), get(get_request_by_ref))
        .route(&format!("{A}/systemuser/vendor/byquery"), get(system_user_by_query))
        .route("/sandbox/approve/{rid}", get(approval_page))
        .route("/sandbox/approve/{rid}/accept", post(approve))
        .route("/sandbox/approve/{rid}/reject", post(reject))
}

fn scoped(app: &App, headers: &HeaderMap, scope: &str) -> Result<Caller, Response> {
    let c = authenticate(app, headers)?;
    if !c.has_scope(scope) {
        return Err(errors::forbidden());
    }
    Ok(c)
}

fn auth_err(status: u16, code: &str, detail: &str) -> Response {
    problem(status, code, detail)
}

fn lower(v: &Value) -> BTreeMap<String, Value> {
    v.as_object().map(|o| o.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())).collect()).unwrap_or_default()
}

fn rights_resources(rights: &Value) -> Vec<String> {
    let mut out = vec![];
    for r in rights.as_array().into_iter().flatten() {
        let res = r.get("resource").or_else(|| r.get("Resource"));
        for a in res.and_then(|v| v.as_array()).into_iter().flatten() {
            if let Some(v) = a.get("value").or_else(|| a.get("Value")).and_then(|v| v.as_str()) {
                out.push(strip_org(v));
            }
        }
    }
    out
}

fn redirect_ok(u: &str) -> bool {
    // Real Altinn requires https; the sandbox also allows loopback http.
    u.starts_with("https://") || u.starts_with("http://127.0.0.1") || u.starts_with("http://localhost")
}

/// Validates and stores a system (POST and PUT). Codes AUTH.VLD-000xx are
/// mapped as described in docs/ALTINN.md#requesting-and-approving-a-system-user [inferred numbering].
fn store_system(app: &App, c: &Caller, body: &Value, update: Option<&str>) -> Result<String, Response> {
    let o = lower(body);
    let Some(org) = c.org.clone() else {
        return Err(auth_err(400, "AUTH-00023", "The vendor organization could not be read from the token"));
    };
    let id = o.get("id").and_then(|v| v.as_str()).unwrap_or("").to_string();
    let id = if let Some(u) = update {
        if id.is_empty() {
            u.to_string()
        } else {
            id
        }
    } else {
        id
    };
    let vendor = o
        .get("vendor")
        .and_then(|v| v.get("ID").or_else(|| v.get("id")))
        .and_then(|v| v.as_str())
        .map(strip_org)
        .unwrap_or_default();
    if vendor != org {
        return Err(auth_err(400, "AUTH.VLD-00006", "The vendor does not match the organization in the token"));
    }
    let prefix = format!("{org}_");
    if !id.starts_with(&prefix) || id.len() == prefix.len() {
        return Err(auth_err(400, "AUTH.VLD-00001", "The system id must be on the form <vendorOrgNo>_<name>"));
    }
    let exists = app.read(|s| s.systems.get(&id).cloned());
    match (update, &exists) {
        (None, Some(_)) => return Err(auth_err(400, "AUTH.VLD-00002", "The system id already exists")),
        (Some(_), None) => return Err(auth_err(404, "AUTH.VLD-00007", "The system was not found")),
        _ => {}
    }
    let rights = o.get("rights").cloned().unwrap_or(json!([]));
    let resources = rights_resources(&rights);
    let unknown = app.read(|s| resources.iter().find(|r| !s.resources.contains_key(*r)).cloned());
    if let Some(r) = unknown {
        return Err(auth_err(
            400,
            "AUTH.VLD-00003",
            &format!("The resource {r} was not found in the Resource Registry"),
        ));
    }
    let client_ids: Vec<String> = o
        .get("clientid")
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
        .unwrap_or_default();
    let taken = app.read(|s| {
        client_ids.iter().find(|c| s.systems.values().any(|sys| sys.id != id && sys.client_ids.contains(c))).cloned()
    });
    if let Some(cid) = taken {
        return Err(auth_err(400, "AUTH.VLD-00004", &format!("The client id {cid} is already used by another system")));
    }
    let redirects: Vec<String> = o
        .get("allowedredirecturls")
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
        .unwrap_or_default();
    if let Some(bad) = redirects.iter().find(|u| !redirect_ok(u)) {
        return Err(auth_err(400, "AUTH.VLD-00005", &format!("The redirect url {bad} is not valid")));
    }
    let sys = RegisteredSystem {
        id: id.clone(),
        vendor_org: org,
        body: body.clone(),
        client_ids,
        resources,
        redirect_urls: redirects,
    };
    app.mutate(|s| s.systems.insert(id.clone(), sys));
    Ok(id)
}

fn json_body(headers: &HeaderMap, body: &Bytes) -> Result<Value, Response> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.to_ascii_lowercase().contains("json") {
        return Err(errors::unsupported_media());
    }
    serde_json::from_slice(body).map_err(|e| errors::validation(json!({"$": [e.to_string()]})))
}

async fn register_system(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let c = match scoped(&app, &headers, "altinn:authentication/systemregister.write") {
        Ok(c) => c,
        Err(r) => return r,
    };
    let v = match json_body(&headers, &body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match store_system(&app, &c, &v, None) {
        // The real API answers with the internal system GUID [inferred].
        Ok(_) => json_response(200, &json!(Uuid::new_v4())),
        Err(r) => r,
    }
}

async fn update_system(State(app): State<App>, Path(sid): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let c = match scoped(&app, &headers, "altinn:authentication/systemregister.write") {
        Ok(c) => c,
        Err(r) => return r,
    };
    let v = match json_body(&headers, &body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match store_system(&app, &c, &v, Some(&sid)) {
        Ok(_) => json_response(200, &json!({"succeeded": true})),
        Err(r) => r,
    }
}

async fn get_system(State(app): State<App>, Path(sid): Path<String>, headers: HeaderMap) -> Response {
    if let Err(r) = authenticate(&app, &headers) {
        return r;
    }
    match app.read(|s| s.systems.get(&sid).cloned()) {
        Some(s) => json_response(200, &s.body),
        None => auth_err(404, "AUTH.VLD-00007", "The system was not found"),
    }
}

fn request_json(app: &App, r: &SystemUserRequest) -> Value {
    json!({
        "id": r.id,
        "externalRef": r.external_ref,
        "systemId": r.system_id,
        "partyOrgNo": r.party_org_no,
        "rights": r.rights,
        "status": r.status,
        "redirectUrl": r.redirect_url,
        "confirmUrl": format!("{}/sandbox/approve/{}", app.base, r.id),
    })
}

/// Requests older than 10 days without an answer are TimedOut.
fn refresh_timeout(app: &App, r: &mut SystemUserRequest) {
    if r.status == "New" && app.clock.now() - r.created > time::Duration::days(10) {
        r.status = "TimedOut".into();
        let r2 = r.clone();
        app.mutate(|s| s.requests.insert(r2.id, r2));
    }
}

async fn create_request(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let c = match scoped(&app, &headers, "altinn:authentication/systemuser.request.write") {
        Ok(c) => c,
        Err(r) => return r,
    };
    let v = match json_body(&headers, &body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(vendor) = c.org.clone() else {
        return auth_err(400, "AUTH-00023", "The vendor organization could not be read from the token");
    };
    let o = lower(&v);
    let system_id = o.get("systemid").and_then(|v| v.as_str()).unwrap_or("").to_string();
    let party = o.get("partyorgno").and_then(|v| v.as_str()).map(strip_org).unwrap_or_default();
    let ext_given = o.get("externalref").and_then(|v| v.as_str()).filter(|s| !s.is_empty()).map(String::from);
    let external_ref = ext_given.clone().unwrap_or_else(|| party.clone());
    let rights = o.get("rights").cloned().unwrap_or(json!([]));
    let redirect = o.get("redirecturl").and_then(|v| v.as_str()).filter(|s| !s.is_empty()).map(String::from);
    let Some(sys) = app.read(|s| s.systems.get(&system_id).cloned()) else {
        return auth_err(400, "AUTH-00011", "The system is not registered");
    };
    if sys.vendor_org != vendor {
        return auth_err(403, "AUTH-00023", "The vendor in the token does not own the system");
    }
    if app.read(|s| {
        s.system_users.values().any(|u| {
            u.system_id == system_id
                && u.org_number == party
                && u.external_ref.as_deref().unwrap_or(&party) == external_ref
        })
    }) {
        return auth_err(409, "AUTH-00004", "A system user already exists for this system id and organization");
    }
    let existing = app.read(|s| {
        s.requests
            .values()
            .find(|r| r.system_id == system_id && r.party_org_no == party && r.external_ref == external_ref)
            .cloned()
    });
    if let Some(mut e) = existing {
        refresh_timeout(&app, &mut e);
        let (code, what) = match e.status.as_str() {
            "Accepted" => ("AUTH-00006", "accepted"),
            "New" => ("AUTH-00007", "pending"),
            "Denied" => ("AUTH-00008", "denied"),
            "Rejected" => ("AUTH-00009", "rejected"),
            _ => ("", ""),
        };
        if !code.is_empty() {
            return auth_err(409, code, &format!("The same external ids already belong to a {what} request"));
        }
    }
    if let Some(u) = &redirect {
        if sys.redirect_urls.is_empty() {
            return auth_err(400, "AUTH-00026", "No redirect URIs are set for the system");
        }
        if !sys.redirect_urls.iter().any(|x| u.starts_with(x.as_str())) {
            return auth_err(400, "AUTH-00021", "The redirect URI is not valid for the system");
        }
    }
    let wanted = rights_resources(&rights);
    if wanted.is_empty() || wanted.iter().any(|r| !sys.resources.contains(r)) {
        return auth_err(400, "AUTH-00001", "A right was not found or cannot be delegated");
    }
    let req = SystemUserRequest {
        id: Uuid::new_v4(),
        external_ref,
        external_ref_given: ext_given.is_some(),
        system_id,
        party_org_no: party,
        rights,
        redirect_url: redirect,
        status: "New".into(),
        created: app.clock.now(),
        system_user_id: None,
    };
    app.mutate(|s| s.requests.insert(req.id, req.clone()));
    json_response(201, &request_json(&app, &req))
}

async fn get_request(State(app): State<App>, Path(rid): Path<String>, headers: HeaderMap) -> Response {
    let c = match scoped(&app, &headers, "altinn:authentication/systemuser.request.read") {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Ok(rid) = Uuid::parse_str(&rid) else { return auth_err(404, "AUTH-00010", "The request was not found") };
    find_request(&app, &c, |r| r.id == rid)
}

async fn get_request_by_ref(
    State(app): State<App>,
    Path((sid, org, ext)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let c = match scoped(&app, &headers, "altinn:authentication/systemuser.request.read") {
        Ok(c) => c,
        Err(r) => return r,
    };
    find_request(&app, &c, |r| r.system_id == sid && r.party_org_no == strip_org(&org) && r.external_ref == ext)
}

fn find_request(app: &App, c: &Caller, f: impl Fn(&SystemUserRequest) -> bool) -> Response {
    let found = app.read(|s| {
        s.requests
            .values()
            .find(|r| {
                f(r) && s.systems.get(&r.system_id).map(|sys| Some(&sys.vendor_org) == c.org.as_ref()).unwrap_or(false)
            })
            .cloned()
    });
    match found {
        Some(mut r) => {
            refresh_timeout(app, &mut r);
            json_response(200, &request_json(app, &r))
        }
        None => auth_err(404, "AUTH-00010", "The request was not found"),
    }
}

fn system_user_json(u: &SystemUser) -> Value {
    json!({
        "id": u.id,
        "systemId": u.system_id,
        "systemInternalId": u.system_id,
        "integrationTitle": u.system_id,
        "reporteeOrgNo": u.org_number,
        "partyOrgNo": u.org_number,
        "externalRef": u.external_ref.clone().unwrap_or_else(|| u.org_number.clone()),
        "created": fmt_ts(u.created),
        "isDeleted": false,
        "supplierOrgno": u.system_id.split('_').next().unwrap_or(""),
    })
}

async fn system_user_by_query(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let c = match authenticate(&app, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !c.has_scope("altinn:authentication/systemuser.request.read")
        && !c.has_scope("altinn:authentication/systemregister.write")
    {
        return errors::forbidden();
    }
    let sid = q.get("system-id").cloned().unwrap_or_default();
    let org = q.get("orgno").map(|o| strip_org(o)).unwrap_or_default();
    let ext = q.get("external-ref").cloned();
    let found = app.read(|s| {
        s.system_users
            .values()
            .find(|u| {
                u.system_id == sid
                    && u.org_number == org
                    && ext.as_ref().map(|e| u.external_ref.as_deref().unwrap_or(&u.org_number) == e).unwrap_or(true)
            })
            .cloned()
    });
    match found {
        Some(u) => json_response(200, &system_user_json(&u)),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

// ---------------------------------------------------------------------------
// Approval page
// ---------------------------------------------------------------------------

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

async fn approval_page(State(app): State<App>, Path(rid): Path<String>) -> Response {
    let Ok(id) = Uuid::parse_str(&rid) else { return (StatusCode::NOT_FOUND, "Ukjent forespørsel").into_response() };
    let Some(mut r) = app.read(|s| s.requests.get(&id).cloned()) else {
        return (StatusCode::NOT_FOUND, "Ukjent forespørsel").into_response();
    };
    refresh_timeout(&app, &mut r);
    let org_name = app.read(|s| s.org_name(&r.party_org_no)).unwrap_or_default();
    let resources = rights_resources(&r.rights).join(", ");
    let buttons = if r.status == "New" {
        format!(
            r#"<form method="post" action="/sandbox/approve/{id}/accept" style="display:inline"><button id="approve" type="submit">Godkjenn (Approve)</button></form>
<form method="post" action="/sandbox/approve/{id}/reject" style="display:inline"><button id="reject" type="submit">Avvis (Reject)</button></form>"#
        )
    } else {
        String::new()
    };
    Html(format!(
        r#"<!doctype html><html lang="nb"><head><meta charset="utf-8"><title>Sandbox: godkjenn systemtilgang</title></head>
<body><h1>Øvingsmiljø: forespørsel om systemtilgang</h1>
<p>Systemet <b>{sys}</b> ber om tilgang for <b>{org} {name}</b> til: {res}.</p>
<p>Status: <b id="status">{status}</b></p>{buttons}</body></html>"#,
        sys = escape(&r.system_id),
        org = escape(&r.party_org_no),
        name = escape(&org_name),
        res = escape(&resources),
        status = escape(&r.status),
    ))
    .into_response()
}

/// Approves or rejects a request; returns the updated request, or None.
pub fn decide(app: &App, id: Uuid, accept: bool) -> Option<SystemUserRequest> {
    let now = app.clock.now();
    app.mutate(|s| {
        let r = s.requests.get(&id)?.clone();
        if r.status != "New" {
            return Some(r);
        }
        let mut r = r;
        if accept {
            let su = SystemUser {
                id: Uuid::new_v4(),
                system_id: r.system_id.clone(),
                org_number: r.party_org_no.clone(),
                external_ref: r.external_ref_given.then(|| r.external_ref.clone()),
                created: now,
            };
            r.system_user_id = Some(su.id);
            s.system_users.insert(su.id, su);
            r.status = "Accepted".into();
        } else {
            r.status = "Rejected".into();
        }
        s.requests.insert(id, r.clone());
        Some(r)
    })
}

async fn approve(State(app): State<App>, Path(rid): Path<String>) -> Response {
    finish(&app, &rid, true)
}

async fn reject(State(app): State<App>, Path(rid): Path<String>) -> Response {
    finish(&app, &rid, false)
}

fn finish(app: &App, rid: &str, accept: bool) -> Response {
    let Some(r) = Uuid::parse_str(rid).ok().and_then(|id| decide(app, id, accept)) else {
        return (StatusCode::NOT_FOUND, "Ukjent forespørsel").into_response();
    };
    if let Some(u) = &r.redirect_url {
        return Redirect::to(u).into_response();
    }
    Html(format!(
        r#"<!doctype html><html lang="nb"><head><meta charset="utf-8"><title>Sandbox</title></head><body><p>Status: <b id="status">{}</b></p></body></html>"#,
        escape(&r.status)
    ))
    .into_response()
}
