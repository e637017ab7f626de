//! Two organisations in one installation (issue 17): both set up through
//! practice mode, switched from the header, a file sent from A to B, and each
//! inbox showing only its own organisation's files; the Send page's sender
//! (switching from there); removing one in Settings through its dialog.
//! Screenshots `nb-orgs-*`, `nb-send-sender`.

use crate::harness::App;
use crate::{ORG_A, ORG_B};

/// Switches the header to `org` and waits until the app works for it. (The
/// announcement is checked on the first switch: later ones can be overtaken
/// at once by the inbox's own announcement of the refresh a switch starts.)
async fn switch_to(app: &App, org: &str) {
    app.find("[data-testid=org-switcher-select]").await.select_by_value(org).await.unwrap();
    for _ in 0..150 {
        let p = app.invoke("auth_get_profile", serde_json::json!({ "environment": "sandbox" })).await;
        if p["orgNumber"] == org {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let sel = app.find("[data-testid=org-switcher-select]").await;
    let html = sel.html(false).await.unwrap_or_default();
    let value = sel.prop("value").await.unwrap();
    let said = app.find("[data-testid=announcer]").await.prop("textContent").await.unwrap();
    panic!("the app never switched to {org}: select {value:?} {html} said {said:?}");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a display and tauri-driver: run by scripts/test.sh"]
async fn two_organisations_in_one_installation_each_with_its_own_inbox() {
    let app = App::start().await;
    let work = tempfile::tempdir().unwrap();
    app.find("[data-testid=page-setup]").await;

    // "Øv som organisasjon A", then "… B": both in this installation, B active.
    app.invoke("practice_use_org", serde_json::json!({ "org": ORG_A })).await;
    app.invoke("practice_use_org", serde_json::json!({ "org": ORG_B })).await;
    let orgs = app.invoke("orgs_list", serde_json::json!({ "environment": "sandbox" })).await;
    assert_eq!(orgs.as_array().map(Vec::len), Some(2), "{orgs}");

    // The header lists both, by name; choosing A is announced.
    app.click("[data-testid=nav-send]").await;
    app.find("[data-testid=org-option-310000019]").await;
    app.wait_for_text("[data-testid=org-switcher]", "Øvingsetaten Avsender (310 000 019)").await;
    app.wait_for_text("[data-testid=org-switcher]", "Øvingsetaten Mottaker (310 000 027)").await;
    switch_to(&app, ORG_A).await;
    app.wait_for_content("[data-testid=announcer]", "Du jobber nå for Øvingsetaten Avsender").await;
    app.screenshot("nb-orgs-switcher").await;

    // A file from A to B. The Send page says who sends, and offers the other.
    let name = "budbringer-e2e-to-org.txt";
    let source = work.path().join(name);
    std::fs::write(&source, b"fra A til B").unwrap();
    app.click("[data-testid=nav-send]").await;
    app.wait_for_text("[data-testid=send-sender]", "Sendes fra").await;
    let sender = app.find("[data-testid=send-sender-select]").await;
    assert_eq!(sender.prop("value").await.unwrap().as_deref(), Some(ORG_A));
    app.wait_for_text("[data-testid=send-sender-select]", "Øvingsetaten Mottaker (310 000 027)").await;
    app.screenshot("nb-send-sender").await;
    app.invoke("e2e_drop_files", serde_json::json!({ "paths": [source.to_string_lossy()] })).await;
    app.wait_for_text("[data-testid=pending]", name).await;
    app.type_into("[data-testid=recipient]", ORG_B).await;
    app.wait_for_text("[data-testid=recipient-check]", "Gyldig").await;
    app.click("[data-testid=add-recipient]").await;
    app.click("[data-testid=send]").await;
    app.find_slow("[data-testid=jobs-finished] [data-testid=job][data-phase=published]", 120).await;
    app.screenshot("nb-orgs-sent-from-a").await;

    // B's inbox has it, under B: switched from the Send page's sender, which switches the app.
    app.find("[data-testid=send-sender-select]").await.select_by_value(ORG_B).await.unwrap();
    app.wait_for_content("[data-testid=announcer]", "Filene sendes nå fra Øvingsetaten Mottaker").await;
    let header = app.find("[data-testid=org-switcher-select]").await;
    assert_eq!(header.prop("value").await.unwrap().as_deref(), Some(ORG_B), "the header follows");
    app.click("[data-testid=nav-inbox]").await;
    app.find(&format!("[data-testid=page-inbox] [data-testid=page-org][data-org='{ORG_B}']")).await;
    app.click("[data-testid=inbox-refresh]").await;
    app.find_slow("[data-testid=inbox-row][data-phase=new]", 60).await;
    app.wait_for_text("[data-testid=inbox-table]", name).await;
    app.screenshot("nb-orgs-inbox-b").await;

    // A's inbox does not.
    switch_to(&app, ORG_A).await;
    app.click("[data-testid=nav-inbox]").await;
    app.find(&format!("[data-testid=page-inbox] [data-testid=page-org][data-org='{ORG_A}']")).await;
    app.click("[data-testid=inbox-refresh]").await;
    app.settle().await;
    let rows = app.client.find_all(fantoccini::Locator::Css("[data-testid=inbox-row]")).await.unwrap();
    assert!(rows.is_empty(), "A's inbox shows B's file");
    app.screenshot("nb-orgs-inbox-a").await;

    // Settings: remove A (active). The dialog says what goes and what stays;
    // Escape closes it without removing anything.
    app.click("[data-testid=nav-settings]").await;
    app.click(&format!("[data-testid=org-remove-{ORG_A}]")).await;
    app.wait_for_text("[data-testid=org-remove-dialog]", "nøkkelen og API-nøkkelen").await;
    app.wait_for_text("[data-testid=org-remove-dialog]", "filer som allerede er lagret").await;
    app.screenshot("nb-orgs-remove-dialog").await;
    app.find("[data-testid=org-remove-cancel]").await.send_keys("\u{e00c}").await.unwrap();
    app.settle().await;
    let open = app.client.find_all(fantoccini::Locator::Css("[data-testid=org-remove-dialog]")).await.unwrap();
    assert!(open.is_empty(), "Escape closes the dialog");
    app.find(&format!("[data-testid=org-here-{ORG_A}]")).await;
    app.click(&format!("[data-testid=org-remove-{ORG_A}]")).await;
    app.click("[data-testid=org-remove-confirm]").await;
    app.wait_for_content("[data-testid=announcer]", "er fjernet fra denne datamaskinen").await;
    let orgs = app.invoke("orgs_list", serde_json::json!({ "environment": "sandbox" })).await;
    assert_eq!(orgs.as_array().map(Vec::len), Some(1), "{orgs}");
    // The switcher no longer offers A; B is active; Send shows B as the one sender.
    app.find(&format!("[data-testid=org-option-{ORG_B}]")).await;
    app.settle().await;
    let gone =
        app.client.find_all(fantoccini::Locator::Css(&format!("[data-testid=org-option-{ORG_A}]"))).await.unwrap();
    assert!(gone.is_empty(), "the switcher still offers the removed organisation");
    app.click("[data-testid=nav-send]").await;
    app.wait_for_text("[data-testid=send-sender-name]", "Øvingsetaten Mottaker (310 000 027)").await;
    app.quit().await;
}
