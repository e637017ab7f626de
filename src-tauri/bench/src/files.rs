//! Measures of the file work itself: the MD5 against `md5sum`, the verified
//! download against `curl -o` + `md5sum` + `sync`, the CLI's peak memory, and
//! the bytes sent again after a dropped TUS upload.

use crate::common::{admin, file_size, median, run, say, secs, settle, size_name, warm, Ctx, SecretFile};
use budbringer_core::environment::Environment;
use budbringer_core::transfers::broker::Broker;
use budbringer_core::transfers::checksum::md5_file;
use budbringer_core::transfers::download::{download_verified, DownloadSpec};
use budbringer_core::transfers::send::{self, Phase, SendJob, SendSink, SendUpdate, UploadSettings};
use budbringer_core::transfers::validate::OrgNumber;
use budbringer_sandbox::{PRACTICE_ORG_A, PRACTICE_ORG_B};
use serde_json::json;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Our streaming MD5 vs `md5sum`, warm cache. Returns the medians and the sum.
pub fn md5(file: &Path, runs: usize) -> (f64, f64, String) {
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
                    assert!(out.starts_with(&sum) || sum.is_empty(), "md5sum agrees");
                }));
            }
        }
    }
    say(format!("md5 {}: ours {ours:.3?} md5sum {theirs:.3?}", size_name(file_size(file))));
    (median(ours), median(theirs), sum)
}

/// Our verified download (MD5 as it arrives, flushed to disk, then its final
/// name) vs `curl -o`, then `md5sum`, then `sync` of the file: the same
/// promise (a whole, checked file on disk) with the standard tools.
pub async fn download(ctx: &Ctx, id: Uuid, expect_md5: &str, size: u64, work: &Path, runs: usize) -> (f64, f64) {
    let b = &ctx.b;
    let url = format!("{}/broker/api/v1/filetransfer/{id}/download", ctx.base);
    let (mut ours, mut theirs) = (vec![], vec![]);
    for i in 0..runs {
        for mine in [i % 2 == 0, i % 2 != 0] {
            let dir = work.join(format!("dl-{}-{i}", if mine { "ours" } else { "curl" }));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            settle();
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
                let token = b.client().broker_token().await.unwrap().expose().to_owned();
                let (u, d, md5) = (url.clone(), dir.clone(), expect_md5.to_owned());
                let took = tokio::task::spawn_blocking(move || {
                    let header = SecretFile::new(&format!("Authorization: Bearer {token}\n"));
                    secs(|| {
                        let out = d.join("bench.bin");
                        run(Command::new("curl")
                            .args(["-sS", "-f", "-o"])
                            .arg(&out)
                            .arg("-H")
                            .arg(format!("@{}", header.0.display()))
                            .arg(&u));
                        let sum = run(Command::new("md5sum").arg(&out));
                        assert!(sum.starts_with(&md5), "curl's file has the right MD5");
                        run(Command::new("sync").arg(&out));
                    })
                })
                .await
                .unwrap();
                theirs.push(took);
            }
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
    say(format!("download {}: ours {ours:.3?} curl+md5sum+sync {theirs:.3?}", size_name(size)));
    (median(ours), median(theirs))
}

/// The peak RSS (VmHWM) of `budbringer-cli send FILE`, polled until it exits.
pub fn peak_rss_kib(cli: &Path, base: &str, file: &Path, data: &Path) -> u64 {
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

/// A TUS upload whose connection drops at 50 %: bytes the server received
/// beyond the file's size were sent twice. Returns (again, chunk, received).
pub async fn tus_drop(a: &Broker, http: &reqwest::Client, base: &str, file: &Path) -> (u64, u64, u64) {
    let size = file_size(file);
    // One stream: the drop is placed at half of it.
    let settings = UploadSettings {
        tus_threshold: 1,
        chunk_size: 16 << 20,
        max_attempts: 6,
        parallel_parts: 1,
        ..Default::default()
    };
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
    let req = crate::common::practice_request(file);
    let mut job = SendJob::new(&req, Environment::Sandbox, &sender, None, &settings).unwrap();
    send::run(&mut job, a, &settings, &Watch(tx), std::future::pending()).await;
    assert!(armer.await.unwrap(), "the drop was armed");
    let left = admin(http, base, reqwest::Method::GET, "faults", json!({})).await;
    admin(http, base, reqwest::Method::DELETE, "faults", json!({})).await;
    assert!(left["drops"].as_array().is_none_or(|d| d.is_empty()), "the drop was used: {left}");
    assert_eq!(job.phase, Phase::Published, "{:?}", job.error);
    let id = job.file_transfer_id.unwrap();
    let c = admin(http, base, reqwest::Method::GET, "counters", json!({})).await;
    let received = c["bytes_received"][id.to_string()].as_u64().unwrap();
    (received.saturating_sub(size), chunk, received)
}
