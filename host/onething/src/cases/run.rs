//! Running one case file in the real sandbox: the department's component
//! loaded as the service loads it (checked against the dictionary), under
//! the configured limits, with the operator's settings for the
//! department the file assumes, and each case called on a fresh instance
//! with its own date, store and mocked systems. What each call used of
//! the limits is kept beside its verdict.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use onething_catalog::source::SourceDir;
use onething_model::call::StepOutcome;
use onething_model::dictionary::Dictionary;
use onething_model::ids::DepartmentId;
use onething_runtime::capabilities::http::TracingRecorder;
use onething_runtime::capabilities::{Capabilities, Clock, LogSink};
use onething_runtime::{Limits, Runtime, Usage};
use onething_store::memory::MemoryKv;

use super::compare::{Observed, compare};
use super::format::CaseFile;
use super::mocks::CaseMocks;
use super::plan::{Context, Planned, plan};
use crate::config::Config;

/// Fuel given when the configuration sets no budget, only to count
/// instructions (a case is never stopped by it).
const COUNTING_FUEL: u64 = 1 << 60;

/// What every file runs under.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The dictionary.
    pub dictionary: Arc<Dictionary>,
    /// The component every case file runs, over what the file names
    /// (`onething dev`: the build just made).
    pub component: Option<PathBuf>,
    /// The service's configuration (limits, outbound policies, secrets,
    /// configuration values), or the defaults.
    pub config: Config,
    /// Where a department's case file finds its component by department
    /// (`paths.plugins`), and a bundle's finds the dictionary, the grants
    /// register, every component and the bundles.
    pub paths: crate::paths::Paths,
}

/// One case's verdict.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// Its name.
    pub name: String,
    /// Why it failed, if it did.
    pub failure: Option<Failure>,
    /// What the call used, when it ran.
    pub usage: Option<Usage>,
    /// The limits it ran under.
    pub limits: Shown,
    /// Wall time of the whole case.
    pub time: Duration,
    /// What the plugin logged.
    pub log: Vec<String>,
}

/// The limits shown beside a case's usage.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shown {
    /// `limits.fuel`, if set.
    pub fuel: Option<u64>,
    /// `limits.memory_bytes`.
    pub memory_bytes: usize,
    /// The call deadline.
    pub timeout: Duration,
    /// `limits.max_output_bytes`.
    pub output_bytes: usize,
}

/// Why a case failed.
#[derive(Debug, Clone)]
pub enum Failure {
    /// The case cannot be run as written.
    Invalid(String),
    /// It ran and did not come out as expected: the diff, and what went
    /// wrong around it (requests unanswered or never made, an approval
    /// the host would refuse).
    Mismatch {
        /// Expected against observed, when they differ.
        diff: Option<String>,
        /// Other faults.
        faults: Vec<String>,
    },
}

/// One file's verdicts.
#[derive(Debug, Clone)]
pub struct SuiteResult {
    /// The case file.
    pub file: PathBuf,
    /// The department.
    pub department: String,
    /// Why none of its cases could run, if so.
    pub error: Option<String>,
    /// Each case.
    pub cases: Vec<CaseResult>,
    /// Wall time of the whole file (loading the component included).
    pub time: Duration,
}

impl SuiteResult {
    /// Cases that failed (a file that could not run counts as one).
    pub fn failures(&self) -> usize {
        self.cases.iter().filter(|c| c.failure.is_some()).count()
            + usize::from(self.error.is_some())
    }
}

/// The plugin's clock, set per case.
#[derive(Debug)]
struct CaseClock {
    today: Mutex<Option<NaiveDate>>,
    system: onething_runtime::capabilities::SystemClock,
}

impl CaseClock {
    fn set(&self, today: Option<NaiveDate>) {
        *self.today.lock().unwrap_or_else(|p| p.into_inner()) = today;
    }

