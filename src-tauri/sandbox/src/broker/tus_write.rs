//! Writing a TUS upload: PATCH (tusdotnet's WriteFileHandler with Broker's
//! BrokerTusStore.AppendDataAsync) and the body of a creation-with-upload.
//!
//! BrokerTusStore reads a chunk whole into memory before it accepts it, so a
//! body that breaks off keeps nothing and the offset stays where it was; a
//! body longer than the upload is refused with 413 before anything is kept.
//! The sandbox streams to disk but moves the offset only for a whole body.
//! An `Upload-Checksum` is parsed and checked for its algorithm, but the store
//! never confirms one (VerifyChecksumAsync returns false): the chunk is kept
//! and the answer is 460 anyway.

use budbringer_core::sync::Locked;
use std::io::SeekFrom;

use axum::body::Body;
use axum::http::{header, HeaderMap};
use axum::response::Response;
use tokio::io::AsyncSeekExt;

use super::access::{get_ft, P};
use super::tus_protocol::*;
use super::tus_upload::{expired, slide_expiration, upload_state, TusLock, Upload};
use super::upload::{write_body, WriteEnd as BodyEnd};
use crate::faults;
use crate::model::{FtStatus, TusUpload};

/// Azure block blobs take at most 50,000 blocks (TusBlockIds.MaxBlocksPerBlob).
const MAX_BLOCKS: u64 = 50_000;

/// How a creation-with-upload's write went (its failures are swallowed).
pub(super) enum WriteEnd {
    /// No body: a plain create.
    NoBody,
    /// Bytes were accepted up to `offset`; `expires` when the write set it.
    Written { offset: u64, expires: Option<String> },
    /// A requirement or the write failed: the 201 reports the store's offset.
    Refused,
    /// The connection is gone.
    Cut(Response),
}

/// What AppendDataAsync and the checksum check made of one body.
enum Outcome {
    /// Accepted; the new offset and `Upload-Expires`.
    Accepted { offset: u64, expires: String },
    /// Accepted, but the checksum "did not match" (always, see the module docs).
    ChecksumRefused { offset: u64 },
    /// 413: more bytes than the upload has left.
    TooMuch,
    /// A TusStoreException (400) with its text.
    StoreError(String),
    /// The body broke off, or its answer is lost.
    Cut(Response),
}

pub(super) async fn patch(up: Upload, headers: HeaderMap, body: Body) -> Response {
    let Some(lock) = TusLock::take(&up) else { return locked() };
    // The requirements of a PATCH, in WriteFileHandler's order.
    let Some(ft) = get_ft(&up.app, up.id) else { return not_found() };
    let Some((length, offset)) = upload_state(&ft, up.pid.as_deref()) else { return not_found() };
    if let Err(m) = content_type_ok(&headers) {
        return tus_text(415, &m);
    }
    if headers.contains_key("Upload-Length") {
        return tus_text(400, "Upload-Length cannot be updated once set");
    }
    let req_off = match upload_offset(&headers) {
        Ok(o) => o,
        Err(m) => return tus_text(400, &m),
    };
    let is_final = up.pid.is_none() && ft.tus.as_ref().map(|t| !t.final_parts.is_empty()).unwrap_or(false);
    if is_final {
        return tus_text(403, FINAL_NOT_PATCHABLE);
    }
    let checksum = match parse_checksum(&headers) {
        Ok(c) => c,
        Err(m) => return tus_text(400, &m),
    };
    if expired(&up.app, &ft, &up.key()) {
        return not_found();
    }
    if req_off != offset {
        return tus_text(409, &format!("Offset does not match file. File offset: {offset}. Request offset: {req_off}"));
    }
    if offset == length {
        return tus_text(400, ALREADY_COMPLETE);
    }
    match append(&up, lock, offset, length, checksum, &headers, body).await {
        Outcome::Accepted { offset, expires } => {
            tus_resp(204, &[("Upload-Offset", offset.to_string()), ("Upload-Expires", expires)])
        }
        Outcome::ChecksumRefused { .. } => tus_text(460, CHECKSUM_MISMATCH),
        Outcome::TooMuch => tus_text(413, TOO_MUCH_DATA),
        Outcome::StoreError(m) => tus_text(400, &m),
        Outcome::Cut(r) => r,
    }
}

