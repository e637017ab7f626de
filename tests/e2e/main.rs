//! End-to-end tests of the real app. Ignored by a plain `cargo test` because
//! they need a display, tauri-driver and WebKitWebDriver; `scripts/test.sh`
//! runs them under Xvfb with `-- --ignored`.

mod harness;

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
            app.wait_for_text(&format!("[data-testid=page-{page}] [data-testid=altinn-label]"), "Data fra Altinn").await;
        }
        app.screenshot(&format!("shell-nb-{page}")).await;
    }

    // The embedded practice sandbox runs, and answers like Maskinporten.
    app.click("[data-testid=nav-setup]").await;
    let text = app.text("[data-testid=sandbox-url]").await;
    let url = text.split_whitespace().find(|w| w.starts_with("http://127.0.0.1:")).expect("sandbox URL shown").to_owned();
    let meta: serde_json::Value = reqwest::get(format!("{url}/.well-known/oauth-authorization-server"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
            app.wait_for_text(&format!("[data-testid=page-{page}] [data-testid=altinn-label]"), "Data from Altinn").await;
        }
        app.screenshot(&format!("shell-en-{page}")).await;
    }

    // The environment badge follows the choice in Setup.
    app.click("[data-testid=nav-setup]").await;
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
