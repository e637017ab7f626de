//! Key changes with overlap, and key backups.
//!
//! A key registered in Maskinporten lives one year, and a client holds up to
//! five keys (`docs/ALTINN.md#keys-and-certificates`), so a key is changed
//! without a gap: a new key is made and kept beside the current one (the
//! profile holds both kids); the current key goes on signing while the new
//! public key is added to the client in Samarbeidsportalen; a token fetched
//! with the new key proves it registered; only then does it replace the
//! current one, and the user removes the old key from the client.

use crate::environment::Environment;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::secrets::SecretStore;

use super::grant::{GrantClaims, GrantSigner, KeyRef};
use super::keys;
use super::profile::{self, KeySource, PendingKey, ProfileStore};
use super::setup::KeyInfo;

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn state(detail: &str) -> AppError {
    AppError::new(ErrorCode::KeyRotationState).with_detail(detail.to_owned())
}

/// Makes a new key and keeps it beside the current one. Returns the public
/// half (JWK and PEM) to add to the client. A key change already begun is
/// replaced by a fresh one.
pub fn start(store: &ProfileStore, secrets: &dyn SecretStore, env: Environment, bits: usize) -> AppResult<KeyInfo> {
    let p = store.get(env);
    if p.kid.is_none() || p.key_source == Some(KeySource::Certificate) {
        return Err(state("there is no key to change: make or import a key first"));
    }
    let key = keys::generate(bits)?;
    let kid = keys::make_kid(&p.org_number, env, time::OffsetDateTime::now_utc());
    secrets.set(&profile::pending_key_secret(env), &keys::private_pkcs8_pem(&key)?)?;
    let p = store.update(env, |p| {
        p.pending_key = Some(PendingKey { kid: kid.clone(), created: now(), tested_at: None });
        Ok(())
    })?;
    pending_info(&p, secrets)
}

/// The public half of the new key during a key change.
pub fn pending_info(p: &profile::Profile, secrets: &dyn SecretStore) -> AppResult<KeyInfo> {
    let pending = p.pending_key.as_ref().ok_or_else(|| state("no key change has begun"))?;
    let pem = secrets
        .get(&profile::pending_key_secret(p.environment))?
        .ok_or_else(|| AppError::new(ErrorCode::KeyMissing).with_detail("the new key is gone from the keyring"))?;
    let key = keys::from_stored_pem(&pem)?;
    let jwk = keys::public_jwk(&key, &pending.kid);
    Ok(KeyInfo {
        environment: p.environment,
        kid: Some(pending.kid.clone()),
        source: Some(KeySource::Generated),
        jwk_json: serde_json::to_string_pretty(&jwk).ok(),
        jwk: Some(jwk),
        pem: keys::public_pem(&key)?,
        created: Some(pending.created),
        expires: Some(pending.created + keys::KEY_LIFETIME_SECS),
        expiry_warning: false,
        certificate_org: None,
        durable_storage: secrets.durable(),
    })
}

/// Fetches a token signed with the new key: it proves the new public key is
/// on the client. Records when it worked.
pub async fn test(store: &ProfileStore, client: &super::AltinnClient) -> AppResult<()> {
    let p = client.profile().clone();
    let pending = p.pending_key.clone().ok_or_else(|| state("no key change has begun"))?;
    p.check_ready()?;
    let pem = client
        .secrets()
        .get(&profile::pending_key_secret(p.environment))?
        .ok_or_else(|| AppError::new(ErrorCode::KeyMissing).with_detail("the new key is gone from the keyring"))?;
    let signer = GrantSigner::from_pem(pem.expose(), KeyRef::Kid(pending.kid.clone()))?;
    client.check_clock().await?;
    let claims =
        GrantClaims::new(&client.endpoints().maskinporten_issuer, &p.client_id, &p.broker_scope(), now(), None);
    let grant = signer.sign(&claims)?;
    client.post_grant(&grant).await?;
    store.update(p.environment, |p| {
        if let Some(k) = p.pending_key.as_mut().filter(|k| k.kid == pending.kid) {
            k.tested_at = Some(now());
        }
        Ok(())
    })?;
    Ok(())
}

/// Lets the tested new key replace the current one. Returns the old kid,
/// which the user now removes from the client in Samarbeidsportalen.
pub fn finish(store: &ProfileStore, secrets: &dyn SecretStore, env: Environment) -> AppResult<String> {
    let p = store.get(env);
    let pending = p.pending_key.clone().ok_or_else(|| state("no key change has begun"))?;
    if pending.tested_at.is_none() {
        return Err(state("test the new key first: it must be on the client in Samarbeidsportalen"));
    }
    let pem = secrets
        .get(&profile::pending_key_secret(env))?
        .ok_or_else(|| AppError::new(ErrorCode::KeyMissing).with_detail("the new key is gone from the keyring"))?;
    keys::from_stored_pem(&pem)?;
    let old = p.kid.clone().unwrap_or_default();
    secrets.set(&profile::private_key_secret(env), &pem)?;
    store.update(env, |p| {
        p.kid = Some(pending.kid.clone());
        p.key_source = Some(KeySource::Generated);
        p.key_created = Some(pending.created);
        p.pending_key = None;
        Ok(())
    })?;
    secrets.delete(&profile::pending_key_secret(env))?;
    Ok(old)
}

/// Gives up a key change; the current key stays.
pub fn cancel(store: &ProfileStore, secrets: &dyn SecretStore, env: Environment) -> AppResult<()> {
    store.update(env, |p| {
        p.pending_key = None;
        Ok(())
    })?;
    secrets.delete(&profile::pending_key_secret(env))
}

/// The current private key as an encrypted PKCS#8 PEM (the backup file's text).
pub fn backup(
    store: &ProfileStore,
    secrets: &dyn SecretStore,
    env: Environment,
    passphrase: &str,
) -> AppResult<String> {
    let p = store.get(env);
    let pem = secrets.get(&profile::private_key_secret(env))?.ok_or_else(|| {
        AppError::new(ErrorCode::KeyMissing).with_detail(format!("no private key for {}", p.environment.as_str()))
    })?;
    let key = keys::from_stored_pem(&pem)?;
    super::backup::encrypt_pem(&key, passphrase)
}
