//! The stand-ins for the host's imports when the SDK is compiled natively
//! (any target but wasm32): a thread-local store, log, clock,
//! configuration and HTTP mocks that [`crate::testkit`] controls.
//!
//! Each test thread gets its own state, so tests run in parallel without
//! seeing each other's data. Not compiled into components.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::testkit::LogRecord;
use crate::{Date, StoreError};

#[derive(Default)]
pub(crate) struct State {
    pub store: BTreeMap<String, Vec<u8>>,
    pub store_failure: Option<StoreError>,
    pub logs: Vec<LogRecord>,
    pub today: Option<Date>,
    pub now: Option<i64>,
    pub config: BTreeMap<String, String>,
    pub secrets: BTreeMap<String, String>,
    pub http: crate::testkit::http::Mocks,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

pub(crate) fn with<T>(f: impl FnOnce(&mut State) -> T) -> T {
    STATE.with(|s| f(&mut s.borrow_mut()))
}

/// China Standard Time, the host's default zone.
const CST_OFFSET_SECONDS: i64 = 8 * 3600;

pub(crate) fn now() -> i64 {
    with(|s| s.now).unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    })
}

pub(crate) fn today() -> Date {
    with(|s| s.today).unwrap_or_else(|| {
        Date::from_days_since_epoch((now() + CST_OFFSET_SECONDS).div_euclid(86_400))
    })
}
