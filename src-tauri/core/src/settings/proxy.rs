//! The proxy setting: the operating system's (the default), none, or one
//! given by hand. A proxy URL must not carry a user name or password:
//! settings are not a place for secrets.

use crate::error::{AppError, AppResult};

/// The stored form of `"none"`.
pub const NO_PROXY: &str = "none";

/// Checks a proxy as typed or deployed: `"system"` or empty gives `None` (use
/// the operating system's settings), `"none"` gives `Some("none")`, and
/// `http://host:port`, `https://…` or `socks5://…` is kept as given.
pub fn parse_proxy(input: &str) -> AppResult<Option<String>> {
    let s = input.trim();
    if s.is_empty() || s.eq_ignore_ascii_case("system") {
        return Ok(None);
    }
    if s.eq_ignore_ascii_case(NO_PROXY) {
        return Ok(Some(NO_PROXY.into()));
    }
    let bad = |why: &str| AppError::invalid_input(format!("proxy '{s}': {why}"));
    let (scheme, rest) = s.split_once("://").ok_or_else(|| bad("use http://host:port"))?;
    if !["http", "https", "socks5", "socks5h"].contains(&scheme.to_ascii_lowercase().as_str()) {
        return Err(bad("the scheme must be http, https or socks5"));
    }
    let authority = rest.split('/').next().unwrap_or("");
    if authority.contains('@') {
        // Never echo the value: it may hold a password.
        return Err(AppError::invalid_input("a proxy address must not contain a user name or password"));
    }
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if !h.ends_with(']') || h.starts_with('[') => {
            port.parse::<u16>().map_err(|_| bad("the port must be a number"))?;
            h
        }
        _ => authority,
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(bad("no host name"));
    }
    Ok(Some(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxies_are_checked() {
        assert_eq!(parse_proxy("system").unwrap(), None);
        assert_eq!(parse_proxy(" ").unwrap(), None);
        assert_eq!(parse_proxy("NONE").unwrap().as_deref(), Some("none"));
        assert_eq!(
            parse_proxy("http://proxy.kommune.no:8080").unwrap().as_deref(),
            Some("http://proxy.kommune.no:8080")
        );
        assert_eq!(parse_proxy("http://10.0.0.1:3128/").unwrap().as_deref(), Some("http://10.0.0.1:3128/"));
        assert!(parse_proxy("https://[::1]:8443").is_ok());
        assert!(parse_proxy("proxy:8080").is_err());
        assert!(parse_proxy("ftp://proxy:21").is_err());
        assert!(parse_proxy("http://proxy:port").is_err());
        assert!(parse_proxy("http://:8080").is_err());
        let e = parse_proxy("http://kari:hemmelig@proxy:8080").unwrap_err();
        assert!(!format!("{e:?}").contains("hemmelig"), "{e:?}");
    }
}
