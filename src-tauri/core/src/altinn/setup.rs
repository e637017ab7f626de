//! The operations behind the setup wizard, on a [`ProfileStore`] and a
//! [`SecretStore`]: create or import a key, show its public half, set the
//! API key. Private material goes only to the secret store; what these
//! functions return is safe to show.

use crate::environment::Environment;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::secrets::{Secret, SecretStore};
use serde::Serialize;
use ts_rs::TS;

use super::keys::{self, ImportedKey, PublicJwk};
use super::profile::{self, KeySource, Profile, ProfileStore};

/// The public side of a profile's key, for the UI and Samarbeidsportalen.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, TS)]
#[serde(rename_all = "camelCase")]
pub struct KeyInfo {
    pub environment: Environment,
    pub kid: Option<String>,
    pub source: Option<KeySource>,
    /// The JWK to paste (absent for a business certificate).
    pub jwk: Option<PublicJwk>,
    /// The JWK as pretty JSON text, ready to copy.
    pub jwk_json: Option<String>,
    /// SPKI PEM of the public key.
    pub pem: String,
    /// Unix seconds.
    pub created: Option<i64>,
    /// When Maskinporten stops accepting the key (one year after creation),
    /// or when the certificate expires.
    pub expires: Option<i64>,
    /// True within 30 days of `expires`: time to make a new key.
    pub expiry_warning: bool,
    pub certificate_org: Option<String>,
    /// Whether the keyring keeps the key across a restart (false for the
    /// Linux kernel keyring): when not, the wizard asks for a backup.
    pub durable_storage: bool,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn load_key(secrets: &dyn SecretStore, env: Environment) -> AppResult<rsa::RsaPrivateKey> {
    let pem = secrets.get(&profile::private_key_secret(env))?.ok_or_else(|| {
        AppError::new(ErrorCode::KeyMissing).with_detail(format!("no private key for {}", env.as_str()))
    })?;
    keys::from_stored_pem(&pem)
}

/// The public JWK/PEM and expiry of the profile's key.
pub fn key_info(profile: &Profile, secrets: &dyn SecretStore) -> AppResult<KeyInfo> {
    let key = load_key(secrets, profile.environment)?;
    let jwk = match (&profile.kid, profile.key_source) {
        (_, Some(KeySource::Certificate)) => None,
        (Some(kid), _) => Some(keys::public_jwk(&key, kid)),
        (None, _) => None,
    };
    let jwk_json = jwk.as_ref().map(|j| serde_json::to_string_pretty(j).unwrap_or_default());
    let cert_end = if profile.key_source == Some(KeySource::Certificate) {
        profile.certificate_chain.first().and_then(|c| cert_not_after(c))
    } else {
        None
    };
    let expires = cert_end.or(profile.key_created.map(|c| c + keys::KEY_LIFETIME_SECS));
    let expiry_warning = expires.map(|e| e - now() <= keys::KEY_WARNING_SECS).unwrap_or(false);
    Ok(KeyInfo {
        environment: profile.environment,
        kid: profile.kid.clone(),
        source: profile.key_source,
        jwk,
        jwk_json,
        pem: keys::public_pem(&key)?,
        created: profile.key_created,
        expires,
        expiry_warning,
        certificate_org: profile.certificate_chain.first().and_then(|c| super::certificate::certificate_org(c)),
        durable_storage: secrets.durable(),
    })
}

fn cert_not_after(b64: &str) -> Option<i64> {
    use base64::Engine;
    let der = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    let (_, cert) = x509_parser::parse_x509_certificate(&der).ok()?;
    Some(cert.validity().not_after.timestamp())
}

fn store_key(
    store: &ProfileStore,
    secrets: &dyn SecretStore,
    env: Environment,
    key: &rsa::RsaPrivateKey,
    source: KeySource,
    kid: Option<String>,
    chain: Vec<String>,
) -> AppResult<KeyInfo> {
    let pem: Secret = keys::private_pkcs8_pem(key)?;
    let mut p = store.get(env);
    let kid = match source {
        KeySource::Certificate => None,
        _ => Some(kid.unwrap_or_else(|| keys::make_kid(&p.org_number, env, time::OffsetDateTime::now_utc()))),
    };
    p.kid = kid;
    p.key_source = Some(source);
    p.key_created = Some(now());
    p.certificate_chain = chain;
    p.validate()?;
    secrets.set(&profile::private_key_secret(env), &pem)?;
    let p = store.save(p)?;
    key_info(&p, secrets)
}

/// Generates a new RSA key (2048 or 3072 bits) for `env` with a fresh kid.
pub fn generate_key(
    store: &ProfileStore,
    secrets: &dyn SecretStore,
    env: Environment,
    bits: usize,
) -> AppResult<KeyInfo> {
    let key = keys::generate(bits)?;
    store_key(store, secrets, env, &key, KeySource::Generated, None, vec![])
}

/// Stores an already generated key for `env` with a fresh kid.
pub fn store_generated(
    store: &ProfileStore,
    secrets: &dyn SecretStore,
    env: Environment,
    key: &rsa::RsaPrivateKey,
) -> AppResult<KeyInfo> {
    store_key(store, secrets, env, key, KeySource::Generated, None, vec![])
}

/// Imports a private key or a .p12 business certificate for `env`. The kid
/// is, in order: `kid` given by the user, the JWK's own kid, a new one.
pub fn import_key(
    store: &ProfileStore,
    secrets: &dyn SecretStore,
    env: Environment,
    bytes: &[u8],
    file_name: Option<&str>,
    password: Option<&str>,
    kid: Option<String>,
) -> AppResult<KeyInfo> {
    let ImportedKey { key, source, kid: jwk_kid, certificate_chain, .. } =
        keys::import_bytes(bytes, file_name, password)?;
    let kid = kid.filter(|k| !k.trim().is_empty()).map(|k| k.trim().to_owned()).or(jwk_kid);
    store_key(store, secrets, env, &key, source, kid, certificate_chain)
}

/// Stores (Some) or removes (None or empty) the APIM subscription key.
/// Returns whether one is now set.
pub fn set_api_key(
    store: &ProfileStore,
    secrets: &dyn SecretStore,
    env: Environment,
    key: Option<&str>,
) -> AppResult<bool> {
    let key = key.map(str::trim).filter(|k| !k.is_empty());
    match key {
        Some(k) => secrets.set(&profile::api_key_secret(env), &Secret::new(k))?,
        None => secrets.delete(&profile::api_key_secret(env))?,
    }
    store.update(env, |p| {
        p.api_key_set = key.is_some();
        Ok(())
    })?;
    Ok(key.is_some())
}

/// Registers the system and remembers its ID in the profile.
pub async fn register_system(
    store: &ProfileStore,
    client: &super::AltinnClient,
    name: Option<&str>,
) -> AppResult<Profile> {
    let env = client.profile().environment;
    let id = client.register_system(name).await?;
    store.update(env, |p| {
        p.system_user.system_id = Some(id);
        Ok(())
    })
}

/// Asks for the system user and remembers the request (id, externalRef,
/// status, confirmUrl) in the profile.
pub async fn request_system_user(
    store: &ProfileStore,
    client: &super::AltinnClient,
    external_ref: Option<&str>,
) -> AppResult<super::systemuser::SystemUserRequestInfo> {
    let env = client.profile().environment;
    let system_id = client
        .profile()
        .system_user
        .system_id
        .clone()
        .ok_or_else(|| AppError::new(ErrorCode::SystemNotFound).with_detail("register the system first"))?;
    let ext = external_ref
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .or_else(|| client.profile().system_user.external_ref.clone());
    let info = client.request_system_user(&system_id, ext.as_deref()).await?;
    remember_request(store, env, &info, ext)?;
    Ok(info)
}

fn remember_request(
    store: &ProfileStore,
    env: Environment,
    info: &super::systemuser::SystemUserRequestInfo,
    ext: Option<String>,
) -> AppResult<()> {
    let info2 = info.clone();
    store.update(env, move |p| {
        if !info2.id.is_empty() {
            p.system_user.request_id = Some(info2.id.clone());
        }
        p.system_user.external_ref = ext.or(info2.external_ref.clone());
        p.system_user.request_status = Some(info2.status.clone());
        p.system_user.request_timed_out = info2.timed_out;
        p.system_user.confirm_url = info2.confirm_url.clone();
        Ok(())
    })?;
    Ok(())
}

/// After a rejection or a time-out: deletes the old request (Altinn would
/// otherwise answer with it again) and sends a new one with the same ids.
pub async fn renew_system_user_request(
    store: &ProfileStore,
    client: &super::AltinnClient,
) -> AppResult<super::systemuser::SystemUserRequestInfo> {
    let env = client.profile().environment;
    let p = client.profile().clone();
    let system_id = p
        .system_user
        .system_id
        .clone()
        .ok_or_else(|| AppError::new(ErrorCode::SystemNotFound).with_detail("register the system first"))?;
    if let Some(id) = &p.system_user.request_id {
        client.delete_system_user_request(id).await?;
    }
    let ext = p.system_user.external_ref.clone();
    let info = client.request_system_user(&system_id, ext.as_deref()).await?;
    remember_request(store, env, &info, ext)?;
    Ok(info)
}

/// What the wizard shows while it waits for approval.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SystemUserStatus {
    pub request: Option<super::systemuser::SystemUserRequestInfo>,
    /// Set once the system user is verified; Broker tokens then use it.
    pub system_user_id: Option<String>,
    /// Rejected or timed out: the named error, with advice.
    pub error: Option<AppError>,
}

