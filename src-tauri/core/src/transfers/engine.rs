//! The send queue: jobs run a few at a time, can be paused, resumed,
//! cancelled and retried, and are persisted so that a restart picks up every
//! unfinished job where it stopped.

use super::broker::Broker;
use super::send::{self, Phase, SendJob, SendRequest, SendSink, SendUpdate, Stop, UploadSettings};
use super::validate::OrgNumber;
use crate::environment::Environment;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::store::{Store, Table};
use crate::sync::Locked;
use futures_util::FutureExt;
use std::any::Any;
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use tokio::sync::{watch, Semaphore};
use uuid::Uuid;

/// Gives the engine an authenticated Broker for an environment.
pub type BrokerProvider = Arc<dyn Fn(Environment) -> AppResult<Broker> + Send + Sync>;
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
        for job in self.list()? {
            if matches!(job.phase, Phase::Queued | Phase::Preparing | Phase::Uploading | Phase::Processing) {
                tracing::info!(job = %job.id, phase = ?job.phase, "resuming after restart");
                self.start(job);
                n += 1;
            }
        }
        Ok(n)
    }

    fn start(self: &Arc<Self>, job: SendJob) {
        let (tx, rx) = watch::channel(Control::Run);
        {
            let mut running = self.running.locked();
            if let Some(r) = running.get_mut(&job.id) {
                // Still in the set: running, or just ending (it saved its end state,
                // a retry or resume read it, and it has not left the set yet).
                r.start_again = true;
                return;
            }
            running.insert(job.id, Running { control: tx, start_again: false });
        }
        let me = self.clone();
        self.runtime.spawn(async move {
            let id = job.id;
            let guard = RunningGuard { queue: me.clone(), id, finished: false };
            // A panic is a bug, but it must not leave the job looking busy forever,
            // beyond the reach of pause, cancel and retry.
            let recorded = match AssertUnwindSafe(me.run_job(job, rx)).catch_unwind().await {
                Ok(()) => true,
                Err(panic) => me.crashed(id, panic.as_ref()),
            };
            if guard.finish() && recorded {
                me.start_if_queued(id);
            }
        });
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
            Ok(job) if job.phase == Phase::Queued => self.start(job),
            Ok(_) => {}
            Err(e) => tracing::error!(job = %id, error = %e, "could not read a job queued again"),
        }
    }

    async fn run_job(self: &Arc<Self>, mut job: SendJob, mut ctl: watch::Receiver<Control>) {
        // Wait for a free slot, unless paused or cancelled first.
        let permit = tokio::select! {
            p = self.slots.clone().acquire_owned() => p.ok(),
            s = stop_signal(ctl.clone()) => {
                self.stopped(&mut job, s);
                return;
            }
        };
        let _permit = permit;
        let broker = match (self.broker)(job.environment) {
            Ok(b) => b,
            Err(e) => {
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
            let mut job = self.get(id)?;
            if job.phase == Phase::Queued {
                self.stopped(&mut job, Stop::Pause);
            }
        }
        Ok(())
    }

    pub fn resume(self: &Arc<Self>, id: Uuid) -> AppResult<()> {
        let mut job = self.get(id)?;
        if job.phase == Phase::Paused {
            job.phase = Phase::Queued;
            self.save(&job)?;
            (self.listener)(SendUpdate { job: job.clone(), progress: None });
            self.start(job);
        }
        Ok(())
    }

    pub fn cancel(&self, id: Uuid) -> AppResult<()> {
        if !self.signal(id, Control::Cancel) {
            let mut job = self.get(id)?;
            if !job.phase.is_finished() {
                self.stopped(&mut job, Stop::Cancel);
            }
        }
        Ok(())
    }

    /// Tries a failed or cancelled job again. When Altinn already marked its
    /// transfer failed, a new transfer (with a new reference) is made; the file
    /// is hashed again in case it was fixed.
    pub async fn retry(self: &Arc<Self>, id: Uuid) -> AppResult<()> {
        let mut job = self.get(id)?;
        if !matches!(job.phase, Phase::Failed | Phase::Cancelled) {
            return Ok(());
        }
        if let Some(ft) = job.file_transfer_id {
            let status = match (self.broker)(job.environment) {
                Ok(b) => b.overview(ft).await.ok().and_then(|o| o.file_transfer_status),
                Err(_) => None,
            };
            // Only a transfer Altinn failed needs a new one. In any other state it
            // lives on: still uploading, or the upload arrived after all (its last
            // bytes went out just before a cancel or a crash), and a new transfer
            // would deliver the file twice.
            if status.as_deref().is_some_and(|s| s == "Failed" || s == "Cancelled") {
                job.file_transfer_id = None;
                job.initialize_sent = false;
                if job.reference.starts_with("budbringer-") {
                    job.reference = format!("budbringer-{}", Uuid::new_v4());
                }
            }
        }
        job.md5 = None;
        job.modified_ms = None;
        job.error = None;
        job.bytes_sent = 0;
        job.phase = Phase::Queued;
        self.save(&job)?;
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
        let broker = (self.broker)(job.environment)?;
        let details = broker.details(ft).await.map_err(|e| e.error)?;
        job.receipt = Some(details);
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
