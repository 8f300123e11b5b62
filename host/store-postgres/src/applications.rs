//! Applications in PostgreSQL: the `applications` row (what lists need,
//! the client key, and `last_seq`, which orders appends) and the
//! `events` rows, written in one transaction with the audit record that
//! seals them. The state is the fold of the events (the trait's own
//! `state`).
//!
//! Correct with many hosts: a client key is UNIQUE and taken with `ON
//! CONFLICT DO NOTHING`; an append moves `last_seq` only from the seq it
//! was made after (locking the row until it commits), and the partial
//! unique index `events_one_approval` refuses a second approval.
//!
//! Not for deciding what an application does next: the engine does.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use onething_model::events::Event;
use onething_model::ids::{BundleId, Digest, StepRef};
use onething_model::state::{AppState, AppStatus};
use onething_store::applications::{first_seq, parse_status, status_change};
use onething_store::audit::StoredEvent;
use onething_store::{
    AppSummary, Applications, ClientKey, Created, EventRecord, StoreError, audit,
};

use crate::PostgresStore;
use crate::error::{db, violates};
use crate::sql::{execute, query, query_opt, signed, unsigned};

/// An event serialised as stored (its body is what the chain seals).
struct Prepared {
    kind: &'static str,
    step: Option<String>,
    body: String,
    at_ms: i64,
}

impl Prepared {
    fn of(event: &Event, at_ms: i64) -> Result<Self, StoreError> {
        Ok(Self {
            kind: event.kind(),
            step: event.step().map(ToString::to_string),
            body: serde_json::to_string(event)
                .map_err(|e| StoreError::Database(format!("serialising an event: {e}")))?,
            at_ms,
        })
    }

    fn stored(&self, application: &str, seq: u64) -> StoredEvent {
        StoredEvent {
            application: application.to_owned(),
            seq,
            at_ms: self.at_ms,
            body: self.body.clone(),
        }
    }
}

/// Insert one event; a second approval of its step is
/// [`StoreError::AlreadyApproved`].
async fn insert_event(
    tx: &impl GenericClient,
    application: &str,
    seq: u64,
    event: &Prepared,
) -> Result<(), StoreError> {
    let r = execute(
        tx,
        "INSERT INTO events (application, seq, at_ms, kind, step, body) VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &application,
            &signed(seq),
            &event.at_ms,
            &event.kind,
            &event.step,
            &event.body,
        ],
    )
    .await;
    match r {
        Ok(_) => Ok(()),
        Err(e) if violates(&e, "events_one_approval") => {
            match event.step.as_deref().and_then(|s| StepRef::parse(s).ok()) {
                Some(step) => Err(StoreError::AlreadyApproved {
                    application: application.to_owned(),
                    step,
                }),
                None => Err(StoreError::Database(format!(
                    "application {application}: a second approval of an unnamed step"
                ))),
            }
        }
        Err(e) => Err(db(&format!(
            "storing event {seq} of application {application}"
        ))(e)),
    }
}

/// A `limit` as PostgreSQL takes it.
fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

