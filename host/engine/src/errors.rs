//! Why the engine refused a submission, a prefill or an action. Nothing is
//! stored for a refusal; the API turns each into problem+json.

use onething_model::party::NotAParty;
use onething_model::problem::Problem;
use onething_store::StoreError;

use crate::prefill::PrefillError;

/// Why a submission was refused. Nothing is stored for any of these.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// No bundle has that id.
    #[error("unknown bundle {0}")]
    UnknownBundle(String),
    /// The form has problems: every one of them.
    #[error("the application has {} problem(s)", .0.len())]
    Problems(Vec<Problem>),
    /// The consent it names is unknown or for another bundle.
    #[error("{0}")]
    Consent(String),
    /// The idempotency key is not one the engine accepts (too long).
    #[error("{0}")]
    BadIdempotencyKey(String),
    /// The idempotency key was used for another request; nothing was
    /// stored.
    #[error(
        "idempotency key {key:?} was used for another request (application {existing}); use a new key for a new application"
    )]
    IdempotencyKeyReused {
        /// The key (bounded, so it may be shown).
        key: String,
        /// The application made with it.
        existing: String,
    },
    /// The applicant is none of the persons the bundle is for.
    #[error(transparent)]
    NotAParty(#[from] NotAParty),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a prefill request was refused.
#[derive(Debug, thiserror::Error)]
pub enum PrefillFailure {
    /// No bundle has that id.
    #[error("unknown bundle {0}")]
    UnknownBundle(String),
    /// No consent, or a consent naming something wrong.
    #[error(transparent)]
    Refused(#[from] PrefillError),
    /// Keyed by someone the asker is not (or not related to).
    #[error(transparent)]
    NotAParty(#[from] NotAParty),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why an operator's or applicant's action was refused.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// No such application.
    #[error("no application {0}")]
    NotFound(String),
    /// The application or step is not in a state that allows it.
    #[error("{0}")]
    Conflict(String),
    /// The request names something wrong (field, step, value).
    #[error("{0}")]
    Invalid(String),
    /// The corrected form still has problems.
    #[error("the corrected application has {} problem(s)", .0.len())]
    Problems(Vec<Problem>),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ActionError {
    /// As a store error, for the engine's own changes (which name nothing
    /// a caller could have got wrong).
    pub(crate) fn into_store(self) -> StoreError {
        match self {
            ActionError::Store(s) => s,
            other => StoreError::Database(other.to_string()),
        }
    }
}
