//! `onething plugin new NAME`: a department's plugin project that builds
//! and passes `onething test` untouched: a manifest with one step, unit
//! tests on the SDK's test kit, declarative cases, a README, and the
//! build wired with its toolchain and target pinned.
//!
//! The templates live in `host/onething/templates/<lang>/` and are built
//! into the binary; `{{name}}`, `{{crate}}`, `{{module}}`, `{{Type}}`,
//! `{{step}}` and `{{sdk}}` (the language's SDK: `sdk/`, `sdk/python`
//! or `sdk/js` of the repository) are filled in. Nothing is written unless the whole project
//! can be: an existing directory that is not empty is refused.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use onething_model::ids::{DepartmentId, StepId};

/// The languages a project can be made in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Rust, with the onething-sdk crate.
    Rust,
    /// Python, built with componentize-py, with the onething_sdk package.
    Python,
    /// JavaScript, built with jco, with the @onething/sdk package.
    Js,
}

impl Lang {
    /// The files of the language's template.
    fn templates(self) -> &'static [Template] {
        match self {
            Lang::Rust => RUST,
            Lang::Python => PYTHON,
            Lang::Js => JS,
        }
    }

    /// What to run in a new project of `name`: set up, test, build, run
    /// its cases.
    pub fn next_steps(self, name: &str) -> Vec<String> {
        match self {
            Lang::Rust => vec!["cargo test && cargo build --release && onething test".into()],
            Lang::Python => vec![
                "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt".into(),
                format!(
                    ".venv/bin/python -m unittest discover -s tests && .venv/bin/python build.py && onething test   # {name}.wasm"
                ),
            ],
            Lang::Js => vec!["npm install && npm test && npm run build && onething test".into()],
        }
    }

    /// The language's SDK within the repository's `sdk/` directory.
    fn sdk_within(self, sdk: &Path) -> PathBuf {
        match self {
            Lang::Rust => sdk.to_path_buf(),
            Lang::Python => sdk.join("python"),
            Lang::Js => sdk.join("js"),
        }
    }
}

/// One file of a template: where it goes and its text.
struct Template {
    path: &'static str,
    text: &'static str,
}

const RUST: &[Template] = &[
    Template {
        path: "Cargo.toml",
        text: include_str!("../../templates/rust/Cargo.toml.tmpl"),
    },
    Template {
        path: "rust-toolchain.toml",
        text: include_str!("../../templates/rust/rust-toolchain.toml.tmpl"),
    },
    Template {
        path: ".cargo/config.toml",
        text: include_str!("../../templates/rust/.cargo/config.toml.tmpl"),
    },
    Template {
        path: "src/lib.rs",
        text: include_str!("../../templates/rust/src/lib.rs.tmpl"),
    },
    Template {
        path: "cases/{{step}}.toml",
        text: include_str!("../../templates/rust/cases/step.toml.tmpl"),
    },
    Template {
        path: "README.md",
        text: include_str!("../../templates/rust/README.md.tmpl"),
    },
    Template {
        path: ".gitignore",
        text: "/target\n",
    },
];

const PYTHON: &[Template] = &[
    Template {
        path: "app.py",
        text: include_str!("../../templates/python/app.py.tmpl"),
    },
    Template {
        path: "tests/test_app.py",
        text: include_str!("../../templates/python/tests/test_app.py.tmpl"),
    },
    Template {
        path: "cases/{{step}}.toml",
        text: include_str!("../../templates/python/cases/step.toml.tmpl"),
    },
    Template {
        path: "build.py",
        text: include_str!("../../templates/python/build.py.tmpl"),
    },
    Template {
        path: "requirements.txt",
        text: include_str!("../../templates/python/requirements.txt.tmpl"),
    },
    Template {
        path: "README.md",
        text: include_str!("../../templates/python/README.md.tmpl"),
    },
    Template {
        path: ".gitignore",
        text: include_str!("../../templates/python/.gitignore.tmpl"),
    },
];

const JS: &[Template] = &[
    Template {
        path: "package.json",
        text: include_str!("../../templates/js/package.json.tmpl"),
    },
    Template {
        path: "src/app.js",
        text: include_str!("../../templates/js/src/app.js.tmpl"),
    },
    Template {
        path: "test/app.test.js",
        text: include_str!("../../templates/js/test/app.test.js.tmpl"),
    },
    Template {
        path: "cases/{{step}}.toml",
        text: include_str!("../../templates/js/cases/step.toml.tmpl"),
    },
    Template {
        path: "README.md",
        text: include_str!("../../templates/js/README.md.tmpl"),
    },
    Template {
        path: ".gitignore",
        text: include_str!("../../templates/js/.gitignore.tmpl"),
    },
];

