//! The workspace as Cargo sees it: `cargo metadata --format-version 1`, run
//! with the same cargo that builds this test.

use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;

pub struct Member {
    pub name: String,
    pub id: String,
    /// The root file of each of its crates (lib, bins, tests, benches, build script).
    pub crate_roots: Vec<PathBuf>,
}

pub struct Workspace {
    pub root: PathBuf,
    pub members: Vec<Member>,
    names: BTreeMap<String, String>,
    /// Resolved dependencies of each package, every platform: (package, whether
    /// it is only a dev-dependency, which counts for the package's own tests only).
    deps: BTreeMap<String, Vec<(String, bool)>>,
}

pub fn workspace_root() -> PathBuf {
    let tests = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    tests.parent().map(PathBuf::from).unwrap_or(tests)
}

pub fn load() -> Workspace {
    let root = workspace_root();
    let out = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "cargo metadata failed: {}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata gives JSON");
    let str_of = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let member_ids: Vec<String> = v["workspace_members"].as_array().into_iter().flatten().map(str_of).collect();
    let mut names = BTreeMap::new();
    let mut members = Vec::new();
    for p in v["packages"].as_array().into_iter().flatten() {
        let id = str_of(&p["id"]);
        names.insert(id.clone(), str_of(&p["name"]));
        if member_ids.contains(&id) {
            let mut crate_roots: Vec<PathBuf> =
                p["targets"].as_array().into_iter().flatten().map(|t| PathBuf::from(str_of(&t["src_path"]))).collect();
            crate_roots.sort();
            crate_roots.dedup();
            members.push(Member { name: str_of(&p["name"]), id, crate_roots });
        }
    }
    let mut deps = BTreeMap::new();
    for node in v["resolve"]["nodes"].as_array().into_iter().flatten() {
        let to: Vec<(String, bool)> = node["deps"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| {
                let kinds = d["dep_kinds"].as_array().cloned().unwrap_or_default();
                let dev_only = !kinds.is_empty() && kinds.iter().all(|k| k["kind"].as_str() == Some("dev"));
                (str_of(&d["pkg"]), dev_only)
            })
            .collect();
        deps.insert(str_of(&node["id"]), to);
    }
    assert!(!members.is_empty() && !deps.is_empty(), "cargo metadata listed no members or no resolve graph");
    Workspace { root, members, names, deps }
}

impl Workspace {
    pub fn member(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == name)
    }

    /// Every package `from` depends on, directly or not, each with the chain
    /// of package names that leads to it (`from` first). `from`'s own
    /// dev-dependencies count (its tests build them); those of the packages
    /// below it do not.
    pub fn dependency_chains(&self, from: &str) -> Vec<Vec<String>> {
        let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = VecDeque::from([from]);
        let mut order = Vec::new();
        while let Some(id) = queue.pop_front() {
            for (dep, dev_only) in self.deps.get(id).into_iter().flatten() {
                if *dev_only && id != from {
                    continue;
                }
                if dep != from && !came_from.contains_key(dep.as_str()) {
                    came_from.insert(dep, id);
                    order.push(dep.as_str());
                    queue.push_back(dep);
                }
            }
        }
        order
            .into_iter()
            .map(|id| {
                let mut chain = vec![id];
                let mut at = id;
                while let Some(&p) = came_from.get(at) {
                    chain.push(p);
                    at = p;
                }
                chain.reverse();
                chain.into_iter().map(|i| self.names.get(i).cloned().unwrap_or_else(|| i.to_owned())).collect()
            })
            .collect()
    }
}
