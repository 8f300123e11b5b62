//! A manifest checked against the data dictionary natively, by the host's
//! own rules (`onething-model`, the code the host runs when it loads a
//! component): a read of a key the dictionary lacks fails `cargo test`,
//! not the first load, and names the nearest key.
//!
//! ```
//! use onething_sdk::testkit;
//! use onething_sdk::{Manifest, StepSpec};
//!
//! let dictionary = testkit::dictionary_from_toml(r#"
//! version = "1"
//! [fields."child.name"]
//! type = "text"
//! label = { zh = "姓名", en = "Name" }
//! sensitivity = "personal"
//! "#);
//! let m = Manifest::new("health", "卫健委", "Health Commission", "1.0.0").step(
//!     StepSpec::new("birth-certificate", "出生医学证明", "Birth certificate")
//!         .reads("child.nmae", "核对姓名", "To check the name"),
//! );
//! let faults = testkit::manifest_faults_against(&m, &dictionary);
//! assert_eq!(faults, ["step birth-certificate: reads child.nmae, which is not in the data dictionary (did you mean `child.name`?)"]);
//! ```
//!
//! Which dictionary: [`dictionary`] reads the file named by the
//! `ONETHING_DICTIONARY` environment variable, else the first
//! `examples/dictionary.toml` found walking up from the crate being tested
//! (this repository's layout); [`dictionary_from`] and
//! [`dictionary_from_toml`] take one explicitly.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use onething_model::dictionary::Dictionary;
use onething_model::manifest::{RawManifest, RawNeed, RawStepSpec, validate};
use onething_model::text::Text;

use crate::Manifest;

/// The environment variable naming the dictionary file for [`dictionary`].
pub const DICTIONARY_ENV: &str = "ONETHING_DICTIONARY";

/// The platform's data dictionary (see the module docs for where it is
/// found), read once per test binary. Panics, saying where it looked,
/// when there is none or it does not parse.
pub fn dictionary() -> &'static Dictionary {
    static DICTIONARY: OnceLock<Result<Dictionary, String>> = OnceLock::new();
    match DICTIONARY.get_or_init(|| find().and_then(|p| read(&p))) {
        Ok(d) => d,
        Err(e) => panic!("testkit::dictionary: {e}"),
    }
}

/// The dictionary in the file at `path`; panics naming the file and the
/// fault when it cannot be read or parsed.
pub fn dictionary_from(path: impl AsRef<Path>) -> Dictionary {
    read(path.as_ref()).unwrap_or_else(|e| panic!("testkit::dictionary_from: {e}"))
}

/// A dictionary written inline (for tests of the test kit, or a
/// department's own small fixture); panics with the parser's message.
pub fn dictionary_from_toml(text: &str) -> Dictionary {
    Dictionary::from_toml(text, "inline dictionary")
        .unwrap_or_else(|e| panic!("testkit::dictionary_from_toml: {e}"))
}

fn find() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os(DICTIONARY_ENV) {
        return Ok(PathBuf::from(p));
    }
    let start = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .ok_or("no CARGO_MANIFEST_DIR and no current directory to search from")?;
    start
        .ancestors()
        .map(|dir| dir.join("examples").join("dictionary.toml"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "no examples/dictionary.toml in {} or any directory above it; set {DICTIONARY_ENV} to the platform's dictionary file",
                start.display()
            )
        })
}

fn read(path: &Path) -> Result<Dictionary, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the dictionary {}: {e}", path.display()))?;
    Dictionary::from_toml(&text, &path.display().to_string()).map_err(|e| e.to_string())
}

/// Every fault the host would find in `manifest` when it loads the
/// component: its shape ([`super::manifest_faults`]) and, in the host's
/// own words, every key and material code the dictionary lacks, with the
/// nearest one suggested. Empty when the host would accept it.
pub fn manifest_faults_against(manifest: &Manifest, dictionary: &Dictionary) -> Vec<String> {
    let mut faults = super::manifest_faults(manifest);
    if let Err(e) = validate(raw(manifest), dictionary) {
        faults.extend(
            e.faults
                .into_iter()
                .filter(|f| f.contains("not in the data dictionary")),
        );
    }
    faults
}

