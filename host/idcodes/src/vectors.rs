//! Test vectors: texts with the verdict the one rule set gives them.
//!
//! The host runs every vector through its data dictionary and the SDK
//! through its `Fields` helpers, so that both are held to the same verdict
//! and the same problem code as this crate's validators. Published
//! examples are named as such in `about`; every other vector was computed
//! with the algorithm (and checked independently of this crate) and says
//! so. No vector has surrounding whitespace or is empty: consumers may
//! treat blank text as missing before any format check.
//!
//! Not for production use: test data only (the organisation and person
//! numbers here are examples, not anyone's registration).

pub use crate::Kind;

/// One test vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vector {
    /// Which validator it is for.
    pub kind: Kind,
    /// The text, exactly as an applicant would type it.
    pub input: &'static str,
    /// `None` if the text is valid, else the expected [`crate::codes`] code.
    pub expected: Option<&'static str>,
    /// What it tests, and where it comes from.
    pub about: &'static str,
}

const fn v(
    kind: Kind,
    input: &'static str,
    expected: Option<&'static str>,
    about: &'static str,
) -> Vector {
    Vector {
        kind,
        input,
        expected,
        about,
    }
}

use Kind::{BankCard, MobilePhone, OrgCode, PostalCode, ResidentId, Uscc};

const OK: Option<&str> = None;
const LENGTH: Option<&str> = Some(crate::codes::BAD_LENGTH);
const CHARACTERS: Option<&str> = Some(crate::codes::BAD_CHARACTERS);
const REGION: Option<&str> = Some(crate::codes::BAD_REGION);
const BIRTH_DATE: Option<&str> = Some(crate::codes::BAD_BIRTH_DATE);
const CHECK: Option<&str> = Some(crate::codes::BAD_CHECK_DIGIT);
const CARD: Option<&str> = Some(crate::codes::BAD_CARD_NUMBER);
const PHONE: Option<&str> = Some(crate::codes::BAD_PHONE);
const POSTAL: Option<&str> = Some(crate::codes::BAD_POSTAL_CODE);

