//! Typed calls to Broker `/broker/api/v1` (`docs/ALTINN.md#the-broker-api`), on top of the
//! authenticated [`AltinnClient`]. Each call returns the server's answer or a
//! [`CallError`]: the named [`AppError`] plus whether trying again can help
//! and when (`Retry-After`).

use crate::altinn::client::AltinnClient;
use crate::altinn::problem::error_from_parts;
use crate::error::{AppError, ErrorCode};
use crate::http::{self as net, Activity};
use crate::sync::Locked;
use futures_util::TryStreamExt;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION, RANGE, RETRY_AFTER};
use reqwest::{Body, Response, StatusCode};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio_util::io::ReaderStream;
use ts_rs::TS;
use uuid::Uuid;

/// A failed call: what to tell the user, and whether to try again.
#[derive(Debug, Clone)]
pub struct CallError {
    pub error: AppError,
    /// Network trouble, 429, 5xx: the same request may succeed later.
    pub transient: bool,
    /// The server's `Retry-After`, when it gave one.
    pub retry_after: Option<Duration>,
}

impl CallError {
    pub fn permanent(error: AppError) -> Self {
        CallError { error, transient: false, retry_after: None }
    }
    fn transient(error: AppError) -> Self {
        CallError { error, transient: true, retry_after: None }
    }
}

impl From<AppError> for CallError {
    /// Errors from the credentials layer: network trouble is transient,
    /// everything else (a refused key, a missing scope…) needs the user.
    fn from(error: AppError) -> Self {
        let transient = matches!(
            error.code,
            ErrorCode::Network | ErrorCode::RateLimited | ErrorCode::ServiceUnavailable | ErrorCode::BrokerServerError
        );
        CallError { error, transient, retry_after: None }
    }
}

/// A failed TUS call, sorted by what the uploader should do next
/// (`docs/ALTINN.md#tus`). Whatever it is, the server's offset (HEAD) is the
/// truth to go on from.
#[derive(Debug, Clone)]
pub enum TusError {
    /// The offsets disagree: any 409 to a PATCH, or a conflict the store found
    /// while accepting the chunk (400 "Upload offset conflict …", a race with
    /// another writer), or the upload is gone or already complete. HEAD and go
    /// on. `server_offset` is the offset the answer names, when it names one.
    Conflict { error: CallError, server_offset: Option<u64> },
    /// 423: another request holds the upload, often our own earlier PATCH that
    /// the server is still reading. Wait and try again.
    Locked(CallError),
    /// 409 to a HEAD or a create: the transfer is past uploading (BRO-00004).
    /// The overview says whether it got the file or failed.
    Over(CallError),
    /// Anything else: transient or not as [`CallError`] says.
    Call(CallError),
}

impl TusError {
    pub fn call(&self) -> &CallError {
        match self {
            TusError::Conflict { error, .. }
            | TusError::Locked(error)
            | TusError::Over(error)
            | TusError::Call(error) => error,
        }
    }

    async fn from_patch_failure(status: StatusCode, resp: Response) -> TusError {
        let error = failure(resp).await;
        let text = error.error.detail.clone().unwrap_or_default();
        match status {
            StatusCode::LOCKED => TusError::Locked(error),
            // tusdotnet: "Offset does not match file. File offset: N. Request offset: M".
            StatusCode::CONFLICT => TusError::Conflict { server_offset: number_after(&text, "File offset: "), error },
            // BrokerTusStore: "Upload offset conflict for file id … Expected M, current N.";
            // tusdotnet: "Upload is already complete."
            StatusCode::BAD_REQUEST if text.contains("Upload offset conflict") || text.contains("already complete") => {
                TusError::Conflict { server_offset: number_after(&text, "current "), error }
            }
            // No such upload (expired, terminated): HEAD tells, and it is made again.
            StatusCode::NOT_FOUND | StatusCode::GONE => TusError::Conflict { server_offset: None, error },
            _ => TusError::Call(error),
        }
    }
}

/// The number right after `label` in `text`.
/// Which TUS upload a PATCH goes to, and where in the file it starts.
#[derive(Debug, Clone, Copy)]
pub struct TusAt<'a> {
    /// The transfer (for the client's count of bytes sent).
    pub id: Uuid,
    pub url: &'a str,
    /// The file's byte at the upload's offset 0.
    pub file_start: u64,
}

