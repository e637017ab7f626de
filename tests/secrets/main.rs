//! Secret hygiene (issue 7). A full run, sending and receiving with an API
//! key configured and logging at debug level, then a search of every file the
//! run wrote (data folders, profiles, history databases, logs, received files,
//! the sandbox's data and new temporary files) and of everything the UI would
//! have been given, for the private keys, the tokens and the API key: zero hits.
//! And a guard that every `#[tauri::command]` returns only types this run
//! serialised and scanned.

#![allow(clippy::unwrap_used)] // a test (or the benchmark) that cannot go on fails at once

use budbringer_core::altinn::{connection_test, profile, setup, AltinnClient, ProfileStore};
use budbringer_core::environment::Environment;
use budbringer_core::secrets::{MemorySecretStore, SecretStore};
use budbringer_core::store::Store;
use budbringer_core::transfers::broker::Broker;
use budbringer_core::transfers::engine::SendQueue;
use budbringer_core::transfers::inbox::Inbox;
use budbringer_core::transfers::send::{Phase, SendRequest, UploadSettings};
use budbringer_core::transfers::validate::OrgNumber;
use budbringer_sandbox::{Sandbox, SandboxConfig, PRACTICE_ORG_A, PRACTICE_ORG_B, PRACTICE_RESOURCE};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

struct Party {
    secrets: Arc<MemorySecretStore>,
    profiles: ProfileStore,
    client: AltinnClient,
    data: PathBuf,
}

fn party(sandbox: &budbringer_sandbox::SandboxHandle, org: &str, data: PathBuf, api_key: &str, ui: &Ui) -> Party {
    std::fs::create_dir_all(&data).unwrap();
    let secrets = Arc::new(MemorySecretStore::new());
    let profiles = ProfileStore::open(&data);
    let p = budbringer_runtime::practice::provision(&sandbox.admin(), org, secrets.as_ref()).unwrap();
    profiles.save(p).unwrap();
    // What the Settings page does: the API key goes to the secret store, the UI gets a bool.
    ui.push(&setup::set_api_key(&profiles, secrets.as_ref(), Environment::Sandbox, Some(api_key)).unwrap());
    ui.push(&setup::key_info(&profiles.get(Environment::Sandbox), secrets.as_ref()).unwrap());
    ui.push(&profiles.all());
    let endpoints = Environment::Sandbox.endpoints(Some(&sandbox.base_url())).unwrap();
    ui.push(&endpoints);
    let client = AltinnClient::new(profiles.get(Environment::Sandbox), endpoints, secrets.clone()).unwrap();
    assert!(client.has_api_key());
    Party { secrets, profiles, client, data }
}

/// Everything that would have crossed to the UI, as JSON text.
#[derive(Default, Clone)]
struct Ui(Arc<Mutex<Vec<String>>>);

impl Ui {
    fn push<T: serde::Serialize>(&self, v: &T) {
        self.0.lock().unwrap().push(serde_json::to_string(v).unwrap());
    }
}

fn make_file(path: &Path, len: usize) {
    let data: Vec<u8> = (0..len).map(|i| (i as u32).wrapping_mul(2654435761).to_le_bytes()[1]).collect();
    std::fs::write(path, data).unwrap();
}

/// The strings that must never appear: the key's PEM and its base64 body
/// (whole and line by line), the private JWK members, tokens, the API key.
fn needles(p: &Party, api_key: &str, tokens: &[String]) -> Vec<(String, String)> {
    let mut out = vec![("api key".to_owned(), api_key.to_owned())];
    let pem = p.secrets.get(&profile::private_key_secret(Environment::Sandbox)).unwrap().expect("a private key");
    let pem = pem.expose().to_owned();
    let body: Vec<&str> = pem.lines().filter(|l| !l.starts_with("-----") && !l.trim().is_empty()).collect();
    out.push(("private key body".into(), body.concat()));
    for (i, l) in body.iter().enumerate().filter(|(_, l)| l.len() >= 40) {
        out.push((format!("private key PEM line {i}"), l.to_string()));
    }
    out.push(("private key PEM".into(), pem.clone()));
    // The private exponent and primes as a JWK export would write them.
    use base64::Engine;
    use rsa::traits::PrivateKeyParts;
    let key = budbringer_core::altinn::keys::from_stored_pem(&budbringer_core::secrets::Secret::new(pem)).unwrap();
    let b = |x: &rsa::BigUint| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(x.to_bytes_be());
    out.push(("private exponent (JWK d)".into(), b(key.d())));
    for (i, pr) in key.primes().iter().enumerate() {
        out.push((format!("prime {i} (JWK p/q)"), b(pr)));
    }
    for (i, t) in tokens.iter().enumerate() {
        assert!(t.len() > 100, "a real token");
        out.push((format!("token {i}"), t.clone()));
        // A token's signature alone is as good as the token for a grep.
        out.push((format!("token {i} signature"), t.rsplit('.').next().unwrap().to_owned()));
    }
    out
}

