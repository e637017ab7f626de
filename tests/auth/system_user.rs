//! The organisation's own system and system user: register, request, follow
//! the status (New → Accepted / Rejected), verify, then use it.

use crate::common::*;
use budbringer_core::error::ErrorCode;
use budbringer_sandbox::PRACTICE_ORG_A;

#[tokio::test]
async fn request_accepted_then_used_for_broker() {
    let w = World::full().await;
    let c = w.default_client();
    let system_id = c.register_system(None).await.unwrap();
    assert_eq!(system_id, format!("{PRACTICE_ORG_A}_budbringer"));
    // Registering again updates instead of failing.
    assert_eq!(c.register_system(None).await.unwrap(), system_id);

    let req = c.request_system_user(&system_id, Some("budbringer-ext-1")).await.unwrap();
    assert_eq!(req.status, "New");
    let confirm = req.confirm_url.clone().unwrap();
    assert!(confirm.starts_with(&w.sandbox.base_url()), "{confirm}");
    assert_eq!(req.external_ref.as_deref(), Some("budbringer-ext-1"));
    // Asking again returns the pending request instead of an error.
    let again = c.request_system_user(&system_id, Some("budbringer-ext-1")).await.unwrap();
    assert_eq!(again.id, req.id);
    assert_eq!(c.system_user_request_status(&req.id).await.unwrap().status, "New");
    assert_eq!(
        c.verify_system_user(&system_id, Some("budbringer-ext-1")).await.unwrap_err().code,
        ErrorCode::SystemUserNotFound
    );

    // A system-user token is refused until the request is approved.
    let mut p = w.profile();
    p.system_user.enabled = true;
    p.system_user.external_ref = Some("budbringer-ext-1".into());
    assert_eq!(search(&w.client(p.clone())).await.unwrap_err().code, ErrorCode::SystemUserNotApproved);

    // The approver says yes (the sandbox admin API stands in for the Altinn portal).
    let id = uuid::Uuid::parse_str(&req.id).unwrap();
    assert_eq!(w.sandbox.admin().decide_request(id, true).as_deref(), Some("Accepted"));
    let st = c.system_user_request_status(&req.id).await.unwrap();
    assert!(st.is_accepted());
    assert!(st.status_error().is_none());
    let su = c.verify_system_user(&system_id, Some("budbringer-ext-1")).await.unwrap();
    assert!(uuid::Uuid::parse_str(&su.id).is_ok());

    // Now Broker calls run as the system user, with authorization_details.
    let sc = w.client(p.clone());
    assert_eq!(search(&sc).await.unwrap().status(), 200);
    let report = budbringer_core::altinn::connection_test::run(&sc).await;
    assert_eq!(report.system_user_id.as_deref(), Some(su.id.as_str()));
    // Without the externalRef the grant does not match the system user (MP-303).
    p.system_user.external_ref = None;
    assert_eq!(search(&w.client(p)).await.unwrap_err().code, ErrorCode::SystemUserNotApproved);
}

#[tokio::test]
async fn request_rejected() {
    let w = World::full().await;
    let c = w.default_client();
    let system_id = c.register_system(Some("Budbringer")).await.unwrap();
    let req = c.request_system_user(&system_id, None).await.unwrap();
    assert_eq!(req.status, "New");
    // Without an externalRef Altinn uses the organisation number.
    assert_eq!(req.external_ref.as_deref(), Some(PRACTICE_ORG_A));
    w.sandbox.admin().decide_request(uuid::Uuid::parse_str(&req.id).unwrap(), false);
    let st = c.system_user_request_status(&req.id).await.unwrap();
    assert_eq!(st.status, "Rejected");
    assert_eq!(st.status_error().unwrap().code, ErrorCode::SystemUserRequestRejected);
    let mut p = w.profile();
    p.system_user.enabled = true;
    assert_eq!(search(&w.client(p)).await.unwrap_err().code, ErrorCode::SystemUserNotApproved);
}

