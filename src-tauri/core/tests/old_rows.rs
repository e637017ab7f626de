//! Rows written by earlier versions, when jobs and received files kept their
//! environment as a plain string, still load now that it is an
//! [`Environment`]: the stored form (`"sandbox"`, `"tt02"`, `"production"`)
//! did not change. The rows are inserted with SQL, as an old version left them.

#![allow(clippy::unwrap_used)] // a test that cannot go on fails at once

use budbringer_core::environment::Environment;
use budbringer_core::store::{Store, Table};
use budbringer_core::transfers::inbox::{InboxPhase, IncomingFile};
use budbringer_core::transfers::send::{Phase, SendJob};

const OLD_JOB: &str = r#"{"id":"6f1c2a9e-3b7d-4c5e-9a1f-2d3e4f5a6b7c","environment":"sandbox","path":"/home/kari/notat.txt","fileName":"notat.txt","size":3,"modifiedMs":1767225600000,"md5":"5I0Tb7vFzWSYy6Wt0Do9aw==","resourceId":"budbringer-practice","sender":"0192:310000019","recipients":["0192:310000027"],"properties":{},"reference":"budbringer-6f1c2a9e-3b7d-4c5e-9a1f-2d3e4f5a6b7c","fileTransferId":null,"initializeSent":false,"method":"stream","phase":"queued","bytesSent":0,"error":null,"receipt":null,"created":"2026-01-01T00:00:00Z","cleared":false}"#;

const OLD_FILE: &str = r#"{"id":"0b9d8c7e-6f5a-4b3c-8d2e-1f0a9b8c7d6e","environment":"tt02","overview":{"fileTransferId":"0b9d8c7e-6f5a-4b3c-8d2e-1f0a9b8c7d6e","resourceId":"budbringer-practice","fileName":"svar.pdf","sendersFileTransferReference":"ref-1","checksum":null,"useVirusScan":true,"fileTransferSize":1024,"fileTransferStatus":"Published","fileTransferStatusText":"","fileTransferStatusChanged":"2026-01-01T00:00:00Z","created":"2026-01-01T00:00:00Z","expirationTime":"2026-02-01T00:00:00Z","sender":"0192:310000019","recipients":[],"propertyList":{},"published":"2026-01-01T00:00:00Z"},"phase":"new","savedPath":null,"error":null,"firstSeen":"2026-01-01T00:00:01Z"}"#;

fn insert(db: &std::path::Path, table: &str, id: &str, data: &str) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute(
        &format!("INSERT INTO {table}(id, finished, updated, data) VALUES (?1, 0, '2026-01-01T00:00:00Z', ?2)"),
        rusqlite::params![id, data],
    )
    .unwrap();
}

#[test]
fn old_rows_with_the_environment_as_a_string_still_load() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap()); // makes the tables
    let db = dir.path().join("budbringer.db");
    insert(&db, "outgoing", "6f1c2a9e-3b7d-4c5e-9a1f-2d3e4f5a6b7c", OLD_JOB);
    insert(&db, "incoming", "0b9d8c7e-6f5a-4b3c-8d2e-1f0a9b8c7d6e", OLD_FILE);

    let (store, _) = Store::open(dir.path()).unwrap();
    let jobs: Vec<SendJob> = store.list(Table::Outgoing).unwrap();
    assert_eq!(jobs.len(), 1, "the old job is read, not skipped");
    assert_eq!((jobs[0].environment, jobs[0].phase), (Environment::Sandbox, Phase::Queued));

    let files: Vec<IncomingFile> = store.list(Table::Incoming).unwrap();
    assert_eq!(files.len(), 1, "the old received file is read, not skipped");
    assert_eq!((files[0].environment, files[0].phase), (Environment::Tt02, InboxPhase::New));
    // The inbox of each environment sees only its own files.
    let tt02 = budbringer_core::transfers::inbox::Inbox::new(store.clone(), Environment::Tt02, "310000027");
    let sandbox = budbringer_core::transfers::inbox::Inbox::new(store.clone(), Environment::Sandbox, "310000027");
    assert_eq!(tt02.list().unwrap().len(), 1);
    assert!(sandbox.list().unwrap().is_empty());

    // Written back, they look as they did.
    let again: serde_json::Value = serde_json::to_value(&jobs[0]).unwrap();
    assert_eq!(again, serde_json::from_str::<serde_json::Value>(OLD_JOB).unwrap());
    let again: serde_json::Value = serde_json::to_value(&files[0]).unwrap();
    assert_eq!(again["environment"], "tt02");
}
