//! `send_broker`: one grant for many calls, refresh on 401, API key, Direct
//! and Exchanged mode.

use crate::common::*;
use budbringer_core::altinn::profile::TokenMode;
use budbringer_core::altinn::setup;
use budbringer_core::environment::Environment;
use budbringer_core::error::ErrorCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_calls_sign_one_grant() {
    let w = World::start(BROKER_SCOPES).await;
    w.unlimited_search();
    let c = w.default_client();
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move { search(&c).await.map(|r| r.status().as_u16()) }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), 200);
    }
    assert_eq!(c.grants_signed(), 1);
    assert_eq!(w.tokens_issued(), 1);
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once() {
    let w = World::start(BROKER_SCOPES).await;
    w.unlimited_search();
    let admin = w.sandbox.admin();
    let mut s = admin.settings();
    // 4 s tokens: we keep them 2 s (half the lifetime as margin).
    s.maskinporten_token_lifetime_secs = 4;
    admin.set_settings(s);
    let c = w.default_client();
    assert_eq!(search(&c).await.unwrap().status(), 200);
    // The server's time passes the token's expiry while our cache still holds it
    // (4 s of skew is within what we accept).
    admin.advance_clock(4);
    let resp = search(&c).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(c.grants_signed(), 2, "one refresh after the 401");
    assert_eq!(w.tokens_issued(), 2);
}

#[tokio::test]
async fn no_access_is_reported_without_a_useless_refresh() {
    let w = World::start(BROKER_SCOPES).await;
    let admin = w.sandbox.admin();
    let mut s = admin.settings();
    s.require_system_user = true;
    admin.set_settings(s);
    let c = w.default_client();
    let e = search(&c).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::BrokerNoAccess, "{e:?}");
    assert!(e.trace_id.is_some());
    assert_eq!(c.grants_signed(), 1);
}

#[tokio::test]
async fn api_key_missing_wrong_and_right() {
    let w = World::start(BROKER_SCOPES).await;
    w.sandbox.admin().set_api_key(Some("the-right-subscription-key".into()));
    // Missing.
    let e = search(&w.default_client()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::ApiKeyMissingOrWrong, "{e:?}");
    assert!(e.detail.unwrap().contains("missing subscription key"));
    // Wrong (stored through the same function the command uses).
    let store = w.profile_store();
    store.save(w.profile()).unwrap();
    assert!(
        setup::set_api_key(&store, w.secrets.as_ref(), Environment::Sandbox, Some("a-wrong-subscription-key")).unwrap()
    );
    let c = w.client(store.get(Environment::Sandbox));
    assert!(c.has_api_key());
    let e = search(&c).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::ApiKeyMissingOrWrong, "{e:?}");
    assert!(e.detail.unwrap().contains("invalid subscription key"));
    assert_eq!(c.grants_signed(), 1, "a key refusal needs no new token");
    // Right: sent on Broker calls and on the exchange.
    setup::set_api_key(&store, w.secrets.as_ref(), Environment::Sandbox, Some("the-right-subscription-key")).unwrap();
    let mut p = store.get(Environment::Sandbox);
    assert!(p.api_key_set);
    p.token_mode = TokenMode::Exchanged;
    let c = w.client(p);
    assert_eq!(search(&c).await.unwrap().status(), 200);
    assert_eq!(c.exchanges_done(), 1);
    // Cleared again.
    assert!(!setup::set_api_key(&store, w.secrets.as_ref(), Environment::Sandbox, None).unwrap());
    assert!(!store.get(Environment::Sandbox).api_key_set);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchanged_mode_uses_an_altinn_token() {
    let w = World::start(BROKER_SCOPES).await;
    w.unlimited_search();
    let mut p = w.profile();
    p.token_mode = TokenMode::Exchanged;
    let c = w.client(p);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move { search(&c).await.map(|r| r.status().as_u16()) }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), 200);
    }
    assert_eq!(c.exchanges_done(), 1);
    assert_eq!(c.grants_signed(), 1);
    // The token Broker saw is the Altinn one (issuer .../authentication/api/v1/openid/).
    let token = c.broker_token().await.unwrap();
    let payload = token.expose().split('.').nth(1).unwrap().to_owned();
    use base64::Engine;
    let claims: serde_json::Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert!(claims["iss"].as_str().unwrap().ends_with("/authentication/api/v1/openid/"), "{claims}");
    assert_eq!(claims["urn:altinn:orgNumber"], budbringer_sandbox::PRACTICE_ORG_A);
    // Direct mode gives a Maskinporten token instead.
    let direct = w.default_client();
    let t = direct.broker_token().await.unwrap();
    let payload = t.expose().split('.').nth(1).unwrap().to_owned();
    let claims: serde_json::Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(claims["iss"].as_str().unwrap(), w.sandbox.issuer());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_refused_outside_send_broker_is_replaced_once() {
    let w = World::start(BROKER_SCOPES).await;
    let c = w.default_client();
    let first = c.broker_token().await.unwrap();
    // Ten TUS tasks saw a 401 with the same token.
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (c, used) = (c.clone(), first.clone());
        tasks.push(tokio::spawn(async move {
            c.invalidate_broker_token(&used).await;
            c.broker_token().await.unwrap()
        }));
    }
    for t in tasks {
        assert_ne!(t.await.unwrap(), first);
    }
    assert_eq!(c.grants_signed(), 2);
    c.invalidate_token();
    c.broker_token().await.unwrap();
    assert_eq!(c.grants_signed(), 3);
}
