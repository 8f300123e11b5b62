//! Outbound HTTP for department plugins: the operator's policy, deny by
//! default. A department may call only the origins its `[outbound.<dept>]`
//! table allows (scheme, host, port and an optional path prefix), within
//! its limits (timeouts, response bytes, requests per call, concurrency),
//! and the host may add a credential to its requests as a header, taken
//! from the department's secrets, so the plugin never sees it.
//!
//! ```toml
//! [outbound.public-security]
//! allow = ["http://127.0.0.1:8090/household/"]
//! call_timeout_ms = 5000
//! [[outbound.public-security.inject]]
//! origin = "http://127.0.0.1:8090/household/"
//! header = "authorization"
//! prefix = "Bearer "
//! secret = "household"
//!
//! [secrets.public-security]
//! household = { file = "secrets/household.token" }   # or { env = "VAR" }
//! ```
//!
//! This module holds the policy and the secrets: reading and checking
//! them ([`OutboundPolicies::build`], [`resolve_secrets`]) and judging one
//! request ([`DepartmentPolicy::check`]). Every refusal names the setting
//! to change. Secrets never reach a `Debug` or `Display`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use onething_model::idcodes::ids::is_kebab;
use serde::Deserialize;

/// Hard ceilings no setting may exceed: a plugin call is short work.
pub const MAX_TIMEOUT_MS: u64 = 300_000;
/// The largest response a setting may allow.
pub const MAX_RESPONSE_BYTES: u64 = 64 << 20;

/// One department's `[outbound.<dept>]` table, as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentOutboundToml {
    /// Origins the department may call: `scheme://host[:port][/prefix/]`.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Time to connect, in ms.
    pub connect_timeout_ms: Option<u64>,
    /// Time from sending the request to the first byte of the answer, in ms.
    pub first_byte_timeout_ms: Option<u64>,
    /// Time for one whole call (request and answer), in ms.
    pub call_timeout_ms: Option<u64>,
    /// The largest answer body read, in bytes.
    pub max_response_bytes: Option<u64>,
    /// Requests one plugin call may make.
    pub max_requests_per_call: Option<u32>,
    /// Requests of the department in flight at once, across calls.
    pub concurrency: Option<u32>,
    /// Headers the host adds, from secrets.
    #[serde(default)]
    pub inject: Vec<InjectionToml>,
    /// TLS for systems that require a client certificate or have their
    /// own authority.
    pub tls: Option<TlsToml>,
}

/// One department's `[outbound.<dept>.tls]` table: the names of its
/// secrets (under `[secrets.<dept>]`) holding PEM text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsToml {
    /// The secret holding the client certificate (and its chain), for
    /// systems that require mutual TLS.
    pub client_certificate: Option<String>,
    /// The secret holding the client certificate's private key (PKCS#8,
    /// PKCS#1 or SEC1).
    pub client_key: Option<String>,
    /// The secret holding the certificate authorities the department's
    /// systems are verified against, instead of the system's roots.
    pub ca: Option<String>,
}

/// One `[[outbound.<dept>.inject]]` entry, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InjectionToml {
    /// The allowed origin (exactly as in `allow`) whose requests get it.
    pub origin: String,
    /// The header's name.
    pub header: String,
    /// Text before the secret, e.g. `"Bearer "`.
    #[serde(default)]
    pub prefix: String,
    /// The name of the department's secret (under `[secrets.<dept>]`).
    pub secret: String,
}

/// Where a secret comes from: `{ file = "…" }` or `{ env = "…" }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretRef {
    /// A file holding the secret (one trailing newline ignored).
    pub file: Option<PathBuf>,
    /// An environment variable holding it.
    pub env: Option<String>,
}

/// What the configuration's `[outbound]` and `[secrets]` tables hold.
pub type OutboundToml = BTreeMap<String, DepartmentOutboundToml>;
/// `[secrets.<dept>] name = { file | env }`.
pub type SecretsToml = BTreeMap<String, BTreeMap<String, SecretRef>>;