/// Assert that the host would accept `manifest` against [`dictionary`],
/// listing every fault when not: the one line a department's tests need.
pub fn assert_manifest_sound(manifest: &Manifest) {
    let faults = manifest_faults_against(manifest, dictionary());
    assert!(
        faults.is_empty(),
        "the host would refuse department {}'s manifest:\n  - {}",
        manifest.department,
        faults.join("\n  - ")
    );
}

/// A text as the host's model holds it.
fn text(t: &crate::Text) -> Text {
    Text::new(t.zh.clone(), t.en.clone())
}

/// The SDK's manifest as the host's contract conversion gives it.
fn raw(m: &Manifest) -> RawManifest {
    RawManifest {
        department: m.department.clone(),
        name: text(&m.name),
        version: m.version.clone(),
        steps: m
            .steps
            .iter()
            .map(|s| RawStepSpec {
                id: s.id.clone(),
                title: text(&s.title),
                reads: s
                    .reads
                    .iter()
                    .map(|r| RawNeed {
                        name: r.key.clone(),
                        required: r.required,
                        purpose: text(&r.purpose),
                    })
                    .collect(),
                writes: s.writes.clone(),
                materials: s
                    .materials
                    .iter()
                    .map(|m| RawNeed {
                        name: m.code.clone(),
                        required: m.required,
                        purpose: text(&m.purpose),
                    })
                    .collect(),
                time_limit_minutes: s.time_limit_minutes,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StepSpec;

    /// Item 25 of the hardening review: `manifest_faults` alone passed a
    /// read of a key missing from the dictionary; against the dictionary
    /// the test kit refuses it and names the nearest key.
    #[test]
    fn item_25_the_testkit_checks_a_manifest_against_the_dictionary() {
        let m = Manifest::new("health", "卫健委", "Health Commission", "1.0.0").step(
            StepSpec::new("birth-certificate", "出生医学证明", "Birth certificate")
                .reads("child.nmae", "核对姓名", "To check the name")
                .reads("mother.id_number", "核对母亲身份", "To check the mother")
                .writes("child.birth_certificate_numbr")
                .material(
                    "marriage-certificat",
                    "核对婚姻关系",
                    "To check the marriage",
                ),
        );
        assert!(
            super::super::manifest_faults(&m).is_empty(),
            "the shape alone is sound"
        );
        let faults = manifest_faults_against(&m, dictionary());
        assert_eq!(
            faults,
            [
                "step birth-certificate: reads child.nmae, which is not in the data dictionary (did you mean `child.name`?)",
                "step birth-certificate: writes child.birth_certificate_numbr, which is not in the data dictionary (did you mean `child.birth_certificate_number`?)",
                "step birth-certificate: needs material marriage-certificat, which is not in the data dictionary (did you mean `marriage-certificate`?)",
            ],
        );
        let sound = Manifest::new("health", "卫健委", "Health Commission", "1.0.0").step(
            StepSpec::new("birth-certificate", "出生医学证明", "Birth certificate").reads(
                "child.name",
                "核对姓名",
                "To check the name",
            ),
        );
        assert_manifest_sound(&sound);
    }

    #[test]
    #[should_panic(expected = "did you mean `child.name`")]
    fn an_unsound_manifest_fails_the_assertion_with_its_faults() {
        let m = Manifest::new("health", "卫健委", "Health Commission", "1.0.0")
            .step(StepSpec::new("s", "t", "T").reads("child.nmae", "p", "p"));
        assert_manifest_sound(&m);
    }

    #[test]
    #[should_panic(expected = "cannot read the dictionary")]
    fn a_missing_dictionary_file_is_named() {
        let _ = dictionary_from("/nonexistent/dictionary.toml");
    }
}
