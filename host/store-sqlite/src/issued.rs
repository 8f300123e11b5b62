//! Issued values on SQLite: the `issued_values` table, one row per value
//! (its primary key is the field and the value), claimed through the
//! writer so a claim and its check are one transaction.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use onething_model::ids::FieldKey;
use onething_store::{IssuedElsewhere, IssuedValues, StoreError};
use rusqlite::{OptionalExtension, params};

use crate::writer::{RunFn, Write, exec};
use crate::{SqliteStore, db};

#[async_trait]
impl IssuedValues for SqliteStore {
    async fn claim_issued(
        &self,
        application: &str,
        values: &[(FieldKey, String)],
    ) -> Result<Vec<IssuedElsewhere>, StoreError> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let found: Arc<Mutex<Vec<IssuedElsewhere>>> = Arc::default();
        let (values, application, out) = (values.to_vec(), application.to_owned(), found.clone());
        // May run twice (the writer replays a group with a refused write):
        // each run starts from nothing.
        let run: RunFn = Box::new(move |conn| {
            let mut elsewhere = Vec::new();
            for (key, value) in &values {
                let holder: Option<String> = conn
                    .prepare_cached(
                        "SELECT application FROM issued_values WHERE key = ?1 AND value = ?2",
                    )
                    .and_then(|mut s| {
                        s.query_row(params![key.as_str(), value], |r| r.get(0))
                            .optional()
                    })
                    .map_err(db)?;
                if let Some(holder) = holder.filter(|h| *h != application) {
                    elsewhere.push(IssuedElsewhere {
                        key: key.clone(),
                        value: value.clone(),
                        holder,
                    });
                }
            }
            if elsewhere.is_empty() {
                for (key, value) in &values {
                    exec(
                        conn,
                        "INSERT OR IGNORE INTO issued_values (key, value, application) VALUES (?1, ?2, ?3)",
                        params![key.as_str(), value, application],
                    )
                    .map_err(db)?;
                }
            }
            if let Ok(mut o) = out.lock() {
                *o = elsewhere;
            }
            Ok(Vec::new())
        });
        self.write(move |reply| Write::Run {
            run,
            audit: None,
            reply,
        })
        .await?;
        let conflicts = found
            .lock()
            .map_err(|_| StoreError::Database("claim result poisoned by a panic".into()))?
            .clone();
        Ok(conflicts)
    }

    async fn issued_to(&self, key: &FieldKey, value: &str) -> Result<Option<String>, StoreError> {
        self.read(|c| {
            c.prepare_cached("SELECT application FROM issued_values WHERE key = ?1 AND value = ?2")
                .and_then(|mut s| {
                    s.query_row(params![key.as_str(), value], |r| r.get(0))
                        .optional()
                })
                .map_err(db)
        })
        .await
    }
}
