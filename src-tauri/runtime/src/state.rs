//! The application state shared by every command and background service.
//! Tauri-free: the app manages one (in an `Arc`, so the services can hold it
//! too), the command line and the tests build their own.

use crate::org_gate::OrgGate;
use budbringer_core::altinn::profile;
use budbringer_core::altinn::{AltinnClient, Profile, ProfileStore};
use budbringer_core::environment::Environment;
use budbringer_core::error::{AppError, AppResult, ErrorCode};
use budbringer_core::secrets::scoped::ScopedSecrets;
use budbringer_core::secrets::{KeyringSecretStore, MemorySecretStore, Secret, SecretStore};
use budbringer_core::settings::Settings;
use budbringer_core::store::{OpenReport, Store};
use budbringer_core::sync::Locked;
use budbringer_core::transfers::engine::SendQueue;
use budbringer_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// A client, and what it was made from.
struct Cached {
    profile: Profile,
    secrets: Made,
    client: AltinnClient,
}

/// The secrets a client read when it was made: the API key, and the private
/// key its grants are signed with.
#[derive(PartialEq, Eq)]
struct Made {
    api_key: Option<Secret>,
    private_key: Option<Secret>,
}

impl Made {
    /// `secrets` is the profile's own namespace.
    fn now(secrets: &dyn SecretStore, env: Environment) -> AppResult<Made> {
        Ok(Made {
            api_key: secrets.get(&profile::api_key_secret(env))?,
            private_key: secrets.get(&profile::private_key_secret(env))?,
        })
    }
}

/// The keyring service name under which every secret is stored.
pub const KEYRING_SERVICE: &str = "no.budbringer.desktop";

