//! What the onboarding walks share (issue 12): the rehearsal organisations and
//! services, the user's browser on the sandbox's pages (the service desk and
//! Digdir, Samarbeidsportalen, the service owner, the approver), the locale
//! files the window's texts are asserted against, and moving through the wizard.

use crate::harness::App;

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

/// A wizard field filled in and saved: types `text` into `field`, presses
/// `save`, waits for the wizard's "Saved." in the page's language, then
/// takes screenshot `shot`.
pub async fn fill_and_save(app: &App, l: &Locale, field: &str, text: &str, save: &str, shot: &str) {
    app.type_into(field, text).await;
    app.click(save).await;
    app.wait_for_text("[data-testid=wizard-status]", &l.t("wizard.savedStep", &[])).await;
    app.screenshot(shot).await;
}

pub async fn value(app: &App, css: &str) -> String {
    app.find(css).await.prop("value").await.unwrap().unwrap_or_default()
}
