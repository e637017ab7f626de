//! A cancel that races the last bytes of an upload (the simulation's seed 12).
//! The user presses Cancel just after every byte of a streamed upload was
//! handed to the network: the request is dropped, but Broker may already hold
//! the whole body and be about to take it. Its overview still says
//! `UploadStarted` for a moment, and then `UploadProcessing` and `Published`.
//! Calling the job Cancelled then would tell the user that a file Altinn
//! delivers was not sent (`docs/ALTINN.md#statuses`).

use super::broker::Broker;
use std::time::Duration;
use uuid::Uuid;

/// How long Broker gets to leave `UploadStarted` once every byte was handed
/// over; a body that broke off before its end keeps it there for good.
const WAIT: Duration = Duration::from_secs(10);
const EVERY: Duration = Duration::from_millis(250);

/// Statuses in which Altinn has the file: it will be (or was) delivered, or
/// its processing decides (`docs/ALTINN.md#statuses`).
pub fn has_the_file(status: &str) -> bool {
    matches!(status, "UploadProcessing" | "Published" | "AllConfirmedDownloaded" | "Purged")
}

/// Asks Broker, for at most [`WAIT`], until its status leaves `UploadStarted`;
/// true when it then has the file. Unanswered questions are asked again until
/// the bound: the answer decides whether the user is told the file was sent.
pub async fn took_the_file_after_all(broker: &Broker, id: Uuid) -> bool {
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        tokio::time::sleep(EVERY).await;
        match broker.overview(id).await {
            Ok(o) if matches!(o.status(), "UploadStarted" | "Initialized") => {}
            Ok(o) => return has_the_file(o.status()),
            Err(e) => tracing::debug!(error = %e.error, "overview after a late cancel; asking again"),
        }
    }
    false
}
