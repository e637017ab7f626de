//! Admin API (`/admin/...`, JSON) and its in-process twin [`Admin`].

use budbringer_core::sync::Locked;
use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::app::App;
use crate::errors::json_response;
use crate::faults::{FaultSpec, Order};
use crate::model::{
    strip_org, ActorStatus, Client, ClientConfig, FileTransfer, FtStatus, Organisation, OrganisationConfig, PublicJwk,
    Resource, ResourceConfig, SettingsConfig, SystemUserConfig,
};

// ---------------------------------------------------------------------------
// In-process admin handle
// ---------------------------------------------------------------------------

/// Seeds a Published file transfer into an organisation's inbox.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SeedFile {
    /// Defaults to the first resource.
    pub resource_id: Option<String>,
    pub sender: String,
    pub recipient: String,
    pub file_name: String,
    /// UTF-8 content (use `content_base64` for binary).
    pub content: Option<String>,
    pub content_base64: Option<String>,
    pub senders_reference: Option<String>,
    pub property_list: BTreeMap<String, String>,
    /// More recipients besides `recipient` (each must confirm before the
    /// transfer leaves `Published`).
    pub other_recipients: Vec<String>,
}

/// A transfer as the server holds it, for checks that must not go through
/// the API under test.
#[derive(Debug, Clone, Serialize)]
pub struct TransferInfo {
    pub id: Uuid,
    pub file_name: String,
    pub senders_reference: String,
    pub sender: String,
    pub recipients: Vec<String>,
    pub property_list: BTreeMap<String, String>,
    /// The checksum given at initialize, when one was.
    pub user_checksum: Option<String>,
    /// The MD5 of the stored bytes, once Broker has it.
    pub computed_checksum: Option<String>,
    /// The current status (`Initialized`, …, `Published`, `Failed`, …).
    pub status: String,
    pub status_text: Option<String>,
    /// Every status it has had, in order.
    pub history: Vec<String>,
    pub has_file: bool,
    /// Each recipient's highest status (`Initialized`, `DownloadStarted`, `DownloadConfirmed`).
    pub recipient_status: BTreeMap<String, String>,
}

/// In-process twin of the `/admin` HTTP API.
#[derive(Clone)]
pub struct Admin {
    pub(crate) inner: App,
}

