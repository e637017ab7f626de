//! The services (Broker resources) the organisation uses, chosen in the
//! wizard and changed later. Once a system user exists, its rights change
//! only through a change request the organisation approves
//! (`docs/ALTINN.md#changing-a-system-users-rights`): adding a service lists
//! it on the registered system and asks for the right; removing one asks to
//! take the right away. Until the approver says yes, Broker answers the new
//! service with BRO-00006, and the connection test says a change is waiting.

use crate::environment::Environment;
use crate::error::{AppError, AppResult, ErrorCode};

use super::profile::{ChangeState, ProfileStore};
use super::AltinnClient;

/// Resource ids as typed: trimmed, without the `urn:altinn:resource:` prefix, each once.
pub fn normalise(ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        let id = id.trim();
        let id = id.strip_prefix("urn:altinn:resource:").unwrap_or(id).trim();
        if !id.is_empty() && !out.iter().any(|x| x == id) {
            out.push(id.to_owned());
        }
    }
    out
}

/// Saves the chosen services. When a system user exists, also lists new
/// services on the system and sends a change request for what was added or
/// removed; its approval link is returned (and kept in the profile).
pub async fn set_services(
    store: &ProfileStore,
    client: Option<&AltinnClient>,
    env: Environment,
    resource_ids: &[String],
) -> AppResult<Option<ChangeState>> {
    let wanted = normalise(resource_ids);
    let p = store.get(env);
    let (system_id, system_user) = (p.system_user.system_id.clone(), p.system_user.system_user_id.clone());
    let Some(client) = client else {
        store.update(env, |p| {
            p.resource_ids = wanted.clone();
            Ok(())
        })?;
        return Ok(None);
    };
    match (system_id, system_user) {
        (Some(system_id), Some(su)) => {
            let held =
                if p.system_user.rights.is_empty() { p.resource_ids.clone() } else { p.system_user.rights.clone() };
            let add: Vec<String> = wanted.iter().filter(|r| !held.contains(r)).cloned().collect();
            let remove: Vec<String> = held.iter().filter(|r| !wanted.contains(r)).cloned().collect();
            if add.is_empty() && remove.is_empty() {
                store.update(env, |p| {
                    p.resource_ids = wanted.clone();
                    p.system_user.change = None;
                    Ok(())
                })?;
                return Ok(None);
            }
            // A change may only ask for rights the system lists (AUTH-00001).
            let mut listed = held.clone();
            listed.extend(add.iter().cloned());
            client.update_system_rights(&system_id, &normalise(&listed)).await?;
            let info = client.request_change(&su, &add, &remove).await?;
            let change = (info.status != "NoChangeNeeded").then(|| ChangeState {
                id: info.id.clone(),
                status: info.status.clone(),
                confirm_url: info.confirm_url.clone(),
                add,
                remove,
                timed_out: info.timed_out,
            });
            let c2 = change.clone();
            store.update(env, move |p| {
                p.resource_ids = wanted;
                p.system_user.rights = held;
                p.system_user.change = c2;
                Ok(())
            })?;
            Ok(change)
        }
        (Some(system_id), None) => {
            // Registered, no system user yet: the system must list the services
            // the request will ask for.
            client.update_system_rights(&system_id, &wanted).await?;
            store.update(env, |p| {
                p.resource_ids = wanted.clone();
                Ok(())
            })?;
            Ok(None)
        }
        _ => {
            store.update(env, |p| {
                p.resource_ids = wanted.clone();
                Ok(())
            })?;
            Ok(None)
        }
    }
}

/// Reads the waiting change's status. Approved: the system user now holds
/// the services. Rejected or timed out: CHANGE_REQUEST_REJECTED.
pub async fn refresh_change(store: &ProfileStore, client: &AltinnClient) -> AppResult<Option<ChangeState>> {
    let p = client.profile().clone();
    let Some(change) = p.system_user.change.clone() else { return Ok(None) };
    let info = client.change_request_status(&change.id).await?;
    let mut change = change;
    change.status = info.status.clone();
    change.timed_out = info.timed_out;
    let accepted = info.status == "Accepted";
    let c2 = change.clone();
    store.update(p.environment, move |p| {
        if accepted {
            let mut rights =
                if p.system_user.rights.is_empty() { p.resource_ids.clone() } else { p.system_user.rights.clone() };
            rights.extend(c2.add.iter().cloned());
            rights.retain(|r| !c2.remove.contains(r));
            p.system_user.rights = normalise(&rights);
            p.system_user.change = None;
        } else {
            p.system_user.change = Some(c2);
        }
        Ok(())
    })?;
    if accepted {
        return Ok(None);
    }
    if matches!(info.status.as_str(), "Rejected" | "Denied") || info.timed_out {
        return Err(AppError::new(ErrorCode::ChangeRequestRejected).with_detail(format!(
            "change request {} is {}",
            change.id,
            if info.timed_out { "timed out" } else { &info.status }
        )));
    }
    Ok(Some(change))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids_are_normalised() {
        let ids = vec![" urn:altinn:resource:a ".into(), "b".into(), "a".into(), "".into()];
        assert_eq!(normalise(&ids), ["a", "b"]);
    }
}
