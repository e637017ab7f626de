//! The bad-input catalogue (issue 7): every case gets its named error code,
//! and nothing panics. Local inputs run through the public checks
//! (`SendJob::new`, `validate::*`, `altinn::keys::import_*`); server-sent
//! hostile input comes from a small fake Broker (oversized JSON, endless
//! error bodies, hostile file names) and from the sandbox (a wrong kid).

#![allow(clippy::unwrap_used)] // a test (or the benchmark) that cannot go on fails at once

mod server;

use budbringer_core::altinn::keys;
use budbringer_core::environment::Environment;
use budbringer_core::error::{AppResult, ErrorCode};
use budbringer_core::transfers::send::{SendJob, SendRequest, UploadSettings};
use budbringer_core::transfers::validate::{self, OrgNumber};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// One catalogue entry: what it is, the code it must give, and how to provoke it.
pub struct Case {
    pub name: String,
    pub expect: ErrorCode,
    pub run: Box<dyn Fn() -> AppResult<()>>,
}

fn case(name: &str, expect: ErrorCode, run: impl Fn() -> AppResult<()> + 'static) -> Case {
    Case { name: name.to_owned(), expect, run: Box::new(run) }
}

/// Runs every case; returns the failures (wrong code, success, or a panic).
pub fn check(cases: &[Case]) -> Vec<String> {
    let mut failures = Vec::new();
    for c in cases {
        match catch_unwind(AssertUnwindSafe(|| (c.run)())) {
            Err(_) => failures.push(format!("{}: PANICKED", c.name)),
            Ok(Ok(())) => failures.push(format!("{}: accepted, expected {}", c.name, c.expect.as_str())),
            Ok(Err(e)) if e.code != c.expect => failures.push(format!(
                "{}: {} ({:?}), expected {}",
                c.name,
                e.code.as_str(),
                e.detail,
                c.expect.as_str()
            )),
            Ok(Err(e)) => {
                // A named error carries its stable code and a message, never an internal one.
                assert!(!e.message.is_empty(), "{}: empty message", c.name);
            }
        }
    }
    failures
}

fn settings() -> UploadSettings {
    UploadSettings::default()
}

fn send_req(path: &Path) -> SendRequest {
    SendRequest {
        path: path.to_owned(),
        resource_id: "budbringer-ovelse".into(),
        recipients: vec!["310000027".into()],
        properties: BTreeMap::new(),
        reference: None,
    }
}

fn job(req: SendRequest, max: Option<u64>) -> AppResult<()> {
    SendJob::new(&req, Environment::Sandbox, &OrgNumber::parse("310000019").unwrap(), max, &settings()).map(|_| ())
}

fn props(n: usize, key: impl Fn(usize) -> String, value: &str) -> BTreeMap<String, String> {
    (0..n).map(|i| (key(i), value.to_owned())).collect()
}

