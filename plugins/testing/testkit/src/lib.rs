//! The `testkit` department: NOT a real department. Each step misbehaves
//! (or probes) in one way so the host's tests can prove the sandbox holds:
//! `trap`, `spin`, `memory-bomb`, `huge-output`, `undeclared-write`,
//! `probe`, `flaky`, `permanent`, `deferred`, `stdout`. Every step is
//! covered by a test in host/tests/components.rs, which fails if one is
//! added without a test.

use onething_sdk::{
    Department, Field, Manifest, Material, Outcome, Problem, Request, StepError, StepSpec, approve,
    defer, log,
};

/// The component.
pub struct Testkit;

fn step(id: &str, title: &str) -> StepSpec {
    StepSpec::new(id, title).time_limit_minutes(5)
}

impl Department for Testkit {
    fn describe() -> Manifest {
        Manifest::new("testkit", "Sandbox test kit", env!("CARGO_PKG_VERSION"))
            .step(step("trap", "Panics"))
            .step(step("spin", "Loops forever"))
            .step(step("memory-bomb", "Allocates without bound"))
            .step(step("huge-output", "Returns 64 MiB").writes("testkit.blob"))
            .step(step("undeclared-write", "Writes a field it did not declare"))
            .step(
                step("probe", "Reports the keys it received")
                    .reads("child.name", "prove what a step sees")
                    .reads_optional("mother.id_number", "prove what a step sees")
                    .writes("testkit.seen"),
            )
            .step(step("flaky", "Fails transiently twice, then succeeds"))
            .step(step("permanent", "Always fails permanently"))
            .step(step("deferred", "Always defers to off-line handling"))
            .step(step("stdout", "Prints and logs, then approves"))
    }

    fn check(_step: String, _fields: Vec<Field>, _materials: Vec<Material>) -> Vec<Problem> {
        Vec::new()
    }

    fn prefill(_step: String, _known: Vec<Field>) -> Vec<Field> {
        Vec::new()
    }

    fn handle(request: Request) -> Result<Outcome, StepError> {
        match request.step.as_str() {
            "trap" => panic!("testkit trap step: deliberate panic"),
            "spin" => spin(),
            "memory-bomb" => memory_bomb(),
            "huge-output" => Ok(approve().field("testkit.blob", "x".repeat(64 << 20)).into()),
            "undeclared-write" => Ok(approve().field("child.name", "overwritten").into()),
            "probe" => {
                let mut keys: Vec<&str> = request.fields.iter().map(|f| f.key.as_str()).collect();
                keys.sort_unstable();
                Ok(approve().field("testkit.seen", keys.join(",")).into())
            }
            "flaky" if request.attempt < 3 => Err(StepError::Transient(format!(
                "upstream unavailable (attempt {})",
                request.attempt
            ))),
            "flaky" => Ok(approve().into()),
            "permanent" => Err(StepError::Permanent("the department's records are inconsistent".into())),
            "deferred" => Ok(defer("TK-0001", "needs a person to look at the originals")),
            "stdout" => {
                println!("testkit says hello on stdout");
                eprintln!("testkit says hello on stderr");
                log::info("testkit logged", &[("step", "stdout")]);
                Ok(approve().into())
            }
            other => Err(StepError::Permanent(format!("testkit has no step {other:?}"))),
        }
    }
}

fn spin() -> Result<Outcome, StepError> {
    let mut x: u64 = 1;
    loop {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
}

fn memory_bomb() -> Result<Outcome, StepError> {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut chunk = vec![0u8; 16 << 20];
        // Touch every page so the memory is really used.
        for i in (0..chunk.len()).step_by(4096) {
            chunk[i] = 1;
        }
        hoard.push(std::hint::black_box(chunk));
    }
}

onething_sdk::export!(Testkit);
