//! The practice sandbox: a faithful local Altinn (Maskinporten, token exchange,
//! system users, Broker v1 with TUS). Tauri-free; see issue 3.
//!
//! Module map (one concern per file; no file imports a file that imports it back):
//! * `lib.rs`: starts and stops the server ([`Sandbox`], [`SandboxHandle`]); the public API.
//! * `app.rs`: the state every handler shares: persistent state, clock, key, faults, counters.
//! * `gateway.rs`: the API gateway layer: subscription key, injected faults, security headers.
//! * `faults.rs`: fault injection: [`FaultSpec`], [`Faults`], how each fault takes effect and which fired.
//! * `errors.rs`: the error shapes of Broker, Maskinporten, Altinn and the gateway; [`SandboxError`].
//! * `signer.rs`: the sandbox's RS256 key, which signs and verifies every token it issues.
//! * `auth.rs`: Maskinporten (`/token`, metadata, JWKS), the Altinn token exchange, bearer checks.
//! * `platform/`: the authentication API: system register, system-user requests and change
//!   requests, their AUTH-/AUTH.VLD- problems, and what an approver's answer does (`decide.rs`).
//! * `portal/`: the web pages a person uses, served by the sandbox: Samarbeidsportalen (clients,
//!   keys, scopes), the service desk and Digdir (grants, vendor registration, test organisations),
//!   the approval page and the service owner's access lists. The realistic mode walks them.
//! * `events.rs`: Altinn Events polling for Broker's CloudEvents.
//! * `registers.rs`: Enhetsregisteret and the Resource Registry, for the sandbox's names.
//! * `shaping.rs`: an optional per-connection bandwidth and round trip (`ALTINN_SANDBOX_LINK`), for benchmarks.
//! * `admin.rs`: the `/admin` API and its in-process twin [`Admin`].
//! * `model/mod.rs`: re-exports the data types below.
//! * `model/config.rs`: the configuration ([`SandboxConfig`]) and the practice set-up.
//! * `model/clock.rs`: the clock tests can move.
//! * `model/state.rs`: the persistent state and its atomic save and load.
//! * `model/onboarding.rs`: the realistic mode: grants, change requests, time-outs, the PDP.
//! * `model/transfer.rs`: a file transfer, its statuses and histories, its TUS upload.
//! * `model/format.rs`: values as the .NET services write them (timestamps, durations, org ids, hex).
//! * `broker/mod.rs`: the Broker route table.
//! * `broker/access.rs`: who may call what (scopes, PDP, rate limits) and the checks all handlers share.
//! * `broker/initialize.rs`: initialize a file transfer.
//! * `broker/upload.rs`: upload as octet-stream or multipart (initialize and upload in one).
//! * `broker/tus.rs`: TUS uploads, opened by the `TusCaller`/`TusCall` extractors.
//! * `broker/reads.rs`: overview, details, search, download, confirm download.
//! * `broker/service_owner.rs`: resource configuration, service owner, monthly statistics.
//! * `broker/lifecycle.rs`: the scheduler tick: processing, malware scan, stuck uploads, expiry, purge.
//! * `main.rs`: the `altinn-sandbox` binary.
//!
//! One listener serves everything:
//! * Maskinporten: `{base}/token`, `{base}/.well-known/oauth-authorization-server`, `{base}/jwks`
//!   (issuer and grant `aud` = `{base}/`);
//! * Altinn platform: `{base}/authentication/api/v1/...`;
//! * Broker: `{base}/broker/api/v1/...`;
//! * Altinn Events polling for Broker's CloudEvents: `{base}/events/api/v1/events`;
//! * Enhetsregisteret: `{base}/enhetsregisteret/api/...`; the Resource Registry: `{base}/resourceregistry/api/v1/...`;
//! * the approval page: `{base}/accessmanagement/ui/systemuser/request?id=…` (as Altinn's);
//! * the simulated portals: `{base}/sandbox/…` (index at `{base}/sandbox`);
//! * the admin API (JSON): `{base}/admin/...`.
//!
//! With a data directory the state is written atomically (temp file + fsync +
//! rename) after every mutation to `state.json`, and file bytes are streamed to
//! `files/` beneath it, so a restart on the same directory continues where the
//! previous run stopped (TUS offsets included).

