//! Hostile input sent by a server: a small fake Broker (axum, loopback) that
//! answers with oversized or endless bodies, deep nesting, wrong types,
//! hostile file names and over-long downloads; the tokens still come from the
//! sandbox's Maskinporten. And a wrong kid against the sandbox itself.

use axum::body::Body;
use axum::extract::Path as UrlPath;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use budbringer_core::altinn::AltinnClient;
use budbringer_core::environment::Environment;
use budbringer_core::error::ErrorCode;
use budbringer_core::secrets::MemorySecretStore;
use budbringer_core::transfers::broker::{Broker, CallError, Search};
use budbringer_core::transfers::download::{download_verified, DownloadSpec};
use budbringer_core::transfers::names::sanitize_file_name;
use budbringer_runtime::practice;
use budbringer_sandbox::{Sandbox, SandboxConfig, SandboxHandle, PRACTICE_ORG_A, PRACTICE_RESOURCE};
use std::sync::Arc;
use uuid::Uuid;

/// How many catalogue cases this file holds (counted into the ≥ 30).
pub const SERVER_CASES: usize = 10 + HOSTILE_NAMES.len();

const MIB: usize = 1024 * 1024;

/// Names a sender could give, and the safe name each must be saved under.
const HOSTILE_NAMES: &[(&str, &str)] = &[
    ("../../../etc/passwd", "passwd"),
    ("..\\..\\Windows\\System32\\boot.ini", "boot.ini"),
    ("/absolute/path.txt", "path.txt"),
    ("C:\\Users\\x\\evil.bat", "evil.bat"),
    ("..", "fil"),
    ("", "fil"),
    ("CON", "_CON"),
    ("nul.txt", "_nul.txt"),
    ("COM1.tar.gz", "_COM1.tar.gz"),
    ("rapport\u{202E}fdp.exe", "rapport_fdp.exe"),
    ("a\u{0}b\nc.txt", "a_b_c.txt"),
    ("trailing dots... ", "trailing dots"),
    ("what?<>|*\".txt", "what______.txt"),
    // A sender posing as our own part-file, a device name Windows counts with a superscript digit, a console device.
    (".budbringer-00000000-0000-0000-0000-000000000000.part", "budbringer-00000000-0000-0000-0000-000000000000.part"),
    ("COM¹.pdf", "_COM¹.pdf"),
    ("CONOUT$", "_CONOUT$"),
    ("faktura\u{200F}\u{200B}.pdf", "faktura__.pdf"),
];

fn uuid_of(s: &str) -> Uuid {
    s.parse().unwrap_or(Uuid::nil())
}

fn json(status: StatusCode, body: impl Into<Body>) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.into()).into_response()
}

fn overview_json(id: Uuid, name: &str, md5: &str, size: usize) -> String {
    serde_json::json!({
        "fileTransferId": id, "fileName": name, "checksum": md5, "fileTransferSize": size,
        "fileTransferStatus": "Published", "recipients": [], "propertyList": {}
    })
    .to_string()
}

fn endless() -> Body {
    let chunk = bytes::Bytes::from(vec![b' '; 64 * 1024]);
    Body::from_stream(futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone())))
}

const PAYLOAD: &[u8] = b"payload";

fn md5_hex(b: &[u8]) -> String {
    use md5::Digest;
    budbringer_core::transfers::checksum::to_hex(&md5::Md5::digest(b))
}

/// Fake Broker routes. The transfer id picks the behaviour:
/// `00000000-0000-0000-0000-0000000000NN`.
async fn overview(UrlPath(id): UrlPath<String>) -> Response {
    let id = uuid_of(&id);
    match id.as_u128() {
        1 => {
            // 10 MiB of valid JSON, with its Content-Length.
            let big = overview_json(id, &"a".repeat(10 * MIB), "00", 1);
            json(StatusCode::OK, big)
        }
        2 => {
            // The same, streamed without a length.
            let big = overview_json(id, &"a".repeat(10 * MIB), "00", 1).into_bytes();
            let chunks: Vec<Result<bytes::Bytes, std::io::Error>> =
                big.chunks(MIB).map(|c| Ok(bytes::Bytes::copy_from_slice(c))).collect();
            json(StatusCode::OK, Body::from_stream(futures_util::stream::iter(chunks)))
        }
        3 => json(StatusCode::OK, endless()),
        4 => json(StatusCode::OK, "[".repeat(100_000)),
        5 => json(StatusCode::OK, r#"{"fileTransferId": 42, "fileName": ["no"]}"#),
        6 => (StatusCode::INTERNAL_SERVER_ERROR, [(header::CONTENT_TYPE, "text/plain")], endless()).into_response(),
        7 => (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "whenever you like")], "slow down").into_response(),
        n if n >= 100 => {
            let name = HOSTILE_NAMES[(n - 100) as usize].0;
            json(StatusCode::OK, overview_json(id, name, &md5_hex(PAYLOAD), PAYLOAD.len()))
        }
        _ => json(StatusCode::NOT_FOUND, "{}"),
    }
}

async fn download(UrlPath(id): UrlPath<String>) -> Response {
    match uuid_of(&id).as_u128() {
        // More bytes than the overview's size, without end.
        8 => (StatusCode::OK, [(header::CONTENT_TYPE, "application/octet-stream")], endless()).into_response(),
        _ => (StatusCode::OK, [(header::CONTENT_TYPE, "application/octet-stream")], PAYLOAD).into_response(),
    }
}

