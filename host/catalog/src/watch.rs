//! Watching the plugin and bundle directories, the grants register and
//! the data dictionary: a component (`*.wasm`, or its `*.wasm.sig`),
//! bundle (`*.toml`), the register's or the dictionary's file that
//! appears or changes is admitted and activated by itself, as if uploaded
//! by the `watcher`. (The directories of the register and the dictionary
//! are watched for those files only.)
//!
//! Only writes and renames count (a file created, written, closed after
//! writing, renamed into or out of place, removed), never reads: reading a
//! file opens it, and the watcher's own reads must not wake it again.
//! Events are gathered until the directory has been quiet for a moment
//! (a copy arrives in many writes), then each changed file is read once.
//!
//! The watcher remembers what each file held when it last read it (its
//! digest and, for a component, the signature beside it):
//!
//! - a file that holds the same again is not admitted again;
//! - a file's version is activated only when its digest is new for that
//!   file, so an operator's activation or rollback through the API stands
//!   until a file with a new digest appears (a new signature for the same
//!   bytes only admits);
//! - a refused file is checked again only when it is written again (what
//!   it needs may serve by then); the loader records the same refusal once.
//!
//! A removed file changes nothing: the version serving keeps serving until
//! an operator activates another. Write files under another name and
//! rename them into place, so no half-written file is ever read.
//!
//! Not for deciding what serves at start (the loader and the history do:
//! the watcher starts from what the start read, [`StartReport::files`]).

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, ModifyKind};
use notify::{EventKind, RecursiveMode, Watcher as _};
use onething_model::ids::Digest;
use onething_store::versions::VersionKind;

use crate::loader::{FileContent, Loader, Origin, StartReport, read_submission};
use crate::source::{SourceDir, SourceFile};

/// How long a directory must be quiet before its changes are read.
pub const QUIET: Duration = Duration::from_millis(250);

/// Keeps the watch alive; dropping it stops watching.
pub struct WatchHandle {
    _watcher: notify::RecommendedWatcher,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What the notify callback passes on.
enum Signal {
    /// A path was written, renamed or removed.
    Changed(PathBuf),
    /// Events were lost (the kernel's queue overflowed): read every file.
    Rescan,
}

/// The configured directories and files a service watches.
pub struct Watched {
    /// The plugins directory.
    pub plugins: Arc<SourceDir>,
    /// The bundles directory.
    pub bundles: Arc<SourceDir>,
    /// The grants register's file.
    pub grants: Arc<SourceFile>,
    /// The data dictionary's file.
    pub dictionary: Arc<SourceFile>,
}

/// Watch the plugins and bundles directories and the files of the grants
/// register and the dictionary (not recursively), starting from what
/// `start` read. Files are read through the directories opened from the
/// configuration, by name only.
pub fn watch(
    loader: Arc<Loader>,
    watched: Watched,
    start: &StartReport,
) -> notify::Result<WatchHandle> {
    let Watched {
        plugins,
        bundles,
        grants,
        dictionary,
    } = watched;
    let (plugins_dir, bundles_dir) = (plugins.path().to_path_buf(), bundles.path().to_path_buf());
    let grants_file = grants.dir.path().join(&grants.name);
    let dictionary_file = dictionary.dir.path().join(&dictionary.name);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Signal>();
    let mut watcher =
        notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
            Ok(event) => {
                if event.need_rescan() {
                    let _ = tx.send(Signal::Rescan);
                }
                if is_a_change(&event.kind) {
                    for path in event.paths {
                        let _ = tx.send(Signal::Changed(path));
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "watching the plugin and bundle directories"),
        })?;
    watcher.watch(&plugins_dir, RecursiveMode::NonRecursive)?;
    watcher.watch(&bundles_dir, RecursiveMode::NonRecursive)?;
    let mut watching = vec![plugins_dir.clone(), bundles_dir.clone()];
    for dir in [grants.dir.path(), dictionary.dir.path()] {
        if !watching.iter().any(|w| w == dir) {
            watcher.watch(dir, RecursiveMode::NonRecursive)?;
            watching.push(dir.to_path_buf());
        }
    }
    tracing::info!(plugins = %plugins_dir.display(), bundles = %bundles_dir.display(), grants = %grants_file.display(), dictionary = %dictionary_file.display(), "watching for new versions");
    let mut memory = Memory::from_start(start);
    let task = tokio::spawn(async move {
        let dirs = Dirs {
            loader: &loader,
            plugins: &plugins,
            bundles: &bundles,
            grants: &grants,
            dictionary: &dictionary,
        };
        // What changed between the start's reads and the watch.
        memory.sweep(&dirs).await;
        while let Some(first) = rx.recv().await {
            let mut signals = vec![first];
            // Gather until quiet.
            while let Ok(Some(s)) = tokio::time::timeout(QUIET, rx.recv()).await {
                signals.push(s);
            }
            let mut rescan = false;
            let mut wanted = BTreeSet::new();
            for signal in signals {
                match signal {
                    Signal::Changed(path) => wanted.extend(classify(path, &dirs)),
                    Signal::Rescan => rescan = true,
                }
            }
            for (kind, name) in wanted {
                memory.pick_up(&dirs, kind, &name, Trigger::Written).await;
            }
            if rescan {
                tracing::warn!("file events were lost; reading the watched directories again");
                memory.sweep(&dirs).await;
            }
        }
    });
    Ok(WatchHandle {
        _watcher: watcher,
        task,
    })
}

/// Whether an event can mean new content: a file created, written, closed
/// after writing, renamed or removed. Opening, reading, closing after
/// reading and metadata (times, permissions) do not.
fn is_a_change(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Create(_)
            | EventKind::Remove(_)
            | EventKind::Modify(
                ModifyKind::Data(_) | ModifyKind::Name(_) | ModifyKind::Any | ModifyKind::Other
            )
            | EventKind::Access(AccessKind::Close(AccessMode::Write))
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    Component,
    Bundle,
    Grants,
    Dictionary,
}

impl Kind {
    fn version_kind(self) -> VersionKind {
        match self {
            Kind::Component => VersionKind::Plugin,
            Kind::Bundle => VersionKind::Bundle,
            Kind::Grants => VersionKind::Grants,
            Kind::Dictionary => VersionKind::Dictionary,
        }
    }

