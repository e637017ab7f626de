//! The Setup page: profiles, keys, the API key, the system register, the
//! system user and the connection test (issue 4). The work is done in
//! [`budbringer_core::altinn::setup`]; the steps that talk to Altinn use a
//! fresh client ([`AppState::fresh_client`] says why). No command ever
//! returns private key material, the API key or a token.

use crate::services::picked::Picked;
use budbringer_core::altinn::connection_test::ConnectionReport;
use budbringer_core::altinn::profile::{ChangeState, Profile, ProfileEdit, ProfilePart};
use budbringer_core::altinn::setup::{self, KeyInfo, SystemUserStatus};
use budbringer_core::altinn::systemuser::SystemUserRequestInfo;
use budbringer_core::altinn::{rotation, services};
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
    /// The new key's public half during a key change (both kids are kept until it is tested).
    pub pending: Option<KeyInfo>,
}

fn view(state: &AppState, profile: Profile) -> ProfileView {
    // The profile's own secrets: it need not be the active organisation.
    let secrets = state.secrets_of(&profile.org_number);
    let key = setup::key_info(&profile, &secrets).ok();
    let pending = rotation::pending_info(&profile, &secrets).ok();
    let endpoints = profile.environment.endpoints(state.sandbox_base_url().as_deref());
    let missing = profile.missing();
    ProfileView { profile, endpoints, key, missing, pending }
}

/// The answer to a change of services: the profile, and the change request
/// waiting for approval when a system user exists.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServicesAnswer {
    pub profile: ProfileView,
    pub change: Option<ChangeState>,
}

#[tauri::command]
pub fn auth_get_profiles(state: State<'_, Arc<AppState>>) -> Vec<ProfileView> {
    state.profiles.all().into_iter().map(|p| view(&state, p)).collect()
}

/// Every organisation set up in `environment` (the header's switcher), the
/// one being set up included.
#[tauri::command]
pub fn orgs_list(state: State<'_, Arc<AppState>>, environment: Environment) -> Vec<ProfileView> {
    state.profiles.list(environment).into_iter().map(|p| view(&state, p)).collect()
}

/// Makes `org` the active organisation of `environment`: the one the pages
/// show and a new send goes from. Jobs already queued keep theirs.
#[tauri::command]
pub fn orgs_switch(state: State<'_, Arc<AppState>>, environment: Environment, org: String) -> AppResult<ProfileView> {
    let p = state.profiles.switch(environment, &org)?;
    Ok(view(&state, p))
}

/// "Add another organisation": a new, empty profile, active, for the setup wizard.
#[tauri::command]
pub fn orgs_add(state: State<'_, Arc<AppState>>, environment: Environment) -> AppResult<ProfileView> {
    let p = state.profiles.add_draft(environment)?;
    Ok(view(&state, p))
}

/// Removes an organisation from this computer: its profile and its secrets
/// (key, API key). What it sent and received stays in the history. Refused
/// while it still has files on their way ([`budbringer_runtime::orgs`]).
#[tauri::command]
pub fn orgs_remove(state: State<'_, Arc<AppState>>, environment: Environment, org: String) -> AppResult<()> {
    budbringer_runtime::orgs::remove(&state, environment, &org)
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
    let key = super::blocking(move || budbringer_core::altinn::keys::generate(bits.unwrap_or(2048))).await?;
    let info = setup::store_generated(&state.profiles, state.secrets.as_ref(), environment, &key)?;
    state.forget_client(environment);
    Ok(info)
}

