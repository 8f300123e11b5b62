//! Exact amounts of money: [`Money`], a number of fen (1/100 yuan), the
//! contract's `value.money`. Never a float: ¥12,345.67 is 1,234,567 fen.
//!
//! ```
//! use onething_sdk::{Money, Value};
//!
//! let fee = Money::from_yuan("12345.67").unwrap();
//! assert_eq!(fee.fen(), 1_234_567);
//! assert_eq!(fee.to_string(), "12345.67");
//! assert_eq!(Value::from(fee), Value::Money(1_234_567));
//! assert_eq!(Money::from_fen(-5).to_string(), "-0.05");
//! ```
//!
//! Not for currencies other than the yuan, nor for measures that are not
//! money (those are `decimal`).

use std::fmt;

/// An amount of money in fen (1/100 yuan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

/// Why a text is not an amount of yuan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Empty or blank.
    #[error("no amount given")]
    Empty,
    /// Something other than digits, one `.` and a leading sign.
    #[error("{0:?} is not an amount of yuan (digits, at most two decimals: 12345.67)")]
    Malformed(String),
    /// More than two decimals: fen are the smallest unit.
    #[error("{0:?} has more than two decimals; fen are the smallest unit")]
    TooPrecise(String),
    /// Over what 64 bits of fen hold.
    #[error("{0:?} is too large an amount")]
    TooLarge(String),
}

impl Money {
    /// An amount of `fen`.
    pub const fn from_fen(fen: i64) -> Money {
        Money(fen)
    }

    /// An amount of whole yuan, `None` on overflow.
    pub fn from_whole_yuan(yuan: i64) -> Option<Money> {
        yuan.checked_mul(100).map(Money)
    }

    /// The amount in fen.
    pub const fn fen(self) -> i64 {
        self.0
    }

    /// Parse yuan written `12345.67`, `12345.6`, `12345`, `-3.50` or with
    /// thousands separators (`12,345.67`); at most two decimals, no
    /// rounding.
    pub fn from_yuan(text: &str) -> Result<Money, MoneyError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(MoneyError::Empty);
        }
        let malformed = || MoneyError::Malformed(text.to_owned());
        let (negative, unsigned) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (whole, decimals) = match unsigned.split_once('.') {
            Some((w, d)) => (w, d),
            None => (unsigned, ""),
        };
        let whole: String = whole.chars().filter(|c| *c != ',').collect();
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !decimals.bytes().all(|b| b.is_ascii_digit())
            || (unsigned.contains('.') && decimals.is_empty())
        {
            return Err(malformed());
        }
        if decimals.len() > 2 {
            return Err(MoneyError::TooPrecise(text.to_owned()));
        }
        let too_large = || MoneyError::TooLarge(text.to_owned());
        let yuan: i64 = whole.parse().map_err(|_| too_large())?;
        let fen: i64 = format!("{decimals:0<2}").parse().map_err(|_| malformed())?;
        let total = yuan
            .checked_mul(100)
            .and_then(|y| y.checked_add(fen))
            .ok_or_else(too_large)?;
        Ok(Money(if negative { -total } else { total }))
    }
}

impl fmt::Display for Money {
    /// Yuan with two decimals, no separators: `12345.67`, `-0.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl std::str::FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Money, MoneyError> {
        Money::from_yuan(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_yuan_exactly() {
        assert_eq!(Money::from_yuan("12345.67").map(Money::fen), Ok(1_234_567));
        assert_eq!(Money::from_yuan("12,345.6").map(Money::fen), Ok(1_234_560));
        assert_eq!(Money::from_yuan(" 7 ").map(Money::fen), Ok(700));
        assert_eq!(Money::from_yuan("-3.05").map(Money::fen), Ok(-305));
        assert_eq!(Money::from_yuan("+0.01").map(Money::fen), Ok(1));
        assert_eq!(Money::from_yuan(""), Err(MoneyError::Empty));
        for bad in ["1.2.3", "1e5", "¥5", ".5", "5.", "-", "1 000"] {
            assert!(
                matches!(Money::from_yuan(bad), Err(MoneyError::Malformed(_))),
                "{bad}"
            );
        }
        assert_eq!(
            Money::from_yuan("0.001"),
            Err(MoneyError::TooPrecise("0.001".into()))
        );
        assert!(matches!(
            Money::from_yuan("92233720368547758.08"),
            Err(MoneyError::TooLarge(_))
        ));
        assert_eq!(
            Money::from_yuan("92233720368547758.07").map(Money::fen),
            Ok(i64::MAX)
        );
    }

    #[test]
    fn prints_yuan() {
        assert_eq!(Money::from_fen(1_234_567).to_string(), "12345.67");
        assert_eq!(Money::from_fen(5).to_string(), "0.05");
        assert_eq!(Money::from_fen(-120).to_string(), "-1.20");
        assert_eq!(
            Money::from_fen(i64::MIN).to_string(),
            "-92233720368547758.08"
        );
        assert_eq!(Money::from_whole_yuan(3), Some(Money::from_fen(300)));
        assert_eq!(Money::from_whole_yuan(i64::MAX), None);
        assert_eq!("1.5".parse::<Money>(), Ok(Money::from_fen(150)));
        for fen in [0, 1, 99, 100, 123_456_789, -1, -99_999] {
            let m = Money::from_fen(fen);
            assert_eq!(Money::from_yuan(&m.to_string()), Ok(m));
        }
    }
}
