//! Where secrets live: private keys, tokens and the Altinn API key.
//!
//! Secrets go only through a [`SecretStore`]: the OS keyring in the app
//! ([`KeyringSecretStore`], laid out by [`envelope`] so that every value fits
//! Windows Credential Manager) and an in-memory store in tests
//! ([`MemorySecretStore`]). They never go to settings, history or logs, and no
//! command hands them back to the UI. Every value that passes through a store
//! is registered with the log redactor, so it is masked should it ever reach a
//! log line by mistake.

pub mod credman;
pub mod envelope;
mod keyring_store;
pub mod scoped;

pub use keyring_store::{KeyringBackend, KeyringEntries, KeyringSecretStore};

use crate::error::AppResult;
use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use zeroize::Zeroizing;

/// A secret value. Its `Debug` and `Display` never show the content, and its
/// memory is wiped when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    /// The secret's text. Use it only to sign, send or compare, never to log or return to the UI.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Storage for secrets, keyed by a name such as `tt02/private-key`.
pub trait SecretStore: Send + Sync {
    fn set(&self, name: &str, value: &Secret) -> AppResult<()>;
    fn get(&self, name: &str) -> AppResult<Option<Secret>>;
    /// Deleting a secret that does not exist is not an error.
    fn delete(&self, name: &str) -> AppResult<()>;
    /// A short description of the backend, for the Settings page and the logs.
    fn backend(&self) -> &'static str;
    /// Whether what is stored survives a restart of the computer. The Linux
    /// kernel keyring and the memory store do not: the UI then asks for a key
    /// backup instead of calling the key safely kept.
    fn durable(&self) -> bool {
        true
    }
}

/// An in-memory store, for tests and for a run without any keyring.
#[derive(Default)]
pub struct MemorySecretStore {
    map: Mutex<HashMap<String, Secret>>,
}

impl MemorySecretStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every name held, sorted (tests check that nothing is left behind).
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.map.lock().expect("secret map poisoned").keys().cloned().collect();
        v.sort();
        v
    }
}

impl SecretStore for MemorySecretStore {
    fn set(&self, name: &str, value: &Secret) -> AppResult<()> {
        crate::logging::register_secret(value.expose());
        self.map.lock().expect("secret map poisoned").insert(name.to_owned(), value.clone());
        Ok(())
    }

    fn get(&self, name: &str) -> AppResult<Option<Secret>> {
        Ok(self.map.lock().expect("secret map poisoned").get(name).cloned())
    }

    fn delete(&self, name: &str) -> AppResult<()> {
        self.map.lock().expect("secret map poisoned").remove(name);
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "memory"
    }

