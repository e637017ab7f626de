//! The simulated world: one sandbox, and two organisations each with its own
//! data folder (A sends, B receives). Each organisation runs one or more
//! *instances* of the engine over its data folder, each on its own Tokio
//! runtime with its own state, clients and send queue, exactly as a second
//! copy of the app (or the command line beside the app) would. Stopping an
//! instance drops its runtime at once, as quitting or a crash does.

use budbringer_core::altinn::profile::{self, Profile, ProfileStore};
use budbringer_core::altinn::setup;
use budbringer_core::environment::Environment;
use budbringer_core::error::{AppError, ErrorCode};
use budbringer_core::secrets::{MemorySecretStore, Secret, SecretStore};
use budbringer_core::settings::Settings;
use budbringer_core::transfers::engine::SendQueue;
use budbringer_core::transfers::inbox::RefreshReport;
use budbringer_core::transfers::send::{Phase, SendUpdate, UploadSettings};
use budbringer_runtime::practice::{self, PracticeSetup};
use budbringer_runtime::services::{queue, EventSink, Notifier};
use budbringer_runtime::state::AppState;
use budbringer_sandbox::SandboxHandle;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// Upload tuning in the simulation: TUS from 1 MiB in 8 MiB chunks (the
/// smallest Broker allows), and few attempts so that giving up happens in seconds.
pub fn tuning() -> UploadSettings {
    UploadSettings { tus_threshold: 1024 * 1024, chunk_size: 8 * 1024 * 1024, max_attempts: 4, ..Default::default() }
}

/// What every instance told its watchers: failures are kept for the checks.
#[derive(Default)]
pub struct Recorder {
    /// Every failure a send job reported, with the instance that ran it.
    pub send_failures: Mutex<Vec<(Uuid, AppError)>>,
    pub refresh_failures: Mutex<Vec<AppError>>,
    /// The outcome of the latest look for new files (None: it worked).
    pub last_refresh: Mutex<Option<AppError>>,
}

impl Recorder {
    pub fn last_refresh_error(&self) -> Option<AppError> {
        self.last_refresh.lock().unwrap().clone()
    }
}

impl EventSink for Recorder {
    fn send_update(&self, u: SendUpdate) {
        if u.job.phase == Phase::Failed {
            let e = u.job.error.clone().unwrap_or_else(|| AppError::internal("failed without an error"));
            self.send_failures.lock().unwrap().push((u.job.id, e));
        }
    }
    fn inbox_refreshed(&self, _: &RefreshReport) {
        *self.last_refresh.lock().unwrap() = None;
    }
    fn inbox_failed(&self, e: AppError) {
        *self.last_refresh.lock().unwrap() = Some(e.clone());
        self.refresh_failures.lock().unwrap().push(e);
    }
    fn download_progress(&self, _: Uuid, _: u64, _: u64) {}
}

pub struct Quiet;
impl Notifier for Quiet {
    fn notify(&self, _: &str, _: &str) {}
}

/// One organisation: its data folder and its secrets (the OS keyring is
/// shared by every copy of the app, so the instances share one store).
pub struct Node {
    pub name: &'static str,
    pub org: &'static str,
    pub data: PathBuf,
    pub inbox_dir: PathBuf,
    pub secrets: Arc<dyn SecretStore>,
    pub instances: Vec<Instance>,
    pub recorder: Arc<Recorder>,
    /// Instances started so far (for names in the log).
    pub started: usize,
}

/// One running copy of the engine over the node's data folder.
pub struct Instance {
    pub name: String,
    pub rt: Option<tokio::runtime::Runtime>,
    pub state: Arc<AppState>,
    pub queue: Arc<SendQueue>,
    /// The actions started on this instance, still running or done.
    pub tasks: Vec<(String, tokio::task::JoinHandle<()>)>,
}

