//! Budbringer's benchmarks (issues 7 and 16): each promise measured side by
//! side with what a user would compare it with, in one run. `scripts/bench.sh`
//! builds the binaries, starts the sandboxes, makes the files, runs the two
//! parts below and writes `docs/BENCHMARKS.md`.
//!
//! * `transfers`: against a running standalone sandbox (and one behind a
//!   shaped link): grants, MD5, time to Published, download, a slow link,
//!   the inbox with a long history, the CLI's memory, a dropped TUS upload;
//! * `app`: the real app's start-up and idle memory (run it in a desktop
//!   session: `scripts/desktop-session.sh`).
//!
//! Each row is printed and appended to `--rows` as soon as it is measured; a
//! measure that breaks becomes a FAILED row and the rest still run. The exit
//! status is 0 unless a measure failed (a MISS is a result, not a failure).

#![allow(clippy::unwrap_used)] // a benchmark that cannot go on fails at once, as a test does

mod common;
mod files;
mod inbox;
mod published;
mod startup;

use budbringer_core::transfers::broker::{Broker, Search};
use budbringer_core::transfers::send::UploadSettings;
use budbringer_sandbox::{PRACTICE_ORG_B, PRACTICE_RESOURCE};
use clap::{Parser, Subcommand};
use common::{file_size, ratio, say, size_name, tokens_issued, Ctx, Row, Rows, Verdict};
use published::{Head, Sides};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "budbringer-bench", about = "Budbringer's benchmarks (scripts/bench.sh)")]
struct Args {
    /// The Markdown rows are appended here as they are measured.
    #[arg(long, global = true, default_value = "bench-rows.md")]
    rows: PathBuf,
    /// Runs per timed measure (median).
    #[arg(long, global = true, default_value_t = 5)]
    runs: usize,
    /// Scratch folder on the same disk as the sandbox's data.
    #[arg(long, global = true, default_value = "target/bench-work")]
    work: PathBuf,
    #[command(subcommand)]
    part: Part,
}

// Parsed once from the command line and matched at once: the size of the
// largest variant (PathBufs are bigger on Windows, where clippy flags it) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Part {
    /// Against running standalone sandboxes.
    Transfers {
        /// The sandbox's base URL (loopback, no shaping).
        #[arg(long)]
        sandbox: String,
        /// Its data folder (stored files of finished runs are removed to save disk).
        #[arg(long)]
        sandbox_data: Option<PathBuf>,
        /// A second sandbox behind a shaped link (`altinn-sandbox --link …`).
        #[arg(long)]
        shaped: Option<String>,
        #[arg(long)]
        shaped_data: Option<PathBuf>,
        /// The shaped link, as given to the sandbox (for the report).
        #[arg(long, default_value = "40mbit,20ms")]
        link: String,
        /// The file sent over the shaped link.
        #[arg(long)]
        shaped_file: Option<PathBuf>,
        /// The small and the large file (100 MiB and 1 GiB in the documented run).
        #[arg(long, num_args = 2)]
        files: Vec<PathBuf>,
        /// `budbringer-cli`, whose peak memory is measured.
        #[arg(long)]
        cli: PathBuf,
        /// Transfers waiting in the inbox measure.
        #[arg(long, default_value_t = 10_000)]
        inbox_transfers: usize,
        /// The folder of `tus-send.mjs` with its `node_modules`.
        #[arg(long)]
        js: Option<PathBuf>,
        /// Only the slow-link rows (a quick look when tuning the parallel parts).
        #[arg(long)]
        only_shaped: bool,
    },
    /// The app's start-up and idle memory.
    App {
        /// The app binary (a release build).
        #[arg(long)]
        bin: PathBuf,
        /// Seconds the app sits idle after its first page before its memory is read.
        #[arg(long, default_value_t = 10)]
        idle_secs: u64,
    },
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    std::fs::create_dir_all(&args.work).unwrap();
    let rows = Rows::new(args.rows.clone());
    let ok = match args.part {
        Part::App { bin, idle_secs } => app(&rows, bin, args.work, args.runs, idle_secs).await,
        Part::Transfers {
            sandbox,
            sandbox_data,
            shaped,
            shaped_data,
            link,
            shaped_file,
            files,
            cli,
            inbox_transfers,
            js,
            only_shaped,
        } => {
            let t = Transfers {
                rows: rows.clone(),
                ctx: Arc::new(Ctx::new(&sandbox, sandbox_data).await),
                shaped: match shaped {
                    Some(s) => Some(Arc::new(Ctx::new(&s, shaped_data).await)),
                    None => None,
                },
                link,
                shaped_file,
                files,
                cli,
                inbox_transfers,
                js: published::js_dir(js),
                work: args.work,
                runs: args.runs,
            };
            if only_shaped {
                t.shaped_link().await
            } else {
                t.all().await
            }
        }
    };
    if !ok {
        say("a measure FAILED (see its row)");
        std::process::exit(1);
    }
}

