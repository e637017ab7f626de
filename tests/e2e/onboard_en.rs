//! Issue 12: organisation B walks the wizard by hand in English and leaves out
//! one prerequisite at a time: the vendor registration (Digdir), the Broker
//! scope (the service desk), the approval, the access list (the service owner),
//! then meets a rejected request and a service added later. Each omission is
//! met in the window first; the advice shown is asserted by the locale file's
//! text for its code (so a changed or wrongly mapped advice fails here), the
//! advice must name the place the fix is made, and the fix is that step.
//! Screenshots: `en-onboard-<n>-<step>.png` and `en-onboard-missing-<what>.png`.

use crate::harness::App;
use crate::onboard_web::{
    fill_and_save, next, value, Browser, Locale, BROKER_SCOPES, LATER, ORG_B, RESOURCE, VENDOR_SCOPES,
};

/// Waits for the advice box of `code` and asserts that it shows the locale's
/// text for that code, and that the text names `place` (where the fix is made).
async fn advice(app: &App, l: &Locale, code: &str, place: &str, shot: &str) {
    let css = format!("[data-testid=error][data-code={code}]");
    let text = l.t(&format!("error.{code}"), &[]);
    assert!(text.contains(place), "the advice for {code} does not name {place:?}: {text}");
    let shown = app.find_slow("[data-testid=error]", 30).await;
    let shown_code = shown.attr("data-code").await.unwrap();
    assert_eq!(shown_code.as_deref(), Some(code), "advice shown: {}", shown.text().await.unwrap());
    app.wait_for_text(&css, &text).await;
    crate::scroll_main(app, true).await;
    app.screenshot(&format!("en-onboard-missing-{shot}")).await;
}

/// Runs the connection test and answers its report (the old one goes when the test starts).
async fn connection_test(app: &App) -> fantoccini::elements::Element {
    app.click("[data-testid=run-test]").await;
    app.find_slow("[data-testid=test-report]", 60).await
}

