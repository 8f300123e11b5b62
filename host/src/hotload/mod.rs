//! Hot loading: new versions of department components and bundles are
//! admitted, activated and rolled back while the service runs, without a
//! restart and without failing an application.
//!
//! Every version goes through [`admission`] before it can serve: the
//! signature, the component's world and WIT version, its `describe()`
//! against the dictionary, and every serving bundle that uses the
//! department still resolving. A refused version changes nothing; the
//! reason is returned, logged and kept in the store's history. An admitted
//! version is stored with its bytes (so rollback and restart need nothing
//! else) and, when activated, served by swapping the engine's catalogue in
//! one step ([`crate::engine::Engine::swap_catalogue`]): attempts already
//! started finish on the version they started with.
//!
//! Versions arrive from the operator API (upload) and from the watched
//! plugin and bundle directories ([`watch`]). One change is made at a time.

pub mod admission;
pub mod watch;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use serde::Serialize;

use crate::bundle::{Bundle, BundleError};
use crate::dictionary::Dictionary;
use crate::engine::{Catalogue, Engine};
use crate::ids::{DepartmentId, Digest};
use crate::registry::Registry;
use crate::runtime::{LoadError, Plugin, Runtime};
use crate::signing::{SigningError, TrustedKeys};
use crate::store::versions::{
    ActivationStack, ChangeAction, ChangeRecord, StoredVersion, VersionKind,
};
use crate::store::{Store, StoreError};

/// Whether components must be signed, and by whom.
#[derive(Debug, Clone, Default)]
pub struct SignaturePolicy {
    /// Refuse unsigned components and bad signatures.
    pub required: bool,
    /// Trusted public keys by department.
    pub trusted: TrustedKeys,
}

/// Why a version was refused, or an operation could not be done.
#[derive(Debug, thiserror::Error)]
pub enum HotloadError {
    /// The component failed a signature check.
    #[error(transparent)]
    Signature(#[from] SigningError),
    /// Signed, but by another department's key.
    #[error(
        "{origin} is department {department}, but it is signed with the key of {signed_by}: a department's component must carry that department's signature"
    )]
    WrongKey {
        /// The component.
        origin: String,
        /// The department it declares.
        department: DepartmentId,
        /// The department(s) whose key signed it.
        signed_by: String,
    },
    /// The component did not load (bytes, world, WIT version, describe).
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The upload names one department, the component another.
    #[error("{origin} is department {found}, not {expected}")]
    OtherDepartment {
        /// The component.
        origin: String,
        /// The department in the request.
        expected: String,
        /// The department the component declares.
        found: DepartmentId,
    },
    /// A serving bundle would stop resolving with this version.
    #[error(
        "{department} {version} ({origin}) cannot serve: bundle {bundle} would no longer resolve with it: {message}"
    )]
    BreaksBundle {
        /// The component.
        origin: String,
        /// Its department.
        department: DepartmentId,
        /// Its declared version.
        version: String,
        /// The bundle.
        bundle: String,
        /// Why the bundle fails.
        message: String,
    },
    /// The bundle definition is refused.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// No such version or subject.
    #[error("{0}")]
    NotFound(String),
    /// Nothing earlier to roll back to.
    #[error("{0}")]
    Conflict(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl HotloadError {
    /// Whether this is a refusal of the version itself (as opposed to a
    /// missing subject or a store failure).
    pub fn is_refusal(&self) -> bool {
        !matches!(self, Self::NotFound(_) | Self::Conflict(_) | Self::Store(_))
    }
}

/// Where a version came from and who brought it.
#[derive(Debug, Clone)]
pub struct Origin {
    /// `upload`, or the file's path.
    pub source: String,
    /// An operator's name, `watcher` or `startup`.
    pub actor: String,
}

impl Origin {
    /// An operator's upload.
    pub fn upload(operator: &str) -> Self {
        Self {
            source: "upload".into(),
            actor: operator.into(),
        }
    }

    /// A file, picked up by `actor` (`watcher` or `startup`).
    pub fn file(path: &Path, actor: &str) -> Self {
        Self {
            source: path.display().to_string(),
            actor: actor.into(),
        }
    }
}

/// What an admission or activation did.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// Plugin or bundle.
    pub kind: VersionKind,
    /// Department or bundle id.
    pub subject: String,
    /// The version's digest.
    pub digest: String,
    /// Its declared version.
    pub version: String,
    /// Whether it serves now.
    pub active: bool,
    /// Whether anything changed (false when it was already serving).
    pub changed: bool,
}

