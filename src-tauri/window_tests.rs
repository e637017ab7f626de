//! What the window may do, checked (docs/SECURITY.md, "The window").

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every permission identifier granted in `capabilities/*.json`.
fn granted() -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root().join("capabilities")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            for p in v["permissions"].as_array().unwrap() {
                let id = p.as_str().or_else(|| p["identifier"].as_str()).unwrap();
                out.push(id.to_owned());
            }
        }
    }
    out.sort();
    out
}

/// The window gets the core basics and opening web links, nothing else: no
/// store plugin (its paths from the webview may be absolute or climb out with
/// `..`), no file system, shell or HTTP plugin. A new permission fails here
/// until it is added on purpose.
#[test]
fn the_window_is_granted_only_what_it_needs() {
    let granted = granted();
    for plugin in ["store:", "fs:", "shell:", "http:", "dialog:", "process:"] {
        assert!(!granted.iter().any(|p| p.starts_with(plugin)), "the window is granted {plugin}*: {granted:?}");
    }
    assert_eq!(granted, ["core:default", "opener:allow-open-url"], "capabilities/*.json");
}

fn js_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            js_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "js") {
            out.push(p);
        }
    }
}

/// The built UI (what the binary embeds) has no test hook on `window`: the
/// end-to-end test adds files through debug-only commands instead.
#[test]
fn the_built_ui_has_no_test_hook() {
    let mut files = Vec::new();
    js_files(&root().join("ui/dist"), &mut files);
    assert!(!files.is_empty(), "ui/dist is built (the app crate needs it)");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(!text.contains("__budbringer"), "{} sets a test hook on window", f.display());
        assert!(!text.contains("e2e_drop_files"), "{} calls the debug-only drop command", f.display());
    }
}
