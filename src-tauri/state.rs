//! The application state shared by every command. Tauri-free: the app
//! manages one, tests build their own.

use crate::error::{AppError, AppResult, ErrorCode};
use crate::sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use crate::secrets::{KeyringSecretStore, MemorySecretStore, SecretStore};
use crate::settings::Settings;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

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
        AppState {
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

    /// The sandbox's base URL, if it has been started.
    pub fn sandbox_base_url(&self) -> Option<String> {
        self.sandbox.get().map(|h| h.base_url())
    }

    pub fn settings(&self) -> Settings {
        self.settings.read().expect("settings lock poisoned").clone()
    }
}
