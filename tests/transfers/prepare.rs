//! The checksum made when a file is added on the Send page (`send_prepare`,
//! which starts [`md5_cache`] on the chosen files): the send that follows
//! finds it and does not read the file again, and a file changed after it was
//! prepared is read again, so Altinn never gets a stale checksum (issue 16).

use super::*;
use budbringer_core::transfers::checksum::md5_file;
use budbringer_core::transfers::md5_cache;
use std::time::{Duration, SystemTime};

/// What `send_prepare` does with the paths behind the page's handles, and
/// waits (as a user reading the form would) until the checksum is made.
async fn prepare(path: &Path) {
    md5_cache::global().start([path.to_owned()]);
    for _ in 0..1000 {
        if md5_cache::global().ready(path) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the prepared checksum of {} was never made", path.display());
}

#[tokio::test]
async fn a_send_after_prepare_reads_the_file_once_for_its_checksum() {
    let w = world().await;
    let file = make_file(w.dir.path(), "forberedt.bin", 3 * 1024 * 1024 + 17);
    prepare(&file).await;
    assert_eq!(md5_cache::global().reads(&file), 1, "read once, in the background");
    let (job, _) = send_file(&w, &file, &small_chunks()).await;
    assert_eq!(job.phase, Phase::Published, "{:?}", job.error);
    assert_eq!(
        md5_cache::global().reads(&file),
        1,
        "the send found the checksum ready and did not read the file again"
    );
    let expected = md5_file(&file, |_| true).unwrap().unwrap();
    assert_eq!(job.md5.as_deref(), Some(expected.as_str()));
    assert_eq!(w.b.overview(job.file_transfer_id.unwrap()).await.unwrap().checksum.as_deref(), Some(expected.as_str()));
}

#[tokio::test]
async fn a_file_changed_after_prepare_is_read_again_and_sent_with_its_new_checksum() {
    let w = world().await;
    let file = make_file(w.dir.path(), "endret.bin", 2 * 1024 * 1024);
    prepare(&file).await;
    let stale = md5_file(&file, |_| true).unwrap().unwrap();
    // Same size, other bytes, a later modification time: what an editor's save looks like.
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[1000] ^= 0xff;
    std::fs::write(&file, &bytes).unwrap();
    let later = SystemTime::now() + Duration::from_secs(3);
    std::fs::File::options().write(true).open(&file).unwrap().set_modified(later).unwrap();
    let fresh = md5_file(&file, |_| true).unwrap().unwrap();
    assert_ne!(stale, fresh);

    let (job, _) = send_file(&w, &file, &small_chunks()).await;
    assert_eq!(job.phase, Phase::Published, "{:?}", job.error);
    assert_eq!(md5_cache::global().reads(&file), 2, "the send read the changed file again");
    assert_eq!(job.md5.as_deref(), Some(fresh.as_str()));
    let o = w.b.overview(job.file_transfer_id.unwrap()).await.unwrap();
    assert_eq!(o.checksum.as_deref(), Some(fresh.as_str()), "Altinn got the checksum of the bytes it received");
}
