//! The send queue: jobs run a few at a time, can be paused, resumed,
//! cancelled and retried, and are persisted so that a restart picks up every
//! unfinished job where it stopped.
//!
//! A job runs in one copy of the engine at a time: its run holds the store's
//! `send-<id>` lock, so a second copy of the app (or the command line beside
//! it) over the same data folder leaves it to the first, and takes it over
//! only once the first is gone.

use super::broker::Broker;
use super::send::{self, Phase, SendJob, SendRequest, SendSink, SendUpdate, Stop, UploadSettings};
use super::validate::OrgNumber;
use crate::environment::Environment;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::store::{Lock, Store, Table};
use crate::sync::Locked;
use futures_util::FutureExt;
use std::any::Any;
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use tokio::sync::{watch, Semaphore};
use uuid::Uuid;

/// Gives the engine an authenticated Broker for an environment and a sender
/// (the job's `sender`, `0192:<org>`): a job sends as the organisation it was
/// created for, whichever one the user has switched to since.
pub type BrokerProvider = Arc<dyn Fn(Environment, &str) -> AppResult<Broker> + Send + Sync>;
/// Receives every update of every job.
pub type Listener = Arc<dyn Fn(SendUpdate) + Send + Sync>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    Run,
    Pause,
    Cancel,
}

/// A job in the running set.
struct Running {
    control: watch::Sender<Control>,
    /// A retry or resume came while this run was ending: start the job again once it has.
    start_again: bool,
}

pub struct SendQueue {
    store: Store,
    broker: BrokerProvider,
    settings: Mutex<UploadSettings>,
    listener: Listener,
    running: Mutex<HashMap<Uuid, Running>>,
    slots: Arc<Semaphore>,
    runtime: tokio::runtime::Handle,
}

struct Sink<'a> {
    queue: &'a SendQueue,
}

/// The lock that gives a send job one owner across copies of the engine.
fn job_lock(id: Uuid) -> String {
    format!("send-{id}")
}

/// What lets this copy of the engine change a job.
#[allow(dead_code)] // the lock is held for its drop
enum Claim {
    /// Its run is here (it holds the lock).
    RunningHere,
    /// Not running anywhere: held while the change is made.
    Locked(Lock),
}

/// Takes a job out of the running set when its run is over, however it ended:
/// normally ([`finish`](Self::finish)), or by a panic or the task being dropped.
struct RunningGuard {
    queue: Arc<SendQueue>,
    id: Uuid,
    finished: bool,
}

impl RunningGuard {
    /// Leaves the running set; says whether a start came in the meantime.
    fn finish(mut self) -> bool {
        self.finished = true;
        self.queue.running.locked().remove(&self.id).is_some_and(|r| r.start_again)
    }
}

impl Drop for RunningGuard {
    fn drop(&mut self) {
        if !self.finished {
            self.queue.running.locked().remove(&self.id);
        }
    }
}

impl SendSink for Sink<'_> {
    fn save(&self, job: &SendJob) -> AppResult<()> {
        self.queue.store.put(Table::Outgoing, &job.id.to_string(), job.phase.is_finished(), job)
    }
    fn report(&self, update: SendUpdate) {
        (self.queue.listener)(update)
    }
}

impl SendQueue {
    /// A queue running up to `parallel` uploads at once. Must be created
    /// inside a Tokio runtime, which then runs the jobs.
    pub fn new(
        store: Store,
        broker: BrokerProvider,
        settings: UploadSettings,
        parallel: usize,
        listener: Listener,
    ) -> Arc<Self> {
        Arc::new(SendQueue {
            store,
            broker,
            settings: Mutex::new(settings),
            listener,
            running: Mutex::new(HashMap::new()),
            slots: Arc::new(Semaphore::new(parallel.max(1))),
            runtime: tokio::runtime::Handle::current(),
        })
    }

    pub fn settings(&self) -> UploadSettings {
        *self.settings.locked()
    }

