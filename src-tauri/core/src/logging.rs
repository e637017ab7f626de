//! Logging with `tracing` to a daily-rotating file in the app's log folder,
//! with secrets redacted before anything reaches the disk.
//!
//! Redaction has two layers: every value that passes through a
//! [`SecretStore`](crate::secrets::SecretStore) and every token issued is
//! registered here and masked wherever it appears, and patterns that look
//! like secrets (JWTs, PEM private keys, bearer tokens, the API-key header)
//! are masked whatever their origin.
//!
//! The register is bounded: an app left running for weeks gets a new token
//! every few minutes, and every log line is checked against every entry.
//! A token is kept until a while after it expires (after that it opens
//! nothing, and the JWT pattern still masks it), at most [`MAX_TOKENS`] of
//! them; lasting secrets (keys, the API key) at most [`MAX_LASTING`], the
//! oldest going first.

use regex::Regex;
use std::io::{self, Write};
use std::path::Path;
use std::sync::{LazyLock, RwLock};
use std::time::{Duration, Instant};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

pub const REDACTED: &str = "[REDACTED]";

/// Secrets shorter than this are not registered: masking every occurrence of
/// a short string would shred ordinary log text, and real secrets are long.
const MIN_SECRET_LEN: usize = 8;

/// Lasting secrets (private keys, the API key) kept at most.
pub const MAX_LASTING: usize = 64;
/// Tokens kept at most (Budbringer holds a handful at a time).
pub const MAX_TOKENS: usize = 256;
/// How long a token is masked after it expires.
pub const TOKEN_GRACE: Duration = Duration::from_secs(15 * 60);

struct Registered {
    value: String,
    /// When a token stops being masked; `None` for a lasting secret.
    until: Option<Instant>,
}

/// The values to mask, in the order they were registered.
#[derive(Default)]
struct Register(Vec<Registered>);

impl Register {
    /// Adds `value`, drops tokens past their time, and keeps each kind under its cap
    /// (the oldest of that kind goes first).
    fn add(&mut self, value: &str, until: Option<Instant>, now: Instant) {
        self.0.retain(|s| s.until.is_none_or(|u| u > now) && s.value != value);
        self.0.push(Registered { value: value.to_owned(), until });
        for (cap, tokens) in [(MAX_LASTING, false), (MAX_TOKENS, true)] {
            let mut over = self.0.iter().filter(|s| s.until.is_some() == tokens).count().saturating_sub(cap);
            self.0.retain(|s| {
                let drop = over > 0 && s.until.is_some() == tokens;
                over -= usize::from(drop);
                !drop
            });
        }
    }

    #[cfg(test)]
    fn contains(&self, value: &str) -> bool {
        self.0.iter().any(|s| s.value == value)
    }

    /// (lasting secrets, tokens)
    #[cfg(test)]
    fn counts(&self) -> (usize, usize) {
        let tokens = self.0.iter().filter(|s| s.until.is_some()).count();
        (self.0.len() - tokens, tokens)
    }
}

static SECRETS: LazyLock<RwLock<Register>> = LazyLock::new(|| RwLock::new(Register::default()));

static PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // PEM private keys, any flavour, possibly with escaped newlines.
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
        // JWTs (grants, Maskinporten and Altinn tokens).
        r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*",
        // Authorization headers and the APIM key header, whatever the quoting.
        r#"(?i)(bearer\s+)[^\s"',}]+"#,
        r#"(?i)(ocp-apim-subscription-key"?\s*[:=]\s*"?)[^\s"',}]+"#,
        // Private JWK members.
        r#"("(?:d|p|q|dp|dq|qi)"\s*:\s*")[A-Za-z0-9_-]{16,}"#,
    ]
    .iter()
    .map(|p| Regex::new(p).expect("redaction pattern"))
    .collect()
});

/// Marks a lasting value (a key, the API key) as secret: it is masked in
/// every later log line.
pub fn register_secret(value: &str) {
    register(value, None);
}

/// Marks a token that lives `lifetime` from now as secret: it is masked
/// until [`TOKEN_GRACE`] after it expires.
pub fn register_token(value: &str, lifetime: Duration) {
    register(value, Some(Instant::now() + lifetime + TOKEN_GRACE));
}

fn register(value: &str, until: Option<Instant>) {
    let value = value.trim();
    if value.len() < MIN_SECRET_LEN {
        return;
    }
    SECRETS.write().unwrap_or_else(|p| p.into_inner()).add(value, until, Instant::now());
}

/// Masks registered secrets and secret-looking patterns in `text`.
pub fn redact(text: &str) -> String {
    let mut out = text.to_owned();
    for s in SECRETS.read().unwrap_or_else(|p| p.into_inner()).0.iter() {
        if out.contains(s.value.as_str()) {
            out = out.replace(s.value.as_str(), REDACTED);
        }
    }
    for re in PATTERNS.iter() {
        out = re
            .replace_all(&out, |c: &regex::Captures| match c.get(1) {
                Some(prefix) => format!("{}{REDACTED}", prefix.as_str()),
                None => REDACTED.to_owned(),
            })
            .into_owned();
    }
    out
}