pub async fn stumble_in_english(app: &App) {
    let l = Locale::load("en");
    // A new user who reads English switches the language first (Settings).
    app.find("[data-testid=page-setup] [data-testid=wizard-environment]").await;
    app.click("[data-testid=nav-settings]").await;
    app.find("[data-testid=language]").await.select_by_value("en").await.unwrap();
    app.wait_for_text("[data-testid=nav-inbox]", "Inbox").await;
    app.click("[data-testid=nav-setup]").await;
    app.find("[data-testid=wizard-environment]").await;
    let web = Browser::of(app).await;
    app.screenshot("en-onboard-01-environment").await;

    next(app, &l, "role", 2).await;
    app.click("#role-both").await;
    app.wait_for_text("[data-testid=wizard-status]", "Saved").await;
    app.screenshot("en-onboard-02-role").await;

    // 3. B ticks off only that it is a rehearsal organisation: no vendor registration, no Broker scopes.
    next(app, &l, "prerequisites", 3).await;
    app.click("#pre-rehearsalOrg").await;
    app.wait_for_text("[data-testid=checklist-count]", "1 of 5").await;
    app.screenshot("en-onboard-03-prerequisites").await;

    next(app, &l, "organisation", 4).await;
    fill_and_save(app, &l, "[data-testid=org]", ORG_B, "[data-testid=org-save]", "en-onboard-04-organisation").await;

    // 5. The client: nothing is granted, so Samarbeidsportalen keeps none of the scopes asked for.
    next(app, &l, "client", 5).await;
    app.click("[data-testid=generate-key]").await;
    app.find_slow("[data-testid=public-key]", 60).await;
    let jwk = value(app, "#jwk").await;
    let client_id = web.make_client(ORG_B, &jwk).await;
    fill_and_save(app, &l, "[data-testid=client-id]", &client_id, "[data-testid=client-save]", "en-onboard-05-client")
        .await;

    next(app, &l, "resource", 6).await;
    fill_and_save(
        app,
        &l,
        "[data-testid=resources]",
        RESOURCE,
        "[data-testid=resources-save]",
        "en-onboard-06-resource",
    )
    .await;

    // 7. B does not send the message to the service owner yet.
    next(app, &l, "accessList", 7).await;
    assert!(value(app, "[data-testid=owner-message]").await.contains("310 000 116"));
    app.screenshot("en-onboard-07-access-list").await;

    // 8a. Missing: the vendor registration. The system register refuses the token's scopes.
    next(app, &l, "systemUser", 8).await;
    app.click("[data-testid=register-system]").await;
    advice(app, &l, "SYSTEM_SCOPES_NOT_GRANTED", "vendor", "vendor-scopes").await;
    // The fix the advice names: Digdir's vendor registration, then the scopes on the client.
    web.digdir_registers_vendor(ORG_B).await;
    web.add_scopes(ORG_B, &client_id, &VENDOR_SCOPES).await;
    app.click("[data-testid=register-system]").await;
    app.find_slow("[data-testid=system-id]", 30).await;
    app.click("[data-testid=request-system-user]").await;
    let link = app.find_slow("[data-testid=approval-link]", 30).await.text().await.unwrap();
    assert!(link.contains("/accessmanagement/ui/systemuser/request?id="), "{link}");
    crate::scroll_main(app, true).await;
    app.screenshot("en-onboard-08-system-user-request").await;

    // 9a. Missing: the Broker scope. Samarbeidsportalen would not add it before the desk grants it.
    next(app, &l, "test", 9).await;
    let report = connection_test(app).await;
    assert_eq!(report.attr("data-ok").await.unwrap().as_deref(), Some("false"));
    advice(app, &l, "SCOPE_NOT_GRANTED", "servicedesk@altinn.no", "broker-scope").await;
    web.desk_grants(ORG_B, &BROKER_SCOPES).await;
    web.add_scopes(ORG_B, &client_id, &BROKER_SCOPES).await;

    // 9b. Missing: the approval. The token is fine now; Broker refuses it without an approved
    // system user holding the service (BRO-00006), and the advice names the approval first.
    let report = connection_test(app).await;
    assert_eq!(report.attr("data-ok").await.unwrap().as_deref(), Some("false"));
    advice(app, &l, "BROKER_NO_ACCESS", "system access is approved", "approval").await;

    // 8b. Missing: the access list. The approver is turned away (AUTH-00069); the window, which
    // Altinn does not tell why, names the access list as what may be missing.
    app.click("[data-testid=wizard-step-systemUser]").await;
    let (status, page) = web.approver_answers(&link, "approve").await;
    assert_eq!(status, 200, "the approval should be refused before the access list: {page}");
    app.click("[data-testid=check-system-user]").await;
    let hint = l.t("error.NOT_ON_ACCESS_LIST", &[]);
    assert!(hint.contains("access list"), "{hint}");
    app.find_slow("[data-testid=not-yet-advice]", 30).await;
    app.wait_for_text("[data-testid=not-yet-advice]", &hint).await;
    crate::scroll_main(app, true).await;
    app.screenshot("en-onboard-missing-access-list").await;
    web.owner_adds(RESOURCE, ORG_B).await;

    // 8c. A rejected request: the approver says no this time. The window names it and offers a new one.
    assert_eq!(web.approver_answers(&link, "reject").await.0, 303);
    app.click("[data-testid=check-system-user]").await;
    advice(app, &l, "SYSTEM_USER_REQUEST_REJECTED", "new request", "rejected").await;
    app.click("[data-testid=renew-request]").await;
    app.wait_for_text("[data-testid=wizard-status]", &l.t("wizard.systemUser.requested", &[])).await;
    let renewed = app.find_slow("[data-testid=approval-link]", 30).await.text().await.unwrap();
    assert_ne!(renewed, link, "a new request has a new link");
    assert_eq!(web.approver_answers(&renewed, "approve").await.0, 303);
    app.click("[data-testid=check-system-user]").await;
    app.wait_for_text("[data-testid=wizard-status]", "Approved").await;
    app.screenshot("en-onboard-08-system-user-approved").await;

    next(app, &l, "test", 9).await;
    let report = connection_test(app).await;
    assert_eq!(report.attr("data-ok").await.unwrap().as_deref(), Some("true"), "{}", report.text().await.unwrap());
    app.screenshot("en-onboard-09-test").await;

    // 10. A service added later: the change waits for approval, and the test says so.
    next(app, &l, "done", 10).await;
    app.type_into("[data-testid=services-change]", &format!("{RESOURCE}, {LATER}")).await;
    app.click("[data-testid=services-change-save]").await;
    app.wait_for_text("[data-testid=wizard-status]", &l.t("wizard.resource.changeSent", &[])).await;
    let change = app.find_slow("[data-testid=change-link]", 30).await.text().await.unwrap();
    assert!(change.contains("/accessmanagement/ui/systemuser/changerequest?id="), "{change}");
    app.click("[data-testid=wizard-step-test]").await;
    connection_test(app).await;
    advice(app, &l, "CHANGE_REQUEST_PENDING", "«Services»", "service-later").await;
    // The step the advice names shows the change and its link.
    app.click("[data-testid=wizard-step-resource]").await;
    assert_eq!(app.text("[data-testid=change-link]").await, change);
    web.owner_adds(LATER, ORG_B).await;
    assert_eq!(web.approver_answers(&change, "approve").await.0, 303);
    app.click("[data-testid=wizard-step-test]").await;
    let report = connection_test(app).await;
    assert_eq!(report.attr("data-ok").await.unwrap().as_deref(), Some("true"), "{}", report.text().await.unwrap());

    app.click("[data-testid=wizard-step-done]").await;
    app.click("[data-testid=change-check]").await;
    app.wait_for_text("[data-testid=wizard-status]", &l.t("wizard.resource.changeDone", &[])).await;
    app.wait_for_text("[data-testid=summary]", "310 000 116").await;
    app.wait_for_text("[data-testid=summary]", LATER).await;
    app.screenshot("en-onboard-10-done").await;
}
