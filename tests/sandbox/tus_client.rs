//! The client's TUS uploader (`core/src/transfers/send.rs`, `broker.rs`) against
//! each real behaviour the sandbox now shows: a locked upload (423), a chunk
//! that is kept whole or not at all, an answer lost after the last byte, an
//! offset inside a chunk, two uploaders at once, a lock that never ends, and
//! no progress at all. Every upload here also proves the client never sends
//! `Upload-Checksum`: the sandbox, like Broker, refuses every one with 460.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use budbringer_core::altinn::AltinnClient;
use budbringer_core::environment::Environment;
use budbringer_core::error::ErrorCode;
use budbringer_core::orgnumber::OrgNumber;
use budbringer_core::secrets::MemorySecretStore;
use budbringer_core::transfers::broker::Broker;
use budbringer_core::transfers::send::{
    self, Method, Phase, SendJob, SendRequest, SendSink, SendUpdate, UploadSettings,
};
use budbringer_sandbox::FaultSpec;
use md5::{Digest, Md5};
use serde_json::json;

use crate::common::*;

const MIB: usize = 1024 * 1024;

fn settings(max_attempts: u32) -> UploadSettings {
    UploadSettings { tus_threshold: MIB as u64, chunk_size: 8 * MIB as u64, max_attempts, ..Default::default() }
}

fn broker(e: &Env) -> Broker {
    let secrets = Arc::new(MemorySecretStore::new());
    let profile = budbringer_runtime::practice::provision(&e.sb.admin(), A, secrets.as_ref()).unwrap();
    let endpoints = Environment::Sandbox.endpoints(Some(&e.base)).unwrap();
    Broker::new(AltinnClient::new(profile, endpoints, secrets).unwrap())
}

#[derive(Default)]
struct Sink(Mutex<Vec<SendJob>>);

impl SendSink for Sink {
    fn save(&self, job: &SendJob) -> budbringer_core::error::AppResult<()> {
        self.0.lock().unwrap().push(job.clone());
        Ok(())
    }
    fn report(&self, _: SendUpdate) {}
}

struct File {
    path: std::path::PathBuf,
    data: Vec<u8>,
    md5: String,
}

fn file(e: &Env, len: usize) -> File {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D ^ len as u64;
    let data: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let path = e.dir.path().join(format!("f{len}.bin"));
    std::fs::write(&path, &data).unwrap();
    let md5 = md5hex(&data);
    File { path, data, md5 }
}

fn job(f: &File, s: &UploadSettings, transfer: Option<&str>) -> SendJob {
    let req = SendRequest {
        path: f.path.clone(),
        resource_id: RES.into(),
        recipients: vec![B.into()],
        properties: Default::default(),
        reference: None,
    };
    let mut j = SendJob::new(&req, Environment::Sandbox, &OrgNumber::parse(A).unwrap(), None, s).unwrap();
    assert_eq!(j.method, Method::Tus);
    j.file_transfer_id = transfer.map(|t| uuid::Uuid::parse_str(t).unwrap());
    j
}

async fn run(j: &mut SendJob, b: &Broker, s: &UploadSettings) {
    send::run(j, b, s, &Sink::default(), std::future::pending()).await;
}

fn tus_url(e: &Env, id: &str) -> String {
    e.broker(&format!("/filetransfer/upload/tus/{id}"))
}

/// A transfer initialized with the file's MD5 and a TUS upload made for it.
async fn created(e: &Env, f: &File) -> String {
    let id = e.init_ok(json!({"checksum": f.md5})).await;
    let r = e
        .http
        .post(tus_url(e, &id))
        .bearer_auth(e.tok(A, RW))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", f.data.len().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    id
}

/// Another writer's PATCH that has sent 4 bytes of `total` and holds the lock
/// until the returned sender is dropped (then its body breaks off).
async fn hold_lock(e: &Env, id: &str, total: usize) -> tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    let body = reqwest::Body::wrap_stream(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)));
    let req = e
        .http
        .patch(tus_url(e, id))
        .bearer_auth(e.tok(A, RW))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Content-Length", total.to_string())
        .body(body)
        .send();
    tokio::spawn(req);
    tx.send(Ok(vec![0u8; 4])).await.unwrap();
    let ftid = uuid::Uuid::parse_str(id).unwrap();
    for _ in 0..500 {
        if e.sb.admin().bytes_received(ftid) >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let h =
        e.http.head(tus_url(e, id)).bearer_auth(e.tok(A, RW)).header("Tus-Resumable", "1.0.0").send().await.unwrap();
    assert_eq!(h.status(), 423, "the upload is locked");
    tx
}

