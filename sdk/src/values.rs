//! Conversions into the contract's [`Value`] and [`Item`] (money and
//! lists included), and small helpers on [`Problem`] and [`StepError`].
//!
//! So an author writes `.field("tax.invoice_quota", 25)` instead of
//! `Value::Integer(25)`, `.field("fee", Money::from_fen(500))` for
//! `Value::Money(500)` and `Value::items(["a", "b"])` for a list. Not for checking a value against the dictionary:
//! the host does that for every value that crosses it.

use crate::{Date, Item, Money, Problem, StepError, Subject, Text, Value};

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value::Text(text.to_owned())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Value::Text(text)
    }
}

impl From<&String> for Value {
    fn from(text: &String) -> Self {
        Value::Text(text.clone())
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Integer(n)
    }
}

impl From<i32> for Value {
    fn from(n: i32) -> Self {
        Value::Integer(i64::from(n))
    }
}

impl From<u32> for Value {
    fn from(n: u32) -> Self {
        Value::Integer(i64::from(n))
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Value::Decimal(x)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Boolean(b)
    }
}

impl From<Date> for Value {
    fn from(d: Date) -> Self {
        Value::Date(d)
    }
}

impl From<Money> for Value {
    fn from(m: Money) -> Self {
        Value::Money(m.fen())
    }
}

impl From<Vec<Item>> for Value {
    fn from(items: Vec<Item>) -> Self {
        Value::Items(items)
    }
}

impl From<&str> for Item {
    fn from(text: &str) -> Self {
        Item::Text(text.to_owned())
    }
}

impl From<String> for Item {
    fn from(text: String) -> Self {
        Item::Text(text)
    }
}

impl From<i64> for Item {
    fn from(n: i64) -> Self {
        Item::Integer(n)
    }
}

impl From<f64> for Item {
    fn from(x: f64) -> Self {
        Item::Decimal(x)
    }
}

impl From<bool> for Item {
    fn from(b: bool) -> Self {
        Item::Boolean(b)
    }
}

impl From<Date> for Item {
    fn from(d: Date) -> Self {
        Item::Date(d)
    }
}

impl From<Money> for Item {
    fn from(m: Money) -> Self {
        Item::Money(m.fen())
    }
}

impl Item {
    /// The dictionary type name of this element (as [`Value::type_name`]).
    pub fn type_name(&self) -> &'static str {
        match self {
            Item::Text(_) => "text",
            Item::Integer(_) => "integer",
            Item::Money(_) => "money",
            Item::Decimal(_) => "decimal",
            Item::Boolean(_) => "boolean",
            Item::Date(_) => "date",
        }
    }

    /// The text, if this is a text element.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Item::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The amount, if this is a money element.
    pub fn as_money(&self) -> Option<Money> {
        match self {
            Item::Money(fen) => Some(Money::from_fen(*fen)),
            _ => None,
        }
    }
}

impl Value {
    /// A list value from anything that converts into elements:
    /// `Value::items(["350206202610200021", "350206202410200011"])`.
    pub fn items<I: Into<Item>>(items: impl IntoIterator<Item = I>) -> Value {
        Value::Items(items.into_iter().map(Into::into).collect())
    }

    /// The dictionary type name of this value (`text`, `integer`,
    /// `money`, `decimal`, `boolean`, `date`, `items`); `choice` fields
    /// arrive as `text`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Text(_) => "text",
            Value::Integer(_) => "integer",
            Value::Money(_) => "money",
            Value::Decimal(_) => "decimal",
            Value::Boolean(_) => "boolean",
            Value::Date(_) => "date",
            Value::Items(_) => "items",
        }
    }

    /// The amount, if this is a money value.
    pub fn as_money(&self) -> Option<Money> {
        match self {
            Value::Money(fen) => Some(Money::from_fen(*fen)),
            _ => None,
        }
    }

    /// The elements, if this is a list value.
    pub fn as_items(&self) -> Option<&[Item]> {
        match self {
            Value::Items(items) => Some(items),
            _ => None,
        }
    }

    /// The text, if this is a text value.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }
}

