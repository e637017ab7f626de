//! Start-up and idle memory of the real app (a release build, in a desktop
//! session under Xvfb): the time from process start to the first page
//! painted (the UI calls `app_painted`, which writes the file named by
//! `BUDBRINGER_STARTUP_PROBE`), then, after the app has sat idle, the PSS of
//! all its processes together (from `/proc/PID/smaps_rollup`) and the main
//! process's RSS.

use crate::common::{median, say};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One start: seconds to the painted first page, and, if it was held idle,
/// its memory.
pub struct Start {
    pub painted: f64,
    pub memory: Option<Memory>,
}

#[derive(Debug, Clone)]
pub struct Memory {
    /// PSS of every process of the app (main and WebKit's), KiB.
    pub pss_total_kib: u64,
    /// RSS of the main process, KiB.
    pub main_rss_kib: u64,
    /// PSS and RSS by process name, KiB.
    pub by_process: BTreeMap<String, (u64, u64)>,
}

fn field_kib(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// `pid` and every process below it.
pub fn family(pid: u32) -> Vec<u32> {
    let mut parents: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else { continue };
        // The fields after the name, which is in parentheses and may hold spaces.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { continue };
        if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|s| s.parse::<u32>().ok()) {
            parents.entry(ppid).or_default().push(p);
        }
    }
    let mut out = vec![pid];
    let mut i = 0;
    while i < out.len() {
        out.extend(parents.get(&out[i]).into_iter().flatten());
        i += 1;
    }
    out
}

pub fn memory(pid: u32) -> Memory {
    let mut by_process = BTreeMap::new();
    let mut pss_total_kib = 0;
    let mut main_rss_kib = 0;
    for p in family(pid) {
        let Ok(rollup) = std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")) else { continue };
        let name = std::fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default().trim().to_owned();
        let (pss, rss) = (field_kib(&rollup, "Pss:"), field_kib(&rollup, "Rss:"));
        pss_total_kib += pss;
        if p == pid {
            main_rss_kib = rss;
        }
        let e = by_process.entry(name).or_insert((0, 0));
        e.0 += pss;
        e.1 += rss;
    }
    Memory { pss_total_kib, main_rss_kib, by_process }
}

fn stop(child: &mut Child) {
    let all = family(child.id());
    // The main process first (as a user closing it), then whatever is left.
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(5) {
        if child.try_wait().ok().flatten().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    for p in all.into_iter().skip(1) {
        let _ = Command::new("kill").args(["-9", &p.to_string()]).stderr(Stdio::null()).status();
    }
}

/// Starts the app on `data`, waits for its first page, and (with `idle`)
/// measures its memory after that long.
pub fn start_once(bin: &Path, data: &Path, idle: Option<Duration>, log: &Path) -> Start {
    let probe = data.with_extension("painted");
    let _ = std::fs::remove_file(&probe);
    let log_file = std::fs::File::create(log).unwrap();
    let t = Instant::now();
    let mut child = Command::new(bin)
        .env("BUDBRINGER_DATA_DIR", data)
        .env("BUDBRINGER_STARTUP_PROBE", &probe)
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .expect("start the app");
    let painted = loop {
        if probe.exists() {
            break t.elapsed().as_secs_f64();
        }
        if let Some(st) = child.try_wait().unwrap() {
            panic!("the app exited before its first page: {st} (see {})", log.display());
        }
        if t.elapsed() > Duration::from_secs(60) {
            stop(&mut child);
            panic!("no first page within 60 s (see {})", log.display());
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let memory = idle.map(|d| {
        std::thread::sleep(d);
        memory(child.id())
    });
    stop(&mut child);
    let _ = std::fs::remove_file(&probe);
    Start { painted, memory }
}

pub struct StartupRun {
    /// Seconds to the first page, an existing data folder (an ordinary start).
    pub restart: f64,
    /// The same on a new data folder (the first start after installing).
    pub first: f64,
    pub memory: Memory,
    pub idle: Duration,
}

/// A start to warm the page cache, then `runs` first starts (new data
/// folders) and `runs` ordinary starts, each of the latter held `idle` for
/// its memory (the run with the median total PSS is reported).
pub fn run(bin: &Path, work: &Path, runs: usize, idle: Duration) -> StartupRun {
    std::fs::create_dir_all(work).unwrap();
    let home = work.join("app-data");
    let _ = std::fs::remove_dir_all(&home);
    let log = |n: &str| work.join(format!("app-{n}.log"));
    start_once(bin, &home, None, &log("warm"));
    let mut first = vec![];
    for i in 0..runs {
        let d = work.join(format!("app-first-{i}"));
        let _ = std::fs::remove_dir_all(&d);
        first.push(start_once(bin, &d, None, &log(&format!("first-{i}"))).painted);
        let _ = std::fs::remove_dir_all(&d);
    }
    let mut restart = vec![];
    let mut memories: Vec<Memory> = vec![];
    for i in 0..runs {
        let s = start_once(bin, &home, Some(idle), &log(&format!("restart-{i}")));
        restart.push(s.painted);
        memories.extend(s.memory);
    }
    say(format!("app: first start {first:.3?} s, ordinary start {restart:.3?} s"));
    for m in &memories {
        say(format!(
            "app memory: PSS {} KiB in all, main RSS {} KiB: {:?}",
            m.pss_total_kib, m.main_rss_kib, m.by_process
        ));
    }
    memories.sort_by_key(|m| m.pss_total_kib);
    let memory = memories[memories.len() / 2].clone();
    StartupRun { restart: median(restart), first: median(first), memory, idle }
}
