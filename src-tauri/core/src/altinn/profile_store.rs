//! The file of connection profiles (`profiles.json` in the data folder): any
//! number of organisations per environment, one of them active, and the
//! move of an installation from before several organisations.

use super::profile::{api_key_secret, pending_key_secret, private_key_secret, Profile};
use crate::environment::Environment;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::secrets::{scoped, SecretStore};
use crate::sync::Locked;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Every secret name a profile of `env` owns (unscoped: the store of the
/// profile puts them in its organisation's namespace, `secrets::scoped`).
pub fn profile_secret_names(env: Environment) -> Vec<String> {
    vec![private_key_secret(env), pending_key_secret(env), api_key_secret(env)]
}

/// A profile's key: its environment and organisation number (empty while
/// the wizard has not been told it yet: at most one such draft per environment).
type Key = (Environment, String);

/// All profiles, kept in `profiles.json` (written atomically): any number of
/// organisations per environment, one of them active (the one the header
/// shows, the Setup page edits and a send goes from).
///
/// Version 1 of the file (before several organisations) held one profile per
/// environment and its secrets under the plain names; [`attach_secrets`](Self::attach_secrets)
/// moves them into the organisation's namespace once, so an existing
/// installation keeps working without a new set-up.
pub struct ProfileStore {
    path: PathBuf,
    inner: std::sync::Mutex<Inner>,
    secrets: std::sync::OnceLock<Arc<dyn SecretStore>>,
}

impl std::fmt::Debug for ProfileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileStore").field("path", &self.path).finish_non_exhaustive()
    }
}

#[derive(Clone, Default)]
struct Inner {
    profiles: HashMap<Key, Profile>,
    active: HashMap<Environment, String>,
    version: u32,
}

