//! Leases in PostgreSQL: `lease_host` and `lease_until_ms` on the
//! application's row (schema version 2), NULL when it has none. Every
//! expiry is the database's clock (`now()`, in ms since the epoch), in
//! the statement that reads or writes it: the hosts' own clocks are never
//! compared with it, so they may differ.
//!
//! Correct with many hosts, each statement on its own (autocommit):
//!
//! - A claim is one `UPDATE … WHERE` the lease is free, expired or the
//!   claimer's own; PostgreSQL re-checks that condition on the newest row
//!   once any concurrent claim has committed, so of two hosts claiming at
//!   once one gets it and the other reads who holds it.
//! - Orphans are claimed by one statement that selects the running
//!   applications without a live lease, oldest first, `FOR NO KEY UPDATE
//!   SKIP LOCKED`, and updates those it locked: hosts claiming at once
//!   skip each other's rows instead of waiting for them, and a row
//!   claimed and committed meanwhile is re-checked and left out, so no
//!   application is claimed twice. `NO KEY UPDATE` is the `FOR UPDATE`
//!   family's strength that the update takes anyway: unlike `FOR UPDATE`
//!   it does not block the foreign-key checks of events being inserted
//!   for the application.
//! - A renewal locks the host's rows in id order (`ORDER BY id FOR NO
//!   KEY UPDATE`), so two renewals over the same rows wait for each other
//!   instead of deadlocking, and extends only those still its own.
//!
//! Every statement here holds one application row at a time, or several
//! in one order, and nothing else: with the appends (the row, then the
//! audit chain's head) they cannot deadlock. Nothing of a lease is sealed
//! into the audit chain. Not for deciding when to claim or renew: the
//! engine does.

use std::time::Duration;

use async_trait::async_trait;
use onething_store::StoreError;
use onething_store::leases::{self, Lease, LeaseInfo, Leases};

use crate::PostgresStore;
use crate::error::db;
use crate::sql::{execute, query, query_opt};

/// How many times a claim is tried when the lease changes hands between
/// its update and its read (released, or expired, in between).
const CLAIM_TRIES: usize = 3;

/// A `limit` as PostgreSQL takes it.
fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

#[async_trait]
impl Leases for PostgresStore {
    async fn claim_lease(
        &self,
        application: &str,
        host: &str,
        ttl: Duration,
    ) -> Result<Lease, StoreError> {
        leases::check_host(host)?;
        let ttl = leases::ttl_ms(ttl);
        let doing = format!("claiming the lease of application {application}");
        let client = self.client().await?;
        for _ in 0..CLAIM_TRIES {
            let claimed = query_opt(
                &client,
                "WITH clock AS (SELECT (extract(epoch FROM now()) * 1000)::bigint AS ms) \
                 UPDATE applications SET lease_host = $2, lease_until_ms = clock.ms + $3 FROM clock \
                 WHERE id = $1 AND (lease_host IS NULL OR lease_host = $2 OR lease_until_ms <= clock.ms) \
                 RETURNING lease_until_ms",
                &[&application, &host, &ttl],
            )
            .await
            .map_err(db(&doing))?;
            if let Some(row) = claimed {
                return Ok(Lease::Held {
                    expires_ms: row.try_get(0).map_err(db(&doing))?,
                });
            }
            let holder = query_opt(
                &client,
                "SELECT lease_host, lease_until_ms, lease_until_ms <= (extract(epoch FROM now()) * 1000)::bigint \
                 FROM applications WHERE id = $1",
                &[&application],
            )
            .await
            .map_err(db(&doing))?
            .ok_or_else(|| StoreError::Database(format!("no application {application} to lease")))?;
            let host_now: Option<String> = holder.try_get(0).map_err(db(&doing))?;
            let until: Option<i64> = holder.try_get(1).map_err(db(&doing))?;
            let expired: Option<bool> = holder.try_get(2).map_err(db(&doing))?;
            match (host_now, until, expired) {
                (Some(other), Some(expires_ms), Some(false)) if other != host => {
                    return Ok(Lease::Elsewhere {
                        host: other,
                        expires_ms,
                    });
                }
                // Released or run out since the update: try again.
                _ => continue,
            }
        }
        Err(StoreError::Database(format!(
            "{doing}: it changed hands {CLAIM_TRIES} times while being claimed"
        )))
    }

