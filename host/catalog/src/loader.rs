//! Changing what serves while the service runs: new versions of
//! department components and bundles are admitted, activated and rolled
//! back without a restart and without failing an application.
//!
//! Every version goes through the admission checks (`admission`) before it can serve. A
//! refused version changes nothing; the reason is returned, logged and kept
//! in the store's history. An admitted version is stored with its bytes (so
//! rollback and restart need nothing else) and, when activated, served by
//! publishing a new catalog in one step ([`crate::Serving::publish`]):
//! attempts already started finish on the version they started with.
//!
//! Components and bundles take one path: a [`Submission`] is checked into a
//! `Candidate` (kind by kind), and admitting, activating, rolling back,
//! recording and publishing are the same for both. Versions arrive from the
//! operator API and from the watched directories ([`crate::watch`]); one
//! change is made at a time.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use onething_model::bundle::{Bundle, BundleError};
use onething_model::dictionary::Dictionary;
use onething_model::ids::{DepartmentId, Digest};
use onething_runtime::signing::{SigningError, TrustedKeys};
use onething_runtime::{LoadError, Plugin, Runtime};
use onething_store::versions::{
    ActivationStack, ChangeAction, ChangeRecord, StoredVersion, VersionKind,
};
use onething_store::{Store, StoreError};
use serde::Serialize;

use crate::source::{SourceDir, SourceError};
use crate::{Catalog, Serving, admission};

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
pub enum LoaderError {
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
    /// The component did not load (bytes, world, contract version, describe).
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
    /// A bundle file is not UTF-8 text.
    #[error("{origin}: a bundle is UTF-8 TOML text: {message}")]
    NotText {
        /// The file or upload.
        origin: String,
        /// What the decoder said.
        message: String,
    },
    /// No such version or subject.
    #[error("{0}")]
    NotFound(String),
    /// Nothing earlier to roll back to, or an ambiguous version.
    #[error("{0}")]
    Conflict(String),
    /// A configured directory cannot be read.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// Nothing can serve at start.
    #[error("no department can serve: {dir} holds no admissible component{reasons}")]
    NothingServes {
        /// The plugins directory.
        dir: String,
        /// Why each file was refused, or how to build some.
        reasons: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl LoaderError {
    /// Whether this is a refusal of the version itself (as opposed to a
    /// missing subject, a directory or a store failure).
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            Self::NotFound(_)
                | Self::Conflict(_)
                | Self::Store(_)
                | Self::Source(_)
                | Self::NothingServes { .. }
        )
    }

    /// The subject a refusal is about, when the error knows it.
    fn subject(&self) -> Option<String> {
        match self {
            Self::WrongKey { department, .. } | Self::BreaksBundle { department, .. } => {
                Some(department.to_string())
            }
            Self::OtherDepartment { expected, .. } => Some(expected.clone()),
            _ => None,
        }
    }
}

/// Where a version came from and who brought it.
#[derive(Debug, Clone)]
pub struct Origin {
    /// `upload`, `operator`, or the file's path.
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
    pub fn file(shown: String, actor: &str) -> Self {
        Self {
            source: shown,
            actor: actor.into(),
        }
    }

    fn operator(actor: &str) -> Self {
        Self {
            source: "operator".into(),
            actor: actor.into(),
        }
    }
}

/// A version as it arrives.
#[derive(Debug, Clone)]
pub enum Submission {
    /// A department's component.
    Component {
        /// Its bytes.
        bytes: Vec<u8>,
        /// Its detached signature (hex), if any.
        signature: Option<String>,
        /// The department it must be, when the request names one.
        department: Option<String>,
    },
    /// A bundle definition (TOML).
    Bundle {
        /// Its text.
        text: String,
    },
}

