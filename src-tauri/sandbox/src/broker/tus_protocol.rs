//! TUS 1.0 as tusdotnet 2.11 speaks it, with nothing of Broker in it: the
//! answers (every one carries `Tus-Resumable`), the error texts word for word,
//! and the parsers of `Upload-Metadata`, `Upload-Checksum` and `Upload-Concat`.
//!
//! Sources (tusdotnet/tusdotnet, the library Broker runs, net6.0 target):
//! `Extensions/Internal/ResponseAdapterExtensions.cs` (423, errors),
//! `Extensions/Internal/IntentHandlerExtensions.cs` (412),
//! `Validation/Requirements/*.cs` (the 400/403/404/409/415 texts),
//! `Helpers/Internal/ChecksumHelper*.cs` (460 and the checksum texts),
//! `Parsers/MetadataParserHelpers/*`, `Parsers/UploadConcatParserHelpers/*`,
//! `Models/Exceptions/MaxReadSizeExceededException.cs` (413),
//! `Models/StoreAdapter.cs` + `Models/StoreExtensions.cs` (the extension list).

use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::errors;

/// What OPTIONS advertises. BrokerTusStore implements the creation,
/// termination, checksum, concatenation and expiration stores; tusdotnet adds
/// creation-with-upload with creation and checksum-trailer with checksum on
/// .NET 6+, in StoreExtensions.ToList's order. No creation-defer-length.
pub(super) const EXTENSIONS: &str =
    "creation,creation-with-upload,termination,checksum,checksum-trailer,concatenation,expiration";
/// BrokerTusStore.GetSupportedAlgorithmsAsync.
pub(super) const CHECKSUM_ALGORITHMS: &str = "md5";
/// DefaultTusConfiguration.Expiration = SlidingExpiration(TusOptions.UploadExpiration), 24 h.
pub(super) const UPLOAD_EXPIRATION: time::Duration = time::Duration::hours(24);

pub(super) const LOCKED: &str = "File is currently being updated. Please try again later";
pub(super) const CHECKSUM_MISMATCH: &str = "Header Upload-Checksum does not match the checksum of the file";
pub(super) const TOO_MUCH_DATA: &str = "Request contains more data than the file's upload length";
pub(super) const ALREADY_COMPLETE: &str = "Upload is already complete.";
pub(super) const FINAL_NOT_PATCHABLE: &str = "File with \"Upload-Concat: final\" cannot be patched";
pub(super) const MISSING_FILE_TRANSFER_ID: &str = "Missing file transfer id";
const CONCAT_INVALID: &str = "Header Upload-Concat: Header is invalid. Valid values are \"partial\" and \"final\" followed by a list of file urls to concatenate";
const METADATA_INVALID: &str = "Header Upload-Metadata: The Upload-Metadata request and response header MUST consist of one or more comma - separated key - value pairs. The key and value MUST be separated by a space.The key MUST NOT contain spaces and commas and MUST NOT be empty. The key SHOULD be ASCII encoded and the value MUST be Base64 encoded. All keys MUST be unique. The value MAY be empty. In these cases, the space, which would normally separate the key and the value, MAY be left out.";
const METADATA_KEY_EMPTY: &str = "Header Upload-Metadata: Key must not be empty";
const METADATA_DUPLICATE: &str = "Header Upload-Metadata: Duplicate keys are not allowed";

// ---------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------

/// A TUS answer without a body: `Tus-Resumable` and the given headers.
pub(super) fn tus_resp(status: u16, hs: &[(&str, String)]) -> Response {
    let mut r = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR).into_response();
    tus_headers(&mut r);
    for (k, v) in hs {
        if let (Ok(k), Ok(v)) = (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(v)) {
            r.headers_mut().insert(k, v);
        }
    }
    r
}

/// `ResponseAdapter.Error`: the status, `Tus-Resumable` and the message as text/plain.
pub(super) fn tus_text(status: u16, msg: &str) -> Response {
    tus_with(errors::text(status, msg))
}

/// Adds `Tus-Resumable` to an answer made elsewhere (a Broker error as text).
pub(super) fn tus_with(mut r: Response) -> Response {
    tus_headers(&mut r);
    r
}

