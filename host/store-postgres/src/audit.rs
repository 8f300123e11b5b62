//! The audit log in PostgreSQL: the `audit` table (one row per sealed
//! record) and the one-row `audit_head` (the chain's head, which is also
//! its checkpoint). Sealing happens in each write's own transaction
//! ([`crate::PostgresStore::seal_and_commit`]) with the head row locked,
//! so however many hosts append there is one chain. Here: locking and
//! reading the head, storing a record, and the [`AuditLog`] answers.
//!
//! Verification reads the records, the events and the applications in
//! one REPEATABLE READ snapshot, a page at a time through portals, so a
//! long log is never all in memory and hosts writing meanwhile do not
//! change what is checked.
//!
//! Not for making entries, digests or seals: `onething_store::audit`.

use std::collections::VecDeque;

use async_trait::async_trait;
use deadpool_postgres::{GenericClient, Object};
use onething_model::audit::Entry;
use onething_store::StoreError;
use onething_store::audit::{
    self, AuditLog, Broken, Chain, Record, StoredEvent, Verified, VerifyOptions,
};
use tokio::runtime::Handle;
use tokio_postgres::{IsolationLevel, Row};

use crate::PostgresStore;
use crate::error::db;
use crate::sql::{execute, query, query_opt, signed, unsigned};

/// Rows read per page when verifying or searching the log.
const PAGE: i32 = 10_000;

/// The head as a row reads (`seq, digest, signature`).
fn head_of(row: &Row) -> Result<Chain, tokio_postgres::Error> {
    Ok(Chain {
        seq: unsigned(row.try_get(0)?),
        digest: row.try_get(1)?,
        signature: row.try_get(2)?,
    })
}

/// Lock the chain's head row until the caller's transaction ends, and
/// read it: the head every record sealed in this transaction follows.
pub(crate) async fn lock_head(tx: &impl GenericClient) -> Result<Chain, StoreError> {
    let row = query_opt(
        tx,
        "SELECT seq, digest, signature FROM audit_head WHERE id = 1 FOR UPDATE",
        &[],
    )
    .await
    .map_err(db("locking the audit chain's head"))?
    .ok_or_else(|| {
        StoreError::Database("the audit chain's head row is missing (audit_head)".into())
    })?;
    head_of(&row).map_err(db("reading the audit chain's head"))
}

/// The checkpoint, if any record was ever sealed.
async fn checkpoint(c: &impl GenericClient) -> Result<Option<Chain>, StoreError> {
    let row = query_opt(
        c,
        "SELECT seq, digest, signature FROM audit_head WHERE id = 1",
        &[],
    )
    .await
    .map_err(db("reading the audit checkpoint"))?;
    let head = row
        .as_ref()
        .map(head_of)
        .transpose()
        .map_err(db("reading the audit checkpoint"))?;
    // Seq 0 is the head before the first record: no checkpoint yet.
    Ok(head.filter(|h| h.seq > 0))
}

/// Store a sealed record and move the head to `head`, in the caller's
/// transaction (which holds the head's lock).
pub(crate) async fn store_record(
    tx: &impl GenericClient,
    record: &Record,
    head: &Chain,
) -> Result<(), StoreError> {
    execute(
        tx,
        "INSERT INTO audit (seq, at_ms, body, prev, digest) VALUES ($1, $2, $3, $4, $5)",
        &[
            &signed(record.seq),
            &record.at_ms,
            &record.body,
            &record.prev,
            &record.digest,
        ],
    )
    .await
    .map_err(db("storing an audit record"))?;
    execute(
        tx,
        "UPDATE audit_head SET seq = $1, digest = $2, signature = $3 WHERE id = 1",
        &[&signed(head.seq), &head.digest, &head.signature],
    )
    .await
    .map_err(db("moving the audit chain's head"))?;
    Ok(())
}

/// A record as a row reads (`seq, at_ms, body, prev, digest`).
fn record_of(row: &Row) -> Result<Record, tokio_postgres::Error> {
    Ok(Record {
        seq: unsigned(row.try_get(0)?),
        at_ms: row.try_get(1)?,
        body: row.try_get(2)?,
        prev: row.try_get(3)?,
        digest: row.try_get(4)?,
    })
}

/// An event as a row reads (`application, seq, at_ms, body`).
fn event_of(row: &Row) -> Result<StoredEvent, tokio_postgres::Error> {
    Ok(StoredEvent {
        application: row.try_get(0)?,
        seq: unsigned(row.try_get(1)?),
        at_ms: row.try_get(2)?,
        body: row.try_get(3)?,
    })
}