pub struct AppState {
    pub settings: RwLock<Settings>,
    /// The secrets of the active organisation of each environment (the
    /// names `<env>/<what>` are put in its namespace: `secrets::scoped`), so
    /// the Setup page's steps act on the profile the header shows.
    pub secrets: Arc<dyn SecretStore>,
    /// The store itself, unscoped: each profile's client sees it through its
    /// own organisation's namespace.
    raw_secrets: Arc<dyn SecretStore>,
    /// Set when no OS keyring could be opened: secrets then live in memory
    /// for this run only, and the UI says so.
    pub secret_store_problem: Option<AppError>,
    /// The profiles: any number of organisations per environment, one active
    /// (`profiles.json` in the data folder).
    pub profiles: Arc<ProfileStore>,
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
    /// The system's Downloads folder, when the platform has one.
    system_downloads: Option<PathBuf>,
    /// The embedded practice sandbox, started the first time it is needed.
    /// Its state lives in `<data>/sandbox`, so practice files survive a restart.
    sandbox: tokio::sync::OnceCell<SandboxHandle>,
    /// A sandbox running elsewhere (`altinn-sandbox`), used instead of the embedded one.
    external_sandbox: Option<String>,
    /// The send queue and the history of sent and received files.
    pub store: Store,
    /// Set when the local database was damaged and set aside (or could not be
    /// opened at all), for the UI to tell the user.
    pub store_problem: Option<AppError>,
    /// One authenticated client per organisation and environment (so one
    /// Maskinporten token cache each), kept while its profile and its secrets
    /// are unchanged so that its tokens are reused.
    clients: Mutex<HashMap<(Environment, String), Cached>>,
    queue: OnceLock<Arc<SendQueue>>,
    /// Held by a removal of an organisation and by a send across their
    /// check-then-act, so that no file is queued for an organisation being
    /// removed (`org_gate`).
    pub org_gate: OrgGate,
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
        let mut state = Self::with_secrets(settings, data_dir, log_dir, secrets);
        state.secret_store_problem = problem;
        state
    }

    /// State with the given secret store (the command line and the tests).
    pub fn with_secrets(
        settings: Settings,
        data_dir: PathBuf,
        log_dir: PathBuf,
        secrets: Arc<dyn SecretStore>,
    ) -> Self {
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
        let profiles = Arc::new(ProfileStore::open(&data_dir));
        // An installation from before several organisations: its secrets move to its organisation's names.
        if let Err(e) = profiles.attach_secrets(secrets.clone()) {
            tracing::error!(error = %e, "the profiles' secrets could not be moved; the next start tries again");
        }
        let active = profiles.clone();
        let org_of = Arc::new(move |env: &str| {
            Environment::ALL.iter().find(|e| e.as_str() == env).map(|e| active.active_org(*e)).unwrap_or_default()
        });
        AppState {
            store,
            store_problem,
            profiles,
            clients: Mutex::new(HashMap::new()),
            queue: OnceLock::new(),
            org_gate: OrgGate::default(),
            settings: RwLock::new(settings),
            secrets: Arc::new(ScopedSecrets::following(secrets.clone(), org_of)),
            raw_secrets: secrets,
            secret_store_problem: None,
            data_dir,
            log_dir,
            system_downloads: None,
            sandbox: tokio::sync::OnceCell::new(),
            external_sandbox: None,
        }
    }

    /// Tells the state where the system's Downloads folder is (only the
    /// platform layer knows).
    pub fn with_system_downloads(mut self, dir: Option<PathBuf>) -> Self {
        self.system_downloads = dir;
        self
    }

    /// Uses the sandbox at `url` (a running `altinn-sandbox`) instead of
    /// starting an embedded one.
    pub fn with_external_sandbox(mut self, url: Option<String>) -> Self {
        self.external_sandbox = url.map(|u| u.trim_end_matches('/').to_owned());
        self
    }

    /// The embedded sandbox, starting it if it is not running yet. It must be
    /// called on the runtime that should run the sandbox's server.
    pub async fn sandbox(&self) -> AppResult<&SandboxHandle> {
        if self.external_sandbox.is_some() {
            return Err(AppError::new(ErrorCode::SandboxFailed).with_detail("an external sandbox is in use"));
        }
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

    /// The sandbox's base URL, if it has been started (or is external).
    pub fn sandbox_base_url(&self) -> Option<String> {
        self.external_sandbox.clone().or_else(|| self.sandbox.get().map(|h| h.base_url()))
    }

    /// Makes sure `env` can be reached: starts the embedded sandbox for the sandbox.
    async fn reachable(&self, env: Environment) -> AppResult<()> {
        if env == Environment::Sandbox && self.external_sandbox.is_none() {
            self.sandbox().await?;
        }
        Ok(())
    }

    /// The client for `env`'s saved profile: the one way the app gets one.
    /// It is kept while the profile is unchanged, so the send queue, the
    /// inbox poller and the commands share its tokens; the practice sandbox
    /// is started first when `env` is the sandbox.
    pub async fn client(&self, env: Environment) -> AppResult<AltinnClient> {
        self.reachable(env).await?;
        self.running_client(env)
    }

    /// [`client`](Self::client) for a caller that cannot wait: the send queue
    /// asks for its Broker synchronously. The same cached client, but the
    /// sandbox must already run (it does once the sandbox is the chosen
    /// environment: the app starts it then).
    ///
    /// A client reads the API key and the private key when it is made, so it
    /// is kept only while they are what the secret store holds now: a key
    /// changed anywhere (the Setup page, another copy of the app, the command
    /// line) reaches sending and the inbox at their next call, and no caller
    /// has to remember to say so.
    pub fn running_client(&self, env: Environment) -> AppResult<AltinnClient> {
        self.running_client_for(env, &self.profiles.active_org(env))
    }

    /// [`client`](Self::client) for organisation `org` of `env`, active or not
    /// (the inbox poller of every organisation, a job created for it).
    pub async fn client_for(&self, env: Environment, org: &str) -> AppResult<AltinnClient> {
        self.reachable(env).await?;
        self.running_client_for(env, org)
    }

    /// [`running_client`](Self::running_client) for organisation `org` of `env`.
    pub fn running_client_for(&self, env: Environment, org: &str) -> AppResult<AltinnClient> {
        let org = org.trim_start_matches("0192:");
        let profile = match self.profiles.get_org(env, org) {
            Some(p) => p,
            // The active profile not saved yet (a fresh installation): as before.
            None if org.is_empty() => Profile::new(env),
            None => {
                return Err(AppError::new(ErrorCode::ProfileIncomplete)
                    .with_detail(format!("organisation {org} is not set up on this computer")))
            }
        };
        let made = Made::now(&self.secrets_of(org), env)?;
        let mut clients = self.clients.locked();
        let key = (env, org.to_owned());
        if let Some(c) = clients.get(&key) {
            if c.profile == profile && c.secrets == made {
                return Ok(c.client.clone());
            }
        }
        let client = self.new_client(profile.clone())?;
        clients.insert(key, Cached { profile, secrets: made, client: client.clone() });
        Ok(client)
    }

    /// Organisation `org`'s secrets (its namespace of the secret store).
    pub fn secrets_of(&self, org: &str) -> ScopedSecrets {
        ScopedSecrets::fixed(self.raw_secrets.clone(), org)
    }

    /// A new client for `env` with no tokens, not shared: only for the setup
    /// steps (register the system, request and check the system user, the
    /// connection test). They must see the credentials as they are now:
    /// - the connection test walks every step (grant, token, exchange) and
    ///   records the token mode that worked; a cached token would skip them;
    /// - what changed outside the app (a key registered in
    ///   Samarbeidsportalen, a scope granted, a system user approved) only
    ///   shows in a new token;
    /// - a failed step must not poison the tokens the queue and the poller use.
    pub async fn fresh_client(&self, env: Environment) -> AppResult<AltinnClient> {
        self.reachable(env).await?;
        self.new_client(self.profiles.get(env))
    }

    /// Drops `env`'s cached client at once (its tokens with it). The cache
    /// notices changed secrets by itself ([`running_client`](Self::running_client));
    /// this only makes the next call start afresh.
    pub fn forget_client(&self, env: Environment) {
        self.clients.locked().retain(|(e, _), _| *e != env);
    }

    /// Drops every cached client (the proxy setting changed: it is applied when a client is made).
    pub fn forget_clients(&self) {
        self.clients.locked().clear();
    }

    fn new_client(&self, profile: Profile) -> AppResult<AltinnClient> {
        let base = self.sandbox_base_url();
        let endpoints = profile.environment.endpoints(base.as_deref()).ok_or_else(|| {
            AppError::new(ErrorCode::SandboxFailed).with_detail("the practice sandbox is not running")
        })?;
        let proxy = budbringer_core::network::ProxySettings::from_settings(&self.settings());
        let secrets = Arc::new(self.secrets_of(&profile.org_number));
        AltinnClient::with_proxy(profile, endpoints, secrets, &proxy)
    }

    /// The send queue, once [`set_queue`](Self::set_queue) has made it.
    pub fn queue(&self) -> AppResult<&Arc<SendQueue>> {
        self.queue.get().ok_or_else(|| AppError::internal("the send queue is not ready"))
    }

    pub fn set_queue(&self, queue: Arc<SendQueue>) {
        let _ = self.queue.set(queue);
    }

    pub fn settings(&self) -> Settings {
        self.settings.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Where received files are saved now (the settings' choice, or the default).
    pub fn download_folder(&self) -> PathBuf {
        self.settings().download_folder(self.system_downloads.as_deref(), &self.data_dir)
    }
}