impl Node {
    /// Makes the organisation ready in the sandbox and saves its profile.
    pub fn new(root: &Path, name: &'static str, org: &'static str, sandbox: &SandboxHandle, api_key: &str) -> Node {
        let data = root.join(name);
        std::fs::create_dir_all(&data).unwrap();
        let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::new());
        let profile = provision(sandbox, org, secrets.as_ref());
        let profiles = ProfileStore::open(&data);
        profiles.save(profile).unwrap();
        setup::set_api_key(&profiles, secrets.as_ref(), Environment::Sandbox, Some(api_key)).unwrap();
        Node {
            name,
            org,
            inbox_dir: data.join("mottatt"),
            data,
            secrets,
            instances: Vec::new(),
            recorder: Arc::new(Recorder::default()),
            started: 0,
        }
    }

    /// Starts another instance; like the app, it resumes the send jobs the
    /// data folder holds unfinished.
    pub fn start_instance(&mut self, sandbox_url: &str, auto_save: bool) {
        self.started += 1;
        let name = format!("{}{}", self.name, self.started);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(8)
            .thread_name(name.clone())
            .enable_all()
            .build()
            .unwrap();
        let settings = Settings {
            environment: Environment::Sandbox,
            download_dir: Some(self.inbox_dir.to_string_lossy().into_owned()),
            auto_save,
            ..Settings::default()
        };
        let state = Arc::new(
            AppState::with_secrets(settings, self.data.clone(), self.data.join("logs"), self.secrets.clone())
                .with_external_sandbox(Some(sandbox_url.to_owned())),
        );
        let q = {
            let _in_runtime = rt.enter();
            let q = queue::open(&state, self.recorder.clone(), tuning());
            q.resume_unfinished().unwrap();
            q
        };
        self.instances.push(Instance { name, rt: Some(rt), state, queue: q, tasks: Vec::new() });
    }

    /// Stops instance `i` at once: its tasks end wherever they are.
    pub fn kill(&mut self, i: usize) -> String {
        let mut inst = self.instances.remove(i);
        if let Some(rt) = inst.rt.take() {
            rt.shutdown_background();
        }
        inst.name
    }

    pub fn kill_all(&mut self) {
        while !self.instances.is_empty() {
            self.kill(0);
        }
    }

    /// Sets a new API key, the way the Setup page does it.
    pub fn set_api_key(&self, key: &str) {
        let profiles = ProfileStore::open(&self.data);
        // In the organisation's own names, as the app keeps them (secrets::scoped).
        let secrets = budbringer_core::secrets::scoped::ScopedSecrets::fixed(self.secrets.clone(), self.org);
        setup::set_api_key(&profiles, &secrets, Environment::Sandbox, Some(key)).unwrap();
    }
}

/// [`practice::provision`] with one key per organisation for the whole
/// process: making an RSA key takes longer than a whole run otherwise would.
fn provision(sandbox: &SandboxHandle, org: &'static str, secrets: &dyn SecretStore) -> Profile {
    static MADE: Mutex<Vec<(&'static str, PracticeSetup, Secret)>> = Mutex::new(Vec::new());
    let mut made = MADE.lock().unwrap();
    if !made.iter().any(|(o, _, _)| *o == org) {
        let scratch = MemorySecretStore::new();
        let setup = practice::prepare(org, &scratch).unwrap();
        let key = scratch.get(&profile::private_key_secret(Environment::Sandbox)).unwrap().unwrap();
        made.push((org, setup, key));
    }
    let (_, setup, key) = made.iter().find(|(o, _, _)| *o == org).unwrap();
    secrets.set(&profile::private_key_secret(Environment::Sandbox), key).unwrap();
    let admin = sandbox.admin();
    admin.register_client(setup.client.clone());
    let id = admin.add_system_user(setup.system_user.clone());
    let mut p = setup.profile.clone();
    p.system_user.system_user_id = Some(id.to_string());
    p
}

impl Instance {
    /// Runs `work` on this instance's runtime, in the background.
    pub fn spawn<F>(&mut self, what: String, work: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        if let Some(rt) = &self.rt {
            let h = rt.spawn(work);
            self.tasks.push((what, h));
        }
    }

    /// The actions still running.
    pub fn running(&self) -> Vec<String> {
        self.tasks.iter().filter(|(_, h)| !h.is_finished()).map(|(w, _)| w.clone()).collect()
    }
}

/// Failures that faults can cause and a later try can cure: a job that ends
/// with one of these after the world is healthy again was not retried well.
pub fn is_fault_failure(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::Network
            | ErrorCode::RateLimited
            | ErrorCode::ServiceUnavailable
            | ErrorCode::BrokerServerError
            | ErrorCode::MalformedResponse
            | ErrorCode::ApiKeyMissingOrWrong
            | ErrorCode::TransferFailed
            | ErrorCode::BrokerUploadFailed
            | ErrorCode::TokenRejected
    )
}
