//! Contact details with a fixed shape: mainland mobile phone numbers (11
//! digits starting 13 to 19) and postal codes (6 digits).
//!
//! Not for landlines, numbers with a country code or separators, or for
//! whether a number or postcode is actually assigned.

use crate::CodeError;
use crate::codes::{BAD_PHONE, BAD_POSTAL_CODE};
use crate::error::{char_count, first_refused};

/// Check a mainland mobile number: 11 ASCII digits starting 13 to 19,
/// without `+86`, spaces or hyphens.
pub fn validate_mobile_phone(phone: &str) -> Result<(), CodeError> {
    const RULE: &str = "a mobile number has 11 digits and starts with 13 to 19";
    const RULE_ZH: &str = "手机号码为 11 位数字，以 13 至 19 开头";
    let n = char_count(phone);
    if n != 11 {
        return Err(CodeError::new(
            BAD_PHONE,
            format!("{RULE_ZH}；此号码有 {n} 个字符"),
            format!("{RULE}; this one has {n} characters"),
        ));
    }
    if let Some((pos, c)) = first_refused(phone, |c| c.is_ascii_digit()) {
        return Err(CodeError::new(
            BAD_PHONE,
            format!("{RULE_ZH}，不能有其他字符；第 {pos} 位是 {c:?}"),
            format!("{RULE}, and nothing else; character {pos} is {c:?}"),
        ));
    }
    let start = phone.get(..2).unwrap_or_default();
    if !matches!(start.as_bytes(), [b'1', b'3'..=b'9']) {
        return Err(CodeError::new(
            BAD_PHONE,
            format!("{RULE_ZH}；此号码以 {start} 开头"),
            format!("{RULE}; this one starts with {start}"),
        ));
    }
    Ok(())
}

/// Check a postal code: 6 ASCII digits.
pub fn validate_postal_code(code: &str) -> Result<(), CodeError> {
    const RULE: &str = "a postal code has 6 digits";
    const RULE_ZH: &str = "邮政编码为 6 位数字";
    let n = char_count(code);
    if n != 6 {
        return Err(CodeError::new(
            BAD_POSTAL_CODE,
            format!("{RULE_ZH}；此处有 {n} 个字符"),
            format!("{RULE}; this one has {n} characters"),
        ));
    }
    if let Some((pos, c)) = first_refused(code, |c| c.is_ascii_digit()) {
        return Err(CodeError::new(
            BAD_POSTAL_CODE,
            format!("{RULE_ZH}；第 {pos} 位是 {c:?}"),
            format!("{RULE}; character {pos} is {c:?}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_phones() {
        assert!(validate_mobile_phone("13800138000").is_ok());
        assert!(validate_mobile_phone("19912345678").is_ok());
        for bad in [
            "12800138000",
            "23800138000",
            "1380013800",
            "138001380000",
            "+8613800138000",
            "138-0013-800",
            "１3800138000",
        ] {
            assert_eq!(
                validate_mobile_phone(bad).map_err(|e| e.code),
                Err(BAD_PHONE),
                "{bad}"
            );
        }
        assert!(
            validate_mobile_phone("12800138000")
                .expect_err("bad")
                .message
                .contains("starts with 12")
        );
    }

    #[test]
    fn postal_codes() {
        assert!(validate_postal_code("361000").is_ok());
        for bad in ["36100", "3610001", "36100A", "３61000"] {
            assert_eq!(
                validate_postal_code(bad).map_err(|e| e.code),
                Err(BAD_POSTAL_CODE),
                "{bad}"
            );
        }
    }
}
