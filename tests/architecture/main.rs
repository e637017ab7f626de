//! The architecture, checked (docs/ARCHITECTURE.md, "House rules"):
//!
//! * only the app package depends on Tauri or a webview: every other member
//!   of the workspace builds without a window;
//! * no Rust source file is longer than [`MAX_LINES`] lines;
//! * no two files of a crate use each other, directly or round a longer loop;
//! * citations point to sections of `docs/` that exist, never to documents
//!   outside the repository.
//!
//! Each check reports everything it finds at once, with the way to the
//! offending crate or the lines that make a cycle.

#![allow(clippy::unwrap_used)] // a test that cannot go on fails at once

mod cycles;
mod docs;
mod lexer;
mod metadata;
mod modgraph;

use std::path::{Path, PathBuf};

/// The one package that may have a window.
const APP: &str = "budbringer";

/// Members that must build without Tauri. Every other member must too (a new
/// member is checked without being listed); the list makes sure that a
/// renamed or removed one is noticed.
const TAURI_FREE: &[&str] = &[
    "budbringer-core",
    "budbringer-sandbox",
    "budbringer-runtime",
    "budbringer-cli",
    "budbringer-bench",
    "budbringer-tests",
];

/// Tauri, its window and webview crates, and the toolkits under them.
fn is_window_crate(name: &str) -> bool {
    name == "tauri"
        || name.starts_with("tauri-")
        || name == "wry"
        || name == "tao"
        || name.starts_with("webkit2gtk")
        || name.starts_with("webview2-com")
        || name == "gtk"
        || name == "gtk-sys"
}

#[test]
fn only_the_app_depends_on_tauri() {
    let ws = metadata::load();
    for name in TAURI_FREE {
        assert!(ws.member(name).is_some(), "{name} is no longer a workspace member: update TAURI_FREE");
    }
    // The check sees Tauri where it is: in the app.
    let app = ws.member(APP).expect("the app package is a workspace member");
    assert!(
        ws.dependency_chains(&app.id).iter().any(|c| c.last().is_some_and(|n| n == "tauri")),
        "the dependency walk does not find tauri even under the app; the check is broken"
    );
    let mut found = Vec::new();
    for member in ws.members.iter().filter(|m| m.name != APP) {
        let chains = ws.dependency_chains(&member.id);
        // Where the window comes in: chains that reach a window crate through no other one.
        let entries = chains.iter().filter(|c| {
            c.last().is_some_and(|n| is_window_crate(n)) && !c[..c.len() - 1].iter().any(|n| is_window_crate(n))
        });
        found.extend(entries.map(|c| c.join(" → ")));
    }
    assert!(
        found.is_empty(),
        "only {APP} may depend on Tauri or a webview; these members do (shortest way shown):\n{}",
        found.join("\n")
    );
}

/// Longer than this and a file no longer fits in a reader's head: split it by concern.
const MAX_LINES: usize = 800;

/// Files allowed to be longer, each with its reason. Keep it short: generated
/// code and test data only. An entry that is no longer needed fails the test.
const LONG_FILES: &[(&str, &str)] = &[];

