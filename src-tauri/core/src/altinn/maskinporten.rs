//! The Maskinporten token request (`docs/ALTINN.md#the-token-request`).

use crate::error::{AppError, AppResult};
use crate::secrets::Secret;
use serde::Deserialize;

use super::problem::{maskinporten_error, network_error};

pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    scope: Option<String>,
}

/// A Maskinporten access token.
#[derive(Debug, Clone)]
pub struct TokenResponse {
    pub access_token: Secret,
    pub expires_in: u64,
    pub scope: Option<String>,
}

/// Sends a signed grant to the token endpoint. Returns the token, or the
/// mapped Maskinporten error, plus the response's `Date` header.
pub async fn request_token(
    http: &reqwest::Client,
    token_endpoint: &str,
    assertion: &str,
) -> (AppResult<TokenResponse>, Option<String>) {
    let resp = http
        .post(token_endpoint)
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&[("grant_type", GRANT_TYPE), ("assertion", assertion)])
        .send()
        .await;
    let resp = match resp {
        Ok(r) => r,
        Err(e) => return (Err(network_error(&e)), None),
    };
    let date = resp.headers().get(reqwest::header::DATE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let status = resp.status().as_u16();
    if status != 200 {
        let body = crate::network::text_prefix(resp, crate::network::MAX_ERROR_BODY).await;
        return (Err(maskinporten_error(status, &body)), date);
    }
    let body = match crate::network::text_capped(resp, crate::network::MAX_TOKEN_BODY, "Maskinporten").await {
        Ok(b) => b,
        Err(e) => return (Err(e), date),
    };
    let parsed: TokenBody = match serde_json::from_str(&body) {
        Ok(b) => b,
        // A 200 whose body is not a token was broken off on the way (a cut
        // connection, a proxy): a network failure, tried again, not a bug of ours.
        Err(e) => {
            let detail = format!("Maskinporten's answer broke off or was not a token: {e}");
            return (Err(AppError::new(crate::error::ErrorCode::Network).with_detail(detail)), date);
        }
    };
    crate::logging::register_token(
        &parsed.access_token,
        std::time::Duration::from_secs(parsed.expires_in.unwrap_or(60)),
    );
    (
        Ok(TokenResponse {
            access_token: Secret::new(parsed.access_token),
            // The documented example is 599 s; assume 60 when absent.
            expires_in: parsed.expires_in.unwrap_or(60),
            scope: parsed.scope,
        }),
        date,
    )
}
