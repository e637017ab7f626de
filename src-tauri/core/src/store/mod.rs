//! The crash-safe local store: the send queue and a bounded history of sent
//! and received transfers, in SQLite (WAL). A damaged database never stops
//! the app: it is set aside under a new name, a fresh one is made, and the
//! caller is told so it can tell the user.
//!
//! Beside the database live the locks (`lock.rs`) that give each received
//! file and each send job one owner across every copy of the engine that
//! uses the same data folder.

mod lock;

pub use lock::Lock;

mod cache;

use crate::error::{AppError, AppResult, ErrorCode};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{de::DeserializeOwned, Serialize};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How many finished transfers each history keeps: a clerk's year of
/// history (issue 17 asks for lists that stay smooth at 10,000 entries;
/// docs/BENCHMARKS.md measures them). Older finished ones are dropped.
pub const HISTORY_LIMIT: usize = 10_000;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS outgoing (
    id         TEXT PRIMARY KEY,
    finished   INTEGER NOT NULL DEFAULT 0,
    updated    TEXT NOT NULL,
    data       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outgoing_finished ON outgoing(finished, updated);
CREATE INDEX IF NOT EXISTS outgoing_newest ON outgoing(finished);
CREATE TABLE IF NOT EXISTS incoming (
    id         TEXT PRIMARY KEY,
    finished   INTEGER NOT NULL DEFAULT 0,
    updated    TEXT NOT NULL,
    data       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incoming_finished ON incoming(finished, updated);
CREATE INDEX IF NOT EXISTS incoming_newest ON incoming(finished);
CREATE TABLE IF NOT EXISTS meta (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cache (
    key        TEXT PRIMARY KEY,
    fetched    INTEGER NOT NULL,
    data       TEXT NOT NULL
);
"#;

/// Which list a record belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Outgoing,
    Incoming,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Outgoing => "outgoing",
            Table::Incoming => "incoming",
        }
    }
}

#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
    /// Where the locks live: `<data>/locks`, or a folder of its own for a store in memory.
    locks: PathBuf,
}

/// What happened when the store was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenReport {
    Fine,
    /// The old database was damaged and moved here; a fresh one was made.
    SetAside(PathBuf),
}

pub(crate) fn db_err(e: rusqlite::Error) -> AppError {
    AppError::new(ErrorCode::FileSystem).with_detail(format!("local database: {e}"))
}

fn now() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

