//! The Sent page's refresh within Altinn's limits (issue 17), through the
//! runtime's real code (`services::sent`) against the sandbox's gateway with
//! the real per-endpoint limits: 200 published transfers, of which most are
//! final with a stored receipt, refreshed four times and thirty receipts
//! opened, without a single 429. The same scenario without the budget meets
//! 429s, so the zero cannot come from a scenario too small to matter.

use super::support::*;
use budbringer_core::altinn::profile::ProfileStore;
use budbringer_core::environment::Environment;
use budbringer_core::secrets::{MemorySecretStore, SecretStore};
use budbringer_core::settings::Settings;
use budbringer_core::store::Table;
use budbringer_core::transfers::send::{SendJob, SendUpdate};
use budbringer_runtime::services::sent::{SentLists, SentRefresh};
use budbringer_runtime::services::{queue, EventSink};
use budbringer_runtime::state::AppState;
use budbringer_sandbox::{SeedFile, SettingsConfig, PRACTICE_ORG_A, PRACTICE_ORG_B, PRACTICE_RESOURCE};
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

struct Quiet;
impl EventSink for Quiet {
    fn send_update(&self, _: SendUpdate) {}
    fn inbox_refreshed(&self, _: &budbringer_core::transfers::inbox::RefreshReport) {}
    fn inbox_failed(&self, _: budbringer_core::error::AppError) {}
    fn download_progress(&self, _: Uuid, _: u64, _: u64) {}
}

const TOTAL: usize = 200;
/// Confirmed by the recipient before the app stored their receipts: final.
const FINAL: usize = 150;
/// Confirmed after their receipts were stored: the refresh must notice.
const CHANGED: usize = 10;

fn counts(w: &World) -> (BTreeMap<String, u64>, BTreeMap<String, u64>) {
    w.sandbox.admin().rate_limit_counts()
}

fn delta(after: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>, k: &str) -> u64 {
    after.get(k).copied().unwrap_or(0) - before.get(k).copied().unwrap_or(0)
}

fn job(id: Uuid, ft: Uuid, n: usize, receipt: serde_json::Value) -> SendJob {
    serde_json::from_value(serde_json::json!({
        "id": id, "environment": "sandbox", "path": format!("/tmp/brev {n}.pdf"), "fileName": format!("brev {n}.pdf"),
        "size": 11, "modifiedMs": null, "md5": null, "resourceId": PRACTICE_RESOURCE, "sender": PRACTICE_ORG_A,
        "recipients": [PRACTICE_ORG_B], "properties": {}, "reference": format!("sak-{n}"), "fileTransferId": ft,
        "initializeSent": false, "method": "stream", "phase": "published", "bytesSent": 11, "error": null,
        "receipt": receipt, "created": "2026-11-26T10:00:00Z", "cleared": true
    }))
    .unwrap()
}

/// The sandbox's limits off while 200 transfers are seeded, 150 confirmed and
/// their receipts stored as the app would have them; then the real limits.
async fn seeded() -> (World, Arc<AppState>, Vec<Uuid>) {
    let w = world().await;
    let admin = w.sandbox.admin();
    let real = admin.settings();
    admin.set_settings(SettingsConfig {
        details_rate_limit_per_minute: 0,
        search_rate_limit_per_minute: 0,
        broker_rate_limit_per_minute: 0,
        ..real.clone()
    });
    let seed = SeedFile {
        sender: PRACTICE_ORG_A.into(),
        recipient: PRACTICE_ORG_B.into(),
        file_name: "brev.pdf".into(),
        content: Some("hei verden!".into()),
        ..Default::default()
    };
    let fts = admin.seed_copies(seed, TOTAL).unwrap();
    // The oldest are final: the recipient downloaded and confirmed them.
    for ft in &fts[TOTAL - FINAL..] {
        drop(w.b.download(*ft, 0).await.unwrap());
        w.b.confirm(*ft).await.unwrap();
    }

    let data = w.dir.path().join("app");
    std::fs::create_dir_all(&data).unwrap();
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::new());
    let profile = budbringer_runtime::practice::provision(&admin, PRACTICE_ORG_A, secrets.as_ref()).unwrap();
    ProfileStore::open(&data).save(profile).unwrap();
    let settings = Settings { environment: Environment::Sandbox, ..Settings::default() };
    let state = Arc::new(
        AppState::with_secrets(settings, data.clone(), data.join("logs"), secrets)
            .with_external_sandbox(Some(w.sandbox.base_url())),
    );
    queue::open(&state, Arc::new(Quiet), Default::default());
    let mut jobs = Vec::new();
    for (n, ft) in fts.iter().enumerate() {
        let receipt = serde_json::to_value(w.a.details(*ft).await.unwrap()).unwrap();
        let j = job(Uuid::new_v4(), *ft, n, receipt);
        state.store.put(Table::Outgoing, &j.id.to_string(), true, &j).unwrap();
        jobs.push(j.id);
    }
    // Changed since their receipts were stored.
    for ft in &fts[TOTAL - FINAL - CHANGED..TOTAL - FINAL] {
        drop(w.b.download(*ft, 0).await.unwrap());
        w.b.confirm(*ft).await.unwrap();
    }
    admin.set_settings(real);
    (w, state, jobs)
}

