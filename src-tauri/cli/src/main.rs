//! Budbringer on the command line: the same transfer engine as the app,
//! without a window. Today it works with the practice sandbox (embedded, or
//! a running `altinn-sandbox` given with `--sandbox`); it is what the
//! benchmarks and the crash-and-resume tests drive.
//!
//! Output is one line per event, easy for scripts to read:
//! `sandbox <url>`, `job <id> <phase> <done>/<total>`, `transfer <id> <fileTransferId>`,
//! `published <id> <fileTransferId>`, `failed <id> <CODE> <detail>`, `saved <fileTransferId> <path>`.

use budbringer_core::altinn::{AltinnClient, Profile, ProfileStore};
use budbringer_core::environment::Environment;
use budbringer_core::error::{AppError, AppResult};
use budbringer_core::secrets::MemorySecretStore;
use budbringer_core::store::Store;
use budbringer_core::sync::Locked;
use budbringer_core::transfers::broker::Broker;
use budbringer_core::transfers::engine::SendQueue;
use budbringer_core::transfers::inbox::Inbox;
use budbringer_core::transfers::send::{Phase, SendRequest, UploadSettings};
use budbringer_core::transfers::validate::OrgNumber;
use budbringer_runtime::practice;
use budbringer_sandbox::{Sandbox, SandboxConfig, SandboxHandle, PRACTICE_ORG_A, PRACTICE_RESOURCE};
use clap::{Parser, Subcommand};
use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

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

struct Session {
    _sandbox: Option<SandboxHandle>,
    client: AltinnClient,
    store: Store,
}

async fn session(cli: &Cli) -> AppResult<Session> {
    std::fs::create_dir_all(&cli.data)?;
    let org = OrgNumber::parse(&cli.org)?.digits();
    // The key lives in memory for this run only (secrets never touch the data
    // folder), so each run registers a fresh key with the sandbox.
    let secrets = Arc::new(MemorySecretStore::new());
    let (sandbox, base, profile): (Option<SandboxHandle>, String, Profile) = match &cli.sandbox {
        Some(url) => {
            let http = reqwest::Client::new();
            let p = practice::provision_remote(&http, url, &org, secrets.as_ref()).await?;
            (None, url.trim_end_matches('/').to_owned(), p)
        }
        None => {
            let h = Sandbox::start(SandboxConfig::practice(), cli.data.join("sandbox")).await.map_err(|e| {
                AppError::new(budbringer_core::error::ErrorCode::SandboxFailed).with_detail(e.to_string())
            })?;
            let p = practice::provision(&h.admin(), &org, secrets.as_ref())?;
            let base = h.base_url();
            (Some(h), base, p)
        }
    };
    say(format!("sandbox {base}"));
    ProfileStore::open(&cli.data).save(profile.clone())?;
    let endpoints = Environment::Sandbox.endpoints(Some(&base)).expect("sandbox endpoints");
    let client = AltinnClient::new(profile, endpoints, secrets)?;
    let (store, _) = Store::open(&cli.data)?;
    Ok(Session { _sandbox: sandbox, client, store })
}

fn queue(s: &Session, settings: UploadSettings) -> Arc<SendQueue> {
    let broker = Broker::new(s.client.clone());
    let announced = Mutex::new(HashSet::new());
    SendQueue::new(
        s.store.clone(),
        Arc::new(move |_env: &str| Ok(broker.clone())),
        settings,
        2,
        Arc::new(move |u| {
            let j = &u.job;
            if let Some(ft) = j.file_transfer_id {
                if announced.locked().insert(j.id) {
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
        }),
    )
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
    let s = session(&cli).await.unwrap_or_else(|e| fail(e));
    let code = match &cli.command {
        Command::Send { files, to, resource, tus_threshold, chunk } => {
            let mut settings = UploadSettings::default();
            if let Some(t) = tus_threshold {
                settings.tus_threshold = *t;
            }
            if let Some(c) = chunk {
                settings.chunk_size = *c;
            }
            let sender = OrgNumber::parse(&cli.org).unwrap_or_else(|e| fail(e));
            let q = queue(&s, settings);
            let mut bad = 0;
            for f in files {
                let req = SendRequest {
                    path: f.clone(),
                    resource_id: resource.clone(),
                    recipients: to.clone(),
                    properties: Default::default(),
                    reference: None,
                };
                if let Err(e) = q.enqueue(&req, Environment::Sandbox.as_str(), &sender, None) {
                    say(format!("failed - {} {}: {}", e.code, f.display(), e.detail.unwrap_or_default()));
                    bad += 1;
                }
            }
            wait_and_report(&q).await.max(i32::from(bad > 0))
        }
        Command::Resume => {
            let q = queue(&s, UploadSettings { tus_threshold: u64::MAX, ..Default::default() });
            let n = q.resume_unfinished().unwrap_or_else(|e| fail(e));
            say(format!("resuming {n}"));
            wait_and_report(&q).await
        }
        Command::Receive { save } => {
            let broker = Broker::new(s.client.clone());
            let inbox = Inbox::new(s.store.clone(), Environment::Sandbox.as_str(), &cli.org);
            match inbox.refresh(&broker, &[PRACTICE_RESOURCE.to_owned()], Some(save)).await {
                Ok(r) => {
                    for id in &r.auto_saved {
                        if let Ok(f) = inbox.get(*id) {
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
                    say(format!("failed - {} {}", e.error.code, e.error.detail.unwrap_or_default()));
                    1
                }
            }
        }
    };
    std::process::exit(code)
}