impl Admin {
    pub fn add_organisation(&self, o: OrganisationConfig) {
        let org = strip_org(&o.org_number);
        self.inner.mutate(|s| {
            s.organisations.insert(org.clone(), Organisation { org_number: org, name: o.name, realistic: o.realistic })
        });
    }
    /// Registers or replaces a Maskinporten client (its public JWKs and
    /// scopes), as if the service desk had granted the scopes too.
    pub fn register_client(&self, c: ClientConfig) {
        self.inner.mutate(|s| {
            s.onboarding.grant(&strip_org(&c.org_number), &c.scopes);
            s.clients.insert(
                c.client_id.clone(),
                Client {
                    client_id: c.client_id,
                    org_number: strip_org(&c.org_number),
                    scopes: c.scopes,
                    jwks: c.jwks,
                    allow_certificate: c.allow_certificate,
                    name: String::new(),
                    description: String::new(),
                },
            )
        });
    }
    /// Grants `scopes` to an organisation (what the service desk and Digdir do).
    pub fn grant_scopes(&self, org: &str, scopes: &[&str]) {
        self.inner.mutate(|s| s.onboarding.grant(&strip_org(org), scopes));
    }
    /// Withdraws a granted scope (Maskinporten then answers MP-250 for it).
    pub fn withdraw_scope(&self, org: &str, scope: &str) {
        self.inner.mutate(|s| s.onboarding.withdraw(&strip_org(org), scope));
    }
    /// Puts an organisation on (or takes it off) a resource's access list.
    pub fn set_on_access_list(&self, resource_id: &str, org: &str, on: bool) -> bool {
        let org = strip_org(org);
        self.inner.mutate(|s| match s.resources.get_mut(resource_id) {
            Some(r) => {
                r.access_list.retain(|o| o != &org);
                if on {
                    r.access_list.push(org);
                }
                true
            }
            None => false,
        })
    }
    /// Lets a request (or change request) time out, as 180 days without an answer would.
    pub fn time_out_request(&self, id: Uuid) -> bool {
        crate::platform::decide::time_out(&self.inner, id)
    }
    pub fn add_resource(&self, r: ResourceConfig) -> Result<(), String> {
        let res = Resource::from_config(&r)?;
        self.inner.mutate(|s| {
            if res.configured {
                s.ensure_service_owner(&res.service_owner);
            }
            s.resources.insert(res.resource_id.clone(), res)
        });
        Ok(())
    }
    /// Removes a service owner (its resources then answer BRO-00002/00024).
    pub fn remove_service_owner(&self, org: &str) {
        let org = strip_org(org);
        self.inner.mutate(|s| s.service_owners.remove(&org));
    }
    /// Creates an approved system user directly; returns its id.
    pub fn add_system_user(&self, su: SystemUserConfig) -> Uuid {
        let now = self.inner.clock.now();
        self.inner.mutate(|s| s.add_system_user(&su, now))
    }
    /// Approves (`true`, as the managing director) or rejects a system-user
    /// request or change request. Returns the status after (unchanged when
    /// Altinn would refuse the approval, e.g. AUTH-00069), or None.
    pub fn decide_request(&self, id: Uuid, approve: bool) -> Option<String> {
        crate::platform::decide::decide(&self.inner, id, approve)
    }
    pub fn advance_clock(&self, secs: i64) {
        self.inner.clock.advance_secs(secs);
        self.inner.mutate(|_| ());
        crate::broker::tick(&self.inner);
    }
    pub fn set_clock_offset(&self, secs: i64) {
        self.inner.clock.set_offset_secs(secs);
        self.inner.mutate(|_| ());
    }
    pub fn now(&self) -> time::OffsetDateTime {
        self.inner.clock.now()
    }
    pub fn set_api_key(&self, key: Option<String>) {
        self.inner.mutate(|s| s.settings.api_key = key);
    }
    pub fn settings(&self) -> SettingsConfig {
        self.inner.read(|s| s.settings.clone())
    }
    pub fn set_settings(&self, settings: SettingsConfig) {
        self.inner.mutate(|s| s.settings = settings);
    }
    pub fn add_fault(&self, f: FaultSpec) {
        self.inner.faults.locked().add(&f);
    }
    /// Removes every pending fault; the count of those that fired is kept.
    pub fn clear_faults(&self) {
        self.inner.faults.locked().orders.clear();
    }
    /// How often faults of a kind have fired (`"drop"`, `"fail_503"`,
    /// `"rate_limit_429"`, `"latency"`, `"truncate"`, `"malformed_json"`,
    /// `"lose_answer"`, `"cut_request"`, `"cut_response"`, `"stall_response"`,
    /// `"fail_processing"`): a fault test checks that its fault took effect.
    pub fn faults_fired(&self, kind: &str) -> u64 {
        self.inner.faults.locked().fired.get(kind).copied().unwrap_or(0)
    }
    /// The orders not used up yet.
    pub fn pending_faults(&self) -> Vec<Order> {
        self.inner.faults.locked().orders.clone()
    }
    /// When each successful confirmation of a transfer's download was carried
    /// out (wall-clock time), in order.
    pub fn confirm_times(&self, file_transfer_id: Uuid) -> Vec<std::time::SystemTime> {
        self.inner.counters.locked().confirms.get(&file_transfer_id).cloned().unwrap_or_default()
    }
    /// Where each download request of a transfer began, in order: the start
    /// of its `Range` (`bytes=N-`), 0 for a request without one. A resumed
    /// download shows as a later entry above 0.
    pub fn download_starts(&self, file_transfer_id: Uuid) -> Vec<u64> {
        self.inner.counters.locked().download_starts.get(&file_transfer_id).cloned().unwrap_or_default()
    }
    /// Every transfer, as the server holds it.
    pub fn transfers(&self) -> Vec<TransferInfo> {
        self.inner.read(|s| {
            s.transfers
                .values()
                .map(|ft| {
                    let cur = ft.current();
                    let mut hist = ft.history.clone();
                    hist.sort_by_key(|e| e.at);
                    TransferInfo {
                        id: ft.id,
                        file_name: ft.file_name.clone(),
                        senders_reference: ft.senders_reference.clone(),
                        sender: ft.sender.clone(),
                        recipients: ft.recipients.clone(),
                        property_list: ft.property_list.clone(),
                        user_checksum: ft.user_checksum.clone().filter(|c| !c.trim().is_empty()),
                        computed_checksum: ft.computed_checksum.clone(),
                        status: format!("{:?}", cur.status),
                        status_text: cur.text.clone(),
                        history: hist.iter().map(|e| format!("{:?}", e.status)).collect(),
                        has_file: ft.has_file,
                        recipient_status: ft
                            .recipients
                            .iter()
                            .map(|r| (r.clone(), format!("{:?}", ft.recipient_overview(r).0)))
                            .collect(),
                    }
                })
                .collect()
        })
    }
    /// The bytes Broker holds for a transfer, while it holds them.
    pub fn stored_bytes(&self, file_transfer_id: Uuid) -> Option<Vec<u8>> {
        std::fs::read(self.inner.file_path(file_transfer_id)).ok()
    }
    /// Maskinporten tokens issued to a client.
    pub fn tokens_issued(&self, client_id: &str) -> u64 {
        self.inner.read(|s| s.tokens_issued.get(client_id).copied().unwrap_or(0))
    }
    /// Body bytes received for a file transfer (all attempts, this process).
    pub fn bytes_received(&self, file_transfer_id: Uuid) -> u64 {
        self.inner.counters.locked().bytes_received.get(&file_transfer_id).copied().unwrap_or(0)
    }
    /// TUS concatenation for a transfer: how many partial uploads were made,
    /// and how many requests for the final upload came (whatever their answer).
    pub fn tus_concats(&self, file_transfer_id: Uuid) -> (u64, u64) {
        self.inner.counters.locked().tus_concats.get(&file_transfer_id).copied().unwrap_or_default()
    }
    /// Total requests served (all paths).
    /// Calls per rate-limited endpoint (`details`, `search`, `overview`, …)
    /// and the gateway's 429 answers to them, as the sandbox counted.
    pub fn rate_limit_counts(&self) -> (BTreeMap<String, u64>, BTreeMap<String, u64>) {
        let c = self.inner.counters.locked();
        (
            c.limited_calls.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            c.rate_limited.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        )
    }