impl Problem {
    /// A problem with a field, by dictionary key; the message in Chinese
    /// and English.
    pub fn field(
        key: impl Into<String>,
        code: impl Into<String>,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Problem {
        Problem {
            subject: Subject::Field(key.into()),
            code: code.into(),
            message: Text::new(zh, en),
        }
    }

    /// A problem with a material, by material code; the message in
    /// Chinese and English.
    pub fn material(
        material: impl Into<String>,
        code: impl Into<String>,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Problem {
        Problem {
            subject: Subject::Material(material.into()),
            code: code.into(),
            message: Text::new(zh, en),
        }
    }

    /// A problem with the application as a whole; the message in Chinese
    /// and English.
    pub fn general(
        code: impl Into<String>,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Problem {
        Problem {
            subject: Subject::General,
            code: code.into(),
            message: Text::new(zh, en),
        }
    }

    /// The problem a department reports for a step id it does not offer.
    pub fn unknown_step(step: &str) -> Problem {
        Problem::general(
            "unknown-step",
            format!("本部门不办理事项 {step}"),
            format!("This department does not handle step {step}"),
        )
    }

    /// The field key this problem is about, if it is about a field.
    pub fn field_key(&self) -> Option<&str> {
        match &self.subject {
            Subject::Field(key) => Some(key),
            _ => None,
        }
    }

    /// The material code this problem is about, if it is about a material.
    pub fn material_code(&self) -> Option<&str> {
        match &self.subject {
            Subject::Material(code) => Some(code),
            _ => None,
        }
    }
}

impl StepError {
    /// Worth retrying later: a system the department depends on was down.
    pub fn transient(message: impl Into<String>) -> StepError {
        StepError::Transient(message.into())
    }

    /// Retrying will not help; a person must look at it.
    pub fn permanent(message: impl Into<String>) -> StepError {
        StepError::Permanent(message.into())
    }

    /// The error for a request naming a step the department does not offer.
    pub fn unknown_step(step: &str) -> StepError {
        StepError::Permanent(format!("unknown step {step}"))
    }

    /// Whether the host should retry.
    pub fn is_transient(&self) -> bool {
        matches!(self, StepError::Transient(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_into_values() {
        assert_eq!(Value::from("a"), Value::Text("a".into()));
        assert_eq!(Value::from(3i64), Value::Integer(3));
        assert_eq!(Value::from(3u32), Value::Integer(3));
        assert_eq!(Value::from(1.5), Value::Decimal(1.5));
        assert_eq!(Value::from(true).type_name(), "boolean");
        let d = Date {
            year: 2026,
            month: 1,
            day: 2,
        };
        assert_eq!(Value::from(d).type_name(), "date");
        assert_eq!(Value::from(Money::from_fen(5)), Value::Money(5));
        assert_eq!(Value::Money(5).as_money(), Some(Money::from_fen(5)));
        let list = Value::items(["a", "b"]);
        assert_eq!(list.type_name(), "items");
        assert_eq!(
            list.as_items()
                .map(|i| i.iter().filter_map(Item::as_text).collect::<Vec<_>>()),
            Some(vec!["a", "b"])
        );
        let mixed: Vec<Item> = vec![
            1i64.into(),
            1.5.into(),
            true.into(),
            d.into(),
            Money::from_fen(7).into(),
            String::from("x").into(),
        ];
        let names: Vec<&str> = mixed.iter().map(Item::type_name).collect();
        assert_eq!(
            names,
            ["integer", "decimal", "boolean", "date", "money", "text"]
        );
        assert_eq!(mixed[4].as_money(), Some(Money::from_fen(7)));
        assert_eq!(Value::from(mixed.clone()), Value::Items(mixed));
        assert_eq!(Value::Integer(1).as_items(), None);
    }

    #[test]
    fn problems_name_their_subject() {
        assert_eq!(
            Problem::field("child.name", "missing", "缺", "m").field_key(),
            Some("child.name")
        );
        assert_eq!(
            Problem::material("premises-proof", "missing", "缺", "m").material_code(),
            Some("premises-proof")
        );
        assert_eq!(Problem::general("x", "总", "m").field_key(), None);
        assert_eq!(
            Problem::unknown_step("s").message.en,
            "This department does not handle step s"
        );
        assert!(StepError::transient("down").is_transient());
        assert!(!StepError::unknown_step("x").is_transient());
    }
}
