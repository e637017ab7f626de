//! Machine-wide defaults, for IT departments that deploy Budbringer to many
//! PCs: a JSON file in a folder only administrators can write, read at the
//! first start of each user (when that user has no settings yet). It never
//! holds secrets: it is readable by every user of the PC, so fields that look
//! like secrets are refused, and the keys and API key are set by each user
//! (or each PC) in Setup, into the OS keyring.
//!
//! ```json
//! { "environment": "tt02", "organisationNumber": "310000019",
//!   "downloadDir": "%USERPROFILE%\\Documents\\Budbringer", "proxy": "http://proxy.kommune.no:8080",
//!   "language": "nb", "pollIntervalSecs": 120, "tray": true, "startAtLogin": true }
//! ```

use super::{expand, proxy, Language, Settings};
use crate::environment::Environment;
use crate::error::{AppError, AppResult, ErrorCode};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Points at another defaults file (tests, or a deployment that keeps it elsewhere).
pub const DEFAULTS_ENV: &str = "BUDBRINGER_DEFAULTS_FILE";

/// Where the defaults file is: `$BUDBRINGER_DEFAULTS_FILE` when set, else
/// `%ProgramData%\Budbringer\defaults.json` on Windows,
/// `/Library/Application Support/Budbringer/defaults.json` on macOS and
/// `/etc/budbringer/defaults.json` elsewhere.
pub fn defaults_path() -> PathBuf {
    if let Some(p) = std::env::var_os(DEFAULTS_ENV).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    platform_defaults_path(|k| std::env::var(k).ok())
}

fn platform_defaults_path(var: impl Fn(&str) -> Option<String>) -> PathBuf {
    if cfg!(windows) {
        let program_data = var("ProgramData").filter(|p| !p.is_empty()).unwrap_or_else(|| r"C:\ProgramData".into());
        PathBuf::from(program_data).join("Budbringer").join("defaults.json")
    } else if cfg!(target_os = "macos") {
        PathBuf::from("/Library/Application Support/Budbringer/defaults.json")
    } else {
        PathBuf::from("/etc/budbringer/defaults.json")
    }
}

/// What an IT department may preset. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MachineDefaults {
    pub environment: Option<Environment>,
    /// The organisation the PC works for: Setup starts with it filled in.
    pub organisation_number: Option<String>,
    /// Where received files go; `%VAR%`, `${VAR}` and a leading `~` are expanded
    /// for each user.
    pub download_dir: Option<String>,
    /// `"system"` (the default), `"none"`, or `http://host:port`.
    pub proxy: Option<String>,
    pub language: Option<Language>,
    pub poll_interval_secs: Option<u32>,
    pub auto_save: Option<bool>,
    pub tray: Option<bool>,
    pub start_at_login: Option<bool>,
}

/// Field names a defaults file must not carry: it is readable by every user.
fn looks_secret(field: &str) -> bool {
    let f = field.to_ascii_lowercase();
    ["key", "secret", "password", "passphrase", "token", "pem", "credential", "p12", "pfx"]
        .iter()
        .any(|s| f.contains(s))
}

/// The defaults in `text`, and the names of the fields that were ignored
/// (unknown, or looking like secrets). Field values are never logged.
pub fn parse(text: &str) -> AppResult<(MachineDefaults, Vec<String>)> {
    let invalid = |e: String| AppError::new(ErrorCode::SettingsFailed).with_detail(format!("defaults file: {e}"));
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
    let serde_json::Value::Object(mut map) = value else {
        return Err(invalid("expected a JSON object".into()));
    };
    const KNOWN: [&str; 9] = [
        "environment",
        "organisationNumber",
        "downloadDir",
        "proxy",
        "language",
        "pollIntervalSecs",
        "autoSave",
        "tray",
        "startAtLogin",
    ];
    let mut ignored = Vec::new();
    map.retain(|k, _| {
        let keep = KNOWN.contains(&k.as_str()) && !looks_secret(k);
        if !keep {
            if looks_secret(k) {
                tracing::warn!(field = %k, "the defaults file holds what looks like a secret: ignored (secrets belong in the keyring, set in Setup)");
            } else {
                tracing::warn!(field = %k, "unknown field in the defaults file: ignored");
            }
            ignored.push(k.clone());
        }
        keep
    });
    let defaults: MachineDefaults =
        serde_json::from_value(serde_json::Value::Object(map)).map_err(|e| invalid(e.to_string()))?;
    Ok((defaults, ignored))
}

/// Reads the defaults file at `path`; `Ok(None)` when there is none.
pub fn read(path: &Path) -> AppResult<Option<MachineDefaults>> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text).map(|(d, _)| Some(d)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => {
            Err(AppError::new(ErrorCode::SettingsFailed).with_detail(format!("defaults file {}: {e}", path.display())))
        }
    }
}

impl Settings {
    /// A new user's settings: the built-in defaults with the machine's
    /// defaults applied. A value that does not pass the same checks as in
    /// Settings is skipped (and logged), never fatal.
    pub fn with_machine_defaults(d: &MachineDefaults) -> Settings {
        Self::with_machine_defaults_from(d, |k| std::env::var(k).ok())
    }

    pub fn with_machine_defaults_from(d: &MachineDefaults, var: impl Fn(&str) -> Option<String>) -> Settings {
        let mut s = Settings::default();
        let skip = |field: &str, e: &AppError| tracing::warn!(field, error = %e, "defaults file value skipped");
        if let Some(env) = d.environment {
            s.environment = env;
        }
        if let Some(org) = &d.organisation_number {
            match crate::orgnumber::OrgNumber::parse(org) {
                Ok(org) => s.organisation_number = Some(org.digits()),
                Err(e) => skip("organisationNumber", &e),
            }
        }
        if let Some(dir) = d.download_dir.as_deref().filter(|d| !d.trim().is_empty()) {
            match expand::expand_vars(dir, &var) {
                Ok(dir) => s.download_dir = Some(dir),
                Err(e) => skip("downloadDir", &e),
            }
        }
        if let Some(proxy) = &d.proxy {
            match proxy::parse_proxy(proxy) {
                Ok(p) => s.proxy = p,
                Err(e) => skip("proxy", &e),
            }
        }
        if let Some(language) = d.language {
            s.language = language;
        }
        if let Some(secs) = d.poll_interval_secs {
            if let Err(e) = s.set_poll_interval(secs) {
                skip("pollIntervalSecs", &e);
            }
        }
        s.auto_save = d.auto_save.unwrap_or(s.auto_save);
        s.tray = d.tray.unwrap_or(s.tray);
        s.start_at_login = d.start_at_login.unwrap_or(s.start_at_login);
        s
    }

    /// The settings to start with: the user's saved ones when there are any,
    /// otherwise the built-in defaults with the machine's defaults file (at
    /// [`defaults_path`]) applied.
    pub fn load_or_first_start(saved: Option<&serde_json::Value>) -> Settings {
        if let Some(v) = saved {
            return Settings::from_json(v);
        }
        let path = defaults_path();
        // The operating system's language, unless the machine's defaults name one.
        let os = Settings { language: super::os_language::os_language(), ..Settings::default() };
        match read(&path) {
            Ok(Some(d)) => {
                tracing::info!(path = %path.display(), "first start: machine defaults applied");
                let mut s = Settings::with_machine_defaults(&d);
                if d.language.is_none() {
                    s.language = os.language;
                }
                s
            }
            Ok(None) => os,
            Err(e) => {
                tracing::warn!(error = %e, "machine defaults could not be read; using built-in defaults");
                os
            }
        }
    }
}

#[cfg(test)]
#[path = "defaults_tests.rs"]
mod tests;
