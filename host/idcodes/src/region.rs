//! Administrative region codes (GB/T 2260) as far as the codes of this
//! crate check them: the province-level prefix only.
//!
//! Not a register of counties and districts: a six-digit code whose
//! province exists is accepted even if its county was never created or
//! has since been merged (old numbers keep their old region codes).

/// Province-level codes valid as the first two digits of a region code:
/// the 31 provinces, autonomous regions and municipalities, Taiwan (71),
/// Hong Kong (81) and Macao (82).
pub const PROVINCES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

/// The prefix a credit code's region has for a national registration
/// (region `100000`, e.g. a central enterprise registered with the State
/// Administration for Market Regulation). Not valid in a resident ID.
pub const NATIONAL: u8 = 10;

/// The value of the first two characters of `code` if both are ASCII digits.
fn prefix(code: &str) -> Option<u8> {
    let b = code.as_bytes();
    match (b.first(), b.get(1)) {
        (Some(t @ b'0'..=b'9'), Some(u @ b'0'..=b'9')) => Some((t - b'0') * 10 + (u - b'0')),
        _ => None,
    }
}

/// Whether `code` is six ASCII digits whose first two are a province code
/// (the region of a resident ID number).
pub fn is_resident_region(code: &str) -> bool {
    is_six_digits(code) && prefix(code).is_some_and(|p| PROVINCES.contains(&p))
}

/// Whether `code` is six ASCII digits whose first two are a province code
/// or [`NATIONAL`] (the region of a credit code).
pub fn is_uscc_region(code: &str) -> bool {
    is_six_digits(code) && prefix(code).is_some_and(|p| p == NATIONAL || PROVINCES.contains(&p))
}

fn is_six_digits(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provinces_and_the_national_prefix() {
        assert!(is_resident_region("110105"));
        assert!(is_resident_region("820000"));
        assert!(!is_resident_region("100000"));
        assert!(!is_resident_region("990105"));
        assert!(!is_resident_region("11010"));
        assert!(!is_resident_region("11010A"));
        assert!(is_uscc_region("100000"));
        assert!(is_uscc_region("350200"));
        assert!(!is_uscc_region("000000"));
        assert!(!is_uscc_region("AB0200"));
        assert!(!is_uscc_region("３５0200"));
    }
}
