//! How a secret is laid out in an OS keyring so that it fits in every one.
//!
//! Windows Credential Manager holds at most 2,560 bytes per credential
//! (`CRED_MAX_CREDENTIAL_BLOB_SIZE`), and the keyring crate's `set_password`
//! stores text there as UTF-16, so at most 1,280 characters. A 2048-bit key
//! as PKCS#8 PEM is about 1,700 characters and a 4096-bit key from a business
//! certificate about 3,250: neither could be stored on Windows.
//!
//! What we do, on every platform alike:
//! - values are stored as bytes (`set_secret`), UTF-8, behind a 5-byte header:
//!   half the size of UTF-16, so a 2048-bit or 3072-bit PEM key fits one entry;
//! - a value still too large for one entry is split into parts of at most
//!   2,560 bytes, stored under `name#<generation>.<n>`, and the entry `name`
//!   holds a manifest (generation, number of parts, length).
//!
//! Why not (only) a compact encoding such as DER: it would fit today's keys but
//! not the next larger thing (a 4096-bit key is about 2,400 bytes of DER, plus
//! whatever is stored next), and it would make the store know what each secret
//! is. Splitting works for any value, and because the same code runs on Linux,
//! the tests here exercise exactly what runs on Windows (against
//! [`CredentialManagerSim`](super::credman::CredentialManagerSim), which
//! enforces Credential Manager's limits).
//!
//! Writing a split value never touches the parts the current manifest lists
//! (a new value gets a new generation), and the manifest is written last: a
//! failure or crash in the middle leaves the old value whole. Entries written
//! the old way (`set_password`: UTF-16 on Windows, UTF-8 elsewhere) have no
//! header; they are read as before and rewritten in this layout.

use super::{Secret, SecretStore};
use crate::error::{AppError, AppResult, ErrorCode};
use zeroize::Zeroizing;

/// Marks an entry written in this layout. It starts with NUL, which no text
/// stored the old way starts with (in UTF-8), and read as UTF-16 it is two CJK
/// characters no secret of ours begins with.
const MAGIC: &[u8; 4] = b"\0bb1";
const KIND_VALUE: u8 = b'v';
const KIND_MANIFEST: u8 = b'm';
const HEADER_LEN: usize = MAGIC.len() + 1;
/// A manifest claiming more parts than this is damaged (64 × 2.5 KB = 160 KB).
pub const MAX_PARTS: usize = 64;
/// Longest suffix a part name adds to the secret's name: `#` + 8 hex + `.` + 2 digits.
const PART_SUFFIX_MAX: usize = 1 + 8 + 1 + 2;

/// How large an entry and its name may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one stored value (`CRED_MAX_CREDENTIAL_BLOB_SIZE`).
    pub max_value_bytes: usize,
    /// Bytes of an entry's name, which keyring uses as the credential's user
    /// name on Windows (`CRED_MAX_USERNAME_LENGTH`).
    pub max_name_bytes: usize,
}

/// Windows Credential Manager's limits, applied on every platform so that a
/// secret that can be stored here can be stored on Windows.
pub const CREDENTIAL_MANAGER: Limits = Limits { max_value_bytes: 2560, max_name_bytes: 513 };

/// How `set_password` stored text before this layout existed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyText {
    /// Secret Service, the kernel keyring and the macOS Keychain.
    Utf8,
    /// Windows Credential Manager (keyring's `set_password`).
    Utf16Le,
}

impl LegacyText {
    /// What this platform's keyring did.
    pub const fn native() -> Self {
        if cfg!(windows) {
            LegacyText::Utf16Le
        } else {
            LegacyText::Utf8
        }
    }

    fn decode(self, bytes: &[u8]) -> Option<String> {
        match self {
            LegacyText::Utf8 => std::str::from_utf8(bytes).ok().map(str::to_owned),
            LegacyText::Utf16Le => {
                if bytes.len() % 2 != 0 {
                    return None;
                }
                let units: Zeroizing<Vec<u16>> =
                    Zeroizing::new(bytes.chunks_exact(2).map(|p| u16::from_le_bytes([p[0], p[1]])).collect());
                String::from_utf16(&units).ok()
            }
        }
    }
}

