//! Turning a file name chosen by a stranger (the sender, through Altinn) into
//! a safe name on this computer, and finding a free name beside others.
//!
//! The rules are Windows' (the strictest, and most users run Windows) applied
//! everywhere, so a name that is safe here is safe on every platform, and on
//! a Windows share (SMB) mounted on Linux or macOS.

use icu_normalizer::ComposingNormalizerBorrowed;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Longest name we write, in bytes (most file systems allow 255).
const MAX_NAME_BYTES: usize = 200;

/// Windows' `MAX_PATH`: 260 UTF-16 units, the terminating NUL included.
pub const MAX_PATH: usize = 260;

/// A name is never cut below this many UTF-16 units of its stem, even when the
/// folder alone is nearly `MAX_PATH` long (a longer path still saves; some
/// programs may not open it). Longer than every reserved device name.
const MIN_STEM_UNITS: usize = 8;

/// Whether Windows treats `stem` (the name up to its first dot, trailing spaces
/// dropped) as a device: CON, PRN, AUX, NUL, COM0-9, LPT0-9, COM¹²³ and LPT¹²³
/// (Windows counts the superscript digits as digits), CONIN$ and CONOUT$.
pub fn is_reserved_device_name(stem: &str) -> bool {
    let stem = stem.trim_end_matches(' ').to_ascii_uppercase();
    if matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$") {
        return true;
    }
    let mut chars = stem.chars();
    let prefix: String = chars.by_ref().take(3).collect();
    let digit = chars.next();
    (prefix == "COM" || prefix == "LPT") && matches!(digit, Some('0'..='9' | '¹' | '²' | '³')) && chars.next().is_none()
}

/// Characters that change how a name is displayed without being seen: the
/// direction overrides and isolates (which can make "rapport\u{202E}fdp.exe"
/// display as "rapportexe.pdf"), direction marks, zero-width characters, the
/// byte-order mark and other invisible formatting.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                  // soft hyphen
        | '\u{061C}'                // Arabic letter mark
        | '\u{180E}'                // Mongolian vowel separator
        | '\u{200B}'..='\u{200F}'   // zero-width space, non-joiner, joiner; LRM, RLM
        | '\u{2028}'..='\u{202E}'   // line and paragraph separators; LRE, RLE, PDF, LRO, RLO
        | '\u{2060}'..='\u{2069}'   // word joiner, invisible operators; LRI, RLI, FSI, PDI
        | '\u{FEFF}'                // zero-width no-break space (byte-order mark)
        | '\u{FFF9}'..='\u{FFFB}' // interlinear annotation
    )
}

/// Dots and white space Windows drops at the end of a name, and that hide a
/// file (or make it one of our `.budbringer-<id>.part` files) at the start.
fn is_edge_junk(c: char) -> bool {
    c == '.' || c.is_whitespace()
}

/// A file name that cannot climb out of its folder, name a device, hide
/// itself, or disguise its type: path parts are dropped (only the last part
/// is kept), characters Windows forbids and invisible or direction-changing
/// characters become `_`, leading and trailing dots and spaces go, and a
/// reserved device name gets a `_` prefix. Never empty, at most 200 bytes.
pub fn sanitize_file_name(raw: &str) -> String {
    // Keep only the last path component, whichever separator the sender used.
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let name: String = last
        .chars()
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            c if c.is_control() || is_invisible(c) => '_',
            c => c,
        })
        .collect();
    let (stem, ext) = split_ext(name.trim_matches(is_edge_junk));
    let (stem, ext) = (stem.to_owned(), ext.to_owned());
    let cut = truncate_bytes(&stem, MAX_NAME_BYTES.saturating_sub(ext.len()));
    finish_name(cut, &ext)
}

/// Joins a (possibly cut) stem and an extension into a safe name: trailing
/// dots and spaces dropped, a device name prefixed, never empty.
fn finish_name(stem: &str, ext: &str) -> String {
    let stem = stem.trim_matches(is_edge_junk);
    let name = format!("{stem}{ext}");
    let name = name.trim_matches(is_edge_junk);
    if name.is_empty() {
        return "fil".to_owned();
    }
    let first = name.split('.').next().unwrap_or("");
    if is_reserved_device_name(first) {
        format!("_{name}")
    } else {
        name.to_owned()
    }
}

fn split_ext(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 && name.len() - i <= 16 => (&name[..i], &name[i..]),
        _ => (name, ""),
    }
}

fn truncate_bytes(s: &str, max: usize) -> &str {
    let mut cut = max.min(s.len());
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    &s[..cut]
}