/// The file's current version.
const VERSION: u32 = 2;

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ProfilesFile {
    /// Missing in version 1.
    #[serde(default)]
    version: u32,
    #[serde(default)]
    profiles: Vec<Profile>,
    #[serde(default)]
    active: Vec<ActiveOrg>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActiveOrg {
    environment: Environment,
    org_number: String,
}

fn key(p: &Profile) -> Key {
    (p.environment, p.org_number.clone())
}

impl ProfileStore {
    pub const FILE: &'static str = "profiles.json";

    /// Opens the store in `data_dir`. A missing or unreadable file gives
    /// empty profiles (a damaged file is kept aside as `profiles.json.bad`).
    pub fn open(data_dir: &Path) -> Self {
        let path = data_dir.join(Self::FILE);
        // No file yet: nothing to migrate, but a store without secrets attached
        // (the tests, the command line's first step) keeps the secrets under
        // the plain names, which the app's store then moves.
        let mut inner = Inner::default();
        match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<ProfilesFile>(&bytes) {
                Ok(f) => {
                    inner.version = f.version;
                    for p in f.profiles {
                        // Version 1 had one per environment: it becomes that environment's active one.
                        inner.active.entry(p.environment).or_insert_with(|| p.org_number.clone());
                        inner.profiles.insert(key(&p), p);
                    }
                    for a in f.active {
                        if inner.profiles.contains_key(&(a.environment, a.org_number.clone())) {
                            inner.active.insert(a.environment, a.org_number);
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "profiles.json could not be read; starting with empty profiles");
                    let _ = std::fs::rename(&path, path.with_extension("json.bad"));
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(error = %e, "profiles.json could not be opened"),
        }
        ProfileStore { path, inner: std::sync::Mutex::new(inner), secrets: std::sync::OnceLock::new() }
    }

    /// Gives the store the secret store (raw, unscoped) so that renaming or
    /// removing an organisation moves or deletes its secrets, and moves the
    /// secrets of a version-1 file into the organisations' namespaces (copy,
    /// save the file as version 2, then delete the old names: a crash in
    /// between loses nothing and the next start finishes it).
    pub fn attach_secrets(&self, secrets: Arc<dyn SecretStore>) -> AppResult<()> {
        let _ = self.secrets.set(secrets.clone());
        let mut inner = self.inner.locked();
        if inner.version >= VERSION {
            return Ok(());
        }
        let legacy: Vec<Key> = inner.profiles.keys().filter(|(_, org)| !org.is_empty()).cloned().collect();
        for (env, org) in &legacy {
            scoped::copy_namespace(secrets.as_ref(), &profile_secret_names(*env), "", org)?;
        }
        let mut next = inner.clone();
        next.version = VERSION;
        self.write(&next)?;
        *inner = next;
        for (env, _) in &legacy {
            scoped::clear_namespace(secrets.as_ref(), &profile_secret_names(*env), "")?;
        }
        tracing::info!(n = legacy.len(), "profiles moved to one namespace per organisation");
        Ok(())
    }

    fn write(&self, inner: &Inner) -> AppResult<()> {
        let file = ProfilesFile {
            version: inner.version,
            profiles: Environment::ALL.iter().flat_map(|e| self.sorted(inner, *e)).collect(),
            active: Environment::ALL
                .iter()
                .filter_map(|e| inner.active.get(e).map(|o| ActiveOrg { environment: *e, org_number: o.clone() }))
                .collect(),
        };
        let text = serde_json::to_vec_pretty(&file).map_err(|e| AppError::internal(e.to_string()))?;
        write_atomic(&self.path, &text).map_err(|e| AppError::new(ErrorCode::SettingsFailed).with_detail(e.to_string()))
    }

    fn sorted(&self, inner: &Inner, env: Environment) -> Vec<Profile> {
        let mut v: Vec<Profile> = inner.profiles.values().filter(|p| p.environment == env).cloned().collect();
        v.sort_by(|a, b| a.org_number.cmp(&b.org_number));
        v
    }

    /// The active organisation's number in `env` (empty for none or a draft).
    pub fn active_org(&self, env: Environment) -> String {
        self.inner.locked().active.get(&env).cloned().unwrap_or_default()
    }

    /// The active profile of `env` (a fresh one when none was saved).
    pub fn get(&self, env: Environment) -> Profile {
        let inner = self.inner.locked();
        let org = inner.active.get(&env).cloned().unwrap_or_default();
        inner.profiles.get(&(env, org)).cloned().unwrap_or_else(|| Profile::new(env))
    }

    /// The profile of organisation `org` in `env`, if there is one.
    pub fn get_org(&self, env: Environment, org: &str) -> Option<Profile> {
        self.inner.locked().profiles.get(&(env, org.trim_start_matches("0192:").to_owned())).cloned()
    }

    /// Every profile of `env`, by organisation number (a draft first).
    pub fn list(&self, env: Environment) -> Vec<Profile> {
        self.sorted(&self.inner.locked(), env)
    }

    /// The active profile of each environment.
    pub fn all(&self) -> Vec<Profile> {
        Environment::ALL.iter().map(|e| self.get(*e)).collect()
    }

    /// Saves a profile under its environment and organisation (replacing the
    /// one saved there). It becomes active when its environment has none, and
    /// takes the place of the active draft (the practice shortcut fills in the
    /// wizard's new profile); then the secrets stored under the plain names
    /// before it (by a caller that made its key first) are its own.
    pub fn save(&self, profile: Profile) -> AppResult<Profile> {
        profile.validate()?;
        let env = profile.environment;
        let mut inner = self.inner.locked();
        let mut next = inner.clone();
        let org = profile.org_number.clone();
        let first = !next.active.contains_key(&env);
        let replaces_draft = next.active.get(&env).is_some_and(String::is_empty)
            && !org.is_empty()
            && !next.profiles.contains_key(&key(&profile));
        if first || replaces_draft {
            next.profiles.remove(&(env, String::new()));
            next.active.insert(env, org.clone());
        }
        next.profiles.insert(key(&profile), profile.clone());
        match self.secrets.get() {
            Some(s) if (first || replaces_draft) && !org.is_empty() => {
                scoped::move_namespace(s.as_ref(), &profile_secret_names(env), "", &profile.org_number, || {
                    self.write(&next)
                })?
            }
            _ => self.write(&next)?,
        }
        *inner = next;
        Ok(profile)
    }

    /// Loads, changes and saves the active profile. When the change gives it
    /// another organisation number (the wizard's first step for a new
    /// organisation), it is saved under the new number, stays active, and
    /// its secrets move with it; a number another profile already has is refused.
    pub fn update(&self, env: Environment, f: impl FnOnce(&mut Profile) -> AppResult<()>) -> AppResult<Profile> {
        let mut inner = self.inner.locked();
        let old = inner.active.get(&env).cloned().unwrap_or_default();
        let mut p = inner.profiles.get(&(env, old.clone())).cloned().unwrap_or_else(|| Profile::new(env));
        f(&mut p)?;
        p.validate()?;
        let new = p.org_number.clone();
        if new != old && inner.profiles.contains_key(&(env, new.clone())) {
            return Err(AppError::invalid_input(format!("organisation {new} is already set up in this environment")));
        }
        let mut next = inner.clone();
        next.profiles.remove(&(env, old.clone()));
        next.profiles.insert(key(&p), p.clone());
        next.active.insert(env, new.clone());
        match self.secrets.get() {
            Some(s) if new != old => {
                scoped::move_namespace(s.as_ref(), &profile_secret_names(env), &old, &new, || self.write(&next))?
            }
            _ => self.write(&next)?,
        }
        *inner = next;
        Ok(p)
    }

    /// Makes `org`'s profile the active one of `env`.
    pub fn switch(&self, env: Environment, org: &str) -> AppResult<Profile> {
        let org = org.trim_start_matches("0192:").to_owned();
        let mut inner = self.inner.locked();
        let Some(p) = inner.profiles.get(&(env, org.clone())).cloned() else {
            return Err(AppError::new(ErrorCode::NotFound).with_detail(format!("no organisation {org} here")));
        };
        let mut next = inner.clone();
        next.active.insert(env, org);
        self.write(&next)?;
        *inner = next;
        Ok(p)
    }

    /// Starts a new organisation in `env` ("add another organisation"): an
    /// empty profile, active, for the wizard to fill in. One already started
    /// is picked up again. Its secrets start empty.
    pub fn add_draft(&self, env: Environment) -> AppResult<Profile> {
        let mut inner = self.inner.locked();
        let mut next = inner.clone();
        let fresh = !next.profiles.contains_key(&(env, String::new()));
        if fresh {
            next.profiles.insert((env, String::new()), Profile::new(env));
        }
        next.active.insert(env, String::new());
        if let (true, Some(s)) = (fresh, self.secrets.get()) {
            // Left over from an interrupted migration or a removed draft: never another organisation's.
            scoped::clear_namespace(s.as_ref(), &profile_secret_names(env), "")?;
        }
        self.write(&next)?;
        *inner = next;
        Ok(Profile::new(env))
    }

    /// Removes an organisation and deletes its secrets (its history in the
    /// store stays readable). Another organisation of `env` becomes active.
    pub fn remove(&self, env: Environment, org: &str) -> AppResult<()> {
        let org = org.trim_start_matches("0192:").to_owned();
        let mut inner = self.inner.locked();
        let mut next = inner.clone();
        if next.profiles.remove(&(env, org.clone())).is_none() {
            return Err(AppError::new(ErrorCode::NotFound).with_detail(format!("no organisation {org} here")));
        }
        if next.active.get(&env) == Some(&org) {
            match self.sorted(&next, env).into_iter().next() {
                Some(other) => next.active.insert(env, other.org_number),
                None => next.active.remove(&env),
            };
        }
        self.write(&next)?;
        *inner = next;
        if let Some(s) = self.secrets.get() {
            scoped::clear_namespace(s.as_ref(), &profile_secret_names(env), &org)?;
        }
        Ok(())
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp.{}", uuid::Uuid::new_v4().simple()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::altinn::profile::ProfileEdit;
    use crate::secrets::Secret;

    #[test]
    fn profiles_round_trip_and_default() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::open(dir.path());
        let p = store.get(Environment::Tt02);
        assert_eq!(p.broker_scope(), "altinn:broker.read altinn:broker.write");
        assert!(p.check_ready().is_err());
        let mut p = p;
        p.apply_edit(&ProfileEdit {
            org_number: Some("0192:310000019".into()),
            client_id: Some(" abc ".into()),
            ..Default::default()
        });
        assert_eq!(p.org_number, "310000019");
        assert_eq!(p.client_id, "abc");
        p.check_ready().unwrap();
        store.save(p.clone()).unwrap();
        let again = ProfileStore::open(dir.path());
        assert_eq!(again.get(Environment::Tt02), p);
        assert_eq!(again.get(Environment::Production).org_number, "");
        // Old or partial JSON still loads.
        std::fs::write(
            dir.path().join("profiles.json"),
            r#"{"profiles":[{"environment":"production","orgNumber":"310000027"}]}"#,
        )
        .unwrap();
        let old = ProfileStore::open(dir.path());
        assert_eq!(old.get(Environment::Production).org_number, "310000027");
        assert_eq!(old.get(Environment::Production).scopes.len(), 2);
    }

    const A: &str = "310000019";
    const B: &str = "310000027";

    fn memory() -> Arc<dyn SecretStore> {
        Arc::new(crate::secrets::MemorySecretStore::new())
    }

    /// An installation from before several organisations: one profile per
    /// environment, its key under the plain name. It opens as one
    /// organisation with the same key, in the organisation's namespace.
    #[test]
    fn a_version_1_installation_becomes_one_organisation_with_its_secrets() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("profiles.json"),
            format!(r#"{{"profiles":[{{"environment":"tt02","orgNumber":"{A}","clientId":"c"}}]}}"#),
        )
        .unwrap();
        let secrets = memory();
        secrets.set(&private_key_secret(Environment::Tt02), &Secret::new("the key")).unwrap();
        secrets.set(&api_key_secret(Environment::Tt02), &Secret::new("the api key")).unwrap();
        let store = ProfileStore::open(dir.path());
        assert_eq!(store.get(Environment::Tt02).client_id, "c");
        store.attach_secrets(secrets.clone()).unwrap();
        let scoped = crate::secrets::scoped::ScopedSecrets::fixed(secrets.clone(), A);
        assert_eq!(scoped.get(&private_key_secret(Environment::Tt02)).unwrap().unwrap().expose(), "the key");
        assert_eq!(scoped.get(&api_key_secret(Environment::Tt02)).unwrap().unwrap().expose(), "the api key");
        assert_eq!(secrets.get(&private_key_secret(Environment::Tt02)).unwrap(), None, "the old name is gone");
        // Written as version 2 with the active organisation, and not migrated twice.
        let text = std::fs::read_to_string(dir.path().join("profiles.json")).unwrap();
        assert!(text.contains("\"version\": 2") && text.contains("\"active\""), "{text}");
        let again = ProfileStore::open(dir.path());
        secrets.set(&private_key_secret(Environment::Tt02), &Secret::new("a draft's key")).unwrap();
        again.attach_secrets(secrets.clone()).unwrap();
        assert_eq!(scoped.get(&private_key_secret(Environment::Tt02)).unwrap().unwrap().expose(), "the key");
        assert_eq!(again.get(Environment::Tt02).org_number, A);
    }

    /// A migration interrupted after the copy (the file could not be written)
    /// keeps the old names, and the next start finishes it.
    #[test]
    fn an_interrupted_migration_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("profiles.json");
        std::fs::write(&file, format!(r#"{{"profiles":[{{"environment":"tt02","orgNumber":"{A}"}}]}}"#)).unwrap();
        let secrets = memory();
        secrets.set(&private_key_secret(Environment::Tt02), &Secret::new("k")).unwrap();
        let store = ProfileStore::open(dir.path());
        // The file cannot be replaced: a directory where the temporary file would go is not enough
        // on every platform, so the data folder is made read-only by replacing the path with a folder.
        let blocked = ProfileStore { path: dir.path().join("missing/\0bad"), ..store };
        assert!(blocked.attach_secrets(secrets.clone()).is_err());
        assert_eq!(secrets.get(&private_key_secret(Environment::Tt02)).unwrap().unwrap().expose(), "k");
        let store = ProfileStore::open(dir.path());
        store.attach_secrets(secrets.clone()).unwrap();
        assert_eq!(secrets.get(&format!("tt02/{A}/private-key")).unwrap().unwrap().expose(), "k");
        assert_eq!(secrets.get(&private_key_secret(Environment::Tt02)).unwrap(), None);
    }

    #[test]
    fn several_organisations_switch_rename_and_remove() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = memory();
        let store = ProfileStore::open(dir.path());
        store.attach_secrets(secrets.clone()).unwrap();
        let env = Environment::Sandbox;
        let mut a = Profile::new(env);
        a.org_number = A.into();
        store.save(a).unwrap();
        assert_eq!(store.active_org(env), A, "the first becomes active");
        // "Add another organisation": a draft, whose key is made before its number is known.
        store.add_draft(env).unwrap();
        assert_eq!(store.active_org(env), "");
        secrets.set(&private_key_secret(env), &Secret::new("B's key")).unwrap();
        // Giving it A's number is refused; B's moves the key with it.
        let taken = store.update(env, |p| {
            p.org_number = A.into();
            Ok(())
        });
        assert_eq!(taken.unwrap_err().code, ErrorCode::InvalidInput);
        store
            .update(env, |p| {
                p.org_number = B.into();
                Ok(())
            })
            .unwrap();
        assert_eq!(store.active_org(env), B);
        assert_eq!(secrets.get(&format!("sandbox/{B}/private-key")).unwrap().unwrap().expose(), "B's key");
        assert_eq!(secrets.get(&private_key_secret(env)).unwrap(), None);
        assert_eq!(store.list(env).iter().map(|p| p.org_number.as_str()).collect::<Vec<_>>(), [A, B]);
        store.switch(env, A).unwrap();
        assert_eq!(store.get(env).org_number, A);
        assert_eq!(store.switch(env, "310000035").unwrap_err().code, ErrorCode::NotFound);
        // Both survive a restart, with the active one.
        let again = ProfileStore::open(dir.path());
        assert_eq!(again.list(env).len(), 2);
        assert_eq!(again.active_org(env), A);
        // Removing B deletes its secrets; removing the active A leaves none active.
        store.remove(env, B).unwrap();
        assert_eq!(secrets.get(&format!("sandbox/{B}/private-key")).unwrap(), None);
        store.remove(env, A).unwrap();
        assert_eq!(store.active_org(env), "");
        assert!(store.list(env).is_empty());
    }
}
