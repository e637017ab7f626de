//! The secret scan of everything the window receives (issue 15). Every
//! command the window may call is called here, through Tauri's IPC on the
//! mock runtime with the app's own handler list, during a full run in
//! practice mode (set up, send, receive, settings, a proxy with a password,
//! the API key, a key imported from a .p12 with a password); every answer,
//! success or error, and every event on the transfer channel is kept as the
//! JSON the page would get. Then each secret the run held is searched for in
//! that text: the private keys, the tokens (any JWT at all), the API key, the
//! .p12 password and the proxy password. A command added to the handler list
//! fails here until this run calls it. `tests/secrets` does the same for every
//! file and log line the engine writes.

#![allow(clippy::unwrap_used)] // a test that cannot go on fails at once

use crate::app::{command_names, handler, with_commands};
use crate::services::{self, events::Watchers, picked::Picked};
use budbringer_core::altinn::profile::private_key_secret;
use budbringer_core::environment::Environment;
use budbringer_core::settings::Settings;
use budbringer_runtime::state::AppState;
use budbringer_sandbox::{PRACTICE_ORG_A, PRACTICE_ORG_B, PRACTICE_RESOURCE};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tauri::ipc::{CallbackFn, Channel, InvokeBody, InvokeResponseBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Manager, WebviewWindow};

/// Commands this run does not call, and why that leaves nothing unscanned.
const NOT_CALLED: &[(&str, &str)] = &[
    ("pick_files", "opens the native dialog; its answer is PickedFile, which e2e_drop_files' event carries here"),
    ("pick_folder", "opens the native dialog; its answer is PickedFolder, which e2e_pick_folder returns here"),
    (
        "set_background",
        "changes the user's login items (autostart plugin); its answer is Settings, seen here from set_proxy",
    ),
    (
        "auth_export_key_backup",
        "opens the native save dialog; its answer is the chosen file's name (the file holds the encrypted key)",
    ),
];

struct Window {
    webview: WebviewWindow<MockRuntime>,
    /// Every answer and event, as the page gets it.
    seen: Arc<Mutex<Vec<(String, String)>>>,
    called: Mutex<BTreeSet<String>>,
}