/// The write half of a creation-with-upload: a PATCH at 0 whose requirements
/// are content type, checksum and expiry (the offset is known to be right).
pub(super) async fn creation_with_upload(up: &Upload, headers: &HeaderMap, body: Body) -> WriteEnd {
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared == Some(0) || (declared.is_none() && !headers.contains_key(header::TRANSFER_ENCODING)) {
        return WriteEnd::NoBody;
    }
    let Some(lock) = TusLock::take(up) else { return WriteEnd::Refused };
    let Some((length, offset)) = get_ft(&up.app, up.id).and_then(|ft| upload_state(&ft, up.pid.as_deref())) else {
        return WriteEnd::Refused;
    };
    if content_type_ok(headers).is_err() {
        return WriteEnd::Refused;
    }
    let Ok(checksum) = parse_checksum(headers) else { return WriteEnd::Refused };
    match append(up, lock, offset, length, checksum, headers, body).await {
        Outcome::Accepted { offset: 0, .. } => WriteEnd::NoBody,
        Outcome::Accepted { offset, expires } => WriteEnd::Written { offset, expires: Some(expires) },
        Outcome::ChecksumRefused { offset } => WriteEnd::Written { offset, expires: None },
        Outcome::TooMuch | Outcome::StoreError(_) => WriteEnd::Refused,
        Outcome::Cut(r) => WriteEnd::Cut(r),
    }
}

/// Reads one body at `offset` and accepts it whole, or not at all.
async fn append(
    up: &Upload,
    lock: TusLock,
    offset: u64,
    length: u64,
    checksum: Checksum,
    headers: &HeaderMap,
    body: Body,
) -> Outcome {
    let (app, id, key) = (&up.app, up.id, up.key());
    let path = match &up.pid {
        Some(p) => app.partial_path(id, normalize_partial(p)),
        None => app.file_path(id),
    };
    let file_id = up.pid.clone().unwrap_or_else(|| id.to_string());
    let mut f = match tokio::fs::OpenOptions::new().write(true).create(true).truncate(false).open(&path).await {
        Ok(f) => f,
        Err(_) => {
            return Outcome::StoreError(format!("Unable to accept TUS chunk for file id {file_id} at offset {offset}."))
        }
    };
    // Anything past the accepted offset is a body that was never accepted.
    let _ = f.set_len(offset).await;
    let _ = f.seek(SeekFrom::Start(offset)).await;
    let prefix = match &up.pid {
        Some(_) => format!("{P}/filetransfer/upload/tus/{id}/partial"),
        None => format!("{P}/filetransfer/upload/tus/{id}"),
    };
    let drop_after = app.faults.locked().take_drop(&prefix);
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let res = write_body(app, id, body, &mut f, None, drop_after, Some(length - offset)).await;
    let _ = f.sync_data().await;
    let n = match res {
        Ok(BodyEnd::Done(n)) => n,
        // Every byte arrived before the cut: the server accepted the chunk and
        // only its answer is lost.
        Ok(BodyEnd::Broken(n)) if n > 0 && declared == Some(n) => {
            accept(up, offset, n, length);
            return Outcome::Cut(faults::connection_drop());
        }
        Ok(BodyEnd::Broken(_)) => {
            let _ = f.set_len(offset).await;
            let linger = app.read(|s| s.settings.tus_lock_linger_ms);
            lock.linger(linger);
            return Outcome::Cut(faults::connection_drop());
        }
        Err(_) => {
            let _ = f.set_len(offset).await;
            return Outcome::TooMuch;
        }
    };
    if n > 0 {
        let blocks = get_ft(app, id).and_then(|ft| ft.tus.and_then(|t| t.blocks.get(&key).copied())).unwrap_or(0);
        if blocks >= MAX_BLOCKS {
            let _ = f.set_len(offset).await;
            return Outcome::StoreError(format!(
                "Upload exceeds maximum block count ({MAX_BLOCKS}) for file id {file_id}. Increase TUS chunk size to at least {} bytes.",
                length.div_ceil(MAX_BLOCKS)
            ));
        }
        accept(up, offset, n, length);
    }
    let expires = slide_expiration(app, id, &key);
    let offset = offset + n;
    match checksum {
        Checksum::Supported => Outcome::ChecksumRefused { offset },
        Checksum::None => Outcome::Accepted { offset, expires },
    }
}

/// Moves the accepted offset; the last chunk of the transfer's own upload
/// completes it (OnFileCompleteAsync → the finalize job).
fn accept(up: &Upload, offset: u64, n: u64, length: u64) {
    let (app, id, key) = (&up.app, up.id, up.key());
    let now = app.clock.now();
    let new_off = offset + n;
    app.update_transfer(id, |ft| {
        ft.last_tus_activity = Some(now);
        let t = ft.tus.get_or_insert_with(TusUpload::default);
        *t.blocks.entry(key.clone()).or_insert(0) += 1;
        match &up.pid {
            Some(p) => {
                if let Some(x) = t.partials.get_mut(normalize_partial(p)) {
                    x.1 = new_off;
                }
            }
            None => t.offset = new_off,
        }
        if up.pid.is_none() && new_off == length {
            ft.size = length;
            ft.has_file = true;
            ft.file_location = true;
            // CompleteFileUploadHandler with DeferChecksumValidation: processing
            // first when a checksum was given or the file is scanned.
            if ft.status() == FtStatus::UploadStarted && (ft.user_checksum_given() || ft.use_virus_scan) {
                ft.set_status(FtStatus::UploadProcessing, None, now);
            }
            ft.processing_pending = true;
        }
    });
}
