//! Watching the plugin and bundle directories: a component (`*.wasm`, or
//! its `*.wasm.sig`) or bundle (`*.toml`) that appears or changes is
//! admitted and activated by itself, as if uploaded by the `watcher`.
//!
//! Events are gathered until the directory has been quiet for a moment
//! (a copy arrives in many writes), then each changed file is read once.
//! A removed file changes nothing: the version serving keeps serving
//! until an operator activates another. Write files under another name
//! and rename them into place, so no half-written file is ever read.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher as _};
use onething_store::versions::VersionKind;

use crate::loader::{Loader, Origin, read_submission};
use crate::source::SourceDir;

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

/// Watch the plugins and bundles directories (not recursively). Files
/// are read through the directories opened from the configuration, by
/// name only.
pub fn watch(
    loader: Arc<Loader>,
    plugins: Arc<SourceDir>,
    bundles: Arc<SourceDir>,
) -> notify::Result<WatchHandle> {
    let (plugins_dir, bundles_dir) = (plugins.path().to_path_buf(), bundles.path().to_path_buf());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<PathBuf>();
    let mut watcher =
        notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
            Ok(event) => {
                for path in event.paths {
                    let _ = tx.send(path);
                }
            }
            Err(e) => tracing::warn!(error = %e, "watching the plugin and bundle directories"),
        })?;
    watcher.watch(&plugins_dir, RecursiveMode::NonRecursive)?;
    watcher.watch(&bundles_dir, RecursiveMode::NonRecursive)?;
    tracing::info!(plugins = %plugins_dir.display(), bundles = %bundles_dir.display(), "watching for new versions");
    let task = tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut changed = BTreeSet::from([first]);
            // Gather until quiet.
            while let Ok(Some(p)) = tokio::time::timeout(QUIET, rx.recv()).await {
                changed.insert(p);
            }
            let wanted: BTreeSet<(Kind, String)> =
                changed.into_iter().filter_map(classify).collect();
            for (kind, name) in wanted {
                let dir = match kind {
                    Kind::Component => &plugins,
                    Kind::Bundle => &bundles,
                };
                pick_up(&loader, kind, dir, &name).await;
            }
        }
    });
    Ok(WatchHandle {
        _watcher: watcher,
        task,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Component,
    Bundle,
}

/// What a changed path is about, and the file name to read: a signature
/// file stands for its component.
fn classify(path: PathBuf) -> Option<(Kind, String)> {
    let name = path.file_name()?.to_str()?.to_owned();
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

async fn pick_up(loader: &Loader, kind: Kind, dir: &SourceDir, name: &str) {
    if !dir.exists(name) {
        tracing::info!(file = %dir.shown(name), "file removed; the version serving keeps serving");
        return;
    }
    let version_kind = match kind {
        Kind::Component => VersionKind::Plugin,
        Kind::Bundle => VersionKind::Bundle,
    };
    let submission = match read_submission(dir, version_kind, name) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(file = %dir.shown(name), error = %e, "cannot read a changed file");
            return;
        }
    };
    let origin = Origin::file(dir.shown(name), "watcher");
    // Refusals are logged and recorded by the loader.
    if let Ok(outcome) = loader.admit(submission, &origin, true).await
        && !outcome.changed
    {
        tracing::debug!(file = %dir.shown(name), "unchanged");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_files_stand_for_their_component() {
        let c = |s: &str| classify(PathBuf::from(s));
        assert_eq!(
            c("/p/health.wasm.sig"),
            Some((Kind::Component, "health.wasm".to_owned()))
        );
        assert_eq!(c("/p/health.wasm").map(|x| x.0), Some(Kind::Component));
        assert_eq!(c("/b/newborn.toml").map(|x| x.0), Some(Kind::Bundle));
        assert_eq!(c("/p/.health.wasm.tmp"), None);
        assert_eq!(c("/p/health.wasm.part"), None);
        assert_eq!(c("/p/notes.txt"), None);
    }
}