    fn of(kind: VersionKind) -> Self {
        match kind {
            VersionKind::Plugin => Kind::Component,
            VersionKind::Bundle => Kind::Bundle,
            VersionKind::Grants => Kind::Grants,
            VersionKind::Dictionary => Kind::Dictionary,
        }
    }
}

/// What a changed path is about, and the file name to read: the register's
/// own file, else by directory and name (a signature file stands for its
/// component).
fn classify(path: PathBuf, dirs: &Dirs<'_>) -> Option<(Kind, String)> {
    let name = path.file_name()?.to_str()?.to_owned();
    let dir = path.parent()?;
    if dir == dirs.grants.dir.path() && name == dirs.grants.name {
        return Some((Kind::Grants, name));
    }
    if dir == dirs.dictionary.dir.path() && name == dirs.dictionary.name {
        return Some((Kind::Dictionary, name));
    }
    if dir != dirs.plugins.path() && dir != dirs.bundles.path() {
        return None;
    }
    classify_name(name)
}

/// What a file of the plugins or bundles directory is, by its name.
fn classify_name(name: String) -> Option<(Kind, String)> {
    if name.starts_with('.') {
        return None;
    }
    if let Some(component) = name.strip_suffix(".sig")
        && component.ends_with(".wasm")
    {
        return Some((Kind::Component, component.to_owned()));
    }
    if name.ends_with(".wasm") {
        return Some((Kind::Component, name));
    }
    if name.ends_with(".toml") {
        return Some((Kind::Bundle, name));
    }
    None
}

/// The loader and the watched directories.
struct Dirs<'a> {
    loader: &'a Loader,
    plugins: &'a SourceDir,
    bundles: &'a SourceDir,
    grants: &'a SourceFile,
    dictionary: &'a SourceFile,
}

impl Dirs<'_> {
    fn of(&self, kind: Kind) -> &SourceDir {
        match kind {
            Kind::Component => self.plugins,
            Kind::Bundle => self.bundles,
            Kind::Grants => &self.grants.dir,
            Kind::Dictionary => &self.dictionary.dir,
        }
    }
}

/// Why a file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    /// It was written or renamed: a refused file is checked again even if
    /// it holds the same.
    Written,
    /// Every file is read (at the start of the watch, after lost events):
    /// only new content is checked.
    Sweep,
}

/// What the watcher knows of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    /// What it held when last read.
    content: FileContent,
    /// The digest last admitted from it.
    admitted: Option<Digest>,
    /// Whether what it holds was refused.
    refused: bool,
}

