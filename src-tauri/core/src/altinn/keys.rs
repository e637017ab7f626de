//! RSA keys for Maskinporten: generate, export the public half (JWK and PEM)
//! for Samarbeidsportalen, and import existing private keys (PKCS#1 or
//! PKCS#8 PEM, a private JWK, or a PKCS#12 business certificate).
//!
//! Private material is only ever handed out as a [`Secret`] holding PKCS#8
//! PEM, for the secret store.

use crate::environment::Environment;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::secrets::Secret;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPrivateKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use super::profile::KeySource;

// Defined beside this module so that `certificate` can make one without
// depending on `keys` (which calls `certificate` for .p12 files).
pub use super::imported_key::ImportedKey;

/// Key sizes offered. Maskinporten accepts RS256 with 2048 bits and more.
pub const KEY_SIZES: &[usize] = &[2048, 3072];

/// A key registered in Maskinporten lives one year (`docs/ALTINN.md#keys-and-certificates`).
pub const KEY_LIFETIME_SECS: i64 = 365 * 86_400;
/// Warn this long before the year runs out.
pub const KEY_WARNING_SECS: i64 = 30 * 86_400;

/// The public JWK as pasted into Samarbeidsportalen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PublicJwk {
    pub kty: String,
    pub alg: String,
    #[serde(rename = "use")]
    pub use_: String,
    pub kid: String,
    pub n: String,
    pub e: String,
}

/// Generates an RSA key of 2048 or 3072 bits.
pub fn generate(bits: usize) -> AppResult<RsaPrivateKey> {
    if !KEY_SIZES.contains(&bits) {
        return Err(AppError::invalid_input(format!("key size must be 2048 or 3072 bits, not {bits}")));
    }
    RsaPrivateKey::new(&mut rand::thread_rng(), bits).map_err(|e| AppError::internal(format!("key generation: {e}")))
}

/// A globally unique kid: `<orgno>-<env>-<yyyymmddHHMMSS>-<8 hex>` (`docs/ALTINN.md#keys-and-certificates`).
pub fn make_kid(org_number: &str, env: Environment, now: time::OffsetDateTime) -> String {
    let now = now.to_offset(time::UtcOffset::UTC);
    let stamp = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let random: u32 = rand::random();
    let org: String = org_number.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let org = if org.is_empty() { "org".to_owned() } else { org };
    format!("{org}-{}-{stamp}-{random:08x}", env.as_str())
}

/// The public key as a JWK with `kty`, `alg`, `use`, `kid`, `n`, `e`.
pub fn public_jwk(key: &RsaPrivateKey, kid: &str) -> PublicJwk {
    PublicJwk {
        kty: "RSA".into(),
        alg: "RS256".into(),
        use_: "sig".into(),
        kid: kid.to_owned(),
        n: URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        e: URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    }
}

/// The public key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
pub fn public_pem(key: &RsaPrivateKey) -> AppResult<String> {
    key.to_public_key().to_public_key_pem(LineEnding::LF).map_err(|e| AppError::internal(format!("public PEM: {e}")))
}

/// The private key as PKCS#8 PEM, for the secret store only.
pub fn private_pkcs8_pem(key: &RsaPrivateKey) -> AppResult<Secret> {
    let pem = key.to_pkcs8_pem(LineEnding::LF).map_err(|e| AppError::internal(format!("private PEM: {e}")))?;
    let s = Secret::new(pem.as_str());
    crate::logging::register_secret(s.expose());
    Ok(s)
}

/// Reads the PKCS#8 PEM kept in the secret store.
pub fn from_stored_pem(pem: &Secret) -> AppResult<RsaPrivateKey> {
    RsaPrivateKey::from_pkcs8_pem(pem.expose())
        .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem.expose()))
        .map_err(|e| AppError::new(ErrorCode::KeyImportDamaged).with_detail(format!("stored key: {e}")))
}

fn unsupported(detail: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::KeyImportUnsupported).with_detail(detail)
}

fn damaged(detail: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::KeyImportDamaged).with_detail(detail)
}

fn check_size(key: RsaPrivateKey) -> AppResult<RsaPrivateKey> {
    let bits = key.n().bits();
    if bits < 2048 {
        return Err(unsupported(format!("the RSA key has {bits} bits; Maskinporten needs at least 2048")));
    }
    key.validate().map_err(|e| damaged(format!("the RSA key is not consistent: {e}")))?;
    Ok(key)
}

