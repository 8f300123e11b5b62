//! A test component for the host's own tests, NOT a department: each step
//! misbehaves (or reports what it saw) in one precise way, so the host's
//! sandbox, limits, data rights and retry logic can be tested against a
//! real component.
//!
//! | step | what `handle` does |
//! |---|---|
//! | `trap` | panics (a trap) |
//! | `spin` | loops forever |
//! | `memory-bomb` | allocates and touches 16 MiB chunks without bound |
//! | `huge-output` | approves with a 64 MiB `testkit.blob` |
//! | `undeclared-write` | approves writing `child.name`, which it did not declare |
//! | `probe` | approves with `testkit.seen` = the sorted, comma-joined keys it received; logs and prints `mother.id_number` if given (the host masks it) |
//! | `flaky` | transient error on attempts 1 and 2, approves from attempt 3 |
//! | `permanent` | permanent error |
//! | `deferred` | deferred with a ticket |
//! | `stdout` | prints to stdout and stderr, logs, approves |
//! | `needs-more-once` | needs more until `testkit.answer` is `corrected`, then approves |
//! | `slow` | busy-waits [`SLOW_MS`] ms of wall time, then approves |
//! | `reject` | rejects, with the reason [`REJECTION`] / [`REJECTION_EN`] |
//! | `deferred-issuer` | declares it writes `child.id_number` and `child.hukou_number` (issued fields), and defers: an operator completes it |
//! | `needs-id` | requires `child.id_number`; approves |
//! | `fixed-issuer` | approves writing the same `child.id_number` ([`FIXED_ID`]) for every application |
//! | `kv-hog` | writes [`HOG_KEYS`] new keys of [`HOG_VALUE_BYTES`] bytes each; a store error becomes a permanent error naming it |
//! | `write-then-trap` | writes a key named after its idempotency key, then traps |
//! | `log-flood` | one `log` record with [`FLOOD_ATTRIBUTES`] attributes, then [`FLOOD_RECORDS`] records of 1 KiB, and [`FLOOD_STDOUT`] bytes of stdout; approves |
//! | `big-memory` | fills [`BIG_MEMORY`] bytes of memory, then approves (a big but legitimate call) |
//! | `money-echo` | approves writing `testkit.amount_back` = the `testkit.amount` it received, as it received it (exact money, in fen) |
//! | `check-traps` | `check` panics; `handle` approves |
//! | `check-spins` | `check` loops forever; `handle` approves |
//! | `check-huge` | `check` returns [`HUGE_CHECK_PROBLEMS`] problems of 1 KiB (over the output limit); `handle` approves |
//!
//! But for the three `check-*` steps, `check` returns no problems, and
//! `prefill` returns nothing for every step, so a submission always
//! reaches `handle`. Every step is covered by a test in
//! tests/all/components.rs, which fails if one is added without a test.

use onething_sdk::{
    Department, Draft, Field, Manifest, Outcome, Problem, Request, StepError, StepSpec, approve,
    defer, log, reject, store,
};

/// The component.
pub struct Testkit;

/// Department id.
pub const DEPARTMENT: &str = "testkit";

/// Size of each `memory-bomb` allocation.
pub const BOMB_CHUNK: usize = 16 << 20;

/// Size of the `huge-output` blob.
pub const HUGE_OUTPUT: usize = 64 << 20;

/// The ticket `deferred` returns.
pub const DEFERRED_TICKET: &str = "TK-0001";

/// The attempt from which `flaky` approves.
pub const FLAKY_SUCCEEDS_AT: u32 = 3;

/// How long `slow` works, in milliseconds.
pub const SLOW_MS: u64 = 20;

/// The reason `reject` gives, in Chinese.
pub const REJECTION: &str = "testkit：故意拒绝";

/// The reason `reject` gives in English (the host's tests read it so).
pub const REJECTION_EN: &str = "testkit: rejected on purpose";

/// The resident ID number `fixed-issuer` issues to every application.
pub const FIXED_ID: &str = "350203202610200014";

/// Keys `kv-hog` writes.
pub const HOG_KEYS: u32 = 100;

/// Bytes of each value `kv-hog` writes.
pub const HOG_VALUE_BYTES: usize = 1024;

/// Attributes of the one huge `log-flood` record.
pub const FLOOD_ATTRIBUTES: usize = 360_000;

/// Records of 1 KiB `log-flood` writes after it.
pub const FLOOD_RECORDS: usize = 5_000;

/// Bytes `log-flood` prints to stdout.
pub const FLOOD_STDOUT: usize = 256 << 10;