impl Submission {
    fn kind(&self) -> VersionKind {
        match self {
            Submission::Component { .. } => VersionKind::Plugin,
            Submission::Bundle { .. } => VersionKind::Bundle,
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Submission::Component { bytes, .. } => bytes,
            Submission::Bundle { text } => text.as_bytes(),
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
    pub digest: Digest,
    /// Its declared version (a bundle's: its digest's first 12 hex digits).
    pub version: String,
    /// Whether it serves now.
    pub active: bool,
    /// Whether anything changed (false when it was already serving).
    pub changed: bool,
}

/// What a start served.
#[derive(Debug, Clone, Default)]
pub struct StartReport {
    /// Files refused, each with why.
    pub refused: Vec<String>,
}

/// A version that passed its checks, ready to serve.
#[derive(Clone)]
enum Candidate {
    Component {
        plugin: Arc<Plugin>,
        /// The serving bundles that use its department, resolved with it.
        bundles: Vec<Arc<Bundle>>,
    },
    Bundle(Arc<Bundle>),
}

impl Candidate {
    fn kind(&self) -> VersionKind {
        match self {
            Candidate::Component { .. } => VersionKind::Plugin,
            Candidate::Bundle(_) => VersionKind::Bundle,
        }
    }

    fn subject(&self) -> String {
        match self {
            Candidate::Component { plugin, .. } => plugin.department().to_string(),
            Candidate::Bundle(b) => b.id.to_string(),
        }
    }

    fn digest(&self) -> Digest {
        match self {
            Candidate::Component { plugin, .. } => *plugin.digest(),
            Candidate::Bundle(b) => b.digest,
        }
    }

    fn version(&self) -> String {
        match self {
            Candidate::Component { plugin, .. } => plugin.manifest().version.clone(),
            Candidate::Bundle(b) => b.digest.short(),
        }
    }

    /// Whether `catalog` serves this very version.
    fn serves_in(&self, catalog: &Catalog) -> bool {
        serving_digest(catalog, self.kind(), &self.subject()) == Some(self.digest())
    }

    /// Put it in `catalog`, with what changes with it.
    fn apply(self, catalog: &mut Catalog) {
        match self {
            Candidate::Component { plugin, bundles } => {
                catalog.replace_plugin(plugin);
                for b in bundles {
                    catalog.replace_bundle(b);
                }
            }
            Candidate::Bundle(b) => catalog.replace_bundle(b),
        }
    }
}

/// The digest serving for a subject in `catalog`.
fn serving_digest(catalog: &Catalog, kind: VersionKind, subject: &str) -> Option<Digest> {
    match kind {
        VersionKind::Plugin => catalog
            .plugins()
            .find(|p| p.department().as_str() == subject)
            .map(|p| *p.digest()),
        VersionKind::Bundle => catalog.bundle_named(subject).map(|b| b.digest),
    }
}

/// The loader's memory between changes.
#[derive(Default)]
struct Loaded {
    /// Admitted component versions kept compiled, by digest.
    plugins: HashMap<Digest, Arc<Plugin>>,
    /// At start: the subjects whose history names an active version (a
    /// known file does not override it).
    history_active: HashSet<(VersionKind, String)>,
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
    fn activates(self, known: bool, history_has_active: impl FnOnce() -> bool) -> bool {
        match self {
            Activate::Yes => true,
            Activate::No => false,
            Activate::IfNew => !known || !history_has_active(),
        }
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The loader of one service.
pub struct Loader {
    runtime: Runtime,
    dict: Arc<Dictionary>,
    store: Arc<dyn Store>,
    policy: SignaturePolicy,
    serving: Arc<Serving>,
    loaded: tokio::sync::Mutex<Loaded>,
}

impl Loader {
    /// A loader publishing to `serving`, keeping history in `store`.
    pub fn new(
        runtime: Runtime,
        dict: Arc<Dictionary>,
        store: Arc<dyn Store>,
        policy: SignaturePolicy,
        serving: Arc<Serving>,
    ) -> Self {
        Self {
            runtime,
            dict,
            store,
            policy,
            serving,
            loaded: tokio::sync::Mutex::new(Loaded::default()),
        }
    }

    /// The runtime (it must outlive every plugin call).
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// What serves.
    pub fn serving(&self) -> &Arc<Serving> {
        &self.serving
    }

    /// Whether signatures are required.
    pub fn signatures_required(&self) -> bool {
        self.policy.required
    }

    /// The serving digest of a department's component or a bundle.
    pub fn serving_digest(&self, kind: VersionKind, subject: &str) -> Option<Digest> {
        serving_digest(&self.serving.current(), kind, subject)
    }

    /// What serves at start: the directories' files (a file not seen
    /// before is activated) and, for every department and bundle, the
    /// version its history says is active. Refused files are logged and
    /// recorded, and the service starts without them; it does not start
    /// when no component can serve.
    pub async fn start(
        &self,
        plugins: &SourceDir,
        bundles: &SourceDir,
    ) -> Result<StartReport, LoaderError> {
        let mut loaded = self.loaded.lock().await;
        let mut report = StartReport::default();
        for (kind, dir, ext) in [
            (VersionKind::Plugin, plugins, "wasm"),
            (VersionKind::Bundle, bundles, "toml"),
        ] {
            let mut active = self.active_in_history(kind).await?;
            loaded
                .history_active
                .extend(active.keys().map(|subject| (kind, subject.clone())));
            for name in dir.files_with(ext)? {
                let origin = Origin::file(dir.shown(&name), "startup");
                let submission = match read_submission(dir, kind, &name) {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::error!(file = %dir.shown(&name), error = %e, "cannot read a file at start");
                        report.refused.push(e.to_string());
                        continue;
                    }
                };
                match self
                    .admit_locked(&mut loaded, submission, &origin, Activate::IfNew)
                    .await
                {
                    // A file activated now is what the history says from now on.
                    Ok(o) if o.active => {
                        active.insert(o.subject, o.digest);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::error!(file = %origin.source, reason = %e, "refused at start");
                        report.refused.push(e.to_string());
                    }
                }
            }
            self.restore_active(&mut loaded, kind, &active).await;
            if kind == VersionKind::Plugin && self.serving.current().plugins().next().is_none() {
                return Err(LoaderError::NothingServes {
                    dir: plugins.path().display().to_string(),
                    reasons: if report.refused.is_empty() {
                        " (build them with `cargo xtask build-plugins`)".to_string()
                    } else {
                        format!(": {}", report.refused.join("; "))
                    },
                });
            }
        }
        Ok(report)
    }

    /// Admit a version (and activate it unless `activate` is false).
    pub async fn admit(
        &self,
        submission: Submission,
        origin: &Origin,
        activate: bool,
    ) -> Result<Outcome, LoaderError> {
        let mut loaded = self.loaded.lock().await;
        let how = if activate {
            Activate::Yes
        } else {
            Activate::No
        };
        self.admit_locked(&mut loaded, submission, origin, how)
            .await
    }

    /// Serve a stored version, named by its digest, a digest prefix of at
    /// least 8 hex digits, or its declared version.
    pub async fn activate(
        &self,
        kind: VersionKind,
        subject: &str,
        wanted: &str,
        actor: &str,
    ) -> Result<Outcome, LoaderError> {
        let mut loaded = self.loaded.lock().await;
        let digest = self.full_digest(kind, subject, wanted).await?;
        self.switch(
            &mut loaded,
            kind,
            subject,
            digest,
            actor,
            ChangeAction::Activated,
        )
        .await
    }

    /// Serve again the version that served before the current one.
    pub async fn rollback(
        &self,
        kind: VersionKind,
        subject: &str,
        actor: &str,
    ) -> Result<Outcome, LoaderError> {
        let mut loaded = self.loaded.lock().await;
        let digest = self.previous(kind, subject).await?;
        self.switch(
            &mut loaded,
            kind,
            subject,
            digest,
            actor,
            ChangeAction::RolledBack,
        )
        .await
    }

    /// Check a submission into a candidate; the refusal is recorded.
    async fn check(
        &self,
        submission: Submission,
        origin: &Origin,
    ) -> Result<(Candidate, Option<String>), LoaderError> {
        let current = self.serving.current();
        let kind = submission.kind();
        let digest = Digest::of(submission.bytes());
        let checked = match submission {
            Submission::Component {
                bytes,
                signature,
                department,
            } => admission::component(
                &self.runtime,
                &self.dict,
                &self.policy,
                &current,
                &bytes,
                signature.as_deref(),
                &origin.source,
                department.as_deref(),
            )
            .await
            .map(|(plugin, bundles)| {
                (
                    Candidate::Component {
                        plugin: Arc::new(plugin),
                        bundles,
                    },
                    signature,
                )
            }),
            Submission::Bundle { text } => {
                Bundle::from_toml(&text, &origin.source, &self.dict, &*current)
                    .map(|b| (Candidate::Bundle(Arc::new(b)), None))
                    .map_err(LoaderError::from)
            }
        };
        if let Err(e) = &checked {
            self.refused(kind, None, Some(digest), origin, e).await;
        }
        checked
    }

    async fn admit_locked(
        &self,
        loaded: &mut Loaded,
        submission: Submission,
        origin: &Origin,
        how: Activate,
    ) -> Result<Outcome, LoaderError> {
        let bytes = submission.bytes().to_vec();
        let (candidate, signature) = self.check(submission, origin).await?;
        let (kind, subject, digest, version) = (
            candidate.kind(),
            candidate.subject(),
            candidate.digest(),
            candidate.version(),
        );
        let known = self.is_stored(kind, &subject, &digest).await?;
        let serving_now = candidate.serves_in(&self.serving.current());
        let activate = !serving_now
            && how.activates(known, || {
                loaded.history_active.contains(&(kind, subject.clone()))
            });
        let changes: Vec<ChangeRecord> = [
            (!known).then_some(ChangeAction::Admitted),
            activate.then_some(ChangeAction::Activated),
        ]
        .into_iter()
        .flatten()
        .map(|action| change(kind, &subject, action, digest, &version, origin))
        .collect();
        if !changes.is_empty() {
            let stored = StoredVersion {
                kind,
                subject: subject.clone(),
                digest,
                version: version.clone(),
                source: origin.source.clone(),
                added_ms: now_ms(),
                added_by: origin.actor.clone(),
                bytes,
                signature,
            };
            self.store
                .record_changes((!known).then_some(&stored), &changes)
                .await?;
        }
        if let Candidate::Component { plugin, .. } = &candidate {
            loaded
                .plugins
                .entry(digest)
                .or_insert_with(|| plugin.clone());
        }
        if activate {
            self.publish(candidate);
            tracing::info!(kind = kind.as_str(), subject, version, digest = %digest.short(), source = %origin.source, by = %origin.actor, "version activated");
        } else if !known {
            tracing::info!(kind = kind.as_str(), subject, version, digest = %digest.short(), source = %origin.source, by = %origin.actor, "version admitted (not activated)");
        }
        Ok(Outcome {
            kind,
            subject,
            digest,
            version,
            active: activate || serving_now,
            changed: activate || !known,
        })
    }

    /// A stored version, loaded and checked again against what serves.
    async fn load_stored(
        &self,
        loaded: &mut Loaded,
        kind: VersionKind,
        digest: Digest,
    ) -> Result<Candidate, LoaderError> {
        let current = self.serving.current();
        match kind {
            VersionKind::Plugin => {
                let plugin = match loaded.plugins.get(&digest) {
                    Some(p) => p.clone(),
                    None => {
                        let stored = self.stored(kind, digest).await?;
                        let origin = format!("{} (stored {})", stored.source, digest.short());
                        let plugin = Arc::new(
                            self.runtime
                                .load_bytes(stored.bytes, &origin, &self.dict)
                                .await?,
                        );
                        loaded.plugins.insert(digest, plugin.clone());
                        plugin
                    }
                };
                let bundles = admission::bundles_with(&self.dict, &current, &plugin)?;
                Ok(Candidate::Component { plugin, bundles })
            }
            VersionKind::Bundle => {
                let stored = self.stored(kind, digest).await?;
                let text = String::from_utf8(stored.bytes).map_err(|e| LoaderError::NotText {
                    origin: stored.source.clone(),
                    message: e.to_string(),
                })?;
                let bundle = Bundle::from_toml(&text, &stored.source, &self.dict, &*current)?;
                Ok(Candidate::Bundle(Arc::new(bundle)))
            }
        }
    }

    async fn stored(
        &self,
        kind: VersionKind,
        digest: Digest,
    ) -> Result<StoredVersion, LoaderError> {
        self.store.version(kind, &digest).await?.ok_or_else(|| {
            LoaderError::NotFound(format!("no stored {} version {digest}", kind.as_str()))
        })
    }

    /// Serve stored version `digest` of `subject`, recording `action`.
    async fn switch(
        &self,
        loaded: &mut Loaded,
        kind: VersionKind,
        subject: &str,
        digest: Digest,
        actor: &str,
        action: ChangeAction,
    ) -> Result<Outcome, LoaderError> {
        let origin = Origin::operator(actor);
        if serving_digest(&self.serving.current(), kind, subject) == Some(digest) {
            let version = self
                .store
                .versions(kind, subject)
                .await?
                .into_iter()
                .find(|v| v.digest == digest)
                .map_or_else(|| digest.short(), |v| v.version);
            return Ok(Outcome {
                kind,
                subject: subject.into(),
                digest,
                version,
                active: true,
                changed: false,
            });
        }
        let candidate = match self.load_stored(loaded, kind, digest).await {
            Ok(c) => c,
            Err(e) => {
                if e.is_refusal() {
                    self.refused(kind, Some(subject), Some(digest), &origin, &e)
                        .await;
                }
                return Err(e);
            }
        };
        let version = candidate.version();
        self.store
            .record_changes(
                None,
                &[change(kind, subject, action, digest, &version, &origin)],
            )
            .await?;
        self.publish(candidate);
        tracing::info!(
            kind = kind.as_str(),
            subject,
            version,
            digest = %digest.short(),
            by = actor,
            action = action.as_str(),
            "version switched"
        );
        Ok(Outcome {
            kind,
            subject: subject.into(),
            digest,
            version,
            active: true,
            changed: true,
        })
    }

    /// Publish the serving catalog with `candidate` in it.
    fn publish(&self, candidate: Candidate) {
        let mut next = (*self.serving.current()).clone();
        candidate.apply(&mut next);
        self.serving.publish(next);
    }

    /// The active digest of each subject of `kind`, by its history.
    async fn active_in_history(
        &self,
        kind: VersionKind,
    ) -> Result<BTreeMap<String, Digest>, LoaderError> {
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
                let digest = ActivationStack::replay(changes).active()?;
                Some((subject.to_owned(), digest))
            })
            .collect())
    }