/// The path of a `Location` (which may be a full URL).
fn location_path(location: &str) -> String {
    match location.strip_prefix("http://").or_else(|| location.strip_prefix("https://")) {
        Some(rest) => rest.find('/').map(|i| rest[i..].to_owned()).unwrap_or_else(|| "/".into()),
        None => location.to_owned(),
    }
}

fn number_after(text: &str, label: &str) -> Option<u64> {
    let rest = &text[text.find(label)? + label.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Reads a failed response into a [`CallError`].
/// A TUS create's answer (`POST`): 201 goes on; 409 means the transfer is
/// past uploading ([`TusError::Over`]), 423 that another request holds it.
async fn tus_created(resp: Response) -> Result<Response, TusError> {
    match resp.status() {
        StatusCode::CREATED => Ok(resp),
        StatusCode::CONFLICT => Err(TusError::Over(failure(resp).await)),
        StatusCode::LOCKED => Err(TusError::Locked(failure(resp).await)),
        _ => Err(TusError::Call(failure(resp).await)),
    }
}

pub async fn failure(resp: Response) -> CallError {
    let status = resp.status();
    let retry_after = resp.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = crate::network::text_prefix(resp, MAX_ERROR_BODY).await;
    let error = error_from_parts(status.as_u16(), retry_after.as_deref(), &body);
    let transient = status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error() && status != StatusCode::NOT_IMPLEMENTED;
    let retry_after = retry_after.and_then(|v| parse_retry_after(&v));
    CallError { error, transient, retry_after }
}

/// The most read of a JSON answer. Broker's largest answers (details with
/// long histories) are far smaller; a server that sends more gets a named
/// error instead of our memory.
pub const MAX_JSON_BODY: usize = 4 * 1024 * 1024;
/// The most read of an error body; the rest is dropped unread.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

/// The body, or MALFORMED_RESPONSE when it is longer than `cap`.
async fn read_capped(mut resp: Response, cap: usize, what: &str) -> Result<Vec<u8>, CallError> {
    let too_large = |n: u64| {
        CallError::permanent(
            AppError::new(ErrorCode::MalformedResponse)
                .with_detail(format!("{what}: the answer is larger than {cap} bytes ({n} or more)")),
        )
    };
    if let Some(len) = resp.content_length().filter(|l| *l > cap as u64) {
        return Err(too_large(len));
    }
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(network)? {
        if buf.len() + chunk.len() > cap {
            return Err(too_large((buf.len() + chunk.len()) as u64));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    if let Ok(secs) = v.trim().parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(v.trim()).ok()?;
    Some(when.duration_since(std::time::SystemTime::now()).unwrap_or_default())
}

fn network(e: reqwest::Error) -> CallError {
    CallError::transient(AppError::new(ErrorCode::Network).with_detail(e.to_string()))
}

fn malformed(what: &str, e: impl std::fmt::Display) -> CallError {
    CallError::transient(AppError::new(ErrorCode::MalformedResponse).with_detail(format!("{what}: {e}")))
}

/// `FileTransferInitalizeExt`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InitializeRequest {
    pub file_name: String,
    pub resource_id: String,
    pub senders_file_transfer_reference: String,
    /// `0192:<orgno>`: the form sender-side search matches (`docs/ALTINN.md#initialize`).
    pub sender: String,
    pub recipients: Vec<String>,
    pub property_list: BTreeMap<String, String>,
    pub checksum: Option<String>,
    pub disable_virus_scan: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, TS)]
#[serde(rename_all = "camelCase")]
pub struct RecipientStatus {
    pub recipient: String,
    #[serde(default)]
    pub current_recipient_file_transfer_status_code: Option<String>,
    #[serde(default)]
    pub current_recipient_file_transfer_status_text: Option<String>,
    #[serde(default)]
    pub current_recipient_file_transfer_status_changed: Option<String>,
}

/// `FileTransferOverviewExt`. Parsed leniently: Altinn's data is shown as it came.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, TS)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    pub file_transfer_id: Uuid,
    #[serde(default)]
    pub resource_id: Option<String>,
    #[serde(default)]
    pub file_name: Option<String>,
    #[serde(default)]
    pub senders_file_transfer_reference: Option<String>,
    #[serde(default)]
    pub checksum: Option<String>,
    #[serde(default)]
    pub use_virus_scan: Option<bool>,
    #[serde(default)]
    pub file_transfer_size: Option<u64>,
    #[serde(default)]
    pub file_transfer_status: Option<String>,
    #[serde(default)]
    pub file_transfer_status_text: Option<String>,
    #[serde(default)]
    pub file_transfer_status_changed: Option<String>,
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub expiration_time: Option<String>,
    #[serde(default)]
    pub sender: Option<String>,
    #[serde(default)]
    pub recipients: Vec<RecipientStatus>,
    #[serde(default)]
    pub property_list: BTreeMap<String, String>,
    #[serde(default)]
    pub published: Option<String>,
}

impl Overview {
    pub fn status(&self) -> &str {
        self.file_transfer_status.as_deref().unwrap_or("")
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, TS)]
#[serde(rename_all = "camelCase")]
pub struct StatusEvent {
    pub file_transfer_status: String,
    #[serde(default)]
    pub file_transfer_status_text: Option<String>,
    #[serde(default)]
    pub file_transfer_status_changed: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, TS)]