/// A bundle definition as admitted: its text, for re-resolving it when a
/// department changes, and the parsed bundle.
#[derive(Debug, Clone)]
struct BundleVersion {
    text: String,
    origin: String,
    bundle: Arc<Bundle>,
}

/// What serves now, and what is loaded.
#[derive(Default)]
struct Serving {
    registry: Registry,
    bundles: BTreeMap<String, BundleVersion>,
    /// Admitted component versions kept compiled, by digest.
    plugins: HashMap<String, Arc<Plugin>>,
    /// At start: the subjects whose history names an active version (a
    /// known file does not override it).
    history_active: std::collections::HashSet<(VersionKind, String)>,
}

/// The hot loader of one service.
pub struct Hotload {
    runtime: Runtime,
    dict: Arc<Dictionary>,
    store: Arc<dyn Store>,
    policy: SignaturePolicy,
    engine: OnceLock<Engine>,
    serving: tokio::sync::Mutex<Serving>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Hotload {
    /// A hot loader over a runtime and the store's version history.
    pub fn new(
        runtime: Runtime,
        dict: Arc<Dictionary>,
        store: Arc<dyn Store>,
        policy: SignaturePolicy,
    ) -> Self {
        Self {
            runtime,
            dict,
            store,
            policy,
            engine: OnceLock::new(),
            serving: tokio::sync::Mutex::new(Serving::default()),
        }
    }

    /// The runtime (it must outlive every plugin call).
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Whether signatures are required.
    pub fn signatures_required(&self) -> bool {
        self.policy.required
    }

    /// Give the loader the engine whose catalogue it swaps.
    pub fn attach(&self, engine: Engine) {
        let _ = self.engine.set(engine);
    }

    fn catalogue(&self, serving: &Serving) -> Catalogue {
        Catalogue {
            dict: self.dict.clone(),
            registry: Arc::new(serving.registry.clone()),
            bundles: serving
                .bundles
                .iter()
                .map(|(id, b)| (id.clone(), b.bundle.clone()))
                .collect(),
        }
    }

    fn publish(&self, serving: &Serving) {
        if let Some(engine) = self.engine.get() {
            engine.swap_catalogue(self.catalogue(serving));
        }
    }

    /// What serves at start: the directories' files (a file not seen
    /// before is activated) and, for every department and bundle, the
    /// version its history says is active. Refused files are logged and
    /// recorded, and the service starts without them.
    pub async fn start(&self, plugins_dir: &Path, bundles_dir: &Path) -> anyhow::Result<Catalogue> {
        let mut serving = self.serving.lock().await;
        let mut plugins_active = self.active_in_history(VersionKind::Plugin).await?;
        let mut bundles_active = self.active_in_history(VersionKind::Bundle).await?;
        for (kind, active) in [
            (VersionKind::Plugin, &plugins_active),
            (VersionKind::Bundle, &bundles_active),
        ] {
            serving
                .history_active
                .extend(active.keys().map(|subject| (kind, subject.clone())));
        }
        let mut refused = Vec::new();
        for path in files_with(plugins_dir, "wasm")? {
            let origin = Origin::file(&path, "startup");
            let Some((bytes, signature)) = read_component(&path) else {
                continue;
            };
            match self
                .admit_component_locked(
                    &mut serving,
                    bytes,
                    signature,
                    &origin,
                    None,
                    Activate::IfNew,
                )
                .await
            {
                // A file activated now is what the history says from now on.
                Ok(o) if o.active => {
                    plugins_active.insert(o.subject, o.digest);
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(file = %path.display(), reason = %e, "component refused at start");
                    refused.push(e.to_string());
                }
            }
        }
        self.restore_active(&mut serving, VersionKind::Plugin, &plugins_active)
            .await;
        if serving.registry.plugins().next().is_none() {
            anyhow::bail!(
                "no department can serve: {} holds no admissible component{}",
                plugins_dir.display(),
                if refused.is_empty() {
                    " (build them with `cargo xtask build-plugins`)".to_string()
                } else {
                    format!(": {}", refused.join("; "))
                }
            );
        }
        for path in files_with(bundles_dir, "toml")? {
            let origin = Origin::file(&path, "startup");
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) => {
                    tracing::error!(file = %path.display(), error = %e, "cannot read bundle");
                    continue;
                }
            };
            match self
                .admit_bundle_locked(&mut serving, text, &origin, Activate::IfNew)
                .await
            {
                Ok(o) if o.active => {
                    bundles_active.insert(o.subject, o.digest);
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(file = %path.display(), reason = %e, "bundle refused at start");
                }
            }
        }
        self.restore_active(&mut serving, VersionKind::Bundle, &bundles_active)
            .await;
        Ok(self.catalogue(&serving))
    }

    /// The active digest of each subject of `kind`, by its history.
    async fn active_in_history(
        &self,
        kind: VersionKind,
    ) -> Result<BTreeMap<String, String>, HotloadError> {
        let history = self
            .store
            .changes(Some(kind), None, usize::MAX >> 1)
            .await?;
        let mut by_subject: BTreeMap<&str, Vec<&ChangeRecord>> = BTreeMap::new();
        for c in &history {
            if let Some(s) = &c.subject {
                by_subject.entry(s).or_default().push(c);
            }
        }
        Ok(by_subject
            .into_iter()
            .filter_map(|(subject, changes)| {
                let digest = ActivationStack::replay(changes).active()?.to_owned();
                Some((subject.to_owned(), digest))
            })
            .collect())
    }

    /// Serve, for each subject, the version its history says is active
    /// (`active`, read at the start of [`Hotload::start`]).
    async fn restore_active(
        &self,
        serving: &mut Serving,
        kind: VersionKind,
        active: &BTreeMap<String, String>,
    ) {
        for (subject, digest) in active {
            let (subject, digest) = (subject.as_str(), digest.as_str());
            let result = match kind {
                VersionKind::Plugin => {
                    if serving
                        .registry
                        .plugins()
                        .any(|p| p.digest().to_string() == digest)
                    {
                        continue;
                    }
                    self.load_stored_plugin(serving, digest).await.map(|p| {
                        serving.registry.replace(p);
                    })
                }
                VersionKind::Bundle => {
                    if serving
                        .bundles
                        .get(subject)
                        .is_some_and(|b| b.bundle.digest.to_string() == digest)
                    {
                        continue;
                    }
                    match self.load_stored_bundle(serving, digest).await {
                        Ok(b) => {
                            serving.bundles.insert(b.bundle.id.to_string(), b);
                            Ok(())
                        }
                        Err(e) => Err(e),
                    }
                }
            };
            if let Err(e) = result {
                tracing::error!(subject, digest, reason = %e, "the active version recorded in the history cannot serve; keeping the directory's");
            }
        }
    }

    async fn load_stored_plugin(
        &self,
        serving: &mut Serving,
        digest: &str,
    ) -> Result<Arc<Plugin>, HotloadError> {
        if let Some(p) = serving.plugins.get(digest) {
            return Ok(p.clone());
        }
        let stored = self
            .store
            .version(VersionKind::Plugin, digest)
            .await?
            .ok_or_else(|| HotloadError::NotFound(format!("no stored component {digest}")))?;
        let origin = format!("{} (stored {})", stored.source, short(digest));
        let plugin = Arc::new(
            self.runtime
                .load_bytes(stored.bytes, &origin, &self.dict)
                .await?,
        );
        serving.plugins.insert(digest.to_owned(), plugin.clone());
        Ok(plugin)
    }

    async fn load_stored_bundle(
        &self,
        serving: &Serving,
        digest: &str,
    ) -> Result<BundleVersion, HotloadError> {
        let stored = self
            .store
            .version(VersionKind::Bundle, digest)
            .await?
            .ok_or_else(|| HotloadError::NotFound(format!("no stored bundle {digest}")))?;
        let text = String::from_utf8_lossy(&stored.bytes).into_owned();
        let bundle = Bundle::from_toml(&text, &stored.source, &self.dict, &serving.registry)?;
        Ok(BundleVersion {
            text,
            origin: stored.source,
            bundle: Arc::new(bundle),
        })
    }

    /// Admit a component (and activate it unless `activate` is false).
    /// `department`, when given, must be the one the component declares.
    pub async fn admit_component(
        &self,
        bytes: Vec<u8>,
        signature: Option<String>,
        origin: &Origin,
        department: Option<&str>,
        activate: bool,
    ) -> Result<Outcome, HotloadError> {
        let mut serving = self.serving.lock().await;
        let how = if activate {
            Activate::Yes
        } else {
            Activate::No
        };
        self.admit_component_locked(&mut serving, bytes, signature, origin, department, how)
            .await
    }

    async fn admit_component_locked(
        &self,
        serving: &mut Serving,
        bytes: Vec<u8>,
        signature: Option<String>,
        origin: &Origin,
        department: Option<&str>,
        how: Activate,
    ) -> Result<Outcome, HotloadError> {
        let digest = Digest::of(&bytes).to_string();
        let checked = admission::component(
            &self.runtime,
            &self.dict,
            &self.policy,
            serving,
            &bytes,
            signature.as_deref(),
            &origin.source,
            department,
        )
        .await;
        let (plugin, bundles) = match checked {
            Ok(ok) => ok,
            Err(e) => {
                self.refused(VersionKind::Plugin, None, Some(&digest), origin, &e)
                    .await;
                return Err(e);
            }
        };
        let dept = plugin.department().to_string();
        let version = plugin.manifest().version.clone();
        let known = self.is_stored(VersionKind::Plugin, &dept, &digest).await?;
        let serving_now = serving
            .registry
            .get(plugin.department())
            .is_some_and(|p| p.digest().to_string() == digest);
        let activate = !serving_now
            && how.activates(known, || {
                serving
                    .history_active
                    .contains(&(VersionKind::Plugin, dept.clone()))
            });
        let admitted = (!known).then_some(ChangeAction::Admitted);
        let activated = activate.then_some(ChangeAction::Activated);
        let changes: Vec<ChangeRecord> = [admitted, activated]
            .into_iter()
            .flatten()
            .map(|action| {
                self.change(
                    VersionKind::Plugin,
                    &dept,
                    action,
                    &digest,
                    &version,
                    origin,
                )
            })
            .collect();
        let stored = StoredVersion {
            kind: VersionKind::Plugin,
            subject: dept.clone(),
            digest: digest.clone(),
            version: version.clone(),
            source: origin.source.clone(),
            added_ms: now_ms(),
            added_by: origin.actor.clone(),
            bytes,
            signature,
        };
        if !changes.is_empty() {
            self.store
                .record_changes((!known).then_some(&stored), &changes)
                .await?;
        }
        let plugin = serving
            .plugins
            .entry(digest.clone())
            .or_insert_with(|| Arc::new(plugin))
            .clone();
        if activate {
            serving.registry.replace(plugin);
            for b in bundles {
                serving.bundles.insert(b.bundle.id.to_string(), b);
            }
            self.publish(serving);
            tracing::info!(department = %dept, version, digest = short(&digest), source = %origin.source, by = %origin.actor, "component version activated");
        } else if !known {
            tracing::info!(department = %dept, version, digest = short(&digest), source = %origin.source, by = %origin.actor, "component version admitted (not activated)");
        }
        Ok(Outcome {
            kind: VersionKind::Plugin,
            subject: dept,
            digest,
            version,
            active: activate || serving_now,
            changed: activate || !known,
        })
    }

    /// Serve a stored version of a department's component.
    pub async fn activate_component(
        &self,
        department: &str,
        digest: &str,
        actor: &str,
    ) -> Result<Outcome, HotloadError> {
        let mut serving = self.serving.lock().await;
        self.switch_component(
            &mut serving,
            department,
            digest,
            actor,
            ChangeAction::Activated,
        )
        .await
    }

    /// Serve again the version that served before the current one.
    pub async fn rollback_component(
        &self,
        department: &str,
        actor: &str,
    ) -> Result<Outcome, HotloadError> {
        let mut serving = self.serving.lock().await;
        let target = self.previous(VersionKind::Plugin, department).await?;
        self.switch_component(
            &mut serving,
            department,
            &target,
            actor,
            ChangeAction::RolledBack,
        )
        .await
    }

    async fn previous(&self, kind: VersionKind, subject: &str) -> Result<String, HotloadError> {
        let history = self
            .store
            .changes(Some(kind), Some(subject), usize::MAX >> 1)
            .await?;
        if history.is_empty() {
            return Err(HotloadError::NotFound(format!(
                "no {} {subject} has a history",
                kind.as_str()
            )));
        }
        ActivationStack::replay(&history)
            .previous()
            .map(str::to_owned)
            .ok_or_else(|| {
                HotloadError::Conflict(format!(
                    "{} {subject} has no earlier version to roll back to",
                    kind.as_str()
                ))
            })
    }

    async fn switch_component(
        &self,
        serving: &mut Serving,
        department: &str,
        digest: &str,
        actor: &str,
        action: ChangeAction,
    ) -> Result<Outcome, HotloadError> {
        let digest = self
            .full_digest(VersionKind::Plugin, department, digest)
            .await?;
        let origin = Origin {
            source: "operator".into(),
            actor: actor.into(),
        };
        if let Some(p) = serving
            .registry
            .plugins()
            .find(|p| p.digest().to_string() == digest)
        {
            return Ok(Outcome {
                kind: VersionKind::Plugin,
                subject: department.into(),
                version: p.manifest().version.clone(),
                digest,
                active: true,
                changed: false,
            });
        }
        let result = async {
            let plugin = self.load_stored_plugin(serving, &digest).await?;
            let bundles = admission::bundles_with(&self.dict, serving, &plugin)?;
            Ok::<_, HotloadError>((plugin, bundles))
        }
        .await;
        let (plugin, bundles) = match result {
            Ok(ok) => ok,
            Err(e) => {
                if e.is_refusal() {
                    self.refused(
                        VersionKind::Plugin,
                        Some(department),
                        Some(&digest),
                        &origin,
                        &e,
                    )
                    .await;
                }
                return Err(e);
            }
        };
        let version = plugin.manifest().version.clone();
        self.store
            .record_changes(
                None,
                &[self.change(
                    VersionKind::Plugin,
                    department,
                    action,
                    &digest,
                    &version,
                    &origin,
                )],
            )
            .await?;
        serving.registry.replace(plugin);
        for b in bundles {
            serving.bundles.insert(b.bundle.id.to_string(), b);
        }
        self.publish(serving);
        tracing::info!(
            department,
            version,
            digest = short(&digest),
            by = actor,
            action = action.as_str(),
            "component version switched"
        );
        Ok(Outcome {
            kind: VersionKind::Plugin,
            subject: department.into(),
            digest,
            version,
            active: true,
            changed: true,
        })
    }

    /// Whether the store holds this version (without reading its bytes).
    async fn is_stored(
        &self,
        kind: VersionKind,
        subject: &str,
        digest: &str,
    ) -> Result<bool, HotloadError> {
        Ok(self
            .store
            .versions(kind, subject)
            .await?
            .iter()
            .any(|v| v.digest == digest))
    }

    /// A stored version of `subject` named by its digest or a prefix of
    /// its hex (at least 8 digits), or by its declared version.
    async fn full_digest(
        &self,
        kind: VersionKind,
        subject: &str,
        wanted: &str,
    ) -> Result<String, HotloadError> {
        let versions = self.store.versions(kind, subject).await?;
        let hex = wanted.strip_prefix("sha256:").unwrap_or(wanted);
        let matches: Vec<&StoredVersion> = versions
            .iter()
            .filter(|v| {
                v.digest == wanted
                    || (hex.len() >= 8 && v.digest.trim_start_matches("sha256:").starts_with(hex))
                    || v.version == wanted
            })
            .collect();
        match matches.as_slice() {
            [one] => Ok(one.digest.clone()),
            [] => Err(HotloadError::NotFound(format!(
                "{} {subject} has no stored version {wanted}",
                kind.as_str()
            ))),
            many => {
                // The same declared version uploaded twice: the latest.
                if many.iter().all(|v| v.version == wanted) {
                    Ok(many[many.len() - 1].digest.clone())
                } else {
                    Err(HotloadError::Conflict(format!(
                        "{wanted} matches {} versions of {} {subject}; give more of the digest",
                        many.len(),
                        kind.as_str()
                    )))
                }
            }
        }
    }

    /// Admit a bundle definition (and activate it unless `activate` is false).
    pub async fn admit_bundle(
        &self,
        text: String,
        origin: &Origin,
        activate: bool,
    ) -> Result<Outcome, HotloadError> {
        let mut serving = self.serving.lock().await;
        let how = if activate {
            Activate::Yes
        } else {
            Activate::No
        };
        self.admit_bundle_locked(&mut serving, text, origin, how)
            .await
    }

    async fn admit_bundle_locked(
        &self,
        serving: &mut Serving,
        text: String,
        origin: &Origin,
        how: Activate,
    ) -> Result<Outcome, HotloadError> {
        let digest = Digest::of(text.as_bytes()).to_string();
        let bundle = match Bundle::from_toml(&text, &origin.source, &self.dict, &serving.registry) {
            Ok(b) => Arc::new(b),
            Err(e) => {
                let e = HotloadError::from(e);
                self.refused(VersionKind::Bundle, None, Some(&digest), origin, &e)
                    .await;
                return Err(e);
            }
        };
        let id = bundle.id.to_string();
        let version = short(&digest).to_owned();
        let known = self.is_stored(VersionKind::Bundle, &id, &digest).await?;
        let serving_now = serving
            .bundles
            .get(&id)
            .is_some_and(|b| b.bundle.digest.to_string() == digest);
        let activate = !serving_now
            && how.activates(known, || {
                serving
                    .history_active
                    .contains(&(VersionKind::Bundle, id.clone()))
            });
        let admitted = (!known).then_some(ChangeAction::Admitted);
        let activated = activate.then_some(ChangeAction::Activated);
        let changes: Vec<ChangeRecord> = [admitted, activated]
            .into_iter()
            .flatten()
            .map(|action| self.change(VersionKind::Bundle, &id, action, &digest, &version, origin))
            .collect();
        if !changes.is_empty() {
            let stored = StoredVersion {
                kind: VersionKind::Bundle,
                subject: id.clone(),
                digest: digest.clone(),
                version: version.clone(),
                source: origin.source.clone(),
                added_ms: now_ms(),
                added_by: origin.actor.clone(),
                bytes: text.clone().into_bytes(),
                signature: None,
            };
            self.store
                .record_changes((!known).then_some(&stored), &changes)
                .await?;
        }
        if activate {
            serving.bundles.insert(
                id.clone(),
                BundleVersion {
                    text,
                    origin: origin.source.clone(),
                    bundle,
                },
            );
            self.publish(serving);
            tracing::info!(bundle = %id, digest = short(&digest), source = %origin.source, by = %origin.actor, "bundle version activated");
        }
        Ok(Outcome {
            kind: VersionKind::Bundle,
            subject: id,
            digest,
            version,
            active: activate || serving_now,
            changed: activate || !known,
        })
    }

    /// Serve a stored version of a bundle.
    pub async fn activate_bundle(
        &self,
        id: &str,
        digest: &str,
        actor: &str,
    ) -> Result<Outcome, HotloadError> {
        let mut serving = self.serving.lock().await;
        self.switch_bundle(&mut serving, id, digest, actor, ChangeAction::Activated)
            .await
    }

    /// Serve again the bundle version that served before the current one.
    pub async fn rollback_bundle(&self, id: &str, actor: &str) -> Result<Outcome, HotloadError> {
        let mut serving = self.serving.lock().await;
        let target = self.previous(VersionKind::Bundle, id).await?;
        self.switch_bundle(&mut serving, id, &target, actor, ChangeAction::RolledBack)
            .await
    }

    async fn switch_bundle(
        &self,
        serving: &mut Serving,
        id: &str,
        digest: &str,
        actor: &str,
        action: ChangeAction,
    ) -> Result<Outcome, HotloadError> {
        let digest = self.full_digest(VersionKind::Bundle, id, digest).await?;
        let version = short(&digest).to_owned();
        if serving
            .bundles
            .get(id)
            .is_some_and(|b| b.bundle.digest.to_string() == digest)
        {
            return Ok(Outcome {
                kind: VersionKind::Bundle,
                subject: id.into(),
                digest,
                version,
                active: true,
                changed: false,
            });
        }
        let origin = Origin {
            source: "operator".into(),
            actor: actor.into(),
        };
        let loaded = match self.load_stored_bundle(serving, &digest).await {
            Ok(b) => b,
            Err(e) => {
                if e.is_refusal() {
                    self.refused(VersionKind::Bundle, Some(id), Some(&digest), &origin, &e)
                        .await;
                }
                return Err(e);
            }
        };
        self.store
            .record_changes(
                None,
                &[self.change(VersionKind::Bundle, id, action, &digest, &version, &origin)],
            )
            .await?;
        serving.bundles.insert(id.to_owned(), loaded);
        self.publish(serving);
        tracing::info!(
            bundle = id,
            digest = short(&digest),
            by = actor,
            action = action.as_str(),
            "bundle version switched"
        );
        Ok(Outcome {
            kind: VersionKind::Bundle,
            subject: id.into(),
            digest,
            version,
            active: true,
            changed: true,
        })
    }

    /// The serving digest of a department's component or a bundle.
    pub async fn serving_digest(&self, kind: VersionKind, subject: &str) -> Option<String> {
        let serving = self.serving.lock().await;
        match kind {
            VersionKind::Plugin => serving
                .registry
                .plugins()
                .find(|p| p.department().as_str() == subject)
                .map(|p| p.digest().to_string()),
            VersionKind::Bundle => serving
                .bundles
                .get(subject)
                .map(|b| b.bundle.digest.to_string()),
        }
    }

    fn change(
        &self,
        kind: VersionKind,
        subject: &str,
        action: ChangeAction,
        digest: &str,
        version: &str,
        origin: &Origin,
    ) -> ChangeRecord {
        ChangeRecord {
            seq: 0,
            at_ms: now_ms(),
            kind,
            subject: Some(subject.to_owned()),
            action,
            digest: Some(digest.to_owned()),
            version: Some(version.to_owned()),
            actor: origin.actor.clone(),
            source: origin.source.clone(),
            reason: None,
        }
    }

    /// Log and record a refusal; a failure to record it is logged too.
    async fn refused(
        &self,
        kind: VersionKind,
        subject: Option<&str>,
        digest: Option<&str>,
        origin: &Origin,
        error: &HotloadError,
    ) {
        tracing::warn!(kind = kind.as_str(), source = %origin.source, by = %origin.actor, reason = %error, "version refused; what served before still serves");
        let record = ChangeRecord {
            seq: 0,
            at_ms: now_ms(),
            kind,
            subject: subject
                .map(str::to_owned)
                .or_else(|| refused_subject(error)),
            action: ChangeAction::Refused,
            digest: digest.map(str::to_owned),
            version: None,
            actor: origin.actor.clone(),
            source: origin.source.clone(),
            reason: Some(error.to_string()),
        };
        if let Err(e) = self.store.record_changes(None, &[record]).await {
            tracing::error!(error = %e, "could not record a refusal");
        }
    }
}

