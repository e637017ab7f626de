//! MD5s made before they are needed: a file's checksum is started as soon
//! as the file is added on the Send page ([`Md5Cache::start`], through the
//! app's `send_prepare` command, which takes the page's file handles), so that by the time
//! Send is pressed the job's *preparing* step finds it done
//! ([`Md5Cache::md5`]) instead of reading the whole file then (about 1.2 s a
//! GiB here; docs/BENCHMARKS.md, issue 16).
//!
//! A checksum is kept for a path together with the file's size and
//! modification time when it was read; a file that has changed since is read
//! again. One worker thread reads the added files one after another (reading
//! several at once only makes the disk seek). A job that needs a checksum the
//! worker has not reached yet makes it itself; one the worker is making is
//! waited for, with progress.
//!
//! Whatever the cache says, Broker checks the checksum against the bytes it
//! received (a wrong one fails the transfer as `BROKER_CHECKSUM_MISMATCH`),
//! so a stale entry cannot send a file with a checksum that does not match.

use super::checksum::md5_file;
use crate::sync::Locked;
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

/// Finished checksums kept at most (the least recently used goes first).
const MAX_ENTRIES: usize = 1024;

/// What identifies a file's contents well enough to reuse its checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileKey {
    pub size: u64,
    /// Modification time, Unix milliseconds (as `SendJob::modified_ms`).
    pub modified_ms: Option<u64>,
}

impl FileKey {
    pub fn of(meta: &std::fs::Metadata) -> FileKey {
        let modified_ms = meta
            .modified()
            .ok()
            .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
            .and_then(|d| u64::try_from(d.as_millis()).ok());
        FileKey { size: meta.len(), modified_ms }
    }

    fn now(path: &Path) -> std::io::Result<FileKey> {
        Ok(FileKey::of(&std::fs::metadata(path)?))
    }
}

/// A checksum being made: by whom (`id`), how far it is, and a way to stop it.
#[derive(Clone)]
struct Hashing {
    id: u64,
    done: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

enum State {
    /// Waiting for the worker.
    Queued,
    Hashing(Hashing),
    Done(String),
}

struct Slot {
    key: FileKey,
    state: State,
    used: u64,
    /// How many times this path's bytes were read for a checksum while it had
    /// a slot ([`Md5Cache::reads`]): what proves a prepared send reads once.
    reads: u32,
}

#[derive(Default)]
struct Shared {
    slots: HashMap<PathBuf, Slot>,
    queue: VecDeque<PathBuf>,
    tick: u64,
    worker: bool,
}

impl Shared {
    fn tick(&mut self) -> u64 {
        self.tick += 1;
        self.tick
    }

    /// Marks `path` as being made by the caller.
    fn claim(&mut self, path: &Path, key: FileKey) -> Hashing {
        let id = self.tick();
        let h = Hashing { id, done: Arc::new(AtomicU64::new(0)), stop: Arc::new(AtomicBool::new(false)) };
        let reads = self.slots.get(path).map_or(0, |slot| slot.reads).saturating_add(1);
        self.slots.insert(path.to_owned(), Slot { key, state: State::Hashing(h.clone()), used: id, reads });
        h
    }

    fn evict(&mut self) {
        while self.slots.len() > MAX_ENTRIES {
            let oldest = self
                .slots
                .iter()
                .filter(|(_, slot)| matches!(slot.state, State::Done(_)))
                .min_by_key(|(_, slot)| slot.used)
                .map(|(p, _)| p.clone());
            match oldest {
                Some(p) => self.slots.remove(&p),
                None => break,
            };
        }
    }
}

/// The cache: the slots behind a lock, and a condition variable that wakes
/// whoever waits for a checksum when one is finished.
#[derive(Default)]
pub struct Md5Cache {
    shared: Arc<(Mutex<Shared>, Condvar)>,
}

/// The process's cache, shared by the Send page's command and the send jobs.
pub fn global() -> &'static Md5Cache {
    static CACHE: OnceLock<Md5Cache> = OnceLock::new();
    CACHE.get_or_init(Md5Cache::default)
}

/// What [`Md5Cache::md5`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    pub md5: String,
    /// The file as it was when it was read.
    pub key: FileKey,
    /// Whether it was ready (made earlier) when asked for.
    pub cached: bool,
}

/// What a caller of [`Md5Cache::md5`] does next.
enum Next {
    Make(Hashing),
    Follow(Hashing),
}

