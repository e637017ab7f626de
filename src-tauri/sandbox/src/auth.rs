//! Maskinporten (`/token`, metadata, JWKS), the Altinn token exchange and the
//! bearer-token checks used by the platform and Broker routes.

use std::collections::HashSet;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};

use crate::app::App;
use crate::errors::{self, oauth};
use crate::model::{strip_org, valid_org_number};

pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

pub fn routes() -> Router<App> {
    Router::new()
        .route("/token", post(token))
        .route("/.well-known/oauth-authorization-server", get(metadata))
        .route("/jwks", get(jwks))
        .route("/authentication/api/v1/exchange/{provider}", get(exchange))
        .route("/authentication/api/v1/openid/.well-known/openid-configuration", get(openid_configuration))
        .route("/authentication/api/v1/openid/jwks", get(jwks))
}

async fn metadata(State(app): State<App>) -> Response {
    let b = &app.base;
    errors::json_response(
        200,
        &json!({
            "issuer": app.issuer(),
            "token_endpoint": format!("{b}/token"),
            "jwks_uri": format!("{b}/jwks"),
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "grant_types_supported": [GRANT_TYPE],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256", "RS384", "RS512"],
            "authorization_details_types_supported": ["urn:altinn:systemuser"],
        }),
    )
}

async fn openid_configuration(State(app): State<App>) -> Response {
    errors::json_response(
        200,
        &json!({
            "issuer": app.altinn_issuer(),
            "jwks_uri": format!("{}/authentication/api/v1/openid/jwks", app.base),
            "id_token_signing_alg_values_supported": ["RS256"],
        }),
    )
}

async fn jwks(State(app): State<App>) -> Response {
    errors::json_response(200, &json!({"keys": [app.signer.jwk.clone()]}))
}

// ---------------------------------------------------------------------------
// Form parsing
// ---------------------------------------------------------------------------

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'+' {
            out.push(b' ');
        } else if b[i] == b'%' && i + 2 < b.len() {
            match std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(v) => {
                    out.push(v);
                    i += 3;
                    continue;
                }
                None => out.push(b'%'),
            }
        } else {
            out.push(b[i]);
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn b64json(seg: &str) -> Option<Value> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(seg.trim_end_matches('=')).ok()?).ok()
}

// ---------------------------------------------------------------------------
// POST /token
// ---------------------------------------------------------------------------

/// Claims a grant may carry (maskinporten_protocol_jwtgrant); anything else → invalid assertion.
const DOCUMENTED_CLAIMS: &[&str] = &[
    "aud",
    "iss",
    "scope",
    "iat",
    "exp",
    "jti",
    "authorization_details",
    "consumer_org",
    "resource",
    "pid",
    "iss_onbehalfof",
];

