//! Helpers for OneThing's tests and benchmarks (a dev-dependency only):
//! where the repository's fixtures are, and another build of a real
//! component for exercising hot loading.
//!
//! Not part of the host: nothing here is reachable from the `onething`
//! binary.

use std::path::PathBuf;

/// The repository root (this crate lives at `host/testing`).
pub fn repo() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent()
        .and_then(|host| host.parent())
        .map_or(here.clone(), PathBuf::from)
}

/// A built component: `target/<dir>/<name>.wasm` (`dir` is `plugins` or
/// `test-components`), with a message saying how to build it if missing.
pub fn component(dir: &str, name: &str) -> PathBuf {
    let p = repo().join("target").join(dir).join(format!("{name}.wasm"));
    assert!(
        p.exists(),
        "{} is missing: run `cargo xtask build-plugins` first",
        p.display()
    );
    p
}

/// Another build of a component: the same code with a custom section
/// `onething-build` holding `label` appended, so it has its own digest.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tagged_build_differs_only_by_an_appended_custom_section() {
        let base = b"\0asm\x0d\0\x01\0".to_vec();
        let tagged = tagged_build(&base, "v2");
        assert!(tagged.starts_with(&base));
        assert_eq!(tagged[base.len()], 0, "a custom section");
        assert!(tagged.ends_with(b"onething-buildv2"));
        assert_ne!(tagged_build(&base, "v3"), tagged);
        assert!(repo().join("Cargo.toml").exists());
    }
}
