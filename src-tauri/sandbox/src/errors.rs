//! The error shapes of docs/ALTINN.md#error-answers and the Maskinporten/Altinn ones,
//! and [`SandboxError`] for starting the sandbox.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// Errors from starting or configuring the sandbox.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("sandbox configuration: {0}")]
    Config(String),
    #[error("sandbox I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("sandbox key: {0}")]
    Key(String),
}

pub fn trace_id() -> String {
    let a = uuid::Uuid::new_v4().simple().to_string();
    let b = uuid::Uuid::new_v4().simple().to_string();
    format!("00-{}-{}-01", a, &b[..16])
}

fn rfc9110(status: u16) -> Option<(&'static str, &'static str)> {
    Some(match status {
        400 => ("https://tools.ietf.org/html/rfc9110#section-15.5.1", "Bad Request"),
        401 => ("https://tools.ietf.org/html/rfc9110#section-15.5.2", "Unauthorized"),
        403 => ("https://tools.ietf.org/html/rfc9110#section-15.5.4", "Forbidden"),
        404 => ("https://tools.ietf.org/html/rfc9110#section-15.5.5", "Not Found"),
        406 => ("https://tools.ietf.org/html/rfc9110#section-15.5.7", "Not Acceptable"),
        409 => ("https://tools.ietf.org/html/rfc9110#section-15.5.10", "Conflict"),
        415 => ("https://tools.ietf.org/html/rfc9110#section-15.5.16", "Unsupported Media Type"),
        416 => ("https://tools.ietf.org/html/rfc9110#section-15.5.17", "Range Not Satisfiable"),
        500 => ("https://tools.ietf.org/html/rfc9110#section-15.6.1", "Internal Server Error"),
        502 => ("https://tools.ietf.org/html/rfc9110#section-15.6.3", "Bad Gateway"),
        503 => ("https://tools.ietf.org/html/rfc9110#section-15.6.4", "Service Unavailable"),
        _ => return None,
    })
}

/// (status, message) of a Broker domain error (Errors.cs at 161ba12).
pub fn bro_def(n: u32) -> (u16, &'static str) {
    match n {
        1 => (404, "The requested file transfer was not found"),
        2 => (400, "Service owner needs to be configured to use the broker API"),
        3 => (400, "No file uploaded yet"),
        4 => (409, "A file transfer has already been, or attempted to be, created. Create a new file transfer resource to try again."),
        5 => (403, "The resource needs to be registered as an Altinn 3 resource and it has to be associated with a service owner"),
        6 => (401, "You must use a bearer token that represents a system user with access to the resource in the Resource Rights Registry"),
        7 => (403, "The requested file transfer's file is not ready for download. See file transfer status."),
        8 => (500, "Error occurred while uploading file See /details for more information."),
        9 => (400, "The checksum of uploaded file did not match the checksum specified in initialize call."),
        10 => (400, "A file transfer can only be confirmed to be downloaded when it is published. See file transfer status."),
        11 => (400, "Max file transfer size cannot be negative"),
        12 => (400, "Max file transfer size cannot be zero"),
        13 => (400, "Max file transfer size cannot be set higher than 50GB in production unless the resource has been pre-approved for disabled virus scan. Contact us @ Slack."),
        14 => (400, "Invalid file transfer time to live format. Should follow ISO8601 standard for duration. Example: 'P30D' for 30 days."),
        15 => (400, "Time to live cannot exceed 365 days"),
        16 => (400, "File size exceeds maximum"),
        17 => (400, "Invalid grace period format. Should follow ISO8601 standard for duration. Example: 'PT2H' for 2 hours."),
        18 => (400, "Grace period cannot exceed 24 hours"),
        19 => (400, "Cannot confirm before the files have been downloaded"),
        20 => (400, "In order to use file transfers without virus scan the service resource needs to be approved by Altinn. Please contact us @ Slack."),
        21 => (503, "Storage provider is not ready yet. Please try again later."),
        22 => (400, "Max file transfer size cannot be set higher than 100GB in production because it has not yet been tested for it. Contact us @ Slack if you need it."),
        23 => (400, "In order to use manifest file shim you need to provide external service code and edition code"),
        24 => (400, "The service owner associated with the resource has not been configured."),
        25 => (400, "The resource has not been configured."),
        26 => (400, "The resource requires the service owner party to be present as part of the transaction."),
        27 => (400, "When required party is specified and the required party is not the sender, the number of recipients can only be one."),
        28 => (400, "All recipients need to be in the access list of the resource."),
        29 => (416, "The requested byte range is not satisfiable."),
        30 => (503, "File transfer is not yet in UploadProcessing. Retry when upload completion has been recorded."),
        7001 => (400, "Caller organization id could not be determined"),
        7002 => (409, "Service owner already exists"),
        7003 => (500, "Service owner could not be initialized"),
        7004 => (404, "Service owner not found"),
        _ => (500, "Unknown error"),
    }
}

