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

/// Fields the real DTOs write that the derived file leaves out, with the
/// source that writes them. Anything else not in a schema is a defect.
const KNOWN_EXTRA: &[(&str, &str)] = &[(
    "FileTransferStatusDetailsExt.published",
    "FileTransferStatusDetailsExtMapper → MapBaseProperties sets Published (null until published)",
)];

/// Checks `v` against `schema`: every property is present (the server writes
/// nulls), null only where the type allows it, JSON types, formats
/// (uuid, date-time, int32/int64), enums and patterns, recursively; and no
/// property the schema does not know. Problems are collected, not panicked.
fn conforms(spec: &Value, schema: &Value, v: &Value, at: &str, problems: &mut Vec<String>) {
    let name = schema.get("$ref").and_then(|r| r.as_str()).map(|r| r.rsplit('/').next().unwrap().to_string());
    let schema = resolve(spec, schema);
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(|t| t.as_str()).collect(),
        _ => vec![],
    };
    if v.is_null() {
        if !types.is_empty() && !types.contains(&"null") {
            problems.push(format!("{at}: null, but the schema says {types:?}"));
        }
        return;
    }
    let json_type = match v {
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Null => "null",
    };
    let type_ok =
        types.is_empty() || types.contains(&json_type) || (json_type == "integer" && types.contains(&"number"));
    if !type_ok {
        problems.push(format!("{at}: {json_type} {v}, but the schema says {types:?}"));
        return;
    }
    if let (Some(f), Some(x)) = (schema.get("format").and_then(|f| f.as_str()), v.as_str()) {
        let ok = match f {
            "uuid" => uuid::Uuid::parse_str(x).is_ok(),
            "date-time" => time::OffsetDateTime::parse(x, &time::format_description::well_known::Rfc3339).is_ok(),
            _ => true,
        };
        if !ok {
            problems.push(format!("{at}: {x:?} is not a {f}"));
        }
    }
    if let (Some("int32"), Some(n)) = (schema.get("format").and_then(|f| f.as_str()), v.as_i64()) {
        if i32::try_from(n).is_err() {
            problems.push(format!("{at}: {n} does not fit int32"));
        }
    }
    if let Some(en) = schema.get("enum").and_then(|e| e.as_array()) {
        if !en.contains(v) {
            problems.push(format!("{at}: {v} is not one of {en:?}"));
        }
    }
    if let (Some(p), Some(x)) = (schema.get("pattern").and_then(|p| p.as_str()), v.as_str()) {
        if !regex::Regex::new(p).unwrap().is_match(x) {
            problems.push(format!("{at}: {x:?} does not match {p}"));
        }
    }
    if let (Some(props), Some(obj)) = (schema.get("properties").and_then(|p| p.as_object()), v.as_object()) {
        for (k, ps) in props {
            match obj.get(k) {
                None => problems.push(format!("{at}: missing field {k}")),
                Some(x) => conforms(spec, ps, x, &format!("{at}.{k}"), problems),
            }
        }
        for k in obj.keys().filter(|k| !props.contains_key(*k)) {
            let key = format!("{}.{k}", name.as_deref().unwrap_or(at));
            if !KNOWN_EXTRA.iter().any(|(x, _)| *x == key) {
                problems.push(format!("{at}: field {k} is not in the schema"));
            }
        }
    }
    if let (Some(ap), Some(obj)) = (schema.get("additionalProperties").filter(|a| a.is_object()), v.as_object()) {
        if schema.get("properties").is_none() {
            for (k, x) in obj {
                conforms(spec, ap, x, &format!("{at}[{k}]"), problems);
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        if let Some(max) = schema.get("maxItems").and_then(|m| m.as_u64()) {
            if arr.len() as u64 > max {
                problems.push(format!("{at}: {} items, at most {max}", arr.len()));
            }
        }
        for (i, item) in arr.iter().enumerate() {
            conforms(spec, items, item, &format!("{at}[{i}]"), problems);
        }
    }
}

fn check_fields(spec: &Value, schema: &Value, v: &Value, at: &str) {
    let mut problems = vec![];
    conforms(spec, schema, v, at, &mut problems);
    assert!(problems.is_empty(), "{at}:\n{}\nin {v}", problems.join("\n"));
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
    s.broker_rate_limit_per_minute = 0;
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

/// The overview and the details of transfers in every state, including the
/// nulls a fresh transfer has, checked field by field against the schema.
#[tokio::test]
async fn nullability_and_formats_in_every_state() {
    let spec: Value = serde_json::from_str(SPEC).unwrap();
    let e = start().await;
    let mut s = e.sb.admin().settings();
    s.details_rate_limit_per_minute = 0;
    e.sb.admin().set_settings(s);
    let ta = e.tok(A, RW);
    let mut states: Vec<(&str, String)> = vec![];
    // Initialized, with `checksum` null and left out ("").
    states.push(("Initialized, checksum null", e.init_ok(json!({"checksum": null})).await));
    states.push(("Initialized, checksum left out", e.init_ok(json!({})).await));
    // UploadStarted by TUS, half way.
    let id = e.init_ok(json!({})).await;
    let tus = e.broker(&format!("/filetransfer/upload/tus/{id}"));
    let r =
        e.http.post(&tus).bearer_auth(&ta).header("Tus-Resumable", "1.0.0").header("Upload-Length", "8").send().await;
    assert_eq!(r.unwrap().status(), 201);
    let r = e
        .http
        .patch(&tus)
        .bearer_auth(&ta)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("content-type", "application/offset+octet-stream")
        .body("abcd")
        .send()
        .await;
    assert_eq!(r.unwrap().status(), 204);
    states.push(("UploadStarted", id));
    // Published, and Failed (a checksum that does not match).
    states.push(("Published", e.published(b"contract").await));
    let id = e.init_ok(json!({"checksum": md5hex(b"other")})).await;
    assert_eq!(e.upload(&ta, &id, b"this".to_vec()).await.status(), 400);
    states.push(("Failed", id));
    // AllConfirmedDownloaded, then Purged after the grace period.
    let id = e.published(b"confirmed").await;
    let tb = e.tok(B, RW);
    e.http.get(e.broker(&format!("/filetransfer/{id}/download"))).bearer_auth(&tb).send().await.unwrap();
    let r = e.http.post(e.broker(&format!("/filetransfer/{id}/confirmdownload"))).bearer_auth(&tb).send().await;
    assert_eq!(r.unwrap().status(), 204);
    states.push(("AllConfirmedDownloaded", id.clone()));
    let mut seen = std::collections::BTreeSet::new();
    check_states(&spec, &e, &states, &mut seen).await;
    // Purged: confirmed, then past the grace period (which purges the one above too).
    let purged = e.published(b"purged").await;
    e.http.get(e.broker(&format!("/filetransfer/{purged}/download"))).bearer_auth(&tb).send().await.unwrap();
    e.http.post(e.broker(&format!("/filetransfer/{purged}/confirmdownload"))).bearer_auth(&tb).send().await.unwrap();
    e.sb.admin().advance_clock(3 * 3600);
    check_states(&spec, &e, &[("Purged", purged)], &mut seen).await;
    let want = ["Initialized", "UploadStarted", "Published", "Failed", "AllConfirmedDownloaded", "Purged"];
    assert_eq!(seen, want.iter().map(|s| s.to_string()).collect(), "every state was looked at");
    // The nulls a fresh transfer has are the ones the schema allows.
    let v = e.overview(&e.tok(A, RW), &states[0].1).await;
    assert!(v["checksum"].is_null() && v["published"].is_null(), "{v}");
}

async fn check_states(spec: &Value, e: &Env, states: &[(&str, String)], seen: &mut std::collections::BTreeSet<String>) {
    for (what, id) in states {
        for (path, schema) in [
            (format!("/filetransfer/{id}"), "FileTransferOverviewExt"),
            (format!("/filetransfer/{id}/details"), "FileTransferStatusDetailsExt"),
        ] {
            let r = e.http.get(e.broker(&path)).bearer_auth(e.tok(A, RW)).send().await.unwrap();
            assert_eq!(r.status(), 200, "{what} {path}");
            let v: Value = r.json().await.unwrap();
            seen.insert(v["fileTransferStatus"].as_str().unwrap_or_default().to_string());
            let schema = json!({"$ref": format!("#/components/schemas/{schema}")});
            check_fields(spec, &schema, &v, &format!("{what}: GET {path}"));
        }
    }
}

/// A check that cannot fail is a defect: the validator finds a null where the
/// schema has none, a wrong format and an unknown field.
#[test]
fn the_validator_finds_what_is_wrong() {
    let spec: Value = serde_json::from_str(SPEC).unwrap();
    let schema = json!({"$ref": "#/components/schemas/FileTransferStatusEventExt"});
    let mut p = vec![];
    let bad = json!({"fileTransferStatus": "Sent", "fileTransferStatusText": null, "fileTransferStatusChanged": "yesterday", "x": 1});
    conforms(&spec, &schema, &bad, "e", &mut p);
    assert_eq!(p.len(), 4, "{p:?}");
    let good = json!({"fileTransferStatus": "Published", "fileTransferStatusText": "Ready for download", "fileTransferStatusChanged": "2026-08-18T11:42:03.512345+00:00"});
    let mut p = vec![];
    conforms(&spec, &schema, &good, "e", &mut p);
    assert!(p.is_empty(), "{p:?}");
}
