//! [`AltinnClient`]: signs grants, gets and caches tokens (Direct or
//! Exchanged), adds the API key, measures clock skew and sends Broker and
//! Altinn platform requests.

use crate::environment::Endpoints;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::network::{self, ProxySettings};
use crate::secrets::{Secret, SecretStore};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::exchange;
use super::grant::{GrantClaims, GrantSigner, KeyRef, SystemUserParty};
use super::maskinporten::{self, TokenResponse};
use super::problem::{error_from_response, is_gateway_key_error, network_error};
use super::profile::{self, KeySource, Profile, TokenMode, SYSTEM_ADMIN_SCOPES};
use super::tokens::TokenCache;

/// Above this many seconds between our clock and Altinn's, we stop before
/// Maskinporten refuses (it allows 10 s; MP-130).
pub const MAX_CLOCK_SKEW_SECS: i64 = 5;

/// The header carrying the APIM subscription key.
pub const API_KEY_HEADER: &str = "Ocp-Apim-Subscription-Key";

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Talks to Maskinporten, the Altinn platform and Broker for one profile.
/// Cheap to clone: clones share the connection pool, the signer and the token cache.
#[derive(Clone)]
pub struct AltinnClient {
    inner: Arc<Inner>,
}

struct Inner {
    profile: Profile,
    endpoints: Endpoints,
    secrets: Arc<dyn SecretStore>,
    http: reqwest::Client,
    api_key: Option<Secret>,
    signer: Mutex<Option<GrantSigner>>,
    tokens: TokenCache,
    grants_signed: AtomicU64,
    exchanges: AtomicU64,
    /// Server minus local, seconds; None until a `Date` header was seen.
    skew: Mutex<Option<i64>>,
}

impl std::fmt::Debug for AltinnClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AltinnClient")
            .field("environment", &self.inner.profile.environment)
            .field("broker_base", &self.inner.endpoints.broker_base)
            .finish_non_exhaustive()
    }
}

impl AltinnClient {
    /// A client for `profile` at `endpoints`. The private key and the API key
    /// are read from `secrets` (the key lazily, at the first grant).
    pub fn new(profile: Profile, endpoints: Endpoints, secrets: Arc<dyn SecretStore>) -> AppResult<Self> {
        Self::with_proxy(profile, endpoints, secrets, &ProxySettings::default())
    }

    /// Like [`new`](Self::new), through the given proxy setting (its password
    /// from `secrets`). HTTPS only outside the sandbox, redirects only on the
    /// same origin ([`crate::network`]).
    pub fn with_proxy(
        profile: Profile,
        endpoints: Endpoints,
        secrets: Arc<dyn SecretStore>,
        proxy: &ProxySettings,
    ) -> AppResult<Self> {
        let env = profile.environment;
        network::check_endpoints(env, &endpoints)?;
        let password = match proxy.username.as_deref() {
            Some(u) if !u.is_empty() && proxy.mode == network::ProxyMode::Manual => {
                secrets.get(network::PROXY_PASSWORD_SECRET)?
            }
            _ => None,
        };
        // The time limits and the identity come from the one builder (crate::http).
        let builder = crate::http::builder().https_only(network::https_only(env)).redirect(network::redirect_policy());
        let http = proxy
            .apply(builder, password.as_ref().map(|p| p.expose()))?
            .build()
            .map_err(|e| AppError::internal(format!("HTTP client: {e}")))?;
        Self::with_http(profile, endpoints, secrets, http)
    }

