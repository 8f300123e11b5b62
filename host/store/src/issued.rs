//! Values only departments issue (a child's resident ID, a credit code, a
//! licence number) belong to one application each. Before an approval
//! that writes issued fields is recorded, the engine claims each value for
//! its application; a value another application holds is refused. The
//! rule is the store's, so it holds whoever writes (a plugin or an
//! operator) and however many hosts share the store.
//!
//! Not for deciding which fields are issued (the dictionary does).

use async_trait::async_trait;
use onething_model::ids::FieldKey;

use crate::error::StoreError;

/// A value another application already holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedElsewhere {
    /// The field.
    pub key: FieldKey,
    /// The value.
    pub value: String,
    /// The application that holds it.
    pub holder: String,
}

/// Claims on issued values.
#[async_trait]
pub trait IssuedValues: Send + Sync {
    /// Claim every `(key, value)` for `application`, atomically: all of
    /// them (a claim it already holds is kept), or, when any is held by
    /// another application, none, with every value held elsewhere.
    async fn claim_issued(
        &self,
        application: &str,
        values: &[(FieldKey, String)],
    ) -> Result<Vec<IssuedElsewhere>, StoreError>;

    /// The application holding an issued value, if any.
    async fn issued_to(&self, key: &FieldKey, value: &str) -> Result<Option<String>, StoreError>;
}
