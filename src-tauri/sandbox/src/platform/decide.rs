//! What the approver's answer does, for requests and change requests: the
//! approval page (`portal/approval.rs`) and the admin API both come here.
//!
//! Approving checks, as ApproveAndCreateSystemUser does: the request exists
//! (AUTH-00010), its status is New (AUTH-00013), the person may delegate the
//! rights (their role, AUTH-00016) and Access Management's delegation check
//! passes for every right (for a rehearsal organisation, AUTH-00069 when it
//! is not on a resource's access list). Then the system user is made with
//! the requested rights, or the change is applied to it.

use uuid::Uuid;

use crate::app::App;
use crate::model::onboarding::{rights_resources, ChangeRequest, Refusal, REQUEST_TIMEOUT_DAYS};
use crate::model::{SystemUser, SystemUserRequest};

/// Who answers on the approval page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approver {
    /// Daglig leder: holds the resource rights through the role (DAGL), may delegate them.
    ManagingDirector,
    /// A person without a role that grants the rights.
    WithoutRights,
}

fn refusal(code: &'static str, title: &'static str) -> Refusal {
    Refusal { code, title, resource: String::new() }
}

fn not_found() -> Refusal {
    refusal("AUTH-00010", "The Id does not refer to a Request in our system.")
}

fn not_new() -> Refusal {
    refusal("AUTH-00013", "The Status of the Request is not New.")
}

fn role_missing() -> Refusal {
    refusal("AUTH-00016", "DelegationCheck failed with error: Has not access by a delegation of role in ER or Altinn.")
}

/// Approves a system-user request: makes the system user with its rights.
pub fn approve_request(app: &App, id: Uuid, who: Approver) -> Result<SystemUserRequest, Refusal> {
    let now = app.clock.now();
    app.mutate(|s| {
        let mut r = s.requests.get(&id).cloned().ok_or_else(not_found)?;
        if r.status != "New" {
            return Err(not_new());
        }
        if who == Approver::WithoutRights {
            return Err(role_missing());
        }
        let resources = rights_resources(&r.rights);
        s.delegation_check(&r.party_org_no, &resources, None)?;
        let su = SystemUser {
            id: Uuid::new_v4(),
            system_id: r.system_id.clone(),
            org_number: r.party_org_no.clone(),
            external_ref: r.external_ref_given.then(|| r.external_ref.clone()),
            created: now,
            rights: Some(resources),
        };
        r.system_user_id = Some(su.id);
        r.status = "Accepted".into();
        s.system_users.insert(su.id, su);
        s.requests.insert(id, r.clone());
        Ok(r)
    })
}

/// Rejects a request (its status must be New).
pub fn reject_request(app: &App, id: Uuid) -> Result<SystemUserRequest, Refusal> {
    app.mutate(|s| {
        let r = s.requests.get_mut(&id).ok_or_else(not_found)?;
        if r.status != "New" {
            return Err(not_new());
        }
        r.status = "Rejected".into();
        Ok(r.clone())
    })
}

/// Approves a change request: adds the required rights to the system user
/// and removes the unwanted ones.
pub fn approve_change(app: &App, id: Uuid, who: Approver) -> Result<ChangeRequest, Refusal> {
    app.mutate(|s| {
        let mut cr = s.change_requests.get(&id).cloned().ok_or_else(not_found)?;
        match cr.status.as_str() {
            "New" => {}
            "Accepted" => {
                return Err(refusal(
                    "AUTH-00006",
                    "The combination of External Ids refer to an already Accepted SystemUser.",
                ))
            }
            "Denied" => {
                return Err(refusal(
                    "AUTH-00008",
                    "The combination of External Ids refer to a Denied Request, please delete and renew the Request.",
                ))
            }
            _ => {
                return Err(refusal(
                    "AUTH-00009",
                    "The combination of External Ids refer to a Rejected Request, please delete and renew the Request.",
                ))
            }
        }
        if who == Approver::WithoutRights {
            return Err(role_missing());
        }
        let required = rights_resources(&cr.required_rights);
        let unwanted = rights_resources(&cr.unwanted_rights);
        s.delegation_check(&cr.party_org_no, &required, Some(cr.system_user_id))?;
        let su = s
            .system_users
            .get_mut(&cr.system_user_id)
            .ok_or_else(|| refusal("AUTH-00015", "The SystemUser was not found."))?;
        let mut rights = su.rights.clone().unwrap_or_default();
        for r in required {
            if !rights.contains(&r) {
                rights.push(r);
            }
        }
        rights.retain(|r| !unwanted.contains(r));
        su.rights = Some(rights);
        cr.status = "Accepted".into();
        s.change_requests.insert(id, cr.clone());
        Ok(cr)
    })
}

pub fn reject_change(app: &App, id: Uuid) -> Result<ChangeRequest, Refusal> {
    app.mutate(|s| {
        let cr = s.change_requests.get_mut(&id).ok_or_else(not_found)?;
        if cr.status != "New" {
            return Err(not_new());
        }
        cr.status = "Rejected".into();
        Ok(cr.clone())
    })
}

/// The sandbox's shortcut for "nobody answered for 180 days": moves the
/// request's (or change request's) creation time back past the time-out.
pub fn time_out(app: &App, id: Uuid) -> bool {
    let past = app.clock.now() - time::Duration::days(REQUEST_TIMEOUT_DAYS + 1);
    app.mutate(|s| {
        if let Some(r) = s.requests.get_mut(&id) {
            r.created = past;
            true
        } else if let Some(c) = s.change_requests.get_mut(&id) {
            c.created = past;
            true
        } else {
            false
        }
    })
}

/// Approves (as the managing director) or rejects a request or change
/// request, for the admin API. The status after, or None when there is no
/// such request; a refusal leaves the status as it was.
pub fn decide(app: &App, id: Uuid, accept: bool) -> Option<String> {
    let current = app.read(|s| {
        s.requests.get(&id).map(|r| r.status.clone()).or_else(|| s.change_requests.get(&id).map(|c| c.status.clone()))
    })?;
    let is_change = app.read(|s| s.change_requests.contains_key(&id));
    let after = match (is_change, accept) {
        (false, true) => approve_request(app, id, Approver::ManagingDirector).map(|r| r.status),
        (false, false) => reject_request(app, id).map(|r| r.status),
        (true, true) => approve_change(app, id, Approver::ManagingDirector).map(|r| r.status),
        (true, false) => reject_change(app, id).map(|r| r.status),
    };
    Some(after.unwrap_or(current))
}
