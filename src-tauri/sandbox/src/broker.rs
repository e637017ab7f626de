//! Broker `/broker/api/v1`: file transfers, TUS, resource and service-owner
//! configuration, statistics, and the background jobs (processing, expiry, purge).

use budbringer_core::sync::Locked;
use std::collections::BTreeMap;
use std::io::SeekFrom;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, on, post, MethodFilter};
use axum::Router;
use futures_util::StreamExt;
use md5::{Digest, Md5};
use serde_json::{json, Map, Value};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};
use uuid::Uuid;

use crate::app::App;
use crate::auth::{authenticate, Caller};
use crate::errors::{self, bro, bro_text, json_response, validation};
use crate::faults;
use crate::model::{
    fmt_timespan, fmt_ts, hex, parse_iso_duration, strip_org, ActorStatus, FileTransfer, FtStatus, Resource, TusUpload,
};

const P: &str = "/broker/api/v1";
pub const EICAR: &[u8] = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
const MAX_SCAN_SIZE: u64 = 50_000_000_000;
const MAX_FILE_UPLOAD_SIZE: i64 = 1_677_721_600_000;

pub fn routes() -> Router<App> {
    let tus =
        on(MethodFilter::OPTIONS, tus_options).post(tus_create).head(tus_head).patch(tus_patch).delete(tus_delete);
    let tus_part = on(MethodFilter::HEAD, tus_part_head).patch(tus_part_patch).delete(tus_part_delete);
    Router::new()
        .route(&format!("{P}/filetransfer"), post(initialize).get(search))
        .route(&format!("{P}/filetransfer/upload"), post(initialize_and_upload).layer(DefaultBodyLimit::disable()))
        .route(&format!("{P}/filetransfer/{{id}}"), get(overview))
        .route(&format!("{P}/filetransfer/{{id}}/details"), get(details))
        .route(&format!("{P}/filetransfer/{{id}}/upload"), post(upload))
        .route(&format!("{P}/filetransfer/{{id}}/download"), get(download))
        .route(&format!("{P}/filetransfer/{{id}}/confirmdownload"), post(confirm))
        .route(&format!("{P}/filetransfer/upload/tus/{{id}}"), tus)
        .route(&format!("{P}/filetransfer/upload/tus/{{id}}/partial/{{pid}}"), tus_part.clone())
        .route(&format!("{P}/filetransfer/upload/tus/{{id}}/{{pid}}"), tus_part)
        .route(&format!("{P}/resource/{{rid}}"), get(get_resource).put(put_resource))
        .route(&format!("{P}/serviceowner"), get(get_serviceowner).post(post_serviceowner))
        .route(&format!("{P}/statistics/monthly"), get(statistics))
}

// ---------------------------------------------------------------------------
// Shared checks
// ---------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Policy {
    Sender,
    Recipient,
    SenderOrRecipient,
    ServiceOwner,
}

fn authz(app: &App, headers: &HeaderMap, p: Policy) -> Result<Caller, Response> {
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
fn check_accept(headers: &HeaderMap, produces: &str) -> Result<(), Response> {
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

fn parse_id(s: &str) -> Result<Uuid, Response> {
    Uuid::parse_str(s).map_err(|_| validation(json!({"fileTransferId": [format!("The value '{s}' is not valid.")]})))
}

/// Sandbox PDP (broker-api.md §6.4): caller org = party, party has `action` on the resource.
fn pdp(app: &App, c: &Caller, resource_id: &str, party: &str, action: &str) -> bool {
    let Some(org) = &c.org else { return false };
    if org != &strip_org(party) {
        return false;
    }
    app.read(|s| {
        if s.settings.require_system_user && !c.system_user {
            return false;
        }
        let Some(r) = s.resources.get(resource_id).filter(|r| r.configured) else { return false };
        if !r.permits(org, action) {
            return false;
        }
        if c.system_user {
            if let Some(sys) = c.claims.pointer("/authorization_details/0/system_id").and_then(|v| v.as_str()) {
                if let Some(sys) = s.systems.get(sys) {
                    if !sys.resources.is_empty() && !sys.resources.iter().any(|x| x == resource_id) {
                        return false;
                    }
                }
            }
        }
        true
    })
}

fn is_sender(app: &App, c: &Caller, ft: &FileTransfer) -> bool {
    pdp(app, c, &ft.resource_id, &ft.sender, "write")
}

fn is_recipient(app: &App, c: &Caller, ft: &FileTransfer) -> bool {
    ft.recipients.iter().any(|r| pdp(app, c, &ft.resource_id, r, "read"))
}

fn caller_actor(c: &Caller) -> String {
    format!("0192:{}", c.org.clone().unwrap_or_default())
}

fn get_ft(app: &App, id: Uuid) -> Option<FileTransfer> {
    app.read(|s| s.transfers.get(&id).cloned())
}

/// Gateway rate limit per endpoint and caller; `limit` per minute of the sandbox clock.
fn rate_limited(app: &App, endpoint: &str, c: &Caller, limit: u32) -> Option<Response> {
    if limit == 0 {
        return None;
    }
    let now = app.clock.unix();
    let key = (
        endpoint.to_string(),
        if c.client_id.is_empty() { c.org.clone().unwrap_or_default() } else { c.client_id.clone() },
    );
    let mut ctr = app.counters.locked();
    let e = ctr.rate.entry(key).or_insert((now, 0));
    if now - e.0 >= 60 {
        *e = (now, 0);
    }
    e.1 += 1;
    if e.1 > limit {
        let retry = (60 - (now - e.0)).max(1);
        return Some(errors::apim_429(retry));
    }
    None
}

fn is_org_id(s: &str) -> bool {
    let digits9 = |x: &str| x.len() == 9 && x.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = s.strip_prefix("urn:altinn:organization:identifier-no:") {
        return digits9(rest);
    }
    match s.split_once(':') {
        Some((cc, org)) => cc.len() == 4 && cc.bytes().all(|b| b.is_ascii_digit()) && digits9(org),
        None => false,
    }
}

// ---------------------------------------------------------------------------
// Initialize
// ---------------------------------------------------------------------------

struct InitReq {
    file_name: String,
    resource_id: String,
    senders_reference: String,
    sender: String,
    recipients: Vec<String>,
    property_list: BTreeMap<String, String>,
    checksum: Option<String>,
    disable_virus_scan: bool,
}

fn lower_keys(v: &Value) -> Map<String, Value> {
    v.as_object().map(|o| o.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())).collect()).unwrap_or_default()
}

