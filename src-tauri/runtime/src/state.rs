//! The application state shared by every command. Tauri-free: the app
//! manages one, tests build their own.

use budbringer_core::altinn::{AltinnClient, Profile};
use budbringer_core::environment::Environment;
use budbringer_core::error::{AppError, AppResult, ErrorCode};
use budbringer_core::secrets::{KeyringSecretStore, MemorySecretStore, SecretStore};
use budbringer_core::settings::Settings;
use budbringer_core::store::{OpenReport, Store};
use budbringer_core::transfers::engine::SendQueue;
use budbringer_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::sync::{Mutex, OnceLock};

/// The keyring service name under which every secret is stored.
pub const KEYRING_SERVICE: &str = "no.budbringer.desktop";

pub struct AppState {
    pub settings: RwLock<Settings>,
    pub secrets: Arc<dyn SecretStore>,
    /// Set when no OS keyring could be opened: secrets then live in memory
    /// for this run only, and the UI says so.
    pub secret_store_problem: Option<AppError>,
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
    /// The embedded practice sandbox, started the first time it is needed.
    /// Its state lives in `<data>/sandbox`, so practice files survive a restart.
    sandbox: tokio::sync::OnceCell<SandboxHandle>,
    /// The send queue and the history of sent and received files.
    pub store: Store,
    /// Set when the local database was damaged and set aside (or could not be
    /// opened at all), for the UI to tell the user.
    pub store_problem: Option<AppError>,
    /// One authenticated client per environment, kept while its profile is
    /// unchanged so that its tokens are reused.
    clients: Mutex<HashMap<Environment, (Profile, AltinnClient)>>,
    queue: OnceLock<Arc<SendQueue>>,
}

impl AppState {
    /// Opens the OS keyring (or, when `BUDBRINGER_SECRET_STORE=memory` or no
    /// keyring works, an in-memory store).
    pub fn new(settings: Settings, data_dir: PathBuf, log_dir: PathBuf) -> Self {
        let (secrets, problem): (Arc<dyn SecretStore>, Option<AppError>) =
            if std::env::var("BUDBRINGER_SECRET_STORE").as_deref() == Ok("memory") {
                (Arc::new(MemorySecretStore::new()), None)
            } else {
                match KeyringSecretStore::open(KEYRING_SERVICE) {
                    Ok(store) => (Arc::new(store), None),
                    Err(e) => {
                        tracing::warn!(error = %e, "no OS keyring: secrets are kept in memory for this run only");
                        (Arc::new(MemorySecretStore::new()), Some(e))
                    }
                }
            };
        let (store, store_problem) = match Store::open(&data_dir) {
            Ok((store, OpenReport::Fine)) => (store, None),
            Ok((store, OpenReport::SetAside(aside))) => (
                store,
                Some(AppError::new(ErrorCode::StoreSetAside).with_detail(format!("moved to {}", aside.display()))),
            ),
            Err(e) => {
                tracing::error!(error = %e, "local database unavailable; history kept in memory for this run");
                (Store::memory(), Some(AppError::new(ErrorCode::StoreSetAside).with_detail(e.to_string())))
            }
        };
        AppState {
            store,
            store_problem,
            clients: Mutex::new(HashMap::new()),
            queue: OnceLock::new(),
            settings: RwLock::new(settings),
            secrets,
            secret_store_problem: problem,
            data_dir,
            log_dir,
            sandbox: tokio::sync::OnceCell::new(),
        }
    }

    /// The embedded sandbox, starting it if it is not running yet. It must be
    /// called on the runtime that should run the sandbox's server.
    pub async fn sandbox(&self) -> AppResult<&SandboxHandle> {
        self.sandbox
            .get_or_try_init(|| async {
                let dir = self.data_dir.join("sandbox");
                let handle = Sandbox::start(SandboxConfig::practice(), dir)
                    .await
                    .map_err(|e| AppError::new(ErrorCode::SandboxFailed).with_detail(e.to_string()))?;
                tracing::info!(url = %handle.base_url(), "practice sandbox started");
                Ok(handle)
            })
            .await
    }

    /// The authenticated client for `profile`'s environment, reused while the
    /// profile is unchanged. The sandbox must already run for its profile.
    pub fn client(&self, profile: Profile) -> AppResult<AltinnClient> {
        let env = profile.environment;
        let mut clients = self.clients.lock().expect("clients lock poisoned");
        if let Some((p, c)) = clients.get(&env) {
            if *p == profile {
                return Ok(c.clone());
            }
        }
        let base = self.sandbox_base_url();
        let endpoints = env.endpoints(base.as_deref()).ok_or_else(|| {
            AppError::new(ErrorCode::SandboxFailed).with_detail("the practice sandbox is not running")
        })?;
        let client = AltinnClient::new(profile.clone(), endpoints, self.secrets.clone())?;
        clients.insert(env, (profile, client.clone()));
        Ok(client)
    }

    /// The send queue, once [`set_queue`](Self::set_queue) has made it.
    pub fn queue(&self) -> AppResult<&Arc<SendQueue>> {
        self.queue.get().ok_or_else(|| AppError::internal("the send queue is not ready"))
    }

    pub fn set_queue(&self, queue: Arc<SendQueue>) {
        let _ = self.queue.set(queue);
    }

    /// The sandbox's base URL, if it has been started.
    pub fn sandbox_base_url(&self) -> Option<String> {
        self.sandbox.get().map(|h| h.base_url())
    }

    pub fn settings(&self) -> Settings {
        self.settings.read().expect("settings lock poisoned").clone()
    }
}
