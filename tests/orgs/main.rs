//! Several organisations in one installation (issue 17), against the
//! practice sandbox, as the app runs them but with a recorder in place of the
//! window: an installation from before upgrades to one organisation without a
//! new set-up; two organisations each keep their own key, inbox and jobs; the
//! same file addressed to both is received, saved and confirmed by each; a
//! job keeps the organisation it was created for when the user switches; and
//! both poll within the gateway's limits. `race`: removing an organisation
//! while it sends.

#![allow(clippy::unwrap_used)] // a test that cannot go on fails at once

mod race;

use budbringer_core::altinn::profile::{self, Profile};
use budbringer_core::altinn::ProfileStore;
use budbringer_core::environment::Environment;
use budbringer_core::error::{AppError, ErrorCode};
use budbringer_core::secrets::{MemorySecretStore, Secret, SecretStore};
use budbringer_core::settings::Settings;
use budbringer_core::transfers::inbox::{InboxPhase, RefreshReport};
use budbringer_core::transfers::send::{Phase, SendUpdate};
use budbringer_runtime::services::send::{self, SendFiles};
use budbringer_runtime::services::{inbox, queue, EventSink, Notifier};
use budbringer_runtime::state::AppState;
use budbringer_runtime::{orgs, practice};
use budbringer_sandbox::{Sandbox, SandboxConfig, SeedFile, PRACTICE_ORG_A, PRACTICE_ORG_B, REHEARSAL_ORGS};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

const ENV: Environment = Environment::Sandbox;

#[derive(Default)]
struct Recorder {
    failed: Mutex<Vec<AppError>>,
    notices: Mutex<Vec<(String, String)>>,
}

impl EventSink for Recorder {
    fn send_update(&self, _: SendUpdate) {}
    fn inbox_refreshed(&self, _: &RefreshReport) {}
    fn inbox_failed(&self, error: AppError) {
        self.failed.lock().unwrap().push(error);
    }
    fn download_progress(&self, _: Uuid, _: u64, _: u64) {}
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
    dir: std::path::PathBuf,
    /// The installation's secret store itself (every organisation's names).
    secrets: Arc<MemorySecretStore>,
    _tmp: tempfile::TempDir,
}

/// One installation (memory secrets, the embedded sandbox) with practice
/// organisations A and B, set up the way "Øv som organisasjon A", then "… B"
/// does it: B is active.
async fn two_orgs() -> World {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_owned();
    let secrets = Arc::new(MemorySecretStore::new());
    let state =
        Arc::new(AppState::with_secrets(Settings::default(), dir.join("data"), dir.join("logs"), secrets.clone()));
    practice::use_org(&state, PRACTICE_ORG_A).await.unwrap();
    practice::use_org(&state, PRACTICE_ORG_B).await.unwrap();
    let rec = Arc::new(Recorder::default());
    World { state, events: rec.clone(), rec, dir, secrets, _tmp: tmp }
}

impl World {
    fn profile(&self, org: &str) -> Profile {
        self.state.profiles.get_org(ENV, org).unwrap()
    }
    fn inbox(&self, org: &str) -> budbringer_core::transfers::inbox::Inbox {
        inbox::of(&self.state, &self.profile(org), 1)
    }
    async fn admin(&self) -> budbringer_sandbox::Admin {
        self.state.sandbox().await.unwrap().admin()
    }
}