/// Model validation of FileTransferInitalizeExt (ValidationAttributes/*).
fn validate_init(v: &Value) -> Result<InitReq, Response> {
    let o = lower_keys(v);
    let mut errs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut err = |k: &str, m: String| errs.entry(k.to_string()).or_default().push(m);
    let s = |k: &str| o.get(k).and_then(|v| v.as_str()).map(String::from);

    let file_name = s("filename");
    match &file_name {
        None => err("FileName", "The FileName field is required.".into()),
        Some(f) if f.is_empty() => err("FileName", "The FileName field is required.".into()),
        Some(f) if f.chars().count() > 255 => err(
            "FileName",
            "The field FileName must be a string with a minimum length of 1 and a maximum length of 255.".into(),
        ),
        _ => {}
    }
    let resource_id = s("resourceid");
    match &resource_id {
        None => err("ResourceId", "The ResourceId field is required.".into()),
        Some(r) => {
            let rest = r.strip_prefix("urn:altinn:resource:").unwrap_or(r);
            if r.is_empty() {
                err("ResourceId", "The ResourceId field is required.".into());
            } else if rest.is_empty() || rest.contains(':') || rest.chars().count() > 255 {
                err("ResourceId", "Invalid Resource identifier format".into());
            }
        }
    }
    let sref = s("sendersfiletransferreference");
    match o.get("sendersfiletransferreference") {
        Some(Value::Null) => {
            err("SendersFileTransferReference", "The SendersFileTransferReference field is required.".into())
        }
        _ => {
            let l = sref.as_deref().unwrap_or("").chars().count();
            if !(1..=4096).contains(&l) {
                err(
                    "SendersFileTransferReference",
                    "The field SendersFileTransferReference must be a string with a minimum length of 1 and a maximum length of 4096.".into(),
                );
            }
        }
    }
    let sender = s("sender");
    match &sender {
        None => err("Sender", "The Sender field is required.".into()),
        Some(x) if !is_org_id(x) => err("Sender", "Organization numbers should be on the form countrycode:organizationnumber (e.g. 0192:910753614) or urn:altinn:organization:identifier-no:organizationnumber".into()),
        _ => {}
    }
    let mut recipients = vec![];
    match o.get("recipients") {
        None | Some(Value::Null) => err("Recipients", "The Recipients field is required.".into()),
        Some(Value::Array(a)) => {
            if a.is_empty() {
                err("Recipients", "One or more recipients are required".into());
            }
            for r in a {
                match r.as_str() {
                    Some(x) if is_org_id(x) => recipients.push(x.to_string()),
                    _ => err("Recipients", "Each recipient should be on the form countrycode:organizationnumber (e.g. 0192:910753614) or urn:altinn:organization:identifier-no:organizationnumber".into()),
                }
            }
        }
        Some(_) => err(
            "$.recipients",
            "The JSON value could not be converted to System.Collections.Generic.List`1[System.String].".into(),
        ),
    }
    let mut property_list = BTreeMap::new();
    match o.get("propertylist") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            if m.len() > 10 {
                err("PropertyList", "PropertyList can contain at most 10 properties".into());
            }
            for (k, v) in m {
                let val = v.as_str().unwrap_or("").to_string();
                if k.chars().count() > 50 {
                    err("PropertyList", format!("PropertyList Key can not be longer than 50. Length:{}, KeyValue:{k}", k.chars().count()));
                }
                if val.chars().count() > 3000 {
                    err("PropertyList", format!("PropertyList Value can not be longer than 3000. Length:{}, Value:{val}", val.chars().count()));
                }
                property_list.insert(k.clone(), val);
            }
        }
        Some(_) => err("$.propertyList", "The JSON value could not be converted to System.Collections.Generic.Dictionary`2[System.String,System.String].".into()),
    }
    let checksum = s("checksum");
    if let Some(c) = &checksum {
        if !c.trim().is_empty() {
            if c.len() != 32 {
                err("Checksum", "The checksum, if used, must be a MD5 hash with a length of 32 characters".into());
            } else if c.to_lowercase() != *c {
                err("Checksum", "The checksum, if used, must be a MD5 hash in lower case".into());
            }
        }
    }
    let disable_virus_scan = o.get("disablevirusscan").and_then(|v| v.as_bool()).unwrap_or(false);
    if !errs.is_empty() {
        return Err(validation(serde_json::to_value(errs).expect("a map of strings serialises")));
    }
    Ok(InitReq {
        file_name: file_name.expect("validated above"),
        resource_id: strip_org(&resource_id.expect("validated above")),
        senders_reference: sref.unwrap_or_default(),
        sender: sender.expect("validated above"),
        recipients,
        property_list,
        checksum,
        disable_virus_scan,
    })
}

/// InitializeFileTransferHandler, in its order.
fn init_core(app: &App, c: &Caller, req: InitReq) -> Result<Uuid, Response> {
    if !pdp(app, c, &req.resource_id, &req.sender, "write") {
        return Err(bro(6));
    }
    let now = app.clock.now();
    let (resource, so) = app.read(|s| {
        let r = s.resources.get(&req.resource_id).cloned();
        let so = r.as_ref().and_then(|r| s.service_owners.get(&r.service_owner).cloned());
        (r, so)
    });
    let Some(resource) = resource.filter(|r| r.configured) else { return Err(bro(25)) };
    let Some(so) = so else { return Err(bro(2)) };
    // BRO-00020 applies only in production; the sandbox is not production.
    if !so.storage_ready {
        return Err(bro(21));
    }
    if !resource.in_resource_registry {
        return Err(bro(5));
    }
    let recipients: Vec<String> = req.recipients.iter().map(|r| format!("0192:{}", strip_org(r))).collect();
    if resource.access_list_enabled && recipients.iter().any(|r| !resource.access_list.contains(&strip_org(r))) {
        return Err(bro(28));
    }
    if let Some(rp) = &resource.required_party {
        if &strip_org(&req.sender) != rp {
            if recipients.len() > 1 {
                return Err(bro(27));
            }
            if recipients.first().map(|r| strip_org(r)) != Some(rp.clone()) {
                return Err(bro(26));
            }
        }
    }
    let id = Uuid::new_v4();
    let ttl = resource.file_transfer_time_to_live.unwrap_or(30 * 86400);
    let mut ft = FileTransfer {
        id,
        resource_id: req.resource_id,
        file_name: req.file_name,
        senders_reference: req.senders_reference,
        sender: req.sender,
        recipients: recipients.clone(),
        property_list: req.property_list,
        user_checksum: Some(req.checksum.unwrap_or_default()),
        computed_checksum: None,
        use_virus_scan: !req.disable_virus_scan && resource.malware_scan,
        size: 0,
        created: now,
        expiration: now + time::Duration::seconds(ttl),
        history: vec![],
        recipient_history: vec![],
        has_file: false,
        tus: None,
        processing_pending: false,
        purge_at: None,
        last_range_download: BTreeMap::new(),
        last_tus_activity: None,
    };
    for r in &recipients {
        ft.add_actor(r, ActorStatus::Initialized, now);
    }
    ft.set_status(FtStatus::Initialized, None, now);
    app.mutate(|s| s.transfers.insert(id, ft));
    Ok(id)
}

fn is_json_ct(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let m = v.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            m == "application/json" || m.ends_with("+json") || m == "text/json"
        })
        .unwrap_or(false)
}

async fn initialize(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = check_accept(&headers, "application/json") {
        return r;
    }
    let c = match authz(&app, &headers, Policy::Sender) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !is_json_ct(&headers) {
        return errors::unsupported_media();
    }
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return validation(json!({
                "$": [format!("The JSON value could not be converted to Altinn.Broker.Models.FileTransferInitalizeExt. {e}")],
                "fileTransferInitializeExt": ["The fileTransferInitializeExt field is required."],
            }))
        }
    };
    let req = match validate_init(&v) {
        Ok(r) => r,
        Err(r) => return r,
    };
    match init_core(&app, &c, req) {
        Ok(id) => json_response(200, &json!({"fileTransferId": id})),
        Err(r) => r,
    }
}

// ---------------------------------------------------------------------------
// Streamed upload
// ---------------------------------------------------------------------------

enum WriteEnd {
    /// The client's body ended; bytes written.
    Done(u64),
    /// The body failed (client went away) or an injected drop; bytes written.
    Broken(u64),
}

