//! Test-only commands for the end-to-end test, which cannot drive the
//! native dialogs or a real drag from the file manager. They exist in debug
//! builds only (`cfg(debug_assertions)`: `cargo build --release` and the
//! packages leave them out, and `app.rs` registers them under the same
//! condition), and they go through the same registry as a real choice, so
//! the rest of the app cannot tell them apart.

use crate::services::{self, picked::Picked, picked::PickedFolder};
use std::path::PathBuf;
use std::sync::Arc;
use tauri::{AppHandle, Runtime, State};

/// Does what dropping `paths` on the window does.
#[tauri::command]
pub fn e2e_drop_files<R: Runtime>(app: AppHandle<R>, paths: Vec<String>) {
    services::dropped(&app, paths.into_iter().map(PathBuf::from).collect());
}

/// Does what choosing `path` in the folder dialog does.
#[tauri::command]
pub fn e2e_pick_folder(picked: State<'_, Arc<Picked>>, path: String) -> PickedFolder {
    picked.add_folder(PathBuf::from(path))
}

/// Answers the next save dialog with `path` (the receipts' "Lagre som PDF").
#[tauri::command]
pub fn e2e_next_save_path(path: String) {
    if let Ok(mut next) = crate::commands::receipts::NEXT_SAVE_PATH.lock() {
        *next = Some(PathBuf::from(path));
    }
}

/// Stores published send jobs for transfers seeded in the sandbox (its
/// `/admin/seed`), as if this app had sent them: the Sent page's test with
/// hundreds of files cannot send them one by one through the window. With
/// `settled`, each gets a final receipt (all downloaded), as years of history
/// would have, which the Sent page never asks Altinn about again.
#[tauri::command]
pub fn e2e_seed_sent(
    state: State<'_, Arc<budbringer_runtime::state::AppState>>,
    file_transfer_ids: Vec<uuid::Uuid>,
    sender: String,
    recipient: String,
    resource_id: String,
    settled: Option<bool>,
    first: Option<usize>,
) -> budbringer_core::error::AppResult<usize> {
    use budbringer_core::store::Table;
    use budbringer_core::transfers::send::SendJob;
    // As a real send stores it (SendJob::new): the sender's actor id, which the lists filter on.
    let sender = budbringer_core::transfers::validate::OrgNumber::parse(&sender)?.actor_id();
    for (n, ft) in file_transfer_ids.iter().enumerate() {
        let n = n + first.unwrap_or(0);
        let receipt = settled.unwrap_or(false).then(|| {
            serde_json::json!({ "fileTransferId": ft, "fileTransferStatus": "AllConfirmedDownloaded",
                "recipients": [{ "recipient": format!("0192:{recipient}"), "currentRecipientFileTransferStatusCode": "DownloadConfirmed" }],
                "fileTransferStatusHistory": [{ "fileTransferStatus": "AllConfirmedDownloaded" }],
                "recipientFileTransferStatusHistory": [{ "recipient": format!("0192:{recipient}"), "recipientFileTransferStatusCode": "DownloadConfirmed" }] })
        });
        let job: SendJob = serde_json::from_value(serde_json::json!({
            "id": uuid::Uuid::new_v4(), "environment": "sandbox", "path": format!("brev {n}.pdf"),
            "fileName": format!("brev {n}.pdf"), "size": 11, "modifiedMs": null, "md5": null,
            "resourceId": resource_id, "sender": sender, "recipients": [recipient], "properties": {},
            "reference": format!("sak-{n}"), "fileTransferId": ft, "initializeSent": false, "method": "stream",
            "phase": "published", "bytesSent": 11, "error": null, "receipt": receipt,
            "created": "2026-11-26T10:00:00Z", "cleared": true
        }))
        .map_err(|e| budbringer_core::error::AppError::internal(e.to_string()))?;
        state.store.put(Table::Outgoing, &job.id.to_string(), true, &job)?;
    }
    Ok(file_transfer_ids.len())
}

/// Stores `count` received files for organisation `org` from `sender`, each
/// saved and confirmed: a long Inbox history for the list measurement
/// (tests/e2e/lists.rs), which real searches could fill only within
/// Altinn's per-minute limits. Files are named `brev {n}.pdf`.
#[tauri::command]
pub fn e2e_seed_inbox(
    state: State<'_, Arc<budbringer_runtime::state::AppState>>,
    count: usize,
    first: usize,
    sender: String,
    org: String,
) -> budbringer_core::error::AppResult<usize> {
    use budbringer_core::store::Table;
    use budbringer_core::transfers::inbox::IncomingFile;
    use budbringer_core::transfers::validate::OrgNumber;
    let sender = OrgNumber::parse(&sender)?.actor_id();
    let me = OrgNumber::parse(&org)?;
    for n in first..first + count {
        let id = uuid::Uuid::new_v4();
        let file: IncomingFile = serde_json::from_value(serde_json::json!({
            "id": id, "environment": "sandbox", "phase": "confirmed", "savedPath": null, "error": null,
            "firstSeen": "2026-11-26T10:00:00Z", "org": org,
            "overview": { "fileTransferId": id, "resourceId": budbringer_sandbox::PRACTICE_RESOURCE,
                "fileName": format!("brev {n}.pdf"), "sendersFileTransferReference": format!("sak-{n}"),
                "fileTransferSize": 11, "fileTransferStatus": "AllConfirmedDownloaded",
                "created": "2026-11-26T10:00:00Z", "sender": sender,
                "recipients": [{ "recipient": me.actor_id(), "currentRecipientFileTransferStatusCode": "DownloadConfirmed" }] }
        }))
        .map_err(|e| budbringer_core::error::AppError::internal(e.to_string()))?;
        state.store.put(Table::Incoming, &format!("{org}/{id}"), true, &file)?;
    }
    Ok(count)
}
