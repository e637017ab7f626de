//! One test per reachable BRO error code, plus the other error shapes.

use budbringer_sandbox::{OrganisationConfig, ResourceConfig};
use serde_json::{json, Value};

use crate::common::*;

const SO: &str = "altinn:serviceowner";

async fn env() -> Env {
    start().await
}

#[tokio::test]
async fn bro_00001_not_found() {
    let e = env().await;
    let r = e
        .http
        .get(e.broker(&format!("/filetransfer/{}", uuid::Uuid::new_v4())))
        .bearer_auth(e.tok(A, RW))
        .send()
        .await
        .unwrap();
    assert_bro(r, "BRO-00001", 404).await;
}

#[tokio::test]
async fn bro_00002_service_owner_missing() {
    let e = env().await;
    e.sb.admin().remove_service_owner(A);
    let v = assert_bro(e.init(&e.tok(A, RW), init_body(A, &[B])).await, "BRO-00002", 400).await;
    assert_eq!(v["detail"], "Service owner needs to be configured to use the broker API");
}

#[tokio::test]
async fn bro_00003_no_file_uploaded_on_confirm() {
    let e = env().await;
    let id = e.init_ok(json!({})).await;
    let r = e
        .http
        .post(e.broker(&format!("/filetransfer/{id}/confirmdownload")))
        .bearer_auth(e.tok(B, RW))
        .send()
        .await
        .unwrap();
    assert_bro(r, "BRO-00003", 400).await;
}

#[tokio::test]
async fn bro_00004_upload_after_publish() {
    let e = env().await;
    let id = e.published(b"hello").await;
    let r = e.upload(&e.tok(A, RW), &id, b"again".to_vec()).await;
    let v = assert_bro(r, "BRO-00004", 409).await;
    assert_eq!(v["detail"], "A file transfer has already been, or attempted to be, created. Create a new file transfer resource to try again.");
}

#[tokio::test]
async fn bro_00005_resource_not_in_registry() {
    let e = env().await;
    e.sb.admin()
        .add_resource(ResourceConfig {
            resource_id: "ghost".into(),
            service_owner: A.into(),
            in_resource_registry: false,
            access_list: vec![A.into(), B.into()],
            ..Default::default()
        })
        .unwrap();
    let mut b = init_body(A, &[B]);
    b["resourceId"] = json!("urn:altinn:resource:ghost");
    assert_bro(e.init(&e.tok(A, RW), b).await, "BRO-00005", 403).await;
}

#[tokio::test]
async fn bro_00006_no_access_is_401_problem_details() {
    let e = env().await;
    // Sender org differs from the caller.
    let v = assert_bro(e.init(&e.tok(B, RW), init_body(A, &[B])).await, "BRO-00006", 401).await;
    assert_eq!(v["detail"], "You must use a bearer token that represents a system user with access to the resource in the Resource Rights Registry");
    // Unknown resource → 401 too (the PDP check fails first).
    let mut b = init_body(A, &[B]);
    b["resourceId"] = json!("unknown-resource");
    assert_bro(e.init(&e.tok(A, RW), b).await, "BRO-00006", 401).await;
    // An org that is neither sender nor recipient cannot read the overview.
    let id = e.init_ok(json!({})).await;
    let r =
        e.http.get(e.broker(&format!("/filetransfer/{id}"))).bearer_auth(e.tok("310000035", RW)).send().await.unwrap();
    assert_bro(r, "BRO-00006", 401).await;
}

#[tokio::test]
async fn bro_00007_not_ready_for_download() {
    let e = env().await;
    let id = e.init_ok(json!({})).await;
    let r =
        e.http.get(e.broker(&format!("/filetransfer/{id}/download"))).bearer_auth(e.tok(B, RW)).send().await.unwrap();
    assert_bro(r, "BRO-00007", 403).await;
}

