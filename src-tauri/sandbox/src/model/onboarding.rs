//! What the realistic (rehearsal) mode keeps and decides: the scopes the
//! service desk and Digdir have granted each organisation, the terms it has
//! accepted, change requests, request time-outs, access lists and the
//! sandbox's stand-in for Altinn Authorization (the PDP Broker asks).
//!
//! A rehearsal organisation (`State::is_realistic`, in `rules.rs`) gets nothing for free:
//! * Samarbeidsportalen offers only the scopes granted to it, and Maskinporten
//!   refuses a scope whose grant is gone (MP-250);
//! * Broker needs a system-user token whose system user holds the resource
//!   right, delegated by an approved request or change request
//!   (docs/ALTINN.md#who-may-do-what);
//! * a resource with access lists on admits only organisations (or system
//!   users) on the list, and the approver cannot delegate the resource to a
//!   system user until the organisation is on it (Access Management's
//!   `AccessListValidationFail`, AUTH-00069 in the authentication API).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::format::strip_org;

/// Altinn times a request out after 180 days: it keeps its status and reads
/// `timedOut: true` (RequestRepository.REQUEST_TIMEOUT_DAYS, altinn-authentication #1667;
/// docs/ALTINN.md#requesting-and-approving-a-system-user).
pub const REQUEST_TIMEOUT_DAYS: i64 = 180;

/// Broker's scopes, granted by the Altinn service desk.
pub const BROKER_SCOPES: &[&str] = &["altinn:broker.write", "altinn:broker.read"];
/// The system-register and system-user scopes, granted by Digdir when the
/// organisation is registered as an end-user-system vendor.
pub const VENDOR_SCOPES: &[&str] = &[
    "altinn:authentication/systemregister.write",
    "altinn:authentication/systemuser.request.write",
    "altinn:authentication/systemuser.request.read",
];

/// Whether a request or change request made at `created` has timed out at `now`.
pub fn timed_out(created: OffsetDateTime, now: OffsetDateTime) -> bool {
    now - created > time::Duration::days(REQUEST_TIMEOUT_DAYS)
}

/// The resource ids in a `rights` array (`[{"resource": [{"id": "urn:altinn:resource", "value": "x"}]}]`).
pub fn rights_resources(rights: &Value) -> Vec<String> {
    let mut out = vec![];
    for r in rights.as_array().into_iter().flatten() {
        let res = r.get("resource").or_else(|| r.get("Resource"));
        for a in res.and_then(|v| v.as_array()).into_iter().flatten() {
            if let Some(v) = a.get("value").or_else(|| a.get("Value")).and_then(|v| v.as_str()) {
                out.push(strip_org(v));
            }
        }
    }
    out
}

/// Grants and accepted terms, per organisation number.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Onboarding {
    /// Scopes the organisation may put on its Maskinporten clients.
    pub grants: BTreeMap<String, BTreeSet<String>>,
    /// Organisations that accepted Maskinporten's terms of use in Samarbeidsportalen.
    pub maskinporten_terms: BTreeSet<String>,
    /// Organisations Digdir registered as end-user-system vendors (SBS terms accepted).
    pub vendors: BTreeSet<String>,
}

impl Onboarding {
    pub fn grant(&mut self, org: &str, scopes: &[impl AsRef<str>]) {
        let set = self.grants.entry(org.to_owned()).or_default();
        for s in scopes {
            set.insert(s.as_ref().to_owned());
        }
    }
    pub fn withdraw(&mut self, org: &str, scope: &str) {
        if let Some(set) = self.grants.get_mut(org) {
            set.remove(scope);
        }
    }
    pub fn granted(&self, org: &str, scope: &str) -> bool {
        self.grants.get(org).map(|s| s.contains(scope)).unwrap_or(false)
    }
    pub fn granted_scopes(&self, org: &str) -> Vec<String> {
        self.grants.get(org).map(|s| s.iter().cloned().collect()).unwrap_or_default()
    }
}

/// A change request for a system user's rights
/// (ChangeRequestSystemUserController; docs/ALTINN.md#changing-a-system-users-rights).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangeRequest {
    /// The vendor's correlation id.
    pub id: Uuid,
    pub system_user_id: Uuid,
    pub system_id: String,
    pub party_org_no: String,
    pub external_ref: String,
    pub required_rights: Value,
    pub unwanted_rights: Value,
    /// New, Accepted, Rejected or Denied.
    pub status: String,
    pub redirect_url: Option<String>,
    pub created: OffsetDateTime,
}

/// Why an approver could not delegate a right (Access Management's delegation check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `AUTH-000nn` as the authentication API names it.
    pub code: &'static str,
    pub title: &'static str,
    pub resource: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_180_days() {
        let t = OffsetDateTime::now_utc();
        assert!(!timed_out(t, t + time::Duration::days(180)));
        assert!(timed_out(t, t + time::Duration::days(180) + time::Duration::seconds(1)));
    }
}
