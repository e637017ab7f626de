//! The wire contract between Rust and the UI, checked.
//!
//! Every type that crosses the IPC boundary (command arguments and answers,
//! `AppError` and its `ErrorCode`, the `TransferEvent`s on the watch channel)
//! derives [`ts_rs::TS`]. This test writes their TypeScript declarations into
//! one string, in memory, and compares it with the committed
//! `ui/src/lib/generated/wire.ts`: a Rust change that is not regenerated fails
//! here, before the UI can drift. Regenerate with the command in [`UPDATE`].
//!
//! Numbers: u64/i64 become `number` (byte counts and Unix times stay far
//! below 2^53); no u128 crosses the wire.

use crate::commands::inbox::IncomingView;
use crate::commands::receipts::SavedReceipt;
use crate::commands::send::SendOutcome;
use crate::commands::sent::{SentReceipt, SentRefreshReport};
use crate::commands::settings::AppInfo;
use crate::commands::setup::{ProfileView, ServicesAnswer};
use crate::services::events::TransferEvent;
use crate::services::picked::{PickedFile, PickedFolder};
use budbringer_core::altinn::connection_test::ConnectionReport;
use budbringer_core::altinn::profile::{ChangeState, Profile, ProfileEdit, Role};
use budbringer_core::altinn::setup::{KeyInfo, SystemUserStatus};
use budbringer_core::altinn::systemuser::SystemUserRequestInfo;
use budbringer_core::environment::Environment;
use budbringer_core::error::{AppError, ErrorCode};
use budbringer_core::registers::{OrgInfo, ServiceInfo};
use budbringer_core::settings::{Language, Settings};
use budbringer_core::transfers::inbox::RefreshReport;
use budbringer_core::transfers::send::SendJob;
use std::any::TypeId;
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use ts_rs::{Config, TypeVisitor, TS};

/// The committed file, relative to the workspace root.
const FILE: &str = "ui/src/lib/generated/wire.ts";
/// How to bring the committed file up to date.
const UPDATE: &str = "UPDATE_BINDINGS=1 cargo test -p budbringer --lib bindings";

/// The types the commands take and give and the events they send. Whatever
/// these contain is declared too, found by following their fields.
fn roots(c: &mut Collector) {
    // Commands (see `generate_handler!` in app.rs) and their arguments.
    c.visit::<AppInfo>();
    c.visit::<Settings>();
    c.visit::<Language>();
    c.visit::<Environment>();
    c.visit::<Profile>();
    c.visit::<ProfileView>();
    c.visit::<ProfileEdit>();
    c.visit::<KeyInfo>();
    c.visit::<SystemUserRequestInfo>();
    c.visit::<SystemUserStatus>();
    c.visit::<ConnectionReport>();
    c.visit::<ServicesAnswer>();
    c.visit::<ChangeState>();
    c.visit::<Role>();
    c.visit::<SendOutcome>();
    c.visit::<SendJob>();
    c.visit::<SentRefreshReport>();
    c.visit::<SentReceipt>();
    c.visit::<SavedReceipt>();
    c.visit::<IncomingView>();
    c.visit::<RefreshReport>();
    // What the pickers give instead of paths (services/picked.rs).
    c.visit::<PickedFile>();
    c.visit::<PickedFolder>();
    c.visit::<OrgInfo>();
    c.visit::<ServiceInfo>();
    // The error every command can return.
    c.visit::<AppError>();
    c.visit::<ErrorCode>();
    // What `transfers_watch` sends on its channel.
    c.visit::<TransferEvent>();
}

/// Walks the types and keeps each one's declaration, by TypeScript name.
struct Collector {
    cfg: Config,
    seen: HashSet<TypeId>,
    decls: BTreeMap<String, (TypeId, String)>,
}

impl TypeVisitor for Collector {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        // Only types with a declaration of their own (not string, Array, …).
        if T::output_path().is_none() || !self.seen.insert(TypeId::of::<T>()) {
            return;
        }
        let mut decl = T::docs().unwrap_or_default();
        decl.push_str("export ");
        decl.push_str(&layout(&T::decl(&self.cfg)));
        let name = T::ident(&self.cfg);
        if let Some((other, _)) = self.decls.insert(name.clone(), (TypeId::of::<T>(), decl)) {
            assert_eq!(other, TypeId::of::<T>(), "two Rust types are both called {name} in TypeScript: rename one");
        }
        T::visit_dependencies(self);
    }
}

