//! Directories the host reads its inputs from (plugins, bundles, the
//! dictionary's folder), opened once with cap-std.
//!
//! A [`SourceDir`] reads files by name only: a name with a path separator
//! or `..` is refused, so nothing that comes from input (a file name from
//! the watcher, a path in a document) can reach outside the directory the
//! configuration named.

use std::path::{Path, PathBuf};

use cap_std::ambient_authority;
use cap_std::fs::Dir;

/// Why a directory or file could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct SourceError {
    /// The directory or file, as configured.
    pub path: String,
    /// The cause.
    pub source: std::io::Error,
}

/// A directory opened once, read by file name.
#[derive(Debug)]
pub struct SourceDir {
    dir: Dir,
    path: PathBuf,
}

impl SourceDir {
    /// Open a configured directory.
    pub fn open(path: &Path) -> Result<Self, SourceError> {
        let dir =
            Dir::open_ambient_dir(path, ambient_authority()).map_err(|source| SourceError {
                path: path.display().to_string(),
                source,
            })?;
        Ok(Self {
            dir,
            path: path.to_path_buf(),
        })
    }

    /// Open the directory of a configured file; the file's name in it.
    pub fn of_file(file: &Path) -> Result<(Self, String), SourceError> {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| SourceError {
                path: file.display().to_string(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"),
            })?
            .to_owned();
        let parent = match file.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        Ok((Self::open(parent)?, name))
    }

    /// The directory as configured.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A file of the directory, for messages.
    pub fn shown(&self, name: &str) -> String {
        self.path.join(name).display().to_string()
    }

    fn check_name(&self, name: &str) -> Result<(), SourceError> {
        if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\']) {
            return Err(SourceError {
                path: self.shown(name),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "only a file name in the directory is accepted",
                ),
            });
        }
        Ok(())
    }

    /// The names of the files ending in `.ext`, sorted.
    pub fn files_with(&self, ext: &str) -> Result<Vec<String>, SourceError> {
        let suffix = format!(".{ext}");
        let mut names = Vec::new();
        let entries = self.dir.entries().map_err(|source| SourceError {
            path: self.path.display().to_string(),
            source,
        })?;
        for entry in entries.flatten() {
            let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
            if let Some(name) = entry.file_name().to_str()
                && is_file
                && name.ends_with(&suffix)
                && !name.starts_with('.')
            {
                names.push(name.to_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    /// Whether a file exists.
    pub fn exists(&self, name: &str) -> bool {
        self.check_name(name).is_ok() && self.dir.exists(name)
    }

    /// A file's bytes.
    pub fn read(&self, name: &str) -> Result<Vec<u8>, SourceError> {
        self.check_name(name)?;
        self.dir.read(name).map_err(|source| SourceError {
            path: self.shown(name),
            source,
        })
    }

    /// A file's text.
    pub fn read_to_string(&self, name: &str) -> Result<String, SourceError> {
        self.check_name(name)?;
        self.dir.read_to_string(name).map_err(|source| SourceError {
            path: self.shown(name),
            source,
        })
    }

    /// A file below the directory, by a relative path (`materials/a.pdf`):
    /// cap-std refuses a path that leaves the directory (`..`, an absolute
    /// path, a symlink pointing out).
    pub fn read_relative(&self, relative: &str) -> Result<Vec<u8>, SourceError> {
        self.dir.read(relative).map_err(|source| SourceError {
            path: self.shown(relative),
            source,
        })
    }

    /// A component and its detached signature (`NAME.sig`), if any.
    pub fn read_component(&self, name: &str) -> Result<(Vec<u8>, Option<String>), SourceError> {
        let bytes = self.read(name)?;
        let signature = self.read_to_string(&format!("{name}.sig")).ok();
        Ok((bytes, signature))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_by_name_and_refuses_paths_that_leave() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let inner = tmp.path().join("plugins");
        std::fs::create_dir(&inner).expect("mkdir");
        std::fs::write(inner.join("b.wasm"), b"b").expect("write");
        std::fs::write(inner.join("a.wasm"), b"a").expect("write");
        std::fs::write(inner.join("a.wasm.sig"), "sig").expect("write");
        std::fs::write(inner.join(".hidden.wasm"), b"h").expect("write");
        std::fs::write(tmp.path().join("secret.wasm"), b"s").expect("write");
        let dir = SourceDir::open(&inner).expect("open");
        assert_eq!(dir.files_with("wasm").expect("list"), ["a.wasm", "b.wasm"]);
        assert_eq!(
            dir.read_component("a.wasm").expect("read"),
            (b"a".to_vec(), Some("sig".to_owned()))
        );
        for bad in ["../secret.wasm", "/etc/passwd", "..", "x/../../secret.wasm"] {
            let err = dir.read(bad).expect_err(bad);
            assert!(err.to_string().contains("only a file name"), "{err}");
        }
        std::fs::create_dir(inner.join("sub")).expect("mkdir");
        std::fs::write(inner.join("sub/c.pdf"), b"c").expect("write");
        assert_eq!(dir.read_relative("sub/c.pdf").expect("below"), b"c");
        for bad in ["../secret.wasm", "sub/../../secret.wasm", "/etc/hostname"] {
            assert!(dir.read_relative(bad).is_err(), "{bad} must not be read");
        }
        let missing = SourceDir::open(&tmp.path().join("nowhere")).expect_err("missing");
        assert!(missing.to_string().contains("nowhere"), "{missing}");
    }
}

/// One configured file read through its directory: the data-sharing
/// register (`grants`) or the data dictionary, each watched like the
/// plugins and bundles directories but a single file.
#[derive(Debug)]
pub struct SourceFile {
    /// Its directory, opened once.
    pub dir: SourceDir,
    /// Its name in that directory.
    pub name: String,
}

impl SourceFile {
    /// Open a configured file's directory.
    pub fn open(path: &Path) -> Result<Self, SourceError> {
        let (dir, name) = SourceDir::of_file(path)?;
        Ok(Self { dir, name })
    }

    /// The file as shown in messages.
    pub fn shown(&self) -> String {
        self.dir.shown(&self.name)
    }
}
