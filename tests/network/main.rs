//! The network rules (core/src/network.rs, docs/SECURITY.md "The network"),
//! against the sandbox and small loopback servers: redirects to another host
//! carry no credentials, Test and Production are HTTPS only, answers read
//! whole are capped, and a proxy (manual, or the system's) sees every call.

#![allow(clippy::unwrap_used)] // a test that cannot go on fails at once

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use budbringer_core::altinn::{setup, AltinnClient, ProfileStore};
use budbringer_core::environment::{Endpoints, Environment};
use budbringer_core::error::ErrorCode;
use budbringer_core::network::{ProxyMode, ProxySettings, PROXY_PASSWORD_SECRET};
use budbringer_core::secrets::{MemorySecretStore, Secret, SecretStore};
use budbringer_sandbox::{Sandbox, SandboxConfig, SandboxHandle, PRACTICE_ORG_A, PRACTICE_RESOURCE};
use std::sync::{Arc, Mutex};

const API_KEY: &str = "apim-network-test-0123456789abcdef";

struct World {
    sandbox: SandboxHandle,
    secrets: Arc<MemorySecretStore>,
    profiles: ProfileStore,
    _dir: tempfile::TempDir,
}

/// The sandbox, acting as API gateway with [`API_KEY`], and organisation A set up with that key.
async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(SandboxConfig::practice(), dir.path().join("sandbox")).await.unwrap();
    let admin = sandbox.admin();
    let mut s = admin.settings();
    s.api_key = Some(API_KEY.into());
    s.search_rate_limit_per_minute = 0;
    admin.set_settings(s);
    let secrets = Arc::new(MemorySecretStore::new());
    let profiles = ProfileStore::open(dir.path());
    profiles.save(budbringer_runtime::practice::provision(&admin, PRACTICE_ORG_A, secrets.as_ref()).unwrap()).unwrap();
    setup::set_api_key(&profiles, secrets.as_ref(), Environment::Sandbox, Some(API_KEY)).unwrap();
    World { sandbox, secrets, profiles, _dir: dir }
}

impl World {
    fn endpoints(&self) -> Endpoints {
        Environment::Sandbox.endpoints(Some(&self.sandbox.base_url())).unwrap()
    }

    fn client(&self, endpoints: Endpoints, proxy: &ProxySettings) -> AltinnClient {
        AltinnClient::with_proxy(self.profiles.get(Environment::Sandbox), endpoints, self.secrets.clone(), proxy)
            .unwrap()
    }
}

/// What a loopback server saw: each request's method, URI and headers.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<(String, String, HeaderMap)>>>);

impl Seen {
    fn record(&self, req: &Request) {
        self.0.lock().unwrap().push((req.method().to_string(), req.uri().to_string(), req.headers().clone()));
    }
    fn uris(&self) -> Vec<String> {
        self.0.lock().unwrap().iter().map(|(m, u, _)| format!("{m} {u}")).collect()
    }
    fn any_header(&self, name: &str) -> bool {
        self.0.lock().unwrap().iter().any(|(_, _, h)| h.contains_key(name))
    }
}

/// Serves `app` on a free loopback port; returns its base URL.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn broker_search(client: &AltinnClient) -> Result<reqwest::Response, budbringer_core::error::AppError> {
    let url = format!("{}/filetransfer", client.broker_base());
    client.send_broker(|h| h.get(&url).query(&[("resourceId", PRACTICE_RESOURCE)])).await
}

