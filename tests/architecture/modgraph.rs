//! Which source file of a crate uses which, read the way a reviewer would:
//! follow the `mod` declarations from the crate's root to find the files, then
//! read each file's `use` statements and `crate::…`, `super::…`, `self::…`
//! and `child_module::…` paths. A regex-level reader, not a compiler: good
//! enough for this code base, and its blind spots are listed here.
//!
//! * A `mod` declaration is structure, not a use: a parent declaring its
//!   children and a child using its parent is no cycle.
//! * A `pub use` (of any visibility) is a re-export, not a use: a path that
//!   names an item through a re-export is followed to the file that defines
//!   it, so `crate::altinn::AltinnClient` is a use of `altinn/client.rs`.
//! * Items brought in by a glob (`use super::*`) count as a use of that module's file.
//! * Macros are not expanded; `$crate::…` is not a path of this crate.

use super::lexer::{lex, line_of, Lexed};
use regex::Regex;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// One file's use of another: where, and the words that made it.
#[derive(Debug, Clone)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub line: usize,
    pub text: String,
}

/// The files of one crate and the uses between them.
pub struct CrateGraph {
    pub files: Vec<PathBuf>,
    pub edges: Vec<Edge>,
}

type ModPath = Vec<String>;

struct Module {
    file: usize,
    /// Names this module re-exports: name → (the path as written, the module it was written in).
    reexports: BTreeMap<String, (Vec<String>, ModPath)>,
}

struct File {
    path: PathBuf,
    module: ModPath,
    lexed: Lexed,
    /// Inline modules (`mod tests { … }`): byte range of the body and the module it is.
    inline: Vec<(usize, usize, ModPath)>,
}

impl File {
    /// The module the code at `offset` is in.
    fn module_at(&self, offset: usize) -> &ModPath {
        // The innermost inline module that contains the offset: the shortest range.
        self.inline
            .iter()
            .filter(|(a, b, _)| *a <= offset && offset < *b)
            .min_by_key(|(a, b, _)| b - a)
            .map(|(_, _, m)| m)
            .unwrap_or(&self.module)
    }
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).unwrap())
}

fn mod_decl() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"\bmod\s+([A-Za-z_]\w*)\s*([;{])")
}

fn path_attr() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r#"#\[\s*path\s*=\s*"([^"]*)"\s*\]"#)
}

fn use_stmt() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?:\b(pub)\b(?:\s*\([^)]*\))?\s+)?\buse\s+([^;]+);")
}

/// `crate::a::b`, `super::super::x`, `self::y`, or `name::z` (a child module when `name` is one).
fn code_path() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?:^|[^\w$:])((?:[A-Za-z_]\w*)(?:\s*::\s*[A-Za-z_]\w*)+)")
}

/// Splits a use tree (`a::{b, c::{self, d as e}, *}`) into its paths, each
/// with the name it brings into scope.
fn expand_use(tree: &str) -> Vec<(Vec<String>, String)> {
    let tokens: Vec<String> = {
        static R: OnceLock<Regex> = OnceLock::new();
        re(&R, r"[A-Za-z_]\w*|::|[{},*]").find_iter(tree).map(|m| m.as_str().to_owned()).collect()
    };
    let mut out = Vec::new();
    fn walk(t: &[String], i: &mut usize, prefix: Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
        let mut path = prefix;
        while *i < t.len() {
            match t[*i].as_str() {
                "::" => *i += 1,
                "{" => {
                    *i += 1;
                    while *i < t.len() && t[*i] != "}" {
                        walk(t, i, path.clone(), out);
                        if *i < t.len() && t[*i] == "," {
                            *i += 1;
                        }
                    }
                    *i += 1;
                    return;
                }
                "," | "}" => break,
                "as" => {
                    *i += 1;
                    let alias = t.get(*i).cloned().unwrap_or_default();
                    *i += 1;
                    out.push((path, alias));
                    return;
                }
                "*" => {
                    *i += 1;
                    path.push("*".into());
                    out.push((path, "*".into()));
                    return;
                }
                name => {
                    path.push(name.to_owned());
                    *i += 1;
                }
            }
        }
        let name = match path.last().map(String::as_str) {
            Some("self") => path.iter().rev().nth(1).cloned().unwrap_or_default(),
            Some(last) => last.to_owned(),
            None => return,
        };
        out.push((path, name));
    }
    let mut i = 0;
    while i < tokens.len() {
        walk(&tokens, &mut i, vec![], &mut out);
        i += 1;
    }
    out
}

