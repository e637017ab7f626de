//! One outgoing file, from the local checks to the receipt:
//! checks → preparing (MD5) → initialize → upload (octet-stream or TUS) →
//! processing → published (or failed), with every step persisted so that a
//! crash or restart continues where it stopped and never creates a second
//! transfer for the same file.

use super::broker::{Broker, CallError, Details, InitializeRequest, Search, TusError};
use super::late_cancel;
use super::md5_cache;
use super::progress::{Progress, ProgressMeter};
use super::tus_parts::{self, Outcome, Target, TusParts};
use super::tus_retry::{pause_for, position, NoProgress, Pause, Position};
use super::validate::{self, OrgNumber};
use crate::environment::Environment;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::sync::Locked;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use ts_rs::TS;
use uuid::Uuid;

/// The transfer property that carries a job's [`SendJob::transfer_key`].
/// Broker allows 10 properties: when the user gave 10, the job has no key and
/// a lost initialize is matched by reference, name and checksum alone.
pub const KEY_PROPERTY: &str = "budbringer-id";

pub use super::send_types::{Method, Phase, SendRequest, UploadSettings, MIN_CHUNK_SIZE};

/// A persisted outgoing job.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SendJob {
    pub id: Uuid,
    /// Stored as its lowercase name (`sandbox`, `tt02`, `production`), as it always was.
    pub environment: Environment,
    pub path: PathBuf,
    pub file_name: String,
    pub size: u64,
    /// Modification time when the checksum was made, to notice a changed file
    /// (Unix milliseconds; u64, like every number the UI reads, fits a JavaScript number).
    pub modified_ms: Option<u64>,
    pub md5: Option<String>,
    pub resource_id: String,
    pub sender: String,
    pub recipients: Vec<String>,
    pub properties: BTreeMap<String, String>,
    /// `sendersFileTransferReference`: the user's reference (shown to the
    /// recipient; one send's files may share it), or one made per attempt.
    pub reference: String,
    /// This job's own key, new for each transfer it makes, sent as the
    /// transfer's property [`KEY_PROPERTY`], so that an initialize whose
    /// answer was lost is found again by it, never by the shared reference.
    /// `None` for jobs stored before it existed, or with no room for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(skip)]
    pub transfer_key: Option<Uuid>,
    /// When the first initialize of the current transfer went out (RFC 3339):
    /// where the search for a lost one starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(skip)]
    pub initialize_sent_at: Option<String>,
    pub file_transfer_id: Option<Uuid>,
    /// An initialize was sent and its answer may have been lost.
    pub initialize_sent: bool,
    pub method: Method,
    pub phase: Phase,
    pub bytes_sent: u64,
    /// A large TUS file's parallel parts (`transfers/tus_parts.rs`); `None`: one stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(skip)]
    pub parts: Option<TusParts>,
    /// Bytes of the current upload request handed to the network so far (not
    /// stored): a cancel after the last of them may have reached Altinn.
    #[serde(skip)]
    #[ts(skip)]
    pub handed: Arc<AtomicU64>,
    pub error: Option<AppError>,
    /// Broker's details at the end: every status and each recipient's.
    pub receipt: Option<Details>,
    pub created: String,
    /// Taken off the Send page's list by "Clear finished"; still a receipt in Sent.
    #[serde(default)]
    pub cleared: bool,
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

fn modified_ms(meta: &std::fs::Metadata) -> Option<u64> {
    let since_epoch = meta.modified().ok()?.duration_since(SystemTime::UNIX_EPOCH).ok()?;
    u64::try_from(since_epoch.as_millis()).ok()
}

fn unreadable(path: &std::path::Path, e: std::io::Error) -> AppError {
    AppError::new(ErrorCode::FileUnreadable).with_detail(format!("{}: {e}", path.display()))
}

