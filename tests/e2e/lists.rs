//! The Sent page with 200 published transfers (issue 17): it refreshes
//! within Altinn's per-minute limits, and the sandbox, whose gateway has the
//! real limits, answers not a single 429.

use super::harness::App;
use super::{practise_as, ORG_A, ORG_B};

const JOBS: usize = 200;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a display and tauri-driver: run by scripts/test.sh"]
async fn sent_page_with_200_published_files_stays_within_the_limits() {
    let app = App::start().await;
    app.find("[data-testid=page-setup] [data-testid=wizard-environment]").await;
    app.click("[data-testid=wizard-step-environment]").await;
    let text = app.text("[data-testid=sandbox-url]").await;
    let url =
        text.split_whitespace().find(|w| w.starts_with("http://127.0.0.1:")).expect("sandbox URL shown").to_owned();
    practise_as(&app, ORG_A, None).await;

    // 200 transfers from A to B, published in the sandbox, and A's jobs for them in the app's store.
    let http = reqwest::Client::new();
    let mut ids = Vec::with_capacity(JOBS);
    for n in 0..JOBS {
        let seed = serde_json::json!({"sender": ORG_A, "recipient": ORG_B, "file_name": format!("brev {n}.pdf"),
            "content": "hei verden!"});
        let r: serde_json::Value =
            http.post(format!("{url}/admin/seed")).json(&seed).send().await.unwrap().json().await.unwrap();
        ids.push(r["fileTransferId"].as_str().expect("seeded").to_owned());
    }
    let resource = budbringer_sandbox::PRACTICE_RESOURCE;
    let stored = app
        .invoke(
            "e2e_seed_sent",
            serde_json::json!({"fileTransferIds": ids, "sender": ORG_A, "recipient": ORG_B, "resourceId": resource}),
        )
        .await;
    assert_eq!(stored, JOBS);

    // The Sent page refreshes on opening; then the clerk presses refresh twice and opens three receipts.
    app.click("[data-testid=nav-sent]").await;
    app.wait_for_text("[data-testid=sent-table]", "brev 199.pdf").await;
    app.wait_for_content("[data-testid=sent-status]", "venter").await;
    let rows = app.client.find_all(fantoccini::Locator::Css("[data-testid=sent-row]")).await.unwrap();
    assert_eq!(rows.len(), JOBS);
    for _ in 0..2 {
        app.click("[data-testid=sent-refresh]").await;
        app.wait_for_content("[data-testid=sent-status]", "venter").await;
    }
    app.screenshot("lists-sent-200").await;
    for n in 0..3 {
        let css = format!("[data-testid=sent-row]:nth-child({}) [data-testid=receipt]", n + 1);
        app.click(&css).await;
        app.find("[data-testid=receipt-dialog] [data-testid=receipt-history] li").await;
        app.click("[data-testid=dialog-close]").await;
    }
    app.screenshot("lists-sent-200-receipt-closed").await;

    let counters: serde_json::Value =
        http.get(format!("{url}/admin/counters")).send().await.unwrap().json().await.unwrap();
    let limited: u64 = counters["rate_limited"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(limited, 0, "the gateway answered 429: {counters}");
    // The budget was used (60 overviews a minute for the list), and no more.
    let overviews = counters["limited_calls"]["overview"].as_u64().unwrap_or(0);
    assert!((60..=70).contains(&overviews), "overview calls: {counters}");
    app.quit().await;
}

/// Render and filter times of the Sent page at 10,000 entries of history,
/// measured in the real window with `performance.now()`, written as a table
/// fragment to `target/bench/lists.md` for docs/BENCHMARKS.md. Not in CI's run
/// (seeding and measuring take about a minute): `scripts/bench.sh` runs it.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement: run by scripts/bench.sh (needs a display and tauri-driver)"]
async fn lists_at_ten_thousand_entries() {
    const N: usize = 10_000;
    if std::env::var_os("BUDBRINGER_BENCH_LISTS").is_none() {
        eprintln!("a measurement, not a test: scripts/bench.sh runs it with BUDBRINGER_BENCH_LISTS=1");
        return;
    }
    let app = App::start().await;
    app.find("[data-testid=page-setup] [data-testid=wizard-environment]").await;
    practise_as(&app, ORG_A, None).await;
    // In pieces: one WebDriver script may run for at most 30 s.
    let mut stored = 0;
    for piece in 0..N / 500 {
        let ids: Vec<String> = (0..500).map(|_| uuid::Uuid::new_v4().to_string()).collect();
        let n = app
            .invoke(
                "e2e_seed_sent",
                serde_json::json!({"fileTransferIds": ids, "sender": ORG_A, "recipient": ORG_B,
                    "resourceId": budbringer_sandbox::PRACTICE_RESOURCE, "settled": true, "first": piece * 500}),
            )
            .await;
        stored += n.as_u64().expect("a count") as usize;
    }
    assert_eq!(stored, N);

    // First render: from the click on "Sendt" until the first page of rows is in the document.
    let render = measure(&app, "nav-sent", "sent-row", None).await;
    app.wait_for_content("[data-testid=sent-search-count]", &format!("200 av {}", N)).await;
    // Filter: from the input event until the rows show only the match.
    let filter = measure(&app, "sent-search", "sent-row", Some("brev 9999.pdf")).await;
    app.screenshot("lists-sent-10000-filtered").await;

    // The Inbox with as long a history: received, saved and confirmed files.
    let mut stored = 0;
    for piece in 0..N / 500 {
        let n = app
            .invoke(
                "e2e_seed_inbox",
                serde_json::json!({"count": 500, "first": piece * 500, "sender": ORG_B, "org": ORG_A}),
            )
            .await;
        stored += n.as_u64().expect("a count") as usize;
    }
    assert_eq!(stored, N);
    let inbox_render = measure(&app, "nav-inbox", "inbox-row", None).await;
    app.wait_for_content("[data-testid=inbox-search-count]", &format!("200 av {}", N)).await;
    let inbox_filter = measure(&app, "inbox-search", "inbox-row", Some("brev 9999.pdf")).await;
    app.screenshot("lists-inbox-10000-filtered").await;
    // Where a first render's time goes: the list's one call to the app's core.
    let sent_call = call_ms(&app, "send_list").await;
    let inbox_call = call_ms(&app, "inbox_list").await;
    // A second search in the same list: the rows' texts are made by then.
    let inbox_again = measure(&app, "inbox-search", "inbox-row", Some("brev 4242.pdf")).await;

    let row = |list: &str, what: &str, ms: f64, target: f64| {
        format!(
            "| {list}, {N} entries: {what} | {ms:.0} ms | ≤ {target:.0} ms | {} |\n",
            if ms <= target { "PASS" } else { "MISS" }
        )
    };
    let info = |list: &str, what: &str, ms: f64| format!("| {list}, {N} entries: {what} | {ms:.0} ms | – | info |\n");
    let table = format!(
        "| list measurement (real window, WebKitGTK; the debug build the e2e tests use) | measured | target | |\n|---|---|---|---|\n{}{}{}{}{}{}{}",
        row("Sent", "first render (click to first 200 rows)", render, 200.0),
        row("Sent", "filter (typed to rows shown)", filter, 100.0),
        row("Inbox", "first render (click to first 200 rows)", inbox_render, 200.0),
        row("Inbox", "filter (typed to rows shown)", inbox_filter, 100.0),
        info("Inbox", "another search (texts already made)", inbox_again),
        info("Sent", "of the first render: the `send_list` call alone (core, IPC, JSON)", sent_call),
        info("Inbox", "of the first render: the `inbox_list` call alone (core, IPC, JSON)", inbox_call),
    );
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("lists.md"), &table).unwrap();
    println!("{table}");
    app.quit().await;
}

