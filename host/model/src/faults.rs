//! Faults collected while checking something an author wrote (a manifest,
//! a bundle): the first [`MAX_FAULTS_LISTED`] kept, each cut to
//! [`MAX_FAULT_BYTES`], the rest counted, so a refusal lists everything an
//! author has to fix at once and stays small however broken the input is.

/// Most faults a refusal lists; the rest are counted.
pub const MAX_FAULTS_LISTED: usize = 20;
/// Longest fault line kept, in bytes (a fault quotes what it is about,
/// which may be long).
pub const MAX_FAULT_BYTES: usize = 300;

/// The faults found so far.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Faults {
    /// One line per fault listed.
    pub listed: Vec<String>,
    /// Faults found beyond those listed.
    pub more: usize,
}

impl Faults {
    /// Note one fault.
    pub fn push(&mut self, fault: String) {
        if self.listed.len() < MAX_FAULTS_LISTED {
            self.listed.push(cut(&fault, MAX_FAULT_BYTES));
        } else {
            self.more += 1;
        }
    }

    /// Whether none was found.
    pub fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    /// How many were found, listed or not.
    pub fn len(&self) -> usize {
        self.listed.len() + self.more
    }

    /// The faults as lines under a heading: `  - fault`, and a last line
    /// counting those not listed.
    pub fn lines(&self) -> String {
        let mut out = format!("  - {}", self.listed.join("\n  - "));
        if self.more > 0 {
            out.push_str(&format!("\n  - … and {} more faults", self.more));
        }
        out
    }
}

/// `s` cut to at most `max` bytes on a character boundary, marked `…`.
pub fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_faults_are_listed_and_the_rest_counted() {
        let mut f = Faults::default();
        for i in 0..25 {
            f.push(format!("fault {i}"));
        }
        assert_eq!(f.listed.len(), MAX_FAULTS_LISTED);
        assert_eq!(f.more, 5);
        assert_eq!(f.len(), 25);
        assert!(f.lines().ends_with("… and 5 more faults"), "{}", f.lines());
        assert_eq!(cut("ééé", 3), "é…");
    }
}
