//! A problem with an application, whoever found it: the data dictionary
//! (types, check digits, missing fields and materials) or a department's
//! `check`. The host merges them into one notification.

use serde::{Deserialize, Serialize};

use crate::ids::StepRef;

/// What a problem is about.
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
