//! Logging with `tracing` to a daily-rotating file in the app's log folder,
//! with secrets redacted before anything reaches the disk.
//!
//! Redaction has two layers: every value that passes through a
//! [`SecretStore`](crate::secrets::SecretStore) is registered here and masked
//! wherever it appears, and patterns that look like secrets (JWTs, PEM private
//! keys, bearer tokens, the API-key header) are masked whatever their origin.

use regex::Regex;
use std::io::{self, Write};
use std::path::Path;
use std::sync::{LazyLock, RwLock};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

pub const REDACTED: &str = "[REDACTED]";

/// Secrets shorter than this are not registered: masking every occurrence of
/// a short string would shred ordinary log text, and real secrets are long.
const MIN_SECRET_LEN: usize = 8;

static SECRETS: LazyLock<RwLock<Vec<String>>> = LazyLock::new(|| RwLock::new(Vec::new()));

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

/// Marks a value as secret: it is masked in every later log line.
pub fn register_secret(value: &str) {
    let value = value.trim();
    if value.len() < MIN_SECRET_LEN {
        return;
    }
    let mut secrets = SECRETS.write().expect("secret registry poisoned");
    if !secrets.iter().any(|s| s == value) {
        secrets.push(value.to_owned());
    }
}

/// Masks registered secrets and secret-looking patterns in `text`.
pub fn redact(text: &str) -> String {
    let mut out = text.to_owned();
    for s in SECRETS.read().expect("secret registry poisoned").iter() {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), REDACTED);
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
