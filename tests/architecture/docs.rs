//! Citations that a reader can follow: comments point into the project's own
//! `docs/`, to sections that exist, never to documents outside the repository.

use regex::Regex;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The anchors GitHub makes for a Markdown file's headings.
pub fn anchors(markdown: &str) -> BTreeSet<String> {
    let heading = Regex::new(r"(?m)^#{1,6}\s+(.+?)\s*$").unwrap();
    let drop = Regex::new(r"[^\w\- ]").unwrap();
    heading.captures_iter(markdown).map(|c| drop.replace_all(&c[1].to_lowercase(), "").replace(' ', "-")).collect()
}

/// What is wrong with the citations in one file's text: links into `docs/`
/// whose section does not exist (`known` maps a document to its anchors), and
/// citations of the planning documents users never see.
pub fn problems(text: &str, is_code: bool, known: &[(String, BTreeSet<String>)]) -> Vec<String> {
    let link = Regex::new(r"(ALTINN|ARCHITECTURE)\.md#([\w\-]+)").unwrap();
    // Built from parts so that this file does not cite them itself.
    let private =
        Regex::new(&format!(r"\b({}|{})\b", ["broker", "api\\.md"].join("-"), ["auth", "and", "onboarding"].join("-")))
            .unwrap();
    // A bare section sign in code cites a section of those documents.
    let section = Regex::new("\u{a7}\\s?\\d").unwrap();
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for c in link.captures_iter(line) {
            let doc = format!("{}.md", &c[1]);
            let ok = known.iter().any(|(d, a)| *d == doc && a.contains(&c[2]));
            if !ok {
                out.push(format!("line {}: docs/{doc}#{} is no section of docs/{doc}", n + 1, &c[2]));
            }
        }
        if private.is_match(line) || (is_code && section.is_match(line)) {
            out.push(format!("line {}: cites a document outside the repository: `{}`", n + 1, line.trim()));
        }
    }
    out
}

/// The files a reader opens: sources, scripts and documentation.
pub fn readable_files(dir: &Path, skip: &dyn Fn(&str) -> bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !skip(&name) {
                readable_files(&path, skip, out);
            }
        } else if [".rs", ".ts", ".svelte", ".md", ".sh", ".toml"].iter().any(|e| name.ends_with(e)) {
            out.push(path);
        }
    }
}

#[test]
fn the_citation_check_sees_bad_citations() {
    let known = vec![("ALTINN.md".to_owned(), anchors("# Title\n## The JWT grant\n### TUS\n"))];
    assert!(problems("// see docs/ALTINN.md#the-jwt-grant and `docs/ALTINN.md#tus`", true, &known).is_empty());
    assert_eq!(problems(concat!("// docs/ALTINN", ".md#the-grant"), true, &known).len(), 1);
    // Written with escapes and in parts, so that this file does not cite them itself.
    let cite = format!("// ({}-api.md \u{a7}3.7)", "broker");
    assert_eq!(problems(&cite, true, &known).len(), 1);
    assert_eq!(problems("/// Search filters (\u{a7}3.7).", true, &known).len(), 1);
    assert!(problems("The law's \u{a7} 3 applies.", false, &known).is_empty());
}