/// Reads the request's status; once it is Accepted, verifies the system user
/// and switches the profile's Broker tokens to it.
pub async fn refresh_system_user(store: &ProfileStore, client: &super::AltinnClient) -> AppResult<SystemUserStatus> {
    let p = client.profile().clone();
    let system_id = p
        .system_user
        .system_id
        .clone()
        .ok_or_else(|| AppError::new(ErrorCode::SystemNotFound).with_detail("register the system first"))?;
    let (request, gone) = match &p.system_user.request_id {
        Some(id) => match client.system_user_request_status(id).await {
            Ok(r) => (Some(r), None),
            // Deleted, or archived long after its time-out: a new request is needed.
            Err(e) if e.code == ErrorCode::SystemUserRequestGone => (None, Some(e)),
            Err(e) => return Err(e),
        },
        None => (None, None),
    };
    if let Some(e) = gone {
        return Ok(SystemUserStatus { request: None, system_user_id: None, error: Some(e) });
    }
    let error = request.as_ref().and_then(|r| r.status_error());
    let accepted = request.as_ref().map(|r| r.is_accepted()).unwrap_or(true);
    let verified = if accepted {
        match client.verify_system_user(&system_id, p.system_user.external_ref.as_deref()).await {
            Ok(su) => Some(su.id),
            Err(e) if e.code == ErrorCode::SystemUserNotFound && request.is_some() => None,
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    let (req2, ver2) = (request.clone(), verified.clone());
    store.update(p.environment, move |p| {
        if let Some(r) = &req2 {
            p.system_user.request_status = Some(r.status.clone());
            p.system_user.request_timed_out = r.timed_out;
        }
        if let Some(id) = ver2 {
            p.system_user.system_user_id = Some(id);
            p.system_user.enabled = true;
            // The approved request delegated the services it asked for.
            if p.system_user.rights.is_empty() {
                p.system_user.rights = super::services::normalise(&p.resource_ids);
            }
        }
        Ok(())
    })?;
    Ok(SystemUserStatus { request, system_user_id: verified, error })
}

/// Runs the connection test and records the token mode that worked.
pub async fn connection_test(
    store: &ProfileStore,
    client: &super::AltinnClient,
) -> AppResult<super::connection_test::ConnectionReport> {
    let mut report = super::connection_test::run(client).await;
    // A service added later answers BRO-00006 until its change is approved:
    // say that, not "no access".
    if let Some(change) = client.profile().system_user.change.as_ref().filter(|c| c.status == "New") {
        for step in report.steps.iter_mut() {
            if let Some(e) = step.error.as_mut().filter(|e| e.code == ErrorCode::BrokerNoAccess) {
                let detail = format!(
                    "{}; waiting for approval: {}",
                    e.detail.clone().unwrap_or_default(),
                    change.add.join(", ")
                );
                *e = AppError::new(ErrorCode::ChangeRequestPending).with_detail(detail);
            }
        }
    }
    if let Some(mode) = report.working_mode {
        store.update(client.profile().environment, |p| {
            p.token_mode = mode;
            p.token_mode_verified_at = Some(now());
            Ok(())
        })?;
    }
    Ok(report)
}
