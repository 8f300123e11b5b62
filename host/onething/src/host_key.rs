//! The host's own ed25519 key, which signs each checkpoint of the audit
//! chain: read from `[audit] signing_key` (or `DATA_DIR/audit.key`), made
//! on the service's first start when absent, and its public half for the
//! offline checks (`onething audit verify|checkpoint`). The files are the
//! same as a department's signing keys (`NAME.key`, 64 hex digits, owner
//! only; `NAME.pub` beside it), read and written through cap-std.
//!
//! Not for signing anything but checkpoints (components are signed by
//! their departments: `onething_runtime::signing`).

use std::path::Path;

use anyhow::Context as _;
use cap_std::ambient_authority;
use cap_std::fs::Dir;
use ed25519_dalek::{SigningKey, VerifyingKey};
use onething_runtime::signing::{keygen, parse_public_key, parse_secret_key};

/// The directory holding `path` and its file name, opened with cap-std.
fn parent_and_name(path: &Path) -> anyhow::Result<(Dir, &Path, String)> {
    let parent = path.parent().unwrap_or(Path::new("."));
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("{} names no file", path.display()))?
        .to_owned();
    Dir::create_ambient_dir_all(parent, ambient_authority())
        .with_context(|| format!("creating {}", parent.display()))?;
    let dir = Dir::open_ambient_dir(parent, ambient_authority())
        .with_context(|| format!("opening {}", parent.display()))?;
    Ok((dir, parent, name))
}

/// The key in `path`, if the file is there.
pub fn read(path: &Path) -> anyhow::Result<Option<SigningKey>> {
    let (dir, _, name) = parent_and_name(path)?;
    match dir.read_to_string(&name) {
        Ok(text) => Ok(Some(
            parse_secret_key(&text, &format!("the audit signing key {}", path.display()))
                .map_err(anyhow::Error::new)?,
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => {
            Err(e).with_context(|| format!("reading the audit signing key {}", path.display()))
        }
    }
}

/// The key in `path`, made there (with its `.pub` beside it) when absent.
/// `path` must end in `.key`.
pub fn read_or_create(path: &Path) -> anyhow::Result<SigningKey> {
    if let Some(key) = read(path)? {
        return Ok(key);
    }
    let (dir, shown, name) = parent_and_name(path)?;
    let stem = name.strip_suffix(".key").with_context(|| {
        format!(
            "the audit signing key {} must be a .key file (its public half goes beside it as .pub)",
            path.display()
        )
    })?;
    let (secret, _, public) = keygen(&dir, shown, stem).map_err(anyhow::Error::new)?;
    tracing::warn!(
        key = %secret.display(),
        public = %hex::encode(public.to_bytes()),
        "made the host's audit signing key; keep a copy of its public half away from the host"
    );
    read(path)?.with_context(|| format!("{} was made but cannot be read", path.display()))
}

/// A public key from `--key`: a `.pub` file, a `.key` file (its public
/// half) or 64 hex digits.
pub fn public_key(given: &str) -> anyhow::Result<VerifyingKey> {
    let text = given.trim();
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return parse_public_key(text, "--key").map_err(anyhow::Error::new);
    }
    let path = Path::new(text);
    if path.extension().is_some_and(|e| e == "key") {
        return read(path)?
            .map(|k| k.verifying_key())
            .with_context(|| format!("--key {}: no such file", path.display()));
    }
    let (dir, _, name) = parent_and_name(path)?;
    let contents = dir
        .read_to_string(&name)
        .with_context(|| format!("--key {}", path.display()))?;
    parse_public_key(&contents, &format!("--key {}", path.display())).map_err(anyhow::Error::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_and_read_back() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("keys/audit.key");
        assert!(read(&path).expect("read").is_none());
        let made = read_or_create(&path).expect("made");
        let again = read_or_create(&path).expect("read");
        assert_eq!(made.to_bytes(), again.to_bytes());
        let public = made.verifying_key();
        let pub_file = tmp.path().join("keys/audit.pub");
        assert_eq!(
            public_key(pub_file.to_str().expect("utf-8")).expect("pub"),
            public
        );
        assert_eq!(
            public_key(path.to_str().expect("utf-8")).expect("key"),
            public
        );
        assert_eq!(
            public_key(&hex::encode(public.to_bytes())).expect("hex"),
            public
        );
    }

    #[test]
    fn bad_keys_are_named() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let bad = tmp.path().join("audit.key");
        std::fs::write(&bad, "not hex").expect("write");
        let err = read(&bad).expect_err("bad");
        assert!(format!("{err:#}").contains("audit.key"), "{err:#}");
        let err = read_or_create(&tmp.path().join("audit.secret")).expect_err("not .key");
        assert!(format!("{err:#}").contains(".key file"), "{err:#}");
        let err =
            public_key(tmp.path().join("none.pub").to_str().expect("utf-8")).expect_err("missing");
        assert!(format!("{err:#}").contains("none.pub"), "{err:#}");
    }
}
