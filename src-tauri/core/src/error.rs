//! The one error type that reaches the UI.
//!
//! Every failure the user can meet becomes an [`AppError`] with a stable
//! [`ErrorCode`]. On the wire it is `{code, message, detail?, traceId?}`:
//! `code` is the stable machine name (the UI translates it with the locale
//! files, key `error.<CODE>`), `message` is a plain English fallback, `detail`
//! carries technical context (never a secret) and `traceId` ties the error to a
//! server-side trace when Altinn gave one. The JSON shape and the code strings
//! are pinned by the tests below: changing them breaks the UI and old logs.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use ts_rs::TS;

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident => $code:literal, $message:literal; )+) => {
        /// Stable error codes. The string form is part of the UI contract.
        /// On the wire (and in TypeScript) a union of the code strings.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, TS)]
        pub enum ErrorCode {
            $( $(#[$doc])* #[ts(rename = $code)] $variant, )+
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
    // The window and received files (docs/SECURITY.md).
    /// A command was given a file or folder the user did not choose in this window.
    NotChosen => "NOT_CHOSEN", "Choose the file or folder again.";
    /// A received file of a kind that runs code by itself (a program, a script, a shortcut): never opened from the app.
    OpenRefused => "OPEN_REFUSED", "Budbringer does not open this kind of file, because it could run a program.";
    /// A received file of a kind that can carry code (macros, web pages, disk images): opened only after a warning.
    OpenNeedsConfirmation => "OPEN_NEEDS_CONFIRMATION", "This kind of file can contain code: confirm before opening it.";
    // The network.
    /// Test and Production are reached over HTTPS only.
    InsecureUrl => "INSECURE_URL", "Altinn's test and production environments are reached over HTTPS only.";
    /// The manual proxy setting cannot be used.
    ProxyInvalid => "PROXY_INVALID", "The proxy address is not valid.";
    // Transfers: local checks, sending and receiving.
    OrgNumberFormat => "ORG_NUMBER_FORMAT", "An organisation number must be nine digits.";
    OrgNumberCheckDigit => "ORG_NUMBER_CHECK_DIGIT", "The organisation number's check digit is wrong.";
    NoRecipients => "NO_RECIPIENTS", "At least one recipient is needed.";
    FileNameEmpty => "FILE_NAME_EMPTY", "The file name is empty.";
    FileNameTooLong => "FILE_NAME_TOO_LONG", "The file name is longer than 255 characters.";
    PropertyListTooLong => "PROPERTY_LIST_TOO_LONG", "More than 10 properties.";
    PropertyKeyInvalid => "PROPERTY_KEY_INVALID", "A property name is empty or longer than 50 characters.";
    PropertyValueTooLong => "PROPERTY_VALUE_TOO_LONG", "A property value is longer than 3000 characters.";
    FileEmpty => "FILE_EMPTY", "The file is empty.";
    FileUnreadable => "FILE_UNREADABLE", "The file cannot be read.";
    FileTooLarge => "FILE_TOO_LARGE", "The file is larger than the resource allows.";
    FileChanged => "FILE_CHANGED", "The file changed while it was being sent.";
    MalwareFound => "MALWARE_FOUND", "Altinn's virus scan found malware in the file.";
    DownloadChecksumMismatch => "DOWNLOAD_CHECKSUM_MISMATCH", "The downloaded file does not match its checksum.";
    DiskFull => "DISK_FULL", "There is not enough free disk space.";
    TransferCancelled => "TRANSFER_CANCELLED", "The transfer was cancelled.";
    TransferFailed => "TRANSFER_FAILED", "Altinn marked the transfer as failed.";
    MalformedResponse => "MALFORMED_RESPONSE", "Altinn sent an answer that could not be understood.";
    // Credentials, Maskinporten, Altinn platform and Broker (issue 4).
    ClockSkew => "CLOCK_SKEW", "The computer's clock differs too much from Altinn's clock.";
    KeyMissing => "KEY_MISSING", "No key has been created or imported for this environment.";
    KeyImportUnsupported => "KEY_IMPORT_UNSUPPORTED", "The key file is of a kind Budbringer cannot use.";
    KeyImportDamaged => "KEY_IMPORT_DAMAGED", "The key file is damaged or incomplete.";
    KeyImportWrongPassword => "KEY_IMPORT_WRONG_PASSWORD", "The password for the certificate file is wrong.";
    ProfileIncomplete => "PROFILE_INCOMPLETE", "The connection settings for this environment are not complete.";
    /// No service (Broker resource) is chosen yet: the services step.
    ProfileNoServices => "PROFILE_NO_SERVICES", "No Broker service (resource ID) is chosen for this environment.";
    /// A key backup could not be made or read with the passphrase given.
    KeyBackupFailed => "KEY_BACKUP_FAILED", "The key backup could not be written or read.";
    /// A key rotation step was asked for in the wrong order (no new key yet, or not tested).
    KeyRotationState => "KEY_ROTATION_STATE", "The key change is not at a step where this can be done.";
    MaskinportenUnknownClient => "MASKINPORTEN_UNKNOWN_CLIENT", "Maskinporten does not know this client ID in the chosen environment.";
    MaskinportenUnknownKey => "MASKINPORTEN_UNKNOWN_KEY", "Maskinporten does not recognise the key (kid) or its signature.";
    MaskinportenInvalidAssertion => "MASKINPORTEN_INVALID_ASSERTION", "Maskinporten refused the signed request.";
    MaskinportenWrongAudience => "MASKINPORTEN_WRONG_AUDIENCE", "The request was addressed to the wrong Maskinporten environment.";
    MaskinportenKeyExpired => "MASKINPORTEN_KEY_EXPIRED", "The key registered in Maskinporten has expired.";
    CertificateInvalid => "CERTIFICATE_INVALID", "The business certificate is expired or belongs to another environment.";
    CertificateWrongOrganisation => "CERTIFICATE_WRONG_ORGANISATION", "The business certificate belongs to another organisation than the client.";
    CertificateChainFormat => "CERTIFICATE_CHAIN_FORMAT", "The certificate chain was not sent in the form Maskinporten expects.";
    GrantReused => "GRANT_REUSED", "A signed request was sent twice.";
    ScopeNotGranted => "SCOPE_NOT_GRANTED", "The client in Samarbeidsportalen lacks a scope Budbringer asked for.";
    /// The client lacks (or the organisation was not given) the system-register scopes: Digdir's vendor registration.
    SystemScopesNotGranted => "SYSTEM_SCOPES_NOT_GRANTED", "The client lacks the system-register scopes (the end-user-system vendor registration).";
    ClientWrongType => "CLIENT_WRONG_TYPE", "The client is not a Maskinporten client.";
    ScopeNotAvailable => "SCOPE_NOT_AVAILABLE", "Your organisation has not been given access to the scope yet.";
    SystemUserDetailsInvalid => "SYSTEM_USER_DETAILS_INVALID", "The system-user details in the token request are not valid.";
    SystemUserNotApproved => "SYSTEM_USER_NOT_APPROVED", "No approved system user matches this client and organisation.";
    MaskinportenError => "MASKINPORTEN_ERROR", "Maskinporten refused the request.";
    TokenRejected => "TOKEN_REJECTED", "Altinn did not accept the access token.";
    TokenExchangeFailed => "TOKEN_EXCHANGE_FAILED", "The Maskinporten token could not be exchanged for an Altinn token.";
    ApiKeyMissingOrWrong => "API_KEY_MISSING_OR_WRONG", "Altinn's gateway refused the API key (missing or wrong).";
    RateLimited => "RATE_LIMITED", "Altinn asks us to slow down.";
    SystemIdInvalid => "SYSTEM_ID_INVALID", "The system ID is not in the form <orgno>_<name>.";
    SystemAlreadyRegistered => "SYSTEM_ALREADY_REGISTERED", "The system is already registered.";
    SystemResourceUnknown => "SYSTEM_RESOURCE_UNKNOWN", "A resource ID is not known in Altinn's Resource Registry.";
    ClientIdInOtherSystem => "CLIENT_ID_IN_OTHER_SYSTEM", "The client ID already belongs to another system.";
    RedirectUrlInvalid => "REDIRECT_URL_INVALID", "The return address (redirect URL) is not valid.";
    SystemVendorMismatch => "SYSTEM_VENDOR_MISMATCH", "The organisation in the token does not match the system's vendor.";
    SystemNotFound => "SYSTEM_NOT_FOUND", "The system is not registered in Altinn.";
    SystemRegistrationInvalid => "SYSTEM_REGISTRATION_INVALID", "Altinn refused the system registration.";
    /// AUTH.VLD-00006: the same right is listed twice.
    SystemDuplicateRights => "SYSTEM_DUPLICATE_RIGHTS", "The same service is listed twice in the system's rights.";
    /// AUTH.VLD-00007: the same access package is listed twice.
    SystemDuplicateAccessPackages => "SYSTEM_DUPLICATE_ACCESS_PACKAGES", "The same access package is listed twice in the system.";
    SystemUserExists => "SYSTEM_USER_EXISTS", "A system user already exists for this system and organisation.";
    SystemUserRequestExists => "SYSTEM_USER_REQUEST_EXISTS", "A request for this system user already exists.";
    SystemNoRedirectUrls => "SYSTEM_NO_REDIRECT_URLS", "The system has no return addresses (redirect URLs) registered.";
    RightNotDelegable => "RIGHT_NOT_DELEGABLE", "A requested right was not found or cannot be delegated.";
    SystemUserRequestRejected => "SYSTEM_USER_REQUEST_REJECTED", "The request for system access was rejected.";
    SystemUserRequestTimedOut => "SYSTEM_USER_REQUEST_TIMED_OUT", "The request for system access expired before anyone approved it.";
    SystemUserNotFound => "SYSTEM_USER_NOT_FOUND", "No system user was found for this system and organisation.";
    /// AUTH-00010: the request is no longer in Altinn (deleted, or archived after its time-out).
    SystemUserRequestGone => "SYSTEM_USER_REQUEST_GONE", "The system-access request no longer exists in Altinn.";
    /// AUTH-00016/-00018/-00020/-00068: the person approving may not delegate the rights.
    ApproverLacksRights => "APPROVER_LACKS_RIGHTS", "The person approving has no role that holds the requested rights.";
    /// AUTH-00019/-00069: the organisation is not on the service's access list, so the right cannot be delegated.
    NotOnAccessList => "NOT_ON_ACCESS_LIST", "The organisation is not on the service's access list.";
    /// A change of the system user's rights (a service added or removed) waits for approval.
    ChangeRequestPending => "CHANGE_REQUEST_PENDING", "A change of the system user's services waits for approval.";
    /// The change of the system user's rights was rejected (or timed out).
    ChangeRequestRejected => "CHANGE_REQUEST_REJECTED", "The change of the system user's services was rejected or expired.";
    AltinnError => "ALTINN_ERROR", "Altinn refused the request.";
    BrokerNoAccess => "BROKER_NO_ACCESS", "The system user has no access to this Broker service.";
    BrokerScopeMissing => "BROKER_SCOPE_MISSING", "The access token lacks the scope this Broker operation needs.";
    BrokerResourceInvalid => "BROKER_RESOURCE_INVALID", "The resource ID is wrong or not tied to a service owner.";
    BrokerNotConfigured => "BROKER_NOT_CONFIGURED", "The service owner or the resource is not set up in Broker.";
    BrokerRecipientNotAllowed => "BROKER_RECIPIENT_NOT_ALLOWED", "A recipient is not on the service's access list.";
    BrokerRequiredParty => "BROKER_REQUIRED_PARTY", "The service requires the service owner to be a party to the transfer.";
    BrokerValidation => "BROKER_VALIDATION", "Broker refused the request because some input is not valid.";
    BrokerFileTooLarge => "BROKER_FILE_TOO_LARGE", "The file is larger than this service allows.";
    BrokerVirusScanApproval => "BROKER_VIRUS_SCAN_APPROVAL", "Sending without virus scan needs approval from Altinn.";
    BrokerChecksumMismatch => "BROKER_CHECKSUM_MISMATCH", "The uploaded file does not match its checksum.";
    BrokerAlreadyUploaded => "BROKER_ALREADY_UPLOADED", "This transfer already has, or has attempted, an upload.";
    BrokerStorageNotReady => "BROKER_STORAGE_NOT_READY", "The service owner's storage is not ready yet.";
    BrokerUploadFailed => "BROKER_UPLOAD_FAILED", "Broker could not store the uploaded file.";
    BrokerFileNotReady => "BROKER_FILE_NOT_READY", "The file is not ready for download.";
    BrokerConfirmBeforeDownload => "BROKER_CONFIRM_BEFORE_DOWNLOAD", "The file must be downloaded before receipt can be confirmed.";
    BrokerNotPublished => "BROKER_NOT_PUBLISHED", "The transfer is not in a state where receipt can be confirmed.";
    BrokerNotFound => "BROKER_NOT_FOUND", "The transfer was not found, or you have no access to it.";
    BrokerRangeInvalid => "BROKER_RANGE_INVALID", "The requested part of the file does not exist.";
    BrokerNotAcceptable => "BROKER_NOT_ACCEPTABLE", "Broker cannot answer in the requested format.";
    BrokerNoFileUploaded => "BROKER_NO_FILE_UPLOADED", "No file has been uploaded to this transfer yet.";
    BrokerResourceSettingsInvalid => "BROKER_RESOURCE_SETTINGS_INVALID", "The service settings are not valid.";
    BrokerProcessingPending => "BROKER_PROCESSING_PENDING", "The upload is still being registered.";
    BrokerServiceOwner => "BROKER_SERVICE_OWNER", "The service-owner operation failed.";
    BrokerServerError => "BROKER_SERVER_ERROR", "Altinn had an internal error.";
    ServiceUnavailable => "SERVICE_UNAVAILABLE", "The Altinn service is temporarily unavailable.";
    BrokerError => "BROKER_ERROR", "Broker refused the request.";
    StoreSetAside => "STORE_SET_ASIDE", "The local history was damaged; it was set aside and a new one started.";
    // Names for numbers (docs/ALTINN.md#names-for-numbers).
    /// Enhetsregisteret or the Resource Registry could not be asked; numbers are shown instead of names.
    RegisterUnavailable => "REGISTER_UNAVAILABLE", "The register of names could not be reached.";
    /// A receipt PDF could not be written where the user chose (the detail says why); nothing was left under its name.
    ReceiptSaveFailed => "RECEIPT_SAVE_FAILED", "The receipt could not be saved as PDF.";
    /// An organisation cannot be removed while files it sends are still on their way (issue 17). New codes go last: the list is stable.
    OrgHasUnfinishedSends => "ORG_HAS_UNFINISHED_SENDS", "This organisation still has files being sent: let them finish or cancel them first.";
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

impl ErrorCode {
    /// The code for a stable string; `None` for a code this version does not know.
    pub fn parse(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == s)
    }

    /// A problem with the connection to Altinn (credentials, access, the network),
    /// not with one particular file: fixed once, every file goes through again, so a
    /// received file it hit is tried again, not marked failed. (A full disk is shown
    /// on the file: the user frees space and presses Download.)
    pub fn is_about_the_connection(self) -> bool {
        use ErrorCode::*;
        matches!(
            self,
            Network
                | ServiceUnavailable
                | BrokerServerError
                | RateLimited
                | SecretStoreUnavailable
                | SecretStoreFailed
                | ClockSkew
                | KeyMissing
                | ProfileIncomplete
                | ProfileNoServices
                | MaskinportenUnknownClient
                | MaskinportenUnknownKey
                | MaskinportenInvalidAssertion
                | MaskinportenWrongAudience
                | MaskinportenKeyExpired
                | MaskinportenError
                | CertificateInvalid
                | CertificateWrongOrganisation
                | GrantReused
                | ScopeNotGranted
                | ScopeNotAvailable
                | ClientWrongType
                | SystemUserDetailsInvalid
                | SystemUserNotApproved
                | SystemUserNotFound
                | TokenRejected
                | TokenExchangeFailed
                | ApiKeyMissingOrWrong
                | BrokerNoAccess
                | BrokerScopeMissing
                | BrokerNotConfigured
                | NotOnAccessList
        )
    }
}

/// Errors are kept in the transfer history, so they read back too. A code
/// written by a newer version reads as `INTERNAL`, its text intact.
impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(ErrorCode::parse(&s).unwrap_or(ErrorCode::Internal))
    }
}

/// The error every command returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
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
    fn errors_read_back() {
        let e = AppError::new(ErrorCode::DiskFull).with_detail("ENOSPC");
        let back: AppError = serde_json::from_value(serde_json::to_value(&e).unwrap()).unwrap();
        assert_eq!(back, e);
        let future: AppError = serde_json::from_value(json!({"code": "SOME_NEW_CODE", "message": "m"})).unwrap();
        assert_eq!(future.code, ErrorCode::Internal);
        assert_eq!(future.message, "m");
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
                "NOT_CHOSEN",
                "OPEN_REFUSED",
                "OPEN_NEEDS_CONFIRMATION",
                "INSECURE_URL",
                "PROXY_INVALID",
                "ORG_NUMBER_FORMAT",
                "ORG_NUMBER_CHECK_DIGIT",
                "NO_RECIPIENTS",
                "FILE_NAME_EMPTY",
                "FILE_NAME_TOO_LONG",
                "PROPERTY_LIST_TOO_LONG",
                "PROPERTY_KEY_INVALID",
                "PROPERTY_VALUE_TOO_LONG",
                "FILE_EMPTY",
                "FILE_UNREADABLE",
                "FILE_TOO_LARGE",
                "FILE_CHANGED",
                "MALWARE_FOUND",
                "DOWNLOAD_CHECKSUM_MISMATCH",
                "DISK_FULL",
                "TRANSFER_CANCELLED",
                "TRANSFER_FAILED",
                "MALFORMED_RESPONSE",
                "CLOCK_SKEW",
                "KEY_MISSING",
                "KEY_IMPORT_UNSUPPORTED",
                "KEY_IMPORT_DAMAGED",
                "KEY_IMPORT_WRONG_PASSWORD",
                "PROFILE_INCOMPLETE",
                "PROFILE_NO_SERVICES",
                "KEY_BACKUP_FAILED",
                "KEY_ROTATION_STATE",
                "MASKINPORTEN_UNKNOWN_CLIENT",
                "MASKINPORTEN_UNKNOWN_KEY",
                "MASKINPORTEN_INVALID_ASSERTION",
                "MASKINPORTEN_WRONG_AUDIENCE",
                "MASKINPORTEN_KEY_EXPIRED",
                "CERTIFICATE_INVALID",
                "CERTIFICATE_WRONG_ORGANISATION",
                "CERTIFICATE_CHAIN_FORMAT",
                "GRANT_REUSED",
                "SCOPE_NOT_GRANTED",
                "SYSTEM_SCOPES_NOT_GRANTED",
                "CLIENT_WRONG_TYPE",
                "SCOPE_NOT_AVAILABLE",
                "SYSTEM_USER_DETAILS_INVALID",
                "SYSTEM_USER_NOT_APPROVED",
                "MASKINPORTEN_ERROR",
                "TOKEN_REJECTED",
                "TOKEN_EXCHANGE_FAILED",
                "API_KEY_MISSING_OR_WRONG",
                "RATE_LIMITED",
                "SYSTEM_ID_INVALID",
                "SYSTEM_ALREADY_REGISTERED",
                "SYSTEM_RESOURCE_UNKNOWN",
                "CLIENT_ID_IN_OTHER_SYSTEM",
                "REDIRECT_URL_INVALID",
                "SYSTEM_VENDOR_MISMATCH",
                "SYSTEM_NOT_FOUND",
                "SYSTEM_REGISTRATION_INVALID",
                "SYSTEM_DUPLICATE_RIGHTS",
                "SYSTEM_DUPLICATE_ACCESS_PACKAGES",
                "SYSTEM_USER_EXISTS",
                "SYSTEM_USER_REQUEST_EXISTS",
                "SYSTEM_NO_REDIRECT_URLS",
                "RIGHT_NOT_DELEGABLE",
                "SYSTEM_USER_REQUEST_REJECTED",
                "SYSTEM_USER_REQUEST_TIMED_OUT",
                "SYSTEM_USER_NOT_FOUND",
                "SYSTEM_USER_REQUEST_GONE",
                "APPROVER_LACKS_RIGHTS",
                "NOT_ON_ACCESS_LIST",
                "CHANGE_REQUEST_PENDING",
                "CHANGE_REQUEST_REJECTED",
                "ALTINN_ERROR",
                "BROKER_NO_ACCESS",
                "BROKER_SCOPE_MISSING",
                "BROKER_RESOURCE_INVALID",
                "BROKER_NOT_CONFIGURED",
                "BROKER_RECIPIENT_NOT_ALLOWED",
                "BROKER_REQUIRED_PARTY",
                "BROKER_VALIDATION",
                "BROKER_FILE_TOO_LARGE",
                "BROKER_VIRUS_SCAN_APPROVAL",
                "BROKER_CHECKSUM_MISMATCH",
                "BROKER_ALREADY_UPLOADED",
                "BROKER_STORAGE_NOT_READY",
                "BROKER_UPLOAD_FAILED",
                "BROKER_FILE_NOT_READY",
                "BROKER_CONFIRM_BEFORE_DOWNLOAD",
                "BROKER_NOT_PUBLISHED",
                "BROKER_NOT_FOUND",
                "BROKER_RANGE_INVALID",
                "BROKER_NOT_ACCEPTABLE",
                "BROKER_NO_FILE_UPLOADED",
                "BROKER_RESOURCE_SETTINGS_INVALID",
                "BROKER_PROCESSING_PENDING",
                "BROKER_SERVICE_OWNER",
                "BROKER_SERVER_ERROR",
                "SERVICE_UNAVAILABLE",
                "BROKER_ERROR",
                "STORE_SET_ASIDE",
                "REGISTER_UNAVAILABLE",
                "RECEIPT_SAVE_FAILED",
                "ORG_HAS_UNFINISHED_SENDS",
            ]
        );
    }

    #[test]
    fn every_code_is_translated_in_every_locale() {
        for lang in ["nb", "nn", "en"] {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/src/locales/").to_owned() + lang + ".json";
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
