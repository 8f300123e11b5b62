//! Text for people, in Chinese and English, and the language an answer is
//! given in.
//!
//! Everything the platform says to an applicant or officer (a dictionary
//! label, a step's title, why a department needs a field, a problem's
//! message, a rejection's reason) is a [`Text`] carrying both languages.
//! The host keeps both; at its edge (the HTTP API, the command line) one
//! is chosen: [`Lang::from_accept_language`] reads an `Accept-Language`
//! header, and [`localise`] renders every text in a JSON answer in that
//! language.
//!
//! A text from a source with one language only (a department built
//! against contract 0.1.0, a record stored before texts had two) is
//! [`Text::same`]: the one string in both places. A text is read as a
//! table of both languages; a stored one ([`lenient`]) may also be one
//! string, as records made before texts had two languages are.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// A text in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Text {
    /// Chinese (简体中文).
    pub zh: String,
    /// English.
    pub en: String,
}

impl Text {
    /// A text in both languages.
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// A text from a source that has one language only: the same string
    /// in both.
    pub fn same(s: impl Into<String>) -> Self {
        let s = s.into();
        Self {
            zh: s.clone(),
            en: s,
        }
    }

    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }

    /// Whether both languages say the same (a one-language source).
    pub fn is_single_language(&self) -> bool {
        self.zh == self.en
    }

    /// Both languages, for a log line or an operator's terminal:
    /// `中文 / English`, or the one string when they are the same.
    pub fn both(&self) -> String {
        if self.is_single_language() {
            self.zh.clone()
        } else {
            format!("{} / {}", self.zh, self.en)
        }
    }

    /// This text with each language passed through `f`.
    pub fn map(&self, mut f: impl FnMut(Lang, &str) -> String) -> Self {
        Self {
            zh: f(Lang::Zh, &self.zh),
            en: f(Lang::En, &self.en),
        }
    }

    /// The bytes of both languages together (what a plugin's output
    /// counts against its limit).
    pub fn byte_len(&self) -> usize {
        self.zh.len() + self.en.len()
    }

    /// Whether either language contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        self.zh.contains(needle) || self.en.contains(needle)
    }
}

/// A one-language text ([`Text::same`]): for sources that have only one,
/// and tests.
impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text::same(s)
    }
}

/// A one-language text ([`Text::same`]).
impl From<String> for Text {
    fn from(s: String) -> Self {
        Text::same(s)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.both())
    }
}

/// Reads `{ zh = "…", en = "…" }` (and, for [`lenient`], one string).
struct TextVisitor {
    one_string_too: bool,
}

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.one_string_too {
            f.write_str("a text: a table { zh = \"…\", en = \"…\" } or one string")
        } else {
            f.write_str("a text in both languages: a table { zh = \"…\", en = \"…\" }")
        }
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Text, E> {
        if self.one_string_too {
            Ok(Text::same(s))
        } else {
            Err(de::Error::invalid_type(de::Unexpected::Str(s), &self))
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
        let (mut zh, mut en) = (None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "zh" if zh.is_none() => zh = Some(map.next_value::<String>()?),
                "en" if en.is_none() => en = Some(map.next_value::<String>()?),
                "zh" | "en" => return Err(de::Error::duplicate_field("zh or en")),
                other => return Err(de::Error::unknown_field(other, &["zh", "en"])),
            }
        }
        Ok(Text {
            zh: zh.ok_or_else(|| de::Error::missing_field("zh"))?,
            en: en.ok_or_else(|| de::Error::missing_field("en"))?,
        })
    }
}

/// A text is read as a table of both languages: a dictionary's label, a
/// bundle's title.
impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor {
            one_string_too: false,
        })
    }
}

/// Read a stored text that may be one string (recorded before texts had
/// two languages): `#[serde(deserialize_with = "text::lenient")]`.
pub fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
    d.deserialize_any(TextVisitor {
        one_string_too: true,
    })
}

/// [`lenient`] for an optional text.
pub fn lenient_option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Text>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapped(#[serde(deserialize_with = "lenient")] Text);
    Ok(Option::<Wrapped>::deserialize(d)?.map(|w| w.0))
}

