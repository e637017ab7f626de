//! The plain data of sending: upload tuning, the method, a job's phase and
//! what the user asked to send (re-exported by `send.rs`, kept apart so that
//! the engine's file stays small).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use ts_rs::TS;

/// Upload tuning. Chunks are at least 8 MiB (and at least 1/50 000 of the
/// file, Broker's block limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadSettings {
    /// Files of at least this size go through TUS; smaller ones as one request.
    pub tus_threshold: u64,
    pub chunk_size: u64,
    /// Attempts for a transient failure of one step before the job fails.
    pub max_attempts: u32,
    /// TUS files of at least this size go up in [`Self::parallel_parts`]
    /// parts at once, joined by TUS concatenation (`transfers/tus_parts.rs`).
    pub parallel_threshold: u64,
    /// How many parts; below 2 every TUS upload is one stream.
    pub parallel_parts: u32,
}

pub const MIN_CHUNK_SIZE: u64 = 8 * 1024 * 1024;

impl Default for UploadSettings {
    fn default() -> Self {
        UploadSettings {
            tus_threshold: 32 * 1024 * 1024,
            chunk_size: 16 * 1024 * 1024,
            max_attempts: 8,
            // On a link of 40 Mbit/s and 20 ms per connection, 4 parts sent
            // 32 MiB 3.3× faster than one stream; on loopback one stream is a
            // little faster (docs/BENCHMARKS.md). Real links are not loopback.
            parallel_threshold: 32 * 1024 * 1024,
            parallel_parts: 4,
        }
    }
}

impl UploadSettings {
    pub fn chunk_for(&self, size: u64) -> u64 {
        self.chunk_size.max(MIN_CHUNK_SIZE).max(size.div_ceil(50_000))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename = "SendMethod")]
pub enum Method {
    /// One `POST /upload` with the whole file.
    Stream,
    /// TUS, resumable.
    Tus,
}

/// Where a job is. The UI shows these words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename = "SendPhase")]
pub enum Phase {
    Queued,
    Preparing,
    Uploading,
    Processing,
    Published,
    Failed,
    Paused,
    Cancelled,
}

impl Phase {
    pub fn is_finished(self) -> bool {
        matches!(self, Phase::Published | Phase::Failed | Phase::Cancelled)
    }
}

/// What the user asked to send.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendRequest {
    pub path: PathBuf,
    pub resource_id: String,
    pub recipients: Vec<String>,
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// The user's own reference, shown to the recipient; one is made when empty.
    #[serde(default)]
    pub reference: Option<String>,
}