/// An installation from before several organisations: `profiles.json` with
/// one profile per environment (no version, no active one) and the key under
/// the plain name `sandbox/private-key`. The new version opens it as one
/// organisation, moves the key into the organisation's names, and sends
/// with it at once: no new set-up.
#[tokio::test(flavor = "multi_thread")]
async fn an_installation_from_before_becomes_one_organisation_without_a_new_set_up() {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(SandboxConfig::practice(), tmp.path().join("sandbox")).await.unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::new());
    let old = practice::provision(&sandbox.admin(), PRACTICE_ORG_A, secrets.as_ref()).unwrap();
    let old_key = secrets.get(&profile::private_key_secret(ENV)).unwrap().unwrap();
    // Exactly what the version before wrote.
    let file = serde_json::json!({ "profiles": [old] });
    std::fs::write(data.join(ProfileStore::FILE), serde_json::to_vec_pretty(&file).unwrap()).unwrap();

    let state = AppState::with_secrets(Settings::default(), data.clone(), tmp.path().join("logs"), secrets.clone())
        .with_external_sandbox(Some(sandbox.base_url()));
    assert_eq!(state.profiles.list(ENV), std::slice::from_ref(&old), "one organisation, as it was");
    assert_eq!(state.profiles.active_org(ENV), PRACTICE_ORG_A);
    assert_eq!(secrets.get(&profile::private_key_secret(ENV)).unwrap(), None, "the plain name is gone");
    assert_eq!(state.secrets_of(PRACTICE_ORG_A).get(&profile::private_key_secret(ENV)).unwrap(), Some(old_key));
    // The Setup page (the active organisation's names) sees the key too.
    assert!(state.secrets.get(&profile::private_key_secret(ENV)).unwrap().is_some());
    state.client(ENV).await.unwrap().broker_token().await.expect("a token with the migrated key");
    // Written as the new version: a second start changes nothing.
    let text = std::fs::read_to_string(data.join(ProfileStore::FILE)).unwrap();
    assert!(text.contains("\"version\": 2"), "{text}");
    drop(state);
    let again = AppState::with_secrets(Settings::default(), data, tmp.path().join("logs"), secrets.clone())
        .with_external_sandbox(Some(sandbox.base_url()));
    again.client(ENV).await.unwrap().broker_token().await.unwrap();
}

/// The same transfer addressed to both organisations of the installation:
/// each finds it in its own inbox (one notice each, naming it), saves and
/// confirms it for itself; Altinn sees both confirmations.
#[tokio::test(flavor = "multi_thread")]
async fn the_same_file_for_two_organisations_is_received_by_each() {
    let w = two_orgs().await;
    assert_eq!(
        w.state.profiles.list(ENV).iter().map(|p| p.org_number.as_str()).collect::<Vec<_>>(),
        [PRACTICE_ORG_A, PRACTICE_ORG_B]
    );
    assert_eq!(w.state.profiles.active_org(ENV), PRACTICE_ORG_B, "the last one chosen is active");
    let key = |org| w.state.secrets_of(org).get(&profile::private_key_secret(ENV)).unwrap().unwrap();
    assert_ne!(key(PRACTICE_ORG_A), key(PRACTICE_ORG_B), "each its own key");

    let admin = w.admin().await;
    let id = admin
        .seed_file(SeedFile {
            sender: REHEARSAL_ORGS[0].0.into(),
            recipient: PRACTICE_ORG_A.into(),
            other_recipients: vec![PRACTICE_ORG_B.into()],
            file_name: "felles.txt".into(),
            content: Some("til begge".into()),
            ..Default::default()
        })
        .unwrap();
    let report = inbox::refresh(&w.state, &w.events, w.rec.as_ref()).await.unwrap();
    assert_eq!(report.new, [id, id], "found once for each organisation");
    let notices = w.rec.notices.lock().unwrap().clone();
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert!(notices[0].1.contains("310 000 019") && notices[1].1.contains("310 000 027"), "{notices:?}");
    for org in [PRACTICE_ORG_A, PRACTICE_ORG_B] {
        let list = w.inbox(org).list().unwrap();
        assert_eq!(list.len(), 1, "{org}");
        assert_eq!((list[0].id, list[0].org.as_str(), list[0].phase), (id, org, InboxPhase::New));
    }

    // B (active) saves and confirms its copy; A's is untouched.
    let b = inbox::download(&w.state, &w.events, id, Some(w.dir.join("b")), true).await.unwrap();
    assert_eq!(b.phase, InboxPhase::Confirmed);
    assert_eq!(w.inbox(PRACTICE_ORG_A).get(id).unwrap().phase, InboxPhase::New);
    assert_eq!(admin.transfer_status(id).as_deref(), Some("Published"), "A has not confirmed yet");
    // A second look finds nothing new for either.
    assert!(inbox::refresh(&w.state, &w.events, w.rec.as_ref()).await.unwrap().new.is_empty());

    // Switched to A: its own copy, saved and confirmed as A.
    w.state.profiles.switch(ENV, PRACTICE_ORG_A).unwrap();
    let a = inbox::download(&w.state, &w.events, id, Some(w.dir.join("a")), true).await.unwrap();
    assert_eq!(a.phase, InboxPhase::Confirmed);
    assert_eq!(std::fs::read_to_string(a.saved_path.unwrap()).unwrap(), "til begge");
    assert_eq!(admin.transfer_status(id).as_deref(), Some("AllConfirmedDownloaded"));
    assert!(w.rec.failed.lock().unwrap().is_empty());
}

