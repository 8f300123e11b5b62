//! Which places this bureau answers for: Xiamen, region code prefix
//! `3502`, and its six districts. Not a national gazetteer.

/// Region-code prefix of the households this bureau registers (Xiamen).
pub const REGION_PREFIX: &str = "3502";

/// Xiamen's districts and their region codes (GB/T 2260).
const DISTRICTS: [(&str, &str); 6] = [
    ("思明区", "350203"),
    ("海沧区", "350205"),
    ("湖里区", "350206"),
    ("集美区", "350211"),
    ("同安区", "350212"),
    ("翔安区", "350213"),
];

/// Whether a region code is one of ours.
pub fn is_local(region: &str) -> bool {
    region.starts_with(REGION_PREFIX)
}

/// The district code an address names, if it names one of ours.
pub fn district_of(address: &str) -> Option<&'static str> {
    DISTRICTS
        .iter()
        .find(|(name, _)| address.contains(name))
        .map(|(_, code)| *code)
}

/// Whether an address is in Xiamen.
pub fn is_local_address(address: &str) -> bool {
    address.contains("厦门") || district_of(address).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_xiamen() {
        assert!(is_local("350203"));
        assert!(!is_local("350102"));
        assert_eq!(district_of("福建省厦门市湖里区金山街道"), Some("350206"));
        assert!(is_local_address("厦门市某路1号"));
        assert!(!is_local_address("福州市鼓楼区"));
    }
}