/// Four refreshes and thirty receipts opened (the changed ones first); what each did.
async fn clerk(state: &AppState, lists: &SentLists, jobs: &[Uuid]) -> (Vec<SentRefresh>, Vec<(bool, Option<u64>)>) {
    let mut refreshes = Vec::new();
    for _ in 0..4 {
        refreshes.push(lists.refresh(state).await.unwrap());
    }
    let changed = &jobs[TOTAL - FINAL - CHANGED..TOTAL - FINAL];
    let published = &jobs[..20];
    let mut opened = Vec::new();
    for id in changed.iter().chain(published) {
        let r = lists.open_receipt(state, *id).await.unwrap();
        opened.push((r.fetched, r.retry_in_secs));
    }
    (refreshes, opened)
}

#[tokio::test]
async fn two_hundred_sent_files_refresh_without_a_single_429() {
    let (w, state, jobs) = seeded().await;
    let (calls0, limited0) = counts(&w);

    let lists = SentLists::default();
    let (refreshes, opened) = clerk(&state, &lists, &jobs).await;
    let (calls1, limited1) = counts(&w);
    assert_eq!(limited1.values().sum::<u64>(), limited0.values().sum::<u64>(), "429s from the gateway: {limited1:?}");
    assert!(refreshes.iter().all(|r| r.error.is_none()), "{refreshes:?}");

    // The first refresh asks about every transfer that can still change (50)
    // and none of the 150 final ones; it finds the 10 confirmed since.
    let open = (TOTAL - FINAL) as u32;
    assert_eq!(
        (refreshes[0].checked, refreshes[0].changed, refreshes[0].final_skipped),
        (open, CHANGED as u32, FINAL as u32)
    );
    // Those 10 are final now and never asked again; the other 40 go on
    // within the minute's budget of 60 overviews, the rest wait for the next minute.
    let left = open - CHANGED as u32;
    assert_eq!(refreshes[1].final_skipped, (FINAL + CHANGED) as u32);
    assert_eq!(refreshes[1].checked, 60 - open);
    assert_eq!(refreshes[1].waiting, left - (60 - open));
    assert_eq!((refreshes[3].checked, refreshes[3].waiting), (0, left));
    assert!(refreshes[3].retry_in_secs.is_some_and(|s| s > 0 && s <= 60), "{:?}", refreshes[3]);
    assert_eq!(delta(&calls1, &calls0, "overview"), 60, "no final transfer is asked about");

    // Receipts: the details of the first 10 opened are fetched, the rest show
    // the stored receipt and when to try again.
    assert!(opened[..10].iter().all(|o| *o == (true, None)), "{opened:?}");
    assert!(opened[10..].iter().all(|o| !o.0 && o.1.is_some_and(|s| s > 0 && s <= 60)), "{opened:?}");
    assert_eq!(delta(&calls1, &calls0, "details"), 10);
    // A final receipt, complete now, is shown from the store: no call.
    let again = lists.open_receipt(&state, jobs[TOTAL - FINAL - CHANGED]).await.unwrap();
    assert_eq!((again.fetched, again.retry_in_secs), (false, None));
    let first_final = lists.open_receipt(&state, jobs[TOTAL - 1]).await.unwrap();
    assert_eq!((first_final.fetched, first_final.retry_in_secs), (false, None));
    assert_eq!(first_final.job.receipt.unwrap().overview.status(), "AllConfirmedDownloaded");
    let (calls2, _) = counts(&w);
    assert_eq!(delta(&calls2, &calls1, "details"), 0);

    // The same clerk without the budget (in a fresh gateway minute) meets 429s:
    // the zero above is the budget's doing, not a scenario too small to matter.
    w.sandbox.admin().advance_clock(61);
    let unbudgeted = SentLists::with_budget(100_000, 100_000);
    let (_, limited_before) = counts(&w);
    let (refreshes, _) = clerk(&state, &unbudgeted, &jobs).await;
    let (_, limited_after) = counts(&w);
    assert!(delta(&limited_after, &limited_before, "overview") > 0, "{limited_after:?}");
    assert!(delta(&limited_after, &limited_before, "details") > 0, "{limited_after:?}");
    // And a 429 holds the endpoint for its Retry-After instead of failing the page.
    assert!(refreshes.iter().any(|r| r.waiting > 0 && r.retry_in_secs.is_some()), "{refreshes:?}");
}
