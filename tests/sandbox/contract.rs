//! Contract test: walks every path and method of the derived OpenAPI file
//! (`shared/reference/altinn-broker-openapi-derived-161ba12.json`, copied
//! beside this file) against the sandbox and checks the documented success
//! status, response fields and headers, and the documented 401 without a token.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;

const SPEC: &str = include_str!("openapi-derived-161ba12.json");

fn resolve<'a>(spec: &'a Value, s: &'a Value) -> &'a Value {
    match s.get("$ref").and_then(|r| r.as_str()) {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap();
            &spec["components"]["schemas"][name]
        }
        None => s,
    }
}

/// Every property the schema lists must be present (the server writes nulls).
fn check_fields(spec: &Value, schema: &Value, v: &Value, at: &str) {
    let schema = resolve(spec, schema);
    if let Some(props) = schema.get("properties").and_then(|p| p.as_object()) {
        let obj = v.as_object().unwrap_or_else(|| panic!("{at}: expected an object, got {v}"));
        for (k, ps) in props {
            assert!(obj.contains_key(k), "{at}: missing field {k} in {v}");
            if !obj[k].is_null() {
                check_fields(spec, ps, &obj[k], &format!("{at}.{k}"));
            }
        }
    }
    if schema.get("type").and_then(|t| t.as_str()) == Some("array") {
        let arr = v.as_array().unwrap_or_else(|| panic!("{at}: expected an array, got {v}"));
        if let Some(max) = schema.get("maxItems").and_then(|m| m.as_u64()) {
            assert!(arr.len() as u64 <= max);
        }
        for (i, item) in arr.iter().enumerate() {
            check_fields(spec, &schema["items"], item, &format!("{at}[{i}]"));
        }
    }
    if let Some(en) = schema.get("enum").and_then(|e| e.as_array()) {
        assert!(en.contains(v), "{at}: {v} is not one of {en:?}");
    }
}

struct Ctx {
    e: Env,
    published: String,
    tus_ft: String,
    partial: String,
}

async fn setup() -> Ctx {
    let e = start().await;
    let published = e.published(b"0123456789abcdef").await;
    let tus_ft = e.init_ok(json!({})).await;
    let r = e
        .http
        .post(e.broker(&format!("/filetransfer/upload/tus/{tus_ft}")))
        .bearer_auth(e.tok(A, RW))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "4")
        .header("Upload-Concat", "partial")
        .send()
        .await
        .unwrap();
    let partial = r.headers()["location"].to_str().unwrap().rsplit('/').next().unwrap().to_string();
    Ctx { e, published, tus_ft, partial }
}

/// Builds the success request for one operation. Returns (method, url, builder).
async fn call(c: &Ctx, method: &str, path: &str, auth: bool, variant: u8) -> reqwest::Response {
    let e = &c.e;
    let tok = if path.contains("/resource") || path.contains("/serviceowner") || path.contains("/statistics") {
        e.tok(A, "altinn:serviceowner")
    } else if path.ends_with("/download") || path.ends_with("/confirmdownload") {
        e.tok(B, RW)
    } else {
        e.tok(A, RW)
    };
    let m = Method::from_bytes(method.as_bytes()).unwrap();
    let fresh = if (method == "POST" && path.ends_with("/upload") && path.contains("{fileTransferId}"))
        || (path.ends_with("/tus/{fileTransferId}") && method != "OPTIONS")
    {
        Some(e.init_ok(json!({})).await)
    } else {
        None
    };
    let id =
        fresh.clone().unwrap_or_else(|| if path.contains("/tus/") { c.tus_ft.clone() } else { c.published.clone() });
    let real =
        path.replace("{fileTransferId}", &id).replace("{partialUploadId}", &c.partial).replace("{resourceId}", RES);
    let mut url = format!("{}{}", e.base, real);
    let mut b;
    match (method, path) {
        ("GET", "/broker/api/v1/filetransfer") => url.push_str(&format!("?resourceId={RES}")),
        ("GET", "/broker/api/v1/statistics/monthly") => url.push_str("?year=2026&month=1"),
        _ => {}
    }
    b = e.http.request(m, &url);
    if auth {
        b = b.bearer_auth(&tok);
    }
    match (method, path) {
        ("POST", "/broker/api/v1/filetransfer") => b = b.json(&init_body(A, &[B])),
        ("POST", "/broker/api/v1/filetransfer/{fileTransferId}/upload") => {
            b = b.header("content-type", "application/octet-stream").body("payload")
        }
        ("POST", "/broker/api/v1/filetransfer/upload") => {
            let bnd = "BnD";
            let mut body = String::new();
            for (k, v) in [
                ("Metadata.FileName", "a.txt"),
                ("Metadata.ResourceId", RES),
                ("Metadata.SendersFileTransferReference", "r"),
                ("Metadata.Sender", &format!("0192:{A}")),
                ("Metadata.Recipients", &format!("0192:{B}")),
            ] {
                body.push_str(&format!("--{bnd}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"));
            }
            body.push_str(&format!("--{bnd}\r\nContent-Disposition: form-data; name=\"FileTransfer\"; filename=\"a.txt\"\r\n\r\nabc\r\n--{bnd}--\r\n"));
            b = b.header("content-type", format!("multipart/form-data; boundary={bnd}")).body(body);
        }
        ("GET", "/broker/api/v1/filetransfer/{fileTransferId}/download") if variant == 1 => {
            b = b.header("range", "bytes=0-3")
        }
        ("POST", "/broker/api/v1/filetransfer/{fileTransferId}/confirmdownload") if auth => {
            e.http
                .get(e.broker(&format!("/filetransfer/{id}/download")))
                .bearer_auth(&tok)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
        }
        ("POST", "/broker/api/v1/filetransfer/upload/tus/{fileTransferId}") => {
            b = b.header("Tus-Resumable", "1.0.0").header("Upload-Length", "4")
        }
        ("HEAD" | "DELETE", "/broker/api/v1/filetransfer/upload/tus/{fileTransferId}")
        | ("PATCH", "/broker/api/v1/filetransfer/upload/tus/{fileTransferId}") => {
            // These need an upload to exist.
            e.http
                .post(e.broker(&format!("/filetransfer/upload/tus/{id}")))
                .bearer_auth(e.tok(A, RW))
                .header("Tus-Resumable", "1.0.0")
                .header("Upload-Length", "4")
                .send()
                .await
                .unwrap();
            b = b.header("Tus-Resumable", "1.0.0");
            if method == "PATCH" {
                b = b
                    .header("Upload-Offset", "0")
                    .header("content-type", "application/offset+octet-stream")
                    .body("abcd");
            }
        }
        (_, p) if p.contains("/partial/") => {
            b = b.header("Tus-Resumable", "1.0.0");
            if method == "PATCH" {
                b = b
                    .header("Upload-Offset", "0")
                    .header("content-type", "application/offset+octet-stream")
                    .body("wxyz");
            }
        }
        ("PUT", "/broker/api/v1/resource/{resourceId}") => b = b.json(&json!({"fileTransferTimeToLive": "P10D"})),
        ("POST", "/broker/api/v1/serviceowner") => {
            // The practice org already is a service owner; recreate it.
            e.sb.admin().remove_service_owner(A);
            b = b.json(&json!({"name": "Øvingsetaten"}));
        }
        _ => {}
    }
    b.send().await.unwrap()
}

