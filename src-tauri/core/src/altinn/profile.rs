//! Connection profiles, one per organisation and environment (Sandbox, TT02,
//! Production), and the file that keeps them (`profiles.json` in the data folder).
//!
//! A profile holds only non-secret data. The private key, the API key and
//! tokens live in the [`SecretStore`](crate::secrets::SecretStore) under the
//! names from [`secret_name`], in the organisation's namespace
//! (`crate::secrets::scoped`).

use crate::environment::Environment;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::orgnumber::OrgNumber;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The Broker scopes used when the profile names none.
pub const DEFAULT_BROKER_SCOPES: &[&str] = &["altinn:broker.write", "altinn:broker.read"];

/// The Broker scope for sending (`docs/ALTINN.md#the-client-and-its-scopes`).
pub const SCOPE_SEND: &str = "altinn:broker.write";
/// The Broker scope for receiving.
pub const SCOPE_RECEIVE: &str = "altinn:broker.read";

/// What the organisation will do with Broker; it decides the scopes to ask
/// for: a send-only organisation asks only for `altinn:broker.write`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Role {
    Send,
    Receive,
    Both,
}

impl Role {
    /// The Broker scopes this role needs.
    pub fn scopes(self) -> &'static [&'static str] {
        match self {
            Role::Send => &[SCOPE_SEND],
            Role::Receive => &[SCOPE_RECEIVE],
            Role::Both => &[SCOPE_SEND, SCOPE_RECEIVE],
        }
    }
    pub fn sends(self) -> bool {
        self != Role::Receive
    }
    pub fn receives(self) -> bool {
        self != Role::Send
    }
}

/// Where the wizard is for this profile: what the user chose and ticked.
/// Kept in the profile so that the wizard can be left for days (waiting for
/// the service desk, the approver) and picked up again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct OnboardingState {
    /// Send, receive or both; `None` until chosen (then both scopes are asked for).
    pub role: Option<Role>,
    /// The prerequisites the user has ticked off (checklist item ids).
    pub checklist: Vec<String>,
}

/// A new key waiting to replace the current one (rotation with overlap): the
/// current key signs until the new one is registered in Samarbeidsportalen
/// and a token has been fetched with it. Its private half is in the secret
/// store under [`pending_key_secret`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PendingKey {
    pub kid: String,
    /// Unix seconds.
    pub created: i64,
    /// When a token request signed with it succeeded (Unix seconds).
    pub tested_at: Option<i64>,
}

/// A change of the system user's rights (services added or removed) sent to
/// Altinn and waiting for the approver (`docs/ALTINN.md#changing-a-system-users-rights`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChangeState {
    /// The correlation id Budbringer made for it.
    pub id: String,
    /// `New`, `Accepted`, `Rejected` (or `Denied`).
    pub status: String,
    /// The page where the approver says yes.
    pub confirm_url: Option<String>,
    pub add: Vec<String>,
    pub remove: Vec<String>,
    pub timed_out: bool,
}

/// Scopes for registering the system and asking for a system user (`docs/ALTINN.md#the-client-and-its-scopes`).
pub const SYSTEM_ADMIN_SCOPES: &[&str] = &[
    "altinn:authentication/systemregister.write",
    "altinn:authentication/systemuser.request.write",
    "altinn:authentication/systemuser.request.read",
];

/// How the Broker token is obtained (`docs/ALTINN.md#the-token-exchange`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, TS)]
#[serde(rename_all = "camelCase")]
pub enum TokenMode {
    /// The Maskinporten token goes straight to Broker.
    #[default]
    Direct,
    /// The Maskinporten token is exchanged for an Altinn token first.
    Exchanged,
}

/// Where the profile's private key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum KeySource {
    Generated,
    ImportedPkcs1Pem,
    ImportedPkcs8Pem,
    ImportedJwk,
    /// A business certificate (.p12): grants carry `x5c` instead of `kid`.
    Certificate,
}

/// What is known about the organisation's own system and system user (`docs/ALTINN.md#system-users`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct SystemUserState {
    /// Put `authorization_details` (system user) in Broker token requests.
    pub enabled: bool,
    /// `<orgno>_<name>` once registered.
    pub system_id: Option<String>,
    pub request_id: Option<String>,
    /// The `externalRef` of the request; sent in every system-user grant.
    pub external_ref: Option<String>,
    /// `New`, `Accepted`, `Rejected` or `TimedOut`.
    pub request_status: Option<String>,
    pub confirm_url: Option<String>,
    /// The verified system user's id.
    pub system_user_id: Option<String>,
    /// Whether the request timed out (180 days without an answer).
    pub request_timed_out: bool,
    /// The services (resource ids) the system user holds rights to, as approved.
    pub rights: Vec<String>,
    /// A change of those rights waiting for approval.
    pub change: Option<ChangeState>,
}

/// A part of a profile that must be set before files can be sent or received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ProfilePart {
    /// A valid organisation number.
    OrgNumber,
    /// The Maskinporten client ID.
    ClientId,
    /// At least one Broker resource.
    ResourceIds,
}

