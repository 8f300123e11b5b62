//! A problem with an application, whoever found it: the data dictionary
//! (types, check digits, missing fields and materials) or a department's
//! `check`. The host merges them into one notification.

use serde::{Deserialize, Serialize};

use crate::ids::StepRef;
use crate::text::{self, Lang, Text};

/// What a problem is about.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "kebab-case")]
pub enum Subject {
    /// A field, by dictionary key.
    Field(String),
    /// A material, by code.
    Material(String),
    /// The application as a whole.
    General,
}

/// One thing wrong with an application.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// What it is about.
    pub subject: Subject,
    /// Stable code, e.g. `bad-check-digit`, `too-old`.
    pub code: String,
    /// A message for the applicant, in both languages.
    #[serde(deserialize_with = "text::lenient")]
    pub message: Text,
    /// Who found it: `None` for the dictionary, else the department's step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found_by: Option<StepRef>,
}

/// The first `max` problems, and when there were more, one last problem
/// `more-problems` counting the rest and naming the setting
/// (`max_problems`) that bounds the list.
pub fn first_of(mut problems: Vec<Problem>, max: usize) -> Vec<Problem> {
    if problems.len() > max {
        let rest = problems.len() - max;
        problems.truncate(max);
        problems.push(Problem::general(
            "more-problems",
            Text::new(
                format!(
                    "另有 {rest} 个问题未列出（每次答复只列前 {max} 个：max_problems）；请先改正这些，再检查一次"
                ),
                format!(
                    "{rest} more problem(s) not listed (an answer lists the first {max}: max_problems); correct these and check again"
                ),
            ),
        ));
    }
    problems
}

impl Problem {
    /// A problem the host found about a field.
    pub fn field(
        key: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<Text>,
    ) -> Self {
        Self {
            subject: Subject::Field(key.into()),
            code: code.into(),
            message: message.into(),
            found_by: None,
        }
    }

    /// A problem the host found about a material.
    pub fn material(
        code_of_material: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<Text>,
    ) -> Self {
        Self {
            subject: Subject::Material(code_of_material.into()),
            code: code.into(),
            message: message.into(),
            found_by: None,
        }
    }

    /// A problem the host found about the application.
    pub fn general(code: impl Into<String>, message: impl Into<Text>) -> Self {
        Self {
            subject: Subject::General,
            code: code.into(),
            message: message.into(),
            found_by: None,
        }
    }

    /// A problem a department returned from a step's `check` or `handle`.
    pub fn found_by(subject: Subject, code: String, message: Text, step: &StepRef) -> Self {
        Self {
            subject,
            code,
            message,
            found_by: Some(step.clone()),
        }
    }

    /// One line for an operator's terminal: English around the message,
    /// the message in both languages.
    pub fn line_both(&self) -> String {
        self.line_saying(Lang::En, &self.message.both())
    }

    /// One line for a terminal, in `lang`.
    pub fn line(&self, lang: Lang) -> String {
        self.line_saying(lang, self.message.get(lang))
    }

    /// One line in `lang` around `message`.
    fn line_saying(&self, lang: Lang, message: &str) -> String {
        let about = match (&self.subject, lang) {
            (Subject::Field(k), Lang::Zh) => format!("字段 {k}"),
            (Subject::Field(k), Lang::En) => format!("field {k}"),
            (Subject::Material(m), Lang::Zh) => format!("材料 {m}"),
            (Subject::Material(m), Lang::En) => format!("material {m}"),
            (Subject::General, lang) => lang.pick("申请", "application").to_string(),
        };
        let by = self.found_by.as_ref().map_or_else(
            || lang.pick("表单检查", "the form check").to_string(),
            ToString::to_string,
        );
        let found = lang.pick("发现者", "found by");
        format!("{about}: {message} [{}; {found} {by}]", self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_3_an_answer_lists_the_first_problems_and_counts_the_rest() {
        let many: Vec<Problem> = (0..250)
            .map(|i| Problem::field(format!("x.f{i}"), "unknown-field", Text::same("unknown")))
            .collect();
        let listed = first_of(many, 100);
        assert_eq!(listed.len(), 101);
        let last = listed.last().expect("last");
        assert_eq!(last.code, "more-problems");
        assert!(
            last.message.en.contains("150 more") && last.message.zh.contains("150 个"),
            "{}",
            last.message
        );
        let few = first_of(vec![Problem::general("a", Text::same("b"))], 100);
        assert_eq!(few.len(), 1);
    }
}
