//! Service-owner endpoints: resource configuration, the service owner itself
//! and the monthly statistics (CSV).

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use super::access::{authz, check_accept, is_json_ct, lower_keys, Policy};
use crate::app::App;
use crate::errors::{self, bro, json_response, validation};
use crate::model::{fmt_timespan, parse_iso_duration, strip_org, ActorStatus};

const MAX_FILE_UPLOAD_SIZE: i64 = 1_677_721_600_000;

pub(super) async fn put_resource(
    State(app): State<App>,
    Path(rid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = check_accept(&headers, "application/json") {
        return r;
    }
    let c = match authz(&app, &headers, Policy::ServiceOwner) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !is_json_ct(&headers) {
        return errors::unsupported_media();
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return validation(
            json!({"$": ["The JSON value could not be converted to Altinn.Broker.Models.ResourceExt."]}),
        );
    };
    let o = lower_keys(&v);
    let shim = o.get("usemanifestfileshim").and_then(|v| v.as_bool());
    let code = o.get("externalservicecodelegacy").and_then(|v| v.as_str()).map(String::from);
    let edition = o.get("externalserviceeditioncodelegacy").and_then(|v| v.as_i64());
    if shim == Some(true) {
        let mut errs = Map::new();
        if code.as_deref().map(|c| c.is_empty()).unwrap_or(true) {
            errs.insert(
                "ExternalServiceCodeLegacy".into(),
                json!(["ExternalServiceCodeLegacy must be set and not be an empty string."]),
            );
        }
        if edition.unwrap_or(0) == 0 {
            errs.insert(
                "ExternalServiceEditionCodeLegacy".into(),
                json!(["ExternalServiceEditionCodeLegacy must be set and not be zero."]),
            );
        }
        if !errs.is_empty() {
            return validation(Value::Object(errs));
        }
    }
    let org = c.org.clone().unwrap_or_default();
    let existing = app.read(|s| s.resources.get(&rid).cloned());
    let Some(mut res) = existing.filter(|r| r.in_resource_registry) else { return bro(5) };
    if res.service_owner != org {
        return bro(6);
    }
    if !res.configured && !app.read(|s| s.service_owners.contains_key(&org)) {
        return bro(24);
    }
    if let Some(m) = o.get("maxfiletransfersize").filter(|v| !v.is_null()) {
        let m = m.as_i64().unwrap_or(-1);
        if m < 0 {
            return bro(11);
        }
        if m == 0 {
            return bro(12);
        }
        // BRO-00013 is production-only.
        if m > MAX_FILE_UPLOAD_SIZE {
            return bro(22);
        }
        res.max_file_transfer_size = Some(m);
    }
    if let Some(t) = o.get("filetransfertimetolive").and_then(|v| v.as_str()) {
        let Some(secs) = parse_iso_duration(t) else { return bro(14) };
        if secs > 365 * 86400 {
            return bro(15);
        }
        res.file_transfer_time_to_live = Some(secs);
    }
    if let Some(b) = o.get("purgefiletransferafterallrecipientsconfirmed").and_then(|v| v.as_bool()) {
        res.purge_file_transfer_after_all_recipients_confirmed = b;
    }
    if let Some(g) = o.get("purgefiletransfergraceperiod").and_then(|v| v.as_str()) {
        let Some(secs) = parse_iso_duration(g) else { return bro(17) };
        if secs > 86400 {
            return bro(18);
        }
        res.purge_file_transfer_grace_period = Some(secs);
    }
    if shim.is_some() {
        res.use_manifest_file_shim = shim;
    }
    if code.is_some() {
        res.external_service_code_legacy = code;
    }
    if let Some(e) = edition {
        res.external_service_edition_code_legacy = Some(e as i32);
    }
    if let Some(rp) = o.get("requiredparty").and_then(|v| v.as_str()) {
        res.required_party = Some(strip_org(rp));
    }
    res.configured = true;
    app.mutate(|s| s.resources.insert(rid.clone(), res));
    // Ok(null) → 204 [inferred: ASP.NET Core answers Ok(null) with 204, as for docs/ALTINN.md#confirm-download].
    StatusCode::NO_CONTENT.into_response()
}

pub(super) async fn get_resource(State(app): State<App>, Path(rid): Path<String>, headers: HeaderMap) -> Response {
    if let Err(r) = check_accept(&headers, "application/json") {
        return r;
    }
    let c = match authz(&app, &headers, Policy::ServiceOwner) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(r) = app.read(|s| s.resources.get(&rid).cloned()).filter(|r| r.configured) else { return bro(25) };
    if Some(&r.service_owner) != c.org.as_ref() {
        return bro(6);
    }
    json_response(
        200,
        &json!({
            "maxFileTransferSize": r.max_file_transfer_size,
            "fileTransferTimeToLive": r.file_transfer_time_to_live.map(fmt_timespan),
            "purgeFileTransferAfterAllRecipientsConfirmed": r.purge_file_transfer_after_all_recipients_confirmed,
            "purgeFileTransferGracePeriod": r.purge_file_transfer_grace_period.map(fmt_timespan),
            "useManifestFileShim": r.use_manifest_file_shim,
            "externalServiceCodeLegacy": r.external_service_code_legacy,
            "externalServiceEditionCodeLegacy": r.external_service_edition_code_legacy,
            "requiredParty": r.required_party,
        }),
    )
}

pub(super) async fn post_serviceowner(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = check_accept(&headers, "application/json") {
        return r;
    }
    let c = match authz(&app, &headers, Policy::ServiceOwner) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !is_json_ct(&headers) {
        return errors::unsupported_media();
    }
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(name) = lower_keys(&v).get("name").and_then(|v| v.as_str()).map(String::from) else {
        return validation(
            json!({"$": ["JSON deserialization for type 'Altinn.Broker.Models.ServiceOwnerInitializeExt' was missing required properties, including the following: name"]}),
        );
    };
    let Some(org) = c.org.clone() else { return bro(7001) };
    if app.read(|s| s.service_owners.contains_key(&org)) {
        return bro(7002);
    }
    app.mutate(|s| {
        s.service_owners
            .insert(org.clone(), crate::model::ServiceOwner { org_number: org.clone(), name, storage_ready: false })
    });
    // Storage providers are provisioned in the background.
    let app2 = app.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        app2.mutate(|s| {
            if let Some(so) = s.service_owners.get_mut(&org) {
                so.storage_ready = true;
            }
        });
    });
    StatusCode::OK.into_response()
}

