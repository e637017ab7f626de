//! Issue 12: the rehearsal (realistic) mode, walked over HTTP as a new
//! organisation would in TT02: nothing is provisioned. The service desk and
//! Digdir grant scopes, Samarbeidsportalen makes the client and takes the
//! public key, the approval page refuses until the service owner has put the
//! organisation on the resource's access list, and only then does Broker let
//! the system user in. Each missing prerequisite gives the error the real
//! services give, mapped to advice that names the step.

use budbringer_core::altinn::keys;
use budbringer_core::altinn::profile::{self, Profile, ProfileStore, Role};
use budbringer_core::altinn::{services, setup, AltinnClient};
use budbringer_core::environment::Environment;
use budbringer_core::error::ErrorCode;
use budbringer_core::secrets::{MemorySecretStore, SecretStore};
use budbringer_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use std::sync::Arc;

use crate::common::key;

const ORG: &str = "310000108";
const SERVICE_OWNER: &str = "310000191";
const RESOURCE: &str = "ovelse-rapportering";

struct Rehearsal {
    sb: SandboxHandle,
    dir: tempfile::TempDir,
    http: reqwest::Client,
    secrets: Arc<MemorySecretStore>,
    kid: String,
}

impl Rehearsal {
    async fn start() -> Rehearsal {
        let dir = tempfile::tempdir().unwrap();
        let sb = Sandbox::start(SandboxConfig::practice(), dir.path().join("sandbox")).await.unwrap();
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let secrets = Arc::new(MemorySecretStore::new());
        secrets
            .set(&profile::private_key_secret(Environment::Sandbox), &keys::private_pkcs8_pem(key()).unwrap())
            .unwrap();
        let kid = keys::make_kid(ORG, Environment::Sandbox, time::OffsetDateTime::now_utc());
        Rehearsal { sb, dir, http, secrets, kid }
    }

    /// A form post to a sandbox page, as the browser sends it, with a cookie.
    async fn post(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.sb.base_url()))
            .header("cookie", cookie)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    fn location(r: &reqwest::Response) -> String {
        r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    }

    /// Samarbeidsportalen: accept the terms, make a client asking for
    /// `scopes`, paste the public JWK. Returns the client id.
    async fn make_client(&self, scopes: &[&str]) -> String {
        let me = format!("sb_org={ORG}");
        self.post("/sandbox/samarbeid/terms", &me, &[("accept", "yes")]).await;
        let mut form = vec![("name", "Budbringer"), ("description", "Formidling")];
        form.extend(scopes.iter().map(|s| ("scope", *s)));
        let r = self.post("/sandbox/samarbeid/ny", &me, &form).await;
        assert_eq!(r.status(), 303);
        let loc = Self::location(&r);
        let id = loc.trim_start_matches("/sandbox/samarbeid/klient/").split('?').next().unwrap().to_owned();
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{loc}");
        let jwk = serde_json::to_string(&keys::public_jwk(key(), &self.kid)).unwrap();
        let r = self.post(&format!("/sandbox/samarbeid/klient/{id}/nokkel"), &me, &[("key", &jwk)]).await;
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
        id
    }

    async fn add_scopes(&self, client_id: &str, scopes: &[&str]) {
        let form: Vec<(&str, &str)> = scopes.iter().map(|s| ("scope", *s)).collect();
        self.post(&format!("/sandbox/samarbeid/klient/{client_id}/scope"), &format!("sb_org={ORG}"), &form).await;
    }

    /// The Altinn service desk grants Broker's scopes.
    async fn grant_broker(&self, scopes: &[&str]) {
        let mut form = vec![("org", ORG)];
        form.extend(scopes.iter().map(|s| ("scope", *s)));
        assert_eq!(self.post("/sandbox/brukerservice/scopes", "", &form).await.status(), 303);
    }

    /// Digdir registers the organisation as an end-user-system vendor.
    async fn register_vendor(&self) {
        let r = self.post("/sandbox/brukerservice/leverandor", "", &[("org", ORG), ("terms", "yes")]).await;
        assert_eq!(r.status(), 303);
    }

    /// The approval page's answer: the HTML shown (a refusal) or the redirect.
    async fn answer(&self, request_id: &str, what: &str) -> (u16, String) {
        let r = self
            .post(
                "/accessmanagement/ui/systemuser/request/answer",
                "",
                &[("id", request_id), ("approver", "dagl"), ("answer", what)],
            )
            .await;
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    }

    async fn answer_change(&self, id: &str, what: &str) -> (u16, String) {
        let r = self
            .post(
                "/accessmanagement/ui/systemuser/changerequest/answer",
                "",
                &[("id", id), ("approver", "dagl"), ("answer", what)],
            )
            .await;
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    }

    fn store(&self, client_id: &str) -> ProfileStore {
        let store = ProfileStore::open(self.dir.path());
        let mut p = Profile::new(Environment::Sandbox);
        p.org_number = ORG.into();
        p.client_id = client_id.into();
        p.kid = Some(self.kid.clone());
        p.key_source = Some(profile::KeySource::Generated);
        p.resource_ids = vec![RESOURCE.into()];
        p.apply_edit(&profile::ProfileEdit { role: Some(Role::Both), ..Default::default() });
        store.save(p).unwrap();
        store
    }

    fn client(&self, store: &ProfileStore) -> AltinnClient {
        let ep = Environment::Sandbox.endpoints(Some(&self.sb.base_url())).unwrap();
        AltinnClient::new(store.get(Environment::Sandbox), ep, self.secrets.clone()).unwrap()
    }
}