/// Streams `body` into `file`, feeding the MD5 and the per-transfer byte counter.
async fn write_body(
    app: &App,
    id: Uuid,
    body: Body,
    file: &mut tokio::fs::File,
    mut md5: Option<&mut Md5>,
    drop_after: Option<u64>,
    limit: Option<u64>,
) -> Result<WriteEnd, u64> {
    let mut stream = body.into_data_stream();
    let mut n: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let Ok(mut chunk) = chunk else {
            let _ = file.flush().await;
            return Ok(WriteEnd::Broken(n));
        };
        let mut dropped = false;
        if let Some(d) = drop_after {
            if n + chunk.len() as u64 >= d {
                chunk.truncate((d - n.min(d)) as usize);
                dropped = true;
            }
        }
        if let Some(l) = limit {
            if n + chunk.len() as u64 > l {
                return Err(n);
            }
        }
        if file.write_all(&chunk).await.is_err() {
            return Ok(WriteEnd::Broken(n));
        }
        if let Some(m) = md5.as_deref_mut() {
            m.update(&chunk);
        }
        n += chunk.len() as u64;
        *app.counters.locked().bytes_received.entry(id).or_insert(0) += chunk.len() as u64;
        if dropped {
            let _ = file.flush().await;
            return Ok(WriteEnd::Broken(n));
        }
    }
    let _ = file.flush().await;
    let _ = file.sync_data().await;
    Ok(WriteEnd::Done(n))
}

/// ValidateForUploadAsync (status, resource, service owner, provider).
fn validate_for_upload(app: &App, c: &Caller, id: Uuid) -> Result<(FileTransfer, Resource), u32> {
    let Some(ft) = get_ft(app, id) else { return Err(1) };
    if !is_sender(app, c, &ft) {
        return Err(6);
    }
    if ft.status() > FtStatus::UploadStarted {
        return Err(4);
    }
    let (r, so) = app.read(|s| {
        let r = s.resources.get(&ft.resource_id).cloned();
        let so = r.as_ref().and_then(|r| s.service_owners.get(&r.service_owner).cloned());
        (r, so)
    });
    let Some(r) = r.filter(|r| r.in_resource_registry) else { return Err(5) };
    let Some(so) = so else { return Err(2) };
    if !so.storage_ready {
        return Err(21);
    }
    Ok((ft, r))
}

fn size_too_big(ft: &FileTransfer, r: &Resource, len: u64) -> bool {
    (ft.use_virus_scan && len > MAX_SCAN_SIZE) || r.max_file_transfer_size.map(|m| len as i64 > m).unwrap_or(false)
}

async fn upload(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap, body: Body) -> Response {
    if let Err(r) = check_accept(&headers, "application/json") {
        return r;
    }
    let c = match authz(&app, &headers, Policy::Sender) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let id = match parse_id(&id) {
        Ok(i) => i,
        Err(r) => return r,
    };
    if let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        if !ct.to_ascii_lowercase().starts_with("application/octet-stream") {
            return errors::unsupported_media();
        }
    }
    let (ft, resource) = match validate_for_upload(&app, &c, id) {
        Ok(x) => x,
        Err(n) => return bro(n),
    };
    let len = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if let Some(l) = len {
        if size_too_big(&ft, &resource, l) {
            return bro(16);
        }
    }
    let now = app.clock.now();
    app.mutate(|s| {
        if let Some(ft) = s.transfers.get_mut(&id) {
            if ft.status() != FtStatus::UploadStarted {
                ft.set_status(FtStatus::UploadStarted, None, now);
            }
        }
    });
    let drop_after = app.faults.locked().take_drop(&format!("{P}/filetransfer/{id}/upload"));
    let path = app.file_path(id);
    let mut file = match tokio::fs::File::create(&path).await {
        Ok(f) => f,
        Err(_) => return fail_upload(&app, id, "Error occurred while uploading fileTransfer"),
    };
    let mut md5 = Md5::new();
    let limit = resource.max_file_transfer_size.map(|m| m as u64);
    match write_body(&app, id, body, &mut file, Some(&mut md5), drop_after, limit).await {
        Err(_) => {
            // Chunked body over the resource limit: the real server has no check
            // here; the sandbox refuses to store it and fails the transfer.
            fail_upload(&app, id, "File upload failed and was aborted")
        }
        Ok(WriteEnd::Broken(_)) => {
            // The client went away: the real server cannot record Failed with a
            // cancelled token, so the FT stays UploadStarted [inferred].
            faults::connection_drop()
        }
        Ok(WriteEnd::Done(n)) => {
            drop(file);
            let sum = hex(&md5.finalize());
            complete_streamed(&app, id, n, sum)
        }
    }
}

fn fail_upload(app: &App, id: Uuid, text: &str) -> Response {
    let now = app.clock.now();
    app.mutate(|s| {
        if let Some(ft) = s.transfers.get_mut(&id) {
            ft.set_status(FtStatus::Failed, Some(text.into()), now);
        }
    });
    let _ = std::fs::remove_file(app.file_path(id));
    bro(8)
}

/// CompleteFileUploadHandler with DeferChecksumValidation = false.
fn complete_streamed(app: &App, id: Uuid, size: u64, sum: String) -> Response {
    let now = app.clock.now();
    let mismatch = app.mutate(|s| {
        let ft = s.transfers.get_mut(&id).expect("the transfer was looked up before");
        ft.size = size;
        ft.has_file = true;
        if ft.user_checksum_given() && !ft.user_checksum.as_deref().unwrap_or_default().eq_ignore_ascii_case(&sum) {
            ft.set_status(FtStatus::Failed, Some("Checksum mismatch".into()), now);
            ft.has_file = false;
            return true;
        }
        ft.computed_checksum = Some(sum.clone());
        if ft.use_virus_scan {
            ft.set_status(FtStatus::UploadProcessing, None, now);
            ft.processing_pending = true;
        } else {
            ft.set_status(FtStatus::Published, None, now);
        }
        false
    });
    if mismatch {
        let _ = std::fs::remove_file(app.file_path(id));
        return bro(9);
    }
    json_response(200, &json!({"fileTransferId": id}))
}

// ---------------------------------------------------------------------------
// Multipart initialize-and-upload
// ---------------------------------------------------------------------------