fn tus_headers(r: &mut Response) {
    r.headers_mut().insert("Tus-Resumable", HeaderValue::from_static("1.0.0"));
}

/// `ResponseAdapter.NotFound`: 404, `Tus-Resumable`, `Cache-Control: no-store`, no body.
pub(super) fn not_found() -> Response {
    tus_resp(404, &[("Cache-Control", "no-store".into())])
}

/// A request tusdotnet does not take as TUS (no `Tus-Resumable`, an unknown
/// method): TusEndpointInvoker sets 404 and nothing else.
pub(super) fn not_tus() -> Response {
    StatusCode::NOT_FOUND.into_response()
}

/// 423 from `ResponseAdapter.Locked`.
pub(super) fn locked() -> Response {
    tus_text(423, LOCKED)
}

/// 412 from `VerifyTusVersionIfApplicable`: the header as sent, even empty.
pub(super) fn version_mismatch(sent: &str) -> Response {
    let mut r = tus_text(412, &format!("Tus version {sent} is not supported. Supported versions: 1.0.0"));
    r.headers_mut().insert("Tus-Version", HeaderValue::from_static("1.0.0"));
    r
}

/// An `Upload-Expires` value (`DateTimeOffset.ToString("R")`, RFC 1123).
pub(super) fn http_date(t: time::OffsetDateTime) -> String {
    httpdate::fmt_http_date(t.into())
}

// ---------------------------------------------------------------------------
// Request headers
// ---------------------------------------------------------------------------

pub(super) fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// The method tusdotnet acts on: `X-HTTP-Method-Override` when it is set.
pub(super) fn effective_method(real: &str, h: &HeaderMap) -> String {
    match header(h, "X-HTTP-Method-Override").map(str::trim) {
        Some(m) if !m.is_empty() => m.to_ascii_uppercase(),
        _ => real.to_ascii_uppercase(),
    }
}

/// `long.TryParse` of a header: optional sign, digits, surrounding blanks.
pub(super) fn parse_long(v: &str) -> Option<i64> {
    v.trim().parse::<i64>().ok()
}

/// UploadLengthForCreateFileAndConcatenateFiles: the length, or the 400/413 text.
pub(super) fn upload_length_for_create(h: &HeaderMap) -> Result<u64, String> {
    let defer = header(h, "Upload-Defer-Length");
    let len = header(h, "Upload-Length");
    if len.is_some() && defer.is_some() {
        return Err("Headers Upload-Length and Upload-Defer-Length are mutually exclusive and cannot be used in the same request".into());
    }
    if defer.is_some() {
        // BrokerTusStore is no ITusCreationDeferLengthStore.
        return Err("Header Upload-Defer-Length is not supported".into());
    }
    let Some(len) = len else { return Err("Missing Upload-Length header".into()) };
    match parse_long(len) {
        None => Err("Could not parse Upload-Length".into()),
        Some(n) if n < 0 => Err("Header Upload-Length must be a positive number".into()),
        Some(n) => Ok(n as u64),
    }
}

/// The `UploadOffset` requirement of a PATCH.
pub(super) fn upload_offset(h: &HeaderMap) -> Result<u64, String> {
    let Some(v) = h.get("Upload-Offset") else { return Err("Missing Upload-Offset header".into()) };
    match v.to_str().ok().and_then(parse_long) {
        None => Err("Could not parse Upload-Offset header".into()),
        Some(n) if n < 0 => Err("Header Upload-Offset must be a positive number".into()),
        Some(n) => Ok(n as u64),
    }
}

/// The `ContentType` requirement of a PATCH (415 text on failure).
pub(super) fn content_type_ok(h: &HeaderMap) -> Result<(), String> {
    let ct = header(h, header::CONTENT_TYPE.as_str());
    if ct.map(|c| c.eq_ignore_ascii_case("application/offset+octet-stream")) == Some(true) {
        return Ok(());
    }
    Err(format!("Content-Type {} is invalid. Must be application/offset+octet-stream", ct.unwrap_or("")))
}

