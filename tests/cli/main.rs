//! The command-line entry point as a separate process: killed with SIGKILL in
//! the middle of a TUS upload, then started again, it resumes the same
//! transfer from the server's offset. The sandbox runs as its own process
//! (like Altinn, it outlives the client).

#![allow(clippy::unwrap_used)] // a test (or the benchmark) that cannot go on fails at once

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CLI: &str = env!("CARGO_BIN_EXE_budbringer-cli");
const MIB: u64 = 1024 * 1024;

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The standalone sandbox binary, beside the CLI's (it belongs to another
/// workspace member, so Cargo does not hand its path to this test; building it
/// here makes `cargo test -p budbringer-cli` work on its own).
fn sandbox_binary() -> std::path::PathBuf {
    let path = std::path::Path::new(CLI).with_file_name(format!("altinn-sandbox{}", std::env::consts::EXE_SUFFIX));
    let built = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", "budbringer-sandbox", "--bin", "altinn-sandbox"])
        .status()
        .expect("cargo runs");
    assert!(built.success(), "building altinn-sandbox failed");
    assert!(path.exists(), "{} is missing", path.display());
    path
}

fn start_sandbox(dir: &std::path::Path) -> (Killed, String) {
    let mut child = Command::new(sandbox_binary())
        .args(["--port", "0", "--data"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    (Killed(child), line.trim().to_owned())
}

async fn counters(http: &reqwest::Client, base: &str) -> serde_json::Value {
    http.get(format!("{base}/admin/counters")).send().await.unwrap().json().await.unwrap()
}

fn make_file(path: &std::path::Path, len: usize) {
    let data: Vec<u8> = (0..len).map(|i| (i as u32).wrapping_mul(2654435761).to_le_bytes()[1]).collect();
    std::fs::write(path, data).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_during_upload_then_resume() {
    let dir = tempfile::tempdir().unwrap();
    let (_sandbox, base) = start_sandbox(&dir.path().join("sandbox"));
    let http = reqwest::Client::new();
    // A slow link: every TUS request waits 300 ms before it is served.
    let r = http
        .post(format!("{base}/admin/faults"))
        .json(&serde_json::json!({"path_prefix": "/broker/api/v1/filetransfer/upload/tus", "latency_ms": 300}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let size = 40 * MIB;
    let file = dir.path().join("stor fil.bin");
    make_file(&file, size as usize);
    let data = dir.path().join("app");

    let mut first = Command::new(CLI)
        .arg("--data")
        .arg(&data)
        .args(["--sandbox", &base, "send"])
        .arg(&file)
        .args(["--to", "310000027", "--tus-threshold", "1048576", "--chunk", &(8 * MIB).to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    // Read its output until it names the transfer, then wait for the server
    // to have a chunk or more.
    let out = BufReader::new(first.stdout.take().unwrap());
    let mut ft = None;
    for line in out.lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("transfer ") {
            ft = Some(rest.split_whitespace().nth(1).unwrap().to_owned());
            break;
        }
    }
    let ft = ft.expect("the CLI announced its transfer");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = counters(&http, &base).await["bytes_received"][&ft].as_u64().unwrap_or(0);
        if got >= 9 * MIB {
            break;
        }
        assert!(Instant::now() < deadline, "upload never got going");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().unwrap(); // SIGKILL: no chance to save anything more
    first.wait().unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let at_kill = counters(&http, &base).await["bytes_received"][&ft].as_u64().unwrap();
    assert!(at_kill < size, "killed before the end ({at_kill} of {size})");

    let second = Command::new(CLI).arg("--data").arg(&data).args(["--sandbox", &base, "resume"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert!(second.status.success(), "resume failed:\n{stdout}");
    assert!(stdout.contains("resuming 1"), "{stdout}");
    assert!(
        stdout.contains(&"published".to_string()) && stdout.contains(&ft),
        "the same transfer was published:\n{stdout}"
    );

    let total = counters(&http, &base).await["bytes_received"][&ft].as_u64().unwrap();
    assert!(total >= size, "{total}");
    // 40 MiB go up in 4 parallel parts (the default, `transfers/tus_parts.rs`),
    // each with a chunk in flight when the process was killed.
    assert!(total <= size + 4 * 8 * MIB, "at most one chunk per part sent again: {total} for {size}");
    let state: serde_json::Value = http.get(format!("{base}/admin/state")).send().await.unwrap().json().await.unwrap();
    assert_eq!(state["transfers"].as_object().unwrap().len(), 1, "exactly one transfer on the server");

    // And B receives exactly those bytes.
    let inbox = dir.path().join("inbox");
    let recv = Command::new(CLI)
        .arg("--data")
        .arg(dir.path().join("b"))
        .args(["--sandbox", &base, "--as", "310000027", "receive", "--save"])
        .arg(&inbox)
        .output()
        .unwrap();
    assert!(recv.status.success(), "{}", String::from_utf8_lossy(&recv.stdout));
    assert_eq!(std::fs::read(inbox.join("stor fil.bin")).unwrap(), std::fs::read(&file).unwrap());
}
