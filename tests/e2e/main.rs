//! End-to-end tests of the real app. Ignored by a plain `cargo test` because
//! they need a display, tauri-driver and WebKitWebDriver; `scripts/test.sh`
//! runs them under Xvfb with `-- --ignored`.

#![allow(clippy::unwrap_used)] // a test (or the benchmark) that cannot go on fails at once

mod harness;
mod lists;
mod onboard;
mod onboard_en;
mod onboard_exchange;
mod onboard_keyring;
mod onboard_web;
mod orgs;

use harness::App;

const PAGES: [&str; 5] = ["send", "inbox", "sent", "setup", "settings"];

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a display and tauri-driver: run by scripts/test.sh"]
async fn shell_every_page_in_both_languages() {
    let app = App::start().await;

    // Bokmål by default, in the Sandbox environment.
    assert_eq!(app.text("[data-testid=product-name]").await, "Budbringer");
    app.wait_for_text("[data-testid=env-badge]", "Øvingsmiljø").await;
    assert_eq!(app.find("html").await.attr("lang").await.unwrap().as_deref(), Some("nb"));

    for page in PAGES {
        app.click(&format!("[data-testid=nav-{page}]")).await;
        app.find(&format!("[data-testid=page-{page}] h1")).await;
        if page == "inbox" || page == "sent" {
            app.wait_for_text(&format!("[data-testid=page-{page}] [data-testid=altinn-label]"), "Data fra Altinn")
                .await;
        }
        app.screenshot(&format!("shell-nb-{page}")).await;
    }

    // The embedded practice sandbox runs, and answers like Maskinporten.
    app.click("[data-testid=nav-setup]").await;
    app.click("[data-testid=wizard-step-environment]").await;
    let text = app.text("[data-testid=sandbox-url]").await;
    let url =
        text.split_whitespace().find(|w| w.starts_with("http://127.0.0.1:")).expect("sandbox URL shown").to_owned();
    let meta: serde_json::Value =
        reqwest::get(format!("{url}/.well-known/oauth-authorization-server")).await.unwrap().json().await.unwrap();
    assert_eq!(meta["issuer"], format!("{url}/"));

    // Switch to English through Settings; the choice goes through the backend.
    app.click("[data-testid=nav-settings]").await;
    app.find("[data-testid=language]").await.select_by_value("en").await.unwrap();
    app.wait_for_text("[data-testid=nav-inbox]", "Inbox").await;
    app.wait_for_text("[data-testid=env-badge]", "Sandbox").await;
    for page in PAGES {
        app.click(&format!("[data-testid=nav-{page}]")).await;
        app.find(&format!("[data-testid=page-{page}] h1")).await;
        if page == "inbox" || page == "sent" {
            app.wait_for_text(&format!("[data-testid=page-{page}] [data-testid=altinn-label]"), "Data from Altinn")
                .await;
        }
        app.screenshot(&format!("shell-en-{page}")).await;
    }

    // The environment badge follows the choice in Setup.
    app.click("[data-testid=nav-setup]").await;
    app.click("[data-testid=wizard-step-environment]").await;
    app.click("#env-tt02").await;
    app.wait_for_text("[data-testid=env-badge]", "TT02").await;
    app.screenshot("shell-en-setup-tt02").await;

    // The choices were saved by the backend, in the app's own data folder.
    let saved = std::fs::read_to_string(app.data_dir.path().join("data/settings.json")).expect("settings.json saved");
    let saved: serde_json::Value = serde_json::from_str(&saved).unwrap();
    assert_eq!(saved["settings"]["language"], "en");
    assert_eq!(saved["settings"]["environment"], "tt02");
    app.quit().await;
}

const WIZARD: [&str; 10] = [
    "environment",
    "role",
    "prerequisites",
    "organisation",
    "client",
    "resource",
    "accessList",
    "systemUser",
    "test",
    "done",
];
pub(crate) const ORG_A: &str = "310000019";
pub(crate) const ORG_B: &str = "310000027";

