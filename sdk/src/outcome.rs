//! Building what `handle` returns: approvals ([`approve`]), problem lists
//! ([`Problems`]), rejections and deferrals, and reading an [`Outcome`]
//! back in tests. Every text for the applicant is given in Chinese and
//! English.
//!
//! ```
//! use onething_sdk::{approve, Problems, Outcome};
//!
//! let mut problems = Problems::new();
//! problems.field("child.birth_date", "too-old", "新生儿须在出生六个月内办理", "Apply within six months of the birth");
//! let outcome = problems.into_outcome(|| Ok(approve().field("tax.invoice_quota", 25i64)));
//! assert_eq!(outcome.ok().map(|o| o.problems().len()), Some(1));
//! ```
//!
//! Not for checking that an approval writes only declared fields: the host
//! refuses those, and [`crate::testkit::handle`] fails the test natively.

use crate::{Approval, Document, Field, Outcome, Problem, StepError, Text, Ticket, Value};

/// Start an approval with no fields, no documents and no note.
pub fn approve() -> Approval {
    Approval {
        fields: Vec::new(),
        documents: Vec::new(),
        note: None,
    }
}

/// Refuse the step, with the reason for the applicant (Chinese, English).
pub fn reject(reason_zh: impl Into<String>, reason_en: impl Into<String>) -> Outcome {
    Outcome::Rejected(Text::new(reason_zh, reason_en))
}

/// Hand the step to off-line handling under the department's ticket,
/// saying why (Chinese, English).
pub fn defer(
    ticket: impl Into<String>,
    reason_zh: impl Into<String>,
    reason_en: impl Into<String>,
) -> Outcome {
    Outcome::Deferred(Ticket {
        id: ticket.into(),
        reason: Text::new(reason_zh, reason_en),
    })
}

/// Ask the applicant for more: every problem at once.
pub fn needs_more(problems: Vec<Problem>) -> Outcome {
    Outcome::NeedsMore(problems)
}

impl Approval {
    /// Write a field (it must be in the step's `writes`). Writing the same
    /// key again replaces the earlier value.
    pub fn field(mut self, key: impl Into<String>, value: impl Into<Value>) -> Approval {
        let key = key.into();
        let value = value.into();
        match self.fields.iter_mut().find(|f| f.key == key) {
            Some(existing) => existing.value = value,
            None => self.fields.push(Field { key, value }),
        }
        self
    }

    /// Record an issued document, its title in Chinese and English.
    pub fn document(
        mut self,
        kind: impl Into<String>,
        number: impl Into<String>,
        title_zh: impl Into<String>,
        title_en: impl Into<String>,
    ) -> Approval {
        self.documents.push(Document {
            kind: kind.into(),
            number: number.into(),
            title: Text::new(title_zh, title_en),
        });
        self
    }

    /// Add a note for the applicant (Chinese, English).
    pub fn note(self, note_zh: impl Into<String>, note_en: impl Into<String>) -> Approval {
        self.note_text(Text::new(note_zh, note_en))
    }

    /// Add a note for the applicant made elsewhere (e.g. [`Text::join`]).
    pub fn note_text(mut self, note: Text) -> Approval {
        self.note = Some(note);
        self
    }

    /// The value written under `key`, if any.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.iter().find(|f| f.key == key).map(|f| &f.value)
    }

    /// The text written under `key`, if any.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_text)
    }
}

impl From<Approval> for Outcome {
    fn from(approval: Approval) -> Outcome {
        Outcome::Approved(approval)
    }
}

impl Outcome {
    /// Whether the step was approved.
    pub fn is_approved(&self) -> bool {
        matches!(self, Outcome::Approved(_))
    }

    /// The approval, if approved.
    pub fn approval(&self) -> Option<&Approval> {
        match self {
            Outcome::Approved(a) => Some(a),
            _ => None,
        }
    }

    /// The problems, if the applicant must supply more (else empty).
    pub fn problems(&self) -> &[Problem] {
        match self {
            Outcome::NeedsMore(p) => p,
            _ => &[],
        }
    }

    /// The reason, if rejected.
    pub fn rejection(&self) -> Option<&Text> {
        match self {
            Outcome::Rejected(r) => Some(r),
            _ => None,
        }
    }

    /// The ticket, if deferred.
    pub fn ticket(&self) -> Option<&Ticket> {
        match self {
            Outcome::Deferred(t) => Some(t),
            _ => None,
        }
    }

    /// Whether a problem with `code` about field `key` is among the problems.
    pub fn has_field_problem(&self, key: &str, code: &str) -> bool {
        self.problems()
            .iter()
            .any(|p| p.code == code && p.field_key() == Some(key))
    }
}

/// Collects every problem with an application, so `check` and `handle`
/// report them all at once (the one-time notification).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Problems {
    list: Vec<Problem>,
}

