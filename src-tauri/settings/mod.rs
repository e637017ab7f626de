//! User settings: what the app remembers between runs that is not secret.
//!
//! The command layer persists [`Settings`] through tauri-plugin-store; this
//! module only defines them and checks changes. Nothing secret belongs here:
//! keys, tokens and the API key live in the [`SecretStore`](crate::secrets::SecretStore).

use crate::environment::Environment;
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Norwegian Bokmål, the default.
    #[default]
    Nb,
    En,
}

impl Language {
    pub fn parse(s: &str) -> AppResult<Self> {
        match s {
            "nb" => Ok(Language::Nb),
            "en" => Ok(Language::En),
            other => Err(AppError::invalid_input(format!("unknown language '{other}': use 'nb' or 'en'"))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            language: Language::Nb,
            environment: Environment::Sandbox,
            poll_interval_secs: 60,
            download_dir: None,
            auto_save: false,
        }
    }
}

/// Broker allows about 10 searches a minute per integration; polling more
/// often than every 10 s would be throttled (`broker-api.md` §3.7).
pub const MIN_POLL_INTERVAL_SECS: u32 = 10;
pub const MAX_POLL_INTERVAL_SECS: u32 = 3600;

impl Settings {
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
            json!({"language": "nb", "environment": "sandbox", "pollIntervalSecs": 60, "downloadDir": null, "autoSave": false})
        );
    }

    #[test]
    fn poll_interval_is_bounded() {
        let mut s = Settings::default();
        assert!(s.set_poll_interval(5).is_err());
        s.set_poll_interval(30).unwrap();
        assert_eq!(s.poll_interval_secs, 30);
    }
}
