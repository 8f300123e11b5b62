//! Cases beside a bundle: whole applications through one bundle, with
//! the service's own engine over the in-memory store (as `onething run`
//! drives them), the departments calling the simulated department
//! systems started in-process, and each case's expected end compared
//! line by line: the application's status, each named step's status, the
//! fields written, and the codes of the one notification when it is
//! refused before anything ran.
//!
//! ```toml
//! [bundle]
//! id = "business-startup"          # a bundle of the bundles directory
//! today = 2026-11-28
//!
//! [defaults]
//! fields = { "enterprise.name" = "厦门鹭岛茶业有限公司" }
//! materials = [{ code = "premises-proof", path = "materials/premises-proof.pdf" }]
//!
//! [[case]]
//! name = "every department's step completes"
//! fields = { "enterprise.hires_staff" = false }   # over the defaults
//! remove = ["enterprise.employee_count"]          # a default left out
//! [case.expect]
//! status = "completed"
//! steps = { "tax/tax-registration" = "approved" }
//! fields = { "housing_fund.employer_account_number" = "HF000000000001" }
//! ```
//!
//! Material paths are relative to the case file and may not leave its
//! directory. Unknown keys are refused. Not for one department's step:
//! [`super::run`] runs those, with mocked systems and the limits used.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use onething_catalog::source::SourceDir;
use onething_engine::{RunReport, SubmitError};
use onething_model::application::ApplicationDoc;
use serde::Deserialize;

use super::format::json_of;
use super::run::{CaseResult, Failure, Settings, Shown, SuiteResult};

/// A whole bundle case file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleFile {
    /// The bundle the cases run through.
    pub bundle: BundleTable,
    /// What every case has unless it says otherwise.
    #[serde(default)]
    pub defaults: BundleDefaults,
    /// The cases.
    #[serde(default, rename = "case")]
    pub cases: Vec<BundleCase>,
}

/// `[bundle]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleTable {
    /// The bundle id.
    pub id: String,
    /// The date the departments' clock is pinned to (a TOML date, or
    /// the text `YYYY-MM-DD`, as in a department's cases).
    pub today: Option<toml::Value>,
}

/// `[defaults]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleDefaults {
    /// The application's fields.
    #[serde(default)]
    pub fields: BTreeMap<String, toml::Value>,
    /// Its materials: a code and a file, relative to the case file.
    #[serde(default)]
    pub materials: Vec<MaterialFile>,
}

/// One material of an application.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct MaterialFile {
    /// The material code.
    pub code: String,
    /// The file, relative to the case file.
    pub path: String,
}

/// One `[[case]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleCase {
    /// Its name.
    pub name: String,
    /// Fields over the defaults' (`false` is the value false: a
    /// default is taken out with `remove`).
    #[serde(default)]
    pub fields: BTreeMap<String, toml::Value>,
    /// Default fields this case leaves out.
    #[serde(default)]
    pub remove: Vec<String>,
    /// Materials in place of the defaults'.
    pub materials: Option<Vec<MaterialFile>>,
    /// What must come out.
    pub expect: BundleExpect,
}

/// `[case.expect]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleExpect {
    /// `completed`, `needs-more`, `rejected`, `manual` or `running`.
    pub status: String,
    /// Steps (`department/step`) and the status each must end in:
    /// `approved`, `skipped`, `needs-more`, `rejected`, `deferred`,
    /// `manual`, ….
    #[serde(default)]
    pub steps: BTreeMap<String, String>,
    /// Fields the steps must have written, with their values.
    #[serde(default)]
    pub fields: BTreeMap<String, toml::Value>,
    /// The codes (or `key: code`, the key a field's or a material's) of
    /// the one notification, when the application is refused before any
    /// step runs; in any order.
    pub problems: Option<Vec<String>>,
}

/// Whether the TOML text is a bundle case file (it has `[bundle]`).
pub fn is_bundle_file(text: &str) -> bool {
    toml::from_str::<toml::Table>(text).is_ok_and(|t| t.contains_key("bundle"))
}

/// Run every case of the bundle case file at `path`.
pub async fn run_file(path: &Path, text: &str, settings: &Settings, suite: &mut SuiteResult) {
    if let Err(e) = run_cases(path, text, settings, suite).await {
        suite.error = Some(format!("{e:#}"));
    }
}

