//! Time to Published: from the moment Send is pressed to the app showing
//! Published, through the send queue the app uses (enqueue → checks →
//! checksum → initialize → TUS or one request → status poll), against
//! tus-js-client run with Node (`js/tus-send.mjs`: initialize, 8 MiB chunks in
//! 4 parallel parts joined by TUS concatenation, a 50 ms status poll).

use crate::common::{file_size, median, say, settle, size_name, warm, Ctx, SecretFile};
use budbringer_core::environment::Environment;
use budbringer_core::store::Store;
use budbringer_core::transfers::broker::Broker;
use budbringer_core::transfers::engine::SendQueue;
use budbringer_core::transfers::md5_cache;
use budbringer_core::transfers::send::{Phase, UploadSettings};
use budbringer_core::transfers::validate::OrgNumber;
use budbringer_sandbox::{PRACTICE_ORG_A, PRACTICE_ORG_B, PRACTICE_RESOURCE};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use uuid::Uuid;

/// The app's send queue on a store of its own, with the app's defaults.
pub struct Queue {
    queue: Arc<SendQueue>,
    updates: mpsc::UnboundedReceiver<(Uuid, Phase, Option<Uuid>, Option<String>)>,
    _dir: tempfile::TempDir,
}

/// When Send is pressed, relative to when the file was added.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Head {
    /// The file was added earlier and its checksum is done (the user chose
    /// recipients in between): the usual case.
    ChecksumReady,
    /// Send is pressed the moment the file is added: the checksum is made
    /// while the user waits.
    None,
}

impl Queue {
    pub fn new(broker: &Broker, settings: UploadSettings) -> Queue {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let b = broker.clone();
        let provider = Arc::new(move |_env: Environment, _: &str| Ok(b.clone()));
        let (tx, updates) = mpsc::unbounded_channel();
        let listener = Arc::new(move |u: budbringer_core::transfers::send::SendUpdate| {
            if u.progress.is_none() {
                let err =
                    u.job.error.as_ref().map(|e| format!("{:?} {}", e.code, e.detail.clone().unwrap_or_default()));
                let _ = tx.send((u.job.id, u.job.phase, u.job.file_transfer_id, err));
            }
        });
        let queue = SendQueue::new(store, provider, settings, 2, listener);
        Queue { queue, updates, _dir: dir }
    }

    /// Presses Send for `file` and waits for Published; the seconds it took
    /// and the transfer's id.
    pub async fn send(&mut self, file: &Path, head: Head) -> (f64, Uuid) {
        match head {
            Head::ChecksumReady => {
                // What the Send page does when a file is added (send_prepare), and
                // the user taking longer to choose recipients than the checksum takes.
                md5_cache::global().start([file.to_owned()]);
                let f = file.to_owned();
                tokio::task::spawn_blocking(move || md5_cache::global().md5(&f, |_| {})).await.unwrap().unwrap();
            }
            Head::None => md5_cache::global().forget(&[file.to_owned()]),
        }
        let sender = OrgNumber::parse(PRACTICE_ORG_A).unwrap();
        let req = crate::common::practice_request(file);
        let t = Instant::now();
        let job = self.queue.enqueue(&req, Environment::Sandbox, &sender, None).expect("enqueue");
        loop {
            let (id, phase, ft, err) = self.updates.recv().await.expect("the queue reports");
            if id != job.id {
                continue;
            }
            match phase {
                Phase::Published => return (t.elapsed().as_secs_f64(), ft.expect("a transfer id")),
                Phase::Failed | Phase::Cancelled => panic!("the send failed: {err:?}"),
                _ => {}
            }
        }
    }
}

/// One run of `js/tus-send.mjs`; its total seconds and transfer id.
pub fn tus_js(ctx_base: &str, token: &str, file: &Path, parallel: u32, js_dir: &Path) -> (f64, Uuid) {
    let token = SecretFile::new(token);
    let out = Command::new("node")
        .arg(js_dir.join("tus-send.mjs"))
        .env("BASE", ctx_base)
        .env("TOKEN_FILE", &token.0)
        .env("FILE", file)
        .env("SENDER", format!("0192:{PRACTICE_ORG_A}"))
        .env("RECIPIENT", format!("0192:{PRACTICE_ORG_B}"))
        .env("RESOURCE", PRACTICE_RESOURCE)
        .env("CHUNK_MIB", "8")
        .env("PARALLEL", parallel.to_string())
        .env("POLL_MS", "50")
        .stderr(Stdio::inherit())
        .output()
        .expect("run node");
    assert!(out.status.success(), "tus-js-client failed: {}", out.status);
    let line = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(line.trim()).expect("tus-send.mjs prints JSON");
    let id = v["fileTransferId"].as_str().and_then(|s| s.parse().ok()).expect("a transfer id");
    (v["totalMs"].as_f64().unwrap() / 1000.0, id)
}

/// Which sides a comparison runs.
pub struct Sides {
    pub head: Head,
    /// tus-js-client's parallel parts.
    pub parallel: u32,
    /// Ours (`UploadSettings::parallel_parts`; 1: one TUS stream).
    pub our_parts: u32,
}

/// Medians of `runs` alternating runs of ours and tus-js-client's; stored
/// files are discarded after each run except the last of ours (returned, for
/// the download measure).
pub async fn compare(ctx: &Ctx, file: &Path, runs: usize, sides: Sides, js_dir: &Path) -> (f64, f64, Uuid) {
    let size = file_size(file);
    let mut queue = Queue::new(&ctx.a, UploadSettings { parallel_parts: sides.our_parts, ..Default::default() });
    let (mut ours, mut theirs) = (vec![], vec![]);
    let mut keep = None;
    for i in 0..runs {
        for mine in [i % 2 == 0, i % 2 != 0] {
            warm(file);
            settle();
            if mine {
                let (t, id) = queue.send(file, sides.head).await;
                ours.push(t);
                if let Some(old) = keep.replace(id) {
                    ctx.discard(old);
                }
            } else {
                let token = ctx.a.client().broker_token().await.unwrap().expose().to_owned();
                let (base, f, js) = (ctx.base.clone(), file.to_owned(), js_dir.to_owned());
                let parallel = sides.parallel;
                let (t, id) =
                    tokio::task::spawn_blocking(move || tus_js(&base, &token, &f, parallel, &js)).await.unwrap();
                theirs.push(t);
                ctx.discard(id);
            }
        }
    }
    say(format!(
        "published {} ({:?}, ours in {} part(s), tus-js in {}): ours {ours:.3?} tus-js {theirs:.3?}",
        size_name(size),
        sides.head,
        sides.our_parts,
        sides.parallel
    ));
    (median(ours), median(theirs), keep.unwrap())
}

/// The JS side's folder (`src-tauri/bench/js`, with `node_modules`).
pub fn js_dir(arg: Option<PathBuf>) -> PathBuf {
    arg.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("js"))
}
