//! TUS 1.0 uploads (`/filetransfer/upload/tus/{id}` and its partials at
//! `…/{id}/partial/{pid}` or `…/{id}/{pid}`): creation, concatenation, HEAD,
//! PATCH, termination. Every handler opens with the [`TusCall`] extractor
//! (auth with the upload-session grace, `Tus-Resumable`, ids); the checks that
//! come later differ per method and keep the real service's order.

use budbringer_core::sync::Locked;
use std::collections::HashMap;
use std::io::SeekFrom;
use std::path::PathBuf;

use axum::body::Body;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::io::AsyncSeekExt;
use uuid::Uuid;

use super::access::{authz, get_ft, is_sender, Policy, P};
use super::upload::{size_too_big, validate_for_upload, write_body, WriteEnd};
use crate::app::App;
use crate::auth::{authenticate_allow_expired, Caller};
use crate::errors::{self, bro_text};
use crate::faults;
use crate::model::{strip_org, FileTransfer, FtStatus, Resource, TusUpload};

// ---------------------------------------------------------------------------
// TUS answers: every one carries `Tus-Resumable`
// ---------------------------------------------------------------------------

fn tus_headers(r: &mut Response) {
    r.headers_mut().insert("Tus-Resumable", HeaderValue::from_static("1.0.0"));
}

fn tus_resp(status: u16, hs: &[(&str, String)]) -> Response {
    let mut r = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR).into_response();
    tus_headers(&mut r);
    for (k, v) in hs {
        r.headers_mut().insert(
            HeaderName::from_bytes(k.as_bytes()).expect("a TUS header name"),
            HeaderValue::from_str(v).expect("a TUS header value"),
        );
    }
    r
}

fn tus_text(status: u16, msg: &str) -> Response {
    tus_with(errors::text(status, msg))
}

fn tus_with(mut r: Response) -> Response {
    tus_headers(&mut r);
    r
}

fn tus_location(id: Uuid, pid: Option<&str>) -> String {
    match pid {
        Some(p) => format!("{P}/filetransfer/upload/tus/{id}/partial/{p}"),
        None => format!("{P}/filetransfer/upload/tus/{id}"),
    }
}

// ---------------------------------------------------------------------------
// The opening every TUS handler shares
// ---------------------------------------------------------------------------

/// An authenticated TUS caller on one upload: a Sender (or an expired token
/// inside an active upload session), the file transfer id and, on a
/// partial's URL, the partial id. OPTIONS needs no more than this.
pub(super) struct TusCaller {
    app: App,
    caller: Caller,
    id: Uuid,
    pid: Option<String>,
}

impl FromRequestParts<App> for TusCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Response> {
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, app)
            .await
            .map_err(IntoResponse::into_response)?;
        let id = params.get("id").map(String::as_str).unwrap_or_default();
        let caller = tus_authenticate(app, &parts.headers, id)?;
        let id = Uuid::parse_str(id).map_err(|_| tus_text(404, "The requested file transfer was not found"))?;
        Ok(TusCaller { app: app.clone(), caller, id, pid: params.get("pid").cloned() })
    }
}

/// Broker's TUS authentication: the Sender policy, except that an expired
/// token is accepted while an upload session is active
/// (TusUploadSessionAuthenticationHandler).
fn tus_authenticate(app: &App, headers: &HeaderMap, id: &str) -> Result<Caller, Response> {
    match authz(app, headers, Policy::Sender) {
        Ok(c) => Ok(c),
        Err(r) if r.status() == StatusCode::UNAUTHORIZED => {
            // The sandbox treats an existing TUS upload on an UploadStarted FT,
            // sent by the same org, as the active session [approximation of
            // the Redis session key].
            let c = authenticate_allow_expired(app, headers).map_err(|_| r)?;
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
            Ok(c)
        }
        Err(r) => Err(r),
    }
}

/// A TUS request past the opening: [`TusCaller`] that also speaks
/// `Tus-Resumable: 1.0.0` (412 otherwise). Every method but OPTIONS.
pub(super) struct TusCall(TusCaller);

impl FromRequestParts<App> for TusCall {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Response> {
        let caller = TusCaller::from_request_parts(parts, app).await?;
        match parts.headers.get("Tus-Resumable").and_then(|v| v.to_str().ok()) {
            Some("1.0.0") => Ok(TusCall(caller)),
            _ => {
                let mut r = tus_text(412, "Tus-Resumable header must be 1.0.0");
                r.headers_mut().insert("Tus-Version", HeaderValue::from_static("1.0.0"));
                Err(r)
            }
        }
    }
}

impl std::ops::Deref for TusCall {
    type Target = TusCaller;
    fn deref(&self) -> &TusCaller {
        &self.0
    }
}

impl TusCall {
    /// The transfer, if it exists and the caller is its sender (HEAD, PATCH).
    fn sent_transfer(&self) -> Result<FileTransfer, Response> {
        let Some(ft) = get_ft(&self.app, self.id) else { return Err(tus_with(bro_text(1))) };
        if !is_sender(&self.app, &self.caller, &ft) {
            return Err(tus_with(bro_text(6)));
        }
        Ok(ft)
    }

    /// ValidateForUploadAsync (creation, termination).
    fn upload_target(&self) -> Result<(FileTransfer, Resource), Response> {
        validate_for_upload(&self.app, &self.caller, self.id).map_err(|n| tus_with(bro_text(n)))
    }

