//! TUS uploads (`/filetransfer/upload/tus/{id}`, partials at
//! `…/{id}/partial/{pid}` and the legacy `…/{id}/{pid}`), answered the way
//! Broker's pipeline does, step by step (TusEndpointExtensions, Program.cs):
//!
//! 1. authentication and the Sender policy (401/403), where an expired token
//!    passes inside an active upload session (TusUploadSessionAuthenticationHelper);
//! 2. for PATCH, TusIdempotentCompletePatchMiddleware: at or past the final
//!    offset → 204 with the final offset, before anything else;
//! 3. tusdotnet's intent: no `Tus-Resumable` (or an unknown method) is no TUS
//!    request at all → a bare 404; `X-HTTP-Method-Override` is honoured;
//! 4. OnAuthorize (TusUploadAuthorizationService): Broker errors as text;
//! 5. the `Tus-Resumable` version (412), then the upload's lock (423) for
//!    HEAD, PATCH and DELETE;
//! 6. the intent's requirements in tusdotnet's order, then its action.
//!
//! The texts are tusdotnet's and Broker's (`tus_protocol.rs`, errors.rs).
//! PATCH and creation-with-upload write through `tus_write.rs`.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use budbringer_core::sync::Locked;
use uuid::Uuid;

use super::access::{authz, get_ft, is_sender, Policy, P};
use super::tus_protocol::*;
use super::tus_upload::{expired, slide_expiration, upload_state, TusLock, Upload};
use super::tus_write::{self, WriteEnd};
use super::upload::validate_for_upload;
use crate::app::App;
use crate::auth::{authenticate_allow_expired, Caller};
use crate::errors::{self, bro_text};
use crate::model::{FileTransfer, FtStatus, TusUpload};

/// How long an upload session or recent TUS activity counts (TusOptions.UploadExpiration).
const SESSION: time::Duration = UPLOAD_EXPIRATION;

pub(super) async fn main_route(
    State(app): State<App>,
    Path(id): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    serve(app, id, None, method, headers, body).await
}