    async fn renew_leases(
        &self,
        host: &str,
        applications: &[String],
        ttl: Duration,
    ) -> Result<Vec<String>, StoreError> {
        leases::check_host(host)?;
        if applications.is_empty() {
            return Ok(Vec::new());
        }
        let ttl = leases::ttl_ms(ttl);
        let doing = format!("renewing the leases of host {host}");
        let client = self.client().await?;
        let rows = query(
            &client,
            "WITH mine AS ( \
                 SELECT id FROM applications WHERE id = ANY($2) AND lease_host = $1 \
                 ORDER BY id FOR NO KEY UPDATE) \
             UPDATE applications a \
             SET lease_until_ms = (extract(epoch FROM now()) * 1000)::bigint + $3 \
             FROM mine WHERE a.id = mine.id AND a.lease_host = $1 \
             RETURNING a.id",
            &[&host, &applications, &ttl],
        )
        .await
        .map_err(db(&doing))?;
        let renewed = rows
            .iter()
            .map(|r| r.try_get::<_, String>(0))
            .collect::<Result<std::collections::HashSet<_>, _>>()
            .map_err(db(&doing))?;
        Ok(leases::lost(applications, |a| renewed.contains(a)))
    }

    async fn release_lease(&self, application: &str, host: &str) -> Result<(), StoreError> {
        let doing = format!("releasing the lease of application {application}");
        let client = self.client().await?;
        execute(
            &client,
            "UPDATE applications SET lease_host = NULL, lease_until_ms = NULL \
             WHERE id = $1 AND lease_host = $2",
            &[&application, &host],
        )
        .await
        .map(|_| ())
        .map_err(db(&doing))
    }

    async fn claim_orphans(
        &self,
        host: &str,
        ttl: Duration,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        leases::check_host(host)?;
        if limit == 0 {
            return Ok(Vec::new());
        }
        let ttl = leases::ttl_ms(ttl);
        let doing = format!("claiming orphaned applications for host {host}");
        let client = self.client().await?;
        let rows = query(
            &client,
            "WITH clock AS (SELECT (extract(epoch FROM now()) * 1000)::bigint AS ms), \
             free AS ( \
                 SELECT id FROM applications, clock \
                 WHERE status = 'running' AND (lease_host IS NULL OR lease_until_ms <= clock.ms) \
                 ORDER BY submitted_ms, ord LIMIT $3 \
                 FOR NO KEY UPDATE OF applications SKIP LOCKED) \
             UPDATE applications a SET lease_host = $1, lease_until_ms = clock.ms + $2 \
             FROM free, clock WHERE a.id = free.id \
             RETURNING a.id, a.submitted_ms, a.ord",
            &[&host, &ttl, &sql_limit(limit)],
        )
        .await
        .map_err(db(&doing))?;
        let mut claimed = rows
            .iter()
            .map(|r| {
                Ok::<_, tokio_postgres::Error>((
                    r.try_get::<_, i64>(1)?,
                    r.try_get::<_, i64>(2)?,
                    r.try_get::<_, String>(0)?,
                ))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(db(&doing))?;
        // RETURNING keeps no order: oldest submission first again.
        claimed.sort_unstable();
        Ok(claimed.into_iter().map(|(_, _, id)| id).collect())
    }

    async fn leases(&self) -> Result<Vec<LeaseInfo>, StoreError> {
        let doing = "listing the leases";
        let client = self.client().await?;
        let rows = query(
            &client,
            "SELECT id, lease_host, lease_until_ms, \
                    lease_until_ms <= (extract(epoch FROM now()) * 1000)::bigint \
             FROM applications WHERE lease_host IS NOT NULL ORDER BY id COLLATE \"C\"",
            &[],
        )
        .await
        .map_err(db(doing))?;
        rows.iter()
            .map(|r| {
                Ok(LeaseInfo {
                    application: r.try_get(0)?,
                    host: r.try_get(1)?,
                    expires_ms: r.try_get(2)?,
                    expired: r.try_get(3)?,
                })
            })
            .collect::<Result<_, tokio_postgres::Error>>()
            .map_err(db(doing))
    }
}
