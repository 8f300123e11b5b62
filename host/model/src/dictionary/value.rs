//! Typed field values: conversion from applicants' JSON and validation
//! against a field's dictionary entry.
//!
//! Not for the wire form plugins see: the contract crate converts these to
//! and from the WIT `value` variant.

use chrono::NaiveDate;
use serde::{Serialize, Serializer};

use super::{FieldDef, FieldKind};
use crate::text::Text;

/// The value of one field, typed by the dictionary.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// Text, choice codes and coded identifiers.
    Text(String),
    /// A whole number.
    Integer(i64),
    /// A measure that is not money (an area, a ratio).
    Decimal(f64),
    /// An amount of money in fen (1/100 yuan): exact.
    Money(i64),
    /// Yes or no.
    Boolean(bool),
    /// A calendar date.
    Date(NaiveDate),
    /// A list of values of the field's item type (never a list).
    List(Vec<FieldValue>),
}

/// An amount in fen as yuan with two decimals: `1234567` is `12345.67`,
/// `-5` is `-0.05`.
pub fn money_text(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Yuan written with at most two decimals (`12345.67`, `-3`, `0.5`) in
/// fen; `None` for anything else (three decimals, an exponent, letters,
/// an amount beyond ±92 quadrillion yuan).
pub fn parse_money(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(frac) || frac.len() > 2 {
        return None;
    }
    if digits.contains('.') && frac.is_empty() {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    let fen = whole.checked_mul(100)?.checked_add(frac)?;
    Some(if negative { -fen } else { fen })
}

impl FieldValue {
    /// The value as JSON, in the shape applications use.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            FieldValue::Text(s) => serde_json::Value::String(s.clone()),
            FieldValue::Integer(i) => serde_json::Value::from(*i),
            FieldValue::Decimal(f) => serde_json::Value::from(*f),
            FieldValue::Money(fen) => serde_json::Value::String(money_text(*fen)),
            FieldValue::Boolean(b) => serde_json::Value::Bool(*b),
            FieldValue::Date(d) => serde_json::Value::String(d.format("%Y-%m-%d").to_string()),
            FieldValue::List(items) => {
                serde_json::Value::Array(items.iter().map(FieldValue::to_json).collect())
            }
        }
    }

    /// Approximate size in bytes, for output limits.
    pub fn size(&self) -> usize {
        match self {
            FieldValue::Text(s) => s.len(),
            FieldValue::List(items) => items.iter().map(FieldValue::size).sum::<usize>() + 8,
            _ => 8,
        }
    }
}

impl Serialize for FieldValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

/// Why a value was refused: a stable code and a message for people, in
/// Chinese and English (`Display` shows the English).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", message.en)]
pub struct ValueError {
    /// Stable code, e.g. `wrong-type`, `bad-check-digit`.
    pub code: &'static str,
    /// A message naming what is wrong.
    pub message: Text,
}

/// "Label (key): detail", in both languages.
fn about(def: &FieldDef, zh: &str, en: &str) -> Text {
    Text::new(
        format!("{}（{}）：{zh}", def.label.zh, def.key),
        format!("{} ({}): {en}", def.key, def.label.en),
    )
}

fn wrong_type(def: &FieldDef, kind: &FieldKind, json: &serde_json::Value) -> ValueError {
    let (expected_zh, expected) = match kind {
        FieldKind::Text { .. } | FieldKind::Choice { .. } => ("文字", "a string"),
        FieldKind::Date => ("日期 YYYY-MM-DD", "a date string YYYY-MM-DD"),
        FieldKind::Integer { .. } => ("整数", "a whole number"),
        FieldKind::Decimal { .. } => ("数字", "a number"),
        FieldKind::Money { .. } => (
            "以元为单位、最多两位小数的金额，如 \"12345.67\"",
            "an amount in yuan with at most two decimals, e.g. \"12345.67\"",
        ),
        FieldKind::Boolean => ("是或否（true 或 false）", "true or false"),
        FieldKind::List { .. } => ("列表", "a list"),
    };
    let (got_zh, got) = match json {
        serde_json::Value::Null => ("空值", "null"),
        serde_json::Value::Bool(_) => ("是否值", "a boolean"),
        serde_json::Value::Number(_) => ("数字", "a number"),
        serde_json::Value::String(_) => ("文字", "a string"),
        serde_json::Value::Array(_) => ("列表", "a list"),
        serde_json::Value::Object(_) => ("对象", "an object"),
    };
    ValueError {
        code: "wrong-type",
        message: Text::new(
            format!(
                "{}（{}）应为{expected_zh}，不能是{got_zh}",
                def.label.zh, def.key
            ),
            format!(
                "{} ({}) must be {expected}, not {got}",
                def.key, def.label.en
            ),
        ),
    }
}

