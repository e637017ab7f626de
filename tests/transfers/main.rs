//! The transfer engine against the sandbox: every byte goes through the real
//! HTTP protocol, the real token flow and the sandbox's Broker.

#![allow(clippy::unwrap_used)] // a test (or the benchmark) that cannot go on fails at once

mod crash;
mod inbox;
mod parts;
mod prepare;
mod queue;
mod receipts;
mod retry;
mod sent_refresh;
mod support;

use budbringer_core::environment::Environment;
use budbringer_core::error::ErrorCode;
use budbringer_core::transfers::broker::{Broker, Search};
use budbringer_core::transfers::download::{download_verified, part_path, DownloadSpec};
use budbringer_core::transfers::send::{self, Method, Phase, SendJob, SendRequest, UploadSettings};
use budbringer_core::transfers::validate::OrgNumber;
use budbringer_sandbox::{FaultSpec, SeedFile, PRACTICE_ORG_A, PRACTICE_ORG_B, PRACTICE_RESOURCE};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use support::*;
use uuid::Uuid;

fn small_chunks() -> UploadSettings {
    // The smallest chunk Broker's rules allow, so a few MiB make several PATCHes.
    UploadSettings { tus_threshold: 1024 * 1024, chunk_size: 8 * 1024 * 1024, max_attempts: 6, ..Default::default() }
}

fn request(path: &Path) -> SendRequest {
    SendRequest {
        path: path.to_owned(),
        resource_id: PRACTICE_RESOURCE.into(),
        recipients: vec![PRACTICE_ORG_B.into()],
        properties: BTreeMap::from([("saksnummer".to_owned(), "2026/42".to_owned())]),
        reference: None,
    }
}

async fn send_file(w: &World, path: &Path, settings: &UploadSettings) -> (SendJob, Arc<Sink>) {
    let sender = OrgNumber::parse(PRACTICE_ORG_A).unwrap();
    let mut job = SendJob::new(&request(path), Environment::Sandbox, &sender, None, settings).unwrap();
    let sink = Arc::new(Sink::default());
    send::run(&mut job, &w.a, settings, sink.as_ref(), never()).await;
    (job, sink)
}