async fn run_cases(
    path: &Path,
    text: &str,
    settings: &Settings,
    suite: &mut SuiteResult,
) -> anyhow::Result<()> {
    let file: BundleFile =
        toml::from_str(text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    suite.department = format!("bundle {}", file.bundle.id);
    super::run::distinct_case_names(path, file.cases.iter().map(|c| c.name.as_str()))?;
    let today = match &file.bundle.today {
        Some(d) => Some(
            super::plan::date_of(d)
                .map_err(|e| anyhow::anyhow!("{}: bundle.today: {e}", path.display()))?,
        ),
        None => None,
    };
    let id = onething_model::ids::BundleId::parse(&file.bundle.id)
        .map_err(|e| anyhow::anyhow!("{}: bundle.id: {e}", path.display()))?;
    // The bundle, looked up once in a first engine (which serves the
    // first case); every case gets an engine, a store and systems of its
    // own, so no case sees what another reserved or issued.
    let first = fresh_engine(settings, today).await?;
    let bundle = first.0.catalog().bundle(&id).cloned().ok_or_else(|| {
        let cat = first.0.catalog();
        let known: Vec<&str> = cat.bundles().map(|b| b.id.as_str()).collect();
        anyhow::anyhow!(
            "{}: bundle.id {} is not in {} (it has: {})",
            path.display(),
            file.bundle.id,
            settings.paths.bundles.display(),
            known.join(", ")
        )
    })?;
    let mut next = Some(first);
    let (base, _) = SourceDir::of_file(path)?;
    for (n, case) in file.cases.iter().enumerate() {
        let started = Instant::now();
        let engine = match next.take() {
            Some(e) => Ok(e),
            None => fresh_engine(settings, today).await,
        };
        let ran = match &engine {
            Ok((engine, _systems)) => run_case(engine, &bundle, &file, case, &base, path, n).await,
            Err(e) => Err(anyhow::anyhow!("{e:#}")),
        };
        let failure = match ran {
            Ok(None) => None,
            Ok(Some(diff)) => Some(Failure::Mismatch {
                diff: Some(diff),
                faults: Vec::new(),
            }),
            Err(e) => Some(Failure::Invalid(format!("{e:#}"))),
        };
        suite.cases.push(CaseResult {
            name: case.name.clone(),
            failure,
            usage: None,
            limits: Shown::default(),
            time: started.elapsed(),
            log: Vec::new(),
        });
    }
    Ok(())
}

/// An engine over a fresh in-memory store, with simulated systems of
/// its own, as `onething run` makes one.
async fn fresh_engine(
    settings: &Settings,
    today: Option<chrono::NaiveDate>,
) -> anyhow::Result<(
    onething_engine::Engine,
    Option<crate::cli::systems::InProcess>,
)> {
    let mut config = settings.config.clone();
    crate::cli::run::local_engine(
        &mut config,
        &settings.paths,
        settings.config.limits.clone(),
        Default::default(),
        None,
        today,
        None,
        false,
    )
    .await
}

/// One case: `None` when it came out as expected, else the diff.
async fn run_case(
    engine: &onething_engine::Engine,
    bundle: &onething_model::bundle::Bundle,
    file: &BundleFile,
    case: &BundleCase,
    base: &SourceDir,
    path: &Path,
    n: usize,
) -> anyhow::Result<Option<String>> {
    let mut fields = serde_json::Map::new();
    for (k, v) in file.defaults.fields.iter().chain(&case.fields) {
        fields.insert(k.clone(), json_of(v));
    }
    for k in &case.remove {
        anyhow::ensure!(
            fields.remove(k).is_some(),
            "{}: case {:?}: remove names {k}, which the defaults do not have",
            path.display(),
            case.name
        );
    }
    let materials = case.materials.as_ref().unwrap_or(&file.defaults.materials);
    let doc = serde_json::json!({
        "bundle": file.bundle.id,
        "fields": fields,
        "materials": materials,
    });
    let shown = format!("{} case {:?}", path.display(), case.name);
    let doc = ApplicationDoc::from_json(&doc.to_string(), &shown)?;
    let doc = crate::cli::run::store_materials(engine, doc, base, path).await?;
    let id = format!("case-{}-{n}", bundle.id);
    let report = match engine.submit_as(&doc, id.clone(), None).await {
        Err(SubmitError::Problems(problems)) => RunReport::refused(&id, bundle, problems),
        Err(e) => return Err(e.into()),
        Ok(_) => {
            let state = tokio::time::timeout(Duration::from_secs(120), engine.at_rest(&id))
                .await
                .map_err(|_| anyhow::anyhow!("{shown}: not at rest after 120 s"))??
                .ok_or_else(|| anyhow::anyhow!("{shown}: the application vanished"))?;
            RunReport::of(&state, bundle)
        }
    };
    Ok(compare(&case.expect, &serde_json::to_value(&report)?))
}

/// The expectation and the report in the same lines (the report only in
/// what the case expects), and their diff when they differ.
fn compare(e: &BundleExpect, report: &serde_json::Value) -> Option<String> {
    let mut want = vec![format!("status = {:?}", e.status)];
    let mut got = vec![format!(
        "status = {:?}",
        report["status"].as_str().unwrap_or("?")
    )];
    let steps: BTreeMap<String, String> = report["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                s["step"].as_str().unwrap_or("?").to_owned(),
                s["status"].as_str().unwrap_or("?").to_owned(),
            )
        })
        .collect();
    for (step, status) in &e.steps {
        want.push(format!("steps.{step} = {status:?}"));
        got.push(match steps.get(step) {
            Some(s) => format!("steps.{step} = {s:?}"),
            None => format!(
                "steps.{step}: the bundle has no such step (it has: {})",
                steps.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        });
    }
    for (key, value) in &e.fields {
        want.push(format!("fields.{key} = {}", json_of(value)));
        got.push(match report["outputs"].get(key) {
            Some(v) => format!("fields.{key} = {v}"),
            None => format!("fields.{key}: not written"),
        });
    }
    if let Some(problems) = &e.problems {
        let mut problems = problems.clone();
        problems.sort();
        want.push(format!("problems = {problems:?}"));
        let codes: Vec<String> = report["problems"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                let code = p["code"].as_str().unwrap_or("?");
                let named = (p["subject"]["kind"] != "general")
                    .then(|| p["subject"]["name"].as_str())
                    .flatten();
                match named {
                    Some(key) if problems.iter().any(|x| x.contains(':')) => {
                        format!("{key}: {code}")
                    }
                    _ => code.to_owned(),
                }
            })
            .collect();
        let mut codes = codes;
        codes.sort();
        got.push(format!("problems = {codes:?}"));
    }
    super::compare::diff_lines(&want, &got)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect(text: &str) -> BundleExpect {
        toml::from_str(text).expect("expectation")
    }

    #[test]
    fn a_matching_report_has_no_diff_and_a_wrong_step_shows_both_lines() {
        let report = serde_json::json!({
            "status": "completed",
            "steps": [{"step": "tax/tax-registration", "status": "approved"}],
            "outputs": {"tax.taxpayer_id": "91350206MA2Y3K5P9T"},
            "problems": [],
        });
        let e = expect(
            "status = \"completed\"\nsteps = { \"tax/tax-registration\" = \"approved\" }\nfields = { \"tax.taxpayer_id\" = \"91350206MA2Y3K5P9T\" }\n",
        );
        assert_eq!(compare(&e, &report), None);
        let e = expect(
            "status = \"completed\"\nsteps = { \"tax/tax-registration\" = \"skipped\", \"tax/nothing\" = \"approved\" }\n",
        );
        let diff = compare(&e, &report).expect("a diff");
        assert!(
            diff.contains("-steps.tax/tax-registration = \"skipped\""),
            "{diff}"
        );
        assert!(
            diff.contains("+steps.tax/tax-registration = \"approved\""),
            "{diff}"
        );
        assert!(
            diff.contains("tax/nothing: the bundle has no such step"),
            "{diff}"
        );
    }

    #[test]
    fn problems_compare_by_code_or_key_and_code() {
        let report = serde_json::json!({
            "status": "needs-more",
            "steps": [],
            "outputs": {},
            "problems": [{"subject": {"kind": "field", "name": "enterprise.name"}, "code": "missing"}],
        });
        let by_code = expect("status = \"needs-more\"\nproblems = [\"missing\"]\n");
        assert_eq!(compare(&by_code, &report), None);
        let by_key = expect("status = \"needs-more\"\nproblems = [\"enterprise.name: missing\"]\n");
        assert_eq!(compare(&by_key, &report), None);
        let wrong =
            expect("status = \"needs-more\"\nproblems = [\"enterprise.name: bad-length\"]\n");
        assert!(compare(&wrong, &report).is_some());
    }

    #[test]
    fn a_bundle_file_is_told_from_a_plugin_file_and_a_misspelt_key_refused() {
        assert!(is_bundle_file("[bundle]\nid = \"x\"\n"));
        assert!(!is_bundle_file("[plugin]\ndepartment = \"tax\"\n"));
        let err = toml::from_str::<BundleFile>(
            "[bundle]\nid = \"x\"\n[[case]]\nname = \"a\"\n[case.expect]\nstatus = \"completed\"\nfeilds = {}\n",
        )
        .expect_err("refused");
        assert!(err.to_string().contains("feilds"), "{err}");
    }
}