/// What a new project is made from.
#[derive(Debug, Clone)]
pub struct Request {
    /// The department id.
    pub name: String,
    /// The step's id.
    pub step: String,
    /// The language.
    pub lang: Lang,
    /// Where the project goes.
    pub dir: PathBuf,
    /// The repository's `sdk/` directory (the language's SDK is in it).
    pub sdk: PathBuf,
}

/// `civil-affairs` as `CivilAffairs`.
fn type_name(id: &str) -> String {
    id.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn fill(text: &str, r: &Request, sdk: &str) -> String {
    text.replace("{{name}}", &r.name)
        .replace("{{crate}}", &r.name.replace('-', "_"))
        .replace("{{module}}", &r.name.replace('-', "_"))
        .replace("{{Type}}", &type_name(&r.name))
        .replace("{{step}}", &r.step)
        .replace("{{sdk}}", sdk)
}

/// The SDK to depend on: the one named, else the repository's `sdk/` in
/// the current directory or above it.
pub fn find_sdk(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    let is_sdk = |dir: &Path| {
        std::fs::read_to_string(dir.join("Cargo.toml"))
            .is_ok_and(|t| t.contains("name = \"onething-sdk\""))
    };
    if let Some(dir) = given {
        anyhow::ensure!(
            is_sdk(dir),
            "--sdk {}: not the OneThing SDK (no Cargo.toml of the crate onething-sdk in it)",
            dir.display()
        );
        return dir
            .canonicalize()
            .with_context(|| format!("--sdk {}", dir.display()));
    }
    let here = std::env::current_dir()?;
    here.ancestors()
        .map(|d| d.join("sdk"))
        .find(|d| is_sdk(d))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the OneThing SDK is not in {} or above it: give --sdk DIR (the sdk/ directory of the OneThing repository)",
                here.display()
            )
        })
}

/// Make the project; the files written, relative to its directory.
pub fn create(r: &Request) -> anyhow::Result<Vec<String>> {
    DepartmentId::parse(&r.name).map_err(|e| anyhow::anyhow!("the department id: {e}"))?;
    StepId::parse(&r.step).map_err(|e| anyhow::anyhow!("--step: {e}"))?;
    if r.dir.exists() {
        let empty = std::fs::read_dir(&r.dir)
            .with_context(|| format!("reading {}", r.dir.display()))?
            .next()
            .is_none();
        anyhow::ensure!(
            empty,
            "{} exists and is not empty: nothing written (choose another --dir)",
            r.dir.display()
        );
    }
    let templates = r.lang.templates();
    let sdk = r.lang.sdk_within(&r.sdk);
    anyhow::ensure!(
        sdk.is_dir(),
        "{}: no {:?} SDK there (the repository's sdk/ has sdk/python and sdk/js)",
        sdk.display(),
        r.lang
    );
    let sdk = sdk.display().to_string();
    cap_std::fs::Dir::create_ambient_dir_all(&r.dir, cap_std::ambient_authority())
        .with_context(|| format!("creating {}", r.dir.display()))?;
    let root = cap_std::fs::Dir::open_ambient_dir(&r.dir, cap_std::ambient_authority())
        .with_context(|| format!("opening {}", r.dir.display()))?;
    let mut written = Vec::new();
    for t in templates {
        let path = fill(t.path, r, &sdk);
        if let Some(parent) = Path::new(&path).parent()
            && !parent.as_os_str().is_empty()
        {
            root.create_dir_all(parent)
                .with_context(|| format!("creating {}", r.dir.join(parent).display()))?;
        }
        root.write(&path, fill(t.text, r, &sdk))
            .with_context(|| format!("writing {}", r.dir.join(&path).display()))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_types_and_crates() {
        assert_eq!(type_name("civil-affairs"), "CivilAffairs");
        assert_eq!(type_name("tax"), "Tax");
        let r = Request {
            name: "civil-affairs".into(),
            step: "filing".into(),
            lang: Lang::Rust,
            dir: PathBuf::from("x"),
            sdk: PathBuf::from("/sdk"),
        };
        assert_eq!(
            fill("{{crate}}.wasm {{Type}} {{step}} {{sdk}}", &r, "/sdk"),
            "civil_affairs.wasm CivilAffairs filing /sdk"
        );
    }

    #[test]
    fn every_placeholder_in_the_templates_is_filled() {
        let r = Request {
            name: "civil-affairs".into(),
            step: "filing".into(),
            lang: Lang::Rust,
            dir: PathBuf::from("x"),
            sdk: PathBuf::from("/sdk"),
        };
        for lang in [Lang::Rust, Lang::Python, Lang::Js] {
            for t in lang.templates() {
                let out = fill(t.text, &r, "/sdk");
                assert!(!out.contains("{{"), "{lang:?} {}: {out}", t.path);
                assert!(!fill(t.path, &r, "/sdk").contains("{{"), "{}", t.path);
            }
        }
    }
}