impl SendJob {
    /// Checks the request locally and makes a job of it. Nothing is sent.
    pub fn new(
        req: &SendRequest,
        environment: Environment,
        sender: &OrgNumber,
        resource_max: Option<u64>,
        settings: &UploadSettings,
    ) -> AppResult<SendJob> {
        let recipients = validate::recipients(&req.recipients)?;
        if req.resource_id.trim().is_empty() {
            return Err(AppError::invalid_input("no resource chosen"));
        }
        let file_name = req
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| AppError::new(ErrorCode::FileNameEmpty))?;
        validate::file_name(&file_name)?;
        validate::property_list(&req.properties)?;
        let meta = std::fs::metadata(&req.path).map_err(|e| unreadable(&req.path, e))?;
        if !meta.is_file() {
            return Err(unreadable(&req.path, std::io::Error::other("not a file")));
        }
        // Opening proves we may read it (permissions, locks) before we queue it.
        std::fs::File::open(&req.path).map_err(|e| unreadable(&req.path, e))?;
        validate::file_size(meta.len(), resource_max, true)?;
        let id = Uuid::new_v4();
        let reference = match req.reference.as_deref().map(str::trim) {
            Some(r) if !r.is_empty() => {
                validate::reference(r)?;
                r.to_owned()
            }
            _ => format!("budbringer-{id}"),
        };
        Ok(SendJob {
            id,
            environment,
            path: req.path.clone(),
            file_name,
            size: meta.len(),
            modified_ms: None,
            md5: None,
            resource_id: req.resource_id.trim().to_owned(),
            sender: sender.actor_id(),
            recipients: recipients.iter().map(|r| r.actor_id()).collect(),
            properties: req.properties.clone(),
            reference,
            transfer_key: key_for(&req.properties),
            initialize_sent_at: None,
            file_transfer_id: None,
            initialize_sent: false,
            method: if meta.len() >= settings.tus_threshold { Method::Tus } else { Method::Stream },
            phase: Phase::Queued,
            bytes_sent: 0,
            parts: (meta.len() >= settings.tus_threshold).then(|| tus_parts::plan(meta.len(), settings)).flatten(),
            handed: Arc::default(),
            error: None,
            receipt: None,
            created: now_rfc3339(),
            cleared: false,
        })
    }
}

/// A new key for a transfer, when the property list has room for it.
pub fn key_for(properties: &BTreeMap<String, String>) -> Option<Uuid> {
    (properties.len() < 10 && !properties.contains_key(KEY_PROPERTY)).then(Uuid::new_v4)
}

/// What a running job reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SendUpdate {
    pub job: SendJob,
    pub progress: Option<Progress>,
}

/// Where the runner saves and reports.
pub trait SendSink: Send + Sync {
    /// Persists the job (called at every phase change and now and then while uploading).
    fn save(&self, job: &SendJob) -> AppResult<()>;
    fn report(&self, update: SendUpdate);
}

/// Why a run stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    Pause,
    Cancel,
}

/// Runs a job until it is published, fails, or `stop` resolves. Transient
/// failures are retried with backoff; permanent ones end the job.
///
/// A cancel that comes once the file's bytes are with Altinn does not take:
/// Broker has no cancel, and the file will be published; the job goes on to
/// its receipt instead (`docs/ALTINN.md#statuses`).
pub async fn run(
    job: &mut SendJob,
    broker: &Broker,
    settings: &UploadSettings,
    sink: &dyn SendSink,
    stop: impl std::future::Future<Output = Stop>,
) {
    tokio::pin!(stop);
    let outcome = tokio::select! {
        r = drive(job, broker, settings, sink) => r.map(|_| None),
        s = &mut stop => Ok(Some(s)),
    };
    end(job, broker, settings, sink, outcome).await;
}

/// Cancels a job that is not running (paused, or waiting for its turn) but
/// has a transfer: its last run may have handed Altinn every byte before it
/// stopped, so Altinn is asked as after any cancel.
pub async fn cancel_stopped(job: &mut SendJob, broker: &Broker, settings: &UploadSettings, sink: &dyn SendSink) {
    end(job, broker, settings, sink, Ok(Some(Stop::Cancel))).await;
}

