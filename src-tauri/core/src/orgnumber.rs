//! Norwegian organisation numbers: nine digits with a mod-11 check digit,
//! in the forms users type and Altinn writes.

use crate::error::{AppError, AppResult, ErrorCode};

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
            return Err(
                AppError::new(ErrorCode::OrgNumberFormat).with_detail(format!("'{trimmed}' is not nine digits"))
            );
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
}
