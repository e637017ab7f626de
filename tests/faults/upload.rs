//! Faults while sending.

use crate::support::*;
use budbringer_core::error::ErrorCode;
use budbringer_core::transfers::send::{self, Method, Phase, UploadSettings};
use budbringer_sandbox::FaultSpec;
use std::time::{Duration, Instant};

const TUS: &str = "/broker/api/v1/filetransfer/upload/tus";
const BROKER: &str = "/broker/api/v1/filetransfer";

#[tokio::test]
async fn connection_reset_mid_tus_upload_resumes_from_the_server_offset() {
    let w = world().await;
    let size = 12 * 1024 * 1024 + 99;
    let file = make_file(w.dir.path(), "stor.bin", size);
    let original = std::fs::read(&file).unwrap();
    w.sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some(TUS.into()),
        drop_after_bytes: Some(4 * 1024 * 1024),
        ..Default::default()
    });
    let settings = tus_settings();
    budbringer_core::transfers::sent_bytes::enable();
    let job = send_file(&w, &file, &settings).await;
    assert_eq!(job.phase, Phase::Published, "{:?}", job.error);
    assert_eq!(job.method, Method::Tus);
    assert_eq!(w.sandbox.admin().faults_fired("drop"), 1, "the connection was cut");
    // Counted by the client: the server never keeps more than the file's size.
    let sent = budbringer_core::transfers::sent_bytes::bytes(job.file_transfer_id.unwrap());
    assert!(
        sent > size as u64 && sent <= size as u64 + settings.chunk_size,
        "the cut chunk, and at most that chunk, was sent again: {sent} bytes for a {size}-byte file"
    );
    assert_send_invariants(&w, &job, &original);
    receive_all(&w, &job, &original).await;
}

#[tokio::test]
async fn connection_reset_mid_streamed_upload_is_sent_again() {
    let w = world().await;
    let file = make_file(w.dir.path(), "middels.bin", 600_000);
    let original = std::fs::read(&file).unwrap();
    w.sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some(BROKER.into()),
        drop_after_bytes: Some(200_000),
        ..Default::default()
    });
    let job = send_file(&w, &file, &UploadSettings::default()).await;
    assert_eq!(job.method, Method::Stream);
    assert_eq!(job.phase, Phase::Published, "{:?}", job.error);
    assert_eq!(w.sandbox.admin().faults_fired("drop"), 1, "the connection was cut");
    assert_send_invariants(&w, &job, &original);
    receive_all(&w, &job, &original).await;
}

#[tokio::test]
async fn a_burst_of_503s_is_waited_out() {
    let w = world().await;
    let file = make_file(w.dir.path(), "a.txt", 5000);
    let original = std::fs::read(&file).unwrap();
    w.sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some("/broker".into()),
        fail_503: Some(5),
        ..Default::default()
    });
    let job = send_file(&w, &file, &UploadSettings::default()).await;
    assert_eq!(job.phase, Phase::Published, "{:?}", job.error);
    assert_send_invariants(&w, &job, &original);
    // And 503s while receiving.
    w.sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some("/broker".into()),
        fail_503: Some(1),
        ..Default::default()
    });
    let r = receiver(&w, "inbox");
    let e = r.refresh(&w).await.unwrap_err();
    assert_eq!(e.error.code, ErrorCode::ServiceUnavailable, "{e:?}");
    assert!(e.transient);
    r.refresh(&w).await.unwrap();
    r.save(&w, job.file_transfer_id.unwrap(), &original).await.unwrap();
}

#[tokio::test]
async fn more_503s_than_attempts_end_in_a_named_error_without_a_duplicate() {
    let w = world().await;
    let file = make_file(w.dir.path(), "b.txt", 5000);
    let original = std::fs::read(&file).unwrap();
    w.sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some("/broker".into()),
        fail_503: Some(1000),
        ..Default::default()
    });
    let job = send_file(&w, &file, &quick(3)).await;
    assert_eq!(job.phase, Phase::Failed);
    assert_eq!(job.error.as_ref().unwrap().code, ErrorCode::ServiceUnavailable, "{:?}", job.error);
    assert_eq!(transfers_for(&w, &job.reference), 0);
    assert_send_invariants(&w, &job, &original);
    // The service comes back: the same job is retried and made once.
    w.sandbox.admin().clear_faults();
    let mut job = job;
    send::run(&mut job, &w.a, &UploadSettings::default(), &Sink::default(), std::future::pending()).await;
    assert_eq!(job.phase, Phase::Published, "{:?}", job.error);
    assert_send_invariants(&w, &job, &original);
}