/// The subject a refusal is about, when the error knows it.
fn refused_subject(error: &HotloadError) -> Option<String> {
    match error {
        HotloadError::WrongKey { department, .. }
        | HotloadError::BreaksBundle { department, .. } => Some(department.to_string()),
        HotloadError::OtherDepartment { expected, .. } => Some(expected.clone()),
        _ => None,
    }
}

/// How an admitted version becomes active.
#[derive(Debug, Clone, Copy)]
enum Activate {
    Yes,
    No,
    /// Only when it has not been seen before, or its subject's history
    /// names no active version (a start: the history decides for known
    /// versions).
    IfNew,
}

impl Activate {
    /// Whether a version `known` to the store becomes active;
    /// `history_has_active` is asked only at a start.
    fn activates(self, known: bool, history_has_active: impl FnOnce() -> bool) -> bool {
        match self {
            Activate::Yes => true,
            Activate::No => false,
            Activate::IfNew => !known || !history_has_active(),
        }
    }
}

fn short(digest: &str) -> &str {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    &hex[..hex.len().min(12)]
}

/// Another build of a component: the same code with a custom section
/// `onething-build` holding `label` appended, so it has its own digest.
/// For exercising hot loading (tests, benchmarks) with real artifacts.
pub fn tagged_build(component: &[u8], label: &str) -> Vec<u8> {
    let name = b"onething-build";
    let mut payload = vec![name.len() as u8];
    payload.extend_from_slice(name);
    payload.extend_from_slice(label.as_bytes());
    let mut out = component.to_vec();
    out.push(0); // a custom section
    let mut size = payload.len();
    loop {
        let byte = (size & 0x7f) as u8;
        size >>= 7;
        if size == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    out.extend_from_slice(&payload);
    out
}

/// The files of `dir` with extension `ext`, sorted.
fn files_with(dir: &Path, ext: &str) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    paths.sort();
    Ok(paths)
}

/// A component file and its signature file, if any; None (logged) when
/// the component cannot be read.
fn read_component(path: &Path) -> Option<(Vec<u8>, Option<String>)> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "cannot read component");
            return None;
        }
    };
    let signature = std::fs::read_to_string(crate::signing::signature_path(path)).ok();
    Some((bytes, signature))
}