/// A department's limits on outbound calls, each a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboundLimits {
    /// Time to connect.
    pub connect_timeout: Duration,
    /// Time to the first byte of the answer.
    pub first_byte_timeout: Duration,
    /// Time for one whole call.
    pub call_timeout: Duration,
    /// The largest answer body read.
    pub max_response_bytes: u64,
    /// Requests per plugin call.
    pub max_requests_per_call: u32,
    /// Requests of the department in flight at once.
    pub concurrency: u32,
}

impl Default for OutboundLimits {
    fn default() -> Self {
        OutboundLimits {
            connect_timeout: Duration::from_secs(2),
            first_byte_timeout: Duration::from_secs(10),
            call_timeout: Duration::from_secs(30),
            max_response_bytes: 1 << 20,
            max_requests_per_call: 8,
            concurrency: 16,
        }
    }
}

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP (for loopback and test systems).
    Http,
    /// HTTP over TLS.
    Https,
}

impl Scheme {
    fn name(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// An origin a department may call, with an optional path prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedOrigin {
    /// The scheme.
    pub scheme: Scheme,
    /// The host, lower case (a name or an IP address).
    pub host: String,
    /// The port (the scheme's default when not written).
    pub port: u16,
    /// The path prefix, ending in `/` (`/` for the whole origin).
    pub path_prefix: String,
    /// As written in the configuration.
    pub written: String,
}

impl AllowedOrigin {
    /// Parses `scheme://host[:port][/prefix]`: no user, query or fragment.
    pub fn parse(text: &str) -> Result<AllowedOrigin, String> {
        let url = url::Url::parse(text).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
        let (scheme, host, port) = url_origin(&url).map_err(|e| format!("`{text}`: {e}"))?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "`{text}` has a query or fragment; an allowed origin is scheme://host[:port][/path/]"
            ));
        }
        let mut path_prefix = url.path().to_owned();
        if !path_prefix.ends_with('/') {
            path_prefix.push('/');
        }
        Ok(AllowedOrigin {
            scheme,
            host,
            port,
            path_prefix,
            written: text.to_owned(),
        })
    }

    /// Whether a request to `scheme://host:port` with `path` falls under it.
    fn covers(&self, scheme: Scheme, host: &str, port: u16, path: &str) -> bool {
        if self.scheme != scheme || self.host != host || self.port != port {
            return false;
        }
        // On a segment boundary: prefix `/a/` covers `/a` and `/a/…`, not `/ab`.
        let bare = self.path_prefix.trim_end_matches('/');
        path.starts_with(&self.path_prefix) || path == bare || (bare.is_empty() && path.is_empty())
    }
}

/// The scheme, lower-case host and port of `url`, or why it cannot be
/// called.
fn url_origin(url: &url::Url) -> Result<(Scheme, String, u16), String> {
    let scheme = match url.scheme() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        other => return Err(format!("the scheme `{other}` is not http or https")),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err("credentials in a URL are not allowed".into());
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or("no host")?
        .to_ascii_lowercase();
    let port = url.port_or_known_default().ok_or("no port")?;
    Ok((scheme, host, port))
}

/// A header the host adds to a department's requests to one origin.
#[derive(Clone, PartialEq, Eq)]
pub struct Injection {
    /// Index into the department's allowed origins.
    pub origin: usize,
    /// The header's name, lower case.
    pub header: String,
    /// Text before the secret.
    pub prefix: String,
    /// The name of the department's secret it carries.
    pub secret: String,
}

impl fmt::Debug for Injection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Injection")
            .field("origin", &self.origin)
            .field("header", &self.header)
            .field("secret", &self.secret)
            .finish_non_exhaustive()
    }
}