#[async_trait]
impl Applications for PostgresStore {
    async fn create(
        &self,
        client_key: Option<&ClientKey>,
        state: &AppState,
        event: &Event,
        at_ms: i64,
    ) -> Result<Created, StoreError> {
        let id = state.id.as_str();
        let prepared = Prepared::of(event, at_ms)?;
        let part = audit::create_part(self.audit, id, event, &prepared.stored(id, 1));
        let (key, request) = match client_key {
            Some(k) => (Some(k.key.as_str()), Some(k.request.to_string())),
            None => (None, None),
        };
        let doing = format!("storing application {id}");
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db(&doing))?;
        let inserted = execute(
            &tx,
            "INSERT INTO applications (id, bundle, status, overdue, client_key, client_request, submitted_ms, updated_ms, last_seq) \
             VALUES ($1, $2, $3, FALSE, $4, $5, $6, $6, 1) ON CONFLICT (client_key) DO NOTHING",
            &[
                &id,
                &state.bundle.as_str(),
                &state.status.as_str(),
                &key,
                &request,
                &at_ms,
            ],
        )
        .await
        .map_err(|e| {
            if violates(&e, "applications_pkey") {
                StoreError::Database(format!("application {id} is already stored"))
            } else {
                db(&doing)(e)
            }
        })?;
        if inserted == 0 {
            // The key is taken (by any host; a concurrent insert was
            // waited for): name its application, storing nothing.
            let existing = query_opt(
                &tx,
                "SELECT id, client_request FROM applications WHERE client_key = $1",
                &[&key],
            )
            .await
            .map_err(db(&doing))?
            .ok_or_else(|| {
                StoreError::Database(format!(
                    "{doing}: its client key is taken, but by no stored application"
                ))
            })?;
            let id: String = existing.try_get(0).map_err(db(&doing))?;
            let request: Option<String> = existing.try_get(1).map_err(db(&doing))?;
            return Ok(Created::Existing {
                id,
                request: request.and_then(|r| Digest::parse(&r).ok()),
            });
        }
        insert_event(&tx, id, 1, &prepared).await?;
        self.seal_and_commit(tx, part.as_deref()).await?;
        Ok(Created::New)
    }

    async fn by_client_key(
        &self,
        key: &str,
    ) -> Result<Option<(String, Option<Digest>)>, StoreError> {
        let doing = "reading a client key";
        let client = self.client().await?;
        let row = query_opt(
            &client,
            "SELECT id, client_request FROM applications WHERE client_key = $1",
            &[&key],
        )
        .await
        .map_err(db(doing))?;
        row.map(|r| {
            let id: String = r.try_get(0)?;
            let request: Option<String> = r.try_get(1)?;
            Ok((id, request.and_then(|r| Digest::parse(&r).ok())))
        })
        .transpose()
        .map_err(db(doing))
    }

    async fn append(
        &self,
        before: &AppState,
        after: &AppState,
        events: &[(Event, i64)],
    ) -> Result<(), StoreError> {
        let id = after.id.as_str();
        let first = first_seq(after, events.len())?;
        let status = status_change(before, after);
        let prepared = events
            .iter()
            .map(|(e, at)| Prepared::of(e, *at))
            .collect::<Result<Vec<_>, _>>()?;
        let stored: Vec<StoredEvent> = prepared
            .iter()
            .zip(first..)
            .map(|(p, seq)| p.stored(id, seq))
            .collect();
        let part = audit::append_part(self.audit, id, events, &stored);
        // first_seq is at least 2, so both stay positive.
        let (after_seq, last_seq) = (first - 1, first - 1 + events.len() as u64);
        let updated_ms = events.last().map_or(0, |(_, at)| *at);
        let doing = format!("appending to application {id}");
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db(&doing))?;
        // Moving last_seq from the seq this append was made after locks
        // the row until commit: an append from a stale state (another
        // host got there first) changes nothing and is refused.
        let moved = execute(
            &tx,
            "UPDATE applications SET last_seq = $2, updated_ms = $3, \
             status = COALESCE($4, status), overdue = COALESCE($5, overdue) \
             WHERE id = $1 AND last_seq = $6",
            &[
                &id,
                &signed(last_seq),
                &updated_ms,
                &status.map(|(s, _)| s.as_str()),
                &status.map(|(_, overdue)| overdue),
                &signed(after_seq),
            ],
        )
        .await
        .map_err(db(&doing))?;
        if moved == 0 {
            let stored = query_opt(
                &tx,
                "SELECT last_seq FROM applications WHERE id = $1",
                &[&id],
            )
            .await
            .map_err(db(&doing))?;
            return Err(match stored {
                None => StoreError::Database(format!("no application {id} to append to")),
                Some(row) => {
                    let stored: i64 = row.try_get(0).map_err(db(&doing))?;
                    StoreError::Database(format!(
                        "application {id}: events from seq {first} appended after {stored}"
                    ))
                }
            });
        }
        for (event, seq) in prepared.iter().zip(first..) {
            insert_event(&tx, id, seq, event).await?;
        }
        self.seal_and_commit(tx, part.as_deref()).await
    }

    async fn events(&self, id: &str, after_seq: u64) -> Result<Vec<EventRecord>, StoreError> {
        let doing = format!("reading the events of application {id}");
        let client = self.client().await?;
        let rows = query(
            &client,
            "SELECT seq, at_ms, body FROM events WHERE application = $1 AND seq > $2 ORDER BY seq",
            &[&id, &signed(after_seq)],
        )
        .await
        .map_err(db(&doing))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let seq: i64 = row.try_get(0).map_err(db(&doing))?;
            let at_ms: i64 = row.try_get(1).map_err(db(&doing))?;
            let body: &str = row.try_get(2).map_err(db(&doing))?;
            let event = serde_json::from_str(body).map_err(|e| StoreError::Corrupt {
                application: id.to_owned(),
                message: format!("event {seq}: {e}"),
            })?;
            out.push(EventRecord {
                seq: unsigned(seq),
                at_ms,
                event,
            });
        }
        Ok(out)
    }

    async fn unfinished(&self) -> Result<Vec<String>, StoreError> {
        let doing = "listing unfinished applications";
        let client = self.client().await?;
        query(
            &client,
            "SELECT id FROM applications WHERE status = 'running' ORDER BY submitted_ms, ord",
            &[],
        )
        .await
        .and_then(|rows| rows.iter().map(|r| r.try_get(0)).collect())
        .map_err(db(doing))
    }

    async fn list(
        &self,
        status: Option<AppStatus>,
        overdue_only: bool,
        limit: usize,
    ) -> Result<Vec<AppSummary>, StoreError> {
        let doing = "listing applications";
        let client = self.client().await?;
        let rows = query(
            &client,
            "SELECT id, bundle, status, overdue, submitted_ms FROM applications \
             WHERE ($1::text IS NULL OR status = $1) AND (NOT $2 OR overdue) \
             ORDER BY submitted_ms, ord LIMIT $3",
            &[
                &status.map(AppStatus::as_str),
                &overdue_only,
                &sql_limit(limit),
            ],
        )
        .await
        .map_err(db(doing))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.try_get(0).map_err(db(doing))?;
            let bundle: &str = row.try_get(1).map_err(db(doing))?;
            let status: &str = row.try_get(2).map_err(db(doing))?;
            let bundle = BundleId::parse(bundle).map_err(|e| StoreError::Corrupt {
                application: id.clone(),
                message: e.to_string(),
            })?;
            out.push(AppSummary {
                bundle,
                status: parse_status(status),
                overdue: row.try_get(3).map_err(db(doing))?,
                submitted_ms: row.try_get(4).map_err(db(doing))?,
                id,
            });
        }
        Ok(out)
    }

    async fn counts(&self) -> Result<Vec<(AppStatus, u64)>, StoreError> {
        let doing = "counting applications";
        let client = self.client().await?;
        // Ordered by the stored name byte by byte (COLLATE "C"), as the
        // other backends order it, whatever the database's collation.
        query(
            &client,
            "SELECT status, COUNT(*) FROM applications GROUP BY status ORDER BY status COLLATE \"C\"",
            &[],
        )
        .await
        .and_then(|rows| {
            rows.iter()
                .map(|r| {
                    Ok((
                        parse_status(r.try_get::<_, &str>(0)?),
                        unsigned(r.try_get(1)?),
                    ))
                })
                .collect()
        })
        .map_err(db(doing))
    }
}