async fn token(State(app): State<App>, body: Bytes) -> Response {
    let form = parse_form(&body);
    let field = |k: &str| form.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
    if field("grant_type").as_deref() != Some(GRANT_TYPE) {
        return oauth("unsupported_grant_type", "MP-001", "Invalid grant_type");
    }
    let Some(assertion) = field("assertion") else {
        return oauth("invalid_request", "MP-002", "Missing assertion");
    };
    let parts: Vec<&str> = assertion.split('.').collect();
    if parts.len() != 3 {
        return oauth("invalid_grant", "MP-100", "Invalid assertion. Client authentication failed. Malformed JWT");
    }
    let (Some(hdr), Some(claims)) = (b64json(parts[0]), b64json(parts[1])) else {
        return oauth("invalid_grant", "MP-100", "Invalid assertion. Client authentication failed. Malformed JWT");
    };
    let alg = match hdr.get("alg").and_then(|v| v.as_str()) {
        Some("RS256") => Algorithm::RS256,
        Some("RS384") => Algorithm::RS384,
        Some("RS512") => Algorithm::RS512,
        other => {
            return oauth(
                "invalid_grant",
                "MP-100",
                &format!(
                    "Invalid assertion. Client authentication failed. Unsupported algorithm {}",
                    other.unwrap_or("(none)")
                ),
            )
        }
    };
    let iss = claims.get("iss").and_then(|v| v.as_str()).unwrap_or("").to_string();
    let client = app.read(|s| s.clients.get(&iss).cloned());
    let Some(client) = client else {
        return oauth("invalid_client", "MP-100", &format!("Invalid assertion. Client not found: {iss}"));
    };

    // Key: `kid` of a registered key, or an `x5c` business-certificate chain.
    let mut client_amr = "private_key_jwt";
    let key: DecodingKey = if let Some(kid) = hdr.get("kid").and_then(|v| v.as_str()) {
        let Some(jwk) = client.jwks.iter().find(|k| k.kid == kid) else {
            return oauth(
                "invalid_grant",
                "MP-100",
                &format!("Invalid assertion. Client authentication failed. Unknown kid {kid} for client {iss}"),
            );
        };
        match DecodingKey::from_rsa_components(&jwk.n, &jwk.e) {
            Ok(k) => k,
            Err(_) => {
                return oauth("invalid_grant", "MP-100", "Invalid assertion. Registered key is not a valid RSA key")
            }
        }
    } else if let Some(x5c) = hdr.get("x5c") {
        let Some(arr) = x5c.as_array() else {
            return oauth("invalid_grant", "MP-123", "Invalid assertion. x5c must be an array of certificates");
        };
        if !client.jwks.is_empty() && !client.allow_certificate {
            // A client with registered keys must use `kid`.
            return oauth("invalid_grant", "MP-100", "Invalid assertion. Client has registered keys; use kid");
        }
        let Some(der) = arr.first().and_then(|v| v.as_str()).and_then(|s| STANDARD.decode(s).ok()) else {
            return oauth("invalid_grant", "MP-123", "Invalid assertion. x5c does not hold a certificate");
        };
        match certificate_key(&der, app.clock.unix()) {
            Err(resp) => return resp,
            Ok((org, key)) => {
                if org.as_deref() != Some(client.org_number.as_str()) {
                    return oauth(
                        "invalid_grant",
                        "MP-122",
                        "Invalid assertion. The certificate is issued to another organization than the client owner",
                    );
                }
                client_amr = "virksomhetssertifikat";
                key
            }
        }
    } else {
        return oauth("invalid_grant", "MP-100", "Invalid assertion. Client authentication failed. Missing kid or x5c");
    };

    let mut v = Validation::new(alg);
    v.validate_exp = false;
    v.validate_nbf = false;
    v.validate_aud = false;
    v.required_spec_claims = HashSet::new();
    if jsonwebtoken::decode::<Value>(&assertion, &key, &v).is_err() {
        return oauth("invalid_grant", "MP-100", "Invalid assertion. Client authentication failed. Invalid signature");
    }

    if let Some(obj) = claims.as_object() {
        if let Some(k) = obj.keys().find(|k| !DOCUMENTED_CLAIMS.contains(&k.as_str())) {
            return oauth("invalid_grant", "MP-100", &format!("Invalid assertion. Unknown claim {k}"));
        }
    }
    if claims.get("aud").and_then(|v| v.as_str()) != Some(app.issuer().as_str()) {
        return oauth("invalid_grant", "MP-110", "Invalid assertion. Invalid audience (aud)");
    }
    let now = app.clock.unix();
    let (Some(iat), Some(exp)) =
        (claims.get("iat").and_then(|v| v.as_i64()), claims.get("exp").and_then(|v| v.as_i64()))
    else {
        return oauth("invalid_grant", "MP-130", "Invalid assertion. iat and exp are required");
    };
    if iat > now + 10 {
        return oauth("invalid_grant", "MP-130", "Invalid assertion. Issue time is after now");
    }
    if iat < now - 10 {
        return oauth("invalid_grant", "MP-130", "Invalid assertion. Issue time is too far in the past");
    }
    if exp - iat > 120 {
        return oauth("invalid_grant", "MP-130", "Invalid assertion. Expiry is more than 120 seconds after issue time");
    }
    if exp <= now {
        return oauth("invalid_grant", "MP-130", "Invalid assertion. JWT is expired");
    }
    let scope = claims.get("scope").and_then(|v| v.as_str()).unwrap_or("").to_string();
    let scopes: Vec<&str> = scope.split_whitespace().collect();
    if scopes.is_empty() {
        return oauth("invalid_scope", "MP-200", "Invalid scopes for client: no scope requested");
    }
    if let Some(bad) = scopes.iter().find(|s| !client.scopes.iter().any(|c| c == *s)) {
        return oauth("invalid_scope", "MP-200", &format!("Invalid scopes for client: {bad}"));
    }
    // A rehearsal organisation must still hold the grant behind each scope
    // (the API owner can withdraw it after the scope was put on the client).
    let withdrawn = app.read(|s| {
        s.is_realistic(&client.org_number)
            .then(|| scopes.iter().find(|sc| !s.onboarding.granted(&client.org_number, sc)).map(|x| x.to_string()))
            .flatten()
    });
    if let Some(sc) = withdrawn {
        return oauth("invalid_scope", "MP-250", &format!("Consumer has not been granted access to the scope {sc}"));
    }
    if let Some(co) = claims.get("consumer_org") {
        // Delegation through Altinn is not modelled: the client's own org is
        // documented as invalid, and no delegations exist in the sandbox.
        let _ = co;
        return oauth("invalid_grant", "MP-300", "Invalid assertion. Consumer has not delegated access to the scope");
    }

    // System user.
    let mut authz_out: Option<Value> = None;
    if let Some(ad) = claims.get("authorization_details") {
        let Some(items) = ad.as_array().filter(|a| a.len() == 1) else {
            return oauth("invalid_request", "MP-301", "Invalid authorization_details: exactly one entry is required");
        };
        let item = &items[0];
        if item.get("type").and_then(|v| v.as_str()) != Some("urn:altinn:systemuser") {
            return oauth("invalid_request", "MP-301", "Invalid authorization_details: unsupported type");
        }
        let id = item.pointer("/systemuser_org/ID").and_then(|v| v.as_str()).unwrap_or("");
        // `0192:<orgno>` is the documented form; Altinn's own test clients send
        // the bare number against TT02 and are answered
        // (docs/ALTINN.md#where-the-sources-disagree, issue 14).
        let org = id.strip_prefix("0192:").unwrap_or(id);
        if !(valid_org_number(org) || (org.len() == 9 && org.bytes().all(|b| b.is_ascii_digit()))) {
            return oauth(
                "invalid_request",
                "MP-302",
                "Invalid authorization_details: systemuser_org.ID must be 0192:<orgno>",
            );
        }
        let ext = item.get("externalRef").and_then(|v| v.as_str());
        let found = app.read(|s| {
            s.system_users
                .values()
                .find(|su| {
                    su.org_number == org
                        && s.systems
                            .get(&su.system_id)
                            .map(|sys| sys.client_ids.contains(&client.client_id))
                            .unwrap_or(false)
                        && match (&su.external_ref, ext) {
                            (Some(r), Some(e)) => r == e,
                            (Some(_), None) => false,
                            // externalRef defaults to the party org number.
                            (None, Some(e)) => e == su.org_number,
                            (None, None) => true,
                        }
                })
                .cloned()
        });
        let Some(su) = found else {
            return oauth(
                "invalid_altinn_customer_configuration",
                "MP-303",
                "No approved system user found for this client_id, organization and externalRef",
            );
        };
        authz_out = Some(json!([{
            "type": "urn:altinn:systemuser",
            "systemuser_id": [su.id.to_string()],
            "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{}", su.org_number)},
            "system_id": su.system_id,
        }]));
    }
    if let Some(jti) = claims.get("jti").and_then(|v| v.as_str()) {
        let reused = app.mutate(|s| {
            s.used_jtis.retain(|_, until| *until > now - 3600);
            if s.used_jtis.contains_key(jti) {
                true
            } else {
                s.used_jtis.insert(jti.to_string(), exp + 60);
                false
            }
        });
        if reused {
            return oauth("invalid_grant", "MP-012", "Invalid assertion. Grant is used before (jti)");
        }
    }

    let lifetime = app.read(|s| s.settings.maskinporten_token_lifetime_secs);
    let mut at = json!({
        "iss": app.issuer(),
        "client_amr": client_amr,
        "token_type": "Bearer",
        "client_id": client.client_id,
        "consumer": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{}", client.org_number)},
        "scope": scope,
        "iat": now,
        "exp": now + lifetime,
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    if let Some(a) = authz_out {
        at["authorization_details"] = a;
    }
    let token = app.signer.sign(&at);
    app.mutate(|s| *s.tokens_issued.entry(client.client_id.clone()).or_insert(0) += 1);
    errors::json_response(
        200,
        &json!({"access_token": token, "token_type": "Bearer", "expires_in": lifetime, "scope": scope}),
    )
}

/// Organisation number and RSA key of a business certificate (DER).
fn certificate_key(der: &[u8], now: i64) -> Result<(Option<String>, DecodingKey), Response> {
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
        return Err(oauth("invalid_grant", "MP-123", "Invalid assertion. x5c certificate cannot be parsed"));
    };
    let v = cert.validity();
    if v.not_after.timestamp() < now || v.not_before.timestamp() > now {
        return Err(oauth("invalid_grant", "MP-124", "Invalid assertion. The certificate is not valid now"));
    }
    // The same reading of the subject as the client's (serialNumber or organizationIdentifier).
    let org = budbringer_core::altinn::certificate::subject_org(&cert);
    let key = DecodingKey::from_rsa_der(&cert.public_key().subject_public_key.data);
    Ok((org, key))
}

