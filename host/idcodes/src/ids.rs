//! OneThing's own identifiers: kebab-case ids (departments, steps,
//! material codes, bundles), data dictionary keys and component versions.
//!
//! Plain predicates, one rule set for the host (which parses them into
//! newtypes) and the SDK's test kit (which lints a manifest before the
//! host sees it). Not for coded identifiers of people or organisations.

/// The most bytes a kebab-case id may have.
pub const MAX_ID_LEN: usize = 64;

/// The most bytes a dictionary key may have.
pub const MAX_KEY_LEN: usize = 128;

/// Whether `s` is a kebab-case id: 1 to [`MAX_ID_LEN`] bytes of
/// `[a-z0-9-]`, no leading, trailing or double hyphen (e.g.
/// `public-security`, `birth-certificate`).
pub fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_ID_LEN
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// Whether `s` is a data dictionary key: at least two dot-separated,
/// non-empty segments of `[a-z0-9_]`, at most [`MAX_KEY_LEN`] bytes in all
/// (e.g. `mother.id_number`).
pub fn is_key(s: &str) -> bool {
    s.len() <= MAX_KEY_LEN
        && s.contains('.')
        && s.split('.').all(|seg| {
            !seg.is_empty()
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
}

/// Whether `s` is a Semantic Versioning 2.0.0 version: `MAJOR.MINOR.PATCH`
/// (numbers without leading zeros), optionally `-pre` (dot-separated
/// identifiers of `[0-9A-Za-z-]`, numeric ones without leading zeros) and
/// `+build` (dot-separated identifiers of `[0-9A-Za-z-]`).
pub fn is_semver(s: &str) -> bool {
    let (rest, build) = match s.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (s, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (rest, None),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    numbers.len() == 3
        && numbers.iter().all(|n| is_number(n))
        && pre.is_none_or(|p| {
            p.split('.')
                .all(|i| is_ident(i) && (!is_digits(i) || is_number(i)))
        })
        && build.is_none_or(|b| b.split('.').all(is_ident))
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Digits without a leading zero (`0` itself is fine).
fn is_number(s: &str) -> bool {
    is_digits(s) && (s == "0" || !s.starts_with('0'))
}

fn is_ident(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_ids() {
        for ok in ["health", "public-security", "a", "step-2", &"a".repeat(64)] {
            assert!(is_kebab(ok), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "a--b",
            "Health",
            "a_b",
            "a.b",
            "出生",
            &"a".repeat(65),
        ] {
            assert!(!is_kebab(bad), "{bad}");
        }
    }

    #[test]
    fn dictionary_keys() {
        for ok in ["child.name", "mother.id_number", "a.b.c", "x1.y_2"] {
            assert!(is_key(ok), "{ok}");
        }
        let long = format!("{}.{}", "a".repeat(64), "b".repeat(63));
        assert_eq!(long.len(), 128);
        assert!(is_key(&long));
        for bad in [
            "nodot",
            "a.",
            ".a",
            "a..b",
            "A.b",
            "a-b.c",
            "a.b ",
            &format!("{long}c"),
        ] {
            assert!(!is_key(bad), "{bad}");
        }
    }

    #[test]
    fn semantic_versions() {
        for ok in [
            "0.1.0",
            "1.0.0",
            "10.20.30",
            "1.0.0-rc.1",
            "1.0.0-alpha-1",
            "1.0.0+build.5",
            "1.0.0-0.3.7+exp.sha.5114f85",
        ] {
            assert!(is_semver(ok), "{ok}");
        }
        for bad in [
            "1.0",
            "1.0.0.0",
            "v1.0.0",
            "01.0.0",
            "1.00.0",
            "1.0.0-",
            "1.0.0+",
            "1.0.0-rc..1",
            "1.0.0-01",
            "1.0.0-rc 1",
            "1.a.0",
            "",
        ] {
            assert!(!is_semver(bad), "{bad}");
        }
    }
}
