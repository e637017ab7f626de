//! One TUS upload as the store keeps it: which upload a request is about,
//! its lock, its length and offset, and its sliding expiration. Shared by
//! `tus.rs` (the pipeline) and `tus_write.rs` (PATCH).

use budbringer_core::sync::Locked;

use uuid::Uuid;

use super::access::P;
use super::tus_protocol::{http_date, normalize_partial, UPLOAD_EXPIRATION};
use crate::app::App;
use crate::model::{FileTransfer, TusUpload};

/// One upload a request is about: the transfer and, for a partial, its id.
pub(super) struct Upload {
    pub app: App,
    pub id: Uuid,
    pub pid: Option<String>,
}

impl Upload {
    /// The key of this upload in TusUpload's per-upload maps ("" = the transfer's own).
    pub fn key(&self) -> String {
        self.pid.clone().unwrap_or_default()
    }
    /// The tusdotnet file id the lock is taken on.
    pub fn lock_key(&self) -> String {
        self.pid.clone().unwrap_or_else(|| self.id.to_string())
    }
    pub fn location(&self) -> String {
        location(self.id, self.pid.as_deref())
    }
}

pub(super) fn location(id: Uuid, pid: Option<&str>) -> String {
    match pid {
        Some(p) => format!("{P}/filetransfer/upload/tus/{id}/partial/{p}"),
        None => format!("{P}/filetransfer/upload/tus/{id}"),
    }
}

/// tusdotnet's InMemoryFileLock: one HEAD, PATCH or DELETE at a time per file id.
pub(super) struct TusLock {
    app: App,
    key: String,
}

impl TusLock {
    /// None when another request holds it (→ 423).
    pub fn take(up: &Upload) -> Option<TusLock> {
        let key = up.lock_key();
        up.app.tus_locks.locked().insert(key.clone()).then(|| TusLock { app: up.app.clone(), key })
    }

    /// Keeps the lock for `ms` more, as a server that has not yet noticed a
    /// cut connection keeps reading (tusdotnet's ClientReadTimeout is 60 s).
    pub fn linger(self, ms: u64) {
        if ms == 0 || tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            drop(self);
        });
    }
}

impl Drop for TusLock {
    fn drop(&mut self) {
        self.app.tus_locks.locked().remove(&self.key);
    }
}

/// (length, offset) of an upload, when it exists.
pub(super) fn upload_state(ft: &FileTransfer, pid: Option<&str>) -> Option<(u64, u64)> {
    let t = ft.tus.as_ref()?;
    match pid {
        Some(p) => t.partials.get(normalize_partial(p)).copied(),
        None if !t.main && t.length == 0 && t.final_parts.is_empty() => None,
        None => Some((t.length, t.offset)),
    }
}

/// FileHasNotExpired: the sliding expiration has passed.
pub(super) fn expired(app: &App, ft: &FileTransfer, key: &str) -> bool {
    let now = app.clock.now();
    ft.tus.as_ref().and_then(|t| t.expires.get(key)).map(|e| *e <= now).unwrap_or(false)
}

/// SetExpirationIfSupported: now + 24 h, stored, and the header value.
pub(super) fn slide_expiration(app: &App, id: Uuid, key: &str) -> String {
    let now = app.clock.now();
    let until = now + UPLOAD_EXPIRATION;
    app.update_transfer(id, |ft| {
        ft.last_tus_activity = Some(now);
        ft.tus.get_or_insert_with(TusUpload::default).expires.insert(key.to_string(), until);
    });
    http_date(until)
}
