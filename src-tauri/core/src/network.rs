//! The rules every connection to Maskinporten and Altinn follows
//! (docs/SECURITY.md, "The network"):
//!
//! * **HTTPS only** for Test (TT02) and Production: an `http://` address is
//!   refused before anything is sent, and reqwest's `https_only` refuses one
//!   that turns up later (a redirect). The practice sandbox runs on this
//!   computer, over plain HTTP on the loopback address.
//! * **Redirects stay on their origin.** reqwest's default policy follows any
//!   redirect and drops only the standard credential headers (`Authorization`,
//!   `Cookie`, `Proxy-Authorization`, `WWW-Authenticate`) when the host
//!   changes: the API key header `Ocp-Apim-Subscription-Key` would travel on
//!   to the other host. Altinn's APIs do not redirect to other hosts, so such
//!   a redirect is refused: no header of ours reaches a host we did not name.
//! * **Answers read whole are capped** ([`read_capped`], [`text_prefix`]): a
//!   server (or something in between) that sends an endless answer gets a
//!   named error, not our memory.
//! * **Proxies**: the operating system's settings by default, or the user's
//!   own ([`ProxySettings`]); its password lives in the keyring only.

use crate::environment::{Endpoints, Environment};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::settings::{proxy, Settings};
use reqwest::redirect::{Attempt, Policy};
use reqwest::Url;

/// The most read of a Maskinporten or token-exchange answer (a token is a few kB).
pub const MAX_TOKEN_BODY: usize = 64 * 1024;
/// The most read of an Altinn platform JSON answer (system register, system users).
pub const MAX_PLATFORM_BODY: usize = 1024 * 1024;
/// The most read of an error answer; the rest is dropped unread.
pub const MAX_ERROR_BODY: usize = 64 * 1024;
/// Redirects followed at most (on the same origin).
pub const MAX_REDIRECTS: usize = 5;

/// Whether `env` must be reached over HTTPS.
pub fn https_only(env: Environment) -> bool {
    env != Environment::Sandbox
}

/// Refuses endpoints that are not HTTPS in Test and Production.
pub fn check_endpoints(env: Environment, e: &Endpoints) -> AppResult<()> {
    if !https_only(env) {
        return Ok(());
    }
    for url in [&e.maskinporten_issuer, &e.maskinporten_token, &e.platform_base, &e.broker_base] {
        check_url(env, url)?;
    }
    Ok(())
}

/// Refuses an address that is not HTTPS in Test and Production.
pub fn check_url(env: Environment, url: &str) -> AppResult<()> {
    let https = Url::parse(url).map(|u| u.scheme() == "https").unwrap_or(false);
    if https_only(env) && !https {
        return Err(AppError::new(ErrorCode::InsecureUrl)
            .with_detail(format!("{} is reached over HTTPS only, not {url}", env.as_str())));
    }
    Ok(())
}

