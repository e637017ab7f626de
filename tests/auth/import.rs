//! Key import paths (PKCS#1 PEM, PKCS#8 PEM, private JWK, .p12 with x5c),
//! generation, and the named errors for damaged or unsupported files. Test
//! files are made with the openssl command-line tool.

use crate::common::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use budbringer_core::altinn::profile::{KeySource, ProfileStore};
use budbringer_core::altinn::setup::{self, KeyInfo};
use budbringer_core::environment::Environment;
use budbringer_core::error::ErrorCode;
use budbringer_sandbox::{ClientConfig, PRACTICE_ORG_A};
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use std::path::Path;
use std::process::Command;

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl runs");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A store holding the world's profile, without a key yet.
fn store(w: &World) -> ProfileStore {
    let s = w.profile_store();
    let mut p = w.profile();
    p.kid = None;
    p.key_source = None;
    s.save(p).unwrap();
    s
}

/// Registers the imported key's public JWK with the client, then proves it
/// works end to end with a Broker search.
async fn works_with_sandbox(w: &World, store: &ProfileStore, info: &KeyInfo) {
    let jwk = info.jwk.clone().expect("a JWK for a plain key");
    w.sandbox.admin().register_client(ClientConfig {
        client_id: w.client_id.clone(),
        org_number: PRACTICE_ORG_A.into(),
        scopes: BROKER_SCOPES.iter().map(|s| s.to_string()).collect(),
        jwks: vec![budbringer_sandbox::PublicJwk {
            kty: jwk.kty,
            n: jwk.n,
            e: jwk.e,
            kid: jwk.kid,
            alg: Some(jwk.alg),
            use_: Some(jwk.use_),
        }],
        allow_certificate: false,
    });
    let c = w.client(store.get(Environment::Sandbox));
    assert_eq!(search(&c).await.unwrap().status(), 200);
}