async fn initialize_and_upload(
    State(app): State<App>,
    headers: HeaderMap,
    mut mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    if let Err(r) = check_accept(&headers, "application/json") {
        return r;
    }
    let c = match authz(&app, &headers, Policy::Sender) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mp = match &mut mp {
        Ok(m) => m,
        Err(_) => return errors::unsupported_media(),
    };
    let mut meta = Map::new();
    let mut recipients: Vec<(usize, String)> = vec![];
    let mut props = Map::new();
    let tmp = app.file_path(Uuid::new_v4()).with_extension("upload");
    let mut got_file = false;
    let mut md5 = Md5::new();
    let mut size = 0u64;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return validation(json!({"": ["Failed to read the request form."]})),
        };
        let name = field.name().unwrap_or("").to_string();
        let lname = name.to_ascii_lowercase();
        if lname == "filetransfer" {
            let Ok(mut f) = tokio::fs::File::create(&tmp).await else { return bro(8) };
            let mut field = field;
            loop {
                match field.chunk().await {
                    Ok(Some(b)) => {
                        md5.update(&b);
                        size += b.len() as u64;
                        if f.write_all(&b).await.is_err() {
                            return bro(8);
                        }
                    }
                    Ok(None) => break,
                    Err(_) => {
                        let _ = tokio::fs::remove_file(&tmp).await;
                        return faults::connection_drop();
                    }
                }
            }
            let _ = f.flush().await;
            got_file = true;
            continue;
        }
        let val = field.text().await.unwrap_or_default();
        let Some(key) = lname.strip_prefix("metadata.") else { continue };
        if let Some(rest) = key.strip_prefix("recipients") {
            let idx =
                rest.trim_start_matches('[').trim_end_matches(']').parse::<usize>().unwrap_or(recipients.len() + 1000);
            recipients.push((idx, val));
        } else if let Some(rest) = key.strip_prefix("propertylist") {
            // `Metadata.PropertyList[key]` or `Metadata.PropertyList.key`: keep the original case.
            let orig = &name["metadata.propertylist".len()..];
            let k = orig.trim_start_matches('.').trim_start_matches('[').trim_end_matches(']');
            let _ = rest;
            props.insert(k.to_string(), Value::String(val));
        } else if key == "disablevirusscan" {
            meta.insert(key.into(), Value::Bool(val.eq_ignore_ascii_case("true")));
        } else {
            meta.insert(key.into(), Value::String(val));
        }
    }
    recipients.sort_by_key(|(i, _)| *i);
    if !recipients.is_empty() {
        meta.insert("recipients".into(), Value::Array(recipients.into_iter().map(|(_, v)| Value::String(v)).collect()));
    }
    if !props.is_empty() {
        meta.insert("propertylist".into(), Value::Object(props));
    }
    if !got_file {
        let _ = tokio::fs::remove_file(&tmp).await;
        return validation(json!({"FileTransfer": ["The FileTransfer field is required."]}));
    }
    let req = match validate_init(&Value::Object(meta)) {
        Ok(r) => r,
        Err(r) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            return r;
        }
    };
    let id = match init_core(&app, &c, req) {
        Ok(id) => id,
        Err(r) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            return r;
        }
    };
    let (ft, resource) = match validate_for_upload(&app, &c, id) {
        Ok(x) => x,
        Err(n) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            return bro(n);
        }
    };
    if size_too_big(&ft, &resource, size) {
        let _ = tokio::fs::remove_file(&tmp).await;
        return bro(16);
    }
    let now = app.clock.now();
    app.mutate(|s| {
        s.transfers.get_mut(&id).expect("the transfer was looked up before").set_status(
            FtStatus::UploadStarted,
            None,
            now,
        )
    });
    *app.counters.locked().bytes_received.entry(id).or_insert(0) += size;
    if tokio::fs::rename(&tmp, app.file_path(id)).await.is_err() {
        return fail_upload(&app, id, "Error occurred while uploading fileTransfer");
    }
    complete_streamed(&app, id, size, hex(&md5.finalize()))
}

// ---------------------------------------------------------------------------
// Overview, details, search
// ---------------------------------------------------------------------------

fn overview_json(ft: &FileTransfer, published: bool) -> Value {
    let cur = ft.current();
    let recipients: Vec<Value> = ft
        .recipients
        .iter()
        .map(|r| {
            let (st, at) = ft.recipient_overview(r);
            json!({
                "recipient": r,
                "currentRecipientFileTransferStatusCode": format!("{st:?}"),
                "currentRecipientFileTransferStatusText": st.text(),
                "currentRecipientFileTransferStatusChanged": fmt_ts(at),
            })
        })
        .collect();
    let mut v = json!({
        "fileTransferId": ft.id,
        "resourceId": ft.resource_id,
        "fileName": ft.file_name,
        "sendersFileTransferReference": ft.senders_reference,
        "checksum": ft.checksum_out(),
        "useVirusScan": ft.use_virus_scan,
        "fileTransferSize": ft.size,
        "fileTransferStatus": format!("{:?}", cur.status),
        "fileTransferStatusText": cur.text.clone().unwrap_or_else(|| cur.status.default_text().to_string()),
        "fileTransferStatusChanged": fmt_ts(cur.at),
        "created": fmt_ts(ft.created),
        "expirationTime": fmt_ts(ft.expiration),
        "sender": ft.sender,
        "recipients": recipients,
        "propertyList": ft.property_list,
    });
    if published {
        v["published"] = ft
            .history
            .iter()
            .filter(|e| e.status == FtStatus::Published)
            .map(|e| e.at)
            .min()
            .map(|t| Value::String(fmt_ts(t)))
            .unwrap_or(Value::Null);
    }
    v
}

fn read_access(app: &App, headers: &HeaderMap, id: &str) -> Result<(Caller, FileTransfer), Response> {
    check_accept(headers, "application/json")?;
    let c = authz(app, headers, Policy::SenderOrRecipient)?;
    let id = parse_id(id)?;
    let Some(ft) = get_ft(app, id) else { return Err(bro(1)) };
    if !is_sender(app, &c, &ft) && !is_recipient(app, &c, &ft) {
        return Err(bro(6));
    }
    Ok((c, ft))
}

async fn overview(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    match read_access(&app, &headers, &id) {
        Ok((_, ft)) => json_response(200, &overview_json(&ft, true)),
        Err(r) => r,
    }
}

async fn details(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Ok(c) = authz(&app, &headers, Policy::SenderOrRecipient) {
        let limit = app.read(|s| s.settings.details_rate_limit_per_minute);
        if let Some(r) = rate_limited(&app, "details", &c, limit) {
            return r;
        }
    }
    let ft = match read_access(&app, &headers, &id) {
        Ok((_, ft)) => ft,
        Err(r) => return r,
    };
    let mut v = overview_json(&ft, false);
    let mut hist = ft.history.clone();
    hist.sort_by_key(|e| e.at);
    v["fileTransferStatusHistory"] = hist
        .iter()
        .map(|e| {
            json!({
                "fileTransferStatus": format!("{:?}", e.status),
                "fileTransferStatusText": e.text.clone().unwrap_or_else(|| e.status.default_text().to_string()),
                "fileTransferStatusChanged": fmt_ts(e.at),
            })
        })
        .collect();
    v["recipientFileTransferStatusHistory"] = ft
        .recipient_history
        .iter()
        .map(|e| {
            json!({
                "recipient": e.recipient,
                "recipientFileTransferStatusCode": format!("{:?}", e.status),
                "recipientFileTransferStatusText": e.status.text(),
                "recipientFileTransferStatusChanged": fmt_ts(e.at),
            })
        })
        .collect();
    json_response(200, &v)
}

fn parse_dt(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok().or_else(|| {
        // Date-times without offset are taken as UTC.
        time::PrimitiveDateTime::parse(s, &time::format_description::well_known::Iso8601::DEFAULT)
            .ok()
            .map(|p| p.assume_utc())
            .or_else(|| {
                // A bare date binds as midnight (DateTimeOffset model binding).
                let fmt = time::macros::format_description!("[year]-[month]-[day]");
                time::Date::parse(s, &fmt).ok().map(|d| d.midnight().assume_utc())
            })
    })
}

