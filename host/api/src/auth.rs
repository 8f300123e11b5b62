//! Who is calling, and what they may do.
//!
//! Every request but the public ones carries `Authorization: Bearer
//! <token>`, one of:
//!
//! - an operator's token (`[[operators]]`, compared in constant time),
//!   with the roles it was given: `viewer` (plugins, versions, history,
//!   queue, overdue work; applications, masked), `resolver` (resolve queued
//!   steps), `publisher` (upload, activate, roll back components, bundles
//!   and the grants register), `auditor` (the audit log; applications,
//!   masked);
//! - a department officer's token (`[[officers]]`), or a JWT of a trusted
//!   issuer whose department claim names one: they see and resolve their
//!   own department's queued items and read its fields;
//! - an applicant's JWT of a trusted issuer: their own applications.
//!
//! [`Caller`] is the extractor naming the caller (401 problem+json with
//! `WWW-Authenticate` naming why, when there is none or it is refused);
//! [`Allowed`] requires a permission, stated in the handler's signature
//! and in its OpenAPI `security` (403 naming the role that is missing).

use std::collections::BTreeSet;
use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use onething_identity::{AuthError, Identity, Verifier};
use onething_model::ids::DepartmentId;
use onething_model::party::Applicant;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::ApiState;
use crate::error::ApiError;

/// What an operator may do.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Read what serves, its history, the queue, overdue work, and
    /// applications (masked).
    Viewer,
    /// Resolve steps in the manual queue.
    Resolver,
    /// Upload, activate and roll back components, bundles and grants.
    Publisher,
    /// Read the audit log and applications (masked).
    Auditor,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Resolver, Role::Publisher, Role::Auditor];

    /// As written in the config and the OpenAPI document.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Resolver => "resolver",
            Role::Publisher => "publisher",
            Role::Auditor => "auditor",
        }
    }
}

fn viewer_only() -> Vec<Role> {
    vec![Role::Viewer]
}

/// An operator allowed to call `/admin/...`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operator {
    /// Name recorded with every action.
    pub name: String,
    /// Bearer token (at least 16 characters).
    pub token: String,
    /// What they may do (default: `viewer` only).
    #[serde(default = "viewer_only")]
    pub roles: Vec<Role>,
}

/// A department officer with a static token (officers may also come with
/// a JWT whose department claim names their department).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Officer {
    /// Name recorded with every action.
    pub name: String,
    /// Bearer token (at least 16 characters).
    pub token: String,
    /// Their department.
    pub department: DepartmentId,
}

/// How callers are told apart: the configured tokens and the trusted
/// issuers.
#[derive(Default)]
pub struct Authenticator {
    operators: Vec<Operator>,
    officers: Vec<Officer>,
    verifier: Option<Arc<Verifier>>,
    everyone_as: Option<Identity>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("operators", &self.operators.len())
            .field("officers", &self.officers.len())
            .field("issuers", &self.verifier)
            .finish()
    }
}

impl Authenticator {
    /// Operators, officers and, when identities are configured, the
    /// verifier of their tokens.
    pub fn new(
        operators: Vec<Operator>,
        officers: Vec<Officer>,
        verifier: Option<Arc<Verifier>>,
    ) -> Self {
        Self {
            operators,
            officers,
            verifier,
            everyone_as: None,
        }
    }

    /// Every request taken as `identity`, with or without a token: only
    /// to measure what verifying tokens costs (the service benchmark). No
    /// configuration reaches it.
    pub fn taking_everyone_as(identity: Identity) -> Self {
        Self {
            everyone_as: Some(identity),
            ..Self::default()
        }
    }

    /// Who a request without a usable token is, when every request is
    /// taken as someone ([`Authenticator::taking_everyone_as`]).
    fn everyone(&self) -> Option<Caller> {
        self.everyone_as.clone().map(Caller::Applicant)
    }

    /// Whether any operator is configured.
    pub fn has_operators(&self) -> bool {
        !self.operators.is_empty()
    }

    /// Whether applicant tokens can be verified.
    pub fn has_issuers(&self) -> bool {
        self.verifier.as_ref().is_some_and(|v| !v.is_empty())
    }

