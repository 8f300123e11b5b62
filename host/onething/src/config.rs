//! The service's configuration file, `onething.toml`: every setting has a
//! default, unknown keys are refused by name, and relative paths are
//! resolved against the file's directory. After loading, every path is
//! absolute (the file's own path is made absolute against the current
//! directory first, so `--config onething.toml` works): wasmtime's compile
//! cache takes absolute paths only.
//!
//! Logging is set on the command line (`--log-format json`, `RUST_LOG`),
//! since it starts before the file is read.
//!
//! ```toml
//! listen = "127.0.0.1:8080"
//! data_dir = "data"
//! plugins_dir = "target/plugins"
//! bundles_dir = "examples/bundles"
//! dictionary = "examples/dictionary.toml"
//! grants = "examples/grants.toml"
//! max_body_bytes = 1048576
//! max_material_bytes = 10485760
//! max_component_bytes = 67108864
//! shutdown_grace_secs = 10
//! max_idempotency_key_bytes = 200
//! max_form_fields = 500
//! max_materials = 100
//! max_problems = 100
//!
//! [http]                         # see api::server::HttpSettings
//! header_read_timeout_secs = 10
//! idle_timeout_secs = 60
//! max_connections = 1024
//! max_header_bytes = 16384
//! max_headers = 100
//!
//! [limits]                       # see runtime::Limits
//! call_timeout_ms = 2000
//! [limits.departments.tax]
//! call_timeout_ms = 5000
//!
//! [retry]
//! max_attempts = 4
//! first_backoff_ms = 200
//!
//! [[operators]]
//! name = "duty-officer"
//! token = "a long random string"
//!
//! [audit]                        # the host's ed25519 key (hex, `onething plugin keygen`)
//! signing_key = "keys/audit.key" # signs every checkpoint; default DATA_DIR/audit.key,
//!                                # made on first start
//!
//! [signatures]                   # required = true unless said otherwise
//! required = true
//! [signatures.trusted]           # public key files (or 64 hex digits)
//! health = ["keys/health.pub"]
//! tax = ["keys/tax.pub", "keys/tax-next.pub"]
//!
//! [outbound.tax]                 # see runtime::capabilities::outbound; deny by default
//! allow = ["https://tax.example.gov.cn/api/"]
//! [[outbound.tax.inject]]
//! origin = "https://tax.example.gov.cn/api/"
//! header = "authorization"
//! prefix = "Bearer "
//! secret = "registry"
//! [outbound.tax.tls]             # optional: mutual TLS, the systems' own authority
//! client_certificate = "tls-certificate"
//! client_key = "tls-key"
//! ca = "tls-authority"
//! [secrets.tax]                  # a file (in this file's directory) or { env = "VAR" }
//! registry = { file = "secrets/tax.token" }
//! tls-certificate = { file = "tls/tax.pem" }
//! tls-key = { file = "tls/tax.key" }
//! tls-authority = { file = "tls/tax-ca.pem" }
//! [config.tax]                   # values the plugin reads with config::get
//! region = "350206"
//! [breaker]
//! failures_to_open = 5
//! open_secs = 5
//! ```
//!
//! Without a config file, `onething serve` serves the examples with
//! signatures not required (the demo); with one, they are required unless
//! it says `required = false`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use onething_api::rate::RateSettings;
use onething_api::server::HttpSettings;
use onething_api::{Officer, Operator};
use onething_catalog::SignaturePolicy;
use onething_catalog::source::SourceDir;
use onething_engine::{RetryPolicy, Settings};
use onething_identity::IssuerConfig;
use onething_model::ids::DepartmentId;
use onething_runtime::Limits;
use onething_runtime::capabilities::breaker::BreakerSettings;
use onething_runtime::capabilities::http::{DepartmentConfig, Outbound, OutboundRecorder};
use onething_runtime::capabilities::outbound::{
    OutboundPolicies, OutboundToml, SecretsToml, resolve_secrets,
};
use onething_runtime::signing::{TrustedKeys, parse_public_key};

use crate::paths::{Paths, absolute, default_data_dir};

