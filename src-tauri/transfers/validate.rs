//! Local checks made before anything leaves the machine, with the limits the
//! Broker server enforces (`broker-api.md` §3.1, §4.6, §4.9). Lengths are
//! counted in UTF-16 code units, as .NET counts them on the server.

use crate::error::{AppError, AppResult, ErrorCode};
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

/// A Norwegian organisation number: nine digits with a valid mod-11 check digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgNumber([u8; 9]);

impl OrgNumber {
    /// Accepts `310000001`, `310 000 001`, `0192:310000001` and
    /// `urn:altinn:organization:identifier-no:310000001`.
    pub fn parse(input: &str) -> AppResult<OrgNumber> {
        let trimmed = input.trim();
        let bare = trimmed
            .strip_prefix("urn:altinn:organization:identifier-no:")
            .or_else(|| trimmed.strip_prefix("0192:"))
            .unwrap_or(trimmed);
        let digits: String = bare.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() != 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::new(ErrorCode::OrgNumberFormat).with_detail(format!("'{trimmed}' is not nine digits")));
        }
        let mut d = [0u8; 9];
        for (i, b) in digits.bytes().enumerate() {
            d[i] = b - b'0';
        }
        const WEIGHTS: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];
        let sum: u32 = WEIGHTS.iter().zip(d.iter()).map(|(w, x)| w * *x as u32).sum();
        let check = match 11 - sum % 11 {
            11 => 0,
            10 => {
                return Err(AppError::new(ErrorCode::OrgNumberCheckDigit)
                    .with_detail(format!("{digits} cannot be an organisation number (no valid check digit exists)")))
            }
            c => c as u8,
        };
        if check != d[8] {
            return Err(AppError::new(ErrorCode::OrgNumberCheckDigit)
                .with_detail(format!("{digits}: the last digit should be {check}, check for a typing error")));
        }
        Ok(OrgNumber(d))
    }

    /// The nine digits.
    pub fn digits(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// The form Broker stores and returns: `0192:<orgno>`.
    pub fn actor_id(&self) -> String {
        format!("0192:{}", self.digits())
    }
}

impl std::fmt::Display for OrgNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.digits())
    }
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
            return Err(AppError::new(ErrorCode::PropertyValueTooLong)
                .with_detail(format!("value of '{k}' has {len} characters; Altinn allows at most {MAX_PROPERTY_VALUE_LEN}")));
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
        return Err(AppError::new(ErrorCode::FileTooLarge).with_detail(format!("{size} bytes; the limit is {cap} bytes")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_numbers() {
        // Digdir's own and well-known valid numbers.
        for ok in ["991825827", "986252932", "910753614", "974760673"] {
            assert_eq!(OrgNumber::parse(ok).unwrap().digits(), ok);
        }
        assert_eq!(OrgNumber::parse(" 991 825 827 ").unwrap().digits(), "991825827");
        assert_eq!(OrgNumber::parse("0192:991825827").unwrap().actor_id(), "0192:991825827");
        assert_eq!(OrgNumber::parse("urn:altinn:organization:identifier-no:991825827").unwrap().digits(), "991825827");
        for (bad, code) in [
            ("99182582", ErrorCode::OrgNumberFormat),
            ("9918258270", ErrorCode::OrgNumberFormat),
            ("99182582x", ErrorCode::OrgNumberFormat),
            ("", ErrorCode::OrgNumberFormat),
            ("991825828", ErrorCode::OrgNumberCheckDigit),
            ("123456789", ErrorCode::OrgNumberCheckDigit),
            ("٩٩١٨٢٥٨٢٧", ErrorCode::OrgNumberFormat),
        ] {
            assert_eq!(OrgNumber::parse(bad).unwrap_err().code, code, "{bad}");
        }
    }

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
