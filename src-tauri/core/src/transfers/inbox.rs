//! The inbox: finds files Altinn holds for this organisation (a desktop has
//! no public webhook endpoint, so it polls within Broker's rate limits),
//! downloads them safely and confirms a download only after the file is
//! saved, checked and on disk.

use super::broker::{Broker, CallError, Overview, Search};
use super::download::{download_verified, DownloadSpec};
use crate::environment::Environment;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::store::{Store, Table};
use crate::sync::Locked;
use futures_util::{stream, StreamExt};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use ts_rs::TS;
use uuid::Uuid;

/// How many overviews are fetched at once.
pub const OVERVIEW_CONCURRENCY: usize = 16;
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
}

/// Told `(file, bytes done, bytes in all)` while a file downloads.
pub type DownloadProgress = Arc<dyn Fn(Uuid, u64, u64) + Send + Sync>;

pub struct Inbox {
    store: Store,
    environment: Environment,
    me: String,
    progress: Option<DownloadProgress>,
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

impl Inbox {
    /// `org` is this organisation's number; `environment` tags what is stored.
    pub fn new(store: Store, environment: Environment, org: &str) -> Self {
        Inbox { store, environment, me: format!("0192:{}", org.trim_start_matches("0192:")), progress: None }
    }

    /// Reports download progress (throttled to ten times a second per file).
    pub fn with_progress(mut self, progress: DownloadProgress) -> Self {
        self.progress = Some(progress);
        self
    }

    pub fn list(&self) -> AppResult<Vec<IncomingFile>> {
        Ok(self
            .store
            .list::<IncomingFile>(Table::Incoming)?
            .into_iter()
            .filter(|f| f.environment == self.environment)
            .collect())
    }

    pub fn get(&self, id: Uuid) -> AppResult<IncomingFile> {
        self.store
            .get(Table::Incoming, &id.to_string())?
            .ok_or_else(|| AppError::new(ErrorCode::NotFound).with_detail(format!("no received file {id}")))
    }

    fn save(&self, f: &IncomingFile) -> AppResult<()> {
        self.store.put(Table::Incoming, &f.id.to_string(), f.phase == InboxPhase::Confirmed, f)
    }

    /// Looks for published files addressed to us on `resources`, fetches the
    /// overviews of those not already handled (a bounded number at a time),
    /// and stores them. With `auto_save`, downloads and confirms them too.
    pub async fn refresh(
        &self,
        broker: &Broker,
        resources: &[String],
        auto_save: Option<&Path>,
    ) -> Result<RefreshReport, CallError> {
        let mut ids = Vec::new();
        for r in resources {
            let q = Search {
                resource_id: r.clone(),
                status: Some("Published".into()),
                role: Some("Recipient".into()),
                ..Default::default()
            };
            ids.extend(broker.search(&q).await?);
        }
        let known: BTreeMap<Uuid, InboxPhase> =
            self.list().map_err(CallError::from)?.into_iter().map(|f| (f.id, f.phase)).collect();
        let todo: Vec<Uuid> =
            ids.into_iter().filter(|id| !matches!(known.get(id), Some(InboxPhase::Confirmed))).collect();
        let overviews: Vec<(Uuid, Result<Overview, CallError>)> = stream::iter(todo)
            .map(|id| async move { (id, broker.overview(id).await) })
            .buffer_unordered(OVERVIEW_CONCURRENCY)
            .collect()
            .await;
        let mut report = RefreshReport::default();
        for (id, o) in overviews {
            let o = match o {
                Ok(o) => o,
                Err(e) if e.transient => return Err(e),
                Err(e) => {
                    report.failed.push((id, e.error));
                    continue;
                }
            };
            let mine = o.recipients.iter().find(|r| r.recipient == self.me);
            let confirmed = mine.and_then(|r| r.current_recipient_file_transfer_status_code.as_deref())
                == Some("DownloadConfirmed");
            let mut file =
                match self.store.get::<IncomingFile>(Table::Incoming, &id.to_string()).map_err(CallError::from)? {
                    Some(mut f) => {
                        f.overview = o;
                        f
                    }
                    None => {
                        report.new.push(id);
                        IncomingFile {
                            id,
                            environment: self.environment,
                            overview: o,
                            phase: InboxPhase::New,
                            saved_path: None,
                            error: None,
                            first_seen: now_rfc3339(),
                        }
                    }
                };
            if confirmed {
                // Confirmed elsewhere (another installation, or before a crash).
                if file.phase != InboxPhase::Saved {
                    file.phase = InboxPhase::Confirmed;
                }
            }
            self.save(&file).map_err(CallError::from)?;
        }
        let now = time::OffsetDateTime::now_utc();
        let all = self.list().map_err(CallError::from)?;
        report.expiring_soon = all.iter().filter(|f| f.expires_soon(now)).count();
        if let Some(dir) = auto_save {
            for f in
                all.iter().filter(|f| matches!(f.phase, InboxPhase::New | InboxPhase::Saved | InboxPhase::Downloading))
            {
                match self.save_and_confirm(broker, f.id, dir, true).await {
                    Ok(_) => report.auto_saved.push(f.id),
                    Err(e) if e.transient => return Err(e),
                    Err(e) => report.failed.push((f.id, e.error)),
                }
            }
        }
        Ok(report)
    }

    /// Downloads a file into `dir` (unless it is already saved), verifies it,
    /// and, when `confirm` is set, confirms the download, which Altinn takes
    /// as "received": it is sent only after the file is safely on disk.
    pub async fn save_and_confirm(
        &self,
        broker: &Broker,
        id: Uuid,
        dir: &Path,
        confirm: bool,
    ) -> Result<IncomingFile, CallError> {
        let mut file = self.get(id).map_err(CallError::from)?;
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
        Ok(file)
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
