//! TUS 1.0 uploads (`/filetransfer/upload/tus/{id}` and its partials):
//! creation, concatenation, HEAD, PATCH, termination.

use budbringer_core::sync::Locked;
use std::io::SeekFrom;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::io::AsyncSeekExt;
use uuid::Uuid;

use super::access::{authz, get_ft, is_sender, Policy, P};
use super::upload::{size_too_big, validate_for_upload, write_body, WriteEnd};
use crate::app::App;
use crate::auth::Caller;
use crate::errors::{self, bro_text};
use crate::faults;
use crate::model::{strip_org, FtStatus, TusUpload};

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

pub(super) async fn tus_options(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap) -> Response {
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

pub(super) async fn tus_create(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap) -> Response {
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

pub(super) async fn tus_head(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    head_common(&app, &headers, &id, None)
}

pub(super) async fn tus_part_head(
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

pub(super) async fn tus_patch(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    patch_common(app, headers, id, None, body).await
}

pub(super) async fn tus_part_patch(
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

pub(super) async fn tus_delete(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    delete_common(&app, &headers, &id, None)
}

pub(super) async fn tus_part_delete(
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