/// Convert JSON to the field's type (no constraint checks).
pub(super) fn from_json(
    def: &FieldDef,
    json: &serde_json::Value,
) -> Result<FieldValue, ValueError> {
    from_json_as(def, &def.kind, json)
}

fn from_json_as(
    def: &FieldDef,
    kind: &FieldKind,
    json: &serde_json::Value,
) -> Result<FieldValue, ValueError> {
    use serde_json::Value as J;
    let wrong_type = |def: &FieldDef, json: &serde_json::Value| wrong_type(def, kind, json);
    match (kind, json) {
        (FieldKind::Money { .. }, J::String(s)) => parse_money(s)
            .map(FieldValue::Money)
            .ok_or_else(|| wrong_type(def, json)),
        // A JSON number is read by its text, so 0.1 is exactly ten fen.
        (FieldKind::Money { .. }, J::Number(n)) => parse_money(&n.to_string())
            .map(FieldValue::Money)
            .ok_or_else(|| wrong_type(def, json)),
        (FieldKind::List { items, .. }, J::Array(values)) => values
            .iter()
            .map(|v| from_json_as(def, items, v))
            .collect::<Result<Vec<_>, _>>()
            .map(FieldValue::List),
        (FieldKind::Text { .. } | FieldKind::Choice { .. }, J::String(s)) => {
            Ok(FieldValue::Text(s.clone()))
        }
        (FieldKind::Integer { .. }, J::Number(n)) => n
            .as_i64()
            .map(FieldValue::Integer)
            .ok_or_else(|| wrong_type(def, json)),
        (FieldKind::Decimal { .. }, J::Number(n)) => n
            .as_f64()
            .map(FieldValue::Decimal)
            .ok_or_else(|| wrong_type(def, json)),
        (FieldKind::Boolean, J::Bool(b)) => Ok(FieldValue::Boolean(*b)),
        (FieldKind::Date, J::String(s)) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(FieldValue::Date)
            .map_err(|_| ValueError {
                code: "bad-date",
                message: about(
                    def,
                    &format!("{s:?} 不是 YYYY-MM-DD 格式的日期"),
                    &format!("{s:?} is not a date YYYY-MM-DD"),
                ),
            }),
        _ => Err(wrong_type(def, json)),
    }
}

/// Check a typed value against the field's type and constraints.
pub(super) fn validate(def: &FieldDef, value: &FieldValue) -> Result<(), ValueError> {
    validate_as(def, &def.kind, value)
}

