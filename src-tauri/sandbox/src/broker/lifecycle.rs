//! What happens to a transfer when nobody calls (Hangfire stand-in): the
//! scheduler tick, processing after upload (TUS concatenation, checksum,
//! malware scan), stuck uploads, expiry and purge.

use budbringer_core::sync::Locked;
use std::time::Duration;

use md5::{Digest, Md5};
use serde_json::json;
use uuid::Uuid;

use super::access::get_ft;
use crate::app::App;
use crate::model::{hex, FtStatus};

const EICAR: &[u8] = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

pub(crate) async fn background(app: App) {
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        tick(&app);
    }
}

/// One pass of the job scheduler: start processing, fail stuck uploads, expire and purge.
pub(crate) fn tick(app: &App) {
    let now = app.clock.now();
    let (pending, purge, stuck): (Vec<Uuid>, Vec<Uuid>, Vec<Uuid>) = app.read(|s| {
        let pending = s.transfers.values().filter(|f| f.processing_pending).map(|f| f.id).collect();
        // StuckFileTransferHandler: UploadStarted for more than 24 h with no TUS
        // activity in the last hour → Failed.
        let stuck = s
            .transfers
            .values()
            .filter(|f| {
                f.status() == FtStatus::UploadStarted
                    && now - f.current().at > time::Duration::hours(24)
                    && f.last_tus_activity.map(|t| now - t > time::Duration::hours(1)).unwrap_or(true)
            })
            .map(|f| f.id)
            .collect();
        let purge = s
            .transfers
            .values()
            .filter(|f| {
                let st = f.status();
                if st == FtStatus::Purged {
                    return false;
                }
                let confirmed_purge =
                    st == FtStatus::AllConfirmedDownloaded && f.purge_at.map(|p| p <= now).unwrap_or(false);
                let after_confirm_on = s
                    .resources
                    .get(&f.resource_id)
                    .map(|r| r.purge_file_transfer_after_all_recipients_confirmed)
                    .unwrap_or(true);
                let expired = f.expiration <= now && !(st == FtStatus::AllConfirmedDownloaded && after_confirm_on);
                confirmed_purge || expired
            })
            .map(|f| f.id)
            .collect();
        (pending, purge, stuck)
    });
    // Two passes (the background one and advance_clock/run_jobs) may both have
    // read these lists before either acted: each decision is taken again
    // under the state's lock, as PurgeFileTransferHandler does ("already purged").
    for id in stuck {
        app.update_transfer(id, |ft| {
            if ft.status() != FtStatus::UploadStarted {
                return;
            }
            ft.set_status(
                FtStatus::Failed,
                Some("File transfer was stuck in UploadStarted as it failed upload mid-request.".into()),
                now,
            );
            ft.has_file = false;
        });
    }
    for id in purge {
        let purged = app.update_transfer(id, |ft| {
            if ft.status() == FtStatus::Purged {
                return false;
            }
            ft.set_status(FtStatus::Purged, None, now);
            ft.has_file = false;
            ft.processing_pending = false;
            true
        });
        if purged == Some(true) {
            let _ = std::fs::remove_file(app.file_path(id));
        }
    }
    // Without a runtime (a caller outside tokio) the ticker task picks them up.
    if tokio::runtime::Handle::try_current().is_err() {
        return;
    }
    for id in pending {
        if app.processing.locked().insert(id) {
            let app = app.clone();
            tokio::spawn(async move {
                process(&app, id).await;
                app.processing.locked().remove(&id);
            });
        }
    }
}

/// Concatenation (TUS final), MD5 check and malware scan, then publish or fail.
async fn process(app: &App, id: Uuid) {
    let delay = app.read(|s| s.settings.processing_delay_ms);
    tokio::time::sleep(Duration::from_millis(delay)).await;
    let Some(ft) = get_ft(app, id) else { return };
    let path = app.file_path(id);
    if let Some(t) = ft.tus.as_ref().filter(|t| !t.final_parts.is_empty()) {
        let parts: Vec<_> = t.final_parts.iter().map(|p| app.partial_path(id, p)).collect();
        let dst = path.clone();
        let ok = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let mut out = std::fs::File::create(&dst)?;
            for p in &parts {
                let mut f = std::fs::File::open(p)?;
                std::io::copy(&mut f, &mut out)?;
            }
            out.sync_all()?;
            for p in &parts {
                let _ = std::fs::remove_file(p);
            }
            Ok(())
        })
        .await;
        if !matches!(ok, Ok(Ok(()))) {
            fail(app, id, "Upload failed: could not concatenate the partial uploads");
            return;
        }
        let len = t.length;
        app.update_transfer(id, |f| {
            f.size = len;
            f.has_file = true;
            f.file_location = true;
            if let Some(t) = f.tus.as_mut() {
                t.final_parts.clear();
                t.partials.clear();
            }
        });
    }
    let p2 = path.clone();
    let scan = tokio::task::spawn_blocking(move || scan_file(&p2)).await;
    let Ok(Ok((sum, infected))) = scan else {
        fail(app, id, "Upload failed: the stored file could not be read");
        return;
    };
    let now = app.clock.now();
    let ft = match get_ft(app, id) {
        Some(f) => f,
        None => return,
    };
    if ft.status() == FtStatus::Purged || ft.status() == FtStatus::Failed {
        app.update_transfer(id, |f| f.processing_pending = false);
        return;
    }
    if app.faults.locked().take_fail_processing() {
        fail(app, id, "Upload failed: the file could not be processed (sandbox fault injection)");
        return;
    }
    if ft.user_checksum_given() && !ft.user_checksum.as_deref().unwrap_or_default().eq_ignore_ascii_case(&sum) {
        fail(app, id, "Checksum mismatch");
        return;
    }
    if ft.use_virus_scan && infected {
        let details = json!({"scanResultType": "Malicious", "scanResultDetails": {"malwareNamesFound": ["EICAR-Test-File (not a virus)"]}});
        fail(app, id, &format!("Malware scan failed: Malicious. Extra details: {details}"));
        return;
    }
    app.update_transfer(id, |f| {
        // TusChecksumProcessingHandler records the MD5 of a TUS upload; a
        // scanned streamed upload gets none (CompleteFileUploadHandler).
        if f.tus.is_some() {
            f.computed_checksum = Some(sum);
        }
        f.file_location = true;
        f.processing_pending = false;
        if f.status() < FtStatus::Published {
            f.set_status(FtStatus::Published, None, now);
        }
    });
}

fn fail(app: &App, id: Uuid, text: &str) {
    let now = app.clock.now();
    app.update_transfer(id, |f| {
        f.processing_pending = false;
        f.has_file = false;
        f.set_status(FtStatus::Failed, Some(text.into()), now);
    });
    let _ = std::fs::remove_file(app.file_path(id));
}

/// MD5 (lower-case hex) and whether the EICAR test string occurs; streamed.
fn scan_file(path: &std::path::Path) -> std::io::Result<(String, bool)> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut md5 = Md5::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut tail: Vec<u8> = Vec::new();
    let mut infected = false;
    let finder = memchr::memmem::Finder::new(EICAR);
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        md5.update(&buf[..n]);
        if !infected {
            let mut window = std::mem::take(&mut tail);
            window.extend_from_slice(&buf[..n]);
            infected = finder.find(&window).is_some();
            let keep = EICAR.len().saturating_sub(1).min(window.len());
            tail = window[window.len() - keep..].to_vec();
        }
    }
    Ok((hex(&md5.finalize()), infected))
}
