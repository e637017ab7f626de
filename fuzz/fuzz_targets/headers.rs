//! Response headers the engine acts on: `Retry-After` (seconds or an HTTP
//! date) decides how long to wait. It must never panic, and never ask for a
//! wait that overflows.
#![no_main]
use budbringer_core::transfers::broker::parse_retry_after;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Some(d) = parse_retry_after(s) {
            // Adding the wait to now must not overflow.
            let _ = std::time::Instant::now().checked_add(d);
        }
    }
});