/// A writer that redacts each formatted event before passing it on.
pub struct RedactingWriter<W> {
    inner: W,
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // tracing-subscriber's fmt layer formats a whole event, then writes it once.
        let text = String::from_utf8_lossy(buf);
        self.inner.write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Wraps any [`MakeWriter`] so that everything written through it is redacted.
pub struct Redacting<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactingWriter<M::Writer>;
    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter { inner: self.0.make_writer() }
    }
}

/// Keeps the background log writer alive; drop it at exit to flush.
pub struct LogGuard(#[allow(dead_code)] Option<tracing_appender::non_blocking::WorkerGuard>);

/// Sets up logging to `budbringer.log.<date>` in `dir`, keeping 14 days, and
/// to stderr in debug builds. `RUST_LOG` overrides the default level (`info`).
pub fn init(dir: &Path) -> LogGuard {
    use tracing_subscriber::prelude::*;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let file = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("budbringer")
        .filename_suffix("log")
        .max_log_files(14)
        .build(dir);
    let (file_layer, guard) = match file {
        Ok(appender) => {
            let (nb, guard) = tracing_appender::non_blocking(appender);
            let layer = tracing_subscriber::fmt::layer().with_ansi(false).with_writer(Redacting(nb));
            (Some(layer), Some(guard))
        }
        Err(e) => {
            eprintln!("budbringer: cannot write logs to {}: {e}", dir.display());
            (None, None)
        }
    };
    let stderr_layer =
        cfg!(debug_assertions).then(|| tracing_subscriber::fmt::layer().with_writer(Redacting(io::stderr)));
    let _ = tracing_subscriber::registry().with(filter).with(file_layer).with(stderr_layer).try_init();
    LogGuard(guard)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_are_masked() {
        register_secret("my-api-key-1234567890");
        let line = redact("calling broker with key my-api-key-1234567890 now");
        assert_eq!(line, format!("calling broker with key {REDACTED} now"));
    }

    /// The register does not grow with every token ever issued: tokens go a
    /// while after they expire, and neither kind passes its cap.
    #[test]
    fn the_register_stays_bounded() {
        let mut r = Register::default();
        let start = Instant::now();
        let min = Duration::from_secs(60);
        // A week of tokens, one every two minutes, each living two minutes.
        for i in 0..(7 * 24 * 30) {
            let now = start + 2 * min * i;
            r.add(&format!("token-{i:06}"), Some(now + 2 * min + TOKEN_GRACE), now);
            assert!(r.counts().1 <= 10, "expired tokens were dropped ({} left at {i})", r.counts().1);
        }
        assert!(r.contains("token-005039") && !r.contains("token-000000"));
        // Tokens that all live long: the cap holds, the newest are kept.
        let later = start + 30 * 24 * 60 * min;
        for i in 0..(MAX_TOKENS + 100) {
            r.add(&format!("long-{i:04}"), Some(later + 60 * min), later);
        }
        assert_eq!(r.counts().1, MAX_TOKENS);
        assert!(r.contains(&format!("long-{:04}", MAX_TOKENS + 99)) && !r.contains("long-0000"));
        // Lasting secrets: capped too, and registering one again keeps one entry.
        for i in 0..(MAX_LASTING + 10) {
            r.add(&format!("key-{i:04}"), None, later);
        }
        r.add("key-0073", None, later);
        assert_eq!(r.counts(), (MAX_LASTING, MAX_TOKENS));
        assert_eq!(r.0.iter().filter(|s| s.value == "key-0073").count(), 1);
        assert!(!r.contains("key-0000"));
    }

    #[test]
    fn a_token_is_masked_while_it_lives() {
        register_token("a-live-token-0123456789", Duration::from_secs(600));
        assert_eq!(redact("x a-live-token-0123456789 y"), format!("x {REDACTED} y"));
    }

    #[test]
    fn short_values_are_not_registered() {
        register_secret("abc");
        assert_eq!(redact("abc def"), "abc def");
    }

    #[test]
    fn secret_looking_patterns_are_masked() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl";
        assert_eq!(redact(&format!("token={jwt};")), format!("token={REDACTED};"));
        assert_eq!(redact("Authorization: Bearer abc.def-ghi"), format!("Authorization: Bearer {REDACTED}"));
        assert_eq!(redact("Ocp-Apim-Subscription-Key: 0123abcd"), format!("Ocp-Apim-Subscription-Key: {REDACTED}"));
        let pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----";
        assert_eq!(redact(&format!("key {pem} end")), format!("key {REDACTED} end"));
        let jwk = r#"{"kty":"RSA","d":"AbCdEfGhIjKlMnOpQrStUvWx","e":"AQAB"}"#;
        assert_eq!(redact(jwk), format!(r#"{{"kty":"RSA","d":"{REDACTED}","e":"AQAB"}}"#));
        // Ordinary text is untouched.
        assert_eq!(redact("uploaded 12 MiB to 310000001"), "uploaded 12 MiB to 310000001");
    }

    #[test]
    fn the_writer_redacts_whole_events() {
        let mut out = Vec::new();
        {
            let mut w = RedactingWriter { inner: &mut out };
            w.write_all(b"grant eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2ln sent\n").unwrap();
        }
        assert_eq!(String::from_utf8(out).unwrap(), format!("grant {REDACTED} sent\n"));
    }
}
