//! The runtime's services against the embedded practice sandbox, as the app
//! runs them but with a recorder in place of the window: the inbox's look for
//! new files (notices in the user's language, auto-save, the download folder),
//! the poller, the send queue's start-up with the Send page's service, and the
//! one client per environment.

#![allow(clippy::unwrap_used)] // a test that cannot go on fails at once

use budbringer_core::environment::Environment;
use budbringer_core::error::{AppError, ErrorCode};
use budbringer_core::secrets::MemorySecretStore;
use budbringer_core::settings::{Language, Settings};
use budbringer_core::transfers::inbox::{InboxPhase, RefreshReport};
use budbringer_core::transfers::send::{Phase, SendUpdate, UploadSettings};
use budbringer_runtime::practice;
use budbringer_runtime::services::send::{self, SendFiles};
use budbringer_runtime::services::{inbox, queue, EventSink, Notifier};
use budbringer_runtime::state::AppState;
use budbringer_sandbox::{FaultSpec, SeedFile, PRACTICE_ORG_A, PRACTICE_ORG_B};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Records everything the services report.
#[derive(Default)]
struct Recorder {
    sends: Mutex<Vec<SendUpdate>>,
    refreshed: Mutex<Vec<RefreshReport>>,
    failed: Mutex<Vec<AppError>>,
    downloads: Mutex<Vec<(Uuid, u64, u64)>>,
    notices: Mutex<Vec<(String, String)>>,
}

impl EventSink for Recorder {
    fn send_update(&self, update: SendUpdate) {
        self.sends.lock().unwrap().push(update);
    }
    fn inbox_refreshed(&self, report: &RefreshReport) {
        self.refreshed.lock().unwrap().push(report.clone());
    }
    fn inbox_failed(&self, error: AppError) {
        self.failed.lock().unwrap().push(error);
    }
    fn download_progress(&self, id: Uuid, done: u64, total: u64) {
        self.downloads.lock().unwrap().push((id, done, total));
    }
}

impl Notifier for Recorder {
    fn notify(&self, title: &str, body: &str) {
        self.notices.lock().unwrap().push((title.to_owned(), body.to_owned()));
    }
}

struct World {
    state: Arc<AppState>,
    rec: Arc<Recorder>,
    events: Arc<dyn EventSink>,
    _dir: tempfile::TempDir,
    dir: std::path::PathBuf,
}

/// A state like the app's (memory secrets), with the system's Downloads
/// folder in the temporary folder, acting as `org` in the embedded sandbox.
async fn world(org: Option<&str>) -> World {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_owned();
    let state = AppState::with_secrets(
        Settings::default(),
        dir.join("data"),
        dir.join("logs"),
        Arc::new(MemorySecretStore::new()),
    )
    .with_system_downloads(Some(dir.join("Downloads")));
    let state = Arc::new(state);
    if let Some(org) = org {
        practice::use_org(&state, org).await.unwrap();
    }
    let rec = Arc::new(Recorder::default());
    World { state, events: rec.clone(), rec, _dir: tmp, dir }
}

async fn seed(w: &World, name: &str, content: &str) -> Uuid {
    let sandbox = w.state.sandbox().await.unwrap();
    sandbox
        .admin()
        .seed_file(SeedFile {
            resource_id: None,
            sender: PRACTICE_ORG_A.into(),
            recipient: PRACTICE_ORG_B.into(),
            file_name: name.into(),
            content: Some(content.into()),
            content_base64: None,
            senders_reference: None,
            property_list: Default::default(),
            ..Default::default()
        })
        .unwrap()
}

