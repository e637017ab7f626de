//! TUS: creation, PATCH with resumed offsets, locking answers, concatenation,
//! connection drops and a restart mid-upload.

use budbringer_sandbox::{FaultSpec, Sandbox, SandboxConfig};
use serde_json::{json, Value};

use crate::common::*;

fn tus_url(e: &Env, id: &str) -> String {
    e.broker(&format!("/filetransfer/upload/tus/{id}"))
}

async fn create(e: &Env, id: &str, len: usize) -> reqwest::Response {
    e.http
        .post(tus_url(e, id))
        .bearer_auth(e.tok(A, RW))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", len.to_string())
        .send()
        .await
        .unwrap()
}

async fn head(e: &Env, url: &str) -> (u16, Option<u64>) {
    let r = e.http.head(url).bearer_auth(e.tok(A, RW)).header("Tus-Resumable", "1.0.0").send().await.unwrap();
    let off = r.headers().get("upload-offset").map(|v| v.to_str().unwrap().parse().unwrap());
    (r.status().as_u16(), off)
}

async fn patch(e: &Env, url: &str, off: usize, data: &[u8]) -> Result<reqwest::Response, reqwest::Error> {
    e.http
        .patch(url)
        .bearer_auth(e.tok(A, RW))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", off.to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .body(data.to_vec())
        .send()
        .await
}

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

#[tokio::test]
async fn upload_in_several_patches_with_resumed_offset() {
    let e = start().await;
    let d = data(10_000);
    let id = e.init_ok(json!({"checksum": md5hex(&d)})).await;
    let opt =
        e.http.request(reqwest::Method::OPTIONS, tus_url(&e, &id)).bearer_auth(e.tok(A, RW)).send().await.unwrap();
    assert_eq!(opt.status(), 204);
    assert!(opt.headers()["tus-extension"].to_str().unwrap().contains("concatenation"));
    let r = create(&e, &id, d.len()).await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["location"], format!("/broker/api/v1/filetransfer/upload/tus/{id}"));
    assert_eq!(e.overview(&e.tok(A, RW), &id).await["fileTransferStatus"], "UploadStarted");
    let url = tus_url(&e, &id);
    assert_eq!(head(&e, &url).await, (200, Some(0)));
    let r = patch(&e, &url, 0, &d[..4000]).await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["upload-offset"], "4000");
    // A PATCH at a stale offset is refused with 409 and a plain-text body.
    let r = patch(&e, &url, 0, &d[..100]).await.unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().starts_with("Offset does not match file"));
    // Resume from the offset HEAD reports.
    let (_, off) = head(&e, &url).await;
    let off = off.unwrap() as usize;
    assert_eq!(off, 4000);
    assert_eq!(patch(&e, &url, off, &d[off..7000]).await.unwrap().status(), 204);
    assert_eq!(patch(&e, &url, 7000, &d[7000..]).await.unwrap().status(), 204);
    // At the final offset a PATCH is idempotent.
    let r = patch(&e, &url, 10_000, b"").await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["upload-offset"], "10000");
    let v = e.wait_status(&id, "Published").await;
    assert_eq!(v["checksum"], md5hex(&d));
    let got = e
        .http
        .get(e.broker(&format!("/filetransfer/{id}/download")))
        .bearer_auth(e.tok(B, RW))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(got.to_vec(), d);
}