    /// Like [`new`](Self::new) with a given HTTP client (to share its pool).
    pub fn with_http(
        profile: Profile,
        endpoints: Endpoints,
        secrets: Arc<dyn SecretStore>,
        http: reqwest::Client,
    ) -> AppResult<Self> {
        network::check_endpoints(profile.environment, &endpoints)?;
        let api_key = secrets.get(&profile::api_key_secret(profile.environment))?;
        if let Some(k) = &api_key {
            crate::logging::register_secret(k.expose());
        }
        Ok(AltinnClient {
            inner: Arc::new(Inner {
                profile,
                endpoints,
                secrets,
                http,
                api_key,
                signer: Mutex::new(None),
                tokens: TokenCache::new(),
                grants_signed: AtomicU64::new(0),
                exchanges: AtomicU64::new(0),
                skew: Mutex::new(None),
            }),
        })
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// The secret store the client reads its key from.
    pub fn secrets(&self) -> &dyn SecretStore {
        self.inner.secrets.as_ref()
    }

    pub fn profile(&self) -> &Profile {
        &self.inner.profile
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.inner.endpoints
    }

    /// `{platform}/broker/api/v1`.
    pub fn broker_base(&self) -> &str {
        &self.inner.endpoints.broker_base
    }

    /// `{platform}` (authentication, system register).
    pub fn platform_base(&self) -> &str {
        &self.inner.endpoints.platform_base
    }

    /// Grants signed by this client (and its clones).
    pub fn grants_signed(&self) -> u64 {
        self.inner.grants_signed.load(Ordering::SeqCst)
    }

    /// Token exchanges done by this client.
    pub fn exchanges_done(&self) -> u64 {
        self.inner.exchanges.load(Ordering::SeqCst)
    }

    /// Last measured clock skew, seconds (server minus local).
    pub fn clock_skew(&self) -> Option<i64> {
        *self.inner.skew.lock().expect("skew lock")
    }

    pub fn has_api_key(&self) -> bool {
        self.inner.api_key.is_some()
    }

    /// Records the skew from a response's `Date` header.
    pub fn record_date(&self, headers: &reqwest::header::HeaderMap) {
        if let Some(d) = headers.get(reqwest::header::DATE).and_then(|v| v.to_str().ok()) {
            self.record_date_str(d);
        }
    }

    fn record_date_str(&self, date: &str) {
        if let Ok(t) = httpdate::parse_http_date(date) {
            if let Ok(d) = t.duration_since(std::time::UNIX_EPOCH) {
                let server = d.as_secs() as i64;
                // The header has whole seconds: round our clock the same way.
                let skew = server - unix_now();
                *self.inner.skew.lock().expect("skew lock") = Some(skew);
            }
        }
    }

    fn skew_error(skew: i64) -> AppError {
        let dir = if skew > 0 { "behind" } else { "ahead of" };
        AppError::new(ErrorCode::ClockSkew).with_detail(format!(
            "this computer's clock is {} s {dir} Altinn's clock (limit {MAX_CLOCK_SKEW_SECS} s)",
            skew.abs()
        ))
    }

    /// Measures the skew with a small request to Maskinporten's metadata.
    pub async fn measure_clock(&self) -> AppResult<i64> {
        let url = format!("{}.well-known/oauth-authorization-server", self.inner.endpoints.maskinporten_issuer);
        let resp = self.inner.http.get(&url).send().await.map_err(|e| network_error(&e))?;
        self.record_date(resp.headers());
        self.clock_skew().ok_or_else(|| AppError::new(ErrorCode::Network).with_detail("the server sent no Date header"))
    }

    /// Fails with CLOCK_SKEW when the clock is off by more than 5 s. Measures
    /// first when nothing is known, and again when the last value was bad.
    pub async fn check_clock(&self) -> AppResult<i64> {
        let skew = match self.clock_skew() {
            Some(s) if s.abs() <= MAX_CLOCK_SKEW_SECS => s,
            _ => self.measure_clock().await?,
        };
        if skew.abs() > MAX_CLOCK_SKEW_SECS {
            return Err(Self::skew_error(skew));
        }
        Ok(skew)
    }

    /// The grant signer, loading the private key from the secret store once.
    pub fn signer(&self) -> AppResult<GrantSigner> {
        let mut g = self.inner.signer.lock().expect("signer lock");
        if let Some(s) = g.as_ref() {
            return Ok(s.clone());
        }
        let p = &self.inner.profile;
        let pem = self.inner.secrets.get(&profile::private_key_secret(p.environment))?.ok_or_else(|| {
            AppError::new(ErrorCode::KeyMissing).with_detail(format!("no private key for {}", p.environment.as_str()))
        })?;
        let key_ref = if p.key_source == Some(KeySource::Certificate) {
            if p.certificate_chain.is_empty() {
                return Err(AppError::new(ErrorCode::KeyMissing)
                    .with_detail("the certificate chain is missing; import the .p12 again"));
            }
            KeyRef::X5c(p.certificate_chain.clone())
        } else {
            let kid = p
                .kid
                .clone()
                .filter(|k| !k.is_empty())
                .ok_or_else(|| AppError::new(ErrorCode::ProfileIncomplete).with_detail("missing: kid"))?;
            KeyRef::Kid(kid)
        };
        let s = GrantSigner::from_pem(pem.expose(), key_ref)?;
        *g = Some(s.clone());
        Ok(s)
    }

    fn system_user_party(&self) -> Option<SystemUserParty> {
        let p = &self.inner.profile;
        p.system_user.enabled.then(|| SystemUserParty {
            org_number: p.org_number.clone(),
            external_ref: p.system_user.external_ref.clone(),
        })
    }

    /// Builds and signs one grant (counted in [`grants_signed`](Self::grants_signed)).
    pub fn sign_grant(&self, scope: &str, system_user: bool) -> AppResult<String> {
        let p = &self.inner.profile;
        p.check_ready()?;
        let signer = self.signer()?;
        let party = if system_user { self.system_user_party() } else { None };
        let claims = GrantClaims::new(
            &self.inner.endpoints.maskinporten_issuer,
            &p.client_id,
            scope,
            unix_now(),
            party.as_ref(),
        );
        let jwt = signer.sign(&claims)?;
        self.inner.grants_signed.fetch_add(1, Ordering::SeqCst);
        Ok(jwt)
    }

    /// Posts a grant to Maskinporten and records the clock skew from the answer.
    pub async fn post_grant(&self, assertion: &str) -> AppResult<TokenResponse> {
        let (result, date) =
            maskinporten::request_token(&self.inner.http, &self.inner.endpoints.maskinporten_token, assertion).await;
        if let Some(d) = &date {
            self.record_date_str(d);
        }
        result.map_err(|e| {
            if e.code == ErrorCode::ClockSkew {
                if let Some(s) = self.clock_skew() {
                    let d = e.detail.clone().unwrap_or_default();
                    return AppError { detail: Some(format!("{d}; measured skew {s} s")), ..e };
                }
            }
            e
        })
    }

    /// A fresh Maskinporten token (no cache): clock check, grant, token request.
    pub async fn fetch_maskinporten_token(&self, scope: &str, system_user: bool) -> AppResult<TokenResponse> {
        self.inner.profile.check_ready()?;
        self.check_clock().await?;
        let grant = self.sign_grant(scope, system_user)?;
        self.post_grant(&grant).await
    }

    /// A cached Maskinporten token for `scope`.
    pub async fn maskinporten_token(&self, scope: &str, system_user: bool) -> AppResult<Secret> {
        let system_user = system_user && self.inner.profile.system_user.enabled;
        let key = format!("mp|{scope}|{}", if system_user { "su" } else { "org" });
        self.inner
            .tokens
            .get_or_fetch(&key, || async {
                let t = self.fetch_maskinporten_token(scope, system_user).await?;
                Ok((t.access_token, t.expires_in))
            })
            .await
    }

    /// Exchanges a Maskinporten token for an Altinn token (no cache).
    pub async fn exchange(&self, maskinporten_token: &Secret) -> AppResult<(Secret, u64)> {
        let url = format!("{}/authentication/api/v1/exchange/maskinporten", self.inner.endpoints.platform_base);
        let req = self.with_api_key(self.inner.http.get(&url).bearer_auth(maskinporten_token.expose()));
        let resp = req.send().await.map_err(|e| network_error(&e))?;
        self.record_date(resp.headers());
        self.inner.exchanges.fetch_add(1, Ordering::SeqCst);
        if !resp.status().is_success() {
            return Err(exchange::exchange_error(error_from_response(resp).await));
        }
        let body = network::text_capped(resp, network::MAX_TOKEN_BODY, "token exchange").await?;
        let token = exchange::parse_exchange_body(&body)?;
        Ok(exchange::token_with_lifetime(token, unix_now() + self.clock_skew().unwrap_or(0)))
    }

    fn broker_scope(&self) -> String {
        self.inner.profile.broker_scope()
    }

    fn broker_key(&self, mode: TokenMode) -> String {
        let su = if self.inner.profile.system_user.enabled { "su" } else { "org" };
        match mode {
            TokenMode::Direct => format!("mp|{}|{su}", self.broker_scope()),
            TokenMode::Exchanged => format!("altinn|{}|{su}", self.broker_scope()),
        }
    }

    /// The Broker token in the profile's mode.
    pub async fn broker_token(&self) -> AppResult<Secret> {
        self.broker_token_in(self.inner.profile.token_mode).await
    }

    /// The Broker token in a given mode (used by the connection test).
    pub async fn broker_token_in(&self, mode: TokenMode) -> AppResult<Secret> {
        let scope = self.broker_scope();
        match mode {
            TokenMode::Direct => self.maskinporten_token(&scope, true).await,
            TokenMode::Exchanged => {
                let key = self.broker_key(TokenMode::Exchanged);
                self.inner
                    .tokens
                    .get_or_fetch(&key, || async {
                        let mp = self.maskinporten_token(&scope, true).await?;
                        self.exchange(&mp).await
                    })
                    .await
            }
        }
    }

    /// Forgets every cached token (Broker and admin). After a 401 seen
    /// outside [`send_broker`](Self::send_broker), prefer
    /// [`invalidate_broker_token`](Self::invalidate_broker_token) when
    /// several tasks may see the same 401.
    pub fn invalidate_token(&self) {
        self.inner.tokens.clear();
    }

    /// Forgets the Broker token `used` after a 401 seen outside
    /// [`send_broker`](Self::send_broker) (TUS), unless it has been replaced
    /// already: many callers that saw the same 401 cause one refresh.
    pub async fn invalidate_broker_token(&self, used: &Secret) {
        self.invalidate_used(self.inner.profile.token_mode, used).await;
    }

    async fn invalidate_used(&self, mode: TokenMode, used: &Secret) {
        self.inner.tokens.invalidate(&self.broker_key(mode), Some(used)).await;
        if mode == TokenMode::Exchanged {
            // The Maskinporten token behind it may be stale too.
            self.inner.tokens.invalidate(&self.broker_key(TokenMode::Direct), None).await;
        }
    }

    fn with_api_key(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.inner.api_key {
            Some(k) => req.header(API_KEY_HEADER, k.expose()),
            None => req,
        }
    }

    /// Sends a request with a given bearer token (plus the API key), once,
    /// recording the clock skew. For the connection test and TUS callers.
    pub async fn send_with_token<F>(&self, build: F, token: &Secret) -> AppResult<reqwest::Response>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        self.send_once(build(&self.inner.http), token).await
    }

