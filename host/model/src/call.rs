//! A plugin call in the host's own terms: what a step is sent and what a
//! department may answer, whatever version of the contract the component
//! was built against.
//!
//! What the host sends is typed and valid ([`Field`]: a dictionary key and
//! a value the dictionary accepted). What a department returns is raw until
//! the host has checked it ([`ReturnedField`]: any key, and a value that
//! may not even be a real date), because a plugin is not believed on its
//! word. Converting to and from a contract version's generated types is the
//! contract crate's job; deciding what a step may see or write is
//! [`crate::rules`].

use serde::{Deserialize, Serialize};

use crate::dictionary::FieldValue;
use crate::ids::{Digest, FieldKey, MaterialCode, StepId, StepRef};
use crate::problem::{Problem, Subject};
use crate::text::Text;

/// A field the host sends to a plugin.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The dictionary key.
    pub key: FieldKey,
    /// The value, valid by the dictionary.
    pub value: FieldValue,
}

/// A field a plugin returned (an approval's output, a prefilled value):
/// not yet checked against the step's declaration or the dictionary.
#[derive(Debug, Clone, PartialEq)]
pub struct ReturnedField {
    /// The key as the plugin wrote it.
    pub key: String,
    /// The value, or why it is not one (a date that does not exist).
    pub value: Result<FieldValue, String>,
}

/// A material the host passes to a plugin: its description, never its
/// bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallMaterial {
    /// The material code.
    pub code: MaterialCode,
    /// Content digest.
    pub digest: Digest,
    /// Media type.
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
}

/// One attempt at a step, as the host passes it to a plugin.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRequest {
    /// The application id.
    pub application: String,
    /// The step (within the plugin's department).
    pub step: StepId,
    /// The same on every attempt at this step of this application.
    pub idempotency_key: String,
    /// Attempt number from 1.
    pub attempt: u32,
    /// Exactly the fields the step declared it reads, those available.
    pub fields: Vec<Field>,
    /// The materials the step declared it needs, those supplied.
    pub materials: Vec<CallMaterial>,
}

/// A problem a department reported, before the host names who found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedProblem {
    /// What it is about.
    pub subject: Subject,
    /// A stable code.
    pub code: String,
    /// A message for the applicant.
    pub message: Text,
}

impl ReportedProblem {
    /// The problem as the host keeps it: found by `step`.
    pub fn found_by(self, step: &StepRef) -> Problem {
        Problem::found_by(self.subject, self.code, self.message, step)
    }
}

/// A document a department issued (a certificate, a licence, a card).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Kind of document, e.g. `birth-medical-certificate`.
    pub kind: String,
    /// Its number.
    pub number: String,
    /// Human title.
    #[serde(deserialize_with = "crate::text::lenient")]
    pub title: Text,
}

/// A step done, as the department says.
#[derive(Debug, Clone, PartialEq)]
pub struct Approval {
    /// Fields written (checked by the host before they are kept).
    pub fields: Vec<ReturnedField>,
    /// Documents issued.
    pub documents: Vec<Document>,
    /// A note for the applicant.
    pub note: Option<Text>,
}

/// Handled off-line: the step is completed later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// The department's reference.
    pub id: String,
    /// Why it could not be done on-line.
    pub reason: Text,
}

/// How a step ended, as the department says.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOutcome {
    /// Done.
    Approved(Approval),
    /// The applicant must correct or add something.
    NeedsMore(Vec<ReportedProblem>),
    /// Refused, with the reason.
    Rejected(Text),
    /// Handled off-line.
    Deferred(Ticket),
}

/// A step that could not be handled, as the department says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepError {
    /// Worth retrying later.
    Transient(String),
    /// Retrying will not help; a person must look at it.
    Permanent(String),
    /// Said by the host, never by a department: the attempt could not
    /// reach the department's system, which its circuit breaker takes as
    /// down. The step waits for it without the attempt counting.
    Unreachable {
        /// What the department and the host said.
        message: String,
        /// The system's origin, `scheme://host:port`.
        origin: String,
        /// When its breaker lets a probe through, from now.
        retry_in_ms: u64,
    },
}

/// What `handle` answered.
pub type Handled = Result<StepOutcome, StepError>;

/// What every item of a list counts for beside its text.
pub const ITEM_BYTES: usize = 8;
/// What every step of a manifest counts for beside its text and lists (an
/// empty step is not free: 200,000 of them are a large answer).
pub const STEP_BYTES: usize = 32;

