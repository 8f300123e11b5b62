//! Leases on SQLite: two columns of the application's row,
//! `lease_host` and `lease_until_ms` (schema version 4), both NULL when
//! the application has no lease. Every claim, renewal and release goes
//! through the writer, so each is one transaction and none can interleave
//! with another; expiry is judged by the system clock, read on the writer
//! thread as the write runs (one host, one clock). Nothing of a lease is
//! sealed into the audit chain.
//!
//! Not for deciding when to claim or renew: the engine does.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use onething_store::StoreError;
use onething_store::leases::{self, Lease, LeaseInfo, Leases};
use rusqlite::{Connection, OptionalExtension, params};

use crate::writer::{RunFn, Write, exec};
use crate::{SqliteStore, db};

/// A `limit` as SQLite takes it.
fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

impl SqliteStore {
    /// Run `f` on the writer, in its group's transaction, and hand back
    /// what it made. It may run twice (the writer replays a group with a
    /// refused write), so each run starts from nothing.
    async fn run_write<T: Send + 'static>(
        &self,
        f: impl Fn(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let made: Arc<Mutex<Option<T>>> = Arc::default();
        let out = made.clone();
        let run: RunFn = Box::new(move |conn| {
            let value = f(conn)?;
            if let Ok(mut o) = out.lock() {
                *o = Some(value);
            }
            Ok(Vec::new())
        });
        self.write(move |reply| Write::Run {
            run,
            audit: None,
            reply,
        })
        .await?;
        let value = made
            .lock()
            .map_err(|_| StoreError::Database("a lease's result poisoned by a panic".into()))?
            .take();
        value.ok_or_else(|| {
            StoreError::Database("the writer ran a lease write without result".into())
        })
    }
}

#[async_trait]
impl Leases for SqliteStore {
    async fn claim_lease(
        &self,
        application: &str,
        host: &str,
        ttl: Duration,
    ) -> Result<Lease, StoreError> {
        leases::check_host(host)?;
        let (application, host, ttl) =
            (application.to_owned(), host.to_owned(), leases::ttl_ms(ttl));
        self.run_write(move |conn| {
            let now = leases::system_now_ms();
            let until = now + ttl;
            let claimed = exec(
                conn,
                "UPDATE applications SET lease_host = ?2, lease_until_ms = ?3 \
                 WHERE id = ?1 AND (lease_host IS NULL OR lease_host = ?2 OR lease_until_ms <= ?4)",
                params![application, host, until, now],
            )
            .map_err(db)?;
            if claimed == 1 {
                return Ok(Lease::Held { expires_ms: until });
            }
            let holder: Option<(Option<String>, Option<i64>)> = conn
                .prepare_cached("SELECT lease_host, lease_until_ms FROM applications WHERE id = ?1")
                .and_then(|mut s| {
                    s.query_row(params![application], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()
                })
                .map_err(db)?;
            match holder {
                None => Err(StoreError::Database(format!(
                    "no application {application} to lease"
                ))),
                Some((host, until)) => Ok(Lease::Elsewhere {
                    host: host.unwrap_or_default(),
                    expires_ms: until.unwrap_or_default(),
                }),
            }
        })
        .await
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
        let (asked, host, ttl) = (applications.to_vec(), host.to_owned(), leases::ttl_ms(ttl));
        self.run_write(move |conn| {
            let until = leases::system_now_ms() + ttl;
            let mut renewed = HashSet::new();
            for id in &asked {
                let n = exec(
                    conn,
                    "UPDATE applications SET lease_until_ms = ?3 WHERE id = ?1 AND lease_host = ?2",
                    params![id, host, until],
                )
                .map_err(db)?;
                if n == 1 {
                    renewed.insert(id.as_str());
                }
            }
            Ok(leases::lost(&asked, |a| renewed.contains(a)))
        })
        .await
    }

    async fn release_lease(&self, application: &str, host: &str) -> Result<(), StoreError> {
        let (application, host) = (application.to_owned(), host.to_owned());
        self.run_write(move |conn| {
            exec(
                conn,
                "UPDATE applications SET lease_host = NULL, lease_until_ms = NULL \
                 WHERE id = ?1 AND lease_host = ?2",
                params![application, host],
            )
            .map(|_| ())
            .map_err(db)
        })
        .await
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
        let (host, ttl) = (host.to_owned(), leases::ttl_ms(ttl));
        self.run_write(move |conn| {
            let now = leases::system_now_ms();
            let ids: Vec<String> = {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT id FROM applications WHERE status = 'running' \
                         AND (lease_host IS NULL OR lease_until_ms <= ?1) \
                         ORDER BY submitted_ms, rowid LIMIT ?2",
                    )
                    .map_err(db)?;
                let rows = stmt
                    .query_map(params![now, sql_limit(limit)], |r| r.get(0))
                    .map_err(db)?;
                rows.collect::<Result<_, _>>().map_err(db)?
            };
            for id in &ids {
                exec(
                    conn,
                    "UPDATE applications SET lease_host = ?2, lease_until_ms = ?3 WHERE id = ?1",
                    params![id, host, now + ttl],
                )
                .map_err(db)?;
            }
            Ok(ids)
        })
        .await
    }

    async fn leases(&self) -> Result<Vec<LeaseInfo>, StoreError> {
        let now = leases::system_now_ms();
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id, lease_host, lease_until_ms FROM applications \
                     WHERE lease_host IS NOT NULL ORDER BY id",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map([], |r| {
                    let expires_ms: i64 = r.get::<_, Option<i64>>(2)?.unwrap_or_default();
                    Ok(LeaseInfo {
                        application: r.get(0)?,
                        host: r.get(1)?,
                        expires_ms,
                        expired: expires_ms <= now,
                    })
                })
                .map_err(db)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db)
        })
        .await
    }
}