/// The files of the crate whose root is `root`, found through its `mod` declarations.
pub fn read_crate(root: &Path) -> Result<CrateGraph, String> {
    let mut files: Vec<File> = Vec::new();
    let mut modules: BTreeMap<ModPath, Module> = BTreeMap::new();
    // (file path, module path, whether its children live beside it, like a mod.rs)
    let mut todo = vec![(root.to_owned(), vec![], true)];
    while let Some((path, module, mod_rs)) = todo.pop() {
        let src = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let lexed = lex(&src);
        let idx = files.len();
        let dir = path.parent().unwrap_or(Path::new("")).to_owned();
        let child_dir = if mod_rs { dir.clone() } else { dir.join(path.file_stem().unwrap_or_default()) };
        let mut file = File { path: path.clone(), module: module.clone(), lexed, inline: vec![] };
        modules.insert(module.clone(), Module { file: idx, reexports: BTreeMap::new() });
        // Inline modules first, so that the out-of-line ones inside them land in the right place.
        let code = &file.lexed.code;
        for m in mod_decl().captures_iter(code).filter(|m| &m[2] == "{") {
            let open = m.get(2).map_or(0, |g| g.start());
            let close = matching_brace(code, open).unwrap_or(code.len());
            let mut inner = file.module_at(open).clone();
            inner.push(m[1].to_owned());
            file.inline.push((open, close, inner.clone()));
            modules.insert(inner, Module { file: idx, reexports: BTreeMap::new() });
        }
        for m in mod_decl().captures_iter(code).filter(|m| &m[2] == ";") {
            let start = m.get(0).map_or(0, |g| g.start());
            let name = m[1].to_owned();
            let parent = file.module_at(start).clone();
            let nested = &parent[module.len()..];
            // A #[path] attribute between the previous item and this declaration.
            let item_start = code[..start].rfind([';', '{', '}']).map_or(0, |p| p + 1);
            let attr = path_attr().captures(&file.lexed.with_strings[item_start..start]).map(|c| c[1].to_owned());
            let (child, child_mod_rs) = match attr {
                Some(p) => (dir.join(p), true),
                None => {
                    let base = nested.iter().fold(child_dir.clone(), |d, s| d.join(s));
                    let flat = base.join(format!("{name}.rs"));
                    if flat.exists() {
                        (flat, false)
                    } else {
                        (base.join(&name).join("mod.rs"), true)
                    }
                }
            };
            if !child.exists() {
                return Err(format!("{}: `mod {name};` has no file ({})", path.display(), child.display()));
            }
            let mut child_module = parent.clone();
            child_module.push(name);
            todo.push((child, child_module, child_mod_rs));
        }
        files.push(file);
    }
    // Re-exports, before any path is resolved through them.
    for file in &files {
        for m in use_stmt().captures_iter(&file.lexed.code).filter(|m| m.get(1).is_some()) {
            let at = file.module_at(m.get(0).map_or(0, |g| g.start())).clone();
            for (path, name) in expand_use(&m[2]) {
                if let Some(module) = modules.get_mut(&at) {
                    module.reexports.insert(name, (path, at.clone()));
                }
            }
        }
    }
    let mut edges = Vec::new();
    for (idx, file) in files.iter().enumerate() {
        let code = &file.lexed.code;
        let mut add = |offset: usize, path: &[String], text: &str| {
            let at = file.module_at(offset);
            if let Some(to) = resolve(&modules, at, path, 0) {
                if to != idx {
                    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                    edges.push(Edge { from: idx, to, line: line_of(code, offset), text });
                }
            }
        };
        // `use` statements; re-exports are not uses. Their text is masked for the next step.
        let mut masked = code.clone();
        for m in use_stmt().captures_iter(code) {
            let whole = m.get(0).map_or(0..0, |g| g.range());
            if m.get(1).is_none() {
                for (path, _) in expand_use(&m[2]) {
                    add(whole.start, &path, &m[0]);
                }
            }
            masked.replace_range(whole.clone(), &" ".repeat(whole.len()));
        }
        // Paths in code.
        for m in code_path().captures_iter(&masked) {
            let g = m.get(1).map_or(0..0, |g| g.range());
            let path: Vec<String> = masked[g.clone()].split("::").map(|s| s.trim().to_owned()).collect();
            add(g.start, &path, &masked[g]);
        }
    }
    Ok(CrateGraph { files: files.into_iter().map(|f| f.path).collect(), edges })
}

/// The file that defines what `path`, written in module `at`, names; None for other crates.
fn resolve(modules: &BTreeMap<ModPath, Module>, at: &ModPath, path: &[String], depth: usize) -> Option<usize> {
    let mut m: ModPath;
    let mut i = 1;
    match path.first().map(String::as_str)? {
        "crate" => m = vec![],
        "self" => m = at.clone(),
        "super" => {
            m = at.clone();
            m.pop();
            while path.get(i).map(String::as_str) == Some("super") {
                m.pop();
                i += 1;
            }
        }
        first => {
            // A child module of `at` (or, at the crate root, a top-level one); else another crate.
            let mut child = at.clone();
            child.push(first.to_owned());
            if !modules.contains_key(&child) {
                return None;
            }
            m = child;
        }
    }
    while let Some(seg) = path.get(i) {
        let mut next = m.clone();
        next.push(seg.clone());
        if !modules.contains_key(&next) {
            break;
        }
        m = next;
        i += 1;
    }
    let module = modules.get(&m)?;
    if let Some(item) = path.get(i) {
        if let Some((target, written_in)) = module.reexports.get(item) {
            if depth < 8 {
                let mut full = target.clone();
                full.extend(path[i + 1..].iter().cloned());
                if let Some(f) = resolve(modules, written_in, &full, depth + 1) {
                    return Some(f);
                }
            }
        }
    }
    Some(module.file)
}

/// The offset of the `}` that closes the `{` at `open`.
fn matching_brace(code: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in code.bytes().enumerate().skip(open) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

#[test]
fn use_trees_expand_to_paths() {
    let got = expand_use("super::keys::{self, ImportedKey as Key, x::{y, *}}");
    let got: Vec<String> = got.into_iter().map(|(p, n)| format!("{}={n}", p.join("::"))).collect();
    assert_eq!(
        got,
        ["super::keys::self=keys", "super::keys::ImportedKey=Key", "super::keys::x::y=y", "super::keys::x::*=*"]
    );
}