impl Window {
    /// Calls `cmd` with `args` as the page would; the answer (or error) as JSON.
    fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        self.called.lock().unwrap().insert(cmd.to_owned());
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        let answer = get_ipc_response(&self.webview, request).map(|body| match body {
            InvokeResponseBody::Json(text) => serde_json::from_str(&text).unwrap(),
            InvokeResponseBody::Raw(bytes) => Value::String(String::from_utf8_lossy(&bytes).into_owned()),
        });
        let text = match &answer {
            Ok(v) | Err(v) => v.to_string(),
        };
        self.seen.lock().unwrap().push((cmd.to_owned(), text));
        answer
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args).unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    /// Waits until `check` holds for the answer of `cmd`.
    fn wait_for(&self, cmd: &str, args: Value, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let v = self.ok(cmd, args.clone());
            if check(&v) {
                return v;
            }
            assert!(Instant::now() < deadline, "{cmd} never gave what was waited for: {v}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// The strings that must never reach the page: each stored private key (its
/// PEM body, whole and line by line), the API key, the passwords, and the
/// tokens the clients hold.
fn needles(state: &AppState, api_key: &str, passwords: &[&str]) -> Vec<(String, String)> {
    let mut out = vec![("the API key".to_owned(), api_key.to_owned())];
    for p in passwords {
        out.push((format!("the password {p:?}"), p.to_string()));
    }
    for env in Environment::ALL {
        let Some(pem) = state.secrets.get(&private_key_secret(env)).unwrap() else { continue };
        let body: Vec<&str> = pem.expose().lines().filter(|l| !l.starts_with("-----") && !l.is_empty()).collect();
        out.push((format!("{env:?} private key"), body.concat()));
        for (i, line) in body.iter().enumerate().filter(|(_, l)| l.len() >= 40) {
            out.push((format!("{env:?} private key line {i}"), line.to_string()));
        }
    }
    out
}

#[test]
fn every_command_answer_is_free_of_secrets() {
    std::env::set_var("BUDBRINGER_SECRET_STORE", "memory");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let state =
        Arc::new(AppState::new(Settings::default(), data.clone(), dir.path().join("logs")).with_system_downloads(None));
    let app = mock_builder()
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .manage(Arc::new(Watchers::default()))
        .manage(Arc::new(Picked::default()))
        .manage(Arc::new(budbringer_runtime::services::sent::SentLists::default()))
        .manage(state.clone())
        .invoke_handler(handler())
        .build(mock_context(noop_assets()))
        .unwrap();
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    // The transfer channel, as a window opens it: every event is kept too.
    let events = seen.clone();
    app.state::<Arc<Watchers>>().watch(Channel::new(move |body| {
        let text = match body {
            InvokeResponseBody::Json(t) => t,
            InvokeResponseBody::Raw(b) => String::from_utf8_lossy(&b).into_owned(),
        };
        events.lock().unwrap().push(("event".into(), text));
        Ok(())
    }));
    let w = Window { webview, seen, called: Mutex::new(BTreeSet::new()) };

    // The shell and the settings.
    w.ok("app_info", json!({}));
    w.ok("set_environment", json!({ "environment": "sandbox" }));
    services::start(app.handle());
    w.ok("set_language", json!({ "language": "en" }));
    w.ok("set_poll_interval", json!({ "seconds": 600 }));
    w.ok("set_auto_save", json!({ "enabled": false }));
    w.ok("set_upload_tuning", json!({ "tusThresholdMib": 32, "chunkMib": 16 }));
    let proxy_password = format!("proxy-{}", uuid::Uuid::new_v4().simple());
    let manual =
        json!({ "proxy": "http://127.0.0.1:9", "noProxy": null, "proxyUser": "ola", "password": proxy_password });
    w.ok("set_proxy", manual);
    w.ok("set_proxy", json!({ "proxy": "none", "noProxy": null, "proxyUser": null, "password": "" }));
    w.ok("transfers_watch", json!({ "onEvent": "__CHANNEL__:1" }));

    // The API gateway wants a key, which the user gives once.
    let api_key = format!("apim-{}", uuid::Uuid::new_v4().simple());
    let sandbox = tauri::async_runtime::block_on(state.sandbox()).unwrap().admin();
    let mut s = sandbox.settings();
    s.api_key = Some(api_key.clone());
    s.search_rate_limit_per_minute = 0;
    sandbox.set_settings(s);

    // Set-up as organisation A, every step of the wizard.
    w.ok("practice_use_org", json!({ "org": PRACTICE_ORG_A }));
    assert_eq!(w.ok("auth_set_api_key", json!({ "environment": "sandbox", "key": api_key })), json!(true));
    w.ok("auth_get_profiles", json!({}));
    w.ok("auth_get_profile", json!({ "environment": "sandbox" }));
    w.ok("auth_save_profile", json!({ "environment": "sandbox", "edit": { "resourceIds": [PRACTICE_RESOURCE] } }));
    w.ok("auth_public_key", json!({ "environment": "sandbox" }));
    let _ = w.call("auth_register_system", json!({ "environment": "sandbox" }));
    let _ = w.call("auth_request_system_user", json!({ "environment": "sandbox" }));
    let _ = w.call("auth_system_user_status", json!({ "environment": "sandbox" }));
    let report = w.ok("auth_connection_test", json!({ "environment": "sandbox" }));
    assert_eq!(report["ok"], json!(true), "{report}");
    // A key made for Test, and a business certificate (.p12 with a password) imported for Production.
    w.ok("auth_generate_key", json!({ "environment": "tt02" }));
    let p12_password = format!("p12-{}", uuid::Uuid::new_v4().simple());
    let p12 = make_p12(dir.path(), &p12_password);
    let files = app.state::<Arc<Picked>>().add_files([p12]);
    let wrong =
        w.call("auth_import_key", json!({ "environment": "production", "file": files[0].handle, "password": "feil" }));
    assert!(wrong.is_err(), "a wrong password is refused: {wrong:?}");
    w.ok("auth_import_key", json!({ "environment": "production", "file": files[0].handle, "password": p12_password }));
    let pasted = w.call("auth_import_key", json!({ "environment": "production", "text": "not a key" }));
    assert!(pasted.is_err());

    // A sends a file to B: dropped (the debug stand-in), queued, published.
    let source = dir.path().join("rapport.pdf");
    std::fs::write(&source, vec![7u8; 50_000]).unwrap();
    w.ok("e2e_drop_files", json!({ "paths": [source] }));
    let handle = app.state::<Arc<Picked>>().add_files([source.clone()])[0].handle;
    w.ok("send_prepare", json!({ "files": [handle] }));
    let outcomes =
        w.ok("send_files", json!({ "files": [handle], "recipients": [PRACTICE_ORG_B], "reference": "Sak 1" }));
    let job = outcomes[0]["job"]["id"].as_str().unwrap().to_owned();
    w.wait_for("send_list", json!({}), |v| v.as_array().unwrap().iter().any(|j| j["phase"] == "published"));
    w.ok("send_refresh_receipt", json!({ "id": job }));
    w.ok("sent_refresh", json!({}));
    w.ok("sent_open_receipt", json!({ "id": job }));
    // The receipt as PDF, the save dialog answered by the stand-in.
    w.ok("e2e_next_save_path", json!({ "path": dir.path().join("Kvittering.pdf") }));
    let saved = w.ok("receipt_save_sent", json!({ "id": job }));
    assert!(dir.path().join("Kvittering.pdf").is_file(), "{saved}");
    let ft = w.ok("send_list", json!({}))[0]["fileTransferId"].clone();
    w.ok(
        "e2e_seed_sent",
        json!({ "fileTransferIds": [ft], "sender": PRACTICE_ORG_A, "recipient": PRACTICE_ORG_B, "resourceId": PRACTICE_RESOURCE }),
    );
    w.ok("e2e_seed_inbox", json!({ "count": 2, "first": 0, "sender": PRACTICE_ORG_B, "org": PRACTICE_ORG_A }));
    for cmd in ["send_pause", "send_resume", "send_cancel", "send_retry"] {
        let _ = w.call(cmd, json!({ "id": job }));
    }
    w.ok("send_retry_all", json!({}));
    w.ok("send_clear_finished", json!({}));

    // B receives it into a folder chosen in the (stand-in) folder dialog.
    w.ok("practice_use_org", json!({ "org": PRACTICE_ORG_B }));
    // Each organisation has its own secrets, the gateway's key among them (issue 17).
    assert_eq!(w.ok("auth_set_api_key", json!({ "environment": "sandbox", "key": api_key })), json!(true));
    let folder = w.ok("e2e_pick_folder", json!({ "path": dir.path().join("mottatt") }));
    w.ok("set_download_dir", json!({ "folder": folder["handle"] }));
    w.ok("set_download_dir", json!({ "folder": null }));
    w.ok("inbox_refresh", json!({}));
    let inbox = w.wait_for("inbox_list", json!({}), |v| !v.as_array().unwrap().is_empty());
    let id = inbox[0]["id"].as_str().unwrap().to_owned();
    let saved = w.ok("inbox_download", json!({ "id": id, "folder": folder["handle"] }));
    assert_eq!(saved["phase"], "confirmed", "{saved}");
    w.ok("e2e_next_save_path", json!({ "path": dir.path().join("Mottatt") }));
    w.ok("receipt_save_received", json!({ "id": id }));
    assert!(dir.path().join("Mottatt.pdf").is_file(), "a name without .pdf gets it");
    // Opening and showing are asked about an unknown file: nothing is launched in a test.
    let nobody = uuid::Uuid::new_v4();
    // Names from the registers (the sandbox's own Enhetsregisteret and Resource Registry).
    let _ = w.call("names_orgs", json!({ "numbers": [PRACTICE_ORG_A, PRACTICE_ORG_B, "974760673"] }));
    let _ = w.call("names_services", json!({ "ids": [PRACTICE_RESOURCE, "unknown-resource"] }));
    let _ = w.call("names_search", json!({ "query": "Øving" }));
    w.ok("app_painted", json!({}));
    assert!(w.call("inbox_open", json!({ "id": nobody })).is_err());
    assert!(w.call("inbox_reveal", json!({ "id": nobody })).is_err());
    // Several organisations: the header's switcher and "add another" (issue 17); the practice
    // sandbox's address as the wizard asks for it.
    w.ok("practice_sandbox_url", json!({}));
    w.ok("orgs_list", json!({ "environment": "sandbox" }));
    w.ok("orgs_switch", json!({ "environment": "sandbox", "org": PRACTICE_ORG_A }));
    w.ok("orgs_add", json!({ "environment": "sandbox" }));
    let _ = w.call("orgs_remove", json!({ "environment": "sandbox", "org": "999999999" }));
    w.ok("orgs_switch", json!({ "environment": "sandbox", "org": PRACTICE_ORG_B }));
    // Services, the change request and a key change, as Settings and Setup call them: answers
    // and errors alike are scanned. The new key of a rotation is kept until it is cancelled.
    let sandbox = json!({ "environment": "sandbox" });
    let _ = w.call("auth_set_services", json!({ "environment": "sandbox", "resourceIds": [PRACTICE_RESOURCE] }));
    let _ = w.call("auth_change_status", sandbox.clone());
    let _ = w.call("auth_renew_system_user_request", sandbox.clone());
    let _ = w.call("auth_rotation_finish", sandbox.clone());
    w.ok("auth_rotation_start", sandbox.clone());
    let _ = w.call("auth_rotation_test", sandbox.clone());
    w.ok("auth_rotation_cancel", sandbox.clone());
    // The token B's client used (its cache: the one that went over the wire), before the key goes.
    let client = tauri::async_runtime::block_on(state.client(Environment::Sandbox)).unwrap();
    let token = tauri::async_runtime::block_on(client.broker_token()).unwrap();
    assert_eq!(w.ok("auth_clear_api_key", json!({ "environment": "sandbox" })), json!(false));

    // Every command was called (or is listed with its reason).
    let called = w.called.lock().unwrap().clone();
    let names: Vec<&str> = with_commands!(command_names);
    let missing: Vec<&&str> =
        names.iter().filter(|n| !called.contains(**n) && !NOT_CALLED.iter().any(|(x, _)| x == *n)).collect();
    assert!(missing.is_empty(), "commands this scan does not call: {missing:?}");
    assert!(NOT_CALLED.iter().all(|(n, _)| names.contains(n)), "a stale entry in NOT_CALLED");

    let mut needles = needles(&state, &api_key, &[&p12_password, &proxy_password]);
    needles.push(("B's Broker token".into(), token.expose().to_owned()));
    let seen = w.seen.lock().unwrap().clone();
    assert!(seen.iter().any(|(c, _)| c == "event"), "the channel's events were scanned");
    assert!(seen.iter().any(|(_, t)| t.contains("BEGIN PUBLIC KEY")), "the public key was among the answers");
    // The scan finds what it looks for.
    assert!(leaks(&[("plant".into(), format!("x{}y", token.expose()))], &needles).len() >= 2);

    let found = leaks(&seen, &needles);
    assert!(found.is_empty(), "secrets in what the window receives:\n{}", found.join("\n"));
    eprintln!("{} answers and events, {} secret strings: 0 hits", seen.len(), needles.len());
}

/// Which needle (or a JWT, or a PEM private key) each answer contains.
fn leaks(seen: &[(String, String)], needles: &[(String, String)]) -> Vec<String> {
    let jwt = regex::Regex::new(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+").unwrap();
    let mut out = Vec::new();
    for (cmd, text) in seen {
        for (what, n) in needles {
            if text.contains(n.as_str()) {
                out.push(format!("{what} in {cmd}"));
            }
        }
        if jwt.is_match(text) {
            out.push(format!("a token (JWT) in {cmd}"));
        }
        if text.contains("PRIVATE KEY") {
            out.push(format!("a PEM private key in {cmd}"));
        }
    }
    out
}

/// A self-signed business certificate for A in a .p12 with `password` (openssl, as tests/auth does).
fn make_p12(dir: &std::path::Path, password: &str) -> std::path::PathBuf {
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl").args(args).current_dir(dir).output().unwrap();
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    run(&["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "k.pem"]);
    let subject = format!("/CN=Budbringer test/O=Ovingsetaten/serialNumber={PRACTICE_ORG_A}");
    run(&["req", "-x509", "-new", "-key", "k.pem", "-subj", &subject, "-days", "30", "-out", "c.pem"]);
    let pass = format!("pass:{password}");
    run(&["pkcs12", "-export", "-inkey", "k.pem", "-in", "c.pem", "-out", "c.p12", "-passout", &pass]);
    std::fs::remove_file(dir.join("k.pem")).unwrap();
    dir.join("c.p12")
}