/// B finds the transfer as recipient, downloads it into `dir`, and returns the saved path.
async fn receive(b: &Broker, id: Uuid, dir: &Path) -> std::path::PathBuf {
    let found = b
        .search(&Search {
            resource_id: PRACTICE_RESOURCE.into(),
            status: Some("Published".into()),
            role: Some("Recipient".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(found.contains(&id), "B's search lists the transfer");
    let o = b.overview(id).await.unwrap();
    let spec = DownloadSpec {
        id,
        file_name: o.file_name.as_deref().unwrap(),
        dir,
        expected_md5: o.checksum.as_deref().unwrap(),
        expected_size: o.file_transfer_size,
        max_resumes: 5,
    };
    download_verified(b, &spec, Arc::new(|_, _| {})).await.unwrap().path
}

#[tokio::test]
async fn send_receive_confirm_between_two_organisations() {
    let w = world().await;
    let file = make_file(w.dir.path(), "rapport 2026.pdf", 300_000);
    let (job, sink) = send_file(&w, &file, &UploadSettings::default()).await;
    assert_eq!(job.phase, Phase::Published, "{:?}", job.error);
    assert_eq!(job.method, Method::Stream);
    let id = job.file_transfer_id.unwrap();

    // The receipt has the whole history and each recipient's status.
    let receipt = job.receipt.as_ref().unwrap();
    let statuses: Vec<_> =
        receipt.file_transfer_status_history.iter().map(|s| s.file_transfer_status.as_str()).collect();
    assert_eq!(statuses.first(), Some(&"Initialized"));
    assert!(statuses.contains(&"Published"), "{statuses:?}");
    assert_eq!(receipt.overview.recipients[0].recipient, format!("0192:{PRACTICE_ORG_B}"));
    assert_eq!(receipt.overview.property_list["saksnummer"], "2026/42");
    // Progress went through the phases in order, and ended at 100 %.
    let phases: Vec<Phase> = sink.saved.lock().unwrap().iter().map(|j| j.phase).collect();
    let order = [Phase::Preparing, Phase::Uploading, Phase::Processing, Phase::Published];
    let mut at = 0;
    for p in phases {
        if at < order.len() && p == order[at] {
            at += 1;
        }
    }
    assert_eq!(at, order.len(), "phases in order");
    let last =
        sink.updates.lock().unwrap().iter().rev().find_map(|u| u.progress.filter(|_| u.job.phase == Phase::Uploading));
    assert_eq!(last.map(|p| p.done), Some(300_000));

    // B receives exactly the same bytes, under the sender's name.
    let inbox = w.dir.path().join("inbox");
    let saved = receive(&w.b, id, &inbox).await;
    assert_eq!(saved.file_name().unwrap(), "rapport 2026.pdf");
    assert_eq!(std::fs::read(&saved).unwrap(), std::fs::read(&file).unwrap());
    assert!(!part_path(&inbox, id).exists(), "no part-file left behind");

    w.b.confirm(id).await.unwrap();
    let after = w.a.overview(id).await.unwrap();
    assert_eq!(after.recipients[0].current_recipient_file_transfer_status_code.as_deref(), Some("DownloadConfirmed"));
    assert_eq!(after.status(), "AllConfirmedDownloaded");
}

#[tokio::test]
async fn tus_upload_resumes_after_a_dropped_connection() {
    let w = world().await;
    let size = 20 * 1024 * 1024 + 12_345;
    let file = make_file(w.dir.path(), "stor.bin", size);
    // The first PATCH (8 MiB) loses its connection after 3 MiB.
    w.sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some("/broker/api/v1/filetransfer/upload/tus".into()),
        drop_after_bytes: Some(3 * 1024 * 1024),
        ..Default::default()
    });
    let settings = small_chunks();
    let (job, _) = send_file(&w, &file, &settings).await;
    assert_eq!(job.phase, Phase::Published, "{:?}", job.error);
    assert_eq!(job.method, Method::Tus);
    let id = job.file_transfer_id.unwrap();
    let received = w.sandbox.admin().bytes_received(id);
    assert!(received >= size as u64, "the server got every byte ({received})");
    assert!(received <= size as u64 + settings.chunk_size, "at most one chunk sent again ({received} for {size})");
    // Broker keeps a chunk whole or not at all: the 3 MiB that arrived before
    // the drop were thrown away and the upload went on from the server's
    // offset, the start of that chunk (docs/ALTINN.md#tus).
    assert_eq!(received, size as u64 + 3 * 1024 * 1024, "resumed from the server's offset");
    let saved = receive(&w.b, id, &w.dir.path().join("inbox")).await;
    assert_eq!(std::fs::read(saved).unwrap(), std::fs::read(&file).unwrap());
}

#[tokio::test]
async fn download_resumes_with_range_after_a_dropped_connection() {
    let w = world().await;
    let file = make_file(w.dir.path(), "data.bin", 3 * 1024 * 1024);
    let (job, _) = send_file(&w, &file, &UploadSettings::default()).await;
    let id = job.file_transfer_id.unwrap();
    w.sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some(format!("/broker/api/v1/filetransfer/{id}/download")),
        drop_after_bytes: Some(1024 * 1024 + 7),
        ..Default::default()
    });
    let o = w.b.overview(id).await.unwrap();
    let dir = w.dir.path().join("inbox");
    let spec = DownloadSpec {
        id,
        file_name: "data.bin",
        dir: &dir,
        expected_md5: o.checksum.as_deref().unwrap(),
        expected_size: o.file_transfer_size,
        max_resumes: 3,
    };
    let saved = download_verified(&w.b, &spec, Arc::new(|_, _| {})).await.unwrap();
    assert_eq!(std::fs::read(&saved.path).unwrap(), std::fs::read(&file).unwrap());
    assert!(std::fs::read_dir(&dir).unwrap().count() == 1, "only the finished file is in the folder");
}

#[tokio::test]
async fn a_truncated_download_is_resumed_not_saved_short() {
    let w = world().await;
    let file = make_file(w.dir.path(), "t.bin", 500_000);
    let (job, _) = send_file(&w, &file, &UploadSettings::default()).await;
    let id = job.file_transfer_id.unwrap();
    w.sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some(format!("/broker/api/v1/filetransfer/{id}/download")),
        truncate_download_at: Some(100_000),
        ..Default::default()
    });
    let saved = receive(&w.b, id, &w.dir.path().join("inbox")).await;
    assert_eq!(std::fs::read(saved).unwrap(), std::fs::read(&file).unwrap());
}

#[tokio::test]
async fn a_wrong_checksum_fails_with_a_named_error() {
    let w = world().await;
    for (size, settings) in [(10_000, UploadSettings::default()), (2 * 1024 * 1024, small_chunks())] {
        let file = make_file(w.dir.path(), "x.bin", size);
        let sender = OrgNumber::parse(PRACTICE_ORG_A).unwrap();
        let mut job = SendJob::new(&request(&file), Environment::Sandbox, &sender, None, &settings).unwrap();
        // As if the file had changed on disk between hashing and upload in a way
        // our own check could not see: the server must catch it.
        let meta = std::fs::metadata(&file).unwrap();
        job.md5 = Some("0123456789abcdef0123456789abcdef".into());
        job.modified_ms = meta
            .modified()
            .ok()
            .map(|m| u64::try_from(m.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis()).unwrap());
        send::run(&mut job, &w.a, &settings, &Sink::default(), never()).await;
        assert_eq!(job.phase, Phase::Failed);
        assert_eq!(
            job.error.as_ref().unwrap().code,
            ErrorCode::BrokerChecksumMismatch,
            "{:?} ({:?})",
            job.error,
            job.method
        );
        let status = w.a.overview(job.file_transfer_id.unwrap()).await.unwrap();
        assert_eq!(status.status(), "Failed");
    }
}