async fn app(rows: &Rows, bin: PathBuf, work: PathBuf, runs: usize, idle_secs: u64) -> bool {
    let r = rows.clone();
    rows.guarded("App start-up and idle memory", async move {
        let s = tokio::task::spawn_blocking(move || startup::run(&bin, &work, runs, Duration::from_secs(idle_secs)))
            .await
            .unwrap();
        let mib = |k: u64| k as f64 / 1024.0;
        r.push(Row {
            measure: "Start-up: process start to the first page painted, warm page cache, existing data folder".into(),
            target: "≤ 1.0 s".into(),
            ours: format!("{:.2} s", s.restart),
            theirs: "–".into(),
            value: format!("{:.2} s", s.restart),
            verdict: Verdict::of(s.restart <= 1.0),
        });
        r.push(Row {
            measure: "Start-up on a new data folder (the first start after installing)".into(),
            target: "–".into(),
            ours: format!("{:.2} s", s.first),
            theirs: "–".into(),
            value: format!("{:.2} s", s.first),
            verdict: Verdict::Info,
        });
        let parts = s
            .memory
            .by_process
            .iter()
            .map(|(n, (pss, _))| format!("{n} {:.0}", mib(*pss)))
            .collect::<Vec<_>>()
            .join(", ");
        let pss = mib(s.memory.pss_total_kib);
        r.push(Row {
            measure: format!("Idle memory {} s after the first page: PSS of all the app's processes", s.idle.as_secs()),
            target: "≤ 200 MiB".into(),
            ours: format!("{pss:.0} MiB ({parts})"),
            theirs: "–".into(),
            value: format!("{pss:.0} MiB"),
            verdict: Verdict::of(pss <= 200.0),
        });
        let rss = mib(s.memory.main_rss_kib);
        r.push(Row {
            measure: format!("Idle memory {} s after the first page: RSS of the main process", s.idle.as_secs()),
            target: "≤ 40 MiB".into(),
            ours: format!("{rss:.0} MiB"),
            theirs: "–".into(),
            value: format!("{rss:.0} MiB"),
            verdict: Verdict::of(rss <= 40.0),
        });
    })
    .await
}

struct Transfers {
    rows: Rows,
    ctx: Arc<Ctx>,
    shaped: Option<Arc<Ctx>>,
    link: String,
    shaped_file: Option<PathBuf>,
    files: Vec<PathBuf>,
    cli: PathBuf,
    inbox_transfers: usize,
    js: PathBuf,
    work: PathBuf,
    runs: usize,
}

impl Transfers {
    async fn all(self) -> bool {
        let mut ok = true;
        ok &= self.grants().await;
        let sums: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
        for f in self.files.clone() {
            let (r, runs, sums) = (self.rows.clone(), self.runs, sums.clone());
            let name = format!("MD5 of {}", size_name(file_size(&f)));
            ok &= self
                .rows
                .guarded(&name.clone(), async move {
                    let (o, t, sum) = tokio::task::spawn_blocking(move || files::md5(&f, runs)).await.unwrap();
                    sums.lock().unwrap().push(sum);
                    r.push(Row {
                        measure: format!("{name} vs `md5sum`"),
                        target: "≤ 1.10".into(),
                        ours: format!("{o:.3} s"),
                        theirs: format!("{t:.3} s"),
                        value: ratio(o, t),
                        verdict: Verdict::of(o / t <= 1.10),
                    });
                })
                .await;
        }
        for (i, f) in self.files.clone().into_iter().enumerate() {
            let sum = sums.lock().unwrap().get(i).cloned();
            ok &= self.published_and_download(f, sum).await;
        }
        ok &= self.shaped_link().await;
        ok &= self.inbox().await;
        ok &= self.cli_memory().await;
        ok &= self.tus_drop().await;
        ok
    }

