//! The test kit: run a department natively with `cargo test`, no host and
//! no Wasm needed.
//!
//! Natively (any target but wasm32) the SDK's [`crate::log`],
//! [`crate::clock`], [`crate::store`], [`crate::config`] and
//! [`crate::http`] talk to thread-local stand-ins that this module
//! controls: pin today's date, seed and inspect the store, make it fail,
//! read the log, set configuration values and secrets ([`config`],
//! [`secret`]), and answer HTTP requests from mocks ([`http`]). Each test
//! runs on its own thread, so each starts empty. [`handle`], [`check`] and
//! [`prefill`] call a [`Department`] the way the host would: only
//! declared fields go in, and an approval writing an undeclared field
//! fails the test.
//!
//! ```
//! use onething_sdk::testkit;
//!
//! testkit::pin_today(testkit::date("2026-11-28"));
//! assert_eq!(onething_sdk::clock::today().to_string(), "2026-11-28");
//! let request = testkit::request("birth-certificate").field("child.name", "林安然").attempt(2).build();
//! assert_eq!(request.fields().text("child.name"), Some("林安然"));
//! ```
//!
//! Not compiled for wasm32: components never contain it.

mod dictionary;
pub mod http;

pub use dictionary::{
    DICTIONARY_ENV, Dictionary, assert_manifest_sound, dictionary, dictionary_from,
    dictionary_from_toml, manifest_faults_against,
};

use onething_idcodes::ids::{is_kebab, is_key, is_semver};

use crate::log::Level;
use crate::native;
use crate::{
    Date, Department, Draft, Field, Manifest, Material, Outcome, Problem, Request, StepError,
    StoreError, Text, Value,
};

/// One record written through [`crate::log`].
#[derive(Debug, Clone, PartialEq)]
pub struct LogRecord {
    /// Severity.
    pub level: Level,
    /// The message.
    pub message: String,
    /// Key/value attributes.
    pub attributes: Vec<(String, String)>,
}

/// Forget this thread's store, log, pinned date, store failure,
/// configuration, secrets and HTTP mocks.
pub fn reset() {
    native::with(|s| *s = native::State::default());
}

/// Parse `YYYY-MM-DD`, panicking on a bad date (test code only).
pub fn date(text: &str) -> Date {
    match Date::parse(text) {
        Some(d) => d,
        None => panic!("testkit::date: {text:?} is not a YYYY-MM-DD date"),
    }
}

/// Make [`crate::clock::today`] return `today` on this thread.
pub fn pin_today(today: Date) {
    native::with(|s| s.today = Some(today));
}

/// Make [`crate::clock::now`] return `seconds` on this thread.
pub fn pin_now(seconds: i64) {
    native::with(|s| s.now = Some(seconds));
}

/// Put `value` under `key` in this thread's store.
pub fn seed(key: &str, value: &[u8]) {
    native::with(|s| {
        s.store.insert(key.to_owned(), value.to_vec());
    });
}

/// The value under `key` in this thread's store.
pub fn stored(key: &str) -> Option<Vec<u8>> {
    native::with(|s| s.store.get(key).cloned())
}

