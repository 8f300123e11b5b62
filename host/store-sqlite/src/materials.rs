//! Materials on SQLite: the `materials` table, bytes inline, one row per
//! digest (`INSERT OR IGNORE` through the writer). Not for checking
//! materials: the caller has.

use async_trait::async_trait;
use onething_model::ids::Digest;
use onething_store::{MaterialMeta, Materials, StoreError};
use rusqlite::{OptionalExtension, params};

use crate::writer::{RunFn, Write, exec};
use crate::{SqliteStore, db};

#[async_trait]
impl Materials for SqliteStore {
    async fn put_material(&self, meta: &MaterialMeta, bytes: &[u8]) -> Result<(), StoreError> {
        let (digest, media_type, size) =
            (meta.digest.to_string(), meta.media_type.clone(), meta.size);
        let bytes = bytes.to_vec();
        self.write(move |reply| Write::Material {
            digest,
            media_type,
            size,
            bytes,
            reply,
        })
        .await
    }

    async fn material(&self, digest: &Digest) -> Result<Option<MaterialMeta>, StoreError> {
        let key = digest.to_string();
        self.read(|c| {
            c.prepare_cached("SELECT media_type, size FROM materials WHERE digest = ?1")
                .and_then(|mut s| {
                    s.query_row(params![key], |r| {
                        Ok(MaterialMeta {
                            digest: *digest,
                            media_type: r.get(0)?,
                            size: r.get::<_, i64>(1)? as u64,
                        })
                    })
                    .optional()
                })
                .map_err(db)
        })
        .await
    }

    async fn material_bytes(&self, digest: &Digest) -> Result<Option<Vec<u8>>, StoreError> {
        let key = digest.to_string();
        self.read(|c| {
            c.prepare_cached("SELECT bytes FROM materials WHERE digest = ?1")
                .and_then(|mut s| s.query_row(params![key], |r| r.get(0)).optional())
                .map_err(db)
        })
        .await
    }

    async fn record_upload(&self, digest: &Digest, uploader: &str) -> Result<(), StoreError> {
        let (digest, uploader) = (digest.to_string(), uploader.to_owned());
        let run: RunFn = Box::new(move |conn| {
            exec(
                conn,
                "INSERT OR IGNORE INTO material_uploads (digest, uploader) VALUES (?1, ?2)",
                params![digest, uploader],
            )
            .map_err(db)?;
            Ok(Vec::new())
        });
        self.write(move |reply| Write::Run {
            run,
            audit: None,
            reply,
        })
        .await
        .map(|_| ())
    }

    async fn uploaded_by(&self, digest: &Digest, uploader: &str) -> Result<bool, StoreError> {
        let (digest, uploader) = (digest.to_string(), uploader.to_owned());
        self.read(move |c| {
            c.prepare_cached("SELECT 1 FROM material_uploads WHERE digest = ?1 AND uploader = ?2")
                .and_then(|mut s| {
                    s.query_row(params![digest, uploader], |_| Ok(()))
                        .optional()
                })
                .map(|found| found.is_some())
                .map_err(db)
        })
        .await
    }
}
