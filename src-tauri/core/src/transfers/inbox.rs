//! The inbox: finds files Altinn holds for this organisation (a desktop has
//! no public webhook endpoint, so it polls within Broker's rate limits; how it
//! looks is `inbox_scan.rs`), downloads them safely and confirms a download
//! only after the file is saved, checked and on disk.
//!
//! Each received file has one owner at a time, whichever copy of the engine
//! over this data folder asks (the poller's auto-save, the Download button, a
//! second copy of the app): the store's `download-<id>` lock is held from the
//! first byte to the confirmation.

use super::broker::{Broker, CallError, Overview};
use super::download::{download_verified, DownloadSpec};
use super::inbox_scan::{self, Limits};
use crate::environment::Environment;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::store::{Store, Table};
use crate::sync::Locked;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use ts_rs::TS;
use uuid::Uuid;

/// How many overviews are fetched at once.
pub const OVERVIEW_CONCURRENCY: usize = inbox_scan::OVERVIEW_CONCURRENCY;
/// A file this close to its expiry gets a warning.
pub const EXPIRY_WARNING: time::Duration = time::Duration::days(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum InboxPhase {
    /// Waiting for the user (or the auto-save) to download it.
    New,
    Downloading,
    /// Saved and verified, not yet confirmed to Altinn.
    Saved,
    /// Saved and confirmed: done.
    Confirmed,
    Failed,
}

/// One received file. `overview` is Altinn's data, kept unaltered.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IncomingFile {
    pub id: Uuid,
    /// Stored as its lowercase name (`sandbox`, `tt02`, `production`), as it always was.
    pub environment: Environment,
    pub overview: Overview,
    pub phase: InboxPhase,
    pub saved_path: Option<PathBuf>,
    pub error: Option<AppError>,
    /// When this computer first saw it (RFC 3339).
    pub first_seen: String,
    /// The organisation (nine digits) it was received for: one installation
    /// can receive for several, and the same transfer can be addressed to
    /// more than one of them (each then has its own record, downloads and
    /// confirms it for itself). Empty in records from before several
    /// organisations; those belong to the recipients of their overview.
    /// Not in the UI's wire types (yet): a list is one organisation's, which
    /// the UI knows.
    #[serde(default)]
    #[ts(skip)]
    pub org: String,
}

impl IncomingFile {
    /// True when it expires within [`EXPIRY_WARNING`] and is not yet saved.
    pub fn expires_soon(&self, now: time::OffsetDateTime) -> bool {
        if matches!(self.phase, InboxPhase::Saved | InboxPhase::Confirmed) {
            return false;
        }
        self.overview
            .expiration_time
            .as_deref()
            .and_then(|t| time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok())
            .is_some_and(|exp| exp - now < EXPIRY_WARNING)
    }
}

/// The result of one look for new files.
#[derive(Debug, Clone, Default, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RefreshReport {
    /// Files seen for the first time.
    pub new: Vec<Uuid>,
    /// Files saved (and confirmed) by the auto-save during this refresh.
    pub auto_saved: Vec<Uuid>,
    pub failed: Vec<(Uuid, AppError)>,
    pub expiring_soon: usize,
    /// The look stopped at its share of the rate limits; the next one goes on.
    #[serde(skip)]
    #[ts(skip)]
    pub more: bool,
}

/// Told `(file, bytes done, bytes in all)` while a file downloads.
pub type DownloadProgress = Arc<dyn Fn(Uuid, u64, u64) + Send + Sync>;

pub struct Inbox {
    store: Store,
    environment: Environment,
    me: String,
    progress: Option<DownloadProgress>,
    limits: Limits,
}

/// Whether a save waits for another owner of the same file to finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    /// Wait for it (a user's Download: they get the result either way).
    Wait,
    /// Leave the file to it (the auto-save: the owner is already saving it).
    Skip,
}

