//! The contract between the host and department components, one module
//! per version of `onething:matter` in `wit/`: its `bindgen!`, the
//! conversions between its generated types and the model's, and its
//! imports forwarded to the host's [`Imports`].
//!
//! Which version a component speaks is read from what it exports
//! ([`detect`]); the [`HandlerPre`] and [`HandlerInstance`] of that version
//! take and give model types, so nothing above this crate names a
//! generated type or cares which version it calls. A component built
//! against a version this host does not speak is refused with every
//! function and type that differs ([`differences`]).
//!
//! Not for the sandbox (engine, limits, per-call state): that is the
//! runtime's.

pub mod differences;
mod imports;
pub mod v0_1;
pub mod v0_2;

use std::fmt;

use onething_model::call::{
    CallMaterial, Field, Handled, ReportedProblem, ReturnedField, StepRequest,
};
use onething_model::manifest::RawManifest;
use wasmtime::component::{Component, InstancePre, Linker};
use wasmtime::{Engine, Store};

pub use imports::{Ctx, Imports, ImportsOf, Inserted, LogLevel, StoreFailure};

/// The package every version belongs to.
pub const PACKAGE: &str = "onething:matter";

/// A version of the contract this host speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContractVersion {
    /// `onething:matter@0.1.0`.
    V0_1,
    /// `onething:matter@0.2.0`: outgoing HTTP, configuration, exact money,
    /// lists, text in two languages.
    V0_2,
}

impl ContractVersion {
    /// Every version this host speaks, oldest first.
    pub const ALL: [ContractVersion; 2] = [ContractVersion::V0_1, ContractVersion::V0_2];

    /// The newest version: what new plugins should be built against.
    pub const NEWEST: ContractVersion = ContractVersion::V0_2;

    /// The version number, e.g. `0.1.0`.
    pub fn as_str(self) -> &'static str {
        match self {
            ContractVersion::V0_1 => v0_1::VERSION,
            ContractVersion::V0_2 => v0_2::VERSION,
        }
    }

    /// The handler export a department of this version provides.
    pub fn handler_export(self) -> &'static str {
        match self {
            ContractVersion::V0_1 => v0_1::HANDLER_EXPORT,
            ContractVersion::V0_2 => v0_2::HANDLER_EXPORT,
        }
    }

    /// The `onething:matter` interfaces it may import.
    pub fn imports(self) -> &'static [&'static str] {
        match self {
            ContractVersion::V0_1 => v0_1::IMPORTS,
            ContractVersion::V0_2 => v0_2::IMPORTS,
        }
    }

    /// The `wasi:http` interfaces it may import (none before 0.2.0).
    pub fn wasi_http(self) -> &'static [&'static str] {
        match self {
            ContractVersion::V0_1 => &[],
            ContractVersion::V0_2 => v0_2::WASI_HTTP,
        }
    }

    /// Whether its departments may call out over HTTP.
    pub fn calls_out(self) -> bool {
        !self.wasi_http().is_empty()
    }

    /// Whether its `value` can hold a list.
    pub fn has_lists(self) -> bool {
        self >= ContractVersion::V0_2
    }

    /// Whether its `value` has money (in fen); before, money is a decimal
    /// of yuan.
    pub fn has_money(self) -> bool {
        self >= ContractVersion::V0_2
    }

    /// The contract's WIT text.
    pub fn wit(self) -> &'static str {
        match self {
            ContractVersion::V0_1 => v0_1::WIT,
            ContractVersion::V0_2 => v0_2::WIT,
        }
    }

    /// The versions this host speaks, for messages: `0.1.0` or
    /// `0.1.0 and 0.2.0`.
    pub fn spoken() -> String {
        let all: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
        match all.split_last() {
            Some((last, [])) => (*last).to_owned(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        }
    }
}

impl fmt::Display for ContractVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PACKAGE}@{}", self.as_str())
    }
}