/// Milliseconds from a click on `target` (or typing `query` into it) until the
/// rows `row` show: 200 of them after a click, exactly one after typing.
async fn measure(app: &App, target: &str, row: &str, query: Option<&str>) -> f64 {
    app.client
        .execute_async(
            r#"const [target, row, query, done] = arguments;
               const el = document.querySelector(`[data-testid=${target}]`);
               const t0 = performance.now();
               if (query === null) { el.click(); } else { el.value = query; el.dispatchEvent(new Event('input', { bubbles: true })); }
               const ready = () => { const n = document.querySelectorAll(`[data-testid=${row}]`).length; return query === null ? n >= 200 : n === 1; };
               const check = () => ready() ? requestAnimationFrame(() => done(performance.now() - t0))
                 : performance.now() - t0 > 20000 ? done('after 20 s: ' + document.querySelectorAll(`[data-testid=${row}]`).length + ' rows; '
                     + (document.querySelector(`[data-testid$=search-count]`) || {}).textContent)
                 : requestAnimationFrame(check);
               check();"#,
            vec![target.into(), row.into(), query.map(serde_json::Value::from).unwrap_or(serde_json::Value::Null)],
        )
        .await
        .map(|v| v.as_f64().unwrap_or_else(|| panic!("{target} never showed the rows: {v}")))
        .unwrap_or_else(|e| panic!("{target}: {e}"))
}

/// Milliseconds of one call of `cmd` from the page, answer parsed.
async fn call_ms(app: &App, cmd: &str) -> f64 {
    app.client
        .execute_async(
            "const [cmd, done] = arguments; const t0 = performance.now();
             window.__TAURI_INTERNALS__.invoke(cmd, {}).then(() => done(performance.now() - t0), (e) => done(String(e)));",
            vec![cmd.into()],
        )
        .await
        .map(|v| v.as_f64().unwrap_or_else(|| panic!("{cmd}: {v}")))
        .unwrap_or_else(|e| panic!("{cmd}: {e}"))
}
