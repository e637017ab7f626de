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
use std::time::Instant;

/// Rehearsal organisations of the sandbox: nothing set up in advance.
pub const ORG_A: &str = "310000108";
pub const ORG_B: &str = "310000116";
pub const SERVICE_OWNER: &str = "310000191";
pub const RESOURCE: &str = "ovelse-rapportering";
/// The service organisation B adds after its system user is approved.
pub const LATER: &str = "ovelse-vedlegg";
pub const BROKER_SCOPES: [&str; 2] = ["altinn:broker.write", "altinn:broker.read"];
pub const VENDOR_SCOPES: [&str; 3] = [
    "altinn:authentication/systemregister.write",
    "altinn:authentication/systemuser.request.write",
    "altinn:authentication/systemuser.request.read",
];

/// The user's web browser on the sandbox's pages.
pub struct Browser {
    pub base: String,
    http: reqwest::Client,
}

impl Browser {
    /// The browser for the sandbox whose address the first wizard step shows.
    pub async fn of(app: &App) -> Browser {
        let text = app.text("[data-testid=sandbox-url]").await;
        let base =
            text.split_whitespace().find(|w| w.starts_with("http://127.0.0.1:")).expect("sandbox URL").to_owned();
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Browser { base, http }
    }

    /// A form post to a sandbox page with a cookie; answers status and `Location`.
    pub async fn post(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> (u16, String) {
        let r =
            self.http.post(format!("{}{path}", self.base)).header("cookie", cookie).form(form).send().await.unwrap();
        let loc = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        (r.status().as_u16(), loc)
    }

    /// A form post whose answer is a page: status and the page's text.
    pub async fn post_page(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let r = self.http.post(format!("{}{path}", self.base)).form(form).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// The service desk grants Broker's scopes to `org`.
    pub async fn desk_grants(&self, org: &str, scopes: &[&str]) {
        let mut grant = vec![("org", org)];
        grant.extend(scopes.iter().map(|s| ("scope", *s)));
        assert_eq!(self.post("/sandbox/brukerservice/scopes", "", &grant).await.0, 303);
    }

    /// Digdir registers `org` as an end-user-system vendor (terms accepted).
    pub async fn digdir_registers_vendor(&self, org: &str) {
        assert_eq!(self.post("/sandbox/brukerservice/leverandor", "", &[("org", org), ("terms", "yes")]).await.0, 303);
    }

    /// Samarbeidsportalen: accept the terms, make a client asking for every
    /// scope (only granted ones are kept), paste the public JWK. The client id.
    pub async fn make_client(&self, org: &str, jwk: &str) -> String {
        let me = format!("sb_org={org}");
        self.post("/sandbox/samarbeid/terms", &me, &[("accept", "yes")]).await;
        let mut form = vec![("name", "Budbringer"), ("description", "Formidling")];
        form.extend(BROKER_SCOPES.iter().chain(VENDOR_SCOPES.iter()).map(|s| ("scope", *s)));
        let (status, loc) = self.post("/sandbox/samarbeid/ny", &me, &form).await;
        assert_eq!(status, 303, "{loc}");
        let client_id = loc.trim_start_matches("/sandbox/samarbeid/klient/").split('?').next().unwrap().to_owned();
        let (status, loc) =
            self.post(&format!("/sandbox/samarbeid/klient/{client_id}/nokkel"), &me, &[("key", jwk)]).await;
        assert_eq!(status, 303, "{loc}");
        client_id
    }

    /// Samarbeidsportalen: add `scopes` to the client.
    pub async fn add_scopes(&self, org: &str, client_id: &str, scopes: &[&str]) {
        let form: Vec<(&str, &str)> = scopes.iter().map(|s| ("scope", *s)).collect();
        self.post(&format!("/sandbox/samarbeid/klient/{client_id}/scope"), &format!("sb_org={org}"), &form).await;
    }

    /// The service owner puts `org` on `resource`'s access list.
    pub async fn owner_adds(&self, resource: &str, org: &str) {
        let so = format!("sb_so={SERVICE_OWNER}");
        assert_eq!(
            self.post(&format!("/sandbox/tjenesteeier/ressurs/{resource}/legg-til"), &so, &[("member", org)]).await.0,
            303
        );
    }

    /// The daglig leder answers a system-user request (or, with `change`, a
    /// change request) on the approval page: the status (303 = done) and the page.
    pub async fn approver_answers(&self, link: &str, answer: &str) -> (u16, String) {
        let id = link.split("id=").nth(1).unwrap().split('&').next().unwrap().to_owned();
        let path = if link.contains("/changerequest") {
            "/accessmanagement/ui/systemuser/changerequest/answer"
        } else {
            "/accessmanagement/ui/systemuser/request/answer"
        };
        self.post_page(path, &[("id", id.as_str()), ("approver", "dagl"), ("answer", answer)]).await
    }
}

/// A locale file of the UI, to assert what the window shows by its text.
pub struct Locale(serde_json::Value);

impl Locale {
    pub fn load(lang: &str) -> Locale {
        let path = format!("{}/ui/src/locales/{lang}.json", env!("CARGO_MANIFEST_DIR"));
        Locale(serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
    }

    /// The text at a dotted key, with `{name}` placeholders filled in.
    pub fn t(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut v = &self.0;
        for part in key.split('.') {
            v = &v[part];
        }
        let mut s = v.as_str().unwrap_or_else(|| panic!("no text {key}")).to_owned();
        for (k, x) in args {
            s = s.replace(&format!("{{{k}}}"), x);
        }
        s
    }
}

/// The next wizard step, `n` of 10, in the window's language.
pub async fn next(app: &App, l: &Locale, step: &str, n: usize) {
    app.click("[data-testid=wizard-next]").await;
    app.find(&format!("[data-testid=wizard-{step}]")).await;
    app.wait_for_text("#step-heading", &l.t("wizard.stepOf", &[("n", &n.to_string()), ("total", "10")])).await;
}

pub async fn value(app: &App, css: &str) -> String {
    app.find(css).await.prop("value").await.unwrap().unwrap_or_default()
}

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
    app.type_into("[data-testid=org]", ORG_A).await;
    app.click("[data-testid=org-save]").await;
    app.wait_for_text("[data-testid=wizard-status]", "Lagret").await;
    app.screenshot("nb-onboard-04-organisation").await;

    // 5. The key, and the client in (the sandbox's) Samarbeidsportalen with the public JWK.
    next(app, &l, "client", 5).await;
    app.click("[data-testid=generate-key]").await;
    app.find_slow("[data-testid=public-key]", 60).await;
    let jwk = value(app, "#jwk").await;
    assert!(jwk.contains("\"kid\""), "{jwk}");
    let client_id = web.make_client(ORG_A, &jwk).await;
    web.add_scopes(ORG_A, &client_id, &BROKER_SCOPES).await;
    web.add_scopes(ORG_A, &client_id, &VENDOR_SCOPES).await;
    app.type_into("[data-testid=client-id]", &client_id).await;
    app.click("[data-testid=client-save]").await;
    app.wait_for_text("[data-testid=wizard-status]", "Lagret").await;
    app.screenshot("nb-onboard-05-client").await;

    // 6. The service, before the system is registered.
    next(app, &l, "resource", 6).await;
    app.type_into("[data-testid=resources]", RESOURCE).await;
    app.click("[data-testid=resources-save]").await;
    app.wait_for_text("[data-testid=wizard-status]", "Lagret").await;
    app.screenshot("nb-onboard-06-resource").await;

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