/// Named byte entries in a keyring: what a [`EnvelopeStore`] builds on.
pub trait RawStore: Send + Sync {
    fn write(&self, name: &str, bytes: &[u8]) -> keyring::Result<()>;
    /// `Ok(None)` when there is no such entry.
    fn read(&self, name: &str) -> keyring::Result<Option<Zeroizing<Vec<u8>>>>;
    /// Removing an entry that does not exist is not an error.
    fn remove(&self, name: &str) -> keyring::Result<()>;
    /// How this keyring's `set_password` stored text (for migration).
    fn legacy_text(&self) -> LegacyText;
    /// A short description of the backend, for messages.
    fn label(&self) -> &'static str;
}

/// What the entry under a secret's own name says.
enum Head {
    Value(Zeroizing<Vec<u8>>),
    Manifest(Manifest),
    Legacy(Zeroizing<Vec<u8>>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Manifest {
    generation: String,
    parts: usize,
    len: usize,
}

impl Manifest {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + 24);
        out.extend_from_slice(MAGIC);
        out.push(KIND_MANIFEST);
        out.extend_from_slice(format!("{} {} {}", self.generation, self.parts, self.len).as_bytes());
        out
    }

    fn decode(body: &[u8]) -> Option<Manifest> {
        let text = std::str::from_utf8(body).ok()?;
        let mut it = text.split(' ');
        let generation = it.next()?.to_owned();
        let parts = it.next()?.parse().ok()?;
        let len = it.next()?.parse().ok()?;
        let ok = it.next().is_none()
            && generation.len() == 8
            && generation.bytes().all(|b| b.is_ascii_hexdigit())
            && (1..=MAX_PARTS).contains(&parts);
        ok.then_some(Manifest { generation, parts, len })
    }

    fn part_name(&self, name: &str, n: usize) -> String {
        format!("{name}#{}.{n}", self.generation)
    }
}

fn parse_head(raw: Zeroizing<Vec<u8>>) -> Result<Head, String> {
    if !raw.starts_with(MAGIC) {
        return Ok(Head::Legacy(raw));
    }
    match raw.get(MAGIC.len()) {
        Some(&KIND_VALUE) => Ok(Head::Value(Zeroizing::new(raw[HEADER_LEN..].to_vec()))),
        Some(&KIND_MANIFEST) => {
            Manifest::decode(&raw[HEADER_LEN..]).map(Head::Manifest).ok_or_else(|| "damaged manifest".to_owned())
        }
        _ => Err("unknown entry layout".to_owned()),
    }
}

/// A [`SecretStore`](super::SecretStore)'s logic over a [`RawStore`]: the
/// header, the splitting and the migration described in the module docs.
pub struct EnvelopeStore<R> {
    raw: R,
    limits: Limits,
}

impl<R: RawStore> EnvelopeStore<R> {
    pub fn new(raw: R, limits: Limits) -> Self {
        EnvelopeStore { raw, limits }
    }

    pub fn raw(&self) -> &R {
        &self.raw
    }

    fn failed(&self, action: &str, name: &str, detail: impl std::fmt::Display) -> AppError {
        AppError::new(ErrorCode::SecretStoreFailed)
            .with_detail(format!("{} {action} '{name}': {detail}", self.raw.label()))
    }

    fn read_head(&self, name: &str) -> AppResult<Option<Head>> {
        match self.raw.read(name).map_err(|e| self.failed("read", name, e))? {
            None => Ok(None),
            Some(raw) => parse_head(raw).map(Some).map_err(|e| self.failed("read", name, e)),
        }
    }

    /// Stores `value` under `name`, replacing what was there.
    pub fn set(&self, name: &str, value: &str) -> AppResult<()> {
        if name.contains('#') || name.len() + PART_SUFFIX_MAX > self.limits.max_name_bytes {
            return Err(self.failed("write", name, "the name is too long or contains '#'"));
        }
        // A damaged head is replaced, not an obstacle.
        let old = self.read_head(name).unwrap_or(None);
        let bytes = value.as_bytes();
        let room = self.limits.max_value_bytes - HEADER_LEN;
        if bytes.len() <= room {
            let mut entry = Zeroizing::new(Vec::with_capacity(HEADER_LEN + bytes.len()));
            entry.extend_from_slice(MAGIC);
            entry.push(KIND_VALUE);
            entry.extend_from_slice(bytes);
            self.raw.write(name, &entry).map_err(|e| self.failed("write", name, e))?;
        } else {
            let parts = bytes.len().div_ceil(self.limits.max_value_bytes);
            if parts > MAX_PARTS {
                return Err(self.failed("write", name, format!("{} bytes is too large to store", bytes.len())));
            }
            let generation = new_generation(&old);
            let manifest = Manifest { generation, parts, len: bytes.len() };
            let mut written = Vec::new();
            let result = bytes.chunks(self.limits.max_value_bytes).enumerate().try_for_each(|(i, chunk)| {
                let part = manifest.part_name(name, i + 1);
                self.raw.write(&part, chunk).map_err(|e| self.failed("write", &part, e))?;
                written.push(part);
                Ok(())
            });
            // The manifest is the commit: until it is written, the old value stands.
            let result = result
                .and_then(|()| self.raw.write(name, &manifest.encode()).map_err(|e| self.failed("write", name, e)));
            if let Err(e) = result {
                for part in &written {
                    let _ = self.raw.remove(part);
                }
                return Err(e);
            }
        }
        if let Some(Head::Manifest(old)) = old {
            self.remove_parts(name, &old);
        }
        Ok(())
    }