#[serde(rename_all = "camelCase")]
pub struct RecipientEvent {
    pub recipient: String,
    pub recipient_file_transfer_status_code: String,
    #[serde(default)]
    pub recipient_file_transfer_status_text: Option<String>,
    #[serde(default)]
    pub recipient_file_transfer_status_changed: Option<String>,
}

/// `FileTransferStatusDetailsExt`: the overview plus both histories, sorted
/// by time here because the server does not sort them (`docs/ALTINN.md#overview-and-details`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename = "TransferDetails")]
pub struct Details {
    #[serde(flatten)]
    pub overview: Overview,
    #[serde(default)]
    pub file_transfer_status_history: Vec<StatusEvent>,
    #[serde(default)]
    pub recipient_file_transfer_status_history: Vec<RecipientEvent>,
}

/// Search filters (`docs/ALTINN.md#search`).
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub resource_id: String,
    pub status: Option<String>,
    pub recipient_status: Option<String>,
    pub role: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Oldest first (Broker's default is newest first).
    pub order_ascending: Option<bool>,
}

/// What the engine needs of Broker.
#[derive(Clone)]
pub struct Broker {
    client: AltinnClient,
}

impl Broker {
    pub fn new(client: AltinnClient) -> Self {
        Broker { client }
    }

    pub fn client(&self) -> &AltinnClient {
        &self.client
    }

