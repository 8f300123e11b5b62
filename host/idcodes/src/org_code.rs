//! The organisation code (组织机构代码), GB 11714-1997: an eight-character
//! body of digits and capital letters and a check character (a digit or
//! `X`). Since 2015 it lives on as characters 9 to 17 of the unified social
//! credit code (see [`crate::uscc`]).
//!
//! [`validate`] takes the nine characters as typed, without the hyphen of
//! the printed form `XXXXXXXX-X` (a code with the hyphen is refused as
//! `bad-length`). Not for the credit code itself.

use crate::CodeError;
use crate::codes::{BAD_CHARACTERS, BAD_CHECK_DIGIT, BAD_LENGTH};
use crate::error::char_count;

/// The number of characters of an organisation code (body and check).
pub const LEN: usize = 9;

/// The value of a body character: digits 0 to 9, capitals `A` = 10 to `Z` = 35.
fn value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(u32::from(c) - u32::from('0')),
        'A'..='Z' => Some(u32::from(c) - u32::from('A') + 10),
        _ => None,
    }
}

/// The GB 11714 check character (`0`–`9` or `X`) of an eight-character
/// body of digits and capital letters, or `None` for anything else.
pub fn check_char(body8: &str) -> Option<char> {
    const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    if char_count(body8) != 8 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in body8.chars().zip(WEIGHTS) {
        sum += value(c)? * w;
    }
    match 11 - sum % 11 {
        10 => Some('X'),
        11 => Some('0'),
        n => char::from_digit(n, 10),
    }
}

/// Check a nine-character organisation code: eight digits or capital
/// letters, then the matching check character (a digit or capital `X`).
pub fn validate(code: &str) -> Result<(), CodeError> {
    let n = char_count(code);
    if n != LEN {
        return Err(CodeError::new(
            BAD_LENGTH,
            format!("组织机构代码应为 9 位（8 位本体加 1 位校验码，不带连字符），此代码为 {n} 位"),
            format!(
                "an organisation code has 9 characters (8, then the check character, without a hyphen); this one has {n}"
            ),
        ));
    }
    for (i, c) in code.chars().enumerate() {
        if i < LEN - 1 && value(c).is_none() {
            return Err(CodeError::new(
                BAD_CHARACTERS,
                format!(
                    "组织机构代码前 8 位须为数字或大写字母；第 {} 位是 {c:?}",
                    i + 1
                ),
                format!(
                    "the first 8 characters of an organisation code must be digits or capital letters; character {} is {c:?}",
                    i + 1
                ),
            ));
        }
        if i == LEN - 1 && !(c.is_ascii_digit() || c == 'X') {
            return Err(CodeError::new(
                BAD_CHARACTERS,
                format!("组织机构代码最后一位须为数字或大写 X；此处是 {c:?}"),
                format!(
                    "the last character of an organisation code must be a digit or a capital X; it is {c:?}"
                ),
            ));
        }
    }
    let (Some(body), Some(last)) = (code.get(..8), code.get(8..)) else {
        return Err(CodeError::new(
            BAD_CHARACTERS,
            "组织机构代码只能由半角数字和大写字母组成",
            "an organisation code is written in ASCII digits and capitals",
        ));
    };
    let expected = check_char(body).ok_or_else(|| {
        CodeError::new(
            BAD_CHARACTERS,
            "组织机构代码前 8 位须为数字或大写字母",
            "the first 8 characters of an organisation code must be digits or capital letters",
        )
    })?;
    if !last.starts_with(expected) {
        return Err(CodeError::new(
            BAD_CHECK_DIGIT,
            format!("校验码为 {last}，但按前 8 位应为 {expected}（GB 11714-1997）"),
            format!(
                "the check character is {last}, but for these first 8 characters it must be {expected} (GB 11714-1997)"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> Result<(), &'static str> {
        validate(text).map_err(|e| e.code)
    }

    #[test]
    fn check_characters() {
        assert_eq!(check_char("D2143569"), Some('X'));
        assert_eq!(check_char("71526726"), Some('X'));
        assert_eq!(check_char("19220382"), Some('1'));
        assert_eq!(check_char("1922038"), None);
        assert_eq!(check_char("1922038a"), None);
    }

    #[test]
    fn validates_nine_characters() {
        assert_eq!(code("D2143569X"), Ok(()));
        assert_eq!(code("192203821"), Ok(()));
        assert_eq!(code("D2143569-X"), Err(BAD_LENGTH));
        assert_eq!(code("d2143569X"), Err(BAD_CHARACTERS));
        assert_eq!(code("D2143569x"), Err(BAD_CHARACTERS));
        assert_eq!(code("D21435690"), Err(BAD_CHECK_DIGIT));
        assert_eq!(
            validate("D21435690").expect_err("bad").message,
            "the check character is 0, but for these first 8 characters it must be X (GB 11714-1997)"
        );
    }
}
