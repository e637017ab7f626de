//! The benchmarks of issue 7, against a running standalone sandbox
//! (`altinn-sandbox`), each measure side by side with the tool a user would
//! compare it with. `scripts/bench.sh` builds this, starts the sandbox, makes
//! the files and writes the table to `docs/BENCHMARKS.md`.
//!
//! Prints a Markdown table (and progress to stderr). Times are medians of
//! `--runs` runs, alternating ours and theirs, with the page cache warm.

#![allow(clippy::unwrap_used)] // a test (or the benchmark) that cannot go on fails at once

use budbringer_core::altinn::AltinnClient;
use budbringer_core::environment::Environment;
use budbringer_core::secrets::MemorySecretStore;
use budbringer_core::store::Store;
use budbringer_core::sync::Locked;
use budbringer_core::transfers::broker::{Broker, InitializeRequest};
use budbringer_core::transfers::checksum::md5_file;
use budbringer_core::transfers::download::{download_verified, DownloadSpec};
use budbringer_core::transfers::inbox::Inbox;
use budbringer_core::transfers::send::{self, Phase, SendJob, SendRequest, SendSink, SendUpdate, UploadSettings};
use budbringer_core::transfers::validate::OrgNumber;
use budbringer_runtime::practice;
use budbringer_sandbox::{PRACTICE_ORG_A, PRACTICE_ORG_B, PRACTICE_RESOURCE};
use clap::Parser;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

