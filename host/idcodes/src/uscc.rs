//! The unified social credit code (统一社会信用代码), GB 32100-2015: the
//! registration authority (1 character), the kind of organisation (1),
//! the region code (6 digits), the organisation code of GB 11714 (8
//! characters and its own check character) and the code's check
//! character, all from a 31-character set (digits and capitals except I,
//! O, S, V, Z).
//!
//! [`validate`] checks length, characters, region (province-level or
//! national `10`) and the GB 32100 check character, but not the embedded
//! GB 11714 check character: [`validate_strict`] adds that. Not for the
//! registration numbers that preceded credit codes.

use crate::codes::{BAD_CHARACTERS, BAD_CHECK_DIGIT, BAD_LENGTH, BAD_REGION};
use crate::error::{char_count, first_refused};
use crate::{CodeError, org_code, region};

/// The number of characters of a credit code.
pub const LEN: usize = 18;

/// The 31 characters of a credit code, in value order (no I, O, S, V, Z).
pub const CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// The value (0 to 30) of a credit code character, or `None` if `c` is
/// not one.
pub fn value(c: char) -> Option<u32> {
    CHARSET.find(c).map(|p| p as u32)
}

/// The GB 32100 check character of the first 17 characters, or `None` if
/// `first17` is not 17 characters of the code's set.
pub fn check_char(first17: &str) -> Option<char> {
    const WEIGHTS: [u32; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    if char_count(first17) != LEN - 1 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += value(c)? * w;
    }
    let check = (31 - sum % 31) % 31;
    CHARSET.chars().nth(check as usize)
}

/// Check a credit code: 18 characters of the code's set, a region code
/// (six digits, province-level or national `10`) in characters 3 to 8,
/// and the GB 32100 check character.
pub fn validate(code: &str) -> Result<(), CodeError> {
    let n = char_count(code);
    if n != LEN {
        return Err(CodeError::new(
            BAD_LENGTH,
            format!("统一社会信用代码应为 18 位，此代码为 {n} 位"),
            format!("a unified social credit code has 18 characters; this one has {n}"),
        ));
    }
    if let Some((pos, c)) = first_refused(code, |c| value(c).is_some()) {
        let (hint, hint_zh) = if c.is_ascii_lowercase() {
            (": write letters as capitals", "：字母请写成大写")
        } else {
            ("", "")
        };
        return Err(CodeError::new(
            BAD_CHARACTERS,
            format!(
                "统一社会信用代码中不能出现 {c:?}（第 {pos} 位；可用数字和除 I、O、S、V、Z 外的大写字母）{hint_zh}"
            ),
            format!(
                "{c:?} (character {pos}) cannot appear in a unified social credit code (digits and capitals except I, O, S, V, Z){hint}"
            ),
        ));
    }
    // From here on `code` is 18 ASCII characters, so byte ranges are safe.
    let (Some(region_code), Some(first17), Some(last)) =
        (code.get(2..8), code.get(..17), code.get(17..))
    else {
        return Err(CodeError::new(
            BAD_CHARACTERS,
            "统一社会信用代码只能由半角数字和大写字母组成",
            "a unified social credit code is written in ASCII digits and capitals",
        ));
    };
    if !region::is_uscc_region(region_code) {
        return Err(CodeError::new(
            BAD_REGION,
            format!(
                "统一社会信用代码第 3 至 8 位为登记管理机关行政区划码，应为以省级代码或 10 开头的六位数字；{region_code} 不是"
            ),
            format!(
                "characters 3 to 8 of a unified social credit code are the region code, six digits starting with a province code or 10; {region_code} is not one"
            ),
        ));
    }
    let expected = check_char(first17).ok_or_else(|| {
        CodeError::new(
            BAD_CHARACTERS,
            "不是统一社会信用代码可用的字符",
            "not a unified social credit code character",
        )
    })?;
    if !last.starts_with(expected) {
        return Err(CodeError::new(
            BAD_CHECK_DIGIT,
            format!("校验码为 {last}，但按前 17 位应为 {expected}（GB 32100-2015）"),
            format!(
                "the check character is {last}, but for these first 17 characters it must be {expected} (GB 32100-2015)"
            ),
        ));
    }
    Ok(())
}

