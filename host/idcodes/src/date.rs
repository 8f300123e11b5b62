//! A tiny proleptic Gregorian calendar date, [`Ymd`]: what a resident ID
//! number encodes (`YYYYMMDD`) and what [`crate::ResidentId::build`]
//! takes.
//!
//! Not a date library: no arithmetic, no time zones, no clock. The SDK
//! converts a [`Ymd`] to its WIT `Date`, the host to chrono.

use std::fmt;

/// A calendar date. Field order makes the derived ordering the calendar's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ymd {
    /// The year (proleptic Gregorian).
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u8,
    /// The day of the month, from 1.
    pub day: u8,
}

/// Whether `year` is a leap year of the Gregorian calendar.
pub const fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days in `month` (1 to 12) of `year`; 0 for a month out of range.
pub const fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Ymd {
    /// The date `year`-`month`-`day`, or `None` if no such day exists.
    pub const fn new(year: i32, month: u8, day: u8) -> Option<Ymd> {
        let date = Ymd { year, month, day };
        if date.is_valid() { Some(date) } else { None }
    }

    /// Whether the date exists (month 1 to 12, day within the month).
    pub const fn is_valid(&self) -> bool {
        self.month >= 1
            && self.month <= 12
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
    }

    /// Parse the compact `YYYYMMDD` form (exactly eight ASCII digits) of a
    /// date that exists; `None` otherwise.
    pub fn parse_compact(text: &str) -> Option<Ymd> {
        if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year = text.get(0..4)?.parse().ok()?;
        let month = text.get(4..6)?.parse().ok()?;
        let day = text.get(6..8)?.parse().ok()?;
        Ymd::new(year, month, day)
    }

    /// The compact `YYYYMMDD` form (a year outside 0 to 9999 gives more or
    /// other than eight characters).
    pub fn compact(&self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }
}

/// `YYYY-MM-DD`.
impl fmt::Display for Ymd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_follows_the_calendar() {
        assert!(Ymd::new(2000, 2, 29).is_some());
        assert!(Ymd::new(1900, 2, 29).is_none());
        assert!(Ymd::new(2024, 2, 29).is_some());
        assert!(Ymd::new(2026, 2, 29).is_none());
        assert!(Ymd::new(2026, 4, 31).is_none());
        assert!(Ymd::new(2026, 13, 1).is_none());
        assert!(Ymd::new(2026, 0, 1).is_none());
        assert!(Ymd::new(2026, 1, 0).is_none());
        assert_eq!(days_in_month(2026, 12), 31);
        assert_eq!(days_in_month(2026, 0), 0);
    }

    #[test]
    fn compact_form_round_trips() {
        let d = Ymd::parse_compact("19491231");
        assert_eq!(
            d,
            Some(Ymd {
                year: 1949,
                month: 12,
                day: 31
            })
        );
        assert_eq!(d.map(|d| d.compact()).as_deref(), Some("19491231"));
        assert_eq!(d.map(|d| d.to_string()).as_deref(), Some("1949-12-31"));
        assert_eq!(Ymd::parse_compact("19490230"), None);
        assert_eq!(Ymd::parse_compact("1949123"), None);
        assert_eq!(Ymd::parse_compact("+1491231"), None);
        assert_eq!(Ymd::parse_compact("１９４９1231"), None);
    }

    #[test]
    fn orders_by_calendar() {
        let a = Ymd::new(2025, 12, 31);
        let b = Ymd::new(2026, 1, 1);
        assert!(a < b);
    }
}
