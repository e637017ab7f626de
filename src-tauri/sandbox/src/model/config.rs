//! The sandbox's declarative configuration (TOML or JSON) and the practice set-up.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::errors::SandboxError;

/// Declarative configuration of the sandbox (TOML or JSON).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SandboxConfig {
    pub organisations: Vec<OrganisationConfig>,
    pub clients: Vec<ClientConfig>,
    pub resources: Vec<ResourceConfig>,
    pub system_users: Vec<SystemUserConfig>,
    pub settings: SettingsConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct OrganisationConfig {
    pub org_number: String,
    pub name: String,
    /// A rehearsal organisation: nothing is provisioned for it, and the
    /// sandbox enforces for it what the real services enforce (granted
    /// scopes, system-user rights, access lists). See `model/onboarding.rs`.
    pub realistic: bool,
}

/// A public RSA JWK as registered in Samarbeidsportalen.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct PublicJwk {
    pub kty: String,
    pub n: String,
    pub e: String,
    pub kid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ClientConfig {
    pub client_id: String,
    pub org_number: String,
    pub scopes: Vec<String>,
    pub jwks: Vec<PublicJwk>,
    /// Accept grants signed with a business certificate (`x5c`) whose
    /// organisation equals `org_number`.
    pub allow_certificate: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ResourceConfig {
    pub resource_id: String,
    /// Org number of the service owner that owns the resource.
    pub service_owner: String,
    /// Whether the resource exists in the Resource Registry (false → BRO-00005).
    pub in_resource_registry: bool,
    /// Its title in the Resource Registry by language (`nb`, `nn`, `en`);
    /// empty: the registry answers with the ID as the title.
    pub title: BTreeMap<String, String>,
    /// Whether the resource is configured in Broker's own resource table.
    pub configured: bool,
    pub max_file_transfer_size: Option<i64>,
    /// ISO-8601 duration, e.g. `P30D`.
    pub file_transfer_time_to_live: Option<String>,
    pub purge_file_transfer_after_all_recipients_confirmed: Option<bool>,
    /// ISO-8601 duration, e.g. `PT2H`.
    pub purge_file_transfer_grace_period: Option<String>,
    pub use_manifest_file_shim: Option<bool>,
    pub external_service_code_legacy: Option<String>,
    pub external_service_edition_code_legacy: Option<i32>,
    pub required_party: Option<String>,
    /// `accessListMode == "Enabled"` in the Resource Registry.
    pub access_list_enabled: bool,
    /// Org numbers on the resource's access list.
    pub access_list: Vec<String>,
    /// Sandbox stand-in for the PDP: org number → actions (`read`, `write`).
    /// When empty, every org on the access list (or every org at all when the
    /// access list is empty) has both `read` and `write`.
    pub rights: BTreeMap<String, Vec<String>>,
    /// When false the sandbox never runs the malware scan for this resource:
    /// every file transfer on it behaves as if `disableVirusScan` were true.
    pub malware_scan: bool,
}

impl Default for ResourceConfig {
    fn default() -> Self {
        ResourceConfig {
            resource_id: String::new(),
            service_owner: String::new(),
            in_resource_registry: true,
            title: BTreeMap::new(),
            configured: true,
            max_file_transfer_size: None,
            file_transfer_time_to_live: None,
            purge_file_transfer_after_all_recipients_confirmed: None,
            purge_file_transfer_grace_period: None,
            use_manifest_file_shim: None,
            external_service_code_legacy: None,
            external_service_edition_code_legacy: None,
            required_party: None,
            access_list_enabled: true,
            access_list: Vec::new(),
            rights: BTreeMap::new(),
            malware_scan: true,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SystemUserConfig {
    /// System user id (UUID); generated when empty.
    pub id: Option<Uuid>,
    /// System id, `<vendorOrgNo>_<name>`. Created in the system register when missing.
    pub system_id: String,
    /// Org that owns the system user.
    pub org_number: String,
    /// Maskinporten client ids that belong to the system.
    pub client_ids: Vec<String>,
    /// `externalRef` of the request; when set, grants must carry it.
    pub external_ref: Option<String>,
    /// Resource ids the system user has rights to.
    pub resources: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SettingsConfig {
    /// When set, every non-admin call must carry `Ocp-Apim-Subscription-Key` with this value.
    pub api_key: Option<String>,
    /// Require system-user tokens on Broker (otherwise org tokens with `consumer` are accepted).
    pub require_system_user: bool,
    /// Requests per minute per caller for `GET …/details`; 0 = unlimited.
    /// 15, as Broker's own rate-limit load test expects of the gateway at 161ba12.
    pub details_rate_limit_per_minute: u32,
    /// Requests per minute per caller for search; 0 = unlimited.
    pub search_rate_limit_per_minute: u32,
    /// Requests per minute per caller, each endpoint its own count, for
    /// initialize, both uploads, overview, download and confirm; 0 = unlimited.
    pub broker_rate_limit_per_minute: u32,
    /// How long a TUS upload stays locked after its PATCH body broke off, ms:
    /// the real server keeps reading until it notices (up to 60 s), and a HEAD
    /// or PATCH meanwhile gets 423. 0 = released at once.
    pub tus_lock_linger_ms: u64,
    /// Lifetime of Maskinporten access tokens, seconds.
    pub maskinporten_token_lifetime_secs: i64,
    /// Lifetime of exchanged Altinn tokens, seconds.
    pub altinn_token_lifetime_secs: i64,
    /// Delay of the asynchronous checksum/malware processing, milliseconds.
    pub processing_delay_ms: u64,
    /// When true, the clock starts with this skew (seconds) relative to real time.
    pub clock_offset_secs: i64,
    /// Treat every organisation as a rehearsal organisation (the realistic
    /// mode for a whole sandbox, `altinn-sandbox --realistic`).
    pub realistic: bool,
}

impl Default for SettingsConfig {
    fn default() -> Self {
        SettingsConfig {
            api_key: None,
            require_system_user: false,
            details_rate_limit_per_minute: 15,
            search_rate_limit_per_minute: 10,
            broker_rate_limit_per_minute: 120,
            tus_lock_linger_ms: 1000,
            maskinporten_token_lifetime_secs: 120,
            altinn_token_lifetime_secs: 1800,
            processing_delay_ms: 10,
            clock_offset_secs: 0,
            realistic: false,
        }
    }
}

/// Org number of the first practice organisation ("Øvingsetaten Avsender").
pub const PRACTICE_ORG_A: &str = "310000019";
/// Org number of the second practice organisation ("Øvingsetaten Mottaker").
pub const PRACTICE_ORG_B: &str = "310000027";
/// Resource of the practice set-up.
pub const PRACTICE_RESOURCE: &str = "budbringer-ovelse";
/// Scopes the practice set-up allows when the app registers its own client.
pub const PRACTICE_SCOPES: &[&str] = &["altinn:broker.write", "altinn:broker.read"];

/// The rehearsal organisations (synthetic, like Tenor's in TT02): nothing is
/// set up for them, so the whole onboarding must be walked as in TT02.
pub const REHEARSAL_ORGS: &[(&str, &str)] = &[
    ("310000108", "Prøvebedrift Nord AS"),
    ("310000116", "Prøvebedrift Sør AS"),
    ("310000124", "Prøvebedrift Vest AS"),
    ("310000132", "Prøvebedrift Øst AS"),
];
/// The service owner of the rehearsal resources.
pub const REHEARSAL_SERVICE_OWNER: (&str, &str) = ("310000191", "Øvingsdirektoratet");
/// The rehearsal resources: access lists on, and nobody on them yet.
pub const REHEARSAL_RESOURCES: &[&str] = &["ovelse-rapportering", "ovelse-vedlegg"];

/// Mod-11 check digit validation of a Norwegian organisation number.
pub fn valid_org_number(s: &str) -> bool {
    s.len() == 9 && budbringer_core::orgnumber::OrgNumber::parse(s).is_ok()
}

impl SandboxConfig {
    /// The practice set-up: two organisations that can send to each other on one resource.
    pub fn practice() -> Self {
        SandboxConfig {
            organisations: vec![
                OrganisationConfig {
                    org_number: PRACTICE_ORG_A.into(),
                    name: "Øvingsetaten Avsender".into(),
                    realistic: false,
                },
                OrganisationConfig {
                    org_number: PRACTICE_ORG_B.into(),
                    name: "Øvingsetaten Mottaker".into(),
                    realistic: false,
                },
            ],
            clients: vec![],
            resources: vec![ResourceConfig {
                resource_id: PRACTICE_RESOURCE.into(),
                service_owner: PRACTICE_ORG_A.into(),
                title: [
                    ("nb", "Øvingstjeneste for Budbringer"),
                    ("nn", "Øvingsteneste for Budbringer"),
                    ("en", "Budbringer practice service"),
                ]
                .into_iter()
                .map(|(l, t)| (l.to_owned(), t.to_owned()))
                .collect(),
                access_list: vec![PRACTICE_ORG_A.into(), PRACTICE_ORG_B.into()],
                ..Default::default()
            }],
            system_users: vec![],
            settings: SettingsConfig::default(),
        }
        .with_rehearsal()
    }

    /// The realistic mode for a whole sandbox: the practice set-up, with every
    /// organisation treated as a rehearsal organisation (nothing provisioned).
    pub fn realistic() -> Self {
        let mut c = Self::practice();
        c.settings.realistic = true;
        c
    }

    /// Adds the rehearsal organisations, their service owner and its two
    /// resources (access lists on and empty), unless they are there already.
    pub fn with_rehearsal(mut self) -> Self {
        let (so, so_name) = REHEARSAL_SERVICE_OWNER;
        let mut orgs: Vec<(&str, &str)> = REHEARSAL_ORGS.to_vec();
        orgs.push((so, so_name));
        for (org, name) in orgs {
            if !self.organisations.iter().any(|o| o.org_number == org) {
                self.organisations.push(OrganisationConfig {
                    org_number: org.into(),
                    name: name.into(),
                    realistic: true,
                });
            }
        }
        for r in REHEARSAL_RESOURCES {
            if !self.resources.iter().any(|x| x.resource_id == *r) {
                self.resources.push(ResourceConfig {
                    resource_id: (*r).into(),
                    service_owner: so.into(),
                    access_list_enabled: true,
                    ..Default::default()
                });
            }
        }
        self
    }

    /// Reads a `.toml` or `.json` configuration file.
    pub fn from_file(path: &Path) -> Result<Self, SandboxError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| SandboxError::Config(format!("{}: {e}", path.display())))?;
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => serde_json::from_str(&text).map_err(|e| SandboxError::Config(e.to_string())),
            Some("toml") => toml::from_str(&text).map_err(|e| SandboxError::Config(e.to_string())),
            _ => Err(SandboxError::Config("configuration file must end in .toml or .json".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn practice_org_numbers_are_valid() {
        assert!(valid_org_number(PRACTICE_ORG_A));
        assert!(valid_org_number(PRACTICE_ORG_B));
        for (org, _) in REHEARSAL_ORGS.iter().chain([&REHEARSAL_SERVICE_OWNER]) {
            assert!(valid_org_number(org), "{org}");
        }
        assert!(!valid_org_number("310000001"));
    }
}
