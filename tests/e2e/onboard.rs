//! Issue 12: two rehearsal organisations walk the wizard by hand, as new users
//! would in TT02: no practice shortcut, no IPC call for a step the user does
//! in the window. What happens outside the window (the service desk and Digdir,
//! Samarbeidsportalen, the service owner, the approver) is done on the sandbox's
//! own pages over HTTP, as the user's browser would.
//!
//! Organisation A walks in Bokmål without a stumble (`nb-onboard-*`). Then
//! organisation B, on a computer of its own (own data folder, own keyring), walks
//! in English and meets each missing prerequisite first (`onboard_en.rs`,
//! `en-onboard-*`), and sends A a file; A's app is started again and the file
//! arrives in A's inbox, is saved and confirmed (`onboard_exchange.rs`).
//! The two apps run one after the other against one sandbox: B's embedded
//! sandbox is A's (the same saved state, reloaded on the same port).

use crate::harness::{App, Computer};
use crate::onboard_web::{fill_and_save, next, value, Browser, Locale, BROKER_SCOPES, ORG_A, RESOURCE, VENDOR_SCOPES};
use std::time::Instant;

/// Organisation A's walk in Bokmål, everything in order, to a passing connection test.
async fn walk_in_bokmal(app: &App) {
    let l = Locale::load("nb");
    app.find("[data-testid=page-setup] [data-testid=wizard-environment]").await;
    let web = Browser::of(app).await;
    app.screenshot("nb-onboard-01-environment").await;

    // 2. Both send and receive.
    next(app, &l, "role", 2).await;
    app.click("#role-both").await;
    app.wait_for_text("[data-testid=wizard-status]", "Lagret").await;
    app.screenshot("nb-onboard-02-role").await;

    // 3. The prerequisites: the service desk grants Broker, Digdir the vendor registration.
    next(app, &l, "prerequisites", 3).await;
    web.desk_grants(ORG_A, &BROKER_SCOPES).await;
    web.digdir_registers_vendor(ORG_A).await;
    for id in ["rehearsalOrg", "vendor", "brokerScopes"] {
        app.click(&format!("#pre-{id}")).await;
        app.wait_for_text("[data-testid=checklist-count]", "av 5").await;
    }
    app.wait_for_text("[data-testid=checklist-count]", "3 av 5").await;
    app.screenshot("nb-onboard-03-prerequisites").await;

    // 4. The organisation.
    next(app, &l, "organisation", 4).await;
    fill_and_save(app, &l, "[data-testid=org]", ORG_A, "[data-testid=org-save]", "nb-onboard-04-organisation").await;

    // 5. The key, and the client in (the sandbox's) Samarbeidsportalen with the public JWK.
    next(app, &l, "client", 5).await;
    app.click("[data-testid=generate-key]").await;
    app.find_slow("[data-testid=public-key]", 60).await;
    let jwk = value(app, "#jwk").await;
    assert!(jwk.contains("\"kid\""), "{jwk}");
    let client_id = web.make_client(ORG_A, &jwk).await;
    web.add_scopes(ORG_A, &client_id, &BROKER_SCOPES).await;
    web.add_scopes(ORG_A, &client_id, &VENDOR_SCOPES).await;
    fill_and_save(app, &l, "[data-testid=client-id]", &client_id, "[data-testid=client-save]", "nb-onboard-05-client")
        .await;

    // 6. The service, before the system is registered.
    next(app, &l, "resource", 6).await;
    fill_and_save(
        app,
        &l,
        "[data-testid=resources]",
        RESOURCE,
        "[data-testid=resources-save]",
        "nb-onboard-06-resource",
    )
    .await;

    // 7. The service owner puts the organisation on the access list.
    next(app, &l, "accessList", 7).await;
    assert!(value(app, "[data-testid=owner-message]").await.contains("310 000 108"));
    web.owner_adds(RESOURCE, ORG_A).await;
    app.screenshot("nb-onboard-07-access-list").await;

    // 8. The system, the request, the approval link shown, the approver says yes.
    next(app, &l, "systemUser", 8).await;
    app.click("[data-testid=register-system]").await;
    app.find_slow("[data-testid=system-id]", 30).await;
    app.click("[data-testid=request-system-user]").await;
    let link = app.find_slow("[data-testid=approval-link]", 30).await.text().await.unwrap();
    assert!(link.contains("/accessmanagement/ui/systemuser/request?id="), "{link}");
    crate::scroll_main(app, true).await;
    app.screenshot("nb-onboard-08-system-user-request").await;
    assert_eq!(web.approver_answers(&link, "approve").await.0, 303);
    app.click("[data-testid=check-system-user]").await;
    app.wait_for_text("[data-testid=wizard-status]", "Godkjent").await;
    app.screenshot("nb-onboard-08-system-user-approved").await;

    // 9. The connection test passes, through the system user.
    next(app, &l, "test", 9).await;
    app.click("[data-testid=run-test]").await;
    let report = app.find_slow("[data-testid=test-report]", 60).await;
    assert_eq!(report.attr("data-ok").await.unwrap().as_deref(), Some("true"), "{}", report.text().await.unwrap());
    app.screenshot("nb-onboard-09-test").await;

    next(app, &l, "done", 10).await;
    app.wait_for_text("[data-testid=summary]", "310 000 108").await;
    app.wait_for_text("[data-testid=summary]", RESOURCE).await;
    app.screenshot("nb-onboard-10-done").await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a display and tauri-driver: run by scripts/test.sh"]
async fn two_organisations_onboard_by_hand_and_exchange_a_file() {
    let root = tempfile::tempdir().unwrap();
    let (a, b) = (Computer::new(root.path(), "a"), Computer::new(root.path(), "b"));
    let started = Instant::now();

    let app = App::start_as(&a).await;
    walk_in_bokmal(&app).await;
    app.quit().await;
    eprintln!("A's walk in Bokmål: {:.0} s", started.elapsed().as_secs_f64());

    // B's computer: its own data folder and keyring, the same sandbox.
    b.share_sandbox_of(&a);
    let lap = Instant::now();
    let app = App::start_as(&b).await;
    crate::onboard_en::stumble_in_english(&app).await;
    eprintln!("B's walk in English, with every stumble: {:.0} s", lap.elapsed().as_secs_f64());
    let lap = Instant::now();
    let sent = crate::onboard_exchange::b_sends_to_a(&app, root.path()).await;
    app.quit().await;

    // A's app again, on A's computer: the file arrives, is saved and confirmed.
    let app = App::start_as(&a).await;
    crate::onboard_exchange::a_receives(&app, root.path(), &sent).await;
    app.quit().await;
    eprintln!(
        "B sends, A receives: {:.0} s; in all {:.0} s",
        lap.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}