/// The language an answer is given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// Chinese, the default: these are mainland public services.
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The language to answer in for an `Accept-Language` header: the
    /// listed language with the highest weight that is Chinese or English
    /// (`zh`, `zh-CN`, `en-GB` …; the first listed wins a tie), Chinese
    /// when the header names neither or is absent.
    pub fn from_accept_language(header: Option<&str>) -> Self {
        let Some(header) = header else {
            return Self::default();
        };
        let mut best: Option<(Lang, u32)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let weight = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1000), parse_weight);
            let Some(weight) = weight else { continue };
            let primary = tag.split('-').next().unwrap_or("");
            let lang = match primary {
                "zh" => Lang::Zh,
                "en" => Lang::En,
                _ => continue,
            };
            if weight > 0 && best.is_none_or(|(_, w)| weight > w) {
                best = Some((lang, weight));
            }
        }
        best.map_or_else(Self::default, |(lang, _)| lang)
    }

    /// The language's tag, for `Content-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// A language by its code (`zh` or `en`, any case, a region allowed).
    pub fn parse(s: &str) -> Option<Self> {
        match s
            .trim()
            .to_ascii_lowercase()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
        {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Pick the string for this language.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// A q-value (`0`, `0.5`, `1.000`) in thousandths; `None` if malformed.
fn parse_weight(q: &str) -> Option<u32> {
    let q = q.trim();
    let (whole, frac) = q.split_once('.').unwrap_or((q, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_value = format!("{frac:0<3}").parse::<u32>().ok()?;
    match whole {
        "0" => Some(frac_value),
        "1" if frac_value == 0 => Some(1000),
        _ => None,
    }
}

/// Render every text in a JSON value in `lang`: each object whose members
/// are exactly `zh` and `en`, both strings, becomes the string in `lang`.
/// What the HTTP API does to each JSON answer.
pub fn localise(value: &mut serde_json::Value, lang: Lang) {
    use serde_json::Value as J;
    match value {
        J::Object(map) => {
            if map.len() == 2
                && let (Some(J::String(zh)), Some(J::String(en))) = (map.get("zh"), map.get("en"))
            {
                let chosen = match lang {
                    Lang::Zh => zh.clone(),
                    Lang::En => en.clone(),
                };
                *value = J::String(chosen);
                return;
            }
            for v in map.values_mut() {
                localise(v, lang);
            }
        }
        J::Array(items) => {
            for v in items {
                localise(v, lang);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_weightiest_of_zh_and_en() {
        let pick = |h: &str| Lang::from_accept_language(Some(h));
        assert_eq!(Lang::from_accept_language(None), Lang::Zh);
        assert_eq!(pick("en"), Lang::En);
        assert_eq!(pick("en-GB,en;q=0.9"), Lang::En);
        assert_eq!(pick("zh-CN,zh;q=0.9,en;q=0.8"), Lang::Zh);
        assert_eq!(pick("fr, en;q=0.5, zh;q=0.4"), Lang::En);
        assert_eq!(pick("de;q=1, zh-TW;q=0.3"), Lang::Zh);
        assert_eq!(pick("en;q=0, zh;q=0.1"), Lang::Zh);
        assert_eq!(pick("fr, de"), Lang::Zh);
        assert_eq!(
            pick("en;q=1.5, zh;q=0.2"),
            Lang::Zh,
            "a malformed weight is skipped"
        );
        assert_eq!(pick("EN-us"), Lang::En);
        assert_eq!(pick(""), Lang::Zh);
    }

    #[test]
    fn a_text_reads_from_a_table_or_one_string_and_names_what_is_wrong() {
        let t: Text = serde_json::from_str(r#"{"zh":"出生","en":"Birth"}"#).expect("both");
        assert_eq!(t, Text::new("出生", "Birth"));
        serde_json::from_str::<Text>(r#""出生""#).expect_err("one language is not a text");
        #[derive(Deserialize)]
        struct Stored(#[serde(deserialize_with = "lenient")] Text);
        let one: Stored = serde_json::from_str(r#""出生""#).expect("one, stored");
        assert_eq!(one.0, Text::same("出生"));
        let e = serde_json::from_str::<Text>(r#"{"zh":"出生"}"#).expect_err("no en");
        assert!(e.to_string().contains("missing field `en`"), "{e}");
        let e = serde_json::from_str::<Text>(r#"{"zh":"a","en":"b","fr":"c"}"#).expect_err("fr");
        assert!(e.to_string().contains("unknown field `fr`"), "{e}");
        let e = toml::from_str::<std::collections::BTreeMap<String, Text>>("label = 3")
            .expect_err("a number");
        assert!(e.to_string().contains("a text"), "{e}");
    }

    #[test]
    fn localise_renders_every_text_and_leaves_other_objects() {
        let mut v = serde_json::json!({
            "title": {"zh": "出生", "en": "Birth"},
            "problems": [{"code": "missing", "message": {"zh": "缺", "en": "missing"}}],
            "other": {"zh": "a", "en": "b", "x": 1},
            "count": 3,
        });
        localise(&mut v, Lang::En);
        assert_eq!(v["title"], "Birth");
        assert_eq!(v["problems"][0]["message"], "missing");
        assert_eq!(v["other"]["zh"], "a", "not a text: three members");
        assert_eq!(v["count"], 3);
    }
}
