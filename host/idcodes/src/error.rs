//! The error every validator of this crate returns, and its stable codes.
//!
//! Not for errors of the host or the SDK themselves: they wrap or convert
//! a [`CodeError`] into their own problem types.

use std::fmt;

/// The stable machine codes a [`CodeError`] carries. Compare against these
/// rather than against string literals.
pub mod codes {
    /// Not the right number of characters (resident ID, credit code,
    /// organisation code).
    pub const BAD_LENGTH: &str = "bad-length";
    /// A character not allowed at its position (resident ID, credit code,
    /// organisation code), including a lowercase `x` check character.
    pub const BAD_CHARACTERS: &str = "bad-characters";
    /// The region code is not a province-level prefix (resident ID, credit
    /// code).
    pub const BAD_REGION: &str = "bad-region";
    /// The birth date is not a real date in 1900 or later (resident ID).
    pub const BAD_BIRTH_DATE: &str = "bad-birth-date";
    /// The check character does not match (resident ID, credit code,
    /// organisation code, bank card).
    pub const BAD_CHECK_DIGIT: &str = "bad-check-digit";
    /// A bank card number of the wrong length or with a non-digit.
    pub const BAD_CARD_NUMBER: &str = "bad-card-number";
    /// Not a mainland mobile phone number.
    pub const BAD_PHONE: &str = "bad-phone";
    /// Not a six-digit postal code.
    pub const BAD_POSTAL_CODE: &str = "bad-postal-code";

    /// Every code above.
    pub const ALL: [&str; 8] = [
        BAD_LENGTH,
        BAD_CHARACTERS,
        BAD_REGION,
        BAD_BIRTH_DATE,
        BAD_CHECK_DIGIT,
        BAD_CARD_NUMBER,
        BAD_PHONE,
        BAD_POSTAL_CODE,
    ];
}

/// What is wrong with a coded value: a stable machine code (one of
/// [`codes`]) and a message for the applicant, in Chinese and in English,
/// naming what is wrong and what it must be. `Display` shows the English
/// message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CodeError {
    /// Stable, machine-readable code, e.g. `bad-check-digit`.
    pub code: &'static str,
    /// A message for the applicant, in English.
    pub message: String,
    /// The same message in Chinese.
    pub message_zh: String,
}

impl CodeError {
    /// An error with `code` and its message in Chinese and English.
    pub fn new(
        code: &'static str,
        message_zh: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        CodeError {
            code,
            message: message.into(),
            message_zh: message_zh.into(),
        }
    }
}

impl fmt::Display for CodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CodeError {}

/// The number of characters (not bytes) in `text`.
pub(crate) fn char_count(text: &str) -> usize {
    text.chars().count()
}

/// `Some((position from 1, character))` for the first character of `text`
/// that `allowed` refuses.
pub(crate) fn first_refused(text: &str, allowed: impl Fn(char) -> bool) -> Option<(usize, char)> {
    text.chars()
        .enumerate()
        .find(|(_, c)| !allowed(*c))
        .map(|(i, c)| (i + 1, c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_the_message() {
        let e = CodeError::new(
            codes::BAD_PHONE,
            "手机号码为 11 位数字",
            "a mobile number has 11 digits",
        );
        assert_eq!(e.to_string(), "a mobile number has 11 digits");
        assert_eq!(e.code, "bad-phone");
        let boxed: Box<dyn std::error::Error> = Box::new(e);
        assert!(boxed.to_string().contains("11 digits"));
    }

    #[test]
    fn helpers_count_characters() {
        assert_eq!(char_count("身份证"), 3);
        assert_eq!(
            first_refused("12a4", |c| c.is_ascii_digit()),
            Some((3, 'a'))
        );
        assert_eq!(first_refused("1234", |c| c.is_ascii_digit()), None);
    }
}
