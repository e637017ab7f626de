//! A large file in parallel TUS parts joined by concatenation (issue 16,
//! `transfers/tus_parts.rs`): the bytes arrive whole; a fault in one part
//! resumes that part from the server's offset; a restart resumes every part
//! from its own offset; the final upload is asked for once, also when its
//! answer is lost. The sandbox counts partials made and finals asked for.

use super::support::*;
use budbringer_core::environment::Environment;
use budbringer_core::error::AppResult;
use budbringer_core::store::Store;
use budbringer_core::transfers::broker::Broker;
use budbringer_core::transfers::engine::SendQueue;
use budbringer_core::transfers::send::{self, Method, Phase, SendJob, SendSink, SendUpdate, UploadSettings};
use budbringer_core::transfers::validate::OrgNumber;
use budbringer_sandbox::{Admin, FaultSpec, SandboxHandle, PRACTICE_ORG_A};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use uuid::Uuid;

const MIB: u64 = 1024 * 1024;
/// Four parts of a 33 MiB file over a slowed TUS take longer than one small send.
const PART_WAIT: Duration = Duration::from_secs(60);
const TUS: &str = "/broker/api/v1/filetransfer/upload/tus";
/// Four parts of two chunks each (8 MiB and a quarter MiB).
const SIZE: usize = 33 * MIB as usize + 12_345;

fn settings() -> UploadSettings {
    UploadSettings {
        tus_threshold: MIB,
        chunk_size: 8 * MIB,
        max_attempts: 6,
        parallel_threshold: 32 * MIB,
        parallel_parts: 4,
    }
}

fn new_job(path: &std::path::Path) -> SendJob {
    let sender = OrgNumber::parse(PRACTICE_ORG_A).unwrap();
    let job =
        SendJob::new(&practice_request(path.to_owned()), Environment::Sandbox, &sender, None, &settings()).unwrap();
    assert_eq!(job.method, Method::Tus);
    assert_eq!(job.parts.as_ref().map(|p| p.get().len()), Some(4), "planned in four parts");
    job
}

/// What the server published is the source, from four partials and one final.
fn assert_published_whole(sandbox: &SandboxHandle, job: &SendJob, original: &[u8]) -> Uuid {
    assert_eq!(job.phase, Phase::Published, "{:?}", job.error);
    let ft = job.file_transfer_id.unwrap();
    let stored = sandbox.admin().stored_bytes(ft).expect("the server holds the file");
    assert!(stored == original, "the published bytes are the source's ({} vs {} bytes)", stored.len(), original.len());
    let info = sandbox.admin().transfers().into_iter().find(|t| t.id == ft).unwrap();
    assert_eq!(info.computed_checksum.as_deref(), job.md5.as_deref(), "the server's MD5 is the source's");
    let parts = job.parts.as_ref().unwrap().get();
    assert!(parts.iter().all(|p| p.location.is_some() && p.sent == p.len), "{parts:?}");
    ft
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_file_goes_up_in_four_parts_and_is_published_whole() {
    let w = world().await;
    let file = make_file(w.dir.path(), "stor.bin", SIZE);
    let original = std::fs::read(&file).unwrap();
    let mut job = new_job(&file);
    let sink = Sink::default();
    send::run(&mut job, &w.a, &settings(), &sink, never()).await;
    let ft = assert_published_whole(&w.sandbox, &job, &original);
    assert_eq!(w.sandbox.admin().tus_concats(ft), (4, 1), "four partials, one final");
    assert_eq!(w.sandbox.admin().bytes_received(ft), SIZE as u64, "every byte once");
    // Progress is the sum over the parts: it never goes back, and it reaches the end.
    let updates = sink.updates.lock().unwrap();
    let uploading = updates.iter().filter(|u| u.job.phase == Phase::Uploading);
    let done: Vec<u64> = uploading.filter_map(|u| u.progress.map(|p| p.done)).collect();
    assert!(done.windows(2).all(|w| w[0] <= w[1]), "monotonic");
    assert!(done.last().is_some_and(|d| *d >= SIZE as u64 * 9 / 10), "{:?}", done.last());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_cut_in_one_part_resumes_only_that_part() {
    let w = world().await;
    let file = make_file(w.dir.path(), "kutt.bin", SIZE);
    let original = std::fs::read(&file).unwrap();
    w.sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some(TUS.into()),
        method: Some("PATCH".into()),
        drop_after_bytes: Some(3 * MIB),
        ..Default::default()
    });
    let mut job = new_job(&file);
    send::run(&mut job, &w.a, &settings(), &Sink::default(), never()).await;
    assert_eq!(w.sandbox.admin().faults_fired("drop"), 1, "the connection was cut");
    let ft = assert_published_whole(&w.sandbox, &job, &original);
    // The cut part went on with its own partial, from its server offset.
    assert_eq!(w.sandbox.admin().tus_concats(ft), (4, 1), "no partial made again, one final");
    let received = w.sandbox.admin().bytes_received(ft);
    assert!(received <= SIZE as u64 + 8 * MIB, "at most the cut chunk again: {received}");
}