    /// The value under `name`. An entry written the old way is read as before
    /// and rewritten in this layout (when that fails, it stays as it was).
    pub fn get(&self, name: &str) -> AppResult<Option<Secret>> {
        let value = match self.read_head(name)? {
            None => return Ok(None),
            Some(Head::Value(bytes)) => self.text(name, &bytes)?,
            Some(Head::Manifest(m)) => {
                let mut all = Zeroizing::new(Vec::with_capacity(m.len));
                for n in 1..=m.parts {
                    let part = m.part_name(name, n);
                    match self.raw.read(&part).map_err(|e| self.failed("read", &part, e))? {
                        Some(bytes) => all.extend_from_slice(&bytes),
                        None => return Err(self.failed("read", name, format!("part {n} of {} is missing", m.parts))),
                    }
                }
                if all.len() != m.len {
                    return Err(self.failed("read", name, format!("{} bytes instead of {}", all.len(), m.len)));
                }
                self.text(name, &all)?
            }
            Some(Head::Legacy(bytes)) => {
                let text = self
                    .raw
                    .legacy_text()
                    .decode(&bytes)
                    .ok_or_else(|| self.failed("read", name, "the stored text is not readable"))?;
                let value = Secret::new(text);
                match self.set(name, value.expose()) {
                    Ok(()) => tracing::info!(name, "secret moved to the current keyring layout"),
                    Err(e) => tracing::warn!(name, error = %e, "secret left in the old keyring layout"),
                }
                value
            }
        };
        Ok(Some(value))
    }

    /// Removes `name` and its parts. The head goes first: once it is gone the
    /// secret is gone, and a part left behind by a failure holds only a piece.
    pub fn delete(&self, name: &str) -> AppResult<()> {
        let head = self.read_head(name).unwrap_or(None);
        self.raw.remove(name).map_err(|e| self.failed("delete", name, e))?;
        if let Some(Head::Manifest(m)) = head {
            self.remove_parts(name, &m);
        }
        Ok(())
    }

    fn remove_parts(&self, name: &str, m: &Manifest) {
        for n in 1..=m.parts {
            if let Err(e) = self.raw.remove(&m.part_name(name, n)) {
                tracing::warn!(name, part = n, error = %e, "an old part of a secret could not be removed");
            }
        }
    }

    fn text(&self, name: &str, bytes: &[u8]) -> AppResult<Secret> {
        std::str::from_utf8(bytes).map(Secret::new).map_err(|_| self.failed("read", name, "the value is not UTF-8"))
    }
}

impl<R: RawStore> SecretStore for EnvelopeStore<R> {
    fn set(&self, name: &str, value: &Secret) -> AppResult<()> {
        crate::logging::register_secret(value.expose());
        EnvelopeStore::set(self, name, value.expose())
    }

    fn get(&self, name: &str) -> AppResult<Option<Secret>> {
        let v = EnvelopeStore::get(self, name)?;
        if let Some(v) = &v {
            crate::logging::register_secret(v.expose());
        }
        Ok(v)
    }

    fn delete(&self, name: &str) -> AppResult<()> {
        EnvelopeStore::delete(self, name)
    }

    fn backend(&self) -> &'static str {
        self.raw.label()
    }
}

/// 8 hex digits, different from the generation being replaced.
fn new_generation(old: &Option<Head>) -> String {
    loop {
        let g = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
        match old {
            Some(Head::Manifest(m)) if m.generation == g => continue,
            _ => return g,
        }
    }
}

#[cfg(test)]
#[path = "envelope_tests.rs"]
mod tests;
