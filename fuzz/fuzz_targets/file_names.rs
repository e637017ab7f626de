//! File names chosen by a stranger: the safe name must be non-empty, a single
//! path component, free of characters Windows forbids, of control characters
//! and of direction overrides, not a reserved device name (superscript digits
//! and CONIN$/CONOUT$ included), not hidden (no leading dot), without leading
//! or trailing dots or spaces, and at most 200 bytes.
#![no_main]
use budbringer_core::transfers::names::sanitize_file_name;
use libfuzzer_sys::fuzz_target;

const RESERVED: [&str; 6] = ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"];

fn reserved(stem: &str) -> bool {
    let stem = stem.to_ascii_uppercase();
    RESERVED.contains(&stem.as_str())
        || ["COM", "LPT"]
            .iter()
            .any(|p| stem.strip_prefix(p).is_some_and(|d| d.chars().count() == 1 && "0123456789¹²³".contains(d)))
}

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    let s = sanitize_file_name(&raw);
    assert!(!s.is_empty(), "{raw:?}");
    assert!(s.len() <= 200, "{raw:?} → {} bytes", s.len());
    assert!(!s.contains(['/', '\\']), "{raw:?} → {s:?}");
    assert!(!s.chars().any(|c| c.is_control() || "<>:\"|?*".contains(c)), "{raw:?} → {s:?}");
    assert!(s != "." && s != "..", "{raw:?} → {s:?}");
    assert!(!s.ends_with('.') && !s.ends_with(' '), "{raw:?} → {s:?}");
    assert!(!s.starts_with('.') && !s.starts_with(' '), "{raw:?} → {s:?}");
    assert!(
        !s.contains(['\u{202E}', '\u{202D}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{200E}', '\u{200F}']),
        "{raw:?} → {s:?}"
    );
    let stem = s.split('.').next().unwrap_or("").trim_end();
    assert!(!reserved(stem), "{raw:?} → {s:?}");
    // Sanitising is idempotent: a safe name stays as it is.
    assert_eq!(sanitize_file_name(&s), s, "{raw:?}");
});
