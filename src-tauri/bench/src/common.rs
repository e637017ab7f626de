//! What every measure shares: rows of the report, medians, commands, the
//! sandbox's admin API and authenticated clients.

use budbringer_core::altinn::AltinnClient;
use budbringer_core::environment::Environment;
use budbringer_core::secrets::MemorySecretStore;
use budbringer_core::transfers::broker::Broker;
use budbringer_core::transfers::checksum::md5_file;
use budbringer_runtime::practice;
use budbringer_sandbox::{PRACTICE_ORG_A, PRACTICE_ORG_B};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;
use uuid::Uuid;

pub fn say(s: impl AsRef<str>) {
    eprintln!("bench: {}", s.as_ref());
}

/// The verdict of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Miss,
    /// Measured for the record: no goal of its own.
    Info,
    /// The measure itself broke: the benchmark has a bug or the app does.
    Failed,
}

impl Verdict {
    pub fn of(pass: bool) -> Verdict {
        if pass {
            Verdict::Pass
        } else {
            Verdict::Miss
        }
    }
    fn word(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Miss => "MISS",
            Verdict::Info => "info",
            Verdict::Failed => "FAILED",
        }
    }
}

pub struct Row {
    pub measure: String,
    pub target: String,
    pub ours: String,
    pub theirs: String,
    pub value: String,
    pub verdict: Verdict,
}

/// Ours over the reference's, as the report prints it.
pub fn ratio(o: f64, t: f64) -> String {
    format!("{:.2}", o / t)
}

impl Row {
    /// A row of two times in seconds, ours against the reference's, and their ratio.
    pub fn seconds(measure: impl Into<String>, target: &str, ours: f64, theirs: f64, verdict: Verdict) -> Row {
        Row {
            measure: measure.into(),
            target: target.into(),
            ours: format!("{ours:.2} s"),
            theirs: format!("{theirs:.2} s"),
            value: ratio(ours, theirs),
            verdict,
        }
    }
}

/// Where rows go as soon as they are measured, so that a report is written
/// however far the run gets.
#[derive(Clone)]
pub struct Rows(PathBuf);

impl Rows {
    pub fn new(path: PathBuf) -> Rows {
        Rows(path)
    }

    pub fn push(&self, r: Row) {
        let line = format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            r.measure,
            r.target,
            r.ours,
            r.theirs,
            r.value,
            r.verdict.word()
        );
        print!("{line}");
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&self.0).expect("the rows file");
        f.write_all(line.as_bytes()).expect("write a row");
    }

    /// Runs one measure as its own task: a panic becomes a FAILED row with its
    /// message instead of ending the run.
    pub async fn guarded<F>(&self, name: &str, measure: F) -> bool
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        say(format!("== {name}"));
        match tokio::spawn(measure).await {
            Ok(()) => true,
            Err(e) => {
                let msg = match e.try_into_panic() {
                    Ok(p) => p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "panic".into()),
                    Err(e) => e.to_string(),
                };
                say(format!("{name} FAILED: {msg}"));
                let msg = msg.replace('|', "/").replace('\n', " ");
                self.push(Row {
                    measure: name.into(),
                    target: "–".into(),
                    ours: "–".into(),
                    theirs: "–".into(),
                    value: format!("the measure failed: {}", msg.chars().take(300).collect::<String>()),
                    verdict: Verdict::Failed,
                });
                false
            }
        }
    }
}

