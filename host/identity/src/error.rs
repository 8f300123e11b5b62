//! Why a bearer token was refused: one variant per reason, each message
//! naming it so the caller (and the operator reading the log) knows what
//! to fix. None of them leaks the token.

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header.
    #[error(
        "a bearer token is needed: send Authorization: Bearer <token>, an access or ID token of a trusted issuer"
    )]
    Missing,
    /// The header is not `Bearer <token>`.
    #[error("the Authorization header is not a bearer token (Authorization: Bearer <token>)")]
    NotBearer,
    /// Not three base64url parts, or parts that do not decode.
    #[error("the bearer token is not a JWT ({0})")]
    Malformed(String),
    /// An algorithm this host does not accept (`none` never is).
    #[error(
        "the token's algorithm is not accepted: {0} (accepted: EdDSA, ES256, RS256, as each issuer allows; an unsigned token, alg none, never is)"
    )]
    Algorithm(String),
    /// Signed by a key no trusted issuer publishes.
    #[error(
        "the token is signed with key {kid:?}, which no trusted issuer publishes (a key rotated away, or another issuer)"
    )]
    UnknownKey {
        /// The key id the token names (empty when it names none).
        kid: String,
    },
    /// The signature does not verify: the token was altered.
    #[error("the token's signature does not verify: it was altered, or signed by another key")]
    BadSignature,
    /// Past its `exp` (with the allowed skew).
    #[error("the token has expired (its exp is past, beyond the allowed clock skew)")]
    Expired,
    /// Before its `nbf`.
    #[error("the token is not valid yet (its nbf is ahead, beyond the allowed clock skew)")]
    NotYetValid,
    /// Issued by another issuer than the one whose key signed it.
    #[error("the token's issuer (iss) is not {expected:?}, the issuer whose key signed it")]
    WrongIssuer {
        /// The issuer of the key.
        expected: String,
    },
    /// Meant for another audience.
    #[error("the token is not for this service: its audience (aud) is not {expected:?}")]
    WrongAudience {
        /// The audience configured for the issuer.
        expected: String,
    },
    /// A claim the host needs is absent or not text.
    #[error("the token lacks the claim {0:?} (or it is not text)")]
    MissingClaim(String),
    /// The department claim is not a department id.
    #[error("the token's department claim {0:?} is not a department id")]
    BadDepartment(String),
}
