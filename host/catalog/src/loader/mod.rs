//! Changing what serves while the service runs: new versions of
//! department components, bundles, the grants register and the data
//! dictionary are admitted, activated and rolled back without a restart
//! and without failing an application.
//!
//! Every version goes through the admission checks (`admission`) before it can serve. A
//! refused version changes nothing; the reason is returned, logged and kept
//! in the store's history. An admitted version is stored with its bytes (so
//! rollback and restart need nothing else) and, when activated, served by
//! publishing a new catalog in one step ([`crate::Serving::publish`]):
//! attempts already started finish on the version they started with.
//!
//! Every kind takes one path: a [`Submission`] is checked into a
//! `Candidate` (kind by kind), and admitting, activating, rolling back,
//! recording and publishing are the same for all. Everything is checked
//! against the dictionary serving at the time. Versions arrive from the
//! operator API and from the watched directories ([`crate::watch`]); one
//! change is made at a time.

mod candidate;
mod follow;
mod history;
mod types;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use onething_model::bundle::Bundle;
use onething_model::dictionary::Dictionary;
use onething_model::grants::Grants;
use onething_model::ids::Digest;
use onething_runtime::{Plugin, Runtime};
use onething_store::Store;
use onething_store::versions::{
    ChangeAction, ChangeRecord, DICTIONARY_SUBJECT, GRANTS_SUBJECT, StoredVersion, VersionKind,
};

use crate::source::{SourceDir, SourceFile};
use crate::{Catalog, Serving, admission};
use candidate::{Activate, Candidate, serving_digest};
use history::change;

pub use follow::Follower;
pub use types::{
    FileContent, FileRead, LoaderError, Origin, Outcome, SignaturePolicy, StartReport, Submission,
    VersionTaken,
};

/// The loader's memory between changes.
#[derive(Default)]
struct Loaded {
    /// Admitted component versions kept compiled, by digest.
    plugins: HashMap<Digest, Arc<Plugin>>,
    /// At start: the subjects whose history names an active version (a
    /// known file does not override it).
    history_active: HashSet<(VersionKind, String)>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The loader of one service.
pub struct Loader {
    runtime: Runtime,
    store: Arc<dyn Store>,
    policy: SignaturePolicy,
    serving: Arc<Serving>,
    loaded: tokio::sync::Mutex<Loaded>,
}

impl Loader {
    /// A loader publishing to `serving`, keeping history in `store`.
    pub fn new(
        runtime: Runtime,
        store: Arc<dyn Store>,
        policy: SignaturePolicy,
        serving: Arc<Serving>,
    ) -> Self {
        Self {
            runtime,
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

    /// What serves at start: the dictionary, the grants register, then
    /// the directories' files (a file not seen before is activated) and,
    /// for the dictionary, the register, every department and bundle, the
    /// version its history says is active. Refused files are logged and
    /// recorded, and the service starts without them; it does not start
    /// when no component can serve.
    pub async fn start(
        &self,
        plugins: &SourceDir,
        bundles: &SourceDir,
        grants: &SourceFile,
        dictionary: &SourceFile,
    ) -> Result<StartReport, LoaderError> {
        let mut loaded = self.loaded.lock().await;
        let mut report = StartReport::default();
        for (kind, dir, names) in [
            (
                VersionKind::Dictionary,
                &dictionary.dir,
                vec![dictionary.name.clone()],
            ),
            (VersionKind::Grants, &grants.dir, vec![grants.name.clone()]),
            (VersionKind::Plugin, plugins, plugins.files_with("wasm")?),
            (VersionKind::Bundle, bundles, bundles.files_with("toml")?),
        ] {
            let mut active = self.active_in_history(kind).await?;
            loaded
                .history_active
                .extend(active.keys().map(|subject| (kind, subject.clone())));
            for name in names {
                let origin = Origin::file(dir.shown(&name), "startup");
                let submission = match read_submission(dir, kind, &name) {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::error!(file = %dir.shown(&name), error = %e, "cannot read a file at start");
                        report.refused.push(e.to_string());
                        continue;
                    }
                };
                let content = submission.content();
                let admitted = match self
                    .admit_locked(&mut loaded, submission, &origin, Activate::IfNew)
                    .await
                {
                    // A file activated now is what the history says from now on.
                    Ok(o) if o.active => {
                        active.insert(o.subject, o.digest);
                        true
                    }
                    Ok(_) => true,
                    Err(e) => {
                        tracing::error!(file = %origin.source, reason = %e, "refused at start");
                        report.refused.push(e.to_string());
                        false
                    }
                };
                report.files.push(FileRead {
                    kind,
                    name,
                    content,
                    admitted,
                });
            }
            self.restore_active(&mut loaded, kind, &active).await;
            if kind == VersionKind::Grants && self.serving.current().grants_loaded().is_none() {
                tracing::warn!(
                    file = %grants.shown(),
                    "no grants register serves: every component reading a field will be refused"
                );
            }
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
                current.dict(),
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
                Bundle::from_toml(&text, &origin.source, current.dict(), &*current)
                    .map_err(LoaderError::from)
                    .and_then(|b| {
                        admission::bundle_granted(current.grants(), &b)?;
                        Ok((Candidate::Bundle(Arc::new(b)), None))
                    })
            }
            Submission::Grants { text } => Grants::from_toml(&text, &origin.source, current.dict())
                .map_err(LoaderError::from)
                .and_then(|g| {
                    admission::covers_serving(&g, &current)?;
                    Ok((Candidate::Grants(Arc::new(g)), None))
                }),
            Submission::Dictionary { text } => Dictionary::from_toml(&text, &origin.source)
                .map_err(LoaderError::from)
                .and_then(|d| dictionary_candidate(d, &current).map(|c| (c, None))),
        };
        let checked = match checked {
            Ok((candidate, signature)) => self
                .one_build_per_version(&candidate, origin)
                .await
                .map(|()| (candidate, signature)),
            Err(e) => Err(e),
        };
        if let Err(e) = &checked
            && e.is_refusal()
        {
            // The register and the dictionary have one subject each; a
            // component's or bundle's refusal names its own when it can.
            let subject = match kind {
                VersionKind::Grants => Some(GRANTS_SUBJECT),
                VersionKind::Dictionary => Some(DICTIONARY_SUBJECT),
                VersionKind::Plugin | VersionKind::Bundle => None,
            };
            self.refused(kind, subject, Some(digest), origin, e).await;
        }
        checked
    }

