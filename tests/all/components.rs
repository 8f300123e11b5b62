//! Host tests against the real components built from plugins/: both
//! example bundles, the one notification, data rights, hostile components
//! and refusals of bad input. Applications run through the engine over the
//! in-memory store, as `onething run` does.

use onething_contract::WorldError;
use onething_engine::RunReport;
use onething_model::call::StepRequest;
use onething_model::ids::{FieldKey, StepId};
use onething_model::problem::Subject;
use onething_model::state::{AppStatus, StepStatus};
use onething_runtime::{CallError, LoadError};

use crate::world::{component, testkit_bundle, world};

fn key(k: &str) -> FieldKey {
    FieldKey::parse(k).expect("key")
}

fn text(report: &RunReport, k: &str) -> String {
    match report.outputs.get(&key(k)) {
        Some(serde_json::Value::String(s)) => s.clone(),
        other => panic!("{k} should be a text output, got {other:?}"),
    }
}

// ---- both bundles complete ----------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn newborn_bundle_completes_with_issued_numbers_flowing_between_departments() {
    let w = world().await;
    let report = w.run_sample("newborn.json", "t-newborn-1").await;
    assert_eq!(report.status, AppStatus::Completed, "{report:#?}");
    for s in &report.steps {
        assert!(
            matches!(s.status, StepStatus::Approved | StepStatus::Skipped),
            "{}: {:?}",
            s.step,
            s.status
        );
    }
    // The child's ID number is issued by public security and is valid.
    let child_id = text(&report, "child.id_number");
    onething_model::idcodes::resident_id::validate(&child_id)
        .expect("issued child ID number is valid (GB 11643)");
    // ...and it reached medical insurance and the social security card.
    assert!(
        report
            .outputs
            .contains_key(&key("child.medical_insurance_number"))
    );
    assert!(
        report
            .outputs
            .contains_key(&key("child.social_security_card_number"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn business_startup_bundle_completes_with_a_valid_credit_code() {
    let w = world().await;
    let name = ("enterprise.name", serde_json::json!("厦门安然茶业有限公司"));
    let report = w
        .run_sample_with("business-startup.json", "t-business-1", &[name])
        .await;
    assert_eq!(report.status, AppStatus::Completed, "{report:#?}");
    let uscc = text(&report, "enterprise.uscc");
    onething_model::idcodes::uscc::validate(&uscc).expect("issued code is valid (GB 32100)");
    assert!(
        report
            .outputs
            .contains_key(&key("enterprise.seal_record_number"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_name_already_taken_is_refused_by_market_regulation() {
    let w = world().await;
    let name = ("enterprise.name", serde_json::json!("厦门同名茶业有限公司"));
    let first = w
        .run_sample_with(
            "business-startup.json",
            "t-name-a",
            std::slice::from_ref(&name),
        )
        .await;
    assert_eq!(first.status, AppStatus::Completed, "{first:#?}");
    // Another application with the same enterprise name is refused.
    let second = w
        .run_sample_with("business-startup.json", "t-name-b", &[name])
        .await;
    assert_ne!(second.status, AppStatus::Completed);
    let licence = second
        .steps
        .iter()
        .find(|s| s.step.to_string() == "market-regulation/business-licence")
        .expect("step");
    let mentions_taken = licence.problems.iter().any(|p| p.code == "name-taken")
        || licence.reason.as_ref().is_some_and(|r| r.contains("name"))
        || second.problems.iter().any(|p| p.code == "name-taken");
    assert!(mentions_taken, "{second:#?}");
}

// ---- one notification --------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn sample_needs_more_gets_every_problem_at_once() {
    let w = world().await;
    let report = w
        .run_sample("newborn-needs-more.json", "t-needs-more")
        .await;
    assert_eq!(report.status, AppStatus::NeedsMore);
    assert!(report.problems.len() >= 3, "{:#?}", report.problems);
    assert!(
        report.steps.iter().all(|s| s.attempts == 0),
        "no step may run before the form is right"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn three_faults_in_two_departments_fields_come_back_in_one_answer() {
    let w = world().await;
    let (doc, path) = w.sample("newborn.json");
    let mut doc = doc;
    // Health's field: a birth date over six months before today.
    doc.fields
        .insert("child.birth_date".into(), serde_json::json!("2025-01-02"));
    // Public security's field: a household address left empty.
    doc.fields.remove("household.address");
    // Medical insurance's field: a guardian phone that is not a mobile number.
    doc.fields
        .insert("guardian.phone".into(), serde_json::json!("12345"));
    let bundle = w.bundle("newborn");
    let report = w
        .run_doc(&bundle, "t-three-faults", doc, path.parent())
        .await;
    assert_eq!(report.status, AppStatus::NeedsMore);
    let about: Vec<String> = report
        .problems
        .iter()
        .filter_map(|p| match &p.subject {
            Subject::Field(k) => Some(k.clone()),
            _ => None,
        })
        .collect();
    for k in ["child.birth_date", "household.address", "guardian.phone"] {
        assert!(
            about.iter().any(|a| a == k),
            "{k} missing from {:#?}",
            report.problems
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_id_number_is_named() {
    let w = world().await;
    let (mut doc, path) = w.sample("newborn.json");
    let good = doc.fields["mother.id_number"]
        .as_str()
        .expect("text")
        .to_owned();
    let last = if good.ends_with('1') { '2' } else { '1' };
    let bad = format!("{}{last}", &good[..17]);
    doc.fields
        .insert("mother.id_number".into(), serde_json::json!(bad));
    let bundle = w.bundle("newborn");
    let report = w.run_doc(&bundle, "t-bad-id", doc, path.parent()).await;
    assert_eq!(report.status, AppStatus::NeedsMore);
    let p = report
        .problems
        .iter()
        .find(|p| p.subject == Subject::Field("mother.id_number".into()))
        .expect("a problem about mother.id_number");
    assert_eq!(p.code, "bad-check-digit");
    assert!(p.message.contains("GB 11643"), "{}", p.message);
}

// ---- data rights ---------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_step_sees_only_the_fields_it_declared() {
    let w = world().await;
    // The form carries every field health reads; the probe declares fewer.
    let bundle = w
        .inline_bundle(
            r#"
id = "probe"
title = { zh = "探针", en = "Probe" }
description = { zh = "探针", en = "Probe" }
time_limit_hours = 1
[[steps]]
department = "health"
step = "birth-certificate"
[[steps]]
department = "testkit"
step = "probe"
after = ["health/birth-certificate"]
"#,
        )
        .expect("probe bundle loads");
    let (doc, path) = w.sample("newborn.json");
    let mut doc = doc;
    doc.fields.retain(|k, _| {
        bundle
            .steps
            .iter()
            .any(|s| s.spec.reads.iter().any(|r| r.key.as_str() == k))
    });
    doc.materials.clear();
    let offered = doc.fields.len();
    let report = w.run_doc(&bundle, "t-probe", doc, path.parent()).await;
    assert_eq!(report.status, AppStatus::Completed, "{report:#?}");
    let probe = bundle
        .steps
        .iter()
        .find(|s| s.reference.department.as_str() == "testkit")
        .expect("probe step");
    let declared: Vec<String> = {
        let mut v: Vec<String> = probe.spec.reads.iter().map(|r| r.key.to_string()).collect();
        v.sort();
        v
    };
    assert!(
        offered > declared.len(),
        "the form must offer more than the probe declares"
    );
    assert_eq!(text(&report, "testkit.seen"), declared.join(","));
}

#[tokio::test(flavor = "multi_thread")]
async fn writing_an_undeclared_field_is_refused_and_named() {
    let w = world().await;
    let bundle = w
        .inline_bundle(&testkit_bundle("undeclared-write"))
        .expect("bundle");
    let report = w
        .run_json(
            &bundle,
            "t-undeclared",
            r#"{"bundle":"testkit-undeclared-write"}"#,
        )
        .await;
    // A plugin bug is not the applicant's: the step waits for an operator.
    assert_eq!(report.status, AppStatus::Manual);
    assert_eq!(report.steps[0].status, StepStatus::Manual);
    let reason = report.steps[0].reason.clone().unwrap_or_default();
    assert!(reason.contains("does not declare it writes"), "{reason}");
    assert_eq!(report.steps[0].attempts, 1, "a plugin bug is not retried");
    assert!(
        report.outputs.is_empty(),
        "nothing from a refused output is kept"
    );
}

// ---- hostile components ------------------------------------------------

async fn hostile(step: &str) -> CallError {
    let w = world().await;
    let plugin = w.plugin("testkit");
    let call = StepRequest {
        application: format!("t-{step}"),
        step: StepId::parse(step).expect("step"),
        idempotency_key: format!("t-{step}/testkit/{step}"),
        attempt: 1,
        fields: vec![],
        materials: vec![],
    };
    let err = plugin
        .handle(&call)
        .await
        .expect_err("a hostile step fails");
    // The host carries on: the next call on the same host succeeds.
    let next = w
        .plugin("testkit")
        .describe()
        .await
        .expect("the next call succeeds");
    assert_eq!(next.department, "testkit");
    let probe = StepRequest {
        step: StepId::parse("probe").expect("step"),
        ..call
    };
    assert!(
        matches!(plugin.handle(&probe).await, Ok(Ok(_))),
        "a normal step still runs after {step}"
    );
    err
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trap_fails_that_call_and_says_what_it_printed() {
    let err = hostile("trap").await;
    assert!(
        matches!(
            err,
            CallError::Trap {
                function: "handle",
                ..
            }
        ),
        "{err}"
    );
    // How much the guest printed, never what: its panic message could
    // carry the applicant's values (with limits.plugin_log = "text" it is
    // shown: hardening_sandbox item 14).
    assert!(err.to_string().contains("lines not kept"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_loop_hits_the_deadline() {
    let err = hostile("spin").await;
    match &err {
        CallError::Deadline { limit, elapsed, .. } => {
            assert_eq!(limit.as_millis(), 1_000);
            assert!(elapsed >= limit);
        }
        other => panic!("expected a deadline error, got {other}"),
    }
    assert!(err.to_string().contains("deadline of 1000 ms"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_memory_bomb_hits_the_memory_limit() {
    let err = hostile("memory-bomb").await;
    match &err {
        CallError::Memory {
            limit, requested, ..
        } => {
            assert_eq!(*limit, 96 << 20);
            assert!(requested > limit);
        }
        other => panic!("expected a memory error, got {other}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_huge_output_is_refused() {
    let err = hostile("huge-output").await;
    assert!(
        matches!(
            err,
            CallError::OutputTooLarge {
                limit: 1_048_576,
                ..
            } | CallError::Memory { .. }
        ),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn transient_failures_are_retried_until_success() {
    let w = world().await;
    let bundle = w.inline_bundle(&testkit_bundle("flaky")).expect("bundle");
    let report = w
        .run_json(&bundle, "t-flaky", r#"{"bundle":"testkit-flaky"}"#)
        .await;
    assert_eq!(report.status, AppStatus::Completed, "{report:#?}");
    assert_eq!(report.steps[0].attempts, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn permanent_errors_and_deferrals_are_reported() {
    let w = world().await;
    let bundle = w
        .inline_bundle(&testkit_bundle("permanent"))
        .expect("bundle");
    let report = w
        .run_json(&bundle, "t-perm", r#"{"bundle":"testkit-permanent"}"#)
        .await;
    assert_eq!(report.status, AppStatus::Manual);
    assert_eq!(
        report.steps[0].attempts, 1,
        "a permanent error is not retried"
    );
    assert!(
        report.steps[0]
            .reason
            .as_ref()
            .is_some_and(|r| r.contains("permanent error")),
        "{report:#?}"
    );
    let bundle = w
        .inline_bundle(&testkit_bundle("deferred"))
        .expect("bundle");
    let report = w
        .run_json(&bundle, "t-def", r#"{"bundle":"testkit-deferred"}"#)
        .await;
    // Handled off-line: the step waits in the manual queue for its result.
    assert_eq!(report.status, AppStatus::Manual);
    assert!(
        report.steps[0]
            .reason
            .as_ref()
            .is_some_and(|r| r.contains("ticket"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejection_ends_the_application_with_its_reason() {
    let w = world().await;
    let bundle = w.inline_bundle(&testkit_bundle("reject")).expect("bundle");
    let report = w
        .run_json(&bundle, "t-reject", r#"{"bundle":"testkit-reject"}"#)
        .await;
    assert_eq!(report.status, AppStatus::Rejected);
    assert_eq!(report.steps[0].status, StepStatus::Rejected);
    assert_eq!(
        report.steps[0].reason.as_ref().map(|r| r.en.as_str()),
        Some("testkit: rejected on purpose")
    );
    assert_eq!(report.steps[0].attempts, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_testkit_step_has_a_test() {
    // Like wasmtime's assert_test_exists: a hostile step nobody tests is a bug.
    let tested = [
        "trap",
        "spin",
        "memory-bomb",
        "huge-output",
        "undeclared-write",
        "probe",
        "flaky",
        "permanent",
        "deferred",
        "stdout",
        // Tested end to end over HTTP in tests/all/service.rs and crash.rs:
        "needs-more-once",
        "slow",
        // Tested here and end to end in tests/all/agreement.rs:
        "reject",
        // Tested end to end in tests/all/hardening_engine.rs:
        "deferred-issuer",
        "needs-id",
        "fixed-issuer",
        "kv-hog",
        "write-then-trap",
        // Tested in tests/all/hardening_sandbox.rs (logging and memory):
        "log-flood",
        "big-memory",
        // Tested end to end in tests/all/hardening_service.rs (item 4: a
        // check that fails is never "ok"):
        // Tested end to end in tests/all/service.rs (money comes back
        // exact):
        "money-echo",
        "check-traps",
        "check-spins",
        "check-huge",
    ];
    let w = world().await;
    for s in &w.plugin("testkit").manifest().steps {
        assert!(
            tested.contains(&s.id.as_str()),
            "testkit step {} has no test in tests/all/components.rs",
            s.id
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn plugin_stdout_does_not_fail_the_call() {
    let w = world().await;
    let bundle = w.inline_bundle(&testkit_bundle("stdout")).expect("bundle");
    let report = w
        .run_json(&bundle, "t-stdout", r#"{"bundle":"testkit-stdout"}"#)
        .await;
    assert_eq!(report.status, AppStatus::Completed, "{report:#?}");
}

// ---- refusals of bad components and bundles ------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupted_component_is_refused_with_its_file_named() {
    let w = world().await;
    let mut bytes = std::fs::read(component("plugins", "health")).expect("read");
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 64] {
        *b ^= 0x5a;
    }
    let err = w
        .runtime
        .load_bytes(bytes, "corrupt-health.wasm", w.dict())
        .await
        .expect_err("corrupt");
    assert!(matches!(err, LoadError::Invalid { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("corrupt-health.wasm") && text.contains("not a valid component"),
        "{text}"
    );

    let err = w
        .runtime
        .load_bytes(b"hello".to_vec(), "text.wasm", w.dict())
        .await
        .expect_err("not wasm");
    assert!(matches!(err, LoadError::NotWasm { .. }), "{err}");
    let core = vec![0, b'a', b's', b'm', 1, 0, 0, 0];
    let err = w
        .runtime
        .load_bytes(core, "core.wasm", w.dict())
        .await
        .expect_err("core module");
    assert!(err.to_string().contains("core WebAssembly module"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_component_of_the_wrong_world_is_refused_naming_the_missing_export() {
    let w = world().await;
    let bytes = std::fs::read(component("test-components", "wrong-world")).expect("read");
    let err = w
        .runtime
        .load_bytes(bytes, "wrong-world.wasm", w.dict())
        .await
        .expect_err("wrong world");
    assert!(
        matches!(
            err,
            LoadError::World {
                source: WorldError::WrongWorld { .. },
                ..
            }
        ),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("wrong-world.wasm") && text.contains("onething:matter/handler@0.1.0"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bundle_with_a_cycle_is_refused_naming_the_steps() {
    let w = world().await;
    let err = w
        .inline_bundle(
            r#"
id = "circular"
title = { zh = "循环", en = "Circular" }
description = { zh = "循环", en = "Circular" }
time_limit_hours = 1
[[steps]]
department = "health"
step = "birth-certificate"
after = ["public-security/household-registration"]
[[steps]]
department = "public-security"
step = "household-registration"
after = ["health/birth-certificate"]
"#,
        )
        .expect_err("cycle");
    let text = err.to_string();
    assert!(
        text.contains("cycle")
            && text.contains("health/birth-certificate")
            && text.contains("public-security/household-registration"),
        "{text}"
    );
}