async fn assert_delivered(e: &Env, j: &SendJob, f: &File) {
    assert_eq!(j.phase, Phase::Published, "{:?}", j.error);
    let id = j.file_transfer_id.unwrap().to_string();
    let v = e.overview(&e.tok(B, RW), &id).await;
    assert_eq!(v["checksum"], f.md5.as_str());
    let got =
        e.http.get(e.broker(&format!("/filetransfer/{id}/download"))).bearer_auth(e.tok(B, RW)).send().await.unwrap();
    let got = got.bytes().await.unwrap();
    assert_eq!(hex(&Md5::digest(&got)), f.md5);
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[tokio::test]
async fn waits_out_a_locked_upload() {
    let e = start().await;
    let b = broker(&e);
    let s = settings(8);
    let f = file(&e, 3 * MIB);
    let id = created(&e, &f).await;
    let hold = hold_lock(&e, &id, f.data.len()).await;
    // The other writer's body breaks off after 1.5 s; the server then keeps
    // the lock a moment longer before it notices.
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        drop(hold);
    });
    let t = Instant::now();
    let mut j = job(&f, &s, Some(&id));
    run(&mut j, &b, &s).await;
    assert!(t.elapsed() >= Duration::from_millis(1500), "the client waited for the lock");
    assert_delivered(&e, &j, &f).await;
    // The other writer's 4 bytes were thrown away, and the file went once.
    assert_eq!(e.sb.admin().bytes_received(uuid::Uuid::parse_str(&id).unwrap()), 4 + f.data.len() as u64);
}

