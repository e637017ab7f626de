//! The organisation's own system and system user (`docs/ALTINN.md#system-users`):
//! register the system, request a system user, follow the request (New,
//! Accepted, Rejected; `timedOut` after 180 days), renew it, verify the system
//! user, and change its rights when a service is added or removed
//! (`docs/ALTINN.md#changing-a-system-users-rights`).

use crate::error::{AppError, AppResult, ErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use ts_rs::TS;

use super::client::AltinnClient;

/// Return address registered on the system (Altinn requires at least one
/// https address before a request can be made, AUTH-00026).
pub const DEFAULT_REDIRECT_URL: &str = "https://info.altinn.no/";

/// Name part of the system ID when the UI gives none.
pub const DEFAULT_SYSTEM_NAME: &str = "budbringer";

/// A system-user request as Altinn reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SystemUserRequestInfo {
    pub id: String,
    /// `New`, `Accepted`, `Rejected` or `Denied` (`Timedout` from before 2025-11).
    pub status: String,
    /// Nobody answered for 180 days: it can no longer be approved. Altinn
    /// keeps the status (`docs/ALTINN.md#requesting-and-approving-a-system-user`).
    #[serde(default)]
    pub timed_out: bool,
    /// The page where the approver says yes; show it to the user.
    pub confirm_url: Option<String>,
    pub external_ref: Option<String>,
    pub system_id: String,
}

impl SystemUserRequestInfo {
    fn from_json(v: &Value) -> AppResult<Self> {
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
        let id = v.get("id").map(|x| x.as_str().map(str::to_owned).unwrap_or_else(|| x.to_string()));
        let status = s("status").unwrap_or_else(|| "New".into());
        Ok(SystemUserRequestInfo {
            id: id.ok_or_else(|| AppError::new(ErrorCode::AltinnError).with_detail("the request answer has no id"))?,
            // The status before 2025-11 (`Timedout`) and the flag since then mean the same.
            timed_out: v.get("timedOut").and_then(|x| x.as_bool()).unwrap_or(false)
                || status.eq_ignore_ascii_case("Timedout"),
            status,
            confirm_url: s("confirmUrl"),
            external_ref: s("externalRef"),
            system_id: s("systemId").unwrap_or_default(),
        })
    }

    /// The named error for a request that can no longer be approved.
    pub fn status_error(&self) -> Option<AppError> {
        match self.status.as_str() {
            "Rejected" | "Denied" => {
                Some(AppError::new(ErrorCode::SystemUserRequestRejected).with_detail(format!("request {}", self.id)))
            }
            "New" | "Timedout" | "TimedOut" if self.timed_out => {
                Some(AppError::new(ErrorCode::SystemUserRequestTimedOut).with_detail(format!("request {}", self.id)))
            }
            _ => None,
        }
    }

    pub fn is_accepted(&self) -> bool {
        self.status == "Accepted"
    }

    /// Rejected, denied or timed out: only a new request helps.
    pub fn is_closed(&self) -> bool {
        self.status_error().is_some()
    }
}

/// A change request as Altinn reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChangeRequestInfo {
    pub id: String,
    /// `New`, `Accepted`, `Rejected`, `Denied` or `NoChangeNeeded`.
    pub status: String,
    #[serde(default)]
    pub timed_out: bool,
    pub confirm_url: Option<String>,
}

impl ChangeRequestInfo {
    fn from_json(v: &Value) -> Self {
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
        ChangeRequestInfo {
            id: v.get("id").map(|x| x.as_str().map(str::to_owned).unwrap_or_else(|| x.to_string())).unwrap_or_default(),
            status: s("status").unwrap_or_else(|| "New".into()),
            timed_out: v.get("timedOut").and_then(|x| x.as_bool()).unwrap_or(false),
            confirm_url: s("confirmUrl").filter(|u| !u.is_empty()),
        }
    }
}

/// The system ID `<orgno>_<name>` (name in lower case, letters, digits and `-`).
pub fn system_id(org_number: &str, name: &str) -> String {
    let name: String = name
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' })
        .collect();
    let name = if name.trim_matches('-').is_empty() { DEFAULT_SYSTEM_NAME.to_owned() } else { name };
    format!("{org_number}_{name}")
}

fn rights(resource_ids: &[String]) -> Value {
    Value::Array(
        resource_ids.iter().map(|r| json!({"resource": [{"id": "urn:altinn:resource", "value": r}]})).collect(),
    )
}