#[tokio::test]
async fn tus_errors_are_plain_text() {
    let e = start().await;
    let r = create(&e, &uuid::Uuid::new_v4().to_string(), 10).await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.text().await.unwrap(), "The requested file transfer was not found");
    let id = e.init_ok(json!({})).await;
    let r = e
        .http
        .post(tus_url(&e, &id))
        .bearer_auth(e.tok(A, RW))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Defer-Length", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.text().await.unwrap(), "Header Upload-Defer-Length is not supported");
    assert_eq!(create(&e, &id, 5).await.status(), 201);
    let r = e
        .http
        .patch(tus_url(&e, &id))
        .bearer_auth(e.tok(A, RW))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Upload-Checksum", "md5 XUFAKrxLKna5cZ2REBfFkg==")
        .header("Content-Type", "application/offset+octet-stream")
        .body("hello")
        .send()
        .await
        .unwrap();
    // The right MD5 of "hello", refused all the same; the chunk is kept.
    assert_eq!(r.status(), 460);
    assert_eq!(r.text().await.unwrap(), "Header Upload-Checksum does not match the checksum of the file");
    assert_eq!(head(&e, &tus_url(&e, &id)).await, (200, Some(5)));
    // That was the last chunk: the upload is complete and processing starts.
    e.wait_status(&id, "Published").await;
    let id = e.init_ok(json!({})).await;
    assert_eq!(create(&e, &id, 5).await.status(), 201);
    // DELETE keeps the FT in UploadStarted; HEAD then has no upload.
    let r = e
        .http
        .delete(tus_url(&e, &id))
        .bearer_auth(e.tok(A, RW))
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(e.overview(&e.tok(A, RW), &id).await["fileTransferStatus"], "UploadStarted");
    assert_eq!(head(&e, &tus_url(&e, &id)).await.0, 404);
    // A read-only token cannot use TUS.
    let r = e.http.head(tus_url(&e, &id)).bearer_auth(e.tok(A, "altinn:broker.read")).send().await.unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn tus_checksum_mismatch_fails_asynchronously() {
    let e = start().await;
    let id = e.init_ok(json!({"checksum": md5hex(b"other")})).await;
    create(&e, &id, 5).await;
    assert_eq!(patch(&e, &tus_url(&e, &id), 0, b"hello").await.unwrap().status(), 204);
    let v = e.wait_status(&id, "Failed").await;
    assert_eq!(v["fileTransferStatusText"], "Checksum mismatch");
}

#[tokio::test]
async fn concatenation_of_partial_uploads() {
    let e = start().await;
    let d = data(3000);
    let id = e.init_ok(json!({})).await;
    let mut locs = vec![];
    for part in [&d[..1000], &d[1000..]] {
        let r = e
            .http
            .post(tus_url(&e, &id))
            .bearer_auth(e.tok(A, RW))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", part.len().to_string())
            .header("Upload-Concat", "partial")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let loc = r.headers()["location"].to_str().unwrap().to_string();
        let pid = loc.rsplit('/').next().unwrap();
        assert_eq!(pid.len(), 32);
        assert!(loc.contains("/partial/"));
        let url = format!("{}{loc}", e.base);
        assert_eq!(patch(&e, &url, 0, part).await.unwrap().status(), 204);
        let r = e.http.head(&url).bearer_auth(e.tok(A, RW)).header("Tus-Resumable", "1.0.0").send().await.unwrap();
        assert_eq!(r.headers()["upload-concat"], "partial");
        locs.push(format!("{}{loc}", e.base));
    }
    let r = e
        .http
        .post(tus_url(&e, &id))
        .bearer_auth(e.tok(A, RW))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Concat", format!("final;{}", locs.join(" ")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    e.wait_status(&id, "Published").await;
    let got = e
        .http
        .get(e.broker(&format!("/filetransfer/{id}/download")))
        .bearer_auth(e.tok(B, RW))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(got.to_vec(), d);
}

