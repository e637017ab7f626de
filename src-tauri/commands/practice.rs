//! Practice mode (the Setup page in the sandbox): act as one of the
//! sandbox's two organisations.

use budbringer_core::altinn::profile::Profile;
use budbringer_core::error::AppResult;
use budbringer_runtime::state::AppState;
use std::sync::Arc;
use tauri::State;

/// Makes a key, registers it as a Maskinporten client and approves a system
/// user in the sandbox, as an administrator would in the real world
/// ([`budbringer_runtime::practice::use_org`]).
#[tauri::command]
pub async fn practice_use_org(state: State<'_, Arc<AppState>>, org: String) -> AppResult<Profile> {
    budbringer_runtime::practice::use_org(&state, &org).await
}

/// Where the practice sandbox listens, starting it on first need: the setup
/// wizard shows its address and links to its Samarbeidsportalen and
/// service-owner pages while the Sandbox environment is chosen. The app no
/// longer starts it at start-up unless there is practice work to go on with
/// (`budbringer_runtime::sandbox_start`), so the wizard must ask.
#[tauri::command]
pub async fn practice_sandbox_url(state: State<'_, Arc<AppState>>) -> AppResult<Option<String>> {
    if state.settings().environment != budbringer_core::environment::Environment::Sandbox {
        return Ok(state.sandbox_base_url());
    }
    if let Some(url) = state.sandbox_base_url() {
        return Ok(Some(url));
    }
    Ok(Some(state.sandbox().await?.base_url()))
}
