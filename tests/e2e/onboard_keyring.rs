//! Issue 12: where no desktop keyring answers, the app falls back to the Linux
//! kernel keyring, which forgets the key at logout or restart. The window must
//! not call that safe storage: Settings and the key step say so, with the next
//! step (a key backup, a desktop session with a keyring).

use crate::harness::App;
use crate::onboard_web::{next, Locale, ORG_A};

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a display and tauri-driver: run by scripts/test.sh"]
async fn the_kernel_keyring_is_not_called_safe() {
    // No D-Bus session bus: Secret Service cannot answer, the kernel keyring of
    // scripts/desktop-session.sh's `keyctl session` is the fallback.
    let app = App::start_with_env(&[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")]).await;
    let l = Locale::load("nb");
    app.find("[data-testid=page-setup] [data-testid=wizard-environment]").await;
    app.click("[data-testid=nav-settings]").await;
    let text = l.t("settings.secretStoreNotDurable", &[("backend", "kernel-keyring")]);
    app.wait_for_text("[data-testid=secret-store-not-durable]", &text).await;
    crate::scroll_main(&app, true).await;
    app.screenshot("nb-keyring-not-durable-settings").await;

    // Where the key is made, the same warning, naming the backup.
    app.click("[data-testid=nav-setup]").await;
    app.click("[data-testid=wizard-step-organisation]").await;
    app.type_into("[data-testid=org]", ORG_A).await;
    app.click("[data-testid=org-save]").await;
    app.wait_for_text("[data-testid=wizard-status]", "Lagret").await;
    next(&app, &l, "client", 5).await;
    app.click("[data-testid=generate-key]").await;
    // The kernel keyring outlives the test's session keyring (keyutils links the key to the
    // user's persistent keyring), so an earlier run's key may be there: replace it.
    if let Ok(confirm) = app.client.find(fantoccini::Locator::Css("[data-testid=replace-key-confirm]")).await {
        confirm.click().await.unwrap();
    }
    app.wait_for_text("[data-testid=wizard-status]", &l.t("wizard.client.generated", &[])).await;
    app.find_slow("[data-testid=public-key]", 60).await;
    let warning = l.t("wizard.client.notDurable", &[]);
    assert!(warning.contains("«Ferdig»"), "{warning}");
    app.wait_for_text("[data-testid=key-not-durable]", &warning).await;
    app.client
        .execute(
            "const m = document.getElementById('main'); \
             m.scrollTop += document.querySelector('[data-testid=key-not-durable]').getBoundingClientRect().top - 300;",
            vec![],
        )
        .await
        .unwrap();
    app.screenshot("nb-keyring-not-durable-key").await;
    // The webview's storage outlives the data folder: leave the wizard where a first start expects it.
    crate::scroll_main(&app, false).await;
    app.click("[data-testid=wizard-step-environment]").await;
    app.find("[data-testid=wizard-environment]").await;
    app.quit().await;
}
