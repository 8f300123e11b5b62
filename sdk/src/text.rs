//! Text for people in both of the platform's languages: every title,
//! purpose, problem message, document title, note and reason a department
//! gives is a [`Text`] with a Simplified Chinese and an English version.
//!
//! ```
//! use onething_sdk::{text, Text};
//!
//! let t = text("税务登记", "Tax registration");
//! assert_eq!(t, Text::new("税务登记", "Tax registration"));
//! assert_eq!(t.get("en"), "Tax registration");
//! assert_eq!(t.get("fr"), "税务登记");
//! ```
//!
//! The host shows the applicant the language asked for, and refuses a
//! manifest whose English (or Chinese) is missing; so does
//! [`crate::testkit::manifest_faults`]. Not a translation service: the
//! department writes both.

use crate::Text;

/// A text in Chinese (`zh`) and English (`en`).
pub fn text(zh: impl Into<String>, en: impl Into<String>) -> Text {
    Text::new(zh, en)
}

impl Text {
    /// A text in Chinese (`zh`) and English (`en`).
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The version for `language` (`en…` gives English, anything else
    /// Chinese, as the host does for an applicant asking for neither).
    pub fn get(&self, language: &str) -> &str {
        if language.starts_with("en") {
            &self.en
        } else {
            &self.zh
        }
    }

    /// Whether either version is blank (the host refuses such a text in
    /// a manifest).
    pub fn is_incomplete(&self) -> bool {
        self.zh.trim().is_empty() || self.en.trim().is_empty()
    }

    /// The texts joined into one, the Chinese versions with `；` and the
    /// English ones with `; ` (several notes in one).
    pub fn join(texts: &[Text]) -> Text {
        Text {
            zh: texts
                .iter()
                .map(|t| t.zh.as_str())
                .collect::<Vec<_>>()
                .join("；"),
            en: texts
                .iter()
                .map(|t| t.en.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        }
    }
}

impl std::fmt::Display for Text {
    /// Both versions, `zh / en` (for logs and test messages).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} / {}", self.zh, self.en)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_a_language_and_joins() {
        let a = text("甲", "A");
        assert_eq!(a.get("en-GB"), "A");
        assert_eq!(a.get("zh-CN"), "甲");
        assert!(!a.is_incomplete());
        assert!(text("甲", " ").is_incomplete());
        let joined = Text::join(&[a, text("乙", "B")]);
        assert_eq!(joined, text("甲；乙", "A; B"));
        assert_eq!(joined.to_string(), "甲；乙 / A; B");
    }
}
