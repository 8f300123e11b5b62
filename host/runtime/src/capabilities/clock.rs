//! The `clock` capability: what time and date it is for a plugin.
//!
//! The system clock reads the wall clock in a configured time zone (China
//! Standard Time by default); a fixed clock pins the date so integrators
//! can run date-dependent rules ("under six months old") reproducibly.
//! The per-call state answers a plugin's `now` and `today` from the
//! runtime's [`Clock`] (`state`).

use chrono::{FixedOffset, NaiveDate, NaiveTime, Offset as _, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// Seconds since the Unix epoch, UTC.
    fn now(&self) -> i64;
    /// Today's date in the host's time zone.
    fn today(&self) -> NaiveDate;
}

/// The wall clock in a fixed UTC offset.
#[derive(Debug, Clone)]
pub struct SystemClock {
    offset: FixedOffset,
}

impl SystemClock {
    /// UTC+08:00.
    pub fn china_standard_time() -> Self {
        Self {
            offset: FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix()),
        }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        Utc::now().timestamp()
    }
    fn today(&self) -> NaiveDate {
        Utc::now().with_timezone(&self.offset).date_naive()
    }
}

/// The system clock, or one pinned to `today` (the `--today` option of the
/// commands, for reproducible runs of dated samples).
pub fn pinned_or_system(today: Option<NaiveDate>) -> std::sync::Arc<dyn Clock> {
    match today {
        Some(d) => std::sync::Arc::new(FixedClock::new(d)),
        None => std::sync::Arc::new(SystemClock::china_standard_time()),
    }
}

/// A clock pinned to one date (noon, China Standard Time).
#[derive(Debug, Clone)]
pub struct FixedClock {
    date: NaiveDate,
}

impl FixedClock {
    /// Pin to `date`.
    pub fn new(date: NaiveDate) -> Self {
        Self { date }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> i64 {
        // Noon in UTC+8 is 04:00 UTC.
        let noon = self
            .date
            .and_time(NaiveTime::from_hms_opt(4, 0, 0).unwrap_or_default());
        noon.and_utc().timestamp()
    }
    fn today(&self) -> NaiveDate {
        self.date
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Days;

    #[test]
    fn fixed_clock_is_pinned() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 28).expect("date");
        let c = FixedClock::new(d);
        assert_eq!(c.today(), d);
        assert_eq!(c.now() % 86_400, 4 * 3600);
        let next = d.checked_add_days(Days::new(1)).expect("date");
        assert!(FixedClock::new(next).now() > c.now());
    }
}