    pub fn requests_served(&self) -> u64 {
        self.inner.counters.locked().requests
    }
    /// Current status of a file transfer, e.g. `"Published"`.
    pub fn transfer_status(&self, id: Uuid) -> Option<String> {
        self.inner.read(|s| s.transfers.get(&id).map(|f| format!("{:?}", f.status())))
    }
    /// Runs the background scheduler once (processing, expiry, purge).
    pub fn run_jobs(&self) {
        crate::broker::tick(&self.inner);
    }
    /// Mints a Maskinporten-style access token signed by the sandbox without a
    /// grant (a test shortcut; the real flow is `POST /token`).
    pub fn mint_token(&self, org: &str, scopes: &str, system_user: Option<Uuid>) -> String {
        let now = self.inner.clock.unix();
        let org = strip_org(org);
        let mut c = json!({
            "iss": self.inner.issuer(), "client_amr": "private_key_jwt", "token_type": "Bearer",
            "client_id": format!("sandbox-minted-{org}"),
            "consumer": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{org}")},
            "scope": scopes, "iat": now, "exp": now + 3600, "jti": Uuid::new_v4().to_string(),
        });
        if let Some(id) = system_user {
            let sys = self.inner.read(|s| s.system_users.get(&id).map(|u| u.system_id.clone())).unwrap_or_default();
            c["authorization_details"] = json!([{
                "type": "urn:altinn:systemuser", "systemuser_id": [id.to_string()],
                "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{org}")},
                "system_id": sys,
            }]);
        }
        self.inner.signer.sign(&c)
    }
    /// Signs arbitrary claims with the sandbox key (tests of unusual tokens).
    /// `iss` defaults to the Maskinporten issuer.
    pub fn sign_claims(&self, mut claims: Value) -> String {
        if claims.get("iss").is_none() {
            claims["iss"] = json!(self.inner.issuer());
        }
        self.inner.signer.sign(&claims)
    }
    /// Seeds a Published file into `recipient`'s inbox; returns its id.
    pub fn seed_file(&self, f: SeedFile) -> Result<Uuid, String> {
        let bytes = match (&f.content_base64, &f.content) {
            (Some(b), _) => base64::engine::general_purpose::STANDARD.decode(b).map_err(|e| e.to_string())?,
            (None, Some(t)) => t.clone().into_bytes(),
            (None, None) => vec![],
        };
        let app = &self.inner;
        let rid = match f.resource_id {
            Some(r) => r,
            None => app.read(|s| s.resources.keys().next().cloned()).ok_or("no resource")?,
        };
        let id = Uuid::new_v4();
        std::fs::write(app.file_path(id), &bytes).map_err(|e| e.to_string())?;
        let sum = {
            use md5::Digest;
            crate::model::hex(&md5::Md5::digest(&bytes))
        };
        let now = app.clock.now();
        let recipient = format!("0192:{}", strip_org(&f.recipient));
        let mut recipients = vec![recipient];
        for r in &f.other_recipients {
            recipients.push(format!("0192:{}", strip_org(r)));
        }
        let ttl = app.read(|s| s.resources.get(&rid).and_then(|r| r.file_transfer_time_to_live)).unwrap_or(30 * 86400);
        let sender = if f.sender.contains(':') { f.sender.clone() } else { format!("0192:{}", f.sender) };
        let mut ft = FileTransfer {
            id,
            resource_id: rid,
            file_name: f.file_name,
            senders_reference: f.senders_reference.unwrap_or_else(|| format!("sandbox-seed-{}", id.simple())),
            sender,
            recipients: recipients.clone(),
            property_list: f.property_list,
            user_checksum: Some(String::new()),
            computed_checksum: Some(sum),
            use_virus_scan: true,
            size: bytes.len() as u64,
            created: now,
            expiration: now + time::Duration::seconds(ttl),
            history: vec![],
            recipient_history: vec![],
            has_file: true,
            tus: None,
            processing_pending: false,
            purge_at: None,
            last_range_download: BTreeMap::new(),
            last_tus_activity: None,
            tus_sessions: BTreeMap::new(),
            file_location: true,
        };
        for r in &recipients {
            ft.add_actor(r, ActorStatus::Initialized, now);
        }
        ft.set_status(FtStatus::Initialized, None, now);
        ft.set_status(FtStatus::UploadStarted, None, now);
        ft.set_status(FtStatus::UploadProcessing, None, now);
        ft.set_status(FtStatus::Published, None, now);
        app.mutate(|s| s.transfers.insert(id, ft));
        Ok(id)
    }
    /// Seeds `f` and then `count - 1` copies of it in one save, each a second
    /// older than the one before (the original is the newest), with the same
    /// bytes (hard links where the file system allows). For benchmarks of a
    /// large inbox: seeding one at a time writes the whole state every time.
    pub fn seed_copies(&self, f: SeedFile, count: usize) -> Result<Vec<Uuid>, String> {
        let first = self.seed_file(f)?;
        let app = &self.inner;
        let ft = app.read(|s| s.transfers.get(&first).cloned()).ok_or("the seeded transfer is gone")?;
        let mut ids = vec![first];
        let mut copies = Vec::with_capacity(count.saturating_sub(1));
        for i in 1..count {
            let id = Uuid::new_v4();
            if std::fs::hard_link(app.file_path(first), app.file_path(id)).is_err() {
                std::fs::copy(app.file_path(first), app.file_path(id)).map_err(|e| e.to_string())?;
            }
            let older = time::Duration::seconds(i as i64);
            let mut c = ft.clone();
            c.id = id;
            c.senders_reference = format!("sandbox-seed-{}", id.simple());
            c.created -= older;
            c.expiration -= older;
            c.history.iter_mut().for_each(|e| e.at -= older);
            c.recipient_history.iter_mut().for_each(|e| e.at -= older);
            ids.push(id);
            copies.push(c);
        }
        app.mutate(|s| s.transfers.extend(copies.into_iter().map(|c| (c.id, c))));
        Ok(ids)
    }
    /// A JSON summary of the whole state (without file bytes and key).
    pub fn snapshot(&self) -> Value {
        self.inner.read(|s| {
            let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
            if let Some(o) = v.as_object_mut() {
                o.remove("signing_key_pem");
            }
            v
        })
    }
}

