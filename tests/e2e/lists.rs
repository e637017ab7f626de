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

/// Render and filter times of the Sent and Inbox pages at 10,000 entries of
/// history, measured in the real window with `performance.now()`, written as a
/// table fragment to `target/bench/lists.md` for docs/BENCHMARKS.md. Not in
/// CI's run (seeding and measuring take about a minute): `scripts/bench.sh`
/// runs it with the app optimised (`--profile bench-e2e`); in the debug build
/// the Rust side is several times slower than what users run.
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

    // First render: from the click on "Sendt" until the first rows are painted, until the page's 200
    // rows are in the document, and until the rest of the history has arrived behind them.
    let sent = measure(&app, "nav-sent", "sent-row", None, Some(N)).await;
    // Filter: from the input event until the rows show only the match, the moment the history is in.
    let filter = measure(&app, "sent-search", "sent-row", Some("brev 9999.pdf"), None).await;
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
    let inbox = measure(&app, "nav-inbox", "inbox-row", None, Some(N)).await;
    let inbox_filter = measure(&app, "inbox-search", "inbox-row", Some("brev 9999.pdf"), None).await;
    app.screenshot("lists-inbox-10000-filtered").await;
    // A second search in the same list: the rows' texts are made by then.
    let inbox_again = measure(&app, "inbox-search", "inbox-row", Some("brev 4242.pdf"), None).await;
    // A search after the list has been open a moment: its texts were made in the background.
    app.click("[data-testid=nav-sent]").await;
    app.wait_for_content("[data-testid=sent-search-count]", &format!("200 av {}", N)).await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let sent_later = measure(&app, "sent-search", "sent-row", Some("brev 4242.pdf"), None).await;
    // Where the time goes: the calls to the app's core (IPC and JSON included).
    let sent_call = call_ms(&app, "send_list", serde_json::json!({})).await;
    let inbox_call = call_ms(&app, "inbox_list", serde_json::json!({})).await;
    let sent_page_call = call_ms(&app, "send_list", serde_json::json!({"limit": 201})).await;
    let profile_call = call_ms(&app, "auth_get_profile", serde_json::json!({"environment": "sandbox"})).await;

    let row = |list: &str, what: &str, ms: f64, target: f64| {
        format!(
            "| {list}, {N} entries: {what} | {ms:.0} ms | ≤ {target:.0} ms | {} |\n",
            if ms <= target { "PASS" } else { "MISS" }
        )
    };
    let info = |list: &str, what: &str, ms: f64| format!("| {list}, {N} entries: {what} | {ms:.0} ms | – | info |\n");
    // `debug` (what the e2e tests use) or `bench-e2e` (optimised as a release, with the seeding commands).
    let build = std::path::Path::new(env!("CARGO_BIN_EXE_budbringer"))
        .parent()
        .and_then(|d| d.file_name())
        .map(|d| d.to_string_lossy().into_owned())
        .unwrap_or_default();
    let table = [
        format!("| list measurement (real window, WebKitGTK; the app built in the `{build}` profile) | measured | target | |\n|---|---|---|---|\n"),
        row("Sent", "first rows painted (click to the first screenful)", sent.first, 200.0),
        info("Sent", "the page's 200 rows in the document", sent.all),
        info("Sent", "the whole history loaded behind them (the count says 10000)", sent.complete),
        row("Sent", "filter the moment the history is in (typed to rows shown)", filter.all, 100.0),
        row("Sent", "filter 3 s later (texts made in the background)", sent_later.all, 100.0),
        row("Inbox", "first rows painted (click to the first screenful)", inbox.first, 200.0),
        info("Inbox", "the page's 200 rows in the document", inbox.all),
        info("Inbox", "the whole history loaded behind them (the count says 10000)", inbox.complete),
        row("Inbox", "filter the moment the history is in (typed to rows shown)", inbox_filter.all, 100.0),
        info("Inbox", "another search (texts already made)", inbox_again.all),
        info("Sent", "the first page's call (`send_list`, limit 201)", sent_page_call),
        info("Sent", "the whole list's call (`send_list`), loaded behind the first page", sent_call),
        info("Inbox", "the whole list's call (`inbox_list`), loaded behind the first page", inbox_call),
        info("Sent/Inbox", "the profile's call each page makes as it opens (`auth_get_profile`)", profile_call),
    ]
    .concat();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("lists.md"), &table).unwrap();
    println!("{table}");
    app.quit().await;
}

/// Milliseconds from a click on `target` (or typing `query` into it) until
/// the first rows `row` are painted (`first`), until the page's rows are in
/// the document (`all`: 200 after a click, exactly one after typing), and
/// until the search count says `total` (`complete`: the whole history is in).
struct Times {
    first: f64,
    all: f64,
    complete: f64,
}

async fn measure(app: &App, target: &str, row: &str, query: Option<&str>, total: Option<usize>) -> Times {
    let v = app
        .client
        .execute_async(
            r#"const [target, row, query, total, done] = arguments;
               const el = document.querySelector(`[data-testid=${target}]`);
               const t0 = performance.now();
               if (query === null) { el.click(); } else { el.value = query; el.dispatchEvent(new Event('input', { bubbles: true })); }
               const rows = () => document.querySelectorAll(`[data-testid=${row}]`).length;
               const count = () => (document.querySelector(`[data-testid$=search-count]`) || {}).textContent || '';
               const t = {};
               const check = () => {
                 const now = performance.now() - t0;
                 const n = rows();
                 if (t.first === undefined && n > 0 && t.firstSeen === undefined) {
                   t.firstSeen = now;
                   // Painted: `check` runs in a frame's callback, and a task queued there runs once that frame is drawn.
                   setTimeout(() => { t.first = performance.now() - t0; }, 0);
                 }
                 if (t.all === undefined && (query === null ? n >= 200 : n === 1)) t.all = now;
                 if (t.complete === undefined && t.all !== undefined && (total === null || count().includes(`av ${total}`))) t.complete = now;
                 if (t.first !== undefined && t.all !== undefined && t.complete !== undefined) return done([t.first, t.all, t.complete]);
                 if (now > 20000) return done(`after 20 s: ${n} rows; ${count()}`);
                 requestAnimationFrame(check);
               };
               check();"#,
            vec![
                target.into(),
                row.into(),
                query.map(serde_json::Value::from).unwrap_or(serde_json::Value::Null),
                total.map(serde_json::Value::from).unwrap_or(serde_json::Value::Null),
            ],
        )
        .await
        .unwrap_or_else(|e| panic!("{target}: {e}"));
    let ms = |i: usize| v[i].as_f64().unwrap_or_else(|| panic!("{target} never showed the rows: {v}"));
    Times { first: ms(0), all: ms(1), complete: ms(2) }
}

/// Milliseconds of one call of `cmd` with `args` from the page, answer parsed.
async fn call_ms(app: &App, cmd: &str, args: serde_json::Value) -> f64 {
    app.client
        .execute_async(
            "const [cmd, args, done] = arguments; const t0 = performance.now();
             window.__TAURI_INTERNALS__.invoke(cmd, args).then(() => done(performance.now() - t0), (e) => done(String(e)));",
            vec![cmd.into(), args],
        )
        .await
        .map(|v| v.as_f64().unwrap_or_else(|| panic!("{cmd}: {v}")))
        .unwrap_or_else(|e| panic!("{cmd}: {e}"))
}
