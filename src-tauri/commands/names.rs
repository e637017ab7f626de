//! Names for numbers (docs/ALTINN.md#names-for-numbers): organisation names
//! from Enhetsregisteret and service titles from the Resource Registry, for
//! every page that shows a number. The work is in
//! [`budbringer_runtime::names`]; a name that cannot be found is shown as the
//! number, never as an error.

use budbringer_core::error::AppResult;
use budbringer_core::registers::{OrgInfo, ServiceInfo};
use budbringer_runtime::names;
use budbringer_runtime::state::AppState;
use std::sync::Arc;
use tauri::State;

/// What the register says about each of these organisation numbers (same order).
#[tauri::command]
pub async fn names_orgs(state: State<'_, Arc<AppState>>, numbers: Vec<String>) -> AppResult<Vec<OrgInfo>> {
    names::orgs(&state, &numbers).await
}

/// The titles and owners of these Broker resources (same order).
#[tauri::command]
pub async fn names_services(state: State<'_, Arc<AppState>>, ids: Vec<String>) -> AppResult<Vec<ServiceInfo>> {
    names::services(&state, &ids).await
}

/// Organisations matching what the user typed in the recipient field: a number or part of a name.
#[tauri::command]
pub async fn names_search(state: State<'_, Arc<AppState>>, query: String) -> AppResult<Vec<OrgInfo>> {
    names::search(&state, &query).await
}
