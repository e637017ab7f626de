//! Unit tests of `send.rs` (kept apart so that the engine's file stays small).

use super::*;

#[test]
fn chunk_sizes_respect_the_limits() {
    let s = UploadSettings { chunk_size: 1024, ..Default::default() };
    assert_eq!(s.chunk_for(100), MIN_CHUNK_SIZE);
    let huge = 1_000_000 * MIN_CHUNK_SIZE;
    assert_eq!(s.chunk_for(huge), huge.div_ceil(50_000));
}

#[test]
fn the_status_poll_is_tight_first_and_gentle_later() {
    // The times of the looks, as wait_published makes them.
    let mut looks = vec![Duration::ZERO];
    while *looks.last().unwrap() < Duration::from_secs(600) {
        let t = *looks.last().unwrap();
        looks.push(t + poll_delay(t));
    }
    let within = |d: Duration| looks.iter().filter(|&&t| t < d).count();
    assert!(within(Duration::from_secs(1)) >= 10, "tight at first: {}", within(Duration::from_secs(1)));
    assert!(within(Duration::from_secs(60)) <= 55, "{} looks in the first minute", within(Duration::from_secs(60)));
    for w in looks.windows(2) {
        // Published is seen at most an eighth (or 50 ms) after it happened.
        assert!(w[1] - w[0] <= (w[0] / 8).max(Duration::from_millis(50)), "{w:?}");
    }
    assert_eq!(poll_delay(Duration::from_secs(3600)), Duration::from_secs(5), "never slower than every 5 s");
}

#[test]
fn failure_texts_are_named() {
    assert_eq!(failure_from_text("Checksum mismatch").code, ErrorCode::BrokerChecksumMismatch);
    assert_eq!(failure_from_text("Malware scan failed: Malicious. Extra details: {}").code, ErrorCode::MalwareFound);
    assert_eq!(failure_from_text("Upload failed").code, ErrorCode::TransferFailed);
}

#[test]
fn new_jobs_check_everything_locally() {
    let dir = tempfile::tempdir().unwrap();
    let sender = OrgNumber::parse("991825827").unwrap();
    let s = UploadSettings::default();
    let file = dir.path().join("a.txt");
    std::fs::write(&file, b"hello").unwrap();
    let req = |path: PathBuf, recipients: &[&str]| SendRequest {
        path,
        resource_id: "res".into(),
        recipients: recipients.iter().map(|s| s.to_string()).collect(),
        properties: BTreeMap::new(),
        reference: None,
    };
    let job = SendJob::new(&req(file.clone(), &["986252932"]), Environment::Sandbox, &sender, None, &s).unwrap();
    assert_eq!(job.recipients, ["0192:986252932"]);
    assert_eq!(job.sender, "0192:991825827");
    assert_eq!(job.method, Method::Stream);
    assert!(job.reference.starts_with("budbringer-"));
    let code =
        |r: SendRequest, max: Option<u64>| SendJob::new(&r, Environment::Sandbox, &sender, max, &s).unwrap_err().code;
    assert_eq!(code(req(file.clone(), &["986252933"]), None), ErrorCode::OrgNumberCheckDigit);
    assert_eq!(code(req(file.clone(), &[]), None), ErrorCode::NoRecipients);
    assert_eq!(code(req(file.clone(), &["986252932"]), Some(4)), ErrorCode::FileTooLarge);
    assert_eq!(code(req(dir.path().join("missing"), &["986252932"]), None), ErrorCode::FileUnreadable);
    assert_eq!(code(req(dir.path().to_owned(), &["986252932"]), None), ErrorCode::FileUnreadable);
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(code(req(empty, &["986252932"]), None), ErrorCode::FileEmpty);
}
