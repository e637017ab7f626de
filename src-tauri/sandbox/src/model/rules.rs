//! The rules the realistic (rehearsal) mode applies to the state: who is a
//! rehearsal organisation, the sandbox PDP Broker asks, and the approver's
//! delegation check against access lists (see `onboarding.rs` for the data).

use uuid::Uuid;

use super::onboarding::Refusal;
use super::state::{Resource, State};

impl State {
    /// A rehearsal organisation: the sandbox enforces for it what the real services do.
    pub fn is_realistic(&self, org: &str) -> bool {
        self.settings.realistic || self.organisations.get(org).map(|o| o.realistic).unwrap_or(false)
    }

    /// Whether `org` (or the system user) is on the resource's access list.
    pub fn on_access_list(r: &Resource, org: &str, system_user: Option<Uuid>) -> bool {
        r.access_list.iter().any(|o| o == org)
            || system_user.map(|id| r.access_list_system_users.contains(&id)).unwrap_or(false)
    }

    /// The sandbox PDP (docs/ALTINN.md#who-may-do-what): may `org`, calling as
    /// `system_user` (its id and system, when the token is a system user's),
    /// do `action` on `resource_id`? The caller org equals the party; Broker's
    /// handlers check that before they ask.
    pub fn broker_permits(
        &self,
        org: &str,
        resource_id: &str,
        action: &str,
        system_user: Option<(Option<Uuid>, Option<&str>)>,
    ) -> bool {
        let Some(r) = self.resources.get(resource_id).filter(|r| r.configured) else { return false };
        let su_id = system_user.and_then(|(id, _)| id);
        if self.is_realistic(org) {
            // Broker's 401 text asks for a system user; a rehearsal org gets no plain-token access.
            if system_user.is_none() {
                return false;
            }
            if r.access_list_enabled && !Self::on_access_list(r, org, su_id) {
                return false;
            }
            if !r.rights.is_empty() && !r.permits(org, action) {
                return false;
            }
        } else if !r.permits(org, action) {
            return false;
        }
        let Some((id, system_id)) = system_user else { return true };
        // The system user must hold the right: what was delegated to it, or,
        // for one kept without rights, what its system lists.
        if let Some(u) = id.and_then(|id| self.system_users.get(&id)) {
            if let Some(rights) = &u.rights {
                return rights.iter().any(|x| x == resource_id);
            }
        }
        if let Some(sys) = system_id.and_then(|s| self.systems.get(s)) {
            if !sys.resources.is_empty() && !sys.resources.iter().any(|x| x == resource_id) {
                return false;
            }
        }
        true
    }

    /// The approver's delegation check for `resources` on behalf of `party`:
    /// for a rehearsal organisation, each resource with access lists on must
    /// have the organisation (or the system user, for a change) on its list.
    pub fn delegation_check(
        &self,
        party: &str,
        resources: &[String],
        system_user: Option<Uuid>,
    ) -> Result<(), Refusal> {
        if !self.is_realistic(party) {
            return Ok(());
        }
        for id in resources {
            if let Some(r) = self.resources.get(id) {
                if r.access_list_enabled && !Self::on_access_list(r, party, system_user) {
                    return Err(Refusal {
                        code: "AUTH-00069",
                        title: "DelegationCheck failed with error: The receiver does not have the right based on Access List delegation.",
                        resource: id.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    /// The next free synthetic organisation number (a valid check digit) for
    /// a new rehearsal organisation, as Tenor hands out test organisations.
    pub fn next_synthetic_org(&self) -> String {
        (310_000_140u32..399_999_999)
            .map(|n| n.to_string())
            .find(|n| super::config::valid_org_number(n) && !self.organisations.contains_key(n))
            .unwrap_or_else(|| "310000140".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SandboxConfig;
    use time::OffsetDateTime;

    #[test]
    fn rehearsal_orgs_need_system_user_rights_and_the_access_list() {
        let mut s = State::default();
        s.apply_config(&SandboxConfig::practice()).unwrap();
        let (org, res) = ("310000108", "ovelse-rapportering");
        let su = Uuid::new_v4();
        assert!(s.is_realistic(org) && !s.is_realistic("310000019"));
        // No plain-token access, and no access without a system user holding the right.
        assert!(!s.broker_permits(org, res, "write", None));
        assert!(!s.broker_permits(org, res, "write", Some((Some(su), None))));
        assert_eq!(s.delegation_check(org, &[res.into()], None).unwrap_err().code, "AUTH-00069");
        s.resources.get_mut(res).unwrap().access_list.push(org.into());
        s.delegation_check(org, &[res.into()], None).unwrap();
        s.system_users.insert(
            su,
            super::super::state::SystemUser {
                id: su,
                system_id: format!("{org}_budbringer"),
                org_number: org.into(),
                external_ref: None,
                created: OffsetDateTime::now_utc(),
                rights: Some(vec![res.into()]),
            },
        );
        assert!(s.broker_permits(org, res, "write", Some((Some(su), None))));
        assert!(!s.broker_permits(org, "ovelse-vedlegg", "write", Some((Some(su), None))));
        // The practice organisations keep the practice rules.
        assert!(s.broker_permits("310000019", "budbringer-ovelse", "write", None));
        assert!(s.next_synthetic_org().starts_with("3100001"));
    }
}