// ---------------------------------------------------------------------------
// HTTP routes
// ---------------------------------------------------------------------------

pub fn routes() -> Router<App> {
    Router::new()
        .route("/admin/state", get(|State(a): State<App>| async move { Json(adm(&a).snapshot()) }))
        .route("/admin/organisations", post(h_org))
        .route("/admin/clients", put(h_client).post(h_client))
        .route("/admin/resources", post(h_resource).put(h_resource))
        .route("/admin/system-users", post(h_system_user))
        .route("/admin/system-user-requests/{id}/approve", post(h_approve))
        .route("/admin/system-user-requests/{id}/reject", post(h_reject))
        .route("/admin/seed", post(h_seed))
        .route("/admin/clock", get(h_clock))
        .route("/admin/clock/advance", post(h_advance))
        .route("/admin/clock/offset", post(h_offset))
        .route("/admin/settings", get(h_settings_get).put(h_settings_put))
        .route("/admin/api-key", post(h_api_key))
        .route("/admin/faults", post(h_fault).delete(h_clear).get(h_faults_get))
        .route("/admin/counters", get(h_counters))
        .route("/admin/jobs/run", post(h_jobs))
        .route("/admin/token", post(h_token))
}

fn adm(a: &App) -> Admin {
    Admin { inner: a.clone() }
}