    /// New upload tuning for jobs that start from now on.
    pub fn set_settings(&self, settings: UploadSettings) {
        *self.settings.locked() = settings;
    }

    /// Checks a request locally, stores it and starts it. Nothing has left the
    /// machine when this returns an error.
    pub fn enqueue(
        self: &Arc<Self>,
        req: &SendRequest,
        environment: Environment,
        sender: &OrgNumber,
        resource_max: Option<u64>,
    ) -> AppResult<SendJob> {
        let job = SendJob::new(req, environment, sender, resource_max, &self.settings())?;
        self.save(&job)?;
        (self.listener)(SendUpdate { job: job.clone(), progress: None });
        self.start(job.clone());
        Ok(job)
    }

    /// Every job, unfinished first, newest first.
    pub fn list(&self) -> AppResult<Vec<SendJob>> {
        self.store.list(Table::Outgoing)
    }

    /// The jobs not yet published, failed or cancelled (paused ones too),
    /// without reading the finished history.
    pub fn unfinished(&self) -> AppResult<Vec<SendJob>> {
        self.store.unfinished(Table::Outgoing)
    }

    /// The first `limit` jobs (all without one) that `keep` accepts, in the
    /// order of [`SendQueue::list`]: a list's first page.
    pub fn newest(&self, limit: Option<usize>, keep: impl FnMut(&SendJob) -> bool) -> AppResult<Vec<SendJob>> {
        self.store.newest(Table::Outgoing, limit, keep)
    }

    pub fn get(&self, id: Uuid) -> AppResult<SendJob> {
        self.store
            .get(Table::Outgoing, &id.to_string())?
            .ok_or_else(|| AppError::new(ErrorCode::NotFound).with_detail(format!("no transfer {id}")))
    }

    fn save(&self, job: &SendJob) -> AppResult<()> {
        Sink { queue: self }.save(job)
    }

