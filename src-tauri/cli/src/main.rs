//! Budbringer on the command line: the same state, engine and services as
//! the app (`budbringer-runtime`: the send queue's start-up, the inbox's
//! refresh), without a window. Today it works with the practice sandbox (embedded, or
//! a running `altinn-sandbox` given with `--sandbox`); it is what the
//! benchmarks and the crash-and-resume tests drive.
//!
//! Output is one line per event, easy for scripts to read:
//! `sandbox <url>`, `job <id> <phase> <done>/<total>`, `transfer <id> <fileTransferId>`,
//! `published <id> <fileTransferId>`, `failed <id> <CODE> <detail>`, `saved <fileTransferId> <path>`.

use budbringer_core::environment::Environment;
use budbringer_core::error::{AppError, AppResult};
use budbringer_core::secrets::MemorySecretStore;
use budbringer_core::settings::Settings;
use budbringer_core::sync::Locked;
use budbringer_core::transfers::engine::SendQueue;
use budbringer_core::transfers::inbox::RefreshReport;
use budbringer_core::transfers::send::{Phase, SendUpdate, UploadSettings};
use budbringer_core::transfers::validate::OrgNumber;
use budbringer_runtime::practice;
use budbringer_runtime::services::send::{send_files, SendFiles};
use budbringer_runtime::services::{inbox, queue, EventSink, Notifier};
use budbringer_runtime::state::AppState;
use budbringer_sandbox::{PRACTICE_ORG_A, PRACTICE_RESOURCE};
use clap::{Parser, Subcommand};
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

#[derive(Parser)]
#[command(name = "budbringer-cli", version, about = "Send and receive files through Altinn Broker (practice sandbox)")]
struct Cli {
    /// Folder for the queue, history and profile (and the embedded sandbox).
    #[arg(long, default_value = "budbringer-data")]
    data: PathBuf,
    /// Use a running sandbox (e.g. `altinn-sandbox`) instead of an embedded one.
    #[arg(long)]
    sandbox: Option<String>,
    /// Act as this practice organisation.
    #[arg(long = "as", default_value = PRACTICE_ORG_A)]
    org: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Send files and wait until each is published or failed.
    Send {
        files: Vec<PathBuf>,
        /// Recipient organisation number (repeat for several).
        #[arg(long = "to", required = true)]
        to: Vec<String>,
        #[arg(long, default_value = PRACTICE_RESOURCE)]
        resource: String,
        /// Files of at least this many bytes go through TUS.
        #[arg(long)]
        tus_threshold: Option<u64>,
        /// TUS chunk size in bytes (at least 8 MiB).
        #[arg(long)]
        chunk: Option<u64>,
    },
    /// Continue every transfer left unfinished (after a crash or kill).
    Resume,
    /// Download every new file to a folder, verify it and confirm it.
    Receive {
        #[arg(long)]
        save: PathBuf,
    },
}

fn say(line: String) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn fail(e: AppError) -> ! {
    eprintln!("budbringer-cli: {e}");
    std::process::exit(2)
}

/// The same state and services the app runs, with the key in memory for this
/// run only (secrets never touch the data folder), so each run registers a
/// fresh key with the sandbox.
async fn session(cli: &Cli, settings: Settings) -> AppResult<Arc<AppState>> {
    std::fs::create_dir_all(&cli.data)?;
    let org = OrgNumber::parse(&cli.org)?.digits();
    let state =
        AppState::with_secrets(settings, cli.data.clone(), cli.data.join("logs"), Arc::new(MemorySecretStore::new()))
            .with_external_sandbox(cli.sandbox.clone());
    if let Some(problem) = state.store_problem.clone().filter(|_| state.store.path() == Path::new(":memory:")) {
        // Resuming needs the queue on disk: a history kept in memory is no use here.
        return Err(problem);
    }
    let profile = match &cli.sandbox {
        Some(url) => practice::provision_remote(&reqwest::Client::new(), url, &org, state.secrets.as_ref()).await?,
        None => practice::provision(&state.sandbox().await?.admin(), &org, state.secrets.as_ref())?,
    };
    say(format!("sandbox {}", state.sandbox_base_url().unwrap_or_default()));
    state.profiles.save(profile)?;
    Ok(Arc::new(state))
}

/// Prints what happens to the send jobs, one line per event.
#[derive(Default)]
struct Lines {
    announced: Mutex<HashSet<Uuid>>,
}