    fn pinned(&self) -> Option<NaiveDate> {
        *self.today.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Clock for CaseClock {
    fn now(&self) -> i64 {
        match self.pinned() {
            Some(d) => onething_runtime::capabilities::FixedClock::new(d).now(),
            None => self.system.now(),
        }
    }

    fn today(&self) -> NaiveDate {
        self.pinned().unwrap_or_else(|| self.system.today())
    }
}

/// The plugin's log records, kept per case.
#[derive(Debug, Default)]
struct CaseLog(Mutex<Vec<String>>);

impl CaseLog {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl LogSink for CaseLog {
    fn record(&self, r: &onething_runtime::capabilities::log::LogRecord<'_>) {
        let line = if r.attributes.is_empty() {
            format!("{:?} {}", r.level, r.message)
        } else {
            format!("{:?} {} {}", r.level, r.message, r.attributes)
        };
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(line);
    }
}

/// Refuse a case file with no case, or with two cases of one name (a
/// report could not tell them apart).
pub(super) fn distinct_case_names<'a>(
    path: &Path,
    names: impl Iterator<Item = &'a str>,
) -> anyhow::Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for name in names {
        anyhow::ensure!(
            seen.insert(name),
            "{}: two cases are named {name:?}",
            path.display()
        );
    }
    anyhow::ensure!(!seen.is_empty(), "{}: no [[case]] in it", path.display());
    Ok(())
}

/// Run every case of the file at `path`.
pub async fn run_file(path: &Path, settings: &Settings) -> SuiteResult {
    let started = Instant::now();
    let mut suite = SuiteResult {
        file: path.to_owned(),
        department: String::new(),
        error: None,
        cases: Vec::new(),
        time: Duration::ZERO,
    };
    if let Err(e) = run_cases(path, settings, &mut suite).await {
        suite.error = Some(format!("{e:#}"));
    }
    suite.time = started.elapsed();
    suite
}

async fn run_cases(
    path: &Path,
    settings: &Settings,
    suite: &mut SuiteResult,
) -> anyhow::Result<()> {
    let (dir, name) = SourceDir::of_file(path)?;
    let text = dir.read_to_string(&name)?;
    if super::bundle::is_bundle_file(&text) {
        super::bundle::run_file(path, &text, settings, suite).await;
        return Ok(());
    }
    let file: CaseFile =
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let department = DepartmentId::parse(&file.plugin.department)
        .map_err(|e| anyhow::anyhow!("{}: plugin.department: {e}", path.display()))?;
    suite.department = department.to_string();
    distinct_case_names(path, file.cases.iter().map(|c| c.name.as_str()))?;
    let (component, bytes) = match (&settings.component, &file.plugin.component) {
        (Some(at), _) => {
            let (d, n) = SourceDir::of_file(at)?;
            (at.display().to_string(), d.read(&n)?)
        }
        (None, Some(rel)) => {
            // A path the case's author wrote, like a config's: relative to
            // the case file, and free to leave its directory (materials
            // are not).
            let at = path.parent().unwrap_or(Path::new(".")).join(rel);
            let (d, n) = SourceDir::of_file(&at)?;
            let bytes = d.read(&n).map_err(|e| {
                anyhow::anyhow!("{e} (build the component first: cargo build --release)")
            })?;
            (at.display().to_string(), bytes)
        }
        (None, None) => {
            let at = settings.paths.plugins.join(format!("{department}.wasm"));
            let (d, n) = SourceDir::of_file(&at)?;
            let bytes = d.read(&n).map_err(|e| {
                anyhow::anyhow!("{e} (build the component, give plugin.component in the case file, or point --plugins at its directory)")
            })?;
            (at.display().to_string(), bytes)
        }
    };

    let mocks = Arc::new(CaseMocks::default());
    let mut config = settings.config.clone();
    config.wire_systems(&wiring(&file)?)?;
    let outbound = config
        .outbound(Arc::new(TracingRecorder))?
        .with_responder(mocks.clone());
    let mut limits: Limits = config.limits.clone();
    let shown = Shown {
        fuel: limits.fuel,
        memory_bytes: limits.memory_bytes,
        timeout: limits.timeout_for(&department),
        output_bytes: limits.max_output_bytes,
    };
    limits.fuel = Some(limits.fuel.unwrap_or(COUNTING_FUEL));
    let clock = Arc::new(CaseClock {
        today: Mutex::new(None),
        system: onething_runtime::capabilities::SystemClock::china_standard_time(),
    });
    let kv = Arc::new(MemoryKv::default());
    let log = Arc::new(CaseLog::default());
    let mut caps = Capabilities::new(clock.clone(), kv.clone()).with_outbound(Arc::new(outbound));
    caps.log = log.clone();
    let runtime = Runtime::new(limits, caps)?;
    let plugin = runtime
        .load_bytes(bytes, &component, &settings.dictionary)
        .await?;
    if plugin.department() != &department {
        anyhow::bail!(
            "{}: plugin.department is {department} but {component} is department {}",
            path.display(),
            plugin.department()
        );
    }
    let ctx = Context {
        manifest: plugin.manifest(),
        dictionary: &settings.dictionary,
        dir: &dir,
        defaults: &file.defaults,
    };
    for (n, case) in file.cases.iter().enumerate() {
        let case_started = Instant::now();
        let mut result = CaseResult {
            name: case.name.clone(),
            failure: None,
            usage: None,
            limits: shown,
            time: Duration::ZERO,
            log: Vec::new(),
        };
        match plan(&ctx, case, n) {
            Err(e) => result.failure = Some(Failure::Invalid(e)),
            Ok(planned) => {
                let (failure, usage) =
                    run_one(&plugin, &planned, &kv, &clock, &mocks, &department).await;
                result.failure = failure;
                result.usage = Some(usage);
            }
        }
        result.log = log.take();
        result.time = case_started.elapsed();
        suite.cases.push(result);
    }
    Ok(())
}

async fn run_one(
    plugin: &onething_runtime::Plugin,
    planned: &Planned,
    kv: &MemoryKv,
    clock: &CaseClock,
    mocks: &CaseMocks,
    department: &DepartmentId,
) -> (Option<Failure>, Usage) {
    use onething_store::DepartmentKv as _;
    kv.clear();
    for (k, v) in &planned.store {
        if let Err(e) = kv
            .set(department, k, v, onething_store::KvQuota::UNLIMITED)
            .await
        {
            return (
                Some(Failure::Invalid(format!("store.{k}: {e}"))),
                Usage::default(),
            );
        }
    }
    clock.set(planned.today);
    mocks.set(&planned.mocks);
    let measured = plugin.handle_measured(&planned.request).await;
    if !matches!(measured.result, Ok(Ok(_))) {
        // As the host does: a failed attempt's writes do not stand.
        measured.writes.undo().await;
    }
    let seen = mocks.take();
    let store = kv.entries(department);
    let mut faults = seen.faults;
    if let Ok(Ok(StepOutcome::Approved(a))) = &measured.result
        && let Some(step) = plugin.manifest().step(&planned.request.step)
    {
        for f in &a.fields {
            let declared = onething_model::ids::FieldKey::parse(&f.key)
                .is_ok_and(|k| step.writes.contains(&k));
            if !declared {
                faults.push(format!(
                    "the approval writes {}, which step {} does not declare it writes: the host would refuse it",
                    f.key, step.id
                ));
            }
            if let Err(why) = &f.value {
                faults.push(format!("the approval's {} is not a value: {why}", f.key));
            }
        }
    }
    let observed = Observed {
        result: &measured.result,
        store: &store,
        requests: &seen.made,
    };
    let diff = compare(&planned.expect, &observed);
    let failure =
        (diff.is_some() || !faults.is_empty()).then_some(Failure::Mismatch { diff, faults });
    (failure, measured.usage)
}

/// The operator's settings the file assumes for its department, as the
/// tables of an onething.toml (a config given to the command keeps its
/// own where it has them).
fn wiring(file: &CaseFile) -> anyhow::Result<onething_systems::wiring::Wiring> {
    let d = &file.plugin.department;
    let outbound = match &file.plugin.outbound {
        Some(t) => t.clone(),
        None => {
            let mut origins: Vec<String> = file
                .cases
                .iter()
                .flat_map(|c| &c.outbound)
                .filter_map(|m| reqwest::Url::parse(&m.url).ok())
                .map(|u| {
                    let host = u.host_str().unwrap_or_default();
                    match u.port() {
                        Some(p) => format!("{}://{host}:{p}", u.scheme()),
                        None => format!("{}://{host}", u.scheme()),
                    }
                })
                .collect();
            origins.sort();
            origins.dedup();
            let mut t = toml::Table::new();
            t.insert("allow".into(), toml::Value::from(origins));
            t
        }
    };
    let mut secrets = toml::Table::new();
    let mut env = std::collections::BTreeMap::new();
    for (name, value) in &file.plugin.secrets {
        let var = format!("ONETHING_CASE_SECRET_{}_{}", d, name)
            .to_ascii_uppercase()
            .replace(['-', '.'], "_");
        let mut r = toml::Table::new();
        r.insert("env".into(), toml::Value::String(var.clone()));
        secrets.insert(name.clone(), toml::Value::Table(r));
        env.insert(var, value.clone());
    }
    let config: toml::Table = file
        .plugin
        .config
        .iter()
        .map(|(k, v)| (k.clone(), toml::Value::String(v.clone())))
        .collect();
    let table = |inner: toml::Table| {
        let mut t = toml::Table::new();
        t.insert(d.clone(), toml::Value::Table(inner));
        toml::Value::Table(t)
    };
    let mut all = toml::Table::new();
    all.insert("outbound".into(), table(outbound));
    all.insert("secrets".into(), table(secrets));
    all.insert("config".into(), table(config));
    Ok(onething_systems::wiring::Wiring {
        toml: toml::to_string(&all)?,
        files: Vec::new(),
        env,
    })
}
