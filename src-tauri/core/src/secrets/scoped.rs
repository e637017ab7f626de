//! Secrets namespaced per organisation: one installation can hold several
//! organisations in one environment, each with its own key and API key.
//!
//! The names the rest of the engine uses stay `<environment>/<what>`
//! (`profile::private_key_secret`); a [`ScopedSecrets`] store turns them into
//! `<environment>/<org>/<what>` for the organisation it stands for. A profile
//! with no organisation number yet (the wizard's first steps) keeps the plain
//! `<environment>/<what>` names, which is also where an installation from before
//! several organisations kept its secrets: they are moved to the organisation's
//! names once ([`move_namespace`]).

use super::{Secret, SecretStore};
use crate::environment::Environment;
use crate::error::AppResult;
use std::sync::Arc;

/// `name` in `org`'s namespace: `sandbox/private-key` → `sandbox/310000019/private-key`.
/// With no organisation (a profile still being set up), and for a name that
/// belongs to no environment (`proxy-password`), the name is unchanged.
pub fn scoped_name(name: &str, org: &str) -> String {
    match name.split_once('/') {
        Some((env, what)) if !org.is_empty() && Environment::ALL.iter().any(|e| e.as_str() == env) => {
            format!("{env}/{org}/{what}")
        }
        _ => name.to_owned(),
    }
}

/// Which organisation a name belongs to, from the environment part of the
/// name (`sandbox`, `tt02`, `production`).
pub type OrgOf = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// A secret store seen through one organisation's namespace: either a fixed
/// one (the client of one profile) or the active organisation of each
/// environment at the moment of the call (the Setup page, which edits the
/// active profile).
pub struct ScopedSecrets {
    inner: Arc<dyn SecretStore>,
    org: OrgOf,
}

impl ScopedSecrets {
    /// Always `org`'s namespace.
    pub fn fixed(inner: Arc<dyn SecretStore>, org: &str) -> Self {
        let org = org.to_owned();
        ScopedSecrets { inner, org: Arc::new(move |_| org.clone()) }
    }

    /// The namespace `org_of` names for the environment of each secret.
    pub fn following(inner: Arc<dyn SecretStore>, org_of: OrgOf) -> Self {
        ScopedSecrets { inner, org: org_of }
    }

    fn name(&self, name: &str) -> String {
        let env = name.split_once('/').map(|(e, _)| e).unwrap_or(name);
        scoped_name(name, &(self.org)(env))
    }
}

impl SecretStore for ScopedSecrets {
    fn set(&self, name: &str, value: &Secret) -> AppResult<()> {
        self.inner.set(&self.name(name), value)
    }
    fn get(&self, name: &str) -> AppResult<Option<Secret>> {
        self.inner.get(&self.name(name))
    }
    fn delete(&self, name: &str) -> AppResult<()> {
        self.inner.delete(&self.name(name))
    }
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
    fn durable(&self) -> bool {
        self.inner.durable()
    }
}

/// Copies each of `names` (unscoped, `<env>/<what>`) from organisation `from`'s
/// namespace to `to`'s. An existing value in `to` is kept (a second run of an
/// interrupted move changes nothing). The source is left alone: delete it with
/// [`clear_namespace`] once the profile that points at `to` is saved, so that a
/// crash in between loses nothing.
pub fn copy_namespace(store: &dyn SecretStore, names: &[String], from: &str, to: &str) -> AppResult<usize> {
    let mut n = 0;
    for name in names {
        let (src, dst) = (scoped_name(name, from), scoped_name(name, to));
        if src == dst || store.get(&dst)?.is_some() {
            continue;
        }
        if let Some(v) = store.get(&src)? {
            store.set(&dst, &v)?;
            n += 1;
        }
    }
    Ok(n)
}

/// Deletes each of `names` in `org`'s namespace.
pub fn clear_namespace(store: &dyn SecretStore, names: &[String], org: &str) -> AppResult<()> {
    for name in names {
        store.delete(&scoped_name(name, org))?;
    }
    Ok(())
}

/// Copies, then (after `commit` succeeded) deletes the source: a move that
/// never leaves the secrets in neither place.
pub fn move_namespace(
    store: &dyn SecretStore,
    names: &[String],
    from: &str,
    to: &str,
    commit: impl FnOnce() -> AppResult<()>,
) -> AppResult<()> {
    copy_namespace(store, names, from, to)?;
    commit()?;
    if from != to {
        clear_namespace(store, names, from)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AppError;
    use crate::secrets::MemorySecretStore;

    fn names() -> Vec<String> {
        vec!["tt02/private-key".into(), "tt02/api-key".into()]
    }

    #[test]
    fn names_are_namespaced_per_organisation() {
        assert_eq!(scoped_name("tt02/private-key", "310000019"), "tt02/310000019/private-key");
        assert_eq!(scoped_name("tt02/private-key", ""), "tt02/private-key");
        assert_eq!(scoped_name("proxy-password", "310000019"), "proxy-password");
        assert_eq!(scoped_name("test/x", "310000019"), "test/x");
        let raw: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::new());
        let a = ScopedSecrets::fixed(raw.clone(), "310000019");
        let b = ScopedSecrets::fixed(raw.clone(), "310000027");
        a.set("tt02/private-key", &Secret::new("A")).unwrap();
        b.set("tt02/private-key", &Secret::new("B")).unwrap();
        assert_eq!(a.get("tt02/private-key").unwrap().unwrap().expose(), "A");
        assert_eq!(b.get("tt02/private-key").unwrap().unwrap().expose(), "B");
        assert_eq!(raw.get("tt02/private-key").unwrap(), None, "nothing in the unscoped name");
        let active = std::sync::Mutex::new("310000027".to_owned());
        let active = Arc::new(active);
        let follow = {
            let active = active.clone();
            ScopedSecrets::following(raw.clone(), Arc::new(move |_| active.lock().unwrap().clone()))
        };
        assert_eq!(follow.get("tt02/private-key").unwrap().unwrap().expose(), "B");
        *active.lock().unwrap() = "310000019".into();
        assert_eq!(follow.get("tt02/private-key").unwrap().unwrap().expose(), "A");
    }

    #[test]
    fn a_move_loses_nothing_when_the_commit_fails_and_is_repeatable() {
        let raw = MemorySecretStore::new();
        raw.set("tt02/private-key", &Secret::new("old")).unwrap();
        let err = move_namespace(&raw, &names(), "", "310000019", || Err(AppError::internal("disk full")));
        assert!(err.is_err());
        assert_eq!(raw.get("tt02/private-key").unwrap().unwrap().expose(), "old", "the source stays");
        assert_eq!(raw.get("tt02/310000019/private-key").unwrap().unwrap().expose(), "old");
        move_namespace(&raw, &names(), "", "310000019", || Ok(())).unwrap();
        assert_eq!(raw.get("tt02/private-key").unwrap(), None);
        assert_eq!(raw.get("tt02/310000019/private-key").unwrap().unwrap().expose(), "old");
        assert_eq!(raw.get("tt02/310000019/api-key").unwrap(), None, "absent secrets stay absent");
    }
}
