//! PostgreSQL's errors as the store reports them: what was being done,
//! then what the server (or the connection) said, with the SQLSTATE and
//! any detail. tokio-postgres prints only its error's kind ("db error")
//! by itself, so the message, detail and causes are gathered here.
//!
//! Not for telling refusals apart (a second approval, a taken key): the
//! modules that expect them check [`violates`] and answer with their own
//! errors.

use std::error::Error as _;

use deadpool_postgres::PoolError;
use onething_store::StoreError;
use tokio_postgres::error::SqlState;

/// The whole of a driver error: the server's message, code and detail,
/// or the kind and every cause.
pub(crate) fn message(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut out = format!("{} {}: {}", db.severity(), db.code().code(), db.message());
        if let Some(detail) = db.detail() {
            out.push_str(&format!(" ({detail})"));
        }
        return out;
    }
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(&format!(": {c}"));
        cause = c.source();
    }
    out
}

/// A driver error while `doing` something.
pub(crate) fn db(doing: &str) -> impl FnOnce(tokio_postgres::Error) -> StoreError + '_ {
    move |e| StoreError::Database(format!("{doing}: {}", message(&e)))
}

/// The pool could not hand out a connection (the server is down, or
/// every connection stayed busy past the wait timeout).
pub(crate) fn pool(target: &str, e: PoolError) -> StoreError {
    StoreError::Database(pool_message(target, e))
}

/// What [`pool`] says, for the key-value store's errors too.
pub(crate) fn pool_message(target: &str, e: PoolError) -> String {
    let why = match e {
        PoolError::Backend(e) => message(&e),
        other => other.to_string(),
    };
    format!("a connection to postgres://{target}: {why}")
}

/// Whether `e` is a unique violation of the named constraint (or index).
pub(crate) fn violates(e: &tokio_postgres::Error, constraint: &str) -> bool {
    e.as_db_error().is_some_and(|db| {
        *db.code() == SqlState::UNIQUE_VIOLATION && db.constraint() == Some(constraint)
    })
}
