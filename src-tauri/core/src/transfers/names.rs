//! Turning a file name chosen by a stranger (the sender, through Altinn) into
//! a safe name on this computer, and finding a free name beside others.
//!
//! The rules are Windows' (the strictest, and most users run Windows) applied
//! everywhere, so a name that is safe here is safe on every platform.

use std::path::{Path, PathBuf};

/// Names Windows reserves for devices, with or without an extension.
const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1", "LPT2",
    "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Longest name we write, in bytes (most file systems allow 255).
const MAX_NAME_BYTES: usize = 200;

/// A file name that cannot climb out of its folder, name a device, or carry
/// control characters: path parts are dropped (only the last part is kept),
/// characters Windows forbids become `_`, trailing dots and spaces go, and a
/// reserved device name gets a `_` prefix. Never empty.
pub fn sanitize_file_name(raw: &str) -> String {
    // Keep only the last path component, whichever separator the sender used.
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let mut name: String = last
        .chars()
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            c if c.is_control() => '_',
            // Unicode direction overrides can disguise an extension ("exe.txt").
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => '_',
            c => c,
        })
        .collect();
    name = name.trim().trim_end_matches(['.', ' ']).to_owned();
    if name.is_empty() || name.chars().all(|c| c == '.') {
        name = "fil".to_owned();
    }
    let stem = name.split('.').next().unwrap_or("").trim_end();
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(stem)) {
        name = format!("_{name}");
    }
    // Cutting a long name may leave a trailing dot or space, which Windows drops.
    let cut = truncate_keeping_extension(&name, MAX_NAME_BYTES);
    let cut = cut.trim_end_matches(['.', ' ']);
    if cut.is_empty() {
        "fil".to_owned()
    } else {
        cut.to_owned()
    }
}

fn split_ext(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 && name.len() - i <= 16 => (&name[..i], &name[i..]),
        _ => (name, ""),
    }
}

fn truncate_keeping_extension(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let (stem, ext) = split_ext(name);
    let mut cut = max.saturating_sub(ext.len());
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{ext}", &stem[..cut])
}

/// `dir/name`, or `dir/name (2).ext`, `(3)`, … : the first that does not exist.
/// The caller must still create the file without overwriting (another
/// program may take the name between the check and the rename).
pub fn free_path(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if !exists(&first) {
        return first;
    }
    let (stem, ext) = split_ext(name);
    (2u32..).map(|n| dir.join(format!("{stem} ({n}){ext}"))).find(|p| !exists(p)).expect("some numbered name is free")
}

fn exists(p: &Path) -> bool {
    p.symlink_metadata().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_long_name_keeps_no_trailing_dot_or_space() {
        // Found by the file_names fuzz target's invariants.
        for raw in
            [format!("{} {}", "a".repeat(199), "b".repeat(10)), format!("{}.{}", "a".repeat(199), "b".repeat(30))]
        {
            let s = sanitize_file_name(&raw);
            assert!(s.len() <= MAX_NAME_BYTES && !s.ends_with([' ', '.']), "{s:?}");
            assert_eq!(sanitize_file_name(&s), s);
        }
    }

    #[test]
    fn hostile_names_are_defused() {
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_file_name("..\\..\\Windows\\system32\\evil.dll"), "evil.dll");
        assert_eq!(sanitize_file_name("/absolute/path.txt"), "path.txt");
        assert_eq!(sanitize_file_name("C:\\report.pdf"), "report.pdf");
        assert_eq!(sanitize_file_name(".."), "fil");
        assert_eq!(sanitize_file_name(""), "fil");
        assert_eq!(sanitize_file_name("a/"), "fil");
        assert_eq!(sanitize_file_name("CON"), "_CON");
        assert_eq!(sanitize_file_name("con.txt"), "_con.txt");
        assert_eq!(sanitize_file_name("LPT1.tar.gz"), "_LPT1.tar.gz");
        assert_eq!(sanitize_file_name("CONTRACT.pdf"), "CONTRACT.pdf");
        assert_eq!(sanitize_file_name("bad\u{0}name\u{7}.txt"), "bad_name_.txt");
        assert_eq!(sanitize_file_name("what?<>|*\".txt"), "what______.txt");
        assert_eq!(sanitize_file_name("invoice\u{202E}fdp.exe"), "invoice_fdp.exe");
        assert_eq!(sanitize_file_name("trailing. . "), "trailing");
        assert_eq!(sanitize_file_name("rapport æøå.pdf"), "rapport æøå.pdf");
        let long = format!("{}.pdf", "x".repeat(400));
        let s = sanitize_file_name(&long);
        assert!(s.len() <= 200 && s.ends_with(".pdf"), "{s}");
        let long_utf8 = format!("{}.pdf", "ø".repeat(300));
        assert!(sanitize_file_name(&long_utf8).ends_with(".pdf"));
    }

    #[test]
    fn free_paths_never_collide() {
        let dir = tempfile::tempdir().unwrap();
        let p1 = free_path(dir.path(), "a.txt");
        assert_eq!(p1, dir.path().join("a.txt"));
        std::fs::write(&p1, "1").unwrap();
        let p2 = free_path(dir.path(), "a.txt");
        assert_eq!(p2, dir.path().join("a (2).txt"));
        std::fs::write(&p2, "2").unwrap();
        assert_eq!(free_path(dir.path(), "a.txt"), dir.path().join("a (3).txt"));
        std::fs::write(dir.path().join("noext"), "").unwrap();
        assert_eq!(free_path(dir.path(), "noext"), dir.path().join("noext (2)"));
    }
}
