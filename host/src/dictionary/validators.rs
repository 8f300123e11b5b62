//! Check-digit and format validators for coded identifiers in the data
//! dictionary: the resident ID number (GB 11643-1999), the unified social
//! credit code (GB 32100-2015), mainland mobile phone numbers, bank card
//! numbers (Luhn) and postal codes.
//!
//! Each validator returns `Ok(())` or a [`FormatError`] whose code and
//! message tell the applicant exactly what is wrong. Not for type checks
//! (text vs number): see [`super::value`].

use chrono::NaiveDate;

/// What is wrong with a coded value: a stable machine code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    /// Stable code, e.g. `bad-check-digit`.
    pub code: &'static str,
    /// A message for the applicant.
    pub message: String,
}

fn err(code: &'static str, message: impl Into<String>) -> FormatError {
    FormatError {
        code,
        message: message.into(),
    }
}

/// Province-level codes valid as the first two digits of a region code.
const PROVINCES: &[u8] = &[
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

/// The check character of the first 17 digits of a resident ID number.
pub fn resident_id_check_char(first17: &[u8]) -> Option<char> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    if first17.len() != 17 || !first17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK.get((sum % 11) as usize).copied()
}

/// The birth date encoded in a (well-formed) resident ID number.
pub fn resident_id_birth_date(id: &str) -> Option<NaiveDate> {
    let digits = id.get(6..14)?;
    NaiveDate::parse_from_str(digits, "%Y%m%d").ok()
}

/// GB 11643-1999: 6-digit region code, 8-digit birth date, 3-digit
/// sequence, check character (digit or `X`).
pub fn resident_id(id: &str) -> Result<(), FormatError> {
    let bytes = id.as_bytes();
    if bytes.len() != 18 {
        return Err(err(
            "bad-length",
            format!(
                "a resident ID number has 18 characters; this one has {}",
                id.chars().count()
            ),
        ));
    }
    if !bytes[..17].iter().all(u8::is_ascii_digit) {
        return Err(err(
            "bad-characters",
            "the first 17 characters of a resident ID number must be digits",
        ));
    }
    let last = bytes[17];
    if !(last.is_ascii_digit() || last == b'X') {
        return Err(err(
            "bad-characters",
            "the last character of a resident ID number must be a digit or a capital X",
        ));
    }
    let province = (bytes[0] - b'0') * 10 + (bytes[1] - b'0');
    if !PROVINCES.contains(&province) {
        return Err(err(
            "bad-region",
            format!("{province:02} is not a province code (first two digits)"),
        ));
    }
    if resident_id_birth_date(id).is_none() {
        return Err(err(
            "bad-birth-date",
            format!("digits 7 to 14 ({}) are not a real date", &id[6..14]),
        ));
    }
    let expected = resident_id_check_char(&bytes[..17]).ok_or_else(|| {
        err(
            "bad-characters",
            "the first 17 characters of a resident ID number must be digits",
        )
    })?;
    if char::from(last) != expected {
        return Err(err(
            "bad-check-digit",
            format!(
                "the check digit is {}, but for these first 17 digits it must be {expected} (GB 11643-1999)",
                char::from(last)
            ),
        ));
    }
    Ok(())
}

