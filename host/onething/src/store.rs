//! Which store the service keeps its state in (`[store]` in
//! onething.toml, `--store` on the command line), and opening it.
//!
//! Without a URL, or with `sqlite`, the embedded SQLite file in the data
//! directory: the default, for one host. With `postgres://user@host:port/database`,
//! a PostgreSQL database that several hosts share. The password is best
//! kept out of the URL and the config file: `password_file` (relative to
//! the config file's directory) or `password_env`. A URL is never shown
//! with its password, in an error or a log.
//!
//! Not for the stores themselves (their crates), nor for what else lives
//! in the data directory (the compile cache, the audit key).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use onething_store::{Store, StoreOptions};
use onething_store_postgres::{PoolOptions, PostgresStore};
use onething_store_sqlite::SqliteStore;
use serde::Deserialize;

/// `[store]`: where the service's state lives.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSettings {
    /// `sqlite` (or nothing) for the file in `data_dir`;
    /// `postgres://user@host:port/database` for a shared database.
    pub url: Option<String>,
    /// A file holding the database's password (relative to the config
    /// file's directory).
    pub password_file: Option<PathBuf>,
    /// An environment variable holding the database's password.
    pub password_env: Option<String>,
    /// Connections this host keeps to PostgreSQL at most (the hosts'
    /// pools together must stay under the server's `max_connections`).
    pub pool_size: usize,
    /// How long a write waits for a free connection, in seconds.
    pub pool_wait_secs: u64,
    /// How long making a connection may take, in seconds.
    pub connect_timeout_secs: u64,
    /// This host's id among the hosts sharing the database: by default
    /// its host name and a digest of its data directory, the same across
    /// its restarts (so it takes its own leases back at once).
    pub host_id: Option<String>,
    /// How long a host's lease on an application lasts unless renewed
    /// (renewed every third of it): how long the applications of a host
    /// that died wait before another host takes them over.
    pub lease_secs: u64,
    /// How often this host looks for catalog changes made through
    /// another host (an activation, a rollback), in milliseconds.
    pub catalog_poll_ms: u64,
    /// How often a live event stream looks in the store for steps driven
    /// by another host, in milliseconds.
    pub stream_poll_ms: u64,
}

impl Default for StoreSettings {
    fn default() -> Self {
        let pool = PoolOptions::default();
        Self {
            url: None,
            password_file: None,
            password_env: None,
            pool_size: pool.max_size,
            pool_wait_secs: pool.wait_timeout.as_secs(),
            connect_timeout_secs: pool.connect_timeout.as_secs(),
            host_id: None,
            lease_secs: 15,
            catalog_poll_ms: 500,
            stream_poll_ms: 1000,
        }
    }
}

/// The store a configuration names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// `onething.db` in the data directory.
    Sqlite,
    /// A PostgreSQL database, by URL.
    Postgres(String),
}

impl StoreSettings {
    /// Which backend `url` names; an error names the setting and what it
    /// takes (never repeating a password).
    pub fn backend(&self) -> Result<Backend, String> {
        let Some(url) = self.url.as_deref().map(str::trim) else {
            return Ok(Backend::Sqlite);
        };
        if url.is_empty() || url == "sqlite" {
            return Ok(Backend::Sqlite);
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Backend::Postgres(url.to_owned()));
        }
        Err(format!(
            "store.url = {:?} is not a store: `sqlite` (the default, the file in data_dir) or postgres://user@host:port/database",
            redacted(url)
        ))
    }

    /// Check the numbers and that at most one password source is given.
    pub fn validate(&self) -> Result<(), String> {
        self.backend()?;
        if !(1..=1000).contains(&self.pool_size) {
            return Err(format!(
                "store.pool_size = {} is out of range (1 to 1000)",
                self.pool_size
            ));
        }
        for (name, value) in [
            ("store.pool_wait_secs", self.pool_wait_secs),
            ("store.connect_timeout_secs", self.connect_timeout_secs),
        ] {
            if !(1..=3600).contains(&value) {
                return Err(format!("{name} = {value} is out of range (1 to 3600)"));
            }
        }
        if !(2..=600).contains(&self.lease_secs) {
            return Err(format!(
                "store.lease_secs = {} is out of range (2 to 600)",
                self.lease_secs
            ));
        }
        for (name, value) in [
            ("store.catalog_poll_ms", self.catalog_poll_ms),
            ("store.stream_poll_ms", self.stream_poll_ms),
        ] {
            if !(50..=60_000).contains(&value) {
                return Err(format!("{name} = {value} is out of range (50 to 60000)"));
            }
        }
        if let Some(id) = &self.host_id
            && (id.trim().is_empty() || id.len() > 200)
        {
            return Err(format!(
                "store.host_id = {id:?}: give 1 to 200 characters, different on every host"
            ));
        }
        if self.password_file.is_some() && self.password_env.is_some() {
            return Err(
                "store.password_file and store.password_env are both set: give the password one way"
                    .into(),
            );
        }
        Ok(())
    }

    /// This host's id and its leases' time to live, for the engine.
    pub fn lease(&self, data_dir: &Path) -> onething_engine::LeaseSettings {
        let host = self
            .host_id
            .clone()
            .unwrap_or_else(|| default_host_id(data_dir));
        onething_engine::LeaseSettings {
            host,
            ttl: Duration::from_secs(self.lease_secs),
            ..onething_engine::LeaseSettings::default()
        }
    }

    fn pool(&self) -> PoolOptions {
        PoolOptions {
            max_size: self.pool_size,
            wait_timeout: Duration::from_secs(self.pool_wait_secs),
            connect_timeout: Duration::from_secs(self.connect_timeout_secs),
        }
    }

    /// The password from `password_file` (made absolute against the
    /// config file's directory when the config was loaded) or
    /// `password_env`, if either is set.
    fn password(&self) -> anyhow::Result<Option<String>> {
        if let Some(file) = &self.password_file {
            let text = crate::config::read_text(file)
                .with_context(|| format!("store.password_file = {}", file.display()))?;
            return Ok(Some(text.trim_end_matches(['\r', '\n']).to_owned()));
        }
        if let Some(name) = &self.password_env {
            let value = std::env::var(name)
                .with_context(|| format!("store.password_env = {name}: the variable is not set"))?;
            return Ok(Some(value));
        }
        Ok(None)
    }
}