#[tokio::test]
async fn a_429_with_retry_after_is_respected() {
    let w = world().await;
    let file = make_file(w.dir.path(), "c.txt", 5000);
    let original = std::fs::read(&file).unwrap();
    w.sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some(BROKER.into()),
        rate_limit_429: Some(1),
        retry_after_secs: Some(2),
        ..Default::default()
    });
    let started = Instant::now();
    let job = send_file(&w, &file, &UploadSettings::default()).await;
    assert_eq!(job.phase, Phase::Published, "{:?}", job.error);
    assert!(started.elapsed() >= Duration::from_secs(2), "waited as long as Retry-After said");
    assert_send_invariants(&w, &job, &original);
    receive_all(&w, &job, &original).await;
}

#[tokio::test]
async fn token_endpoint_503_burst_recovers() {
    let w = world().await;
    let file = make_file(w.dir.path(), "d.txt", 5000);
    let original = std::fs::read(&file).unwrap();
    w.sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some("/token".into()),
        fail_503: Some(3),
        ..Default::default()
    });
    let job = send_file(&w, &file, &UploadSettings::default()).await;
    assert_eq!(job.phase, Phase::Published, "{:?}", job.error);
    assert_send_invariants(&w, &job, &original);
    receive_all(&w, &job, &original).await;
}

#[tokio::test]
async fn token_endpoint_down_is_named_and_initializes_nothing() {
    let w = world().await;
    let file = make_file(w.dir.path(), "e.txt", 5000);
    let original = std::fs::read(&file).unwrap();
    w.sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some("/token".into()),
        fail_503: Some(10_000),
        ..Default::default()
    });
    let job = send_file(&w, &file, &quick(3)).await;
    assert_eq!(job.phase, Phase::Failed);
    assert_eq!(job.error.as_ref().unwrap().code, ErrorCode::ServiceUnavailable, "{:?}", job.error);
    assert!(transfers(&w).is_empty(), "nothing initialized on the server");
    assert_send_invariants(&w, &job, &original);
}

#[tokio::test]
async fn token_endpoint_unreachable_is_a_network_error() {
    let w = world().await;
    let file = make_file(w.dir.path(), "f.txt", 5000);
    let original = std::fs::read(&file).unwrap();
    // A client whose Maskinporten is a closed port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let c = w.a.client();
    let mut ep = c.endpoints().clone();
    ep.maskinporten_issuer = format!("http://{closed}/");
    ep.maskinporten_token = format!("http://{closed}/token");
    let secrets: std::sync::Arc<dyn budbringer_core::secrets::SecretStore> =
        std::sync::Arc::new(budbringer_core::secrets::MemorySecretStore::new());
    // The key does not matter: the grant is never answered.
    let broker = {
        let profile = c.profile().clone();
        let pem =
            budbringer_core::altinn::keys::private_pkcs8_pem(&budbringer_core::altinn::keys::generate(2048).unwrap())
                .unwrap();
        secrets.set(&budbringer_core::altinn::profile::private_key_secret(profile.environment), &pem).unwrap();
        budbringer_core::transfers::broker::Broker::new(
            budbringer_core::altinn::AltinnClient::new(profile, ep, secrets).unwrap(),
        )
    };
    let mut job = new_job(&file, &quick(2));
    send::run(&mut job, &broker, &quick(2), &Sink::default(), std::future::pending()).await;
    assert_eq!(job.phase, Phase::Failed);
    assert_eq!(job.error.as_ref().unwrap().code, ErrorCode::Network, "{:?}", job.error);
    assert!(transfers(&w).is_empty());
    assert_send_invariants(&w, &job, &original);
}

#[tokio::test]
async fn a_slow_server_is_slow_but_correct() {
    let w = world().await;
    let file = make_file(w.dir.path(), "g.bin", 200_000);
    let original = std::fs::read(&file).unwrap();
    w.sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some("/".into()),
        latency_ms: Some(250),
        ..Default::default()
    });
    let started = Instant::now();
    let job = send_file(&w, &file, &UploadSettings::default()).await;
    assert_eq!(job.phase, Phase::Published, "{:?}", job.error);
    assert!(started.elapsed() >= Duration::from_millis(750), "the latency was there");
    assert_send_invariants(&w, &job, &original);
    receive_all(&w, &job, &original).await;
}