/// One department's policy, checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DepartmentPolicy {
    /// The department.
    pub department: String,
    /// What it may call; empty denies everything.
    pub allow: Vec<AllowedOrigin>,
    /// Its limits.
    pub limits: OutboundLimits,
    /// Headers added from secrets.
    pub inject: Vec<Injection>,
    /// Its TLS settings, when it has any.
    pub tls: Option<TlsToml>,
}

/// Why a request may not be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not a URL the host can call.
    #[error("department `{department}` asked for `{url}`, which cannot be called: {why}")]
    BadUrl {
        /// The department.
        department: String,
        /// The URL as asked (its query removed).
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// No allowed origin covers it.
    #[error(
        "department `{department}` may not call {origin}{path}: no entry of `outbound.{department}.allow` covers it{allowed}"
    )]
    NotAllowed {
        /// The department.
        department: String,
        /// `scheme://host:port`.
        origin: String,
        /// The path (no query).
        path: String,
        /// ` (allowed: …)` or ` (nothing is allowed)`.
        allowed: String,
    },
}

impl Refusal {
    /// The setting an operator changes to allow it.
    pub fn setting(&self) -> String {
        match self {
            Refusal::BadUrl { department, .. } | Refusal::NotAllowed { department, .. } => {
                format!("outbound.{department}.allow")
            }
        }
    }
}

/// A request the policy allows: the origin that covers it and the headers
/// to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed<'a> {
    /// The origin entry that covers the request.
    pub origin: &'a AllowedOrigin,
    /// The headers the host adds.
    pub inject: Vec<&'a Injection>,
}

impl DepartmentPolicy {
    /// A policy allowing nothing (a department with no table).
    pub fn deny_all(department: &str) -> DepartmentPolicy {
        DepartmentPolicy {
            department: department.to_owned(),
            ..DepartmentPolicy::default()
        }
    }

    /// Whether the host itself uses the department's secret `name` (to
    /// inject it, or for TLS): such a secret is never given to the plugin.
    pub fn holds_secret(&self, name: &str) -> bool {
        self.inject.iter().any(|i| i.secret == name)
            || self.tls.as_ref().is_some_and(|t| {
                [&t.client_certificate, &t.client_key, &t.ca]
                    .into_iter()
                    .any(|s| s.as_deref() == Some(name))
            })
    }

