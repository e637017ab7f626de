//! The persistent state (organisations, clients, resources, system users,
//! file transfers, settings) and its atomic save and load.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::config::{PublicJwk, ResourceConfig, SandboxConfig, SettingsConfig, SystemUserConfig};
use super::format::{parse_iso_duration, strip_org};
use super::transfer::FileTransfer;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Organisation {
    pub org_number: String,
    pub name: String,
    /// A rehearsal organisation (see [`super::onboarding`]).
    #[serde(default)]
    pub realistic: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Client {
    pub client_id: String,
    pub org_number: String,
    pub scopes: Vec<String>,
    pub jwks: Vec<PublicJwk>,
    pub allow_certificate: bool,
    /// Display name and description, as entered in Samarbeidsportalen.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceOwner {
    pub org_number: String,
    pub name: String,
    /// Storage providers are ready (false → BRO-00021 on initialize).
    pub storage_ready: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resource {
    pub resource_id: String,
    pub service_owner: String,
    pub in_resource_registry: bool,
    /// The Resource Registry's title by language (see `registers.rs`).
    #[serde(default)]
    pub title: BTreeMap<String, String>,
    pub configured: bool,
    pub max_file_transfer_size: Option<i64>,
    /// seconds
    pub file_transfer_time_to_live: Option<i64>,
    pub purge_file_transfer_after_all_recipients_confirmed: bool,
    /// seconds
    pub purge_file_transfer_grace_period: Option<i64>,
    pub use_manifest_file_shim: Option<bool>,
    pub external_service_code_legacy: Option<String>,
    pub external_service_edition_code_legacy: Option<i32>,
    pub required_party: Option<String>,
    pub access_list_enabled: bool,
    pub access_list: Vec<String>,
    /// System users put on the access list by id (the service-owner page).
    #[serde(default)]
    pub access_list_system_users: Vec<Uuid>,
    pub rights: BTreeMap<String, Vec<String>>,
    pub malware_scan: bool,
}

impl Resource {
    pub fn from_config(c: &ResourceConfig) -> Result<Self, String> {
        let ttl = match &c.file_transfer_time_to_live {
            Some(s) => Some(parse_iso_duration(s).ok_or_else(|| format!("bad duration {s}"))?),
            None => None,
        };
        let grace = match &c.purge_file_transfer_grace_period {
            Some(s) => Some(parse_iso_duration(s).ok_or_else(|| format!("bad duration {s}"))?),
            None => None,
        };
        Ok(Resource {
            resource_id: c.resource_id.clone(),
            service_owner: strip_org(&c.service_owner),
            in_resource_registry: c.in_resource_registry,
            title: c.title.clone(),
            configured: c.configured,
            max_file_transfer_size: c.max_file_transfer_size,
            file_transfer_time_to_live: ttl,
            purge_file_transfer_after_all_recipients_confirmed: c
                .purge_file_transfer_after_all_recipients_confirmed
                .unwrap_or(true),
            purge_file_transfer_grace_period: grace,
            use_manifest_file_shim: c.use_manifest_file_shim,
            external_service_code_legacy: c.external_service_code_legacy.clone(),
            external_service_edition_code_legacy: c.external_service_edition_code_legacy,
            required_party: c.required_party.as_deref().map(strip_org),
            access_list_enabled: c.access_list_enabled,
            access_list: c.access_list.iter().map(|o| strip_org(o)).collect(),
            access_list_system_users: Vec::new(),
            rights: c.rights.iter().map(|(k, v)| (strip_org(k), v.clone())).collect(),
            malware_scan: c.malware_scan,
        })
    }

    /// Sandbox stand-in for Altinn Authorization (PDP), see docs/ALTINN.md#who-may-do-what.
    pub fn permits(&self, org: &str, action: &str) -> bool {
        if !self.rights.is_empty() {
            return self.rights.get(org).map(|a| a.iter().any(|x| x == action)).unwrap_or(false);
        }
        self.access_list.is_empty() || self.access_list.iter().any(|o| o == org)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegisteredSystem {
    pub id: String,
    pub vendor_org: String,
    pub body: serde_json::Value,
    pub client_ids: Vec<String>,
    pub resources: Vec<String>,
    pub redirect_urls: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SystemUserRequest {
    pub id: Uuid,
    pub external_ref: String,
    pub external_ref_given: bool,
    pub system_id: String,
    pub party_org_no: String,
    pub rights: serde_json::Value,
    pub redirect_url: Option<String>,
    /// New, Accepted, Rejected or Denied (RequestStatus.cs). A request that
    /// nobody answered keeps its status and reads `timedOut: true` after
    /// 180 days ([`super::onboarding::timed_out`]).
    pub status: String,
    pub created: OffsetDateTime,
    pub system_user_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SystemUser {
    pub id: Uuid,
    pub system_id: String,
    pub org_number: String,
    pub external_ref: Option<String>,
    pub created: OffsetDateTime,
    /// Resource ids delegated to the system user (by the approved request
    /// and change requests). `None` for one made before rights were kept:
    /// it has what its system lists.
    #[serde(default)]
    pub rights: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct State {
    pub organisations: BTreeMap<String, Organisation>,
    pub clients: BTreeMap<String, Client>,
    pub service_owners: BTreeMap<String, ServiceOwner>,
    pub resources: BTreeMap<String, Resource>,
    pub systems: BTreeMap<String, RegisteredSystem>,
    pub requests: BTreeMap<Uuid, SystemUserRequest>,
    pub system_users: BTreeMap<Uuid, SystemUser>,
    pub transfers: BTreeMap<Uuid, FileTransfer>,
    /// jti → unix time after which it may be forgotten
    pub used_jtis: BTreeMap<String, i64>,
    pub settings: SettingsConfig,
    pub clock_offset_ms: i64,
    /// Maskinporten tokens issued per client id.
    pub tokens_issued: BTreeMap<String, u64>,
    /// Port of the previous run; a restart on the same data dir tries it first
    /// so that issuer, tokens and TUS locations stay valid.
    #[serde(default)]
    pub last_port: Option<u16>,
    /// Sandbox signing key (PKCS#1 PEM), so tokens survive a restart.
    pub signing_key_pem: Option<String>,
    /// What the service desk and Digdir have granted, and the terms accepted
    /// (the simulated Samarbeidsportalen and service desk, `portal/`).
    #[serde(default)]
    pub onboarding: super::onboarding::Onboarding,
    /// Change requests for a system user's rights, by correlation id.
    #[serde(default)]
    pub change_requests: BTreeMap<Uuid, super::onboarding::ChangeRequest>,
}

impl State {
    pub fn apply_config(&mut self, cfg: &SandboxConfig) -> Result<(), String> {
        for o in &cfg.organisations {
            let org = strip_org(&o.org_number);
            self.organisations
                .insert(org.clone(), Organisation { org_number: org, name: o.name.clone(), realistic: o.realistic });
        }
        for c in &cfg.clients {
            self.clients.insert(
                c.client_id.clone(),
                Client {
                    client_id: c.client_id.clone(),
                    org_number: strip_org(&c.org_number),
                    scopes: c.scopes.clone(),
                    jwks: c.jwks.clone(),
                    allow_certificate: c.allow_certificate,
                    name: String::new(),
                    description: String::new(),
                },
            );
            // A configured client has its scopes: the service desk granted them.
            self.onboarding.grant(&strip_org(&c.org_number), &c.scopes);
        }
        for r in &cfg.resources {
            let res = Resource::from_config(r)?;
            if res.configured {
                self.ensure_service_owner(&res.service_owner);
            }
            self.resources.insert(res.resource_id.clone(), res);
        }
        for su in &cfg.system_users {
            self.add_system_user(su, OffsetDateTime::now_utc());
        }
        self.settings = cfg.settings.clone();
        Ok(())
    }

    pub fn ensure_service_owner(&mut self, org: &str) {
        if !self.service_owners.contains_key(org) {
            let name = self.organisations.get(org).map(|o| o.name.clone()).unwrap_or_else(|| org.to_string());
            self.service_owners
                .insert(org.to_string(), ServiceOwner { org_number: org.to_string(), name, storage_ready: true });
        }
    }

    pub fn add_system_user(&mut self, su: &SystemUserConfig, now: OffsetDateTime) -> Uuid {
        let org = strip_org(&su.org_number);
        let sys = self.systems.entry(su.system_id.clone()).or_insert_with(|| RegisteredSystem {
            id: su.system_id.clone(),
            vendor_org: su.system_id.split('_').next().unwrap_or("").to_string(),
            body: serde_json::json!({}),
            client_ids: vec![],
            resources: vec![],
            redirect_urls: vec![],
        });
        for c in &su.client_ids {
            if !sys.client_ids.contains(c) {
                sys.client_ids.push(c.clone());
            }
        }
        for r in &su.resources {
            if !sys.resources.contains(r) {
                sys.resources.push(r.clone());
            }
        }
        let id = su.id.unwrap_or_else(Uuid::new_v4);
        self.system_users.insert(
            id,
            SystemUser {
                id,
                system_id: su.system_id.clone(),
                org_number: org,
                external_ref: su.external_ref.clone(),
                created: now,
                rights: Some(su.resources.clone()),
            },
        );
        id
    }

    /// Org is "known" for the PDP purposes (exists in state).
    pub fn org_name(&self, org: &str) -> Option<String> {
        self.organisations.get(org).map(|o| o.name.clone())
    }

    /// Adds what `cfg` has and this state lacks (organisations, resources),
    /// leaving everything else as it was: a sandbox started on an older data
    /// folder gets the rehearsal organisations too.
    pub fn add_missing(&mut self, cfg: &SandboxConfig) -> Result<(), String> {
        for o in &cfg.organisations {
            let org = strip_org(&o.org_number);
            self.organisations.entry(org.clone()).or_insert_with(|| Organisation {
                org_number: org,
                name: o.name.clone(),
                realistic: o.realistic,
            });
        }
        for r in &cfg.resources {
            if !self.resources.contains_key(&r.resource_id) {
                let res = Resource::from_config(r)?;
                if res.configured {
                    self.ensure_service_owner(&res.service_owner);
                }
                self.resources.insert(res.resource_id.clone(), res);
            }
        }
        Ok(())
    }
}

/// Writes the state atomically: temp file, fsync, rename.
pub fn save_state(dir: &Path, state: &State) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = dir.join("state.json.tmp");
    let dst = dir.join("state.json");
    let data = serde_json::to_vec(state).map_err(std::io::Error::other)?;
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&data)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, &dst)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

pub fn load_state(dir: &Path) -> Option<State> {
    let data = std::fs::read(dir.join("state.json")).ok()?;
    serde_json::from_slice(&data).ok()
}

pub fn files_dir(dir: &Path) -> PathBuf {
    dir.join("files")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_parses() {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("example-config.toml");
        let c = SandboxConfig::from_file(&p).unwrap();
        assert_eq!(c.organisations.len(), 2);
        assert_eq!(c.clients[0].jwks[0].kid, "budbringer-test-1");
        let mut st = State::default();
        st.apply_config(&c).unwrap();
        assert_eq!(st.resources["budbringer-ovelse"].file_transfer_time_to_live, Some(30 * 86400));
        let json = serde_json::to_string(&c).unwrap();
        let back: SandboxConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back.resources[0].access_list.len(), 2);
    }
}
