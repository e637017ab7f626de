//! The Setup page: profiles, keys, the API key, the system register, the
//! system user and the connection test (issue 4). The work is done in
//! [`budbringer_core::altinn::setup`]; the steps that talk to Altinn use a
//! fresh client ([`AppState::fresh_client`] says why). No command ever
//! returns private key material, the API key or a token.

use budbringer_core::altinn::connection_test::ConnectionReport;
use budbringer_core::altinn::profile::{Profile, ProfileEdit, ProfilePart};
use budbringer_core::altinn::setup::{self, KeyInfo, SystemUserStatus};
use budbringer_core::altinn::systemuser::SystemUserRequestInfo;
use budbringer_core::environment::{Endpoints, Environment};
use budbringer_core::error::{AppError, AppResult};
use budbringer_runtime::state::AppState;
use serde::Serialize;
use std::sync::Arc;
use tauri::State;
use ts_rs::TS;

/// A profile as the UI sees it: the saved settings plus the public key summary.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProfileView {
    #[serde(flatten)]
    pub profile: Profile,
    /// The environment's addresses (for the Sandbox once it runs).
    pub endpoints: Option<Endpoints>,
    /// The public half of the key, when there is one.
    pub key: Option<KeyInfo>,
    /// What is missing before files can be sent and received ([`Profile::missing`]);
    /// empty when the profile is ready. The UI asks this instead of repeating the rule.
    pub missing: Vec<ProfilePart>,
}

fn view(state: &AppState, profile: Profile) -> ProfileView {
    let key = setup::key_info(&profile, state.secrets.as_ref()).ok();
    let endpoints = profile.environment.endpoints(state.sandbox_base_url().as_deref());
    let missing = profile.missing();
    ProfileView { profile, endpoints, key, missing }
}

#[tauri::command]
pub fn auth_get_profiles(state: State<'_, Arc<AppState>>) -> Vec<ProfileView> {
    state.profiles.all().into_iter().map(|p| view(&state, p)).collect()
}

#[tauri::command]
pub fn auth_get_profile(state: State<'_, Arc<AppState>>, environment: Environment) -> ProfileView {
    view(&state, state.profiles.get(environment))
}

#[tauri::command]
pub fn auth_save_profile(
    state: State<'_, Arc<AppState>>,
    environment: Environment,
    edit: ProfileEdit,
) -> AppResult<ProfileView> {
    let p = state.profiles.update(environment, |p| {
        p.apply_edit(&edit);
        Ok(())
    })?;
    Ok(view(&state, p))
}

#[tauri::command]
pub async fn auth_generate_key(
    state: State<'_, Arc<AppState>>,
    environment: Environment,
    bits: Option<usize>,
) -> AppResult<KeyInfo> {
    // Key generation takes a moment: keep it off the async workers.
    let key =
        tauri::async_runtime::spawn_blocking(move || budbringer_core::altinn::keys::generate(bits.unwrap_or(2048)))
            .await
            .map_err(|e| AppError::internal(e.to_string()))??;
    let info = setup::store_generated(&state.profiles, state.secrets.as_ref(), environment, &key)?;
    state.forget_client(environment);
    Ok(info)
}

/// Imports a private key: from `path` (a file the user picked) or from
/// pasted `text`. `password` is for .p12 files; `kid` overrides the key ID.
#[tauri::command]
pub fn auth_import_key(
    state: State<'_, Arc<AppState>>,
    environment: Environment,
    path: Option<String>,
    text: Option<String>,
    password: Option<String>,
    kid: Option<String>,
) -> AppResult<KeyInfo> {
    let (bytes, name) = match (path, text) {
        (Some(p), _) => {
            let bytes = std::fs::read(&p)?;
            let name = std::path::Path::new(&p).file_name().map(|n| n.to_string_lossy().into_owned());
            (zeroize::Zeroizing::new(bytes), name)
        }
        (None, Some(t)) => (zeroize::Zeroizing::new(t.into_bytes()), None),
        (None, None) => return Err(AppError::invalid_input("give a file path or the key text")),
    };
    let info = setup::import_key(
        &state.profiles,
        state.secrets.as_ref(),
        environment,
        &bytes,
        name.as_deref(),
        password.as_deref(),
        kid,
    )?;
    state.forget_client(environment);
    Ok(info)
}

#[tauri::command]
pub fn auth_public_key(state: State<'_, Arc<AppState>>, environment: Environment) -> AppResult<KeyInfo> {
    setup::key_info(&state.profiles.get(environment), state.secrets.as_ref())
}

/// Stores the APIM subscription key (empty or absent clears it). Returns
/// only whether a key is set.
#[tauri::command]
pub fn auth_set_api_key(
    state: State<'_, Arc<AppState>>,
    environment: Environment,
    key: Option<String>,
) -> AppResult<bool> {
    let set = setup::set_api_key(&state.profiles, state.secrets.as_ref(), environment, key.as_deref())?;
    state.forget_client(environment);
    Ok(set)
}

#[tauri::command]
pub fn auth_clear_api_key(state: State<'_, Arc<AppState>>, environment: Environment) -> AppResult<bool> {
    let set = setup::set_api_key(&state.profiles, state.secrets.as_ref(), environment, None)?;
    state.forget_client(environment);
    Ok(set)
}

#[tauri::command]
pub async fn auth_register_system(
    state: State<'_, Arc<AppState>>,
    environment: Environment,
    name: Option<String>,
) -> AppResult<ProfileView> {
    let client = state.fresh_client(environment).await?;
    let p = setup::register_system(&state.profiles, &client, name.as_deref()).await?;
    Ok(view(&state, p))
}

/// Sends the system-access request; the answer's `confirmUrl` is the page
/// the approver must open.
#[tauri::command]
pub async fn auth_request_system_user(
    state: State<'_, Arc<AppState>>,
    environment: Environment,
    external_ref: Option<String>,
) -> AppResult<SystemUserRequestInfo> {
    let client = state.fresh_client(environment).await?;
    setup::request_system_user(&state.profiles, &client, external_ref.as_deref()).await
}

#[tauri::command]
pub async fn auth_system_user_status(
    state: State<'_, Arc<AppState>>,
    environment: Environment,
) -> AppResult<SystemUserStatus> {
    let client = state.fresh_client(environment).await?;
    setup::refresh_system_user(&state.profiles, &client).await
}

#[tauri::command]
pub async fn auth_connection_test(
    state: State<'_, Arc<AppState>>,
    environment: Environment,
) -> AppResult<ConnectionReport> {
    let client = state.fresh_client(environment).await?;
    setup::connection_test(&state.profiles, &client).await
}