    /// Maskinporten grants for 100 operations, counted by the sandbox.
    async fn grants(&self) -> bool {
        let (r, ctx) = (self.rows.clone(), self.ctx.clone());
        self.rows
            .guarded("Maskinporten grants", async move {
                let g = Broker::new(common::client(&ctx.http, &ctx.base, PRACTICE_ORG_B).await);
                let before = tokens_issued(&ctx.http, &ctx.base).await;
                let q = Search { resource_id: PRACTICE_RESOURCE.into(), ..Default::default() };
                let together: Vec<_> = (0..50).map(|_| g.search(&q)).collect();
                for res in futures_util::future::join_all(together).await {
                    res.expect("search");
                }
                for _ in 0..50 {
                    g.search(&q).await.expect("search");
                }
                let issued = tokens_issued(&ctx.http, &ctx.base).await - before;
                r.push(Row {
                    measure: "Maskinporten tokens issued for 100 operations (50 concurrent, 50 sequential), counted by the sandbox".into(),
                    target: "1".into(),
                    ours: format!("{issued} (grants signed by the client: {})", g.client().grants_signed()),
                    theirs: "–".into(),
                    value: issued.to_string(),
                    verdict: Verdict::of(issued == 1),
                });
            })
            .await
    }

    async fn published_and_download(&self, f: PathBuf, sum: Option<String>) -> bool {
        let size = file_size(&f);
        let (r, ctx, runs, js, work) =
            (self.rows.clone(), self.ctx.clone(), self.runs, self.js.clone(), self.work.clone());
        let kept: Arc<std::sync::Mutex<Option<uuid::Uuid>>> = Arc::default();
        let k = kept.clone();
        let (f2, r2, ctx2, js2) = (f.clone(), r.clone(), ctx.clone(), js.clone());
        let mut ok = self
            .rows
            .guarded(&format!("Time to Published, {}", size_name(size)), async move {
                let sides = Sides { head: Head::ChecksumReady, parallel: 4, our_parts: UploadSettings::default().parallel_parts };
                let (o, t, id) = published::compare(&ctx2, &f2, runs, sides, &js2).await;
                *k.lock().unwrap() = Some(id);
                r2.push(Row::seconds(
                    format!(
                        "Time to Published, {}: Send pressed → Published, the send queue (checksum made when the file was added) vs tus-js-client (8 MiB chunks, 4 parallel parts) + a 50 ms status poll",
                        size_name(size)
                    ),
                    "≤ 0.80",
                    o,
                    t,
                    Verdict::of(o / t <= 0.80),
                ));
            })
            .await;
        let (f3, r3, ctx3, js3) = (f.clone(), r.clone(), ctx.clone(), js.clone());
        ok &= self
            .rows
            .guarded(&format!("Time to Published, {}, no head start", size_name(size)), async move {
                let sides = Sides { head: Head::None, parallel: 4, our_parts: UploadSettings::default().parallel_parts };
                let (o, t, id) = published::compare(&ctx3, &f3, runs.min(3), sides, &js3).await;
                ctx3.discard(id);
                r3.push(Row::seconds(
                    format!(
                        "Time to Published, {}, Send pressed the moment the file is added (the checksum made while the user waits), same reference",
                        size_name(size)
                    ),
                    "–",
                    o,
                    t,
                    Verdict::Info,
                ));
            })
            .await;
        let id = *kept.lock().unwrap();
        let (Some(id), Some(sum)) = (id, sum) else { return false };
        let ctx4 = ctx.clone();
        ok &= self
            .rows
            .guarded(&format!("Download of {}", size_name(size)), async move {
                let (o, t) = files::download(&ctx4, id, &sum, size, &work, runs).await;
                ctx4.discard(id);
                r.push(Row::seconds(
                    format!(
                        "Download of {} with MD5 check, flushed to disk, vs `curl -o` + `md5sum` + `sync` of the file",
                        size_name(size)
                    ),
                    "≤ 1.0",
                    o,
                    t,
                    Verdict::of(o / t <= 1.0),
                ));
            })
            .await;
        ok
    }

    /// One TUS stream (ours) against parallel parts on a link with a
    /// per-connection limit.
    async fn shaped_link(&self) -> bool {
        let (Some(ctx), Some(f)) = (self.shaped.clone(), self.shaped_file.clone()) else {
            say("no shaped sandbox: the slow-link rows are skipped");
            return true;
        };
        let (r, runs, js, link) = (self.rows.clone(), self.runs, self.js.clone(), self.link.clone());
        self.rows
            .guarded("A slow link", async move {
                let size = size_name(file_size(&f));
                let parts = |n: u32| if n == 1 { "one TUS stream".to_string() } else { format!("{n} parallel parts") };
                // Ours as the app sends (the default parts), ours in one stream, and
                // each against tus-js-client in the same number of parts.
                let ours_default = UploadSettings::default().parallel_parts;
                for (our_parts, parallel) in [(ours_default, 4), (1, 4), (1, 1)] {
                    let sides = Sides { head: Head::ChecksumReady, parallel, our_parts };
                    let (o, t, id) = published::compare(&ctx, &f, runs, sides, &js).await;
                    ctx.discard(id);
                    r.push(Row::seconds(
                        format!(
                            "Time to Published, {size} over a {link} link (per connection): ours in {} vs tus-js-client in {}",
                            parts(our_parts),
                            parts(parallel)
                        ),
                        "–",
                        o,
                        t,
                        Verdict::Info,
                    ));
                }
            })
            .await
    }