/// Imports a private key: from `file` (the handle of a file the user picked,
/// [`Picked`]) or from pasted `text`. `password` is for .p12 files; `kid`
/// overrides the key ID.
#[tauri::command]
pub fn auth_import_key(
    state: State<'_, Arc<AppState>>,
    picked: State<'_, Arc<Picked>>,
    environment: Environment,
    file: Option<uuid::Uuid>,
    text: Option<String>,
    password: Option<String>,
    kid: Option<String>,
) -> AppResult<KeyInfo> {
    let (bytes, name) = match (file, text) {
        (Some(h), _) => {
            let p = picked.file(h)?;
            let bytes = std::fs::read(&p)?;
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
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

/// Chooses the services (resource ids). When a system user exists, this sends
/// the change request for what was added or removed; its approval link comes back.
#[tauri::command]
pub async fn auth_set_services(
    state: State<'_, Arc<AppState>>,
    environment: Environment,
    resource_ids: Vec<String>,
) -> AppResult<ServicesAnswer> {
    let registered = state.profiles.get(environment).system_user.system_id.is_some();
    let client = if registered { Some(state.fresh_client(environment).await?) } else { None };
    let change = services::set_services(&state.profiles, client.as_ref(), environment, &resource_ids).await?;
    Ok(ServicesAnswer { profile: view(&state, state.profiles.get(environment)), change })
}

/// Reads the waiting change of services; approved, it is gone from the profile.
#[tauri::command]
pub async fn auth_change_status(
    state: State<'_, Arc<AppState>>,
    environment: Environment,
) -> AppResult<ServicesAnswer> {
    let client = state.fresh_client(environment).await?;
    let change = services::refresh_change(&state.profiles, &client).await?;
    Ok(ServicesAnswer { profile: view(&state, state.profiles.get(environment)), change })
}

/// After a rejection or a time-out: a new system-access request.
#[tauri::command]
pub async fn auth_renew_system_user_request(
    state: State<'_, Arc<AppState>>,
    environment: Environment,
) -> AppResult<SystemUserRequestInfo> {
    let client = state.fresh_client(environment).await?;
    setup::renew_system_user_request(&state.profiles, &client).await
}

/// Begins a key change: a new key beside the current one. Returns its public half.
#[tauri::command]
pub async fn auth_rotation_start(state: State<'_, Arc<AppState>>, environment: Environment) -> AppResult<KeyInfo> {
    let st = state.inner().clone();
    super::blocking(move || rotation::start(&st.profiles, st.secrets.as_ref(), environment, 2048)).await
}

/// Fetches a token with the new key: proves it is on the client.
#[tauri::command]
pub async fn auth_rotation_test(state: State<'_, Arc<AppState>>, environment: Environment) -> AppResult<ProfileView> {
    let client = state.fresh_client(environment).await?;
    rotation::test(&state.profiles, &client).await?;
    Ok(view(&state, state.profiles.get(environment)))
}

/// The tested new key replaces the current one. Returns the old kid, to be
/// removed from the client in Samarbeidsportalen.
#[tauri::command]
pub fn auth_rotation_finish(state: State<'_, Arc<AppState>>, environment: Environment) -> AppResult<String> {
    let old = rotation::finish(&state.profiles, state.secrets.as_ref(), environment)?;
    state.forget_client(environment);
    Ok(old)
}

#[tauri::command]
pub fn auth_rotation_cancel(state: State<'_, Arc<AppState>>, environment: Environment) -> AppResult<ProfileView> {
    rotation::cancel(&state.profiles, state.secrets.as_ref(), environment)?;
    Ok(view(&state, state.profiles.get(environment)))
}

/// Saves an encrypted backup of the private key where the user chooses (the
/// native save dialog: no path comes from the UI). Returns the file name
/// written, or None when the user cancelled.
#[tauri::command]
pub async fn auth_export_key_backup(
    state: State<'_, Arc<AppState>>,
    environment: Environment,
    passphrase: String,
) -> AppResult<Option<String>> {
    let passphrase = zeroize::Zeroizing::new(passphrase);
    let st = state.inner().clone();
    let pem =
        super::blocking(move || rotation::backup(&st.profiles, st.secrets.as_ref(), environment, &passphrase)).await?;
    let name = format!("budbringer-{}-nokkel.p8.pem", environment.as_str());
    let Some(file) = rfd::AsyncFileDialog::new().set_file_name(&name).save_file().await else {
        return Ok(None);
    };
    std::fs::write(file.path(), pem.as_bytes())?;
    Ok(Some(file.file_name()))
}
