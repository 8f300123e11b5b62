//! Calendar arithmetic on the contract's [`Date`]: parsing, formatting,
//! ordering, adding days and months, counting days between dates.
//!
//! Proleptic Gregorian, no time zones (the host's clock already answers
//! "today" in its configured zone). Not a general date library: just what
//! department rules need ("under six months old", "not in the future").
//! Validity and the compact `YYYYMMDD` form are `onething-idcodes`' (the
//! rules resident ID numbers use); [`Date`] converts to and from its
//! `Ymd` with `From`.

use std::cmp::Ordering;
use std::fmt;

use onething_idcodes::Ymd;

use crate::Date;

/// Number of days in `month` (1–12) of `year`; 0 for a month out of range.
pub const fn days_in_month(year: i32, month: u8) -> u8 {
    onething_idcodes::date::days_in_month(year, month)
}

impl From<Ymd> for Date {
    fn from(d: Ymd) -> Date {
        Date {
            year: d.year,
            month: d.month,
            day: d.day,
        }
    }
}

impl From<Date> for Ymd {
    fn from(d: Date) -> Ymd {
        Ymd {
            year: d.year,
            month: d.month,
            day: d.day,
        }
    }
}

impl Date {
    /// A date from year, month and day; `None` if no such day exists.
    pub fn from_ymd(year: i32, month: u8, day: u8) -> Option<Date> {
        let date = Date { year, month, day };
        date.is_valid().then_some(date)
    }

    /// Whether the date exists (month 1–12, day within the month).
    pub fn is_valid(&self) -> bool {
        Ymd::from(*self).is_valid()
    }

    /// Parse `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let year = text.get(0..4)?.parse().ok()?;
        let month = text.get(5..7)?.parse().ok()?;
        let day = text.get(8..10)?.parse().ok()?;
        Date::from_ymd(year, month, day)
    }

    /// Parse the compact `YYYYMMDD` form used inside resident ID numbers.
    pub fn parse_compact(text: &str) -> Option<Date> {
        Ymd::parse_compact(text).map(Date::from)
    }

    /// The compact `YYYYMMDD` form.
    pub fn compact(&self) -> String {
        Ymd::from(*self).compact()
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn days_since_epoch(&self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01.
    pub fn from_days_since_epoch(days: i64) -> Date {
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// The date `days` later (earlier if negative).
    pub fn add_days(&self, days: i64) -> Date {
        Date::from_days_since_epoch(self.days_since_epoch() + days)
    }

    /// The same day `months` later (earlier if negative), moved back to the
    /// month's last day where it has fewer days (2026-08-31 + 6 months is
    /// 2027-02-28).
    pub fn add_months(&self, months: i32) -> Date {
        let index = self.year * 12 + i32::from(self.month) - 1 + months;
        let year = index.div_euclid(12);
        let month = (index.rem_euclid(12) + 1) as u8;
        let day = self.day.min(days_in_month(year, month));
        Date { year, month, day }
    }

    /// Days from `self` to `later` (negative if `later` is earlier).
    pub fn days_until(&self, later: &Date) -> i64 {
        later.days_since_epoch() - self.days_since_epoch()
    }

    /// Whole years from `self` to `on` (an age on a given day).
    pub fn years_until(&self, on: &Date) -> i32 {
        let mut years = on.year - self.year;
        if (on.month, on.day) < (self.month, self.day) {
            years -= 1;
        }
        years
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Eq for Date {}

impl PartialOrd for Date {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Date {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.year, self.month, self.day).cmp(&(other.year, other.month, other.day))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        Date::parse(text).unwrap_or_else(|| panic!("bad test date {text}"))
    }

    #[test]
    fn parses_and_formats() {
        assert_eq!(d("2026-10-20").to_string(), "2026-10-20");
        assert_eq!(d("2026-10-20").compact(), "20261020");
        assert_eq!(Date::parse_compact("20240229"), Some(d("2024-02-29")));
        assert_eq!(Date::parse("2026-02-29"), None);
        assert_eq!(Date::parse("2026-13-01"), None);
        assert_eq!(Date::parse("2026-1-01"), None);
        assert_eq!(Date::parse("２０２６-01-01"), None);
        assert_eq!(Date::parse_compact("2026010x"), None);
        assert_eq!(Date::parse_compact("20260230"), None);
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2026, 13), 0);
        let ymd = Ymd::from(d("2026-10-20"));
        assert_eq!((ymd.year, ymd.month, ymd.day), (2026, 10, 20));
        assert_eq!(Date::from(ymd), d("2026-10-20"));
    }

    #[test]
    fn epoch_days_round_trip() {
        assert_eq!(d("1970-01-01").days_since_epoch(), 0);
        assert_eq!(d("2000-03-01").days_since_epoch(), 11_017);
        for days in [-800_000, -1, 0, 1, 20_000, 20_785, 2_000_000] {
            assert_eq!(Date::from_days_since_epoch(days).days_since_epoch(), days);
        }
    }

    #[test]
    fn adds_days_and_months() {
        assert_eq!(d("2026-11-28").add_days(3), d("2026-12-01"));
        assert_eq!(d("2026-03-01").add_days(-1), d("2026-02-28"));
        assert_eq!(d("2026-08-31").add_months(6), d("2027-02-28"));
        assert_eq!(d("2026-01-15").add_months(-1), d("2025-12-15"));
        assert_eq!(d("2026-10-20").days_until(&d("2026-11-28")), 39);
        assert_eq!(d("1990-03-07").years_until(&d("2026-03-06")), 35);
        assert_eq!(d("1990-03-07").years_until(&d("2026-03-07")), 36);
    }

    #[test]
    fn orders_by_calendar() {
        assert!(d("2026-10-20") < d("2026-11-01"));
        assert!(d("2025-12-31") < d("2026-01-01"));
        assert_eq!(d("2026-01-01").max(d("2025-01-01")), d("2026-01-01"));
    }
}