/// A job sends as the organisation it was created for: switching while it
/// waits (paused, then resumed with the other organisation active) does not
/// move it; the Send page can also choose the sender. Removing an
/// organisation deletes its secrets and keeps its history.
#[tokio::test(flavor = "multi_thread")]
async fn a_job_keeps_its_organisation_when_the_user_switches() {
    let w = two_orgs().await;
    w.state.profiles.switch(ENV, PRACTICE_ORG_A).unwrap();
    let q = queue::start(&w.state, w.events.clone());
    let file = w.dir.join("notat.txt");
    std::fs::write(&file, vec![b'x'; 200_000]).unwrap();
    let files = |from: Option<&str>| SendFiles {
        paths: vec![file.to_string_lossy().into_owned()],
        recipients: vec![PRACTICE_ORG_B.into()],
        from: from.map(str::to_owned),
        ..SendFiles::default()
    };
    let job = send::send_files(&w.state, files(None)).unwrap().remove(0).1.unwrap();
    q.pause(job.id).unwrap();
    q.idle().await;
    assert_eq!(q.get(job.id).unwrap().phase, Phase::Paused, "paused before it was sent");
    // The user switches to B while A's job waits; it goes on later.
    w.state.profiles.switch(ENV, PRACTICE_ORG_B).unwrap();
    q.resume(job.id).unwrap();
    q.idle().await;
    let done = q.get(job.id).unwrap();
    assert_eq!(done.phase, Phase::Published, "{:?}", done.error);
    assert_eq!(done.sender, format!("0192:{PRACTICE_ORG_A}"));
    let admin = w.admin().await;
    let sent = admin.transfers().into_iter().find(|t| Some(t.id) == done.file_transfer_id).unwrap();
    assert!(sent.sender.ends_with(PRACTICE_ORG_A), "sent as A: {}", sent.sender);

    // B is active; the Send page chooses A as the sender.
    let chosen = send::send_files(&w.state, files(Some(PRACTICE_ORG_A))).unwrap().remove(0).1.unwrap();
    assert_eq!(chosen.sender, format!("0192:{PRACTICE_ORG_A}"));
    q.idle().await;
    assert_eq!(q.get(chosen.id).unwrap().phase, Phase::Published);
    // B's Sent list is B's: A's jobs are not in it.
    assert!(send::jobs(&w.state).unwrap().is_empty());

    // B receives both, A nothing.
    inbox::refresh(&w.state, &w.events, w.rec.as_ref()).await.unwrap();
    assert_eq!(w.inbox(PRACTICE_ORG_B).list().unwrap().len(), 2);
    assert!(w.inbox(PRACTICE_ORG_A).list().unwrap().is_empty());

    // Removing A while one of its files waits (paused) is refused: the job
    // could never finish without A's key. Nothing is removed.
    w.state.profiles.switch(ENV, PRACTICE_ORG_A).unwrap();
    let waiting = send::send_files(&w.state, files(None)).unwrap().remove(0).1.unwrap();
    q.pause(waiting.id).unwrap();
    q.idle().await;
    assert_eq!(q.get(waiting.id).unwrap().phase, Phase::Paused);
    let e = orgs::remove(&w.state, ENV, PRACTICE_ORG_A).unwrap_err();
    assert_eq!(e.code, ErrorCode::OrgHasUnfinishedSends);
    assert!(w.state.profiles.get_org(ENV, PRACTICE_ORG_A).is_some());
    assert!(w.state.secrets_of(PRACTICE_ORG_A).get(&profile::private_key_secret(ENV)).unwrap().is_some());
    // A pending key change of A and of B: every secret of A must go, none of B's.
    for org in [PRACTICE_ORG_A, PRACTICE_ORG_B] {
        let s = w.state.secrets_of(org);
        s.set(&profile::pending_key_secret(ENV), &Secret::new(format!("{org} new key"))).unwrap();
        s.set(&profile::api_key_secret(ENV), &Secret::new(format!("{org} api key"))).unwrap();
    }
    let of = |org: &str| w.secrets.names().into_iter().filter(|n| n.contains(&format!("/{org}/"))).collect::<Vec<_>>();
    let (a_names, b_names) = (of(PRACTICE_ORG_A), of(PRACTICE_ORG_B));
    assert_eq!(a_names.len(), 3, "{a_names:?}");
    // Cancelled, the file no longer holds A back: A goes, its history stays.
    q.cancel(waiting.id).unwrap();
    q.idle().await;
    orgs::remove(&w.state, ENV, PRACTICE_ORG_A).unwrap();
    for n in &a_names {
        assert_eq!(w.secrets.get(n).unwrap(), None, "{n} left behind");
    }
    for n in &b_names {
        assert!(w.secrets.get(n).unwrap().is_some(), "{n} of the other organisation went too");
    }
    assert!(w.state.profiles.get_org(ENV, PRACTICE_ORG_A).is_none());
    assert_eq!(w.state.profiles.get(ENV).org_number, PRACTICE_ORG_B, "the other organisation is active");
    assert_eq!(q.get(job.id).unwrap().phase, Phase::Published);
    assert_eq!(q.get(waiting.id).unwrap().phase, Phase::Cancelled);
    let e = send::send_files(&w.state, files(Some(PRACTICE_ORG_A))).unwrap_err();
    assert_eq!(e.code, ErrorCode::ProfileIncomplete);
}