/// The value under `key` as text.
pub fn stored_text(key: &str) -> Option<String> {
    stored(key).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Every key in this thread's store, sorted.
pub fn stored_keys() -> Vec<String> {
    native::with(|s| s.store.keys().cloned().collect())
}

/// Make every store call fail with `error` (or succeed again with `None`).
pub fn fail_store(error: Option<StoreError>) {
    native::with(|s| s.store_failure = error);
}

/// Set the configuration value `key` (what [`crate::config::get`] reads)
/// on this thread.
pub fn config(key: &str, value: &str) {
    native::with(|s| {
        s.config.insert(key.to_owned(), value.to_owned());
    });
}

/// Remove the configuration value `key` on this thread.
pub fn unset_config(key: &str) {
    native::with(|s| {
        s.config.remove(key);
    });
}

/// Give the department the secret `name` (what [`crate::config::secret`]
/// reads) on this thread.
pub fn secret(name: &str, value: &str) {
    native::with(|s| {
        s.secrets.insert(name.to_owned(), value.to_owned());
    });
}

/// Every record logged on this thread so far.
pub fn logs() -> Vec<LogRecord> {
    native::with(|s| s.logs.clone())
}

/// Start building a request for `step`: application `app-test`,
/// idempotency key `app-test/<step>`, attempt 1, no fields.
pub fn request(step: &str) -> RequestBuilder {
    RequestBuilder {
        request: Request {
            application: "app-test".into(),
            step: step.into(),
            idempotency_key: format!("app-test/{step}"),
            attempt: 1,
            fields: Vec::new(),
            materials: Vec::new(),
        },
    }
}

/// Builds a [`Request`] (see [`request`]).
#[derive(Debug, Clone)]
pub struct RequestBuilder {
    request: Request,
}

impl RequestBuilder {
    /// Set a field (replacing an earlier value under the same key).
    pub fn field(mut self, key: &str, value: impl Into<Value>) -> Self {
        let value = value.into();
        self.request.fields.retain(|f| f.key != key);
        self.request.fields.push(Field {
            key: key.into(),
            value,
        });
        self
    }

    /// Remove a field.
    pub fn without(mut self, key: &str) -> Self {
        self.request.fields.retain(|f| f.key != key);
        self
    }

    /// Supply a material (a PDF with a digest derived from its code).
    pub fn material(mut self, code: &str) -> Self {
        let digest = format!(
            "sha256:{}",
            crate::hash::digits(&[code], 64).replace(['8', '9'], "a")
        );
        self.request.materials.retain(|m| m.code != code);
        self.request.materials.push(Material {
            code: code.into(),
            digest,
            media_type: "application/pdf".into(),
            size: 1024,
        });
        self
    }

    /// Set the attempt number.
    pub fn attempt(mut self, attempt: u32) -> Self {
        self.request.attempt = attempt;
        self
    }

    /// Set the idempotency key.
    pub fn idempotency_key(mut self, key: &str) -> Self {
        self.request.idempotency_key = key.into();
        self
    }

    /// Set the application id (and the idempotency key to `<id>/<step>`).
    pub fn application(mut self, id: &str) -> Self {
        self.request.idempotency_key = format!("{id}/{}", self.request.step);
        self.request.application = id.into();
        self
    }

    /// The fields so far (for `check` and `prefill`).
    pub fn fields(&self) -> Vec<Field> {
        self.request.fields.clone()
    }

    /// The materials so far.
    pub fn materials(&self) -> Vec<Material> {
        self.request.materials.clone()
    }

    /// The same as a draft of the request's application (what `check`
    /// gets for a submission).
    pub fn draft(&self) -> Draft {
        Draft {
            application: Some(self.request.application.clone()),
            step: self.request.step.clone(),
            fields: self.request.fields.clone(),
            materials: self.request.materials.clone(),
        }
    }

    /// The same as a draft belonging to no application yet (a form
    /// checked before it is submitted).
    pub fn form(&self) -> Draft {
        Draft {
            application: None,
            ..self.draft()
        }
    }

    /// The request.
    pub fn build(self) -> Request {
        self.request
    }
}

/// Keep only the fields and materials `step` of `D` declared, as the host does.
fn filter<D: Department>(
    step: &str,
    fields: &[Field],
    materials: &[Material],
) -> (Vec<Field>, Vec<Material>) {
    let manifest = D::describe();
    match manifest.find_step(step) {
        Some(spec) => (
            fields
                .iter()
                .filter(|f| spec.reads_key(&f.key))
                .cloned()
                .collect(),
            materials
                .iter()
                .filter(|m| spec.materials.iter().any(|n| n.code == m.code))
                .cloned()
                .collect(),
        ),
        None => (fields.to_vec(), materials.to_vec()),
    }
}

/// Call `D::handle` as the host would: only the fields and materials the
/// step declared are passed, and an approval writing a field the step did
/// not declare panics (fails the test), naming the field.
pub fn handle<D: Department>(request: Request) -> Result<Outcome, StepError> {
    let (fields, materials) = filter::<D>(&request.step, &request.fields, &request.materials);
    let step = request.step.clone();
    let outcome = D::handle(Request {
        fields,
        materials,
        ..request
    })?;
    let undeclared = undeclared_writes(&D::describe(), &step, &outcome);
    assert!(
        undeclared.is_empty(),
        "step {step} wrote undeclared fields: {undeclared:?}"
    );
    Ok(outcome)
}

/// Call `D::check` for the request's step, fields and materials as the
/// host would for its application's submission (a draft of the request's
/// application; see [`check_draft`] for any draft).
pub fn check<D: Department>(request: &Request) -> Vec<Problem> {
    check_draft::<D>(Draft {
        application: Some(request.application.clone()),
        step: request.step.clone(),
        fields: request.fields.clone(),
        materials: request.materials.clone(),
    })
}

/// Call `D::check` with `draft`, keeping only its declared fields and
/// materials as the host does.
pub fn check_draft<D: Department>(draft: Draft) -> Vec<Problem> {
    let (fields, materials) = filter::<D>(&draft.step, &draft.fields, &draft.materials);
    D::check(Draft {
        fields,
        materials,
        ..draft
    })
}

/// Call `D::prefill` for the request's step with its declared fields (a
/// draft of the request's application, no materials).
pub fn prefill<D: Department>(request: &Request) -> Vec<Field> {
    let (fields, _) = filter::<D>(&request.step, &request.fields, &[]);
    D::prefill(Draft {
        application: Some(request.application.clone()),
        step: request.step.clone(),
        fields,
        materials: Vec::new(),
    })
}

/// The keys an approval of `step` writes that the step did not declare.
pub fn undeclared_writes(manifest: &Manifest, step: &str, outcome: &Outcome) -> Vec<String> {
    let Some(approval) = outcome.approval() else {
        return Vec::new();
    };
    let spec = manifest.find_step(step);
    approval
        .fields
        .iter()
        .filter(|f| !spec.is_some_and(|s| s.writes_key(&f.key)))
        .map(|f| f.key.clone())
        .collect()
}

/// Every fault in the shape of a manifest (ids, keys, codes, purposes,
/// duplicates, time limits, semver, a text missing its Chinese or its
/// English) that the host would refuse without even looking at the
/// dictionary. Empty when well-formed. The dictionary
/// is checked too by [`manifest_faults_against`] and
/// [`assert_manifest_sound`]. Ids, keys and
/// versions follow `onething-idcodes`, the host's rules: kebab-case ids of
/// at most 64 bytes, keys of at most 128 bytes, Semantic Versioning.
pub fn manifest_faults(manifest: &Manifest) -> Vec<String> {
    let mut faults = Vec::new();
    if !is_kebab(&manifest.department) {
        faults.push(format!(
            "department id {:?} is not kebab-case",
            manifest.department
        ));
    }
    if let Some(which) = incomplete(&manifest.name) {
        faults.push(format!("department name has no {which}"));
    }
    if !is_semver(&manifest.version) {
        faults.push(format!("version {:?} is not semver", manifest.version));
    }
    if manifest.steps.is_empty() {
        faults.push("no steps".into());
    }
    for (i, step) in manifest.steps.iter().enumerate() {
        let id = &step.id;
        if !is_kebab(id) {
            faults.push(format!("step id {id:?} is not kebab-case"));
        }
        if manifest.steps[..i].iter().any(|s| &s.id == id) {
            faults.push(format!("step {id}: declared twice"));
        }
        if let Some(which) = incomplete(&step.title) {
            faults.push(format!("step {id}: title has no {which}"));
        }
        if step.time_limit_minutes == 0 {
            faults.push(format!("step {id}: time limit is 0"));
        }
        for (j, r) in step.reads.iter().enumerate() {
            if !is_key(&r.key) {
                faults.push(format!(
                    "step {id}: reads {:?}, not a dictionary key",
                    r.key
                ));
            }
            if step.reads[..j].iter().any(|o| o.key == r.key) {
                faults.push(format!("step {id}: reads {} twice", r.key));
            }
            if let Some(which) = incomplete(&r.purpose) {
                faults.push(format!(
                    "step {id}: reads {} without a purpose in {which}",
                    r.key
                ));
            }
        }
        for (j, w) in step.writes.iter().enumerate() {
            if !is_key(w) {
                faults.push(format!("step {id}: writes {w:?}, not a dictionary key"));
            }
            if step.writes[..j].contains(w) {
                faults.push(format!("step {id}: writes {w} twice"));
            }
        }
        for m in &step.materials {
            if !is_kebab(&m.code) {
                faults.push(format!(
                    "step {id}: material {:?} is not kebab-case",
                    m.code
                ));
            }
            if let Some(which) = incomplete(&m.purpose) {
                faults.push(format!(
                    "step {id}: material {} without a purpose in {which}",
                    m.code
                ));
            }
        }
    }
    faults
}

/// Which language a text lacks (`Chinese`, `English`, `Chinese and
/// English`), if any.
fn incomplete(text: &Text) -> Option<&'static str> {
    match (text.zh.trim().is_empty(), text.en.trim().is_empty()) {
        (false, false) => None,
        (true, false) => Some("Chinese"),
        (false, true) => Some("English"),
        (true, true) => Some("Chinese and English"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Inserted;
    use crate::{StepSpec, approve, clock, store};

    #[test]
    fn clock_and_store_stand_ins() {
        reset();
        pin_today(date("2026-11-28"));
        pin_now(1_800_000_000);
        assert_eq!(clock::today(), date("2026-11-28"));
        assert_eq!(clock::now(), 1_800_000_000);
        seed("a", b"1");
        assert_eq!(store::get("a"), Ok(Some(b"1".to_vec())));
        assert_eq!(
            store::insert_new("a", b"2"),
            Ok(Inserted::Held(b"1".to_vec()))
        );
        assert_eq!(store::insert_new("b", b"2"), Ok(Inserted::Set));
        assert!(Inserted::Set.is_set() && Inserted::Set.held().is_none());
        assert_eq!(
            Inserted::Held(b"k".to_vec()).held_text().as_deref(),
            Some("k")
        );
        assert_eq!(stored_keys(), vec!["a".to_string(), "b".to_string()]);
        assert_eq!(store::delete("a"), Ok(true));
        assert_eq!(store::delete("a"), Ok(false));
        store::set("c", b"x").expect("set");
        assert_eq!(stored_text("c").as_deref(), Some("x"));
        assert_eq!(store::reserve("name:x", "k1"), Ok(None));
        assert_eq!(store::reserve("name:x", "k1"), Ok(None));
        assert_eq!(store::reserve("name:x", "k2"), Ok(Some("k1".into())));
        fail_store(Some(StoreError::Unavailable("down".into())));
        let err: StepError = store::get("a").err().map(Into::into).expect("fails");
        assert!(err.is_transient());
        fail_store(None);
        reset();
        assert!(stored_keys().is_empty());
    }

    #[test]
    fn unpinned_clock_is_plausible() {
        reset();
        assert!(clock::today().year >= 2024);
    }

    #[test]
    fn logs_are_kept() {
        reset();
        crate::log::info("issued", &[("step", "x")]);
        crate::log::warn("w", &[]);
        let logs = logs();
        assert_eq!(logs.len(), 2);
        assert_eq!(logs[0].level, Level::Info);
        assert_eq!(
            logs[0].attributes,
            vec![("step".to_string(), "x".to_string())]
        );
    }

    #[test]
    fn builds_requests() {
        let r = request("s")
            .field("a.b", "1")
            .field("a.b", "2")
            .field("c.d", 3i64)
            .without("c.d")
            .material("m-1")
            .material("m-1")
            .application("app-9")
            .attempt(3);
        assert_eq!(r.fields().len(), 1);
        assert_eq!(r.materials().len(), 1);
        let req = r.build();
        assert_eq!(req.idempotency_key, "app-9/s");
        assert_eq!(req.attempt, 3);
        assert_eq!(req.materials[0].digest.len(), 71);
        assert_eq!(req.fields().text("a.b"), Some("2"));
        assert_eq!(
            request("s").idempotency_key("k").build().idempotency_key,
            "k"
        );
        let b = request("s").field("a.b", "1").application("app-3");
        assert_eq!(b.draft().application.as_deref(), Some("app-3"));
        assert_eq!(b.form().application, None);
        assert_eq!(b.form().fields.len(), 1);
    }

    #[test]
    fn config_and_secrets_are_per_thread() {
        reset();
        config("base_url", "http://h/v1");
        secret("token", "t");
        assert_eq!(
            crate::config::get("base_url").as_deref(),
            Some("http://h/v1")
        );
        assert_eq!(crate::config::secret("token").as_deref(), Some("t"));
        unset_config("base_url");
        assert_eq!(crate::config::get("base_url"), None);
        let other = std::thread::spawn(|| crate::config::secret("token"))
            .join()
            .expect("joined");
        assert_eq!(other, None);
        reset();
        assert_eq!(crate::config::secret("token"), None);
    }

    struct Demo;
    impl Department for Demo {
        fn describe() -> Manifest {
            Manifest::new("demo", "示例", "Demo", "0.1.0")
                .step(
                    StepSpec::new("ok", "好", "Good")
                        .reads("a.b", "p", "p")
                        .writes("x.y"),
                )
                .step(StepSpec::new("bad", "坏", "Bad").reads("a.b", "p", "p"))
        }
        fn check(draft: Draft) -> Vec<Problem> {
            draft
                .fields
                .iter()
                .map(|f| Problem::field(f.key.clone(), "seen", "见", "seen"))
                .chain(
                    draft
                        .application
                        .map(|a| Problem::general("application", a.clone(), a)),
                )
                .collect()
        }
        fn prefill(draft: Draft) -> Vec<Field> {
            draft.fields
        }
        fn handle(r: Request) -> Result<Outcome, StepError> {
            let seen: Vec<&str> = r.fields().keys().collect();
            Ok(approve().field("x.y", seen.join(",")).into())
        }
    }

    #[test]
    fn runs_a_department_like_the_host() {
        let r = request("ok").field("a.b", "1").field("secret.value", "2");
        let out = handle::<Demo>(r.clone().build()).expect("handled");
        assert_eq!(out.approval().and_then(|a| a.text("x.y")), Some("a.b"));
        let problems = check::<Demo>(&r.clone().build());
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[1].message.en, "app-test");
        assert_eq!(check_draft::<Demo>(r.form()).len(), 1);
        assert_eq!(prefill::<Demo>(&r.build()).len(), 1);
        assert!(manifest_faults(&Demo::describe()).is_empty());
    }

    #[test]
    #[should_panic(expected = "undeclared")]
    fn undeclared_write_fails_the_test() {
        let _ = handle::<Demo>(request("bad").field("a.b", "1").build());
    }

    #[test]
    fn lints_manifests() {
        let m = Manifest::new("Bad_Dept", " ", " ", "1.0")
            .step(
                StepSpec::new("s", "t", "T")
                    .reads("nodot", "", "")
                    .reads("nodot", "p", "p")
                    .writes("a.b")
                    .writes("a.b"),
            )
            .step(
                StepSpec::new("s", "", "")
                    .material("Bad", "", "")
                    .time_limit_minutes(0),
            );
        let faults = manifest_faults(&m);
        assert_eq!(faults.len(), 13, "{faults:#?}");
        assert!(faults.contains(&"department name has no Chinese and English".to_string()));
        // A missing English is refused, as the host refuses it.
        let no_english = Manifest::new("d", "名", "", "1.0.0").step(
            StepSpec::new("s", "事项", "")
                .reads("a.b", "用途", " ")
                .material("m", "", "Purpose"),
        );
        assert_eq!(
            manifest_faults(&no_english),
            [
                "department name has no English",
                "step s: title has no English",
                "step s: reads a.b without a purpose in English",
                "step s: material m without a purpose in Chinese",
            ]
        );
        assert!(
            manifest_faults(&Manifest::new("d", "n", "N", "1.0.0"))
                .contains(&"no steps".to_string())
        );
        // The host's limits: ids of at most 64 bytes, keys of at most 128.
        let long_id = "a".repeat(65);
        let long_key = format!("a.{}", "b".repeat(127));
        let m = Manifest::new("d".repeat(64), "n", "N", "1.0.0-rc.1").step(
            StepSpec::new(&long_id, "t", "T")
                .reads(&long_key, "p", "p")
                .material("m".repeat(64), "p", "p"),
        );
        assert_eq!(
            manifest_faults(&m),
            vec![
                format!("step id {long_id:?} is not kebab-case"),
                format!("step {long_id}: reads {long_key:?}, not a dictionary key"),
            ]
        );
    }
}
