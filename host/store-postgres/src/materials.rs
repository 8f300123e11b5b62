//! Materials in PostgreSQL: the `materials` table, bytes inline, one row
//! per digest (`ON CONFLICT DO NOTHING`: the first description stays,
//! whichever host stored it), and `material_uploads`, who uploaded each.
//! Each write is one statement, so it needs no transaction of its own.
//!
//! Not for checking materials: the caller has.

use async_trait::async_trait;
use onething_model::ids::Digest;
use onething_store::{MaterialMeta, Materials, StoreError};

use crate::PostgresStore;
use crate::error::db;
use crate::sql::{execute, query_opt, unsigned};

#[async_trait]
impl Materials for PostgresStore {
    async fn put_material(&self, meta: &MaterialMeta, bytes: &[u8]) -> Result<(), StoreError> {
        let digest = meta.digest.to_string();
        let size = i64::try_from(meta.size).map_err(|_| {
            StoreError::Database(format!("material {digest}: a size of {} bytes", meta.size))
        })?;
        let client = self.client().await?;
        execute(
            &client,
            "INSERT INTO materials (digest, media_type, size, bytes) VALUES ($1, $2, $3, $4) ON CONFLICT (digest) DO NOTHING",
            &[&digest, &meta.media_type, &size, &bytes],
        )
        .await
        .map_err(db(&format!("storing material {digest}")))?;
        Ok(())
    }

    async fn material(&self, digest: &Digest) -> Result<Option<MaterialMeta>, StoreError> {
        let key = digest.to_string();
        let doing = format!("reading material {key}");
        let client = self.client().await?;
        let row = query_opt(
            &client,
            "SELECT media_type, size FROM materials WHERE digest = $1",
            &[&key],
        )
        .await
        .map_err(db(&doing))?;
        row.map(|r| {
            Ok(MaterialMeta {
                digest: *digest,
                media_type: r.try_get(0)?,
                size: unsigned(r.try_get(1)?),
            })
        })
        .transpose()
        .map_err(db(&doing))
    }

    async fn material_bytes(&self, digest: &Digest) -> Result<Option<Vec<u8>>, StoreError> {
        let key = digest.to_string();
        let doing = format!("reading material {key}");
        let client = self.client().await?;
        let row = query_opt(
            &client,
            "SELECT bytes FROM materials WHERE digest = $1",
            &[&key],
        )
        .await
        .map_err(db(&doing))?;
        row.map(|r| r.try_get(0)).transpose().map_err(db(&doing))
    }

    async fn record_upload(&self, digest: &Digest, uploader: &str) -> Result<(), StoreError> {
        let key = digest.to_string();
        let client = self.client().await?;
        execute(
            &client,
            "INSERT INTO material_uploads (digest, uploader) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&key, &uploader],
        )
        .await
        .map_err(db(&format!("noting an upload of material {key}")))?;
        Ok(())
    }

    async fn uploaded_by(&self, digest: &Digest, uploader: &str) -> Result<bool, StoreError> {
        let key = digest.to_string();
        let client = self.client().await?;
        query_opt(
            &client,
            "SELECT 1 FROM material_uploads WHERE digest = $1 AND uploader = $2",
            &[&key, &uploader],
        )
        .await
        .map(|row| row.is_some())
        .map_err(db(&format!("reading the uploads of material {key}")))
    }
}