/// Bytes `big-memory` fills.
pub const BIG_MEMORY: usize = 64 << 20;

/// Problems `check-huge` returns from `check` (1 KiB each: 4 MiB).
pub const HUGE_CHECK_PROBLEMS: usize = 4096;

const STEPS: [&str; 24] = [
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
    "needs-more-once",
    "slow",
    "reject",
    "deferred-issuer",
    "needs-id",
    "fixed-issuer",
    "kv-hog",
    "write-then-trap",
    "log-flood",
    "big-memory",
    "money-echo",
    "check-traps",
    "check-spins",
    "check-huge",
];

fn step(id: &str) -> StepSpec {
    let spec = StepSpec::new(
        id,
        format!("测试步骤 {id}（非真实事项）"),
        format!("Test step {id} (not a real matter)"),
    )
    .time_limit_minutes(5);
    match id {
        "huge-output" => spec.writes("testkit.blob"),
        "money-echo" => spec
            .reads(
                "testkit.amount",
                "证明金额分毫不差",
                "prove money comes back exact",
            )
            .writes("testkit.amount_back"),
        "probe" => spec
            .reads("child.name", "证明步骤看到什么", "prove what a step sees")
            .reads_optional(
                "mother.id_number",
                "证明步骤看到什么",
                "prove what a step sees",
            )
            .writes("testkit.seen"),
        "flaky" | "stdout" | "log-flood" | "big-memory" => spec.writes("testkit.seen"),
        "needs-more-once" => spec.reads(
            "testkit.answer",
            "证明改正后的表单能继续办理",
            "prove a corrected form resumes the bundle",
        ),
        "deferred-issuer" => spec.writes("child.id_number").writes("child.hukou_number"),
        "needs-id" => spec
            .reads(
                "child.id_number",
                "证明人工办结给出后续步骤所需",
                "prove an operator's approval gives what later steps need",
            )
            .writes("testkit.seen"),
        "fixed-issuer" => spec.writes("child.id_number"),
        // `undeclared-write` declares no writes at all.
        _ => spec,
    }
}

fn trap(what: &str) -> ! {
    panic!("testkit: trap on purpose in {what}")
}

fn spin() -> ! {
    let mut n: u64 = 0;
    loop {
        n = std::hint::black_box(n.wrapping_add(1));
    }
}

fn memory_bomb() -> ! {
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut chunk = vec![0u8; BOMB_CHUNK];
        // Touch every page so the memory is really committed.
        for page in chunk.iter_mut().step_by(4096) {
            *page = 1;
        }
        chunks.push(std::hint::black_box(chunk));
    }
}

fn log_flood() {
    // The keys in one string, sliced: the guest's memory goes to the
    // record, not to building it.
    let keys: String = (0..FLOOD_ATTRIBUTES).map(|i| format!("a{i:06}")).collect();
    let attributes: Vec<(&str, &str)> = (0..FLOOD_ATTRIBUTES)
        .map(|i| (&keys[i * 7..i * 7 + 7], "v"))
        .collect();
    log::info("log-flood: one record, many attributes", &attributes);
    drop(attributes);
    drop(keys);
    let line = "x".repeat(1024);
    for _ in 0..FLOOD_RECORDS {
        log::info(&line, &[("step", "log-flood")]);
    }
    let out = format!("{}\n", "y".repeat(1023));
    for _ in 0..FLOOD_STDOUT / out.len() {
        print!("{out}");
    }
}

fn big_memory() -> usize {
    let mut block = vec![0u8; BIG_MEMORY];
    // Touch every page so the memory is really committed.
    for page in block.iter_mut().step_by(4096) {
        *page = 1;
    }
    std::hint::black_box(&block).iter().step_by(4096).count()
}

impl Department for Testkit {
    fn describe() -> Manifest {
        STEPS.iter().fold(
            Manifest::new(
                DEPARTMENT,
                "测试组件（非真实部门）",
                "Test component (not a department)",
                env!("CARGO_PKG_VERSION"),
            ),
            |m, id| m.step(step(id)),
        )
    }

    fn check(draft: Draft) -> Vec<Problem> {
        match draft.step.as_str() {
            "check-traps" => trap("check"),
            "check-spins" => spin(),
            // 1 KiB a problem, half of it in each language.
            "check-huge" => (0..HUGE_CHECK_PROBLEMS)
                .map(|i| {
                    let filler = "x".repeat(507);
                    Problem::general(
                        "huge",
                        format!("{i:04} {filler}"),
                        format!("{i:04} {filler}"),
                    )
                })
                .collect(),
            s if STEPS.contains(&s) => Vec::new(),
            _ => vec![Problem::unknown_step(&draft.step)],
        }
    }

