//! The database a store connects to: the URL read into the driver's
//! configuration, and the form every message and `describe()` shows,
//! `user@host:port/database`, which never carries the password.
//!
//! Not for connecting (the store and the migrations do that).

use std::time::Duration;

use onething_store::StoreError;
use tokio_postgres::config::Host;

/// PostgreSQL's port when the URL names none.
const DEFAULT_PORT: u16 = 5432;

/// A parsed store URL.
#[derive(Clone)]
pub(crate) struct Target {
    /// The driver's configuration (with the password, never printed).
    pub(crate) config: tokio_postgres::Config,
    /// `user@host:port/database`.
    pub(crate) shown: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The configuration's own Debug would print the password.
        f.debug_struct("Target")
            .field("shown", &self.shown)
            .finish_non_exhaustive()
    }
}

impl Target {
    /// Read a `postgres://` URL (or a `key=value` connection string).
    /// The error does not repeat the URL: it may hold a password.
    pub(crate) fn parse(url: &str, connect_timeout: Duration) -> Result<Self, StoreError> {
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| {
            StoreError::Database(format!(
                "the store URL is not a PostgreSQL connection URL (postgres://user@host:port/database): {}",
                crate::error::message(&e)
            ))
        })?;
        if config.get_hosts().is_empty() {
            return Err(StoreError::Database(
                "the store URL names no host (postgres://user@host:port/database)".into(),
            ));
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(connect_timeout);
        }
        if config.get_application_name().is_none() {
            // So a database administrator sees which sessions are hosts'.
            config.application_name("onething");
        }
        let shown = shown(&config);
        Ok(Self { config, shown })
    }
}

/// `user@host:port/database` (hosts comma-separated when there are
/// several; the user and database left out when the URL names neither,
/// the driver then using the system user's name for both).
fn shown(config: &tokio_postgres::Config) -> String {
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let port = ports
                .get(i)
                .or_else(|| (ports.len() == 1).then(|| &ports[0]))
                .copied()
                .unwrap_or(DEFAULT_PORT);
            match host {
                Host::Tcp(name) => format!("{name}:{port}"),
                Host::Unix(dir) => format!("{}:{port}", dir.display()),
            }
        })
        .collect();
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    let database = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or_default();
    format!("{user}{}/{database}", hosts.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Result<Target, StoreError> {
        Target::parse(url, Duration::from_secs(5))
    }

    #[test]
    fn the_shown_form_has_no_password() {
        let t = parse("postgres://onething:s3cret@127.0.0.1:5433/records").expect("a URL");
        assert_eq!(t.shown, "onething@127.0.0.1:5433/records");
        assert!(!format!("{t:?}").contains("s3cret"));
        let t = parse("postgres://onething@db.internal/onething").expect("a URL");
        assert_eq!(t.shown, "onething@db.internal:5432/onething");
        let t = parse("postgres://postgres@127.0.0.1:5999").expect("a URL");
        assert_eq!(
            t.shown, "postgres@127.0.0.1:5999/postgres",
            "the database defaults to the user"
        );
        let t = parse("host=10.0.0.1,10.0.0.2 port=6000 user=u password=pw dbname=d")
            .expect("key=value");
        assert_eq!(t.shown, "u@10.0.0.1:6000,10.0.0.2:6000/d");
    }

    #[test]
    fn a_bad_url_is_refused_without_repeating_it() {
        let err = parse("postgres://u:s3cret@127.0.0.1:notaport/d").expect_err("a bad port");
        let text = err.to_string();
        assert!(text.contains("not a PostgreSQL connection URL"), "{text}");
        assert!(!text.contains("s3cret"), "{text}");
    }
}