async fn search(State(app): State<App>, headers: HeaderMap, Query(q): Query<BTreeMap<String, String>>) -> Response {
    if let Err(r) = check_accept(&headers, "application/json") {
        return r;
    }
    let c = match authz(&app, &headers, Policy::SenderOrRecipient) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let limit = app.read(|s| s.settings.search_rate_limit_per_minute);
    if let Some(r) = rate_limited(&app, "search", &c, limit) {
        return r;
    }
    let q: BTreeMap<String, String> = q.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
    let mut errs = Map::new();
    let Some(resource_id) = q.get("resourceid").filter(|r| !r.is_empty()).cloned() else {
        return validation(json!({"resourceId": ["The resourceId field is required."]}));
    };
    let status = match q.get("status") {
        Some(s) => match FtStatus::parse(s) {
            Some(x) => Some(x),
            None => {
                errs.insert("status".into(), json!([format!("The value '{s}' is not valid for status.")]));
                None
            }
        },
        None => None,
    };
    let rstatus = match q.get("recipientstatus") {
        Some(s) => match ActorStatus::parse(s) {
            Some(x) => Some(x),
            None => {
                errs.insert(
                    "recipientStatus".into(),
                    json!([format!("The value '{s}' is not valid for recipientStatus.")]),
                );
                None
            }
        },
        None => None,
    };
    let mut dt = |k: &str, name: &str| match q.get(k) {
        Some(s) => match parse_dt(s) {
            Some(t) => Some(t),
            None => {
                errs.insert(name.into(), json!([format!("The value '{s}' is not valid for {name}.")]));
                None
            }
        },
        None => None,
    };
    let from = dt("from", "from");
    let to = dt("to", "to");
    let asc = match q.get("orderascending").map(|s| s.to_ascii_lowercase()) {
        None => false,
        Some(s) if s == "true" => true,
        Some(s) if s == "false" => false,
        Some(s) => {
            errs.insert("orderAscending".into(), json!([format!("The value '{s}' is not valid.")]));
            false
        }
    };
    let role = match q.get("role").map(|s| s.to_ascii_lowercase()) {
        None => None,
        Some(s) if s == "sender" => Some("sender"),
        Some(s) if s == "recipient" => Some("recipient"),
        Some(s) => {
            errs.insert("role".into(), json!([format!("The value '{s}' is not valid for role.")]));
            None
        }
    };
    if !errs.is_empty() {
        return validation(Value::Object(errs));
    }
    let Some(org) = c.org.clone() else { return bro(6) };
    if !(pdp(&app, &c, &resource_id, &org, "read") && pdp(&app, &c, &resource_id, &org, "write")) {
        return bro(6);
    }
    let actor = caller_actor(&c);
    let mut hits: Vec<(time::OffsetDateTime, Uuid)> = app.read(|s| {
        s.transfers
            .values()
            .filter(|ft| ft.resource_id == resource_id)
            .filter(|ft| {
                if let Some(rs) = rstatus {
                    return ft.recipients.contains(&actor) && ft.recipient_latest(&actor) == Some(rs);
                }
                let as_sender = ft.sender == actor;
                let as_recipient = ft.recipients.contains(&actor);
                match role {
                    Some("sender") => as_sender,
                    Some("recipient") => as_recipient,
                    _ => as_sender || as_recipient,
                }
            })
            .filter(|ft| status.map(|st| ft.status() == st).unwrap_or(true))
            .filter_map(|ft| {
                let t = match status {
                    Some(st) => ft.history.iter().filter(|e| e.status == st).map(|e| e.at).max()?,
                    None => ft.created,
                };
                let ok = match (from, to) {
                    (Some(f), Some(tt)) => t >= f && t <= tt,
                    (Some(f), None) => t > f,
                    (None, Some(tt)) => t < tt,
                    (None, None) => true,
                };
                ok.then_some((t, ft.id))
            })
            .collect()
    });
    hits.sort();
    if !asc {
        hits.reverse();
    }
    let ids: Vec<String> = hits.into_iter().take(100).map(|(_, i)| i.to_string()).collect();
    json_response(200, &json!(ids))
}

// ---------------------------------------------------------------------------
// Download and confirm
// ---------------------------------------------------------------------------

enum RangeReq {
    None,
    Range(u64, u64),
    Unsatisfiable,
}

fn parse_range(h: Option<&str>, size: u64) -> RangeReq {
    let Some(h) = h else { return RangeReq::None };
    let Some(spec) = h.trim().strip_prefix("bytes=") else { return RangeReq::None };
    if spec.contains(',') {
        return RangeReq::None;
    }
    let Some((a, b)) = spec.trim().split_once('-') else { return RangeReq::None };
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let Ok(n) = b.parse::<u64>() else { return RangeReq::None };
        if n == 0 || size == 0 {
            return RangeReq::Unsatisfiable;
        }
        let n = n.min(size);
        return RangeReq::Range(size - n, size - 1);
    }
    let Ok(start) = a.parse::<u64>() else { return RangeReq::None };
    let end = if b.is_empty() {
        size.saturating_sub(1)
    } else {
        match b.parse::<u64>() {
            Ok(e) if e >= start => e.min(size.saturating_sub(1)),
            _ => return RangeReq::None,
        }
    };
    if start >= size {
        return RangeReq::Unsatisfiable;
    }
    RangeReq::Range(start, end)
}

async fn download(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let c = match authz(&app, &headers, Policy::Recipient) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let id = match parse_id(&id) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let Some(ft) = get_ft(&app, id) else { return bro(1) };
    if !is_recipient(&app, &c, &ft) {
        return bro(6);
    }
    if !matches!(ft.status(), FtStatus::Published | FtStatus::AllConfirmedDownloaded) {
        return bro(7);
    }
    if !ft.has_file {
        return bro(3);
    }
    let size = ft.size;
    let range = parse_range(headers.get(header::RANGE).and_then(|v| v.to_str().ok()), size);
    let (start, end, partial) = match range {
        RangeReq::Unsatisfiable => return bro(29),
        RangeReq::None => (0, size.saturating_sub(1), false),
        RangeReq::Range(a, b) => (a, b, true),
    };
    let actor = caller_actor(&c);
    let now = app.clock.now();
    app.mutate(|s| {
        if let Some(ft) = s.transfers.get_mut(&id) {
            if partial {
                let due =
                    ft.last_range_download.get(&actor).map(|t| now - *t >= time::Duration::minutes(5)).unwrap_or(true);
                if due {
                    ft.last_range_download.insert(actor.clone(), now);
                    ft.add_actor(&actor, ActorStatus::DownloadStarted, now);
                }
            } else {
                ft.add_actor(&actor, ActorStatus::DownloadStarted, now);
            }
        }
    });
    let len = if size == 0 { 0 } else { end - start + 1 };
    let path_key = format!("{P}/filetransfer/{id}/download");
    let drop_after = app.faults.locked().take_drop(&path_key);
    let truncate = app.faults.locked().take_truncate(&path_key);
    let mut f = match tokio::fs::File::open(app.file_path(id)).await {
        Ok(f) => f,
        Err(_) => return bro(3),
    };
    if f.seek(SeekFrom::Start(start)).await.is_err() {
        return bro(3);
    }
    use tokio::io::AsyncReadExt;
    let send_len = truncate.map(|t| t.min(len)).unwrap_or(len);
    let reader = tokio_util::io::ReaderStream::with_capacity(f.take(send_len), 64 * 1024);
    let body = match drop_after {
        Some(d) => faults::cut_after(reader, d),
        None => Body::from_stream(reader),
    };
    let fname = ft.file_name.replace('"', "");
    let ascii: String = fname.chars().map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '_' }).collect();
    let enc: String = fname
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let mut r = Response::builder()
        .status(if partial { StatusCode::PARTIAL_CONTENT } else { StatusCode::OK })
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_LENGTH, send_len.to_string())
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_DISPOSITION, format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{enc}"));
    if partial {
        r = r.header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{size}"));
    }
    r.body(body).expect("the download headers are valid")
}

