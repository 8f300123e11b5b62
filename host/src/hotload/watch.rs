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
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher as _};

use super::{Hotload, Origin};

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

/// Watch `plugins_dir` and `bundles_dir` (not recursively).
pub fn watch(
    hotload: Arc<Hotload>,
    plugins_dir: &Path,
    bundles_dir: &Path,
) -> notify::Result<WatchHandle> {
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
    watcher.watch(plugins_dir, RecursiveMode::NonRecursive)?;
    watcher.watch(bundles_dir, RecursiveMode::NonRecursive)?;
    tracing::info!(plugins = %plugins_dir.display(), bundles = %bundles_dir.display(), "watching for new versions");
    let task = tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut changed = BTreeSet::from([first]);
            // Gather until quiet.
            while let Ok(Some(p)) = tokio::time::timeout(QUIET, rx.recv()).await {
                changed.insert(p);
            }
            let wanted: BTreeSet<(Kind, PathBuf)> =
                changed.into_iter().filter_map(classify).collect();
            for (kind, path) in wanted {
                pick_up(&hotload, kind, &path).await;
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

/// What a changed path is about: a signature file stands for its component.
fn classify(path: PathBuf) -> Option<(Kind, PathBuf)> {
    let name = path.file_name()?.to_str()?.to_owned();
    if name.starts_with('.') {
        return None;
    }
    if let Some(component) = name.strip_suffix(".sig")
        && component.ends_with(".wasm")
    {
        return Some((Kind::Component, path.with_file_name(component)));
    }
    if name.ends_with(".wasm") {
        return Some((Kind::Component, path));
    }
    if name.ends_with(".toml") {
        return Some((Kind::Bundle, path));
    }
    None
}

async fn pick_up(hotload: &Hotload, kind: Kind, path: &Path) {
    if !path.exists() {
        tracing::info!(file = %path.display(), "file removed; the version serving keeps serving");
        return;
    }
    let origin = Origin::file(path, "watcher");
    let result = match kind {
        Kind::Component => match super::read_component(path) {
            Some((bytes, signature)) => {
                hotload
                    .admit_component(bytes, signature, &origin, None, true)
                    .await
            }
            None => return,
        },
        Kind::Bundle => match tokio::fs::read_to_string(path).await {
            Ok(text) => hotload.admit_bundle(text, &origin, true).await,
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "cannot read bundle");
                return;
            }
        },
    };
    // Refusals are logged and recorded by the loader.
    if let Ok(outcome) = result
        && !outcome.changed
    {
        tracing::debug!(file = %path.display(), "unchanged");
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
            Some((Kind::Component, PathBuf::from("/p/health.wasm")))
        );
        assert_eq!(c("/p/health.wasm").map(|x| x.0), Some(Kind::Component));
        assert_eq!(c("/b/newborn.toml").map(|x| x.0), Some(Kind::Bundle));
        assert_eq!(c("/p/.health.wasm.tmp"), None);
        assert_eq!(c("/p/health.wasm.part"), None);
        assert_eq!(c("/p/notes.txt"), None);
    }
}
