//! Uploads without TUS: `POST /filetransfer/{id}/upload` (octet-stream) and
//! `POST /filetransfer/upload` (multipart: initialize and upload in one), with
//! the streaming, size and checksum rules both share with TUS.

use budbringer_core::sync::Locked;

use axum::body::Body;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use futures_util::StreamExt;
use md5::{Digest, Md5};
use serde_json::{json, Map, Value};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use super::access::{authz, broker_limited, check_accept, get_ft, is_sender, parse_id, Policy, P};
use super::initialize::{init_core, validate_init};
use crate::app::App;
use crate::auth::Caller;
use crate::errors::{self, bro, json_response, validation};
use crate::faults;
use crate::model::{hex, FileTransfer, FtStatus, Resource};

const MAX_SCAN_SIZE: u64 = 50_000_000_000;

pub(super) enum WriteEnd {
    /// The client's body ended; bytes written.
    Done(u64),
    /// The body failed (client went away) or an injected drop; bytes written.
    Broken(u64),
}

/// Streams `body` into `file`, feeding the MD5 and the per-transfer byte counter.
pub(super) async fn write_body(
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
pub(super) fn validate_for_upload(app: &App, c: &Caller, id: Uuid) -> Result<(FileTransfer, Resource), u32> {
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

pub(super) fn size_too_big(ft: &FileTransfer, r: &Resource, len: u64) -> bool {
    (ft.use_virus_scan && len > MAX_SCAN_SIZE) || r.max_file_transfer_size.map(|m| len as i64 > m).unwrap_or(false)
}

pub(super) async fn upload(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap, body: Body) -> Response {
    if let Err(r) = check_accept(&headers, "application/json") {
        return r;
    }
    let c = match authz(&app, &headers, Policy::Sender) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Some(r) = broker_limited(&app, "upload", &c) {
        return r;
    }
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
    app.update_transfer(id, |ft| {
        if ft.status() != FtStatus::UploadStarted {
            ft.set_status(FtStatus::UploadStarted, None, now);
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
    app.update_transfer(id, |ft| {
        ft.set_status(FtStatus::Failed, Some(text.into()), now);
    });
    let _ = std::fs::remove_file(app.file_path(id));
    bro(8)
}

/// CompleteFileUploadHandler with DeferChecksumValidation = false.
fn complete_streamed(app: &App, id: Uuid, size: u64, sum: String) -> Response {
    let now = app.clock.now();
    let Some(mismatch) = app.update_transfer(id, |ft| {
        ft.size = size;
        ft.has_file = true;
        // UploadFileHandler records the storage details before it completes.
        ft.file_location = true;
        if ft.user_checksum_given() && !ft.user_checksum.as_deref().unwrap_or_default().eq_ignore_ascii_case(&sum) {
            ft.set_status(FtStatus::Failed, Some("Checksum mismatch".into()), now);
            ft.has_file = false;
            return true;
        }
        // SetChecksum runs only without a virus scan: a scanned file sent
        // without a checksum keeps "" (or null) in the overview for good.
        if !ft.use_virus_scan {
            ft.computed_checksum = Some(sum.clone());
        }
        if ft.use_virus_scan {
            ft.set_status(FtStatus::UploadProcessing, None, now);
            ft.processing_pending = true;
        } else {
            ft.set_status(FtStatus::Published, None, now);
        }
        false
    }) else {
        return bro(1);
    };
    if mismatch {
        let _ = std::fs::remove_file(app.file_path(id));
        return bro(9);
    }
    json_response(200, &json!({"fileTransferId": id}))
}

pub(super) async fn initialize_and_upload(
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
    if let Some(r) = broker_limited(&app, "upload-formdata", &c) {
        return r;
    }
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
    app.update_transfer(id, |ft| ft.set_status(FtStatus::UploadStarted, None, now));
    *app.counters.locked().bytes_received.entry(id).or_insert(0) += size;
    if tokio::fs::rename(&tmp, app.file_path(id)).await.is_err() {
        return fail_upload(&app, id, "Error occurred while uploading fileTransfer");
    }
    complete_streamed(&app, id, size, hex(&md5.finalize()))
}