/// Imports a private key from text: PKCS#1 PEM, PKCS#8 PEM, or a JWK (or a
/// JWK set) with the private members.
pub fn import_text(text: &str) -> AppResult<ImportedKey> {
    let t = text.trim_start_matches('\u{feff}').trim();
    let plain =
        |key, source| ImportedKey { key, source, kid: None, certificate_chain: vec![], certificate_not_after: None };
    if t.contains("-----BEGIN RSA PRIVATE KEY-----") {
        if t.contains("Proc-Type: 4,ENCRYPTED") {
            return Err(unsupported(
                "the PEM key is password-protected; export it without a password, or use the .p12 file",
            ));
        }
        let key = RsaPrivateKey::from_pkcs1_pem(t).map_err(|e| damaged(format!("PKCS#1 PEM: {e}")))?;
        return Ok(plain(check_size(key)?, KeySource::ImportedPkcs1Pem));
    }
    if t.contains("-----BEGIN PRIVATE KEY-----") {
        let key = RsaPrivateKey::from_pkcs8_pem(t).map_err(|e| {
            // A valid PKCS#8 of another algorithm (EC) is unsupported, not damaged.
            let s = e.to_string();
            if s.contains("OID") || s.contains("algorithm") {
                unsupported(format!("the PKCS#8 key is not an RSA key ({s}); Maskinporten needs RSA"))
            } else {
                damaged(format!("PKCS#8 PEM: {s}"))
            }
        })?;
        return Ok(plain(check_size(key)?, KeySource::ImportedPkcs8Pem));
    }
    if t.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        // Read by `import_bytes` when a passphrase is given (a Budbringer key backup, or OpenSSL's `-v2`).
        return Err(unsupported(
            "the key is password-protected: enter its password (passphrase) and import the file again",
        ));
    }
    if t.contains("-----BEGIN EC PRIVATE KEY-----") || t.contains("-----BEGIN OPENSSH PRIVATE KEY-----") {
        return Err(unsupported("this is not an RSA key in PEM form; Maskinporten needs RSA"));
    }
    if t.contains("-----BEGIN PUBLIC KEY-----")
        || t.contains("-----BEGIN RSA PUBLIC KEY-----")
        || t.contains("-----BEGIN CERTIFICATE-----")
    {
        return Err(unsupported("this file holds only a public key or a certificate; the private key is needed"));
    }
    if t.starts_with('{') || t.starts_with('[') {
        let v: Value = serde_json::from_str(t).map_err(|e| damaged(format!("JSON: {e}")))?;
        return import_jwk_value(&v);
    }
    if t.contains("-----BEGIN") {
        return Err(unsupported("unknown PEM type; use an RSA private key (PKCS#1 or PKCS#8)"));
    }
    Err(unsupported("not a PEM key, a JWK or a .p12 file"))
}

fn import_jwk_value(v: &Value) -> AppResult<ImportedKey> {
    // A JWK set, or a list as pasted into the old self-service UI.
    let list = v.get("keys").and_then(|k| k.as_array()).or_else(|| v.as_array());
    if let Some(keys) = list {
        let with_private = keys.iter().find(|k| k.get("d").is_some());
        return match with_private.or(keys.first()) {
            Some(k) => import_jwk_value(k),
            None => Err(damaged("the JWK set is empty")),
        };
    }
    let Some(o) = v.as_object() else { return Err(unsupported("the JSON is not a JWK")) };
    match o.get("kty").and_then(|k| k.as_str()) {
        Some("RSA") => {}
        Some(other) => return Err(unsupported(format!("the JWK has kty {other}; Maskinporten needs RSA"))),
        None => return Err(unsupported("the JSON has no kty; it is not a JWK")),
    }
    if !o.contains_key("d") {
        return Err(unsupported("the JWK holds only the public key; the private key (d, p, q) is needed"));
    }
    let big = |name: &str| -> AppResult<BigUint> {
        let s = o.get(name).and_then(|x| x.as_str()).ok_or_else(|| damaged(format!("the JWK lacks '{name}'")))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(s.trim_end_matches('='))
            .map_err(|_| damaged(format!("the JWK member '{name}' is not base64url")))?;
        Ok(BigUint::from_bytes_be(&bytes))
    };
    let (n, e, d) = (big("n")?, big("e")?, big("d")?);
    let primes = match (o.contains_key("p"), o.contains_key("q")) {
        (true, true) => vec![big("p")?, big("q")?],
        _ => vec![],
    };
    if n.bits() < 2048 {
        return Err(unsupported(format!("the RSA key has {} bits; Maskinporten needs at least 2048", n.bits())));
    }
    if d.bits() == 0 || d >= n || e.bits() < 2 || e >= n {
        return Err(damaged("the JWK's RSA members do not fit together"));
    }
    // The bignum library panics on some inconsistent members (found by fuzzing): a damaged key.
    let key = std::panic::catch_unwind(|| RsaPrivateKey::from_components(n, e, d, primes))
        .map_err(|_| damaged("the JWK's RSA members do not fit together"))?
        .map_err(|x| damaged(format!("JWK: {x}")))?;
    let kid = o.get("kid").and_then(|k| k.as_str()).map(str::to_owned);
    Ok(ImportedKey {
        key: check_size(key)?,
        source: KeySource::ImportedJwk,
        kid,
        certificate_chain: vec![],
        certificate_not_after: None,
    })
}