async fn end(
    job: &mut SendJob,
    broker: &Broker,
    settings: &UploadSettings,
    sink: &dyn SendSink,
    mut outcome: AppResult<Option<Stop>>,
) {
    if matches!(outcome, Ok(Some(Stop::Cancel))) {
        outcome = match delivered_anyway(job, broker, settings).await {
            // Too late to cancel: follow it to its receipt (a second cancel cannot stop that either).
            Ok(true) => {
                tracing::info!(job = %job.id, "cancel came after the upload; Altinn has the file");
                drive(job, broker, settings, sink).await.map(|_| None)
            }
            Ok(false) => Ok(Some(Stop::Cancel)),
            Err(e) => Err(e),
        };
    }
    if let Err(e) = &outcome {
        // An error while the runtime itself is stopping (the app quitting) is
        // not the job's: its file reads and connections were cut under it. The
        // task is dropped at this yield then, and the job keeps its last saved
        // phase, so the next start resumes it.
        tracing::debug!(job = %job.id, error = %e, "send failed; recording it unless the app is stopping");
        tokio::task::yield_now().await;
    }
    match outcome {
        Ok(None) => job.phase = Phase::Published,
        Ok(Some(Stop::Pause)) => job.phase = Phase::Paused,
        Ok(Some(Stop::Cancel)) => {
            job.phase = Phase::Cancelled;
            job.error = Some(AppError::new(ErrorCode::TransferCancelled));
        }
        Err(e) => {
            tracing::warn!(job = %job.id, error = %e, "send failed");
            job.phase = Phase::Failed;
            job.error = Some(e);
        }
    }
    if let Err(e) = sink.save(job) {
        tracing::error!(job = %job.id, error = %e, "could not save the job");
    }
    sink.report(SendUpdate { job: job.clone(), progress: None });
}

/// After a cancel: did the upload reach Altinn all the same (its last bytes
/// went out as the user pressed Cancel)? Altinn is asked, and while it still
/// says `UploadStarted` after every byte was handed over, asked again for a
/// while (`late_cancel.rs`); when it cannot be asked, a job whose bytes were
/// all sent cannot be called cancelled, so it fails with the reason and a
/// retry finds out.
async fn delivered_anyway(job: &SendJob, broker: &Broker, settings: &UploadSettings) -> AppResult<bool> {
    let Some(id) = job.file_transfer_id else { return Ok(false) };
    let all_handed = job.size > 0 && job.handed.load(Ordering::Relaxed).max(job.bytes_sent) >= job.size;
    match retrying("overview", settings, || broker.overview(id)).await {
        // Broker may still be taking the last bytes: wait until it says.
        Ok(o) if o.status() == "UploadStarted" && all_handed => {
            Ok(late_cancel::took_the_file_after_all(broker, id).await)
        }
        Ok(o) => Ok(late_cancel::has_the_file(o.status())),
        Err(_) if !all_handed => Ok(false),
        Err(e) => Err(e),
    }
}

fn backoff(attempt: u32, hint: Option<Duration>) -> Duration {
    hint.unwrap_or_else(|| Duration::from_millis(250u64 << attempt.min(7)).min(Duration::from_secs(30)))
}

/// Calls `f` until it succeeds, fails permanently, or runs out of attempts.
async fn retrying<T, F, Fut>(what: &str, settings: &UploadSettings, mut f: F) -> AppResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, CallError>>,
{
    let mut attempt = 0;
    loop {
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) if e.transient && attempt + 1 < settings.max_attempts => {
                let wait = backoff(attempt, e.retry_after);
                tracing::info!(what, attempt, ?wait, error = %e.error, "transient failure; trying again");
                attempt += 1;
                tokio::time::sleep(wait).await;
            }
            Err(e) => return Err(e.error),
        }
    }
}

async fn drive(job: &mut SendJob, broker: &Broker, settings: &UploadSettings, sink: &dyn SendSink) -> AppResult<()> {
    job.error = None;
    if job.md5.is_none() {
        prepare(job, sink).await?;
    }
    // The transfer Broker made for this job: known from an earlier run, or made now.
    let id = match job.file_transfer_id {
        Some(id) => id,
        None => initialize(job, broker, settings, sink).await?,
    };
    // Where is it now? After a restart the upload may be done already.
    let status = retrying("overview", settings, || broker.overview(id)).await?.file_transfer_status.unwrap_or_default();
    match status.as_str() {
        "Initialized" | "UploadStarted" => {
            check_unchanged(job)?;
            job.phase = Phase::Uploading;
            sink.save(job)?;
            match job.method {
                Method::Stream => upload_stream(job, broker, settings, sink, id).await?,
                Method::Tus => upload_tus(job, broker, settings, sink, id).await?,
            }
        }
        "Failed" => return Err(failed_reason(broker, id).await),
        _ => {}
    }
    job.phase = Phase::Processing;
    sink.save(job)?;
    sink.report(SendUpdate { job: job.clone(), progress: None });
    wait_published(broker, settings, id).await?;
    job.receipt = Some(retrying("details", settings, || broker.details(id)).await?);
    Ok(())
}

