//! TUS 1.0 conformance of the sandbox: a table of request → answer (status,
//! headers, body, and where the upload stands afterwards), each row against
//! a fresh sandbox in a given state.
//!
//! The expected answers are those of Broker at 161ba12 on tusdotnet 2.11:
//! tusdotnet's intent handlers and requirements (texts word for word), Broker's
//! OnAuthorize (TusUploadAuthorizationService), TusIdempotentCompletePatchMiddleware
//! and BrokerTusStore (chunks accepted whole, checksums never confirmed). Rows
//! marked "quirk" are where Broker differs from a plain TUS server.

use std::time::Duration;

use serde_json::json;

use crate::common::*;

/// The state a row starts from.
#[derive(Clone, Copy, Debug)]
enum Given {
    /// An initialized transfer, no upload.
    Fresh,
    /// An upload of 10 bytes at offset 0.
    Created,
    /// An upload of 10 bytes with metadata, at offset 0.
    WithMetadata,
    /// An upload of 10 bytes, 4 in.
    Half,
    /// A complete upload whose transfer is Published (the uploader's session on).
    Done,
    /// An upload of 10 bytes whose lock a slow PATCH holds (4 bytes in, 6 to come).
    Locked,
    /// A partial of 4 bytes at offset 0 (requests to `$PID` go to it).
    Partial,
    /// Two complete partials (4 and 6 bytes); `$FINAL` lists their URLs.
    TwoPartials,
    /// A final concatenation of two partials, not yet processed.
    Final,
    /// An upload of 10 bytes nobody touched for 25 h.
    Expired,
}

#[derive(Clone, Copy)]
enum Url {
    Main,
    Partial,
    /// A transfer that does not exist.
    Unknown,
    /// Not a transfer id at all.
    NotAnId,
}

#[derive(Clone, Copy)]
enum Auth {
    Write,
    ReadOnly,
    None,
}

struct Row {
    name: &'static str,
    given: Given,
    method: &'static str,
    url: Url,
    auth: Auth,
    headers: &'static [(&'static str, &'static str)],
    body: &'static [u8],
    status: u16,
    /// Headers the answer carries: value, `*` (any) or `re:<regex>`.
    has: &'static [(&'static str, &'static str)],
    lacks: &'static [&'static str],
    /// The body, exactly (None: not checked; HEAD answers never have one).
    text: Option<&'static str>,
    /// Upload-Offset by HEAD afterwards (Some(None): no upload).
    then: Option<Option<u64>>,
}

const TR: (&str, &str) = ("Tus-Resumable", "1.0.0");
const OCT: (&str, &str) = ("Content-Type", "application/offset+octet-stream");
const EXTENSIONS: &str = "creation,creation-with-upload,termination,checksum,checksum-trailer,concatenation,expiration";
const NOT_FOUND: &str = "The requested file transfer was not found";
const ALREADY: &str =
    "A file transfer has already been, or attempted to be, created. Create a new file transfer resource to try again.";
const LOCKED: &str = "File is currently being updated. Please try again later";

/// A row with the defaults: write token, the transfer's own URL, no body.
const fn row(name: &'static str, given: Given, method: &'static str, status: u16) -> Row {
    Row {
        name,
        given,
        method,
        url: Url::Main,
        auth: Auth::Write,
        headers: &[],
        body: b"",
        status,
        has: &[],
        lacks: &[],
        text: None,
        then: None,
    }
}

