//! What is loaded and serving: the dictionary, one plugin per department
//! and the bundles, as one snapshot ([`Catalog`]) behind one swap
//! ([`Serving`]); and how it changes: admission, activation and rollback of
//! component and bundle versions on one path ([`Loader`]), watched
//! directories ([`watch`]), and loading from directories for the local
//! commands ([`local`]).
//!
//! Files are read through directories opened once with cap-std
//! ([`source`]). Not for running applications (the engine reads the
//! serving catalog) nor for storing history (the store).

mod admission;
pub mod loader;
pub mod local;
mod serving;
mod snapshot;
pub mod source;
pub mod watch;

pub use loader::{Loader, LoaderError, Origin, Outcome, SignaturePolicy, Submission};
pub use serving::Serving;
pub use snapshot::{Catalog, DuplicateDepartment};
pub use source::SourceDir;
