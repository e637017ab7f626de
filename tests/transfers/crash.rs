//! A send job that panics (a bug) fails with a named error, leaves the
//! running set and can be retried: it never looks busy forever. The panic is
//! injected through the queue's listener, which runs inside the job's task.

use super::support::*;
use budbringer_core::environment::Environment;
use budbringer_core::error::ErrorCode;
use budbringer_core::store::Store;
use budbringer_core::transfers::engine::SendQueue;
use budbringer_core::transfers::send::{Phase, SendJob, SendUpdate, UploadSettings};
use budbringer_core::transfers::validate::OrgNumber;
use budbringer_sandbox::PRACTICE_ORG_A;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

/// How long the queue may take to go idle once the job is done; a job stuck
/// in the running set never goes idle at all.
const IDLE_WITHIN: Duration = Duration::from_secs(30);

/// What the injected listener does besides recording.
#[derive(Clone, Copy, PartialEq)]
enum Then {
    /// Nothing: the test retries once the crash is recorded.
    Wait,
    /// Retries from inside the listener as the crash is reported, while the
    /// crashed run is still in the running set: the worst moment.
    RetryAtOnce,
}

struct Crashing {
    queue: Arc<SendQueue>,
    updates: Arc<Mutex<Vec<SendUpdate>>>,
    panicked: Arc<AtomicBool>,
}

/// A queue whose listener panics at the job's first upload progress report:
/// the transfer exists and bytes are on their way.
fn crashing_queue(w: &World, then: Then) -> Crashing {
    let (store, _) = Store::open(&w.dir.path().join("db")).unwrap();
    let updates = Arc::new(Mutex::new(Vec::<SendUpdate>::new()));
    let panicked = Arc::new(AtomicBool::new(false));
    let retried = AtomicBool::new(false);
    let me: Arc<OnceLock<Weak<SendQueue>>> = Arc::new(OnceLock::new());
    let (u2, p2, me2) = (updates.clone(), panicked.clone(), me.clone());
    let broker = w.a.clone();
    let queue = SendQueue::new(
        store,
        Arc::new(move |_env, _: &str| Ok(broker.clone())),
        UploadSettings {
            tus_threshold: 1024 * 1024,
            chunk_size: 8 * 1024 * 1024,
            max_attempts: 6,
            ..Default::default()
        },
        2,
        Arc::new(move |u: SendUpdate| {
            u2.lock().unwrap().push(u.clone());
            if u.job.phase == Phase::Uploading && u.progress.is_some() && !p2.swap(true, Ordering::SeqCst) {
                panic!("injected: a bug in the middle of an upload");
            }
            if then == Then::RetryAtOnce && u.job.phase == Phase::Failed && !retried.swap(true, Ordering::SeqCst) {
                let q = me2.get().and_then(Weak::upgrade).unwrap();
                let handle = tokio::runtime::Handle::current();
                tokio::task::block_in_place(|| handle.block_on(q.retry(u.job.id))).unwrap();
            }
        }),
    );
    me.set(Arc::downgrade(&queue)).unwrap();
    Crashing { queue, updates, panicked }
}

/// The crash as the user sees it: failed, with the internal error that says why.
fn assert_crash_recorded(c: &Crashing) -> SendJob {
    assert!(c.panicked.load(Ordering::SeqCst), "the injected panic fired");
    let updates = c.updates.lock().unwrap();
    let failed = updates.iter().find(|u| u.job.phase == Phase::Failed).expect("the crash was reported as a failure");
    let error = failed.job.error.clone().unwrap();
    assert_eq!(error.code, ErrorCode::Internal);
    assert!(error.detail.as_deref().unwrap_or("").contains("injected: a bug"), "{error:?}");
    failed.job.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_job_fails_with_a_named_error_leaves_the_running_set_and_can_be_retried() {
    let w = world().await;
    let file = make_file(w.dir.path(), "crash.bin", 3 * 1024 * 1024);
    let c = crashing_queue(&w, Then::Wait);
    let sender = OrgNumber::parse(PRACTICE_ORG_A).unwrap();
    let job = c.queue.enqueue(&practice_request(file), Environment::Sandbox, &sender, None).unwrap();

    let failed = wait_for(&c.queue, job.id, |j| j.phase == Phase::Failed).await;
    assert_eq!(failed.error.as_ref().unwrap().code, ErrorCode::Internal);
    // Out of the running set: the queue goes idle (it would wait forever otherwise).
    tokio::time::timeout(IDLE_WITHIN, c.queue.idle()).await.expect("the crashed job left the running set");
    let crashed = assert_crash_recorded(&c);
    let transfer = crashed.file_transfer_id.expect("the crash came after initialize");

    c.queue.retry(job.id).await.unwrap();
    let done = wait_for(&c.queue, job.id, |j| j.phase.is_finished()).await;
    assert_eq!(done.phase, Phase::Published, "{:?}", done.error);
    // The retry went on with the transfer the crashed run made: no second one.
    assert_eq!(done.file_transfer_id, Some(transfer));
    tokio::time::timeout(IDLE_WITHIN, c.queue.idle()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_while_the_crashed_run_is_ending_is_not_lost() {
    let w = world().await;
    let file = make_file(w.dir.path(), "crash-retry.bin", 3 * 1024 * 1024);
    let c = crashing_queue(&w, Then::RetryAtOnce);
    let sender = OrgNumber::parse(PRACTICE_ORG_A).unwrap();
    let job = c.queue.enqueue(&practice_request(file), Environment::Sandbox, &sender, None).unwrap();

    // The listener retried as the crash was reported, before the run left the
    // running set; the queue starts the job again once it has.
    let done = wait_for(&c.queue, job.id, |j| j.phase == Phase::Published).await;
    let crashed = assert_crash_recorded(&c);
    assert_eq!(done.file_transfer_id, crashed.file_transfer_id);
    tokio::time::timeout(IDLE_WITHIN, c.queue.idle()).await.unwrap();
}
