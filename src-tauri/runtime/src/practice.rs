//! Practice mode: makes a practice organisation ready to send and receive in
//! the embedded sandbox, as an administrator would in the real world, but in
//! one step and with no credentials: a fresh key pair whose public half is
//! registered as a Maskinporten client (the Samarbeidsportalen step), an
//! approved system user with rights to the practice resource, and a profile
//! that uses them. The private key goes to the secret store like any other.

use crate::state::AppState;
use budbringer_core::altinn::keys;
use budbringer_core::altinn::profile::{self, KeySource, Profile};
use budbringer_core::environment::Environment;
use budbringer_core::error::{AppError, AppResult, ErrorCode};
use budbringer_core::secrets::SecretStore;
use budbringer_core::transfers::validate::OrgNumber;
use budbringer_sandbox::{
    Admin, ClientConfig, PublicJwk, SystemUserConfig, PRACTICE_ORG_A, PRACTICE_ORG_B, PRACTICE_RESOURCE,
};

/// Scopes a practice client gets: Broker, plus what the system-user steps of the wizard use.
pub const PRACTICE_CLIENT_SCOPES: &[&str] = &[
    "altinn:broker.write",
    "altinn:broker.read",
    "altinn:authentication/systemregister.write",
    "altinn:authentication/systemuser.request.write",
    "altinn:authentication/systemuser.request.read",
];

/// What makes a practice organisation: its client and system user as the
/// sandbox's admin API takes them, and the profile that uses them.
pub struct PracticeSetup {
    pub client: ClientConfig,
    pub system_user: SystemUserConfig,
    pub profile: Profile,
}

/// Makes a key (stored in `secrets`) and everything the sandbox must be told.
pub fn prepare(org: &str, secrets: &dyn SecretStore) -> AppResult<PracticeSetup> {
    let key = keys::generate(2048)?;
    let now = time::OffsetDateTime::now_utc();
    let kid = keys::make_kid(org, Environment::Sandbox, now);
    let jwk = keys::public_jwk(&key, &kid);
    secrets.set(&profile::private_key_secret(Environment::Sandbox), &keys::private_pkcs8_pem(&key)?)?;
    let client_id = uuid::Uuid::new_v4().to_string();
    let client = ClientConfig {
        client_id: client_id.clone(),
        org_number: org.to_owned(),
        scopes: PRACTICE_CLIENT_SCOPES.iter().map(|s| s.to_string()).collect(),
        jwks: vec![PublicJwk {
            kty: jwk.kty,
            n: jwk.n,
            e: jwk.e,
            kid: jwk.kid,
            alg: Some(jwk.alg),
            use_: Some(jwk.use_),
        }],
        allow_certificate: false,
    };
    let system_id = format!("{org}_budbringer");
    let system_user = SystemUserConfig {
        id: None,
        system_id: system_id.clone(),
        org_number: org.to_owned(),
        client_ids: vec![client_id.clone()],
        external_ref: None,
        resources: vec![PRACTICE_RESOURCE.to_owned()],
    };
    let mut p = Profile::new(Environment::Sandbox);
    p.org_number = org.to_owned();
    p.client_id = client_id;
    p.kid = Some(kid);
    p.key_source = Some(KeySource::Generated);
    p.key_created = Some(now.unix_timestamp());
    p.resource_ids = vec![PRACTICE_RESOURCE.to_owned()];
    p.system_user.enabled = true;
    p.system_user.system_id = Some(system_id);
    p.system_user.request_status = Some("Accepted".into());
    Ok(PracticeSetup { client, system_user, profile: p })
}

/// Sets up `org` (one of the sandbox's organisations) in an in-process sandbox.
pub fn provision(admin: &Admin, org: &str, secrets: &dyn SecretStore) -> AppResult<Profile> {
    let mut setup = prepare(org, secrets)?;
    admin.register_client(setup.client);
    let id = admin.add_system_user(setup.system_user);
    setup.profile.system_user.system_user_id = Some(id.to_string());
    Ok(setup.profile)
}

/// The same through the sandbox's HTTP admin API (a standalone sandbox).
pub async fn provision_remote(
    http: &reqwest::Client,
    base: &str,
    org: &str,
    secrets: &dyn SecretStore,
) -> AppResult<Profile> {
    let mut setup = prepare(org, secrets)?;
    let fail = |e: String| AppError::new(ErrorCode::SandboxFailed).with_detail(e);
    let base = base.trim_end_matches('/');
    let r =
        http.post(format!("{base}/admin/clients")).json(&setup.client).send().await.map_err(|e| fail(e.to_string()))?;
    if !r.status().is_success() {
        return Err(fail(format!("registering the client: HTTP {}", r.status())));
    }
    let r = http
        .post(format!("{base}/admin/system-users"))
        .json(&setup.system_user)
        .send()
        .await
        .map_err(|e| fail(e.to_string()))?;
    if !r.status().is_success() {
        return Err(fail(format!("creating the system user: HTTP {}", r.status())));
    }
    let v: serde_json::Value = r.json().await.map_err(|e| fail(e.to_string()))?;
    setup.profile.system_user.system_user_id = v["id"].as_str().map(str::to_owned);
    Ok(setup.profile)
}

/// Practice mode in the app: act as one of the sandbox's two organisations
/// (set up in the embedded sandbox, saved as a sandbox profile beside any
/// other organisation, and made the active one). Choosing A, then B gives one
/// installation with both.
pub async fn use_org(state: &AppState, org: &str) -> AppResult<Profile> {
    let org = OrgNumber::parse(org)?.digits();
    if org != PRACTICE_ORG_A && org != PRACTICE_ORG_B {
        return Err(AppError::invalid_input(format!("the sandbox has {PRACTICE_ORG_A} and {PRACTICE_ORG_B}")));
    }
    let sandbox = state.sandbox().await?;
    // The key goes to the organisation's own names, whichever one is active now.
    let profile = provision(&sandbox.admin(), &org, &state.secrets_of(&org))?;
    state.profiles.save(profile)?;
    state.profiles.switch(Environment::Sandbox, &org)
}