    fn prefill(_draft: Draft) -> Vec<Field> {
        Vec::new()
    }

    fn handle(request: Request) -> Result<Outcome, StepError> {
        match request.step.as_str() {
            "trap" => trap("handle"),
            "check-traps" | "check-spins" | "check-huge" => Ok(approve().into()),
            "spin" => spin(),
            "memory-bomb" => memory_bomb(),
            "huge-output" => Ok(approve()
                .field("testkit.blob", "x".repeat(HUGE_OUTPUT))
                .into()),
            "undeclared-write" => Ok(approve().field("child.name", "不该写入").into()),
            "money-echo" => match request.fields().money("testkit.amount") {
                Some(amount) => Ok(approve().field("testkit.amount_back", amount).into()),
                None => Err(StepError::Permanent("testkit.amount is missing".into())),
            },
            "probe" => {
                let mut keys: Vec<&str> = request.fields().keys().collect();
                keys.sort_unstable();
                // Careless on purpose: logs and prints a sensitive value,
                // plain and disguised (spaced out, reversed, split in two),
                // which must not reach the host's log.
                if let Some(id) = request.fields().text("mother.id_number") {
                    log::info("probe saw the mother's ID", &[("mother.id_number", id)]);
                    println!("probe: mother.id_number={id}");
                    let spaced: String = id.chars().flat_map(|c| [c, ' ']).collect();
                    let reversed: String = id.chars().rev().collect();
                    log::info(
                        &format!("probe spaced {spaced}"),
                        &[("reversed", &reversed)],
                    );
                    let (a, b) = id.split_at(id.len() / 2);
                    log::info(a, &[(b, "split")]);
                    eprintln!("probe: {reversed}");
                }
                Ok(approve().field("testkit.seen", keys.join(",")).into())
            }
            "flaky" if request.attempt < FLAKY_SUCCEEDS_AT => Err(StepError::transient(format!(
                "flaky: attempt {} fails on purpose",
                request.attempt
            ))),
            "flaky" => Ok(approve()
                .field("testkit.seen", format!("attempt {}", request.attempt))
                .into()),
            "permanent" => Err(StepError::permanent("permanent: fails on purpose")),
            "deferred" => Ok(defer(
                DEFERRED_TICKET,
                "需要工作人员查看原件",
                "needs a person to look at the originals",
            )),
            "stdout" => {
                println!(
                    "testkit stdout: step {} attempt {}",
                    request.step, request.attempt
                );
                eprintln!(
                    "testkit stderr: step {} attempt {}",
                    request.step, request.attempt
                );
                log::info(
                    "testkit log",
                    &[
                        ("step", "stdout"),
                        ("attempt", &request.attempt.to_string()),
                    ],
                );
                Ok(approve().field("testkit.seen", "stdout").into())
            }
            "needs-more-once" => {
                if request.fields().text("testkit.answer") == Some("corrected") {
                    Ok(approve().into())
                } else {
                    let mut problems = onething_sdk::Problems::new();
                    problems.field(
                        "testkit.answer",
                        "not-yet",
                        "请回答 `corrected` 以继续",
                        "answer `corrected` to go on",
                    );
                    Ok(onething_sdk::needs_more(problems.into_vec()))
                }
            }
            "slow" => {
                let start = std::time::Instant::now();
                while start.elapsed() < std::time::Duration::from_millis(SLOW_MS) {
                    std::hint::black_box(start);
                }
                Ok(approve().into())
            }
            "reject" => Ok(reject(REJECTION, REJECTION_EN)),
            "deferred-issuer" => Ok(defer(
                DEFERRED_TICKET,
                "号码在窗口发放",
                "the number is issued at the counter",
            )),
            "needs-id" => Ok(approve().field("testkit.seen", "id seen").into()),
            "fixed-issuer" => Ok(approve().field("child.id_number", FIXED_ID).into()),
            "kv-hog" => {
                let value = vec![b'x'; HOG_VALUE_BYTES];
                for i in 0..HOG_KEYS {
                    let key = format!("hog/{}/{i}", request.idempotency_key);
                    if let Err(e) = store::set(&key, &value) {
                        return Err(StepError::permanent(format!(
                            "kv-hog: the store said: {e:?}"
                        )));
                    }
                }
                Ok(approve().into())
            }
            "write-then-trap" => {
                let key = format!("left-behind/{}", request.idempotency_key);
                store::set(&key, b"must not stay")?;
                trap("handle")
            }
            "log-flood" => {
                log_flood();
                Ok(approve().field("testkit.seen", "log-flood").into())
            }
            "big-memory" => {
                let pages = big_memory();
                Ok(approve()
                    .field("testkit.seen", format!("{pages} pages"))
                    .into())
            }
            other => Err(StepError::unknown_step(other)),
        }
    }
}