    /// Who a bearer token names.
    pub fn identify(&self, token: &str) -> Result<Caller, AuthError> {
        // Every configured token is compared, so timing says nothing of
        // which (if any) matched.
        let mut found = None;
        for op in &self.operators {
            let eq: bool = op.token.as_bytes().ct_eq(token.as_bytes()).into();
            if eq && found.is_none() {
                found = Some(Caller::Operator {
                    name: op.name.clone(),
                    roles: op.roles.iter().copied().collect(),
                });
            }
        }
        for officer in &self.officers {
            let eq: bool = officer.token.as_bytes().ct_eq(token.as_bytes()).into();
            if eq && found.is_none() {
                found = Some(Caller::Officer {
                    name: officer.name.clone(),
                    department: officer.department.clone(),
                });
            }
        }
        if let Some(caller) = found {
            return Ok(caller);
        }
        let Some(verifier) = &self.verifier else {
            return Err(AuthError::Malformed(
                "it is not a configured operator's or officer's token, and no identity issuer is configured".into(),
            ));
        };
        let identity = verifier.verify(token)?;
        Ok(match &identity.department {
            Some(department) => Caller::Officer {
                name: identity
                    .name
                    .clone()
                    .unwrap_or_else(|| identity.subject.clone()),
                department: department.clone(),
            },
            None => Caller::Applicant(identity),
        })
    }
}

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Caller {
    /// An applicant, as their issuer vouches for them.
    Applicant(Identity),
    /// A department's officer.
    Officer {
        /// Their name (or subject).
        name: String,
        /// Their department.
        department: DepartmentId,
    },
    /// An operator with their roles.
    Operator {
        /// Their name.
        name: String,
        /// What they may do.
        roles: BTreeSet<Role>,
    },
}

impl Caller {
    /// Who acted, as the audit log and the history record it.
    pub fn actor(&self) -> String {
        match self {
            Caller::Applicant(i) => i.owner(),
            Caller::Officer { name, department } => format!("officer {name} ({department})"),
            Caller::Operator { name, .. } => name.clone(),
        }
    }

    /// The applicant, when it is one.
    pub fn applicant(&self) -> Option<Applicant> {
        match self {
            Caller::Applicant(i) => Some(Applicant {
                owner: i.owner(),
                id_number: i.id_number.clone(),
            }),
            _ => None,
        }
    }

    /// Whether an operator with `role`.
    pub fn has_role(&self, role: Role) -> bool {
        matches!(self, Caller::Operator { roles, .. } if roles.contains(&role))
    }

    /// The applicant, or 403 when someone else calls an applicant's
    /// operation.
    pub fn require_applicant(&self, what: &str) -> Result<Applicant, ApiError> {
        self.applicant().ok_or_else(|| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "Applicants only",
                format!(
                    "only an applicant (a token of a trusted issuer naming a person) may {what}; {} may not",
                    self.actor()
                ),
            )
        })
    }
}

/// The bearer token of a request: `Authorization: Bearer <token>`, the
/// scheme in any case (RFC 9110, section 11.1).
pub(crate) fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl FromRequestParts<ApiState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        if let Some(caller) = state.auth.everyone() {
            return Ok(caller);
        }
        let header = parts.headers.get(axum::http::header::AUTHORIZATION);
        let token = match header {
            None => return Err(ApiError::unauthenticated(&AuthError::Missing)),
            Some(v) => v
                .to_str()
                .ok()
                .and_then(bearer_token)
                .ok_or_else(|| ApiError::unauthenticated(&AuthError::NotBearer))?,
        };
        let caller = state
            .auth
            .identify(token)
            .map_err(|e| ApiError::unauthenticated(&e))?;
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

/// A reader of the catalogue (bundles, forms, the grants register):
/// anyone when `anonymous_catalogue` is set, else any caller with a token.
pub struct CatalogueReader;

impl FromRequestParts<ApiState> for CatalogueReader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        if !state.anonymous_catalogue {
            Caller::from_request_parts(parts, state).await?;
        }
        Ok(CatalogueReader)
    }
}

/// A permission an operation needs: an operator role, and whether a
/// department's officer has it too (for their own department's items).
pub trait Permission: Send + Sync + 'static {
    /// The operator role.
    const ROLE: Role;
    /// Whether officers have it (the handler keeps them to their
    /// department).
    const OFFICERS: bool;
}

/// `viewer`: what serves, its history, the queue, overdue work.
pub struct View;
impl Permission for View {
    const ROLE: Role = Role::Viewer;
    const OFFICERS: bool = true;
}

/// `resolver`: resolve queued steps.
pub struct Resolve;
impl Permission for Resolve {
    const ROLE: Role = Role::Resolver;
    const OFFICERS: bool = true;
}

/// `publisher`: change what serves.
pub struct Publish;
impl Permission for Publish {
    const ROLE: Role = Role::Publisher;
    const OFFICERS: bool = false;
}