/// Lays out one declaration for reading and for line-by-line diffs: the fields
/// of an object type one per line (after their doc comments), and a long
/// union of literals one member per line. ts-rs writes each declaration on
/// one line; its `format` feature would pull in a whole TypeScript formatter.
fn layout(decl: &str) -> String {
    // Walks the text outside comments and strings, keeping what is inside
    // the outermost brackets apart, with a NUL after each top-level comma.
    let mut out = String::new();
    let mut field = String::new();
    let mut depth = 0usize;
    // The bracket that opened depth 1: only an object's fields are split.
    let mut opener = '{';
    let (mut in_comment, mut in_string) = (false, false);
    let mut chars = decl.chars().peekable();
    while let Some(c) = chars.next() {
        let buf = if depth == 0 { &mut out } else { &mut field };
        buf.push(c);
        if in_comment {
            in_comment = !(c == '*' && chars.peek() == Some(&'/'));
            if !in_comment {
                buf.extend(chars.next());
            }
            continue;
        }
        if in_string {
            in_string = c != '"';
            continue;
        }
        match c {
            '/' if chars.peek() == Some(&'*') => in_comment = true,
            '"' => in_string = true,
            '{' | '[' | '(' | '<' => {
                depth += 1;
                if depth == 1 {
                    opener = c;
                    field.clear();
                }
            }
            '}' | ']' | ')' | '>' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    field.pop();
                    let fields = std::mem::take(&mut field);
                    if opener == '{' {
                        out.pop();
                        out.push_str(&object_body(&fields));
                    } else {
                        out.push_str(&fields);
                    }
                    out.push(c);
                }
            }
            ',' if depth == 1 && opener == '{' => field.push('\u{0}'),
            _ => {}
        }
    }
    long_union(&out)
}

/// `{ a: A, /** doc */ b: B, }` (with NUL after each field's comma) as one field a line.
fn object_body(fields: &str) -> String {
    let mut body = String::from("{\n");
    for f in fields.split('\u{0}').map(str::trim).filter(|f| !f.is_empty()) {
        for line in f.trim_end_matches(',').lines() {
            body.push_str("  ");
            body.push_str(line.trim_end());
            body.push('\n');
        }
        body.pop();
        body.push_str(",\n");
    }
    body
}

/// `type E = "A" | "B" | …;` over one line's worth as one member a line.
fn long_union(decl: &str) -> String {
    match decl.split_once(" = ") {
        Some((head, body)) if decl.len() > 120 && !body.contains('{') && body.contains(" | ") => {
            let members: Vec<&str> = body.trim_end_matches(';').split(" | ").collect();
            format!("{head} =\n  | {};", members.join("\n  | "))
        }
        _ => decl.to_owned(),
    }
}

/// The whole generated file.
fn generate() -> String {
    let mut c = Collector { cfg: Config::new().with_large_int("number"), seen: HashSet::new(), decls: BTreeMap::new() };
    roots(&mut c);
    let mut out = format!(
        "// The wire types shared by Rust and the UI, generated by ts-rs from the Rust types\n\
         // (src-tauri/bindings.rs). Do not edit: change the Rust type, then run\n\
         //   {UPDATE}\n"
    );
    for (_, decl) in c.decls.values() {
        out.push('\n');
        out.push_str(decl);
        out.push('\n');
    }
    out
}

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(FILE)
}

#[test]
fn typescript_bindings_are_current() {
    let generated = generate();
    let path = path();
    if std::env::var_os("UPDATE_BINDINGS").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    // A checkout may have turned the line ends into CRLF.
    let committed = std::fs::read_to_string(&path).unwrap_or_default().replace("\r\n", "\n");
    if committed != generated {
        let first = committed.lines().zip(generated.lines()).position(|(a, b)| a != b);
        let line = first.unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        let show = |text: &str| text.lines().nth(line).unwrap_or("(end of file)").chars().take(200).collect::<String>();
        panic!(
            "{FILE} does not match the Rust wire types: a type that crosses the IPC boundary changed.\n\
             First difference at line {}:\n  committed: {}\n  generated: {}\n\
             Update it with:\n  {UPDATE}\nand commit the file (then fix the UI where tsc complains).",
            line + 1,
            show(&committed),
            show(&generated),
        );
    }
}

#[test]
fn layout_puts_fields_on_lines_and_keeps_nested_types_whole() {
    assert_eq!(
        layout("type A = { a: string, /**\n * Docs, with {braces}.\n */\nb: { [key in string]: Array<[string, E]> }, };"),
        "type A = {\n  a: string,\n  /**\n   * Docs, with {braces}.\n   */\n  b: { [key in string]: Array<[string, E]> },\n};"
    );
    assert_eq!(
        layout(r#"type T = { "kind": "a", x: X, } | { "kind": "b", };"#),
        "type T = {\n  \"kind\": \"a\",\n  x: X,\n} | {\n  \"kind\": \"b\",\n};"
    );
    assert_eq!(layout("type R = Record<A, B>;"), "type R = Record<A, B>;");
    assert_eq!(layout(r#"type S = "x" | "y";"#), r#"type S = "x" | "y";"#);
    let long = format!("type L = {};", [r#""SOME_LONG_CODE""#; 8].join(" | "));
    assert!(layout(&long).starts_with("type L =\n  | \"SOME_LONG_CODE\"\n  | "));
}
