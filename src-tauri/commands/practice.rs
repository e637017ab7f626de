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
