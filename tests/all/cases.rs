//! `onething test` through the real binary: every example department's
//! case files pass; a wrong expectation fails with a readable diff, a
//! case the host could never produce and a malformed file are refused
//! naming what is wrong, and the JUnit XML written is well-formed and
//! counts them; the configured limits are the ones reported and enforced;
//! the bundles' cases pass, and a wrong one shows its diff.
//! `onething plugin new` writes a whole project, or refuses and writes
//! nothing (`cargo xtask test` then builds and tests a fresh one).

use std::path::{Path, PathBuf};

use onething_testing::repo;

use crate::cli::{onething, stdout};

/// The departments under plugins/departments with a cases/ directory.
fn departments_with_cases() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(repo().join("plugins/departments"))
        .expect("plugins/departments")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("cases").is_dir())
        .collect();
    out.sort();
    out
}

/// `<testsuites>`'s counts: tests, failures, errors.
fn junit_counts(path: &Path) -> (usize, usize, usize) {
    let xml = std::fs::read_to_string(path).expect("the JUnit file");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites", "{xml}");
    let n = |a: &str| {
        root.attribute(a)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("testsuites has a numeric {a}: {xml}"))
    };
    let cases = doc
        .descendants()
        .filter(|d| d.has_tag_name("testcase"))
        .count();
    assert_eq!(cases, n("tests"), "one testcase element per test");
    (n("tests"), n("failures"), n("errors"))
}