/// Directories that hold no source of ours: build outputs, dependencies, VCS.
fn skipped_dir(name: &str) -> bool {
    name.starts_with('.') || matches!(name, "target" | "node_modules" | "dist")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !skipped_dir(&name) {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_source_file_is_over_800_lines() {
    let root = metadata::workspace_root();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files.sort();
    assert!(files.len() > 50, "found only {} Rust files under {}; the walk is broken", files.len(), root.display());
    let mut long = Vec::new();
    let mut excepted_and_long = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        let lines = std::fs::read_to_string(file).map(|s| s.lines().count()).unwrap_or(0);
        let excepted = LONG_FILES.iter().any(|(f, _)| *f == rel);
        if lines > MAX_LINES && !excepted {
            long.push(format!("{rel}: {lines} lines"));
        }
        if lines > MAX_LINES && excepted {
            excepted_and_long.push(rel);
        }
    }
    let stale: Vec<&str> =
        LONG_FILES.iter().map(|(f, _)| *f).filter(|f| !excepted_and_long.iter().any(|l| l == f)).collect();
    assert!(stale.is_empty(), "LONG_FILES names files that are gone or short now; remove them: {stale:?}");
    assert!(
        long.is_empty(),
        "source files over {MAX_LINES} lines (split them by concern, or add generated code to LONG_FILES with a reason):\n{}",
        long.join("\n")
    );
}

#[test]
fn no_import_cycle_between_files() {
    let ws = metadata::load();
    let mut reports: Vec<String> = Vec::new();
    let mut files_read = 0;
    for member in &ws.members {
        for root in &member.crate_roots {
            let graph = modgraph::read_crate(root).unwrap_or_else(|e| panic!("{}: {e}", member.name));
            files_read += graph.files.len();
            for report in cycles::cycles(&graph, &ws.root) {
                // A file shared by two crates (a test's support module) would be reported twice.
                if !reports.iter().any(|r| r.ends_with(&report)) {
                    reports.push(format!("{}: {report}", member.name));
                }
            }
        }
    }
    assert!(files_read > 50, "read only {files_read} files through the mod declarations; the reader is broken");
    assert!(
        reports.is_empty(),
        "files that use each other (move the shared piece to where it belongs, usually a third file both use):\n{}",
        reports.join("\n")
    );
}

/// The reader and the cycle finder on a small crate made for the purpose:
/// the one real cycle is found, and nothing else is taken for one.
#[test]
fn the_cycle_finder_finds_a_planted_cycle_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "lib.rs",
        "//! crate::b::B in a comment is no use\nmod a;\nmod b;\npub mod c;\nmod parent;\npub use c::Thing;\n",
    );
    write("a.rs", "use super::b::B;\npub struct A(B);\n");
    write("b.rs", "pub struct B;\nfn f() -> Option<crate::a::A> { let _ = \"super::c\"; None }\n");
    // A re-export is no use, and an inline test module's `super` is its own file.
    write("c.rs", "pub struct Thing;\npub use super::a::A;\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n");
    // A child using its parent, and the parent declaring it: no cycle.
    write("parent/mod.rs", "mod inner;\npub fn helper() {}\n");
    write("parent/inner.rs", "use super::helper;\nfn g() { crate::Thing; helper() }\n");
    let graph = modgraph::read_crate(&dir.path().join("lib.rs")).unwrap();
    assert_eq!(graph.files.len(), 6);
    let found = cycles::cycles(&graph, dir.path());
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].starts_with("import cycle between a.rs, b.rs:"), "{}", found[0]);
    assert!(found[0].contains("(line 2: `crate::a::A`)"), "{}", found[0]);
    // `crate::Thing` is followed through lib.rs's re-export to c.rs.
    let inner = graph.files.iter().position(|f| f.ends_with("parent/inner.rs")).unwrap();
    let c = graph.files.iter().position(|f| f.ends_with("c.rs")).unwrap();
    assert!(graph.edges.iter().any(|e| e.from == inner && e.to == c), "{:?}", graph.edges);
}

#[test]
fn the_window_crate_names_are_the_ones_meant() {
    for name in ["tauri", "tauri-build", "tauri-plugin-store", "wry", "tao", "webkit2gtk-sys", "gtk", "gtk-sys"] {
        assert!(is_window_crate(name), "{name}");
    }
    for name in ["tokio", "gdk-pixbuf", "taurine", "budbringer-core"] {
        assert!(!is_window_crate(name), "{name}");
    }
}

#[test]
fn citations_point_to_sections_that_exist() {
    let root = metadata::workspace_root();
    let mut known = Vec::new();
    for doc in ["ALTINN.md", "ARCHITECTURE.md"] {
        let text = std::fs::read_to_string(root.join("docs").join(doc)).expect("the document exists");
        known.push((doc.to_owned(), docs::anchors(&text)));
    }
    let mut files = Vec::new();
    docs::readable_files(&root, &skipped_dir, &mut files);
    files.sort();
    let mut found = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        let Ok(text) = std::fs::read_to_string(file) else { continue };
        let is_code = [".rs", ".ts", ".svelte"].iter().any(|e| rel.ends_with(e));
        found.extend(docs::problems(&text, is_code, &known).into_iter().map(|p| format!("{rel}: {p}")));
    }
    assert!(
        found.is_empty(),
        "citations a reader cannot follow (point them to the section of docs/ALTINN.md or docs/ARCHITECTURE.md):\n{}",
        found.join("\n")
    );
}