#[tokio::test]
async fn malformed_json_while_sending_ends_published_once() {
    let w = world().await;
    let file = make_file(w.dir.path(), "h.txt", 5000);
    let original = std::fs::read(&file).unwrap();
    // Initialize, the search that looks for it, and the overviews all get a broken body once or more.
    w.sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some(BROKER.into()),
        malformed_json: Some(4),
        ..Default::default()
    });
    let job = send_file(&w, &file, &UploadSettings::default()).await;
    assert_eq!(job.phase, Phase::Published, "{:?}", job.error);
    assert_send_invariants(&w, &job, &original);
    receive_all(&w, &job, &original).await;
}

#[tokio::test]
async fn malformed_json_every_time_is_named() {
    let w = world().await;
    let file = make_file(w.dir.path(), "i.txt", 5000);
    let original = std::fs::read(&file).unwrap();
    w.sandbox.admin().add_fault(FaultSpec {
        path_prefix: Some(BROKER.into()),
        malformed_json: Some(10_000),
        ..Default::default()
    });
    let job = send_file(&w, &file, &quick(3)).await;
    assert_eq!(job.phase, Phase::Failed);
    assert_eq!(job.error.as_ref().unwrap().code, ErrorCode::MalformedResponse, "{:?}", job.error);
    assert_send_invariants(&w, &job, &original);
    // The first initialize reached the server; the engine never made a second.
    assert!(transfers_for(&w, &job.reference) <= 1);
}

#[tokio::test]
async fn a_checksum_mismatch_on_upload_is_named_and_never_delivered() {
    let w = world().await;
    let file = make_file(w.dir.path(), "j.bin", 10_000);
    let original = std::fs::read(&file).unwrap();
    let settings = UploadSettings::default();
    let mut job = new_job(&file, &settings);
    let meta = std::fs::metadata(&file).unwrap();
    job.md5 = Some("0123456789abcdef0123456789abcdef".into());
    job.size = meta.len();
    job.modified_ms = meta
        .modified()
        .ok()
        .map(|m| u64::try_from(m.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis()).unwrap());
    send::run(&mut job, &w.a, &settings, &Sink::default(), std::future::pending()).await;
    assert_eq!(job.phase, Phase::Failed);
    assert_eq!(job.error.as_ref().unwrap().code, ErrorCode::BrokerChecksumMismatch);
    assert_send_invariants(&w, &job, &original);
    assert_eq!(transfers_for(&w, &job.reference), 1);
    // B never sees it.
    let r = receiver(&w, "inbox");
    r.refresh(&w).await.unwrap();
    assert!(r.inbox.list().unwrap().is_empty());
}

#[tokio::test]
async fn clock_skew_beyond_five_seconds_is_named_before_maskinporten() {
    let w = world().await;
    let file = make_file(w.dir.path(), "k.txt", 5000);
    let original = std::fs::read(&file).unwrap();
    w.sandbox.admin().set_clock_offset(40);
    // A fresh client that has not measured the clock yet.
    let broker =
        budbringer_core::transfers::broker::Broker::new(client_for(&w.sandbox, budbringer_sandbox::PRACTICE_ORG_A));
    let before = broker.client().grants_signed();
    let mut job = new_job(&file, &quick(2));
    send::run(&mut job, &broker, &quick(2), &Sink::default(), std::future::pending()).await;
    assert_eq!(job.phase, Phase::Failed);
    assert_eq!(job.error.as_ref().unwrap().code, ErrorCode::ClockSkew, "{:?}", job.error);
    assert_eq!(broker.client().grants_signed(), before, "stopped before Maskinporten");
    assert!(transfers(&w).is_empty());
    assert_send_invariants(&w, &job, &original);
}

#[tokio::test]
async fn clock_skew_within_five_seconds_works() {
    let w = world().await;
    let file = make_file(w.dir.path(), "l.txt", 5000);
    let original = std::fs::read(&file).unwrap();
    w.sandbox.admin().set_clock_offset(3);
    let broker =
        budbringer_core::transfers::broker::Broker::new(client_for(&w.sandbox, budbringer_sandbox::PRACTICE_ORG_A));
    let mut job = new_job(&file, &UploadSettings::default());
    send::run(&mut job, &broker, &UploadSettings::default(), &Sink::default(), std::future::pending()).await;
    assert_eq!(job.phase, Phase::Published, "{:?}", job.error);
    assert_send_invariants(&w, &job, &original);
    receive_all(&w, &job, &original).await;
}
