//! The OS keyring as a [`SecretStore`]: Secret Service or the kernel keyring
//! on Linux, Credential Manager on Windows, the Keychain on macOS. Values are
//! laid out by [`EnvelopeStore`] so that they fit Credential Manager's limits
//! everywhere (see `envelope.rs` for why and how).

use super::envelope::{EnvelopeStore, LegacyText, RawStore, CREDENTIAL_MANAGER};
use super::{Secret, SecretStore};
use crate::error::{AppError, AppResult, ErrorCode};
use zeroize::Zeroizing;

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

impl KeyringBackend {
    fn label(self) -> &'static str {
        match self {
            #[cfg(target_os = "linux")]
            KeyringBackend::SecretService => "secret-service",
            #[cfg(target_os = "linux")]
            KeyringBackend::KernelKeyring => "kernel-keyring",
            #[cfg(not(target_os = "linux"))]
            KeyringBackend::Native => "os-keyring",
        }
    }
}

/// Entries of one keyring backend, as bytes.
pub struct KeyringEntries {
    service: String,
    backend: KeyringBackend,
}

impl KeyringEntries {
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

    /// Writes the old way (`set_password`), as Budbringer did before the
    /// envelope layout: for migration tests against the real keyring.
    pub fn set_password_legacy(&self, name: &str, text: &str) -> keyring::Result<()> {
        self.entry(name)?.set_password(text)
    }
}

impl RawStore for KeyringEntries {
    fn write(&self, name: &str, bytes: &[u8]) -> keyring::Result<()> {
        self.entry(name)?.set_secret(bytes)
    }

    fn read(&self, name: &str) -> keyring::Result<Option<Zeroizing<Vec<u8>>>> {
        match self.entry(name)?.get_secret() {
            Ok(v) => Ok(Some(Zeroizing::new(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn remove(&self, name: &str) -> keyring::Result<()> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn legacy_text(&self) -> LegacyText {
        LegacyText::native()
    }

    fn label(&self) -> &'static str {
        self.backend.label()
    }
}

/// The OS keyring.
pub struct KeyringSecretStore {
    store: EnvelopeStore<KeyringEntries>,
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
            let store = Self::new(service, backend);
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
        let store = Self::new(service, backend);
        store.probe().map_err(|e| {
            AppError::new(ErrorCode::SecretStoreUnavailable).with_detail(format!("{}: {e}", store.backend()))
        })?;
        Ok(store)
    }

    fn new(service: &str, backend: KeyringBackend) -> Self {
        let entries = KeyringEntries { service: service.to_owned(), backend };
        KeyringSecretStore { store: EnvelopeStore::new(entries, CREDENTIAL_MANAGER), backend }
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

    /// The backend's entries, below the envelope layout.
    pub fn entries(&self) -> &KeyringEntries {
        self.store.raw()
    }

    /// Writes, reads back and deletes a throw-away value, as bytes (the way
    /// every secret is stored).
    fn probe(&self) -> keyring::Result<()> {
        let raw = self.store.raw();
        let value = format!("probe-{}", uuid::Uuid::new_v4());
        raw.write(PROBE_NAME, value.as_bytes())?;
        let back = raw.read(PROBE_NAME)?;
        let _ = raw.remove(PROBE_NAME);
        if back.as_deref().map(Vec::as_slice) != Some(value.as_bytes()) {
            return Err(keyring::Error::Invalid("probe".into(), "read back a different value".into()));
        }
        Ok(())
    }
}

impl SecretStore for KeyringSecretStore {
    fn set(&self, name: &str, value: &Secret) -> AppResult<()> {
        SecretStore::set(&self.store, name, value)
    }

    fn get(&self, name: &str) -> AppResult<Option<Secret>> {
        SecretStore::get(&self.store, name)
    }

    fn delete(&self, name: &str) -> AppResult<()> {
        SecretStore::delete(&self.store, name)
    }

    fn backend(&self) -> &'static str {
        self.backend.label()
    }

    fn durable(&self) -> bool {
        #[cfg(target_os = "linux")]
        {
            self.backend != KeyringBackend::KernelKeyring
        }
        #[cfg(not(target_os = "linux"))]
        {
            true
        }
    }
}
