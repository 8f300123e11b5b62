//! Who is calling: bearer tokens (JWT, an OpenID Connect access or ID
//! token) verified against the configured issuers and their published
//! keys (JWKS), with the claims mapped to an [`Identity`]: an applicant
//! (subject and the resident ID number the issuer vouches for) or, when
//! the token carries a department, that department's officer.
//!
//! - [`IssuerConfig`]: one trusted issuer as configured
//!   (`[[identity.issuers]]`): issuer, audience, keys from a JWKS file or
//!   URL, accepted algorithms (EdDSA, ES256, RS256), allowed clock skew and
//!   the claim names.
//! - [`Verifier`]: every issuer's keys; [`Verifier::verify`] says who a
//!   token names, or why it is refused ([`AuthError`], each reason its own
//!   variant: expired, wrong audience, wrong issuer, unknown key, an
//!   algorithm not accepted (`none` never is), a signature that does not
//!   verify).
//! - [`dev`]: a development issuer for demos and tests, which writes a key
//!   pair and its JWKS and mints tokens (`onething identity dev-issuer`,
//!   `onething identity token`).
//!
//! Tokens are parsed and checked by `jsonwebtoken`, never by hand. Not for
//! what an identity may do (the api crate's roles and scoping).

pub mod dev;
mod error;
mod issuer;
mod verifier;

pub use error::AuthError;
pub use issuer::{Algorithms, IssuerConfig};
pub use verifier::{Verifier, VerifierError};

use onething_model::ids::DepartmentId;
use serde::Serialize;

/// Who a verified token names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// The issuer that vouches for it (`iss`).
    pub issuer: String,
    /// Who it is at that issuer (`sub`, or the configured claim).
    pub subject: String,
    /// The resident ID number the issuer vouches for, when it gives one.
    pub id_number: Option<String>,
    /// A name to show, when the issuer gives one.
    pub name: Option<String>,
    /// The department whose officer this is, when the token says so.
    pub department: Option<DepartmentId>,
    /// When the token expires, seconds since the epoch.
    pub expires_at: i64,
}

impl Identity {
    /// The key an application is owned by: issuer and subject together
    /// (two issuers may use the same subject for different people).
    pub fn owner(&self) -> String {
        format!("{}#{}", self.issuer, self.subject)
    }

    /// Whether the token names a department officer.
    pub fn is_officer(&self) -> bool {
        self.department.is_some()
    }
}
