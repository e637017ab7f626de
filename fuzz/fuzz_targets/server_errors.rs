//! What servers send back: Broker/Altinn error bodies (ProblemDetails, the
//! gateway's format, plain text), Maskinporten's error bodies, and the JSON
//! answers the engine reads (overview, details). No panic; errors stay named
//! and their detail text stays bounded.
#![no_main]
use budbringer_core::altinn::problem::{error_from_parts, maskinporten_error};
use budbringer_core::error::ErrorCode;
use budbringer_core::transfers::broker::{Details, Overview};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let status = 100 + u16::from_le_bytes([data[0], data[1]]) % 500;
    let split = (data[2] as usize).min(data.len() - 3);
    let rest = String::from_utf8_lossy(&data[3..]);
    let (retry_after, body) = rest.split_at(rest.char_indices().nth(split.min(rest.chars().count())).map(|(i, _)| i).unwrap_or(rest.len()));
    let retry_after = (!retry_after.is_empty()).then_some(retry_after);
    for e in [error_from_parts(status, retry_after, body), maskinporten_error(status, body)] {
        assert_ne!(e.code, ErrorCode::Internal, "{e:?}");
        let d = e.detail.unwrap_or_default();
        // Each server text is clipped to 600 characters; a detail holds at most two.
        assert!(d.chars().count() <= 1400, "detail text is clipped ({} characters)", d.chars().count());
    }
    let _ = serde_json::from_slice::<Overview>(&data[3..]);
    let _ = serde_json::from_slice::<Details>(&data[3..]);
});
