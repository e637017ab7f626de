//! One test per Maskinporten grant rule, plus metadata, JWKS and exchange.

use budbringer_sandbox::SystemUserConfig;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};

use crate::common::*;

fn mp_code(v: &Value) -> String {
    v["error_description"].as_str().unwrap_or("").to_string()
}

async fn env_with_client() -> Env {
    let env = start().await;
    env.register("client-a", A, RW);
    env
}

#[tokio::test]
async fn valid_grant_gives_token_with_documented_claims() {
    let env = env_with_client().await;
    let g = sign(&env.claims("client-a", "altinn:broker.write"), Algorithm::RS256, Some("test-kid"), key());
    let (s, v) = env.post_grant(&g).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["scope"], "altinn:broker.write");
    assert!(v["expires_in"].as_i64().unwrap() > 0);
    // Verify the access token against the published JWKS.
    let meta: Value =
        env.http.get(env.url("/.well-known/oauth-authorization-server")).send().await.unwrap().json().await.unwrap();
    assert_eq!(meta["issuer"], env.sb.issuer());
    assert_eq!(meta["issuer"].as_str().unwrap(), format!("{}/", env.base));
    let jwks: Value = env.http.get(meta["jwks_uri"].as_str().unwrap()).send().await.unwrap().json().await.unwrap();
    let k = &jwks["keys"][0];
    let dk = DecodingKey::from_rsa_components(k["n"].as_str().unwrap(), k["e"].as_str().unwrap()).unwrap();
    let mut val = Validation::new(Algorithm::RS256);
    val.validate_aud = false;
    let c = jsonwebtoken::decode::<Value>(v["access_token"].as_str().unwrap(), &dk, &val).unwrap().claims;
    assert_eq!(c["consumer"]["ID"], format!("0192:{A}"));
    assert_eq!(c["client_id"], "client-a");
    assert_eq!(c["scope"], "altinn:broker.write");
    assert_eq!(c["iss"], env.sb.issuer());
    assert_eq!(env.sb.admin().tokens_issued("client-a"), 1);
}

#[tokio::test]
async fn rs384_and_rs512_are_accepted_but_hs256_is_not() {
    let env = env_with_client().await;
    for alg in [Algorithm::RS384, Algorithm::RS512] {
        let g = sign(&env.claims("client-a", "altinn:broker.read"), alg, Some("test-kid"), key());
        assert_eq!(env.post_grant(&g).await.0, 200);
    }
    let hs = jsonwebtoken::encode(
        &jsonwebtoken::Header { kid: Some("test-kid".into()), ..jsonwebtoken::Header::new(Algorithm::HS256) },
        &env.claims("client-a", "altinn:broker.read"),
        &jsonwebtoken::EncodingKey::from_secret(b"secret"),
    )
    .unwrap();
    let (s, v) = env.post_grant(&hs).await;
    assert_eq!(s, 400);
    assert_eq!(v["error"], "invalid_grant");
}