/// Screenshots every wizard step as `<lang>-wizard-<n>-<step>.png`.
async fn wizard_screenshots(app: &App, lang: &str) {
    app.click("[data-testid=nav-setup]").await;
    for (i, step) in WIZARD.iter().enumerate() {
        app.click(&format!("[data-testid=wizard-step-{step}]")).await;
        app.find(&format!("[data-testid=wizard-{step}]")).await;
        app.screenshot(&format!("{lang}-wizard-{}-{step}", i + 1)).await;
        if ["environment", "prerequisites", "client", "systemUser", "done"].contains(step) {
            scroll_main(app, true).await;
            app.screenshot(&format!("{lang}-wizard-{}-{step}-end", i + 1)).await;
            scroll_main(app, false).await;
        }
    }
}

/// Practise as one of the sandbox organisations through the wizard, and check the connection.
async fn practise_as(app: &App, org: &str, shot: Option<&str>) {
    app.click("[data-testid=nav-setup]").await;
    app.click("[data-testid=wizard-step-environment]").await;
    app.click(if org == ORG_A { "[data-testid=practice-a]" } else { "[data-testid=practice-b]" }).await;
    app.find_slow("[data-testid=wizard-test]", 60).await;
    app.click("[data-testid=run-test]").await;
    let report = app.find_slow("[data-testid=test-report]", 60).await;
    assert_eq!(
        report.attr("data-ok").await.unwrap().as_deref(),
        Some("true"),
        "connection test: {}",
        report.text().await.unwrap()
    );
    // Every step of the test is shown, labelled as Altinn data.
    app.find("[data-testid=test-report] [data-testid=altinn-label]").await;
    app.find("[data-testid=test-step][data-step=broker][data-outcome=ok]").await;
    if let Some(name) = shot {
        app.screenshot(name).await;
    }
}

async fn page_screenshot(app: &App, lang: &str, page: &str) {
    app.click(&format!("[data-testid=nav-{page}]")).await;
    app.find(&format!("[data-testid=page-{page}] h1")).await;
    scroll_main(app, false).await;
    app.screenshot(&format!("{lang}-{page}")).await;
    if page == "settings" || page == "send" {
        scroll_main(app, true).await;
        app.screenshot(&format!("{lang}-{page}-end")).await;
        scroll_main(app, false).await;
    }
}

/// The page scrolls inside <main>; WebDriver screenshots show the viewport only.
async fn scroll_main(app: &App, to_end: bool) {
    let script = if to_end {
        "const m = document.getElementById('main'); m.scrollTop = m.scrollHeight;"
    } else {
        "document.getElementById('main').scrollTop = 0;"
    };
    app.client.execute(script, vec![]).await.unwrap();
}

