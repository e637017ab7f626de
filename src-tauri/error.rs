//! The one error type that reaches the UI.
//!
//! Every failure the user can meet becomes an [`AppError`] with a stable
//! [`ErrorCode`]. On the wire it is `{code, message, detail?, traceId?}`:
//! `code` is the stable machine name (the UI translates it with the locale
//! files, key `error.<CODE>`), `message` is a plain English fallback, `detail`
//! carries technical context (never a secret) and `traceId` ties the error to a
//! server-side trace when Altinn gave one. The JSON shape and the code strings
//! are pinned by the tests below: changing them breaks the UI and old logs.

use serde::{Serialize, Serializer};
use std::fmt;

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident => $code:literal, $message:literal; )+) => {
        /// Stable error codes. The string form is part of the UI contract.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )+
        }

        impl ErrorCode {
            /// Every code, for tests that check the locale files cover them all.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The stable string sent to the UI.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)+ }
            }

            /// A plain English fallback message; the UI shows its own translation.
            pub fn default_message(self) -> &'static str {
                match self { $(ErrorCode::$variant => $message,)+ }
            }
        }
    };
}

error_codes! {
    /// Something we did not expect; a bug. Shown with the trace ID.
    Internal => "INTERNAL", "Something unexpected went wrong.";
    /// The user gave input that cannot be used (the detail says which field).
    InvalidInput => "INVALID_INPUT", "The input is not valid.";
    /// Neither Secret Service nor the kernel keyring can be used.
    SecretStoreUnavailable => "SECRET_STORE_UNAVAILABLE", "No secure key store is available on this computer.";
    /// The keyring refused or failed an operation on a stored secret.
    SecretStoreFailed => "SECRET_STORE_FAILED", "The secure key store could not save or read a secret.";
    /// Reading or writing the settings file failed.
    SettingsFailed => "SETTINGS_FAILED", "The settings could not be saved or read.";
    /// A file or folder on this computer could not be read or written.
    FileSystem => "FILE_SYSTEM", "A file or folder could not be read or written.";
    /// The network or a server could not be reached.
    Network => "NETWORK", "The server could not be reached.";
    /// The practice sandbox could not be started.
    SandboxFailed => "SANDBOX_FAILED", "The practice sandbox could not be started.";
    /// The requested item does not exist.
    NotFound => "NOT_FOUND", "The item was not found.";
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The error every command returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

impl AppError {
    /// An error with the code's default message.
    pub fn new(code: ErrorCode) -> Self {
        AppError { code, message: code.default_message().to_owned(), detail: None, trace_id: None }
    }

    /// Adds technical detail. Callers must never pass secrets here.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Replaces the fallback message.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    pub fn with_trace_id(mut self, trace_id: impl Into<String>) -> Self {
        self.trace_id = Some(trace_id.into());
        self
    }

    pub fn invalid_input(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput).with_detail(detail)
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal).with_detail(detail)
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(d) = &self.detail {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

impl std::error::Error for AppError {}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        AppError::new(ErrorCode::FileSystem).with_detail(e.to_string())
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_shape_is_pinned() {
        let e = AppError::new(ErrorCode::SecretStoreUnavailable)
            .with_detail("secret-service: no D-Bus; keyutils: permission denied")
            .with_trace_id("00-abc-01");
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({
                "code": "SECRET_STORE_UNAVAILABLE",
                "message": "No secure key store is available on this computer.",
                "detail": "secret-service: no D-Bus; keyutils: permission denied",
                "traceId": "00-abc-01"
            })
        );
        // Optional fields are left out, not sent as null.
        assert_eq!(
            serde_json::to_value(AppError::new(ErrorCode::NotFound)).unwrap(),
            json!({"code": "NOT_FOUND", "message": "The item was not found."})
        );
    }

    #[test]
    fn codes_are_stable() {
        // The UI, the locale files and users' bug reports depend on these strings.
        let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            codes,
            [
                "INTERNAL",
                "INVALID_INPUT",
                "SECRET_STORE_UNAVAILABLE",
                "SECRET_STORE_FAILED",
                "SETTINGS_FAILED",
                "FILE_SYSTEM",
                "NETWORK",
                "SANDBOX_FAILED",
                "NOT_FOUND",
            ]
        );
    }

    #[test]
    fn every_code_is_translated_in_both_locales() {
        for lang in ["nb", "en"] {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/ui/src/locales/").to_owned() + lang + ".json";
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            for code in ErrorCode::ALL {
                let s = v["error"][code.as_str()].as_str();
                assert!(
                    s.is_some_and(|s| !s.trim().is_empty()),
                    "locale {lang} has no text for error.{}",
                    code.as_str()
                );
            }
        }
    }
}
