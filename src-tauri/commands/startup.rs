//! Start-up: the UI says when its first page is on screen, so that the time
//! from process start to a painted page can be logged and measured (the
//! start-up row of docs/BENCHMARKS.md, issue 16).

use std::sync::OnceLock;
use std::time::Instant;

/// When the process started (as near as the app can tell: when `app::run` began,
/// which calls this first). Kept here, not in app.rs, so that app.rs (which
/// registers this command) and this file do not import each other.
pub fn started() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// The first page is painted. Logs how long the start took; when
/// `BUDBRINGER_STARTUP_PROBE` names a file, writes `painted` there for the
/// benchmark that started the app.
#[tauri::command]
pub fn app_painted() {
    let since_start = started().elapsed();
    tracing::info!(ms = since_start.as_millis() as u64, "first page painted");
    if let Some(probe) = std::env::var_os("BUDBRINGER_STARTUP_PROBE").filter(|p| !p.is_empty()) {
        if let Err(e) = std::fs::write(&probe, "painted\n") {
            tracing::warn!(error = %e, "could not write the start-up probe");
        }
    }
}