    /// Serve, for each subject, the version its history says is active.
    async fn restore_active(
        &self,
        loaded: &mut Loaded,
        kind: VersionKind,
        active: &BTreeMap<String, Digest>,
    ) {
        for (subject, digest) in active {
            if serving_digest(&self.serving.current(), kind, subject) == Some(*digest) {
                continue;
            }
            match self.load_stored(loaded, kind, *digest).await {
                Ok(candidate) => self.publish(candidate),
                Err(e) => {
                    tracing::error!(subject, %digest, reason = %e, "the active version recorded in the history cannot serve; keeping the directory's");
                }
            }
        }
    }

    /// What a rollback of `subject` goes back to.
    async fn previous(&self, kind: VersionKind, subject: &str) -> Result<Digest, LoaderError> {
        let history = self
            .store
            .changes(Some(kind), Some(subject), usize::MAX >> 1)
            .await?;
        if history.is_empty() {
            return Err(LoaderError::NotFound(format!(
                "no {} {subject} has a history",
                kind.as_str()
            )));
        }
        ActivationStack::replay(&history).previous().ok_or_else(|| {
            LoaderError::Conflict(format!(
                "{} {subject} has no earlier version to roll back to",
                kind.as_str()
            ))
        })
    }

    /// Whether the store holds this version (without reading its bytes).
    async fn is_stored(
        &self,
        kind: VersionKind,
        subject: &str,
        digest: &Digest,
    ) -> Result<bool, LoaderError> {
        Ok(self
            .store
            .versions(kind, subject)
            .await?
            .iter()
            .any(|v| &v.digest == digest))
    }

