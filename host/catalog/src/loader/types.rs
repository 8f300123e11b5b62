//! What the loader takes and gives: the signature policy, a version as it
//! arrives ([`Submission`]) and where from ([`Origin`]), what a change did
//! ([`Outcome`]), what a start read ([`StartReport`], [`FileRead`]), and
//! why one was refused ([`LoaderError`]).

use onething_model::bundle::BundleError;
use onething_model::dictionary::DictionaryError;
use onething_model::grants::GrantsError;
use onething_model::ids::{DepartmentId, Digest};
use onething_runtime::LoadError;
use onething_runtime::signing::{SigningError, TrustedKeys};
use onething_store::StoreError;
use onething_store::versions::VersionKind;
use serde::Serialize;

use crate::source::SourceError;

/// Whether components must be signed, and by whom.
#[derive(Debug, Clone, Default)]
pub struct SignaturePolicy {
    /// Refuse unsigned components and bad signatures.
    pub required: bool,
    /// Trusted public keys by department.
    pub trusted: TrustedKeys,
}

/// Why a version was refused, or an operation could not be done.
#[derive(Debug, thiserror::Error)]
pub enum LoaderError {
    /// The component failed a signature check.
    #[error(transparent)]
    Signature(#[from] SigningError),
    /// Signed, but by another department's key.
    #[error(
        "{origin} is department {department}, but it is signed with the key of {signed_by}: a department's component must carry that department's signature"
    )]
    WrongKey {
        /// The component.
        origin: String,
        /// The department it declares.
        department: DepartmentId,
        /// The department(s) whose key signed it.
        signed_by: String,
    },
    /// The component did not load (bytes, world, contract version, describe).
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The upload names one department, the component another.
    #[error("{origin} is department {found}, not {expected}")]
    OtherDepartment {
        /// The component.
        origin: String,
        /// The department in the request.
        expected: String,
        /// The department the component declares.
        found: DepartmentId,
    },
    /// A serving bundle would stop resolving with this version.
    #[error(
        "{department} {version} ({origin}) cannot serve: bundle {bundle} would no longer resolve with it: {message}"
    )]
    BreaksBundle {
        /// The component.
        origin: String,
        /// Its department.
        department: DepartmentId,
        /// Its declared version.
        version: String,
        /// The bundle.
        bundle: String,
        /// Why the bundle fails.
        message: String,
    },
    /// The bundle definition is refused.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// The grants register is refused.
    #[error(transparent)]
    Grants(#[from] GrantsError),
    /// The dictionary is refused.
    #[error(transparent)]
    Dictionary(#[from] DictionaryError),
    /// A dictionary that would break what serves.
    #[error(
        "dictionary {version} ({origin}) cannot serve: it would break what serves:\n  - {}\nkeep those entries (or change them compatibly), or first update or roll back what uses them",
        .faults.join("\n  - ")
    )]
    BreaksServing {
        /// The file or upload.
        origin: String,
        /// Its declared version.
        version: String,
        /// One line per use it breaks, naming the component or bundle.
        faults: Vec<String>,
    },
    /// Another dictionary text under a version already stored.
    #[error(
        "{origin}: dictionary version {version} is already stored as another text ({stored}, from {stored_source}); a version names one text, so change `version` at the top of the dictionary"
    )]
    DictionaryVersionTaken {
        /// The file or upload.
        origin: String,
        /// The version both declare.
        version: String,
        /// The digest stored under it.
        stored: Digest,
        /// Where the stored one came from.
        stored_source: String,
    },
    /// A component or bundle reads fields no grant gives its department,
    /// or a register would take away grants what serves needs.
    #[error("{origin}: {}; a department reads only what the data-sharing register grants it (a grant names the department, fields, purpose, legal_basis and approved_by), and a signature does not replace a grant", .faults.join("; "))]
    Ungranted {
        /// The component, bundle or register.
        origin: String,
        /// The department concerned, when there is one.
        department: Option<DepartmentId>,
        /// Each read without a grant, naming the step and the field.
        faults: Vec<String>,
    },
    /// A bundle, register or dictionary file is not UTF-8 text.
    #[error("{origin}: it must be UTF-8 TOML text: {message}")]
    NotText {
        /// The file or upload.
        origin: String,
        /// What the decoder said.
        message: String,
    },
    /// No such version or subject.
    #[error("{0}")]
    NotFound(String),
    /// Nothing earlier to roll back to, or an ambiguous version.
    #[error("{0}")]
    Conflict(String),
    /// A configured directory cannot be read.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// Nothing can serve at start.
    #[error("no department can serve: {dir} holds no admissible component{reasons}")]
    NothingServes {
        /// The plugins directory.
        dir: String,
        /// Why each file was refused, or how to build some.
        reasons: String,
    },
    /// Another build under a version the department already has: a
    /// department's version names one build.
    #[error(transparent)]
    VersionTaken(Box<VersionTaken>),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl LoaderError {
    /// Whether this is a refusal of the version itself (as opposed to a
    /// missing subject, a directory or a store failure).
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            Self::NotFound(_)
                | Self::Conflict(_)
                | Self::Store(_)
                | Self::Source(_)
                | Self::NothingServes { .. }
        )
    }

    /// The subject a refusal is about, when the error knows it.
    pub(super) fn subject(&self) -> Option<String> {
        match self {
            Self::WrongKey { department, .. } | Self::BreaksBundle { department, .. } => {
                Some(department.to_string())
            }
            Self::VersionTaken(taken) => Some(taken.department.to_string()),
            Self::OtherDepartment { expected, .. } => Some(expected.clone()),
            Self::Ungranted {
                department: Some(d),
                ..
            } => Some(d.to_string()),
            _ => None,
        }
    }
}