fn validate_as(def: &FieldDef, kind: &FieldKind, value: &FieldValue) -> Result<(), ValueError> {
    let fail = |code: &'static str, zh: String, en: String| ValueError {
        code,
        message: about(def, &zh, &en),
    };
    match (kind, value) {
        (FieldKind::List { items, max_items }, FieldValue::List(values)) => {
            if values.len() > *max_items {
                return Err(fail(
                    "too-many-items",
                    format!(
                        "有 {} 项，超过上限 {max_items} 项（max_items）",
                        values.len()
                    ),
                    format!(
                        "holds {} items, more than its max_items {max_items}",
                        values.len()
                    ),
                ));
            }
            for (i, v) in values.iter().enumerate() {
                if matches!(v, FieldValue::List(_)) {
                    return Err(fail(
                        "wrong-type",
                        format!("第 {} 项是列表", i + 1),
                        format!("item {} is a list", i + 1),
                    ));
                }
                validate_as(def, items, v).map_err(|e| ValueError {
                    code: e.code,
                    message: e.message.map(|lang, m| match lang {
                        crate::text::Lang::Zh => format!("第 {} 项：{m}", i + 1),
                        crate::text::Lang::En => format!("item {}: {m}", i + 1),
                    }),
                })?;
            }
            Ok(())
        }
        (FieldKind::Money { min, max }, FieldValue::Money(fen)) => {
            if let Some(min) = min
                && fen < min
            {
                return Err(fail(
                    "too-small",
                    format!("{} 元低于下限 {} 元", money_text(*fen), money_text(*min)),
                    format!(
                        "{} is less than the minimum {}",
                        money_text(*fen),
                        money_text(*min)
                    ),
                ));
            }
            if let Some(max) = max
                && fen > max
            {
                return Err(fail(
                    "too-large",
                    format!("{} 元超过上限 {} 元", money_text(*fen), money_text(*max)),
                    format!(
                        "{} is more than the maximum {}",
                        money_text(*fen),
                        money_text(*max)
                    ),
                ));
            }
            Ok(())
        }
        (
            FieldKind::Text {
                min_length,
                max_length,
                format,
            },
            FieldValue::Text(s),
        ) => {
            let n = s.chars().count();
            if let Some(min) = min_length
                && n < *min
            {
                return Err(fail(
                    "too-short",
                    format!("至少需要 {min} 个字，现有 {n} 个"),
                    format!("needs at least {min} characters, has {n}"),
                ));
            }
            if let Some(max) = max_length
                && n > *max
            {
                return Err(fail(
                    "too-long",
                    format!("最多 {max} 个字，现有 {n} 个"),
                    format!("allows at most {max} characters, has {n}"),
                ));
            }
            if let Some(format) = format {
                format
                    .check(s)
                    .map_err(|e| fail(e.code, e.message_zh, e.message))?;
            }
            Ok(())
        }
        (FieldKind::Choice { choices }, FieldValue::Text(s)) => {
            if choices.iter().any(|c| c == s) {
                Ok(())
            } else {
                Err(fail(
                    "not-a-choice",
                    format!("{s:?} 不是可选项（{}）之一", choices.join("、")),
                    format!("{s:?} is not one of {}", choices.join(", ")),
                ))
            }
        }
        (FieldKind::Integer { min, max }, FieldValue::Integer(i)) => {
            if let Some(min) = min
                && i < min
            {
                return Err(fail(
                    "too-small",
                    format!("{i} 低于下限 {min}"),
                    format!("{i} is less than the minimum {min}"),
                ));
            }
            if let Some(max) = max
                && i > max
            {
                return Err(fail(
                    "too-large",
                    format!("{i} 超过上限 {max}"),
                    format!("{i} is more than the maximum {max}"),
                ));
            }
            Ok(())
        }
        (FieldKind::Decimal { min, max }, FieldValue::Decimal(x)) => {
            if !x.is_finite() {
                return Err(fail(
                    "not-a-number",
                    "须为有限的数字".into(),
                    "must be a finite number".into(),
                ));
            }
            if let Some(min) = min
                && x < min
            {
                return Err(fail(
                    "too-small",
                    format!("{x} 低于下限 {min}"),
                    format!("{x} is less than the minimum {min}"),
                ));
            }
            if let Some(max) = max
                && x > max
            {
                return Err(fail(
                    "too-large",
                    format!("{x} 超过上限 {max}"),
                    format!("{x} is more than the maximum {max}"),
                ));
            }
            Ok(())
        }
        (FieldKind::Boolean, FieldValue::Boolean(_)) | (FieldKind::Date, FieldValue::Date(_)) => {
            Ok(())
        }
        (kind, other) => Err(fail(
            "wrong-type",
            format!("类型应为 {}，实为 {}", kind.name(), other_kind(other)),
            format!("must be of type {}, got {}", kind.name(), other_kind(other)),
        )),
    }
}

fn other_kind(v: &FieldValue) -> &'static str {
    match v {
        FieldValue::Text(_) => "text",
        FieldValue::Integer(_) => "integer",
        FieldValue::Decimal(_) => "decimal",
        FieldValue::Money(_) => "money",
        FieldValue::Boolean(_) => "boolean",
        FieldValue::Date(_) => "date",
        FieldValue::List(_) => "list",
    }
}
