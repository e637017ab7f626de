//! Local checks made before anything leaves the machine, with the limits the
//! Broker server enforces (`docs/ALTINN.md#initialize`, `#limits`). Lengths are
//! counted in UTF-16 code units, as .NET counts them on the server.

use crate::error::{AppError, AppResult, ErrorCode};
pub use crate::orgnumber::OrgNumber;
use std::collections::BTreeMap;

pub const MAX_FILE_NAME_LEN: usize = 255;
pub const MAX_REFERENCE_LEN: usize = 4096;
pub const MAX_PROPERTIES: usize = 10;
pub const MAX_PROPERTY_KEY_LEN: usize = 50;
pub const MAX_PROPERTY_VALUE_LEN: usize = 3000;
/// Broker's cap for virus-scanned files: 50 GB (decimal).
pub const MAX_SCANNED_FILE_SIZE: u64 = 50_000_000_000;

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Parses every recipient, naming the first bad one; removes duplicates.
pub fn recipients(inputs: &[String]) -> AppResult<Vec<OrgNumber>> {
    let mut out: Vec<OrgNumber> = Vec::new();
    for input in inputs.iter().filter(|s| !s.trim().is_empty()) {
        let org = OrgNumber::parse(input)?;
        if !out.contains(&org) {
            out.push(org);
        }
    }
    if out.is_empty() {
        return Err(AppError::new(ErrorCode::NoRecipients));
    }
    Ok(out)
}

pub fn file_name(name: &str) -> AppResult<()> {
    if name.trim().is_empty() {
        return Err(AppError::new(ErrorCode::FileNameEmpty));
    }
    let len = utf16_len(name);
    if len > MAX_FILE_NAME_LEN {
        return Err(AppError::new(ErrorCode::FileNameTooLong)
            .with_detail(format!("{len} characters; Altinn allows at most {MAX_FILE_NAME_LEN}")));
    }
    Ok(())
}

pub fn reference(reference: &str) -> AppResult<()> {
    let len = utf16_len(reference);
    if len == 0 || len > MAX_REFERENCE_LEN {
        return Err(AppError::new(ErrorCode::InvalidInput)
            .with_detail(format!("the reference must be 1 to {MAX_REFERENCE_LEN} characters, not {len}")));
    }
    Ok(())
}

pub fn property_list(props: &BTreeMap<String, String>) -> AppResult<()> {
    if props.len() > MAX_PROPERTIES {
        return Err(AppError::new(ErrorCode::PropertyListTooLong)
            .with_detail(format!("{} properties; Altinn allows at most {MAX_PROPERTIES}", props.len())));
    }
    for (k, v) in props {
        if k.is_empty() || utf16_len(k) > MAX_PROPERTY_KEY_LEN {
            return Err(AppError::new(ErrorCode::PropertyKeyInvalid)
                .with_detail(format!("key '{k}': 1 to {MAX_PROPERTY_KEY_LEN} characters")));
        }
        let len = utf16_len(v);
        if len > MAX_PROPERTY_VALUE_LEN {
            return Err(AppError::new(ErrorCode::PropertyValueTooLong).with_detail(format!(
                "value of '{k}' has {len} characters; Altinn allows at most {MAX_PROPERTY_VALUE_LEN}"
            )));
        }
    }
    Ok(())
}

/// The size a file may have: not empty, within the resource's limit when
/// known, and within Broker's cap for virus-scanned files.
pub fn file_size(size: u64, resource_max: Option<u64>, virus_scan: bool) -> AppResult<()> {
    if size == 0 {
        return Err(AppError::new(ErrorCode::FileEmpty));
    }
    let cap = match (resource_max, virus_scan) {
        (Some(m), true) => m.min(MAX_SCANNED_FILE_SIZE),
        (Some(m), false) => m,
        (None, true) => MAX_SCANNED_FILE_SIZE,
        (None, false) => u64::MAX,
    };
    if size > cap {
        return Err(
            AppError::new(ErrorCode::FileTooLarge).with_detail(format!("{size} bytes; the limit is {cap} bytes"))
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipient_lists() {
        let r = recipients(&["991825827".into(), "0192:991825827".into(), "986252932".into(), " ".into()]).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(recipients(&[]).unwrap_err().code, ErrorCode::NoRecipients);
        assert_eq!(recipients(&["991825827".into(), "12".into()]).unwrap_err().code, ErrorCode::OrgNumberFormat);
    }

    #[test]
    fn file_names_and_properties() {
        assert_eq!(file_name("").unwrap_err().code, ErrorCode::FileNameEmpty);
        assert_eq!(file_name("   ").unwrap_err().code, ErrorCode::FileNameEmpty);
        file_name(&"a".repeat(255)).unwrap();
        assert_eq!(file_name(&"a".repeat(256)).unwrap_err().code, ErrorCode::FileNameTooLong);
        // An emoji is two UTF-16 units, as the server counts.
        assert_eq!(file_name(&"😀".repeat(128)).unwrap_err().code, ErrorCode::FileNameTooLong);
        let mut p = BTreeMap::new();
        for i in 0..10 {
            p.insert(format!("k{i}"), "v".repeat(3000));
        }
        property_list(&p).unwrap();
        p.insert("k10".into(), "v".into());
        assert_eq!(property_list(&p).unwrap_err().code, ErrorCode::PropertyListTooLong);
        let p: BTreeMap<_, _> = [("k".repeat(51), "v".to_owned())].into();
        assert_eq!(property_list(&p).unwrap_err().code, ErrorCode::PropertyKeyInvalid);
        let p: BTreeMap<_, _> = [("k".to_owned(), "v".repeat(3001))].into();
        assert_eq!(property_list(&p).unwrap_err().code, ErrorCode::PropertyValueTooLong);
    }

    #[test]
    fn sizes() {
        assert_eq!(file_size(0, None, true).unwrap_err().code, ErrorCode::FileEmpty);
        file_size(10, Some(10), true).unwrap();
        assert_eq!(file_size(11, Some(10), true).unwrap_err().code, ErrorCode::FileTooLarge);
        assert_eq!(file_size(MAX_SCANNED_FILE_SIZE + 1, None, true).unwrap_err().code, ErrorCode::FileTooLarge);
        file_size(MAX_SCANNED_FILE_SIZE + 1, None, false).unwrap();
    }
}