    /// Refuse a component whose declared version the store holds as
    /// another build: a department's version names one build. (A bundle
    /// has no declared version: it is named by its digest.)
    async fn one_build_per_version(
        &self,
        candidate: &Candidate,
        origin: &Origin,
    ) -> Result<(), LoaderError> {
        if let Candidate::Dictionary { dict, .. } = candidate {
            let stored = self
                .store
                .versions(VersionKind::Dictionary, DICTIONARY_SUBJECT)
                .await?;
            return match stored
                .into_iter()
                .find(|v| v.version == dict.version() && v.digest != dict.digest())
            {
                Some(other) => Err(LoaderError::DictionaryVersionTaken {
                    origin: origin.source.clone(),
                    version: dict.version().to_owned(),
                    stored: other.digest,
                    stored_source: other.source,
                }),
                None => Ok(()),
            };
        }
        let Candidate::Component { plugin, .. } = candidate else {
            return Ok(());
        };
        let (department, version, offered) = (
            plugin.department(),
            &plugin.manifest().version,
            *plugin.digest(),
        );
        let stored = self
            .store
            .versions(VersionKind::Plugin, department.as_str())
            .await?;
        match stored
            .into_iter()
            .find(|v| &v.version == version && v.digest != offered)
        {
            Some(other) => Err(LoaderError::VersionTaken(Box::new(VersionTaken {
                origin: origin.source.clone(),
                department: department.clone(),
                version: version.clone(),
                stored: other.digest,
                stored_source: other.source,
                offered,
            }))),
            None => Ok(()),
        }
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
                                .load_bytes(stored.bytes, &origin, current.dict())
                                .await?,
                        );
                        loaded.plugins.insert(digest, plugin.clone());
                        plugin
                    }
                };
                admission::granted(current.grants(), &plugin)?;
                let bundles = admission::bundles_with(current.dict(), &current, &plugin)?;
                Ok(Candidate::Component { plugin, bundles })
            }
            VersionKind::Bundle => {
                let (text, origin) = self.stored_text(kind, digest).await?;
                let bundle = Bundle::from_toml(&text, &origin, current.dict(), &*current)?;
                admission::bundle_granted(current.grants(), &bundle)?;
                Ok(Candidate::Bundle(Arc::new(bundle)))
            }
            VersionKind::Grants => {
                let (text, origin) = self.stored_text(kind, digest).await?;
                let grants = Grants::from_toml(&text, &origin, current.dict())?;
                admission::covers_serving(&grants, &current)?;
                Ok(Candidate::Grants(Arc::new(grants)))
            }
            VersionKind::Dictionary => {
                let (text, origin) = self.stored_text(kind, digest).await?;
                dictionary_candidate(Dictionary::from_toml(&text, &origin)?, &current)
            }
        }
    }

    /// A stored bundle's or register's text, and where it came from.
    async fn stored_text(
        &self,
        kind: VersionKind,
        digest: Digest,
    ) -> Result<(String, String), LoaderError> {
        let stored = self.stored(kind, digest).await?;
        let text = String::from_utf8(stored.bytes).map_err(|e| LoaderError::NotText {
            origin: stored.source.clone(),
            message: e.to_string(),
        })?;
        Ok((text, stored.source))
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
}

/// A dictionary checked against what serves, as a candidate.
fn dictionary_candidate(dict: Dictionary, serving: &Catalog) -> Result<Candidate, LoaderError> {
    let admission::Resolved { bundles, grants } = admission::dictionary(&dict, serving)?;
    Ok(Candidate::Dictionary {
        dict: Arc::new(dict),
        bundles,
        grants,
    })
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
        VersionKind::Bundle | VersionKind::Grants | VersionKind::Dictionary => {
            let bytes = dir.read(name)?;
            let text = String::from_utf8(bytes).map_err(|e| LoaderError::NotText {
                origin: dir.shown(name),
                message: e.to_string(),
            })?;
            match kind {
                VersionKind::Bundle => Submission::Bundle { text },
                VersionKind::Grants => Submission::Grants { text },
                _ => Submission::Dictionary { text },
            }
        }
    })
}