fn table() -> Vec<Row> {
    use Given::*;
    vec![
        // --- OPTIONS: capabilities, no file needed, but a token is.
        Row {
            has: &[
                TR,
                ("Tus-Version", "1.0.0"),
                ("Tus-Extension", EXTENSIONS),
                ("Tus-Checksum-Algorithm", "md5"),
            ],
            lacks: &["Tus-Max-Size"],
            text: Some(""),
            ..row("OPTIONS lists version, extensions and checksum algorithm", Fresh, "OPTIONS", 204)
        },
        Row { url: Url::Unknown, ..row("OPTIONS needs no existing transfer", Fresh, "OPTIONS", 204) },
        Row { auth: Auth::None, text: Some(""), ..row("OPTIONS without a token: 401", Fresh, "OPTIONS", 401) },
        // --- Not TUS at all: a bare 404.
        Row {
            headers: &[("Upload-Length", "10")],
            lacks: &["Tus-Resumable"],
            text: Some(""),
            ..row("POST without Tus-Resumable is no TUS request (quirk: 404, not 412)", Fresh, "POST", 404)
        },
        Row { lacks: &["Tus-Resumable", "Upload-Offset"], ..row("HEAD without Tus-Resumable: bare 404", Half, "HEAD", 404) },
        Row {
            headers: &[TR],
            lacks: &["Tus-Resumable"],
            text: Some(""),
            ..row("GET is no TUS method: bare 404", Created, "GET", 404)
        },
        // --- Version.
        Row {
            headers: &[("Tus-Resumable", "0.2.2"), ("Upload-Length", "10")],
            has: &[TR, ("Tus-Version", "1.0.0")],
            text: Some("Tus version 0.2.2 is not supported. Supported versions: 1.0.0"),
            ..row("An unsupported Tus-Resumable: 412", Fresh, "POST", 412)
        },
        // --- Creation.
        Row {
            headers: &[TR, ("Upload-Length", "10")],
            has: &[TR, ("Location", "/broker/api/v1/filetransfer/upload/tus/$ID"), ("Upload-Expires", "*")],
            lacks: &["Upload-Offset"],
            text: Some(""),
            then: Some(Some(0)),
            ..row("Create: 201, relative Location, Upload-Expires", Fresh, "POST", 201)
        },
        Row {
            headers: &[TR],
            has: &[TR],
            text: Some("Missing Upload-Length header"),
            ..row("Create without Upload-Length", Fresh, "POST", 400)
        },
        Row {
            headers: &[TR, ("Upload-Length", "ten")],
            text: Some("Could not parse Upload-Length"),
            ..row("Create with a non-numeric Upload-Length", Fresh, "POST", 400)
        },
        Row {
            headers: &[TR, ("Upload-Length", "-1")],
            text: Some("Header Upload-Length must be a positive number"),
            ..row("Create with a negative Upload-Length", Fresh, "POST", 400)
        },
        Row {
            headers: &[TR, ("Upload-Defer-Length", "1")],
            text: Some("Header Upload-Defer-Length is not supported"),
            ..row("Create with Upload-Defer-Length (not offered)", Fresh, "POST", 400)
        },
        Row {
            headers: &[TR, ("Upload-Length", "10"), ("Upload-Defer-Length", "1")],
            text: Some("Headers Upload-Length and Upload-Defer-Length are mutually exclusive and cannot be used in the same request"),
            ..row("Create with both lengths", Fresh, "POST", 400)
        },
        Row {
            headers: &[TR, ("Upload-Length", "10"), ("Upload-Metadata", "filename cmFwcG9ydC5wZGY=,is_confidential")],
            then: Some(Some(0)),
            ..row("Create with metadata (a key without a value is fine)", Fresh, "POST", 201)
        },
        Row {
            headers: &[TR, ("Upload-Length", "10"), ("Upload-Metadata", "filename cmFwcG9ydC5wZGY=, filetype dGV4dA==")],
            text: Some("Header Upload-Metadata: The Upload-Metadata request and response header MUST consist of one or more comma - separated key - value pairs. The key and value MUST be separated by a space.The key MUST NOT contain spaces and commas and MUST NOT be empty. The key SHOULD be ASCII encoded and the value MUST be Base64 encoded. All keys MUST be unique. The value MAY be empty. In these cases, the space, which would normally separate the key and the value, MAY be left out."),
            ..row("Metadata with a blank after the comma (quirk: refused)", Fresh, "POST", 400)
        },
        Row {
            headers: &[TR, ("Upload-Length", "10"), ("Upload-Metadata", "filename r%pport")],
            text: Some("Header Upload-Metadata: Value for filename is not properly encoded using base64"),
            ..row("Metadata that is not base64", Fresh, "POST", 400)
        },
        Row {
            headers: &[TR, ("Upload-Length", "10"), ("Upload-Metadata", "a YQ==,a Yg==")],
            text: Some("Header Upload-Metadata: Duplicate keys are not allowed"),
            ..row("Metadata with a repeated key", Fresh, "POST", 400)
        },
        Row {
            url: Url::Unknown,
            headers: &[TR, ("Upload-Length", "10")],
            has: &[TR],
            text: Some(NOT_FOUND),
            ..row("Create on an unknown transfer: Broker's text", Fresh, "POST", 404)
        },
        Row {
            url: Url::NotAnId,
            headers: &[TR, ("Upload-Length", "10")],
            text: Some("Missing file transfer id"),
            ..row("Create on something that is no id", Fresh, "POST", 404)
        },
        Row {
            headers: &[TR, ("Upload-Length", "10")],
            then: Some(Some(0)),
            ..row("A second create starts the upload again from 0", Half, "POST", 201)
        },
        Row {
            headers: &[TR, ("Upload-Length", "10")],
            text: Some(ALREADY),
            ..row("Create on a published transfer: 409 BRO-00004 as text", Done, "POST", 409)
        },
        Row {
            headers: &[TR, ("Upload-Length", "0")],
            lacks: &["Upload-Expires"],
            ..row("An empty upload does not expire", Fresh, "POST", 201)
        },
        Row {
            headers: &[TR, ("Upload-Length", "10"), OCT],
            body: b"0123",
            has: &[("Upload-Offset", "4"), ("Location", "*")],
            then: Some(Some(4)),
            ..row("Creation-with-upload writes its body", Fresh, "POST", 201)
        },
        Row {
            headers: &[TR, ("Upload-Length", "10"), ("Content-Type", "text/plain")],
            body: b"0123",
            has: &[("Upload-Offset", "0")],
            then: Some(Some(0)),
            ..row("Creation-with-upload with the wrong type: created, nothing written", Fresh, "POST", 201)
        },
        // --- HEAD.
        Row {
            headers: &[TR],
            has: &[TR, ("Upload-Offset", "4"), ("Upload-Length", "10"), ("Cache-Control", "no-store")],
            lacks: &["Upload-Metadata", "Upload-Concat"],
            ..row("HEAD: offset, length, no-store", Half, "HEAD", 200)
        },
        Row {
            headers: &[TR],
            has: &[("Upload-Metadata", "filename cmFwcG9ydC5wZGY=,is_confidential")],
            ..row("HEAD echoes the metadata as sent", WithMetadata, "HEAD", 200)
        },
        Row {
            headers: &[TR],
            has: &[TR, ("Cache-Control", "no-store")],
            lacks: &["Upload-Offset"],
            ..row("HEAD with no upload: 404", Fresh, "HEAD", 404)
        },
        Row { url: Url::Unknown, headers: &[TR], has: &[TR], ..row("HEAD of an unknown transfer", Fresh, "HEAD", 404) },
        Row {
            headers: &[TR],
            has: &[TR],
            lacks: &["Upload-Offset"],
            ..row("HEAD while a PATCH is receiving its body: 423", Locked, "HEAD", 423)
        },
        Row {
            headers: &[TR],
            lacks: &["Upload-Offset"],
            ..row("HEAD by the uploader once published (quirk: 409)", Done, "HEAD", 409)
        },
        Row { headers: &[TR], ..row("HEAD of an expired upload: 404", Expired, "HEAD", 404) },
        Row {
            url: Url::Partial,
            headers: &[TR],
            has: &[("Upload-Concat", "partial"), ("Upload-Offset", "0"), ("Upload-Length", "4")],
            ..row("HEAD of a partial", Partial, "HEAD", 200)
        },
        Row {
            headers: &[TR],
            has: &[("Upload-Offset", "10"), ("Upload-Length", "10"), ("Upload-Concat", "re:^final;/broker/api/v1/filetransfer/upload/tus/[0-9a-f]{32} /broker/api/v1/filetransfer/upload/tus/[0-9a-f]{32}$")],
            ..row("HEAD of a final (quirk: URLs under …/tus, not the partials' own)", Final, "HEAD", 200)
        },
        // --- PATCH.
        Row {
            headers: &[TR, OCT, ("Upload-Offset", "0")],
            body: b"0123",
            has: &[TR, ("Upload-Offset", "4"), ("Upload-Expires", "*")],
            text: Some(""),
            then: Some(Some(4)),
            ..row("PATCH: 204 and the new offset", Created, "PATCH", 204)
        },
        Row {
            headers: &[TR, ("Content-Type", "text/plain"), ("Upload-Offset", "0")],
            body: b"0123",
            has: &[TR],
            text: Some("Content-Type text/plain is invalid. Must be application/offset+octet-stream"),
            then: Some(Some(0)),
            ..row("PATCH with the wrong Content-Type", Created, "PATCH", 415)
        },
        Row {
            headers: &[TR, ("Upload-Offset", "0")],
            body: b"0123",
            text: Some("Content-Type  is invalid. Must be application/offset+octet-stream"),
            ..row("PATCH without Content-Type", Created, "PATCH", 415)
        },
        Row {
            headers: &[TR, OCT],
            body: b"0123",
            text: Some("Missing Upload-Offset header"),
            ..row("PATCH without Upload-Offset", Created, "PATCH", 400)
        },
        Row {
            headers: &[TR, OCT, ("Upload-Offset", "start")],
            body: b"0123",
            text: Some("Could not parse Upload-Offset header"),
            ..row("PATCH with a non-numeric Upload-Offset", Created, "PATCH", 400)
        },
        Row {
            headers: &[TR, OCT, ("Upload-Offset", "0")],
            body: b"0123",
            has: &[TR],
            text: Some("Offset does not match file. File offset: 4. Request offset: 0"),
            then: Some(Some(4)),
            ..row("PATCH at the wrong offset: 409", Half, "PATCH", 409)
        },
        Row {
            headers: &[TR, OCT, ("Upload-Offset", "0")],
            body: b"0123456789A",
            text: Some("Request contains more data than the file's upload length"),
            then: Some(Some(0)),
            ..row("PATCH past Upload-Length: 413, nothing kept", Created, "PATCH", 413)
        },
        Row {
            headers: &[TR, OCT, ("Upload-Offset", "0"), ("Upload-Checksum", "md5 6CmRbY0V7Lxh1pq8tFgs+g==")],
            body: b"0123",
            text: Some("Header Upload-Checksum does not match the checksum of the file"),
            then: Some(Some(4)),
            ..row("PATCH with the right MD5 (quirk: 460, and the chunk is kept)", Created, "PATCH", 460)
        },
        Row {
            headers: &[TR, OCT, ("Upload-Offset", "0"), ("Upload-Checksum", "sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=")],
            body: b"0123",
            text: Some("Unsupported checksum algorithm. Supported algorithms are: md5"),
            then: Some(Some(0)),
            ..row("PATCH with an unsupported checksum algorithm", Created, "PATCH", 400)
        },
        Row {
            headers: &[TR, OCT, ("Upload-Offset", "0"), ("Upload-Checksum", "md5")],
            body: b"0123",
            text: Some("Could not parse Upload-Checksum header"),
            ..row("PATCH with a malformed Upload-Checksum", Created, "PATCH", 400)
        },
        Row {
            headers: &[TR, OCT, ("Upload-Offset", "0"), ("Upload-Length", "10")],
            body: b"0123",
            text: Some("Upload-Length cannot be updated once set"),
            ..row("PATCH that repeats Upload-Length", Created, "PATCH", 400)
        },
        Row {
            headers: &[TR, OCT, ("Upload-Offset", "4")],
            body: b"456789",
            has: &[TR],
            text: Some(LOCKED),
            ..row("PATCH while another PATCH is receiving its body: 423", Locked, "PATCH", 423)
        },
        Row {
            headers: &[TR, OCT, ("Upload-Offset", "0")],
            body: b"0123",
            has: &[TR, ("Cache-Control", "no-store")],
            text: Some(""),
            ..row("PATCH with no upload: 404", Fresh, "PATCH", 404)
        },
        Row {
            headers: &[TR, OCT, ("Upload-Offset", "10")],
            body: b"89",
            has: &[TR, ("Upload-Offset", "10")],
            ..row("PATCH at the final offset: 204 (Broker's idempotent-complete middleware)", Done, "PATCH", 204)
        },
        Row {
            headers: &[("Upload-Offset", "12")],
            has: &[("Upload-Offset", "10")],
            ..row("… which answers before tusdotnet looks at Tus-Resumable", Done, "PATCH", 204)
        },
        Row {
            headers: &[TR, OCT, ("Upload-Offset", "3")],
            body: b"3",
            text: Some(ALREADY),
            ..row("PATCH below the end of a published upload: 409 BRO-00004", Done, "PATCH", 409)
        },
        Row {
            headers: &[TR, OCT, ("Upload-Offset", "0")],
            body: b"0123",
            text: Some(ALREADY),
            ..row("PATCH of an expired upload: the transfer failed meanwhile", Expired, "PATCH", 409)
        },
        Row {
            headers: &[TR, OCT, ("Upload-Offset", "0")],
            body: b"0",
            text: Some("File with \"Upload-Concat: final\" cannot be patched"),
            ..row("PATCH of a final concatenation: 403", Final, "PATCH", 403)
        },
        Row {
            headers: &[TR, OCT, ("Upload-Offset", "0"), ("X-HTTP-Method-Override", "PATCH")],
            body: b"0123",
            has: &[("Upload-Offset", "4")],
            then: Some(Some(4)),
            ..row("POST with X-HTTP-Method-Override: PATCH is a PATCH", Created, "POST", 204)
        },
        Row {
            headers: &[TR, OCT, ("Upload-Offset", "0")],
            has: &[("Upload-Offset", "0")],
            ..row("PATCH with an empty body: 204, no progress", Created, "PATCH", 204)
        },
        Row {
            url: Url::Partial,
            headers: &[TR, OCT, ("Upload-Offset", "0")],
            body: b"wxyz",
            has: &[("Upload-Offset", "4")],
            ..row("PATCH of a partial", Partial, "PATCH", 204)
        },
        // --- DELETE (termination).
        Row {
            headers: &[TR],
            has: &[TR],
            text: Some(""),
            then: Some(None),
            ..row("DELETE ends the upload; HEAD then finds none", Half, "DELETE", 204)
        },
        Row { headers: &[TR], has: &[TR, ("Cache-Control", "no-store")], ..row("DELETE with no upload", Fresh, "DELETE", 404) },
        Row { headers: &[TR], text: Some(LOCKED), ..row("DELETE while a PATCH holds the lock", Locked, "DELETE", 423) },
        Row { headers: &[TR], text: Some(ALREADY), ..row("DELETE of a published upload", Done, "DELETE", 409) },
        // --- Concatenation.
        Row {
            headers: &[TR, ("Upload-Concat", "partial"), ("Upload-Length", "4")],
            has: &[
                ("Location", "re:^/broker/api/v1/filetransfer/upload/tus/$ID/partial/[0-9a-f]{32}$"),
                ("Upload-Expires", "*"),
            ],
            ..row("Create a partial", Fresh, "POST", 201)
        },
        Row {
            headers: &[TR, ("Upload-Concat", "final;$FINAL")],
            has: &[("Location", "/broker/api/v1/filetransfer/upload/tus/$ID")],
            lacks: &["Upload-Expires"],
            then: Some(Some(10)),
            ..row("Create the final of two complete partials", TwoPartials, "POST", 201)
        },
        Row {
            headers: &[TR, ("Upload-Concat", "final;/broker/api/v1/filetransfer/upload/tus/$ID/partial/0123456789abcdef0123456789abcdef")],
            text: Some("Could not find some of the files supplied for concatenation: partial/0123456789abcdef0123456789abcdef"),
            ..row("A final naming a partial that does not exist", TwoPartials, "POST", 400)
        },
        Row {
            headers: &[TR, ("Upload-Concat", "final;/broker/api/v1/filetransfer/upload/tus/$ID/partial/$PID")],
            text: Some("Some of the files supplied for concatenation are not finished and can not be concatenated: partial/$PID"),
            ..row("A final of an unfinished partial", Partial, "POST", 400)
        },
        Row {
            headers: &[TR, ("Upload-Concat", "both")],
            text: Some("Header Upload-Concat: Header is invalid. Valid values are \"partial\" and \"final\" followed by a list of file urls to concatenate"),
            ..row("An Upload-Concat that is neither", Fresh, "POST", 400)
        },
        // --- Who may.
        Row { auth: Auth::ReadOnly, headers: &[TR], text: Some(""), ..row("A read-only token: 403, empty", Half, "HEAD", 403) },
        Row {
            auth: Auth::None,
            headers: &[TR, OCT, ("Upload-Offset", "4")],
            body: b"45",
            text: Some(""),
            ..row("No token: 401, empty", Half, "PATCH", 401)
        },
    ]
}