/// Every vector.
#[rustfmt::skip]
pub const VECTORS: &[Vector] = &[
    // Resident ID numbers (GB 11643-1999).
    v(ResidentId, "11010519491231002X", OK, "the worked example of GB 11643-1999: Beijing Chaoyang, born 1949-12-31, sequence 002 (female), check character X"),
    v(ResidentId, "11010519491231002x", CHARACTERS, "the GB 11643-1999 example with a lowercase x: refused, the check character is written as a capital X"),
    v(ResidentId, "35020319900307009X", OK, "computed: Xiamen Siming, born 1990-03-07, sequence 009 (male), check character X"),
    v(ResidentId, "44030520000229007X", OK, "computed: Shenzhen Nanshan, born on the leap day 2000-02-29, check character X"),
    v(ResidentId, "65010219851015003X", OK, "computed: Urumqi Tianshan, born 1985-10-15, check character X"),
    v(ResidentId, "350203199003071527", OK, "computed: Xiamen Siming, born 1990-03-07, sequence 152 (female), check digit 7 (the plugins' test mother)"),
    v(ResidentId, "350206198811230519", OK, "computed: Xiamen Huli, born 1988-11-23, sequence 051 (male), check digit 9 (the plugins' test father)"),
    v(ResidentId, "110101190001010014", OK, "computed: the earliest birth date accepted, 1900-01-01"),
    v(ResidentId, "11010519491231002", LENGTH, "the GB 11643-1999 example without its check character: 17 characters"),
    v(ResidentId, "11010519491231002X1", LENGTH, "19 characters"),
    v(ResidentId, "110105491231002", LENGTH, "a first-generation 15-digit number: no longer valid"),
    v(ResidentId, "1101051949123100AX", CHARACTERS, "a letter among the first 17 characters"),
    v(ResidentId, "11010519491231002Y", CHARACTERS, "a check character that is neither a digit nor X"),
    v(ResidentId, "１１０１０５１９４９１２３１００２Ｘ", CHARACTERS, "the GB 11643-1999 example in full-width characters: 18 characters, but not ASCII digits"),
    v(ResidentId, "990105194912310023", REGION, "computed: province code 99 does not exist (check digit correct for the first 17 digits)"),
    v(ResidentId, "100105194912310028", REGION, "computed: prefix 10 is a national credit code region, not a province (check digit correct)"),
    v(ResidentId, "000105194912310024", REGION, "computed: province code 00 (check digit correct)"),
    v(ResidentId, "110105194902300020", BIRTH_DATE, "computed: born on 1949-02-30, which does not exist (check digit correct)"),
    v(ResidentId, "110105194913310021", BIRTH_DATE, "computed: month 13 (check digit correct)"),
    v(ResidentId, "110105194912000021", BIRTH_DATE, "computed: day 00 (check digit correct)"),
    v(ResidentId, "110105190002290025", BIRTH_DATE, "computed: 1900-02-29 does not exist, 1900 is not a leap year (check digit correct)"),
    v(ResidentId, "110105189912310023", BIRTH_DATE, "computed: born in 1899, before 1900 (check digit correct)"),
    v(ResidentId, "110105194912310021", CHECK, "the GB 11643-1999 example with check digit 1 instead of X"),
    v(ResidentId, "350203199003071520", CHECK, "a valid Xiamen number with its check digit 7 changed to 0"),
    v(ResidentId, "990105194902300021", REGION, "bad region, impossible date and wrong check digit at once: the region is checked first"),
    // Unified social credit codes (GB 32100-2015).
    v(Uscc, "914403001922038216", OK, "published: Huawei Technologies Co., Ltd. (Shenzhen, region 440300)"),
    v(Uscc, "9144030071526726XG", OK, "published: Tencent Technology (Shenzhen) Co., Ltd.; its organisation code 71526726-X ends in X"),
    v(Uscc, "91100000MA001234XJ", OK, "computed with the algorithm: a national registration, region 100000 (not a real registration)"),
    v(Uscc, "91350200MA2Y0XXX1T", OK, "computed with the algorithm: an enterprise of Xiamen, region 350200 (not a real registration)"),
    v(Uscc, "51350203MJ0001AB6P", OK, "computed with the algorithm: a social organisation (civil affairs, 5) of Xiamen Siming (not a real registration)"),
    v(Uscc, "91350200MA2Y0XXX0P", OK, "computed: the embedded GB 11714 check character is wrong (must be 1) but the GB 32100 one is right: validate does not check the embedded one"),
    v(Uscc, "9144030071526726X", LENGTH, "the Tencent code without its check character: 17 characters"),
    v(Uscc, "9144030071526726IG", CHARACTERS, "the letter I, which credit codes do not use"),
    v(Uscc, "91440300715267O6XG", CHARACTERS, "the letter O, which credit codes do not use"),
    v(Uscc, "91440300S15267266G", CHARACTERS, "the letter S, which credit codes do not use"),
    v(Uscc, "9144030071526V26XG", CHARACTERS, "the letter V, which credit codes do not use"),
    v(Uscc, "Z14403001922038216", CHARACTERS, "the letter Z, which credit codes do not use"),
    v(Uscc, "9144030071526726xg", CHARACTERS, "the Tencent code in lowercase"),
    v(Uscc, "9199030071526726XN", REGION, "computed: region 990300, no such province (check character correct)"),
    v(Uscc, "91AB030071526726XM", REGION, "computed: letters in the region code (check character correct)"),
    v(Uscc, "9144030071526726XH", CHECK, "the Tencent code with check character H instead of G"),
    v(Uscc, "914403001922038217", CHECK, "the Huawei code with check character 7 instead of 6"),
    // Organisation codes (GB 11714-1997).
    v(OrgCode, "D2143569X", OK, "the example usually quoted for GB 11714 (printed D2143569-X); check character verified by computation"),
    v(OrgCode, "71526726X", OK, "published: Tencent's organisation code, characters 9 to 17 of its credit code"),
    v(OrgCode, "192203821", OK, "published: Huawei's organisation code, characters 9 to 17 of its credit code"),
    v(OrgCode, "D2143569-X", LENGTH, "the printed form with its hyphen: 10 characters"),
    v(OrgCode, "D2143569", LENGTH, "the body without its check character"),
    v(OrgCode, "d2143569X", CHARACTERS, "a lowercase letter in the body"),
    v(OrgCode, "D2143569x", CHARACTERS, "a lowercase x check character"),
    v(OrgCode, "D21435690", CHECK, "check character 0 instead of X"),
    // Bank card numbers (Luhn).
    v(BankCard, "4111111111111111", OK, "published: the Visa test card number"),
    v(BankCard, "6200000000000005", OK, "published: Stripe's China UnionPay test card number (16 digits)"),
    v(BankCard, "6222020200000000006", OK, "computed: a 19-digit UnionPay-style number (prefix 622202), Luhn digit 6"),
    v(BankCard, "620000000005", OK, "computed: 12 digits, the shortest accepted, Luhn digit 5"),
    v(BankCard, "4111111111111112", CHECK, "the Visa test number with its last digit changed: fails Luhn"),
    v(BankCard, "6222020200000000001", CHECK, "computed: the 19-digit number with check digit 1 instead of 6"),
    v(BankCard, "41111111111", CARD, "11 digits: too short"),
    v(BankCard, "62220202000000000061", CARD, "20 digits: too long"),
    v(BankCard, "411111111111111A", CARD, "a letter"),
    v(BankCard, "4111 1111 1111 1111", CARD, "spaces between the groups of digits"),
    // Mainland mobile phone numbers.
    v(MobilePhone, "13800138000", OK, "a mobile number starting 13"),
    v(MobilePhone, "19912345678", OK, "a mobile number starting 19"),
    v(MobilePhone, "12800138000", PHONE, "starts with 12"),
    v(MobilePhone, "1380013800", PHONE, "10 digits"),
    v(MobilePhone, "+8613800138000", PHONE, "with the country code"),
    v(MobilePhone, "138-0013-800", PHONE, "with hyphens"),
    // Postal codes.
    v(PostalCode, "361000", OK, "Xiamen's postal code"),
    v(PostalCode, "100000", OK, "Beijing's postal code"),
    v(PostalCode, "36100", POSTAL, "5 digits"),
    v(PostalCode, "3610001", POSTAL, "7 digits"),
    v(PostalCode, "36100A", POSTAL, "a letter"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes;

    #[test]
    fn every_vector_gets_its_verdict() {
        let mut failures = Vec::new();
        for v in VECTORS {
            let got = v.kind.validate(v.input).err().map(|e| e.code);
            if got != v.expected {
                failures.push(format!(
                    "{:?} {:?}: expected {:?}, got {got:?} ({})",
                    v.kind, v.input, v.expected, v.about
                ));
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn the_vectors_cover_every_kind_and_code() {
        assert!(VECTORS.len() >= 40, "{}", VECTORS.len());
        for kind in Kind::ALL {
            assert!(
                VECTORS
                    .iter()
                    .any(|v| v.kind == kind && v.expected.is_none())
            );
            assert!(
                VECTORS
                    .iter()
                    .any(|v| v.kind == kind && v.expected.is_some())
            );
        }
        for code in codes::ALL {
            assert!(VECTORS.iter().any(|v| v.expected == Some(code)), "{code}");
        }
        for code in [
            codes::BAD_LENGTH,
            codes::BAD_CHARACTERS,
            codes::BAD_REGION,
            codes::BAD_BIRTH_DATE,
            codes::BAD_CHECK_DIGIT,
        ] {
            assert!(
                VECTORS
                    .iter()
                    .any(|v| v.kind == ResidentId && v.expected == Some(code)),
                "{code}"
            );
        }
        for v in VECTORS {
            assert!(!v.input.trim().is_empty() && v.input.trim() == v.input);
            assert!(!v.about.is_empty());
        }
    }

    #[test]
    fn valid_vectors_round_trip_through_parse_and_build() {
        for v in VECTORS.iter().filter(|v| v.expected.is_none()) {
            match v.kind {
                ResidentId => {
                    let id = crate::ResidentId::parse(v.input).expect("valid");
                    let rebuilt =
                        crate::ResidentId::build(id.region(), id.birth_date(), id.sequence())
                            .expect("builds");
                    assert_eq!(rebuilt, id);
                }
                Uscc if crate::uscc::validate_strict(v.input).is_ok() => {
                    let (Some(authority), Some(kind), Some(region), Some(body)) = (
                        v.input.chars().next(),
                        v.input.chars().nth(1),
                        v.input.get(2..8),
                        v.input.get(8..16),
                    ) else {
                        panic!("{}", v.input);
                    };
                    assert_eq!(
                        crate::uscc::build(authority, kind, region, body).as_deref(),
                        Ok(v.input)
                    );
                }
                _ => {}
            }
        }
    }
}