    /// Whether a request to `url` may be sent (also for every redirect
    /// target: a redirect is a new request).
    pub fn check(&self, url: &str) -> Result<Allowed<'_>, Refusal> {
        let shown = url.split(['?', '#']).next().unwrap_or(url).to_owned();
        let bad = |why: String| Refusal::BadUrl {
            department: self.department.clone(),
            url: shown.clone(),
            why,
        };
        let parsed = url::Url::parse(url).map_err(|e| bad(e.to_string()))?;
        let (scheme, host, port) = url_origin(&parsed).map_err(bad)?;
        // The URL parser has resolved `.`, `..` and their encodings.
        let path = parsed.path();
        let found = self
            .allow
            .iter()
            .position(|o| o.covers(scheme, &host, port, path));
        let Some(index) = found else {
            let allowed = if self.allow.is_empty() {
                " (nothing is allowed)".to_owned()
            } else {
                format!(
                    " (allowed: {})",
                    self.allow
                        .iter()
                        .map(|o| o.written.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            return Err(Refusal::NotAllowed {
                department: self.department.clone(),
                origin: format!("{}://{host}:{port}", scheme.name()),
                path: path.to_owned(),
                allowed,
            });
        };
        Ok(Allowed {
            origin: &self.allow[index],
            inject: self.inject.iter().filter(|i| i.origin == index).collect(),
        })
    }
}

/// Every department's policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboundPolicies {
    by_department: BTreeMap<String, DepartmentPolicy>,
}

/// What is wrong with the outbound or secrets tables: each names its
/// setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting}: {problem}")]
pub struct PolicyFault {
    /// The setting, e.g. `outbound.tax.allow[1]`.
    pub setting: String,
    /// What is wrong.
    pub problem: String,
}

/// Every fault in one line, each naming its setting (`; `-separated).
pub fn faults_text(faults: &[PolicyFault]) -> String {
    faults
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Headers a plugin's credential may not be injected as: they frame the
/// request, and the host sets them.
const FRAMING_HEADERS: [&str; 6] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
    "te",
];

/// What is wrong with a `[outbound.<dept>.tls]` table: a certificate
/// without its key (or the reverse), nothing set, or a secret not
/// declared.
fn tls_faults(
    faults: &mut Vec<PolicyFault>,
    department: &str,
    tls: &TlsToml,
    declared: Option<&BTreeMap<String, SecretRef>>,
) {
    let setting = |name: &str| format!("outbound.{department}.tls.{name}");
    match (&tls.client_certificate, &tls.client_key) {
        (Some(_), None) => faults.push(PolicyFault {
            setting: setting("client_key"),
            problem: "is missing: a client certificate needs its key".into(),
        }),
        (None, Some(_)) => faults.push(PolicyFault {
            setting: setting("client_certificate"),
            problem: "is missing: a client key needs its certificate".into(),
        }),
        (None, None) if tls.ca.is_none() => faults.push(PolicyFault {
            setting: format!("outbound.{department}.tls"),
            problem: "sets nothing: give client_certificate and client_key, or ca".into(),
        }),
        _ => {}
    }
    for (name, secret) in [
        ("client_certificate", &tls.client_certificate),
        ("client_key", &tls.client_key),
        ("ca", &tls.ca),
    ] {
        if let Some(secret) = secret
            && !declared.is_some_and(|s| s.contains_key(secret))
        {
            faults.push(PolicyFault {
                setting: setting(name),
                problem: format!("secret `{secret}` is not declared under [secrets.{department}]"),
            });
        }
    }
}

fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn limit(
    faults: &mut Vec<PolicyFault>,
    department: &str,
    name: &str,
    value: Option<u64>,
    default: u64,
    ceiling: u64,
) -> u64 {
    let Some(v) = value else { return default };
    if v == 0 || v > ceiling {
        faults.push(PolicyFault {
            setting: format!("outbound.{department}.{name}"),
            problem: format!("is {v}; 1 to {ceiling}"),
        });
        return default;
    }
    v
}

impl OutboundPolicies {
    /// The policies of `outbound`, checked against the secrets declared
    /// in `secrets`; every fault is listed, each naming its setting.
    pub fn build(
        outbound: &OutboundToml,
        secrets: &SecretsToml,
    ) -> Result<OutboundPolicies, Vec<PolicyFault>> {
        let mut faults = Vec::new();
        let mut by_department = BTreeMap::new();
        for (department, t) in outbound {
            if !is_kebab(department) {
                faults.push(PolicyFault {
                    setting: format!("outbound.{department}"),
                    problem: "is not a department id (lower-case kebab-case)".into(),
                });
                continue;
            }
            let mut allow = Vec::new();
            for (i, text) in t.allow.iter().enumerate() {
                match AllowedOrigin::parse(text) {
                    Ok(o) => allow.push(o),
                    Err(problem) => faults.push(PolicyFault {
                        setting: format!("outbound.{department}.allow[{i}]"),
                        problem,
                    }),
                }
            }
            let d = OutboundLimits::default();
            let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
            let mut f = |name, value, default, ceiling| {
                limit(&mut faults, department, name, value, default, ceiling)
            };
            let limits = OutboundLimits {
                connect_timeout: Duration::from_millis(f(
                    "connect_timeout_ms",
                    t.connect_timeout_ms,
                    ms(d.connect_timeout),
                    MAX_TIMEOUT_MS,
                )),
                first_byte_timeout: Duration::from_millis(f(
                    "first_byte_timeout_ms",
                    t.first_byte_timeout_ms,
                    ms(d.first_byte_timeout),
                    MAX_TIMEOUT_MS,
                )),
                call_timeout: Duration::from_millis(f(
                    "call_timeout_ms",
                    t.call_timeout_ms,
                    ms(d.call_timeout),
                    MAX_TIMEOUT_MS,
                )),
                max_response_bytes: f(
                    "max_response_bytes",
                    t.max_response_bytes,
                    d.max_response_bytes,
                    MAX_RESPONSE_BYTES,
                ),
                max_requests_per_call: f(
                    "max_requests_per_call",
                    t.max_requests_per_call.map(u64::from),
                    u64::from(d.max_requests_per_call),
                    1_000,
                ) as u32,
                concurrency: f(
                    "concurrency",
                    t.concurrency.map(u64::from),
                    u64::from(d.concurrency),
                    10_000,
                ) as u32,
            };
            let declared = secrets.get(department.as_str());
            let mut inject = Vec::new();
            for (i, j) in t.inject.iter().enumerate() {
                let setting = format!("outbound.{department}.inject[{i}]");
                let header = j.header.to_ascii_lowercase();
                let origin = t.allow.iter().position(|a| *a == j.origin);
                let problem = if origin.is_none() {
                    Some(format!(
                        "origin `{}` is not one of outbound.{department}.allow, written the same way",
                        j.origin
                    ))
                } else if !is_header_name(&header) {
                    Some(format!("`{}` is not a header name", j.header))
                } else if FRAMING_HEADERS.contains(&header.as_str()) {
                    Some(format!("`{header}` frames the request; the host sets it"))
                } else if !declared.is_some_and(|s| s.contains_key(&j.secret)) {
                    Some(format!(
                        "secret `{}` is not declared under [secrets.{department}]",
                        j.secret
                    ))
                } else {
                    None
                };
                match (problem, origin) {
                    (None, Some(origin)) => inject.push(Injection {
                        origin,
                        header,
                        prefix: j.prefix.clone(),
                        secret: j.secret.clone(),
                    }),
                    (problem, _) => faults.push(PolicyFault {
                        setting,
                        problem: problem.unwrap_or_default(),
                    }),
                }
            }
            if let Some(tls) = &t.tls {
                tls_faults(&mut faults, department, tls, declared);
            }
            by_department.insert(
                department.clone(),
                DepartmentPolicy {
                    department: department.clone(),
                    allow,
                    limits,
                    inject,
                    tls: t.tls.clone(),
                },
            );
        }
        for (department, names) in secrets {
            for (name, r) in names {
                if r.file.is_some() == r.env.is_some() {
                    faults.push(PolicyFault {
                        setting: format!("secrets.{department}.{name}"),
                        problem: "give exactly one of `file` or `env`".into(),
                    });
                }
            }
        }
        if faults.is_empty() {
            Ok(OutboundPolicies { by_department })
        } else {
            Err(faults)
        }
    }