/// Both organisations poll in the same minutes with many files waiting.
/// Each look takes an equal part of one poller's share of the limits (two
/// organisations may share one integration's budget: docs/ALTINN.md#rate-limits);
/// the sandbox counts per client, so a gateway limit of half the real one per
/// client stands for two organisations sharing it. The look of both gets no
/// 429 and leaves the rest for the next one. (The sandbox's clock cannot be
/// moved on here: a client would then see a clock skew.)
#[tokio::test(flavor = "multi_thread")]
async fn two_organisations_poll_within_the_limits() {
    let w = two_orgs().await;
    let admin = w.admin().await;
    let mut s = admin.settings();
    s.broker_rate_limit_per_minute = 60;
    s.search_rate_limit_per_minute = 5;
    admin.set_settings(s);
    const N: usize = 90;
    for org in [PRACTICE_ORG_A, PRACTICE_ORG_B] {
        let seed = SeedFile {
            sender: REHEARSAL_ORGS[1].0.into(),
            recipient: org.into(),
            file_name: "mange.txt".into(),
            content: Some("x".into()),
            ..Default::default()
        };
        admin.seed_copies(seed, N).unwrap();
    }
    // Both organisations look in the same minute: together within the limit.
    let report = inbox::refresh(&w.state, &w.events, w.rec.as_ref()).await.map_err(AppError::from).unwrap();
    assert!(w.rec.failed.lock().unwrap().is_empty(), "{:?}", w.rec.failed.lock().unwrap());
    assert!(report.more, "the limits leave the rest for the next look");
    let found: Vec<usize> = [PRACTICE_ORG_A, PRACTICE_ORG_B].iter().map(|o| w.inbox(o).list().unwrap().len()).collect();
    // Each took its equal part (30 s of a 60 s interval: 40 overviews), not the whole share (100).
    assert_eq!(found, [40, 40]);
    assert!(found.iter().all(|n| *n < N));
}
