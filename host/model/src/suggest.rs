//! "Did you mean …?": the known name nearest to an unknown one, when it is
//! near enough to be a slip of the keyboard (`child.nmae` → `child.name`),
//! for every message that says a key, code or id is unknown.
//!
//! Nearness is the optimal-string-alignment distance (a swap of two
//! neighbouring letters counts one edit), compared case-insensitively;
//! a suggestion is made only within a third of the name's length (at least
//! one edit), so an unrelated name never gets a misleading one.

use std::fmt;

/// A suggestion to append to an error message: nothing, or
/// ` (did you mean `child.name`?)`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DidYouMean(pub Option<String>);

impl DidYouMean {
    /// The candidate nearest to `unknown`, if near enough. Ties go to the
    /// candidate first in order.
    pub fn among<'a>(unknown: &str, candidates: impl IntoIterator<Item = &'a str>) -> Self {
        let wanted = unknown.to_lowercase();
        let allowed = (wanted.chars().count() / 3).max(1);
        let mut best: Option<(usize, &str)> = None;
        for candidate in candidates {
            if candidate == unknown {
                continue;
            }
            let d = strsim::osa_distance(&wanted, &candidate.to_lowercase());
            if d <= allowed && best.is_none_or(|(b, _)| d < b) {
                best = Some((d, candidate));
            }
        }
        Self(best.map(|(_, c)| c.to_owned()))
    }
}

impl DidYouMean {
    /// The suggestion in Chinese: nothing, or `（是否应为 `child.name`？）`.
    pub fn zh(&self) -> String {
        self.0
            .as_ref()
            .map_or_else(String::new, |s| format!("（是否应为 `{s}`？）"))
    }
}

impl fmt::Display for DidYouMean {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(s) => write!(f, " (did you mean `{s}`?)"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: [&str; 4] = ["child.name", "child.sex", "mother.id_number", "mother.name"];

    fn suggest(unknown: &str) -> Option<String> {
        DidYouMean::among(unknown, KEYS).0
    }

    #[test]
    fn slips_of_the_keyboard_find_their_key() {
        assert_eq!(suggest("child.nmae").as_deref(), Some("child.name"));
        assert_eq!(suggest("child.nam").as_deref(), Some("child.name"));
        assert_eq!(
            suggest("mother.idnumber").as_deref(),
            Some("mother.id_number")
        );
        assert_eq!(suggest("Child.Name").as_deref(), Some("child.name"));
        assert_eq!(suggest("mother.nmae").as_deref(), Some("mother.name"));
    }

    #[test]
    fn unrelated_names_get_no_suggestion() {
        assert_eq!(suggest("enterprise.uscc"), None);
        assert_eq!(suggest("x.y"), None);
        assert_eq!(DidYouMean::among("child.name", KEYS).to_string(), "");
        assert_eq!(DidYouMean::among("a.b", []).to_string(), "");
    }

    #[test]
    fn it_reads_as_part_of_a_message() {
        assert_eq!(
            DidYouMean::among("child.nmae", KEYS).to_string(),
            " (did you mean `child.name`?)"
        );
    }
}
