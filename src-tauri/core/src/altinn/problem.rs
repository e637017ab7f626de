//! Turning error answers from Maskinporten, the Altinn platform, the API
//! gateway and Broker into [`AppError`]s with a named [`ErrorCode`]
//! (`docs/ALTINN.md#error-answers`).
//!
//! The shapes handled:
//! * Maskinporten: `400 {"error": "...", "error_description": "... (MP-110) (trace_id: ...)"}`;
//! * Broker domain errors: ProblemDetails with `code: "BRO-000xx"` and `traceId`;
//! * Altinn platform errors: ProblemDetails with `code: "AUTH-000xx"` / `"AUTH.VLD-000xx"`;
//! * validation errors: ProblemDetails with an `errors` map;
//! * the API gateway's `401 {"statusCode": 401, "message": "Access denied due to ... subscription key ..."}`
//!   and its `429` (with `Retry-After`);
//! * empty 401 (token missing/invalid/expired) and empty 403 (scope missing);
//! * plain-text bodies (TUS);
//! * and no answer at all: a timeout or a refused connection ([`network_error`]).

use crate::error::{AppError, ErrorCode};
use regex::Regex;
use serde_json::Value;
use std::sync::OnceLock;

/// Longest body text we keep in `detail`.
const MAX_DETAIL: usize = 600;

fn mp_regex() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"MP-\d{3}").expect("regex"))
}

fn trace_regex() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"trace_id:\s*([A-Za-z0-9\-]+)").expect("regex"))
}

/// A request that got no answer (timeout, refused connection, broken
/// stream): the one error every caller of Maskinporten, the platform and
/// Broker shares, so it lives here rather than in any one client.
pub(crate) fn network_error(e: &reqwest::Error) -> AppError {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    AppError::new(ErrorCode::Network).with_detail(crate::logging::redact(&format!("{kind}: {e}")))
}

fn clip(s: &str) -> String {
    let s = crate::logging::redact(s.trim());
    if s.chars().count() > MAX_DETAIL {
        s.chars().take(MAX_DETAIL).collect::<String>() + "…"
    } else {
        s
    }
}

/// The error code for a Maskinporten MP code and its description.
pub fn maskinporten_code(mp: Option<&str>, error: &str, description: &str) -> ErrorCode {
    let d = description.to_ascii_lowercase();
    match mp {
        Some("MP-100") => {
            if d.contains("client not found") || error == "invalid_client" {
                ErrorCode::MaskinportenUnknownClient
            } else if d.contains("kid") || d.contains("signature") || d.contains("registered key") {
                ErrorCode::MaskinportenUnknownKey
            } else {
                ErrorCode::MaskinportenInvalidAssertion
            }
        }
        Some("MP-110") => ErrorCode::MaskinportenWrongAudience,
        Some("MP-121") => ErrorCode::MaskinportenKeyExpired,
        Some("MP-120") | Some("MP-124") => ErrorCode::CertificateInvalid,
        Some("MP-122") => ErrorCode::CertificateWrongOrganisation,
        Some("MP-123") => ErrorCode::CertificateChainFormat,
        Some("MP-130") => ErrorCode::ClockSkew,
        Some("MP-012") => ErrorCode::GrantReused,
        Some("MP-200") => ErrorCode::ScopeNotGranted,
        Some("MP-201") => ErrorCode::ClientWrongType,
        Some("MP-250") => ErrorCode::ScopeNotAvailable,
        Some("MP-301") | Some("MP-302") => ErrorCode::SystemUserDetailsInvalid,
        Some("MP-303") => ErrorCode::SystemUserNotApproved,
        _ => match error {
            "invalid_client" => ErrorCode::MaskinportenUnknownClient,
            "invalid_scope" => ErrorCode::ScopeNotGranted,
            "invalid_altinn_customer_configuration" => ErrorCode::SystemUserNotApproved,
            _ if d.contains("invalid assertion") => ErrorCode::MaskinportenInvalidAssertion,
            _ => ErrorCode::MaskinportenError,
        },
    }
}