mod admin;
mod app;
mod auth;
mod broker;
mod errors;
mod events;
mod faults;
mod gateway;
mod model;
mod platform;
mod portal;
mod registers;
mod shaping;
mod signer;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::Router;
use tokio::sync::oneshot;

use app::{App, Inner};

pub use admin::{Admin, SeedFile, TransferInfo};
pub use errors::SandboxError;
pub use faults::{FaultSpec, Faults, Kind as FaultKind, Order as FaultOrder};
pub use model::onboarding::REQUEST_TIMEOUT_DAYS;
pub use model::{
    valid_org_number, ClientConfig, Clock, OrganisationConfig, PublicJwk, ResourceConfig, SandboxConfig,
    SettingsConfig, SystemUserConfig, PRACTICE_ORG_A, PRACTICE_ORG_B, PRACTICE_RESOURCE, PRACTICE_SCOPES,
    REHEARSAL_ORGS, REHEARSAL_RESOURCES, REHEARSAL_SERVICE_OWNER,
};
pub use shaping::{Link, LINK_ENV};

/// Entry point.
pub struct Sandbox;

impl Sandbox {
    /// Starts a sandbox on `127.0.0.1:0` (a free port).
    pub async fn start(config: SandboxConfig, data_dir: PathBuf) -> Result<SandboxHandle, SandboxError> {
        Self::start_on(config, data_dir, 0).await
    }

    /// Starts a sandbox on `127.0.0.1:port` (`0` = a free port).
    pub async fn start_on(config: SandboxConfig, data_dir: PathBuf, port: u16) -> Result<SandboxHandle, SandboxError> {
        std::fs::create_dir_all(model::files_dir(&data_dir))?;
        let (mut state, fresh) = match model::load_state(&data_dir) {
            Some(s) => (s, false),
            None => (model::State::default(), true),
        };
        let listener = match (port, state.last_port) {
            (0, Some(p)) => match tokio::net::TcpListener::bind(("127.0.0.1", p)).await {
                Ok(l) => l,
                Err(_) => tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?,
            },
            _ => tokio::net::TcpListener::bind(("127.0.0.1", port)).await?,
        };
        let addr = listener.local_addr()?;
        let base = format!("http://127.0.0.1:{}", addr.port());
        state.last_port = Some(addr.port());
        if fresh {
            state.apply_config(&config).map_err(SandboxError::Config)?;
            state.clock_offset_ms = config.settings.clock_offset_secs * 1000;
        } else {
            state.add_missing(&config).map_err(SandboxError::Config)?;
        }
        let signer = signer::Signer::load_or_create(&mut state)?;
        let clock = model::Clock::default();
        clock.set_offset_ms(state.clock_offset_ms);
        let inner = Inner::new(state, data_dir.clone(), clock, signer, base.clone());
        inner.mutate(|_| ());

        let app = router(inner.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await;
        });
        let ticker = tokio::spawn(broker::background(inner.clone()));
        Ok(SandboxHandle { inner, addr, shutdown: Some(tx), server: Some(server), ticker: Some(ticker) })
    }
}

fn router(inner: App) -> Router {
    let routes = Router::new()
        .merge(auth::routes())
        .merge(platform::routes())
        .merge(portal::routes())
        .merge(broker::routes())
        .merge(events::routes())
        .merge(registers::routes())
        .merge(admin::routes())
        .layer(axum::middleware::from_fn_with_state(inner.clone(), gateway::layer));
    shaping::apply(routes).with_state(inner)
}

/// A running sandbox. Dropping it stops the server.
pub struct SandboxHandle {
    inner: App,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

impl SandboxHandle {
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        self.inner.base.clone()
    }
    /// Maskinporten issuer and grant audience: `{base}/`.
    pub fn issuer(&self) -> String {
        self.inner.issuer()
    }
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }
    /// In-process admin handle (same operations as the `/admin` HTTP API).
    pub fn admin(&self) -> Admin {
        Admin { inner: self.inner.clone() }
    }
    /// Stops the server and waits until the listener is closed.
    pub async fn shutdown(mut self) {
        self.stop();
        if let Some(s) = self.server.take() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), s).await;
        }
    }
    fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.ticker.take() {
            t.abort();
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        self.stop();
        if let Some(s) = self.server.take() {
            s.abort();
        }
    }
}