    /// Where a file is downloaded from (the `HostUrl` of its Zone.Identifier mark).
    pub fn download_url(&self, id: Uuid) -> String {
        self.url(&format!("/filetransfer/{id}/download"))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.client.broker_base())
    }

    fn tus_url(&self, id: Uuid) -> String {
        self.url(&format!("/filetransfer/upload/tus/{id}"))
    }

    async fn json<T: for<'de> Deserialize<'de>>(resp: Response, what: &str) -> Result<T, CallError> {
        if !resp.status().is_success() {
            return Err(failure(resp).await);
        }
        let bytes = read_capped(resp, MAX_JSON_BODY, what).await?;
        serde_json::from_slice(&bytes).map_err(|e| malformed(what, e))
    }

    /// `POST /filetransfer`. Not idempotent: never retry it blindly (`docs/ALTINN.md#no-idempotency`).
    pub async fn initialize(&self, req: &InitializeRequest) -> Result<Uuid, CallError> {
        let url = self.url("/filetransfer");
        let resp = self.client.send_broker(|http| http.post(&url).json(req)).await?;
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Created {
            file_transfer_id: Uuid,
        }
        Ok(Self::json::<Created>(resp, "initialize").await?.file_transfer_id)
    }

    pub async fn overview(&self, id: Uuid) -> Result<Overview, CallError> {
        let url = self.url(&format!("/filetransfer/{id}"));
        let resp = self.client.send_broker(|http| http.get(&url)).await?;
        Self::json(resp, "overview").await
    }

    pub async fn details(&self, id: Uuid) -> Result<Details, CallError> {
        let url = self.url(&format!("/filetransfer/{id}/details"));
        let resp = self.client.send_broker(|http| http.get(&url)).await?;
        let mut d: Details = Self::json(resp, "details").await?;
        d.file_transfer_status_history
            .sort_by(|a, b| a.file_transfer_status_changed.cmp(&b.file_transfer_status_changed));
        d.recipient_file_transfer_status_history
            .sort_by(|a, b| a.recipient_file_transfer_status_changed.cmp(&b.recipient_file_transfer_status_changed));
        Ok(d)
    }

    /// At most 100 file-transfer IDs matching `q`, newest first unless `order_ascending`.
    pub async fn search(&self, q: &Search) -> Result<Vec<Uuid>, CallError> {
        let url = self.url("/filetransfer");
        let ascending = q.order_ascending.map(|a| if a { "true" } else { "false" });
        let mut query: Vec<(&str, &str)> = vec![("resourceId", q.resource_id.as_str())];
        if let Some(a) = ascending {
            query.push(("orderAscending", a));
        }
        for (k, v) in [
            ("status", &q.status),
            ("recipientStatus", &q.recipient_status),
            ("role", &q.role),
            ("from", &q.from),
            ("to", &q.to),
        ] {
            if let Some(v) = v {
                query.push((k, v.as_str()));
            }
        }
        let resp = self.client.send_broker(|http| http.get(&url).query(&query)).await?;
        Self::json(resp, "search").await
    }

    /// `POST /filetransfer/{id}/upload` with the whole file as one
    /// octet-stream body and its `Content-Length`, read from disk as it goes.
    /// `on_bytes` is told of each piece handed to the network.
    pub async fn upload_stream(
        &self,
        id: Uuid,
        path: &Path,
        size: u64,
        on_bytes: Arc<dyn Fn(u64) + Send + Sync>,
    ) -> Result<(), CallError> {
        let url = self.url(&format!("/filetransfer/{id}/upload"));
        let opened = std::sync::Mutex::new(None::<std::io::Error>);
        let activity = Activity::default();
        let sending = self.client.send_broker(|http| {
            let req = net::transfer(http.post(&url))
                .header(CONTENT_TYPE, "application/octet-stream")
                .header(CONTENT_LENGTH, size);
            match std::fs::File::open(path) {
                Ok(f) => req.body(counted_body(id, tokio::fs::File::from_std(f), size, on_bytes.clone(), &activity)),
                Err(e) => {
                    *opened.locked() = Some(e);
                    req.body(Body::from(Vec::new()))
                }
            }
        });
        // A server that stops taking the body, or never answers, ends as a stall.
        let resp = net::idle_bounded("upload", &activity, sending).await.map_err(CallError::from)?;
        if let Some(e) = opened.locked().take() {
            return Err(CallError::permanent(AppError::new(ErrorCode::FileUnreadable).with_detail(e.to_string())));
        }
        let resp = resp?;
        if !resp.status().is_success() {
            return Err(failure(resp).await);
        }
        Ok(())
    }

    /// TUS create (`POST`, 201). A second create resets the offset to 0, so
    /// only call it for a transfer that has no upload yet (`docs/ALTINN.md#tus`).
    /// 409 means the transfer is past uploading ([`TusError::Over`]).
    pub async fn tus_create(&self, id: Uuid, length: u64) -> Result<(), TusError> {
        let url = self.tus_url(id);
        let resp = self
            .client
            .send_broker(|http| http.post(&url).header("Tus-Resumable", "1.0.0").header("Upload-Length", length))
            .await
            .map_err(|e| TusError::Call(e.into()))?;
        tus_created(resp).await.map(|_| ())
    }

    /// TUS concatenation, a partial (`Upload-Concat: partial`, 201): returns
    /// its `Location`, a path under `…/tus/{id}/partial/` (`docs/ALTINN.md#tus-parts`).
    pub async fn tus_create_partial(&self, id: Uuid, length: u64) -> Result<String, TusError> {
        let url = self.tus_url(id);
        let resp = self
            .client
            .send_broker(|http| {
                http.post(&url)
                    .header("Tus-Resumable", "1.0.0")
                    .header("Upload-Concat", "partial")
                    .header("Upload-Length", length)
            })
            .await
            .map_err(|e| TusError::Call(e.into()))?;
        let resp = tus_created(resp).await?;
        let location = resp.headers().get(LOCATION).and_then(|v| v.to_str().ok());
        location.map(location_path).ok_or_else(|| TusError::Call(malformed("TUS partial", "no Location")))
    }

    /// TUS concatenation, the final upload (`Upload-Concat: final;<locations>`,
    /// no `Upload-Length`): the transfer's own upload, made of the finished
    /// partials in order. Broker then processes it as after a last PATCH.
    pub async fn tus_create_final(&self, id: Uuid, locations: &[String]) -> Result<(), TusError> {
        let url = self.tus_url(id);
        let concat = format!("final;{}", locations.join(" "));
        let resp = self
            .client
            .send_broker(|http| http.post(&url).header("Tus-Resumable", "1.0.0").header("Upload-Concat", &concat))
            .await
            .map_err(|e| TusError::Call(e.into()))?;
        tus_created(resp).await.map(|_| ())
    }

    /// The URL of a partial's `Location`: its path on Broker's own origin, so
    /// that a `Location` naming another host never gets our token, and a
    /// stored one still works when the (embedded) sandbox's port has changed.
    pub fn tus_part_url(&self, location: &str) -> String {
        let base = self.client.broker_base();
        let origin_end =
            base.find("://").and_then(|i| base[i + 3..].find('/').map(|j| i + 3 + j)).unwrap_or(base.len());
        format!("{}{}", &base[..origin_end], location_path(location))
    }

    /// TUS `HEAD`: the server's durable offset, or `None` if it has no upload
    /// (404/410: never made, terminated, or expired after a day without activity).
    /// The offset may lag a little behind what PATCH answers while the last
    /// blocks are being stored; it never runs ahead.
    pub async fn tus_offset(&self, id: Uuid) -> Result<Option<u64>, TusError> {
        self.tus_offset_at(&self.tus_url(id)).await
    }

    /// [`Self::tus_offset`] of any upload URL (a partial's, [`Self::tus_part_url`]).
    pub async fn tus_offset_at(&self, url: &str) -> Result<Option<u64>, TusError> {
        let resp = self
            .client
            .send_broker(|http| http.head(url).header("Tus-Resumable", "1.0.0"))
            .await
            .map_err(|e| TusError::Call(e.into()))?;
        match resp.status() {
            StatusCode::NOT_FOUND | StatusCode::GONE => return Ok(None),
            // Our upload session says the upload is over (BRO-00004 as text).
            StatusCode::CONFLICT => return Err(TusError::Over(failure(resp).await)),
            StatusCode::LOCKED => return Err(TusError::Locked(failure(resp).await)),
            s if !s.is_success() => return Err(TusError::Call(failure(resp).await)),
            _ => {}
        }
        let offset =
            resp.headers().get("Upload-Offset").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
        match offset {
            Some(o) => Ok(Some(o)),
            None => Err(TusError::Call(malformed("TUS HEAD", "no Upload-Offset header"))),
        }
    }

    /// TUS `PATCH` of `len` bytes of `path` starting at `offset`, streamed
    /// from disk. Returns the server's new offset, which may be the old one
    /// (an empty body); the caller decides what progress is.
    pub async fn tus_patch(
        &self,
        id: Uuid,
        path: &Path,
        offset: u64,
        len: u64,
        on_bytes: Arc<dyn Fn(u64) + Send + Sync>,
    ) -> Result<u64, TusError> {
        let at = TusAt { id, url: &self.tus_url(id), file_start: 0 };
        self.tus_patch_at(at, path, offset, len, on_bytes).await
    }

    /// [`Self::tus_patch`] to any upload of transfer `at.id`: the upload's
    /// `offset` is byte `at.file_start + offset` of the file.
    pub async fn tus_patch_at(
        &self,
        at: TusAt<'_>,
        path: &Path,
        offset: u64,
        len: u64,
        on_bytes: Arc<dyn Fn(u64) + Send + Sync>,
    ) -> Result<u64, TusError> {
        let TusAt { id, url, file_start } = at;
        // Opened and positioned here, not on the blocking pool: a file that cannot
        // be read is the file's fault, never the runtime's (which may be stopping).
        let unreadable = |e: std::io::Error| {
            TusError::Call(CallError::permanent(AppError::new(ErrorCode::FileUnreadable).with_detail(e.to_string())))
        };
        let mut file = std::fs::File::open(path).map_err(unreadable)?;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(file_start + offset)).map_err(unreadable)?;
        let activity = Activity::default();
        // The body can be sent once only; a 401 retry inside send_broker gets
        // an empty body (204, no progress), and the caller goes on from there.
        let body =
            std::sync::Mutex::new(Some(counted_body(id, tokio::fs::File::from_std(file), len, on_bytes, &activity)));
        let sending = self.client.send_broker(|http| {
            let req = net::transfer(http.patch(url))
                .header("Tus-Resumable", "1.0.0")
                .header("Upload-Offset", offset)
                .header(CONTENT_TYPE, "application/offset+octet-stream");
            match body.locked().take() {
                Some(b) => req.header(CONTENT_LENGTH, len).body(b),
                None => req.header(CONTENT_LENGTH, 0).body(Body::from(Vec::new())),
            }
        });
        // A server that stops taking the body, or never answers, ends as a stall.
        let resp = net::idle_bounded("TUS PATCH", &activity, sending)
            .await
            .map_err(|e| TusError::Call(CallError::from(e)))?
            .map_err(|e| TusError::Call(e.into()))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(TusError::from_patch_failure(status, resp).await);
        }
        resp.headers()
            .get("Upload-Offset")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| TusError::Call(malformed("TUS PATCH", "no Upload-Offset header")))
    }

    /// `GET /filetransfer/{id}/download`, from byte `start` (a `Range` request when > 0).
    pub async fn download(&self, id: Uuid, start: u64) -> Result<Response, CallError> {
        let url = self.download_url(id);
        let resp = self
            .client
            .send_broker(|http| {
                // A transfer: bounded by idleness (the caller's), not as a whole.
                let req = net::transfer(http.get(&url));
                if start > 0 {
                    req.header(RANGE, format!("bytes={start}-"))
                } else {
                    req
                }
            })
            .await?;
        if !resp.status().is_success() {
            return Err(failure(resp).await);
        }
        Ok(resp)
    }

    /// `POST /filetransfer/{id}/confirmdownload` (204).
    pub async fn confirm(&self, id: Uuid) -> Result<(), CallError> {
        let url = self.url(&format!("/filetransfer/{id}/confirmdownload"));
        let resp = self.client.send_broker(|http| http.post(&url)).await?;
        if !resp.status().is_success() {
            return Err(failure(resp).await);
        }
        Ok(())
    }
}