    /// Restarts every job that was under way when the app stopped; paused
    /// jobs stay paused. Returns how many were restarted.
    pub fn resume_unfinished(self: &Arc<Self>) -> AppResult<usize> {
        let mut n = 0;
        for job in self.unfinished()? {
            if matches!(job.phase, Phase::Queued | Phase::Preparing | Phase::Uploading | Phase::Processing) {
                tracing::info!(job = %job.id, phase = ?job.phase, "resuming after restart");
                if self.start(job) {
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// Starts a job's run. When another copy of the engine runs it, the run
    /// here waits for that copy to let go (it finishes the job, or stops or
    /// dies), then reads the job again and goes on only if it is still
    /// unfinished: a job is never left to a copy that is gone. Says whether
    /// it runs (or will run) here.
    fn start(self: &Arc<Self>, job: SendJob) -> bool {
        let (tx, rx) = watch::channel(Control::Run);
        let lock = {
            let mut running = self.running.locked();
            if let Some(r) = running.get_mut(&job.id) {
                // Still in the set: running, or just ending (it saved its end state,
                // a retry or resume read it, and it has not left the set yet).
                r.start_again = true;
                return true;
            }
            let lock = match self.store.try_lock(&job_lock(job.id)) {
                Ok(lock) => lock,
                Err(e) => {
                    tracing::error!(job = %job.id, error = %e, "could not take the job's lock");
                    return false;
                }
            };
            running.insert(job.id, Running { control: tx, start_again: false });
            lock
        };
        let me = self.clone();
        self.runtime.spawn(async move {
            let id = job.id;
            let guard = RunningGuard { queue: me.clone(), id, finished: false };
            let (lock, job) = match lock {
                Some(lock) => (lock, job),
                None => {
                    tracing::info!(job = %id, "another copy of Budbringer is running this job; waiting for it");
                    let lock = match me.store.lock(&job_lock(id)).await {
                        Ok(lock) => lock,
                        Err(e) => {
                            tracing::error!(job = %id, error = %e, "could not take the job's lock");
                            return;
                        }
                    };
                    // Read again: the other copy has moved it on, maybe to its end.
                    match me.get(id) {
                        Ok(job) if !job.phase.is_finished() && job.phase != Phase::Paused => (lock, job),
                        _ => return,
                    }
                }
            };
            // A panic is a bug, but it must not leave the job looking busy forever,
            // beyond the reach of pause, cancel and retry.
            let recorded = match AssertUnwindSafe(me.run_job(job, rx)).catch_unwind().await {
                Ok(()) => true,
                Err(panic) => me.crashed(id, panic.as_ref()),
            };
            // Released before a start queued meanwhile takes it again.
            drop(lock);
            if guard.finish() && recorded {
                me.start_if_queued(id);
            }
        });
        true
    }

    /// For a change to a job that is not running here: its lock, or `None`
    /// when another copy of the engine runs it (the change is then its to make).
    fn claim(&self, id: Uuid) -> AppResult<Option<Claim>> {
        if self.running.locked().contains_key(&id) {
            return Ok(Some(Claim::RunningHere));
        }
        Ok(self.store.try_lock(&job_lock(id))?.map(Claim::Locked))
    }

    /// Records a run that panicked: the job fails with an internal error, so
    /// the user sees it and can try again. Says whether that was saved.
    fn crashed(&self, id: Uuid, panic: &(dyn Any + Send)) -> bool {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let what = crate::logging::redact(&what);
        tracing::error!(job = %id, panic = %what, "a send job panicked; it is marked failed");
        let mut job = match self.get(id) {
            Ok(job) => job,
            Err(e) => {
                tracing::error!(job = %id, error = %e, "could not read the job that panicked");
                return false;
            }
        };
        job.phase = Phase::Failed;
        job.error = Some(AppError::internal(format!("the send job stopped on a bug: {what}")));
        if let Err(e) = self.save(&job) {
            tracing::error!(job = %id, error = %e, "could not save the job that panicked");
            return false;
        }
        (self.listener)(SendUpdate { job, progress: None });
        true
    }

    /// Starts a job that a retry or resume queued while its last run was ending.
    fn start_if_queued(self: &Arc<Self>, id: Uuid) {
        match self.get(id) {
            Ok(job) if job.phase == Phase::Queued => drop(self.start(job)),
            Ok(_) => {}
            Err(e) => tracing::error!(job = %id, error = %e, "could not read a job queued again"),
        }
    }

    async fn run_job(self: &Arc<Self>, mut job: SendJob, mut ctl: watch::Receiver<Control>) {
        // Wait for a free slot, unless paused or cancelled first.
        let permit = tokio::select! {
            p = self.slots.clone().acquire_owned() => p.ok(),
            s = stop_signal(ctl.clone()) => {
                if s == Stop::Cancel && job.file_transfer_id.is_some() {
                    self.cancel_asking(job).await;
                } else {
                    self.stopped(&mut job, s);
                }
                return;
            }
        };
        let _permit = permit;
        let broker = match (self.broker)(job.environment, &job.sender) {
            Ok(b) => b,
            Err(e) => {
                // The app may be stopping (its state is gone): then this task is
                // dropped at the yield, and the job stays as it was, to resume.
                tokio::task::yield_now().await;
                job.phase = Phase::Failed;
                job.error = Some(e);
                let _ = self.save(&job);
                (self.listener)(SendUpdate { job, progress: None });
                return;
            }
        };
        let sink = Sink { queue: self };
        let stop = stop_signal(ctl.clone());
        let settings = self.settings();
        send::run(&mut job, &broker, &settings, &sink, stop).await;
        let _ = ctl.borrow_and_update();
    }

    /// Cancels a job that is not running but has a transfer: Altinn may have
    /// all its bytes from the run that stopped (a pause or a restart racing
    /// the last of them), and then the job follows it to its receipt instead.
    async fn cancel_asking(self: &Arc<Self>, mut job: SendJob) {
        match (self.broker)(job.environment, &job.sender) {
            Ok(broker) => {
                let settings = self.settings();
                send::cancel_stopped(&mut job, &broker, &settings, &Sink { queue: self }).await;
            }
            Err(_) => self.stopped(&mut job, Stop::Cancel),
        }
    }

    fn stopped(&self, job: &mut SendJob, s: Stop) {
        match s {
            Stop::Pause => job.phase = Phase::Paused,
            Stop::Cancel => {
                job.phase = Phase::Cancelled;
                job.error = Some(AppError::new(ErrorCode::TransferCancelled));
            }
        }
        let _ = self.save(job);
        (self.listener)(SendUpdate { job: job.clone(), progress: None });
    }

    fn signal(&self, id: Uuid, c: Control) -> bool {
        match self.running.locked().get(&id) {
            Some(r) => {
                let _ = r.control.send(c);
                true
            }
            None => false,
        }
    }

    /// Pauses a job; a TUS upload later continues from the server's offset.
    pub fn pause(&self, id: Uuid) -> AppResult<()> {
        if !self.signal(id, Control::Pause) {
            let Some(_claim) = self.claim(id)? else { return Ok(()) };
            let mut job = self.get(id)?;
            if job.phase == Phase::Queued {
                self.stopped(&mut job, Stop::Pause);
            }
        }
        Ok(())
    }

    pub fn resume(self: &Arc<Self>, id: Uuid) -> AppResult<()> {
        let job = {
            let Some(_claim) = self.claim(id)? else { return Ok(()) };
            let mut job = self.get(id)?;
            if job.phase != Phase::Paused {
                return Ok(());
            }
            job.phase = Phase::Queued;
            self.save(&job)?;
            job
        };
        (self.listener)(SendUpdate { job: job.clone(), progress: None });
        self.start(job);
        Ok(())
    }

    /// Cancels a job that has not delivered its file yet. Once the file's
    /// bytes are with Altinn there is nothing to cancel (Broker has none): a
    /// job in `Processing` goes on to its receipt, and a cancel that races the
    /// last bytes finds that out from Altinn (`send::run`).
    pub fn cancel(self: &Arc<Self>, id: Uuid) -> AppResult<()> {
        let job = self.get(id)?;
        if job.phase == Phase::Processing {
            return Ok(());
        }
        if !self.signal(id, Control::Cancel) {
            let Some(_claim) = self.claim(id)? else { return Ok(()) };
            let mut job = self.get(id)?;
            if job.phase.is_finished() || job.phase == Phase::Processing {
                return Ok(());
            }
            if job.file_transfer_id.is_none() {
                self.stopped(&mut job, Stop::Cancel);
                return Ok(());
            }
            // Ask Altinn first, holding the job's lock until that is settled.
            let me = self.clone();
            self.runtime.spawn(async move {
                let _claim = _claim;
                me.cancel_asking(job).await;
            });
        }
        Ok(())
    }

    /// Tries a failed or cancelled job again, after asking Altinn about its
    /// transfer: one that Altinn failed is replaced by a new transfer (with a
    /// new key, and a new reference unless the user gave one; the file is
    /// hashed again in case it was fixed); in any other state the transfer
    /// lives on and the job goes on with it: still uploading, or delivered
    /// after all (Published or later: the run just fetches its receipt), as a
    /// new transfer would deliver the file twice. A file that changed since
    /// its transfer was made, which got none of its bytes, gets a new one too.
    pub async fn retry(self: &Arc<Self>, id: Uuid) -> AppResult<()> {
        let job = self.get(id)?;
        if !matches!(job.phase, Phase::Failed | Phase::Cancelled) {
            return Ok(());
        }
        let status = match job.file_transfer_id {
            Some(ft) => match (self.broker)(job.environment, &job.sender) {
                Ok(b) => b.overview(ft).await.ok().and_then(|o| o.file_transfer_status),
                Err(_) => None,
            },
            None => None,
        };
        let job = {
            let Some(_claim) = self.claim(id)? else { return Ok(()) };
            // Read again under the claim: another copy may have moved it on.
            let mut job = self.get(id)?;
            if !matches!(job.phase, Phase::Failed | Phase::Cancelled) {
                return Ok(());
            }
            let failed = status.as_deref().is_some_and(|s| s == "Failed" || s == "Cancelled");
            let untouched = status.as_deref().is_some_and(|s| s == "Initialized");
            if job.file_transfer_id.is_none() {
                // Hashed again in case the file was fixed; an initialize that may
                // have arrived is still looked for by the job's key before another.
                job.md5 = None;
                job.modified_ms = None;
            } else if failed || (untouched && send::file_changed(&job)) {
                job.transfer_key = send::key_for(&job.properties);
                if job.reference.starts_with("budbringer-") {
                    job.reference = format!("budbringer-{}", Uuid::new_v4());
                }
                job.file_transfer_id = None;
                job.initialize_sent = false;
                job.initialize_sent_at = None;
                job.md5 = None;
                job.modified_ms = None;
            }
            // Keeping its transfer, the job keeps its checksum: it is the one the
            // transfer was made with, and the upload is checked against it.
            job.error = None;
            job.bytes_sent = 0;
            job.phase = Phase::Queued;
            self.save(&job)?;
            job
        };
        (self.listener)(SendUpdate { job: job.clone(), progress: None });
        self.start(job);
        Ok(())
    }

    /// Fetches the transfer's current details from Broker (each recipient's
    /// status moves on after publishing) and keeps them as the receipt.
    pub async fn refresh_receipt(&self, id: Uuid) -> AppResult<SendJob> {
        let mut job = self.get(id)?;
        let Some(ft) = job.file_transfer_id else {
            return Ok(job);
        };
        let broker = (self.broker)(job.environment, &job.sender)?;
        let details = broker.details(ft).await.map_err(|e| e.error)?;
        job.receipt = Some(details);
        self.save(&job)?;
        (self.listener)(SendUpdate { job: job.clone(), progress: None });
        Ok(job)
    }

    /// Keeps `receipt` as the job's receipt (the Sent page's refresh, which
    /// asks for the overview or the details within Altinn's limits) and reports it.
    pub fn store_receipt(&self, id: Uuid, receipt: super::broker::Details) -> AppResult<SendJob> {
        let mut job = self.get(id)?;
        job.receipt = Some(receipt);
        self.save(&job)?;
        (self.listener)(SendUpdate { job: job.clone(), progress: None });
        Ok(job)
    }

    /// Retries every failed job. Returns how many.
    pub async fn retry_all(self: &Arc<Self>) -> AppResult<usize> {
        let failed: Vec<Uuid> = self.list()?.into_iter().filter(|j| j.phase == Phase::Failed).map(|j| j.id).collect();
        for id in &failed {
            self.retry(*id).await?;
        }
        Ok(failed.len())
    }

    /// Takes published and cancelled jobs off the queue's list (failed ones
    /// stay until retried). They remain in the history as receipts.
    pub fn clear_finished(&self) -> AppResult<usize> {
        let mut n = 0;
        for mut job in self.list()? {
            if matches!(job.phase, Phase::Published | Phase::Cancelled) && !job.cleared {
                job.cleared = true;
                self.save(&job)?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Waits until no job is running (for the command line and tests).
    pub async fn idle(&self) {
        while !self.running.locked().is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

async fn stop_signal(mut ctl: watch::Receiver<Control>) -> Stop {
    loop {
        match *ctl.borrow_and_update() {
            Control::Pause => return Stop::Pause,
            Control::Cancel => return Stop::Cancel,
            Control::Run => {}
        }
        if ctl.changed().await.is_err() {
            return std::future::pending().await;
        }
    }
}
