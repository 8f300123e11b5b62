//! Conversions into the contract's [`Value`], and small helpers on
//! [`Problem`] and [`StepError`].
//!
//! So an author writes `.field("tax.invoice_quota", 25)` instead of
//! `Value::Integer(25)`. Not for checking a value against the dictionary:
//! the host does that for every value that crosses it.

use crate::{Date, Problem, StepError, Subject, Value};

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

impl Value {
    /// The dictionary type name of this value (`text`, `integer`,
    /// `decimal`, `boolean`, `date`); `choice` fields arrive as `text`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Text(_) => "text",
            Value::Integer(_) => "integer",
            Value::Decimal(_) => "decimal",
            Value::Boolean(_) => "boolean",
            Value::Date(_) => "date",
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
    /// A problem with a field, by dictionary key.
    pub fn field(
        key: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            subject: Subject::Field(key.into()),
            code: code.into(),
            message: message.into(),
        }
    }

    /// A problem with a material, by material code.
    pub fn material(
        material: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            subject: Subject::Material(material.into()),
            code: code.into(),
            message: message.into(),
        }
    }

    /// A problem with the application as a whole.
    pub fn general(code: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            subject: Subject::General,
            code: code.into(),
            message: message.into(),
        }
    }

    /// The problem a department reports for a step id it does not offer.
    pub fn unknown_step(step: &str) -> Problem {
        Problem::general(
            "unknown-step",
            format!("本部门不办理事项 {step}（unknown step {step}）"),
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
    }

    #[test]
    fn problems_name_their_subject() {
        assert_eq!(
            Problem::field("child.name", "missing", "m").field_key(),
            Some("child.name")
        );
        assert_eq!(
            Problem::material("premises-proof", "missing", "m").material_code(),
            Some("premises-proof")
        );
        assert_eq!(Problem::general("x", "m").field_key(), None);
        assert!(StepError::transient("down").is_transient());
        assert!(!StepError::unknown_step("x").is_transient());
    }
}
