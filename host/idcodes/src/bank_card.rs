//! Bank card numbers (ISO/IEC 7812): 12 to 19 digits whose last digit is
//! the Luhn check digit over the others (China UnionPay cards are usually
//! 16 to 19 digits starting with 62).
//!
//! Not for issuer identification (which bank, which card scheme) nor for
//! whether an account exists: only the number's shape and check digit.

use crate::CodeError;
use crate::codes::{BAD_CARD_NUMBER, BAD_CHECK_DIGIT};
use crate::error::{char_count, first_refused};

/// The fewest digits a bank card number has.
pub const MIN_LEN: usize = 12;

/// The most digits a bank card number has.
pub const MAX_LEN: usize = 19;

/// The Luhn sum of `digits` (ASCII digits), doubling every second digit
/// from the right starting with the rightmost when `double_last` is set.
fn luhn_sum(digits: &[u8], double_last: bool) -> u32 {
    digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(d - b'0');
            if (i % 2 == 0) == double_last {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum()
}

/// The Luhn check digit to append to `payload` (one or more ASCII digits),
/// or `None` if `payload` is empty or has anything but digits.
pub fn luhn_check_digit(payload: &str) -> Option<char> {
    let b = payload.as_bytes();
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum = luhn_sum(b, true);
    char::from_digit((10 - sum % 10) % 10, 10)
}

/// Whether `number` (one or more ASCII digits) passes the Luhn check;
/// `false` for anything else.
pub fn luhn_valid(number: &str) -> bool {
    let b = number.as_bytes();
    !b.is_empty() && b.iter().all(u8::is_ascii_digit) && luhn_sum(b, false).is_multiple_of(10)
}

/// Check a bank card number: 12 to 19 ASCII digits (no spaces or hyphens)
/// passing the Luhn check.
pub fn validate(card: &str) -> Result<(), CodeError> {
    let n = char_count(card);
    if !(MIN_LEN..=MAX_LEN).contains(&n) {
        return Err(CodeError::new(
            BAD_CARD_NUMBER,
            format!("银行卡号为 12 至 19 位数字；此号码有 {n} 个字符"),
            format!("a bank card number has 12 to 19 digits; this one has {n} characters"),
        ));
    }
    if let Some((pos, c)) = first_refused(card, |c| c.is_ascii_digit()) {
        return Err(CodeError::new(
            BAD_CARD_NUMBER,
            format!("银行卡号只能是 12 至 19 位数字；第 {pos} 位是 {c:?}"),
            format!(
                "a bank card number has 12 to 19 digits and nothing else; character {pos} is {c:?}"
            ),
        ));
    }
    if !luhn_valid(card) {
        let (payload, last) = card.split_at(card.len() - 1);
        let expected = luhn_check_digit(payload).unwrap_or('0');
        return Err(CodeError::new(
            BAD_CHECK_DIGIT,
            format!(
                "卡号未通过校验（Luhn）：最后一位是 {last}，按前面的数字应为 {expected}；请对照银行卡核对"
            ),
            format!(
                "the card number fails its check digit (Luhn): the last digit is {last}, but for the digits before it it must be {expected}; please check it against the card"
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
    fn luhn_digit_and_check_agree() {
        assert_eq!(luhn_check_digit("411111111111111"), Some('1'));
        assert_eq!(luhn_check_digit("620000000000000"), Some('5'));
        assert_eq!(luhn_check_digit("622202020000000000"), Some('6'));
        assert_eq!(luhn_check_digit("7992739871"), Some('3'));
        assert_eq!(luhn_check_digit(""), None);
        assert_eq!(luhn_check_digit("12a"), None);
        assert!(luhn_valid("79927398713"));
        assert!(!luhn_valid("79927398710"));
        assert!(!luhn_valid(""));
        for payload in ["1", "12", "123", "62000000000", "621700123456789012"] {
            let d = luhn_check_digit(payload).expect("digits");
            assert!(luhn_valid(&format!("{payload}{d}")), "{payload}{d}");
        }
    }

    #[test]
    fn validates_cards() {
        assert_eq!(code("4111111111111111"), Ok(()));
        assert_eq!(code("6222020200000000006"), Ok(()));
        assert_eq!(code("4111111111111112"), Err(BAD_CHECK_DIGIT));
        assert_eq!(code("41111111111"), Err(BAD_CARD_NUMBER));
        assert_eq!(code("41111111111111111111"), Err(BAD_CARD_NUMBER));
        assert_eq!(code("4111 1111 1111 1111"), Err(BAD_CARD_NUMBER));
        assert_eq!(code("411111111111111A"), Err(BAD_CARD_NUMBER));
        assert!(
            validate("4111111111111112")
                .expect_err("bad")
                .message
                .contains("last digit is 2, but for the digits before it it must be 1")
        );
    }
}