#[derive(Parser)]
#[command(name = "budbringer-bench", about = "Budbringer benchmarks against a running altinn-sandbox")]
struct Args {
    /// The sandbox's base URL.
    #[arg(long)]
    sandbox: String,
    /// The small and the large file (100 MiB and 1 GiB in the documented run).
    #[arg(long, num_args = 2)]
    files: Vec<PathBuf>,
    /// The release `budbringer-cli`, whose peak memory is measured.
    #[arg(long)]
    cli: PathBuf,
    /// Scratch folder on the same disk as the sandbox's data.
    #[arg(long)]
    work: PathBuf,
    /// Runs per timed measure (median).
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

fn say(s: impl AsRef<str>) {
    eprintln!("bench: {}", s.as_ref());
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn secs<F: FnOnce()>(f: F) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

fn warm(path: &Path) {
    let _ = md5_file(path, |_| true);
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.stderr(Stdio::inherit()).output().expect("run a command");
    assert!(out.status.success(), "{:?} {:?} failed: {}", cmd.get_program(), cmd.get_args().next(), out.status);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The Authorization header in a file, so the token is not on a command line.
fn auth_header_file(token: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("budbringer-bench-auth-{}", std::process::id()));
    std::fs::write(&p, format!("Authorization: Bearer {token}\n")).unwrap();
    p
}

fn mib(bytes: u64) -> String {
    if bytes >= 1 << 30 {
        format!("{} GiB", bytes >> 30)
    } else {
        format!("{} MiB", bytes >> 20)
    }
}

struct Row {
    measure: String,
    target: String,
    ours: String,
    theirs: String,
    value: String,
    pass: bool,
}

async fn client(http: &reqwest::Client, base: &str, org: &str) -> AltinnClient {
    let secrets = Arc::new(MemorySecretStore::new());
    let profile = practice::provision_remote(http, base, org, secrets.as_ref()).await.expect("provision");
    let endpoints = Environment::Sandbox.endpoints(Some(base)).unwrap();
    AltinnClient::new(profile, endpoints, secrets).unwrap()
}

async fn admin(
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

async fn initialize(a: &Broker, name: &str) -> Uuid {
    let req = InitializeRequest {
        file_name: name.into(),
        resource_id: PRACTICE_RESOURCE.into(),
        senders_file_transfer_reference: format!("bench-{}", Uuid::new_v4()),
        sender: format!("0192:{PRACTICE_ORG_A}"),
        recipients: vec![format!("0192:{PRACTICE_ORG_B}")],
        property_list: BTreeMap::new(),
        checksum: None,
        disable_virus_scan: false,
    };
    a.initialize(&req).await.expect("initialize")
}

async fn wait_published(a: &Broker, id: Uuid) {
    loop {
        let o = a.overview(id).await.expect("overview");
        match o.status() {
            "Published" => return,
            "Failed" => panic!("transfer {id} failed: {:?}", o.file_transfer_status_text),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Row 1: our octet-stream upload vs `curl --data-binary @file`, same endpoint and token.
async fn upload(a: &Broker, base: &str, file: &Path, runs: usize) -> (f64, f64, Uuid, String) {
    let size = std::fs::metadata(file).unwrap().len();
    let token = a.client().broker_token().await.unwrap().expose().to_owned();
    let (mut ours, mut curl) = (vec![], vec![]);
    let mut last = Uuid::nil();
    // `--data-binary @file` reads the whole file into memory first, and curl
    // refuses that for large files ("out of memory"); `-T file` streams it.
    let probe = Command::new("curl")
        .args(["-sS", "-o", "/dev/null", "--max-time", "60", "-X", "POST", &format!("{base}/admin/counters/none")])
        .arg("--data-binary")
        .arg(format!("@{}", file.display()))
        .stderr(Stdio::null())
        .status()
        .unwrap();
    let curl_mode = Arc::new(std::sync::Mutex::new(if probe.success() { "--data-binary" } else { "-T" }));
    say(format!("curl uploads with {}", curl_mode.locked()));
    for i in 0..runs {
        for mine in [i % 2 == 0, i % 2 != 0] {
            warm(file);
            let id = initialize(a, "bench.bin").await;
            let url = format!("{base}/broker/api/v1/filetransfer/{id}/upload");
            if mine {
                let t = Instant::now();
                a.upload_stream(id, file, size, Arc::new(|_| {})).await.expect("upload");
                ours.push(t.elapsed().as_secs_f64());
            } else {
                let (f, hdr, mode) = (file.to_owned(), auth_header_file(&token), curl_mode.clone());
                let took = tokio::task::spawn_blocking(move || {
                    secs(|| {
                        let mut c = Command::new("curl");
                        c.args(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST"]).arg(&url);
                        c.arg("-H")
                            .arg(format!("@{}", hdr.display()))
                            .args(["-H", "Content-Type: application/octet-stream"]);
                        if *mode.locked() == "--data-binary" {
                            c.arg("--data-binary").arg(format!("@{}", f.display()));
                        } else {
                            c.arg("-T").arg(&f);
                        }
                        let code = run(&mut c);
                        assert!(code.starts_with('2'), "curl upload: HTTP {code}");
                    })
                })
                .await
                .unwrap();
                curl.push(took);
            }
            // Let the sandbox finish its background work before the next run.
            wait_published(a, id).await;
            last = id;
        }
    }
    say(format!("upload {}: ours {ours:?} curl {curl:?}", mib(size)));
    let mode = curl_mode.locked().to_string();
    (median(ours), median(curl), last, mode)
}

/// Row 2: our verified download (MD5 as it arrives, flushed to disk, final
/// name) vs `curl -o` followed by `md5sum`.
async fn download(
    b: &Broker,
    base: &str,
    id: Uuid,
    expect_md5: &str,
    size: u64,
    work: &Path,
    runs: usize,
) -> (f64, f64) {
    let token = b.client().broker_token().await.unwrap().expose().to_owned();
    let url = format!("{base}/broker/api/v1/filetransfer/{id}/download");
    let (mut ours, mut theirs) = (vec![], vec![]);
    for i in 0..runs {
        for mine in [i % 2 == 0, i % 2 != 0] {
            let dir = work.join(format!("dl-{}-{i}", if mine { "ours" } else { "curl" }));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            if mine {
                let spec = DownloadSpec {
                    id,
                    file_name: "bench.bin",
                    dir: &dir,
                    expected_md5: expect_md5,
                    expected_size: Some(size),
                    max_resumes: 0,
                };
                let t = Instant::now();
                download_verified(b, &spec, Arc::new(|_, _| {})).await.expect("download");
                ours.push(t.elapsed().as_secs_f64());
            } else {
                let (tk, u, d, md5) = (auth_header_file(&token), url.clone(), dir.clone(), expect_md5.to_owned());
                let took = tokio::task::spawn_blocking(move || {
                    secs(|| {
                        let out = d.join("bench.bin");
                        run(Command::new("curl")
                            .args(["-sS", "-f", "-o"])
                            .arg(&out)
                            .arg("-H")
                            .arg(format!("@{}", tk.display()))
                            .arg(&u));
                        let sum = run(Command::new("md5sum").arg(&out));
                        assert!(sum.starts_with(&md5), "curl's file has the right MD5");
                    })
                })
                .await
                .unwrap();
                theirs.push(took);
            }
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
    say(format!("download {}: ours {ours:?} curl+md5sum {theirs:?}", mib(size)));
    (median(ours), median(theirs))
}

/// Row 3: our streaming MD5 vs `md5sum`, warm cache.
fn md5(file: &Path, runs: usize) -> (f64, f64, String) {
    warm(file);
    let (mut ours, mut theirs) = (vec![], vec![]);
    let mut sum = String::new();
    for i in 0..runs {
        for mine in [i % 2 == 0, i % 2 != 0] {
            if mine {
                ours.push(secs(|| sum = md5_file(file, |_| true).unwrap().unwrap()));
            } else {
                theirs.push(secs(|| {
                    let out = run(Command::new("md5sum").arg(file));
                    assert!(out.starts_with(&sum) || sum.is_empty());
                }));
            }
        }
    }
    say(format!("md5 {:?}: ours {ours:?} md5sum {theirs:?}", file.file_name().unwrap()));
    (median(ours), median(theirs), sum)
}

/// Row 4: the peak RSS (VmHWM) of `budbringer-cli send FILE`, polled until it exits.
fn peak_rss_kib(cli: &Path, base: &str, file: &Path, data: &Path) -> u64 {
    let _ = std::fs::remove_dir_all(data);
    let mut child = Command::new(cli)
        .arg("--data")
        .arg(data)
        .args(["--sandbox", base, "send"])
        .arg(file)
        .args(["--to", PRACTICE_ORG_B])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_path) {
            if let Some(v) = s.lines().find_map(|l| l.strip_prefix("VmHWM:")) {
                peak = peak.max(v.trim().trim_end_matches("kB").trim().parse::<u64>().unwrap_or(0));
            }
        }
        if let Some(st) = child.try_wait().unwrap() {
            assert!(st.success(), "budbringer-cli send failed");
            return peak;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A sink that tells a channel the transfer's id once it has one.
struct Watch(tokio::sync::mpsc::UnboundedSender<Uuid>);
impl SendSink for Watch {
    fn save(&self, job: &SendJob) -> budbringer_core::error::AppResult<()> {
        if let Some(id) = job.file_transfer_id {
            let _ = self.0.send(id);
        }
        Ok(())
    }
    fn report(&self, _u: SendUpdate) {}
}

/// Row 7: a TUS upload whose connection drops at 50 %; bytes the server
/// received beyond the file's size were sent twice.
async fn tus_drop(a: &Broker, http: &reqwest::Client, base: &str, file: &Path) -> (u64, u64, u64) {
    let size = std::fs::metadata(file).unwrap().len();
    let settings = UploadSettings { tus_threshold: 1, chunk_size: 16 << 20, max_attempts: 6 };
    let chunk = settings.chunk_for(size);
    let half = size / 2;
    // The PATCH that carries the middle byte starts at `start`. Once the server
    // holds `start` bytes (the PATCH before it is complete), the drop is armed;
    // a 150 ms latency on TUS calls leaves time before the next PATCH takes it.
    // It then cuts that PATCH at exactly half the file.
    let start = half / chunk * chunk;
    let tus = "/broker/api/v1/filetransfer/upload/tus";
    admin(http, base, reqwest::Method::POST, "faults", json!({"path_prefix": tus, "latency_ms": 150})).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (h, b) = (http.clone(), base.to_owned());
    let armer = tokio::spawn(async move {
        let Some(id): Option<Uuid> = rx.recv().await else { return false };
        loop {
            let c = admin(&h, &b, reqwest::Method::GET, "counters", json!({})).await;
            if c["bytes_received"][id.to_string()].as_u64().unwrap_or(0) >= start {
                admin(
                    &h,
                    &b,
                    reqwest::Method::POST,
                    "faults",
                    json!({"path_prefix": tus, "drop_after_bytes": half - start}),
                )
                .await;
                return true;
            }
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
    });
    let sender = OrgNumber::parse(PRACTICE_ORG_A).unwrap();
    let req = SendRequest {
        path: file.to_owned(),
        resource_id: PRACTICE_RESOURCE.into(),
        recipients: vec![PRACTICE_ORG_B.into()],
        properties: BTreeMap::new(),
        reference: None,
    };
    let mut job = SendJob::new(&req, Environment::Sandbox, &sender, None, &settings).unwrap();
    send::run(&mut job, a, &settings, &Watch(tx), std::future::pending()).await;
    assert!(armer.await.unwrap(), "the drop was armed");
    let left = admin(http, base, reqwest::Method::GET, "faults", json!({})).await;
    assert!(left["drops"].as_array().is_none_or(|d| d.is_empty()), "the drop was used: {left}");
    admin(http, base, reqwest::Method::DELETE, "faults", json!({})).await;
    assert_eq!(job.phase, Phase::Published, "{:?}", job.error);
    let id = job.file_transfer_id.unwrap();
    let c = admin(http, base, reqwest::Method::GET, "counters", json!({})).await;
    let received = c["bytes_received"][id.to_string()].as_u64().unwrap();
    (received.saturating_sub(size), chunk, received)
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let base = args.sandbox.trim_end_matches('/').to_owned();
    std::fs::create_dir_all(&args.work).unwrap();
    let http = reqwest::Client::new();
    admin(
        &http,
        &base,
        reqwest::Method::PUT,
        "settings",
        // The gateway's limits would measure Retry-After, not Budbringer.
        json!({"search_rate_limit_per_minute": 0, "details_rate_limit_per_minute": 0, "broker_rate_limit_per_minute": 0}),
    )
    .await;
    let a = Broker::new(client(&http, &base, PRACTICE_ORG_A).await);
    let b = Broker::new(client(&http, &base, PRACTICE_ORG_B).await);
    let mut rows = Vec::new();

    // Row 6: Maskinporten grants for 100 operations (50 at once, then 50 one by one).
    say("grants");
    let g = Broker::new(client(&http, &base, PRACTICE_ORG_B).await);
    let q = budbringer_core::transfers::broker::Search { resource_id: PRACTICE_RESOURCE.into(), ..Default::default() };
    let together: Vec<_> = (0..50).map(|_| g.search(&q)).collect();
    for r in futures_util::future::join_all(together).await {
        r.expect("search");
    }
    for _ in 0..50 {
        g.search(&q).await.expect("search");
    }
    let grants = g.client().grants_signed();
    rows.push(Row {
        measure: "Maskinporten grants for 100 operations (50 concurrent, 50 sequential)".into(),
        target: "1".into(),
        ours: grants.to_string(),
        theirs: "–".into(),
        value: grants.to_string(),
        pass: grants == 1,
    });

    // Row 5: inbox refresh of 100 transfers with 50 ms injected latency.
    say("inbox");
    for i in 0..100 {
        admin(&http, &base, reqwest::Method::POST, "seed", json!({"sender": PRACTICE_ORG_A, "recipient": PRACTICE_ORG_B, "file_name": format!("fil-{i}.txt"), "content": format!("innhold {i}")})).await;
    }
    b.search(&q).await.unwrap(); // the token, before the latency
    admin(&http, &base, reqwest::Method::POST, "faults", json!({"path_prefix": "/broker", "latency_ms": 50})).await;
    let inbox_dir = args.work.join("inbox-db");
    let _ = std::fs::remove_dir_all(&inbox_dir);
    let (store, _) = Store::open(&inbox_dir).unwrap();
    let inbox = Inbox::new(store, Environment::Sandbox, PRACTICE_ORG_B);
    let t = Instant::now();
    let report = inbox.refresh(&b, &[PRACTICE_RESOURCE.to_owned()], None).await.expect("refresh");
    let took = t.elapsed().as_secs_f64();
    admin(&http, &base, reqwest::Method::DELETE, "faults", json!({})).await;
    assert_eq!(report.new.len(), 100, "100 transfers in the inbox");
    let sequential = 101.0 * 0.05;
    rows.push(Row {
        measure: "Inbox refresh of 100 transfers, 50 ms latency per request".into(),
        target: "≤ 1.5 s".into(),
        ours: format!("{took:.2} s"),
        theirs: format!("{sequential:.1} s one request at a time (101 × 50 ms, latency alone)"),
        value: format!("{took:.2} s"),
        pass: took <= 1.5,
    });

    let mut md5s = vec![];
    for f in &args.files {
        let size = std::fs::metadata(f).unwrap().len();
        say(format!("md5 {}", mib(size)));
        let (o, t, sum) = md5(f, args.runs);
        md5s.push(sum);
        rows.push(Row {
            measure: format!("MD5 of {} vs `md5sum`", mib(size)),
            target: "≤ 1.10".into(),
            ours: format!("{o:.3} s"),
            theirs: format!("{t:.3} s"),
            value: format!("{:.2}", o / t),
            pass: o / t <= 1.10,
        });
    }

    for (f, sum) in args.files.iter().zip(&md5s) {
        let size = std::fs::metadata(f).unwrap().len();
        say(format!("upload {}", mib(size)));
        let (o, t, id, mode) = upload(&a, &base, f, args.runs).await;
        let how = if mode == "-T" {
            "`curl -T file` (`--data-binary @file` runs out of memory at this size)"
        } else {
            "`curl --data-binary @file`"
        };
        rows.push(Row {
            measure: format!("Upload of {} vs {how}, same endpoint and token", mib(size)),
            target: "≤ 1.10".into(),
            ours: format!("{o:.2} s"),
            theirs: format!("{t:.2} s"),
            value: format!("{:.2}", o / t),
            pass: o / t <= 1.10,
        });
        say(format!("download {}", mib(size)));
        let (o, t) = download(&b, &base, id, sum, size, &args.work, args.runs).await;
        rows.push(Row {
            measure: format!("Download of {} with MD5 check vs `curl -o` + `md5sum`", mib(size)),
            target: "≤ 1.0".into(),
            ours: format!("{o:.2} s"),
            theirs: format!("{t:.2} s"),
            value: format!("{:.2}", o / t),
            pass: o / t <= 1.0,
        });
    }

    say("peak RSS");
    let rss: Vec<u64> = args
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| peak_rss_kib(&args.cli, &base, f, &args.work.join(format!("cli-{i}"))))
        .collect();
    let growth = rss[1] as i64 - rss[0] as i64;
    rows.push(Row {
        measure: format!(
            "Peak RSS of `budbringer-cli send`: {} → {}",
            mib(std::fs::metadata(&args.files[0]).unwrap().len()),
            mib(std::fs::metadata(&args.files[1]).unwrap().len())
        ),
        target: "growth ≤ 8 MiB".into(),
        ours: format!("{:.1} → {:.1} MiB", rss[0] as f64 / 1024.0, rss[1] as f64 / 1024.0),
        theirs: "–".into(),
        value: format!("{:+.1} MiB", growth as f64 / 1024.0),
        pass: growth <= 8 * 1024,
    });

    say("TUS drop at 50 %");
    let (again, chunk, received) = tus_drop(&a, &http, &base, &args.files[0]).await;
    rows.push(Row {
        measure: format!(
            "Bytes sent again after a drop at 50 % of a {} TUS upload",
            mib(std::fs::metadata(&args.files[0]).unwrap().len())
        ),
        target: format!("≤ one chunk ({})", mib(chunk)),
        ours: format!("{received} bytes received in all"),
        theirs: "–".into(),
        value: format!("{again} bytes"),
        pass: again <= chunk,
    });

    println!("| Measure | Target | Budbringer | Reference | Result | |");
    println!("|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            r.measure,
            r.target,
            r.ours,
            r.theirs,
            r.value,
            if r.pass { "PASS" } else { "MISS" }
        );
    }
    let _ = std::fs::remove_dir_all(args.work.join("inbox-db"));
    let _ = std::fs::remove_file(auth_header_file(""));
}