#[tokio::test]
async fn generated_key_exports_jwk_and_pem_and_works() {
    let w = World::start(BROKER_SCOPES).await;
    let s = store(&w);
    let info = setup::generate_key(&s, w.secrets.as_ref(), Environment::Sandbox, 2048).unwrap();
    let kid = info.kid.clone().unwrap();
    assert!(kid.starts_with(&format!("{PRACTICE_ORG_A}-sandbox-")), "{kid}");
    assert!(info.pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    assert!(!info.expiry_warning);
    let year = info.expires.unwrap() - info.created.unwrap();
    assert_eq!(year, 365 * 86_400);
    let json: serde_json::Value = serde_json::from_str(info.jwk_json.as_deref().unwrap()).unwrap();
    assert_eq!(json.as_object().unwrap().len(), 6);
    assert!(json.get("d").is_none());
    // Nothing private in what the UI gets.
    let shown = serde_json::to_string(&info).unwrap();
    assert!(!shown.contains("PRIVATE"));
    assert_eq!(s.get(Environment::Sandbox).key_source, Some(KeySource::Generated));
    works_with_sandbox(&w, &s, &info).await;
    assert_eq!(
        setup::generate_key(&s, w.secrets.as_ref(), Environment::Sandbox, 1024).unwrap_err().code,
        ErrorCode::InvalidInput
    );
}

#[tokio::test]
async fn pkcs8_and_pkcs1_pem_import() {
    let w = World::start(BROKER_SCOPES).await;
    let dir = tempfile::tempdir().unwrap();
    openssl(dir.path(), &["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "k8.pem"]);
    openssl(dir.path(), &["rsa", "-in", "k8.pem", "-traditional", "-out", "k1.pem"]);
    let k8 = std::fs::read(dir.path().join("k8.pem")).unwrap();
    let k1 = std::fs::read(dir.path().join("k1.pem")).unwrap();
    assert!(String::from_utf8_lossy(&k1).contains("BEGIN RSA PRIVATE KEY"));

    let s = store(&w);
    let info =
        setup::import_key(&s, w.secrets.as_ref(), Environment::Sandbox, &k8, Some("k8.pem"), None, None).unwrap();
    assert_eq!(info.source, Some(KeySource::ImportedPkcs8Pem));
    works_with_sandbox(&w, &s, &info).await;

    let info1 = setup::import_key(
        &s,
        w.secrets.as_ref(),
        Environment::Sandbox,
        &k1,
        Some("k1.pem"),
        None,
        Some("my-own-kid".into()),
    )
    .unwrap();
    assert_eq!(info1.source, Some(KeySource::ImportedPkcs1Pem));
    assert_eq!(info1.kid.as_deref(), Some("my-own-kid"));
    // Same key material, so the same public key.
    assert_eq!(info1.jwk.as_ref().unwrap().n, info.jwk.as_ref().unwrap().n);
    works_with_sandbox(&w, &s, &info1).await;
}

#[tokio::test]
async fn private_jwk_import_keeps_its_kid() {
    let w = World::start(BROKER_SCOPES).await;
    let k = key();
    let b = |x: &rsa::BigUint| URL_SAFE_NO_PAD.encode(x.to_bytes_be());
    let jwk = serde_json::json!({
        "kty": "RSA", "kid": "jwk-kid-1", "use": "sig", "alg": "RS256",
        "n": b(k.n()), "e": b(k.e()), "d": b(k.d()),
        "p": b(&k.primes()[0]), "q": b(&k.primes()[1]),
    });
    let s = store(&w);
    // As a JWK set, the way altinn-jwks exports private keys.
    let text = serde_json::json!({"keys": [jwk]}).to_string();
    let info =
        setup::import_key(&s, w.secrets.as_ref(), Environment::Sandbox, text.as_bytes(), Some("key.json"), None, None)
            .unwrap();
    assert_eq!(info.source, Some(KeySource::ImportedJwk));
    assert_eq!(info.kid.as_deref(), Some("jwk-kid-1"));
    works_with_sandbox(&w, &s, &info).await;
}

#[tokio::test]
async fn p12_business_certificate_signs_with_x5c() {
    let w = World::start(BROKER_SCOPES).await;
    let dir = tempfile::tempdir().unwrap();
    openssl(dir.path(), &["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "k.pem"]);
    openssl(
        dir.path(),
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            "k.pem",
            "-subj",
            &format!("/CN=Budbringer test/O=Ovingsetaten/serialNumber={PRACTICE_ORG_A}"),
            "-days",
            "30",
            "-out",
            "cert.pem",
        ],
    );
    openssl(
        dir.path(),
        &["pkcs12", "-export", "-inkey", "k.pem", "-in", "cert.pem", "-out", "c.p12", "-passout", "pass:hemmelig"],
    );
    let p12 = std::fs::read(dir.path().join("c.p12")).unwrap();
    // Older exports (3DES / RC2-40, SHA-1 MAC), as some certificate issuers still ship.
    openssl(
        dir.path(),
        &[
            "pkcs12",
            "-export",
            "-legacy",
            "-inkey",
            "k.pem",
            "-in",
            "cert.pem",
            "-out",
            "legacy.p12",
            "-passout",
            "pass:hemmelig",
        ],
    );
    let legacy = std::fs::read(dir.path().join("legacy.p12")).unwrap();

    let s = store(&w);
    // Wrong password, damaged file.
    let e = setup::import_key(&s, w.secrets.as_ref(), Environment::Sandbox, &p12, Some("c.p12"), Some("feil"), None)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::KeyImportWrongPassword, "{e:?}");
    let e = setup::import_key(
        &s,
        w.secrets.as_ref(),
        Environment::Sandbox,
        &p12[..p12.len() / 2],
        Some("c.p12"),
        Some("hemmelig"),
        None,
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::KeyImportDamaged, "{e:?}");

    let old = setup::import_key(
        &s,
        w.secrets.as_ref(),
        Environment::Sandbox,
        &legacy,
        Some("legacy.pfx"),
        Some("hemmelig"),
        None,
    )
    .unwrap();
    assert_eq!(old.source, Some(KeySource::Certificate));
    let info =
        setup::import_key(&s, w.secrets.as_ref(), Environment::Sandbox, &p12, Some("c.p12"), Some("hemmelig"), None)
            .unwrap();
    assert_eq!(info.pem, old.pem);
    assert_eq!(info.source, Some(KeySource::Certificate));
    assert!(info.jwk.is_none() && info.kid.is_none());
    assert_eq!(info.certificate_org.as_deref(), Some(PRACTICE_ORG_A));
    assert!(info.expiry_warning, "a certificate valid for 30 days warns");
    let p = s.get(Environment::Sandbox);
    assert_eq!(p.certificate_chain.len(), 1);

    // The client accepts business certificates of its own organisation.
    w.sandbox.admin().register_client(ClientConfig {
        client_id: w.client_id.clone(),
        org_number: PRACTICE_ORG_A.into(),
        scopes: BROKER_SCOPES.iter().map(|s| s.to_string()).collect(),
        jwks: vec![],
        allow_certificate: true,
    });
    let c = w.client(p.clone());
    // The grant header carries x5c as an array and no kid.
    let grant = c.sign_grant("altinn:broker.read", false).unwrap();
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(grant.split('.').next().unwrap()).unwrap()).unwrap();
    assert_eq!(header["x5c"].as_array().unwrap().len(), 1);
    assert!(header.get("kid").is_none());
    assert_eq!(search(&c).await.unwrap().status(), 200);
    let token = c.broker_token().await.unwrap();
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.expose().split('.').nth(1).unwrap()).unwrap()).unwrap();
    assert_eq!(claims["client_amr"], "virksomhetssertifikat");
}

