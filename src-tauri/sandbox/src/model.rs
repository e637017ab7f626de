//! Configuration, persistent state, clock and small helpers of the sandbox.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::SandboxError;

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

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
    pub details_rate_limit_per_minute: u32,
    /// Requests per minute per caller for search; 0 = unlimited.
    pub search_rate_limit_per_minute: u32,
    /// Lifetime of Maskinporten access tokens, seconds.
    pub maskinporten_token_lifetime_secs: i64,
    /// Lifetime of exchanged Altinn tokens, seconds.
    pub altinn_token_lifetime_secs: i64,
    /// Delay of the asynchronous checksum/malware processing, milliseconds.
    pub processing_delay_ms: u64,
    /// When true, the clock starts with this skew (seconds) relative to real time.
    pub clock_offset_secs: i64,
}

impl Default for SettingsConfig {
    fn default() -> Self {
        SettingsConfig {
            api_key: None,
            require_system_user: false,
            details_rate_limit_per_minute: 10,
            search_rate_limit_per_minute: 10,
            maskinporten_token_lifetime_secs: 120,
            altinn_token_lifetime_secs: 1800,
            processing_delay_ms: 10,
            clock_offset_secs: 0,
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

/// Mod-11 check digit validation of a Norwegian organisation number.
pub fn valid_org_number(s: &str) -> bool {
    s.len() == 9 && budbringer_core::orgnumber::OrgNumber::parse(s).is_ok()
}

impl SandboxConfig {
    /// The practice set-up: two organisations that can send to each other on one resource.
    pub fn practice() -> Self {
        SandboxConfig {
            organisations: vec![
                OrganisationConfig { org_number: PRACTICE_ORG_A.into(), name: "Øvingsetaten Avsender".into() },
                OrganisationConfig { org_number: PRACTICE_ORG_B.into(), name: "Øvingsetaten Mottaker".into() },
            ],
            clients: vec![],
            resources: vec![ResourceConfig {
                resource_id: PRACTICE_RESOURCE.into(),
                service_owner: PRACTICE_ORG_A.into(),
                access_list: vec![PRACTICE_ORG_A.into(), PRACTICE_ORG_B.into()],
                ..Default::default()
            }],
            system_users: vec![],
            settings: SettingsConfig::default(),
        }
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

// ---------------------------------------------------------------------------
// Clock
// ---------------------------------------------------------------------------

/// Real time plus an offset that tests can move.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + time::Duration::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }
    pub fn unix(&self) -> i64 {
        self.now().unix_timestamp()
    }
    pub fn advance_secs(&self, secs: i64) {
        self.offset_ms.fetch_add(secs * 1000, Ordering::SeqCst);
    }
    pub fn set_offset_secs(&self, secs: i64) {
        self.offset_ms.store(secs * 1000, Ordering::SeqCst);
    }
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }
    pub fn set_offset_ms(&self, ms: i64) {
        self.offset_ms.store(ms, Ordering::SeqCst);
    }
}

// ---------------------------------------------------------------------------
// Persistent state
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Organisation {
    pub org_number: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Client {
    pub client_id: String,
    pub org_number: String,
    pub scopes: Vec<String>,
    pub jwks: Vec<PublicJwk>,
    pub allow_certificate: bool,
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
            rights: c.rights.iter().map(|(k, v)| (strip_org(k), v.clone())).collect(),
            malware_scan: c.malware_scan,
        })
    }

    /// Sandbox stand-in for Altinn Authorization (PDP), see broker-api.md §6.4.
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
    /// New, Accepted, Rejected, TimedOut
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
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub enum FtStatus {
    Initialized = 0,
    UploadStarted = 1,
    UploadProcessing = 2,
    Published = 3,
    Cancelled = 4,
    AllConfirmedDownloaded = 5,
    Purged = 6,
    Failed = 7,
}

impl FtStatus {
    pub fn default_text(self) -> &'static str {
        match self {
            FtStatus::Initialized => "Ready for upload",
            FtStatus::UploadStarted => "Upload started",
            FtStatus::UploadProcessing => "Processing upload",
            FtStatus::Published => "Ready for download",
            FtStatus::Cancelled => "FileTransfer cancelled",
            FtStatus::AllConfirmedDownloaded => "All downloaded",
            FtStatus::Purged => "FileTransfer has been purged",
            FtStatus::Failed => "Upload failed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        let all = [
            FtStatus::Initialized,
            FtStatus::UploadStarted,
            FtStatus::UploadProcessing,
            FtStatus::Published,
            FtStatus::Cancelled,
            FtStatus::AllConfirmedDownloaded,
            FtStatus::Purged,
            FtStatus::Failed,
        ];
        if let Ok(n) = s.parse::<usize>() {
            return all.get(n).copied();
        }
        all.into_iter().find(|x| format!("{x:?}").eq_ignore_ascii_case(s))
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub enum ActorStatus {
    Initialized = 0,
    DownloadStarted = 1,
    DownloadConfirmed = 2,
}

impl ActorStatus {
    pub fn text(self) -> &'static str {
        match self {
            ActorStatus::Initialized => "Initialized",
            ActorStatus::DownloadStarted => "Recipient has attempted to download fileTransfer",
            ActorStatus::DownloadConfirmed => "Recipient has downloaded fileTransfer",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [ActorStatus::Initialized, ActorStatus::DownloadStarted, ActorStatus::DownloadConfirmed]
            .into_iter()
            .enumerate()
            .find(|(i, x)| format!("{x:?}").eq_ignore_ascii_case(s) || i.to_string() == s)
            .map(|(_, x)| x)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusEvent {
    pub status: FtStatus,
    pub text: Option<String>,
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActorEvent {
    pub recipient: String,
    pub status: ActorStatus,
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct TusUpload {
    pub length: u64,
    pub offset: u64,
    /// Partial uploads of a concatenation: id → (length, offset)
    pub partials: BTreeMap<String, (u64, u64)>,
    /// Partial ids of a final concatenation, in order (empty for a single upload).
    #[serde(default)]
    pub final_parts: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileTransfer {
    pub id: Uuid,
    pub resource_id: String,
    pub file_name: String,
    pub senders_reference: String,
    pub sender: String,
    pub recipients: Vec<String>,
    pub property_list: BTreeMap<String, String>,
    /// Checksum given at initialize (None or "" when not given).
    pub user_checksum: Option<String>,
    pub computed_checksum: Option<String>,
    pub use_virus_scan: bool,
    pub size: u64,
    pub created: OffsetDateTime,
    pub expiration: OffsetDateTime,
    pub history: Vec<StatusEvent>,
    pub recipient_history: Vec<ActorEvent>,
    pub has_file: bool,
    pub tus: Option<TusUpload>,
    /// Background processing (checksum, scan, publish) still to run.
    pub processing_pending: bool,
    /// When the after-confirm purge is due.
    pub purge_at: Option<OffsetDateTime>,
    /// Last ranged-download DownloadStarted per recipient (5-minute debounce).
    #[serde(default)]
    pub last_range_download: BTreeMap<String, OffsetDateTime>,
    /// Last TUS create/PATCH (for the stuck-transfer job).
    #[serde(default)]
    pub last_tus_activity: Option<OffsetDateTime>,
}

impl FileTransfer {
    pub fn current(&self) -> &StatusEvent {
        // Latest timestamp; ties go to the higher status number.
        self.history
            .iter()
            .max_by(|a, b| a.at.cmp(&b.at).then(a.status.cmp(&b.status)))
            .expect("history is never empty")
    }
    pub fn status(&self) -> FtStatus {
        self.current().status
    }
    pub fn set_status(&mut self, status: FtStatus, text: Option<String>, now: OffsetDateTime) {
        // Keep timestamps strictly increasing so "latest" is well defined.
        let last = self.history.iter().map(|e| e.at).max().unwrap_or(now);
        let at = if now <= last { last + time::Duration::microseconds(1) } else { now };
        self.history.push(StatusEvent { status, text, at });
    }
    pub fn add_actor(&mut self, recipient: &str, status: ActorStatus, now: OffsetDateTime) {
        let last = self.recipient_history.iter().map(|e| e.at).max().unwrap_or(now);
        let at = if now <= last { last + time::Duration::microseconds(1) } else { now };
        self.recipient_history.push(ActorEvent { recipient: recipient.to_string(), status, at });
    }
    /// Highest status reached with the latest timestamp (overview semantics).
    pub fn recipient_overview(&self, r: &str) -> (ActorStatus, OffsetDateTime) {
        let evs: Vec<_> = self.recipient_history.iter().filter(|e| e.recipient == r).collect();
        let st = evs.iter().map(|e| e.status).max().unwrap_or(ActorStatus::Initialized);
        let at = evs.iter().map(|e| e.at).max().unwrap_or(self.created);
        (st, at)
    }
    /// Latest status by timestamp (search `recipientStatus` semantics).
    pub fn recipient_latest(&self, r: &str) -> Option<ActorStatus> {
        self.recipient_history.iter().filter(|e| e.recipient == r).max_by_key(|e| e.at).map(|e| e.status)
    }
    pub fn checksum_out(&self) -> Option<String> {
        match (&self.user_checksum, &self.computed_checksum) {
            (Some(u), _) if !u.trim().is_empty() => Some(u.clone()),
            (_, Some(c)) => Some(c.clone()),
            (Some(u), None) => Some(u.clone()),
            (None, None) => None,
        }
    }
    pub fn user_checksum_given(&self) -> bool {
        self.user_checksum.as_deref().map(|s| !s.trim().is_empty()).unwrap_or(false)
    }
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
}

impl State {
    pub fn apply_config(&mut self, cfg: &SandboxConfig) -> Result<(), String> {
        for o in &cfg.organisations {
            let org = strip_org(&o.org_number);
            self.organisations.insert(org.clone(), Organisation { org_number: org, name: o.name.clone() });
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
                },
            );
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
            },
        );
        id
    }

    /// Org is "known" for the PDP purposes (exists in state).
    pub fn org_name(&self, org: &str) -> Option<String> {
        self.organisations.get(org).map(|o| o.name.clone())
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

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// `0192:123`, `urn:altinn:organization:identifier-no:123` → `123` (everything after the last `:`).
pub fn strip_org(s: &str) -> String {
    s.rsplit(':').next().unwrap_or(s).to_string()
}

/// ISO-8601 timestamp with `+00:00` and microseconds, like Npgsql/System.Text.Json.
pub fn fmt_ts(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}+00:00",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// Parses an ISO-8601 duration the way `XmlConvert.ToTimeSpan` does (Y = 365 d, M = 30 d).
pub fn parse_iso_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let s = s.strip_prefix('P')?;
    if s.is_empty() {
        return None;
    }
    let (date, tpart) = match s.find('T') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mut total: f64 = 0.0;
    let mut any = false;
    let mut parse_part = |part: &str, units: &[(char, f64)]| -> Option<()> {
        let mut num = String::new();
        let mut idx = 0;
        for ch in part.chars() {
            if ch.is_ascii_digit() || ch == '.' {
                num.push(ch);
            } else {
                let pos = units.iter().position(|(u, _)| *u == ch)?;
                if pos < idx || num.is_empty() {
                    return None;
                }
                idx = pos + 1;
                total += num.parse::<f64>().ok()? * units[pos].1;
                num.clear();
                any = true;
            }
        }
        if !num.is_empty() {
            return None;
        }
        Some(())
    };
    parse_part(date, &[('Y', 365.0 * 86400.0), ('M', 30.0 * 86400.0), ('D', 86400.0)])?;
    if let Some(t) = tpart {
        if t.is_empty() {
            return None;
        }
        parse_part(t, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)])?;
    }
    if !any {
        return None;
    }
    Some(if neg { -(total as i64) } else { total as i64 })
}

/// .NET `TimeSpan.ToString()`: `d.hh:mm:ss` or `hh:mm:ss`.
pub fn fmt_timespan(secs: i64) -> String {
    let d = secs / 86400;
    let h = (secs % 86400) / 3600;
    let m = (secs % 3600) / 60;
    let s = secs % 60;
    if d > 0 {
        format!("{d}.{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn practice_org_numbers_are_valid() {
        assert!(valid_org_number(PRACTICE_ORG_A));
        assert!(valid_org_number(PRACTICE_ORG_B));
        assert!(!valid_org_number("310000001"));
    }

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

    #[test]
    fn durations() {
        assert_eq!(parse_iso_duration("P30D"), Some(30 * 86400));
        assert_eq!(parse_iso_duration("PT2H"), Some(7200));
        assert_eq!(parse_iso_duration("P1DT1M"), Some(86460));
        assert_eq!(parse_iso_duration("30D"), None);
        assert_eq!(parse_iso_duration("PT"), None);
        assert_eq!(fmt_timespan(30 * 86400), "30.00:00:00");
        assert_eq!(fmt_timespan(7200), "02:00:00");
    }
}
