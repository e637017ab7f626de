//! The send queue: pause, resume, cancel, retry and a restart mid-upload.

use super::support::*;
use budbringer_core::environment::Environment;
use budbringer_core::error::ErrorCode;
use budbringer_core::store::Store;
use budbringer_core::transfers::broker::Broker;
use budbringer_core::transfers::engine::SendQueue;
use budbringer_core::transfers::send::{Phase, SendJob, UploadSettings};
use budbringer_core::transfers::validate::OrgNumber;
use budbringer_sandbox::{FaultSpec, PRACTICE_ORG_A};
use std::sync::{Arc, Mutex};

fn settings() -> UploadSettings {
    UploadSettings { tus_threshold: 1024 * 1024, chunk_size: 8 * 1024 * 1024, max_attempts: 6, ..Default::default() }
}

fn queue(store: Store, broker: Broker) -> (Arc<SendQueue>, Arc<Mutex<Vec<Phase>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let q = SendQueue::new(
        store,
        Arc::new(move |_env, _: &str| Ok(broker.clone())),
        settings(),
        2,
        Arc::new(move |u| s2.lock().unwrap().push(u.job.phase)),
    );
    (q, seen)
}

fn slow_tus(w: &World) {
    // 8 MiB chunks at a crawl: each PATCH waits a while before it starts.
    w.sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some("/broker/api/v1/filetransfer/upload/tus".into()),
        latency_ms: Some(300),
        ..Default::default()
    });
}

#[tokio::test]
async fn pause_then_resume_continues_from_the_server_offset() {
    let w = world().await;
    let size = 24 * 1024 * 1024;
    let file = make_file(w.dir.path(), "pause.bin", size);
    slow_tus(&w);
    let (store, _) = Store::open(&w.dir.path().join("db")).unwrap();
    let (q, seen) = queue(store, w.a.clone());
    let sender = OrgNumber::parse(PRACTICE_ORG_A).unwrap();
    let job = q.enqueue(&practice_request(file), Environment::Sandbox, &sender, None).unwrap();
    wait_for(&q, job.id, |j| j.phase == Phase::Uploading && j.bytes_sent > 0).await;
    q.pause(job.id).unwrap();
    let paused = wait_for(&q, job.id, |j| j.phase == Phase::Paused).await;
    q.idle().await;
    let id = paused.file_transfer_id.unwrap();
    let before = w.sandbox.admin().bytes_received(id);
    assert!(before < size as u64, "paused before the end");
    q.resume(job.id).unwrap();
    let done = wait_for(&q, job.id, |j| j.phase.is_finished()).await;
    assert_eq!(done.phase, Phase::Published, "{:?}", done.error);
    let received = w.sandbox.admin().bytes_received(id);
    assert!(received <= size as u64 + settings().chunk_size, "{received}");
    assert!(seen.lock().unwrap().contains(&Phase::Paused));
}

#[tokio::test]
async fn cancel_and_retry() {
    let w = world().await;
    let file = make_file(w.dir.path(), "c.bin", 20 * 1024 * 1024);
    slow_tus(&w);
    let (store, _) = Store::open(&w.dir.path().join("db")).unwrap();
    let (q, _) = queue(store, w.a.clone());
    let sender = OrgNumber::parse(PRACTICE_ORG_A).unwrap();
    let job = q.enqueue(&practice_request(file), Environment::Sandbox, &sender, None).unwrap();
    wait_for(&q, job.id, |j| j.phase == Phase::Uploading).await;
    q.cancel(job.id).unwrap();
    let c = wait_for(&q, job.id, |j| j.phase == Phase::Cancelled).await;
    assert_eq!(c.error.unwrap().code, ErrorCode::TransferCancelled);
    q.idle().await;
    w.sandbox.admin().clear_faults();
    q.retry(job.id).await.unwrap();
    let done = wait_for(&q, job.id, |j| j.phase.is_finished()).await;
    assert_eq!(done.phase, Phase::Published, "{:?}", done.error);
    // The retry went on with the same transfer: still exactly one.
    assert_eq!(done.file_transfer_id, c.file_transfer_id);

    // After the recipient confirms, a refreshed receipt shows it.
    let ft = done.file_transfer_id.unwrap();
    let status = |j: &SendJob| {
        j.receipt.as_ref().unwrap().overview.recipients[0].current_recipient_file_transfer_status_code.clone().unwrap()
    };
    assert_eq!(status(&done), "Initialized");
    let _ = w.b.download(ft, 0).await.unwrap().bytes().await.unwrap();
    w.b.confirm(ft).await.unwrap();
    let refreshed = q.refresh_receipt(job.id).await.unwrap();
    assert_eq!(status(&refreshed), "DownloadConfirmed");
    assert_eq!(status(&q.get(job.id).unwrap()), "DownloadConfirmed", "kept in the history");

    // "Clear finished" takes it off the queue, but the receipt stays.
    assert_eq!(q.clear_finished().unwrap(), 1);
    let kept = q.get(job.id).unwrap();
    assert!(kept.cleared);
    assert!(kept.receipt.is_some());
    assert_eq!(q.clear_finished().unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_upload_resumes_without_a_second_transfer() {
    let w = world().await;
    let size = 30 * 1024 * 1024;
    let file = make_file(w.dir.path(), "restart.bin", size);
    slow_tus(&w);
    let db = w.dir.path().join("db");
    let sender = OrgNumber::parse(PRACTICE_ORG_A).unwrap();
    // First "run" of the app, on its own runtime with its own client, stopped
    // dead mid-upload: dropping the runtime ends every task at once.
    let first = Broker::new(client_for(&w.sandbox, PRACTICE_ORG_A));
    let (db2, file2) = (db.clone(), file.clone());
    let job_id = tokio::task::spawn_blocking(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let id = rt.block_on(async move {
            let (store, _) = Store::open(&db2).unwrap();
            let (q, _) = queue(store, first);
            let job = q.enqueue(&practice_request(file2), Environment::Sandbox, &sender, None).unwrap();
            wait_for(&q, job.id, |j| j.phase == Phase::Uploading && j.bytes_sent >= 8 * 1024 * 1024).await;
            job.id
        });
        rt.shutdown_background();
        id
    })
    .await
    .unwrap();
    // The second run: a new client, the same database.
    let (store, _) = Store::open(&db).unwrap();
    let (q, _) = queue(store, Broker::new(client_for(&w.sandbox, PRACTICE_ORG_A)));
    let interrupted = q.get(job_id).unwrap();
    assert_eq!(interrupted.phase, Phase::Uploading);
    assert_eq!(q.resume_unfinished().unwrap(), 1);
    let done = wait_for(&q, job_id, |j| j.phase.is_finished()).await;
    assert_eq!(done.phase, Phase::Published, "{:?}", done.error);
    let ft = done.file_transfer_id.unwrap();
    assert_eq!(Some(ft), interrupted.file_transfer_id, "same transfer");
    let received = w.sandbox.admin().bytes_received(ft);
    assert!(received <= size as u64 + settings().chunk_size, "re-sent at most one chunk: {received}");
}