/// Why a component is not a department of a version this host speaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorldError {
    /// It does not export a handler at all.
    #[error("it exports [{}] but a department must export {}", .exports.join(", "), handler_exports())]
    WrongWorld {
        /// What it exports.
        exports: Vec<String>,
    },
    /// It was built against a version this host does not speak.
    #[error(
        "it was built against {PACKAGE}@{found}, but this host speaks {PACKAGE}@{}{}: rebuild it against an SDK for {}",
        ContractVersion::spoken(),
        differences_text(.differences),
        ContractVersion::NEWEST
    )]
    WitVersion {
        /// The version it was built against.
        found: String,
        /// Each function or type that differs from the newest version, in words.
        differences: Vec<String>,
    },
    /// It imports WASI interfaces the host does not link (outgoing HTTP,
    /// another WASI version): named, with how to build without them.
    #[error(
        "it imports {}, which this host does not grant: a department of {version} may import {PACKAGE}/{{{}}} and the WASI 0.2 interfaces of {} (with nothing granted){}{}",
        .imports.join(", "),
        version.imports().join(", "),
        wasi_families(),
        http_of(*.version),
        not_granted_hint(.imports, *.version)
    )]
    NotGranted {
        /// The WASI imports the host does not link.
        imports: Vec<String>,
        /// The version it speaks.
        version: ContractVersion,
    },
    /// It imports something the host does not grant.
    #[error(
        "it imports {import}, which this host does not grant (a department of {version} may import {PACKAGE}/{{{}}} and WASI p2)",
        version.imports().join(", ")
    )]
    UnknownImport {
        /// The import.
        import: String,
        /// The version it speaks.
        version: ContractVersion,
    },
}

/// The WASI interfaces the runtime links (`wasmtime_wasi::p2::add_to_linker_async`
/// in wasmtime-wasi 48), each at any version 0.2.x. Directories, network
/// and environment are linked but granted nothing; anything else a
/// component imports from `wasi:` (outgoing HTTP, key-value, WASI 0.3) is
/// refused at load by name.
pub const WASI_LINKED: &[&str] = &[
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:clocks/wall-clock",
    "wasi:clocks/monotonic-clock",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:cli/exit",
    "wasi:cli/environment",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:sockets/tcp",
    "wasi:sockets/udp",
    "wasi:sockets/tcp-create-socket",
    "wasi:sockets/udp-create-socket",
    "wasi:sockets/instance-network",
    "wasi:sockets/network",
    "wasi:sockets/ip-name-lookup",
];

/// The version of WASI the runtime links, as a prefix of import versions.
pub const WASI_VERSION_PREFIX: &str = "0.2.";

/// Whether the runtime links a `wasi:` import named `name`
/// (`wasi:cli/stdout@0.2.3`).
pub fn wasi_linked(name: &str) -> bool {
    let (interface, version) = name.split_once('@').unwrap_or((name, ""));
    WASI_LINKED.contains(&interface)
        && (version.starts_with(WASI_VERSION_PREFIX) || version == "0.2")
}

/// Whether `name` (`wasi:http/types@0.2.3`) is a `wasi:http` interface
/// a department of `version` may import.
fn http_granted(version: ContractVersion, name: &str) -> bool {
    let (interface, found) = name.split_once('@').unwrap_or((name, ""));
    version.wasi_http().contains(&interface)
        && (found.starts_with(WASI_VERSION_PREFIX) || found == "0.2")
}

fn wasi_families() -> String {
    let mut families: Vec<&str> = WASI_LINKED
        .iter()
        .filter_map(|i| i.strip_prefix("wasi:")?.split('/').next())
        .collect();
    families.sort_unstable();
    families.dedup();
    families.join(", ")
}

fn http_of(version: ContractVersion) -> String {
    if version.calls_out() {
        format!(
            ", and {} (each request only to the origins the operator allowed)",
            version.wasi_http().join(", ")
        )
    } else {
        String::new()
    }
}

fn not_granted_hint(imports: &[String], version: ContractVersion) -> &'static str {
    if !version.calls_out() && imports.iter().any(|i| i.starts_with("wasi:http/")) {
        "; a 0.1.0 department gets no outgoing HTTP: build it against onething:matter@0.2.0 to call its department's systems, or remove what uses it (a JavaScript component built with componentize-js or `jco componentize` imports wasi:http unless built with `--disable http`, `-d http`)"
    } else if imports.iter().any(|i| {
        i.split_once('@')
            .is_some_and(|(_, v)| !v.starts_with("0.2"))
    }) {
        "; build it for WASI 0.2 (Rust: the wasm32-wasip2 target)"
    } else {
        ""
    }
}

fn handler_exports() -> String {
    ContractVersion::ALL
        .iter()
        .map(|v| v.handler_export())
        .collect::<Vec<_>>()
        .join(" or ")
}

fn differences_text(differences: &[String]) -> String {
    if differences.is_empty() {
        String::new()
    } else {
        format!(" ({})", differences.join("; "))
    }
}