async fn confirm(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Err(r) = check_accept(&headers, "application/json") {
        return r;
    }
    let c = match authz(&app, &headers, Policy::Recipient) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let id = match parse_id(&id) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let Some(ft) = get_ft(&app, id) else { return bro(1) };
    if !is_recipient(&app, &c, &ft) {
        return bro(6);
    }
    if !ft.has_file {
        return bro(3);
    }
    if ft.status() != FtStatus::Published {
        return bro(10);
    }
    let actor = caller_actor(&c);
    if ft.recipient_overview(&actor).0 == ActorStatus::DownloadConfirmed {
        return StatusCode::NO_CONTENT.into_response();
    }
    if !ft.recipient_history.iter().any(|e| e.recipient == actor && e.status == ActorStatus::DownloadStarted) {
        return bro(19);
    }
    let now = app.clock.now();
    let (purge, grace) = app.read(|s| {
        s.resources
            .get(&ft.resource_id)
            .map(|r| {
                (
                    r.purge_file_transfer_after_all_recipients_confirmed,
                    r.purge_file_transfer_grace_period.unwrap_or(7200),
                )
            })
            .unwrap_or((true, 7200))
    });
    app.mutate(|s| {
        let ft = s.transfers.get_mut(&id).expect("the transfer was looked up before");
        ft.add_actor(&actor, ActorStatus::DownloadConfirmed, now);
        let all = ft.recipients.iter().all(|r| ft.recipient_overview(r).0 == ActorStatus::DownloadConfirmed);
        if all {
            // After the recipient's DownloadConfirmed (events come in that order).
            ft.set_status(FtStatus::AllConfirmedDownloaded, None, now + time::Duration::microseconds(1));
            if purge {
                ft.purge_at = Some(now + time::Duration::seconds(grace));
            }
        }
    });
    StatusCode::NO_CONTENT.into_response()
}

// ---------------------------------------------------------------------------
// TUS
// ---------------------------------------------------------------------------

fn tus_headers(r: &mut Response) {
    r.headers_mut().insert("Tus-Resumable", HeaderValue::from_static("1.0.0"));
}

fn tus_resp(status: u16, hs: &[(&str, String)]) -> Response {
    let mut r = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR).into_response();
    tus_headers(&mut r);
    for (k, v) in hs {
        r.headers_mut().insert(
            axum::http::HeaderName::from_bytes(k.as_bytes()).expect("a TUS header name"),
            HeaderValue::from_str(v).expect("a TUS header value"),
        );
    }
    r
}

fn tus_text(status: u16, msg: &str) -> Response {
    let mut r = errors::text(status, msg);
    tus_headers(&mut r);
    r
}

fn tus_version_ok(headers: &HeaderMap) -> Result<(), Response> {
    match headers.get("Tus-Resumable").and_then(|v| v.to_str().ok()) {
        Some("1.0.0") => Ok(()),
        _ => {
            let mut r = tus_text(412, "Tus-Resumable header must be 1.0.0");
            r.headers_mut().insert("Tus-Version", HeaderValue::from_static("1.0.0"));
            Err(r)
        }
    }
}

fn tus_auth(app: &App, headers: &HeaderMap, id: &str) -> Result<(Caller, Uuid), Response> {
    let c = match authz(app, headers, Policy::Sender) {
        Ok(c) => c,
        Err(r) if r.status() == StatusCode::UNAUTHORIZED => {
            // Expired tokens are accepted while an upload session is active
            // (TusUploadSessionAuthenticationHandler). The sandbox treats an
            // existing TUS upload on an UploadStarted FT, sent by the same org,
            // as the active session [approximation of the Redis session key].
            let c = crate::auth::authenticate_allow_expired(app, headers).map_err(|_| r)?;
            let fid = Uuid::parse_str(id).ok();
            let active = fid.and_then(|f| get_ft(app, f)).map(|ft| {
                ft.tus.is_some()
                    && ft.status() == FtStatus::UploadStarted
                    && c.org.as_deref() == Some(strip_org(&ft.sender).as_str())
                    && c.has_scope("altinn:broker.write")
            });
            if active != Some(true) {
                return Err(errors::unauthorized(true));
            }
            c
        }
        Err(r) => return Err(r),
    };
    let id = Uuid::parse_str(id).map_err(|_| tus_text(404, "The requested file transfer was not found"))?;
    Ok((c, id))
}

fn tus_location(id: Uuid, pid: Option<&str>) -> String {
    match pid {
        Some(p) => format!("{P}/filetransfer/upload/tus/{id}/partial/{p}"),
        None => format!("{P}/filetransfer/upload/tus/{id}"),
    }
}

async fn tus_options(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Err(r) = tus_auth(&app, &headers, &id) {
        return r;
    }
    tus_resp(
        204,
        &[
            ("Tus-Version", "1.0.0".into()),
            ("Tus-Extension", "creation,creation-with-upload,termination,checksum,concatenation,expiration".into()),
            ("Tus-Checksum-Algorithm", "md5".into()),
        ],
    )
}

