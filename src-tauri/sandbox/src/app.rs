//! The state every handler shares: the persistent state behind one lock,
//! the clock, the signing key, injected faults and the counters.

use budbringer_core::sync::Locked;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use uuid::Uuid;

use crate::faults::Faults;
use crate::model::{self, Clock, FileTransfer};
use crate::signer::Signer;

/// Shared server state.
pub(crate) struct Inner {
    pub state: Mutex<model::State>,
    pub data_dir: PathBuf,
    pub clock: Clock,
    pub signer: Signer,
    pub base: String,
    pub faults: Mutex<Faults>,
    pub counters: Mutex<Counters>,
    pub tus_locks: Mutex<HashSet<String>>,
    pub processing: Mutex<HashSet<Uuid>>,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub bytes_received: HashMap<Uuid, u64>,
    /// (endpoint, caller) → (window start unix, count)
    pub rate: HashMap<(String, String), (i64, u32)>,
    /// Calls each rate-limited endpoint received, and how many of them the
    /// gateway answered with 429 (tests assert that normal use never meets one).
    pub limited_calls: HashMap<String, u64>,
    pub rate_limited: HashMap<String, u64>,
    pub requests: u64,
    /// When each successful download confirmation was carried out (wall clock).
    pub confirms: HashMap<Uuid, Vec<std::time::SystemTime>>,
    /// Where each download request of a transfer began: the `Range` start,
    /// 0 without one (a resumed download must not begin at 0 again).
    pub download_starts: HashMap<Uuid, Vec<u64>>,
    /// TUS concatenation per transfer: partial uploads made, final uploads asked for.
    pub tus_concats: HashMap<Uuid, (u64, u64)>,
}

pub(crate) type App = Arc<Inner>;

impl Inner {
    pub fn new(state: model::State, data_dir: PathBuf, clock: Clock, signer: Signer, base: String) -> App {
        Arc::new(Inner {
            state: Mutex::new(state),
            data_dir,
            clock,
            signer,
            base,
            faults: Mutex::new(Faults::default()),
            counters: Mutex::new(Counters::default()),
            tus_locks: Mutex::new(HashSet::new()),
            processing: Mutex::new(HashSet::new()),
        })
    }
    pub fn issuer(&self) -> String {
        format!("{}/", self.base)
    }
    pub fn altinn_issuer(&self) -> String {
        format!("{}/authentication/api/v1/openid/", self.base)
    }
    /// Applies a mutation and persists the state atomically.
    pub fn mutate<R>(&self, f: impl FnOnce(&mut model::State) -> R) -> R {
        let mut st = self.state.locked();
        let r = f(&mut st);
        st.clock_offset_ms = self.clock.offset_ms();
        if let Err(e) = model::save_state(&self.data_dir, &st) {
            tracing::warn!("sandbox: could not persist state: {e}");
        }
        r
    }
    /// Applies `f` to one file transfer and persists the state. None when
    /// there is no such transfer: callers answer as for a missing transfer
    /// instead of assuming an earlier lookup still holds (nothing removes
    /// transfers today, but the type does not promise it).
    pub fn update_transfer<R>(&self, id: Uuid, f: impl FnOnce(&mut FileTransfer) -> R) -> Option<R> {
        self.mutate(|s| s.transfers.get_mut(&id).map(f))
    }
    pub fn read<R>(&self, f: impl FnOnce(&model::State) -> R) -> R {
        let st = self.state.locked();
        f(&st)
    }
    pub fn file_path(&self, id: Uuid) -> PathBuf {
        model::files_dir(&self.data_dir).join(id.to_string())
    }
    pub fn partial_path(&self, id: Uuid, pid: &str) -> PathBuf {
        model::files_dir(&self.data_dir).join(format!("{id}.part.{pid}"))
    }
}