/// `HOSTNAME-DIGEST`: the machine's name and the first 8 hex digits of
/// the SHA-256 of the data directory's path, so two hosts on one machine
/// (each with its own data directory) differ, and a host restarted on the
/// same directory is the same host.
pub fn default_host_id(data_dir: &Path) -> String {
    use sha2::Digest as _;
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "host".to_owned());
    let digest = sha2::Sha256::digest(data_dir.as_os_str().as_encoded_bytes());
    format!("{name}-{}", &hex::encode(digest)[..8])
}

/// `url` with any password replaced by `***`.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// An open store and how it is named in logs and the start-up line.
pub struct Opened {
    pub store: Arc<dyn Store>,
    /// `sqlite /var/lib/onething/onething.db`, `postgres onething@db:5432/onething`.
    pub shown: String,
}

/// Open the configured store (migrating a PostgreSQL database first).
pub async fn open(
    settings: &StoreSettings,
    data_dir: &Path,
    options: StoreOptions,
) -> anyhow::Result<Opened> {
    settings
        .validate()
        .map_err(|e| anyhow::anyhow!("config: {e}"))?;
    match settings
        .backend()
        .map_err(|e| anyhow::anyhow!("config: {e}"))?
    {
        Backend::Sqlite => {
            let sqlite = SqliteStore::open(data_dir, options)
                .with_context(|| format!("opening the store in {}", data_dir.display()))?;
            let shown = format!("sqlite {}", sqlite.path().display());
            Ok(Opened {
                store: Arc::new(sqlite),
                shown,
            })
        }
        Backend::Postgres(url) => {
            let password = settings.password()?;
            let pg = PostgresStore::connect_with_password(
                &url,
                password.as_deref(),
                options,
                settings.pool(),
            )
            .await
            .context("opening the store ([store] url)")?;
            let shown = format!("postgres {}", pg.target());
            Ok(Opened {
                store: Arc::new(pg),
                shown,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_url(url: &str) -> StoreSettings {
        StoreSettings {
            url: Some(url.into()),
            ..StoreSettings::default()
        }
    }

    #[test]
    fn no_url_or_sqlite_is_the_embedded_file() {
        assert_eq!(StoreSettings::default().backend(), Ok(Backend::Sqlite));
        assert_eq!(with_url("sqlite").backend(), Ok(Backend::Sqlite));
    }

    #[test]
    fn a_postgres_url_names_postgres() {
        for url in ["postgres://a@h:5432/d", "postgresql://a@h/d"] {
            assert_eq!(
                with_url(url).backend(),
                Ok(Backend::Postgres(url.to_owned()))
            );
        }
    }

    #[test]
    fn another_scheme_is_refused_without_its_password() {
        let err = with_url("mysql://root:hunter2@db/x")
            .backend()
            .expect_err("not a store");
        assert!(
            err.contains("store.url") && err.contains("postgres://"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn the_default_host_id_is_stable_per_data_directory() {
        let a = default_host_id(Path::new("/srv/a"));
        assert_eq!(a, default_host_id(Path::new("/srv/a")));
        assert_ne!(a, default_host_id(Path::new("/srv/b")));
        let s = StoreSettings {
            host_id: Some("h1".into()),
            ..StoreSettings::default()
        };
        assert_eq!(s.lease(Path::new("/srv/a")).host, "h1");
        let s = StoreSettings {
            lease_secs: 1,
            ..StoreSettings::default()
        };
        assert!(s.validate().expect_err("1 s").contains("store.lease_secs"));
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redacted("postgres://u:secret@h:1/d?x=1"),
            "postgres://u:***@h:1/d?x=1"
        );
        assert_eq!(redacted("postgres://u@h/d"), "postgres://u@h/d");
        assert_eq!(redacted("postgres://h/d"), "postgres://h/d");
    }

    #[test]
    fn limits_are_named_when_out_of_range() {
        let s = StoreSettings {
            pool_size: 0,
            ..StoreSettings::default()
        };
        assert!(s.validate().expect_err("0").contains("store.pool_size"));
        let s = StoreSettings {
            connect_timeout_secs: 0,
            ..StoreSettings::default()
        };
        let err = s.validate().expect_err("0");
        assert!(err.contains("store.connect_timeout_secs"), "{err}");
        let s = StoreSettings {
            password_file: Some("p".into()),
            password_env: Some("P".into()),
            ..StoreSettings::default()
        };
        assert!(s.validate().expect_err("both").contains("one way"));
    }
}