/// Follows a redirect only to the same scheme, host and port, at most [`MAX_REDIRECTS`] times.
pub fn redirect_policy() -> Policy {
    Policy::custom(|attempt: Attempt| {
        let same = attempt.previous().last().is_some_and(|prev| same_origin(prev, attempt.url()));
        if !same {
            let to = origin(attempt.url());
            attempt
                .error(format!("redirect to another host ({to}) refused: our credentials go only where we send them"))
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme() && a.host_str() == b.host_str() && a.port_or_known_default() == b.port_or_known_default()
}

fn origin(u: &Url) -> String {
    format!("{}://{}", u.scheme(), u.host_str().unwrap_or(""))
}

/// Where the connections go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProxyMode {
    /// The operating system's proxy settings: Windows' Internet Options and macOS's network
    /// settings (a fixed proxy server, not a PAC script), and `HTTPS_PROXY`, `HTTP_PROXY`,
    /// `ALL_PROXY` and `NO_PROXY` everywhere.
    #[default]
    System,
    /// The proxy given in Settings.
    Manual,
    /// Straight out, whatever the system says.
    Off,
}

/// The proxy a client is made with, from the settings ([`ProxySettings::from_settings`]).
/// The password, when the proxy needs one, is kept in the keyring
/// ([`PROXY_PASSWORD_SECRET`]), never in the settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProxySettings {
    pub mode: ProxyMode,
    /// `http://host:port` (or `https://`, `socks5://`) for [`ProxyMode::Manual`].
    pub url: Option<String>,
    /// Hosts reached without the proxy, comma-separated (`.intern.no, 10.0.0.0/8`).
    pub no_proxy: Option<String>,
    /// For a proxy that asks for a user name and password (Basic).
    pub username: Option<String>,
}

/// The keyring entry of the manual proxy's password.
pub const PROXY_PASSWORD_SECRET: &str = "proxy-password";

impl ProxySettings {
    /// The settings' proxy: `proxy` `None` is the system's, `"none"` none, else the URL given.
    pub fn from_settings(s: &Settings) -> Self {
        let mode = match s.proxy.as_deref() {
            None => ProxyMode::System,
            Some(p) if p.eq_ignore_ascii_case(proxy::NO_PROXY) => ProxyMode::Off,
            Some(_) => ProxyMode::Manual,
        };
        let manual = mode == ProxyMode::Manual;
        ProxySettings {
            mode,
            url: s.proxy.clone().filter(|_| manual),
            no_proxy: s.no_proxy.clone().filter(|_| manual),
            username: s.proxy_user.clone().filter(|u| manual && !u.trim().is_empty()),
        }
    }

    /// Checks a setting before it is saved.
    pub fn validate(&self) -> AppResult<()> {
        if self.mode != ProxyMode::Manual {
            return Ok(());
        }
        let raw = self.url.as_deref().map(str::trim).unwrap_or_default();
        let bad = |why: &str| AppError::new(ErrorCode::ProxyInvalid).with_detail(why.to_owned());
        let url = Url::parse(raw).map_err(|e| bad(&format!("{raw:?}: {e}")))?;
        if !["http", "https", "socks5", "socks5h"].contains(&url.scheme()) {
            return Err(bad("the address must start with http://, https:// or socks5://"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("the address has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            // A password in the address would be saved in settings.json, which is not secret.
            return Err(bad("put the user name and password in their own fields, not in the address"));
        }
        Ok(())
    }

    /// Applies the setting to a client builder. `password` is the keyring's.
    pub fn apply(&self, builder: reqwest::ClientBuilder, password: Option<&str>) -> AppResult<reqwest::ClientBuilder> {
        match self.mode {
            // reqwest reads the system's settings (its `system-proxy` feature) unless told otherwise.
            ProxyMode::System => Ok(builder),
            ProxyMode::Off => Ok(builder.no_proxy()),
            ProxyMode::Manual => {
                self.validate()?;
                let url = self.url.as_deref().unwrap_or_default().trim();
                let mut proxy = reqwest::Proxy::all(url)
                    .map_err(|e| AppError::new(ErrorCode::ProxyInvalid).with_detail(e.to_string()))?;
                if let Some(user) = self.username.as_deref().filter(|u| !u.is_empty()) {
                    proxy = proxy.basic_auth(user, password.unwrap_or_default());
                }
                proxy = proxy.no_proxy(self.no_proxy.as_deref().and_then(reqwest::NoProxy::from_string));
                Ok(builder.proxy(proxy))
            }
        }
    }
}

/// The body, or MALFORMED_RESPONSE when it is longer than `cap` (read no further).
pub async fn read_capped(mut resp: reqwest::Response, cap: usize, what: &str) -> AppResult<Vec<u8>> {
    let too_large = |n: u64| {
        AppError::new(ErrorCode::MalformedResponse)
            .with_detail(format!("{what}: the answer is larger than {cap} bytes ({n} or more)"))
    };
    if let Some(len) = resp.content_length().filter(|l| *l > cap as u64) {
        return Err(too_large(len));
    }
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| network(&e))? {
        if buf.len() + chunk.len() > cap {
            return Err(too_large((buf.len() + chunk.len()) as u64));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// [`read_capped`] as text (invalid UTF-8 replaced).
pub async fn text_capped(resp: reqwest::Response, cap: usize, what: &str) -> AppResult<String> {
    Ok(String::from_utf8_lossy(&read_capped(resp, cap, what).await?).into_owned())
}

/// At most `cap` bytes of the body as text, for error answers (which are only
/// parsed for a code and shown); the rest is not read.
pub async fn text_prefix(resp: reqwest::Response, cap: usize) -> String {
    String::from_utf8_lossy(&bytes_prefix(resp, cap).await).into_owned()
}

/// At most `cap` bytes of the body; the rest is not read, and a body that
/// breaks off gives what came.
async fn bytes_prefix(mut resp: reqwest::Response, cap: usize) -> Vec<u8> {
    let mut buf = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        let room = cap - buf.len();
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if buf.len() >= cap {
            break;
        }
    }
    buf
}

fn network(e: &reqwest::Error) -> AppError {
    AppError::new(ErrorCode::Network).with_detail(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_and_production_are_https_only() {
        let sandbox = Environment::Sandbox.endpoints(Some("http://127.0.0.1:5000")).unwrap();
        check_endpoints(Environment::Sandbox, &sandbox).unwrap();
        for env in [Environment::Tt02, Environment::Production] {
            check_endpoints(env, &env.endpoints(None).unwrap()).unwrap();
            assert_eq!(check_endpoints(env, &sandbox).unwrap_err().code, ErrorCode::InsecureUrl);
            let mut mixed = env.endpoints(None).unwrap();
            mixed.broker_base = mixed.broker_base.replace("https://", "http://");
            assert_eq!(check_endpoints(env, &mixed).unwrap_err().code, ErrorCode::InsecureUrl);
            assert_eq!(check_url(env, "not a url").unwrap_err().code, ErrorCode::InsecureUrl);
        }
    }

    #[test]
    fn manual_proxies_are_checked_and_keep_no_password() {
        let manual = |url: &str| ProxySettings { mode: ProxyMode::Manual, url: Some(url.into()), ..Default::default() };
        manual("http://proxy.kommune.no:8080").validate().unwrap();
        manual("socks5://127.0.0.1:1080").validate().unwrap();
        for bad in ["", "proxy:8080", "ftp://proxy:21", "http://user:secret@proxy:8080", "http://user@proxy:8080"] {
            assert_eq!(manual(bad).validate().unwrap_err().code, ErrorCode::ProxyInvalid, "{bad}");
        }
        // Off and System need no address.
        ProxySettings { mode: ProxyMode::Off, ..Default::default() }.validate().unwrap();
        ProxySettings::default().validate().unwrap();
        // The settings' forms: none is the system's, "none" is off, a URL is manual (with its list and user).
        let mut s =
            Settings { no_proxy: Some(".intern.no".into()), proxy_user: Some("kari".into()), ..Default::default() };
        assert_eq!(ProxySettings::from_settings(&s), ProxySettings::default());
        s.proxy = Some("none".into());
        assert_eq!(ProxySettings::from_settings(&s), ProxySettings { mode: ProxyMode::Off, ..Default::default() });
        s.proxy = Some("http://proxy:8080".into());
        let m = ProxySettings::from_settings(&s);
        assert_eq!(
            (m.mode, m.url.as_deref(), m.no_proxy.as_deref()),
            (ProxyMode::Manual, Some("http://proxy:8080"), Some(".intern.no"))
        );
        assert_eq!(m.username.as_deref(), Some("kari"));
    }
}