    /// A stored version of `subject` named by its digest or a prefix of
    /// its hex (at least 8 digits), or by its declared version.
    async fn full_digest(
        &self,
        kind: VersionKind,
        subject: &str,
        wanted: &str,
    ) -> Result<Digest, LoaderError> {
        let versions = self.store.versions(kind, subject).await?;
        let hex = wanted.strip_prefix("sha256:").unwrap_or(wanted);
        let matches: Vec<&StoredVersion> = versions
            .iter()
            .filter(|v| {
                let text = v.digest.to_string();
                text == wanted
                    || (hex.len() >= 8 && text.trim_start_matches("sha256:").starts_with(hex))
                    || v.version == wanted
            })
            .collect();
        match matches.as_slice() {
            [one] => Ok(one.digest),
            [] => Err(LoaderError::NotFound(format!(
                "{} {subject} has no stored version {wanted}",
                kind.as_str()
            ))),
            many => {
                // The same declared version admitted twice: the latest.
                match many.last() {
                    Some(last) if many.iter().all(|v| v.version == wanted) => Ok(last.digest),
                    _ => Err(LoaderError::Conflict(format!(
                        "{wanted} matches {} versions of {} {subject}; give more of the digest",
                        many.len(),
                        kind.as_str()
                    ))),
                }
            }
        }
    }

