//! Business certificates (virksomhetssertifikat) as PKCS#12 files: the RSA
//! private key plus the certificate chain for the grant's `x5c` header
//! (`docs/ALTINN.md#keys-and-certificates`).

use crate::error::{AppError, AppResult, ErrorCode};
use p12_keystore::{KeyStore, Pkcs12ImportPolicy};
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;

use super::imported_key::ImportedKey;
use super::profile::KeySource;

fn p12_error(e: p12_keystore::error::Error) -> AppError {
    use p12_keystore::error::Error as E;
    match e {
        E::MacError(_) => AppError::new(ErrorCode::KeyImportWrongPassword).with_detail("the .p12 integrity check failed: wrong password"),
        E::UnsupportedEncryptionScheme | E::UnsupportedMacAlgorithm | E::UnsupportedContentType | E::UnsupportedCertificateType => {
            AppError::new(ErrorCode::KeyImportUnsupported).with_detail(format!(
                "the .p12 file uses a method Budbringer cannot read ({e}); export it again with AES-256 (for example with openssl pkcs12 -export)"
            ))
        }
        // Decryption with the wrong password shows up as bad padding or bad data.
        E::UnpadError => AppError::new(ErrorCode::KeyImportWrongPassword).with_detail("the .p12 could not be decrypted: wrong password"),
        other => AppError::new(ErrorCode::KeyImportDamaged).with_detail(format!(".p12: {other}")),
    }
}

/// Reads a .p12/.pfx: the private key and the chain (leaf first).
pub fn import_p12(bytes: &[u8], password: &str) -> AppResult<ImportedKey> {
    let store = KeyStore::from_pkcs12(bytes, password, Pkcs12ImportPolicy::Relaxed).map_err(p12_error)?;
    let Some((_alias, chain)) = store.private_key_chain() else {
        return Err(AppError::new(ErrorCode::KeyImportUnsupported)
            .with_detail("the .p12 file holds no private key with a certificate"));
    };
    let key = RsaPrivateKey::from_pkcs8_der(chain.key().as_der()).map_err(|e| {
        AppError::new(ErrorCode::KeyImportUnsupported)
            .with_detail(format!("the certificate's key is not an RSA key ({e})"))
    })?;
    if key.n().bits() < 2048 {
        return Err(AppError::new(ErrorCode::KeyImportUnsupported)
            .with_detail("the certificate's RSA key is shorter than 2048 bits"));
    }
    let certs = chain.certs();
    if certs.is_empty() {
        return Err(AppError::new(ErrorCode::KeyImportUnsupported)
            .with_detail("the .p12 file holds no certificate for the key"));
    }
    // Order leaf first: the certificate whose public key matches the private key.
    let n = key.n().to_bytes_be();
    let mut ders: Vec<&[u8]> = certs.iter().map(|c| c.as_der()).collect();
    if let Some(i) = ders.iter().position(|d| leaf_matches(d, &n)) {
        let leaf = ders.remove(i);
        ders.insert(0, leaf);
    } else {
        return Err(AppError::new(ErrorCode::KeyImportDamaged)
            .with_detail("no certificate in the .p12 matches its private key"));
    }
    let not_after = x509_parser::parse_x509_certificate(ders[0]).ok().map(|(_, c)| c.validity().not_after.timestamp());
    Ok(ImportedKey {
        key,
        source: KeySource::Certificate,
        kid: None,
        certificate_chain: ders.iter().map(|d| b64_der(d)).collect(),
        certificate_not_after: not_after,
    })
}

/// Whether the certificate's RSA public key has modulus `n`.
fn leaf_matches(der: &[u8], n: &[u8]) -> bool {
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else { return false };
    match cert.public_key().parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => {
            let m = rsa.modulus;
            let m = m.iter().position(|b| *b != 0).map(|i| &m[i..]).unwrap_or(m);
            m == n
        }
        _ => false,
    }
}

/// The organisation number in a certificate's subject (serialNumber or organizationIdentifier).
pub fn certificate_org(der_b64: &str) -> Option<String> {
    use base64::Engine;
    let der = base64::engine::general_purpose::STANDARD.decode(der_b64).ok()?;
    let (_, cert) = x509_parser::parse_x509_certificate(&der).ok()?;
    subject_org(&cert)
}

/// The nine-digit organisation number in a parsed certificate's subject.
pub fn subject_org(cert: &x509_parser::certificate::X509Certificate<'_>) -> Option<String> {
    for attr in cert.subject().iter_attributes() {
        let oid = attr.attr_type().to_id_string();
        if oid == "2.5.4.5" || oid == "2.5.4.97" {
            if let Ok(s) = attr.as_str() {
                let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
                if digits.len() == 9 {
                    return Some(digits);
                }
            }
        }
    }
    None
}

/// base64 (standard, padded) DER, as a certificate goes into the grant's `x5c` header.
pub fn b64_der(der: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(der)
}
