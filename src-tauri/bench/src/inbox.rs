//! The inbox with a long history: `n` published transfers waiting, 50 ms
//! added to every Broker request, and the requests each refresh costs,
//! counted by the sandbox. A sandbox of its own, in this process, so that the
//! transfers can be seeded in one save.

use crate::common::client;
use budbringer_core::environment::Environment;
use budbringer_core::store::Store;
use budbringer_core::transfers::broker::Broker;
use budbringer_core::transfers::inbox::{Inbox, RefreshReport};
use budbringer_sandbox::{
    FaultSpec, Sandbox, SandboxConfig, SeedFile, PRACTICE_ORG_A, PRACTICE_ORG_B, PRACTICE_RESOURCE,
};
use std::path::Path;
use std::time::Instant;

/// One refresh: what it found, its seconds and the requests it cost.
pub struct Poll {
    pub found: usize,
    pub secs: f64,
    pub requests: u64,
}

pub struct InboxRun {
    pub waiting: usize,
    /// The looks, each with the app's share of the limits (a 60 s poll's),
    /// until nothing more was waiting: together they found `first.found`.
    pub looks: usize,
    /// Every look until all were found, added up.
    pub first: Poll,
    /// A refresh with nothing changed.
    pub unchanged: Poll,
    /// A refresh after `arrived` more were published.
    pub arrived: usize,
    pub after_arrival: Poll,
}

fn seed(name: &str) -> SeedFile {
    serde_json::from_value(serde_json::json!({
        "sender": PRACTICE_ORG_A,
        "recipient": PRACTICE_ORG_B,
        "file_name": name,
        "content": format!("innhold {name}"),
    }))
    .expect("a seed")
}

async fn refresh(inbox: &Inbox, b: &Broker, admin: &budbringer_sandbox::Admin) -> (Poll, RefreshReport) {
    let before = admin.requests_served();
    let t = Instant::now();
    let report = inbox.refresh(b, &[PRACTICE_RESOURCE.to_owned()], None).await.expect("refresh");
    let secs = t.elapsed().as_secs_f64();
    let requests = admin.requests_served() - before;
    (Poll { found: report.new.len(), secs, requests }, report)
}

pub async fn run(n: usize, arrive: usize, latency_ms: u64, work: &Path) -> InboxRun {
    let dir = work.join("inbox-sandbox");
    let _ = std::fs::remove_dir_all(&dir);
    let sandbox = Sandbox::start(SandboxConfig::practice(), dir.clone()).await.expect("start a sandbox");
    let admin = sandbox.admin();
    let base = sandbox.base_url();
    let mut settings = admin.settings();
    // The gateway allows about 10 searches a minute; a poll's cost is counted
    // here in requests rather than waited out.
    settings.search_rate_limit_per_minute = 0;
    settings.details_rate_limit_per_minute = 0;
    settings.broker_rate_limit_per_minute = 0;
    admin.set_settings(settings);
    admin.seed_copies(seed("gammel.txt"), n).expect("seed");
    let http = reqwest::Client::new();
    let b = Broker::new(client(&http, &base, PRACTICE_ORG_B).await);
    b.client().broker_token().await.expect("a token, before the latency");
    admin.add_fault(FaultSpec {
        path_prefix: Some("/broker".into()),
        latency_ms: Some(latency_ms),
        ..Default::default()
    });
    let db = work.join("inbox-db");
    let _ = std::fs::remove_dir_all(&db);
    let (store, _) = Store::open(&db).unwrap();
    let inbox = Inbox::new(store, Environment::Sandbox, PRACTICE_ORG_B);
    // The poller's looks, one after the other as if a minute passed between
    // them (each spends a 60 s poll's share of the limits), until a look ends
    // with nothing more waiting.
    let mut first = Poll { found: 0, secs: 0.0, requests: 0 };
    let mut looks = 0;
    loop {
        let (poll, report) = refresh(&inbox, &b, &admin).await;
        looks += 1;
        first.found += poll.found;
        first.secs += poll.secs;
        first.requests += poll.requests;
        if !report.more || looks > n / 50 + 10 {
            break;
        }
    }
    let (unchanged, _) = refresh(&inbox, &b, &admin).await;
    // The clock moves on a little, and new files arrive.
    admin.advance_clock(arrive as i64 + 2);
    admin.seed_copies(seed("ny.txt"), arrive).expect("seed");
    let (after_arrival, _) = refresh(&inbox, &b, &admin).await;
    admin.clear_faults();
    drop(sandbox);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&db);
    InboxRun { waiting: n, looks, first, unchanged, arrived: arrive, after_arrival }
}
