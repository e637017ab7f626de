//! A stand-in for Windows Credential Manager that enforces its limits, so the
//! size logic of [`EnvelopeStore`](super::envelope::EnvelopeStore) is tested
//! here, on Linux, against the rules it must meet on Windows.
//!
//! The limits and their checks follow the keyring crate's Windows backend
//! (keyring 3.6, `windows.rs`, `validate_attributes`), which checks them
//! before calling `CredWriteW`: the user name (our entry name) at most
//! `CRED_MAX_USERNAME_LENGTH` = 513 bytes, the target name (`{user}.{service}`)
//! at most `CRED_MAX_GENERIC_TARGET_NAME_LENGTH` = 32,767 bytes, and the blob at
//! most `CRED_MAX_CREDENTIAL_BLOB_SIZE` = 2,560 bytes; `set_password` stores
//! text as UTF-16LE, so at most 1,280 UTF-16 units.

use super::envelope::{LegacyText, RawStore};
use crate::sync::Locked;
use std::collections::BTreeMap;
use std::sync::Mutex;
use zeroize::Zeroizing;

pub const CRED_MAX_CREDENTIAL_BLOB_SIZE: usize = 2560;
pub const CRED_MAX_USERNAME_LENGTH: usize = 513;
pub const CRED_MAX_GENERIC_TARGET_NAME_LENGTH: usize = 32767;

/// Credentials by target name, in memory, with Credential Manager's limits.
pub struct CredentialManagerSim {
    service: String,
    creds: Mutex<BTreeMap<String, Zeroizing<Vec<u8>>>>,
    /// Fault injection: how many more writes succeed before one fails.
    writes_left: Mutex<Option<usize>>,
    legacy: LegacyText,
}

impl CredentialManagerSim {
    pub fn new(service: &str) -> Self {
        Self::with_legacy(service, LegacyText::Utf16Le)
    }

    /// A store whose old entries were written as `legacy` text (UTF-8 to
    /// stand in for the Linux and macOS keyrings, which have no small limit).
    pub fn with_legacy(service: &str, legacy: LegacyText) -> Self {
        CredentialManagerSim {
            service: service.to_owned(),
            creds: Mutex::new(BTreeMap::new()),
            writes_left: Mutex::new(None),
            legacy,
        }
    }

    fn target(&self, user: &str) -> String {
        format!("{user}.{}", self.service)
    }

    /// keyring's checks, in its order.
    fn validate(&self, user: &str, blob_len: usize, what: &str) -> keyring::Result<()> {
        if user.len() > CRED_MAX_USERNAME_LENGTH {
            return Err(keyring::Error::TooLong("user".into(), CRED_MAX_USERNAME_LENGTH as u32));
        }
        if self.target(user).len() > CRED_MAX_GENERIC_TARGET_NAME_LENGTH {
            return Err(keyring::Error::TooLong("target".into(), CRED_MAX_GENERIC_TARGET_NAME_LENGTH as u32));
        }
        if blob_len > CRED_MAX_CREDENTIAL_BLOB_SIZE {
            return Err(keyring::Error::TooLong(what.into(), CRED_MAX_CREDENTIAL_BLOB_SIZE as u32));
        }
        Ok(())
    }

    /// What keyring's `set_password` does on Windows (how secrets were stored
    /// before the envelope layout): the text as UTF-16LE.
    pub fn set_password(&self, user: &str, password: &str) -> keyring::Result<()> {
        let blob: Zeroizing<Vec<u8>> = Zeroizing::new(match self.legacy {
            LegacyText::Utf16Le => password.encode_utf16().flat_map(u16::to_le_bytes).collect(),
            LegacyText::Utf8 => password.as_bytes().to_vec(),
        });
        if self.legacy == LegacyText::Utf16Le {
            self.validate(user, blob.len(), "password encoded as UTF-16")?;
        }
        self.creds.locked().insert(self.target(user), blob);
        Ok(())
    }

    /// The next `n` writes succeed, and the one after fails (as a locked or
    /// full store would); `None` ends the fault.
    pub fn fail_after_writes(&self, n: Option<usize>) {
        *self.writes_left.locked() = n;
    }

    /// The target names of every credential, sorted.
    pub fn targets(&self) -> Vec<String> {
        self.creds.locked().keys().cloned().collect()
    }

    /// The raw blob of `user`'s credential.
    pub fn blob(&self, user: &str) -> Option<Vec<u8>> {
        self.creds.locked().get(&self.target(user)).map(|b| b.to_vec())
    }

    /// Removes a credential behind the store's back (a damaged store).
    pub fn forget(&self, user: &str) {
        self.creds.locked().remove(&self.target(user));
    }
}

impl RawStore for CredentialManagerSim {
    fn write(&self, name: &str, bytes: &[u8]) -> keyring::Result<()> {
        self.validate(name, bytes.len(), "secret")?;
        {
            let mut left = self.writes_left.locked();
            match *left {
                Some(0) => return Err(keyring::Error::PlatformFailure("injected write failure".into())),
                Some(n) => *left = Some(n - 1),
                None => {}
            }
        }
        self.creds.locked().insert(self.target(name), Zeroizing::new(bytes.to_vec()));
        Ok(())
    }

    fn read(&self, name: &str) -> keyring::Result<Option<Zeroizing<Vec<u8>>>> {
        self.validate(name, 0, "secret")?;
        Ok(self.creds.locked().get(&self.target(name)).cloned())
    }

    fn remove(&self, name: &str) -> keyring::Result<()> {
        self.validate(name, 0, "secret")?;
        self.creds.locked().remove(&self.target(name));
        Ok(())
    }

    fn legacy_text(&self) -> LegacyText {
        self.legacy
    }

    fn label(&self) -> &'static str {
        "credential-manager-sim"
    }
}