// ---------------------------------------------------------------------------
// Bearer tokens on platform and Broker routes
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct Caller {
    pub claims: Value,
    pub scopes: Vec<String>,
    /// Caller org number (no prefix), if it can be derived.
    pub org: Option<String>,
    pub system_user: bool,
    pub client_id: String,
}

impl Caller {
    pub fn has_scope(&self, s: &str) -> bool {
        self.scopes.iter().any(|x| x == s)
    }
}

/// Validates `Authorization: Bearer` (sandbox-signed, Maskinporten or Altinn
/// issuer, lifetime with zero clock skew). Failure → 401 with an empty body.
pub fn authenticate(app: &App, headers: &HeaderMap) -> Result<Caller, Response> {
    authenticate_inner(app, headers, false)
}

/// Like [`authenticate`], but an expired (otherwise valid) token passes; used
/// for the TUS upload-session grace (TusUploadSessionAuthenticationHandler).
pub fn authenticate_allow_expired(app: &App, headers: &HeaderMap) -> Result<Caller, Response> {
    authenticate_inner(app, headers, true)
}

fn authenticate_inner(app: &App, headers: &HeaderMap, allow_expired: bool) -> Result<Caller, Response> {
    let Some(h) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Err(errors::unauthorized(false));
    };
    let Some(tok) = h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")) else {
        return Err(errors::unauthorized(false));
    };
    let Some(claims) = app.signer.verify(tok.trim()) else {
        return Err(errors::unauthorized(true));
    };
    let iss = claims.get("iss").and_then(|v| v.as_str()).unwrap_or("");
    if iss != app.issuer() && iss != app.altinn_issuer() {
        return Err(errors::unauthorized(true));
    }
    let now = app.clock.unix();
    let exp = claims.get("exp").and_then(|v| v.as_i64()).unwrap_or(0);
    if exp <= now && !allow_expired {
        return Err(errors::unauthorized(true));
    }
    if let Some(nbf) = claims.get("nbf").and_then(|v| v.as_i64()) {
        if nbf > now {
            return Err(errors::unauthorized(true));
        }
    }
    Ok(caller_from_claims(claims))
}

