//! Faults while receiving: the file must never be lost, never saved short or
//! wrong, and never confirmed to Altinn before it is safely saved.

use crate::support::*;
#[cfg(target_os = "linux")] // used by the Linux-only disk-full cases
use budbringer_core::environment::Environment;
use budbringer_core::error::ErrorCode;
use budbringer_core::store::Table;
#[cfg(target_os = "linux")]
use budbringer_core::transfers::download::part_path;
use budbringer_core::transfers::inbox::InboxPhase;
use budbringer_sandbox::FaultSpec;

fn dl(id: uuid::Uuid) -> String {
    format!("/broker/api/v1/filetransfer/{id}/download")
}

#[tokio::test]
async fn connection_reset_mid_download_resumes_with_range() {
    let w = world().await;
    let content = std::fs::read(make_file(w.dir.path(), "src.bin", 3 * 1024 * 1024 + 5)).unwrap();
    let id = seed(&w, "data.bin", &content);
    w.sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some(dl(id)),
        drop_after_bytes: Some(1024 * 1024 + 7),
        ..Default::default()
    });
    let r = receiver(&w, "inbox");
    r.refresh(&w).await.unwrap();
    r.save(&w, id, &content).await.unwrap();
    assert_eq!(w.sandbox.admin().faults_fired("drop"), 1, "the connection was cut");
    // The second request resumed where the part-file ended (`Range: bytes=N-`,
    // N > 0), not from byte 0 again.
    let starts = w.sandbox.admin().download_starts(id);
    assert!(starts.len() >= 2, "cut once, so asked at least twice: {starts:?}");
    assert_eq!(starts[0], 0, "the first request begins at 0: {starts:?}");
    assert!(starts[1..].iter().all(|&s| s > 0), "every later request resumes with a Range: {starts:?}");
}

#[tokio::test]
async fn a_truncated_download_is_resumed_not_saved_short() {
    let w = world().await;
    let content = std::fs::read(make_file(w.dir.path(), "src.bin", 500_000)).unwrap();
    let id = seed(&w, "t.bin", &content);
    w.sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some(dl(id)),
        truncate_download_at: Some(100_000),
        ..Default::default()
    });
    let r = receiver(&w, "inbox");
    r.refresh(&w).await.unwrap();
    r.save(&w, id, &content).await.unwrap();
}

#[tokio::test]
async fn a_checksum_mismatch_on_download_is_neither_saved_nor_confirmed() {
    let w = world().await;
    let id = seed(&w, "a.txt", b"the real content");
    let r = receiver(&w, "inbox");
    r.refresh(&w).await.unwrap();
    // What Altinn said the checksum is no longer matches the bytes (a corrupted transfer).
    let mut f = r.inbox.get(id).unwrap();
    f.overview.checksum = Some("00000000000000000000000000000000".into());
    let (store, _) = budbringer_core::store::Store::open(&w.dir.path().join("inbox.db")).unwrap();
    // Each organisation's record of a transfer is keyed `<org>/<id>` (several organisations, issue 17).
    store.put(Table::Incoming, &format!("{}/{id}", budbringer_sandbox::PRACTICE_ORG_B), false, &f).unwrap();
    let e = r.save(&w, id, b"the real content").await.unwrap_err();
    assert_eq!(e.error.code, ErrorCode::DownloadChecksumMismatch);
    assert!(files_in(&r.dir).is_empty(), "not even a part-file is kept");
    assert_eq!(r.inbox.get(id).unwrap().phase, InboxPhase::Failed);
}

#[tokio::test]
async fn a_slow_download_completes() {
    let w = world().await;
    let content = std::fs::read(make_file(w.dir.path(), "src.bin", 100_000)).unwrap();
    let id = seed(&w, "sakte.bin", &content);
    w.sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some("/broker".into()),
        latency_ms: Some(200),
        ..Default::default()
    });
    let r = receiver(&w, "inbox");
    r.refresh(&w).await.unwrap();
    r.save(&w, id, &content).await.unwrap();
}