async fn tus_create(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let (c, id) = match tus_auth(&app, &headers, &id) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Err(r) = tus_version_ok(&headers) {
        return r;
    }
    if headers.contains_key("Upload-Defer-Length") {
        return tus_text(400, "Upload-Defer-Length is not supported");
    }
    let (ft, resource) = match validate_for_upload(&app, &c, id) {
        Ok(x) => x,
        Err(n) => return tus_with(bro_text(n)),
    };
    let concat = headers.get("Upload-Concat").and_then(|v| v.to_str().ok()).map(String::from);
    let now = app.clock.now();
    if let Some(fin) = concat.as_deref().and_then(|c| c.strip_prefix("final;")) {
        // Final concatenation: every partial must exist and be complete.
        let parts: Vec<String> = fin
            .split_whitespace()
            .map(|l| l.trim_end_matches('/').rsplit('/').next().unwrap_or("").to_string())
            .collect();
        let tus = ft.tus.clone().unwrap_or_default();
        let mut total = 0u64;
        for p in &parts {
            match tus.partials.get(p) {
                Some((l, o)) if l == o => total += l,
                Some(_) => return tus_text(400, &format!("Upload-Concat: File {p} is not complete")),
                None => {
                    return tus_text(400, "Upload-Concat: Could not find some of the files supplied for concatenation")
                }
            }
        }
        if size_too_big(&ft, &resource, total) {
            return tus_text(400, "File size exceeds maximum");
        }
        app.mutate(|s| {
            let ft = s.transfers.get_mut(&id).expect("the transfer was looked up before");
            let t = ft.tus.get_or_insert_with(TusUpload::default);
            t.length = total;
            t.offset = total;
            t.final_parts = parts.clone();
            if ft.status() < FtStatus::UploadStarted {
                ft.set_status(FtStatus::UploadStarted, None, now);
            }
            ft.set_status(FtStatus::UploadProcessing, None, now);
            ft.processing_pending = true;
        });
        return tus_resp(201, &[("Location", tus_location(id, None))]);
    }
    let Some(length) = headers.get("Upload-Length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok())
    else {
        return tus_text(400, "Missing Upload-Length header");
    };
    if size_too_big(&ft, &resource, length) {
        return tus_text(400, "File size exceeds maximum");
    }
    let partial = concat.as_deref() == Some("partial");
    let pid = partial.then(|| Uuid::new_v4().simple().to_string());
    let path = match &pid {
        Some(p) => app.partial_path(id, p),
        None => app.file_path(id),
    };
    if tokio::fs::File::create(&path).await.is_err() {
        return tus_text(500, "Could not create file");
    }
    app.mutate(|s| {
        let ft = s.transfers.get_mut(&id).expect("the transfer was looked up before");
        let t = ft.tus.get_or_insert_with(TusUpload::default);
        match &pid {
            Some(p) => {
                t.partials.insert(p.clone(), (length, 0));
            }
            None => {
                // A second create resets the offset (BrokerTusStore.CreateFileAsync).
                t.length = length;
                t.offset = 0;
                t.final_parts.clear();
            }
        }
        if ft.status() != FtStatus::UploadStarted {
            ft.set_status(FtStatus::UploadStarted, None, now);
        }
        ft.last_tus_activity = Some(now);
    });
    let mut hs = vec![("Location", tus_location(id, pid.as_deref()))];
    hs.push(("Upload-Expires", httpdate::fmt_http_date((app.clock.now() + time::Duration::days(1)).into())));
    tus_resp(201, &hs)
}

fn tus_with(mut r: Response) -> Response {
    tus_headers(&mut r);
    r
}

async fn tus_head(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    head_common(&app, &headers, &id, None)
}

async fn tus_part_head(
    State(app): State<App>,
    Path((id, pid)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    head_common(&app, &headers, &id, Some(pid))
}

fn head_common(app: &App, headers: &HeaderMap, id: &str, pid: Option<String>) -> Response {
    let (c, id) = match tus_auth(app, headers, id) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Err(r) = tus_version_ok(headers) {
        return r;
    }
    let Some(ft) = get_ft(app, id) else { return tus_with(bro_text(1)) };
    if !is_sender(app, &c, &ft) {
        return tus_with(bro_text(6));
    }
    let Some(t) = ft.tus.clone() else { return tus_resp(404, &[]) };
    let mut hs = vec![("Cache-Control", "no-store".to_string())];
    match pid {
        Some(p) => {
            let Some((l, o)) = t.partials.get(&p) else { return tus_resp(404, &[]) };
            hs.push(("Upload-Offset", o.to_string()));
            hs.push(("Upload-Length", l.to_string()));
            hs.push(("Upload-Concat", "partial".into()));
        }
        None => {
            if t.final_parts.is_empty() && t.length == 0 && t.offset == 0 && !app.file_path(id).exists() {
                return tus_resp(404, &[]);
            }
            hs.push(("Upload-Offset", t.offset.to_string()));
            hs.push(("Upload-Length", t.length.to_string()));
            if !t.final_parts.is_empty() {
                let locs: Vec<String> = t.final_parts.iter().map(|p| tus_location(id, Some(p))).collect();
                hs.push(("Upload-Concat", format!("final;{}", locs.join(" "))));
            }
        }
    }
    tus_resp(200, &hs)
}

async fn tus_patch(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap, body: Body) -> Response {
    patch_common(app, headers, id, None, body).await
}

async fn tus_part_patch(
    State(app): State<App>,
    Path((id, pid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    patch_common(app, headers, id, Some(pid), body).await
}

struct LockGuard(App, String);
impl Drop for LockGuard {
    fn drop(&mut self) {
        self.0.tus_locks.locked().remove(&self.1);
    }
}

async fn patch_common(app: App, headers: HeaderMap, id: String, pid: Option<String>, body: Body) -> Response {
    let (c, id) = match tus_auth(&app, &headers, &id) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Err(r) = tus_version_ok(&headers) {
        return r;
    }
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.eq_ignore_ascii_case("application/offset+octet-stream") {
        return tus_text(415, "Content-Type application/offset+octet-stream is required");
    }
    if headers.contains_key("Upload-Checksum") {
        // BrokerTusStore.VerifyChecksumAsync always returns false [inferred].
        return tus_text(460, "Header Upload-Checksum does not match the checksum of the file");
    }
    let Some(req_off) = headers.get("Upload-Offset").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok())
    else {
        return tus_text(400, "Missing Upload-Offset header");
    };
    let Some(ft) = get_ft(&app, id) else { return tus_with(bro_text(1)) };
    if !is_sender(&app, &c, &ft) {
        return tus_with(bro_text(6));
    }
    let Some(t) = ft.tus.clone() else { return tus_resp(404, &[]) };
    let (length, offset) = match &pid {
        Some(p) => match t.partials.get(p) {
            Some(x) => *x,
            None => return tus_resp(404, &[]),
        },
        None => (t.length, t.offset),
    };
    // TusIdempotentCompletePatchMiddleware: at or after the final offset → 204.
    if offset >= length && req_off >= length {
        return tus_resp(204, &[("Upload-Offset", length.to_string())]);
    }
    if !matches!(ft.status(), FtStatus::UploadStarted) {
        return tus_with(bro_text(4));
    }
    if req_off != offset {
        return tus_text(409, &format!("Offset does not match file. File offset: {offset}. Request offset: {req_off}"));
    }
    let lock_key = format!("{id}/{}", pid.clone().unwrap_or_default());
    if !app.tus_locks.locked().insert(lock_key.clone()) {
        return tus_text(409, &format!("File {id} is currently being updated. Please try again later"));
    }
    let _guard = LockGuard(app.clone(), lock_key);
    let path = match &pid {
        Some(p) => app.partial_path(id, p),
        None => app.file_path(id),
    };
    let mut f = match tokio::fs::OpenOptions::new().write(true).create(true).truncate(false).open(&path).await {
        Ok(f) => f,
        Err(_) => return tus_text(500, "Could not open file"),
    };
    // Discard anything beyond the durable offset (e.g. after a crash mid-write).
    let _ = f.set_len(offset).await;
    let _ = f.seek(SeekFrom::Start(offset)).await;
    let prefix = match &pid {
        Some(_) => format!("{P}/filetransfer/upload/tus/{id}/partial"),
        None => format!("{P}/filetransfer/upload/tus/{id}"),
    };
    let drop_after = app.faults.locked().take_drop(&prefix);
    let res = write_body(&app, id, body, &mut f, None, drop_after, Some(length - offset)).await;
    let _ = f.sync_data().await;
    let (written, broken) = match res {
        Ok(WriteEnd::Done(n)) => (n, false),
        Ok(WriteEnd::Broken(n)) => (n, true),
        Err(n) => {
            let new_off = offset + n;
            store_offset(&app, id, pid.as_deref(), new_off);
            return tus_text(
                400,
                &format!("Request contains more data than the file's upload length. Request length: {}. Upload length: {length}.", n),
            );
        }
    };
    let new_off = offset + written;
    store_offset(&app, id, pid.as_deref(), new_off);
    if broken {
        return faults::connection_drop();
    }
    if pid.is_none() && new_off == length {
        let now = app.clock.now();
        app.mutate(|s| {
            let ft = s.transfers.get_mut(&id).expect("the transfer was looked up before");
            ft.size = length;
            ft.has_file = true;
            // OnFileCompleteAsync → background jobs; DeferChecksumValidation = true.
            if ft.user_checksum_given() || ft.use_virus_scan {
                ft.set_status(FtStatus::UploadProcessing, None, now);
            }
            ft.processing_pending = true;
        });
    }
    tus_resp(204, &[("Upload-Offset", new_off.to_string())])
}

fn store_offset(app: &App, id: Uuid, pid: Option<&str>, off: u64) {
    let now = app.clock.now();
    app.mutate(|s| {
        if let Some(f) = s.transfers.get_mut(&id) {
            f.last_tus_activity = Some(now);
        }
        if let Some(t) = s.transfers.get_mut(&id).and_then(|f| f.tus.as_mut()) {
            match pid {
                Some(p) => {
                    if let Some(x) = t.partials.get_mut(p) {
                        x.1 = off;
                    }
                }
                None => t.offset = off,
            }
        }
    });
}

async fn tus_delete(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    delete_common(&app, &headers, &id, None)
}

async fn tus_part_delete(
    State(app): State<App>,
    Path((id, pid)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    delete_common(&app, &headers, &id, Some(pid))
}

fn delete_common(app: &App, headers: &HeaderMap, id: &str, pid: Option<String>) -> Response {
    let (c, id) = match tus_auth(app, headers, id) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Err(r) = tus_version_ok(headers) {
        return r;
    }
    if let Err(n) = validate_for_upload(app, &c, id) {
        return tus_with(bro_text(n));
    }
    app.mutate(|s| {
        if let Some(ft) = s.transfers.get_mut(&id) {
            match &pid {
                Some(p) => {
                    if let Some(t) = ft.tus.as_mut() {
                        t.partials.remove(p);
                    }
                }
                None => ft.tus = None,
            }
        }
    });
    let _ = std::fs::remove_file(match &pid {
        Some(p) => app.partial_path(id, p),
        None => app.file_path(id),
    });
    // The FT status is not changed (stays UploadStarted).
    tus_resp(204, &[])
}

// ---------------------------------------------------------------------------
// Resource, service owner, statistics
// ---------------------------------------------------------------------------

async fn put_resource(State(app): State<App>, Path(rid): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
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
    // Ok(null) → 204 [inferred, broker-api.md §3.10].
    StatusCode::NO_CONTENT.into_response()
}

async fn get_resource(State(app): State<App>, Path(rid): Path<String>, headers: HeaderMap) -> Response {
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

async fn post_serviceowner(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
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

async fn get_serviceowner(State(app): State<App>, headers: HeaderMap) -> Response {
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

async fn statistics(State(app): State<App>, headers: HeaderMap, Query(q): Query<BTreeMap<String, String>>) -> Response {
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

// ---------------------------------------------------------------------------
// Background jobs (Hangfire stand-in)
// ---------------------------------------------------------------------------

pub async fn background(app: App) {
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        tick(&app);
    }
}

/// One pass of the job scheduler: start processing, fail stuck uploads, expire and purge.
pub fn tick(app: &App) {
    let now = app.clock.now();
    let (pending, purge, stuck): (Vec<Uuid>, Vec<Uuid>, Vec<Uuid>) = app.read(|s| {
        let pending = s.transfers.values().filter(|f| f.processing_pending).map(|f| f.id).collect();
        // StuckFileTransferHandler: UploadStarted for more than 24 h with no TUS
        // activity in the last hour → Failed.
        let stuck = s
            .transfers
            .values()
            .filter(|f| {
                f.status() == FtStatus::UploadStarted
                    && now - f.current().at > time::Duration::hours(24)
                    && f.last_tus_activity.map(|t| now - t > time::Duration::hours(1)).unwrap_or(true)
            })
            .map(|f| f.id)
            .collect();
        let purge = s
            .transfers
            .values()
            .filter(|f| {
                let st = f.status();
                if st == FtStatus::Purged {
                    return false;
                }
                let confirmed_purge =
                    st == FtStatus::AllConfirmedDownloaded && f.purge_at.map(|p| p <= now).unwrap_or(false);
                let after_confirm_on = s
                    .resources
                    .get(&f.resource_id)
                    .map(|r| r.purge_file_transfer_after_all_recipients_confirmed)
                    .unwrap_or(true);
                let expired = f.expiration <= now && !(st == FtStatus::AllConfirmedDownloaded && after_confirm_on);
                confirmed_purge || expired
            })
            .map(|f| f.id)
            .collect();
        (pending, purge, stuck)
    });
    for id in stuck {
        app.mutate(|s| {
            if let Some(ft) = s.transfers.get_mut(&id) {
                ft.set_status(
                    FtStatus::Failed,
                    Some("File transfer was stuck in UploadStarted as it failed upload mid-request.".into()),
                    now,
                );
                ft.has_file = false;
            }
        });
    }
    for id in purge {
        app.mutate(|s| {
            if let Some(ft) = s.transfers.get_mut(&id) {
                ft.set_status(FtStatus::Purged, None, now);
                ft.has_file = false;
                ft.processing_pending = false;
            }
        });
        let _ = std::fs::remove_file(app.file_path(id));
    }
    // Without a runtime (a caller outside tokio) the ticker task picks them up.
    if tokio::runtime::Handle::try_current().is_err() {
        return;
    }
    for id in pending {
        if app.processing.locked().insert(id) {
            let app = app.clone();
            tokio::spawn(async move {
                process(&app, id).await;
                app.processing.locked().remove(&id);
            });
        }
    }
}

/// Concatenation (TUS final), MD5 check and malware scan, then publish or fail.
async fn process(app: &App, id: Uuid) {
    let delay = app.read(|s| s.settings.processing_delay_ms);
    tokio::time::sleep(Duration::from_millis(delay)).await;
    let Some(ft) = get_ft(app, id) else { return };
    let path = app.file_path(id);
    if let Some(t) = ft.tus.as_ref().filter(|t| !t.final_parts.is_empty()) {
        let parts: Vec<_> = t.final_parts.iter().map(|p| app.partial_path(id, p)).collect();
        let dst = path.clone();
        let ok = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let mut out = std::fs::File::create(&dst)?;
            for p in &parts {
                let mut f = std::fs::File::open(p)?;
                std::io::copy(&mut f, &mut out)?;
            }
            out.sync_all()?;
            for p in &parts {
                let _ = std::fs::remove_file(p);
            }
            Ok(())
        })
        .await;
        if !matches!(ok, Ok(Ok(()))) {
            fail(app, id, "Upload failed: could not concatenate the partial uploads");
            return;
        }
        let len = t.length;
        app.mutate(|s| {
            if let Some(f) = s.transfers.get_mut(&id) {
                f.size = len;
                f.has_file = true;
                if let Some(t) = f.tus.as_mut() {
                    t.final_parts.clear();
                    t.partials.clear();
                }
            }
        });
    }
    let p2 = path.clone();
    let scan = tokio::task::spawn_blocking(move || scan_file(&p2)).await;
    let Ok(Ok((sum, infected))) = scan else {
        fail(app, id, "Upload failed: the stored file could not be read");
        return;
    };
    let now = app.clock.now();
    let ft = match get_ft(app, id) {
        Some(f) => f,
        None => return,
    };
    if ft.status() == FtStatus::Purged || ft.status() == FtStatus::Failed {
        app.mutate(|s| s.transfers.get_mut(&id).map(|f| f.processing_pending = false));
        return;
    }
    if ft.user_checksum_given() && !ft.user_checksum.as_deref().unwrap_or_default().eq_ignore_ascii_case(&sum) {
        fail(app, id, "Checksum mismatch");
        return;
    }
    if ft.use_virus_scan && infected {
        let details = json!({"scanResultType": "Malicious", "scanResultDetails": {"malwareNamesFound": ["EICAR-Test-File (not a virus)"]}});
        fail(app, id, &format!("Malware scan failed: Malicious. Extra details: {details}"));
        return;
    }
    app.mutate(|s| {
        if let Some(f) = s.transfers.get_mut(&id) {
            f.computed_checksum = Some(sum);
            f.processing_pending = false;
            if f.status() < FtStatus::Published {
                f.set_status(FtStatus::Published, None, now);
            }
        }
    });
}

fn fail(app: &App, id: Uuid, text: &str) {
    let now = app.clock.now();
    app.mutate(|s| {
        if let Some(f) = s.transfers.get_mut(&id) {
            f.processing_pending = false;
            f.has_file = false;
            f.set_status(FtStatus::Failed, Some(text.into()), now);
        }
    });
    let _ = std::fs::remove_file(app.file_path(id));
}

/// MD5 (lower-case hex) and whether the EICAR test string occurs; streamed.
fn scan_file(path: &std::path::Path) -> std::io::Result<(String, bool)> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut md5 = Md5::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut tail: Vec<u8> = Vec::new();
    let mut infected = false;
    let finder = memchr::memmem::Finder::new(EICAR);
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        md5.update(&buf[..n]);
        if !infected {
            let mut window = std::mem::take(&mut tail);
            window.extend_from_slice(&buf[..n]);
            infected = finder.find(&window).is_some();
            let keep = EICAR.len().saturating_sub(1).min(window.len());
            tail = window[window.len() - keep..].to_vec();
        }
    }
    Ok((hex(&md5.finalize()), infected))
}
