//! Materials: the bytes of files applicants supply (certificates, scans),
//! stored once per content digest and referenced from applications by
//! that digest.
//!
//! Not for checking a material against the dictionary (media type, size
//! limit): that is the model's, before anything is stored. The caller
//! vouches that the digest and size are those of the bytes.

use async_trait::async_trait;
use onething_model::ids::Digest;
use serde::Serialize;

use crate::error::StoreError;

/// A stored material's description.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaterialMeta {
    /// Content digest.
    pub digest: Digest,
    /// Media type.
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
}

/// Material bytes by digest.
#[async_trait]
pub trait Materials: Send + Sync {
    /// Store material bytes, deduplicated by digest: storing a digest
    /// already stored changes nothing (the first description stays).
    async fn put_material(&self, meta: &MaterialMeta, bytes: &[u8]) -> Result<(), StoreError>;

    /// A stored material's description.
    async fn material(&self, digest: &Digest) -> Result<Option<MaterialMeta>, StoreError>;

    /// A stored material's bytes.
    async fn material_bytes(&self, digest: &Digest) -> Result<Option<Vec<u8>>, StoreError>;

    /// Note that `uploader` (an applicant, `issuer#subject`) uploaded the
    /// material: only they may reference it in an application (the bytes
    /// are stored once, whoever uploads them). Noting it twice is no error.
    async fn record_upload(&self, digest: &Digest, uploader: &str) -> Result<(), StoreError>;

    /// Whether `uploader` uploaded the material.
    async fn uploaded_by(&self, digest: &Digest, uploader: &str) -> Result<bool, StoreError>;
}