    /// Where this upload's bytes are stored: the transfer's file or the partial's.
    fn stored_at(&self) -> PathBuf {
        match &self.pid {
            Some(p) => self.app.partial_path(self.id, p),
            None => self.app.file_path(self.id),
        }
    }
}

/// One PATCH at a time per upload: held for the whole write, released on drop.
struct TusLock {
    app: App,
    key: String,
}

impl TusLock {
    /// None when another PATCH of the same upload holds it.
    fn take(app: &App, id: Uuid, pid: Option<&str>) -> Option<TusLock> {
        let key = format!("{id}/{}", pid.unwrap_or_default());
        app.tus_locks.locked().insert(key.clone()).then(|| TusLock { app: app.clone(), key })
    }
}

impl Drop for TusLock {
    fn drop(&mut self) {
        self.app.tus_locks.locked().remove(&self.key);
    }
}

// ---------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------

pub(super) async fn options(_: TusCaller) -> Response {
    tus_resp(
        204,
        &[
            ("Tus-Version", "1.0.0".into()),
            ("Tus-Extension", "creation,creation-with-upload,termination,checksum,concatenation,expiration".into()),
            ("Tus-Checksum-Algorithm", "md5".into()),
        ],
    )
}

pub(super) async fn create(call: TusCall, headers: HeaderMap) -> Response {
    let (app, id) = (&call.app, call.id);
    if headers.contains_key("Upload-Defer-Length") {
        return tus_text(400, "Upload-Defer-Length is not supported");
    }
    let (ft, resource) = match call.upload_target() {
        Ok(x) => x,
        Err(r) => return r,
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
        let stored = app.update_transfer(id, |ft| {
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
        if stored.is_none() {
            return tus_with(bro_text(1));
        }
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
    let stored = app.update_transfer(id, |ft| {
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
    if stored.is_none() {
        return tus_with(bro_text(1));
    }
    let mut hs = vec![("Location", tus_location(id, pid.as_deref()))];
    hs.push(("Upload-Expires", httpdate::fmt_http_date((app.clock.now() + time::Duration::days(1)).into())));
    tus_resp(201, &hs)
}

pub(super) async fn head(call: TusCall) -> Response {
    let (app, id) = (&call.app, call.id);
    let ft = match call.sent_transfer() {
        Ok(ft) => ft,
        Err(r) => return r,
    };
    let Some(t) = ft.tus.clone() else { return tus_resp(404, &[]) };
    let mut hs = vec![("Cache-Control", "no-store".to_string())];
    match &call.pid {
        Some(p) => {
            let Some((l, o)) = t.partials.get(p) else { return tus_resp(404, &[]) };
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

pub(super) async fn patch(call: TusCall, headers: HeaderMap, body: Body) -> Response {
    let (app, id, pid) = (&call.app, call.id, call.pid.as_deref());
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
    let ft = match call.sent_transfer() {
        Ok(ft) => ft,
        Err(r) => return r,
    };
    let Some(t) = ft.tus.clone() else { return tus_resp(404, &[]) };
    let (length, offset) = match pid {
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
    let Some(_lock) = TusLock::take(app, id, pid) else {
        return tus_text(409, &format!("File {id} is currently being updated. Please try again later"));
    };
    let mut f =
        match tokio::fs::OpenOptions::new().write(true).create(true).truncate(false).open(call.stored_at()).await {
            Ok(f) => f,
            Err(_) => return tus_text(500, "Could not open file"),
        };
    // Discard anything beyond the durable offset (e.g. after a crash mid-write).
    let _ = f.set_len(offset).await;
    let _ = f.seek(SeekFrom::Start(offset)).await;
    let prefix = match pid {
        Some(_) => format!("{P}/filetransfer/upload/tus/{id}/partial"),
        None => format!("{P}/filetransfer/upload/tus/{id}"),
    };
    let drop_after = app.faults.locked().take_drop(&prefix);
    let res = write_body(app, id, body, &mut f, None, drop_after, Some(length - offset)).await;
    let _ = f.sync_data().await;
    let (written, broken) = match res {
        Ok(WriteEnd::Done(n)) => (n, false),
        Ok(WriteEnd::Broken(n)) => (n, true),
        Err(n) => {
            let new_off = offset + n;
            store_offset(app, id, pid, new_off);
            return tus_text(
                400,
                &format!("Request contains more data than the file's upload length. Request length: {}. Upload length: {length}.", n),
            );
        }
    };
    let new_off = offset + written;
    store_offset(app, id, pid, new_off);
    if broken {
        return faults::connection_drop();
    }
    if pid.is_none() && new_off == length {
        let now = app.clock.now();
        app.update_transfer(id, |ft| {
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
    app.update_transfer(id, |f| {
        f.last_tus_activity = Some(now);
        if let Some(t) = f.tus.as_mut() {
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

pub(super) async fn delete(call: TusCall) -> Response {
    let (app, id) = (&call.app, call.id);
    if let Err(r) = call.upload_target() {
        return r;
    }
    app.update_transfer(id, |ft| match &call.pid {
        Some(p) => {
            if let Some(t) = ft.tus.as_mut() {
                t.partials.remove(p);
            }
        }
        None => ft.tus = None,
    });
    let _ = std::fs::remove_file(call.stored_at());
    // The FT status is not changed (stays UploadStarted).
    tus_resp(204, &[])
}