/// Maps an answer from Maskinporten's token endpoint that was not 200.
pub fn maskinporten_error(status: u16, body: &str) -> AppError {
    let v: Option<Value> = serde_json::from_str(body).ok();
    let error = v.as_ref().and_then(|v| v.get("error")).and_then(|e| e.as_str()).unwrap_or("");
    let description = v.as_ref().and_then(|v| v.get("error_description")).and_then(|e| e.as_str()).unwrap_or("");
    if error.is_empty() && description.is_empty() {
        return generic_status_error(status, body, ErrorCode::MaskinportenError);
    }
    let mp = mp_regex().find(description).map(|m| m.as_str().to_owned());
    let code = maskinporten_code(mp.as_deref(), error, description);
    let mut e = AppError::new(code).with_detail(clip(&format!("HTTP {status}: {error}: {description}")));
    if let Some(t) = trace_regex().captures(description).and_then(|c| c.get(1)) {
        e = e.with_trace_id(t.as_str());
    }
    e
}

/// The error code for a Broker `BRO-` number.
pub fn broker_code(n: u32) -> ErrorCode {
    match n {
        1 => ErrorCode::BrokerNotFound,
        2 | 24 | 25 => ErrorCode::BrokerNotConfigured,
        3 => ErrorCode::BrokerNoFileUploaded,
        4 => ErrorCode::BrokerAlreadyUploaded,
        5 => ErrorCode::BrokerResourceInvalid,
        6 => ErrorCode::BrokerNoAccess,
        7 => ErrorCode::BrokerFileNotReady,
        8 => ErrorCode::BrokerUploadFailed,
        9 => ErrorCode::BrokerChecksumMismatch,
        10 => ErrorCode::BrokerNotPublished,
        11..=15 | 17 | 18 | 22 | 23 => ErrorCode::BrokerResourceSettingsInvalid,
        16 => ErrorCode::BrokerFileTooLarge,
        19 => ErrorCode::BrokerConfirmBeforeDownload,
        20 => ErrorCode::BrokerVirusScanApproval,
        21 => ErrorCode::BrokerStorageNotReady,
        26 | 27 => ErrorCode::BrokerRequiredParty,
        28 => ErrorCode::BrokerRecipientNotAllowed,
        29 => ErrorCode::BrokerRangeInvalid,
        30 => ErrorCode::BrokerProcessingPending,
        7001..=7004 => ErrorCode::BrokerServiceOwner,
        _ => ErrorCode::BrokerError,
    }
}

/// The error code for an Altinn platform `AUTH-` / `AUTH.VLD-` code, for
/// every code the authentication API documents (Problem.cs and
/// ValidationErrors.cs; docs/ALTINN.md#system-users). Codes of the portal's
/// own steps and of agent system users, which Budbringer does not use, are
/// the generic `ALTINN_ERROR` with the code in the detail.
pub fn altinn_code(code: &str) -> ErrorCode {
    match code {
        // Registering the system (AUTH.VLD-000nn).
        "AUTH.VLD-00001" | "AUTH.VLD-00013" => ErrorCode::SystemIdInvalid,
        "AUTH.VLD-00002" => ErrorCode::SystemAlreadyRegistered,
        "AUTH.VLD-00003" | "AUTH.VLD-00009" => ErrorCode::SystemResourceUnknown,
        "AUTH.VLD-00004" => ErrorCode::ClientIdInOtherSystem,
        "AUTH.VLD-00005" => ErrorCode::RedirectUrlInvalid,
        "AUTH.VLD-00006" => ErrorCode::SystemDuplicateRights,
        "AUTH.VLD-00007" => ErrorCode::SystemDuplicateAccessPackages,
        "AUTH.VLD-00017" => ErrorCode::RightNotDelegable,
        // -00000 (vendor authority), -00008 (access packages), -00011
        // (duplicate client ids), -00012 (id differs from the URL), -00014…16
        // and -00018 (agent system users): faults in what Budbringer sends.
        c if c.starts_with("AUTH.VLD-") => ErrorCode::SystemRegistrationInvalid,
        // Requests, change requests and approvals (AUTH-000nn).
        "AUTH-00001" | "AUTH-00070" | "AUTH-00071" => ErrorCode::RightNotDelegable,
        "AUTH-00004" => ErrorCode::SystemUserExists,
        "AUTH-00006" | "AUTH-00007" | "AUTH-00008" | "AUTH-00009" | "AUTH-00061" => ErrorCode::SystemUserRequestExists,
        "AUTH-00010" => ErrorCode::SystemUserRequestGone,
        "AUTH-00011" => ErrorCode::SystemNotFound,
        "AUTH-00015" => ErrorCode::SystemUserNotFound,
        "AUTH-00016" | "AUTH-00018" | "AUTH-00020" | "AUTH-00066" | "AUTH-00068" => ErrorCode::ApproverLacksRights,
        "AUTH-00019" | "AUTH-00069" => ErrorCode::NotOnAccessList,
        "AUTH-00021" => ErrorCode::RedirectUrlInvalid,
        // The vendor's organisation could not be read from the token.
        "AUTH-00023" => ErrorCode::SystemVendorMismatch,
        "AUTH-00026" => ErrorCode::SystemNoRedirectUrls,
        "AUTH-00059" => ErrorCode::ProfileNoServices,
        _ => ErrorCode::AltinnError,
    }
}