/// A body of exactly `len` bytes read from `file`, telling `on_bytes` (and the
/// client's own count, [`super::sent_bytes`]) as each piece goes out. Memory
/// stays flat whatever the size.
fn counted_body(
    id: Uuid,
    file: tokio::fs::File,
    len: u64,
    on_bytes: Arc<dyn Fn(u64) + Send + Sync>,
    activity: &Activity,
) -> Body {
    let activity = activity.clone();
    let stream = ReaderStream::with_capacity(file.take(len), 256 * 1024).inspect_ok(move |chunk| {
        activity.touch();
        super::sent_bytes::add(id, chunk.len() as u64);
        on_bytes(chunk.len() as u64)
    });
    Body::wrap_stream(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn overview_parses_the_documented_example() {
        let v = serde_json::json!({
          "fileTransferId": "3f1d2c0e-7b6a-4c1e-9a57-2d3c4b5a6f70", "resourceId": "my-broker-resource",
          "fileName": "report.pdf", "sendersFileTransferReference": "archiveno-20425",
          "checksum": "9e107d9d372bb6826bd81d3542a419d6", "useVirusScan": true, "fileTransferSize": 1048576,
          "fileTransferStatus": "Published", "fileTransferStatusText": "Ready for download",
          "fileTransferStatusChanged": "2026-08-18T11:42:03.512345+00:00", "created": "2026-08-18T11:40:51.123456+00:00",
          "expirationTime": "2026-09-17T11:40:51.123456+00:00", "sender": "urn:altinn:organization:identifier-no:991825827",
          "recipients": [{"recipient": "0192:986252932", "currentRecipientFileTransferStatusCode": "Initialized",
             "currentRecipientFileTransferStatusText": "Initialized", "currentRecipientFileTransferStatusChanged": "2026-08-18T11:40:51.2+00:00"}],
          "propertyList": {"caseNumber": "123"}, "published": "2026-08-18T11:42:03.512345+00:00"
        });
        let o: Overview = serde_json::from_value(v).unwrap();
        assert_eq!(o.status(), "Published");
        assert_eq!(o.recipients[0].recipient, "0192:986252932");
        assert_eq!(o.file_transfer_size, Some(1048576));
        // Missing and null fields do not fail the parse.
        let o: Overview = serde_json::from_value(serde_json::json!({
            "fileTransferId": "3f1d2c0e-7b6a-4c1e-9a57-2d3c4b5a6f70", "checksum": null, "published": null
        }))
        .unwrap();
        assert_eq!(o.status(), "");
    }
}