/// Which component signatures the service accepts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Signatures {
    /// Refuse unsigned components and bad signatures (default true).
    pub required: bool,
    /// Public keys trusted for each department: key files (relative to the
    /// config file) or keys written as 64 hex digits.
    pub trusted: std::collections::BTreeMap<String, Vec<String>>,
}

impl Default for Signatures {
    fn default() -> Self {
        Self {
            required: true,
            trusted: Default::default(),
        }
    }
}

impl Signatures {
    /// Read the trusted keys into a policy, naming the key that fails.
    pub fn policy(&self) -> Result<SignaturePolicy, String> {
        let mut trusted = TrustedKeys::default();
        for (department, keys) in &self.trusted {
            let dept = DepartmentId::parse(department)
                .map_err(|e| format!("signatures.trusted.{department}: {e}"))?;
            for key in keys {
                let what = format!("signatures.trusted.{department} ({key})");
                let text = if is_hex_key(key) {
                    key.clone()
                } else {
                    read_text(Path::new(key)).map_err(|e| format!("{what}: {e}"))?
                };
                let parsed = parse_public_key(&text, &what).map_err(|e| e.to_string())?;
                trusted.add(dept.clone(), parsed);
            }
        }
        Ok(SignaturePolicy {
            required: self.required,
            trusted,
        })
    }
}

/// A configured file's text, read through its directory opened with
/// cap-std.
pub(crate) fn read_text(path: &Path) -> Result<String, onething_catalog::source::SourceError> {
    let (dir, name) = SourceDir::of_file(path)?;
    dir.read_to_string(&name)
}

/// Whether a trusted-key setting is the key itself (64 hex digits) rather
/// than a key file.
fn is_hex_key(key: &str) -> bool {
    key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Where the SQLite file and compile cache live.
    pub data_dir: PathBuf,
    /// Department components.
    pub plugins_dir: PathBuf,
    /// Bundle files.
    pub bundles_dir: PathBuf,
    /// The data dictionary.
    pub dictionary: PathBuf,
    /// The data-sharing register (watched; versioned like a bundle).
    pub grants: PathBuf,
    /// Largest JSON request body.
    pub max_body_bytes: usize,
    /// Largest material upload.
    pub max_material_bytes: usize,
    /// Largest component upload.
    pub max_component_bytes: usize,
    /// How long shutdown waits for steps under way.
    pub shutdown_grace_secs: u64,
    /// Longest idempotency key a client may send with a submission.
    pub max_idempotency_key_bytes: usize,
    /// Most fields one application, draft or correction may carry.
    pub max_form_fields: usize,
    /// Most materials one application may reference.
    pub max_materials: usize,
    /// Most problems listed in one answer (the rest are counted).
    pub max_problems: usize,
    /// The HTTP server's connection limits.
    pub http: HttpSettings,
    /// Sandbox limits.
    pub limits: Limits,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Operators, their tokens and roles.
    pub operators: Vec<Operator>,
    /// Department officers with static tokens.
    pub officers: Vec<Officer>,
    /// Who vouches for applicants and officers.
    pub identity: Identity,
    /// The pages for applicants, officers and operators.
    pub pages: PagesConfig,
    /// Rate limits on prefill, check and submit.
    pub rate_limits: RateSettings,
    /// Whether bundles, forms and the grants register may be read without
    /// a token (default false: every applicant endpoint needs one).
    pub anonymous_catalogue: bool,
    /// The audit log's signed checkpoints.
    pub audit: AuditSettings,
    /// Component signatures.
    pub signatures: Signatures,
    /// Departments' outgoing HTTP (`[outbound.<department>]`): nothing
    /// is allowed a department without a table.
    pub outbound: OutboundToml,
    /// Departments' secrets (`[secrets.<department>]`), each a file
    /// (relative to this file's directory, never outside it) or an
    /// environment variable.
    pub secrets: SecretsToml,
    /// Departments' configuration values (`[config.<department>]`), read
    /// by their plugins.
    #[serde(rename = "config")]
    pub department_config: DepartmentConfig,
    /// Where the service's state lives (`[store]`): the SQLite file in
    /// `data_dir` unless a PostgreSQL URL is given.
    pub store: crate::store::StoreSettings,
    /// The circuit breaker kept per origin of outgoing requests.
    pub breaker: BreakerToml,
    /// Where secrets' files are read from: the config file's directory
    /// (the current one without a file).
    #[serde(skip)]
    pub secrets_dir: Option<PathBuf>,
    /// Secrets given by name rather than read from the environment (the
    /// in-process systems' credentials, [`Config::wire_systems`]); a
    /// `{ env = … }` secret is looked up here first.
    #[serde(skip)]
    pub named_secrets: BTreeMap<String, String>,
}

