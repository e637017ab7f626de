//! A Broker file transfer: its statuses, the recipients' statuses, the
//! append-only histories and the TUS upload in progress.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub enum FtStatus {
    Initialized = 0,
    UploadStarted = 1,
    UploadProcessing = 2,
    Published = 3,
    Cancelled = 4,
    AllConfirmedDownloaded = 5,
    Purged = 6,
    Failed = 7,
}

impl FtStatus {
    pub fn default_text(self) -> &'static str {
        match self {
            FtStatus::Initialized => "Ready for upload",
            FtStatus::UploadStarted => "Upload started",
            FtStatus::UploadProcessing => "Processing upload",
            FtStatus::Published => "Ready for download",
            FtStatus::Cancelled => "FileTransfer cancelled",
            FtStatus::AllConfirmedDownloaded => "All downloaded",
            FtStatus::Purged => "FileTransfer has been purged",
            FtStatus::Failed => "Upload failed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        let all = [
            FtStatus::Initialized,
            FtStatus::UploadStarted,
            FtStatus::UploadProcessing,
            FtStatus::Published,
            FtStatus::Cancelled,
            FtStatus::AllConfirmedDownloaded,
            FtStatus::Purged,
            FtStatus::Failed,
        ];
        if let Ok(n) = s.parse::<usize>() {
            return all.get(n).copied();
        }
        all.into_iter().find(|x| format!("{x:?}").eq_ignore_ascii_case(s))
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub enum ActorStatus {
    Initialized = 0,
    DownloadStarted = 1,
    DownloadConfirmed = 2,
}

impl ActorStatus {
    pub fn text(self) -> &'static str {
        match self {
            ActorStatus::Initialized => "Initialized",
            ActorStatus::DownloadStarted => "Recipient has attempted to download fileTransfer",
            ActorStatus::DownloadConfirmed => "Recipient has downloaded fileTransfer",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [ActorStatus::Initialized, ActorStatus::DownloadStarted, ActorStatus::DownloadConfirmed]
            .into_iter()
            .enumerate()
            .find(|(i, x)| format!("{x:?}").eq_ignore_ascii_case(s) || i.to_string() == s)
            .map(|(_, x)| x)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusEvent {
    pub status: FtStatus,
    pub text: Option<String>,
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActorEvent {
    pub recipient: String,
    pub status: ActorStatus,
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct TusUpload {
    pub length: u64,
    /// The accepted offset: only whole PATCH bodies count (BrokerTusStore
    /// buffers a chunk before it accepts it).
    pub offset: u64,
    /// Partial uploads of a concatenation: id → (length, offset)
    pub partials: BTreeMap<String, (u64, u64)>,
    /// Partial ids of a final concatenation, in order (empty for a single upload).
    #[serde(default)]
    pub final_parts: Vec<String>,
    /// `Upload-Metadata` as sent at creation, per upload ("" = the transfer's own, else the partial id).
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Sliding expiration per upload (same keys): 24 h after the last create or PATCH.
    #[serde(default)]
    pub expires: BTreeMap<String, OffsetDateTime>,
    /// Accepted chunks per upload (same keys): Azure allows 50,000 blocks per blob.
    #[serde(default)]
    pub blocks: BTreeMap<String, u64>,
    /// The transfer's own upload was created (it may be empty).
    #[serde(default)]
    pub main: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileTransfer {
    pub id: Uuid,
    pub resource_id: String,
    pub file_name: String,
    pub senders_reference: String,
    pub sender: String,
    pub recipients: Vec<String>,
    pub property_list: BTreeMap<String, String>,
    /// Checksum given at initialize (None or "" when not given).
    pub user_checksum: Option<String>,
    pub computed_checksum: Option<String>,
    pub use_virus_scan: bool,
    pub size: u64,
    pub created: OffsetDateTime,
    pub expiration: OffsetDateTime,
    pub history: Vec<StatusEvent>,
    pub recipient_history: Vec<ActorEvent>,
    pub has_file: bool,
    pub tus: Option<TusUpload>,
    /// Background processing (checksum, scan, publish) still to run.
    pub processing_pending: bool,
    /// When the after-confirm purge is due.
    pub purge_at: Option<OffsetDateTime>,
    /// Last ranged-download DownloadStarted per recipient (5-minute debounce).
    #[serde(default)]
    pub last_range_download: BTreeMap<String, OffsetDateTime>,
    /// Last TUS create/PATCH (for the stuck-transfer job).
    #[serde(default)]
    pub last_tus_activity: Option<OffsetDateTime>,
    /// TUS upload sessions (`tus-upload-auth:{id}:{subject}:{org}` in Redis): key
    /// `{subject}:{org}` → when it lapses. Lets a caller go on with an expired
    /// token and makes HEAD answer 409 once the upload is over.
    #[serde(default)]
    pub tus_sessions: BTreeMap<String, OffsetDateTime>,
    /// `file_location` is set: the upload reached storage (kept after a purge).
    #[serde(default)]
    pub file_location: bool,
}

impl FileTransfer {
    pub fn current(&self) -> &StatusEvent {
        // Latest timestamp; ties go to the higher status number.
        self.history
            .iter()
            .max_by(|a, b| a.at.cmp(&b.at).then(a.status.cmp(&b.status)))
            .expect("history is never empty")
    }
    pub fn status(&self) -> FtStatus {
        self.current().status
    }
    pub fn set_status(&mut self, status: FtStatus, text: Option<String>, now: OffsetDateTime) {
        // Keep timestamps strictly increasing so "latest" is well defined.
        let last = self.history.iter().map(|e| e.at).max().unwrap_or(now);
        let at = if now <= last { last + time::Duration::microseconds(1) } else { now };
        self.history.push(StatusEvent { status, text, at });
    }
    pub fn add_actor(&mut self, recipient: &str, status: ActorStatus, now: OffsetDateTime) {
        let last = self.recipient_history.iter().map(|e| e.at).max().unwrap_or(now);
        let at = if now <= last { last + time::Duration::microseconds(1) } else { now };
        self.recipient_history.push(ActorEvent { recipient: recipient.to_string(), status, at });
    }
    /// Highest status reached with the latest timestamp (overview semantics).
    pub fn recipient_overview(&self, r: &str) -> (ActorStatus, OffsetDateTime) {
        let evs: Vec<_> = self.recipient_history.iter().filter(|e| e.recipient == r).collect();
        let st = evs.iter().map(|e| e.status).max().unwrap_or(ActorStatus::Initialized);
        let at = evs.iter().map(|e| e.at).max().unwrap_or(self.created);
        (st, at)
    }
    /// Latest status by timestamp (search `recipientStatus` semantics).
    pub fn recipient_latest(&self, r: &str) -> Option<ActorStatus> {
        self.recipient_history.iter().filter(|e| e.recipient == r).max_by_key(|e| e.at).map(|e| e.status)
    }
    pub fn checksum_out(&self) -> Option<String> {
        match (&self.user_checksum, &self.computed_checksum) {
            (Some(u), _) if !u.trim().is_empty() => Some(u.clone()),
            (_, Some(c)) => Some(c.clone()),
            (Some(u), None) => Some(u.clone()),
            (None, None) => None,
        }
    }
    pub fn user_checksum_given(&self) -> bool {
        self.user_checksum.as_deref().map(|s| !s.trim().is_empty()).unwrap_or(false)
    }
}