/// A Broker that redirects to another host (another port is another origin):
/// the API key and the token must not arrive there. reqwest's own policy
/// drops `Authorization` but sends `Ocp-Apim-Subscription-Key` on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_another_host_carries_no_credentials() {
    let w = world().await;
    let other = Seen::default();
    let other_url = serve(Router::new().fallback({
        let other = other.clone();
        move |req: Request| {
            other.record(&req);
            async { (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], "[]") }
        }
    }))
    .await;
    let here = Seen::default();
    let here_url = serve(Router::new().fallback({
        let (here, other_url) = (here.clone(), other_url.clone());
        move |req: Request| {
            here.record(&req);
            let path = req.uri().path().to_owned();
            let redirect = |to: String| (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, to)]).into_response();
            let resp = if path.ends_with("/same") {
                // A redirect on the same origin is followed, headers and all.
                redirect(path.replace("/same", "/filetransfer"))
            } else if path.ends_with("/filetransfer") && req.uri().query().is_none_or(|q| !q.contains("elsewhere")) {
                (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], "[]").into_response()
            } else {
                redirect(format!("{other_url}{path}"))
            };
            async move { resp }
        }
    }))
    .await;
    let mut endpoints = w.endpoints();
    endpoints.broker_base = format!("{here_url}/broker/api/v1");
    let client = w.client(endpoints, &ProxySettings::default());

    let url = format!("{}/filetransfer?elsewhere=1", client.broker_base());
    let err = client.send_broker(|h| h.get(&url)).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Network, "{err:?}");
    assert!(err.detail.as_deref().unwrap_or_default().contains("redirect"), "{err:?}");
    assert!(other.uris().is_empty(), "the other host was called: {:?}", other.uris());
    assert!(!other.any_header("ocp-apim-subscription-key") && !other.any_header("authorization"));
    assert!(here.any_header("ocp-apim-subscription-key"), "the test sent the API key to Broker");

    let same = format!("{}/same", client.broker_base());
    let resp = client.send_broker(|h| h.get(&same)).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(here.uris().iter().any(|u| u.ends_with("/broker/api/v1/filetransfer")), "{:?}", here.uris());
}

/// Test and Production are reached over HTTPS only: a client for them with
/// plain-HTTP addresses is refused before anything is sent.
#[tokio::test]
async fn test_and_production_refuse_plain_http() {
    let w = world().await;
    for env in [Environment::Tt02, Environment::Production] {
        let mut profile = w.profiles.get(Environment::Sandbox);
        profile.environment = env;
        let err = AltinnClient::new(profile.clone(), w.endpoints(), w.secrets.clone()).unwrap_err();
        assert_eq!(err.code, ErrorCode::InsecureUrl, "{env:?}");
        AltinnClient::new(profile, env.endpoints(None).unwrap(), w.secrets.clone()).unwrap();
    }
    // The sandbox is plain HTTP on this computer.
    broker_search(&w.client(w.endpoints(), &ProxySettings::default())).await.unwrap();
}

/// An answer that never ends.
fn endless() -> Body {
    let chunk = Bytes::from(vec![b' '; 64 * 1024]);
    Body::from_stream(futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone())))
}

/// Maskinporten's token, the token exchange and the system register are read
/// whole: each is capped, and an endless answer gets MALFORMED_RESPONSE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_read_whole_are_capped() {
    let w = world().await;
    let fake = serve(Router::new().fallback(|| async { (StatusCode::OK, endless()) })).await;
    // Maskinporten's token endpoint.
    let mut endpoints = w.endpoints();
    endpoints.maskinporten_token = format!("{fake}/token");
    let err = w.client(endpoints, &ProxySettings::default()).broker_token().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::MalformedResponse, "Maskinporten: {err:?}");
    // The exchange and the system register, on a fake platform (tokens from the sandbox).
    let mut endpoints = w.endpoints();
    endpoints.platform_base = fake.clone();
    let mut profile = w.profiles.get(Environment::Sandbox);
    profile.token_mode = budbringer_core::altinn::profile::TokenMode::Exchanged;
    let client = AltinnClient::new(profile, endpoints.clone(), w.secrets.clone()).unwrap();
    let err = client.broker_token().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::MalformedResponse, "exchange: {err:?}");
    let client = w.client(endpoints, &ProxySettings::default());
    let err = client.system_user_request_status("r1").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::MalformedResponse, "system register: {err:?}");
    // An announced length over the cap is refused before reading.
    let big = serve(Router::new().fallback(|| async {
        (
            [(header::CONTENT_LENGTH, "10000000000")],
            Body::from_stream(futures_util::stream::pending::<Result<Bytes, std::io::Error>>()),
        )
    }))
    .await;
    let mut endpoints = w.endpoints();
    endpoints.maskinporten_token = format!("{big}/token");
    let err = w.client(endpoints, &ProxySettings::default()).broker_token().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::MalformedResponse, "{err:?}");
}

/// A forward proxy for plain HTTP on loopback: it records each request and
/// passes it on, and asks for `user`/`pass` when `auth` is set.
async fn proxy(auth: bool) -> (String, Seen) {
    let seen = Seen::default();
    let direct = reqwest::Client::builder().no_proxy().build().unwrap();
    let app = Router::new().fallback(forward).with_state((seen.clone(), direct, auth));
    (serve(app).await, seen)
}