/// The circuit breaker per origin (`[breaker]`).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreakerToml {
    /// Failures in a row (no answer, or a 5xx) that open it.
    pub failures_to_open: u32,
    /// How long it stays open before one probe is let through, in seconds.
    pub open_secs: u64,
}

impl Default for BreakerToml {
    fn default() -> Self {
        let d = BreakerSettings::default();
        BreakerToml {
            failures_to_open: d.failures_to_open,
            open_secs: d.open_for.as_secs(),
        }
    }
}

impl BreakerToml {
    fn settings(self) -> Result<BreakerSettings, String> {
        if !(1..=1000).contains(&self.failures_to_open) {
            return Err(format!(
                "breaker.failures_to_open = {} is out of range (1 to 1000)",
                self.failures_to_open
            ));
        }
        if !(1..=3600).contains(&self.open_secs) {
            return Err(format!(
                "breaker.open_secs = {} is out of range (1 to 3600)",
                self.open_secs
            ));
        }
        Ok(BreakerSettings {
            failures_to_open: self.failures_to_open,
            open_for: std::time::Duration::from_secs(self.open_secs),
        })
    }
}

/// The audit log (`[audit]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditSettings {
    /// The host's own ed25519 secret key (a `.key` file: 64 hex digits),
    /// which signs each checkpoint of the audit chain. Without it the
    /// service keeps one at `DATA_DIR/audit.key`, making it on first
    /// start; a key kept apart from the data directory protects more.
    pub signing_key: Option<PathBuf>,
}

impl AuditSettings {
    /// The key file: the configured one, or the one in the data
    /// directory.
    pub fn signing_key_path(&self, data_dir: &Path) -> PathBuf {
        self.signing_key
            .clone()
            .unwrap_or_else(|| data_dir.join("audit.key"))
    }
}

/// The pages the host serves beside the API (`[pages]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PagesConfig {
    /// Whether the host serves the pages at all (default true); off, only
    /// the API answers.
    pub enabled: bool,
    /// Whether session cookies are `Secure` (default true: browsers send
    /// them only over HTTPS, and to `localhost` and `127.0.0.1`). Turn it
    /// off only behind a proxy that is itself HTTPS-only.
    pub secure_cookies: bool,
    /// How long a session lasts when its token does not say, and how long
    /// the development issuer's sign-in tokens last, in seconds.
    pub session_secs: u64,
    /// Largest posted form with its materials, in bytes.
    pub max_form_bytes: usize,
}

impl Default for PagesConfig {
    fn default() -> Self {
        let d = onething_pages::PagesSettings::default();
        Self {
            enabled: true,
            secure_cookies: d.secure_cookies,
            session_secs: d.session_secs,
            max_form_bytes: d.form_bytes,
        }
    }
}

impl PagesConfig {
    /// As the pages crate takes them.
    pub fn settings(&self) -> onething_pages::PagesSettings {
        onething_pages::PagesSettings {
            secure_cookies: self.secure_cookies,
            session_secs: self.session_secs,
            form_bytes: self.max_form_bytes,
        }
    }
}