/// Characters of a unified social credit code, in value order (no I, O, S, V, Z).
const USCC_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// The check character of the first 17 characters of a unified social credit code.
pub fn uscc_check_char(first17: &[u8]) -> Option<char> {
    const WEIGHTS: [u32; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (c, w) in first17.iter().zip(WEIGHTS) {
        let value = USCC_CHARS.iter().position(|x| x == c)? as u32;
        sum += value * w;
    }
    let check = (31 - sum % 31) % 31;
    Some(char::from(USCC_CHARS[check as usize]))
}

/// GB 32100-2015: 18 characters from the 31-character set, a 6-digit
/// region code in positions 3 to 8, and a check character.
pub fn uscc(code: &str) -> Result<(), FormatError> {
    let bytes = code.as_bytes();
    if bytes.len() != 18 {
        return Err(err(
            "bad-length",
            format!(
                "a unified social credit code has 18 characters; this one has {}",
                code.chars().count()
            ),
        ));
    }
    if let Some(bad) = bytes.iter().find(|b| !USCC_CHARS.contains(b)) {
        return Err(err(
            "bad-characters",
            format!(
                "{:?} cannot appear in a unified social credit code (digits and capitals except I, O, S, V, Z)",
                char::from(*bad)
            ),
        ));
    }
    if !bytes[2..8].iter().all(u8::is_ascii_digit) {
        return Err(err(
            "bad-region",
            "characters 3 to 8 of a unified social credit code are the region code and must be digits",
        ));
    }
    let expected = uscc_check_char(&bytes[..17]).ok_or_else(|| {
        err(
            "bad-characters",
            "not a unified social credit code character",
        )
    })?;
    if char::from(bytes[17]) != expected {
        return Err(err(
            "bad-check-digit",
            format!(
                "the check character is {}, but for these first 17 characters it must be {expected} (GB 32100-2015)",
                char::from(bytes[17])
            ),
        ));
    }
    Ok(())
}

/// A mainland mobile number: 11 digits starting 13 to 19.
pub fn mobile_phone(phone: &str) -> Result<(), FormatError> {
    let b = phone.as_bytes();
    if b.len() != 11 || !b.iter().all(u8::is_ascii_digit) || b[0] != b'1' || b[1] < b'3' {
        return Err(err(
            "bad-phone",
            "a mobile number has 11 digits and starts with 13 to 19",
        ));
    }
    Ok(())
}

/// A bank card number: 12 to 19 digits passing the Luhn check.
pub fn bank_card(card: &str) -> Result<(), FormatError> {
    let b = card.as_bytes();
    if !(12..=19).contains(&b.len()) || !b.iter().all(u8::is_ascii_digit) {
        return Err(err(
            "bad-card-number",
            "a bank card number has 12 to 19 digits",
        ));
    }
    let sum: u32 = b
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(d - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    if !sum.is_multiple_of(10) {
        return Err(err(
            "bad-check-digit",
            "the card number fails its check digit (Luhn): please check it against the card",
        ));
    }
    Ok(())
}

/// A postal code: 6 digits.
pub fn postal_code(code: &str) -> Result<(), FormatError> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err("bad-postal-code", "a postal code has 6 digits"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_check(first17: &str) -> String {
        let c = resident_id_check_char(first17.as_bytes()).expect("17 digits");
        format!("{first17}{c}")
    }

    #[test]
    fn resident_id_accepts_published_example() {
        // The worked example of GB 11643-1999.
        assert_eq!(resident_id("11010519491231002X"), Ok(()));
        assert_eq!(resident_id(&with_check("35020319900307152")), Ok(()));
    }

    #[test]
    fn resident_id_refuses_each_fault_with_its_code() {
        assert_eq!(
            resident_id("110105194912310021").map_err(|e| e.code),
            Err("bad-check-digit")
        );
        assert_eq!(
            resident_id("11010519491231002").map_err(|e| e.code),
            Err("bad-length")
        );
        assert_eq!(
            resident_id("1101051949123100AX").map_err(|e| e.code),
            Err("bad-characters")
        );
        assert_eq!(
            resident_id("11010519491231002x").map_err(|e| e.code),
            Err("bad-characters")
        );
        assert_eq!(
            resident_id(&with_check("99010519491231002")).map_err(|e| e.code),
            Err("bad-region")
        );
        assert_eq!(
            resident_id(&with_check("11010519490231002")).map_err(|e| e.code),
            Err("bad-birth-date")
        );
        let msg = resident_id("110105194912310021").expect_err("bad").message;
        assert!(msg.contains("must be X"), "{msg}");
    }

    #[test]
    fn birth_date_is_read_from_the_number() {
        assert_eq!(
            resident_id_birth_date("11010519491231002X"),
            NaiveDate::from_ymd_opt(1949, 12, 31)
        );
    }

    #[test]
    fn uscc_accepts_valid_and_refuses_faults() {
        // A code built with the standard's algorithm.
        let first = "91350200MA2Y0XXX0";
        let c = uscc_check_char(first.as_bytes()).expect("charset");
        let code = format!("{first}{c}");
        assert_eq!(uscc(&code), Ok(()));
        // A well-known published code (Huawei Technologies Co., Ltd.).
        assert_eq!(uscc("914403001922038216"), Ok(()));
        let wrong = if c == '0' { '1' } else { '0' };
        assert_eq!(
            uscc(&format!("{first}{wrong}")).map_err(|e| e.code),
            Err("bad-check-digit")
        );
        assert_eq!(
            uscc("91350200MA2Y0XXXI0").map_err(|e| e.code),
            Err("bad-characters")
        );
        assert_eq!(uscc("9135").map_err(|e| e.code), Err("bad-length"));
        assert_eq!(
            uscc("91AB0200MA2Y0XXX01").map_err(|e| e.code),
            Err("bad-region")
        );
    }

    #[test]
    fn phones_cards_postcodes() {
        assert!(mobile_phone("13800138000").is_ok());
        assert!(mobile_phone("12800138000").is_err());
        assert!(mobile_phone("1380013800").is_err());
        assert!(bank_card("4111111111111111").is_ok());
        assert_eq!(
            bank_card("4111111111111112").map_err(|e| e.code),
            Err("bad-check-digit")
        );
        assert!(bank_card("41111").is_err());
        assert!(postal_code("361000").is_ok());
        assert!(postal_code("36100").is_err());
    }
}