/// Bytes a plugin returned, counted the way the output limit counts them:
/// every string's length plus a fixed cost per item, so a long list of
/// empty items is not counted as nothing.
pub trait OutputSize {
    /// Approximate size in bytes.
    fn output_size(&self) -> usize;
}

impl OutputSize for FieldValue {
    fn output_size(&self) -> usize {
        self.size()
    }
}

impl OutputSize for ReturnedField {
    fn output_size(&self) -> usize {
        self.key.len()
            + match &self.value {
                Ok(v) => v.size(),
                Err(_) => 8,
            }
    }
}

impl OutputSize for ReportedProblem {
    fn output_size(&self) -> usize {
        let subject = match &self.subject {
            Subject::Field(s) | Subject::Material(s) => s.len(),
            Subject::General => 0,
        };
        subject + self.code.len() + self.message.byte_len()
    }
}

impl OutputSize for Document {
    fn output_size(&self) -> usize {
        self.kind.len() + self.number.len() + self.title.byte_len()
    }
}

impl<T: OutputSize> OutputSize for Vec<T> {
    fn output_size(&self) -> usize {
        self.iter().map(|x| x.output_size() + ITEM_BYTES).sum()
    }
}

impl OutputSize for Handled {
    fn output_size(&self) -> usize {
        match self {
            Ok(StepOutcome::Approved(a)) => {
                a.fields.output_size()
                    + a.documents.output_size()
                    + a.note.as_ref().map_or(0, Text::byte_len)
            }
            Ok(StepOutcome::NeedsMore(p)) => p.output_size(),
            Ok(StepOutcome::Rejected(s)) => s.byte_len(),
            Ok(StepOutcome::Deferred(t)) => t.id.len() + t.reason.byte_len(),
            Err(
                StepError::Transient(s)
                | StepError::Permanent(s)
                | StepError::Unreachable { message: s, .. },
            ) => s.len(),
        }
    }
}

impl OutputSize for crate::manifest::RawManifest {
    fn output_size(&self) -> usize {
        let need = |n: &crate::manifest::RawNeed| n.name.len() + n.purpose.byte_len() + ITEM_BYTES;
        self.department.len()
            + self.name.byte_len()
            + self.version.len()
            + self
                .steps
                .iter()
                .map(|s| {
                    STEP_BYTES
                        + s.id.len()
                        + s.title.byte_len()
                        + s.reads.iter().map(need).sum::<usize>()
                        + s.writes.iter().map(|w| w.len() + ITEM_BYTES).sum::<usize>()
                        + s.materials.iter().map(need).sum::<usize>()
                })
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_size_counts_text_and_items() {
        let f = ReturnedField {
            key: "child.name".into(),
            value: Ok(FieldValue::Text("林安".into())),
        };
        assert_eq!(f.output_size(), 10 + 6);
        let handled: Handled = Ok(StepOutcome::Approved(Approval {
            fields: vec![f],
            documents: vec![Document {
                kind: "k".into(),
                number: "12".into(),
                title: "t".into(),
            }],
            note: Some("note".into()),
        }));
        // A text counts both languages: "t" and "note" twice each.
        assert_eq!(handled.output_size(), (16 + 8) + (1 + 2 + 2 + 8) + 8);
        let failed: Handled = Err(StepError::Transient("down".into()));
        assert_eq!(failed.output_size(), 4);
    }

    #[test]
    fn item_13_every_part_of_a_manifest_counts() {
        use crate::manifest::{RawManifest, RawNeed, RawStepSpec};
        let empty = RawManifest {
            steps: vec![RawStepSpec::default(); 200_000],
            ..RawManifest::default()
        };
        assert_eq!(empty.output_size(), 200_000 * STEP_BYTES);
        assert!(
            empty.output_size() > 1 << 20,
            "over the default output limit"
        );
        let step = RawStepSpec {
            id: "s".into(),
            reads: vec![RawNeed::default(); 3],
            writes: vec![String::new(); 2],
            materials: vec![RawNeed::default()],
            ..RawStepSpec::default()
        };
        let one = RawManifest {
            steps: vec![step],
            ..RawManifest::default()
        };
        assert_eq!(one.output_size(), STEP_BYTES + 1 + 6 * ITEM_BYTES);
    }
}