pub fn median(mut v: Vec<f64>) -> f64 {
    assert!(!v.is_empty(), "no samples");
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

pub fn secs<F: FnOnce()>(f: F) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

/// Reads the file once so that both sides find it in the page cache.
pub fn warm(path: &Path) {
    let _ = md5_file(path, |_| true);
}

/// Writes dirty pages back before a timed run, so that one run's write-back
/// does not slow the next (not timed).
pub fn settle() {
    let _ = Command::new("sync").status();
}

pub fn run(cmd: &mut Command) -> String {
    let out = cmd.stderr(Stdio::inherit()).output().expect("run a command");
    assert!(out.status.success(), "{:?} {:?} failed: {}", cmd.get_program(), cmd.get_args().next(), out.status);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A file holding `contents`, readable by us only, removed when dropped: the
/// token goes to curl and node this way, never on a command line.
pub struct SecretFile(pub PathBuf);

impl SecretFile {
    pub fn new(contents: &str) -> SecretFile {
        let p = std::env::temp_dir().join(format!("budbringer-bench-{}-{}", std::process::id(), Uuid::new_v4()));
        let mut f = std::fs::File::create(&p).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        f.write_all(contents.as_bytes()).unwrap();
        SecretFile(p)
    }
}

impl Drop for SecretFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

pub fn size_name(bytes: u64) -> String {
    if bytes >= 1 << 30 && bytes % (1 << 30) == 0 {
        format!("{} GiB", bytes >> 30)
    } else if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes >> 10)
    }
}

pub fn file_size(p: &Path) -> u64 {
    std::fs::metadata(p).unwrap().len()
}

/// A client of a practice organisation, provisioned through the admin API.
pub async fn client(http: &reqwest::Client, base: &str, org: &str) -> AltinnClient {
    let secrets = Arc::new(MemorySecretStore::new());
    let profile = practice::provision_remote(http, base, org, secrets.as_ref()).await.expect("provision");
    let endpoints = Environment::Sandbox.endpoints(Some(base)).unwrap();
    AltinnClient::new(profile, endpoints, secrets).unwrap()
}

pub async fn admin(
    http: &reqwest::Client,
    base: &str,
    method: reqwest::Method,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let r = http.request(method, format!("{base}/admin/{path}")).json(&body).send().await.unwrap();
    assert!(r.status().is_success(), "admin {path}: {}", r.status());
    r.json().await.unwrap_or(serde_json::Value::Null)
}

/// Maskinporten tokens the sandbox has issued, all clients together.
pub async fn tokens_issued(http: &reqwest::Client, base: &str) -> u64 {
    let c = admin(http, base, reqwest::Method::GET, "counters", json!({})).await;
    c["tokens_issued"].as_object().map(|m| m.values().filter_map(|v| v.as_u64()).sum()).unwrap_or(0)
}

/// The shared set-up of the measures against the standalone sandbox.
pub struct Ctx {
    pub http: reqwest::Client,
    pub base: String,
    /// The sandbox's data folder: stored files of finished runs are removed
    /// from it so that the run fits on the disk.
    pub data: Option<PathBuf>,
    pub a: Broker,
    pub b: Broker,
}

impl Ctx {
    pub async fn new(base: &str, data: Option<PathBuf>) -> Ctx {
        let http = reqwest::Client::new();
        let base = base.trim_end_matches('/').to_owned();
        // The gateway's limits would measure Retry-After, not Budbringer (and
        // the reference's 50 ms status poll exceeds Broker's 120 a minute); the
        // inbox measure counts requests instead.
        admin(
            &http,
            &base,
            reqwest::Method::PUT,
            "settings",
            json!({"search_rate_limit_per_minute": 0, "details_rate_limit_per_minute": 0, "broker_rate_limit_per_minute": 0}),
        )
        .await;
        let a = Broker::new(client(&http, &base, PRACTICE_ORG_A).await);
        let b = Broker::new(client(&http, &base, PRACTICE_ORG_B).await);
        Ctx { http, base, data, a, b }
    }

    /// Deletes a finished transfer's stored bytes (its record stays).
    pub fn discard(&self, id: Uuid) {
        if let Some(d) = &self.data {
            let _ = std::fs::remove_file(d.join("files").join(id.to_string()));
        }
    }
}

/// A send of `file` from organisation A to B on the practice service, as the
/// Send page makes it (no reference, no properties).
pub fn practice_request(file: &Path) -> budbringer_core::transfers::send::SendRequest {
    budbringer_core::transfers::send::SendRequest {
        path: file.to_owned(),
        resource_id: budbringer_sandbox::PRACTICE_RESOURCE.into(),
        recipients: vec![PRACTICE_ORG_B.into()],
        properties: Default::default(),
        reference: None,
    }
}