impl Store {
    /// Opens (or creates) `budbringer.db` in `dir`.
    pub fn open(dir: &Path) -> AppResult<(Store, OpenReport)> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("budbringer.db");
        match Self::try_open(&path) {
            Ok(conn) => {
                Ok((Store { conn: Arc::new(Mutex::new(conn)), path, locks: dir.join("locks") }, OpenReport::Fine))
            }
            Err(e) => {
                let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
                let aside = dir.join(format!("budbringer.db.damaged-{stamp}"));
                tracing::error!(error = %e, aside = %aside.display(), "local database damaged; setting it aside");
                std::fs::rename(&path, &aside)?;
                for ext in ["-wal", "-shm"] {
                    let side = PathBuf::from(format!("{}{ext}", path.display()));
                    let _ = std::fs::rename(&side, format!("{}{ext}", aside.display()));
                }
                let conn = Self::try_open(&path).map_err(db_err)?;
                let locks = dir.join("locks");
                Ok((Store { conn: Arc::new(Mutex::new(conn)), path, locks }, OpenReport::SetAside(aside)))
            }
        }
    }

    /// A store that lives in memory only: the last resort when the data
    /// folder cannot be written, so the app still starts (and says so).
    pub fn memory() -> Store {
        let conn = Connection::open_in_memory().expect("SQLite in memory");
        conn.execute_batch(SCHEMA).expect("schema in memory");
        // Nobody else can share a store in memory; its locks need a folder of their own.
        let locks = std::env::temp_dir().join(format!("budbringer-locks-{}", uuid::Uuid::new_v4()));
        Store { conn: Arc::new(Mutex::new(conn)), path: PathBuf::from(":memory:"), locks }
    }

    fn try_open(path: &Path) -> rusqlite::Result<Connection> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(%mode, "SQLite did not switch to WAL");
        }
        conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")?;
        let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
                Some(format!("quick_check: {check}")),
            ));
        }
        conn.execute_batch(SCHEMA)?;
        Ok(conn)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes the lock `name` (for example `download-<id>`) if no copy of the
    /// engine over this data folder holds it; `None` when one does.
    pub fn try_lock(&self, name: &str) -> AppResult<Option<Lock>> {
        lock::try_lock(&self.locks, name)
    }

    /// Waits until the lock `name` is free, then takes it.
    pub async fn lock(&self, name: &str) -> AppResult<Lock> {
        lock::lock(&self.locks, name).await
    }

    /// A small value kept between runs (for example where the inbox's search got to).
    pub fn meta(&self, key: &str) -> AppResult<Option<String>> {
        let conn = self.conn.lock().expect("store lock poisoned");
        conn.query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| r.get(0)).optional().map_err(db_err)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> AppResult<()> {
        let conn = self.conn.lock().expect("store lock poisoned");
        conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            params![key, value],
        )
        .map_err(db_err)?;
        Ok(())
    }

    /// Inserts or replaces a record. `finished` records count towards the
    /// history limit; the oldest finished ones beyond it are removed.
    pub fn put<T: Serialize>(&self, table: Table, id: &str, finished: bool, value: &T) -> AppResult<()> {
        let data = serde_json::to_string(value).map_err(|e| AppError::internal(e.to_string()))?;
        let conn = self.conn.lock().expect("store lock poisoned");
        let t = table.name();
        conn.execute(
            &format!("INSERT INTO {t}(id, finished, updated, data) VALUES (?1, ?2, ?3, ?4)
                      ON CONFLICT(id) DO UPDATE SET finished=excluded.finished, updated=excluded.updated, data=excluded.data"),
            params![id, finished as i64, now(), data],
        )
        .map_err(db_err)?;
        // Counting the finished ones walks the (finished, updated) index; the
        // delete below sorts the whole history, so it runs only when needed.
        let over = finished && {
            let n: i64 = conn
                .query_row(&format!("SELECT COUNT(*) FROM {t} WHERE finished = 1"), [], |r| r.get(0))
                .map_err(db_err)?;
            n > HISTORY_LIMIT as i64
        };
        if over {
            conn.execute(
                &format!(
                    "DELETE FROM {t} WHERE finished = 1 AND id NOT IN
                          (SELECT id FROM {t} WHERE finished = 1 ORDER BY updated DESC, rowid DESC LIMIT ?1)"
                ),
                params![HISTORY_LIMIT as i64],
            )
            .map_err(db_err)?;
        }
        Ok(())
    }

    pub fn get<T: DeserializeOwned>(&self, table: Table, id: &str) -> AppResult<Option<T>> {
        let conn = self.conn.lock().expect("store lock poisoned");
        let data: Option<String> = conn
            .query_row(&format!("SELECT data FROM {} WHERE id = ?1", table.name()), params![id], |r| r.get(0))
            .optional()
            .map_err(db_err)?;
        Ok(data.and_then(|d| serde_json::from_str(&d).ok()))
    }

    /// All records, unfinished first, then newest first (by when each was
    /// first stored: a status change does not move an old transfer to the
    /// top). Records that no longer parse (written by a newer version) are
    /// skipped, not fatal.
    pub fn list<T: DeserializeOwned>(&self, table: Table) -> AppResult<Vec<T>> {
        self.newest(table, None, |_: &T| true)
    }

    /// The first `limit` records (all without one) that `keep` accepts, in
    /// the order of [`Store::list`]. Rows after the last one wanted are not
    /// even parsed: a list's first page costs its own rows, not the history's
    /// 10,000 (docs/BENCHMARKS.md, the lists' rows).
    pub fn newest<T: DeserializeOwned>(
        &self,
        table: Table,
        limit: Option<usize>,
        keep: impl FnMut(&T) -> bool,
    ) -> AppResult<Vec<T>> {
        self.scan(table, &[0, 1], limit, keep)
    }

    /// The unfinished records only (work under way, newest first): what a
    /// restart resumes, without reading the finished history.
    pub fn unfinished<T: DeserializeOwned>(&self, table: Table) -> AppResult<Vec<T>> {
        self.scan(table, &[0], None, |_: &T| true)
    }

    /// The records whose `finished` is each of `parts` in turn, newest first
    /// within each, until `limit` of them pass `keep`.
    fn scan<T: DeserializeOwned>(
        &self,
        table: Table,
        parts: &[i64],
        limit: Option<usize>,
        mut keep: impl FnMut(&T) -> bool,
    ) -> AppResult<Vec<T>> {
        let conn = self.conn.lock().expect("store lock poisoned");
        // Each part walks the `<table>_newest` index (finished, rowid)
        // backwards, so no sort and no row is read early.
        let mut stmt = conn
            .prepare(&format!("SELECT data FROM {} WHERE finished = ?1 ORDER BY rowid DESC", table.name()))
            .map_err(db_err)?;
        let mut out = Vec::new();
        for &finished in parts {
            let rows = stmt.query_map([finished], |r| r.get::<_, String>(0)).map_err(db_err)?;
            for data in rows.filter_map(|r| r.ok()) {
                if limit.is_some_and(|n| out.len() >= n) {
                    return Ok(out);
                }
                match serde_json::from_str::<T>(&data) {
                    Ok(v) if keep(&v) => out.push(v),
                    _ => {}
                }
            }
        }
        Ok(out)
    }

    pub fn delete(&self, table: Table, id: &str) -> AppResult<()> {
        let conn = self.conn.lock().expect("store lock poisoned");
        conn.execute(&format!("DELETE FROM {} WHERE id = ?1", table.name()), params![id]).map_err(db_err)?;
        Ok(())
    }

    /// Removes every finished record of `table`.
    pub fn clear_finished(&self, table: Table) -> AppResult<usize> {
        let conn = self.conn.lock().expect("store lock poisoned");
        conn.execute(&format!("DELETE FROM {} WHERE finished = 1", table.name()), []).map_err(db_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Rec {
        n: u32,
    }

    #[test]
    fn records_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (s, report) = Store::open(dir.path()).unwrap();
            assert_eq!(report, OpenReport::Fine);
            s.put(Table::Outgoing, "a", false, &Rec { n: 1 }).unwrap();
            s.put(Table::Outgoing, "a", false, &Rec { n: 2 }).unwrap();
            s.put(Table::Incoming, "b", true, &Rec { n: 3 }).unwrap();
        }
        let (s, _) = Store::open(dir.path()).unwrap();
        assert_eq!(s.get::<Rec>(Table::Outgoing, "a").unwrap(), Some(Rec { n: 2 }));
        assert_eq!(s.list::<Rec>(Table::Incoming).unwrap(), vec![Rec { n: 3 }]);
        assert_eq!(s.get::<Rec>(Table::Incoming, "a").unwrap(), None);
        s.delete(Table::Outgoing, "a").unwrap();
        assert!(s.list::<Rec>(Table::Outgoing).unwrap().is_empty());
    }

    #[test]
    fn history_is_bounded_and_unfinished_work_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (s, _) = Store::open(dir.path()).unwrap();
        s.put(Table::Outgoing, "queued", false, &Rec { n: 0 }).unwrap();
        // A full history in one transaction (10,000 puts would fsync 10,000 times),
        // then the puts that go over the limit, through `put`.
        {
            let mut conn = s.conn.lock().unwrap();
            let tx = conn.transaction().unwrap();
            for i in 0..HISTORY_LIMIT as u32 {
                let data = serde_json::to_string(&Rec { n: i }).unwrap();
                let updated = format!("2026-01-01T00:00:00.{i:09}Z");
                tx.execute(
                    "INSERT INTO outgoing(id, finished, updated, data) VALUES (?1, 1, ?2, ?3)",
                    params![format!("done-{i}"), updated, data],
                )
                .unwrap();
            }
            tx.commit().unwrap();
        }
        for i in HISTORY_LIMIT as u32..HISTORY_LIMIT as u32 + 25 {
            s.put(Table::Outgoing, &format!("done-{i}"), true, &Rec { n: i }).unwrap();
        }
        let all = s.list::<Rec>(Table::Outgoing).unwrap();
        assert_eq!(all.len(), HISTORY_LIMIT + 1);
        assert_eq!(all[0], Rec { n: 0 }, "unfinished first, never pruned");
        assert_eq!(all[1], Rec { n: HISTORY_LIMIT as u32 + 24 }, "newest finished next");
        assert_eq!(s.clear_finished(Table::Outgoing).unwrap(), HISTORY_LIMIT);
    }

    #[test]
    fn the_newest_come_first_and_a_page_stops_at_its_limit() {
        let dir = tempfile::tempdir().unwrap();
        let (s, _) = Store::open(dir.path()).unwrap();
        for n in 0..10 {
            s.put(Table::Outgoing, &format!("r{n}"), true, &Rec { n }).unwrap();
        }
        s.put(Table::Outgoing, "busy", false, &Rec { n: 100 }).unwrap();
        // A status change later does not move an old record up.
        s.put(Table::Outgoing, "r1", true, &Rec { n: 1 }).unwrap();
        let ns = |v: Vec<Rec>| v.into_iter().map(|r| r.n).collect::<Vec<_>>();
        assert_eq!(ns(s.list(Table::Outgoing).unwrap()), [100, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
        assert_eq!(ns(s.newest(Table::Outgoing, Some(3), |_: &Rec| true).unwrap()), [100, 9, 8]);
        // The limit counts the kept ones; a page can span unfinished and finished.
        assert_eq!(ns(s.newest(Table::Outgoing, Some(3), |r: &Rec| r.n % 2 == 0).unwrap()), [100, 8, 6]);
        assert_eq!(ns(s.newest(Table::Outgoing, Some(0), |_: &Rec| true).unwrap()), Vec::<u32>::new());
        assert_eq!(s.newest(Table::Outgoing, Some(50), |_: &Rec| true).unwrap().len(), 11);
        assert_eq!(ns(s.unfinished(Table::Outgoing).unwrap()), [100]);
    }

    #[test]
    fn a_damaged_database_is_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("budbringer.db"), vec![0x42u8; 8192]).unwrap();
        let (s, report) = Store::open(dir.path()).unwrap();
        let OpenReport::SetAside(aside) = report else { panic!("expected the damaged file to be set aside") };
        assert_eq!(std::fs::read(&aside).unwrap(), vec![0x42u8; 8192], "the damaged file is kept, not deleted");
        s.put(Table::Outgoing, "x", false, &Rec { n: 9 }).unwrap();
        assert_eq!(s.get::<Rec>(Table::Outgoing, "x").unwrap(), Some(Rec { n: 9 }));
    }
}
