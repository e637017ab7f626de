//! Lifecycle, search, download, expiry, persistence, limits and multipart.

use budbringer_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

use crate::common::*;

#[tokio::test]
async fn normal_flow_send_download_confirm_purge() {
    let e = start().await;
    let data = b"Hei fra Budbringer".to_vec();
    let id = e.init_ok(json!({"checksum": md5hex(&data)})).await;
    let ta = e.tok(A, RW);
    let tb = e.tok(B, RW);
    assert_eq!(e.overview(&ta, &id).await["fileTransferStatus"], "Initialized");
    let r = e.upload(&ta, &id, data.clone()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["fileTransferId"], id);
    // Virus-scanned: UploadProcessing first, Published asynchronously.
    let v = e.wait_status(&id, "Published").await;
    assert_eq!(v["checksum"], md5hex(&data));
    assert_eq!(v["fileTransferSize"], data.len());
    assert!(v["published"].is_string());
    assert_eq!(v["recipients"][0]["recipient"], format!("0192:{B}"));
    let d: Value = e
        .http
        .get(e.broker(&format!("/filetransfer/{id}/details")))
        .bearer_auth(&ta)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hist: Vec<&str> = d["fileTransferStatusHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["fileTransferStatus"].as_str().unwrap())
        .collect();
    assert_eq!(hist, ["Initialized", "UploadStarted", "UploadProcessing", "Published"]);
    // The details carry `published` too (MapBaseProperties), though the derived OpenAPI leaves it out.
    assert!(d["published"].is_string(), "{d}");
    // Download, then partial download.
    let r = e.http.get(e.broker(&format!("/filetransfer/{id}/download"))).bearer_auth(&tb).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["accept-ranges"], "bytes");
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("rapport.pdf"));
    assert_eq!(r.bytes().await.unwrap().to_vec(), data);
    let r = e
        .http
        .get(e.broker(&format!("/filetransfer/{id}/download")))
        .bearer_auth(&tb)
        .header("range", "bytes=4-7")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], format!("bytes 4-7/{}", data.len()));
    assert_eq!(r.bytes().await.unwrap().to_vec(), data[4..8].to_vec());
    let r = e
        .http
        .get(e.broker(&format!("/filetransfer/{id}/download")))
        .bearer_auth(&tb)
        .header("range", "bytes=-3")
        .send()
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap().to_vec(), data[data.len() - 3..].to_vec());
    // A write-only token cannot download.
    let r = e
        .http
        .get(e.broker(&format!("/filetransfer/{id}/download")))
        .bearer_auth(e.tok(B, "altinn:broker.write"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Confirm → AllConfirmedDownloaded → purged after the grace period (PT2H).
    let r =
        e.http.post(e.broker(&format!("/filetransfer/{id}/confirmdownload"))).bearer_auth(&tb).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let v = e.overview(&tb, &id).await;
    assert_eq!(v["fileTransferStatus"], "AllConfirmedDownloaded");
    assert_eq!(v["recipients"][0]["currentRecipientFileTransferStatusCode"], "DownloadConfirmed");
    e.sb.admin().advance_clock(7201);
    e.wait_status(&id, "Purged").await;
    let r =
        e.http.get(e.broker(&format!("/filetransfer/{id}/download"))).bearer_auth(e.tok(B, RW)).send().await.unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn eicar_fails_the_malware_scan() {
    let e = start().await;
    let mut data = b"prefix ".to_vec();
    data.extend_from_slice(b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*");
    let id = e.init_ok(json!({})).await;
    assert_eq!(e.upload(&e.tok(A, RW), &id, data).await.status(), 200);
    let v = e.wait_status(&id, "Failed").await;
    assert!(v["fileTransferStatusText"].as_str().unwrap().starts_with("Malware scan failed: Malicious."));
    // Without virus scan the same bytes are published at once.
    let id = e.init_ok(json!({"disableVirusScan": true})).await;
    let mut data = b"x".to_vec();
    data.extend_from_slice(b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*");
    assert_eq!(e.upload(&e.tok(A, RW), &id, data).await.status(), 200);
    assert_eq!(e.overview(&e.tok(A, RW), &id).await["fileTransferStatus"], "Published");
}

#[tokio::test]
async fn search_filters_roles_and_recipient_status() {
    let e = start().await;
    let ta = e.tok(A, RW);
    let tb = e.tok(B, RW);
    let id1 = e.published(b"one").await;
    let id2 = e.init_ok(json!({})).await;
    let q = |t: &str, qs: &str| {
        let url = e.broker(&format!("/filetransfer?resourceId={RES}{qs}"));
        let req = e.http.get(url).bearer_auth(t.to_string());
        async move {
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Vec<String>>().await.unwrap()
        }
    };
    assert_eq!(q(&ta, "").await, vec![id2.clone(), id1.clone()]);
    assert_eq!(q(&ta, "&orderAscending=true").await, vec![id1.clone(), id2.clone()]);
    assert_eq!(q(&ta, "&status=Published").await, vec![id1.clone()]);
    assert_eq!(q(&ta, "&role=Recipient").await, Vec::<String>::new());
    assert_eq!(q(&tb, "&role=Recipient").await.len(), 2);
    assert_eq!(q(&tb, "&recipientStatus=Initialized").await.len(), 2);
    let r = e.http.get(e.broker("/filetransfer")).bearer_auth(&ta).send().await.unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn search_and_details_rate_limits_answer_429() {
    let e = start().await;
    let ta = e.tok(A, RW);
    let url = e.broker(&format!("/filetransfer?resourceId={RES}"));
    for _ in 0..10 {
        assert_eq!(e.http.get(&url).bearer_auth(&ta).send().await.unwrap().status(), 200);
    }
    let r = e.http.get(&url).bearer_auth(&ta).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_some());
    // The window follows the sandbox clock.
    e.sb.admin().advance_clock(61);
    assert_eq!(e.http.get(&url).bearer_auth(&ta).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn time_to_live_expiry_purges() {
    let e = start().await;
    let id = e.published(b"expire me").await;
    e.sb.admin().advance_clock(30 * 86400 + 1);
    let v = e.wait_status(&id, "Purged").await;
    assert_eq!(v["fileTransferStatusText"], "FileTransfer has been purged");
}

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::start(SandboxConfig::practice(), dir.path().to_path_buf()).await.unwrap();
    let tok = sb.admin().mint_token(A, RW, None);
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}/broker/api/v1/filetransfer", sb.base_url()))
        .bearer_auth(&tok)
        .json(&init_body(A, &[B]))
        .send()
        .await
        .unwrap();
    let id = r.json::<Value>().await.unwrap()["fileTransferId"].as_str().unwrap().to_string();
    sb.shutdown().await;
    let sb = Sandbox::start(SandboxConfig::practice(), dir.path().to_path_buf()).await.unwrap();
    // Same signing key: the old token still works.
    let r =
        http.get(format!("{}/broker/api/v1/filetransfer/{id}", sb.base_url())).bearer_auth(&tok).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn api_key_enforcement() {
    let e = start().await;
    e.sb.admin().set_api_key(Some("k1".into()));
    let r = e.init(&e.tok(A, RW), init_body(A, &[B])).await;
    assert_eq!(r.status(), 401);
    assert!(r.json::<Value>().await.unwrap()["message"].as_str().unwrap().contains("missing subscription key"));
    let r = e
        .http
        .post(e.broker("/filetransfer"))
        .bearer_auth(e.tok(A, RW))
        .header("Ocp-Apim-Subscription-Key", "k1")
        .json(&init_body(A, &[B]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn multipart_initialize_and_upload() {
    let e = start().await;
    let bnd = "XyZbOuNdArY";
    let mut body = Vec::new();
    let field =
        |name: &str, val: &str| format!("--{bnd}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{val}\r\n");
    body.extend(field("Metadata.FileName", "skjema.txt").bytes());
    body.extend(field("Metadata.ResourceId", RES).bytes());
    body.extend(field("Metadata.SendersFileTransferReference", "mp-1").bytes());
    body.extend(field("Metadata.Sender", &format!("0192:{A}")).bytes());
    body.extend(field("Metadata.Recipients", &format!("0192:{B}")).bytes());
    body.extend(field("Metadata.PropertyList[sak]", "42").bytes());
    body.extend(format!("--{bnd}\r\nContent-Disposition: form-data; name=\"FileTransfer\"; filename=\"skjema.txt\"\r\nContent-Type: text/plain\r\n\r\n").bytes());
    body.extend(b"innhold");
    body.extend(format!("\r\n--{bnd}--\r\n").bytes());
    let r = e
        .http
        .post(e.broker("/filetransfer/upload"))
        .bearer_auth(e.tok(A, RW))
        .header("content-type", format!("multipart/form-data; boundary={bnd}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let id = r.json::<Value>().await.unwrap()["fileTransferId"].as_str().unwrap().to_string();
    let v = e.wait_status(&id, "Published").await;
    assert_eq!(v["propertyList"]["sak"], "42");
    assert_eq!(v["fileTransferSize"], 7);
}

#[tokio::test]
async fn streamed_upload_of_a_few_mib() {
    let e = start().await;
    let id = e.init_ok(json!({"disableVirusScan": true})).await;
    let chunk = vec![7u8; 256 * 1024];
    let n = 16; // 4 MiB
    let stream = futures_util::stream::iter((0..n).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
    let r = e
        .http
        .post(e.broker(&format!("/filetransfer/{id}/upload")))
        .bearer_auth(e.tok(A, RW))
        .header("content-type", "application/octet-stream")
        .header("content-length", (n * 256 * 1024).to_string())
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v = e.overview(&e.tok(A, RW), &id).await;
    assert_eq!(v["fileTransferSize"], 4 * 1024 * 1024);
    let id2 = uuid::Uuid::parse_str(&id).unwrap();
    assert_eq!(e.sb.admin().bytes_received(id2), 4 * 1024 * 1024);
    let len = std::fs::metadata(e.dir.path().join("files").join(&id)).unwrap().len();
    assert_eq!(len, 4 * 1024 * 1024);
}

#[tokio::test]
async fn events_feed_follows_the_lifecycle() {
    let e = start().await;
    let id = e.published(b"event me").await;
    let tb = e.tok(B, "altinn:events.subscribe altinn:broker.read");
    let url = e.url(&format!("/events/api/v1/events?resource=urn:altinn:resource:{RES}&after=0"));
    let r = e.http.get(&url).bearer_auth(&tb).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let next = r.headers()["next"].to_str().unwrap().to_string();
    let evs: Vec<Value> = r.json().await.unwrap();
    assert_eq!(evs.len(), 1, "{evs:?}");
    assert_eq!(evs[0]["type"], "no.altinn.broker.published");
    assert_eq!(evs[0]["resourceinstance"], id);
    assert_eq!(evs[0]["subject"], format!("urn:altinn:organization:identifier-no:{B}"));
    assert_eq!(evs[0]["data"]["Role"], "Recipient");
    // Nothing new yet; after download + confirm, the recipient sees downloadconfirmed.
    let evs: Vec<Value> = e.http.get(&next).bearer_auth(&tb).send().await.unwrap().json().await.unwrap();
    assert!(evs.is_empty());
    e.http
        .get(e.broker(&format!("/filetransfer/{id}/download")))
        .bearer_auth(&tb)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    e.http.post(e.broker(&format!("/filetransfer/{id}/confirmdownload"))).bearer_auth(&tb).send().await.unwrap();
    let evs: Vec<Value> = e.http.get(&next).bearer_auth(&tb).send().await.unwrap().json().await.unwrap();
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0]["type"], "no.altinn.broker.downloadconfirmed");
    // The sender's feed.
    let ta = e.tok(A, "altinn:events.subscribe");
    let evs: Vec<Value> = e.http.get(&url).bearer_auth(&ta).send().await.unwrap().json().await.unwrap();
    let types: Vec<&str> = evs.iter().map(|v| v["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "no.altinn.broker.filetransferinitialized",
            "no.altinn.broker.uploadprocessing",
            "no.altinn.broker.published",
            "no.altinn.broker.downloadconfirmed",
            "no.altinn.broker.allconfirmeddownloaded",
        ]
    );
    // Without the scope: 403.
    assert_eq!(e.http.get(&url).bearer_auth(e.tok(A, RW)).send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn require_system_user_refuses_plain_org_tokens() {
    use budbringer_sandbox::SystemUserConfig;
    let e = start().await;
    let mut s = e.sb.admin().settings();
    s.require_system_user = true;
    e.sb.admin().set_settings(s);
    assert_bro(e.init(&e.tok(A, RW), init_body(A, &[B])).await, "BRO-00006", 401).await;
    let su = e.sb.admin().add_system_user(SystemUserConfig {
        system_id: format!("{A}_budbringer"),
        org_number: A.into(),
        client_ids: vec!["c".into()],
        resources: vec![RES.into()],
        ..Default::default()
    });
    let t = e.sb.admin().mint_token(A, RW, Some(su));
    assert_eq!(e.init(&t, init_body(A, &[B])).await.status(), 200);
}

#[tokio::test]
async fn search_from_to_with_dates_and_offsets() {
    let e = start().await;
    let id = e.init_ok(json!({})).await;
    let t = e.tok(A, RW);
    let now = e.sb.admin().now();
    let day = |d: time::OffsetDateTime| format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day());
    let url = |q: String| e.broker(&format!("/filetransfer?resourceId={RES}{q}"));
    let ids: Vec<String> = e
        .http
        .get(url(format!("&from={}", day(now - time::Duration::days(1)))))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids, vec![id.clone()]);
    let ids: Vec<String> = e
        .http
        .get(url(format!("&to={}", day(now - time::Duration::days(1)))))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(ids.is_empty());
    let r = e.http.get(url("&from=2026-01-01T00:00:00%2B01:00".into())).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = e.http.get(url("&from=not-a-date".into())).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn stuck_upload_fails_after_24_hours() {
    let e = start().await;
    let id = e.init_ok(json!({})).await;
    e.sb.admin().add_fault(budbringer_sandbox::FaultSpec { drop_after_bytes: Some(10), ..Default::default() });
    let r = e
        .http
        .post(e.broker(&format!("/filetransfer/{id}/upload")))
        .bearer_auth(e.tok(A, RW))
        .header("content-type", "application/octet-stream")
        .body(vec![1u8; 1000])
        .send()
        .await;
    assert!(r.map(|r| !r.status().is_success()).unwrap_or(true));
    assert_eq!(e.overview(&e.tok(A, RW), &id).await["fileTransferStatus"], "UploadStarted");
    e.sb.admin().advance_clock(23 * 3600);
    assert_eq!(e.overview(&e.tok(A, RW), &id).await["fileTransferStatus"], "UploadStarted");
    e.sb.admin().advance_clock(2 * 3600);
    let v = e.wait_status(&id, "Failed").await;
    assert_eq!(
        v["fileTransferStatusText"],
        "File transfer was stuck in UploadStarted as it failed upload mid-request."
    );
}