impl Md5Cache {
    /// Starts making the checksums of `paths` in the background, one file at
    /// a time; files already known (unchanged) or unreadable are skipped.
    pub fn start(&self, paths: impl IntoIterator<Item = PathBuf>) {
        let mut s = self.shared.0.locked();
        for path in paths {
            // Bounded: a drop of thousands of files queues the first MAX_ENTRIES
            // (the rest are made by their jobs when sent).
            if s.queue.len() >= MAX_ENTRIES {
                break;
            }
            let Ok(key) = FileKey::now(&path) else { continue };
            if s.slots.get(&path).is_some_and(|slot| slot.key == key) {
                continue;
            }
            let used = s.tick();
            let reads = s.slots.get(&path).map_or(0, |slot| slot.reads);
            s.slots.insert(path.clone(), Slot { key, state: State::Queued, used, reads });
            s.queue.push_back(path);
        }
        if !s.queue.is_empty() && !s.worker {
            let shared = self.shared.clone();
            s.worker = std::thread::Builder::new().name("md5-cache".into()).spawn(move || worker(shared)).is_ok();
        }
    }

    /// How many times `path` was read to make its checksum since it was
    /// first added or asked for (0 for a path not known, or forgotten).
    pub fn reads(&self, path: &Path) -> u32 {
        self.shared.0.locked().slots.get(path).map_or(0, |slot| slot.reads)
    }

    /// Whether `path`'s checksum is made and still matches the file as it is now.
    pub fn ready(&self, path: &Path) -> bool {
        let Ok(key) = FileKey::now(path) else { return false };
        self.shared
            .0
            .locked()
            .slots
            .get(path)
            .is_some_and(|slot| slot.key == key && matches!(slot.state, State::Done(_)))
    }

    /// Stops and forgets the checksums of files taken off the list.
    pub fn forget(&self, paths: &[PathBuf]) {
        let mut s = self.shared.0.locked();
        for p in paths {
            if let Some(Slot { state: State::Hashing(h), .. }) = s.slots.remove(p) {
                h.stop.store(true, Ordering::Relaxed);
            }
        }
        s.queue.retain(|q| !paths.contains(q));
        self.shared.1.notify_all();
    }

    /// The file's checksum as it is now: the cached one when the file is
    /// unchanged, else waited for (when the worker is making it) or made here.
    /// `on_bytes` hears how many more bytes have been read, as [`md5_file`]'s
    /// callback does. Blocking: call it off the async threads.
    pub fn md5(&self, path: &Path, mut on_bytes: impl FnMut(u64)) -> std::io::Result<Checksum> {
        let (lock, finished) = &*self.shared;
        loop {
            let key = FileKey::now(path)?;
            let next = {
                let mut s = lock.locked();
                let tick = s.tick();
                match s.slots.get_mut(path) {
                    Some(slot) if slot.key == key => {
                        slot.used = tick;
                        match &slot.state {
                            State::Done(md5) => return Ok(Checksum { md5: md5.clone(), key, cached: true }),
                            State::Hashing(h) => Next::Follow(h.clone()),
                            // Not reached by the worker yet: made here, the worker will skip it.
                            State::Queued => Next::Make(s.claim(path, key)),
                        }
                    }
                    _ => Next::Make(s.claim(path, key)),
                }
            };
            match next {
                Next::Make(h) => {
                    let md5 = self.make(path, key, &h, &mut on_bytes)?;
                    return Ok(Checksum { md5, key, cached: false });
                }
                Next::Follow(h) => {
                    // Follow the worker's progress until its slot changes.
                    let mut seen = 0;
                    let mut s = lock.locked();
                    loop {
                        let done = h.done.load(Ordering::Relaxed);
                        if done > seen {
                            on_bytes(done - seen);
                            seen = done;
                        }
                        match s.slots.get(path).map(|slot| (&slot.state, slot.key)) {
                            Some((State::Hashing(o), _)) if o.id == h.id => {}
                            Some((State::Done(md5), k)) if k == key => {
                                return Ok(Checksum { md5: md5.clone(), key, cached: false });
                            }
                            // Failed, stopped or changed: look again (and make it here).
                            _ => break,
                        }
                        s = finished
                            .wait_timeout(s, Duration::from_millis(50))
                            .unwrap_or_else(|poisoned| poisoned.into_inner())
                            .0;
                    }
                }
            }
        }
    }

