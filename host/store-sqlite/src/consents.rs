//! Prefill consents on SQLite: the `consents` table (the record as JSON,
//! with its bundle and time as columns), written through the writer with
//! the prefill's audit entries. Not for making those entries: the caller
//! does.

use async_trait::async_trait;
use onething_model::audit::Entry;
use onething_model::consent::ConsentRecord;
use onething_store::{Consents, StoreError, audit};
use rusqlite::{OptionalExtension, params};

use crate::writer::{RunFn, Write, exec};
use crate::{SqliteStore, db};

#[async_trait]
impl Consents for SqliteStore {
    async fn record_consent(
        &self,
        consent: &ConsentRecord,
        entries: &[Entry],
    ) -> Result<(), StoreError> {
        let body = serde_json::to_string(consent).map_err(|e| {
            StoreError::Database(format!("serialising consent {}: {e}", consent.id))
        })?;
        let (id, bundle, at) = (
            consent.id.clone(),
            consent.bundle.to_string(),
            consent.granted_ms,
        );
        let run: RunFn = Box::new(move |conn| {
            exec(
                conn,
                "INSERT INTO consents (id, bundle, granted_ms, body) VALUES (?1, ?2, ?3, ?4)",
                params![id, bundle, at, body],
            )
            .map_err(|e| StoreError::Database(format!("consent {id}: {e}")))?;
            Ok(Vec::new())
        });
        let audit = audit::entries_part(self.audit, entries);
        self.write(move |reply| Write::Run { run, audit, reply })
            .await
            .map(|_| ())
    }

    async fn consent(&self, id: &str) -> Result<Option<ConsentRecord>, StoreError> {
        self.read(|c| {
            let body: Option<String> = c
                .prepare_cached("SELECT body FROM consents WHERE id = ?1")
                .and_then(|mut s| s.query_row(params![id], |r| r.get(0)).optional())
                .map_err(db)?;
            body.map(|b| {
                serde_json::from_str(&b)
                    .map_err(|e| StoreError::Database(format!("consent {id} is corrupt: {e}")))
            })
            .transpose()
        })
        .await
    }
}
