//! Fault injection: each system can be made down, slow, failing with a
//! 5xx status, or flapping between up and down, over the simulator's
//! admin endpoint, so a drill can take a department's system away under
//! load and bring it back.
//!
//! A system that is "down" answers 503 with `Connection: close` (all
//! systems share one listener, so refusing connections is not possible
//! per system; stopping the simulator tests that).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::System;
use crate::problem::Problem;

/// The longest delay a `slow` fault may add: a minute.
pub const MAX_DELAY_MS: u64 = 60_000;

/// How a system behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "mode", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Fault {
    /// Answers normally.
    #[default]
    Up,
    /// Answers every request with 503.
    Down,
    /// Answers normally after `delay_ms`.
    Slow {
        /// Added before each answer, at most [`MAX_DELAY_MS`].
        delay_ms: u64,
    },
    /// Answers every request with `status` (500 to 599).
    Errors {
        /// The status answered.
        status: u16,
    },
    /// Down for `period_ms`, then up for `period_ms`, and so on, starting
    /// down when set.
    Flapping {
        /// The length of each half of the cycle, at least 1.
        period_ms: u64,
    },
}

impl Fault {
    /// The fault if its numbers are sane, or a problem naming the bad one.
    pub fn validated(self) -> Result<Fault, Problem> {
        match self {
            Fault::Slow { delay_ms } if delay_ms > MAX_DELAY_MS => Err(Problem::refused(
                "bad-fault",
                format!("delay_ms is {delay_ms}; at most {MAX_DELAY_MS} (a minute)"),
            )),
            Fault::Errors { status } if !(500..=599).contains(&status) => Err(Problem::refused(
                "bad-fault",
                format!("status is {status}; an injected error is a 5xx status (500 to 599)"),
            )),
            Fault::Flapping { period_ms: 0 } => Err(Problem::refused(
                "bad-fault",
                "period_ms is 0; a flapping system needs a period of at least 1 ms",
            )),
            f => Ok(f),
        }
    }
}

/// What to do with one request, given the faults set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Serve it now.
    Serve,
    /// Serve it after a delay.
    ServeAfter(Duration),
    /// Answer with this status instead.
    Fail(StatusCode),
}

/// The faults set on every system, and since when.
#[derive(Debug, Default)]
pub struct Faults {
    set: Mutex<BTreeMap<System, (Fault, Instant)>>,
}

impl Faults {
    /// Every system up.
    pub fn new() -> Faults {
        Faults::default()
    }

    /// Sets `system` to `fault` (already validated).
    pub fn set(&self, system: System, fault: Fault) {
        if let Ok(mut set) = self.set.lock() {
            if fault == Fault::Up {
                set.remove(&system);
            } else {
                set.insert(system, (fault, Instant::now()));
            }
        }
    }

    /// Every system up again.
    pub fn clear(&self) {
        if let Ok(mut set) = self.set.lock() {
            set.clear();
        }
    }

    /// The fault on each system (`up` for those with none).
    pub fn all(&self) -> BTreeMap<System, Fault> {
        let set = self.set.lock().map(|s| s.clone()).unwrap_or_default();
        System::ALL
            .into_iter()
            .map(|s| (s, set.get(&s).map_or(Fault::Up, |(f, _)| *f)))
            .collect()
    }

    /// What to do with a request to `system` now.
    pub fn verdict(&self, system: System) -> Verdict {
        let entry = self.set.lock().ok().and_then(|s| s.get(&system).copied());
        let Some((fault, since)) = entry else {
            return Verdict::Serve;
        };
        verdict_of(fault, since.elapsed())
    }
}

/// The verdict of `fault` set `elapsed` ago.
fn verdict_of(fault: Fault, elapsed: Duration) -> Verdict {
    match fault {
        Fault::Up => Verdict::Serve,
        Fault::Down => Verdict::Fail(StatusCode::SERVICE_UNAVAILABLE),
        Fault::Slow { delay_ms } => Verdict::ServeAfter(Duration::from_millis(delay_ms)),
        Fault::Errors { status } => {
            Verdict::Fail(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        }
        Fault::Flapping { period_ms } => {
            let half = (elapsed.as_millis() / u128::from(period_ms.max(1))) % 2;
            if half == 0 {
                Verdict::Fail(StatusCode::SERVICE_UNAVAILABLE)
            } else {
                Verdict::Serve
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_fault_gives_its_verdict() {
        let faults = Faults::new();
        assert_eq!(faults.verdict(System::Tax), Verdict::Serve);
        faults.set(System::Tax, Fault::Down);
        assert_eq!(
            faults.verdict(System::Tax),
            Verdict::Fail(StatusCode::SERVICE_UNAVAILABLE)
        );
        assert_eq!(faults.verdict(System::Household), Verdict::Serve);
        faults.set(System::Tax, Fault::Errors { status: 502 });
        assert_eq!(
            faults.verdict(System::Tax),
            Verdict::Fail(StatusCode::BAD_GATEWAY)
        );
        faults.set(System::Tax, Fault::Slow { delay_ms: 250 });
        assert_eq!(
            faults.verdict(System::Tax),
            Verdict::ServeAfter(Duration::from_millis(250))
        );
        faults.set(System::Tax, Fault::Up);
        assert_eq!(faults.verdict(System::Tax), Verdict::Serve);
        assert!(faults.all().values().all(|f| *f == Fault::Up));
    }

    #[test]
    fn flapping_alternates_starting_down() {
        let f = Fault::Flapping { period_ms: 100 };
        let down = Verdict::Fail(StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(verdict_of(f, Duration::from_millis(0)), down);
        assert_eq!(verdict_of(f, Duration::from_millis(99)), down);
        assert_eq!(verdict_of(f, Duration::from_millis(100)), Verdict::Serve);
        assert_eq!(verdict_of(f, Duration::from_millis(199)), Verdict::Serve);
        assert_eq!(verdict_of(f, Duration::from_millis(200)), down);
    }

    #[test]
    fn insane_faults_are_refused_naming_the_number() {
        for (f, says) in [
            (Fault::Slow { delay_ms: 60_001 }, "delay_ms"),
            (Fault::Errors { status: 404 }, "5xx"),
            (Fault::Flapping { period_ms: 0 }, "period_ms"),
        ] {
            let e = f.validated().expect_err("refused");
            assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
            assert!(format!("{e:?}").contains(says), "{e:?}");
        }
        assert!(Fault::Slow { delay_ms: 10 }.validated().is_ok());
    }

    #[test]
    fn faults_read_from_json_by_mode() {
        let f: Fault = serde_json::from_str(r#"{"mode": "slow", "delay_ms": 20}"#).expect("json");
        assert_eq!(f, Fault::Slow { delay_ms: 20 });
        let f: Fault = serde_json::from_str(r#"{"mode": "down"}"#).expect("json");
        assert_eq!(f, Fault::Down);
        assert!(serde_json::from_str::<Fault>(r#"{"mode": "sideways"}"#).is_err());
    }
}