/// The file's MD5: usually made already, when the file was added on the Send
/// page ([`md5_cache`]); else made now, with progress.
async fn prepare(job: &mut SendJob, sink: &dyn SendSink) -> AppResult<()> {
    job.phase = Phase::Preparing;
    sink.save(job)?;
    let path = job.path.clone();
    let snapshot = job.clone();
    let size = std::fs::metadata(&path).map_err(|e| unreadable(&job.path, e))?.len();
    let sink_report = {
        // Progress from the blocking thread goes through a shared meter.
        let meter = Arc::new(Mutex::new(ProgressMeter::new(size, 0)));
        move |n: u64| meter.locked().advance(n)
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Progress>();
    let hashing = tokio::task::spawn_blocking(move || {
        md5_cache::global().md5(&path, |n| {
            if let Some(p) = sink_report(n) {
                let _ = tx.send(p);
            }
        })
    });
    let mut hashing = std::pin::pin!(hashing);
    let result = loop {
        tokio::select! {
            Some(p) = rx.recv() => sink.report(SendUpdate { job: snapshot.clone(), progress: Some(p) }),
            r = &mut hashing => break r,
        }
    };
    let sum = result.map_err(|e| AppError::internal(e.to_string()))?.map_err(|e| unreadable(&job.path, e))?;
    tracing::debug!(job = %job.id, cached = sum.cached, "checksum ready");
    job.md5 = Some(sum.md5);
    job.size = sum.key.size;
    job.modified_ms = sum.key.modified_ms;
    sink.save(job)
}

/// Whether the file is no longer the one the job's checksum was made of
/// (its size or modification time differ). An unreadable file is not
/// "changed": reading it fails with its own error.
pub fn file_changed(job: &SendJob) -> bool {
    std::fs::metadata(&job.path).is_ok_and(|m| m.len() != job.size || modified_ms(&m) != job.modified_ms)
}

fn check_unchanged(job: &SendJob) -> AppResult<()> {
    let meta = std::fs::metadata(&job.path).map_err(|e| unreadable(&job.path, e))?;
    if meta.len() != job.size || modified_ms(&meta) != job.modified_ms {
        return Err(AppError::new(ErrorCode::FileChanged).with_detail(format!(
            "{}: {} bytes now, {} when its checksum was made",
            job.path.display(),
            meta.len(),
            job.size
        )));
    }
    Ok(())
}

/// Initialize exactly once per transfer: when an earlier initialize may
/// have reached the server (its answer lost, or the app died), look for the
/// transfer it made before sending another. Returns the transfer's id, saved
/// in the job before it is returned.
async fn initialize(
    job: &mut SendJob,
    broker: &Broker,
    settings: &UploadSettings,
    sink: &dyn SendSink,
) -> AppResult<Uuid> {
    let mut property_list = job.properties.clone();
    if let Some(key) = job.transfer_key {
        property_list.insert(KEY_PROPERTY.to_owned(), key.to_string());
    }
    let req = InitializeRequest {
        file_name: job.file_name.clone(),
        resource_id: job.resource_id.clone(),
        senders_file_transfer_reference: job.reference.clone(),
        sender: job.sender.clone(),
        recipients: job.recipients.clone(),
        property_list,
        checksum: job.md5.clone(),
        disable_virus_scan: false,
    };
    let mut attempt = 0;
    loop {
        if job.initialize_sent {
            if let Some(found) = find_lost_initialize(job, broker, settings).await? {
                tracing::info!(job = %job.id, id = %found, "found the transfer an earlier initialize made");
                job.file_transfer_id = Some(found);
                sink.save(job)?;
                return Ok(found);
            }
        }
        job.initialize_sent = true;
        if job.initialize_sent_at.is_none() {
            job.initialize_sent_at = Some(now_rfc3339());
        }
        sink.save(job)?;
        match broker.initialize(&req).await {
            Ok(id) => {
                job.file_transfer_id = Some(id);
                sink.save(job)?;
                return Ok(id);
            }
            Err(e) if e.transient && attempt + 1 < settings.max_attempts => {
                let wait = backoff(attempt, e.retry_after);
                tracing::info!(job = %job.id, attempt, ?wait, error = %e.error, "initialize failed; checking before trying again");
                attempt += 1;
                tokio::time::sleep(wait).await;
            }
            Err(e) => {
                if !e.transient {
                    // The server answered with a refusal: nothing was created.
                    job.initialize_sent = false;
                    job.initialize_sent_at = None;
                }
                return Err(e.error);
            }
        }
    }
}

/// How far before our first initialize the search for it starts: our clock
/// is within 5 s of Altinn's (`altinn/client.rs`), with room to spare.
const LOOKUP_MARGIN: time::Duration = time::Duration::minutes(2);
/// The most pages of 100 the lookup reads before it gives up and initializes anew.
const LOOKUP_PAGES: usize = 5;

/// The transfer an earlier initialize of this job made, if it reached the
/// server. Nothing has been uploaded to it (we never knew its id), so it is
/// `Initialized`, made after our first try: the search asks for just those,
/// oldest first, a page of 100 at a time. A candidate is ours when it
/// carries this job's key, name and checksum; the reference alone proves
/// nothing (the files of one send share it).
async fn find_lost_initialize(job: &SendJob, broker: &Broker, settings: &UploadSettings) -> AppResult<Option<Uuid>> {
    let rfc = &time::format_description::well_known::Rfc3339;
    let since = job
        .initialize_sent_at
        .as_deref()
        .or(Some(job.created.as_str()))
        .and_then(|t| time::OffsetDateTime::parse(t, rfc).ok())
        .unwrap_or(time::OffsetDateTime::now_utc())
        - LOOKUP_MARGIN;
    let mut from = since;
    let mut seen = std::collections::HashSet::new();
    for _ in 0..LOOKUP_PAGES {
        let search = Search {
            resource_id: job.resource_id.clone(),
            role: Some("Sender".into()),
            status: Some("Initialized".into()),
            from: Some(from.format(rfc).unwrap_or_default()),
            order_ascending: Some(true),
            ..Default::default()
        };
        let ids = retrying("search", settings, || broker.search(&search)).await?;
        let mut latest = None;
        for id in ids.iter().filter(|id| seen.insert(**id)) {
            let o = retrying("overview", settings, || broker.overview(*id)).await?;
            if is_ours(job, &o) {
                return Ok(Some(*id));
            }
            latest = o.created.as_deref().and_then(|t| time::OffsetDateTime::parse(t, rfc).ok()).max(latest);
        }
        match latest {
            Some(t) if ids.len() >= 100 && t > from => from = t - time::Duration::microseconds(1),
            _ => return Ok(None),
        }
    }
    tracing::warn!(job = %job.id, "the lost initialize was not found in {LOOKUP_PAGES} pages; initializing anew");
    Ok(None)
}

/// Whether a transfer is the one this job's initialize made.
fn is_ours(job: &SendJob, o: &super::broker::Overview) -> bool {
    let key_matches = match job.transfer_key {
        Some(key) => o.property_list.get(KEY_PROPERTY) == Some(&key.to_string()),
        // A job without a key (no room for it, or stored before keys): the
        // reference with the name and the checksum must do.
        None => o.senders_file_transfer_reference.as_deref() == Some(job.reference.as_str()),
    };
    let checksum_matches = match (&job.md5, &o.checksum) {
        (Some(ours), Some(theirs)) => ours.eq_ignore_ascii_case(theirs),
        (None, None) => true,
        _ => false,
    };
    // Broker learns the size only from the upload, which never happened: 0 until then.
    let size_matches = o.file_transfer_size.is_none_or(|n| n == 0 || n == job.size);
    key_matches && o.file_name.as_deref() == Some(job.file_name.as_str()) && checksum_matches && size_matches
}

fn progress_callback(
    job: &SendJob,
    sink_tx: tokio::sync::mpsc::UnboundedSender<Progress>,
    start: u64,
) -> Arc<dyn Fn(u64) + Send + Sync> {
    let meter = Arc::new(Mutex::new(ProgressMeter::new(job.size, start)));
    let handed = job.handed.clone();
    handed.store(start, Ordering::Relaxed);
    Arc::new(move |n| {
        handed.fetch_add(n, Ordering::Relaxed);
        if let Some(p) = meter.locked().advance(n) {
            let _ = sink_tx.send(p);
        }
    })
}

/// Runs `fut` while forwarding progress reports to the sink.
async fn with_progress<T>(
    job: &SendJob,
    sink: &dyn SendSink,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Progress>,
    fut: impl std::future::Future<Output = T>,
) -> T {
    let mut fut = std::pin::pin!(fut);
    loop {
        tokio::select! {
            Some(p) = rx.recv() => sink.report(SendUpdate { job: job.clone(), progress: Some(p) }),
            r = &mut fut => return r,
        }
    }
}

async fn upload_stream(
    job: &mut SendJob,
    broker: &Broker,
    settings: &UploadSettings,
    sink: &dyn SendSink,
    id: Uuid,
) -> AppResult<()> {
    let mut attempt = 0;
    loop {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let cb = progress_callback(job, tx, 0);
        let r = with_progress(job, sink, rx, broker.upload_stream(id, &job.path, job.size, cb)).await;
        match r {
            Ok(()) => {
                job.bytes_sent = job.size;
                return Ok(());
            }
            Err(e) if e.transient && attempt + 1 < settings.max_attempts => {
                // A broken streamed upload may be retried while the transfer is
                // still UploadStarted (`docs/ALTINN.md#streamed-upload`); otherwise it is over.
                let status = retrying("overview", settings, || broker.overview(id)).await?;
                match status.status() {
                    "Initialized" | "UploadStarted" => {}
                    "Failed" => return Err(failed_reason(broker, id).await),
                    _ => return Ok(()),
                }
                let wait = backoff(attempt, e.retry_after);
                attempt += 1;
                tracing::info!(job = %job.id, attempt, ?wait, error = %e.error, "upload broken; sending again");
                tokio::time::sleep(wait).await;
            }
            Err(e) => return Err(e.error),
        }
    }
}

/// TUS from the server's offset (`docs/ALTINN.md#tus`). After any failure the
/// server is asked where it is (HEAD) and the upload goes on from there: a
/// broken chunk is kept whole or not at all, so that may be where it started.
/// Only progress, the server's offset passing the best it has confirmed,
/// resets the count of attempts: a server or network that never lets the
/// upload move on ends the job after `max_attempts` tries.
async fn upload_tus(
    job: &mut SendJob,
    broker: &Broker,
    settings: &UploadSettings,
    sink: &dyn SendSink,
    id: Uuid,
) -> AppResult<()> {
    if job.parts.is_some() {
        return upload_parts(job, broker, settings, sink, id).await;
    }
    let chunk = settings.chunk_for(job.size);
    let mut tries = NoProgress::new(settings.max_attempts);
    let mut offset = match position(broker, id, job.size, &mut tries).await? {
        Position::At(o) => o,
        Position::Over => return upload_over(broker, settings, id).await,
    };
    let mut best = offset;
    while offset < job.size {
        job.bytes_sent = offset;
        sink.save(job)?;
        let len = chunk.min(job.size - offset);
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let cb = progress_callback(job, tx, offset);
        let failed = match with_progress(job, sink, rx, broker.tus_patch(id, &job.path, offset, len, cb)).await {
            Ok(new_offset) if new_offset > best => {
                best = new_offset;
                offset = new_offset;
                tries.progress();
                continue;
            }
            // 204 without progress (an empty body after a token refresh).
            Ok(new_offset) => {
                tracing::info!(job = %job.id, offset, new_offset, "TUS chunk answered without progress");
                tries.failed(None, Pause::Backoff).await?;
                offset = new_offset;
                continue;
            }
            Err(e) => e,
        };
        let hint = match &failed {
            TusError::Over(_) => return upload_over(broker, settings, id).await,
            TusError::Call(e) if !e.transient => return Err(e.error.clone()),
            TusError::Conflict { server_offset, .. } => *server_offset,
            _ => None,
        };
        tracing::info!(job = %job.id, offset, error = %failed.call().error, "TUS chunk failed; resuming from the server's offset");
        tries.failed(Some(failed.call()), pause_for(&failed)).await?;
        offset = match position(broker, id, job.size, &mut tries).await? {
            // HEAD may lag behind the offset a 409 names (blocks still being
            // stored); neither ever runs ahead of what the server accepted.
            Position::At(o) => o.max(hint.unwrap_or(0)).min(job.size),
            Position::Over => return upload_over(broker, settings, id).await,
        };
        if offset > best {
            best = offset;
            tries.progress();
        }
    }
    job.bytes_sent = job.size;
    Ok(())
}

/// A large file in parallel parts (`transfers/tus_parts.rs`); the parts are
/// shared with every clone of the job, so each save holds the latest.
async fn upload_parts(
    job: &mut SendJob,
    broker: &Broker,
    settings: &UploadSettings,
    sink: &dyn SendSink,
    id: Uuid,
) -> AppResult<()> {
    let parts = job.parts.clone().unwrap_or_default();
    let snapshot = job.clone();
    let save = |sent: u64| sink.save(&SendJob { bytes_sent: sent, ..snapshot.clone() });
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let cb = progress_callback(job, tx, parts.sent());
    let target = Target { broker, settings, id, path: &job.path, size: job.size };
    let outcome = with_progress(job, sink, rx, tus_parts::upload(target, &parts, &save, cb)).await;
    job.bytes_sent = parts.sent();
    match outcome? {
        Outcome::Done => Ok(()),
        Outcome::Over => upload_over(broker, settings, id).await,
    }
}

/// The server says the upload is over: the overview tells whether the file got there.
async fn upload_over(broker: &Broker, settings: &UploadSettings, id: Uuid) -> AppResult<()> {
    let o = retrying("overview", settings, || broker.overview(id)).await?;
    match o.status() {
        "Failed" => Err(failure_from_text(o.file_transfer_status_text.as_deref().unwrap_or(""))),
        "Initialized" | "UploadStarted" => Err(AppError::new(ErrorCode::BrokerAlreadyUploaded)
            .with_detail(format!("TUS refused the upload while the transfer is {}", o.status()))),
        _ => Ok(()),
    }
}

/// The error for a transfer Broker marked `Failed`, from its status text.
async fn failed_reason(broker: &Broker, id: Uuid) -> AppError {
    let text = broker.overview(id).await.ok().and_then(|o| o.file_transfer_status_text).unwrap_or_default();
    failure_from_text(&text)
}

pub fn failure_from_text(text: &str) -> AppError {
    let lower = text.to_lowercase();
    let code = if lower.contains("checksum") {
        ErrorCode::BrokerChecksumMismatch
    } else if lower.contains("malware") || lower.contains("virus") {
        ErrorCode::MalwareFound
    } else {
        ErrorCode::TransferFailed
    };
    AppError::new(code).with_detail(text.to_owned())
}

/// Polls the overview until Published (or beyond) or Failed, on the
/// schedule of [`poll_delay`].
async fn wait_published(broker: &Broker, settings: &UploadSettings, id: Uuid) -> AppResult<()> {
    let start = tokio::time::Instant::now();
    loop {
        let o = retrying("overview", settings, || broker.overview(id)).await?;
        match o.status() {
            "Published" | "AllConfirmedDownloaded" | "Purged" => return Ok(()),
            "Failed" => return Err(failure_from_text(o.file_transfer_status_text.as_deref().unwrap_or(""))),
            _ => {}
        }
        tokio::time::sleep(poll_delay(start.elapsed())).await;
    }
}

/// The wait before the next look at a processing transfer, `elapsed` after
/// the first: an eighth of the time waited so far, at least 50 ms and at
/// most 5 s. Tight at first, because a small file (and any file in the
/// sandbox) is published within a second of its last byte and the user is
/// watching, so Published shows at most an eighth later than it happened;
/// gentle later, because a virus scan of a large file takes minutes. The
/// first minute costs about 50 overview calls, so two jobs processing at
/// once stay under Broker's 120 a minute (`docs/ALTINN.md#rate-limits`).
pub fn poll_delay(elapsed: Duration) -> Duration {
    (elapsed / 8).clamp(Duration::from_millis(50), Duration::from_secs(5))
}

#[cfg(test)]
#[path = "send_tests.rs"]
mod tests;
