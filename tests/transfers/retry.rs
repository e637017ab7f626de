//! Retrying a failed or cancelled job: it goes on with its transfer unless
//! Altinn failed that transfer, so a file is delivered once, not twice.

use super::support::*;
use budbringer_core::environment::Environment;
use budbringer_core::error::{AppError, ErrorCode};
use budbringer_core::store::{Store, Table};
use budbringer_core::transfers::engine::SendQueue;
use budbringer_core::transfers::send::{Phase, SendJob, UploadSettings};
use budbringer_core::transfers::validate::OrgNumber;
use budbringer_sandbox::PRACTICE_ORG_A;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

fn queue(w: &World, store: Store) -> Arc<SendQueue> {
    let broker = w.a.clone();
    SendQueue::new(
        store,
        Arc::new(move |_env, _: &str| Ok(broker.clone())),
        UploadSettings::default(),
        2,
        Arc::new(|_| {}),
    )
}

async fn finished(q: &SendQueue, id: Uuid) -> SendJob {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let j = q.get(id).unwrap();
        if j.phase.is_finished() {
            return j;
        }
        assert!(Instant::now() < deadline, "job never finished; last {:?}", j.phase);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Transfers on the sandbox's Broker made with this reference.
fn transfers_with(w: &World, reference: &str) -> usize {
    let state = w.sandbox.admin().snapshot();
    let all = state["transfers"].as_object().cloned().unwrap_or_default();
    all.values().filter(|t| t["senders_reference"] == reference).count()
}

#[tokio::test]
async fn a_retry_after_the_upload_arrived_after_all_sends_nothing_twice() {
    let w = world().await;
    let (store, _) = Store::open(&w.dir.path().join("db")).unwrap();
    let q = queue(&w, store.clone());
    let file = make_file(w.dir.path(), "late.bin", 200_000);
    let sender = OrgNumber::parse(PRACTICE_ORG_A).unwrap();
    let job = q.enqueue(&practice_request(file), Environment::Sandbox, &sender, None).unwrap();
    let published = finished(&q, job.id).await;
    assert_eq!(published.phase, Phase::Published, "{:?}", published.error);
    q.idle().await;

    // The user cancelled as the last bytes went out: the job says cancelled,
    // while Altinn got the whole file.
    let mut cancelled = published.clone();
    cancelled.phase = Phase::Cancelled;
    cancelled.error = Some(AppError::new(ErrorCode::TransferCancelled));
    store.put(Table::Outgoing, &job.id.to_string(), true, &cancelled).unwrap();

    q.retry(job.id).await.unwrap();
    let done = finished(&q, job.id).await;
    assert_eq!(done.phase, Phase::Published, "{:?}", done.error);
    assert_eq!(done.file_transfer_id, published.file_transfer_id, "the same transfer");
    assert_eq!(done.reference, published.reference);
    assert_eq!(transfers_with(&w, &done.reference), 1, "delivered once");
}

#[tokio::test]
async fn a_retry_after_altinn_failed_the_transfer_makes_a_new_one() {
    let w = world().await;
    let (store, _) = Store::open(&w.dir.path().join("db")).unwrap();
    let q = queue(&w, store);
    let file = w.dir.path().join("scan.com");
    std::fs::write(&file, r"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*").unwrap();
    let sender = OrgNumber::parse(PRACTICE_ORG_A).unwrap();
    let job = q.enqueue(&practice_request(file.clone()), Environment::Sandbox, &sender, None).unwrap();
    let failed = finished(&q, job.id).await;
    assert_eq!(failed.error.as_ref().map(|e| e.code), Some(ErrorCode::MalwareFound));
    q.idle().await;

    // The file is cleaned; Altinn's failed transfer cannot take it again.
    std::fs::write(&file, b"a clean file").unwrap();
    q.retry(job.id).await.unwrap();
    let done = finished(&q, job.id).await;
    assert_eq!(done.phase, Phase::Published, "{:?}", done.error);
    assert_ne!(done.file_transfer_id, failed.file_transfer_id, "a new transfer");
    assert_ne!(done.reference, failed.reference, "with a new reference");
    assert_eq!(transfers_with(&w, &done.reference), 1);
}