impl ProfilePart {
    /// The field's name on the wire (and in `PROFILE_INCOMPLETE` details).
    pub fn as_str(self) -> &'static str {
        match self {
            ProfilePart::OrgNumber => "orgNumber",
            ProfilePart::ClientId => "clientId",
            ProfilePart::ResourceIds => "resourceIds",
        }
    }
}

/// One environment's connection settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct Profile {
    pub environment: Environment,
    /// Nine digits, no prefix.
    pub org_number: String,
    /// Maskinporten client ID ("Integrasjons-ID").
    pub client_id: String,
    /// Key ID registered with the client (absent for a certificate).
    pub kid: Option<String>,
    pub key_source: Option<KeySource>,
    /// When the key was created or imported (Unix seconds). Keys live one year in Maskinporten.
    pub key_created: Option<i64>,
    /// Business-certificate chain (base64 DER, leaf first), for `x5c`. Public data.
    pub certificate_chain: Vec<String>,
    /// Scopes of the Broker token (default: write and read).
    pub scopes: Vec<String>,
    /// Broker resource IDs this organisation uses.
    pub resource_ids: Vec<String>,
    /// Whether an APIM subscription key is stored (the key itself is a secret).
    pub api_key_set: bool,
    pub token_mode: TokenMode,
    /// The mode the last connection test found working, and when (Unix seconds).
    pub token_mode_verified_at: Option<i64>,
    pub system_user: SystemUserState,
    /// The wizard's own state (role, ticked prerequisites).
    pub onboarding: OnboardingState,
    /// A new key during a key change, until it replaces the current one.
    pub pending_key: Option<PendingKey>,
}

impl Default for Profile {
    fn default() -> Self {
        Profile::new(Environment::Sandbox)
    }
}

impl Profile {
    pub fn new(environment: Environment) -> Self {
        Profile {
            environment,
            org_number: String::new(),
            client_id: String::new(),
            kid: None,
            key_source: None,
            key_created: None,
            certificate_chain: Vec::new(),
            scopes: DEFAULT_BROKER_SCOPES.iter().map(|s| s.to_string()).collect(),
            resource_ids: Vec::new(),
            api_key_set: false,
            token_mode: TokenMode::Direct,
            token_mode_verified_at: None,
            system_user: SystemUserState::default(),
            onboarding: OnboardingState::default(),
            pending_key: None,
        }
    }

    /// What the organisation does, when chosen.
    pub fn role(&self) -> Option<Role> {
        self.onboarding.role
    }

    /// The Broker scope string (space-separated, in a stable order).
    pub fn broker_scope(&self) -> String {
        let mut s: Vec<&str> = if self.scopes.is_empty() {
            DEFAULT_BROKER_SCOPES.to_vec()
        } else {
            self.scopes.iter().map(String::as_str).collect()
        };
        s.sort_unstable();
        s.dedup();
        s.join(" ")
    }

    /// The parts every token request needs that are missing or invalid.
    fn missing_for_tokens(&self) -> Vec<ProfilePart> {
        let mut missing = Vec::new();
        if OrgNumber::parse(&self.org_number).is_err() {
            missing.push(ProfilePart::OrgNumber);
        }
        if self.client_id.trim().is_empty() {
            missing.push(ProfilePart::ClientId);
        }
        missing
    }

    /// What this profile still lacks before files can be sent and received:
    /// the one "profile is ready" rule. The inbox poller uses it, and the UI
    /// reads it from the profile view (`ProfileView.missing`) instead of
    /// repeating it.
    pub fn missing(&self) -> Vec<ProfilePart> {
        let mut missing = self.missing_for_tokens();
        if self.resource_ids.is_empty() {
            missing.push(ProfilePart::ResourceIds);
        }
        missing
    }

    /// Checks the parts every token request needs.
    pub fn check_ready(&self) -> AppResult<()> {
        let missing = self.missing_for_tokens();
        if missing.is_empty() {
            Ok(())
        } else {
            let names: Vec<&str> = missing.iter().map(|p| p.as_str()).collect();
            Err(AppError::new(ErrorCode::ProfileIncomplete)
                .with_detail(format!("missing or invalid: {}", names.join(", "))))
        }
    }

