//! Exchanging a Maskinporten token for an Altinn token
//! (`GET {platform}/authentication/api/v1/exchange/maskinporten`, `docs/ALTINN.md#the-token-exchange`).

use crate::error::{AppError, AppResult, ErrorCode};
use crate::secrets::Secret;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// The Altinn token from an exchange body: `text/plain`, or a quoted JSON string (`docs/ALTINN.md#the-token-exchange`).
pub fn parse_exchange_body(body: &str) -> AppResult<String> {
    let t = body.trim();
    let token = if t.starts_with('"') {
        serde_json::from_str::<String>(t)
            .map_err(|e| AppError::new(ErrorCode::TokenExchangeFailed).with_detail(format!("body: {e}")))?
    } else {
        t.to_owned()
    };
    if token.split('.').count() != 3 {
        return Err(AppError::new(ErrorCode::TokenExchangeFailed).with_detail("the exchange did not return a JWT"));
    }
    Ok(token)
}

/// The `exp` claim of a JWT, read without checking the signature (only to
/// know how long to keep the token).
pub fn jwt_exp(token: &str) -> Option<i64> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("exp")?.as_i64()
}

/// Turns an exchange failure into TOKEN_EXCHANGE_FAILED unless it is a more
/// specific situation (API key, rate limit, server down).
pub fn exchange_error(e: AppError) -> AppError {
    match e.code {
        ErrorCode::ApiKeyMissingOrWrong
        | ErrorCode::RateLimited
        | ErrorCode::ServiceUnavailable
        | ErrorCode::Network => e,
        _ => {
            let mut x = AppError::new(ErrorCode::TokenExchangeFailed);
            x.detail = e.detail;
            x.trace_id = e.trace_id;
            x
        }
    }
}

/// A token and its lifetime in seconds, from `now` (Unix seconds).
pub fn token_with_lifetime(token: String, now: i64) -> (Secret, u64) {
    // The documented example lives 30 minutes; assume 5 when exp cannot be read.
    let life = jwt_exp(&token).map(|exp| (exp - now).max(0) as u64).unwrap_or(300);
    crate::logging::register_token(&token, std::time::Duration::from_secs(life));
    (Secret::new(token), life)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exchange_body_forms() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjEwMH0.c2ln";
        assert_eq!(parse_exchange_body(jwt).unwrap(), jwt);
        assert_eq!(parse_exchange_body(&format!("\"{jwt}\"\n")).unwrap(), jwt);
        assert_eq!(jwt_exp(jwt), Some(100));
        assert_eq!(parse_exchange_body("nope").unwrap_err().code, ErrorCode::TokenExchangeFailed);
    }
}