/// What the watcher knows of every file, by kind and name.
#[derive(Debug, Default)]
struct Memory {
    files: HashMap<(Kind, String), Seen>,
}

/// What to do with a file that holds `content`, given what was seen of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    /// Nothing: it holds what it held.
    Skip,
    /// Check it; activate it if admitted.
    Admit {
        /// Whether an admitted version is activated (its digest is new for
        /// this file).
        activate: bool,
    },
}

impl Memory {
    fn from_start(start: &StartReport) -> Self {
        let files = start
            .files
            .iter()
            .map(|f| {
                (
                    (Kind::of(f.kind), f.name.clone()),
                    Seen {
                        content: f.content.clone(),
                        admitted: f.admitted.then_some(f.content.digest),
                        refused: !f.admitted,
                    },
                )
            })
            .collect();
        Self { files }
    }

    fn action(&self, kind: Kind, name: &str, content: &FileContent, trigger: Trigger) -> Action {
        let seen = self.files.get(&(kind, name.to_owned()));
        match seen {
            Some(s) if &s.content == content && !(s.refused && trigger == Trigger::Written) => {
                Action::Skip
            }
            _ => Action::Admit {
                activate: seen.and_then(|s| s.admitted) != Some(content.digest),
            },
        }
    }

    /// Read every file of both directories and the register; check what
    /// is new.
    async fn sweep(&mut self, dirs: &Dirs<'_>) {
        // The dictionary first: what follows is checked against it.
        for (kind, file) in [
            (Kind::Dictionary, dirs.dictionary),
            (Kind::Grants, dirs.grants),
        ] {
            if file.dir.exists(&file.name) {
                let name = file.name.clone();
                self.pick_up(dirs, kind, &name, Trigger::Sweep).await;
            }
        }
        for (kind, ext) in [(Kind::Component, "wasm"), (Kind::Bundle, "toml")] {
            let dir = dirs.of(kind);
            match dir.files_with(ext) {
                Ok(names) => {
                    for name in names {
                        self.pick_up(dirs, kind, &name, Trigger::Sweep).await;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot list a watched directory"),
            }
        }
    }

    async fn pick_up(&mut self, dirs: &Dirs<'_>, kind: Kind, name: &str, trigger: Trigger) {
        let dir = dirs.of(kind);
        if !dir.exists(name) {
            tracing::info!(file = %dir.shown(name), "file removed; the version serving keeps serving");
            return;
        }
        let submission = match read_submission(dir, kind.version_kind(), name) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(file = %dir.shown(name), error = %e, "cannot read a changed file");
                return;
            }
        };
        let content = submission.content();
        let activate = match self.action(kind, name, &content, trigger) {
            Action::Skip => {
                tracing::debug!(file = %dir.shown(name), "unchanged");
                return;
            }
            Action::Admit { activate } => activate,
        };
        let key = (kind, name.to_owned());
        let admitted_before = self.files.get(&key).and_then(|s| s.admitted);
        let origin = Origin::file(dir.shown(name), "watcher");
        // Refusals are logged and recorded by the loader.
        match dirs.loader.admit(submission, &origin, activate).await {
            Ok(outcome) => {
                if !outcome.changed {
                    tracing::debug!(file = %dir.shown(name), "already admitted");
                }
                self.files.insert(
                    key,
                    Seen {
                        admitted: Some(content.digest),
                        content,
                        refused: false,
                    },
                );
            }
            Err(e) if e.is_refusal() => {
                self.files.insert(
                    key,
                    Seen {
                        content,
                        admitted: admitted_before,
                        refused: true,
                    },
                );
            }
            Err(e) => {
                tracing::warn!(file = %dir.shown(name), error = %e, "cannot admit a changed file now; it is read again at its next change");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, DataChange, MetadataKind, RemoveKind, RenameMode};

    #[test]
    fn signature_files_stand_for_their_component() {
        let c = |s: &str| classify_name(s.to_owned());
        assert_eq!(
            c("health.wasm.sig"),
            Some((Kind::Component, "health.wasm".to_owned()))
        );
        assert_eq!(c("health.wasm").map(|x| x.0), Some(Kind::Component));
        assert_eq!(c("newborn.toml").map(|x| x.0), Some(Kind::Bundle));
        assert_eq!(c(".health.wasm.tmp"), None);
        assert_eq!(c("health.wasm.part"), None);
        assert_eq!(c("notes.txt"), None);
    }

    #[test]
    fn item_17_only_writes_and_renames_wake_the_watcher() {
        for kind in [
            EventKind::Create(CreateKind::File),
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            EventKind::Modify(ModifyKind::Name(RenameMode::To)),
            EventKind::Modify(ModifyKind::Name(RenameMode::From)),
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
            EventKind::Remove(RemoveKind::File),
        ] {
            assert!(is_a_change(&kind), "{kind:?} is a change");
        }
        // What reading a file causes (the watcher reads files itself).
        for kind in [
            EventKind::Access(AccessKind::Open(AccessMode::Any)),
            EventKind::Access(AccessKind::Read),
            EventKind::Access(AccessKind::Close(AccessMode::Read)),
            EventKind::Access(AccessKind::Any),
            EventKind::Modify(ModifyKind::Metadata(MetadataKind::Any)),
            EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)),
            EventKind::Any,
            EventKind::Other,
        ] {
            assert!(!is_a_change(&kind), "{kind:?} is not a change");
        }
    }