    /// Checks user-entered fields before saving.
    pub fn validate(&self) -> AppResult<()> {
        if !self.org_number.is_empty() {
            OrgNumber::parse(&self.org_number)?;
        }
        if let Some(k) = &self.kid {
            if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
                return Err(AppError::invalid_input("kid may contain only letters, digits and . _ -"));
            }
        }
        if self.scopes.iter().any(|s| s.trim().is_empty() || s.contains(char::is_whitespace)) {
            return Err(AppError::invalid_input("each scope must be one word"));
        }
        Ok(())
    }

    /// The user-editable fields of `other` applied to this profile; key,
    /// certificate and system-user state stay as they are.
    pub fn apply_edit(&mut self, other: &ProfileEdit) {
        if let Some(v) = &other.org_number {
            // Kept as typed when it does not parse, so `validate` names the problem.
            self.org_number = OrgNumber::parse(v).map(|o| o.digits()).unwrap_or_else(|_| v.trim().to_owned());
        }
        if let Some(v) = &other.client_id {
            self.client_id = v.trim().to_owned();
        }
        if let Some(v) = &other.kid {
            self.kid = Some(v.trim().to_owned()).filter(|k| !k.is_empty());
        }
        if let Some(v) = &other.scopes {
            self.scopes = v.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
        }
        if let Some(v) = &other.resource_ids {
            self.resource_ids = v.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
        }
        if let Some(v) = other.token_mode {
            self.token_mode = v;
        }
        if let Some(v) = other.use_system_user {
            self.system_user.enabled = v;
        }
        if let Some(v) = &other.system_user_external_ref {
            self.system_user.external_ref = Some(v.trim().to_owned()).filter(|k| !k.is_empty());
        }
        if let Some(role) = other.role {
            // The role decides the Broker scopes (docs/ALTINN.md#the-client-and-its-scopes).
            self.onboarding.role = Some(role);
            self.scopes = role.scopes().iter().map(|s| s.to_string()).collect();
        }
        if let Some(v) = &other.checklist {
            let mut ids: Vec<String> = v.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
            ids.sort();
            ids.dedup();
            self.onboarding.checklist = ids;
        }
    }
}

/// The fields the UI may change with `save_profile` (all optional).
#[derive(Debug, Clone, Default, Deserialize, Serialize, TS)]
#[serde(rename_all = "camelCase", default)]
// An argument: the UI sends only the fields it changes.
#[ts(optional_fields)]
pub struct ProfileEdit {
    pub org_number: Option<String>,
    pub client_id: Option<String>,
    pub kid: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub resource_ids: Option<Vec<String>>,
    pub token_mode: Option<TokenMode>,
    pub use_system_user: Option<bool>,
    pub system_user_external_ref: Option<String>,
    /// Send, receive or both: also sets the Broker scopes.
    pub role: Option<Role>,
    /// The ticked prerequisites (the whole list).
    pub checklist: Option<Vec<String>>,
}

/// `0192:`, `urn:altinn:organization:identifier-no:` and spaces removed.
/// Secret-store names of a profile's secrets.
pub fn secret_name(env: Environment, what: &str) -> String {
    format!("{}/{what}", env.as_str())
}

/// The private key (PKCS#8 PEM).
pub fn private_key_secret(env: Environment) -> String {
    secret_name(env, "private-key")
}

/// The new key during a key change (PKCS#8 PEM).
pub fn pending_key_secret(env: Environment) -> String {
    secret_name(env, "private-key-pending")
}

/// The APIM subscription key.
pub fn api_key_secret(env: Environment) -> String {
    secret_name(env, "api-key")
}

pub use super::profile_store::{profile_secret_names, ProfileStore};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_names_what_sending_and_receiving_need() {
        let mut p = Profile::new(Environment::Tt02);
        assert_eq!(p.missing(), [ProfilePart::OrgNumber, ProfilePart::ClientId, ProfilePart::ResourceIds]);
        // An organisation number with a wrong check digit is not "set".
        p.org_number = "310000018".into();
        p.client_id = "abc".into();
        assert_eq!(p.missing(), [ProfilePart::OrgNumber, ProfilePart::ResourceIds]);
        assert_eq!(p.check_ready().unwrap_err().detail.as_deref(), Some("missing or invalid: orgNumber"));
        p.org_number = "310000019".into();
        // Token requests need no resource; sending and receiving do.
        p.check_ready().unwrap();
        assert_eq!(p.missing(), [ProfilePart::ResourceIds]);
        p.resource_ids = vec!["r".into()];
        assert!(p.missing().is_empty());
        for part in [ProfilePart::OrgNumber, ProfilePart::ClientId, ProfilePart::ResourceIds] {
            assert_eq!(serde_json::to_value(part).unwrap(), part.as_str());
        }
    }

    #[test]
    fn the_role_decides_the_scopes() {
        let mut p = Profile::new(Environment::Tt02);
        assert_eq!(p.broker_scope(), "altinn:broker.read altinn:broker.write");
        p.apply_edit(&ProfileEdit { role: Some(Role::Send), ..Default::default() });
        assert_eq!(p.broker_scope(), "altinn:broker.write");
        assert_eq!(p.role(), Some(Role::Send));
        p.apply_edit(&ProfileEdit { role: Some(Role::Receive), ..Default::default() });
        assert_eq!(p.broker_scope(), "altinn:broker.read");
        p.apply_edit(&ProfileEdit {
            checklist: Some(vec!["b".into(), " a ".into(), "b".into()]),
            ..Default::default()
        });
        assert_eq!(p.onboarding.checklist, ["a", "b"]);
    }

    #[test]
    fn bad_input_is_refused() {
        let mut p = Profile::new(Environment::Tt02);
        p.org_number = "12345".into();
        assert_eq!(p.validate().unwrap_err().code, ErrorCode::OrgNumberFormat);
        p.org_number = "310000018".into();
        assert_eq!(p.validate().unwrap_err().code, ErrorCode::OrgNumberCheckDigit);
        p.org_number = "310000019".into();
        p.kid = Some("bad kid".into());
        assert!(p.validate().is_err());
    }
}