/// Arms a lost answer on the final's request once every part is complete.
struct LoseTheFinal {
    inner: Sink,
    admin: Admin,
    armed: AtomicBool,
}

impl SendSink for LoseTheFinal {
    fn save(&self, job: &SendJob) -> AppResult<()> {
        let complete = job.parts.as_ref().is_some_and(|p| p.get().iter().all(|p| p.sent == p.len));
        if complete && !self.armed.swap(true, Ordering::SeqCst) {
            self.admin.add_fault(FaultSpec {
                path_prefix: Some(TUS.into()),
                method: Some("POST".into()),
                lose_answer: Some(1),
                ..Default::default()
            });
        }
        self.inner.save(job)
    }
    fn report(&self, update: SendUpdate) {
        self.inner.report(update)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_to_the_final_does_not_ask_for_a_second() {
    let w = world().await;
    let file = make_file(w.dir.path(), "final.bin", SIZE);
    let original = std::fs::read(&file).unwrap();
    let sink = LoseTheFinal { inner: Sink::default(), admin: w.sandbox.admin(), armed: AtomicBool::new(false) };
    let mut job = new_job(&file);
    send::run(&mut job, &w.a, &settings(), &sink, never()).await;
    assert_eq!(w.sandbox.admin().faults_fired("lose_answer"), 1, "the final's answer was lost");
    let ft = assert_published_whole(&w.sandbox, &job, &original);
    assert_eq!(w.sandbox.admin().tus_concats(ft), (4, 1), "the final was asked for once");
}

fn queue(store: Store, broker: Broker) -> Arc<SendQueue> {
    SendQueue::new(store, Arc::new(move |_env, _: &str| Ok(broker.clone())), settings(), 2, Arc::new(|_| {}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_upload_resumes_every_part_from_its_server_offset() {
    let w = world().await;
    let file = make_file(w.dir.path(), "omstart.bin", SIZE);
    let original = std::fs::read(&file).unwrap();
    // Every TUS request waits a while, so the first run is stopped mid-way.
    w.sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some(TUS.into()),
        latency_ms: Some(300),
        ..Default::default()
    });
    let db = w.dir.path().join("db");
    let sender = OrgNumber::parse(PRACTICE_ORG_A).unwrap();
    // The first run of the app, on its own runtime, stopped dead once a part
    // has a chunk confirmed: dropping the runtime ends every task at once.
    let first = Broker::new(client_for(&w.sandbox, PRACTICE_ORG_A));
    let (db2, file2) = (db.clone(), file.clone());
    let job_id = tokio::task::spawn_blocking(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let id = rt.block_on(async move {
            let (store, _) = Store::open(&db2).unwrap();
            let q = queue(store, first);
            let job = q.enqueue(&practice_request(file2), Environment::Sandbox, &sender, None).unwrap();
            wait_for_within(&q, PART_WAIT, job.id, |j| j.phase == Phase::Uploading && j.bytes_sent >= 8 * MIB).await;
            job.id
        });
        rt.shutdown_background();
        id
    })
    .await
    .unwrap();
    // The second run: a new client, the same database.
    let (store, _) = Store::open(&db).unwrap();
    let q = queue(store, Broker::new(client_for(&w.sandbox, PRACTICE_ORG_A)));
    let interrupted = q.get(job_id).unwrap();
    assert_eq!(interrupted.phase, Phase::Uploading);
    let saved = interrupted.parts.as_ref().unwrap().get();
    assert!(saved.iter().all(|p| p.location.is_some()), "every partial was saved as made: {saved:?}");
    let ft = interrupted.file_transfer_id.unwrap();
    assert!(w.sandbox.admin().bytes_received(ft) < SIZE as u64, "stopped mid-way");
    w.sandbox.admin().clear_faults();
    assert_eq!(q.resume_unfinished().unwrap(), 1);
    let done = wait_for_within(&q, PART_WAIT, job_id, |j| j.phase.is_finished()).await;
    assert_eq!(done.file_transfer_id, Some(ft), "same transfer");
    assert_published_whole(&w.sandbox, &done, &original);
    assert_eq!(w.sandbox.admin().tus_concats(ft), (4, 1), "each part resumed its own partial; one final");
    let received = w.sandbox.admin().bytes_received(ft);
    assert!(received <= SIZE as u64 + 4 * 8 * MIB, "at most a chunk per part again: {received}");
}

/// One fault and perhaps a stop (the app quitting), each when the upload
/// has reached a random point; the stopped job is then read back as the store
/// holds it and run again.
#[derive(Debug)]
struct Case {
    fault_at: u64,
    fault: FaultSpec,
    stop_at: Option<u64>,
}

fn case(rng: &mut StdRng) -> Case {
    let method = ["PATCH", "POST", "HEAD"][rng.gen_range(0..3)];
    let mut fault = FaultSpec { path_prefix: Some(TUS.into()), method: Some(method.into()), ..Default::default() };
    match (method, rng.gen_range(0..3)) {
        ("PATCH", 0) => fault.drop_after_bytes = Some(rng.gen_range(1..8 * MIB)),
        ("PATCH", 1) => fault.cut_request_after_bytes = Some(rng.gen_range(1..8 * MIB)),
        (_, 2) => fault.fail_503 = Some(rng.gen_range(1..4)),
        _ => fault.lose_answer = Some(1),
    }
    Case {
        fault_at: rng.gen_range(0..SIZE as u64),
        fault,
        stop_at: rng.gen_bool(0.5).then(|| rng.gen_range(0..SIZE as u64 * 9 / 10)),
    }
}

/// Watches the bytes handed over: arms the case's fault, and tells `stop`.
struct Driver {
    inner: Sink,
    admin: Admin,
    fault: Mutex<Option<(u64, FaultSpec)>>,
    stop_at: Option<u64>,
    stop: Arc<Notify>,
}

impl Driver {
    fn reached(&self, done: u64) {
        let mut f = self.fault.lock().unwrap();
        if f.as_ref().is_some_and(|(at, _)| done >= *at) {
            self.admin.add_fault(f.take().unwrap().1);
        }
        if self.stop_at.is_some_and(|at| done >= at) {
            self.stop.notify_one();
        }
    }
}

impl SendSink for Driver {
    fn save(&self, job: &SendJob) -> AppResult<()> {
        if job.phase == Phase::Uploading {
            self.reached(job.bytes_sent);
        }
        self.inner.save(job)
    }
    fn report(&self, update: SendUpdate) {
        if let (Phase::Uploading, Some(p)) = (update.job.phase, update.progress) {
            self.reached(p.done);
        }
        self.inner.report(update)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_faults_and_stops_never_lose_or_repeat_a_part() {
    let w = world().await;
    let file = make_file(w.dir.path(), "simulert.bin", SIZE);
    let original = std::fs::read(&file).unwrap();
    let seeds: u64 = std::env::var("PARTS_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(6);
    let kinds = ["drop", "cut_request", "fail_503", "lose_answer"];
    let (mut stops, mut faults) = (0, 0);
    for seed in 0..seeds {
        let c = case(&mut StdRng::seed_from_u64(seed));
        let admin = w.sandbox.admin();
        admin.clear_faults();
        let fired_before: u64 = kinds.iter().map(|k| admin.faults_fired(k)).sum();
        let stop = Arc::new(Notify::new());
        let driver = Driver {
            inner: Sink::default(),
            admin: admin.clone(),
            fault: Mutex::new(Some((c.fault_at, c.fault.clone()))),
            stop_at: c.stop_at,
            stop: stop.clone(),
        };
        let mut job = new_job(&file);
        let stopping = async move {
            stop.notified().await;
            send::Stop::Pause
        };
        send::run(&mut job, &w.a, &settings(), &driver, stopping).await;
        let stopped = job.phase != Phase::Published;
        if stopped {
            assert_eq!(job.phase, Phase::Paused, "seed {seed} {c:?}: {:?}", job.error);
            // A new start: the job as the store holds it (nothing shared with the first run).
            let saved = serde_json::to_string(driver.inner.saved.lock().unwrap().last().unwrap()).unwrap();
            job = serde_json::from_str(&saved).unwrap();
            send::run(&mut job, &w.a, &settings(), &driver, never()).await;
        }
        let fired: u64 = kinds.iter().map(|k| admin.faults_fired(k)).sum::<u64>() - fired_before;
        let ft = assert_published_whole(&w.sandbox, &job, &original);
        let (partials, finals) = admin.tus_concats(ft);
        assert_eq!(finals, 1, "seed {seed} {c:?}: the final asked for once");
        // A lost answer to a partial's creation leaves one orphan; nothing else makes a partial again.
        assert!(partials <= 4 + fired, "seed {seed} {c:?}: {partials} partials, {fired} faults fired");
        let received = admin.bytes_received(ft);
        let again = (fired + 4 * u64::from(stopped)) * 8 * MIB;
        assert!(received <= SIZE as u64 + again, "seed {seed} {c:?}: {received} bytes for {SIZE}, {fired} fired");
        admin.clear_faults();
        stops += u64::from(stopped);
        faults += fired;
    }
    // The run proves something only if its stops and faults happened.
    assert!(stops >= seeds / 4 && faults >= seeds / 2, "{stops} stops and {faults} faults in {seeds} seeds");
}