#[test]
fn every_example_departments_cases_pass_with_the_limits_they_used() {
    let dirs = departments_with_cases();
    assert!(
        dirs.len() >= 3,
        "at least three departments have cases: {dirs:?}"
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let junit = tmp.path().join("cases.xml");
    let mut args: Vec<String> = vec!["test".into(), "--junit".into(), junit.display().to_string()];
    args.extend(dirs.iter().map(|d| d.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = onething(&args);
    let text = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written: usize = dirs
        .iter()
        .flat_map(|d| std::fs::read_dir(d.join("cases")).expect("cases"))
        .filter_map(Result::ok)
        .map(|e| std::fs::read_to_string(e.path()).expect("case file"))
        .map(|t| t.matches("[[case]]").count())
        .sum();
    assert!(
        text.contains(&format!("{written} case(s): {written} passed, 0 failed")),
        "{text}"
    );
    // Every case reports what it used of each limit, naming the setting.
    assert_eq!(
        text.matches("of limits.memory_bytes").count(),
        written,
        "{text}"
    );
    assert_eq!(
        text.matches("(limits.fuel unset)").count(),
        written,
        "{text}"
    );
    assert_eq!(junit_counts(&junit), (written, 0, 0));
}

const WRONG: &str = r#"
[plugin]
department = "housing-fund"
config = { base_url = "https://gjj.example/v1" }

[defaults]
today = 2026-11-28
fields = { "enterprise.uscc" = "91350206MA2Y3K5P9T", "enterprise.name" = "厦门鹭岛茶业有限公司", "enterprise.employee_count" = 8 }

[[case]]
name = "expects the wrong number"
[[case.outbound]]
method = "POST"
url = "https://gjj.example/v1/employer-accounts"
status = 201
json = { account_number = "HF000000000001" }
[[case.outbound]]
url = "https://gjj.example/v1/never"
[case.expect]
outcome = "approved"
fields = { "housing_fund.employer_account_number" = "HF-WRONG" }

[[case]]
name = "gives a field the step does not read"
fields = { "child.name" = "林安然" }
[case.expect]
outcome = "approved"

[[case]]
name = "passes"
fields = { "enterprise.employee_count" = 0 }
[case.expect]
outcome = "needs-more"
problems = ["no-employees"]
"#;

#[test]
fn a_wrong_expectation_fails_with_a_diff_and_counted_junit() {
    let tmp = tempfile::tempdir().expect("tmp");
    let cases = tmp.path().join("wrong.toml");
    std::fs::write(&cases, WRONG).expect("write");
    let broken = tmp.path().join("broken.toml");
    std::fs::write(
        &broken,
        "[plugin]\ndepartment = \"housing-fund\"\n[[case]]\nname = \"x\"\n[case.expect]\noutcome = \"approved\"\nfeilds = {}\n",
    )
    .expect("write");
    let junit = tmp.path().join("out.xml");
    let plugins = repo().join("target/plugins");
    let out = onething(&[
        "test",
        "--plugins",
        &plugins.display().to_string(),
        "--junit",
        &junit.display().to_string(),
        &tmp.path().display().to_string(),
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    // The diff: expected against observed, line by line.
    assert!(text.contains("--- expected"), "{text}");
    assert!(
        text.contains("-fields.housing_fund.employer_account_number = \"HF-WRONG\""),
        "{text}"
    );
    assert!(
        text.contains("+fields.housing_fund.employer_account_number = \"HF000000000001\""),
        "{text}"
    );
    assert!(
        text.contains("the mocked answer to GET https://gjj.example/v1/never was never asked for"),
        "{text}"
    );
    // A case the host could never produce, named with the key.
    assert!(
        text.contains("fields.child.name: step employer-account does not read it"),
        "{text}"
    );
    // A malformed file, the misspelt key named.
    assert!(
        text.contains("broken.toml") && text.contains("feilds"),
        "{text}"
    );
    assert!(text.contains("4 case(s): 1 passed, 3 failed"), "{text}");
    // One failure (the diff), two errors (the case and the file that
    // cannot run).
    assert_eq!(junit_counts(&junit), (4, 1, 2));
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(xml.contains("HF-WRONG"), "the diff is in the XML: {xml}");
}

#[test]
fn component_runs_another_build_against_the_same_cases_and_a_missing_one_is_named() {
    // The Rust build given as --component, over the directory the case
    // file would find it in (there is no housing-fund.wasm in it).
    let tmp = tempfile::tempdir().expect("tmp");
    let component = repo().join("target/plugins/housing-fund.wasm");
    let cases = repo().join("plugins/departments/housing-fund");
    let out = onething(&[
        "test",
        "--plugins",
        &tmp.path().display().to_string(),
        "--component",
        &component.display().to_string(),
        &cases.display().to_string(),
    ]);
    let text = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        crate::cli::stderr(&out)
    );
    assert!(text.contains("6 case(s): 6 passed, 0 failed"), "{text}");
    let missing = tmp.path().join("no-such-build.wasm");
    let out = onething(&[
        "test",
        "--component",
        &missing.display().to_string(),
        &cases.display().to_string(),
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("no-such-build.wasm"),
        "names the file: {text}"
    );
}

#[test]
fn the_bundles_cases_pass_and_a_wrong_bundle_expectation_shows_its_diff() {
    let apps = repo().join("examples/applications");
    let plugins = repo().join("target/plugins");
    let out = onething(&[
        "test",
        "--plugins",
        &plugins.display().to_string(),
        &apps.join("newborn.cases.toml").display().to_string(),
        &apps
            .join("business-startup.cases.toml")
            .display()
            .to_string(),
    ]);
    let text = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        crate::cli::stderr(&out)
    );
    assert!(text.contains("6 case(s): 6 passed, 0 failed"), "{text}");
    assert!(text.contains("bundle newborn"), "{text}");

    // A wrong step status, a field never written, an unknown bundle: each
    // named, the file's other cases still run.
    let tmp = tempfile::tempdir().expect("tmp");
    let materials = apps.join("materials");
    std::fs::create_dir_all(tmp.path().join("materials")).expect("dir");
    for m in ["articles-of-association.pdf", "premises-proof.pdf"] {
        std::fs::copy(materials.join(m), tmp.path().join("materials").join(m)).expect("copy");
    }
    let business = std::fs::read_to_string(apps.join("business-startup.cases.toml")).expect("read");
    let head = &business[..business.find("[[case]]").expect("cases")];
    let wrong = format!(
        "{head}[[case]]\nname = \"wrong\"\n[case.expect]\nstatus = \"completed\"\nsteps = {{ \"housing-fund/employer-account\" = \"skipped\" }}\nfields = {{ \"no.such\" = \"x\" }}\n"
    );
    std::fs::write(tmp.path().join("wrong.toml"), wrong).expect("write");
    std::fs::write(
        tmp.path().join("unknown.toml"),
        "[bundle]\nid = \"no-such-bundle\"\n[[case]]\nname = \"x\"\n[case.expect]\nstatus = \"completed\"\n",
    )
    .expect("write");
    let out = onething(&[
        "test",
        "--plugins",
        &plugins.display().to_string(),
        &tmp.path().display().to_string(),
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("-steps.housing-fund/employer-account = \"skipped\"")
            && text.contains("+steps.housing-fund/employer-account = \"approved\""),
        "{text}"
    );
    assert!(text.contains("fields.no.such: not written"), "{text}");
    assert!(
        text.contains("no-such-bundle") && text.contains("newborn"),
        "the unknown bundle named beside the known ones: {text}"
    );
}

#[test]
fn the_configured_limits_are_reported_and_enforced() {
    let tmp = tempfile::tempdir().expect("tmp");
    let case = |fuel: u64| {
        format!(
            "{}\n",
            WRONG
                .split("[[case]]\nname = \"gives")
                .next()
                .expect("first case")
                .replace("HF-WRONG", "HF000000000001")
                .replace(
                    "[[case.outbound]]\nurl = \"https://gjj.example/v1/never\"\n",
                    ""
                )
                .replace("expects the wrong number", &format!("fuel {fuel}"))
        )
    };
    let plugins = repo().join("target/plugins").display().to_string();
    let dictionary = repo()
        .join("examples/dictionary.toml")
        .display()
        .to_string();
    // describe() runs in well under 20,000; the step in about 60,000.
    for (fuel, passes) in [(50_000_000u64, true), (20_000, false)] {
        let dir = tmp.path().join(fuel.to_string());
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("case.toml"), case(fuel)).expect("write");
        let config = dir.join("onething.toml");
        std::fs::write(
            &config,
            format!("[limits]\nfuel = {fuel}\n[signatures]\nrequired = false\n"),
        )
        .expect("write");
        let out = onething(&[
            "test",
            "--config",
            &config.display().to_string(),
            "--plugins",
            &plugins,
            "--dictionary",
            &dictionary,
            &dir.join("case.toml").display().to_string(),
        ]);
        let text = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
        if passes {
            assert_eq!(out.status.code(), Some(0), "{text}");
            assert!(text.contains("of limits.fuel 50.00 M ("), "{text}");
        } else {
            assert_eq!(out.status.code(), Some(1), "{text}");
            assert!(text.contains("+error = \"fuel\""), "{text}");
            assert!(
                text.contains("fuel limit of 20000 instructions exhausted"),
                "{text}"
            );
        }
    }
}

/// `onething plugin new` with `args` in `dir`.
fn plugin_new(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_onething"))
        .current_dir(dir)
        .args(["plugin", "new"])
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn plugin_new_writes_a_whole_project_against_the_sdk_it_found() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("civil-affairs");
    let sdk = repo().join("sdk");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_onething"))
        .current_dir(repo())
        .args(["plugin", "new", "civil-affairs", "--step", "birth-record"])
        .arg("--dir")
        .arg(&dir)
        .output()
        .expect("the binary runs");
    let text = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        crate::cli::stderr(&out)
    );
    for file in [
        "Cargo.toml",
        "rust-toolchain.toml",
        ".cargo/config.toml",
        "src/lib.rs",
        "cases/birth-record.toml",
        "README.md",
        ".gitignore",
    ] {
        assert!(dir.join(file).is_file(), "{file} written");
        assert!(text.contains(file), "{file} listed: {text}");
        let body = std::fs::read_to_string(dir.join(file)).expect("read");
        assert!(
            !body.contains("{{"),
            "{file} has no placeholder left: {body}"
        );
    }
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("Cargo.toml");
    let sdk = sdk.canonicalize().expect("sdk");
    assert!(
        manifest.contains(&format!("path = \"{}\"", sdk.display())),
        "the SDK found above the current directory: {manifest}"
    );
    assert!(manifest.contains("name = \"civil_affairs\""), "{manifest}");
    let lib = std::fs::read_to_string(dir.join("src/lib.rs")).expect("lib.rs");
    assert!(
        lib.contains("CivilAffairs") && lib.contains("\"birth-record\""),
        "{lib}"
    );
    let cases = std::fs::read_to_string(dir.join("cases/birth-record.toml")).expect("cases");
    assert!(
        cases.contains("civil_affairs.wasm"),
        "the cases name the component: {cases}"
    );
    assert!(
        text.contains("onething test"),
        "says what to do next: {text}"
    );
}

#[test]
fn plugin_new_writes_python_and_javascript_projects_on_their_sdks() {
    let tmp = tempfile::tempdir().expect("tmp");
    let sdk = repo().join("sdk").canonicalize().expect("sdk");
    for (lang, files, sdk_within, build) in [
        (
            "python",
            &[
                "app.py",
                "build.py",
                "tests/test_app.py",
                "cases/filing.toml",
                "requirements.txt",
                "README.md",
                ".gitignore",
            ][..],
            sdk.join("python"),
            "componentize-py==0.25.1",
        ),
        (
            "js",
            &[
                "package.json",
                "src/app.js",
                "test/app.test.js",
                "cases/filing.toml",
                "README.md",
                ".gitignore",
            ][..],
            sdk.join("js"),
            "\"@bytecodealliance/jco\": \"1.34.0\"",
        ),
    ] {
        let dir = tmp.path().join(format!("civil-affairs-{lang}"));
        let at = dir.to_str().expect("utf-8 path");
        let out = plugin_new(&repo(), &["civil-affairs", "--lang", lang, "--dir", at]);
        let text = stdout(&out);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{lang}: {text}{}",
            crate::cli::stderr(&out)
        );
        let mut all = String::new();
        for file in files {
            let body = std::fs::read_to_string(dir.join(file))
                .unwrap_or_else(|e| panic!("{lang}: {file} written: {e}"));
            assert!(text.contains(file), "{lang}: {file} listed: {text}");
            assert!(
                !body.contains("{{"),
                "{lang}: {file} has a placeholder left: {body}"
            );
            all.push_str(&body);
        }
        assert!(
            all.contains(&sdk_within.display().to_string()),
            "{lang}: the project uses the language's SDK {}",
            sdk_within.display()
        );
        assert!(
            all.contains("\"civil-affairs\""),
            "{lang}: the department id"
        );
        assert!(
            all.contains(build),
            "{lang}: the build tool pinned ({build})"
        );
        assert!(text.contains("onething test"), "{lang}: what next: {text}");
    }
    // A language the SDK directory lacks is refused, naming it, and
    // nothing is written.
    let bare = tmp.path().join("bare-sdk");
    std::fs::create_dir_all(&bare).expect("dir");
    std::fs::copy(sdk.join("Cargo.toml"), bare.join("Cargo.toml")).expect("copy");
    let out = plugin_new(
        tmp.path(),
        &[
            "tax",
            "--lang",
            "python",
            "--dir",
            "no-sdk",
            "--sdk",
            bare.to_str().expect("utf-8"),
        ],
    );
    let err = crate::cli::stderr(&out);
    assert_ne!(out.status.code(), Some(0), "refused: {err}");
    assert!(err.contains("python"), "names the SDK missing: {err}");
    assert!(!tmp.path().join("no-sdk").exists(), "nothing written");
}

#[test]
fn plugin_new_refuses_a_bad_name_a_used_directory_and_a_wrong_sdk_writing_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let sdk = repo().join("sdk");
    let sdk = sdk.to_str().expect("utf-8 path");

    let bad = tmp.path().join("bad");
    let out = plugin_new(tmp.path(), &["Civil_Affairs", "--dir", "bad", "--sdk", sdk]);
    let err = crate::cli::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "an error: {err}");
    assert!(err.contains("department id"), "names what is wrong: {err}");
    assert!(!bad.exists(), "nothing written for a bad name");

    let out = plugin_new(
        tmp.path(),
        &["tax", "--dir", "bad", "--sdk", sdk, "--step", "Filing!"],
    );
    let err = crate::cli::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "an error: {err}");
    assert!(err.contains("--step"), "names the option: {err}");
    assert!(!bad.exists(), "nothing written for a bad step");

    let used = tmp.path().join("used");
    std::fs::create_dir(&used).expect("mkdir");
    std::fs::write(used.join("notes.txt"), "mine").expect("write");
    let out = plugin_new(tmp.path(), &["tax", "--dir", "used", "--sdk", sdk]);
    let err = crate::cli::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "an error: {err}");
    assert!(err.contains("not empty") && err.contains("--dir"), "{err}");
    let left: Vec<_> = std::fs::read_dir(&used).expect("ls").collect();
    assert_eq!(left.len(), 1, "the directory is left as it was");
    assert_eq!(
        std::fs::read_to_string(used.join("notes.txt")).expect("read"),
        "mine"
    );

    let out = plugin_new(
        tmp.path(),
        &[
            "tax",
            "--dir",
            "x",
            "--sdk",
            tmp.path().to_str().expect("utf-8"),
        ],
    );
    let err = crate::cli::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "an error: {err}");
    assert!(
        err.contains("--sdk") && err.contains("onething-sdk"),
        "{err}"
    );
    assert!(!tmp.path().join("x").exists());

    // Outside the repository, with no --sdk: told to give one.
    let out = plugin_new(tmp.path(), &["tax", "--dir", "y"]);
    let err = crate::cli::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "an error: {err}");
    assert!(err.contains("give --sdk"), "{err}");
    assert!(!tmp.path().join("y").exists());
}