    async fn inbox(&self) -> bool {
        let (r, n, work) = (self.rows.clone(), self.inbox_transfers, self.work.clone());
        self.rows
            .guarded(&format!("Inbox with {n} transfers waiting"), async move {
                let arrive = 10;
                let run = inbox::run(n, arrive, 50, &work).await;
                r.push(Row {
                    measure: format!(
                        "Inbox: published transfers found, {} waiting, 50 ms latency per request, each look \
                         within a 60 s poll's share of Broker's limits (≈ 100 overviews)",
                        run.waiting
                    ),
                    target: format!("all {}", run.waiting),
                    ours: format!(
                        "{} found by {} looks ({} min at the app's 60 s poll), {} requests ({:.2} per transfer), \
                         {:.1} s of requests",
                        run.first.found,
                        run.looks,
                        run.looks,
                        run.first.requests,
                        run.first.requests as f64 / run.first.found.max(1) as f64,
                        run.first.secs
                    ),
                    theirs: "–".into(),
                    value: run.first.found.to_string(),
                    verdict: Verdict::of(run.first.found == run.waiting),
                });
                r.push(Row {
                    // Searches only: one per recipient status, plus a page when the look's
                    // 2-minute overlap holds more than 100 transfers (the seeds are a second
                    // apart); a constant, however long the history.
                    measure: "Inbox: requests of the next poll, nothing changed (no overview fetched again)".into(),
                    target: "≤ 4".into(),
                    ours: format!("{} requests, {:.2} s", run.unchanged.requests, run.unchanged.secs),
                    theirs: "–".into(),
                    value: run.unchanged.requests.to_string(),
                    verdict: Verdict::of(run.unchanged.requests <= 4),
                });
                r.push(Row {
                    measure: format!("Inbox: requests of the poll after {} new transfers were published", run.arrived),
                    target: format!("≤ {} (4 + one overview each)", run.arrived + 4),
                    ours: format!(
                        "{} requests, {} found, {:.2} s",
                        run.after_arrival.requests, run.after_arrival.found, run.after_arrival.secs
                    ),
                    theirs: "–".into(),
                    value: run.after_arrival.requests.to_string(),
                    verdict: Verdict::of(
                        run.after_arrival.requests <= run.arrived as u64 + 4 && run.after_arrival.found == run.arrived,
                    ),
                });
            })
            .await
    }

    async fn cli_memory(&self) -> bool {
        let (r, cli, base, files, work) =
            (self.rows.clone(), self.cli.clone(), self.ctx.base.clone(), self.files.clone(), self.work.clone());
        self.rows
            .guarded("Peak RSS of budbringer-cli send", async move {
                let rss = tokio::task::spawn_blocking(move || {
                    files
                        .iter()
                        .enumerate()
                        .map(|(i, f)| {
                            (file_size(f), files::peak_rss_kib(&cli, &base, f, &work.join(format!("cli-{i}"))))
                        })
                        .collect::<Vec<_>>()
                })
                .await
                .unwrap();
                let growth = rss[1].1 as i64 - rss[0].1 as i64;
                r.push(Row {
                    measure: format!(
                        "Peak RSS of `budbringer-cli send`: {} → {}",
                        size_name(rss[0].0),
                        size_name(rss[1].0)
                    ),
                    target: "growth ≤ 8 MiB".into(),
                    ours: format!("{:.1} → {:.1} MiB", rss[0].1 as f64 / 1024.0, rss[1].1 as f64 / 1024.0),
                    theirs: "–".into(),
                    value: format!("{:+.1} MiB", growth as f64 / 1024.0),
                    verdict: Verdict::of(growth <= 8 * 1024),
                });
            })
            .await
    }

    async fn tus_drop(&self) -> bool {
        let (r, ctx, f) = (self.rows.clone(), self.ctx.clone(), self.files[0].clone());
        self.rows
            .guarded("TUS drop at 50 %", async move {
                let (again, chunk, received) = files::tus_drop(&ctx.a, &ctx.http, &ctx.base, &f).await;
                r.push(Row {
                    measure: format!(
                        "Bytes sent again after a drop at 50 % of a {} TUS upload",
                        size_name(file_size(&f))
                    ),
                    target: format!("≤ one chunk ({})", size_name(chunk)),
                    ours: format!("{received} bytes received in all"),
                    theirs: "–".into(),
                    value: format!("{again} bytes"),
                    verdict: Verdict::of(again <= chunk),
                });
            })
            .await
    }
}