/// Characters 9 to 17 of an 18-character credit code: its GB 11714
/// organisation code (body and check character). `None` if `code` is not
/// 18 ASCII characters.
pub fn embedded_org_code(code: &str) -> Option<&str> {
    if code.len() != LEN || !code.is_ascii() {
        return None;
    }
    code.get(8..17)
}

/// Everything [`validate`] checks, then the check character of the
/// embedded organisation code (character 17, GB 11714-1997), reported as
/// `bad-check-digit`.
pub fn validate_strict(code: &str) -> Result<(), CodeError> {
    validate(code)?;
    let embedded = embedded_org_code(code).unwrap_or_default();
    let (Some(body), Some(last)) = (embedded.get(..8), embedded.get(8..)) else {
        return Err(CodeError::new(
            BAD_LENGTH,
            "统一社会信用代码应为 18 位",
            "a unified social credit code has 18 characters",
        ));
    };
    let expected = org_code::check_char(body).ok_or_else(|| {
        CodeError::new(
            BAD_CHARACTERS,
            "不是组织机构代码可用的字符",
            "not an organisation code character",
        )
    })?;
    if !last.starts_with(expected) {
        return Err(CodeError::new(
            BAD_CHECK_DIGIT,
            format!(
                "第 9 至 17 位为组织机构代码：其校验码为 {last}，但按 {body} 应为 {expected}（GB 11714-1997）"
            ),
            format!(
                "characters 9 to 17 are the organisation code: its check character is {last}, but for {body} it must be {expected} (GB 11714-1997)"
            ),
        ));
    }
    Ok(())
}