fn url(client: &AltinnClient, path: &str) -> String {
    format!("{}/authentication/api/v1/{path}", client.platform_base())
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn json_of(resp: reqwest::Response) -> AppResult<Value> {
    let text = crate::network::text_capped(resp, crate::network::MAX_PLATFORM_BODY, "system register").await?;
    serde_json::from_str(&text)
        .map_err(|e| AppError::new(ErrorCode::AltinnError).with_detail(format!("unreadable answer: {e}")))
}

impl AltinnClient {
    fn require_resources(&self) -> AppResult<Vec<String>> {
        let p = self.profile();
        p.check_ready()?;
        if p.resource_ids.is_empty() {
            return Err(AppError::new(ErrorCode::ProfileNoServices).with_detail("missing: resourceIds"));
        }
        let mut ids = p.resource_ids.clone();
        // The same right twice is AUTH.VLD-00006: send each service once.
        ids.dedup();
        let mut seen = std::collections::BTreeSet::new();
        ids.retain(|r| seen.insert(r.clone()));
        Ok(ids)
    }

    /// Registers (or, when it exists, updates) the organisation's own system
    /// in the system register, linked to the profile's client ID and
    /// resources. Returns the system ID.
    pub async fn register_system(&self, name: Option<&str>) -> AppResult<String> {
        let resources = self.require_resources()?;
        let p = self.profile();
        let id = system_id(&p.org_number, name.unwrap_or(DEFAULT_SYSTEM_NAME));
        let body = json!({
            "id": id,
            "vendor": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{}", p.org_number)},
            "name": {"nb": "Budbringer", "nn": "Budbringer", "en": "Budbringer"},
            "description": {
                "nb": "Sender og mottar filer gjennom Altinn Formidling for egen virksomhet.",
                "nn": "Sender og tek imot filer gjennom Altinn Formidling for eiga verksemd.",
                "en": "Sends and receives files through Altinn Broker for the organisation itself."
            },
            "rights": rights(&resources),
            "clientId": [p.client_id],
            "allowedredirecturls": [DEFAULT_REDIRECT_URL],
            "isVisible": false
        });
        let post = url(self, "systemregister/vendor");
        match self.send_platform(|h| h.post(&post).json(&body), false).await {
            Ok(_) => Ok(id),
            Err(e) if e.code == ErrorCode::SystemAlreadyRegistered => {
                let put = url(self, &format!("systemregister/vendor/{}", enc(&id)));
                self.send_platform(|h| h.put(&put).json(&body), false).await?;
                Ok(id)
            }
            Err(e) => Err(e),
        }
    }

    /// Asks for a system user for the organisation itself. When the same
    /// request exists already, Altinn answers with it (whatever its status:
    /// a rejected or timed-out one must be deleted first, see
    /// [`delete_system_user_request`](Self::delete_system_user_request));
    /// when the system user exists, the answer has status `Accepted`.
    pub async fn request_system_user(
        &self,
        system_id: &str,
        external_ref: Option<&str>,
    ) -> AppResult<SystemUserRequestInfo> {
        let resources = self.require_resources()?;
        let org = self.profile().org_number.clone();
        let mut body = json!({"systemId": system_id, "partyOrgNo": org, "rights": rights(&resources)});
        if let Some(r) = external_ref.filter(|r| !r.is_empty()) {
            body["externalRef"] = json!(r);
        }
        let post = url(self, "systemuser/request/vendor");
        match self.send_platform(|h| h.post(&post).json(&body), false).await {
            Ok(Some(resp)) => SystemUserRequestInfo::from_json(&json_of(resp).await?),
            Ok(None) => Err(AppError::new(ErrorCode::AltinnError)),
            Err(e) if e.code == ErrorCode::SystemUserRequestExists => {
                let ext = external_ref.filter(|r| !r.is_empty()).unwrap_or(&org);
                let get = url(
                    self,
                    &format!("systemuser/request/vendor/byexternalref/{}/{}/{}", enc(system_id), enc(&org), enc(ext)),
                );
                match self.send_platform(|h| h.get(&get), true).await? {
                    Some(resp) => SystemUserRequestInfo::from_json(&json_of(resp).await?),
                    None => Err(e),
                }
            }
            Err(e) if e.code == ErrorCode::SystemUserExists => {
                let su = self.verify_system_user(system_id, external_ref).await?;
                Ok(SystemUserRequestInfo {
                    id: String::new(),
                    status: "Accepted".into(),
                    timed_out: false,
                    confirm_url: None,
                    external_ref: external_ref.map(str::to_owned),
                    system_id: su.system_id,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Deletes a request (Altinn answers 202), so that a new one with the
    /// same ids can be made after a rejection or a time-out.
    pub async fn delete_system_user_request(&self, request_id: &str) -> AppResult<()> {
        let del = url(self, &format!("systemuser/request/vendor/{}", enc(request_id)));
        // A request that is gone already is as good as deleted.
        match self.send_platform(|h| h.delete(&del), true).await {
            Ok(_) => Ok(()),
            Err(e) if e.code == ErrorCode::SystemUserRequestGone => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The current state of a system-user request. One that Altinn no longer
    /// has (deleted, or archived after its time-out) is SYSTEM_USER_REQUEST_GONE.
    pub async fn system_user_request_status(&self, request_id: &str) -> AppResult<SystemUserRequestInfo> {
        let get = url(self, &format!("systemuser/request/vendor/{}", enc(request_id)));
        match self.send_platform(|h| h.get(&get), true).await? {
            Some(resp) => SystemUserRequestInfo::from_json(&json_of(resp).await?),
            None => Err(AppError::new(ErrorCode::SystemUserRequestGone).with_detail(format!("request {request_id}"))),
        }
    }

    /// Replaces the rights listed on the registered system (`PUT vendor/{id}/rights`):
    /// a change request may only ask for rights the system lists.
    pub async fn update_system_rights(&self, system_id: &str, resource_ids: &[String]) -> AppResult<()> {
        let put = url(self, &format!("systemregister/vendor/{}/rights", enc(system_id)));
        let body = rights(resource_ids);
        self.send_platform(|h| h.put(&put).json(&body), false).await?;
        Ok(())
    }

    /// Asks the organisation to approve a change of the system user's rights:
    /// `add` are delegated, `remove` taken away, once approved.
    pub async fn request_change(
        &self,
        system_user_id: &str,
        add: &[String],
        remove: &[String],
    ) -> AppResult<ChangeRequestInfo> {
        let correlation = uuid::Uuid::new_v4().to_string();
        let post = url(
            self,
            &format!(
                "systemuser/changerequest/vendor?correlation-id={}&system-user-id={}",
                correlation,
                enc(system_user_id)
            ),
        );
        let body = json!({"requiredRights": rights(add), "unwantedRights": rights(remove)});
        match self.send_platform(|h| h.post(&post).json(&body), false).await? {
            Some(resp) => Ok(ChangeRequestInfo::from_json(&json_of(resp).await?)),
            None => Err(AppError::new(ErrorCode::AltinnError)),
        }
    }

    /// The current state of a change request.
    pub async fn change_request_status(&self, id: &str) -> AppResult<ChangeRequestInfo> {
        let get = url(self, &format!("systemuser/changerequest/vendor/{}", enc(id)));
        match self.send_platform(|h| h.get(&get), true).await? {
            Some(resp) => Ok(ChangeRequestInfo::from_json(&json_of(resp).await?)),
            None => Err(AppError::new(ErrorCode::SystemUserRequestGone).with_detail(format!("change request {id}"))),
        }
    }

    /// Looks the system user up (`systemuser/vendor/byquery`).
    pub async fn verify_system_user(
        &self,
        system_id: &str,
        external_ref: Option<&str>,
    ) -> AppResult<VerifiedSystemUser> {
        let org = self.profile().org_number.clone();
        let mut q = format!("systemuser/vendor/byquery?system-id={}&orgno={}", enc(system_id), enc(&org));
        if let Some(r) = external_ref.filter(|r| !r.is_empty()) {
            q.push_str(&format!("&external-ref={}", enc(r)));
        }
        let get = url(self, &q);
        match self.send_platform(|h| h.get(&get), true).await? {
            Some(resp) => {
                let v = json_of(resp).await?;
                let id = v.get("id").map(|x| x.as_str().map(str::to_owned).unwrap_or_else(|| x.to_string()));
                Ok(VerifiedSystemUser {
                    id: id.ok_or_else(|| AppError::new(ErrorCode::AltinnError).with_detail("no id in the answer"))?,
                    system_id: v.get("systemId").and_then(|x| x.as_str()).unwrap_or(system_id).to_owned(),
                })
            }
            None => Err(AppError::new(ErrorCode::SystemUserNotFound)
                .with_detail(format!("system {system_id}, organisation {org}"))),
        }
    }
}

/// A system user that exists in Altinn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedSystemUser {
    pub id: String,
    pub system_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_ids() {
        assert_eq!(system_id("310000019", "Budbringer Øst"), "310000019_budbringer--st");
        assert_eq!(system_id("310000019", "  "), "310000019_budbringer");
        let r = SystemUserRequestInfo::from_json(&json!({"id": "a", "status": "Rejected", "confirmUrl": "u"})).unwrap();
        assert_eq!(r.status_error().unwrap().code, ErrorCode::SystemUserRequestRejected);
    }

    /// A request nobody answers: since 2025-11 it keeps status New and reads
    /// `timedOut: true` after 180 days; before, the status became `Timedout`.
    /// Both are a time-out; New alone is not.
    #[test]
    fn timed_out_requests_are_recognised_in_both_forms() {
        let now = SystemUserRequestInfo::from_json(&json!({"id": "a", "status": "New", "timedOut": true})).unwrap();
        assert!(now.timed_out && now.is_closed());
        assert_eq!(now.status_error().unwrap().code, ErrorCode::SystemUserRequestTimedOut);
        let old = SystemUserRequestInfo::from_json(&json!({"id": "a", "status": "Timedout"})).unwrap();
        assert_eq!(old.status_error().unwrap().code, ErrorCode::SystemUserRequestTimedOut);
        let pending =
            SystemUserRequestInfo::from_json(&json!({"id": "a", "status": "New", "timedOut": false})).unwrap();
        assert!(pending.status_error().is_none() && !pending.is_closed());
        // An accepted request stays accepted when it is old.
        let accepted =
            SystemUserRequestInfo::from_json(&json!({"id": "a", "status": "Accepted", "timedOut": true})).unwrap();
        assert!(accepted.is_accepted() && accepted.status_error().is_none());
    }
}
