//! The registers' answers, kept in the local store ([`Store::cache_get`]) with
//! the time they came, so a list of ten thousand transfers asks each register
//! once per number, and names still show offline. Names are a convenience:
//! nothing here fails; what cannot be known is shown as the number, and the
//! [`NameStatus`] says why.

use super::enhetsregisteret::Enhetsregisteret;
use super::resource_registry::ResourceRegistry;
use super::types::{NameStatus, OrgInfo, ServiceInfo};
use crate::error::AppResult;
use crate::orgnumber::OrgNumber;
use crate::store::Store;

/// How long a found name is trusted: names change seldom, and a stale one
/// is still right about the number.
pub const FOUND_TTL_SECS: i64 = 7 * 24 * 3600;
/// How long "not in the register" is trusted: a new organisation is
/// registered within days, and TT02's synthetic ones never are.
pub const NOT_FOUND_TTL_SECS: i64 = 24 * 3600;
/// Answers older than this are pruned from the store.
pub const PRUNE_AFTER_SECS: i64 = 90 * 24 * 3600;

/// The registers of one environment, with the store as their memory.
pub struct Names<'a> {
    pub store: &'a Store,
    pub http: &'a reqwest::Client,
    /// Enhetsregisteret's base (`Endpoints::register_base`).
    pub register_base: &'a str,
    /// The Resource Registry's base (`Endpoints::resource_registry_base`).
    pub resource_registry_base: &'a str,
}

fn fresh(fetched: i64, found: bool, now: i64) -> bool {
    let ttl = if found { FOUND_TTL_SECS } else { NOT_FOUND_TTL_SECS };
    now - fetched < ttl && fetched <= now
}

impl Names<'_> {
    /// The cache key: the base is part of it, so the sandbox's invented
    /// names never show for a real number in TT02 or production.
    fn key(&self, kind: &str, base: &str, id: &str) -> String {
        format!("{kind}|{base}|{id}")
    }

    fn cached<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<(i64, T)> {
        let (fetched, data) = self.store.cache_get(key).ok().flatten()?;
        serde_json::from_str(&data).ok().map(|v| (fetched, v))
    }

    fn keep<T: serde::Serialize>(&self, key: &str, now: i64, value: &T) {
        if let Ok(data) = serde_json::to_string(value) {
            if let Err(e) = self.store.cache_put(key, now, &data) {
                tracing::debug!(error = %e, "a register answer could not be kept");
            }
        }
    }

    /// What Enhetsregisteret says about `org`: from the store while fresh,
    /// else asked; when the register cannot be asked, the last answer marked
    /// stale, or the number alone.
    pub async fn org(&self, org: &OrgNumber, now: i64) -> OrgInfo {
        let key = self.key("org", self.register_base, &org.digits());
        let cached: Option<(i64, OrgInfo)> = self.cached(&key);
        if let Some((fetched, info)) = &cached {
            if fresh(*fetched, info.status == NameStatus::Found, now) {
                return info.clone();
            }
        }
        match Enhetsregisteret::new(self.http, self.register_base).unit(org, now).await {
            Ok(found) => {
                let info = found.unwrap_or_else(|| OrgInfo {
                    fetched: Some(now),
                    ..OrgInfo::unknown(&org.digits(), NameStatus::NotInRegister)
                });
                self.keep(&key, now, &info);
                info
            }
            Err(e) => {
                tracing::info!(error = %e, "Enhetsregisteret not reached; showing the number");
                match cached {
                    Some((_, info)) => OrgInfo { stale: true, ..info },
                    None => OrgInfo::unknown(&org.digits(), NameStatus::Unavailable),
                }
            }
        }
    }

    /// Organisations for the recipient field: a number is looked up, a name
    /// searched for (main units first). The hits are kept, so the name shows
    /// at once when one is chosen. An unreachable register is an error here:
    /// the field says so and the user can type the number.
    pub async fn search_orgs(&self, query: &str, size: u32, now: i64) -> AppResult<Vec<OrgInfo>> {
        let query = query.trim();
        if let Ok(org) = OrgNumber::parse(query) {
            return Ok(vec![self.org(&org, now).await]);
        }
        if query.chars().filter(|c| c.is_alphanumeric()).count() < 2 {
            return Ok(Vec::new());
        }
        let hits = Enhetsregisteret::new(self.http, self.register_base).search(query, size, now).await?;
        for h in &hits {
            self.keep(&self.key("org", self.register_base, &h.org_number), now, h);
        }
        Ok(hits)
    }

    /// What the Resource Registry says about the Broker resource `id`.
    pub async fn service(&self, id: &str, now: i64) -> ServiceInfo {
        let key = self.key("service", self.resource_registry_base, id);
        let cached: Option<(i64, ServiceInfo)> = self.cached(&key);
        if let Some((fetched, info)) = &cached {
            if fresh(*fetched, info.status == NameStatus::Found, now) {
                return info.clone();
            }
        }
        match ResourceRegistry::new(self.http, self.resource_registry_base).resource(id, now).await {
            Ok(found) => {
                let info = found.unwrap_or_else(|| ServiceInfo {
                    fetched: Some(now),
                    ..ServiceInfo::unknown(id, NameStatus::NotInRegister)
                });
                self.keep(&key, now, &info);
                info
            }
            Err(e) => {
                tracing::info!(error = %e, "Resource Registry not reached; showing the ID");
                match cached {
                    Some((_, info)) => ServiceInfo { stale: true, ..info },
                    None => ServiceInfo::unknown(id, NameStatus::Unavailable),
                }
            }
        }
    }

    /// Forgets answers too old to be worth keeping.
    pub fn prune(&self, now: i64) {
        if let Err(e) = self.store.cache_prune(now - PRUNE_AFTER_SECS) {
            tracing::debug!(error = %e, "old register answers could not be pruned");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshness_depends_on_what_was_found() {
        assert!(fresh(0, true, FOUND_TTL_SECS - 1));
        assert!(!fresh(0, true, FOUND_TTL_SECS));
        assert!(!fresh(0, false, NOT_FOUND_TTL_SECS));
        assert!(fresh(0, false, NOT_FOUND_TTL_SECS - 1));
        assert!(!fresh(100, true, 50), "an answer from the future (the clock was moved) is asked again");
    }
}