    /// Reads the file and records the result under `key` if the file is still
    /// as it was (a file written meanwhile is not cached).
    fn make(&self, path: &Path, key: FileKey, h: &Hashing, on_bytes: &mut impl FnMut(u64)) -> std::io::Result<String> {
        let result = md5_file(path, |n| {
            h.done.fetch_add(n, Ordering::Relaxed);
            on_bytes(n);
            !h.stop.load(Ordering::Relaxed)
        });
        let unchanged = FileKey::now(path).is_ok_and(|k| k == key);
        let mut s = self.shared.0.locked();
        let ours = s.slots.get(path).is_some_and(|slot| matches!(&slot.state, State::Hashing(o) if o.id == h.id));
        if ours {
            match (&result, unchanged) {
                (Ok(Some(md5)), true) => {
                    if let Some(slot) = s.slots.get_mut(path) {
                        slot.state = State::Done(md5.clone());
                    }
                    s.evict();
                }
                _ => {
                    s.slots.remove(path);
                }
            }
        }
        drop(s);
        self.shared.1.notify_all();
        match result? {
            Some(md5) => Ok(md5),
            None => Err(std::io::Error::other("the checksum was stopped: the file was taken off the list")),
        }
    }
}

/// The background reader: takes queued files one at a time until none is left.
fn worker(shared: Arc<(Mutex<Shared>, Condvar)>) {
    let cache = Md5Cache { shared };
    loop {
        let (path, key, h) = {
            let mut s = cache.shared.0.locked();
            loop {
                let Some(path) = s.queue.pop_front() else {
                    s.worker = false;
                    return;
                };
                let queued = s.slots.get(&path).filter(|slot| matches!(slot.state, State::Queued)).map(|slot| slot.key);
                match queued {
                    // Read it unless it changed since it was added (a job reads it when needed).
                    Some(key) if FileKey::now(&path).is_ok_and(|k| k == key) => {
                        let h = s.claim(&path, key);
                        break (path, key, h);
                    }
                    Some(_) => {
                        s.slots.remove(&path);
                    }
                    None => {}
                }
            }
        };
        if let Err(e) = cache.make(&path, key, &h, &mut |_| {}) {
            tracing::debug!(path = %path.display(), error = %e, "no checksum ahead of time");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn wait_done(c: &Md5Cache, p: &Path) {
        for _ in 0..500 {
            if matches!(c.shared.0.locked().slots.get(p).map(|s| &s.state), Some(State::Done(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the worker never finished {}", p.display());
    }

    #[test]
    fn a_started_checksum_is_reused_and_a_changed_file_is_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let c = Md5Cache::default();
        let p = file(dir.path(), "a.txt", b"hello");
        c.start([p.clone()]);
        wait_done(&c, &p);
        let first = c.md5(&p, |_| {}).unwrap();
        assert!(first.cached, "made ahead of time");
        assert!(c.ready(&p));
        assert_eq!(c.reads(&p), 1);
        assert_eq!(first.md5, "5d41402abc4b2a76b9719d911017c592");
        // Same size, another modification time: read again, not trusted.
        std::fs::write(&p, b"HELLO").unwrap();
        let t = SystemTime::now() + Duration::from_secs(5);
        std::fs::File::options().write(true).open(&p).unwrap().set_modified(t).unwrap();
        assert!(!c.ready(&p), "a changed file's checksum is not ready");
        let again = c.md5(&p, |_| {}).unwrap();
        assert!(!again.cached);
        assert_eq!(again.md5, "eb61eead90e3b899c6bcbe27ac581660");
        assert!(c.md5(&p, |_| {}).unwrap().cached, "and that one is kept");
        assert_eq!(c.reads(&p), 2);
    }

    #[test]
    fn a_job_waits_for_the_worker_or_reads_the_file_itself() {
        let dir = tempfile::tempdir().unwrap();
        let c = Md5Cache::default();
        let big = file(dir.path(), "big.bin", &vec![7u8; 24 << 20]);
        let small = file(dir.path(), "small.bin", b"x");
        c.start([big.clone(), small.clone()]);
        // Asked for at once: either still queued (made here) or being made (waited for).
        let mut heard = 0;
        let got = c.md5(&big, |n| heard += n).unwrap();
        assert_eq!(got.key.size, 24 << 20);
        assert!(heard <= 24 << 20);
        let direct = md5_file(&big, |_| true).unwrap().unwrap();
        assert_eq!(got.md5, direct);
        assert_eq!(c.md5(&small, |_| {}).unwrap().md5, "9dd4e461268c8034f5c8564e155c67a6");
        assert!(c.md5(&big, |_| {}).unwrap().cached);
    }

    #[test]
    fn forgotten_files_are_not_kept_and_missing_ones_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let c = Md5Cache::default();
        let p = file(dir.path(), "a.txt", b"hello");
        c.start([p.clone(), dir.path().join("missing")]);
        c.forget(std::slice::from_ref(&p));
        assert!(!c.shared.0.locked().slots.contains_key(&p), "forgotten, whether the worker had begun or not");
        assert!(c.md5(&dir.path().join("missing"), |_| {}).is_err());
        assert_eq!(c.md5(&p, |_| {}).unwrap().md5, "5d41402abc4b2a76b9719d911017c592");
    }
}
