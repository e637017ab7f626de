//! Issue 12: after both walks, organisation B sends organisation A a file in
//! the window, and A's app, started again on A's computer, receives it: the
//! inbox shows it, it is saved and its download confirmed, and B's sender is
//! named. The two calls below that are not clicks stand in for the native
//! dialogs WebDriver cannot drive (a file dropped on the window, a folder
//! chosen in the system's folder dialog), as in the practice test.

use crate::harness::App;
use crate::onboard_web::{Locale, ORG_A, RESOURCE};
use std::path::{Path, PathBuf};

pub struct Sent {
    pub name: String,
    pub bytes: Vec<u8>,
}

pub async fn b_sends_to_a(app: &App, root: &Path) -> Sent {
    let l = Locale::load("en");
    let name = "rehearsal-report.pdf".to_owned();
    let source = root.join(&name);
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8).collect();
    std::fs::write(&source, &bytes).unwrap();

    app.click("[data-testid=wizard-finish]").await;
    app.find("[data-testid=page-send] [data-testid=dropzone]").await;
    app.invoke("e2e_drop_files", serde_json::json!({ "paths": [source.to_string_lossy()] })).await;
    app.wait_for_text("[data-testid=pending]", &name).await;
    app.type_into("[data-testid=recipient]", ORG_A).await;
    app.wait_for_text("[data-testid=recipient-check]", "Valid").await;
    app.click("[data-testid=add-recipient]").await;
    app.wait_for_text("[data-testid=recipients]", "310 000 108").await;
    app.find("[data-testid=resource]").await.select_by_value(RESOURCE).await.unwrap();
    app.type_into("[data-testid=reference]", "Rehearsal 12").await;
    app.screenshot("en-onboard-11-send").await;
    app.click("[data-testid=send]").await;
    let job = app.find_slow("[data-testid=jobs-finished] [data-testid=job][data-phase=published]", 120).await;
    assert!(job.text().await.unwrap().contains(&name));
    app.wait_for_content("[data-testid=announcer]", &l.t("send.announce.published", &[("name", &name)])).await;
    app.client.execute("document.getElementById('main').scrollTop = 0;", vec![]).await.unwrap();
    app.screenshot("en-onboard-12-sent").await;
    Sent { name, bytes }
}

pub async fn a_receives(app: &App, root: &Path, sent: &Sent) {
    // A's app opens where A left it, in Bokmål, with A's key from A's keyring.
    app.click("[data-testid=nav-inbox]").await;
    app.wait_for_text("[data-testid=page-inbox] [data-testid=altinn-label]", "Data fra Altinn").await;
    let downloads: PathBuf = root.join("a-mottatt");
    std::fs::create_dir_all(&downloads).unwrap();
    let folder = app.invoke("e2e_pick_folder", serde_json::json!({ "path": downloads.to_string_lossy() })).await;
    app.invoke("set_download_dir", serde_json::json!({ "folder": folder["handle"] })).await;
    app.click("[data-testid=inbox-refresh]").await;
    app.find_slow("[data-testid=inbox-row][data-phase=new]", 60).await;
    app.wait_for_text("[data-testid=inbox-table]", &sent.name).await;
    app.wait_for_text("[data-testid=inbox-table]", "310 000 116").await;
    app.screenshot("nb-onboard-11-inbox").await;
    app.click("[data-testid=inbox-row] [data-testid=download]").await;
    app.find_slow("[data-testid=inbox-row][data-phase=confirmed]", 60).await;
    let saved = std::fs::read(downloads.join(&sent.name)).expect("the file is in the chosen folder");
    assert_eq!(saved, sent.bytes, "the received file differs from the one sent");
    app.screenshot("nb-onboard-12-saved").await;
}
