//! Key backups: the private key as an encrypted PKCS#8 PEM
//! (`-----BEGIN ENCRYPTED PRIVATE KEY-----`, RFC 5958), protected by a
//! passphrase with PBES2: PBKDF2-HMAC-SHA256 (600,000 rounds) and AES-256-CBC
//! (RFC 8018). OpenSSL and most key tools read it (`openssl pkey -in …`), and
//! Budbringer imports it again with the passphrase.
//!
//! The key never leaves the computer unencrypted: the backup is made and
//! read here, and only the file reaches the disk.

use crate::error::{AppError, AppResult, ErrorCode};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use pkcs5::der::{Decode, Encode};
use pkcs5::pbes2;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::RsaPrivateKey;
use zeroize::Zeroizing;

/// The shortest passphrase accepted for a backup.
pub const MIN_PASSPHRASE_CHARS: usize = 10;
const ROUNDS: u32 = 600_000;
const LABEL: &str = "ENCRYPTED PRIVATE KEY";

fn failed(detail: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::KeyBackupFailed).with_detail(detail)
}

/// DER length octets.
fn der_len(n: usize) -> Vec<u8> {
    if n < 0x80 {
        return vec![n as u8];
    }
    let bytes: Vec<u8> = n.to_be_bytes().iter().copied().skip_while(|b| *b == 0).collect();
    let mut out = vec![0x80 | bytes.len() as u8];
    out.extend(bytes);
    out
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend(der_len(content.len()));
    out.extend_from_slice(content);
    out
}

/// One DER TLV: (tag, content, the whole TLV, the rest after it).
type Tlv<'a> = (u8, &'a [u8], &'a [u8], &'a [u8]);

/// Reads one DER TLV at the start of `b`.
fn read_tlv(b: &[u8]) -> Option<Tlv<'_>> {
    let tag = *b.first()?;
    let first = *b.get(1)? as usize;
    let (len, head) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *b.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let end = head.checked_add(len)?;
    let content = b.get(head..end)?;
    Some((tag, content, &b[..end], &b[end..]))
}

/// The key as an encrypted PKCS#8 PEM, under `passphrase`.
pub fn encrypt_pem(key: &RsaPrivateKey, passphrase: &str) -> AppResult<String> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(AppError::invalid_input(format!(
            "the passphrase must have at least {MIN_PASSPHRASE_CHARS} characters"
        )));
    }
    let plain = key.to_pkcs8_der().map_err(|e| failed(format!("PKCS#8: {e}")))?;
    let salt: [u8; 16] = rand::random();
    let iv: [u8; 16] = rand::random();
    let params = pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(ROUNDS, &salt, iv)
        .map_err(|e| failed(format!("PBES2: {e}")))?;
    let scheme = pkcs5::EncryptionScheme::from(params);
    let encrypted = scheme.encrypt(passphrase, plain.as_bytes()).map_err(|e| failed(format!("encrypt: {e}")))?;
    let alg = scheme.to_der().map_err(|e| failed(format!("DER: {e}")))?;
    let mut inner = alg;
    inner.extend(tlv(0x04, &encrypted));
    let der = tlv(0x30, &inner);
    let b64 = STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {LABEL}-----\n");
    for line in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {LABEL}-----\n"));
    Ok(pem)
}

/// Whether `text` is an encrypted PKCS#8 PEM.
pub fn is_encrypted_pem(text: &str) -> bool {
    text.contains(&format!("-----BEGIN {LABEL}-----"))
}

/// Reads an encrypted PKCS#8 PEM with its passphrase. A wrong passphrase is
/// KEY_IMPORT_WRONG_PASSWORD; a damaged file KEY_IMPORT_DAMAGED.
pub fn decrypt_pem(text: &str, passphrase: &str) -> AppResult<RsaPrivateKey> {
    let damaged = |d: &str| AppError::new(ErrorCode::KeyImportDamaged).with_detail(format!("encrypted PKCS#8: {d}"));
    let begin = format!("-----BEGIN {LABEL}-----");
    let end = format!("-----END {LABEL}-----");
    let start = text.find(&begin).ok_or_else(|| damaged("no BEGIN line"))? + begin.len();
    let stop = text[start..].find(&end).ok_or_else(|| damaged("no END line"))? + start;
    let b64: String = text[start..stop].chars().filter(|c| !c.is_whitespace()).collect();
    let der = STANDARD.decode(b64).map_err(|_| damaged("not base64"))?;
    let (tag, inner, _, _) = read_tlv(&der).ok_or_else(|| damaged("not DER"))?;
    if tag != 0x30 {
        return Err(damaged("not a sequence"));
    }
    let (_, _, alg, rest) = read_tlv(inner).ok_or_else(|| damaged("no algorithm"))?;
    let (tag, data, _, _) = read_tlv(rest).ok_or_else(|| damaged("no data"))?;
    if tag != 0x04 {
        return Err(damaged("the data is not an octet string"));
    }
    let scheme = pkcs5::EncryptionScheme::from_der(alg).map_err(|e| damaged(&format!("algorithm: {e}")))?;
    // A wrong passphrase shows as bad padding, or as plaintext that is not a key.
    let wrong = || AppError::new(ErrorCode::KeyImportWrongPassword).with_detail("the passphrase does not open the key");
    let plain = Zeroizing::new(scheme.decrypt(passphrase, data).map_err(|_| wrong())?);
    RsaPrivateKey::from_pkcs8_der(&plain).map_err(|_| wrong())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_round_trips_and_needs_the_passphrase() {
        let key = &RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
        let pem = encrypt_pem(key, "korrekt hest batteri").unwrap();
        assert!(is_encrypted_pem(&pem));
        assert!(!pem.contains("BEGIN PRIVATE KEY"));
        assert_eq!(&decrypt_pem(&pem, "korrekt hest batteri").unwrap(), key);
        assert_eq!(decrypt_pem(&pem, "feil passord!!").unwrap_err().code, ErrorCode::KeyImportWrongPassword);
        assert_eq!(encrypt_pem(key, "kort").unwrap_err().code, ErrorCode::InvalidInput);
        let cut = &pem[..pem.len() / 2];
        assert_eq!(
            decrypt_pem(&format!("{cut}\n-----END {LABEL}-----\n"), "korrekt hest batteri").unwrap_err().code,
            ErrorCode::KeyImportDamaged
        );
    }
}
