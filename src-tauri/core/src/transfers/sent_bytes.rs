//! The client's own count of the upload bytes it handed to the network, per
//! transfer and over every attempt. The server keeps at most the file's size,
//! so only the client can tell how much it sent again after a break. Off
//! (and free) until a test or a diagnostic turns it on.

use crate::sync::Locked;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use uuid::Uuid;

static ON: AtomicBool = AtomicBool::new(false);

fn counts() -> &'static Mutex<HashMap<Uuid, u64>> {
    static COUNTS: OnceLock<Mutex<HashMap<Uuid, u64>>> = OnceLock::new();
    COUNTS.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Starts counting (for this process, from now on).
pub fn enable() {
    ON.store(true, Ordering::SeqCst);
}

/// Upload body bytes this process sent for `file_transfer_id`, all attempts.
pub fn bytes(file_transfer_id: Uuid) -> u64 {
    counts().locked().get(&file_transfer_id).copied().unwrap_or(0)
}

/// Records `n` bytes of `file_transfer_id`'s upload going out.
pub(crate) fn add(file_transfer_id: Uuid, n: u64) {
    if ON.load(Ordering::Relaxed) {
        *counts().locked().entry(file_transfer_id).or_insert(0) += n;
    }
}