/// Imports a file's bytes. `.p12`/`.pfx` files (or DER data) need `password`.
pub fn import_bytes(bytes: &[u8], file_name: Option<&str>, password: Option<&str>) -> AppResult<ImportedKey> {
    let lower = file_name.map(|n| n.to_ascii_lowercase()).unwrap_or_default();
    let is_p12_name = lower.ends_with(".p12") || lower.ends_with(".pfx");
    if is_p12_name || (!bytes.is_empty() && bytes[0] == 0x30 && std::str::from_utf8(bytes).is_err()) {
        if !is_p12_name && bytes.len() > 2 {
            // Raw DER: a PKCS#8 or PKCS#1 key, else try PKCS#12.
            if let Ok(k) = RsaPrivateKey::from_pkcs8_der(bytes) {
                return Ok(ImportedKey {
                    key: check_size(k)?,
                    source: KeySource::ImportedPkcs8Pem,
                    kid: None,
                    certificate_chain: vec![],
                    certificate_not_after: None,
                });
            }
            if let Ok(k) = RsaPrivateKey::from_pkcs1_der(bytes) {
                return Ok(ImportedKey {
                    key: check_size(k)?,
                    source: KeySource::ImportedPkcs1Pem,
                    kid: None,
                    certificate_chain: vec![],
                    certificate_not_after: None,
                });
            }
        }
        return super::certificate::import_p12(bytes, password.unwrap_or(""));
    }
    let text =
        std::str::from_utf8(bytes).map_err(|_| unsupported("the file is neither text (PEM/JWK) nor a .p12 file"))?;
    if let Some(pass) = password.filter(|p| !p.is_empty() && super::backup::is_encrypted_pem(text)) {
        let key = super::backup::decrypt_pem(text, pass)?;
        return Ok(ImportedKey {
            key: check_size(key)?,
            source: KeySource::ImportedPkcs8Pem,
            kid: None,
            certificate_chain: vec![],
            certificate_not_after: None,
        });
    }
    import_text(text)
}

/// Seconds left of a key's one-year life, and whether to warn (30 days or less).
pub fn key_expiry(created: i64, now: i64) -> (i64, bool) {
    let left = created + KEY_LIFETIME_SECS - now;
    (left, left <= KEY_WARNING_SECS)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::OnceLock;

    pub(crate) fn test_key() -> &'static RsaPrivateKey {
        static K: OnceLock<RsaPrivateKey> = OnceLock::new();
        K.get_or_init(|| generate(2048).unwrap())
    }

    #[test]
    fn kid_is_unique_and_well_formed() {
        let now = time::macros::datetime!(2026-11-23 05:45:07 UTC);
        let a = make_kid("310000019", Environment::Tt02, now);
        let b = make_kid("310000019", Environment::Tt02, now);
        assert_ne!(a, b);
        let re = regex::Regex::new(r"^310000019-tt02-20261123054507-[0-9a-f]{8}$").unwrap();
        assert!(re.is_match(&a), "{a}");
    }

    #[test]
    fn jwk_export_has_exactly_the_public_members() {
        let key = test_key();
        let jwk = serde_json::to_value(public_jwk(key, "k1")).unwrap();
        let mut names: Vec<&str> = jwk.as_object().unwrap().keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["alg", "e", "kid", "kty", "n", "use"]);
        assert_eq!(jwk["e"], "AQAB");
        assert_eq!(jwk["use"], "sig");
        // The exported public key decodes back to the same modulus.
        let n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();
        assert_eq!(BigUint::from_bytes_be(&n), *key.n());
        let pem = public_pem(key).unwrap();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    }

    #[test]
    fn pem_and_jwk_round_trip() {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        let key = test_key();
        let pkcs8 = private_pkcs8_pem(key).unwrap();
        let k = import_text(pkcs8.expose()).unwrap();
        assert_eq!(k.source, KeySource::ImportedPkcs8Pem);
        assert_eq!(&k.key, key);
        let pkcs1 = key.to_pkcs1_pem(LineEnding::CRLF).unwrap();
        let k = import_text(&pkcs1).unwrap();
        assert_eq!(k.source, KeySource::ImportedPkcs1Pem);
        assert_eq!(&k.key, key);
        // Truncated PEM is damaged; a public key is unsupported.
        let cut = &pkcs8.expose()[..pkcs8.expose().len() / 2];
        let cut = format!("{cut}\n-----END PRIVATE KEY-----\n");
        assert_eq!(import_text(&cut).unwrap_err().code, ErrorCode::KeyImportDamaged);
        assert_eq!(import_text(&public_pem(key).unwrap()).unwrap_err().code, ErrorCode::KeyImportUnsupported);
        assert_eq!(import_text("hello").unwrap_err().code, ErrorCode::KeyImportUnsupported);
        let public = serde_json::to_string(&public_jwk(key, "k")).unwrap();
        assert_eq!(import_text(&public).unwrap_err().code, ErrorCode::KeyImportUnsupported);
    }

    #[test]
    fn key_expiry_warns_in_the_last_month() {
        let created = 1_700_000_000;
        assert!(!key_expiry(created, created + 300 * 86_400).1);
        let (left, warn) = key_expiry(created, created + 340 * 86_400);
        assert!(warn);
        assert_eq!(left, 25 * 86_400);
    }
}
