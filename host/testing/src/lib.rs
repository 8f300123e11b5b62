//! Helpers for OneThing's tests and benchmarks (a dev-dependency only):
//! where the repository's fixtures are, other builds of a real component
//! (another digest, another declared version) for exercising hot
//! loading, and the example departments' simulated systems ([`systems`]).
//!
//! Not part of the host: nothing here is reachable from the `onething`
//! binary.

/// The WebDriver client the pages' browser tests drive Chromium with.
pub use fantoccini;

use std::path::PathBuf;

pub mod systems;

/// The repository root (this crate lives at `host/testing`).
pub fn repo() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent()
        .and_then(|host| host.parent())
        .map_or(here.clone(), PathBuf::from)
}

/// The grants the tests give the testkit and calls-out components (test
/// components, not departments: each is granted what its steps read, for
/// testing only).
pub const TESTKIT_GRANT: &str = r#"
[[grants]]
department = "testkit"
fields = ["child.name", "mother.id_number", "child.id_number", "testkit.answer", "testkit.amount"]
purpose = "测试宿主（非真实事项）"
legal_basis = "tests only: no legal basis; never in a deployment"
approved_by = "the host's test suite"

[[grants]]
department = "calls-out"
fields = ["testkit.answer"]
purpose = "测试对外调用（非真实事项）"
legal_basis = "tests only: no legal basis; never in a deployment"
approved_by = "the host's test suite"
"#;

/// The grants register of the tests: the examples' and the testkit's.
pub fn test_grants() -> String {
    let examples = std::fs::read_to_string(repo().join("examples/grants.toml"))
        .unwrap_or_else(|e| panic!("examples/grants.toml: {e}"));
    format!("{examples}\n{TESTKIT_GRANT}")
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

/// Another build of a component that declares another version: the one
/// occurrence of its declared version `from` in its bytes (the string its
/// `describe()` returns) replaced by `to`, of the same length, so nothing
/// else moves. The host refuses a second build under a version it holds,
/// so a test that offers a new build gives it a new version with this.
///
/// Panics, naming the reason, when `from` and `to` differ in length or
/// `from` does not occur exactly once.
pub fn another_version(component: &[u8], from: &str, to: &str) -> Vec<u8> {
    replaced_once(component, from, to)
}

/// A component with the one occurrence of the text `from` in its bytes
/// replaced by `to`, of the same length (a key its manifest declares, say:
/// `father.id_number` read as `mother.bank_card`), so nothing else moves.
///
/// Panics, naming the reason, when `from` and `to` differ in length or
/// `from` does not occur exactly once.
pub fn replaced_once(component: &[u8], from: &str, to: &str) -> Vec<u8> {
    let (from, to) = (from.as_bytes(), to.as_bytes());
    assert_eq!(
        from.len(),
        to.len(),
        "replaced_once: {:?} and {:?} must have the same length",
        String::from_utf8_lossy(from),
        String::from_utf8_lossy(to)
    );
    let at: Vec<usize> = component
        .windows(from.len())
        .enumerate()
        .filter(|(_, w)| *w == from)
        .map(|(i, _)| i)
        .collect();
    let [at] = at.as_slice() else {
        panic!(
            "replaced_once: {:?} occurs {} times in the component, not once",
            String::from_utf8_lossy(from),
            at.len()
        );
    };
    let mut out = component.to_vec();
    out[*at..*at + to.len()].copy_from_slice(to);
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

    #[test]
    fn another_version_replaces_the_one_declared_version() {
        let base = b"\0asm..health1.0.0Birth".to_vec();
        assert_eq!(
            another_version(&base, "1.0.0", "1.0.1"),
            b"\0asm..health1.0.1Birth"
        );
        let twice = b"1.0.0 and 1.0.0".to_vec();
        let refused = std::panic::catch_unwind(|| another_version(&twice, "1.0.0", "1.0.1"));
        assert!(refused.is_err(), "two occurrences are ambiguous");
    }
}
