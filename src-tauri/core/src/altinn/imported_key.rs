//! What an import of a private key yields, whatever the file was: the key
//! plus what came with it. Its own module because both `keys` (PEM, JWK, DER)
//! and `certificate` (PKCS#12) make one, and `keys` hands .p12 files to
//! `certificate`: a shared type in either would make the two depend on each
//! other.

use rsa::RsaPrivateKey;

use super::profile::KeySource;

/// A private key read from a file or text, with what it came with.
pub struct ImportedKey {
    pub key: RsaPrivateKey,
    pub source: KeySource,
    /// The `kid` a JWK carried.
    pub kid: Option<String>,
    /// Certificate chain (base64 DER, leaf first) of a .p12.
    pub certificate_chain: Vec<String>,
    /// Validity end of the leaf certificate (Unix seconds).
    pub certificate_not_after: Option<i64>,
}

impl std::fmt::Debug for ImportedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportedKey").field("source", &self.source).field("kid", &self.kid).finish_non_exhaustive()
    }
}
