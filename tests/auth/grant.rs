//! Grants and Maskinporten errors: wrong kid, wrong aud, expired grant,
//! skewed clock, reused jti, missing scope, unapproved system user.

use crate::common::*;
use budbringer_core::altinn::grant::{GrantClaims, GrantSigner, KeyRef};
use budbringer_core::altinn::keys;
use budbringer_core::error::ErrorCode;

#[tokio::test]
async fn direct_token_reaches_broker() {
    let w = World::start(BROKER_SCOPES).await;
    let c = w.default_client();
    let resp = search(&c).await.unwrap();
    assert_eq!(resp.status(), 200, "{:?}", resp.text().await);
    assert_eq!(c.grants_signed(), 1);
    assert_eq!(w.tokens_issued(), 1);
    assert!(c.clock_skew().unwrap().abs() <= 1);
}

#[tokio::test]
async fn wrong_kid_is_an_unknown_key() {
    let w = World::start(BROKER_SCOPES).await;
    let mut p = w.profile();
    p.kid = Some("not-the-registered-kid".into());
    let e = search(&w.client(p)).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::MaskinportenUnknownKey, "{e:?}");
    assert!(e.detail.unwrap().contains("MP-100"));
    assert_eq!(w.tokens_issued(), 0);
}

#[tokio::test]
async fn unknown_client_is_named() {
    let w = World::start(BROKER_SCOPES).await;
    let mut p = w.profile();
    p.client_id = uuid::Uuid::new_v4().to_string();
    let e = search(&w.client(p)).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::MaskinportenUnknownClient, "{e:?}");
}

#[tokio::test]
async fn wrong_audience_is_named() {
    let w = World::start(BROKER_SCOPES).await;
    let mut ep = w.endpoints();
    // The issuer without its trailing slash (docs/ALTINN.md#where-the-sources-disagree):
    // Maskinporten wants the exact issuer.
    ep.maskinporten_issuer = ep.maskinporten_issuer.trim_end_matches('/').to_owned() + "/wrong/";
    let c = budbringer_core::altinn::AltinnClient::new(w.profile(), ep, w.secrets.clone()).unwrap();
    let grant = c.sign_grant("altinn:broker.read", false).unwrap();
    let e = c.post_grant(&grant).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::MaskinportenWrongAudience, "{e:?}");
    assert!(e.detail.unwrap().contains("MP-110"));
}

fn signer(w: &World) -> GrantSigner {
    let pem = keys::private_pkcs8_pem(key()).unwrap();
    GrantSigner::from_pem(pem.expose(), KeyRef::Kid(w.kid.clone())).unwrap()
}

#[tokio::test]
async fn expired_grant_is_a_clock_problem() {
    let w = World::start(BROKER_SCOPES).await;
    let c = w.default_client();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut claims = GrantClaims::new(&w.sandbox.issuer(), &w.client_id, "altinn:broker.read", now - 200, None);
    claims.exp = now - 100;
    let jwt = signer(&w).sign(&claims).unwrap();
    let e = c.post_grant(&jwt).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::ClockSkew, "{e:?}");
    assert!(e.detail.unwrap().contains("MP-130"));
}

#[tokio::test]
async fn reused_jti_is_named() {
    let w = World::start(BROKER_SCOPES).await;
    let c = w.default_client();
    let grant = c.sign_grant("altinn:broker.read", false).unwrap();
    c.post_grant(&grant).await.unwrap();
    let e = c.post_grant(&grant).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::GrantReused, "{e:?}");
    assert!(e.detail.unwrap().contains("MP-012"));
}

#[tokio::test]
async fn missing_scope_is_named() {
    // The client may only write; the profile asks for read too.
    let w = World::start(&["altinn:broker.write"]).await;
    let e = search(&w.default_client()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::ScopeNotGranted, "{e:?}");
    assert!(e.detail.unwrap().contains("altinn:broker.read"));
    // With only the granted scope it works.
    let mut p = w.profile();
    p.scopes = vec!["altinn:broker.write".into()];
    assert_eq!(search(&w.client(p)).await.unwrap().status(), 200);
}

#[tokio::test]
async fn unapproved_system_user_is_named() {
    let w = World::start(BROKER_SCOPES).await;
    let mut p = w.profile();
    p.system_user.enabled = true;
    p.system_user.external_ref = Some("budbringer-1".into());
    let e = search(&w.client(p)).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::SystemUserNotApproved, "{e:?}");
    assert!(e.detail.unwrap().contains("MP-303"));
}

#[tokio::test]
async fn skewed_clock_is_named_before_maskinporten() {
    let w = World::start(BROKER_SCOPES).await;
    w.sandbox.admin().set_clock_offset(30);
    let c = w.default_client();
    let e = search(&c).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::ClockSkew, "{e:?}");
    assert!(e.detail.unwrap().contains("30 s behind"));
    // We stopped before signing or asking Maskinporten.
    assert_eq!(c.grants_signed(), 0);
    assert_eq!(w.tokens_issued(), 0);
    assert!((29..=31).contains(&c.clock_skew().unwrap()));
    // Once the clocks agree again, it works (the skew is measured anew).
    w.sandbox.admin().set_clock_offset(0);
    assert_eq!(search(&c).await.unwrap().status(), 200);
}

#[tokio::test]
async fn skew_that_appears_later_gets_maskinportens_mp130() {
    let w = World::start(BROKER_SCOPES).await;
    let c = w.default_client();
    assert!(c.measure_clock().await.unwrap().abs() <= 1);
    // The server clock jumps after our last measurement: our check still
    // believes the clocks agree, so Maskinporten is the one to refuse.
    w.sandbox.admin().set_clock_offset(-60);
    let e = c.fetch_maskinporten_token("altinn:broker.read", false).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::ClockSkew, "{e:?}");
    let d = e.detail.unwrap();
    assert!(d.contains("MP-130") && d.contains("measured skew"), "{d}");
    assert_eq!(c.grants_signed(), 1);
    assert!((-61..=-59).contains(&c.clock_skew().unwrap()));
    // The next attempt is stopped by our own check.
    let e = c.fetch_maskinporten_token("altinn:broker.read", false).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::ClockSkew);
    assert_eq!(c.grants_signed(), 1);
}