async fn forward(State((seen, direct, auth)): State<(Seen, reqwest::Client, bool)>, req: Request) -> Response {
    seen.record(&req);
    // "user:pass" in Basic.
    let expected = "Basic dXNlcjpwYXNz";
    if auth && req.headers().get(header::PROXY_AUTHORIZATION).and_then(|v| v.to_str().ok()) != Some(expected) {
        return (StatusCode::PROXY_AUTHENTICATION_REQUIRED, [(header::PROXY_AUTHENTICATE, "Basic realm=\"test\"")])
            .into_response();
    }
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let mut out = direct.request(parts.method, parts.uri.to_string()).body(body);
    for (k, v) in parts.headers.iter() {
        if ![header::HOST, header::PROXY_AUTHORIZATION, header::CONNECTION, header::CONTENT_LENGTH].contains(k) {
            out = out.header(k, v);
        }
    }
    let resp = out.send().await.unwrap();
    let mut back = Response::builder().status(resp.status());
    for (k, v) in resp.headers() {
        if ![header::CONNECTION, header::TRANSFER_ENCODING, header::CONTENT_LENGTH].contains(k) {
            back = back.header(k, v);
        }
    }
    back.body(Body::from(resp.bytes().await.unwrap())).unwrap()
}

/// Organisations behind a proxy: the manual setting sends every call (the
/// token and Broker) through it, with its password from the keyring; a
/// wrong password is refused by the proxy; "off" goes straight out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_proxy_sees_every_call() {
    let w = world().await;
    let (url, seen) = proxy(false).await;
    let manual = ProxySettings { mode: ProxyMode::Manual, url: Some(url), ..Default::default() };
    broker_search(&w.client(w.endpoints(), &manual)).await.unwrap();
    let calls = seen.uris();
    assert!(calls.iter().any(|c| c.starts_with("POST ") && c.ends_with("/token")), "{calls:?}");
    assert!(calls.iter().any(|c| c.starts_with("GET ") && c.contains("/broker/api/v1/filetransfer")), "{calls:?}");

    let (url, seen) = proxy(true).await;
    let with_user =
        ProxySettings { mode: ProxyMode::Manual, url: Some(url), username: Some("user".into()), ..Default::default() };
    w.secrets.set(PROXY_PASSWORD_SECRET, &Secret::new("wrong")).unwrap();
    assert!(broker_search(&w.client(w.endpoints(), &with_user)).await.is_err(), "the proxy refused a wrong password");
    w.secrets.set(PROXY_PASSWORD_SECRET, &Secret::new("pass")).unwrap();
    broker_search(&w.client(w.endpoints(), &with_user)).await.unwrap();
    assert!(seen.uris().len() >= 4, "{:?}", seen.uris());

    // No proxy for hosts on the no-proxy list.
    let (url, seen) = proxy(false).await;
    let bypass = ProxySettings {
        mode: ProxyMode::Manual,
        url: Some(url),
        no_proxy: Some("127.0.0.1".into()),
        ..Default::default()
    };
    broker_search(&w.client(w.endpoints(), &bypass)).await.unwrap();
    assert!(seen.uris().is_empty(), "{:?}", seen.uris());
}

/// The operating system's setting, here the environment variables Linux
/// programs read (Windows' and macOS's settings come through reqwest's
/// `system-proxy` feature and cannot be set from a test). Its own process,
/// so the variable reaches no other test's client.
#[test]
fn the_system_proxy_is_honoured_and_off_ignores_it() {
    if std::env::var_os("BUDBRINGER_PROXY_CHILD").is_none() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "the_system_proxy_is_honoured_and_off_ignores_it", "--nocapture"])
            .env("BUDBRINGER_PROXY_CHILD", "1")
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success() && text.contains("1 passed"), "{text}");
        return;
    }
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap().block_on(async {
        let w = world().await;
        let (url, seen) = proxy(false).await;
        std::env::set_var("HTTP_PROXY", &url);
        std::env::remove_var("NO_PROXY");
        std::env::remove_var("no_proxy");
        broker_search(&w.client(w.endpoints(), &ProxySettings::default())).await.unwrap();
        assert!(seen.uris().iter().any(|c| c.contains("/broker/api/v1/filetransfer")), "{:?}", seen.uris());
        let before = seen.uris().len();
        let off = ProxySettings { mode: ProxyMode::Off, ..Default::default() };
        broker_search(&w.client(w.endpoints(), &off)).await.unwrap();
        assert_eq!(seen.uris().len(), before, "off goes straight out");
    });
}
