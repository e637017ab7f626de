//! Fault injection and the admin HTTP API.

use budbringer_sandbox::FaultSpec;
use serde_json::{json, Value};

use crate::common::*;

#[tokio::test]
async fn next_requests_503_then_429_with_retry_after() {
    let e = start().await;
    let r = e
        .http
        .post(e.url("/admin/faults"))
        .json(&json!({"path_prefix": "/broker", "fail_503": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    for _ in 0..2 {
        assert_eq!(e.init(&e.tok(A, RW), init_body(A, &[B])).await.status(), 503);
    }
    assert_eq!(e.init(&e.tok(A, RW), init_body(A, &[B])).await.status(), 200);
    e.sb.admin().add_fault(FaultSpec { rate_limit_429: Some(1), retry_after_secs: Some(7), ..Default::default() });
    let r = e.init(&e.tok(A, RW), init_body(A, &[B])).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "7");
    assert_eq!(e.init(&e.tok(A, RW), init_body(A, &[B])).await.status(), 200);
}

#[tokio::test]
async fn malformed_json_and_latency() {
    let e = start().await;
    e.sb.admin().add_fault(FaultSpec {
        malformed_json: Some(1),
        latency_ms: Some(150),
        path_prefix: Some("/broker".into()),
        ..Default::default()
    });
    let t0 = std::time::Instant::now();
    let r = e.init(&e.tok(A, RW), init_body(A, &[B])).await;
    assert_eq!(r.status(), 200);
    assert!(serde_json::from_str::<Value>(&r.text().await.unwrap()).is_err());
    assert!(t0.elapsed() >= std::time::Duration::from_millis(150));
    let r = e.init(&e.tok(A, RW), init_body(A, &[B])).await;
    assert!(r.json::<Value>().await.is_ok());
    e.sb.admin().clear_faults();
}

#[tokio::test]
async fn truncated_and_dropped_downloads() {
    let e = start().await;
    let d: Vec<u8> = (0..50_000u32).map(|i| i as u8).collect();
    let id = e.published(&d).await;
    let url = e.broker(&format!("/filetransfer/{id}/download"));
    e.sb.admin().add_fault(FaultSpec { truncate_download_at: Some(1000), ..Default::default() });
    let got = e.http.get(&url).bearer_auth(e.tok(B, RW)).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(got.len(), 1000);
    e.sb.admin().add_fault(FaultSpec { drop_after_bytes: Some(2000), ..Default::default() });
    let r = e.http.get(&url).bearer_auth(e.tok(B, RW)).send().await;
    let failed = match r {
        Err(_) => true,
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(failed, "the body must fail after the drop");
    // Resume with a Range request.
    let r = e.http.get(&url).bearer_auth(e.tok(B, RW)).header("range", "bytes=2000-").send().await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap().to_vec(), d[2000..].to_vec());
}

#[tokio::test]
async fn admin_http_api_registers_clients_seeds_files_and_moves_the_clock() {
    let e = start().await;
    let r = e
        .http
        .put(e.url("/admin/clients"))
        .json(&json!({"client_id": "app", "org_number": A, "scopes": ["altinn:broker.read", "altinn:broker.write"],
            "jwks": [{"kty": "RSA", "n": key().n, "e": key().e, "kid": "test-kid", "alg": "RS256"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let g = sign(&e.claims("app", RW), jsonwebtoken::Algorithm::RS256, Some("test-kid"), key());
    let (s, v) = e.post_grant(&g).await;
    assert_eq!(s, 200);
    let tok = v["access_token"].as_str().unwrap().to_string();
    let r = e
        .http
        .post(e.url("/admin/seed"))
        .json(&json!({"sender": B, "recipient": A, "file_name": "velkommen.txt", "content": "Hei!"}))
        .send()
        .await
        .unwrap();
    let id = r.json::<Value>().await.unwrap()["fileTransferId"].as_str().unwrap().to_string();
    let ids: Vec<String> = e
        .http
        .get(e.broker(&format!("/filetransfer?resourceId={RES}&role=Recipient&status=Published")))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids, vec![id.clone()]);
    let body = e
        .http
        .get(e.broker(&format!("/filetransfer/{id}/download")))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "Hei!");
    let c: Value = e.http.get(e.url("/admin/counters")).send().await.unwrap().json().await.unwrap();
    assert_eq!(c["tokens_issued"]["app"], 1);
    let before: Value = e.http.get(e.url("/admin/clock")).send().await.unwrap().json().await.unwrap();
    let after: Value = e
        .http
        .post(e.url("/admin/clock/advance"))
        .json(&json!({"seconds": 3600}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(after["offset_seconds"].as_i64().unwrap() - before["offset_seconds"].as_i64().unwrap(), 3600);
    let r =
        e.http.put(e.url("/admin/settings")).json(&json!({"search_rate_limit_per_minute": 0})).send().await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["search_rate_limit_per_minute"], 0);
}

#[tokio::test]
async fn dropped_streamed_upload_leaves_upload_started_and_can_be_retried() {
    let e = start().await;
    let d = vec![9u8; 64 * 1024];
    let id = e.init_ok(json!({})).await;
    e.sb.admin().add_fault(FaultSpec {
        path_prefix: Some("/broker/api/v1/filetransfer/".into()),
        drop_after_bytes: Some(10_000),
        ..Default::default()
    });
    let r = e
        .http
        .post(e.broker(&format!("/filetransfer/{id}/upload")))
        .bearer_auth(e.tok(A, RW))
        .header("content-type", "application/octet-stream")
        .body(d.clone())
        .send()
        .await;
    let failed = match r {
        Err(_) => true,
        Ok(r) => !r.status().is_success(),
    };
    assert!(failed);
    assert_eq!(e.overview(&e.tok(A, RW), &id).await["fileTransferStatus"], "UploadStarted");
    assert_eq!(e.upload(&e.tok(A, RW), &id, d.clone()).await.status(), 200);
    e.wait_status(&id, "Published").await;
    let got = e.sb.admin().bytes_received(uuid::Uuid::parse_str(&id).unwrap());
    assert_eq!(got, 10_000 + d.len() as u64);
}