fn walk(dir: &Path, since: SystemTime, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let Ok(ft) = e.file_type() else { continue };
        let p = e.path();
        if ft.is_dir() {
            walk(&p, since, out);
        } else if ft.is_file() {
            let fresh = e.metadata().and_then(|m| m.modified()).map(|m| m >= since).unwrap_or(false);
            if fresh {
                out.push(p);
            }
        }
    }
}

fn hits(files: &[PathBuf], needles: &[(String, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for f in files {
        let Ok(bytes) = std::fs::read(f) else { continue };
        let text = String::from_utf8_lossy(&bytes);
        for (what, n) in needles {
            if memchr::memmem::find(&bytes, n.as_bytes()).is_some() || text.contains(n.as_str()) {
                found.push(format!("{what} in {}", f.display()));
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_a_file_a_log_or_the_ui() {
    let start = SystemTime::now() - std::time::Duration::from_secs(1);
    let run = tempfile::tempdir().unwrap();
    let root = run.path();
    // Debug logging, as a user asked to send logs to support would have it.
    std::env::set_var("RUST_LOG", "debug,hyper=debug,reqwest=debug");
    let logs = root.join("logs");
    let guard = budbringer_core::logging::init(&logs);
    let ui = Ui::default();

    let sandbox = Sandbox::start(SandboxConfig::practice(), root.join("sandbox")).await.unwrap();
    let api_key = format!("apim-{}", uuid::Uuid::new_v4().simple());
    let admin = sandbox.admin();
    let mut s = admin.settings();
    s.api_key = Some(api_key.clone());
    s.search_rate_limit_per_minute = 0;
    admin.set_settings(s);

    let a = party(&sandbox, PRACTICE_ORG_A, root.join("data-a"), &api_key, &ui);
    let b = party(&sandbox, PRACTICE_ORG_B, root.join("data-b"), &api_key, &ui);
    // The connection test (its own client: it fetches tokens in several modes).
    let ct = AltinnClient::new(
        a.profiles.get(Environment::Sandbox),
        Environment::Sandbox.endpoints(Some(&sandbox.base_url())).unwrap(),
        a.secrets.clone(),
    )
    .unwrap();
    ui.push(&connection_test::run(&ct).await);

    // A sends two files: one in one request, one over TUS.
    let files = root.join("ut");
    std::fs::create_dir_all(&files).unwrap();
    let small = files.join("notat.txt");
    make_file(&small, 20_000);
    let big = files.join("arkiv.bin");
    make_file(&big, 9 * 1024 * 1024);
    let (store_a, _) = Store::open(&a.data).unwrap();
    let broker_a = Broker::new(a.client.clone());
    let events = ui.clone();
    let settings = UploadSettings {
        tus_threshold: 1024 * 1024,
        chunk_size: 8 * 1024 * 1024,
        max_attempts: 4,
        ..Default::default()
    };
    let q = SendQueue::new(
        store_a,
        Arc::new(move |_, _: &str| Ok(broker_a.clone())),
        settings,
        2,
        Arc::new(move |u| events.push(&u)),
    );
    let sender = OrgNumber::parse(PRACTICE_ORG_A).unwrap();
    for f in [&small, &big] {
        let req = SendRequest {
            path: f.clone(),
            resource_id: PRACTICE_RESOURCE.into(),
            recipients: vec![PRACTICE_ORG_B.into()],
            properties: BTreeMap::from([("saksnummer".to_owned(), "2026/7".to_owned())]),
            reference: None,
        };
        ui.push(&q.enqueue(&req, Environment::Sandbox, &sender, None).unwrap());
    }
    q.idle().await;
    let jobs = q.list().unwrap();
    ui.push(&jobs);
    assert!(jobs.iter().all(|j| j.phase == Phase::Published), "{jobs:?}");

    // B receives them with auto-save (saved, verified, then confirmed).
    let (store_b, _) = Store::open(&b.data).unwrap();
    let inbox = Inbox::new(store_b, Environment::Sandbox, PRACTICE_ORG_B);
    let received = root.join("mottatt");
    let report =
        inbox.refresh(&Broker::new(b.client.clone()), &[PRACTICE_RESOURCE.to_owned()], Some(&received)).await.unwrap();
    assert_eq!(report.auto_saved.len(), 2, "{report:?}");
    ui.push(&report);
    ui.push(&inbox.list().unwrap());
    ui.push(&budbringer_core::settings::Settings::default());
    // A failure, as the UI would see it (errors carry details: they must not carry secrets).
    let bad = Broker::new(
        AltinnClient::new(
            {
                let mut p = a.profiles.get(Environment::Sandbox);
                p.kid = Some("wrong".into());
                p
            },
            Environment::Sandbox.endpoints(Some(&sandbox.base_url())).unwrap(),
            a.secrets.clone(),
        )
        .unwrap(),
    );
    let e = bad
        .search(&budbringer_core::transfers::broker::Search {
            resource_id: PRACTICE_RESOURCE.into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    ui.push(&e.error);

    // The tokens used in the run (cached: the same ones that went over the wire).
    let tokens: Vec<String> = vec![
        a.client.broker_token().await.unwrap().expose().to_owned(),
        b.client.broker_token().await.unwrap().expose().to_owned(),
    ];
    assert_eq!(a.client.grants_signed(), 1, "the token was not replaced during the run");
    tracing::debug!("end of run");
    drop(guard); // flush the log writer

    let mut needles = needles(&a, &api_key, &tokens);
    needles.extend(needles_b(&b));

    // Every file this run wrote: its own folders and new temporary files.
    let mut written = Vec::new();
    walk(root, start, &mut written);
    let tmp = std::env::temp_dir();
    walk(&tmp, start, &mut written);
    written.sort();
    written.dedup();
    let logs_written: Vec<_> = written.iter().filter(|p| p.starts_with(&logs)).collect();
    assert!(!logs_written.is_empty(), "the run wrote a log");
    let log_len: u64 = logs_written.iter().map(|p| std::fs::metadata(p).unwrap().len()).sum();
    assert!(log_len > 1000, "the log has content ({log_len} bytes)");
    for must in ["profiles.json", "state.json"] {
        assert!(written.iter().any(|p| p.ends_with(must)), "{must} was scanned");
    }

    // The scanner finds what it looks for (a planted copy), so zero hits mean something.
    let plant = root.join("plant.txt");
    std::fs::write(&plant, format!("x{}y", tokens[0])).unwrap();
    assert_eq!(hits(std::slice::from_ref(&plant), &needles).len(), 2, "the scan sees a planted token");
    std::fs::remove_file(&plant).unwrap();

    // The sandbox plays the API gateway, so its own state.json holds the API
    // key it checks against (as Azure API Management does): that one file is
    // exempt for the API key only. Tokens and private keys are not exempt anywhere.
    let server_state = root.join("sandbox").join("state.json");
    let found: Vec<String> = hits(&written, &needles)
        .into_iter()
        .filter(|h| *h != format!("api key in {}", server_state.display()))
        .collect();
    assert!(found.is_empty(), "secrets on disk:\n{}", found.join("\n"));

    let ui_text = ui.0.lock().unwrap().join("\n");
    let mut leaked: Vec<_> =
        needles.iter().filter(|(_, n)| ui_text.contains(n.as_str())).map(|(w, _)| w.clone()).collect();
    if ui_text.contains("PRIVATE KEY") {
        leaked.push("a PEM private key header".into());
    }
    assert!(leaked.is_empty(), "secrets in what the UI is given: {leaked:?}");
    assert!(ui_text.contains("BEGIN PUBLIC KEY"), "the UI output includes the public key (the scan covered KeyInfo)");
    eprintln!(
        "scanned {} files ({} log bytes) and {} UI payloads for {} secret strings: 0 hits",
        written.len(),
        log_len,
        ui.0.lock().unwrap().len(),
        needles.len()
    );
}

fn needles_b(b: &Party) -> Vec<(String, String)> {
    let pem = b.secrets.get(&profile::private_key_secret(Environment::Sandbox)).unwrap().unwrap();
    pem.expose()
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 40)
        .enumerate()
        .map(|(i, l)| (format!("B's private key PEM line {i}"), l.to_owned()))
        .collect()
}

/// What each command returns is scanned by calling every command through the
/// window's IPC (`src-tauri/secrets_scan.rs`, `cargo test -p budbringer --lib
/// secrets_scan`), not by a list of type names here. This keeps the one check
/// that reads a type: KeyInfo, which the UI gets, has no private half.
#[test]
fn key_info_has_no_private_field() {
    // The types that could hold a key (KeyInfo, ProfileView) expose the public half only.
    let setup_src =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../src-tauri/core/src/altinn/setup.rs"))
            .unwrap();
    let key_info = setup_src.split("pub struct KeyInfo").nth(1).unwrap().split('}').next().unwrap();
    assert!(!key_info.contains("Secret") && !key_info.contains("private"), "KeyInfo has no private field:\n{key_info}");
}
