//! The scheduler (Hangfire's stand-in) when it runs twice at once: the
//! background pass and the one `advance_clock`/`run_jobs` starts may both read
//! the list of transfers to purge before either marks one. Each transfer must
//! still be purged once: one Purged status, one `filepurged` event.

use serde_json::Value;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_scheduler_passes_purge_each_transfer_once() {
    let e = start().await;
    let mut ids = vec![];
    for i in 0..24u8 {
        ids.push(e.published(&[i; 16]).await);
    }
    // Past the 30-day time to live, without a pass of its own…
    e.sb.admin().set_clock_offset(31 * 86_400);
    // …then eight passes at once, beside the background one.
    let admin = e.sb.admin();
    std::thread::scope(|s| {
        for _ in 0..8 {
            let a = admin.clone();
            s.spawn(move || a.run_jobs());
        }
    });
    let snap = e.sb.admin().snapshot();
    for id in &ids {
        let hist = snap["transfers"][id]["history"].as_array().unwrap();
        let purged = hist.iter().filter(|h| h["status"] == "Purged").count();
        assert_eq!(purged, 1, "{id}: {purged} Purged entries");
    }
    // The event feed follows the history: one filepurged per transfer.
    let url = e.url(&format!(
        "/events/api/v1/events?resource=urn:altinn:resource:{RES}&after=0&type=no.altinn.broker.filepurged&size=1000"
    ));
    let r = e.http.get(url).bearer_auth(e.tok(A, "altinn:events.subscribe")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let feed: Value = r.json().await.unwrap();
    let events = feed.as_array().unwrap();
    for id in &ids {
        let n = events.iter().filter(|ev| ev["resourceinstance"] == id.as_str()).count();
        assert_eq!(n, 1, "{id}: {n} filepurged events");
    }
}
