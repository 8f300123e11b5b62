//! The pages' own words, in Chinese and English (`host/pages/text.toml`):
//! every key has both, checked by a test. Texts that come from the API
//! (bundle titles, problems) are already in the person's language.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use onething_model::text::Lang;
use serde::Deserialize;

const SOURCE: &str = include_str!("../text.toml");

#[derive(Debug, Deserialize)]
struct Both {
    zh: String,
    en: String,
}

fn all() -> &'static BTreeMap<String, Both> {
    static ALL: OnceLock<BTreeMap<String, Both>> = OnceLock::new();
    ALL.get_or_init(|| match toml::from_str(SOURCE) {
        Ok(all) => all,
        Err(e) => {
            tracing::error!(error = %e, "text.toml does not parse");
            BTreeMap::new()
        }
    })
}

/// The text of `key` in `lang` (the key itself when there is none, so a
/// missing text shows up on the page and in the tests).
pub fn of(lang: Lang, key: &str) -> &str {
    match all().get(key) {
        Some(both) => match lang {
            Lang::Zh => &both.zh,
            Lang::En => &both.en,
        },
        None => key,
    }
}

/// Every text in `lang`, by key (what the templates see as `t`).
pub fn table(lang: Lang) -> BTreeMap<&'static str, &'static str> {
    all()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str(),
                match lang {
                    Lang::Zh => v.zh.as_str(),
                    Lang::En => v.en.as_str(),
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_parses_and_has_both_languages() {
        let parsed: BTreeMap<String, Both> = toml::from_str(SOURCE).expect("text.toml parses");
        assert!(parsed.len() > 50, "{} texts", parsed.len());
        for (key, both) in &parsed {
            assert!(!both.zh.trim().is_empty(), "{key} has no zh");
            assert!(!both.en.trim().is_empty(), "{key} has no en");
        }
    }

    #[test]
    fn every_key_a_template_uses_is_defined() {
        let parsed: BTreeMap<String, Both> = toml::from_str(SOURCE).expect("text.toml parses");
        for (name, source) in crate::render::TEMPLATES {
            let mut rest = *source;
            while let Some(i) = rest.find("t.") {
                let after = &rest[i + 2..];
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                let key = &after[..end];
                let before = rest[..i].chars().last();
                if before.is_some_and(|c| c == ' ' || c == '(' || c == '{' || c == '[')
                    && !key.is_empty()
                {
                    assert!(
                        parsed.contains_key(key),
                        "{name} uses t.{key}, not in text.toml"
                    );
                }
                rest = &rest[i + 2..];
            }
        }
    }
}