    /// The policy of `department` (allowing nothing if it has none),
    /// borrowed when it has one: asked on every request.
    pub fn of(&self, department: &str) -> std::borrow::Cow<'_, DepartmentPolicy> {
        match self.by_department.get(department) {
            Some(p) => std::borrow::Cow::Borrowed(p),
            None => std::borrow::Cow::Owned(DepartmentPolicy::deny_all(department)),
        }
    }

    /// Every department's policy.
    pub fn iter(&self) -> impl Iterator<Item = &DepartmentPolicy> {
        self.by_department.values()
    }
}

/// A secret's value: never shown by `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<hidden>)")
    }
}

/// Why a secret could not be read; names the secret and its source,
/// never a value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The file could not be read.
    #[error("secrets.{department}.{name}: cannot read {file}: {error}")]
    File {
        /// The department.
        department: String,
        /// The secret's name.
        name: String,
        /// The file.
        file: String,
        /// Why.
        error: std::io::Error,
    },
    /// The environment variable is not set (or not Unicode).
    #[error("secrets.{department}.{name}: the environment variable {var} is not set")]
    Env {
        /// The department.
        department: String,
        /// The secret's name.
        name: String,
        /// The variable.
        var: String,
    },
    /// The secret is empty.
    #[error("secrets.{department}.{name}: the secret is empty")]
    Empty {
        /// The department.
        department: String,
        /// The secret's name.
        name: String,
    },
}

