//! Where secrets live: private keys, tokens and the Altinn API key.
//!
//! Secrets go only through a [`SecretStore`]: the OS keyring in the app
//! ([`KeyringSecretStore`]) and an in-memory store in tests
//! ([`MemorySecretStore`]). They never go to settings, history or logs, and no
//! command hands them back to the UI. Every value that passes through a store
//! is registered with the log redactor, so it is masked should it ever reach a
//! log line by mistake.

use crate::error::{AppError, AppResult, ErrorCode};
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
}

/// Which OS keyring backs a [`KeyringSecretStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyringBackend {
    /// Secret Service over D-Bus (GNOME Keyring, KWallet): persistent. Tried first on Linux.
    #[cfg(target_os = "linux")]
    SecretService,
    /// The Linux kernel keyring: works without a desktop session, but forgets
    /// its contents at logout or reboot. The fallback.
    #[cfg(target_os = "linux")]
    KernelKeyring,
    /// The platform's own store: Windows Credential Manager or the macOS Keychain.
    #[cfg(not(target_os = "linux"))]
    Native,
}

/// The OS keyring.
pub struct KeyringSecretStore {
    service: String,
    backend: KeyringBackend,
}

const PROBE_NAME: &str = "budbringer-probe";

impl KeyringSecretStore {
    /// Opens the first keyring that can store and read back a value: Secret
    /// Service, then the kernel keyring. When neither works, the error names
    /// both failures.
    pub fn open(service: &str) -> AppResult<Self> {
        let mut failures = Vec::new();
        for backend in Self::candidates() {
            let store = KeyringSecretStore { service: service.to_owned(), backend };
            match store.probe() {
                Ok(()) => {
                    tracing::info!(backend = store.backend(), "secret store opened");
                    return Ok(store);
                }
                Err(e) => failures.push(format!("{}: {}", store.backend(), e)),
            }
        }
        Err(AppError::new(ErrorCode::SecretStoreUnavailable).with_detail(failures.join("; ")))
    }

    /// Opens one given backend, probing it first.
    pub fn open_backend(service: &str, backend: KeyringBackend) -> AppResult<Self> {
        let store = KeyringSecretStore { service: service.to_owned(), backend };
        store.probe().map_err(|e| {
            AppError::new(ErrorCode::SecretStoreUnavailable).with_detail(format!("{}: {e}", store.backend()))
        })?;
        Ok(store)
    }

    fn candidates() -> Vec<KeyringBackend> {
        #[cfg(target_os = "linux")]
        {
            vec![KeyringBackend::SecretService, KeyringBackend::KernelKeyring]
        }
        #[cfg(not(target_os = "linux"))]
        {
            vec![KeyringBackend::Native]
        }
    }

    pub fn kind(&self) -> KeyringBackend {
        self.backend
    }

    fn entry(&self, name: &str) -> keyring::Result<keyring::Entry> {
        match self.backend {
            #[cfg(target_os = "linux")]
            KeyringBackend::SecretService => {
                let c = keyring::secret_service::SsCredential::new_with_target(None, &self.service, name)?;
                Ok(keyring::Entry::new_with_credential(Box::new(c)))
            }
            #[cfg(target_os = "linux")]
            KeyringBackend::KernelKeyring => {
                let c = keyring::keyutils::KeyutilsCredential::new_with_target(None, &self.service, name)?;
                Ok(keyring::Entry::new_with_credential(Box::new(c)))
            }
            #[cfg(not(target_os = "linux"))]
            KeyringBackend::Native => keyring::Entry::new(&self.service, name),
        }
    }

    /// Writes, reads back and deletes a throw-away value.
    fn probe(&self) -> keyring::Result<()> {
        let entry = self.entry(PROBE_NAME)?;
        let value = format!("probe-{}", uuid::Uuid::new_v4());
        entry.set_password(&value)?;
        let back = entry.get_password()?;
        let _ = entry.delete_credential();
        if back != value {
            return Err(keyring::Error::Invalid("probe".into(), "read back a different value".into()));
        }
        Ok(())
    }

    fn failed(&self, action: &str, name: &str, e: keyring::Error) -> AppError {
        AppError::new(ErrorCode::SecretStoreFailed).with_detail(format!("{} {action} '{name}': {e}", self.backend()))
    }
}

impl SecretStore for KeyringSecretStore {
    fn set(&self, name: &str, value: &Secret) -> AppResult<()> {
        crate::logging::register_secret(value.expose());
        let entry = self.entry(name).map_err(|e| self.failed("open", name, e))?;
        entry.set_password(value.expose()).map_err(|e| self.failed("write", name, e))
    }

    fn get(&self, name: &str) -> AppResult<Option<Secret>> {
        let entry = self.entry(name).map_err(|e| self.failed("open", name, e))?;
        match entry.get_password() {
            Ok(v) => {
                crate::logging::register_secret(&v);
                Ok(Some(Secret::new(v)))
            }
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(self.failed("read", name, e)),
        }
    }

    fn delete(&self, name: &str) -> AppResult<()> {
        let entry = self.entry(name).map_err(|e| self.failed("open", name, e))?;
        match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(self.failed("delete", name, e)),
        }
    }

    fn backend(&self) -> &'static str {
        match self.backend {
            #[cfg(target_os = "linux")]
            KeyringBackend::SecretService => "secret-service",
            #[cfg(target_os = "linux")]
            KeyringBackend::KernelKeyring => "kernel-keyring",
            #[cfg(not(target_os = "linux"))]
            KeyringBackend::Native => "os-keyring",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
                round_trip(&store);
                let kernel = KeyringSecretStore::open_backend(service, KeyringBackend::KernelKeyring).unwrap();
                round_trip(&kernel);
            }
            // Only a kernel session keyring (no D-Bus): the fallback is chosen.
            "kernel-only" => {
                let store = KeyringSecretStore::open(service).unwrap();
                assert_eq!(store.kind(), KeyringBackend::KernelKeyring);
                round_trip(&store);
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
}