#[tokio::test]
async fn dropped_connection_keeps_nothing_and_locks_for_a_while() {
    let e = start().await;
    let d = data(8000);
    let id = e.init_ok(json!({})).await;
    create(&e, &id, d.len()).await;
    let url = tus_url(&e, &id);
    e.sb.admin().add_fault(FaultSpec {
        path_prefix: Some(url[e.base.len()..].to_string()),
        drop_after_bytes: Some(3000),
        ..Default::default()
    });
    let r = patch(&e, &url, 0, &d).await;
    assert!(r.is_err() || !r.unwrap().status().is_success());
    // The server has not noticed yet: the upload stays locked for a moment.
    let r = e.http.head(&url).bearer_auth(e.tok(A, RW)).header("Tus-Resumable", "1.0.0").send().await.unwrap();
    assert_eq!(r.status(), 423);
    let r = patch(&e, &url, 0, &d).await.unwrap();
    assert_eq!(r.status(), 423);
    assert_eq!(r.text().await.unwrap(), "File is currently being updated. Please try again later");
    // A chunk is accepted whole or not at all: the 3000 bytes that came are gone.
    let off = loop {
        match head(&e, &url).await {
            (423, _) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            (200, off) => break off,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(off, Some(0));
    assert_eq!(patch(&e, &url, 0, &d).await.unwrap().status(), 204);
    e.wait_status(&id, "Published").await;
    let ftid = uuid::Uuid::parse_str(&id).unwrap();
    assert_eq!(e.sb.admin().bytes_received(ftid), 3000 + 8000);
}

#[tokio::test]
async fn a_cut_after_the_last_byte_keeps_the_chunk() {
    // Every byte arrived; only the answer is lost. The server accepted the chunk.
    let e = start().await;
    let d = data(4000);
    let id = e.init_ok(json!({})).await;
    create(&e, &id, d.len()).await;
    let url = tus_url(&e, &id);
    e.sb.admin().add_fault(FaultSpec {
        path_prefix: Some(url[e.base.len()..].to_string()),
        drop_after_bytes: Some(1500),
        ..Default::default()
    });
    assert!(patch(&e, &url, 0, &d[..1500]).await.is_err());
    assert_eq!(head(&e, &url).await, (200, Some(1500)));
}

#[tokio::test]
async fn upload_resumes_after_a_restart_on_the_same_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::start(SandboxConfig::practice(), dir.path().to_path_buf()).await.unwrap();
    let e = Env { base: sb.base_url(), sb, http: reqwest::Client::new(), dir: tempfile::tempdir().unwrap() };
    let d = data(5000);
    let id = e.init_ok(json!({"checksum": md5hex(&d)})).await;
    create(&e, &id, d.len()).await;
    assert_eq!(patch(&e, &tus_url(&e, &id), 0, &d[..2000]).await.unwrap().status(), 204);
    let Env { sb, .. } = e;
    sb.shutdown().await;
    let sb = Sandbox::start(SandboxConfig::practice(), dir.path().to_path_buf()).await.unwrap();
    let e = Env { base: sb.base_url(), sb, http: reqwest::Client::new(), dir: tempfile::tempdir().unwrap() };
    let url = tus_url(&e, &id);
    assert_eq!(head(&e, &url).await, (200, Some(2000)));
    assert_eq!(patch(&e, &url, 2000, &d[2000..]).await.unwrap().status(), 204);
    let v: Value = e.wait_status(&id, "Published").await;
    assert_eq!(v["checksum"], md5hex(&d));
}

#[tokio::test]
async fn concurrent_patch_gets_the_locking_answer() {
    let e = start().await;
    let id = e.init_ok(json!({})).await;
    create(&e, &id, 20).await;
    let url = tus_url(&e, &id);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    let body = reqwest::Body::wrap_stream(tokio_stream_from(rx));
    let first = e
        .http
        .patch(&url)
        .bearer_auth(e.tok(A, RW))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Content-Length", "20")
        .body(body)
        .send();
    let first = tokio::spawn(first);
    tx.send(Ok(vec![1u8; 10])).await.unwrap();
    // Wait until the server is inside the first PATCH (it holds the lock).
    let ftid = uuid::Uuid::parse_str(&id).unwrap();
    for _ in 0..500 {
        if e.sb.admin().bytes_received(ftid) >= 10 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(e.sb.admin().bytes_received(ftid), 10);
    // tusdotnet's file lock: a second PATCH and a HEAD wait their turn (423).
    let r = patch(&e, &url, 0, &[2u8; 20]).await.unwrap();
    assert_eq!(r.status(), 423);
    assert_eq!(r.headers()["tus-resumable"], "1.0.0");
    assert_eq!(r.text().await.unwrap(), "File is currently being updated. Please try again later");
    assert_eq!(head(&e, &url).await, (423, None));
    // Nothing of the first PATCH counts until its body is whole.
    let t = e.sb.admin().snapshot();
    assert_eq!(t["transfers"][&id]["tus"]["offset"], 0, "{}", t["transfers"][&id]);
    tx.send(Ok(vec![1u8; 10])).await.unwrap();
    drop(tx);
    let r = first.await.unwrap().unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["upload-offset"], "20");
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

#[tokio::test]
async fn expired_token_is_accepted_during_an_active_upload() {
    let e = start().await;
    let id = e.init_ok(json!({})).await;
    let tok = e.tok(A, RW); // valid for one hour
    let r = e
        .http
        .post(tus_url(&e, &id))
        .bearer_auth(&tok)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "6")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    e.sb.admin().advance_clock(3700);
    let send = |off: usize, d: &'static [u8]| {
        e.http
            .patch(tus_url(&e, &id))
            .bearer_auth(&tok)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", off.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .body(d)
            .send()
    };
    assert_eq!(send(0, b"abc").await.unwrap().status(), 204);
    // …but not on the rest of Broker, and not from another org.
    assert_eq!(e.overview_status(&tok, &id).await, 401);
    let other = e.sb.admin().mint_token(B, RW, None);
    e.sb.admin().advance_clock(3700);
    let r = e.http.head(tus_url(&e, &id)).bearer_auth(&other).header("Tus-Resumable", "1.0.0").send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(send(3, b"def").await.unwrap().status(), 204);
}