/// A component refused because its department holds another build under
/// the version it declares.
#[derive(Debug, thiserror::Error)]
#[error(
    "{origin}: {department} {version} is already stored as build {stored} (from {stored_source}); this is another build, {offered}: a department's version names one build, so bump the version in the component's manifest (its crate's `version`) and build again"
)]
pub struct VersionTaken {
    /// The component offered.
    pub origin: String,
    /// Its department.
    pub department: DepartmentId,
    /// The version both declare.
    pub version: String,
    /// The digest stored under that version.
    pub stored: Digest,
    /// Where the stored build came from.
    pub stored_source: String,
    /// The digest of the build offered.
    pub offered: Digest,
}

/// Where a version came from and who brought it.
#[derive(Debug, Clone)]
pub struct Origin {
    /// `upload`, `operator`, or the file's path.
    pub source: String,
    /// An operator's name, `watcher` or `startup`.
    pub actor: String,
}

impl Origin {
    /// An operator's upload.
    pub fn upload(operator: &str) -> Self {
        Self {
            source: "upload".into(),
            actor: operator.into(),
        }
    }

    /// A file, picked up by `actor` (`watcher` or `startup`).
    pub fn file(shown: String, actor: &str) -> Self {
        Self {
            source: shown,
            actor: actor.into(),
        }
    }

    pub(super) fn operator(actor: &str) -> Self {
        Self {
            source: "operator".into(),
            actor: actor.into(),
        }
    }
}

/// A version as it arrives.
#[derive(Debug, Clone)]
pub enum Submission {
    /// A department's component.
    Component {
        /// Its bytes.
        bytes: Vec<u8>,
        /// Its detached signature (hex), if any.
        signature: Option<String>,
        /// The department it must be, when the request names one.
        department: Option<String>,
    },
    /// A bundle definition (TOML).
    Bundle {
        /// Its text.
        text: String,
    },
    /// The data-sharing register (TOML).
    Grants {
        /// Its text.
        text: String,
    },
    /// The data dictionary (TOML).
    Dictionary {
        /// Its text.
        text: String,
    },
}

impl Submission {
    pub(super) fn kind(&self) -> VersionKind {
        match self {
            Submission::Component { .. } => VersionKind::Plugin,
            Submission::Bundle { .. } => VersionKind::Bundle,
            Submission::Grants { .. } => VersionKind::Grants,
            Submission::Dictionary { .. } => VersionKind::Dictionary,
        }
    }

    pub(super) fn bytes(&self) -> &[u8] {
        match self {
            Submission::Component { bytes, .. } => bytes,
            Submission::Bundle { text }
            | Submission::Grants { text }
            | Submission::Dictionary { text } => text.as_bytes(),
        }
    }

    /// What it holds: its digest, and a component's signature.
    pub fn content(&self) -> FileContent {
        FileContent {
            digest: Digest::of(self.bytes()),
            signature: match self {
                Submission::Component { signature, .. } => signature.clone(),
                Submission::Bundle { .. }
                | Submission::Grants { .. }
                | Submission::Dictionary { .. } => None,
            },
        }
    }
}

/// What a file of the plugins or bundles directory held when it was read:
/// the digest of its bytes and, for a component, the signature beside it
/// (a new signature for the same bytes is a change of the file too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileContent {
    /// The digest of the component's bytes or the bundle's text.
    pub digest: Digest,
    /// A component's detached signature, as read.
    pub signature: Option<String>,
}

/// A file a start read, and what came of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRead {
    /// Plugin (the plugins directory) or bundle (the bundles directory).
    pub kind: VersionKind,
    /// Its name in its directory.
    pub name: String,
    /// What it held.
    pub content: FileContent,
    /// Whether that content is an admitted version (false: refused).
    pub admitted: bool,
}

/// What an admission or activation did.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// Plugin or bundle.
    pub kind: VersionKind,
    /// Department or bundle id.
    pub subject: String,
    /// The version's digest.
    pub digest: Digest,
    /// Its declared version (a bundle's: its digest's first 12 hex digits).
    pub version: String,
    /// Whether it serves now.
    pub active: bool,
    /// Whether anything changed (false when it was already serving).
    pub changed: bool,
}

/// What a start served.
#[derive(Debug, Clone, Default)]
pub struct StartReport {
    /// Files refused, each with why.
    pub refused: Vec<String>,
    /// Every file read, with what it held (the watcher starts from this,
    /// so it reads again only what changes).
    pub files: Vec<FileRead>,
}