fn caller_from_claims(claims: Value) -> Caller {
    let scopes =
        claims.get("scope").and_then(|v| v.as_str()).unwrap_or("").split_whitespace().map(String::from).collect();
    // GetCallerOrganizationId: authorization_details first, then urn:altinn:orgNumber, then consumer.
    let su_org = claims.pointer("/authorization_details/0/systemuser_org/ID").and_then(|v| v.as_str()).map(strip_org);
    let system_user = su_org.is_some();
    let org = su_org
        .or_else(|| claims.get("urn:altinn:orgNumber").and_then(|v| v.as_str()).map(strip_org))
        .or_else(|| claims.pointer("/consumer/ID").and_then(|v| v.as_str()).map(strip_org));
    let client_id = claims.get("client_id").and_then(|v| v.as_str()).unwrap_or("").to_string();
    Caller { claims, scopes, org, system_user, client_id }
}

// ---------------------------------------------------------------------------
// GET /authentication/api/v1/exchange/maskinporten
// ---------------------------------------------------------------------------

async fn exchange(State(app): State<App>, Path(provider): Path<String>, headers: HeaderMap) -> Response {
    // ExchangeExternalSystemToken: a readable bearer token first (else 401),
    // then the provider (AuthenticationController.cs).
    let readable = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .filter(|h| h.len() > 7 && h[..7].eq_ignore_ascii_case("bearer "))
        .map(|h| h[7..].trim().split('.').count() == 3)
        .unwrap_or(false);
    if !readable {
        return errors::unauthorized(false);
    }
    match provider.to_ascii_lowercase().as_str() {
        "maskinporten" => {}
        // ID-porten and Altinn Studio keys never signed a sandbox token.
        "id-porten" | "altinnstudio" => return errors::unauthorized(true),
        _ => {
            let msg = format!(
                "Invalid token provider: {provider}. Trusted token providers are 'Maskinporten', 'Id-porten' and 'AltinnStudio'."
            );
            return string_result(400, msg, &headers);
        }
    }
    let caller = match authenticate(&app, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if caller.claims.get("iss").and_then(|v| v.as_str()) != Some(app.issuer().as_str()) {
        // Only Maskinporten tokens can be exchanged.
        return errors::unauthorized(true);
    }
    let now = app.clock.unix();
    let lifetime = app.read(|s| s.settings.altinn_token_lifetime_secs);
    let org = caller.org.clone().unwrap_or_default();
    // The Maskinporten claims carry over except aud, iss, client_amr and sid;
    // the new token gets Altinn's iss and a new sid.
    let mut claims = json!({
        "scope": caller.scopes.join(" "),
        "token_type": "Bearer",
        "sid": uuid::Uuid::new_v4().to_string(),
        "client_id": caller.client_id,
        "consumer": caller.claims.get("consumer").cloned().unwrap_or(Value::Null),
        "urn:altinn:orgNumber": org,
        "urn:altinn:authenticatemethod": "maskinporten",
        "urn:altinn:authlevel": 3,
        "iss": app.altinn_issuer(),
        "jti": uuid::Uuid::new_v4().to_string(),
        "iat": now, "nbf": now, "exp": now + lifetime,
    });
    if let Some(ad) = caller.claims.get("authorization_details") {
        claims["authorization_details"] = ad.clone();
    }
    let jwt = app.signer.sign(&claims);
    string_result(200, jwt, &headers)
}

/// An ASP.NET string result: text/plain unless the client asks for JSON, in
/// which case it is a quoted JSON string [inferred]; both forms are seen in
/// Altinn's own clients (docs/ALTINN.md#the-token-exchange).
fn string_result(status: u16, text: String, headers: &HeaderMap) -> Response {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(|a| a.contains("application/json"))
        .unwrap_or(false);
    let (body, ct) = if wants_json {
        (Value::String(text).to_string(), "application/json; charset=utf-8")
    } else {
        (text, "text/plain; charset=utf-8")
    };
    let mut r = body.into_response();
    *r.status_mut() = axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK);
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    r
}