    /// Log and record a refusal; a failure to record it is logged too.
    async fn refused(
        &self,
        kind: VersionKind,
        subject: Option<&str>,
        digest: Option<Digest>,
        origin: &Origin,
        error: &LoaderError,
    ) {
        tracing::warn!(kind = kind.as_str(), source = %origin.source, by = %origin.actor, reason = %error, "version refused; what served before still serves");
        let record = ChangeRecord {
            seq: 0,
            at_ms: now_ms(),
            kind,
            subject: subject.map(str::to_owned).or_else(|| error.subject()),
            action: ChangeAction::Refused,
            digest,
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

fn change(
    kind: VersionKind,
    subject: &str,
    action: ChangeAction,
    digest: Digest,
    version: &str,
    origin: &Origin,
) -> ChangeRecord {
    ChangeRecord {
        seq: 0,
        at_ms: now_ms(),
        kind,
        subject: Some(subject.to_owned()),
        action,
        digest: Some(digest),
        version: Some(version.to_owned()),
        actor: origin.actor.clone(),
        source: origin.source.clone(),
        reason: None,
    }
}

/// A file of a watched or configured directory as a submission.
pub(crate) fn read_submission(
    dir: &SourceDir,
    kind: VersionKind,
    name: &str,
) -> Result<Submission, LoaderError> {
    Ok(match kind {
        VersionKind::Plugin => {
            let (bytes, signature) = dir.read_component(name)?;
            Submission::Component {
                bytes,
                signature,
                department: None,
            }
        }
        VersionKind::Bundle => {
            let bytes = dir.read(name)?;
            let text = String::from_utf8(bytes).map_err(|e| LoaderError::NotText {
                origin: dir.shown(name),
                message: e.to_string(),
            })?;
            Submission::Bundle { text }
        }
    })
}