#[tokio::test]
async fn every_operation_of_the_derived_openapi() {
    let spec: Value = serde_json::from_str(SPEC).unwrap();
    let c = setup().await;
    // Make the search/details limits generous for this walk.
    let mut s = c.e.sb.admin().settings();
    s.details_rate_limit_per_minute = 0;
    s.search_rate_limit_per_minute = 0;
    c.e.sb.admin().set_settings(s);
    let mut walked = BTreeSet::new();
    // Order: the partial DELETE after its HEAD/PATCH; serviceowner GET after POST.
    let mut ops: Vec<(String, String, Value)> = vec![];
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (m, op) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "head", "delete", "options"].contains(&m.as_str()) {
                ops.push((m.to_uppercase(), path.clone(), op.clone()));
            }
        }
    }
    ops.sort_by_key(|(m, p, _)| {
        (
            p.ends_with("/serviceowner"),
            p.ends_with("/serviceowner") && m == "GET",
            p.contains("/partial/") && m == "DELETE",
        )
    });
    for (method, path, op) in &ops {
        let responses = op["responses"].as_object().unwrap();
        let successes: Vec<&String> = responses.keys().filter(|k| k.starts_with('2')).collect();
        for (variant, code) in successes.iter().enumerate() {
            let r = call(&c, method, path, true, variant as u8).await;
            let status = r.status().as_u16().to_string();
            assert_eq!(&status, *code, "{method} {path}");
            let spec_resp = &responses[code.as_str()];
            for h in spec_resp.get("headers").and_then(|h| h.as_object()).into_iter().flatten().map(|(k, _)| k) {
                assert!(r.headers().contains_key(h.to_ascii_lowercase().as_str()), "{method} {path}: header {h}");
            }
            if let Some(schema) = spec_resp.pointer("/content/application~1json/schema") {
                let v: Value = r.json().await.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
                check_fields(&spec, schema, &v, &format!("{method} {path}"));
            } else if spec_resp.pointer("/content/text~1csv").is_some() {
                assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
                assert!(r.text().await.unwrap().starts_with("year,month,resourceId"));
            }
        }
        if responses.contains_key("401") {
            let r = call(&c, method, path, false, 0).await;
            assert_eq!(r.status(), 401, "{method} {path} without a token");
        }
        walked.insert(format!("{method} {path}"));
    }
    assert_eq!(walked.len(), 21, "the derived file has 21 operations: {walked:?}");
}

#[tokio::test]
async fn broker_problem_details_match_the_schema() {
    let spec: Value = serde_json::from_str(SPEC).unwrap();
    let e = start().await;
    let r = e
        .http
        .get(e.broker(&format!("/filetransfer/{}", uuid::Uuid::new_v4())))
        .bearer_auth(e.tok(A, RW))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    let schema = &spec["components"]["schemas"]["BrokerProblemDetails"];
    for k in schema.get("required").and_then(|r| r.as_array()).into_iter().flatten() {
        assert!(v.get(k.as_str().unwrap()).is_some(), "missing {k} in {v}");
    }
    let mut b = init_body(A, &[B]);
    b["recipients"] = json!([]);
    let v: Value = e.init(&e.tok(A, RW), b).await.json().await.unwrap();
    let schema = &spec["components"]["schemas"]["ValidationProblemDetails"];
    for k in schema.get("required").and_then(|r| r.as_array()).into_iter().flatten() {
        assert!(v.get(k.as_str().unwrap()).is_some(), "missing {k} in {v}");
    }
    assert_eq!(v["errors"]["Recipients"][0], "One or more recipients are required");
}