#[tokio::test]
async fn bro_00008_upload_failure() {
    // A chunked body over the resource's limit cannot be size-checked up front;
    // the sandbox stops storing it and fails the transfer with BRO-00008.
    let e = env().await;
    e.sb.admin()
        .add_resource(ResourceConfig {
            resource_id: "small".into(),
            service_owner: A.into(),
            max_file_transfer_size: Some(10),
            access_list: vec![A.into(), B.into()],
            ..Default::default()
        })
        .unwrap();
    let mut b = init_body(A, &[B]);
    b["resourceId"] = json!("small");
    let v: Value = e.init(&e.tok(A, RW), b).await.json().await.unwrap();
    let id = v["fileTransferId"].as_str().unwrap();
    let stream = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(vec![b'x'; 8]), Ok(vec![b'y'; 8])]);
    let r = e
        .http
        .post(e.broker(&format!("/filetransfer/{id}/upload")))
        .bearer_auth(e.tok(A, RW))
        .header("content-type", "application/octet-stream")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_bro(r, "BRO-00008", 500).await;
    assert_eq!(e.overview(&e.tok(A, RW), id).await["fileTransferStatus"], "Failed");
}

#[tokio::test]
async fn bro_00009_checksum_mismatch_on_streamed_upload() {
    let e = env().await;
    let id = e.init_ok(json!({"checksum": md5hex(b"something else")})).await;
    assert_bro(e.upload(&e.tok(A, RW), &id, b"hello".to_vec()).await, "BRO-00009", 400).await;
    let v = e.overview(&e.tok(A, RW), &id).await;
    assert_eq!(v["fileTransferStatus"], "Failed");
    assert_eq!(v["fileTransferStatusText"], "Checksum mismatch");
}

#[tokio::test]
async fn bro_00010_confirm_when_not_published_and_after_all_confirmed() {
    let e = env().await;
    let id = e.published(b"data").await;
    let tb = e.tok(B, RW);
    e.http
        .get(e.broker(&format!("/filetransfer/{id}/download")))
        .bearer_auth(&tb)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let c = e.broker(&format!("/filetransfer/{id}/confirmdownload"));
    assert_eq!(e.http.post(&c).bearer_auth(&tb).send().await.unwrap().status(), 204);
    assert_eq!(e.overview(&tb, &id).await["fileTransferStatus"], "AllConfirmedDownloaded");
    assert_bro(e.http.post(&c).bearer_auth(&tb).send().await.unwrap(), "BRO-00010", 400).await;
}

async fn put_resource(e: &Env, body: Value) -> reqwest::Response {
    e.http.put(e.broker(&format!("/resource/{RES}"))).bearer_auth(e.tok(A, SO)).json(&body).send().await.unwrap()
}

#[tokio::test]
async fn bro_00011_to_00018_and_00022_resource_configuration() {
    let e = env().await;
    assert_bro(put_resource(&e, json!({"maxFileTransferSize": -1})).await, "BRO-00011", 400).await;
    assert_bro(put_resource(&e, json!({"maxFileTransferSize": 0})).await, "BRO-00012", 400).await;
    assert_bro(put_resource(&e, json!({"maxFileTransferSize": 1_677_721_600_001i64})).await, "BRO-00022", 400).await;
    assert_bro(put_resource(&e, json!({"fileTransferTimeToLive": "30 days"})).await, "BRO-00014", 400).await;
    assert_bro(put_resource(&e, json!({"fileTransferTimeToLive": "P366D"})).await, "BRO-00015", 400).await;
    assert_bro(put_resource(&e, json!({"purgeFileTransferGracePeriod": "2 hours"})).await, "BRO-00017", 400).await;
    assert_bro(put_resource(&e, json!({"purgeFileTransferGracePeriod": "PT25H"})).await, "BRO-00018", 400).await;
    assert_eq!(
        put_resource(&e, json!({"fileTransferTimeToLive": "P30D", "MaxFileTransferSize": 4})).await.status(),
        204
    );
    let v: Value = e
        .http
        .get(e.broker(&format!("/resource/{RES}")))
        .bearer_auth(e.tok(A, SO))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["fileTransferTimeToLive"], "30.00:00:00");
    assert_eq!(v["maxFileTransferSize"], 4);
    // BRO-00016 with the new limit.
    let id = e.init_ok(json!({})).await;
    assert_bro(e.upload(&e.tok(A, RW), &id, b"12345".to_vec()).await, "BRO-00016", 400).await;
}