    fn durable(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_os = "linux")]
    use crate::error::ErrorCode;

    fn round_trip(store: &dyn SecretStore) {
        let name = format!("test/{}", uuid::Uuid::new_v4());
        assert_eq!(store.get(&name).unwrap(), None);
        store.set(&name, &Secret::new("s3cret-æøå")).unwrap();
        assert_eq!(store.get(&name).unwrap().unwrap().expose(), "s3cret-æøå");
        store.set(&name, &Secret::new("second")).unwrap();
        assert_eq!(store.get(&name).unwrap().unwrap().expose(), "second");
        store.delete(&name).unwrap();
        assert_eq!(store.get(&name).unwrap(), None);
        store.delete(&name).unwrap();
    }

    /// What Credential Manager could not hold before: a value far over 2,560
    /// bytes (split across entries), replaced by a small one, then deleted.
    fn large_values(store: &dyn SecretStore) {
        let name = format!("test/{}", uuid::Uuid::new_v4());
        let big = "-----BEGIN PRIVATE KEY-----\nøæå€🔑".repeat(300);
        store.set(&name, &Secret::new(big.clone())).unwrap();
        assert_eq!(store.get(&name).unwrap().unwrap().expose(), big);
        store.set(&name, &Secret::new("small")).unwrap();
        assert_eq!(store.get(&name).unwrap().unwrap().expose(), "small");
        store.delete(&name).unwrap();
        assert_eq!(store.get(&name).unwrap(), None);
    }

    /// A secret written the old way (`set_password`) is read and moved to the envelope layout.
    fn legacy_migrates(store: &KeyringSecretStore) {
        let name = format!("test/{}", uuid::Uuid::new_v4());
        store.entries().set_password_legacy(&name, "old-æøå").unwrap();
        assert_eq!(store.get(&name).unwrap().unwrap().expose(), "old-æøå");
        let raw = envelope::RawStore::read(store.entries(), &name).unwrap().unwrap();
        assert!(raw.starts_with(b"\0bb1v"), "not migrated");
        assert_eq!(store.get(&name).unwrap().unwrap().expose(), "old-æøå");
        store.delete(&name).unwrap();
    }

    fn all_checks(store: &KeyringSecretStore) {
        round_trip(store);
        large_values(store);
        legacy_migrates(store);
    }

    #[test]
    fn memory_store_round_trips() {
        round_trip(&MemorySecretStore::new());
    }

    #[test]
    fn secret_debug_hides_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(***)");
    }

    /// Runs against the real OS keyring. `scripts/test.sh` runs it inside
    /// `keyctl session - dbus-run-session` with an unlocked gnome-keyring, and
    /// sets BUDBRINGER_KEYRING_TESTS to say which situation it set up.
    #[cfg(target_os = "linux")]
    #[test]
    #[ignore = "needs a prepared keyring situation: run by scripts/test.sh"]
    fn os_keyring_backends() {
        let mode = std::env::var("BUDBRINGER_KEYRING_TESTS")
            .expect("set BUDBRINGER_KEYRING_TESTS to secret-service, kernel-only or none (see scripts/test.sh)");
        let service = "no.budbringer.desktop.test";
        match mode.as_str() {
            // gnome-keyring running: Secret Service is chosen first, and the kernel keyring also works.
            "secret-service" => {
                let store = KeyringSecretStore::open(service).unwrap();
                assert_eq!(store.kind(), KeyringBackend::SecretService);
                all_checks(&store);
                let kernel = KeyringSecretStore::open_backend(service, KeyringBackend::KernelKeyring).unwrap();
                all_checks(&kernel);
            }
            // Only a kernel session keyring (no D-Bus): the fallback is chosen.
            "kernel-only" => {
                let store = KeyringSecretStore::open(service).unwrap();
                assert_eq!(store.kind(), KeyringBackend::KernelKeyring);
                all_checks(&store);
            }
            // A bare shell: neither works, and the error names both.
            "none" => {
                let err = KeyringSecretStore::open(service).err().expect("no keyring should be usable here");
                assert_eq!(err.code, ErrorCode::SecretStoreUnavailable);
                let detail = err.detail.unwrap();
                assert!(detail.contains("secret-service:") && detail.contains("kernel-keyring:"), "{detail}");
            }
            other => panic!("unknown BUDBRINGER_KEYRING_TESTS={other}"),
        }
    }

    /// Runs against Windows Credential Manager or the macOS Keychain on the CI
    /// runners (.github/workflows/desktop.yml); it cannot run here.
    #[cfg(not(target_os = "linux"))]
    #[test]
    #[ignore = "writes to the real OS keyring: run by the desktop workflow"]
    fn native_keyring_holds_large_values() {
        let store = KeyringSecretStore::open("no.budbringer.desktop.test").unwrap();
        assert_eq!(store.kind(), KeyringBackend::Native);
        all_checks(&store);
        // A private key as "Lag nøkkel" stores it: 2048-bit PKCS#8 PEM (made with
        // rsa directly: secrets must not use altinn::keys, which uses secrets).
        use rsa::pkcs8::EncodePrivateKey;
        let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
        let pem = Secret::new(key.to_pkcs8_pem(rsa::pkcs8::LineEnding::LF).unwrap().as_str());
        store.set("test/private-key", &pem).unwrap();
        assert_eq!(store.get("test/private-key").unwrap().unwrap(), pem);
        store.delete("test/private-key").unwrap();
    }
}