/// Since November 2025 (altinn-authentication #1667) a request times out
/// after 180 days, keeps its status and reads `timedOut: true`
/// (docs/ALTINN.md#requesting-and-approving-a-system-user).
#[tokio::test]
async fn request_times_out_after_180_days_keeping_its_status() {
    let w = World::full().await;
    // Tokens that outlive the jumps below, so no new grant (which the skew
    // would rightly stop) is needed.
    let admin = w.sandbox.admin();
    let mut s = admin.settings();
    s.maskinporten_token_lifetime_secs = 200 * 86_400;
    admin.set_settings(s);
    let c = w.default_client();
    let system_id = c.register_system(None).await.unwrap();
    let req = c.request_system_user(&system_id, Some("ext-timeout")).await.unwrap();
    // Ten days (the old sandbox's time-out) is nothing now.
    admin.advance_clock(11 * 86_400);
    let st = c.system_user_request_status(&req.id).await.unwrap();
    assert_eq!((st.status.as_str(), st.timed_out), ("New", false));
    assert!(st.status_error().is_none());
    admin.advance_clock(170 * 86_400);
    let st = c.system_user_request_status(&req.id).await.unwrap();
    assert_eq!((st.status.as_str(), st.timed_out), ("New", true));
    assert_eq!(st.status_error().unwrap().code, ErrorCode::SystemUserRequestTimedOut);
}

#[tokio::test]
async fn registration_errors_are_named() {
    let w = World::full().await;
    // A resource the Resource Registry does not know.
    let mut p = w.profile();
    p.resource_ids = vec!["no-such-resource".into()];
    let e = w.client(p).register_system(None).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::SystemResourceUnknown, "{e:?}");
    // A client without the system-register scopes.
    let w2 = World::start(BROKER_SCOPES).await;
    let e = w2.default_client().register_system(None).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::SystemScopesNotGranted, "{e:?}");
    // Requesting for a system that was never registered.
    let e = w.default_client().request_system_user("310000019_unknown", None).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::SystemNotFound, "{e:?}");
}

/// The wizard's path through `setup` (what the commands call): the profile
/// remembers the system, the request and, once approved, the system user.
#[tokio::test]
async fn wizard_steps_keep_the_profile_up_to_date() {
    use budbringer_core::altinn::setup;
    use budbringer_core::environment::Environment;
    let w = World::full().await;
    let store = w.profile_store();
    store.save(w.profile()).unwrap();
    let client = |s: &budbringer_core::altinn::ProfileStore| w.client(s.get(Environment::Sandbox));

    let p = setup::register_system(&store, &client(&store), None).await.unwrap();
    assert_eq!(p.system_user.system_id.as_deref(), Some(format!("{PRACTICE_ORG_A}_budbringer").as_str()));
    let req = setup::request_system_user(&store, &client(&store), Some("wizard-ref")).await.unwrap();
    let p = store.get(Environment::Sandbox);
    assert_eq!(p.system_user.request_id.as_deref(), Some(req.id.as_str()));
    assert_eq!(p.system_user.external_ref.as_deref(), Some("wizard-ref"));
    assert_eq!(p.system_user.confirm_url, req.confirm_url);
    assert!(!p.system_user.enabled);

    let st = setup::refresh_system_user(&store, &client(&store)).await.unwrap();
    assert_eq!(st.request.unwrap().status, "New");
    assert!(st.system_user_id.is_none() && st.error.is_none());

    w.sandbox.admin().decide_request(uuid::Uuid::parse_str(&req.id).unwrap(), true);
    let st = setup::refresh_system_user(&store, &client(&store)).await.unwrap();
    assert!(st.system_user_id.is_some());
    let p = store.get(Environment::Sandbox);
    assert!(p.system_user.enabled);
    assert_eq!(p.system_user.request_status.as_deref(), Some("Accepted"));

    // The connection test now runs as the system user and records the mode.
    let report = setup::connection_test(&store, &client(&store)).await.unwrap();
    assert!(report.ok, "{report:#?}");
    assert_eq!(report.system_user_id, st.system_user_id);
    assert!(store.get(Environment::Sandbox).token_mode_verified_at.is_some());
}