/// The version a component speaks, read from its exports, with its
/// imports checked against what that version may import. `bytes` are the
/// component's, to explain a version mismatch function by function.
pub fn detect(
    engine: &Engine,
    component: &Component,
    bytes: &[u8],
) -> Result<ContractVersion, WorldError> {
    let ty = component.component_type();
    let exports: Vec<String> = ty
        .exports(engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    let Some(version) = ContractVersion::ALL
        .into_iter()
        .find(|v| exports.iter().any(|e| e == v.handler_export()))
    else {
        return Err(
            match exports
                .iter()
                .find_map(|e| e.strip_prefix("onething:matter/handler@"))
            {
                Some(other) => WorldError::WitVersion {
                    found: other.to_owned(),
                    differences: differences::handler_differences(
                        bytes,
                        ContractVersion::NEWEST.wit(),
                    ),
                },
                None => WorldError::WrongWorld { exports },
            },
        );
    };
    let mut not_granted = Vec::new();
    for (name, _) in ty.imports(engine) {
        if name.starts_with("wasi:") {
            if !wasi_linked(name) && !http_granted(version, name) {
                not_granted.push(name.to_owned());
            }
        } else if let Some(rest) = name.strip_prefix("onething:matter/") {
            let (iface, found) = rest.split_once('@').unwrap_or((rest, ""));
            if found != version.as_str() {
                return Err(WorldError::WitVersion {
                    found: found.to_owned(),
                    differences: differences::handler_differences(bytes, version.wit()),
                });
            }
            if !version.imports().contains(&iface) {
                return Err(WorldError::UnknownImport {
                    import: name.to_owned(),
                    version,
                });
            }
        } else {
            return Err(WorldError::UnknownImport {
                import: name.to_owned(),
                version,
            });
        }
    }
    if !not_granted.is_empty() {
        return Err(WorldError::NotGranted {
            imports: not_granted,
            version,
        });
    }
    Ok(version)
}

/// Link the `onething:matter` imports of every version this host speaks
/// (`wasi:http` is the runtime's to link, through its policy).
pub fn add_to_linker<T: Imports + 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    v0_1::add_to_linker(linker)?;
    v0_2::add_to_linker(linker)
}

/// A component, type-checked against the version it speaks, ready to
/// instantiate once per call.
pub enum HandlerPre<T: 'static> {
    /// `onething:matter@0.1.0`.
    V0_1(v0_1::Pre<T>),
    /// `onething:matter@0.2.0`.
    V0_2(v0_2::Pre<T>),
}

impl<T: Send + 'static> HandlerPre<T> {
    /// Type-check a pre-instance against `version`.
    pub fn new(version: ContractVersion, pre: InstancePre<T>) -> wasmtime::Result<Self> {
        Ok(match version {
            ContractVersion::V0_1 => HandlerPre::V0_1(v0_1::Pre::new(pre)?),
            ContractVersion::V0_2 => HandlerPre::V0_2(v0_2::Pre::new(pre)?),
        })
    }

    /// The version it speaks.
    pub fn version(&self) -> ContractVersion {
        match self {
            HandlerPre::V0_1(_) => ContractVersion::V0_1,
            HandlerPre::V0_2(_) => ContractVersion::V0_2,
        }
    }

    /// A fresh instance in `store`.
    pub async fn instantiate(&self, store: &mut Store<T>) -> wasmtime::Result<HandlerInstance> {
        Ok(match self {
            HandlerPre::V0_1(p) => HandlerInstance::V0_1(p.instantiate(store).await?),
            HandlerPre::V0_2(p) => HandlerInstance::V0_2(p.instantiate(store).await?),
        })
    }
}

/// A fresh instance of a department, of whatever version, speaking model
/// types.
pub enum HandlerInstance {
    /// `onething:matter@0.1.0`.
    V0_1(v0_1::Instance),
    /// `onething:matter@0.2.0`.
    V0_2(v0_2::Instance),
}

impl HandlerInstance {
    /// `describe()`.
    pub async fn describe<T: Send>(&self, store: &mut Store<T>) -> wasmtime::Result<RawManifest> {
        match self {
            HandlerInstance::V0_1(i) => i.describe(store).await,
            HandlerInstance::V0_2(i) => i.describe(store).await,
        }
    }

