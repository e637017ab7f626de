//! The public registers the app asks for names (docs/ALTINN.md#names-for-numbers),
//! served for the sandbox's own organisations and resources in the shapes of
//! the real services, so tests and practice show names:
//! * Enhetsregisteret (data.brreg.no): `/enhetsregisteret/api/enheter/{orgnr}`,
//!   `/enhetsregisteret/api/underenheter/{orgnr}` and the name search
//!   `/enhetsregisteret/api/enheter?navn=...&size=...` (HAL: hits under
//!   `_embedded.enheter`, `_embedded` left out when nothing matched);
//! * Altinn's Resource Registry: `/resourceregistry/api/v1/resource/{id}`.
//!
//! Like the real ones, both are open: no token, no subscription key.
//! Differences from the real services (README): every sandbox organisation
//! is an `ORGL` (organisasjonsledd) in Oslo and has no sub-units; the name
//! search matches a substring, case-insensitively, where the real one also
//! matches words in another order.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::app::App;
use crate::errors::json_response;
use crate::model::Organisation;

const ER: &str = "/enhetsregisteret/api";

pub fn routes() -> Router<App> {
    Router::new()
        .route(&format!("{ER}/enheter"), get(search_units))
        .route(&format!("{ER}/enheter/{{org}}"), get(unit))
        .route(&format!("{ER}/underenheter"), get(search_sub_units))
        .route(&format!("{ER}/underenheter/{{org}}"), get(sub_unit))
        .route("/resourceregistry/api/v1/resource/{id}", get(resource))
}

/// Enhetsregisteret's error body (Spring Boot's), with its Norwegian message.
fn er_error(status: u16, message: &str, path: &str) -> Response {
    let error = if status == 404 { "Not Found" } else { "Bad Request" };
    json_response(
        status,
        &json!({"timestamp": time_now(), "status": status, "error": error, "message": message, "path": path}),
    )
}

fn time_now() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// One unit as the register writes it: the name in capitals, as the real one does.
fn enhet(base: &str, o: &Organisation) -> Value {
    json!({
        "organisasjonsnummer": o.org_number,
        "navn": o.name.to_uppercase(),
        "organisasjonsform": {
            "kode": "ORGL",
            "beskrivelse": "Organisasjonsledd",
            "_links": {"self": {"href": format!("{base}{ER}/organisasjonsformer/ORGL")}}
        },
        "forretningsadresse": {
            "land": "Norge", "landkode": "NO", "postnummer": "0150", "poststed": "OSLO",
            "adresse": ["Øvingsgata 1"], "kommune": "OSLO", "kommunenummer": "0301"
        },
        "registrertIMvaregisteret": false,
        "konkurs": false,
        "underAvvikling": false,
        "_links": {"self": {"href": format!("{base}{ER}/enheter/{}", o.org_number)}}
    })
}

async fn unit(State(app): State<App>, Path(org): Path<String>) -> Response {
    let path = format!("{ER}/enheter/{org}");
    if org.len() != 9 || !org.bytes().all(|b| b.is_ascii_digit()) {
        return er_error(400, &format!("Ugyldig organisasjonsnummer: {org}"), &path);
    }
    match app.read(|s| s.organisations.get(&org).cloned()) {
        Some(o) => json_response(200, &enhet(&app.base, &o)),
        None => er_error(404, &format!("Ingen enhet med organisasjonsnummer {org} ble funnet"), &path),
    }
}

async fn sub_unit(Path(org): Path<String>) -> Response {
    let path = format!("{ER}/underenheter/{org}");
    if org.len() != 9 || !org.bytes().all(|b| b.is_ascii_digit()) {
        return er_error(400, &format!("Ugyldig organisasjonsnummer: {org}"), &path);
    }
    er_error(404, &format!("Ingen underenhet med organisasjonsnummer {org} ble funnet"), &path)
}

/// A search page; `_embedded` only when something matched, as the real register does.
fn page(base: &str, kind: &str, hits: Vec<Value>, size: usize) -> Value {
    let total = hits.len();
    let mut body = json!({
        "_links": {"self": {"href": format!("{base}{ER}/{kind}")}},
        "page": {"size": size, "totalElements": total, "totalPages": total.div_ceil(size.max(1)), "number": 0}
    });
    if !hits.is_empty() {
        body["_embedded"] = json!({ kind: hits.into_iter().take(size).collect::<Vec<_>>() });
    }
    body
}

fn size_of(q: &BTreeMap<String, String>) -> usize {
    q.get("size").and_then(|s| s.parse().ok()).unwrap_or(20).clamp(1, 10_000)
}

async fn search_units(State(app): State<App>, Query(q): Query<BTreeMap<String, String>>) -> Response {
    let needle = q.get("navn").map(|n| n.trim().to_lowercase()).unwrap_or_default();
    let hits: Vec<Value> = app.read(|s| {
        s.organisations
            .values()
            .filter(|o| !needle.is_empty() && o.name.to_lowercase().contains(&needle))
            .map(|o| enhet(&app.base, o))
            .collect()
    });
    json_response(200, &page(&app.base, "enheter", hits, size_of(&q)))
}

async fn search_sub_units(State(app): State<App>, Query(q): Query<BTreeMap<String, String>>) -> Response {
    json_response(200, &page(&app.base, "underenheter", Vec::new(), size_of(&q)))
}

/// The Resource Registry's `ServiceResource` for a resource the sandbox has
/// in its registry; 404 for one it has not (`in_resource_registry: false`).
async fn resource(State(app): State<App>, Path(id): Path<String>) -> Response {
    let found = app.read(|s| {
        s.resources.get(&id).filter(|r| r.in_resource_registry).map(|r| {
            let owner = s.organisations.get(&r.service_owner).map(|o| o.name.clone());
            (r.clone(), owner)
        })
    });
    let Some((r, owner)) = found else {
        return crate::errors::problem_plain(404, &format!("Resource {id} not found"));
    };
    let title: BTreeMap<String, String> = if r.title.is_empty() {
        ["nb", "nn", "en"].iter().map(|l| ((*l).to_owned(), r.resource_id.clone())).collect()
    } else {
        r.title.clone()
    };
    let owner_name: BTreeMap<&str, String> =
        owner.map(|n| ["nb", "nn", "en"].into_iter().map(|l| (l, n.clone())).collect()).unwrap_or_default();
    json_response(
        200,
        &json!({
            "identifier": r.resource_id,
            "version": null,
            "title": title,
            "description": title,
            "rightDescription": null,
            "homepage": null,
            "status": "Completed",
            "contactPoints": [],
            "isPartOf": null,
            "resourceReferences": null,
            "delegable": true,
            "visible": true,
            "hasCompetentAuthority": {"name": owner_name, "organization": r.service_owner, "orgcode": "ovelse"},
            "keywords": [],
            "accessListMode": if r.access_list_enabled { "Enabled" } else { "Disabled" },
            "selfIdentifiedUserEnabled": false,
            "enterpriseUserEnabled": false,
            "resourceType": "BrokerService",
            "availableForType": ["Company"],
            "authorizationReference": [{"id": "urn:altinn:resource", "value": r.resource_id}]
        }),
    )
}