impl EventSink for Lines {
    fn send_update(&self, u: SendUpdate) {
        let j = &u.job;
        if let Some(ft) = j.file_transfer_id {
            if self.announced.locked().insert(j.id) {
                say(format!("transfer {} {ft}", j.id));
            }
        }
        match (j.phase, u.progress) {
            (Phase::Published, _) => say(format!("published {} {}", j.id, ft_or_dash(j.file_transfer_id))),
            (Phase::Failed | Phase::Cancelled, _) => {
                let e = j.error.clone().unwrap_or_else(|| AppError::internal("unknown"));
                say(format!("failed {} {} {}", j.id, e.code, e.detail.unwrap_or_default()))
            }
            (p, Some(pr)) => say(format!("job {} {:?} {}/{}", j.id, p, pr.done, pr.total).to_lowercase()),
            (p, None) => say(format!("job {} {:?}", j.id, p).to_lowercase()),
        }
    }
    // What a receive did is printed from its report.
    fn inbox_refreshed(&self, _: &RefreshReport) {}
    fn inbox_failed(&self, _: AppError) {}
    fn download_progress(&self, _: Uuid, _: u64, _: u64) {}
}

/// The terminal has no desktop notices: the `saved` lines say what arrived.
struct NoNotices;

impl Notifier for NoNotices {
    fn notify(&self, _: &str, _: &str) {}
}

fn ft_or_dash(id: Option<uuid::Uuid>) -> String {
    id.map(|i| i.to_string()).unwrap_or_else(|| "-".into())
}

async fn wait_and_report(q: &SendQueue) -> i32 {
    q.idle().await;
    let jobs = q.list().unwrap_or_default();
    let failed = jobs.iter().filter(|j| matches!(j.phase, Phase::Failed | Phase::Cancelled)).count();
    i32::from(failed > 0)
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let mut settings = Settings { environment: Environment::Sandbox, ..Settings::default() };
    if let Command::Receive { save } = &cli.command {
        settings.auto_save = true;
        settings.download_dir = Some(save.to_string_lossy().into_owned());
    }
    let state = session(&cli, settings).await.unwrap_or_else(|e| fail(e));
    let lines: Arc<dyn EventSink> = Arc::new(Lines::default());
    let code = match &cli.command {
        Command::Send { files, to, resource, tus_threshold, chunk } => {
            let mut settings = UploadSettings::default();
            if let Some(t) = tus_threshold {
                settings.tus_threshold = *t;
            }
            if let Some(c) = chunk {
                settings.chunk_size = *c;
            }
            let q = queue::open(&state, lines, settings);
            let files = SendFiles {
                paths: files.iter().map(|f| f.to_string_lossy().into_owned()).collect(),
                recipients: to.clone(),
                resource_id: Some(resource.clone()),
                ..SendFiles::default()
            };
            let mut bad = 0;
            for (path, outcome) in send_files(&state, files).unwrap_or_else(|e| fail(e)) {
                if let Err(e) = outcome {
                    say(format!("failed - {} {path}: {}", e.code, e.detail.unwrap_or_default()));
                    bad += 1;
                }
            }
            wait_and_report(&q).await.max(i32::from(bad > 0))
        }
        Command::Resume => {
            let q = queue::open(&state, lines, UploadSettings { tus_threshold: u64::MAX, ..Default::default() });
            let n = q.resume_unfinished().unwrap_or_else(|e| fail(e));
            say(format!("resuming {n}"));
            wait_and_report(&q).await
        }
        Command::Receive { .. } => match inbox::refresh(&state, &lines, &NoNotices).await {
            Ok(r) => {
                let (received, _) = inbox::active(&state);
                for id in &r.auto_saved {
                    if let Ok(f) = received.get(*id) {
                        say(format!(
                            "saved {id} {}",
                            f.saved_path.map(|p| p.display().to_string()).unwrap_or_default()
                        ));
                    }
                }
                for (id, e) in &r.failed {
                    say(format!("failed {id} {} {}", e.code, e.detail.clone().unwrap_or_default()));
                }
                i32::from(!r.failed.is_empty())
            }
            Err(e) => {
                let e = AppError::from(e);
                say(format!("failed - {} {}", e.code, e.detail.unwrap_or_default()));
                1
            }
        },
    };
    std::process::exit(code)
}