fn owner_lock(id: Uuid) -> String {
    format!("download-{id}")
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

impl Inbox {
    /// `org` is this organisation's number; `environment` tags what is stored.
    pub fn new(store: Store, environment: Environment, org: &str) -> Self {
        Inbox {
            store,
            environment,
            me: format!("0192:{}", org.trim_start_matches("0192:")),
            progress: None,
            limits: Limits::for_interval(60),
        }
    }

    /// What one look may spend of the rate limits (by default a 60 s poll's share).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Reports download progress (throttled to ten times a second per file).
    pub fn with_progress(mut self, progress: DownloadProgress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// This organisation's nine digits.
    fn org(&self) -> &str {
        self.me.trim_start_matches("0192:")
    }

    /// Whether a stored record is this organisation's: its own, or one from
    /// before several organisations (then one per environment) addressed to
    /// it, or naming no recipients.
    fn mine(&self, f: &IncomingFile) -> bool {
        let legacy =
            || f.overview.recipients.is_empty() || f.overview.recipients.iter().any(|r| r.recipient == self.me);
        f.environment == self.environment && (f.org == self.org() || f.org.is_empty() && legacy())
    }

    /// The store key: one record per organisation and transfer.
    fn key(&self, id: Uuid) -> String {
        format!("{}/{id}", self.org())
    }

    /// This organisation's received files, unfinished first, newest first.
    pub fn list(&self) -> AppResult<Vec<IncomingFile>> {
        self.newest(None)
    }

    /// The first `limit` of [`Inbox::list`] (all without one): a list's first page.
    pub fn newest(&self, limit: Option<usize>) -> AppResult<Vec<IncomingFile>> {
        self.store.newest(Table::Incoming, limit, |f: &IncomingFile| self.mine(f))
    }

    /// This organisation's record of transfer `id` (an old one, keyed by the
    /// id alone, until its next save moves it to this organisation's key).
    fn find(&self, id: Uuid) -> AppResult<Option<IncomingFile>> {
        if let Some(f) = self.store.get::<IncomingFile>(Table::Incoming, &self.key(id))? {
            return Ok(Some(f));
        }
        Ok(self.store.get::<IncomingFile>(Table::Incoming, &id.to_string())?.filter(|f| self.mine(f)))
    }

    pub fn get(&self, id: Uuid) -> AppResult<IncomingFile> {
        self.find(id)?.ok_or_else(|| AppError::new(ErrorCode::NotFound).with_detail(format!("no received file {id}")))
    }

    fn save(&self, f: &IncomingFile) -> AppResult<()> {
        let mut f = f.clone();
        f.org = self.org().to_owned();
        self.store.put(Table::Incoming, &self.key(f.id), f.phase == InboxPhase::Confirmed, &f)?;
        // The record from before several organisations, now under this organisation's key.
        self.store.delete(Table::Incoming, &f.id.to_string())
    }

    /// Looks for published files addressed to us on `resources` that are still
    /// ours to fetch, fetches the overviews of those not known yet, and stores
    /// them. With `auto_save`, downloads and confirms what is not done.
    pub async fn refresh(
        &self,
        broker: &Broker,
        resources: &[String],
        auto_save: Option<&Path>,
    ) -> Result<RefreshReport, CallError> {
        self.recover_interrupted().map_err(CallError::from)?;
        let mut report = RefreshReport::default();
        let key = format!("inbox/{}/{}", self.environment.as_str(), self.me);
        let known = |id: Uuid| -> Option<Option<String>> {
            let f = self.find(id).ok()??;
            Some(f.overview.published)
        };
        let mut new = Vec::new();
        let mut store_new = |o: Overview| -> Result<(), CallError> {
            let id = o.file_transfer_id;
            let mine = o.recipients.iter().find(|r| r.recipient == self.me);
            let confirmed = mine.and_then(|r| r.current_recipient_file_transfer_status_code.as_deref())
                == Some("DownloadConfirmed");
            let file = IncomingFile {
                id,
                environment: self.environment,
                overview: o,
                // Confirmed elsewhere (another installation) since the search.
                phase: if confirmed { InboxPhase::Confirmed } else { InboxPhase::New },
                saved_path: None,
                error: None,
                first_seen: now_rfc3339(),
                org: self.org().to_owned(),
            };
            self.save(&file).map_err(CallError::from)?;
            new.push(id);
            Ok(())
        };
        let scanned =
            inbox_scan::scan(broker, &self.store, &key, resources, self.limits, &known, &mut store_new).await?;
        report.new = new;
        report.failed = scanned.failed;
        report.more = scanned.more;
        let now = time::OffsetDateTime::now_utc();
        let all = self.list().map_err(CallError::from)?;
        report.expiring_soon = all.iter().filter(|f| f.expires_soon(now)).count();
        if let Some(dir) = auto_save {
            for f in
                all.iter().filter(|f| matches!(f.phase, InboxPhase::New | InboxPhase::Saved | InboxPhase::Downloading))
            {
                match self.save_as(broker, f.id, dir, true, Owner::Skip).await {
                    Ok(Some(_)) => report.auto_saved.push(f.id),
                    Ok(None) => {}
                    Err(e) if e.transient => return Err(e),
                    Err(e) => report.failed.push((f.id, e.error)),
                }
            }
        }
        Ok(report)
    }

    /// A file left `Downloading` by a copy of the engine that stopped (quit,
    /// crashed) goes back to `New`: its part-file stays, so saving it again
    /// resumes. One still being saved (its owner holds the lock) is left alone.
    pub fn recover_interrupted(&self) -> AppResult<usize> {
        let mut n = 0;
        for mut f in self.list()?.into_iter().filter(|f| f.phase == InboxPhase::Downloading) {
            let Some(_owner) = self.store.try_lock(&owner_lock(f.id))? else { continue };
            // Read again under the lock: the owner may have finished just now.
            if let Some(now) = self.find(f.id)? {
                f = now;
            }
            if f.phase == InboxPhase::Downloading {
                f.phase = InboxPhase::New;
                self.save(&f)?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Downloads a file into `dir` (unless it is already saved), verifies it,
    /// and, when `confirm` is set, confirms the download, which Altinn takes
    /// as "received": it is sent only after the file is safely on disk.
    /// When another copy of the engine is saving the same file, this waits
    /// for it and then goes on from where it left the file (usually: done).
    pub async fn save_and_confirm(
        &self,
        broker: &Broker,
        id: Uuid,
        dir: &Path,
        confirm: bool,
    ) -> Result<IncomingFile, CallError> {
        let saved = self.save_as(broker, id, dir, confirm, Owner::Wait).await?;
        saved.ok_or_else(|| CallError::permanent(AppError::internal("a waiting save came back without the file")))
    }

    /// [`save_and_confirm`](Self::save_and_confirm) as the file's one owner;
    /// `None` when it had another owner and `owner` says to leave it.
    async fn save_as(
        &self,
        broker: &Broker,
        id: Uuid,
        dir: &Path,
        confirm: bool,
        owner: Owner,
    ) -> Result<Option<IncomingFile>, CallError> {
        let _owner = match owner {
            Owner::Wait => self.store.lock(&owner_lock(id)).await.map_err(CallError::from)?,
            Owner::Skip => match self.store.try_lock(&owner_lock(id)).map_err(CallError::from)? {
                Some(l) => l,
                None => return Ok(None),
            },
        };
        // Read under the lock: another owner may have saved or confirmed it meanwhile.
        let mut file = self.get(id).map_err(CallError::from)?;
        if file.phase == InboxPhase::Confirmed && owner == Owner::Skip {
            return Ok(None);
        }
        let saved_ok = file.saved_path.as_ref().is_some_and(|p| p.is_file());
        if !saved_ok {
            let expected = file.overview.checksum.clone().filter(|c| !c.is_empty()).ok_or_else(|| {
                CallError::permanent(
                    AppError::new(ErrorCode::MalformedResponse).with_detail("Altinn gave no checksum for the file"),
                )
            })?;
            file.phase = InboxPhase::Downloading;
            file.error = None;
            self.save(&file).map_err(CallError::from)?;
            let name = file.overview.file_name.clone().unwrap_or_default();
            let spec = DownloadSpec {
                id,
                file_name: &name,
                dir,
                expected_md5: &expected,
                expected_size: file.overview.file_transfer_size.filter(|s| *s > 0),
                max_resumes: 5,
            };
            let on_progress: Arc<dyn Fn(u64, u64) + Send + Sync> = match self.progress.clone() {
                Some(report) => {
                    let meter =
                        std::sync::Mutex::new(super::progress::ProgressMeter::new(spec.expected_size.unwrap_or(0), 0));
                    let last = std::sync::Mutex::new(0u64);
                    Arc::new(move |done, total| {
                        let mut prev = last.locked();
                        let step = done.saturating_sub(*prev);
                        *prev = done;
                        if meter.locked().advance(step).is_some() {
                            report(id, done, total);
                        }
                    })
                }
                None => Arc::new(|_, _| {}),
            };
            match download_verified(broker, &spec, on_progress).await {
                Ok(saved) => {
                    file.saved_path = Some(saved.path);
                    file.phase = InboxPhase::Saved;
                    self.save(&file).map_err(CallError::from)?;
                }
                // A broken connection, a refused key or a full disk is not this file's
                // fault: it goes back to New (its part-file stays) and the next look
                // (auto-save) tries it again once the problem is gone. Found by the
                // simulation (seed 5): after a new API key, files a download had
                // started with the old one stayed Failed for good.
                Err(e) if e.transient || e.error.code.is_about_the_connection() => {
                    file.phase = InboxPhase::New;
                    let _ = self.save(&file);
                    return Err(e);
                }
                Err(e) => {
                    file.phase = InboxPhase::Failed;
                    file.error = Some(e.error.clone());
                    let _ = self.save(&file);
                    return Err(e);
                }
            }
        }
        if confirm && file.phase != InboxPhase::Confirmed {
            self.confirm(broker, &mut file).await?;
        }
        Ok(Some(file))
    }

    async fn confirm(&self, broker: &Broker, file: &mut IncomingFile) -> Result<(), CallError> {
        match broker.confirm(file.id).await {
            Ok(()) => {}
            // Already all confirmed (by us, before a crash): BRO-00010 after AllConfirmedDownloaded.
            Err(e) if e.error.code == ErrorCode::BrokerNotPublished => {
                let o = broker.overview(file.id).await?;
                let mine = o.recipients.iter().find(|r| r.recipient == self.me);
                if mine.and_then(|r| r.current_recipient_file_transfer_status_code.as_deref())
                    != Some("DownloadConfirmed")
                {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
        file.phase = InboxPhase::Confirmed;
        self.save(file).map_err(CallError::from)
    }

    /// Polls until `stop` resolves, every `interval` (stretched by Altinn's
    /// Retry-After and by backoff on trouble); `on_report` gets each result.
    pub async fn poll(
        &self,
        broker: &Broker,
        resources: &[String],
        auto_save: Option<&Path>,
        interval: Duration,
        on_report: impl Fn(Result<RefreshReport, AppError>),
        stop: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(stop);
        let mut wait = Duration::ZERO;
        loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(wait) => {}
            }
            match self.refresh(broker, resources, auto_save).await {
                Ok(r) => {
                    wait = interval;
                    on_report(Ok(r));
                }
                Err(e) => {
                    wait = e.retry_after.unwrap_or(interval * 2).max(interval);
                    tracing::warn!(error = %e.error, ?wait, "inbox refresh failed");
                    on_report(Err(e.error));
                }
            }
        }
    }
}