    async fn send_once(&self, req: reqwest::RequestBuilder, token: &Secret) -> AppResult<reqwest::Response> {
        let resp = self.with_api_key(req.bearer_auth(token.expose())).send().await.map_err(|e| network_error(&e))?;
        self.record_date(resp.headers());
        Ok(resp)
    }

    /// Sends a Broker request built by `build` with the Broker token (in the
    /// profile's mode), the API key when configured, and records clock skew.
    /// Any status other than 401 is returned as `Ok` for the caller to judge.
    /// On a 401 with an empty body (token missing, invalid or expired) the
    /// token is refreshed once and the request rebuilt and sent again; a
    /// second 401, a gateway key refusal or a Broker `BRO-00006` is returned
    /// as the mapped error.
    pub async fn send_broker<F>(&self, build: F) -> AppResult<reqwest::Response>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        self.send_broker_in(self.inner.profile.token_mode, build).await
    }

    /// [`send_broker`](Self::send_broker) in a given token mode.
    pub async fn send_broker_in<F>(&self, mode: TokenMode, build: F) -> AppResult<reqwest::Response>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        let token = self.broker_token_in(mode).await?;
        let resp = self.send_once(build(&self.inner.http), &token).await?;
        if resp.status() != reqwest::StatusCode::UNAUTHORIZED {
            return Ok(resp);
        }
        let body = network::text_prefix(resp, network::MAX_ERROR_BODY).await;
        if !body.trim().is_empty() {
            // A gateway key refusal or BRO-00006: a new token will not help.
            return Err(super::problem::error_from_parts(401, None, &body));
        }
        self.invalidate_used(mode, &token).await;
        let token = self.broker_token_in(mode).await?;
        let resp = self.send_once(build(&self.inner.http), &token).await?;
        if resp.status() == reqwest::StatusCode::UNAUTHORIZED {
            return Err(error_from_response(resp).await);
        }
        Ok(resp)
    }

    /// The token for the system register and system-user requests
    /// (Maskinporten, no system user, the three admin scopes).
    /// A scope refusal here means the vendor registration is missing (the
    /// scopes come from Digdir, not the service desk), so it gets its own code.
    pub async fn admin_token(&self) -> AppResult<Secret> {
        self.maskinporten_token(&SYSTEM_ADMIN_SCOPES.join(" "), false).await.map_err(system_scopes)
    }

    /// Sends an Altinn platform request with the admin token and API key.
    /// Non-2xx answers become mapped errors (404 is returned as `Ok(None)`
    /// when `not_found_ok`).
    pub async fn send_platform<F>(&self, build: F, not_found_ok: bool) -> AppResult<Option<reqwest::Response>>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        let mut token = self.admin_token().await?;
        for attempt in 0..2 {
            let resp = self.send_once(build(&self.inner.http), &token).await?;
            let status = resp.status();
            if status.is_success() {
                return Ok(Some(resp));
            }
            if status == reqwest::StatusCode::NOT_FOUND && not_found_ok {
                return Ok(None);
            }
            if status == reqwest::StatusCode::UNAUTHORIZED && attempt == 0 {
                let body = network::text_prefix(resp, network::MAX_ERROR_BODY).await;
                if !body.trim().is_empty() || is_gateway_key_error(401, &body) {
                    return Err(super::problem::error_from_parts(401, None, &body));
                }
                let key = format!("mp|{}|org", SYSTEM_ADMIN_SCOPES.join(" "));
                self.inner.tokens.invalidate(&key, Some(&token)).await;
                token = self.admin_token().await?;
                continue;
            }
            if status == reqwest::StatusCode::FORBIDDEN {
                let e = error_from_response(resp).await;
                if e.code == ErrorCode::BrokerScopeMissing {
                    return Err(AppError::new(ErrorCode::SystemScopesNotGranted)
                        .with_detail(format!("the token lacks one of {}", SYSTEM_ADMIN_SCOPES.join(", "))));
                }
                return Err(e);
            }
            return Err(error_from_response(resp).await);
        }
        Err(AppError::new(ErrorCode::TokenRejected))
    }
}

/// MP-200/MP-250 for the system-register scopes: the organisation is not (yet)
/// a registered end-user-system vendor, or the scopes are not on the client.
fn system_scopes(e: AppError) -> AppError {
    match e.code {
        ErrorCode::ScopeNotGranted | ErrorCode::ScopeNotAvailable => {
            let detail = e.detail.unwrap_or_default();
            let mut out = AppError::new(ErrorCode::SystemScopesNotGranted).with_detail(detail);
            out.trace_id = e.trace_id;
            out
        }
        _ => e,
    }
}