fn local_cases(dir: &Path) -> Vec<Case> {
    let ok_file = dir.join("ok.txt");
    std::fs::write(&ok_file, b"hello").unwrap();
    let empty = dir.join("tom.txt");
    std::fs::write(&empty, b"").unwrap();
    let broken_link = dir.join("lenke.txt");
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.join("finnes-ikke"), &broken_link).unwrap();
    let with = |f: &PathBuf, edit: fn(&mut SendRequest)| {
        let mut r = send_req(f);
        edit(&mut r);
        r
    };
    let org = |s: &'static str| move || OrgNumber::parse(s).map(|_| ());
    // Only the Unix-only case below adds to it (found by the Windows clippy in scripts/test.sh).
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut v = vec![
        // Organisation numbers.
        case("org: eight digits", ErrorCode::OrgNumberFormat, org("12345678")),
        case("org: ten digits", ErrorCode::OrgNumberFormat, org("1234567890")),
        case("org: a letter", ErrorCode::OrgNumberFormat, org("99182582a")),
        case("org: empty", ErrorCode::OrgNumberFormat, org("")),
        case("org: 0192 prefix, eight digits", ErrorCode::OrgNumberFormat, org("0192:99182582")),
        case("org: full-width digits", ErrorCode::OrgNumberFormat, org("９９１８２５８２７")),
        case("org: bad check digit", ErrorCode::OrgNumberCheckDigit, org("991825828")),
        case(
            "org: bad check digit (urn form)",
            ErrorCode::OrgNumberCheckDigit,
            org("urn:altinn:organization:identifier-no:986252933"),
        ),
        case("org: no check digit can exist", ErrorCode::OrgNumberCheckDigit, org("400000000")),
        case("recipients: none", ErrorCode::NoRecipients, || {
            validate::recipients(&[" ".into(), "".into()]).map(|_| ())
        }),
        case("recipients: one bad among good", ErrorCode::OrgNumberCheckDigit, || {
            validate::recipients(&["310000027".into(), "310000028".into()]).map(|_| ())
        }),
        // File names.
        case("file name: empty", ErrorCode::FileNameEmpty, || validate::file_name("")),
        case("file name: only spaces", ErrorCode::FileNameEmpty, || validate::file_name("   ")),
        case("file name: 256 characters", ErrorCode::FileNameTooLong, || validate::file_name(&"a".repeat(256))),
        case("file name: 128 emoji (256 UTF-16 units)", ErrorCode::FileNameTooLong, || {
            validate::file_name(&"😀".repeat(128))
        }),
        {
            let d = dir.to_owned();
            case("send: a path over 255 characters long in its last part", ErrorCode::FileNameTooLong, move || {
                job(send_req(&d.join("x".repeat(300))), None)
            })
        },
        case("send: a path with no file name (root)", ErrorCode::FileNameEmpty, || job(send_req(Path::new("/")), None)),
        {
            let d = dir.to_owned();
            case("send: a path ending in '..' (traversal)", ErrorCode::FileNameEmpty, move || {
                job(send_req(&d.join("a/../..")), None)
            })
        },
        // Property lists.
        case("properties: 11", ErrorCode::PropertyListTooLong, || {
            validate::property_list(&props(11, |i| format!("k{i}"), "v"))
        }),
        case("properties: empty key", ErrorCode::PropertyKeyInvalid, || {
            validate::property_list(&props(1, |_| String::new(), "v"))
        }),
        case("properties: 51-character key", ErrorCode::PropertyKeyInvalid, || {
            validate::property_list(&props(1, |_| "k".repeat(51), "v"))
        }),
        case("properties: 3001-character value", ErrorCode::PropertyValueTooLong, || {
            validate::property_list(&props(1, |_| "k".into(), &"v".repeat(3001)))
        }),
        {
            let f = ok_file.clone();
            case("send: property list over the limit", ErrorCode::PropertyListTooLong, move || {
                job(with(&f, |r| r.properties = props(12, |i| format!("p{i}"), "v")), None)
            })
        },
        {
            let f = ok_file.clone();
            case("send: reference over 4096 characters", ErrorCode::InvalidInput, move || {
                job(with(&f, |r| r.reference = Some("r".repeat(4097))), None)
            })
        },
        {
            let f = ok_file.clone();
            case("send: no resource", ErrorCode::InvalidInput, move || {
                job(with(&f, |r| r.resource_id = " ".into()), None)
            })
        },
        {
            let f = ok_file.clone();
            case("send: no recipients", ErrorCode::NoRecipients, move || job(with(&f, |r| r.recipients.clear()), None))
        },
        // Files.
        case("send: empty file", ErrorCode::FileEmpty, move || job(send_req(&empty), None)),
        {
            let d = dir.to_owned();
            case("send: missing file", ErrorCode::FileUnreadable, move || job(send_req(&d.join("borte.txt")), None))
        },
        {
            let d = dir.to_owned();
            case("send: a folder, not a file", ErrorCode::FileUnreadable, move || job(send_req(&d), None))
        },
        case("send: a dangling symlink", ErrorCode::FileUnreadable, move || job(send_req(&broken_link), None)),
        {
            let f = ok_file.clone();
            case("send: larger than the resource allows", ErrorCode::FileTooLarge, move || job(send_req(&f), Some(4)))
        },
        case("size: over Broker's 50 GB scan limit", ErrorCode::FileTooLarge, || {
            validate::file_size(validate::MAX_SCANNED_FILE_SIZE + 1, None, true)
        }),
    ];
    #[cfg(unix)]
    {
        // A file we may not read. Root reads anything, so only where that stops us.
        use std::os::unix::fs::PermissionsExt;
        let locked = dir.join("laast.txt");
        std::fs::write(&locked, b"secret").unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        if std::fs::File::open(&locked).is_err() {
            v.push(case("send: a file without read permission", ErrorCode::FileUnreadable, move || {
                job(send_req(&locked), None)
            }));
        }
    }
    v
}

