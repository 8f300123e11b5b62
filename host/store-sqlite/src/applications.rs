//! Applications on SQLite: creates and appends go through the writer
//! (events serialised here, on the caller's task, with their audit
//! entries); reads on the reader connection. The state is the fold of the
//! `events` rows (the trait's own `state`); the `applications` row keeps
//! only what lists need.
//!
//! Not for the writer's statements themselves: see `writer`.

use async_trait::async_trait;
use onething_model::events::Event;
use onething_model::ids::{BundleId, Digest};
use onething_model::state::{AppState, AppStatus};
use onething_store::applications::{first_seq, parse_status, status_change};
use onething_store::{
    AppSummary, Applications, ClientKey, Created, EventRecord, StoreError, audit,
};
use rusqlite::{OptionalExtension, params};

use crate::writer::{AppendHeader, PreparedEvent, Write};
use crate::{SqliteStore, db};

/// A `limit` as SQLite takes it.
fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

#[async_trait]
impl Applications for SqliteStore {
    async fn create(
        &self,
        client_key: Option<&ClientKey>,
        state: &AppState,
        event: &Event,
        at_ms: i64,
    ) -> Result<Created, StoreError> {
        let client_key = client_key.map(|k| (k.key.clone(), k.request.to_string()));
        let prepared = PreparedEvent::of(event, at_ms)?;
        let stored = prepared.stored(&state.id, 1);
        let audit = audit::create_part(self.audit, &state.id, event, &stored);
        let event = prepared;
        let (id, bundle, status) = (
            state.id.clone(),
            state.bundle.to_string(),
            state.status.as_str(),
        );
        self.write(move |reply| Write::Create {
            client_key,
            id,
            bundle,
            status,
            event,
            audit,
            reply,
        })
        .await
    }

    async fn by_client_key(
        &self,
        key: &str,
    ) -> Result<Option<(String, Option<Digest>)>, StoreError> {
        self.read(|c| {
            c.prepare_cached("SELECT id, client_request FROM applications WHERE client_key = ?1")
                .and_then(|mut s| {
                    s.query_row(params![key], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
                    })
                    .optional()
                })
                .map_err(db)
                .map(|row| row.map(|(id, r)| (id, r.and_then(|r| Digest::parse(&r).ok()))))
        })
        .await
    }

    async fn append(
        &self,
        before: &AppState,
        after: &AppState,
        events: &[(Event, i64)],
    ) -> Result<(), StoreError> {
        let header = AppendHeader {
            id: after.id.clone(),
            first_seq: first_seq(after, events.len())?,
            status: status_change(before, after),
            updated_ms: events.last().map_or(0, |(_, at)| *at),
        };
        let prepared = events
            .iter()
            .map(|(e, at)| PreparedEvent::of(e, *at))
            .collect::<Result<Vec<_>, _>>()?;
        let stored: Vec<_> = prepared
            .iter()
            .enumerate()
            .map(|(i, p)| p.stored(&after.id, header.first_seq + i as u64))
            .collect();
        let audit = audit::append_part(self.audit, &after.id, events, &stored);
        let events = prepared;
        self.write(move |reply| Write::Append {
            header,
            events,
            audit,
            reply,
        })
        .await
    }

    async fn events(&self, id: &str, after_seq: u64) -> Result<Vec<EventRecord>, StoreError> {
        let after = i64::try_from(after_seq).unwrap_or(i64::MAX);
        self.read(|c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT seq, at_ms, body FROM events WHERE application = ?1 AND seq > ?2 ORDER BY seq",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map(params![id, after], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })
                .map_err(db)?;
            let mut out = Vec::new();
            for row in rows {
                let (seq, at_ms, body) = row.map_err(db)?;
                let event = serde_json::from_str(&body).map_err(|e| StoreError::Corrupt {
                    application: id.to_owned(),
                    message: format!("event {seq}: {e}"),
                })?;
                out.push(EventRecord {
                    seq: seq as u64,
                    at_ms,
                    event,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn unfinished(&self) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id FROM applications WHERE status = 'running' ORDER BY submitted_ms, rowid",
                )
                .map_err(db)?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(db)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db)
        })
        .await
    }

    async fn list(
        &self,
        status: Option<AppStatus>,
        overdue_only: bool,
        limit: usize,
    ) -> Result<Vec<AppSummary>, StoreError> {
        self.read(|c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id, bundle, status, overdue, submitted_ms FROM applications \
                     WHERE (?1 IS NULL OR status = ?1) AND (?2 = 0 OR overdue = 1) ORDER BY submitted_ms, rowid LIMIT ?3",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map(
                    params![status.map(AppStatus::as_str), overdue_only, sql_limit(limit)],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, bool>(3)?,
                            r.get::<_, i64>(4)?,
                        ))
                    },
                )
                .map_err(db)?;
            let mut out = Vec::new();
            for row in rows {
                let (id, bundle, status, overdue, submitted_ms) = row.map_err(db)?;
                let bundle = BundleId::parse(&bundle).map_err(|e| StoreError::Corrupt {
                    application: id.clone(),
                    message: e.to_string(),
                })?;
                out.push(AppSummary {
                    id,
                    bundle,
                    status: parse_status(&status),
                    overdue,
                    submitted_ms,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn counts(&self) -> Result<Vec<(AppStatus, u64)>, StoreError> {
        self.read(|c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT status, COUNT(*) FROM applications GROUP BY status ORDER BY status",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        parse_status(&r.get::<_, String>(0)?),
                        r.get::<_, i64>(1)? as u64,
                    ))
                })
                .map_err(db)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db)
        })
        .await
    }
}
