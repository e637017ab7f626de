//! Practice mode: makes a practice organisation ready to send and receive in
//! the embedded sandbox, as an administrator would in the real world, but in
//! one step and with no credentials: a fresh key pair whose public half is
//! registered as a Maskinporten client (the Samarbeidsportalen step), an
//! approved system user with rights to the practice resource, and a profile
//! that uses them. The private key goes to the secret store like any other.

use crate::altinn::keys;
use crate::altinn::profile::{self, KeySource, Profile};
use crate::environment::Environment;
use crate::error::AppResult;
use crate::sandbox::{Admin, ClientConfig, PublicJwk, SystemUserConfig, PRACTICE_RESOURCE};
use crate::secrets::SecretStore;

/// Scopes a practice client gets: Broker, plus what the system-user steps of the wizard use.
pub const PRACTICE_CLIENT_SCOPES: &[&str] = &[
    "altinn:broker.write",
    "altinn:broker.read",
    "altinn:authentication/systemregister.write",
    "altinn:authentication/systemuser.request.write",
    "altinn:authentication/systemuser.request.read",
];

/// Sets up `org` (one of the sandbox's organisations) and returns its profile.
pub fn provision(admin: &Admin, org: &str, secrets: &dyn SecretStore) -> AppResult<Profile> {
    let key = keys::generate(2048)?;
    let now = time::OffsetDateTime::now_utc();
    let kid = keys::make_kid(org, Environment::Sandbox, now);
    let jwk = keys::public_jwk(&key, &kid);
    secrets.set(&profile::private_key_secret(Environment::Sandbox), &keys::private_pkcs8_pem(&key)?)?;
    let client_id = uuid::Uuid::new_v4().to_string();
    admin.register_client(ClientConfig {
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
    });
    let system_id = format!("{org}_budbringer");
    let system_user_id = admin.add_system_user(SystemUserConfig {
        id: None,
        system_id: system_id.clone(),
        org_number: org.to_owned(),
        client_ids: vec![client_id.clone()],
        external_ref: None,
        resources: vec![PRACTICE_RESOURCE.to_owned()],
    });
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
    p.system_user.system_user_id = Some(system_user_id.to_string());
    Ok(p)
}
