use super::*;
use std::cell::Cell;

fn part_with(dir: &Path, content: &str) -> PathBuf {
    let part = crate::transfers::download::part_path(dir, uuid::Uuid::new_v4());
    std::fs::write(&part, content).unwrap();
    part
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn finishing_never_overwrites_with_either_method() {
    for method in [Commit::NoReplaceRename, Commit::Reserve] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "theirs").unwrap();
        let part = part_with(dir.path(), "ours");
        let saved = finish_with(&part, dir.path(), "a.txt", method, &|_| {}).unwrap();
        assert_eq!(saved, dir.path().join("a (2).txt"), "{method:?}");
        assert_eq!(read(&dir.path().join("a.txt")), "theirs");
        assert_eq!(read(&saved), "ours");
        assert!(!part.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "{method:?}: no placeholder left");
    }
}

/// Another program takes the chosen name after the check and before the
/// commit. With the platform's no-replace rename, and with the reserving
/// fallback a file system without it (or without hard links: FAT, SMB) gets,
/// their file stays and ours goes to the next free name.
#[test]
fn a_name_taken_between_check_and_commit_is_not_overwritten() {
    for method in [Commit::NoReplaceRename, Commit::Reserve] {
        let dir = tempfile::tempdir().unwrap();
        let part = part_with(dir.path(), "ours");
        let raced = Cell::new(0);
        let race = |target: &Path| {
            // The first two names chosen are taken by someone else just in time.
            if raced.get() < 2 {
                raced.set(raced.get() + 1);
                std::fs::write(target, format!("theirs {}", raced.get())).unwrap();
            }
        };
        let saved = finish_with(&part, dir.path(), "rapport.pdf", method, &race).unwrap();
        assert_eq!(raced.get(), 2, "{method:?}: the race fired");
        assert_eq!(read(&dir.path().join("rapport.pdf")), "theirs 1", "{method:?}");
        assert_eq!(read(&dir.path().join("rapport (2).pdf")), "theirs 2", "{method:?}");
        assert_eq!(saved, dir.path().join("rapport (3).pdf"), "{method:?}");
        assert_eq!(read(&saved), "ours");
        assert!(!part.exists());
    }
}

/// A dangling symlink in the name's place (pointing at a file we must not
/// create or replace): the name counts as taken.
#[cfg(unix)]
#[test]
fn a_symlink_in_the_way_is_left_alone() {
    for method in [Commit::NoReplaceRename, Commit::Reserve] {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let part = part_with(dir.path(), "ours");
        let victim = outside.path().join("victim");
        let race = |target: &Path| {
            if !target.to_string_lossy().contains("(2)") {
                std::os::unix::fs::symlink(&victim, target).unwrap();
            }
        };
        let saved = finish_with(&part, dir.path(), "x.txt", method, &race).unwrap();
        assert_eq!(saved, dir.path().join("x (2).txt"), "{method:?}");
        assert!(!victim.exists(), "{method:?}: wrote through the symlink");
        assert!(dir.path().join("x.txt").symlink_metadata().unwrap().file_type().is_symlink());
    }
}

/// The reservation is an empty file for an instant; if something writes into
/// it before our rename, it is theirs now and is kept.
#[test]
fn a_claim_written_to_by_someone_else_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let part = part_with(dir.path(), "ours");
    let target = dir.path().join("a.txt");
    std::fs::OpenOptions::new().write(true).create_new(true).open(&target).unwrap();
    std::fs::write(&target, "theirs").unwrap();
    let e = super::reserve_and_rename(&part, &target);
    // The exclusive create fails first: the name was never ours.
    assert_eq!(e.unwrap_err().kind(), ErrorKind::AlreadyExists);
    assert_eq!(read(&target), "theirs");
    assert_eq!(read(&part), "ours");
}

#[cfg(target_os = "linux")]
#[test]
fn the_no_replace_rename_refuses_a_taken_name() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::write(&a, "a").unwrap();
    std::fs::write(&b, "b").unwrap();
    assert_eq!(rename_no_replace(&a, &b).unwrap_err().kind(), ErrorKind::AlreadyExists);
    assert_eq!(read(&b), "b");
    rename_no_replace(&a, &dir.path().join("c")).unwrap();
    assert_eq!(read(&dir.path().join("c")), "a");
}