fn truncate_utf16(s: &str, max_units: usize) -> &str {
    let mut units = 0;
    for (i, c) in s.char_indices() {
        units += c.len_utf16();
        if units > max_units {
            return &s[..i];
        }
    }
    s
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// How long a full path may be for a saved file (UTF-16 units, without the
/// terminating NUL): on Windows `MAX_PATH - 1` unless long paths are enabled
/// (then Explorer may still refuse, but Office and most programs open them);
/// elsewhere no limit that matters.
pub fn path_limit() -> Option<usize> {
    (cfg!(windows) && !long_paths_enabled()).then_some(MAX_PATH - 1)
}

/// `HKLM\SYSTEM\CurrentControlSet\Control\FileSystem\LongPathsEnabled` = 1.
#[cfg(windows)]
fn long_paths_enabled() -> bool {
    use windows_sys::Win32::System::Registry::{RegGetValueW, HKEY_LOCAL_MACHINE, RRF_RT_REG_DWORD};
    let wide = |s: &str| s.encode_utf16().chain(std::iter::once(0)).collect::<Vec<u16>>();
    let (key, value) = (wide(r"SYSTEM\CurrentControlSet\Control\FileSystem"), wide("LongPathsEnabled"));
    let mut data: u32 = 0;
    let mut size = std::mem::size_of::<u32>() as u32;
    // SAFETY: valid NUL-terminated strings and a u32 buffer of the size given.
    let status = unsafe {
        RegGetValueW(
            HKEY_LOCAL_MACHINE,
            key.as_ptr(),
            value.as_ptr(),
            RRF_RT_REG_DWORD,
            std::ptr::null_mut(),
            (&mut data as *mut u32).cast(),
            &mut size,
        )
    };
    status == 0 && data == 1
}

#[cfg(not(windows))]
fn long_paths_enabled() -> bool {
    false
}

/// The name to save as in `dir`: `name`, or `name (n).ext` for n ≥ 2, with the
/// stem cut (the extension and the number kept) so that the whole path fits
/// `limit` UTF-16 units when there is a limit.
pub fn numbered_name(dir: &Path, name: &str, n: u32, limit: Option<usize>) -> String {
    let (stem, ext) = split_ext(name);
    let suffix = if n <= 1 { String::new() } else { format!(" ({n})") };
    let stem = match limit {
        None => stem,
        Some(limit) => {
            let dir = dir.to_string_lossy();
            let separator = usize::from(!dir.ends_with(['/', '\\']));
            let fixed = utf16_len(&dir) + separator + utf16_len(&suffix) + utf16_len(ext);
            truncate_utf16(stem, limit.saturating_sub(fixed).max(MIN_STEM_UNITS))
        }
    };
    // The cut stem may end in a space or be empty: finish it as a whole name.
    finish_name(&format!("{}{suffix}", stem.trim_end_matches(is_edge_junk)), ext)
}

/// How a name compares with others on a case-insensitive, normalising file
/// system (Windows, macOS, SMB shares): `Rapport.pdf`, `rapport.PDF` and a
/// decomposed `å` all fold to the same key.
pub fn fold(name: &str) -> String {
    ComposingNormalizerBorrowed::new_nfc().normalize(name).chars().flat_map(char::to_lowercase).collect()
}

/// The names to try for `name` in `dir`, in order: `name`, `name (2).ext`,
/// `(3)`, …, each fitted to `limit`, skipping every one that exists or that
/// differs from an existing name only in case or Unicode normalisation. The
/// caller must still create the file without overwriting (another program may
/// take the name between the check and the rename) and go on to the next
/// candidate when it finds the name taken.
pub fn candidates(dir: &Path, name: &str, limit: Option<usize>) -> impl Iterator<Item = PathBuf> {
    let taken: HashSet<String> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| fold(&e.file_name().to_string_lossy())).collect())
        .unwrap_or_default();
    let (dir, name) = (dir.to_path_buf(), name.to_owned());
    (1u32..).map(move |n| dir.join(numbered_name(&dir, &name, n, limit))).filter(move |p| {
        let folded = p.file_name().map(|f| fold(&f.to_string_lossy())).unwrap_or_default();
        !taken.contains(&folded) && p.symlink_metadata().is_err()
    })
}

/// The first of [`candidates`] (with this platform's [`path_limit`]).
pub fn free_path(dir: &Path, name: &str) -> PathBuf {
    candidates(dir, name, path_limit()).next().expect("some numbered name is free")
}

#[cfg(test)]
#[path = "names_tests.rs"]
mod tests;