/// Every department's secrets, by name.
#[derive(Debug, Default, Clone)]
pub struct SecretStore {
    by_department: BTreeMap<String, BTreeMap<String, Secret>>,
}

impl SecretStore {
    /// The secret `name` of `department`.
    pub fn get(&self, department: &str, name: &str) -> Option<&Secret> {
        self.by_department.get(department)?.get(name)
    }

    /// Every secret's value, to search logs and stores for in tests and
    /// to scrub from anything shown.
    pub fn values(&self) -> impl Iterator<Item = &Secret> {
        self.by_department.values().flat_map(|m| m.values())
    }
}

/// Reads every declared secret: files relative to `dir` (opened through
/// cap-std, so a path cannot leave it), variables through `env`.
pub fn resolve_secrets(
    secrets: &SecretsToml,
    dir: &cap_std::fs::Dir,
    env: impl Fn(&str) -> Option<String>,
) -> Result<SecretStore, SecretError> {
    let mut store = SecretStore::default();
    for (department, names) in secrets {
        for (name, r) in names {
            let value = match (&r.file, &r.env) {
                (Some(file), _) => dir
                    .read_to_string(file)
                    .map_err(|error| SecretError::File {
                        department: department.clone(),
                        name: name.clone(),
                        file: file.display().to_string(),
                        error,
                    })?,
                (None, Some(var)) => env(var).ok_or_else(|| SecretError::Env {
                    department: department.clone(),
                    name: name.clone(),
                    var: var.clone(),
                })?,
                (None, None) => String::new(),
            };
            let value = value
                .strip_suffix('\n')
                .map(|v| v.strip_suffix('\r').unwrap_or(v))
                .unwrap_or(&value)
                .to_owned();
            if value.is_empty() {
                return Err(SecretError::Empty {
                    department: department.clone(),
                    name: name.clone(),
                });
            }
            store
                .by_department
                .entry(department.clone())
                .or_default()
                .insert(name.clone(), Secret(value));
        }
    }
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(text: &str) -> (OutboundToml, SecretsToml) {
        #[derive(Deserialize)]
        struct Both {
            #[serde(default)]
            outbound: OutboundToml,
            #[serde(default)]
            secrets: SecretsToml,
        }
        let both: Both = toml::from_str(text).expect("toml");
        (both.outbound, both.secrets)
    }

    const EXAMPLE: &str = r#"
        [outbound.public-security]
        allow = ["http://127.0.0.1:8090/household/", "https://Registry.Example.gov.cn"]
        call_timeout_ms = 5000
        [[outbound.public-security.inject]]
        origin = "http://127.0.0.1:8090/household/"
        header = "Authorization"
        prefix = "Bearer "
        secret = "household"
        [secrets.public-security]
        household = { env = "HOUSEHOLD_TOKEN" }
    "#;

    fn policy() -> DepartmentPolicy {
        let (o, s) = tables(EXAMPLE);
        OutboundPolicies::build(&o, &s)
            .expect("valid")
            .of("public-security")
            .into_owned()
    }

    #[test]
    fn tls_settings_name_what_is_missing_and_the_host_keeps_its_secrets() {
        let faults = |tls: &str| {
            let (o, s) = tables(&format!(
                "[outbound.tax]\nallow = [\"https://tax.example.gov.cn/\"]\n[outbound.tax.tls]\n{tls}\n[secrets.tax]\ncert = {{ env = \"C\" }}\nkey = {{ env = \"K\" }}\n"
            ));
            OutboundPolicies::build(&o, &s)
                .err()
                .unwrap_or_default()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        };
        assert!(faults("client_certificate = \"cert\"\nclient_key = \"key\"").is_empty());
        let half = faults("client_certificate = \"cert\"");
        assert!(
            half[0].starts_with("outbound.tax.tls.client_key: is missing"),
            "{half:?}"
        );
        let none = faults("");
        assert!(
            none[0].starts_with("outbound.tax.tls: sets nothing"),
            "{none:?}"
        );
        let undeclared = faults("ca = \"roots\"");
        assert!(
            undeclared[0].contains("outbound.tax.tls.ca: secret `roots` is not declared"),
            "{undeclared:?}"
        );

        let (o, s) = tables(
            "[outbound.tax]\nallow = [\"https://tax.example.gov.cn/\"]\n[outbound.tax.tls]\nclient_certificate = \"cert\"\nclient_key = \"key\"\n[secrets.tax]\ncert = { env = \"C\" }\nkey = { env = \"K\" }\nown = { env = \"O\" }\n",
        );
        let policies = OutboundPolicies::build(&o, &s).expect("valid");
        let tax = policies.of("tax");
        assert!(tax.holds_secret("key") && tax.holds_secret("cert"));
        assert!(
            !tax.holds_secret("own"),
            "a secret only the plugin uses is its"
        );
        assert!(
            policy().holds_secret("household"),
            "an injected secret is the host's"
        );
    }

    #[test]
    fn an_allowed_origin_and_path_pass_with_their_injection() {
        let p = policy();
        let ok = p
            .check("http://127.0.0.1:8090/household/v1/persons/1?x=1")
            .expect("allowed");
        assert_eq!(ok.inject.len(), 1);
        assert_eq!(ok.inject[0].header, "authorization");
        assert!(p.check("http://127.0.0.1:8090/household").is_ok());
        // Host names compare case-blind; the default port is the scheme's.
        assert!(
            p.check("https://registry.example.gov.cn:443/any/path")
                .is_ok()
        );
        let other = p
            .check("https://REGISTRY.example.gov.cn/x")
            .expect("allowed");
        assert!(
            other.inject.is_empty(),
            "the credential is for its origin only"
        );
        assert_eq!(p.limits.call_timeout, Duration::from_millis(5000));
        assert_eq!(p.limits.max_response_bytes, 1 << 20, "the default");
    }

    #[test]
    fn another_origin_port_scheme_or_path_is_refused_naming_the_setting() {
        let p = policy();
        for url in [
            "http://127.0.0.2:8090/household/v1",
            "http://127.0.0.1:8091/household/v1",
            "https://127.0.0.1:8090/household/v1",
            "http://127.0.0.1:8090/tax/v1",
            "http://127.0.0.1:8090/householder",
            "http://127.0.0.1:8090/household/../tax/v1",
            "http://127.0.0.1:8090/household/%2e%2e/tax/v1",
            "http://registry.example.gov.cn/x",
        ] {
            let e = p.check(url).expect_err(url);
            assert!(matches!(e, Refusal::NotAllowed { .. }), "{url}: {e}");
            assert_eq!(e.setting(), "outbound.public-security.allow");
            assert!(
                e.to_string().contains("outbound.public-security.allow"),
                "{e}"
            );
        }
        for url in [
            "ftp://127.0.0.1:8090/household/",
            "http://user:pw@127.0.0.1:8090/household/",
            "not a url",
        ] {
            let e = p.check(url).expect_err(url);
            assert!(matches!(e, Refusal::BadUrl { .. }), "{url}: {e}");
        }
    }

    #[test]
    fn a_department_without_a_table_may_call_nothing() {
        let (o, s) = tables(EXAMPLE);
        let tax = OutboundPolicies::build(&o, &s)
            .expect("valid")
            .of("tax")
            .into_owned();
        let e = tax
            .check("http://127.0.0.1:8090/tax/v1")
            .expect_err("denied");
        assert!(e.to_string().contains("nothing is allowed"), "{e}");
        assert!(e.to_string().contains("outbound.tax.allow"), "{e}");
    }

    #[test]
    fn every_fault_is_listed_naming_its_setting() {
        let (o, s) = tables(
            r#"
            [outbound.tax]
            allow = ["http://ok.example", "ftp://no.example", "http://q.example/?a=1"]
            max_response_bytes = 0
            call_timeout_ms = 999999999
            [[outbound.tax.inject]]
            origin = "http://elsewhere.example"
            header = "authorization"
            secret = "t"
            [[outbound.tax.inject]]
            origin = "http://ok.example"
            header = "content-length"
            secret = "t"
            [[outbound.tax.inject]]
            origin = "http://ok.example"
            header = "x-api-key"
            secret = "undeclared"
            [outbound.Not_Kebab]
            [secrets.tax]
            t = { file = "a", env = "B" }
            "#,
        );
        let faults = OutboundPolicies::build(&o, &s).expect_err("faults");
        let settings: Vec<&str> = faults.iter().map(|f| f.setting.as_str()).collect();
        for expected in [
            "outbound.tax.allow[1]",
            "outbound.tax.allow[2]",
            "outbound.tax.max_response_bytes",
            "outbound.tax.call_timeout_ms",
            "outbound.tax.inject[0]",
            "outbound.tax.inject[1]",
            "outbound.tax.inject[2]",
            "outbound.Not_Kebab",
            "secrets.tax.t",
        ] {
            assert!(settings.contains(&expected), "{expected} in {faults:?}");
        }
        assert_eq!(faults.len(), 9, "{faults:?}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let r: Result<OutboundToml, _> = toml::from_str("[tax]\nallowed = []\n");
        let e = r.expect_err("unknown key");
        assert!(e.to_string().contains("allowed"), "{e}");
    }

    #[test]
    fn secrets_come_from_files_and_the_environment_and_never_show() {
        let tmp = tempfile::tempdir().expect("tmp");
        std::fs::write(tmp.path().join("h.token"), "s3cret-household\n").expect("write");
        std::fs::write(tmp.path().join("empty"), "\n").expect("write");
        let dir = cap_std::fs::Dir::open_ambient_dir(tmp.path(), cap_std::ambient_authority())
            .expect("dir");
        let (_, s) = tables(
            r#"
            [secrets.public-security]
            household = { file = "h.token" }
            [secrets.tax]
            key = { env = "TAX_KEY" }
            "#,
        );
        let env = |v: &str| (v == "TAX_KEY").then(|| "s3cret-tax".to_owned());
        let store = resolve_secrets(&s, &dir, env).expect("resolved");
        let h = store.get("public-security", "household").expect("there");
        assert_eq!(h.expose(), "s3cret-household");
        assert_eq!(
            store.get("tax", "key").map(Secret::expose),
            Some("s3cret-tax")
        );
        assert_eq!(store.values().count(), 2);
        let shown = format!("{store:?}");
        assert!(!shown.contains("s3cret"), "{shown}");

        let (_, missing) = tables("[secrets.tax]\nkey = { env = \"NOPE\" }\n");
        let e = resolve_secrets(&missing, &dir, env).expect_err("unset");
        assert!(
            e.to_string().contains("secrets.tax.key") && e.to_string().contains("NOPE"),
            "{e}"
        );
        let (_, empty) = tables("[secrets.tax]\nkey = { file = \"empty\" }\n");
        let e = resolve_secrets(&empty, &dir, env).expect_err("empty");
        assert!(e.to_string().contains("empty"), "{e}");
        // A path out of the directory is refused by cap-std.
        let (_, escape) = tables("[secrets.tax]\nkey = { file = \"../../etc/passwd\" }\n");
        let e = resolve_secrets(&escape, &dir, env).expect_err("escape");
        assert!(e.to_string().contains("secrets.tax.key"), "{e}");
    }
}