#[tokio::test]
async fn unknown_kid_is_rejected() {
    let env = env_with_client().await;
    let g = sign(&env.claims("client-a", "altinn:broker.read"), Algorithm::RS256, Some("other-kid"), key());
    let (s, v) = env.post_grant(&g).await;
    assert_eq!((s, v["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn signature_by_another_key_is_rejected() {
    let env = env_with_client().await;
    let g = sign(&env.claims("client-a", "altinn:broker.read"), Algorithm::RS256, Some("test-kid"), other_key());
    let (s, v) = env.post_grant(&g).await;
    assert_eq!((s, v["error"].as_str()), (400, Some("invalid_grant")), "{v}");
}

#[tokio::test]
async fn unknown_client_is_rejected() {
    let env = env_with_client().await;
    let g = sign(&env.claims("nobody", "altinn:broker.read"), Algorithm::RS256, Some("test-kid"), key());
    let (s, v) = env.post_grant(&g).await;
    assert_eq!(s, 400);
    assert_eq!(v["error"], "invalid_client");
    assert!(mp_code(&v).contains("MP-100"));
}

#[tokio::test]
async fn x5c_must_be_an_array() {
    let env = env_with_client().await;
    let claims = env.claims("client-a", "altinn:broker.read");
    let mut h = jsonwebtoken::Header::new(Algorithm::RS256);
    h.x5c = Some(vec!["bm90LWEtY2VydA".into()]);
    // Re-encode the header with x5c as a plain string.
    let tok =
        jsonwebtoken::encode(&h, &claims, &jsonwebtoken::EncodingKey::from_rsa_pem(key().pem.as_bytes()).unwrap())
            .unwrap();
    let parts: Vec<&str> = tok.split('.').collect();
    use base64::Engine;
    let hdr =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json!({"alg": "RS256", "x5c": "MIIB"}).to_string());
    let bad = format!("{hdr}.{}.{}", parts[1], parts[2]);
    let (s, v) = env.post_grant(&bad).await;
    assert_eq!(s, 400);
    assert!(mp_code(&v).contains("MP-123"), "{v}");
    // An array holding something that is not a certificate is refused too.
    let (s, _) = env.post_grant(&tok).await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn wrong_audience_is_rejected() {
    let env = env_with_client().await;
    for aud in [format!("{}/token", env.base), "https://test.maskinporten.no/".to_string(), env.base.clone()] {
        let mut c = env.claims("client-a", "altinn:broker.read");
        c["aud"] = json!(aud);
        let (s, v) = env.post_grant(&sign(&c, Algorithm::RS256, Some("test-kid"), key())).await;
        assert_eq!(s, 400);
        assert!(mp_code(&v).contains("MP-110"), "{v}");
    }
}

#[tokio::test]
async fn unregistered_scope_is_rejected() {
    let env = start().await;
    env.register("client-w", A, "altinn:broker.write");
    let g = sign(
        &env.claims("client-w", "altinn:broker.write altinn:broker.read"),
        Algorithm::RS256,
        Some("test-kid"),
        key(),
    );
    let (s, v) = env.post_grant(&g).await;
    assert_eq!(s, 400);
    assert_eq!(v["error"], "invalid_scope");
    assert!(mp_code(&v).contains("MP-200"));
}

#[tokio::test]
async fn iat_must_be_within_10_seconds_of_the_sandbox_clock() {
    let env = env_with_client().await;
    let mut c = env.claims("client-a", "altinn:broker.read");
    let now = c["iat"].as_i64().unwrap();
    c["iat"] = json!(now + 11);
    c["exp"] = json!(now + 60);
    let (s, v) = env.post_grant(&sign(&c, Algorithm::RS256, Some("test-kid"), key())).await;
    assert_eq!(s, 400);
    assert!(mp_code(&v).contains("MP-130"));
    c["iat"] = json!(now + 8);
    c["jti"] = json!("j2");
    assert_eq!(env.post_grant(&sign(&c, Algorithm::RS256, Some("test-kid"), key())).await.0, 200);
    // A skewed sandbox clock: the same wall-clock grant is now too old.
    env.sb.admin().set_clock_offset(30);
    let c2 = json!({"aud": env.sb.issuer(), "iss": "client-a", "scope": "altinn:broker.read",
        "iat": now, "exp": now + 60, "jti": "j3"});
    let (s, v) = env.post_grant(&sign(&c2, Algorithm::RS256, Some("test-kid"), key())).await;
    assert_eq!(s, 400, "{v}");
}

#[tokio::test]
async fn exp_at_most_120_seconds_after_iat() {
    let env = env_with_client().await;
    let mut c = env.claims("client-a", "altinn:broker.read");
    let iat = c["iat"].as_i64().unwrap();
    c["exp"] = json!(iat + 121);
    let (s, v) = env.post_grant(&sign(&c, Algorithm::RS256, Some("test-kid"), key())).await;
    assert_eq!(s, 400, "{v}");
    c["exp"] = json!(iat + 120);
    assert_eq!(env.post_grant(&sign(&c, Algorithm::RS256, Some("test-kid"), key())).await.0, 200);
}

#[tokio::test]
async fn jti_is_never_accepted_twice() {
    let env = env_with_client().await;
    let g = sign(&env.claims("client-a", "altinn:broker.read"), Algorithm::RS256, Some("test-kid"), key());
    assert_eq!(env.post_grant(&g).await.0, 200);
    let (s, v) = env.post_grant(&g).await;
    assert_eq!(s, 400);
    assert!(mp_code(&v).contains("MP-012"));
}

#[tokio::test]
async fn undocumented_claim_is_invalid_assertion() {
    let env = env_with_client().await;
    let mut c = env.claims("client-a", "altinn:broker.read");
    c["sub"] = json!("x");
    let (s, v) = env.post_grant(&sign(&c, Algorithm::RS256, Some("test-kid"), key())).await;
    assert_eq!(s, 400);
    assert!(mp_code(&v).contains("Invalid assertion"), "{v}");
}

#[tokio::test]
async fn wrong_grant_type_is_rejected() {
    let env = env_with_client().await;
    let r = env
        .http
        .post(env.url("/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "unsupported_grant_type");
}

fn su_details(org: &str, ext: Option<&str>) -> Value {
    let mut d = json!({"type": "urn:altinn:systemuser",
        "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{org}")}});
    if let Some(e) = ext {
        d["externalRef"] = json!(e);
    }
    json!([d])
}

#[tokio::test]
async fn system_user_grant_needs_an_approved_system_user() {
    let env = env_with_client().await;
    let mut c = env.claims("client-a", "altinn:broker.write");
    c["authorization_details"] = su_details(A, None);
    let (s, v) = env.post_grant(&sign(&c, Algorithm::RS256, Some("test-kid"), key())).await;
    assert_eq!(s, 400);
    assert_eq!(v["error"], "invalid_altinn_customer_configuration");
    assert!(mp_code(&v).contains("MP-303"));

    let su = env.sb.admin().add_system_user(SystemUserConfig {
        system_id: format!("{A}_budbringer"),
        org_number: A.into(),
        client_ids: vec!["client-a".into()],
        external_ref: Some("ext-1".into()),
        resources: vec![RES.into()],
        ..Default::default()
    });
    // Created with an externalRef: the grant must carry it.
    c["jti"] = json!("j-2");
    let (s, v) = env.post_grant(&sign(&c, Algorithm::RS256, Some("test-kid"), key())).await;
    assert_eq!(s, 400, "{v}");
    assert!(mp_code(&v).contains("MP-303"));
    c["jti"] = json!("j-3");
    c["authorization_details"] = su_details(A, Some("ext-1"));
    let (s, v) = env.post_grant(&sign(&c, Algorithm::RS256, Some("test-kid"), key())).await;
    assert_eq!(s, 200, "{v}");
    let tok = v["access_token"].as_str().unwrap().to_string();
    let claims: Value = {
        use base64::Engine;
        let p = tok.split('.').nth(1).unwrap();
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
    };
    assert_eq!(claims["authorization_details"][0]["systemuser_id"][0], su.to_string());
    assert_eq!(claims["authorization_details"][0]["systemuser_org"]["ID"], format!("0192:{A}"));
    // The bare organisation number, as Altinn's own test clients send it to TT02, is accepted too.
    c["jti"] = json!("j-3b");
    c["authorization_details"][0]["systemuser_org"]["ID"] = json!(A);
    let (s, v) = env.post_grant(&sign(&c, Algorithm::RS256, Some("test-kid"), key())).await;
    assert_eq!(s, 200, "{v}");
    c["authorization_details"] = su_details(A, Some("ext-1"));
    // Wrong organisation for the system user.
    c["jti"] = json!("j-4");
    c["authorization_details"] = su_details(B, Some("ext-1"));
    assert_eq!(env.post_grant(&sign(&c, Algorithm::RS256, Some("test-kid"), key())).await.0, 400);
    // The system-user token works on Broker directly.
    let r = env.init(&tok, init_body(A, &[B])).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn exchange_returns_an_altinn_token_that_broker_accepts() {
    let env = env_with_client().await;
    let g = sign(&env.claims("client-a", RW), Algorithm::RS256, Some("test-kid"), key());
    let (_, v) = env.post_grant(&g).await;
    let mp = v["access_token"].as_str().unwrap();
    let r = env.http.get(env.url("/authentication/api/v1/exchange/maskinporten")).bearer_auth(mp).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let altinn = r.text().await.unwrap().trim_matches('"').to_string();
    let r = env
        .http
        .get(env.url("/authentication/api/v1/exchange/maskinporten"))
        .bearer_auth(mp)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().starts_with('"'));
    let r = env.init(&altinn, init_body(A, &[B])).await;
    assert_eq!(r.status(), 200);
    // Without a token: 401.
    let r = env.http.get(env.url("/authentication/api/v1/exchange/maskinporten")).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn expired_access_token_gets_401_with_empty_body() {
    let env = env_with_client().await;
    let g = sign(&env.claims("client-a", RW), Algorithm::RS256, Some("test-kid"), key());
    let (_, v) = env.post_grant(&g).await;
    let tok = v["access_token"].as_str().unwrap().to_string();
    assert_eq!(env.init(&tok, init_body(A, &[B])).await.status(), 200);
    env.sb.admin().advance_clock(v["expires_in"].as_i64().unwrap());
    let r = env.init(&tok, init_body(A, &[B])).await;
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("www-authenticate").unwrap().to_str().unwrap().starts_with("Bearer"));
    assert!(r.text().await.unwrap().is_empty());
}

// --- x5c: a hand-built DER certificate (the sandbox does not verify the chain) ---

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    let n = content.len();
    if n < 128 {
        v.push(n as u8);
    } else if n < 256 {
        v.extend([0x81, n as u8]);
    } else {
        v.extend([0x82, (n >> 8) as u8, n as u8]);
    }
    v.extend_from_slice(content);
    v
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// A certificate whose subject carries `serialNumber=<org>`.
fn certificate(org: &str, k: &TestKey) -> String {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::EncodePublicKey;
    let pk = rsa::RsaPrivateKey::from_pkcs1_pem(&k.pem).unwrap().to_public_key();
    let spki = pk.to_public_key_der().unwrap().as_bytes().to_vec();
    let sha256_rsa = seq(&[tlv(0x06, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]), vec![0x05, 0x00]]);
    let name = |cn: &str, serial: &str| {
        seq(&[
            tlv(0x31, &seq(&[tlv(0x06, &[0x55, 0x04, 0x03]), tlv(0x0c, cn.as_bytes())])),
            tlv(0x31, &seq(&[tlv(0x06, &[0x55, 0x04, 0x05]), tlv(0x13, serial.as_bytes())])),
        ])
    };
    let validity = seq(&[tlv(0x17, b"250101000000Z"), tlv(0x17, b"491231235959Z")]);
    let tbs = seq(&[
        tlv(0x02, &[0x01]),
        sha256_rsa.clone(),
        name("Test CA", "000000000"),
        validity,
        name("Budbringer test", org),
        spki,
    ]);
    let cert = seq(&[tbs, sha256_rsa, tlv(0x03, &[0x00, 0x01, 0x02])]);
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(cert)
}

fn sign_x5c(claims: &Value, cert: &str) -> String {
    let mut h = jsonwebtoken::Header::new(Algorithm::RS256);
    h.x5c = Some(vec![cert.to_string()]);
    jsonwebtoken::encode(&h, claims, &jsonwebtoken::EncodingKey::from_rsa_pem(key().pem.as_bytes()).unwrap()).unwrap()
}

#[tokio::test]
async fn x5c_certificate_organisation_must_match_the_client() {
    use budbringer_sandbox::ClientConfig;
    let env = start().await;
    env.sb.admin().register_client(ClientConfig {
        client_id: "cert-client".into(),
        org_number: A.into(),
        scopes: vec!["altinn:broker.read".into()],
        jwks: vec![],
        allow_certificate: true,
    });
    let c = env.claims("cert-client", "altinn:broker.read");
    let (s, v) = env.post_grant(&sign_x5c(&c, &certificate(A, key()))).await;
    assert_eq!(s, 200, "{v}");
    let mut c = env.claims("cert-client", "altinn:broker.read");
    c["jti"] = json!("other");
    let (s, v) = env.post_grant(&sign_x5c(&c, &certificate(B, key()))).await;
    assert_eq!(s, 400);
    assert!(mp_code(&v).contains("MP-122"), "{v}");
    // The certificate's key must have signed the grant.
    let mut c = env.claims("cert-client", "altinn:broker.read");
    c["jti"] = json!("third");
    let (s, _) = env.post_grant(&sign_x5c(&c, &certificate(A, other_key()))).await;
    assert_eq!(s, 400);
}