/// Rows of a query, a page at a time through a portal, as a plain
/// iterator for the (synchronous) verifiers: each page is fetched with
/// `handle.block_on`, so this runs on a blocking thread. A failure ends
/// the rows and is kept in `failure`.
fn paged<'a, T: 'a>(
    handle: &'a Handle,
    tx: &'a tokio_postgres::Transaction<'a>,
    portal: tokio_postgres::Portal,
    read: fn(&Row) -> Result<T, tokio_postgres::Error>,
    failure: &'a mut Option<tokio_postgres::Error>,
) -> impl Iterator<Item = T> + 'a {
    let mut buffer: VecDeque<T> = VecDeque::new();
    let mut done = false;
    std::iter::from_fn(move || {
        if buffer.is_empty() && !done {
            let page = handle
                .block_on(tx.query_portal(&portal, PAGE))
                .and_then(|rows| {
                    done = rows.len() < PAGE as usize;
                    rows.iter().map(read).collect::<Result<Vec<T>, _>>()
                });
            match page {
                Ok(page) => buffer.extend(page),
                Err(e) => {
                    done = true;
                    *failure = Some(e);
                }
            }
        }
        buffer.pop_front()
    })
}

/// Check the chain against its head, and every stored event against
/// the chain's seals, in one snapshot. Runs on a blocking thread.
fn verify_blocking(
    handle: &Handle,
    mut client: Object,
    options: &VerifyOptions,
) -> Result<Result<Verified, Broken>, StoreError> {
    let doing = "verifying the audit log";
    let tx = handle
        .block_on(
            client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start(),
        )
        .map_err(db(doing))?;
    let checkpoint = handle.block_on(checkpoint(&tx))?;
    let portal = |sql: &'static str| {
        handle
            .block_on(async { tx.bind(sql, &[]).await })
            .map_err(db(doing))
    };
    let mut failure = None;
    let records = portal("SELECT seq, at_ms, body, prev, digest FROM audit ORDER BY seq")?;
    let result = audit::verify(
        paged(handle, &tx, records, record_of, &mut failure),
        checkpoint.as_ref(),
        options,
    );
    if let Some(e) = failure {
        return Err(db(doing)(e));
    }
    let (mut verified, seals) = match result {
        Ok(v) => v,
        Err(broken) => return Ok(Err(broken)),
    };
    let events = portal("SELECT application, seq, at_ms, body FROM events")?;
    let applications: Vec<String> = handle
        .block_on(tx.query("SELECT id FROM applications", &[]))
        .map_err(db(doing))?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()
        .map_err(db(doing))?;
    let checked = audit::verify_events(
        &seals,
        paged(handle, &tx, events, event_of, &mut failure),
        applications,
    );
    if let Some(e) = failure {
        return Err(db(doing)(e));
    }
    Ok(checked.map(|n| {
        verified.events = n;
        verified
    }))
}

#[async_trait]
impl AuditLog for PostgresStore {
    async fn verify_audit(
        &self,
        options: &VerifyOptions,
    ) -> Result<Result<Verified, Broken>, StoreError> {
        let options = options.or_key(self.verifying);
        let client = self.client().await?;
        if !self.audit {
            // Nothing was sealed, so there is nothing to check the events
            // against: only that no checkpoint says otherwise.
            let cp = checkpoint(&client).await?;
            return Ok(audit::verify(Vec::new(), cp.as_ref(), &options).map(|(v, _)| v));
        }
        let handle = Handle::current();
        tokio::task::spawn_blocking(move || verify_blocking(&handle, client, &options))
            .await
            .map_err(|e| StoreError::Database(format!("verifying the audit log: {e}")))?
    }

    async fn audit_checkpoint(&self) -> Result<Option<Chain>, StoreError> {
        let client = self.client().await?;
        checkpoint(&client).await
    }

    async fn audit_records(&self, after_seq: u64, limit: usize) -> Result<Vec<Record>, StoreError> {
        let client = self.client().await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        query(
            &client,
            "SELECT seq, at_ms, body, prev, digest FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[&signed(after_seq), &limit],
        )
        .await
        .and_then(|rows| rows.iter().map(record_of).collect())
        .map_err(db("reading audit records"))
    }

    async fn record_entries(&self, entries: &[Entry]) -> Result<(), StoreError> {
        let part = audit::entries_part(self.audit, entries);
        if part.is_none() {
            return Ok(());
        }
        let mut client = self.client().await?;
        let tx = client
            .transaction()
            .await
            .map_err(db("recording audit entries"))?;
        self.seal_and_commit(tx, part.as_deref()).await
    }

    async fn entries_of(&self, application: &str) -> Result<Vec<(i64, Entry)>, StoreError> {
        // The chain has no index by application (its records are sealed
        // bytes): read it a page at a time, keeping what names this one.
        let client = self.client().await?;
        let mut out = Vec::new();
        let mut after = 0i64;
        loop {
            let page: Vec<Record> = query(
                &client,
                "SELECT seq, at_ms, body, prev, digest FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2",
                &[&after, &i64::from(PAGE)],
            )
            .await
            .and_then(|rows| rows.iter().map(record_of).collect())
            .map_err(db("reading audit records"))?;
            let Some(last) = page.last() else { break };
            after = signed(last.seq);
            out.extend(audit::entries_about(page.iter(), application)?);
            if page.len() < PAGE as usize {
                break;
            }
        }
        Ok(out)
    }
}
