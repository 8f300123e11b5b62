//! A circuit breaker per department origin: while a department's system
//! keeps failing, its steps wait instead of burning attempts on calls that
//! will fail, and one probe at a time finds out when it is back.
//!
//! Closed (calls pass) → after `failures_to_open` consecutive failures,
//! open (calls refused at once) → after `open_for`, half-open: one probe
//! passes, the others are refused → the probe's success closes it, its
//! failure opens it again for another `open_for`. Every change of state is
//! returned to the caller, which records it (metrics, the affected
//! applications' events). Time is passed in, so the rules are tested
//! without waiting.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// When a breaker opens and for how long: settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    /// Consecutive failures that open it (at least 1).
    pub failures_to_open: u32,
    /// How long it stays open before a probe.
    pub open_for: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        BreakerSettings {
            failures_to_open: 5,
            open_for: Duration::from_secs(5),
        }
    }
}

/// A breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BreakerState {
    /// Calls pass.
    Closed,
    /// Calls are refused until the time given.
    Open,
    /// One probe is in flight; other calls are refused.
    HalfOpen,
}

impl BreakerState {
    /// The state in a word: `closed`, `open`, `half-open`.
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half-open",
        }
    }
}

/// A change of a breaker's state, for metrics and events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The origin, `scheme://host:port`.
    pub origin: String,
    /// The state before.
    pub from: BreakerState,
    /// The state after.
    pub to: BreakerState,
}

/// Whether a call may go out now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Send it.
    Pass,
    /// Send it as the probe of a half-open breaker.
    Probe(Transition),
    /// Do not send it: the system is taken as down until about `retry_in`
    /// from now.
    Refused {
        /// When the next probe may go.
        retry_in: Duration,
    },
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    state: BreakerState,
    failures: u32,
    opened_at: Instant,
}

/// The breakers of every origin.
#[derive(Debug, Default)]
pub struct Breakers {
    settings: BreakerSettings,
    by_origin: Mutex<BTreeMap<String, Entry>>,
}

impl Breakers {
    /// Breakers with `settings` (a `failures_to_open` of 0 is taken as 1).
    pub fn new(settings: BreakerSettings) -> Breakers {
        Breakers {
            settings: BreakerSettings {
                failures_to_open: settings.failures_to_open.max(1),
                ..settings
            },
            by_origin: Mutex::default(),
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> BreakerSettings {
        self.settings
    }

    /// Whether a call to `origin` may go out at `now`.
    pub fn admit(&self, origin: &str, now: Instant) -> Admission {
        let Ok(mut all) = self.by_origin.lock() else {
            return Admission::Pass;
        };
        let Some(e) = all.get_mut(origin) else {
            return Admission::Pass;
        };
        match e.state {
            BreakerState::Closed => Admission::Pass,
            BreakerState::HalfOpen => Admission::Refused {
                retry_in: self.settings.open_for,
            },
            BreakerState::Open => {
                let waited = now.saturating_duration_since(e.opened_at);
                if waited >= self.settings.open_for {
                    e.state = BreakerState::HalfOpen;
                    Admission::Probe(Transition {
                        origin: origin.to_owned(),
                        from: BreakerState::Open,
                        to: BreakerState::HalfOpen,
                    })
                } else {
                    Admission::Refused {
                        retry_in: self.settings.open_for - waited,
                    }
                }
            }
        }
    }

    /// Records a call's outcome (`ok`: the system answered; a 4xx counts
    /// as an answer, a 5xx, timeout or refused connection does not).
    pub fn record(&self, origin: &str, ok: bool, now: Instant) -> Option<Transition> {
        let mut all = self.by_origin.lock().ok()?;
        let e = all.entry(origin.to_owned()).or_insert(Entry {
            state: BreakerState::Closed,
            failures: 0,
            opened_at: now,
        });
        let from = e.state;
        if ok {
            e.failures = 0;
            e.state = BreakerState::Closed;
        } else {
            e.failures = e.failures.saturating_add(1);
            let opens = match from {
                BreakerState::Closed => e.failures >= self.settings.failures_to_open,
                // A failed probe, or a late failure of a call admitted
                // before it opened: open (again) from now.
                BreakerState::HalfOpen | BreakerState::Open => true,
            };
            if opens {
                e.state = BreakerState::Open;
                e.opened_at = now;
            }
        }
        (from != e.state).then(|| Transition {
            origin: origin.to_owned(),
            from,
            to: e.state,
        })
    }

    /// Every origin's state, for operators and `/readyz`.
    pub fn states(&self) -> BTreeMap<String, BreakerState> {
        self.by_origin
            .lock()
            .map(|all| all.iter().map(|(o, e)| (o.clone(), e.state)).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const O: &str = "http://127.0.0.1:8090";

    fn breakers() -> Breakers {
        Breakers::new(BreakerSettings {
            failures_to_open: 3,
            open_for: Duration::from_secs(10),
        })
    }

    #[test]
    fn consecutive_failures_open_it_and_a_success_resets_the_count() {
        let b = breakers();
        let t = Instant::now();
        assert_eq!(b.record(O, false, t), None);
        assert_eq!(b.record(O, false, t), None);
        assert_eq!(b.record(O, true, t), None, "the count starts again");
        assert_eq!(b.record(O, false, t), None);
        assert_eq!(b.record(O, false, t), None);
        let opened = b.record(O, false, t).expect("opens");
        assert_eq!(
            (opened.from, opened.to),
            (BreakerState::Closed, BreakerState::Open)
        );
        assert_eq!(b.states()[O], BreakerState::Open);
        match b.admit(O, t + Duration::from_secs(4)) {
            Admission::Refused { retry_in } => assert_eq!(retry_in, Duration::from_secs(6)),
            other => panic!("{other:?}"),
        }
        assert_eq!(b.admit("http://other:80", t), Admission::Pass, "per origin");
    }

    #[test]
    fn one_probe_after_the_wait_closes_or_reopens_it() {
        let b = breakers();
        let t = Instant::now();
        for _ in 0..3 {
            b.record(O, false, t);
        }
        let later = t + Duration::from_secs(10);
        let Admission::Probe(tr) = b.admit(O, later) else {
            panic!("a probe");
        };
        assert_eq!(tr.to, BreakerState::HalfOpen);
        assert!(
            matches!(b.admit(O, later), Admission::Refused { .. }),
            "one probe at a time"
        );
        // The probe fails: open again, for another full wait.
        let again = b.record(O, false, later).expect("reopens");
        assert_eq!(again.to, BreakerState::Open);
        assert!(matches!(
            b.admit(O, later + Duration::from_secs(9)),
            Admission::Refused { .. }
        ));
        let Admission::Probe(_) = b.admit(O, later + Duration::from_secs(10)) else {
            panic!("a second probe");
        };
        let closed = b
            .record(O, true, later + Duration::from_secs(10))
            .expect("closes");
        assert_eq!(
            (closed.from, closed.to),
            (BreakerState::HalfOpen, BreakerState::Closed)
        );
        assert_eq!(b.admit(O, later + Duration::from_secs(10)), Admission::Pass);
    }

    #[test]
    fn zero_failures_to_open_is_taken_as_one() {
        let b = Breakers::new(BreakerSettings {
            failures_to_open: 0,
            open_for: Duration::from_secs(1),
        });
        let t = Instant::now();
        assert!(
            b.record(O, false, t).is_some(),
            "the first failure opens it"
        );
    }
}