/// The five steps of issue 6: wizard in Sandbox mode, send A → B through the
/// drop handler's function, B's inbox with the Altinn label, download and
/// byte comparison, A's receipt. Screenshots of every page and wizard step in
/// both languages.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a display and tauri-driver: run by scripts/test.sh"]
async fn send_and_receive_in_the_sandbox() {
    let app = App::start().await;
    let work = tempfile::tempdir().unwrap();

    // First start: nothing is set up, so the app opens the setup wizard.
    app.find("[data-testid=page-setup] [data-testid=wizard-environment]").await;
    app.wait_for_text("[data-testid=env-badge]", "Øvingsmiljø").await;
    app.wait_for_text("[data-testid=usage-rules]", "ikke laget av Altinn").await;
    wizard_screenshots(&app, "nb").await;

    // 1. Complete the wizard in Sandbox mode (the practice shortcut for steps 2–8).
    practise_as(&app, ORG_A, Some("nb-wizard-9-test-result")).await;
    app.click("[data-testid=wizard-next]").await;
    app.wait_for_text("[data-testid=summary]", "310 000 019").await;
    app.wait_for_text("[data-testid=summary]", "budbringer-ovelse").await;
    app.screenshot("nb-wizard-10-done-filled").await;
    app.click("[data-testid=wizard-finish]").await;
    app.find("[data-testid=page-send] [data-testid=dropzone]").await;

    // 2. Send a file from A to B. It goes in as a drop does: the debug build's stand-in for the
    // native drop event records it in Rust and hands the page a handle (services/picked.rs).
    let name = "budbringer-e2e-rapport.pdf";
    let source = work.path().join(name);
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(&source, &bytes).unwrap();
    app.invoke("e2e_drop_files", serde_json::json!({ "paths": [source.to_string_lossy()] })).await;
    app.wait_for_text("[data-testid=pending]", name).await;
    // The page can name no file itself: no test hook on window, a path or a made-up handle is refused.
    let hook = app.client.execute("return typeof window.__budbringer;", vec![]).await.unwrap();
    assert_eq!(hook, "undefined", "the release UI has no test hook");
    let forged =
        app.invoke("send_files", serde_json::json!({ "files": [uuid::Uuid::new_v4()], "recipients": [ORG_B] })).await;
    assert_eq!(forged[0]["error"]["code"], "NOT_CHOSEN", "a made-up handle: {forged}");
    let by_path = app.invoke_err("set_download_dir", serde_json::json!({ "folder": "/etc" })).await;
    assert!(by_path.to_string().contains("invalid"), "a path instead of a handle: {by_path}");
    // Live validation: a wrong check digit is caught while typing.
    app.type_into("[data-testid=recipient]", "310000028").await;
    app.wait_for_text("[data-testid=recipient-check]", "kontrollsifferet").await;
    app.screenshot("nb-send-invalid-recipient").await;
    app.type_into("[data-testid=recipient]", ORG_B).await;
    app.wait_for_text("[data-testid=recipient-check]", "Gyldig").await;
    app.click("[data-testid=add-recipient]").await;
    app.wait_for_text("[data-testid=recipients]", "310 000 027").await;
    app.type_into("[data-testid=reference]", "Sak 2026/42").await;
    // A property (Broker's propertyList) that the recipient sees.
    app.click("[data-testid=add-property]").await;
    app.type_into("[data-testid=property-key]", "saksnummer").await;
    app.type_into("[data-testid=property-value]", "2026/42-7").await;
    // Names from the sandbox's registers: the recipient and the service.
    app.wait_for_text("[data-testid=recipients]", "Øvingsetaten Mottaker (310 000 027)").await;
    app.wait_for_text("[data-testid=resource]", "Øvingstjeneste for Budbringer").await;
    app.screenshot("nb-send-ready").await;
    app.click("[data-testid=send]").await;
    let job = app.find_slow("[data-testid=jobs-finished] [data-testid=job][data-phase=published]", 120).await;
    assert!(job.text().await.unwrap().contains(name));
    app.find("[data-testid=jobs-finished] progress").await;
    app.wait_for_content("[data-testid=announcer]", "er sendt").await;
    app.client.execute("document.getElementById('main').scrollTop = 0;", vec![]).await.unwrap();
    app.screenshot("nb-send").await;

    // 3. Switch to B and see the file in the inbox, labelled as Altinn data.
    practise_as(&app, ORG_B, None).await;
    let downloads = work.path().join("mottatt");
    std::fs::create_dir_all(&downloads).unwrap();
    let folder = app.invoke("e2e_pick_folder", serde_json::json!({ "path": downloads.to_string_lossy() })).await;
    app.invoke("set_download_dir", serde_json::json!({ "folder": folder["handle"] })).await;
    app.click("[data-testid=nav-inbox]").await;
    app.find("[data-testid=page-inbox] [data-testid=altinn-label]").await;
    app.wait_for_text("[data-testid=page-inbox] [data-testid=altinn-label]", "Data fra Altinn").await;
    app.click("[data-testid=inbox-refresh]").await;
    app.find_slow("[data-testid=inbox-row][data-phase=new]", 60).await;
    app.wait_for_text("[data-testid=inbox-table]", name).await;
    app.wait_for_text("[data-testid=inbox-table]", "Øvingsetaten Avsender (310 000 019)").await;
    app.screenshot("nb-inbox").await;
    app.click("[data-testid=inbox-row] [data-testid=inbox-details]").await;
    app.find("[data-testid=inbox-details-dialog] [data-testid=altinn-label]").await;
    app.wait_for_text("[data-testid=inbox-details-dialog]", "Sak 2026/42").await;
    app.wait_for_text("[data-testid=inbox-details-dialog]", "saksnummer").await;
    app.wait_for_text("[data-testid=inbox-details-dialog]", "2026/42-7").await;
    app.wait_for_text("[data-testid=inbox-details-dialog] [data-testid=service-name]", "Øvingstjeneste for Budbringer")
        .await;
    app.screenshot("nb-inbox-details").await;
    app.click("[data-testid=dialog-close]").await;

    // 4. Download it, compare the bytes, and confirm.
    app.click("[data-testid=inbox-row] [data-testid=download]").await;
    app.find_slow("[data-testid=inbox-row][data-phase=confirmed]", 60).await;
    app.wait_for_text("[data-testid=inbox-status-message]", name).await;
    let saved = std::fs::read(downloads.join(name)).expect("the downloaded file is in the chosen folder");
    assert_eq!(saved, bytes, "the received file differs from the one sent");
    app.find("[data-testid=inbox-row] [data-testid=open]").await;
    app.find("[data-testid=inbox-row] [data-testid=reveal]").await;
    app.screenshot("nb-inbox-saved").await;
    // The received file's receipt as PDF, from its details (a name typed without ".pdf" gets it).
    app.click("[data-testid=inbox-row] [data-testid=inbox-details]").await;
    let received_pdf = work.path().join("Mottakskvittering");
    app.invoke("e2e_next_save_path", serde_json::json!({ "path": received_pdf.to_string_lossy() })).await;
    app.click("[data-testid=inbox-details-dialog] [data-testid=inbox-details-pdf]").await;
    app.wait_for_text("[data-testid=inbox-details-pdf-status]", "Mottakskvittering.pdf").await;
    let pdf = lopdf::Document::load(work.path().join("Mottakskvittering.pdf")).expect("a PDF");
    let text = pdf.extract_text(&[1]).unwrap().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("Kvittering for mottatt fil") && text.contains("Kvittert som mottatt hos Altinn"), "{text}");
    app.screenshot("nb-inbox-receipt-pdf").await;
    app.click("[data-testid=dialog-close]").await;

    // 5. Back as A: the receipt on the Sent page, with the recipient's status.
    practise_as(&app, ORG_A, None).await;
    app.click("[data-testid=nav-sent]").await;
    app.wait_for_text("[data-testid=page-sent] [data-testid=altinn-label]", "Data fra Altinn").await;
    app.wait_for_text("[data-testid=sent-table]", name).await;
    // The receipt is fetched again from Altinn: B has downloaded and confirmed.
    let recipient =
        app.find_slow("[data-testid=sent-row] [data-testid=sent-recipient][data-status=DownloadConfirmed]", 30).await;
    let text = recipient.text().await.unwrap();
    assert!(
        text.contains("Øvingsetaten Mottaker (310 000 027)") && text.contains("Har hentet filen"),
        "recipient row: {text}"
    );
    app.screenshot("nb-sent").await;
    app.click("[data-testid=sent-row] [data-testid=receipt]").await;
    app.find("[data-testid=receipt-dialog] [data-testid=altinn-label]").await;
    app.wait_for_text("[data-testid=receipt-recipients]", "310 000 027").await;
    app.find("[data-testid=receipt-history] li").await;
    app.screenshot("nb-sent-receipt").await;
    // "Lagre som PDF": the receipt as a file (the stand-in answers the save dialog).
    let pdf_path = work.path().join("Kvittering.pdf");
    app.invoke("e2e_next_save_path", serde_json::json!({ "path": pdf_path.to_string_lossy() })).await;
    app.click("[data-testid=receipt-dialog] [data-testid=receipt-pdf]").await;
    app.wait_for_text("[data-testid=receipt-pdf-status]", "Kvitteringen er lagret som").await;
    let pdf = lopdf::Document::load(&pdf_path).expect("the saved receipt is a PDF");
    let pages: Vec<u32> = pdf.get_pages().keys().copied().collect();
    let pdf_text = pdf.extract_text(&pages).unwrap().split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "Kvittering for sendt fil",
        name,
        "Øvingsetaten Mottaker (310 000 027)",
        "DownloadConfirmed",
        "Data fra Altinn",
    ] {
        assert!(pdf_text.contains(needle), "{needle:?} missing in the saved receipt:\n{pdf_text}");
    }
    app.screenshot("nb-sent-receipt-pdf").await;
    app.click("[data-testid=dialog-close]").await;
    page_screenshot(&app, "nb", "settings").await;

    // Every page and wizard step in English too.
    app.click("[data-testid=nav-settings]").await;
    app.find("[data-testid=language]").await.select_by_value("en").await.unwrap();
    app.wait_for_text("[data-testid=nav-inbox]", "Inbox").await;
    for page in ["send", "sent", "settings"] {
        page_screenshot(&app, "en", page).await;
    }
    app.click("[data-testid=nav-sent]").await;
    app.click("[data-testid=sent-row] [data-testid=receipt]").await;
    app.wait_for_text("[data-testid=receipt-dialog] [data-testid=altinn-label]", "Data from Altinn").await;
    app.screenshot("en-sent-receipt").await;
    app.click("[data-testid=dialog-close]").await;
    wizard_screenshots(&app, "en").await;
    practise_as(&app, ORG_B, Some("en-wizard-9-test-result")).await;
    app.click("[data-testid=nav-inbox]").await;
    app.wait_for_text("[data-testid=page-inbox] [data-testid=altinn-label]", "Data from Altinn").await;
    app.wait_for_text("[data-testid=inbox-table]", name).await;
    app.screenshot("en-inbox").await;

    // And in Nynorsk: every page, the receipt and every wizard step, names included.
    app.click("[data-testid=nav-settings]").await;
    app.find("[data-testid=language]").await.select_by_value("nn").await.unwrap();
    app.wait_for_text("[data-testid=nav-settings]", "Innstillingar").await;
    assert_eq!(app.find("html").await.attr("lang").await.unwrap().as_deref(), Some("nn"));
    app.click("[data-testid=nav-inbox]").await;
    app.wait_for_text("[data-testid=page-inbox] [data-testid=altinn-label]", "Data frå Altinn").await;
    app.wait_for_text("[data-testid=inbox-table]", "Øvingsetaten Avsender (310 000 019)").await;
    app.screenshot("nn-inbox").await;
    app.click("[data-testid=inbox-row] [data-testid=inbox-details]").await;
    app.wait_for_text("[data-testid=inbox-details-dialog] [data-testid=service-name]", "Øvingsteneste for Budbringer")
        .await;
    app.screenshot("nn-inbox-details").await;
    app.click("[data-testid=dialog-close]").await;
    practise_as(&app, ORG_A, Some("nn-wizard-9-test-result")).await;
    for page in ["send", "sent", "settings"] {
        page_screenshot(&app, "nn", page).await;
    }
    app.click("[data-testid=nav-sent]").await;
    app.click("[data-testid=sent-row] [data-testid=receipt]").await;
    app.wait_for_text("[data-testid=receipt-dialog] [data-testid=altinn-label]", "Data frå Altinn").await;
    app.wait_for_text("[data-testid=receipt-recipients]", "Øvingsetaten Mottaker (310 000 027)").await;
    app.screenshot("nn-sent-receipt").await;
    app.click("[data-testid=dialog-close]").await;
    wizard_screenshots(&app, "nn").await;
    app.quit().await;
}
