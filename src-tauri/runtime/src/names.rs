//! Names for numbers for the UI (docs/ALTINN.md#names-for-numbers): the
//! registers of the chosen environment, remembered in the local store.
//! The sandbox serves its own registers; TT02 and production ask the real
//! ones (TT02's synthetic organisations are not there: the number shows).

use crate::state::AppState;
use budbringer_core::error::{AppError, AppResult, ErrorCode};
use budbringer_core::orgnumber::OrgNumber;
use budbringer_core::registers::names::Names;
use budbringer_core::registers::{NameStatus, OrgInfo, ServiceInfo};
use std::sync::OnceLock;

/// At most this many numbers or IDs per question: a page asks for what it shows.
pub const MAX_PER_CALL: usize = 500;

/// One HTTP client for the registers (no credentials; the system proxy).
fn http() -> &'static reqwest::Client {
    static HTTP: OnceLock<reqwest::Client> = OnceLock::new();
    HTTP.get_or_init(|| {
        reqwest::Client::builder()
            .user_agent(concat!("Budbringer/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default()
    })
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The two bases for the chosen environment; `None` while the sandbox is not running.
fn bases(state: &AppState) -> Option<(String, String)> {
    let env = state.settings().environment;
    let e = env.endpoints(state.sandbox_base_url().as_deref())?;
    Some((e.register_base, e.resource_registry_base))
}

fn too_many(n: usize) -> AppResult<()> {
    if n > MAX_PER_CALL {
        return Err(AppError::invalid_input(format!("at most {MAX_PER_CALL} at a time, not {n}")));
    }
    Ok(())
}

/// What Enhetsregisteret says about each number (the same order). Text that
/// is not an organisation number comes back as itself, `NotInRegister`.
pub async fn orgs(state: &AppState, numbers: &[String]) -> AppResult<Vec<OrgInfo>> {
    too_many(numbers.len())?;
    let Some((er, rr)) = bases(state) else {
        return Ok(numbers.iter().map(|n| OrgInfo::unknown(n, NameStatus::Unavailable)).collect());
    };
    let names = Names { store: &state.store, http: http(), register_base: &er, resource_registry_base: &rr };
    let now = now();
    let mut out = Vec::with_capacity(numbers.len());
    for n in numbers {
        out.push(match OrgNumber::parse(n) {
            Ok(org) => names.org(&org, now).await,
            Err(_) => OrgInfo::unknown(n, NameStatus::NotInRegister),
        });
    }
    Ok(out)
}

/// What the Resource Registry says about each Broker resource (the same order).
pub async fn services(state: &AppState, ids: &[String]) -> AppResult<Vec<ServiceInfo>> {
    too_many(ids.len())?;
    let Some((er, rr)) = bases(state) else {
        return Ok(ids.iter().map(|i| ServiceInfo::unknown(i, NameStatus::Unavailable)).collect());
    };
    let names = Names { store: &state.store, http: http(), register_base: &er, resource_registry_base: &rr };
    let now = now();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(names.service(id, now).await);
    }
    Ok(out)
}

/// The recipient field's search: by number or by name.
pub async fn search(state: &AppState, query: &str) -> AppResult<Vec<OrgInfo>> {
    let (er, rr) = bases(state).ok_or_else(|| AppError::new(ErrorCode::RegisterUnavailable))?;
    let names = Names { store: &state.store, http: http(), register_base: &er, resource_registry_base: &rr };
    names.search_orgs(query, 10, now()).await
}

/// Forgets register answers too old to keep (at start-up).
pub fn prune(state: &AppState) {
    if let Some((er, rr)) = bases(state) {
        Names { store: &state.store, http: http(), register_base: &er, resource_registry_base: &rr }.prune(now());
    }
}