fn bad(e: impl std::fmt::Display) -> Response {
    json_response(400, &json!({"error": e.to_string()}))
}

fn parse<T: serde::de::DeserializeOwned>(b: &Bytes) -> Result<T, Response> {
    serde_json::from_slice(b).map_err(bad)
}

async fn h_org(State(a): State<App>, b: Bytes) -> Response {
    match parse::<OrganisationConfig>(&b) {
        Ok(o) => {
            adm(&a).add_organisation(o);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(r) => r,
    }
}

async fn h_client(State(a): State<App>, b: Bytes) -> Response {
    match parse::<ClientConfig>(&b) {
        Ok(c) if c.client_id.is_empty() => bad("client_id is required"),
        Ok(c) => {
            if c.jwks.iter().any(|k: &PublicJwk| k.kty != "RSA" || k.n.is_empty() || k.e.is_empty() || k.kid.is_empty())
            {
                return bad("every JWK needs kty=RSA, n, e and kid");
            }
            adm(&a).register_client(c);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(r) => r,
    }
}

async fn h_resource(State(a): State<App>, b: Bytes) -> Response {
    match parse::<ResourceConfig>(&b) {
        Ok(r) => match adm(&a).add_resource(r) {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => bad(e),
        },
        Err(r) => r,
    }
}

async fn h_system_user(State(a): State<App>, b: Bytes) -> Response {
    match parse::<SystemUserConfig>(&b) {
        Ok(s) => json_response(200, &json!({"id": adm(&a).add_system_user(s)})),
        Err(r) => r,
    }
}

async fn h_approve(State(a): State<App>, Path(id): Path<Uuid>) -> Response {
    decide_resp(&a, id, true)
}

async fn h_reject(State(a): State<App>, Path(id): Path<Uuid>) -> Response {
    decide_resp(&a, id, false)
}

fn decide_resp(a: &App, id: Uuid, ok: bool) -> Response {
    match adm(a).decide_request(id, ok) {
        Some(s) => json_response(200, &json!({"status": s})),
        None => json_response(404, &json!({"error": "request not found"})),
    }
}

async fn h_seed(State(a): State<App>, b: Bytes) -> Response {
    match parse::<SeedFile>(&b) {
        Ok(f) => match adm(&a).seed_file(f) {
            Ok(id) => json_response(200, &json!({"fileTransferId": id})),
            Err(e) => bad(e),
        },
        Err(r) => r,
    }
}

fn clock_json(a: &App) -> Value {
    json!({"now": crate::model::fmt_ts(a.clock.now()), "offset_seconds": a.clock.offset_ms() / 1000})
}

async fn h_clock(State(a): State<App>) -> Response {
    json_response(200, &clock_json(&a))
}

#[derive(Deserialize)]
struct Secs {
    seconds: i64,
}

async fn h_advance(State(a): State<App>, b: Bytes) -> Response {
    match parse::<Secs>(&b) {
        Ok(s) => {
            adm(&a).advance_clock(s.seconds);
            json_response(200, &clock_json(&a))
        }
        Err(r) => r,
    }
}

async fn h_offset(State(a): State<App>, b: Bytes) -> Response {
    match parse::<Secs>(&b) {
        Ok(s) => {
            adm(&a).set_clock_offset(s.seconds);
            json_response(200, &clock_json(&a))
        }
        Err(r) => r,
    }
}

async fn h_settings_get(State(a): State<App>) -> Response {
    json_response(200, &serde_json::to_value(adm(&a).settings()).expect("settings serialise"))
}

/// Partial update: only the fields sent change.
async fn h_settings_put(State(a): State<App>, b: Bytes) -> Response {
    let Ok(patch) = serde_json::from_slice::<Value>(&b) else { return bad("invalid JSON") };
    let mut cur = serde_json::to_value(adm(&a).settings()).expect("settings serialise");
    if let (Some(c), Some(p)) = (cur.as_object_mut(), patch.as_object()) {
        for (k, v) in p {
            c.insert(k.clone(), v.clone());
        }
    }
    match serde_json::from_value::<SettingsConfig>(cur) {
        Ok(s) => {
            adm(&a).set_settings(s.clone());
            json_response(200, &serde_json::to_value(s).expect("settings serialise"))
        }
        Err(e) => bad(e),
    }
}

#[derive(Deserialize)]
struct ApiKey {
    key: Option<String>,
}

async fn h_api_key(State(a): State<App>, b: Bytes) -> Response {
    match parse::<ApiKey>(&b) {
        Ok(k) => {
            adm(&a).set_api_key(k.key);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(r) => r,
    }
}

async fn h_fault(State(a): State<App>, b: Bytes) -> Response {
    match parse::<FaultSpec>(&b) {
        Ok(f) => {
            adm(&a).add_fault(f);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(r) => r,
    }
}

async fn h_clear(State(a): State<App>) -> Response {
    adm(&a).clear_faults();
    StatusCode::NO_CONTENT.into_response()
}

async fn h_faults_get(State(a): State<App>) -> Response {
    json_response(200, &serde_json::to_value(a.faults.locked().clone()).expect("faults serialise"))
}

async fn h_counters(State(a): State<App>) -> Response {
    let tokens = a.read(|s| s.tokens_issued.clone());
    let fired = a.faults.locked().fired.clone();
    let (limited, limited_429) = adm(&a).rate_limit_counts();
    let c = a.counters.locked();
    let bytes: BTreeMap<String, u64> = c.bytes_received.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    let confirms: BTreeMap<String, Vec<u128>> = c
        .confirms
        .iter()
        .map(|(k, v)| {
            let ms = v.iter().filter_map(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map(|d| d.as_millis());
            (k.to_string(), ms.collect())
        })
        .collect();
    json_response(
        200,
        &json!({"tokens_issued": tokens, "bytes_received": bytes, "requests": c.requests,
                "confirms_unix_ms": confirms, "faults_fired": fired,
                "limited_calls": limited, "rate_limited": limited_429}),
    )
}

async fn h_jobs(State(a): State<App>) -> Response {
    adm(&a).run_jobs();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct MintReq {
    org: String,
    scope: String,
    system_user_id: Option<Uuid>,
}

async fn h_token(State(a): State<App>, b: Bytes) -> Response {
    match parse::<MintReq>(&b) {
        Ok(m) => json_response(200, &json!({"access_token": adm(&a).mint_token(&m.org, &m.scope, m.system_user_id)})),
        Err(r) => r,
    }
}
