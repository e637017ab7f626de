//! File names chosen by a stranger: the safe name must be non-empty, a single
//! path component, free of characters Windows forbids and of control
//! characters, not a reserved device name, not `.`/`..`, without trailing
//! dots or spaces, and at most 200 bytes.
#![no_main]
use budbringer_core::transfers::names::sanitize_file_name;
use libfuzzer_sys::fuzz_target;

const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1", "LPT2",
    "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    let s = sanitize_file_name(&raw);
    assert!(!s.is_empty(), "{raw:?}");
    assert!(s.len() <= 200, "{raw:?} → {} bytes", s.len());
    assert!(!s.contains(['/', '\\']), "{raw:?} → {s:?}");
    assert!(!s.chars().any(|c| c.is_control() || "<>:\"|?*".contains(c)), "{raw:?} → {s:?}");
    assert!(s != "." && s != "..", "{raw:?} → {s:?}");
    assert!(!s.ends_with('.') && !s.ends_with(' '), "{raw:?} → {s:?}");
    let stem = s.split('.').next().unwrap_or("").trim_end();
    assert!(!RESERVED.iter().any(|r| r.eq_ignore_ascii_case(stem)), "{raw:?} → {s:?}");
    // Sanitising is idempotent: a safe name stays as it is.
    assert_eq!(sanitize_file_name(&s), s, "{raw:?}");
});
