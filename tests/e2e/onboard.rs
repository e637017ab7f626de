//! Issue 12: a rehearsal organisation walks the wizard by hand in Bokmål, as a
//! new user would in TT02: no practice shortcut, no IPC call for a step the
//! user does in the window. What happens outside the window (the service
//! desk, Samarbeidsportalen, the service owner, the approver) is done on the
//! embedded sandbox's own pages over HTTP, as the user's browser would.
//! Screenshots: `nb-onboard-<n>-<step>.png`.

use crate::harness::App;

/// A rehearsal organisation of the sandbox: nothing set up in advance.
const ORG: &str = "310000108";
const SERVICE_OWNER: &str = "310000191";
const RESOURCE: &str = "ovelse-rapportering";
const SCOPES: [&str; 5] = [
    "altinn:broker.write",
    "altinn:broker.read",
    "altinn:authentication/systemregister.write",
    "altinn:authentication/systemuser.request.write",
    "altinn:authentication/systemuser.request.read",
];

struct Browser {
    base: String,
    http: reqwest::Client,
}

impl Browser {
    /// A form post to a sandbox page with a cookie; answers status and `Location`.
    async fn post(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> (u16, String) {
        let r =
            self.http.post(format!("{}{path}", self.base)).header("cookie", cookie).form(form).send().await.unwrap();
        let loc = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        (r.status().as_u16(), loc)
    }
}

async fn next(app: &App, step: &str, n: usize) {
    app.click("[data-testid=wizard-next]").await;
    app.find(&format!("[data-testid=wizard-{step}]")).await;
    app.wait_for_text("#step-heading", &format!("Steg {n} av 10")).await;
}

async fn value(app: &App, css: &str) -> String {
    app.find(css).await.prop("value").await.unwrap().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a display and tauri-driver: run by scripts/test.sh"]
async fn a_rehearsal_organisation_walks_the_wizard_by_hand() {
    let app = App::start().await;
    app.find("[data-testid=page-setup] [data-testid=wizard-environment]").await;
    let text = app.text("[data-testid=sandbox-url]").await;
    let base = text.split_whitespace().find(|w| w.starts_with("http://127.0.0.1:")).expect("sandbox URL").to_owned();
    let web =
        Browser { base, http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap() };
    app.screenshot("nb-onboard-01-environment").await;

    // 2. Both send and receive.
    next(&app, "role", 2).await;
    app.click("#role-both").await;
    app.wait_for_text("[data-testid=wizard-status]", "Lagret").await;
    app.screenshot("nb-onboard-02-role").await;

    // 3. The prerequisites: the service desk grants Broker, Digdir the vendor registration.
    next(&app, "prerequisites", 3).await;
    let mut grant = vec![("org", ORG)];
    grant.extend(SCOPES[..2].iter().map(|s| ("scope", *s)));
    assert_eq!(web.post("/sandbox/brukerservice/scopes", "", &grant).await.0, 303);
    assert_eq!(web.post("/sandbox/brukerservice/leverandor", "", &[("org", ORG), ("terms", "yes")]).await.0, 303);
    for id in ["rehearsalOrg", "vendor", "brokerScopes"] {
        app.click(&format!("#pre-{id}")).await;
        app.wait_for_text("[data-testid=checklist-count]", "av 5").await;
    }
    app.wait_for_text("[data-testid=checklist-count]", "3 av 5").await;
    app.screenshot("nb-onboard-03-prerequisites").await;

    // 4. The organisation.
    next(&app, "organisation", 4).await;
    app.type_into("[data-testid=org]", ORG).await;
    app.click("[data-testid=org-save]").await;
    app.wait_for_text("[data-testid=wizard-status]", "Lagret").await;
    app.screenshot("nb-onboard-04-organisation").await;

    // 5. The key, and the client in (the sandbox's) Samarbeidsportalen with the public JWK.
    next(&app, "client", 5).await;
    app.click("[data-testid=generate-key]").await;
    app.find_slow("[data-testid=public-key]", 60).await;
    let jwk = value(&app, "#jwk").await;
    assert!(jwk.contains("\"kid\""), "{jwk}");
    let me = format!("sb_org={ORG}");
    web.post("/sandbox/samarbeid/terms", &me, &[("accept", "yes")]).await;
    let mut form = vec![("name", "Budbringer"), ("description", "Formidling")];
    form.extend(SCOPES.iter().map(|s| ("scope", *s)));
    let (status, loc) = web.post("/sandbox/samarbeid/ny", &me, &form).await;
    assert_eq!(status, 303, "{loc}");
    let client_id = loc.trim_start_matches("/sandbox/samarbeid/klient/").split('?').next().unwrap().to_owned();
    let (status, loc) = web.post(&format!("/sandbox/samarbeid/klient/{client_id}/nokkel"), &me, &[("key", &jwk)]).await;
    assert_eq!(status, 303, "{loc}");
    web.post(&format!("/sandbox/samarbeid/klient/{client_id}/scope"), &me, &SCOPES.map(|s| ("scope", s))).await;
    app.type_into("[data-testid=client-id]", &client_id).await;
    app.click("[data-testid=client-save]").await;
    app.wait_for_text("[data-testid=wizard-status]", "Lagret").await;
    app.screenshot("nb-onboard-05-client").await;

    // 6. The service, before the system is registered.
    next(&app, "resource", 6).await;
    app.type_into("[data-testid=resources]", RESOURCE).await;
    app.click("[data-testid=resources-save]").await;
    app.wait_for_text("[data-testid=wizard-status]", "Lagret").await;
    app.screenshot("nb-onboard-06-resource").await;

    // 7. The service owner puts the organisation on the access list.
    next(&app, "accessList", 7).await;
    assert!(value(&app, "[data-testid=owner-message]").await.contains("310 000 108"));
    let so = format!("sb_so={SERVICE_OWNER}");
    assert_eq!(
        web.post(&format!("/sandbox/tjenesteeier/ressurs/{RESOURCE}/legg-til"), &so, &[("member", ORG)]).await.0,
        303
    );
    app.screenshot("nb-onboard-07-access-list").await;

    // 8. The system, the request, the approval link shown, the approver says yes.
    next(&app, "systemUser", 8).await;
    app.click("[data-testid=register-system]").await;
    app.find_slow("[data-testid=system-id]", 30).await;
    app.click("[data-testid=request-system-user]").await;
    let link = app.find_slow("[data-testid=approval-link]", 30).await.text().await.unwrap();
    assert!(link.contains("/accessmanagement/ui/systemuser/request?id="), "{link}");
    crate::scroll_main(&app, true).await;
    app.screenshot("nb-onboard-08-system-user-request").await;
    let id = link.split("id=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    let answer = [("id", id.as_str()), ("approver", "dagl"), ("answer", "approve")];
    assert_eq!(web.post("/accessmanagement/ui/systemuser/request/answer", "", &answer).await.0, 303);
    app.click("[data-testid=check-system-user]").await;
    app.wait_for_text("[data-testid=wizard-status]", "Godkjent").await;
    app.screenshot("nb-onboard-08-system-user-approved").await;

    // 9. The connection test passes, through the system user.
    next(&app, "test", 9).await;
    app.click("[data-testid=run-test]").await;
    let report = app.find_slow("[data-testid=test-report]", 60).await;
    assert_eq!(report.attr("data-ok").await.unwrap().as_deref(), Some("true"), "{}", report.text().await.unwrap());
    app.screenshot("nb-onboard-09-test").await;

    next(&app, "done", 10).await;
    app.wait_for_text("[data-testid=summary]", "310 000 108").await;
    app.wait_for_text("[data-testid=summary]", RESOURCE).await;
    app.screenshot("nb-onboard-10-done").await;
    // The webview's localStorage outlives the app's data folder: leave the
    // wizard where a first start expects it, for the tests that run after this one.
    app.click("[data-testid=wizard-step-environment]").await;
    app.find("[data-testid=wizard-environment]").await;
    app.quit().await;
}