#[tokio::test]
async fn bro_00019_confirm_before_download() {
    let e = env().await;
    let id = e.published(b"data").await;
    let r = e
        .http
        .post(e.broker(&format!("/filetransfer/{id}/confirmdownload")))
        .bearer_auth(e.tok(B, RW))
        .send()
        .await
        .unwrap();
    assert_bro(r, "BRO-00019", 400).await;
}

#[tokio::test]
async fn bro_00021_storage_provider_not_ready() {
    let e = env().await;
    e.sb.admin().remove_service_owner(A);
    let r = e
        .http
        .post(e.broker("/serviceowner"))
        .bearer_auth(e.tok(A, SO))
        .json(&json!({"name": "Øving"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_bro(e.init(&e.tok(A, RW), init_body(A, &[B])).await, "BRO-00021", 503).await;
    // Provisioned in the background shortly after.
    let mut ok = false;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        if e.init(&e.tok(A, RW), init_body(A, &[B])).await.status() == 200 {
            ok = true;
            break;
        }
    }
    assert!(ok);
}

#[tokio::test]
async fn bro_00024_and_00025_unconfigured_resource() {
    let e = env().await;
    e.sb.admin().add_organisation(OrganisationConfig {
        org_number: "310000035".into(),
        name: "Ny etat".into(),
        ..Default::default()
    });
    e.sb.admin()
        .add_resource(ResourceConfig {
            resource_id: "fresh".into(),
            service_owner: "310000035".into(),
            configured: false,
            ..Default::default()
        })
        .unwrap();
    let t = e.tok("310000035", SO);
    let r = e.http.get(e.broker("/resource/fresh")).bearer_auth(&t).send().await.unwrap();
    assert_bro(r, "BRO-00025", 400).await;
    let r = e
        .http
        .put(e.broker("/resource/fresh"))
        .bearer_auth(&t)
        .json(&json!({"maxFileTransferSize": 100}))
        .send()
        .await
        .unwrap();
    assert_bro(r, "BRO-00024", 400).await;
}

#[tokio::test]
async fn bro_00026_and_00027_required_party() {
    let e = env().await;
    let c = "310000035";
    e.sb.admin()
        .add_resource(ResourceConfig {
            resource_id: "rp".into(),
            service_owner: A.into(),
            required_party: Some(A.into()),
            access_list: vec![A.into(), B.into(), c.into()],
            ..Default::default()
        })
        .unwrap();
    let mut b = init_body(B, &[c]);
    b["resourceId"] = json!("rp");
    assert_bro(e.init(&e.tok(B, RW), b.clone()).await, "BRO-00026", 400).await;
    b["recipients"] = json!([format!("0192:{A}"), format!("0192:{c}")]);
    assert_bro(e.init(&e.tok(B, RW), b.clone()).await, "BRO-00027", 400).await;
    b["recipients"] = json!([format!("0192:{A}")]);
    assert_eq!(e.init(&e.tok(B, RW), b).await.status(), 200);
}

#[tokio::test]
async fn bro_00028_recipient_not_on_access_list() {
    let e = env().await;
    let v = assert_bro(e.init(&e.tok(A, RW), init_body(A, &[B, "310000035"])).await, "BRO-00028", 400).await;
    assert_eq!(v["detail"], "All recipients need to be in the access list of the resource.");
}

#[tokio::test]
async fn bro_00029_range_not_satisfiable() {
    let e = env().await;
    let id = e.published(b"0123456789").await;
    let r = e
        .http
        .get(e.broker(&format!("/filetransfer/{id}/download")))
        .bearer_auth(e.tok(B, RW))
        .header("range", "bytes=10-")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("content-range").is_none());
    assert_bro(r, "BRO-00029", 416).await;
}

#[tokio::test]
async fn bro_07002_and_07004_service_owner() {
    let e = env().await;
    let r = e
        .http
        .post(e.broker("/serviceowner"))
        .bearer_auth(e.tok(A, SO))
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_bro(r, "BRO-07002", 409).await;
    let r = e.http.get(e.broker("/serviceowner")).bearer_auth(e.tok(B, SO)).send().await.unwrap();
    assert_bro(r, "BRO-07004", 404).await;
}

#[tokio::test]
async fn bro_06003_and_06005_statistics() {
    let e = env().await;
    let t = e.tok(A, SO);
    let r = e.http.get(e.broker("/statistics/monthly?year=2026&month=13")).bearer_auth(&t).send().await.unwrap();
    assert_bro(r, "BRO-06003", 400).await;
    let r = e
        .http
        .get(e.broker("/statistics/monthly?year=2026&month=1&includeEndUser=false"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_bro(r, "BRO-06005", 400).await;
}

#[tokio::test]
async fn validation_problem_details_and_other_shapes() {
    let e = env().await;
    let mut b = init_body(A, &[B]);
    b["propertyList"] = json!((0..11).map(|i| (format!("k{i}"), json!("v"))).collect::<serde_json::Map<_, _>>());
    b["checksum"] = json!("ABCDEF0123456789ABCDEF0123456789");
    b["sender"] = json!("910753614");
    let (s, v) = problem(e.init(&e.tok(A, RW), b).await).await;
    assert_eq!(s, 400);
    assert_eq!(v["title"], "One or more validation errors occurred.");
    assert_eq!(v["errors"]["PropertyList"][0], "PropertyList can contain at most 10 properties");
    assert_eq!(v["errors"]["Checksum"][0], "The checksum, if used, must be a MD5 hash in lower case");
    assert!(v["errors"]["Sender"].is_array());
    // Missing token → 401 empty; wrong scope → 403 empty.
    let r = e.http.post(e.broker("/filetransfer")).json(&init_body(A, &[B])).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = e.init(&e.tok(A, "altinn:broker.read"), init_body(A, &[B])).await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().is_empty());
    // Bad Accept → 406 plain text.
    let r = e
        .http
        .post(e.broker("/filetransfer"))
        .bearer_auth(e.tok(A, RW))
        .header("accept", "text/html")
        .json(&init_body(A, &[B]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 406);
    assert!(r.text().await.unwrap().starts_with("This endpoint does not support the requested Accept header."));
    // Malformed GUID.
    let r = e.http.get(e.broker("/filetransfer/abc")).bearer_auth(e.tok(A, RW)).send().await.unwrap();
    assert_eq!(r.status(), 400);
    // Security headers.
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn bro_07001_caller_organisation_unknown() {
    let e = env().await;
    let now = e.sb.admin().now().unix_timestamp();
    let t = e.sb.admin().sign_claims(json!({"scope": SO, "client_id": "x", "iat": now, "exp": now + 60}));
    let r = e.http.post(e.broker("/serviceowner")).bearer_auth(&t).json(&json!({"name": "x"})).send().await.unwrap();
    assert_bro(r, "BRO-07001", 400).await;
    // A token from another issuer is a 401 with an empty body.
    let t = e.sb.admin().sign_claims(json!({"iss": "https://platform.tt02.altinn.no/authentication/api/v1/openid/", "scope": SO, "iat": now, "exp": now + 60}));
    let r = e.http.get(e.broker("/serviceowner")).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 401);
}