    fn content(bytes: &[u8], signature: Option<&str>) -> FileContent {
        FileContent {
            digest: Digest::of(bytes),
            signature: signature.map(str::to_owned),
        }
    }

    #[test]
    fn item_17_18_a_file_is_checked_again_only_when_it_holds_something_new() {
        let (v1, v2) = (content(b"v1", Some("s1")), content(b"v2", Some("s2")));
        let name = "health.wasm";
        let mut memory = Memory::default();
        let admit = |activate| Action::Admit { activate };
        // Never seen: checked and activated.
        assert_eq!(
            memory.action(Kind::Component, name, &v1, Trigger::Written),
            admit(true)
        );
        memory.files.insert(
            (Kind::Component, name.into()),
            Seen {
                content: v1.clone(),
                admitted: Some(v1.digest),
                refused: false,
            },
        );
        // The same again, written or swept: nothing (an operator's choice stands).
        for trigger in [Trigger::Written, Trigger::Sweep] {
            assert_eq!(
                memory.action(Kind::Component, name, &v1, trigger),
                Action::Skip
            );
        }
        // The same name as a bundle is another file.
        assert_eq!(
            memory.action(Kind::Bundle, name, &v1, Trigger::Sweep),
            admit(true)
        );
        // A new signature for the same bytes: checked, not activated.
        let resigned = content(b"v1", Some("s1-next"));
        assert_eq!(
            memory.action(Kind::Component, name, &resigned, Trigger::Written),
            admit(false)
        );
        // New bytes: checked and activated.
        assert_eq!(
            memory.action(Kind::Component, name, &v2, Trigger::Written),
            admit(true)
        );
        // Refused: checked again when written again, not when swept.
        memory.files.insert(
            (Kind::Component, name.into()),
            Seen {
                content: v2.clone(),
                admitted: Some(v1.digest),
                refused: true,
            },
        );
        assert_eq!(
            memory.action(Kind::Component, name, &v2, Trigger::Written),
            admit(true)
        );
        assert_eq!(
            memory.action(Kind::Component, name, &v2, Trigger::Sweep),
            Action::Skip
        );
    }

    #[test]
    fn the_watch_starts_from_what_the_start_read() {
        use crate::loader::FileRead;
        let (good, bad) = (content(b"good", None), content(b"bad", None));
        let start = StartReport {
            refused: vec!["bad.toml: …".into()],
            files: vec![
                FileRead {
                    kind: VersionKind::Plugin,
                    name: "health.wasm".into(),
                    content: good.clone(),
                    admitted: true,
                },
                FileRead {
                    kind: VersionKind::Bundle,
                    name: "bad.toml".into(),
                    content: bad.clone(),
                    admitted: false,
                },
            ],
        };
        let memory = Memory::from_start(&start);
        assert_eq!(
            memory.action(Kind::Component, "health.wasm", &good, Trigger::Sweep),
            Action::Skip
        );
        assert_eq!(
            memory.action(Kind::Bundle, "bad.toml", &bad, Trigger::Sweep),
            Action::Skip
        );
        assert_eq!(
            memory.action(Kind::Bundle, "bad.toml", &bad, Trigger::Written),
            Action::Admit { activate: true }
        );
    }
}