onething_sdk::export!(Testkit);

#[cfg(test)]
mod tests {
    use super::*;
    use onething_sdk::testkit;

    #[test]
    fn manifest_is_well_formed() {
        let m = Testkit::describe();
        testkit::assert_manifest_sound(&m);
        assert_eq!(m.steps.len(), STEPS.len());
    }

    #[test]
    fn probe_reports_only_declared_keys() {
        let r = testkit::request("probe").field("father.name", "林志远");
        let outcome = testkit::handle::<Testkit>(r.build()).expect("handled");
        assert_eq!(
            outcome.approval().and_then(|a| a.text("testkit.seen")),
            Some("")
        );
        let r = testkit::request("probe")
            .field("mother.id_number", "350203199003071527")
            .field("child.name", "林安然")
            .field("father.id_number", "350206198811230519")
            .build();
        let outcome = testkit::handle::<Testkit>(r).expect("handled");
        assert_eq!(
            outcome.approval().and_then(|a| a.text("testkit.seen")),
            Some("child.name,mother.id_number")
        );
    }

    #[test]
    fn flaky_succeeds_on_the_third_attempt() {
        for attempt in 1..FLAKY_SUCCEEDS_AT {
            let r = testkit::request("flaky").attempt(attempt).build();
            assert!(testkit::handle::<Testkit>(r).is_err_and(|e| e.is_transient()));
        }
        let r = testkit::request("flaky").attempt(FLAKY_SUCCEEDS_AT).build();
        assert!(
            testkit::handle::<Testkit>(r)
                .expect("handled")
                .is_approved()
        );
    }

    #[test]
    fn permanent_deferred_stdout() {
        let r = testkit::request("permanent").build();
        assert!(testkit::handle::<Testkit>(r).is_err_and(|e| !e.is_transient()));
        let r = testkit::request("deferred").build();
        let outcome = testkit::handle::<Testkit>(r).expect("handled");
        assert!(outcome.ticket().is_some_and(|t| t.id == DEFERRED_TICKET));
        let r = testkit::request("stdout").build();
        assert!(
            testkit::handle::<Testkit>(r)
                .expect("handled")
                .is_approved()
        );
        assert_eq!(testkit::logs().len(), 1);
    }

    #[test]
    fn undeclared_write_writes_what_it_did_not_declare() {
        let outcome =
            Testkit::handle(testkit::request("undeclared-write").build()).expect("handled");
        assert_eq!(
            testkit::undeclared_writes(&Testkit::describe(), "undeclared-write", &outcome),
            ["child.name"]
        );
    }

    #[test]
    fn huge_output_is_huge() {
        let outcome =
            testkit::handle::<Testkit>(testkit::request("huge-output").build()).expect("handled");
        assert_eq!(
            outcome
                .approval()
                .and_then(|a| a.text("testkit.blob"))
                .map(str::len),
            Some(HUGE_OUTPUT)
        );
    }

    #[test]
    #[should_panic(expected = "trap on purpose")]
    fn trap_traps() {
        let _ = Testkit::handle(testkit::request("trap").build());
    }

    #[test]
    fn log_flood_and_big_memory_approve() {
        let outcome =
            testkit::handle::<Testkit>(testkit::request("log-flood").build()).expect("handled");
        assert!(outcome.is_approved());
        let logs = testkit::logs();
        assert_eq!(logs.len(), 1 + FLOOD_RECORDS);
        assert_eq!(logs[0].attributes.len(), FLOOD_ATTRIBUTES);
        let outcome =
            testkit::handle::<Testkit>(testkit::request("big-memory").build()).expect("handled");
        assert_eq!(
            outcome.approval().and_then(|a| a.text("testkit.seen")),
            Some(format!("{} pages", BIG_MEMORY / 4096).as_str())
        );
    }

    #[test]
    fn check_and_prefill_never_misbehave() {
        for id in STEPS.into_iter().filter(|s| !s.starts_with("check-")) {
            assert!(testkit::check::<Testkit>(&testkit::request(id).build()).is_empty());
            assert!(testkit::prefill::<Testkit>(&testkit::request(id).build()).is_empty());
        }
        assert_eq!(
            testkit::check::<Testkit>(&testkit::request("x").build())[0].code,
            "unknown-step"
        );
    }
}
