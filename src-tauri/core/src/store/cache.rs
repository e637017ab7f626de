//! Answers kept with the time they were fetched: the names the registers gave
//! (`registers/names.rs`), so a list of ten thousand transfers does not ask
//! Enhetsregisteret ten thousand times, and names still show offline.

use super::{db_err, Store};
use crate::error::AppResult;
use crate::sync::Locked;
use rusqlite::{params, OptionalExtension};

impl Store {
    /// The value kept under `key` and when it was fetched (Unix seconds).
    pub fn cache_get(&self, key: &str) -> AppResult<Option<(i64, String)>> {
        let conn = self.conn.locked();
        conn.query_row("SELECT fetched, data FROM cache WHERE key = ?1", params![key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(db_err)
    }

    /// Keeps `data` under `key`, replacing what was there.
    pub fn cache_put(&self, key: &str, fetched: i64, data: &str) -> AppResult<()> {
        let conn = self.conn.locked();
        conn.execute(
            "INSERT INTO cache(key, fetched, data) VALUES (?1, ?2, ?3)
             ON CONFLICT(key) DO UPDATE SET fetched=excluded.fetched, data=excluded.data",
            params![key, fetched, data],
        )
        .map_err(db_err)?;
        Ok(())
    }

    /// Forgets everything fetched before `before` (Unix seconds). Returns how many.
    pub fn cache_prune(&self, before: i64) -> AppResult<usize> {
        let conn = self.conn.locked();
        conn.execute("DELETE FROM cache WHERE fetched < ?1", params![before]).map_err(db_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_values_survive_reopening_and_can_be_pruned() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (s, _) = Store::open(dir.path()).unwrap();
            s.cache_put("org:1", 100, "a").unwrap();
            s.cache_put("org:1", 200, "b").unwrap();
            s.cache_put("org:2", 50, "c").unwrap();
        }
        let (s, _) = Store::open(dir.path()).unwrap();
        assert_eq!(s.cache_get("org:1").unwrap(), Some((200, "b".to_owned())));
        assert_eq!(s.cache_get("org:3").unwrap(), None);
        assert_eq!(s.cache_prune(100).unwrap(), 1);
        assert_eq!(s.cache_get("org:2").unwrap(), None);
        assert!(Store::memory().cache_get("x").unwrap().is_none(), "the in-memory store has the table too");
    }
}