#[tokio::test]
async fn gives_up_on_a_lock_that_never_ends() {
    let e = start().await;
    let b = broker(&e);
    let s = settings(3);
    let f = file(&e, 2 * MIB);
    let id = created(&e, &f).await;
    let _hold = hold_lock(&e, &id, f.data.len()).await;
    let t = Instant::now();
    let mut j = job(&f, &s, Some(&id));
    run(&mut j, &b, &s).await;
    assert_eq!(j.phase, Phase::Failed);
    let err = j.error.unwrap();
    assert_eq!(err.code, ErrorCode::BrokerError);
    assert!(err.detail.unwrap_or_default().contains("423"), "named by the lock");
    // Three tries: waits of 1 s and 2 s between them, then the job ends.
    assert!(t.elapsed() >= Duration::from_secs(3) && t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
}

#[tokio::test]
async fn a_discarded_partial_chunk_is_sent_again_whole() {
    let e = start().await;
    let b = broker(&e);
    let s = settings(8);
    let f = file(&e, 20 * MIB);
    e.sb.admin().add_fault(FaultSpec {
        path_prefix: Some("/broker/api/v1/filetransfer/upload/tus".into()),
        drop_after_bytes: Some(3 * MIB as u64),
        ..Default::default()
    });
    let mut j = job(&f, &s, None);
    run(&mut j, &b, &s).await;
    assert_delivered(&e, &j, &f).await;
    // The 3 MiB that came before the cut were not kept: the whole 20 MiB went after them.
    assert_eq!(e.sb.admin().bytes_received(j.file_transfer_id.unwrap()), (3 * MIB + f.data.len()) as u64);
}

#[tokio::test]
async fn tries_without_progress_end_the_job() {
    let e = start().await;
    let b = broker(&e);
    let s = settings(3);
    let f = file(&e, 2 * MIB);
    for _ in 0..5 {
        e.sb.admin().add_fault(FaultSpec {
            path_prefix: Some("/broker/api/v1/filetransfer/upload/tus".into()),
            drop_after_bytes: Some(100_000),
            ..Default::default()
        });
    }
    let mut j = job(&f, &s, None);
    run(&mut j, &b, &s).await;
    assert_eq!(j.phase, Phase::Failed);
    assert_eq!(j.error.as_ref().unwrap().code, ErrorCode::Network, "{:?}", j.error);
    let id = j.file_transfer_id.unwrap();
    // Two broken chunks (the lock after each counted too), nothing kept.
    assert_eq!(e.sb.admin().bytes_received(id), 200_000);
    let url = tus_url(&e, &id.to_string());
    let h = loop {
        let h = e.http.head(&url).bearer_auth(e.tok(A, RW)).header("Tus-Resumable", "1.0.0").send().await.unwrap();
        if h.status() != 423 {
            break h;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(h.headers()["upload-offset"], "0");
}

#[tokio::test]
async fn an_answer_lost_after_the_last_byte_ends_well() {
    let e = start().await;
    let b = broker(&e);
    let s = settings(8);
    let f = file(&e, 2 * MIB);
    e.sb.admin().add_fault(FaultSpec {
        path_prefix: Some("/broker/api/v1/filetransfer/upload/tus".into()),
        drop_after_bytes: Some(f.data.len() as u64),
        ..Default::default()
    });
    let mut j = job(&f, &s, None);
    run(&mut j, &b, &s).await;
    // The server took the chunk; by the time the client asks, its session says
    // the upload is over (409), and the overview that it was published.
    assert_delivered(&e, &j, &f).await;
    assert_eq!(e.sb.admin().bytes_received(j.file_transfer_id.unwrap()), f.data.len() as u64, "sent once");
}

#[tokio::test]
async fn resumes_from_an_offset_inside_a_chunk() {
    let e = start().await;
    let b = broker(&e);
    let s = settings(8);
    let f = file(&e, 20 * MIB);
    let id = created(&e, &f).await;
    // Someone (an earlier run, another copy of the app) got 5 MiB in.
    let r = e
        .http
        .patch(tus_url(&e, &id))
        .bearer_auth(e.tok(A, RW))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(f.data[..5 * MIB].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let mut j = job(&f, &s, Some(&id));
    run(&mut j, &b, &s).await;
    assert_delivered(&e, &j, &f).await;
    assert_eq!(e.sb.admin().bytes_received(uuid::Uuid::parse_str(&id).unwrap()), f.data.len() as u64);
}

#[tokio::test]
async fn two_uploaders_of_one_transfer_both_end_well() {
    let e = start().await;
    let b = broker(&e);
    let s = settings(8);
    let f = file(&e, 20 * MIB);
    let id = e.init_ok(json!({"checksum": f.md5})).await;
    let (mut j1, mut j2) = (job(&f, &s, Some(&id)), job(&f, &s, Some(&id)));
    let (b1, b2) = (b.clone(), b.clone());
    let s2 = s;
    tokio::join!(run(&mut j1, &b1, &s), run(&mut j2, &b2, &s2));
    assert_delivered(&e, &j1, &f).await;
    assert_delivered(&e, &j2, &f).await;
}

#[tokio::test]
async fn nullable_fields_are_read() {
    let e = start().await;
    let b = broker(&e);
    // `"checksum": null` stays null; left out it is ""; `published` is null until then.
    let id = e.init_ok(json!({"checksum": null})).await;
    let o = b.overview(uuid::Uuid::parse_str(&id).unwrap()).await.unwrap();
    assert_eq!(o.checksum, None);
    assert_eq!(o.published, None);
    let raw = e.overview(&e.tok(A, RW), &id).await;
    assert!(raw["checksum"].is_null() && raw["published"].is_null(), "{raw}");
    let id = e.init_ok(json!({})).await;
    assert_eq!(b.overview(uuid::Uuid::parse_str(&id).unwrap()).await.unwrap().checksum.as_deref(), Some(""));
    // A scanned streamed upload without a checksum keeps it empty when published.
    assert_eq!(e.upload(&e.tok(A, RW), &id, b"scanned".to_vec()).await.status(), 200);
    let v = e.wait_status(&id, "Published").await;
    assert_eq!(v["checksum"], "");
    let d = b.details(uuid::Uuid::parse_str(&id).unwrap()).await.unwrap();
    assert_eq!(d.overview.checksum.as_deref(), Some(""));
    assert!(d.overview.published.is_some());
}