#[tokio::test]
async fn malformed_json_on_search_and_overview_is_named_then_recovers() {
    let w = world().await;
    let id = seed(&w, "m.txt", b"innhold");
    let r = receiver(&w, "inbox");
    // Search answers with a broken body.
    w.sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some("/broker/api/v1/filetransfer".into()),
        malformed_json: Some(1),
        ..Default::default()
    });
    let e = r.refresh(&w).await.unwrap_err();
    assert_eq!(e.error.code, ErrorCode::MalformedResponse, "{e:?}");
    assert!(r.inbox.list().unwrap().is_empty(), "nothing stored from a broken answer");
    // Then the overview of that one file.
    w.sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some(format!("/broker/api/v1/filetransfer/{id}")),
        malformed_json: Some(1),
        ..Default::default()
    });
    let e = r.refresh(&w).await.unwrap_err();
    assert_eq!(e.error.code, ErrorCode::MalformedResponse, "{e:?}");
    assert!(r.inbox.list().unwrap().is_empty(), "no half-understood entry");
    // The next look works, and the file is saved and confirmed.
    r.refresh(&w).await.unwrap();
    assert_eq!(r.inbox.get(id).unwrap().phase, InboxPhase::New);
    r.save(&w, id, b"innhold").await.unwrap();
}

#[tokio::test]
async fn burst_of_503s_on_download_resumes() {
    let w = world().await;
    let content = std::fs::read(make_file(w.dir.path(), "src.bin", 50_000)).unwrap();
    let id = seed(&w, "n.bin", &content);
    let r = receiver(&w, "inbox");
    r.refresh(&w).await.unwrap();
    w.sandbox.admin().add_fault(FaultSpec { path_prefix: Some(dl(id)), fail_503: Some(3), ..Default::default() });
    r.save(&w, id, &content).await.unwrap();
}

/// The disk fills up: the part-file's writes fail with ENOSPC. This is the
/// portable form (no mount needed): the part-file is a symlink to `/dev/full`.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn disk_full_during_download_is_named_and_not_confirmed() {
    let w = world().await;
    let content = std::fs::read(make_file(w.dir.path(), "src.bin", 2 * 1024 * 1024)).unwrap();
    let id = seed(&w, "full.bin", &content);
    let r = receiver(&w, "inbox");
    r.refresh(&w).await.unwrap();
    std::fs::create_dir_all(&r.dir).unwrap();
    std::os::unix::fs::symlink("/dev/full", part_path(&r.dir, id)).unwrap();
    let e = r.save(&w, id, &content).await.unwrap_err();
    assert_eq!(e.error.code, ErrorCode::DiskFull, "{e:?}");
    assert_eq!(r.inbox.get(id).unwrap().phase, InboxPhase::Failed);
    // Space is freed: the next attempt saves and confirms.
    std::fs::remove_file(part_path(&r.dir, id)).unwrap();
    r.save(&w, id, &content).await.unwrap();
}

/// The same with a real size-limited folder (tmpfs), where mounting is
/// allowed (root with CAP_SYS_ADMIN); elsewhere it says so and passes.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn disk_full_in_a_size_limited_folder() {
    let w = world().await;
    let mount = w.dir.path().join("small");
    std::fs::create_dir_all(&mount).unwrap();
    let ok = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&mount)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("tmpfs cannot be mounted here; the /dev/full case covers DISK_FULL");
        return;
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(mount.clone());
    let content = std::fs::read(make_file(w.dir.path(), "src.bin", 3 * 1024 * 1024)).unwrap();
    let id = seed(&w, "for-stor.bin", &content);
    let (store, _) = budbringer_core::store::Store::open(&w.dir.path().join("tmpfs.db")).unwrap();
    let r = Receiver {
        inbox: budbringer_core::transfers::inbox::Inbox::new(
            store,
            Environment::Sandbox,
            budbringer_sandbox::PRACTICE_ORG_B,
        ),
        dir: mount.join("inn"),
    };
    r.refresh(&w).await.unwrap();
    let e = r.save(&w, id, &content).await.unwrap_err();
    assert_eq!(e.error.code, ErrorCode::DiskFull, "{e:?}");
    // A bigger folder: it resumes and saves.
    let r2 = Receiver { inbox: r.inbox, dir: w.dir.path().join("stor") };
    r2.save(&w, id, &content).await.unwrap();
}