/// `auditor`: the audit log.
pub struct Audit;
impl Permission for Audit {
    const ROLE: Role = Role::Auditor;
    const OFFICERS: bool = false;
}

/// A caller with permission `P`, or 403 naming the role it lacks.
pub struct Allowed<P: Permission> {
    /// Who it is.
    pub caller: Caller,
    _permission: PhantomData<P>,
}

impl<P: Permission> FromRequestParts<ApiState> for Allowed<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let allowed =
            caller.has_role(P::ROLE) || (P::OFFICERS && matches!(caller, Caller::Officer { .. }));
        if !allowed {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "Role missing",
                format!(
                    "this operation needs the role {} ({} has {})",
                    P::ROLE.as_str(),
                    caller.actor(),
                    match &caller {
                        Caller::Operator { roles, .. } if !roles.is_empty() => roles
                            .iter()
                            .map(|r| r.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        Caller::Operator { .. } => "no role".into(),
                        Caller::Officer { .. } => "an officer's rights only".into(),
                        Caller::Applicant(_) => "an applicant's rights only".into(),
                    }
                ),
            ));
        }
        Ok(Self {
            caller,
            _permission: PhantomData,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_7_the_bearer_scheme_is_matched_in_any_case() {
        for header in ["Bearer abc", "bearer abc", "BEARER abc", "bEaReR   abc  "] {
            assert_eq!(bearer_token(header), Some("abc"), "{header}");
        }
        for header in ["Basic abc", "Bearer", "Bearer ", "Bearerabc", ""] {
            assert_eq!(bearer_token(header), None, "{header}");
        }
    }

    #[test]
    fn tokens_name_operators_and_officers() {
        let auth = Authenticator::new(
            vec![Operator {
                name: "duty".into(),
                token: "operator-token-0123456789".into(),
                roles: vec![Role::Viewer, Role::Publisher],
            }],
            vec![Officer {
                name: "wang".into(),
                token: "officer-token-0123456789".into(),
                department: DepartmentId::parse("tax").expect("id"),
            }],
            None,
        );
        let op = auth
            .identify("operator-token-0123456789")
            .expect("operator");
        assert!(op.has_role(Role::Publisher) && !op.has_role(Role::Auditor));
        let officer = auth.identify("officer-token-0123456789").expect("officer");
        assert!(
            matches!(&officer, Caller::Officer { department, .. } if department.as_str() == "tax")
        );
        assert!(auth.identify("nobody").is_err());
    }
}

/// Who a token names, as `GET /api/me` answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    /// `applicant`, `officer` or `operator`.
    pub kind: String,
    /// Who acts, as the audit log records it.
    pub actor: String,
    /// A name to show.
    pub name: String,
    /// An officer's department.
    pub department: Option<DepartmentId>,
    /// An operator's roles.
    pub roles: Vec<Role>,
    /// An applicant's resident ID number, as their issuer vouches for it.
    pub id_number: Option<String>,
    /// When an applicant's or officer's token expires, seconds since the
    /// epoch.
    pub expires_at: Option<i64>,
}

impl Me {
    /// What a caller is.
    pub fn of(caller: &Caller) -> Self {
        let actor = caller.actor();
        match caller {
            Caller::Applicant(i) => Me {
                kind: "applicant".into(),
                actor,
                name: i.name.clone().unwrap_or_else(|| i.subject.clone()),
                department: None,
                roles: Vec::new(),
                id_number: i.id_number.clone(),
                expires_at: Some(i.expires_at),
            },
            Caller::Officer { name, department } => Me {
                kind: "officer".into(),
                actor,
                name: name.clone(),
                department: Some(department.clone()),
                roles: Vec::new(),
                id_number: None,
                expires_at: None,
            },
            Caller::Operator { name, roles } => Me {
                kind: "operator".into(),
                actor,
                name: name.clone(),
                department: None,
                roles: roles.iter().copied().collect(),
                id_number: None,
                expires_at: None,
            },
        }
    }
}

#[utoipa::path(get, path = "/api/me", tag = "meta",
    security(("bearer" = [])),
    summary = "Who the bearer token names: an applicant, an officer or an operator, and what they may do",
    responses(
        (status = 200, description = "who", body = Me),
        (status = 401, description = "no token, or one refused (WWW-Authenticate says why)", body = crate::error::ProblemDetails, content_type = "application/problem+json")))]
pub(crate) async fn me(caller: Caller) -> axum::Json<Me> {
    axum::Json(Me::of(&caller))
}