#[tokio::test]
async fn damaged_and_unsupported_files_are_named() {
    let w = World::start(BROKER_SCOPES).await;
    let dir = tempfile::tempdir().unwrap();
    openssl(dir.path(), &["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "k.pem"]);
    openssl(dir.path(), &["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec.pem"]);
    openssl(dir.path(), &["pkcs8", "-topk8", "-in", "k.pem", "-out", "enc.pem", "-passout", "pass:x"]);
    openssl(dir.path(), &["pkey", "-in", "k.pem", "-pubout", "-out", "pub.pem"]);
    openssl(dir.path(), &["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "small.pem"]);
    let read = |n: &str| std::fs::read(dir.path().join(n)).unwrap();
    let s = store(&w);
    let import = |bytes: &[u8], name: &str| {
        setup::import_key(&s, w.secrets.as_ref(), Environment::Sandbox, bytes, Some(name), None, None).unwrap_err()
    };

    let k = read("k.pem");
    let text = String::from_utf8(k).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.remove(5);
    assert_eq!(import(lines.join("\n").as_bytes(), "cut.pem").code, ErrorCode::KeyImportDamaged);
    let garbled = text.replacen("MII", "MIX", 1);
    assert_eq!(import(garbled.as_bytes(), "bad.pem").code, ErrorCode::KeyImportDamaged);
    assert_eq!(import(b"{\"kty\":\"RSA\",\"n\":", "broken.json").code, ErrorCode::KeyImportDamaged);

    for (name, why) in [("ec.pem", "not an RSA"), ("enc.pem", "password"), ("pub.pem", "public"), ("small.pem", "2048")]
    {
        let e = import(&read(name), name);
        assert_eq!(e.code, ErrorCode::KeyImportUnsupported, "{name}: {e:?}");
        assert!(e.detail.clone().unwrap().contains(why), "{name}: {e:?}");
    }
    assert_eq!(import(b"just some text", "notes.txt").code, ErrorCode::KeyImportUnsupported);
    // With its password, OpenSSL's encrypted PKCS#8 (PBES2) imports, as a Budbringer key backup does.
    let with = |pass: &str| {
        setup::import_key(
            &s,
            w.secrets.as_ref(),
            Environment::Sandbox,
            &read("enc.pem"),
            Some("enc.pem"),
            Some(pass),
            None,
        )
    };
    assert_eq!(with("wrong").unwrap_err().code, ErrorCode::KeyImportWrongPassword);
    assert!(s.get(Environment::Sandbox).key_source.is_none());
    with("x").unwrap();
    s.update(Environment::Sandbox, |p| {
        p.key_source = None;
        Ok(())
    })
    .unwrap();
    let public_jwk = serde_json::to_string(&budbringer_core::altinn::keys::public_jwk(key(), "k")).unwrap();
    assert_eq!(import(public_jwk.as_bytes(), "pub.json").code, ErrorCode::KeyImportUnsupported);
    // Nothing was stored by the failed imports.
    assert!(s.get(Environment::Sandbox).key_source.is_none());
}