/// Who vouches for applicants and department officers (`[identity]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Identity {
    /// Trusted issuers of bearer tokens (JWT).
    pub issuers: Vec<IssuerConfig>,
    /// A development issuer's directory (`onething identity dev-issuer`),
    /// trusted as one more issuer: for demos and tests, never in a
    /// deployment.
    pub dev_issuer: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        let paths = Paths::default();
        let engine = Settings::default();
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: default_data_dir(),
            plugins_dir: paths.plugins,
            bundles_dir: paths.bundles,
            dictionary: paths.dictionary,
            grants: paths.grants,
            max_body_bytes: 1 << 20,
            max_material_bytes: 10 << 20,
            max_component_bytes: 64 << 20,
            shutdown_grace_secs: 10,
            max_idempotency_key_bytes: engine.max_idempotency_key_bytes,
            max_form_fields: engine.max_form_fields,
            max_materials: engine.max_materials,
            max_problems: engine.max_problems,
            http: HttpSettings::default(),
            limits: Limits::default(),
            retry: RetryPolicy::default(),
            operators: Vec::new(),
            officers: Vec::new(),
            identity: Identity::default(),
            pages: PagesConfig::default(),
            rate_limits: RateSettings::default(),
            anonymous_catalogue: false,
            audit: AuditSettings::default(),
            signatures: Signatures::default(),
            outbound: OutboundToml::new(),
            secrets: SecretsToml::new(),
            department_config: DepartmentConfig::new(),
            breaker: BreakerToml::default(),
            store: crate::store::StoreSettings::default(),
            secrets_dir: None,
            named_secrets: BTreeMap::new(),
        }
    }
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Malformed TOML, an unknown key or a wrong type (the message names it).
    #[error("config {path}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// The parser's message.
        message: String,
    },
    /// A value that cannot work, named by its key.
    #[error("config {path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl Config {
    /// Load a config file; relative paths are resolved against its
    /// directory, and every path comes out absolute.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = read_text(path).map_err(|e| ConfigError::Io {
            path: path.display().to_string(),
            source: e.source,
        })?;
        let mut config: Config = toml::from_str(&text).map_err(|e| ConfigError::Syntax {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        // `--config onething.toml` has no parent: its directory is the
        // current one.
        let file = absolute(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let base = file.parent().unwrap_or(Path::new("/"));
        config.secrets_dir = Some(base.to_path_buf());
        let table: toml::Table = toml::from_str(&text).unwrap_or_default();
        for (key, field) in [
            ("data_dir", &mut config.data_dir),
            ("plugins_dir", &mut config.plugins_dir),
            ("bundles_dir", &mut config.bundles_dir),
            ("dictionary", &mut config.dictionary),
            ("grants", &mut config.grants),
        ] {
            if table.contains_key(key) && field.is_relative() {
                *field = base.join(&*field);
            }
        }
        for keys in config.signatures.trusted.values_mut() {
            for key in keys.iter_mut() {
                if !is_hex_key(key) && Path::new(key.as_str()).is_relative() {
                    *key = base.join(key.as_str()).display().to_string();
                }
            }
        }
        if let Some(dir) = &config.limits.compile_cache_dir
            && dir.is_relative()
        {
            config.limits.compile_cache_dir = Some(base.join(dir));
        }
        for issuer in &mut config.identity.issuers {
            if let Some(file) = &issuer.jwks_file
                && file.is_relative()
            {
                issuer.jwks_file = Some(base.join(file));
            }
        }
        if let Some(dir) = &config.identity.dev_issuer
            && dir.is_relative()
        {
            config.identity.dev_issuer = Some(base.join(dir));
        }
        if let Some(key) = &config.audit.signing_key
            && key.is_relative()
        {
            config.audit.signing_key = Some(base.join(key));
        }
        if let Some(file) = &config.store.password_file
            && file.is_relative()
        {
            config.store.password_file = Some(base.join(file));
        }
        // The defaults of the settings not given are relative to the
        // current directory.
        config
            .make_absolute()
            .map_err(|message| ConfigError::Invalid {
                path: path.display().to_string(),
                message,
            })?;
        config.check().map_err(|message| ConfigError::Invalid {
            path: path.display().to_string(),
            message,
        })?;
        Ok(config)
    }

    /// The engine's settings from this file.
    pub fn engine_settings(&self) -> Settings {
        Settings {
            retry: self.retry.clone(),
            max_idempotency_key_bytes: self.max_idempotency_key_bytes,
            max_form_fields: self.max_form_fields,
            max_materials: self.max_materials,
            max_problems: self.max_problems,
            lease: self.store.lease(&self.data_dir),
        }
    }

    /// Make every path absolute against the current directory (the data
    /// directory, the inputs, the compile cache, key files), naming the
    /// setting that cannot be. Run after command-line overrides, before
    /// anything reaches wasmtime, whose compile cache takes absolute paths
    /// only.
    pub fn make_absolute(&mut self) -> Result<(), String> {
        for (key, field) in [
            ("data_dir", &mut self.data_dir),
            ("plugins_dir", &mut self.plugins_dir),
            ("bundles_dir", &mut self.bundles_dir),
            ("dictionary", &mut self.dictionary),
            ("grants", &mut self.grants),
        ] {
            *field = absolute(field).map_err(|e| format!("{key} ({}): {e}", field.display()))?;
        }
        if let Some(dir) = &mut self.limits.compile_cache_dir {
            *dir = absolute(dir)
                .map_err(|e| format!("limits.compile_cache_dir ({}): {e}", dir.display()))?;
        }
        for (department, keys) in self.signatures.trusted.iter_mut() {
            for key in keys.iter_mut() {
                if !is_hex_key(key) {
                    *key = absolute(Path::new(key.as_str()))
                        .map_err(|e| format!("signatures.trusted.{department} ({key}): {e}"))?
                        .display()
                        .to_string();
                }
            }
        }
        Ok(())
    }

    /// The outbound policies, every fault listed naming its setting.
    fn policies(&self) -> Result<OutboundPolicies, String> {
        OutboundPolicies::build(&self.outbound, &self.secrets)
            .map_err(|faults| onething_runtime::capabilities::outbound::faults_text(&faults))
    }

    /// The departments' outgoing HTTP as configured: the checked
    /// policies, the secrets read (files through the config directory's
    /// capability, so none can name a path outside it), the configuration
    /// values and the breaker, recording to `recorder`.
    pub fn outbound(&self, recorder: Arc<dyn OutboundRecorder>) -> anyhow::Result<Outbound> {
        let policies = self
            .policies()
            .map_err(|e| anyhow::anyhow!("config: {e}"))?;
        let breaker = self
            .breaker
            .settings()
            .map_err(|e| anyhow::anyhow!("config: {e}"))?;
        let secrets = if self.secrets.is_empty() {
            Default::default()
        } else {
            let dir = match &self.secrets_dir {
                Some(d) => d.clone(),
                None => std::env::current_dir()?,
            };
            let dir = cap_std::fs::Dir::open_ambient_dir(&dir, cap_std::ambient_authority())
                .map_err(|e| anyhow::anyhow!("the secrets' directory {}: {e}", dir.display()))?;
            resolve_secrets(&self.secrets, &dir, |var| {
                self.named_secrets
                    .get(var)
                    .cloned()
                    .or_else(|| std::env::var(var).ok())
            })
            .map_err(|e| anyhow::anyhow!("config: {e}"))?
        };
        let outbound = Outbound::new(
            policies,
            secrets,
            self.department_config.clone(),
            breaker,
            recorder,
        );
        outbound
            .check_tls()
            .map_err(|e| anyhow::anyhow!("config: {e}"))?;
        Ok(outbound)
    }

    /// Whether any department has an outbound policy.
    pub fn has_outbound(&self) -> bool {
        !self.outbound.is_empty()
    }

    /// Wire the example departments to the simulated systems (their
    /// `[outbound]`, `[secrets]` and `[config]` tables, the credentials
    /// given by name), beside what the file set; a department the file
    /// already has a policy for keeps its own.
    pub fn wire_systems(
        &mut self,
        wiring: &onething_systems::wiring::Wiring,
    ) -> anyhow::Result<()> {
        #[derive(Deserialize)]
        struct Tables {
            outbound: OutboundToml,
            secrets: SecretsToml,
            config: DepartmentConfig,
        }
        let tables: Tables = toml::from_str(&wiring.toml)
            .map_err(|e| anyhow::anyhow!("the systems' wiring: {e}"))?;
        for (department, policy) in tables.outbound {
            if self.outbound.contains_key(&department) {
                continue;
            }
            self.outbound.insert(department.clone(), policy);
            if let Some(s) = tables.secrets.get(&department) {
                self.secrets
                    .entry(department.clone())
                    .or_default()
                    .extend(s.clone());
            }
            if let Some(c) = tables.config.get(&department) {
                let mine = self
                    .department_config
                    .entry(department.clone())
                    .or_default();
                for (k, v) in c {
                    mine.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
        self.named_secrets
            .extend(wiring.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(())
    }

    /// Refuse settings that cannot work, naming the key.
    pub fn check(&self) -> Result<(), String> {
        self.limits.check()?;
        self.retry.check()?;
        self.breaker.settings()?;
        self.store.validate()?;
        self.policies()?;
        for department in self.department_config.keys() {
            if DepartmentId::parse(department).is_err() {
                return Err(format!(
                    "[config.{department}]: not a department id (kebab-case, e.g. public-security)"
                ));
            }
        }
        if !(8..=4096).contains(&self.max_idempotency_key_bytes) {
            return Err(format!(
                "max_idempotency_key_bytes = {} is out of range (8 to 4096)",
                self.max_idempotency_key_bytes
            ));
        }
        self.http.validate()?;
        for (key, value, range) in [
            ("max_form_fields", self.max_form_fields, 1..=100_000),
            ("max_materials", self.max_materials, 1..=10_000),
            ("max_problems", self.max_problems, 1..=100_000),
        ] {
            if !range.contains(&value) {
                return Err(format!(
                    "{key} = {value} is out of range ({} to {})",
                    range.start(),
                    range.end()
                ));
            }
        }
        if self.max_body_bytes < 1024 {
            return Err(format!(
                "max_body_bytes = {} is too small (at least 1024)",
                self.max_body_bytes
            ));
        }
        for (i, op) in self.operators.iter().enumerate() {
            if op.token.len() < 16 {
                return Err(format!(
                    "operators[{i}] ({}): token must be at least 16 characters",
                    op.name
                ));
            }
            if op.name.trim().is_empty() {
                return Err(format!("operators[{i}]: name must not be empty"));
            }
        }
        for (i, officer) in self.officers.iter().enumerate() {
            if officer.token.len() < 16 {
                return Err(format!(
                    "officers[{i}] ({}): token must be at least 16 characters",
                    officer.name
                ));
            }
            if officer.name.trim().is_empty() {
                return Err(format!("officers[{i}]: name must not be empty"));
            }
        }
        let mut tokens = std::collections::BTreeSet::new();
        for token in self
            .operators
            .iter()
            .map(|o| &o.token)
            .chain(self.officers.iter().map(|o| &o.token))
        {
            if !tokens.insert(token) {
                return Err("two operators or officers share a token: each needs its own".into());
            }
        }
        for (i, issuer) in self.identity.issuers.iter().enumerate() {
            issuer.check(&format!("identity.issuers[{i}]"))?;
        }
        self.rate_limits.validate()?;
        if self.signatures.required && self.signatures.trusted.is_empty() {
            return Err("signatures.required is true (the default) but signatures.trusted lists no keys, so every component would be refused: list each department's public key under [signatures.trusted], or set required = false".into());
        }
        self.signatures.policy()?;
        if self.grants.parent() == Some(self.bundles_dir.as_path()) {
            return Err(format!(
                "grants ({}) is inside bundles_dir ({}), where every .toml file is read as a bundle: keep the register outside it",
                self.grants.display(),
                self.bundles_dir.display()
            ));
        }
        Ok(())
    }

    /// The input paths.
    pub fn paths(&self) -> Paths {
        Paths {
            dictionary: self.dictionary.clone(),
            grants: self.grants.clone(),
            plugins: self.plugins_dir.clone(),
            bundles: self.bundles_dir.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("onething.toml");
        std::fs::write(&p, text).expect("write");
        Config::load(&p)
    }

    #[test]
    fn defaults_fill_everything() {
        let c = load("[signatures]\nrequired = false").expect("nearly empty config is fine");
        assert_eq!(c.listen.port(), 8080);
        assert_eq!(c.retry.max_attempts, 4);
    }

    #[test]
    fn signatures_are_required_unless_turned_off() {
        let err = load("").expect_err("no keys").to_string();
        assert!(err.contains("signatures.trusted"), "{err}");
        let dir = tempfile::tempdir().expect("tempdir");
        let keys = cap_std::fs::Dir::open_ambient_dir(dir.path(), cap_std::ambient_authority())
            .expect("dir");
        let (_, public, key) =
            onething_runtime::signing::keygen(&keys, dir.path(), "health").expect("keygen");
        let p = dir.path().join("onething.toml");
        let name = public.file_name().expect("name").to_string_lossy();
        std::fs::write(&p, format!("[signatures.trusted]\nhealth = [\"{name}\"]")).expect("write");
        let c = Config::load(&p).expect("a relative key file loads");
        assert!(c.signatures.required);
        let policy = c.signatures.policy().expect("policy");
        assert!(policy.required);
        let hex = hex::encode(key.to_bytes());
        let err = load(&format!(
            "[signatures.trusted]\nhealth = [\"{hex}\"]\ntax = [\"missing.pub\"]"
        ))
        .expect_err("missing key file")
        .to_string();
        assert!(err.contains("signatures.trusted.tax"), "{err}");
    }

    #[test]
    fn a_typo_is_named() {
        let err = load("lisen = \"127.0.0.1:1\"")
            .expect_err("typo")
            .to_string();
        assert!(err.contains("lisen"), "{err}");
        let err = load("[limits]\ncall_timeout = 5")
            .expect_err("typo")
            .to_string();
        assert!(err.contains("call_timeout"), "{err}");
    }

    #[test]
    fn bad_values_are_named() {
        let err = load("[limits]\ncall_timeout_ms = 0")
            .expect_err("zero")
            .to_string();
        assert!(err.contains("call_timeout_ms"), "{err}");
        let err = load("[[operators]]\nname = \"a\"\ntoken = \"short\"")
            .expect_err("short token")
            .to_string();
        assert!(err.contains("token"), "{err}");
        let err = load("max_idempotency_key_bytes = 2\n[signatures]\nrequired = false")
            .expect_err("too short")
            .to_string();
        assert!(err.contains("max_idempotency_key_bytes = 2"), "{err}");
        let err = load("listen = \"nowhere\"")
            .expect_err("bad address")
            .to_string();
        assert!(
            err.contains("listen") || err.contains("socket address"),
            "{err}"
        );
    }

    #[test]
    fn item_16_sandbox_settings_are_read_and_bad_ones_named() {
        let c = load(
            "[limits]\nmax_core_instances_per_component = 20\nmax_memories_per_component = 2\nmax_tables_per_component = 8\npool_decommit_batch = 4\nlog_attributes_per_record = 10\n[signatures]\nrequired = false",
        )
        .expect("loads");
        assert_eq!(c.limits.max_core_instances_per_component, 20);
        assert_eq!(c.limits.max_memories_per_component, 2);
        assert_eq!(c.limits.pool_decommit_batch, 4);
        assert_eq!(c.limits.log_attributes_per_record, 10);
        for (toml, named) in [
            (
                "[limits]\nmax_memories_per_component = 0",
                "max_memories_per_component",
            ),
            ("[limits]\npool_decommit_batch = 0", "pool_decommit_batch"),
            (
                "[limits]\nmax_host_copy_bytes = 10",
                "limits.max_host_copy_bytes = 10",
            ),
        ] {
            let err = load(toml).expect_err(toml).to_string();
            assert!(err.contains(named), "{toml}: {err}");
        }
    }

    #[test]
    fn relative_paths_follow_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("onething.toml");
        std::fs::write(&p, "data_dir = \"state\"\n[signatures]\nrequired = false").expect("write");
        let c = Config::load(&p).expect("loads");
        assert_eq!(c.data_dir, dir.path().join("state"));
    }

    #[test]
    fn item_20_every_path_of_a_loaded_config_is_absolute() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("onething.toml");
        std::fs::write(
            &p,
            "data_dir = \"data\"\nplugins_dir = \"plugins\"\n[limits]\ncompile_cache_dir = \"cache\"\n[signatures]\nrequired = false",
        )
        .expect("write");
        let c = Config::load(&p).expect("loads");
        assert_eq!(c.data_dir, dir.path().join("data"));
        assert_eq!(c.plugins_dir, dir.path().join("plugins"));
        assert_eq!(
            c.limits.compile_cache_dir.as_deref(),
            Some(dir.path().join("cache").as_path())
        );
        // Defaults (relative to the current directory) come out absolute too.
        for path in [&c.bundles_dir, &c.dictionary, &c.grants] {
            assert!(path.is_absolute(), "{}", path.display());
        }
        let mut c = Config {
            data_dir: PathBuf::from("somewhere"),
            ..Config::default()
        };
        c.make_absolute().expect("absolute");
        assert_eq!(
            c.data_dir,
            std::env::current_dir().expect("cwd").join("somewhere")
        );
    }

    #[test]
    fn outbound_secrets_and_department_config_are_read_and_checked() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("secrets")).expect("mkdir");
        std::fs::write(dir.path().join("secrets/tax.token"), "s3cret-token\n").expect("secret");
        std::fs::write(dir.path().join("secrets/tax.key"), "plugin-key\n").expect("secret");
        let p = dir.path().join("onething.toml");
        let good = r#"
[signatures]
required = false
[outbound.tax]
allow = ["https://tax.example.gov.cn/api/"]
max_response_bytes = 65536
[[outbound.tax.inject]]
origin = "https://tax.example.gov.cn/api/"
header = "authorization"
prefix = "Bearer "
secret = "registry"
[secrets.tax]
registry = { file = "secrets/tax.token" }
signing = { file = "secrets/tax.key" }
[config.tax]
region = "350206"
[breaker]
failures_to_open = 3
open_secs = 10
"#;
        std::fs::write(&p, good).expect("write");
        let c = Config::load(&p).expect("valid");
        let outbound = c
            .outbound(Arc::new(
                onething_runtime::capabilities::http::TracingRecorder,
            ))
            .expect("built");
        assert_eq!(
            outbound.config_get("tax", "region").as_deref(),
            Some("350206")
        );
        assert_eq!(
            outbound.secret("tax", "signing").as_deref(),
            Some("plugin-key")
        );
        assert_eq!(
            outbound.secret("tax", "registry"),
            None,
            "the secret the host injects is never the plugin's"
        );
        assert_eq!(outbound.config_keys("health"), Vec::<String>::new());
        // Each fault names its setting.
        for (from, to, names) in [
            (
                r#"allow = ["https://tax.example.gov.cn/api/"]"#,
                r#"allow = ["ftp://tax.example.gov.cn/"]"#,
                "outbound.tax.allow",
            ),
            (
                r#"secret = "registry""#,
                r#"secret = "nothing""#,
                "outbound.tax.inject",
            ),
            (
                "max_response_bytes = 65536",
                "max_response_bytes = 0",
                "outbound.tax.max_response_bytes",
            ),
            ("[config.tax]", "[config.Tax_Office]", "[config.Tax_Office]"),
            (
                "failures_to_open = 3",
                "failures_to_open = 0",
                "breaker.failures_to_open",
            ),
        ] {
            std::fs::write(&p, good.replace(from, to)).expect("write");
            let e = Config::load(&p).expect_err(names).to_string();
            assert!(e.contains(names), "{names}: {e}");
        }
        // A secret's file must be in the config's directory.
        std::fs::write(&p, good.replace("secrets/tax.token", "../tax.token")).expect("write");
        let c = Config::load(&p).expect("loads");
        let e = c
            .outbound(Arc::new(
                onething_runtime::capabilities::http::TracingRecorder,
            ))
            .expect_err("outside");
        assert!(e.to_string().contains("secrets.tax.registry"), "{e}");
    }
}