pub(super) async fn partial_route(
    State(app): State<App>,
    Path(p): Path<HashMap<String, String>>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let id = p.get("id").cloned().unwrap_or_default();
    let pid = p.get("pid").cloned().unwrap_or_default();
    if pid.eq_ignore_ascii_case("partial") {
        // `…/{id}/partial` with no partial id: the collection of partials.
        return serve(app, id, None, method, headers, body).await;
    }
    serve(app, id, Some(pid), method, headers, body).await
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Intent {
    Options,
    Create,
    Concat,
    Info,
    Write,
    Delete,
}

async fn serve(
    app: App,
    raw_id: String,
    pid: Option<String>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let real = method.as_str().to_ascii_uppercase();
    let caller = match authenticate(&app, &headers, &raw_id, pid.as_deref(), &real) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if real == "PATCH" {
        if let Some(r) = idempotent_complete(&app, &raw_id, pid.as_deref(), &headers) {
            return r;
        }
    }
    let m = effective_method(&real, &headers);
    if m != "OPTIONS" && !headers.contains_key("Tus-Resumable") {
        return not_tus();
    }
    let intent = match m.as_str() {
        "OPTIONS" => Intent::Options,
        "POST" if headers.contains_key("Upload-Concat") => Intent::Concat,
        "POST" => Intent::Create,
        "HEAD" => Intent::Info,
        "PATCH" => Intent::Write,
        "DELETE" => Intent::Delete,
        _ => return not_tus(),
    };
    if intent == Intent::Options {
        // Capability discovery needs no file (OnAuthorize skips it).
        return tus_resp(
            204,
            &[
                ("Tus-Version", "1.0.0".into()),
                ("Tus-Extension", EXTENSIONS.into()),
                ("Tus-Checksum-Algorithm", CHECKSUM_ALGORITHMS.into()),
            ],
        );
    }
    // A POST on a partial's URL names no transfer of its own: TusFileTransferIdRouteMiddleware
    // takes the partial id for the transfer id.
    let (raw_id, pid) = match (intent, pid) {
        (Intent::Create | Intent::Concat, Some(p)) => (p, None),
        (_, pid) => (raw_id, pid),
    };
    let Some((id, pid)) = resolve(&app, &raw_id, pid) else { return tus_text(404, MISSING_FILE_TRANSFER_ID) };
    if intent == Intent::Concat && header(&headers, "Upload-Concat").is_some_and(|c| c.starts_with("final")) {
        // Counted whatever the answer: a client asks for the final once.
        app.counters.locked().tus_concats.entry(id).or_default().1 += 1;
    }
    if let Err(r) = authorize(&app, &caller, id, intent) {
        return r;
    }
    let sent = header(&headers, "Tus-Resumable").unwrap_or("");
    if sent != "1.0.0" {
        return version_mismatch(sent);
    }
    let up = Upload { app, id, pid };
    match intent {
        Intent::Create => create(up, headers, body).await,
        Intent::Concat => concat(up, headers, body).await,
        Intent::Info => info(up),
        Intent::Write => tus_write::patch(up, headers, body).await,
        Intent::Delete => delete(up),
        Intent::Options => not_tus(),
    }
}

// ---------------------------------------------------------------------------
// Authentication, sessions, OnAuthorize
// ---------------------------------------------------------------------------

/// The session key of a caller: `sid`, `client_id` or `sub`, and the organisation.
fn session_key(c: &Caller) -> Option<String> {
    let claim = |k: &str| c.claims.get(k).and_then(|v| v.as_str()).filter(|s| !s.is_empty()).map(String::from);
    let subject = claim("sid").or_else(|| claim("client_id")).or_else(|| claim("sub"))?;
    Some(format!("{subject}:{}", c.org.clone().unwrap_or_default()))
}

fn in_upload_session_status(ft: &FileTransfer) -> bool {
    matches!(ft.status(), FtStatus::UploadStarted | FtStatus::UploadProcessing)
}

/// TryAuthorizeActiveUploadAsync: `Some(Ok)` when an active session lets the
/// caller in, `Some(Err)` when its session is over the upload, `None` when no
/// session applies.
fn active_session(app: &App, c: &Caller, id: Uuid) -> Option<Result<(), Response>> {
    let ft = get_ft(app, id)?;
    let now = app.clock.now();
    let key = session_key(c);
    let hit = key.as_ref().and_then(|k| ft.tus_sessions.get(k)).map(|exp| *exp > now).unwrap_or(false);
    if hit {
        refresh_session(app, c, id);
        return Some(if in_upload_session_status(&ft) { Ok(()) } else { Err(tus_with(bro_text(4))) });
    }
    let recent = ft.last_tus_activity.map(|t| now - t < SESSION).unwrap_or(false);
    if !recent {
        return None;
    }
    // ValidateActiveUploadSenderAsync: still uploading, and the caller's organisation sent it.
    let same_org = c.org.as_deref().map(|o| o == crate::model::strip_org(&ft.sender)).unwrap_or(false);
    if !in_upload_session_status(&ft) || !same_org {
        return None;
    }
    refresh_session(app, c, id);
    Some(Ok(()))
}

fn refresh_session(app: &App, c: &Caller, id: Uuid) {
    let Some(key) = session_key(c) else { return };
    let until = app.clock.now() + SESSION;
    app.update_transfer(id, |ft| {
        ft.tus_sessions.insert(key, until);
    });
}

/// The Sender policy, with TusUploadSessionAuthenticationHandler in front: an
/// expired (otherwise valid) token passes on POST, PATCH, HEAD and DELETE while
/// the caller's upload session is active.
fn authenticate(
    app: &App,
    headers: &HeaderMap,
    raw_id: &str,
    pid: Option<&str>,
    real: &str,
) -> Result<Caller, Response> {
    match authz(app, headers, Policy::Sender) {
        Ok(c) => Ok(c),
        Err(r) if r.status() == axum::http::StatusCode::UNAUTHORIZED && real != "OPTIONS" => {
            let c = authenticate_allow_expired(app, headers).map_err(|_| r)?;
            let active = resolve(app, raw_id, pid.map(String::from))
                .map(|(id, _)| matches!(active_session_peek(app, &c, id), Some(true)))
                .unwrap_or(false);
            if !active || !c.has_scope("altinn:broker.write") {
                return Err(errors::unauthorized(true));
            }
            Ok(c)
        }
        Err(r) => Err(r),
    }
}

/// Whether an active session would let `c` in, without refreshing it.
fn active_session_peek(app: &App, c: &Caller, id: Uuid) -> Option<bool> {
    let ft = get_ft(app, id)?;
    let now = app.clock.now();
    let hit = session_key(c).and_then(|k| ft.tus_sessions.get(&k).copied()).map(|e| e > now).unwrap_or(false);
    let recent = ft.last_tus_activity.map(|t| now - t < SESSION).unwrap_or(false);
    let same_org = c.org.as_deref().map(|o| o == crate::model::strip_org(&ft.sender)).unwrap_or(false);
    Some(in_upload_session_status(&ft) && (hit || (recent && same_org)))
}

/// TryResolveFileTransferIdAsync: the transfer id from the URL, or the
/// transfer a partial id belongs to.
fn resolve(app: &App, raw_id: &str, pid: Option<String>) -> Option<(Uuid, Option<String>)> {
    if let Ok(id) = Uuid::parse_str(raw_id) {
        if pid.is_none() {
            // A partial's id used as a main upload id still finds its transfer.
            if let Some(owner) = partial_owner(app, &raw_id.replace('-', "")) {
                if get_ft(app, id).is_none() {
                    return Some((owner, Some(raw_id.replace('-', ""))));
                }
            }
        }
        return Some((id, pid));
    }
    let p = pid?;
    partial_owner(app, normalize_partial(&p)).map(|owner| (owner, Some(p)))
}

/// The transfer a partial upload belongs to (ITusPartialUploadRegistry is global).
pub(super) fn partial_owner(app: &App, pid: &str) -> Option<Uuid> {
    app.read(|s| {
        s.transfers
            .values()
            .find(|ft| ft.tus.as_ref().map(|t| t.partials.contains_key(pid)).unwrap_or(false))
            .map(|ft| ft.id)
    })
}

/// OnAuthorize → TusUploadAuthorizationService.AuthorizeAsync, by intent.
fn authorize(app: &App, c: &Caller, id: Uuid, intent: Intent) -> Result<(), Response> {
    if matches!(intent, Intent::Info | Intent::Write) {
        if let Some(r) = active_session(app, c, id) {
            return r;
        }
    }
    if intent == Intent::Info {
        // ValidateTusGetInfoAsync: the transfer exists and the caller may send on it.
        let Some(ft) = get_ft(app, id) else { return Err(tus_with(bro_text(1))) };
        if !is_sender(app, c, &ft) {
            return Err(tus_with(bro_text(6)));
        }
        return Ok(());
    }
    validate_for_upload(app, c, id).map_err(|n| tus_with(bro_text(n)))?;
    match (intent, session_key(c)) {
        (Intent::Delete, Some(key)) => {
            app.update_transfer(id, |ft| ft.tus_sessions.remove(&key));
        }
        (_, Some(_)) => refresh_session(app, c, id),
        _ => {}
    }
    Ok(())
}

/// TusIdempotentCompletePatchMiddleware: a PATCH at or past the final offset of
/// a known upload is answered 204 with the final offset, whoever sends it.
fn idempotent_complete(app: &App, raw_id: &str, pid: Option<&str>, headers: &HeaderMap) -> Option<Response> {
    let off = header(headers, "Upload-Offset").and_then(parse_long)?;
    let (id, pid) = resolve(app, raw_id, pid.map(String::from))?;
    let t = get_ft(app, id)?.tus?;
    let length = match &pid {
        Some(p) => t.partials.get(normalize_partial(p))?.0,
        None => t.length,
    };
    if length == 0 || off < length as i64 {
        return None;
    }
    Some(tus_resp(204, &[("Upload-Offset", length.to_string())]))
}

// ---------------------------------------------------------------------------
// Intents
// ---------------------------------------------------------------------------

/// ValidateUploadSizeAsync (OnBeforeCreate).
fn validate_upload_size(app: &App, id: Uuid, length: u64) -> Result<(), Response> {
    let Some(ft) = get_ft(app, id) else { return Err(tus_with(bro_text(1))) };
    let Some(r) = app.read(|s| s.resources.get(&ft.resource_id).cloned()) else { return Err(tus_with(bro_text(5))) };
    if super::upload::size_too_big(&ft, &r, length) {
        return Err(tus_with(bro_text(16)));
    }
    Ok(())
}

fn check_metadata(headers: &HeaderMap) -> Result<Option<String>, Response> {
    match header(headers, "Upload-Metadata") {
        None => Ok(None),
        Some(m) => parse_metadata(m).map(|_| Some(m.to_string())).map_err(|e| tus_text(400, &e)),
    }
}

/// OnCreateComplete: UploadStarted once the first upload is made.
fn mark_started(app: &App, id: Uuid) {
    let now = app.clock.now();
    app.update_transfer(id, |ft| {
        if ft.status() == FtStatus::Initialized {
            ft.set_status(FtStatus::UploadStarted, None, now);
        }
    });
}

/// What a creation (plain or partial) checks first, in tusdotnet's order: the
/// length, the metadata, then Broker's size limit for the resource.
fn creation_checks(up: &Upload, headers: &HeaderMap) -> Result<(u64, Option<String>), Response> {
    let length = upload_length_for_create(headers).map_err(|m| tus_text(400, &m))?;
    let metadata = check_metadata(headers)?;
    validate_upload_size(&up.app, up.id, length)?;
    Ok((length, metadata))
}

async fn create(up: Upload, headers: HeaderMap, body: Body) -> Response {
    let (length, metadata) = match creation_checks(&up, &headers) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (app, id) = (&up.app, up.id);
    if tokio::fs::File::create(app.file_path(id)).await.is_err() {
        return tus_text(500, "Could not create file");
    }
    let stored = app.update_transfer(id, |ft| {
        let t = ft.tus.get_or_insert_with(TusUpload::default);
        // A second create starts the upload again from 0 (BrokerTusStore.CreateFileAsync).
        t.main = true;
        t.length = length;
        t.offset = 0;
        t.final_parts.clear();
        t.blocks.remove("");
        t.expires.remove("");
        match &metadata {
            Some(m) => t.metadata.insert(String::new(), m.clone()),
            None => t.metadata.remove(""),
        };
    });
    if stored.is_none() {
        return tus_with(bro_text(1));
    }
    let mut hs = vec![];
    if length > 0 {
        hs.push(("Upload-Expires", slide_expiration(app, id, "")));
    } else {
        app.update_transfer(id, |ft| ft.last_tus_activity = Some(app.clock.now()));
    }
    mark_started(app, id);
    hs.push(("Location", up.location()));
    with_upload(up, length, headers, body, hs).await
}

/// Creation-with-upload: a create whose body is not empty goes on as a PATCH
/// at offset 0; its failures are swallowed and the 201 says how far it got.
async fn with_upload(up: Upload, length: u64, headers: HeaderMap, body: Body, mut hs: Vec<(&str, String)>) -> Response {
    if length == 0 {
        return tus_resp(201, &hs);
    }
    match tus_write::creation_with_upload(&up, &headers, body).await {
        WriteEnd::NoBody => {}
        WriteEnd::Written { offset, expires } => {
            hs.push(("Upload-Offset", offset.to_string()));
            if let Some(e) = expires {
                hs.retain(|(k, _)| *k != "Upload-Expires");
                hs.push(("Upload-Expires", e));
            }
        }
        WriteEnd::Refused => {
            let off = get_ft(&up.app, up.id).and_then(|ft| upload_state(&ft, up.pid.as_deref())).map(|s| s.1);
            hs.push(("Upload-Offset", off.unwrap_or(0).to_string()));
        }
        WriteEnd::Cut(r) => return r,
    }
    tus_resp(201, &hs)
}

async fn concat(up: Upload, headers: HeaderMap, body: Body) -> Response {
    let url_path = format!("{P}/filetransfer/upload/tus/{}", up.id);
    let raw = header(&headers, "Upload-Concat").unwrap_or("");
    let kind = match parse_concat(raw, &url_path) {
        Ok(k) => k,
        Err(m) => return tus_text(400, &m),
    };
    match kind {
        Concat::Final(files) => concat_final(up, &headers, files),
        Concat::Partial => {
            let (length, metadata) = match creation_checks(&up, &headers) {
                Ok(v) => v,
                Err(r) => return r,
            };
            let pid = Uuid::new_v4().simple().to_string();
            if tokio::fs::File::create(up.app.partial_path(up.id, &pid)).await.is_err() {
                return tus_text(500, "Could not create file");
            }
            let stored = up.app.update_transfer(up.id, |ft| {
                let t = ft.tus.get_or_insert_with(TusUpload::default);
                t.partials.insert(pid.clone(), (length, 0));
                if let Some(m) = &metadata {
                    t.metadata.insert(pid.clone(), m.clone());
                }
            });
            if stored.is_none() {
                return tus_with(bro_text(1));
            }
            up.app.counters.locked().tus_concats.entry(up.id).or_default().0 += 1;
            let expires = slide_expiration(&up.app, up.id, &pid);
            mark_started(&up.app, up.id);
            let up = Upload { pid: Some(pid), ..up };
            let hs = vec![("Location", up.location()), ("Upload-Expires", expires)];
            with_upload(up, length, headers, body, hs).await
        }
    }
}

/// A final concatenation (UploadConcatForConcatenateFiles, then CreateFinalFileAsync).
fn concat_final(up: Upload, headers: &HeaderMap, files: Vec<String>) -> Response {
    let (app, id) = (&up.app, up.id);
    let owners: Vec<Option<Uuid>> = files.iter().map(|f| partial_owner(app, normalize_partial(f))).collect();
    let missing: Vec<&str> = files.iter().zip(&owners).filter(|(_, o)| o.is_none()).map(|(f, _)| f.as_str()).collect();
    if !missing.is_empty() {
        return tus_text(
            400,
            &format!("Could not find some of the files supplied for concatenation: {}", missing.join(", ")),
        );
    }
    let state = |f: &str, owner: Uuid| get_ft(app, owner).and_then(|ft| upload_state(&ft, Some(f)));
    let unfinished: Vec<&str> = files
        .iter()
        .zip(&owners)
        .filter(|(f, o)| state(f, o.unwrap_or(id)).map(|(l, off)| l != off).unwrap_or(true))
        .map(|(f, _)| f.as_str())
        .collect();
    if !unfinished.is_empty() {
        return tus_text(
            400,
            &format!(
                "Some of the files supplied for concatenation are not finished and can not be concatenated: {}",
                unfinished.join(", ")
            ),
        );
    }
    if let Err(r) = check_metadata(headers) {
        return r;
    }
    // CreateFinalFileAsync throws TusStoreException (→ 400) for another transfer's partial.
    if let Some((f, _)) = files.iter().zip(&owners).find(|(_, o)| **o != Some(id)) {
        return tus_text(
            400,
            &format!("Partial upload {} does not belong to file transfer {id}.", normalize_partial(f)),
        );
    }
    let parts: Vec<String> = files.iter().map(|f| normalize_partial(f).to_string()).collect();
    let total: u64 = parts.iter().filter_map(|p| state(p, id)).map(|(l, _)| l).sum();
    let now = app.clock.now();
    let stored = app.update_transfer(id, |ft| {
        let t = ft.tus.get_or_insert_with(TusUpload::default);
        t.main = true;
        t.length = total;
        t.offset = total;
        t.final_parts = parts.clone();
        if ft.status() == FtStatus::Initialized {
            ft.set_status(FtStatus::UploadStarted, None, now);
        }
        // OnFileCompleteAsync: a final concatenation is UploadProcessing at once.
        if ft.status() == FtStatus::UploadStarted {
            ft.set_status(FtStatus::UploadProcessing, None, now);
        }
        ft.processing_pending = true;
        ft.last_tus_activity = Some(now);
    });
    if stored.is_none() {
        return tus_with(bro_text(1));
    }
    tus_resp(201, &[("Location", up.location())])
}

fn info(up: Upload) -> Response {
    let Some(_lock) = TusLock::take(&up) else { return locked() };
    let Some(ft) = get_ft(&up.app, up.id) else { return not_found() };
    let key = up.key();
    let Some((length, offset)) = upload_state(&ft, up.pid.as_deref()) else {
        // BrokerTusStore also finds a file that was streamed in, with no TUS length.
        if up.pid.is_none() && ft.file_location && ft.tus.is_none() {
            return tus_resp(200, &[("Cache-Control", "no-store".into()), ("Upload-Offset", ft.size.to_string())]);
        }
        return not_found();
    };
    if expired(&up.app, &ft, &key) {
        return not_found();
    }
    let mut hs = vec![("Cache-Control", "no-store".to_string())];
    if let Some(m) = ft.tus.as_ref().and_then(|t| t.metadata.get(&key)).filter(|m| !m.is_empty()) {
        hs.push(("Upload-Metadata", m.clone()));
    }
    hs.push(("Upload-Length", length.to_string()));
    let finals = ft.tus.as_ref().map(|t| t.final_parts.clone()).unwrap_or_default();
    if finals.is_empty() || length == offset {
        hs.push(("Upload-Offset", offset.to_string()));
    }
    if up.pid.is_some() {
        hs.push(("Upload-Concat", "partial".into()));
    } else if !finals.is_empty() {
        // tusdotnet prefixes the stored ids with the endpoint's path, which for
        // `…/tus/{id}` is `…/tus`: the URLs it gives are not the partials' own.
        let urls: Vec<String> = finals.iter().map(|p| format!("{P}/filetransfer/upload/tus/{p}")).collect();
        hs.push(("Upload-Concat", format!("final;{}", urls.join(" "))));
    }
    tus_resp(200, &hs)
}

fn delete(up: Upload) -> Response {
    let Some(_lock) = TusLock::take(&up) else { return locked() };
    let Some(ft) = get_ft(&up.app, up.id) else { return not_found() };
    let key = up.key();
    if upload_state(&ft, up.pid.as_deref()).is_none() || expired(&up.app, &ft, &key) {
        return not_found();
    }
    up.app.update_transfer(up.id, |ft| match &up.pid {
        Some(p) => {
            if let Some(t) = ft.tus.as_mut() {
                let p = normalize_partial(p);
                t.partials.remove(p);
                t.metadata.remove(p);
                t.expires.remove(p);
                t.blocks.remove(p);
            }
        }
        None => {
            if let Some(t) = ft.tus.as_mut() {
                // DeleteFileAsync removes this upload; partials stay.
                t.main = false;
                t.length = 0;
                t.offset = 0;
                t.final_parts.clear();
                t.metadata.remove("");
                t.expires.remove("");
                t.blocks.remove("");
            }
        }
    });
    let path = match &up.pid {
        Some(p) => up.app.partial_path(up.id, normalize_partial(p)),
        None => up.app.file_path(up.id),
    };
    let _ = std::fs::remove_file(path);
    // The transfer's status is not changed (it stays UploadStarted).
    tus_resp(204, &[])
}
