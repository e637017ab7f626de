//! User settings: what the app remembers between runs that is not secret.
//!
//! [`file`] keeps them in `settings.json` (atomic writes); this module
//! defines them and checks changes. Nothing secret belongs here:
//! keys, tokens and the API key live in the [`SecretStore`](crate::secrets::SecretStore).

pub mod defaults;
pub mod expand;
pub mod file;
pub mod os_language;
pub mod paths;
pub mod proxy;
mod rules;

use crate::environment::Environment;
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, TS)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Norwegian Bokmål, the default.
    #[default]
    Nb,
    /// Norwegian Nynorsk.
    Nn,
    En,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::Nb, Language::Nn, Language::En];

    pub fn parse(s: &str) -> AppResult<Self> {
        match s {
            "nb" => Ok(Language::Nb),
            "nn" => Ok(Language::Nn),
            "en" => Ok(Language::En),
            other => Err(AppError::invalid_input(format!("unknown language '{other}': use 'nb', 'nn' or 'en'"))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Language::Nb => "nb",
            Language::Nn => "nn",
            Language::En => "en",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    pub language: Language,
    /// The environment the app works against; Sandbox until the user picks another.
    pub environment: Environment,
    /// How often the inbox asks Altinn for new files, in seconds.
    pub poll_interval_secs: u32,
    /// Where received files are saved; the system's Downloads/Budbringer when unset.
    pub download_dir: Option<String>,
    /// Save new files to the download folder and confirm them without asking.
    pub auto_save: bool,
    /// Files of at least this many MiB are sent with resumable TUS uploads.
    pub tus_threshold_mib: u32,
    /// The size of each TUS chunk in MiB (at least 8).
    pub chunk_mib: u32,
    /// The organisation this PC works for, when the machine defaults name one:
    /// Setup starts with it filled in.
    pub organisation_number: Option<String>,
    /// The proxy: `None` for the operating system's settings, `"none"`, or a
    /// URL without credentials ([`proxy::parse_proxy`]).
    pub proxy: Option<String>,
    /// Hosts reached without the manual proxy, comma-separated (`.intern.no, 10.0.0.0/8`).
    pub no_proxy: Option<String>,
    /// The user name for a manual proxy that asks for one (Basic); its password
    /// is in the keyring only (`network::PROXY_PASSWORD_SECRET`).
    pub proxy_user: Option<String>,
    /// Keep running with an icon in the notification area when the window is
    /// closed, so the inbox keeps watching.
    pub tray: bool,
    /// Start (in the notification area when `tray` is on) when the user logs in.
    pub start_at_login: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            language: Language::Nb,
            environment: Environment::Sandbox,
            poll_interval_secs: 60,
            download_dir: None,
            auto_save: false,
            tus_threshold_mib: 32,
            chunk_mib: 16,
            organisation_number: None,
            proxy: None,
            no_proxy: None,
            proxy_user: None,
            tray: false,
            start_at_login: false,
        }
    }
}

/// Broker allows about 10 searches a minute per integration; polling more
/// often than every 10 s would be throttled (`docs/ALTINN.md#search`).
pub const MIN_POLL_INTERVAL_SECS: u32 = 10;
pub const MAX_POLL_INTERVAL_SECS: u32 = 3600;

/// TUS chunks: Broker allows at most 50 000 per file and each below 2 GiB.
pub const MIN_CHUNK_MIB: u32 = 8;
pub const MAX_CHUNK_MIB: u32 = 1024;

impl Settings {
    pub fn set_upload_tuning(&mut self, tus_threshold_mib: u32, chunk_mib: u32) -> AppResult<()> {
        if !(MIN_CHUNK_MIB..=MAX_CHUNK_MIB).contains(&chunk_mib) {
            return Err(AppError::invalid_input(format!("chunk size must be {MIN_CHUNK_MIB} to {MAX_CHUNK_MIB} MiB")));
        }
        if tus_threshold_mib > 2048 {
            return Err(AppError::invalid_input("the TUS threshold must be at most 2048 MiB"));
        }
        self.tus_threshold_mib = tus_threshold_mib;
        self.chunk_mib = chunk_mib;
        Ok(())
    }

    /// Reads settings saved by any earlier version: unknown fields are
    /// ignored and missing ones get their defaults, so an old or damaged
    /// file never stops the app from starting.
    pub fn from_json(value: &serde_json::Value) -> Self {
        serde_json::from_value::<Settings>(value.clone()).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "settings could not be read; using defaults");
            Settings::default()
        })
    }

    pub fn set_poll_interval(&mut self, secs: u32) -> AppResult<()> {
        if !(MIN_POLL_INTERVAL_SECS..=MAX_POLL_INTERVAL_SECS).contains(&secs) {
            return Err(AppError::invalid_input(format!(
                "poll interval must be between {MIN_POLL_INTERVAL_SECS} and {MAX_POLL_INTERVAL_SECS} seconds"
            )));
        }
        self.poll_interval_secs = secs;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_are_bokmal_and_sandbox() {
        let s = Settings::default();
        assert_eq!(s.language, Language::Nb);
        assert_eq!(s.environment, Environment::Sandbox);
    }

    #[test]
    fn old_or_damaged_settings_fall_back() {
        let s = Settings::from_json(&json!({"language": "en", "someOldField": 3}));
        assert_eq!(s.language, Language::En);
        assert_eq!(s.environment, Environment::Sandbox);
        assert_eq!(Settings::from_json(&json!({"language": 42})), Settings::default());
    }

    #[test]
    fn json_uses_camel_case() {
        let v = serde_json::to_value(Settings::default()).unwrap();
        assert_eq!(
            v,
            json!({"language": "nb", "environment": "sandbox", "pollIntervalSecs": 60, "downloadDir": null, "autoSave": false,
                   "tusThresholdMib": 32, "chunkMib": 16, "organisationNumber": null, "proxy": null, "noProxy": null, "proxyUser": null, "tray": false,
                   "startAtLogin": false})
        );
    }

    #[test]
    fn upload_tuning_is_bounded() {
        let mut s = Settings::default();
        assert!(s.set_upload_tuning(32, 4).is_err());
        assert!(s.set_upload_tuning(4096, 16).is_err());
        s.set_upload_tuning(0, 8).unwrap();
        assert_eq!((s.tus_threshold_mib, s.chunk_mib), (0, 8));
    }

    #[test]
    fn poll_interval_is_bounded() {
        let mut s = Settings::default();
        assert!(s.set_poll_interval(5).is_err());
        s.set_poll_interval(30).unwrap();
        assert_eq!(s.poll_interval_secs, 30);
    }
}