pub(super) async fn get_serviceowner(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Err(r) = check_accept(&headers, "application/json") {
        return r;
    }
    let c = match authz(&app, &headers, Policy::ServiceOwner) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(org) = c.org.clone() else { return bro(7001) };
    let Some(so) = app.read(|s| s.service_owners.get(&org).cloned()) else { return bro(7004) };
    let st = if so.storage_ready { "Ready" } else { "DeployingResources" };
    json_response(
        200,
        &json!({
            "name": so.name,
            "storageProviders": [
                {"type": "AltinnAzure", "deploymentStatus": st, "deploymentEnvironment": "Sandbox"},
                {"type": "AltinnAzureWithoutVirusScan", "deploymentStatus": st, "deploymentEnvironment": "Sandbox"},
            ],
        }),
    )
}

pub(super) async fn statistics(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Err(r) = check_accept(&headers, "text/csv") {
        return r;
    }
    let c = match authz(&app, &headers, Policy::ServiceOwner) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let q: BTreeMap<String, String> = q.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
    let year = q.get("year").and_then(|v| v.parse::<i32>().ok());
    let month = q.get("month").and_then(|v| v.parse::<u8>().ok());
    let (Some(year), Some(month)) = (year, month) else { return bro_stat(3) };
    if !(1..=12).contains(&month) || !(2000..=9999).contains(&year) {
        return bro_stat(3);
    }
    let flag = |k: &str, d: bool| q.get(k).map(|v| v.eq_ignore_ascii_case("true")).unwrap_or(d);
    if !flag("includeenduser", true) && !flag("includevendor", false) {
        return bro_stat(5);
    }
    let org = c.org.clone().unwrap_or_default();
    let rid = q.get("resourceid").cloned();
    if let Some(r) = &rid {
        match app.read(|s| s.resources.get(r).cloned()).filter(|r| r.configured) {
            None => return bro(25),
            Some(r) if r.service_owner != org => return bro(6),
            _ => {}
        }
    }
    // (resource, sender, recipient) -> (transfers, uploads, download attempts, confirmed)
    type Row = (u64, u64, u64, u64);
    let mut rows: BTreeMap<(String, String, String), Row> = BTreeMap::new();
    app.read(|s| {
        for ft in s.transfers.values() {
            let Some(r) = s.resources.get(&ft.resource_id) else { continue };
            if r.service_owner != org || rid.as_ref().map(|x| x != &ft.resource_id).unwrap_or(false) {
                continue;
            }
            if ft.created.year() != year || ft.created.month() as u8 != month {
                continue;
            }
            for rc in &ft.recipients {
                let e = rows.entry((ft.resource_id.clone(), ft.sender.clone(), rc.clone())).or_default();
                e.0 += 1;
                if ft.has_file || ft.size > 0 {
                    e.1 += 1;
                }
                e.2 += ft
                    .recipient_history
                    .iter()
                    .filter(|x| &x.recipient == rc && x.status == ActorStatus::DownloadStarted)
                    .count() as u64;
                if ft.recipient_overview(rc).0 == ActorStatus::DownloadConfirmed {
                    e.3 += 1;
                }
            }
        }
    });
    let mut csv = String::from("year,month,resourceId,senderVendor,recipientVendor,sender,recipient,totalFileTransfers,uploadCount,totalTransferDownloadAttempts,transfersWithDownloadConfirmed\n");
    for ((r, snd, rc), (t, u, d, cf)) in rows {
        csv.push_str(&format!("{year},{month},{r},,,{snd},{rc},{t},{u},{d},{cf}\n"));
    }
    let fname =
        format!("monthly_statistics_{}_{year:04}-{month:02}.csv", rid.unwrap_or_else(|| "all-resources".into()));
    Response::builder()
        .status(200)
        .header(header::CONTENT_TYPE, "text/csv")
        .header(header::CONTENT_DISPOSITION, format!("attachment; filename={fname}"))
        .body(Body::from(csv))
        .expect("the CSV headers are valid")
}

fn bro_stat(n: u32) -> Response {
    match n {
        3 => errors::problem(
            400,
            "BRO-06003",
            "Invalid year or month. Provide a valid year and a month between 1 and 12.",
        ),
        _ => errors::problem(400, "BRO-06005", "At least one of includeEndUser or includeVendor must be true."),
    }
}