impl Problems {
    /// No problems yet.
    pub fn new() -> Problems {
        Problems::default()
    }

    /// Add a problem with a field, its message in Chinese and English.
    pub fn field(
        &mut self,
        key: &str,
        code: &str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> &mut Problems {
        self.push(Problem::field(key, code, zh, en))
    }

    /// Add a problem with a material, its message in Chinese and English.
    pub fn material(
        &mut self,
        material: &str,
        code: &str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> &mut Problems {
        self.push(Problem::material(material, code, zh, en))
    }

    /// Add a problem with the application as a whole, its message in
    /// Chinese and English.
    pub fn general(
        &mut self,
        code: &str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> &mut Problems {
        self.push(Problem::general(code, zh, en))
    }

    /// Add a problem, unless the same subject already has one with the
    /// same code.
    pub fn push(&mut self, problem: Problem) -> &mut Problems {
        if !self
            .list
            .iter()
            .any(|p| p.subject == problem.subject && p.code == problem.code)
        {
            self.list.push(problem);
        }
        self
    }

    /// Add several problems.
    pub fn extend(&mut self, problems: impl IntoIterator<Item = Problem>) -> &mut Problems {
        for p in problems {
            self.push(p);
        }
        self
    }

    /// Keep the value of `result`, or record its problem and return `None`:
    /// `let name = problems.take(fields.require_text("child.name"));`
    pub fn take<T>(&mut self, result: Result<T, Problem>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(p) => {
                self.push(p);
                None
            }
        }
    }

    /// Whether nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// How many problems.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// The problems so far.
    pub fn iter(&self) -> impl Iterator<Item = &Problem> {
        self.list.iter()
    }

    /// Whether field `key` already has a problem (to skip further rules on it).
    pub fn has_field(&self, key: &str) -> bool {
        self.list.iter().any(|p| p.field_key() == Some(key))
    }

    /// The list, for `check`.
    pub fn into_vec(self) -> Vec<Problem> {
        self.list
    }

    /// `needs-more` with every problem if there is any; otherwise run
    /// `approve` (which may issue numbers and fail transiently) and return
    /// its approval.
    pub fn into_outcome(
        self,
        approve: impl FnOnce() -> Result<Approval, StepError>,
    ) -> Result<Outcome, StepError> {
        if self.list.is_empty() {
            approve().map(Outcome::Approved)
        } else {
            Ok(Outcome::NeedsMore(self.list))
        }
    }
}

impl IntoIterator for Problems {
    type Item = Problem;
    type IntoIter = std::vec::IntoIter<Problem>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_approvals() {
        let a = approve()
            .field("child.hukou_number", "H1")
            .field("child.hukou_number", "H2")
            .field("tax.invoice_quota", 25i64)
            .document("hukou", "H2", "户口登记", "Household registration")
            .note("好", "ok");
        assert_eq!(a.fields.len(), 2);
        assert_eq!(a.text("child.hukou_number"), Some("H2"));
        assert_eq!(a.get("tax.invoice_quota"), Some(&Value::Integer(25)));
        assert_eq!(a.documents.len(), 1);
        assert_eq!(a.note, Some(Text::new("好", "ok")));
        let o: Outcome = a.into();
        assert!(o.is_approved() && o.problems().is_empty());
        assert_eq!(
            reject("不", "no").rejection().map(|t| t.en.as_str()),
            Some("no")
        );
        assert_eq!(
            defer("T1", "线下", "offline")
                .ticket()
                .map(|t| t.id.as_str()),
            Some("T1")
        );
        assert!(needs_more(vec![]).approval().is_none());
    }

    #[test]
    fn collects_problems_once_each() {
        let mut p = Problems::new();
        p.field("child.name", "missing", "甲", "a")
            .field("child.name", "missing", "再", "again");
        p.material("premises-proof", "missing", "材", "m")
            .general("g", "总", "m");
        assert_eq!(p.take(Ok::<_, Problem>(3)), Some(3));
        assert_eq!(
            p.take::<u8>(Err(Problem::field("mother.name", "missing", "母", "m"))),
            None
        );
        assert_eq!(p.len(), 4);
        assert!(p.has_field("mother.name") && !p.has_field("father.name"));
        let outcome = p
            .clone()
            .into_outcome(|| Err(StepError::permanent("not called")));
        assert!(
            outcome
                .as_ref()
                .is_ok_and(|o| o.has_field_problem("child.name", "missing"))
        );
        assert_eq!(p.into_vec().len(), 4);
        let ok = Problems::new().into_outcome(|| Ok(approve()));
        assert!(ok.is_ok_and(|o| o.is_approved()));
        let err = Problems::new().into_outcome(|| Err(StepError::transient("down")));
        assert!(err.is_err_and(|e| e.is_transient()));
    }
}
