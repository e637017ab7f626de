//! The inbox: finding new files, auto-save, and never confirming before a file is saved.

use super::support::*;
use budbringer_core::environment::Environment;
use budbringer_core::error::ErrorCode;
use budbringer_core::store::Store;
use budbringer_core::transfers::inbox::{Inbox, InboxPhase};
use budbringer_sandbox::{FaultSpec, SeedFile, PRACTICE_ORG_A, PRACTICE_ORG_B, PRACTICE_RESOURCE};
use std::collections::BTreeMap;
use uuid::Uuid;

fn seed(w: &World, name: &str, content: &str) -> Uuid {
    w.sandbox
        .admin()
        .seed_file(SeedFile {
            resource_id: None,
            sender: PRACTICE_ORG_A.into(),
            recipient: PRACTICE_ORG_B.into(),
            file_name: name.into(),
            content: Some(content.into()),
            content_base64: None,
            senders_reference: None,
            property_list: BTreeMap::new(),
            ..Default::default()
        })
        .unwrap()
}

async fn recipient_status(w: &World, id: Uuid) -> String {
    let o = w.a.overview(id).await.unwrap();
    o.recipients[0].current_recipient_file_transfer_status_code.clone().unwrap()
}

#[tokio::test]
async fn new_files_appear_and_auto_save_confirms_only_after_saving() {
    let w = world().await;
    let ids: Vec<Uuid> = (0..12).map(|i| seed(&w, &format!("fil {i}.txt"), &format!("innhold {i}"))).collect();
    let (store, _) = Store::open(&w.dir.path().join("db")).unwrap();
    let inbox = Inbox::new(store, Environment::Sandbox, PRACTICE_ORG_B);
    let resources = vec![PRACTICE_RESOURCE.to_owned()];

    let r = inbox.refresh(&w.b, &resources, None).await.unwrap();
    assert_eq!(r.new.len(), 12);
    assert!(inbox.list().unwrap().iter().all(|f| f.phase == InboxPhase::New));
    assert_eq!(recipient_status(&w, ids[0]).await, "Initialized", "nothing confirmed by just looking");
    // A second look finds nothing new.
    assert!(inbox.refresh(&w.b, &resources, None).await.unwrap().new.is_empty());

    let dir = w.dir.path().join("mottatt");
    let r = inbox.refresh(&w.b, &resources, Some(&dir)).await.unwrap();
    assert_eq!(r.auto_saved.len(), 12);
    for (i, id) in ids.iter().enumerate() {
        let f = inbox.get(*id).unwrap();
        assert_eq!(f.phase, InboxPhase::Confirmed);
        assert_eq!(std::fs::read_to_string(f.saved_path.unwrap()).unwrap(), format!("innhold {i}"));
        assert_eq!(recipient_status(&w, *id).await, "DownloadConfirmed");
    }
}

#[tokio::test]
async fn no_confirm_when_the_file_cannot_be_saved() {
    let w = world().await;
    let id = seed(&w, "viktig.txt", "ikke mist meg");
    let (store, _) = Store::open(&w.dir.path().join("db")).unwrap();
    let inbox = Inbox::new(store, Environment::Sandbox, PRACTICE_ORG_B);
    inbox.refresh(&w.b, &[PRACTICE_RESOURCE.to_owned()], None).await.unwrap();
    // The "folder" is a file: nothing can be saved there.
    let not_a_dir = w.dir.path().join("blocked");
    std::fs::write(&not_a_dir, "").unwrap();
    let e = inbox.save_and_confirm(&w.b, id, &not_a_dir, true).await.unwrap_err();
    assert_eq!(e.error.code, ErrorCode::FileSystem);
    assert_eq!(inbox.get(id).unwrap().phase, InboxPhase::Failed);
    assert_ne!(recipient_status(&w, id).await, "DownloadConfirmed", "never confirmed before saving");
    // Fixed: it saves and confirms.
    let f = inbox.save_and_confirm(&w.b, id, &w.dir.path().join("ok"), true).await.unwrap();
    assert_eq!(f.phase, InboxPhase::Confirmed);
    assert_eq!(recipient_status(&w, id).await, "DownloadConfirmed");
}

#[tokio::test]
async fn a_corrupted_download_is_neither_saved_nor_confirmed() {
    let w = world().await;
    let id = seed(&w, "a.txt", "the real content");
    let (store, _) = Store::open(&w.dir.path().join("db")).unwrap();
    let inbox = Inbox::new(store, Environment::Sandbox, PRACTICE_ORG_B);
    inbox.refresh(&w.b, &[PRACTICE_RESOURCE.to_owned()], None).await.unwrap();
    // Tamper with what Altinn said the checksum is, as a corrupted transfer would look.
    let mut f = inbox.get(id).unwrap();
    f.overview.checksum = Some("00000000000000000000000000000000".into());
    let (store2, _) = Store::open(&w.dir.path().join("db")).unwrap();
    // Each organisation's record of a transfer is keyed `<org>/<id>` (several organisations, issue 17).
    store2.put(budbringer_core::store::Table::Incoming, &format!("{PRACTICE_ORG_B}/{id}"), false, &f).unwrap();
    let dir = w.dir.path().join("inn");
    let e = inbox.save_and_confirm(&w.b, id, &dir, true).await.unwrap_err();
    assert_eq!(e.error.code, ErrorCode::DownloadChecksumMismatch);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "nothing left in the folder");
    assert_ne!(recipient_status(&w, id).await, "DownloadConfirmed");
}

#[tokio::test]
async fn rate_limited_search_is_reported_with_its_retry_after() {
    let w = world().await;
    w.sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some("/broker/api/v1/filetransfer".into()),
        rate_limit_429: Some(1),
        retry_after_secs: Some(17),
        ..Default::default()
    });
    let (store, _) = Store::open(&w.dir.path().join("db")).unwrap();
    let inbox = Inbox::new(store, Environment::Sandbox, PRACTICE_ORG_B);
    let e = inbox.refresh(&w.b, &[PRACTICE_RESOURCE.to_owned()], None).await.unwrap_err();
    assert!(e.transient);
    assert_eq!(e.error.code, ErrorCode::RateLimited);
    assert_eq!(e.retry_after, Some(std::time::Duration::from_secs(17)));
    // The next look, after waiting, works.
    inbox.refresh(&w.b, &[PRACTICE_RESOURCE.to_owned()], None).await.unwrap();
}

#[tokio::test]
async fn downloads_report_progress_ending_at_the_full_size() {
    let w = world().await;
    let content = "x".repeat(3 * 1024 * 1024 + 5);
    let id = seed(&w, "stor.txt", &content);
    let (store, _) = Store::open(&w.dir.path().join("db")).unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let inbox = Inbox::new(store, Environment::Sandbox, PRACTICE_ORG_B)
        .with_progress(std::sync::Arc::new(move |f, done, total| s2.lock().unwrap().push((f, done, total))));
    inbox.refresh(&w.b, &[PRACTICE_RESOURCE.to_owned()], None).await.unwrap();
    inbox.save_and_confirm(&w.b, id, &w.dir.path().join("inn"), true).await.unwrap();
    let seen = seen.lock().unwrap();
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|(f, _, total)| *f == id && *total == content.len() as u64));
    assert_eq!(seen.last().unwrap().1, content.len() as u64, "the last report is the whole file");
    assert!(seen.windows(2).all(|p| p[0].1 <= p[1].1), "progress never goes back");
}
