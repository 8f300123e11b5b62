//! Deterministic numbers from strings, for issuing: the same idempotency
//! key always yields the same certificate number, so a retried step issues
//! what the first attempt issued.
//!
//! FNV-1a followed by SplitMix64 mixing: stable across platforms, Rust
//! versions and builds (unlike `std::hash`). Not cryptographic: never use
//! it to hide or sign anything.

/// A stable 64-bit hash of `parts`, each part delimited so `("ab","c")`
/// and `("a","bc")` differ.
pub fn stable_u64(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    splitmix(h)
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `n` decimal digits derived from `parts` (leading zeros kept).
pub fn digits(parts: &[&str], n: usize) -> String {
    let mut out = String::with_capacity(n);
    let mut state = stable_u64(parts);
    while out.len() < n {
        state = splitmix(state);
        // 18 digits per round keeps every digit uniform enough.
        let chunk = format!("{:018}", state % 1_000_000_000_000_000_000);
        out.push_str(&chunk[..(n - out.len()).min(18)]);
    }
    out
}

/// A number in `0..bound` derived from `parts` (`bound` 0 gives 0).
pub fn below(parts: &[&str], bound: u64) -> u64 {
    if bound == 0 {
        0
    } else {
        stable_u64(parts) % bound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_distinct() {
        assert_eq!(
            stable_u64(&["app-1/birth-certificate"]),
            stable_u64(&["app-1/birth-certificate"])
        );
        assert_ne!(stable_u64(&["ab", "c"]), stable_u64(&["a", "bc"]));
        assert_ne!(digits(&["k1"], 6), digits(&["k2"], 6));
        assert_eq!(digits(&["k"], 40).len(), 40);
        assert!(digits(&["k"], 40).bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(digits(&["k"], 0), "");
        assert!(below(&["k"], 7) < 7);
        assert_eq!(below(&["k"], 0), 0);
    }
}