/// A sandbox in the state a row starts from.
struct World {
    e: Env,
    id: String,
    pid: String,
    finals: String,
    /// Keeps a slow PATCH's body open (Given::Locked).
    _hold: Option<tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>>>,
}

async fn tus(e: &Env, method: &str, url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> reqwest::Response {
    let mut b = e.http.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url).bearer_auth(e.tok(A, RW));
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(body).send().await.unwrap()
}

async fn given(g: Given) -> World {
    let e = start().await;
    let mut s = e.sb.admin().settings();
    s.processing_delay_ms = if matches!(g, Given::Final) { 600_000 } else { 10 };
    e.sb.admin().set_settings(s);
    let id = e.init_ok(json!({})).await;
    let main = e.broker(&format!("/filetransfer/upload/tus/{id}"));
    let mut w = World { id: id.clone(), pid: String::new(), finals: String::new(), _hold: None, e };
    let e = &w.e;
    match g {
        Given::Fresh => {}
        Given::Created | Given::Expired => {
            assert_eq!(create(e, &main, "10").await.status(), 201);
            if matches!(g, Given::Expired) {
                e.sb.admin().advance_clock(25 * 3600);
            }
        }
        Given::WithMetadata => {
            let h = [TR, ("Upload-Length", "10"), ("Upload-Metadata", "filename cmFwcG9ydC5wZGY=,is_confidential")];
            assert_eq!(tus(e, "POST", &main, &h, vec![]).await.status(), 201);
        }
        Given::Half | Given::Done => {
            assert_eq!(create(e, &main, "10").await.status(), 201);
            let n = if matches!(g, Given::Half) { 4 } else { 10 };
            let r = tus(e, "PATCH", &main, &[TR, OCT, ("Upload-Offset", "0")], b"0123456789"[..n].to_vec()).await;
            assert_eq!(r.status(), 204);
            if matches!(g, Given::Done) {
                e.wait_status(&id, "Published").await;
            }
        }
        Given::Locked => {
            assert_eq!(create(e, &main, "10").await.status(), 201);
            let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
            let mut rx = rx;
            let body = reqwest::Body::wrap_stream(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)));
            let req = e
                .http
                .patch(&main)
                .bearer_auth(e.tok(A, RW))
                .header("Tus-Resumable", "1.0.0")
                .header("Upload-Offset", "0")
                .header("Content-Type", "application/offset+octet-stream")
                .header("Content-Length", "10")
                .body(body)
                .send();
            tokio::spawn(req);
            tx.send(Ok(b"0123".to_vec())).await.unwrap();
            let ftid = uuid::Uuid::parse_str(&id).unwrap();
            for _ in 0..500 {
                if e.sb.admin().bytes_received(ftid) >= 4 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            w._hold = Some(tx);
        }
        Given::Partial => {
            let loc = partial(e, &main, 4).await;
            w.pid = loc.rsplit('/').next().unwrap().to_string();
        }
        Given::TwoPartials | Given::Final => {
            let mut locs = vec![];
            for (n, d) in [(4usize, &b"abcd"[..]), (6, &b"efghij"[..])] {
                let loc = partial(e, &main, n).await;
                let r = tus(e, "PATCH", &e.url(&loc), &[TR, OCT, ("Upload-Offset", "0")], d.to_vec()).await;
                assert_eq!(r.status(), 204);
                locs.push(loc);
            }
            w.finals = locs.join(" ");
            if matches!(g, Given::Final) {
                let r = tus(e, "POST", &main, &[TR, ("Upload-Concat", &format!("final;{}", w.finals))], vec![]).await;
                assert_eq!(r.status(), 201);
            }
        }
    }
    w
}