    /// `check`: the draft of `step` (of `application`, when it has one;
    /// a 0.1.0 department is not told).
    pub async fn check<T: Send>(
        &self,
        store: &mut Store<T>,
        application: Option<&str>,
        step: &str,
        fields: &[Field],
        materials: &[CallMaterial],
    ) -> wasmtime::Result<Vec<ReportedProblem>> {
        match self {
            HandlerInstance::V0_1(i) => i.check(store, step, fields, materials).await,
            HandlerInstance::V0_2(i) => i.check(store, application, step, fields, materials).await,
        }
    }

    /// `prefill`: what the department can fill in of `step`.
    pub async fn prefill<T: Send>(
        &self,
        store: &mut Store<T>,
        application: Option<&str>,
        step: &str,
        known: &[Field],
    ) -> wasmtime::Result<Vec<ReturnedField>> {
        match self {
            HandlerInstance::V0_1(i) => i.prefill(store, step, known).await,
            HandlerInstance::V0_2(i) => i.prefill(store, application, step, known).await,
        }
    }

    /// `handle(request)`.
    pub async fn handle<T: Send>(
        &self,
        store: &mut Store<T>,
        request: &StepRequest,
    ) -> wasmtime::Result<Handled> {
        match self {
            HandlerInstance::V0_1(i) => i.handle(store, request).await,
            HandlerInstance::V0_2(i) => i.handle(store, request).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_name_themselves() {
        assert_eq!(ContractVersion::V0_1.to_string(), "onething:matter@0.1.0");
        assert_eq!(
            ContractVersion::V0_1.handler_export(),
            "onething:matter/handler@0.1.0"
        );
        assert_eq!(ContractVersion::spoken(), "0.1.0 and 0.2.0");
        assert!(
            ContractVersion::V0_1
                .wit()
                .contains("package onething:matter@0.1.0")
        );
        assert!(
            ContractVersion::NEWEST
                .wit()
                .contains("package onething:matter@0.2.0")
        );
        assert!(!ContractVersion::V0_1.calls_out() && ContractVersion::V0_2.calls_out());
    }

    #[test]
    fn item_14_wasi_imports_the_host_does_not_link_are_named_as_not_granted() {
        assert!(wasi_linked("wasi:cli/stdout@0.2.0"));
        assert!(wasi_linked("wasi:sockets/tcp@0.2.12"));
        assert!(!wasi_linked("wasi:http/outgoing-handler@0.2.0"));
        assert!(!wasi_linked("wasi:cli/stdout@0.3.0-rc-2025-09-16"));
        assert!(!wasi_linked("wasi:keyvalue/store@0.2.0-draft"));
        let e = WorldError::NotGranted {
            imports: vec![
                "wasi:http/types@0.2.3".into(),
                "wasi:http/outgoing-handler@0.2.3".into(),
            ],
            version: ContractVersion::V0_1,
        };
        let text = e.to_string();
        assert!(
            text.contains("wasi:http/types@0.2.3, wasi:http/outgoing-handler@0.2.3")
                && text.contains("does not grant")
                && text.contains("cli, clocks, filesystem, io, random, sockets")
                && text.contains("-d http"),
            "{text}"
        );
        assert!(!text.contains("rebuild it against"), "{text}");
        assert!(
            text.contains("build it against onething:matter@0.2.0"),
            "{text}"
        );
        assert!(http_granted(
            ContractVersion::V0_2,
            "wasi:http/outgoing-handler@0.2.3"
        ));
        assert!(http_granted(
            ContractVersion::V0_2,
            "wasi:http/types@0.2.12"
        ));
        assert!(!http_granted(
            ContractVersion::V0_1,
            "wasi:http/types@0.2.12"
        ));
        assert!(!http_granted(
            ContractVersion::V0_2,
            "wasi:http/handler@0.3.0"
        ));
    }

    #[test]
    fn mismatch_messages_say_what_to_rebuild_against() {
        let e = WorldError::WitVersion {
            found: "0.0.9".into(),
            differences: vec!["function `prefill` is missing".into()],
        };
        let text = e.to_string();
        assert!(
            text.contains("onething:matter@0.0.9")
                && text.contains("this host speaks onething:matter@0.1.0 and 0.2.0")
                && text.contains("prefill")
                && text.contains("rebuild it against an SDK for onething:matter@0.2.0"),
            "{text}"
        );
        let e = WorldError::WrongWorld {
            exports: vec!["wasi:cli/run@0.2.0".into()],
        };
        assert!(
            e.to_string().contains("onething:matter/handler@0.1.0"),
            "{e}"
        );
    }
}
