//! A problem with an application, whoever found it: the data dictionary
//! (types, check digits, missing fields and materials) or a department's
//! `check`. The host merges them into one notification.

use serde::{Deserialize, Serialize};

use crate::ids::StepRef;

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
    /// A message for the applicant.
    pub message: String,
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
            format!(
                "{rest} more problem(s) not listed (an answer lists the first {max}: max_problems); correct these and check again"
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
        message: impl Into<String>,
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
        message: impl Into<String>,
    ) -> Self {
        Self {
            subject: Subject::Material(code_of_material.into()),
            code: code.into(),
            message: message.into(),
            found_by: None,
        }
    }

    /// A problem the host found about the application.
    pub fn general(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            subject: Subject::General,
            code: code.into(),
            message: message.into(),
            found_by: None,
        }
    }

    /// A problem a department returned from a step's `check` or `handle`.
    pub fn found_by(subject: Subject, code: String, message: String, step: &StepRef) -> Self {
        Self {
            subject,
            code,
            message,
            found_by: Some(step.clone()),
        }
    }

    /// One line for a terminal.
    pub fn line(&self) -> String {
        let about = match &self.subject {
            Subject::Field(k) => format!("field {k}"),
            Subject::Material(m) => format!("material {m}"),
            Subject::General => "application".to_string(),
        };
        let by = self
            .found_by
            .as_ref()
            .map_or_else(|| "the form check".to_string(), ToString::to_string);
        format!("{about}: {} [{}; found by {by}]", self.message, self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_3_an_answer_lists_the_first_problems_and_counts_the_rest() {
        let many: Vec<Problem> = (0..250)
            .map(|i| Problem::field(format!("x.f{i}"), "unknown-field", "unknown"))
            .collect();
        let listed = first_of(many, 100);
        assert_eq!(listed.len(), 101);
        let last = listed.last().expect("last");
        assert_eq!(last.code, "more-problems");
        assert!(
            last.message.contains("150 more") && last.message.contains("max_problems"),
            "{}",
            last.message
        );
        let few = first_of(vec![Problem::general("a", "b")], 100);
        assert_eq!(few.len(), 1);
    }
}