async fn create(e: &Env, main: &str, len: &str) -> reqwest::Response {
    tus(e, "POST", main, &[TR, ("Upload-Length", len)], vec![]).await
}

async fn partial(e: &Env, main: &str, len: usize) -> String {
    let n = len.to_string();
    let r = tus(e, "POST", main, &[TR, ("Upload-Concat", "partial"), ("Upload-Length", &n)], vec![]).await;
    assert_eq!(r.status(), 201);
    r.headers()["location"].to_str().unwrap().to_string()
}

fn fill(s: &str, w: &World) -> String {
    s.replace("$FINAL", &w.finals).replace("$ID", &w.id).replace("$PID", &w.pid)
}

async fn run(r: &Row) -> Result<(), String> {
    let w = given(r.given).await;
    let e = &w.e;
    let path = match r.url {
        Url::Main => format!("/filetransfer/upload/tus/{}", w.id),
        Url::Partial => format!("/filetransfer/upload/tus/{}/partial/{}", w.id, w.pid),
        Url::Unknown => format!("/filetransfer/upload/tus/{}", uuid::Uuid::new_v4()),
        Url::NotAnId => "/filetransfer/upload/tus/not-a-transfer".to_string(),
    };
    let mut b = e.http.request(reqwest::Method::from_bytes(r.method.as_bytes()).unwrap(), e.broker(&path));
    b = match r.auth {
        Auth::Write => b.bearer_auth(e.tok(A, RW)),
        Auth::ReadOnly => b.bearer_auth(e.tok(A, "altinn:broker.read")),
        Auth::None => b,
    };
    for (k, v) in r.headers {
        b = b.header(*k, fill(v, &w));
    }
    if !r.body.is_empty() {
        b = b.body(r.body.to_vec());
    }
    let resp = b.send().await.map_err(|e| format!("request failed: {e}"))?;
    let mut problems = vec![];
    if resp.status().as_u16() != r.status {
        problems.push(format!("status {} (want {})", resp.status().as_u16(), r.status));
    }
    for (k, want) in r.has {
        let want = fill(want, &w);
        match resp.headers().get(*k).and_then(|v| v.to_str().ok()) {
            None => problems.push(format!("no {k} header")),
            Some(got) => {
                let ok = match want.strip_prefix("re:") {
                    Some(re) => regex::Regex::new(re).unwrap().is_match(got),
                    None => want == "*" || got == want,
                };
                if !ok {
                    problems.push(format!("{k}: {got:?} (want {want:?})"));
                }
            }
        }
    }
    for k in r.lacks {
        if let Some(v) = resp.headers().get(*k) {
            problems.push(format!("{k} should be absent, got {v:?}"));
        }
    }
    let text = resp.text().await.unwrap_or_default();
    if let Some(want) = r.text {
        let want = fill(want, &w);
        if text != want {
            problems.push(format!("body {text:?} (want {want:?})"));
        }
    }
    if let Some(want) = r.then {
        let url = e.broker(&format!("/filetransfer/upload/tus/{}", w.id));
        let h = e.http.head(&url).bearer_auth(e.tok(A, RW)).header("Tus-Resumable", "1.0.0").send().await.unwrap();
        let got = match h.status().as_u16() {
            404 => None,
            _ => h.headers().get("upload-offset").and_then(|v| v.to_str().ok()?.parse().ok()),
        };
        if got != want {
            problems.push(format!("offset afterwards {got:?} (want {want:?})"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[tokio::test]
async fn every_row_of_the_tus_table() {
    let rows = table();
    let mut failures = vec![];
    for r in &rows {
        if let Err(p) = run(r).await {
            failures.push(format!("{} ({:?} {}): {p}", r.name, r.given, r.method));
        }
    }
    assert!(failures.is_empty(), "{} of {} rows differ:\n{}", failures.len(), rows.len(), failures.join("\n"));
}
