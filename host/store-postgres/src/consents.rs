//! Prefill consents in PostgreSQL: the `consents` table (the record as
//! JSON, with its bundle and time as columns), stored in one transaction
//! with the prefill's audit record. An id is stored once (its primary
//! key), whichever host tries.
//!
//! Not for making the prefill's entries: the caller does.

use async_trait::async_trait;
use onething_model::audit::Entry;
use onething_model::consent::ConsentRecord;
use onething_store::{Consents, StoreError, audit};

use crate::PostgresStore;
use crate::error::{db, violates};
use crate::sql::{execute, query_opt};

#[async_trait]
impl Consents for PostgresStore {
    async fn record_consent(
        &self,
        consent: &ConsentRecord,
        entries: &[Entry],
    ) -> Result<(), StoreError> {
        let id = consent.id.as_str();
        let body = serde_json::to_string(consent)
            .map_err(|e| StoreError::Database(format!("serialising consent {id}: {e}")))?;
        let part = audit::entries_part(self.audit, entries);
        let doing = format!("storing consent {id}");
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db(&doing))?;
        execute(
            &tx,
            "INSERT INTO consents (id, bundle, granted_ms, body) VALUES ($1, $2, $3, $4)",
            &[&id, &consent.bundle.as_str(), &consent.granted_ms, &body],
        )
        .await
        .map_err(|e| {
            if violates(&e, "consents_pkey") {
                StoreError::Database(format!("consent {id} is already stored"))
            } else {
                db(&doing)(e)
            }
        })?;
        self.seal_and_commit(tx, part.as_deref()).await
    }

    async fn consent(&self, id: &str) -> Result<Option<ConsentRecord>, StoreError> {
        let doing = format!("reading consent {id}");
        let client = self.client().await?;
        let row = query_opt(&client, "SELECT body FROM consents WHERE id = $1", &[&id])
            .await
            .map_err(db(&doing))?;
        let Some(row) = row else { return Ok(None) };
        let body: &str = row.try_get(0).map_err(db(&doing))?;
        serde_json::from_str(body)
            .map(Some)
            .map_err(|e| StoreError::Database(format!("consent {id} is corrupt: {e}")))
    }
}