/// Shape (a): ProblemDetails with a `BRO-` code.
pub fn bro(n: u32) -> Response {
    let (status, msg) = bro_def(n);
    problem(status, &format!("BRO-{n:05}"), msg)
}

/// A ProblemDetails body with a `code` extension.
pub fn problem(status: u16, code: &str, detail: &str) -> Response {
    let (ty, title) = rfc9110(status).unwrap_or(("about:blank", "Error"));
    let body = json!({
        "type": ty, "title": title, "status": status, "detail": detail,
        "code": code, "traceId": trace_id(),
    });
    json_response(status, &body)
}

/// A ProblemDetails body without a `code` (gateway-style errors).
pub fn problem_plain(status: u16, detail: &str) -> Response {
    let (ty, title) = rfc9110(status).unwrap_or(("about:blank", "Error"));
    json_response(
        status,
        &json!({"type": ty, "title": title, "status": status, "detail": detail, "traceId": trace_id()}),
    )
}

/// Shape (b): automatic 400 ValidationProblemDetails.
pub fn validation(errors: Value) -> Response {
    let body = json!({
        "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        "title": "One or more validation errors occurred.",
        "status": 400,
        "errors": errors,
        "traceId": trace_id(),
    });
    json_response(400, &body)
}

/// 415 from MVC's input formatter.
pub fn unsupported_media() -> Response {
    let (ty, title) = rfc9110(415).expect("415 is in the table");
    json_response(415, &json!({"type": ty, "title": title, "status": 415, "traceId": trace_id()}))
}

/// Shape (c): 401 with an empty body and a Bearer challenge.
pub fn unauthorized(invalid: bool) -> Response {
    let mut r = StatusCode::UNAUTHORIZED.into_response();
    let v = if invalid { "Bearer error=\"invalid_token\"" } else { "Bearer" };
    r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(v));
    r
}

/// Shape (c): 403 with an empty body (missing scope).
pub fn forbidden() -> Response {
    StatusCode::FORBIDDEN.into_response()
}

/// Shape (e): TUS errors are plain text.
pub fn text(status: u16, msg: &str) -> Response {
    let mut r =
        (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), msg.to_string()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    r
}

/// A Broker error as it leaves a TUS endpoint: status kept, message as text.
pub fn bro_text(n: u32) -> Response {
    let (status, msg) = bro_def(n);
    text(status, msg)
}

pub fn not_acceptable() -> Response {
    text(
        406,
        "This endpoint does not support the requested Accept header. Supported Accept headers are: application/json, */*.",
    )
}

pub fn json_response(status: u16, body: &Value) -> Response {
    let mut r =
        (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), body.to_string()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    r
}

/// The API gateway's 429 (Azure API Management format).
pub fn apim_429(retry_after: i64) -> Response {
    let mut r = json_response(
        429,
        &json!({"statusCode": 429, "message": format!("Rate limit is exceeded. Try again in {retry_after} seconds.")}),
    );
    r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    r
}

/// Maskinporten's OAuth error body.
pub fn oauth(error: &str, mp: &str, description: &str) -> Response {
    let body = json!({
        "error": error,
        "error_description": format!("{description} ({mp}) (trace_id: {})", uuid::Uuid::new_v4().simple()),
    });
    json_response(400, &body)
}