/// The `AUTH.VLD-` codes (and titles) of an authentication-API validation
/// problem: `{"code": "STD-00000", "validationErrors": [{"code", "title", "paths"}]}`.
fn validation_errors(obj: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    obj.get("validationErrors")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|e| {
                    let code = e.get("code")?.as_str()?.to_owned();
                    let title = e.get("title").and_then(|t| t.as_str()).unwrap_or("").to_owned();
                    Some((code, title))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn is_gateway_key_message(msg: &str) -> bool {
    msg.to_ascii_lowercase().contains("subscription key")
}

/// Whether a 401 body is the API gateway refusing the subscription key
/// (then a new token will not help).
pub fn is_gateway_key_error(status: u16, body: &str) -> bool {
    if status != 401 {
        return false;
    }
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(is_gateway_key_message))
        .unwrap_or(false)
}

fn generic_status_error(status: u16, body: &str, fallback: ErrorCode) -> AppError {
    let code = match status {
        401 => ErrorCode::TokenRejected,
        403 => ErrorCode::BrokerScopeMissing,
        406 => ErrorCode::BrokerNotAcceptable,
        429 => ErrorCode::RateLimited,
        500..=502 | 504.. => ErrorCode::BrokerServerError,
        503 => ErrorCode::ServiceUnavailable,
        _ => fallback,
    };
    let text = body.trim();
    let detail = if text.is_empty() { format!("HTTP {status}") } else { format!("HTTP {status}: {}", clip(text)) };
    AppError::new(code).with_detail(detail)
}

/// Maps a non-2xx answer from Broker or the Altinn platform (status, the
/// `Retry-After` header when there was one, body text).
pub fn error_from_parts(status: u16, retry_after: Option<&str>, body: &str) -> AppError {
    let v: Option<Value> = serde_json::from_str(body.trim()).ok();
    let obj = v.as_ref().and_then(|v| v.as_object());
    let Some(obj) = obj else {
        // Empty or plain text (TUS) body.
        let mut e = generic_status_error(status, body, ErrorCode::BrokerError);
        if status == 429 {
            if let Some(ra) = retry_after {
                e = e.with_detail(format!("HTTP 429; Retry-After: {ra}"));
            }
        }
        return e;
    };
    let s = |k: &str| obj.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let trace = s("traceId").or_else(|| s("traceid"));
    // The API gateway (Azure API Management): {"statusCode": 401, "message": "..."}.
    if obj.contains_key("statusCode") && obj.contains_key("message") && !obj.contains_key("code") {
        let msg = s("message").unwrap_or_default();
        let code = if status == 401 && is_gateway_key_message(&msg) {
            ErrorCode::ApiKeyMissingOrWrong
        } else if status == 429 {
            ErrorCode::RateLimited
        } else {
            return generic_status_error(status, &msg, ErrorCode::BrokerError);
        };
        let mut detail = format!("HTTP {status}: {}", clip(&msg));
        if let Some(ra) = retry_after {
            detail.push_str(&format!("; Retry-After: {ra}"));
        }
        return AppError::new(code).with_detail(detail);
    }
    let mut code_str = s("code").unwrap_or_default();
    let mut detail_text = s("detail").or_else(|| s("title")).unwrap_or_default();
    // An authentication-API validation problem: the first AUTH.VLD code
    // names the error (Altinn lists them in the order it checks); all are kept.
    let vld = validation_errors(obj);
    if let Some((first, _)) = vld.first() {
        detail_text = vld.iter().map(|(c, t)| format!("{c} {t}")).collect::<Vec<_>>().join("; ");
        code_str = first.clone();
    }
    let code = if let Some(n) = code_str.strip_prefix("BRO-").and_then(|n| n.parse::<u32>().ok()) {
        broker_code(n)
    } else if code_str.starts_with("AUTH") {
        altinn_code(&code_str)
    } else if obj.contains_key("errors") {
        ErrorCode::BrokerValidation
    } else {
        let mut e = generic_status_error(status, "", ErrorCode::BrokerError);
        if !detail_text.is_empty() {
            e = e.with_detail(format!("HTTP {status}: {}", clip(&detail_text)));
        }
        if let Some(t) = trace {
            e = e.with_trace_id(t);
        }
        return e;
    };
    let mut detail = format!("HTTP {status}");
    if !code_str.is_empty() {
        detail.push_str(&format!(" {code_str}"));
    }
    if !detail_text.is_empty() {
        detail.push_str(&format!(": {}", clip(&detail_text)));
    }
    if let Some(errs) = obj.get("errors") {
        detail.push_str(&format!(" {}", clip(&errs.to_string())));
    }
    let mut e = AppError::new(code).with_detail(detail);
    if let Some(t) = trace {
        e = e.with_trace_id(t);
    }
    e
}

/// Maps a non-2xx Broker or Altinn response to an [`AppError`] with the
/// named code, the server's detail text and its `traceId`.
pub async fn error_from_response(resp: reqwest::Response) -> AppError {
    let status = resp.status().as_u16();
    let retry_after = resp.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = crate::network::text_prefix(resp, crate::network::MAX_ERROR_BODY).await;
    error_from_parts(status, retry_after.as_deref(), &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maskinporten_bodies() {
        let e = maskinporten_error(
            400,
            r#"{"error":"invalid_grant","error_description":"Invalid assertion. Invalid audience (aud) (MP-110) (trace_id: abc123)"}"#,
        );
        assert_eq!(e.code, ErrorCode::MaskinportenWrongAudience);
        assert_eq!(e.trace_id.as_deref(), Some("abc123"));
        let e = maskinporten_error(
            400,
            r#"{"error":"invalid_grant","error_description":"Invalid assertion. Client authentication failed. Unknown kid k1 for client c (MP-100)"}"#,
        );
        assert_eq!(e.code, ErrorCode::MaskinportenUnknownKey);
        let e = maskinporten_error(
            400,
            r#"{"error":"invalid_client","error_description":"Invalid assertion. Client not found: x (MP-100)"}"#,
        );
        assert_eq!(e.code, ErrorCode::MaskinportenUnknownClient);
        for (mp, code) in [
            ("MP-012", ErrorCode::GrantReused),
            ("MP-121", ErrorCode::MaskinportenKeyExpired),
            ("MP-123", ErrorCode::CertificateChainFormat),
            ("MP-130", ErrorCode::ClockSkew),
            ("MP-200", ErrorCode::ScopeNotGranted),
            ("MP-250", ErrorCode::ScopeNotAvailable),
            ("MP-303", ErrorCode::SystemUserNotApproved),
        ] {
            let body = format!(r#"{{"error":"x","error_description":"text ({mp})"}}"#);
            assert_eq!(maskinporten_error(400, &body).code, code, "{mp}");
        }
        assert_eq!(maskinporten_error(502, "").code, ErrorCode::BrokerServerError);
    }

    #[test]
    fn broker_problem_details() {
        let body = r#"{"code":"BRO-00006","type":"t","title":"Unauthorized","status":401,
            "detail":"You must use a bearer token that represents a system user","traceId":"00-abc-01"}"#;
        let e = error_from_parts(401, None, body);
        assert_eq!(e.code, ErrorCode::BrokerNoAccess);
        assert_eq!(e.trace_id.as_deref(), Some("00-abc-01"));
        assert!(e.detail.unwrap().contains("BRO-00006"));
        assert_eq!(
            error_from_parts(400, None, r#"{"code":"BRO-00028","detail":"x"}"#).code,
            ErrorCode::BrokerRecipientNotAllowed
        );
        assert_eq!(error_from_parts(400, None, r#"{"code":"BRO-00024"}"#).code, ErrorCode::BrokerNotConfigured);
        let v = r#"{"title":"One or more validation errors occurred.","status":400,"errors":{"PropertyList":["x"]},"traceId":"t"}"#;
        assert_eq!(error_from_parts(400, None, v).code, ErrorCode::BrokerValidation);
    }

    #[test]
    fn gateway_and_empty_bodies() {
        let g = r#"{"statusCode":401,"message":"Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API."}"#;
        assert!(is_gateway_key_error(401, g));
        assert_eq!(error_from_parts(401, None, g).code, ErrorCode::ApiKeyMissingOrWrong);
        let r = error_from_parts(429, Some("60"), r#"{"statusCode":429,"message":"Rate limit is exceeded."}"#);
        assert_eq!(r.code, ErrorCode::RateLimited);
        assert!(r.detail.unwrap().contains("Retry-After: 60"));
        assert_eq!(error_from_parts(401, None, "").code, ErrorCode::TokenRejected);
        assert_eq!(error_from_parts(403, None, "").code, ErrorCode::BrokerScopeMissing);
        assert_eq!(error_from_parts(409, None, "Offset mismatch").code, ErrorCode::BrokerError);
        assert_eq!(error_from_parts(503, None, r#"{"code":"BRO-00021"}"#).code, ErrorCode::BrokerStorageNotReady);
    }

    #[test]
    fn altinn_platform_codes() {
        assert_eq!(
            error_from_parts(400, None, r#"{"code":"AUTH.VLD-00003","detail":"x"}"#).code,
            ErrorCode::SystemResourceUnknown
        );
        assert_eq!(error_from_parts(409, None, r#"{"code":"AUTH-00007"}"#).code, ErrorCode::SystemUserRequestExists);
        assert_eq!(error_from_parts(400, None, r#"{"code":"AUTH-00026"}"#).code, ErrorCode::SystemNoRedirectUrls);
        assert_eq!(error_from_parts(400, None, r#"{"code":"AUTH.VLD-00009"}"#).code, ErrorCode::SystemResourceUnknown);
        // AUTH.VLD-00006 and -00007 are duplicates, not a vendor or a missing system.
        assert_eq!(altinn_code("AUTH.VLD-00006"), ErrorCode::SystemDuplicateRights);
        assert_eq!(altinn_code("AUTH.VLD-00007"), ErrorCode::SystemDuplicateAccessPackages);
        assert_eq!(altinn_code("AUTH-00069"), ErrorCode::NotOnAccessList);
        assert_eq!(altinn_code("AUTH-00010"), ErrorCode::SystemUserRequestGone);
        assert_eq!(altinn_code("AUTH.VLD-00000"), ErrorCode::SystemRegistrationInvalid);
        // The real shape: a STD-00000 problem with validationErrors.
        let body = r#"{"type":"urn:altinn:error:STD-00000","title":"One or more validation errors occurred.",
            "status":400,"code":"STD-00000","traceId":"00-t-01","validationErrors":[
            {"code":"AUTH.VLD-00002","title":"The system id already exists","paths":["/registersystemrequest/systemid"]},
            {"code":"AUTH.VLD-00004","title":"One of the client id is already tagged with an existing system"}]}"#;
        let e = error_from_parts(400, None, body);
        assert_eq!(e.code, ErrorCode::SystemAlreadyRegistered);
        assert_eq!(e.trace_id.as_deref(), Some("00-t-01"));
        assert!(e.detail.as_deref().unwrap().contains("AUTH.VLD-00004"), "{e:?}");
    }

    /// Every code the authentication API documents has its own named error,
    /// or is one Budbringer cannot cause (then ALTINN_ERROR / SYSTEM_REGISTRATION_INVALID).
    #[test]
    fn documented_auth_codes_are_named() {
        let named = [
            "AUTH-00001",
            "AUTH-00004",
            "AUTH-00006",
            "AUTH-00007",
            "AUTH-00008",
            "AUTH-00009",
            "AUTH-00010",
            "AUTH-00011",
            "AUTH-00015",
            "AUTH-00016",
            "AUTH-00019",
            "AUTH-00021",
            "AUTH-00023",
            "AUTH-00026",
            "AUTH-00059",
            "AUTH-00069",
            "AUTH.VLD-00001",
            "AUTH.VLD-00002",
            "AUTH.VLD-00003",
            "AUTH.VLD-00004",
            "AUTH.VLD-00005",
            "AUTH.VLD-00006",
            "AUTH.VLD-00007",
            "AUTH.VLD-00009",
            "AUTH.VLD-00013",
            "AUTH.VLD-00017",
        ];
        for c in named {
            let code = altinn_code(c);
            assert!(code != ErrorCode::AltinnError && code != ErrorCode::SystemRegistrationInvalid, "{c} → {code}");
        }
    }
}