fn text_key(name: &str, expect: ErrorCode, text: impl Into<String>) -> Case {
    let t = text.into();
    case(name, expect, move || keys::import_text(&t).map(|_| ()))
}

fn jwk(members: serde_json::Value) -> String {
    members.to_string()
}

fn key_cases(dir: &Path) -> Vec<Case> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
    use rsa::traits::{PrivateKeyParts, PublicKeyParts};
    let small = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 1024).unwrap();
    let small_pem = small.to_pkcs8_pem(rsa::pkcs8::LineEnding::LF).unwrap().to_string();
    let public_pem = small.to_public_key().to_public_key_pem(rsa::pkcs8::LineEnding::LF).unwrap();
    let pkcs1 = small.to_pkcs1_pem(rsa::pkcs8::LineEnding::LF).unwrap().to_string();
    let b = |x: &rsa::BigUint| URL_SAFE_NO_PAD.encode(x.to_bytes_be());
    let (n, e, d) = (b(small.n()), b(small.e()), b(small.d()));
    // Cut a valid PEM body in half: damaged, not unsupported.
    let body: Vec<&str> = pkcs1.lines().filter(|l| !l.starts_with("-----")).collect();
    let half_pkcs1 = format!(
        "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n",
        body[..body.len() / 2].join("\n")
    );
    let mut v = vec![
        text_key("key: empty text", ErrorCode::KeyImportUnsupported, ""),
        text_key("key: plain words", ErrorCode::KeyImportUnsupported, "this is not a key"),
        text_key("key: PKCS#8 PEM with a garbage body", ErrorCode::KeyImportDamaged, "-----BEGIN PRIVATE KEY-----\nAAAA!!!!\n-----END PRIVATE KEY-----"),
        text_key("key: PKCS#1 PEM cut in half", ErrorCode::KeyImportDamaged, half_pkcs1),
        text_key("key: PEM without an end line", ErrorCode::KeyImportDamaged, "-----BEGIN RSA PRIVATE KEY-----\nMIIB"),
        text_key(
            "key: password-protected PKCS#1",
            ErrorCode::KeyImportUnsupported,
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----",
        ),
        text_key("key: encrypted PKCS#8", ErrorCode::KeyImportUnsupported, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----"),
        text_key("key: EC private key", ErrorCode::KeyImportUnsupported, "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----"),
        text_key("key: a public key only", ErrorCode::KeyImportUnsupported, public_pem),
        text_key("key: a certificate only", ErrorCode::KeyImportUnsupported, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"),
        text_key("key: an unknown PEM type", ErrorCode::KeyImportUnsupported, "-----BEGIN SOMETHING-----\nAAAA\n-----END SOMETHING-----"),
        text_key("key: RSA 1024 bits (too short)", ErrorCode::KeyImportUnsupported, small_pem),
        text_key("jwk: not JSON", ErrorCode::KeyImportDamaged, "{\"kty\": \"RSA\","),
        text_key("jwk: kty EC", ErrorCode::KeyImportUnsupported, jwk(serde_json::json!({"kty": "EC", "crv": "P-256", "d": "AA"}))),
        text_key("jwk: no kty", ErrorCode::KeyImportUnsupported, jwk(serde_json::json!({"n": n, "e": e}))),
        text_key("jwk: public only", ErrorCode::KeyImportUnsupported, jwk(serde_json::json!({"kty": "RSA", "n": n, "e": e}))),
        text_key("jwk: d is not base64url", ErrorCode::KeyImportDamaged, jwk(serde_json::json!({"kty": "RSA", "n": n, "e": e, "d": "***"}))),
        text_key("jwk: missing n", ErrorCode::KeyImportDamaged, jwk(serde_json::json!({"kty": "RSA", "e": e, "d": d}))),
        text_key("jwk: inconsistent members on a 1024-bit modulus", ErrorCode::KeyImportUnsupported, jwk(serde_json::json!({"kty": "RSA", "n": n, "e": e, "d": "AQAB", "p": "Aw", "q": "Bw"}))),
        text_key("jwk: empty key set", ErrorCode::KeyImportDamaged, "{\"keys\": []}"),
        // Found by the key_import fuzz target: this made the bignum library panic.
        text_key("jwk: tiny n, empty d (fuzz crash)", ErrorCode::KeyImportUnsupported, r#"{"kty":"RSA","n":"AQAB","e":"AWAB","d":"","n~":"AQABAQCzzzzzzzzzzzzzzzzzrzzzzz]zzzzzzzz@"}"#),
        text_key("jwk: a JSON string", ErrorCode::KeyImportUnsupported, "[\"not a key\"]"),
        case("key file: binary that is neither text nor .p12", ErrorCode::KeyImportUnsupported, || {
            keys::import_bytes(&[0xff, 0xfe, 0x00, 0x81], Some("key.bin"), None).map(|_| ())
        }),
        case("p12: garbage bytes", ErrorCode::KeyImportDamaged, || keys::import_bytes(b"not a p12 at all", Some("virksomhet.p12"), Some("x")).map(|_| ())),
        case("p12: empty file", ErrorCode::KeyImportDamaged, || keys::import_bytes(b"", Some("virksomhet.pfx"), Some("x")).map(|_| ())),
    ];
    // A real .p12 made by openssl, for the password and truncation cases.
    let openssl = |args: &[&str]| {
        std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let made = openssl(&["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "k.pem"])
        && openssl(&[
            "req",
            "-x509",
            "-new",
            "-key",
            "k.pem",
            "-subj",
            "/CN=Budbringer test/serialNumber=310000019",
            "-days",
            "30",
            "-out",
            "cert.pem",
        ])
        && openssl(&[
            "pkcs12",
            "-export",
            "-inkey",
            "k.pem",
            "-in",
            "cert.pem",
            "-out",
            "c.p12",
            "-passout",
            "pass:hemmelig",
        ]);
    assert!(made, "openssl is needed for the .p12 cases");
    let p12 = std::fs::read(dir.join("c.p12")).unwrap();
    let half = p12[..p12.len() / 2].to_vec();
    let p = p12.clone();
    v.push(case("p12: wrong password", ErrorCode::KeyImportWrongPassword, move || {
        keys::import_bytes(&p, Some("c.p12"), Some("feil")).map(|_| ())
    }));
    v.push(case("p12: cut in half", ErrorCode::KeyImportDamaged, move || {
        keys::import_bytes(&half, Some("c.p12"), Some("hemmelig")).map(|_| ())
    }));
    // And the good one imports, so the cases above fail for the reason they name.
    keys::import_bytes(&p12, Some("c.p12"), Some("hemmelig")).unwrap();
    let _ = small.primes();
    v
}

/// The local half of the catalogue. The server-sent half is in `server.rs`;
/// `CATALOGUE_MIN` counts both.
#[test]
fn local_bad_inputs_get_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases = local_cases(dir.path());
    cases.extend(key_cases(dir.path()));
    let failures = check(&cases);
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    assert!(
        cases.len() + server::SERVER_CASES >= 30,
        "the catalogue has at least 30 cases ({})",
        cases.len() + server::SERVER_CASES
    );
    eprintln!("bad-input catalogue: {} local cases passed", cases.len());
}