/// Build a credit code: registration authority (`9`: market regulation,
/// `5`: civil affairs, …), kind of organisation (for authority `9`: `1`
/// enterprise, `2` individual business, `3` farmers' cooperative), the
/// six-digit region code (province-level or national `100000`), and the
/// eight-character organisation body from the code's set (e.g. `MA` and
/// six characters, as newly registered bodies have). The body's GB 11714
/// check character and the GB 32100 check character are computed here.
pub fn build(authority: char, kind: char, region: &str, body8: &str) -> Result<String, CodeError> {
    for (what, what_zh, c) in [
        ("registration authority", "登记管理部门", authority),
        ("kind", "机构类别", kind),
    ] {
        if value(c).is_none() {
            return Err(CodeError::new(
                BAD_CHARACTERS,
                format!(
                    "{what_zh}代码 {c:?} 不是统一社会信用代码可用的字符（数字和除 I、O、S、V、Z 外的大写字母）"
                ),
                format!(
                    "the {what} code {c:?} is not a unified social credit code character (digits and capitals except I, O, S, V, Z)"
                ),
            ));
        }
    }
    if !region::is_uscc_region(region) {
        return Err(CodeError::new(
            BAD_REGION,
            format!("行政区划码为以省级代码或 10 开头的六位数字；{region:?} 不是"),
            format!(
                "the region code is six digits starting with a province code or 10; {region:?} is not one"
            ),
        ));
    }
    let n = char_count(body8);
    if n != 8 {
        return Err(CodeError::new(
            BAD_LENGTH,
            format!("组织机构主体代码应为 8 位，此处为 {n} 位"),
            format!("the organisation body has 8 characters; this one has {n}"),
        ));
    }
    if let Some((pos, c)) = first_refused(body8, |c| value(c).is_some()) {
        return Err(CodeError::new(
            BAD_CHARACTERS,
            format!(
                "统一社会信用代码中不能出现 {c:?}（组织机构主体代码第 {pos} 位；可用数字和除 I、O、S、V、Z 外的大写字母）"
            ),
            format!(
                "{c:?} (character {pos} of the organisation body) cannot appear in a unified social credit code (digits and capitals except I, O, S, V, Z)"
            ),
        ));
    }
    let bad = || {
        CodeError::new(
            BAD_CHARACTERS,
            "不是统一社会信用代码可用的字符",
            "not a unified social credit code character",
        )
    };
    let org_check = org_code::check_char(body8).ok_or_else(bad)?;
    let first17 = format!("{authority}{kind}{region}{body8}{org_check}");
    let check = check_char(&first17).ok_or_else(bad)?;
    Ok(format!("{first17}{check}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> Result<(), &'static str> {
        validate(text).map_err(|e| e.code)
    }

    #[test]
    fn published_codes() {
        // Huawei Technologies Co., Ltd. and Tencent Technology (Shenzhen) Co., Ltd.
        assert_eq!(code("914403001922038216"), Ok(()));
        assert_eq!(code("9144030071526726XG"), Ok(()));
        assert_eq!(validate_strict("914403001922038216"), Ok(()));
        assert_eq!(validate_strict("9144030071526726XG"), Ok(()));
        assert_eq!(embedded_org_code("9144030071526726XG"), Some("71526726X"));
        assert_eq!(check_char("9144030071526726X"), Some('G'));
    }

    #[test]
    fn each_fault_has_its_code() {
        assert_eq!(code("9144030071526726X"), Err(BAD_LENGTH));
        assert_eq!(code("9144030071526726IG"), Err(BAD_CHARACTERS));
        assert_eq!(code("9144030071526726xg"), Err(BAD_CHARACTERS));
        assert_eq!(code("91AB030071526726XM"), Err(BAD_REGION));
        assert_eq!(code("9199030071526726XN"), Err(BAD_REGION));
        assert_eq!(code("9144030071526726XH"), Err(BAD_CHECK_DIGIT));
        let e = validate("9144030071526726XH").expect_err("bad");
        assert_eq!(
            e.message,
            "the check character is H, but for these first 17 characters it must be G (GB 32100-2015)"
        );
        assert!(
            validate("9144030071526726xg")
                .expect_err("lowercase")
                .message
                .contains("capitals")
        );
    }

    #[test]
    fn embedded_check_is_separate() {
        // Right GB 32100 check character, wrong GB 11714 one (must be 1).
        assert_eq!(code("91350200MA2Y0XXX0P"), Ok(()));
        assert_eq!(
            validate_strict("91350200MA2Y0XXX0P").map_err(|e| e.code),
            Err(BAD_CHECK_DIGIT)
        );
        assert_eq!(
            validate_strict("9144030071526726XH").map_err(|e| e.code),
            Err(BAD_CHECK_DIGIT)
        );
        assert_eq!(embedded_org_code("short"), None);
    }

    #[test]
    fn builds_codes() {
        let built = build('9', '1', "350200", "12345678").expect("builds");
        assert_eq!(validate_strict(&built), Ok(()));
        assert!(built.starts_with("91350200"));
        assert_eq!(
            build('9', '1', "100000", "MA001234").as_deref(),
            Ok("91100000MA001234XJ")
        );
        assert_eq!(
            build('9', '1', "350200", "MA2Y0XXX").as_deref(),
            Ok("91350200MA2Y0XXX1T")
        );
        let err = |r: Result<String, CodeError>| r.map_err(|e| e.code);
        assert_eq!(err(build('9', '1', "990000", "12345678")), Err(BAD_REGION));
        assert_eq!(
            err(build('9', '1', "350200", "1234567I")),
            Err(BAD_CHARACTERS)
        );
        assert_eq!(err(build('9', '1', "350200", "1234567")), Err(BAD_LENGTH));
        assert_eq!(
            err(build('I', '1', "350200", "12345678")),
            Err(BAD_CHARACTERS)
        );
        assert_eq!(
            err(build('9', 'z', "350200", "12345678")),
            Err(BAD_CHARACTERS)
        );
    }
}