fn change_settings(state: &AppState, f: impl FnOnce(&mut Settings)) {
    f(&mut state.settings.write().unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_look_notifies_once_per_batch_in_the_users_language_and_saves_where_asked() {
    let w = world(Some(PRACTICE_ORG_B)).await;
    let first = [seed(&w, "a.txt", "første").await, seed(&w, "b.txt", "andre").await];

    let r = inbox::refresh(&w.state, &w.events, w.rec.as_ref()).await.unwrap();
    assert_eq!(r.new.len(), 2);
    assert_eq!(
        *w.rec.notices.lock().unwrap(),
        vec![("Nye filer fra Altinn".to_owned(), "2 nye filer i innboksen.".to_owned())],
        "one notice for the batch, in Bokmål (the default)"
    );
    assert_eq!(w.rec.refreshed.lock().unwrap().len(), 1, "the windows hear of the look");
    let (received, _) = inbox::active(&w.state);
    assert!(received.list().unwrap().iter().all(|f| f.phase == InboxPhase::New), "auto-save is off");

    // Nothing new: no notice.
    assert!(inbox::refresh(&w.state, &w.events, w.rec.as_ref()).await.unwrap().new.is_empty());
    assert_eq!(w.rec.notices.lock().unwrap().len(), 1);

    // A download without a folder goes to Downloads/Budbringer, and reports progress.
    let saved = inbox::download(&w.state, &w.events, first[0], None, true).await.unwrap();
    let default_folder = w.dir.join("Downloads").join("Budbringer");
    assert_eq!(saved.saved_path.as_deref(), Some(default_folder.join("a.txt").as_path()));
    assert_eq!(std::fs::read_to_string(default_folder.join("a.txt")).unwrap(), "første");
    assert!(w.rec.downloads.lock().unwrap().iter().any(|(id, done, total)| *id == first[0] && done == total));
    assert_eq!(inbox::saved_path(&w.state, first[0]).unwrap(), default_folder.join("a.txt"));
    assert_eq!(inbox::saved_path(&w.state, first[1]).unwrap_err().code, ErrorCode::NotFound);

    // In English, with auto-save to a chosen folder.
    let chosen = w.dir.join("mottak");
    change_settings(&w.state, |s| {
        s.language = Language::En;
        s.auto_save = true;
        s.set_download_dir(Some(chosen.to_string_lossy().into_owned())).unwrap();
    });
    let third = seed(&w, "c.txt", "tredje").await;
    let r = inbox::refresh(&w.state, &w.events, w.rec.as_ref()).await.unwrap();
    assert_eq!(r.new, vec![third]);
    assert_eq!(
        w.rec.notices.lock().unwrap().last().unwrap(),
        &("New file from Altinn".to_owned(), "1 new file in the inbox.".to_owned())
    );
    assert_eq!(r.auto_saved.len(), 2, "the two not yet saved: {r:?}");
    assert_eq!(std::fs::read_to_string(chosen.join("c.txt")).unwrap(), "tredje");
    assert_eq!(std::fs::read_to_string(chosen.join("b.txt")).unwrap(), "andre");
}

#[tokio::test]
async fn a_profile_that_cannot_receive_is_not_ready_and_reports_nothing() {
    let w = world(None).await;
    let e = inbox::refresh(&w.state, &w.events, w.rec.as_ref()).await.unwrap_err();
    assert!(matches!(e, inbox::RefreshError::NotReady), "{e:?}");
    assert_eq!(AppError::from(e).code, ErrorCode::ProfileIncomplete);
    assert!(w.rec.refreshed.lock().unwrap().is_empty() && w.rec.notices.lock().unwrap().is_empty());
    assert_eq!(w.state.sandbox_base_url(), None, "a profile that is not ready does not start the sandbox");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_poller_looks_by_itself_and_waits_out_a_429() {
    let w = world(Some(PRACTICE_ORG_B)).await;
    change_settings(&w.state, |s| s.poll_interval_secs = 1);
    let sandbox = w.state.sandbox().await.unwrap();
    sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some("/broker/api/v1/filetransfer".into()),
        rate_limit_429: Some(1),
        retry_after_secs: Some(2),
        ..Default::default()
    });
    let id = seed(&w, "d.txt", "fjerde").await;
    let start = Instant::now();
    let poller = tokio::spawn(inbox::poll(w.state.clone(), w.events.clone(), w.rec.clone()));
    while w.rec.refreshed.lock().unwrap().is_empty() {
        assert!(start.elapsed() < Duration::from_secs(30), "the poller never looked");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = start.elapsed();
    poller.abort();
    let failed = w.rec.failed.lock().unwrap().clone();
    assert_eq!(failed.len(), 1, "the 429 fired and was reported: {failed:?}");
    assert_eq!(failed[0].code, ErrorCode::RateLimited);
    // First look after 2 s (the 429), then Retry-After (2 s, longer than the interval).
    assert!(elapsed >= inbox::FIRST_LOOK + Duration::from_secs(2), "waited {elapsed:?}");
    assert_eq!(w.rec.refreshed.lock().unwrap()[0].new, vec![id]);
    assert_eq!(w.rec.notices.lock().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_started_queue_sends_as_the_active_organisation() {
    let w = world(Some(PRACTICE_ORG_A)).await;
    let q = queue::start(&w.state, w.events.clone());
    let file = w.dir.join("notat.txt");
    std::fs::write(&file, "til B").unwrap();
    let files = SendFiles {
        paths: vec![file.to_string_lossy().into_owned(), w.dir.join("missing.txt").to_string_lossy().into_owned()],
        recipients: vec![PRACTICE_ORG_B.into()],
        ..SendFiles::default()
    };
    let outcomes = send::send_files(&w.state, files).unwrap();
    assert!(outcomes[0].1.is_ok(), "{outcomes:?}");
    assert_eq!(outcomes[1].1.as_ref().unwrap_err().code, ErrorCode::FileUnreadable, "one bad file, one outcome");
    q.idle().await;
    let jobs = send::jobs(&w.state).unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!((jobs[0].phase, jobs[0].environment), (Phase::Published, Environment::Sandbox));
    assert!(w.rec.sends.lock().unwrap().iter().any(|u| u.job.phase == Phase::Published), "the windows heard");

    // The same computer as B: A's jobs are not B's, and B receives the file.
    practice::use_org(&w.state, PRACTICE_ORG_B).await.unwrap();
    assert!(send::jobs(&w.state).unwrap().is_empty());
    let r = inbox::refresh(&w.state, &w.events, w.rec.as_ref()).await.unwrap();
    assert_eq!(r.new.len(), 1);
    assert_eq!(send::send_files(&w.state, SendFiles::default()).unwrap_err().code, ErrorCode::InvalidInput);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_client_per_environment_while_its_profile_and_secrets_are_unchanged() {
    let w = world(Some(PRACTICE_ORG_B)).await;
    let admin = w.state.sandbox().await.unwrap().admin();
    let client_id = w.state.profiles.get(Environment::Sandbox).client_id;
    let tokens = || admin.tokens_issued(&client_id);
    let env = Environment::Sandbox;

    w.state.client(env).await.unwrap().broker_token().await.unwrap();
    let after_first = tokens();
    assert!(after_first >= 1);
    w.state.client(env).await.unwrap().broker_token().await.unwrap();
    w.state.running_client(env).unwrap().broker_token().await.unwrap();
    assert_eq!(tokens(), after_first, "the cached client's token is reused");

    // The setup steps' fresh client fetches its own, and leaves the cached one alone.
    w.state.fresh_client(env).await.unwrap().broker_token().await.unwrap();
    let after_fresh = tokens();
    assert!(after_fresh > after_first);
    w.state.client(env).await.unwrap().broker_token().await.unwrap();
    assert_eq!(tokens(), after_fresh);

    // A changed secret (forget_client) or a changed profile means a new client.
    w.state.forget_client(env);
    w.state.client(env).await.unwrap().broker_token().await.unwrap();
    let after_forget = tokens();
    assert!(after_forget > after_fresh);
    w.state
        .profiles
        .update(env, |p| {
            p.token_mode_verified_at = Some(1_767_225_600);
            Ok(())
        })
        .unwrap();
    w.state.client(env).await.unwrap().broker_token().await.unwrap();
    let after_profile = tokens();
    assert!(after_profile > after_forget, "a changed profile gets a new client");

    // A new API key, set in the secret store alone, as the Setup page, another
    // copy of the app or the command line would, with nobody calling
    // forget_client (issue 11, case 4): the next call is made with the new key.
    admin.set_api_key(Some("ny-nokkel".into()));
    w.state
        .secrets
        .set(
            &budbringer_core::altinn::profile::api_key_secret(env),
            &budbringer_core::secrets::Secret::new("ny-nokkel"),
        )
        .unwrap();
    w.state.running_client(env).unwrap().broker_token().await.expect("the new key is used without a restart");
    assert!(tokens() > after_profile, "a changed API key gets a new client");
}

#[test]
fn the_download_folder_follows_the_settings() {
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::with_secrets(
        Settings::default(),
        dir.path().join("data"),
        dir.path().join("logs"),
        Arc::new(MemorySecretStore::new()),
    );
    assert_eq!(state.download_folder(), dir.path().join("data").join("downloads").join("Budbringer"));
    let state = state.with_system_downloads(Some(dir.path().join("Nedlastinger")));
    assert_eq!(state.download_folder(), dir.path().join("Nedlastinger").join("Budbringer"));
    change_settings(&state, |s| s.download_dir = Some("/srv/mottak".into()));
    assert_eq!(state.download_folder(), Path::new("/srv/mottak"));
}

#[tokio::test]
async fn a_send_with_an_unready_profile_is_refused_whole() {
    let w = world(None).await;
    let _ = queue::open(&w.state, w.events.clone(), UploadSettings::default());
    let e = send::send_files(&w.state, SendFiles { paths: vec!["x".into()], ..SendFiles::default() }).unwrap_err();
    assert_eq!(e.code, ErrorCode::ProfileIncomplete, "{e:?}");
}