struct Fake {
    _sandbox: SandboxHandle,
    _dir: tempfile::TempDir,
    broker: Broker,
    dir: std::path::PathBuf,
}

async fn fake() -> Fake {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(SandboxConfig::practice(), dir.path().join("sandbox")).await.unwrap();
    let app = Router::new()
        .route("/broker/api/v1/filetransfer/{id}", get(overview))
        .route("/broker/api/v1/filetransfer/{id}/download", get(download))
        .route("/broker/api/v1/filetransfer", get(|| async { json(StatusCode::OK, endless()) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let secrets = Arc::new(MemorySecretStore::new());
    let profile = practice::provision(&sandbox.admin(), PRACTICE_ORG_A, secrets.as_ref()).unwrap();
    let mut ep = Environment::Sandbox.endpoints(Some(&sandbox.base_url())).unwrap();
    ep.broker_base = format!("http://{addr}/broker/api/v1");
    let broker = Broker::new(AltinnClient::new(profile, ep, secrets).unwrap());
    let d = dir.path().join("inn");
    Fake { _sandbox: sandbox, _dir: dir, broker, dir: d }
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn code<T: std::fmt::Debug>(r: Result<T, CallError>) -> ErrorCode {
    r.expect_err("a named error").error.code
}

#[tokio::test]
async fn oversized_and_malformed_server_json_is_named() {
    let f = fake().await;
    let b = &f.broker;
    let started = std::time::Instant::now();
    assert_eq!(code(b.overview(id(1)).await), ErrorCode::MalformedResponse, "10 MiB with Content-Length");
    assert_eq!(code(b.overview(id(2)).await), ErrorCode::MalformedResponse, "10 MiB streamed");
    assert_eq!(code(b.overview(id(3)).await), ErrorCode::MalformedResponse, "an endless JSON body");
    assert_eq!(code(b.overview(id(4)).await), ErrorCode::MalformedResponse, "100 000 levels of nesting");
    assert_eq!(code(b.overview(id(5)).await), ErrorCode::MalformedResponse, "wrong types");
    let q = Search { resource_id: PRACTICE_RESOURCE.into(), ..Default::default() };
    assert_eq!(code(b.search(&q).await), ErrorCode::MalformedResponse, "an endless search answer");
    let e = b.overview(id(6)).await.unwrap_err();
    assert_eq!(e.error.code, ErrorCode::BrokerServerError, "an endless error body");
    assert!(e.error.detail.unwrap().len() < 4096, "the error text is clipped");
    let e = b.overview(id(7)).await.unwrap_err();
    assert_eq!(e.error.code, ErrorCode::RateLimited);
    assert_eq!(e.retry_after, None, "a Retry-After that is not a number or a date is ignored");
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "bounded reads: {:?}", started.elapsed());
}

#[tokio::test]
async fn a_download_longer_than_its_size_is_refused() {
    let f = fake().await;
    let spec = DownloadSpec {
        id: id(8),
        file_name: "x.bin",
        dir: &f.dir,
        expected_md5: &md5_hex(PAYLOAD),
        expected_size: Some(PAYLOAD.len() as u64),
        max_resumes: 1,
    };
    let e = download_verified(&f.broker, &spec, Arc::new(|_, _| {})).await.unwrap_err();
    assert_eq!(e.error.code, ErrorCode::DownloadChecksumMismatch, "{e:?}");
    assert_eq!(std::fs::read_dir(&f.dir).unwrap().count(), 0, "nothing kept");
}

#[tokio::test]
async fn hostile_file_names_from_the_server_are_saved_safely() {
    let f = fake().await;
    for (i, (raw, safe)) in HOSTILE_NAMES.iter().enumerate() {
        assert_eq!(sanitize_file_name(raw), *safe, "{raw:?}");
        let tid = id(100 + i as u128);
        let o = f.broker.overview(tid).await.unwrap();
        assert_eq!(o.file_name.as_deref(), Some(*raw), "Altinn's data is kept as it came");
        let dir = f.dir.join(format!("case{i}"));
        let spec = DownloadSpec {
            id: tid,
            file_name: o.file_name.as_deref().unwrap(),
            dir: &dir,
            expected_md5: o.checksum.as_deref().unwrap(),
            expected_size: o.file_transfer_size,
            max_resumes: 1,
        };
        let saved = download_verified(&f.broker, &spec, Arc::new(|_, _| {})).await.unwrap();
        assert_eq!(saved.path, dir.join(safe), "{raw:?} stays in its folder");
        assert_eq!(std::fs::read(&saved.path).unwrap(), PAYLOAD);
    }
}

#[tokio::test]
async fn a_wrong_kid_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(SandboxConfig::practice(), dir.path().join("sandbox")).await.unwrap();
    let secrets = Arc::new(MemorySecretStore::new());
    let mut profile = practice::provision(&sandbox.admin(), PRACTICE_ORG_A, secrets.as_ref()).unwrap();
    profile.kid = Some("not-the-registered-kid".into());
    let ep = Environment::Sandbox.endpoints(Some(&sandbox.base_url())).unwrap();
    let b = Broker::new(AltinnClient::new(profile, ep, secrets).unwrap());
    let q = Search { resource_id: PRACTICE_RESOURCE.into(), ..Default::default() };
    assert_eq!(code(b.search(&q).await), ErrorCode::MaskinportenUnknownKey);
}
