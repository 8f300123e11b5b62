//! Issued values in PostgreSQL: the `issued_values` table, primary key
//! `(key, value)`. A claim inserts each value with `ON CONFLICT DO
//! NOTHING` and reads back who holds those it could not insert, in one
//! transaction: all of them claimed, or (when another application holds
//! any) none. The primary key, not this process, makes a value one
//! application's, however many hosts claim at once.
//!
//! Not for deciding which fields are issued: the dictionary does.

use std::collections::BTreeMap;

use async_trait::async_trait;
use onething_model::ids::FieldKey;
use onething_store::{IssuedElsewhere, IssuedValues, StoreError};

use crate::PostgresStore;
use crate::error::db;
use crate::sql::{execute, query_opt};

#[async_trait]
impl IssuedValues for PostgresStore {
    async fn claim_issued(
        &self,
        application: &str,
        values: &[(FieldKey, String)],
    ) -> Result<Vec<IssuedElsewhere>, StoreError> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let doing = format!("claiming issued values for application {application}");
        // Inserted in one order (sorted, once each), so two claims of
        // overlapping values wait for each other instead of deadlocking.
        let mut sorted: Vec<(&str, &str)> = values
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        sorted.sort_unstable();
        sorted.dedup();
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db(&doing))?;
        let mut holders: BTreeMap<(&str, &str), String> = BTreeMap::new();
        for (key, value) in sorted {
            let inserted = execute(
                &tx,
                "INSERT INTO issued_values (key, value, application) VALUES ($1, $2, $3) ON CONFLICT (key, value) DO NOTHING",
                &[&key, &value, &application],
            )
            .await
            .map_err(db(&doing))?;
            if inserted == 1 {
                continue;
            }
            let holder: String = query_opt(
                &tx,
                "SELECT application FROM issued_values WHERE key = $1 AND value = $2",
                &[&key, &value],
            )
            .await
            .map_err(db(&doing))?
            .ok_or_else(|| {
                StoreError::Database(format!("{doing}: a value of {key} is taken, by no one"))
            })?
            .try_get(0)
            .map_err(db(&doing))?;
            if holder != application {
                holders.insert((key, value), holder);
            }
        }
        if !holders.is_empty() {
            // Dropping the transaction rolls back every value claimed.
            drop(tx);
            return Ok(values
                .iter()
                .filter_map(|(key, value)| {
                    let holder = holders.get(&(key.as_str(), value.as_str()))?;
                    Some(IssuedElsewhere {
                        key: key.clone(),
                        value: value.clone(),
                        holder: holder.clone(),
                    })
                })
                .collect());
        }
        tx.commit().await.map_err(db(&doing))?;
        Ok(Vec::new())
    }

    async fn issued_to(&self, key: &FieldKey, value: &str) -> Result<Option<String>, StoreError> {
        let doing = format!("reading who holds a value of {key}");
        let client = self.client().await?;
        query_opt(
            &client,
            "SELECT application FROM issued_values WHERE key = $1 AND value = $2",
            &[&key.as_str(), &value],
        )
        .await
        .map_err(db(&doing))?
        .map(|r| r.try_get(0))
        .transpose()
        .map_err(db(&doing))
    }
}
