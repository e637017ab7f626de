//! Shared set-up: a sandbox, a registered Maskinporten client and a profile.

use budbringer_core::altinn::keys;
use budbringer_core::altinn::profile::{self, Profile, ProfileStore};
use budbringer_core::altinn::AltinnClient;
use budbringer_core::environment::{Endpoints, Environment};
use budbringer_core::secrets::{MemorySecretStore, SecretStore};
use budbringer_sandbox::{
    ClientConfig, PublicJwk, Sandbox, SandboxConfig, SandboxHandle, PRACTICE_ORG_A, PRACTICE_RESOURCE,
};
use rsa::RsaPrivateKey;
use std::sync::{Arc, OnceLock};

pub const BROKER_SCOPES: &[&str] = &["altinn:broker.write", "altinn:broker.read"];
pub const ADMIN_SCOPES: &[&str] = &[
    "altinn:authentication/systemregister.write",
    "altinn:authentication/systemuser.request.write",
    "altinn:authentication/systemuser.request.read",
];

/// One RSA key per test process (key generation is the slow part).
pub fn key() -> &'static RsaPrivateKey {
    static K: OnceLock<RsaPrivateKey> = OnceLock::new();
    K.get_or_init(|| keys::generate(2048).unwrap())
}

pub fn sandbox_jwk(key: &RsaPrivateKey, kid: &str) -> PublicJwk {
    let j = keys::public_jwk(key, kid);
    PublicJwk { kty: j.kty, n: j.n, e: j.e, kid: j.kid, alg: Some(j.alg), use_: Some(j.use_) }
}

pub struct World {
    pub sandbox: SandboxHandle,
    pub _dir: tempfile::TempDir,
    pub secrets: Arc<MemorySecretStore>,
    pub client_id: String,
    pub kid: String,
}

impl World {
    /// A sandbox with a client for PRACTICE_ORG_A holding `scopes` and our key.
    pub async fn start(scopes: &[&str]) -> World {
        let dir = tempfile::tempdir().unwrap();
        let sandbox = Sandbox::start(SandboxConfig::practice(), dir.path().join("sandbox")).await.unwrap();
        let secrets = Arc::new(MemorySecretStore::new());
        let kid = keys::make_kid(PRACTICE_ORG_A, Environment::Sandbox, time::OffsetDateTime::now_utc());
        let client_id = uuid::Uuid::new_v4().to_string();
        sandbox.admin().register_client(ClientConfig {
            client_id: client_id.clone(),
            org_number: PRACTICE_ORG_A.into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            jwks: vec![sandbox_jwk(key(), &kid)],
            allow_certificate: false,
        });
        let pem = keys::private_pkcs8_pem(key()).unwrap();
        secrets.set(&profile::private_key_secret(Environment::Sandbox), &pem).unwrap();
        World { sandbox, _dir: dir, secrets, client_id, kid }
    }

    /// A client with Broker and system-user scopes.
    pub async fn full() -> World {
        let all: Vec<&str> = BROKER_SCOPES.iter().chain(ADMIN_SCOPES).copied().collect();
        World::start(&all).await
    }

    pub fn endpoints(&self) -> Endpoints {
        Environment::Sandbox.endpoints(Some(&self.sandbox.base_url())).unwrap()
    }

    pub fn profile(&self) -> Profile {
        let mut p = Profile::new(Environment::Sandbox);
        p.org_number = PRACTICE_ORG_A.into();
        p.client_id = self.client_id.clone();
        p.kid = Some(self.kid.clone());
        p.key_source = Some(profile::KeySource::Generated);
        p.resource_ids = vec![PRACTICE_RESOURCE.into()];
        p
    }

    pub fn client(&self, profile: Profile) -> AltinnClient {
        AltinnClient::new(profile, self.endpoints(), self.secrets.clone()).unwrap()
    }

    pub fn default_client(&self) -> AltinnClient {
        self.client(self.profile())
    }

    pub fn profile_store(&self) -> ProfileStore {
        ProfileStore::open(self._dir.path())
    }

    pub fn tokens_issued(&self) -> u64 {
        self.sandbox.admin().tokens_issued(&self.client_id)
    }

    /// Lets many searches through (the sandbox limits search to 10/min by default).
    pub fn unlimited_search(&self) {
        let admin = self.sandbox.admin();
        let mut s = admin.settings();
        s.search_rate_limit_per_minute = 0;
        admin.set_settings(s);
    }
}

/// A Broker search on the practice resource.
pub async fn search(client: &AltinnClient) -> Result<reqwest::Response, budbringer_core::error::AppError> {
    let url = format!("{}/filetransfer", client.broker_base());
    client.send_broker(|h| h.get(&url).query(&[("resourceId", PRACTICE_RESOURCE)])).await
}
