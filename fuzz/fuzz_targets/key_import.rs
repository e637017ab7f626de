//! Key import: PEM (PKCS#1, PKCS#8), JWK and JWK sets as text, and files
//! (.p12/.pfx, DER) as bytes. Any input must give a key or a named error.
#![no_main]
use budbringer_core::altinn::keys;
use budbringer_core::error::ErrorCode;
use libfuzzer_sys::fuzz_target;

fn named(r: Result<keys::ImportedKey, budbringer_core::error::AppError>) {
    if let Err(e) = r {
        assert_ne!(e.code, ErrorCode::Internal, "{e:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        named(keys::import_text(text));
    }
    let (name, password) = match data.first().copied().unwrap_or(0) % 4 {
        0 => (Some("key.p12"), Some("hemmelig")),
        1 => (Some("key.pfx"), None),
        2 => (Some("key.pem"), None),
        _ => (None, None),
    };
    named(keys::import_bytes(data, name, password));
});