/// The whole path, in the order the real services demand it, with each
/// missing prerequisite met by its own error first.
#[tokio::test]
async fn a_rehearsal_organisation_walks_the_whole_onboarding() {
    let r = Rehearsal::start().await;
    // Nothing granted yet: Samarbeidsportalen offers no scope, so the client has none.
    let client_id = r.make_client(&["altinn:broker.write", "altinn:broker.read"]).await;
    let store = r.store(&client_id);
    let e = setup::connection_test(&store, &r.client(&store)).await.unwrap();
    assert!(!e.ok);
    let token = e.steps.iter().find_map(|s| s.error.as_ref()).unwrap();
    assert_eq!(token.code, ErrorCode::ScopeNotGranted, "{token:?}");

    // The service desk grants Broker; the scopes can now be added.
    r.grant_broker(&["altinn:broker.write", "altinn:broker.read"]).await;
    r.add_scopes(&client_id, &["altinn:broker.write", "altinn:broker.read"]).await;
    // The system register still needs Digdir's vendor registration.
    let e = setup::register_system(&store, &r.client(&store), None).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::SystemScopesNotGranted, "{e:?}");
    r.register_vendor().await;
    r.add_scopes(
        &client_id,
        &[
            "altinn:authentication/systemregister.write",
            "altinn:authentication/systemuser.request.write",
            "altinn:authentication/systemuser.request.read",
        ],
    )
    .await;
    setup::register_system(&store, &r.client(&store), None).await.unwrap();
    let req = setup::request_system_user(&store, &r.client(&store), None).await.unwrap();
    assert!(req.confirm_url.as_deref().unwrap_or("").contains("/accessmanagement/ui/systemuser/request?id="));

    // A plain token is not enough for a rehearsal organisation: Broker wants the system user.
    let report = setup::connection_test(&store, &r.client(&store)).await.unwrap();
    assert!(!report.ok, "{report:#?}");

    // The approver cannot delegate the resource before the access list has the organisation (AUTH-00069).
    let (status, page) = r.answer(&req.id, "approve").await;
    assert_eq!(status, 200);
    assert!(page.contains("tilgangsliste"), "{page}");
    let st = setup::refresh_system_user(&store, &r.client(&store)).await.unwrap();
    assert_eq!(st.request.unwrap().status, "New");
    assert!(st.system_user_id.is_none());

    // The service owner puts the organisation on the list; now the approval goes through.
    let so = format!("sb_so={SERVICE_OWNER}");
    let add = r.post(&format!("/sandbox/tjenesteeier/ressurs/{RESOURCE}/legg-til"), &so, &[("member", ORG)]).await;
    assert_eq!(add.status(), 303);
    let (status, _) = r.answer(&req.id, "approve").await;
    assert_eq!(status, 303);
    let st = setup::refresh_system_user(&store, &r.client(&store)).await.unwrap();
    assert!(st.system_user_id.is_some(), "{st:?}");
    let report = setup::connection_test(&store, &r.client(&store)).await.unwrap();
    assert!(report.ok, "{report:#?}");

    // A service added later: the system's rights are updated and a change
    // request is sent; the new service is refused until the change is
    // approved, and the approval again needs the access list.
    const LATER: &str = "ovelse-vedlegg";
    let change =
        services::set_services(&store, Some(&r.client(&store)), Environment::Sandbox, &[RESOURCE.into(), LATER.into()])
            .await
            .unwrap()
            .expect("a change request");
    assert_eq!(change.add, vec![LATER.to_string()]);
    assert!(change.confirm_url.as_deref().unwrap_or("").contains("/accessmanagement/ui/systemuser/changerequest?id="));
    assert!(search(&r.client(&store), LATER).await.is_err());
    let (status, page) = r.answer_change(&change.id, "approve").await;
    assert_eq!(status, 200);
    assert!(page.contains("tilgangsliste"), "{page}");
    let add = r.post(&format!("/sandbox/tjenesteeier/ressurs/{LATER}/legg-til"), &so, &[("member", ORG)]).await;
    assert_eq!(add.status(), 303);
    let (status, _) = r.answer_change(&change.id, "approve").await;
    assert_eq!(status, 303);
    assert!(services::refresh_change(&store, &r.client(&store)).await.unwrap().is_none());
    assert!(store.get(Environment::Sandbox).system_user.rights.contains(&LATER.to_string()));
    search(&r.client(&store), LATER).await.unwrap();
}

/// A Broker search on `resource` as the profile's system user.
async fn search(client: &AltinnClient, resource: &str) -> Result<reqwest::Response, budbringer_core::error::AppError> {
    let url = format!("{}/filetransfer", client.broker_base());
    client.send_broker(|h| h.get(&url).query(&[("resourceId", resource)])).await
}

/// A rejected request reads Rejected and maps to the advice to ask again.
#[tokio::test]
async fn a_rejected_request_is_named() {
    let r = Rehearsal::start().await;
    r.grant_broker(&["altinn:broker.write", "altinn:broker.read"]).await;
    r.register_vendor().await;
    let client_id = r
        .make_client(&[
            "altinn:broker.write",
            "altinn:broker.read",
            "altinn:authentication/systemregister.write",
            "altinn:authentication/systemuser.request.write",
            "altinn:authentication/systemuser.request.read",
        ])
        .await;
    let store = r.store(&client_id);
    setup::register_system(&store, &r.client(&store), None).await.unwrap();
    let req = setup::request_system_user(&store, &r.client(&store), None).await.unwrap();
    let (status, _) = r.answer(&req.id, "reject").await;
    assert_eq!(status, 303);
    let st = setup::refresh_system_user(&store, &r.client(&store)).await.unwrap();
    assert_eq!(st.error.map(|e| e.code), Some(ErrorCode::SystemUserRequestRejected));
    let _ = &r.sb;
}