#[tokio::test]
async fn the_eicar_test_file_fails_as_malware() {
    let w = world().await;
    let eicar = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
    let file = w.dir.path().join("eicar.com");
    std::fs::write(&file, eicar).unwrap();
    let (job, _) = send_file(&w, &file, &UploadSettings::default()).await;
    assert_eq!(job.phase, Phase::Failed);
    let e = job.error.unwrap();
    assert_eq!(e.code, ErrorCode::MalwareFound, "{e:?}");
    assert!(e.detail.unwrap().contains("Malware scan failed"), "the server's text is kept");
}

#[tokio::test]
async fn a_file_that_changes_after_hashing_is_caught_before_upload() {
    let w = world().await;
    let file = make_file(w.dir.path(), "live.log", 1000);
    let sender = OrgNumber::parse(PRACTICE_ORG_A).unwrap();
    let mut job =
        SendJob::new(&request(&file), Environment::Sandbox, &sender, None, &UploadSettings::default()).unwrap();
    job.md5 = Some("0123456789abcdef0123456789abcdef".into());
    job.modified_ms = Some(1);
    send::run(&mut job, &w.a, &UploadSettings::default(), &Sink::default(), never()).await;
    assert_eq!(job.error.unwrap().code, ErrorCode::FileChanged);
}

#[tokio::test]
async fn hostile_server_file_names_stay_in_their_folder() {
    let w = world().await;
    let admin = w.sandbox.admin();
    let inbox = w.dir.path().join("inbox");
    for (name, expect) in
        [("../../evil.sh", "evil.sh"), ("..\\..\\boot.ini", "boot.ini"), ("CON", "_CON"), ("a\u{0}b.txt", "a_b.txt")]
    {
        let id = admin
            .seed_file(SeedFile {
                resource_id: None,
                sender: PRACTICE_ORG_A.into(),
                recipient: PRACTICE_ORG_B.into(),
                file_name: name.into(),
                content: Some("payload".into()),
                content_base64: None,
                senders_reference: None,
                property_list: BTreeMap::new(),
                ..Default::default()
            })
            .unwrap();
        let saved = receive(&w.b, id, &inbox).await;
        assert_eq!(saved.parent().unwrap(), inbox, "{name}");
        assert_eq!(saved.file_name().unwrap().to_str().unwrap(), expect);
        assert_eq!(std::fs::read_to_string(&saved).unwrap(), "payload");
    }
    assert!(!w.dir.path().join("evil.sh").exists());
}

#[tokio::test]
async fn rate_limits_and_outages_are_waited_out() {
    let w = world().await;
    let file = make_file(w.dir.path(), "r.txt", 5000);
    let admin = w.sandbox.admin();
    admin.add_fault(FaultSpec {
        path_prefix: Some("/broker/api/v1/filetransfer".into()),
        rate_limit_429: Some(2),
        retry_after_secs: Some(1),
        ..Default::default()
    });
    admin.add_fault(FaultSpec {
        path_prefix: Some("/broker/api/v1/filetransfer".into()),
        fail_503: Some(3),
        ..Default::default()
    });
    let started = std::time::Instant::now();
    let (job, _) = send_file(&w, &file, &UploadSettings::default()).await;
    assert_eq!(job.phase, Phase::Published, "{:?}", job.error);
    assert!(started.elapsed() >= std::time::Duration::from_secs(1), "Retry-After was respected");
    // Exactly one transfer exists for this file: nothing was initialized twice.
    let mine = w
        .a
        .search(&Search { resource_id: PRACTICE_RESOURCE.into(), role: Some("Sender".into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(mine, vec![job.file_transfer_id.unwrap()]);
}

#[tokio::test]
async fn a_lost_initialize_answer_does_not_create_a_second_transfer() {
    let w = world().await;
    let file = make_file(w.dir.path(), "once.txt", 4000);
    // The first initialize reaches the server, but its answer never arrives.
    w.sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some("/broker/api/v1/filetransfer".into()),
        malformed_json: Some(1),
        ..Default::default()
    });
    let (job, _) = send_file(&w, &file, &UploadSettings::default()).await;
    assert_eq!(job.phase, Phase::Published, "{:?}", job.error);
    let mine = w
        .a
        .search(&Search { resource_id: PRACTICE_RESOURCE.into(), role: Some("Sender".into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(mine.len(), 1, "one transfer, not two: {mine:?}");
}