/// `Upload-Metadata` as the AllowEmptyValues span parser reads it: the keys,
/// or the 400 text.
pub(super) fn parse_metadata(v: &str) -> Result<Vec<String>, String> {
    let mut keys: Vec<String> = vec![];
    let mut rest = v;
    while !rest.is_empty() {
        let (pair, next) = match rest.find(',') {
            // The pair before a comma is trimmed at its end only; a blank
            // after a comma therefore makes an empty key (a tusdotnet quirk).
            Some(i) => (rest[..i].trim_end(), Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let (key, value) = match pair.find(' ') {
            None => (pair, ""),
            Some(i) => (pair[..i].trim_end(), pair[i + 1..].trim_end()),
        };
        if value.contains(' ') {
            return Err(METADATA_INVALID.into());
        }
        if key.is_empty() {
            return Err(METADATA_KEY_EMPTY.into());
        }
        if !value.is_empty() && !base64_ok(value) {
            return Err(format!("Header Upload-Metadata: Value for {key} is not properly encoded using base64"));
        }
        if keys.iter().any(|k| k == key) {
            return Err(METADATA_DUPLICATE.into());
        }
        keys.push(key.to_string());
        rest = next.unwrap_or("");
    }
    Ok(keys)
}

/// `Convert.TryFromBase64Chars` with a buffer sized from the padding: standard
/// alphabet, padded to a multiple of four.
fn base64_ok(v: &str) -> bool {
    v.len() % 4 == 0 && STANDARD.decode(v).is_ok()
}

/// A parsed `Upload-Checksum`: the algorithm and whether it is one the store supports.
pub(super) enum Checksum {
    None,
    Supported,
}

/// The `UploadChecksum` requirement: `<algorithm> <base64>`; 400 texts on failure.
pub(super) fn parse_checksum(h: &HeaderMap) -> Result<Checksum, String> {
    let trailer_declared = h
        .get_all(header::TRAILER)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case("Upload-Checksum"));
    let Some(v) = header(h, "Upload-Checksum") else {
        if trailer_declared {
            if h.contains_key(header::CONTENT_LENGTH) {
                // Only a chunked HTTP/1.1 body (or HTTP/2) can carry trailers.
                return Err(
                    "Trailing header Upload-Checksum has been specified but http request does not support trailing headers"
                        .into(),
                );
            }
            // A trailer is verified like a header, and the store never agrees.
            return Ok(Checksum::Supported);
        }
        return Ok(Checksum::None);
    };
    let parsed = v.split_once(' ').and_then(|(alg, hash)| {
        let (alg, hash) = (alg.trim(), hash.trim());
        (!alg.is_empty() && !hash.is_empty() && base64_ok(hash)).then_some(alg)
    });
    let Some(alg) = parsed else { return Err("Could not parse Upload-Checksum header".into()) };
    if !alg.eq_ignore_ascii_case(CHECKSUM_ALGORITHMS) {
        return Err(format!("Unsupported checksum algorithm. Supported algorithms are: {CHECKSUM_ALGORITHMS}"));
    }
    if trailer_declared {
        return Err("Headers Upload-Checksum and trailing header Upload-Checksum are mutually exclusive and cannot be used in the same request".into());
    }
    Ok(Checksum::Supported)
}

/// `Upload-Concat` on a POST.
pub(super) enum Concat {
    Partial,
    /// The file ids of the listed URLs, relative to `url_path` (for example `partial/<id>`).
    Final(Vec<String>),
}

/// UploadConcatParserSpanBased: `partial`, or `final;` and space-separated
/// URLs (absolute or relative) that lie under `url_path`.
pub(super) fn parse_concat(v: &str, url_path: &str) -> Result<Concat, String> {
    if v == "partial" {
        return Ok(Concat::Partial);
    }
    let Some(list) = v.strip_prefix("final;").filter(|_| v.len() > 6) else { return Err(CONCAT_INVALID.into()) };
    let mut ids = vec![];
    for uri in list.trim_matches(' ').split(' ').filter(|u| !u.is_empty()) {
        let local = if let Some(rest) = uri.strip_prefix("http://").or_else(|| uri.strip_prefix("https://")) {
            match rest.find('/') {
                Some(i) => &rest[i..],
                None => "",
            }
        } else {
            uri
        };
        if local.is_empty() || !local.starts_with(url_path) {
            return Err(CONCAT_INVALID.into());
        }
        let id = local[url_path.len()..].trim_matches('/');
        let id = id.split(['?', '#']).next().unwrap_or("");
        ids.push(id.to_string());
    }
    Ok(Concat::Final(ids))
}

/// TusRouteHelper.NormalizePartialFileId: `partial/<id>` → `<id>`.
pub(super) fn normalize_partial(id: &str) -> &str {
    id.strip_prefix("partial/").unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hm(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn metadata_as_tusdotnet_parses_it() {
        assert!(parse_metadata("filename d29ybGQ=,is_confidential").is_ok());
        assert!(parse_metadata("").is_ok());
        // A blank after a comma: the value check comes first, then the key.
        assert_eq!(parse_metadata("a d29ybGQ=, b d29ybGQ=").unwrap_err(), METADATA_INVALID);
        assert_eq!(parse_metadata("a d29ybGQ=, b").unwrap_err(), METADATA_KEY_EMPTY);
        assert_eq!(parse_metadata("a d29ybGQ=,a d29ybGQ=").unwrap_err(), METADATA_DUPLICATE);
        assert_eq!(parse_metadata("a b c").unwrap_err(), METADATA_INVALID);
        assert_eq!(
            parse_metadata("name d29ybGQ,x").unwrap_err(),
            "Header Upload-Metadata: Value for name is not properly encoded using base64"
        );
    }

    #[test]
    fn checksum_texts() {
        assert!(matches!(parse_checksum(&hm(&[])), Ok(Checksum::None)));
        assert!(matches!(
            parse_checksum(&hm(&[("Upload-Checksum", "md5 XUFAKrxLKna5cZ2REBfFkg==")])),
            Ok(Checksum::Supported)
        ));
        assert!(matches!(
            parse_checksum(&hm(&[("Upload-Checksum", "MD5 XUFAKrxLKna5cZ2REBfFkg==")])),
            Ok(Checksum::Supported)
        ));
        assert_eq!(
            parse_checksum(&hm(&[("Upload-Checksum", "sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=")])).err().unwrap(),
            "Unsupported checksum algorithm. Supported algorithms are: md5"
        );
        assert_eq!(
            parse_checksum(&hm(&[("Upload-Checksum", "md5")])).err().unwrap(),
            "Could not parse Upload-Checksum header"
        );
        assert_eq!(
            parse_checksum(&hm(&[("Upload-Checksum", "md5 not*base64")])).err().unwrap(),
            "Could not parse Upload-Checksum header"
        );
    }

    #[test]
    fn concat_forms() {
        let p = "/broker/api/v1/filetransfer/upload/tus/abc";
        assert!(matches!(parse_concat("partial", p), Ok(Concat::Partial)));
        assert!(parse_concat("partial ", p).is_err());
        assert!(parse_concat("final;", p).is_err());
        match parse_concat(&format!("final;http://h:1{p}/partial/x1 {p}/partial/x2/"), p) {
            Ok(Concat::Final(ids)) => assert_eq!(ids, ["partial/x1", "partial/x2"]),
            _ => panic!("a final list"),
        }
        assert!(parse_concat("final;/elsewhere/x", p).is_err());
    }

    #[test]
    fn lengths_and_offsets() {
        assert_eq!(upload_length_for_create(&hm(&[("Upload-Length", "10")])), Ok(10));
        assert_eq!(upload_length_for_create(&hm(&[])).unwrap_err(), "Missing Upload-Length header");
        assert_eq!(
            upload_length_for_create(&hm(&[("Upload-Length", "x")])).unwrap_err(),
            "Could not parse Upload-Length"
        );
        assert_eq!(
            upload_length_for_create(&hm(&[("Upload-Length", "-1")])).unwrap_err(),
            "Header Upload-Length must be a positive number"
        );
        assert_eq!(
            upload_length_for_create(&hm(&[("Upload-Defer-Length", "1")])).unwrap_err(),
            "Header Upload-Defer-Length is not supported"
        );
        assert_eq!(upload_offset(&hm(&[])).unwrap_err(), "Missing Upload-Offset header");
        assert_eq!(
            upload_offset(&hm(&[("Upload-Offset", "-3")])).unwrap_err(),
            "Header Upload-Offset must be a positive number"
        );
    }
}
