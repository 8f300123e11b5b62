//! Enterprise name rules (企业名称登记管理规定, 2020): an administrative
//! division, a trade name, an organisational form that fits the
//! enterprise type, no word reserved to the State Council, and not already
//! taken.
//!
//! Names are reserved in the department store under `name:<name>` with
//! the idempotency key of the application that holds them, so a retry of
//! the same application keeps its name and any other is told `name-taken`.

use onething_sdk::{Problems, StoreError, store};

/// Words a name may carry only with the State Council's approval.
const RESERVED_WORDS: [&str; 6] = ["中国", "中华", "全国", "国家", "国际", "中央"];

/// The administrative division names must carry.
pub const DIVISION: &str = "厦门";

/// Enterprise types (the dictionary's choices for `enterprise.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 有限责任公司.
    Llc,
    /// 个人独资企业.
    SoleProprietorship,
    /// 合伙企业.
    Partnership,
}

impl Kind {
    /// From the dictionary's choice code.
    pub fn from_code(code: &str) -> Option<Kind> {
        match code {
            "llc" => Some(Kind::Llc),
            "sole-proprietorship" => Some(Kind::SoleProprietorship),
            "partnership" => Some(Kind::Partnership),
            _ => None,
        }
    }
}

/// The name as reserved: surrounding and inner blanks removed.
pub fn normalise(name: &str) -> String {
    name.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The store key reserving `name`.
pub fn key(name: &str) -> String {
    format!("name:{}", normalise(name))
}

/// Every rule on the name's wording, into `p`.
pub fn check_wording(name: &str, kind: Option<Kind>, p: &mut Problems) {
    const KEY: &str = "enterprise.name";
    let name = normalise(name);
    if name.chars().count() < 6 {
        p.field(
            KEY,
            "name-too-short",
            "企业名称应由行政区划、字号、行业和组织形式组成",
        );
    }
    if let Some(word) = RESERVED_WORDS.iter().find(|w| name.contains(*w)) {
        p.field(
            KEY,
            "banned-word",
            format!("企业名称使用“{word}”等字词须经国务院批准，请修改名称"),
        );
    }
    if !name.contains(DIVISION) {
        p.field(
            KEY,
            "no-division",
            format!("企业名称应含有行政区划名称“{DIVISION}”"),
        );
    }
    let form_ok = match kind {
        Some(Kind::Llc) => name.ends_with("有限公司") || name.ends_with("有限责任公司"),
        Some(Kind::SoleProprietorship) => !name.contains("公司") && !name.contains("有限"),
        Some(Kind::Partnership) => {
            name.ends_with("（普通合伙）")
                || name.ends_with("（有限合伙）")
                || name.ends_with("合伙企业")
        }
        None => true,
    };
    if !form_ok {
        let message = match kind {
            Some(Kind::Llc) => "有限责任公司名称应以“有限公司”或“有限责任公司”结尾",
            Some(Kind::SoleProprietorship) => {
                "个人独资企业名称不得使用“有限”“有限责任”或者“公司”字样"
            }
            _ => "合伙企业名称应标明“（普通合伙）”或“（有限合伙）”",
        };
        p.field(KEY, "wrong-form", message);
    }
}

/// Who holds `name`, if anyone (read-only: for `check`).
pub fn holder(name: &str) -> Result<Option<String>, StoreError> {
    store::get_text(&key(name))
}

/// Reserve `name` for `owner`; `Ok(Some(other))` if another holds it.
pub fn reserve(name: &str, owner: &str) -> Result<Option<String>, StoreError> {
    store::reserve(&key(name), owner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(name: &str, kind: Kind) -> Vec<String> {
        let mut p = Problems::new();
        check_wording(name, Some(kind), &mut p);
        p.into_vec().into_iter().map(|p| p.code).collect()
    }

    #[test]
    fn wording_rules() {
        assert!(codes("厦门鹭岛茶业有限公司", Kind::Llc).is_empty());
        assert!(codes("鹭岛茶业（厦门）有限责任公司", Kind::Llc).is_empty());
        assert_eq!(
            codes("中国鹭岛茶业有限公司", Kind::Llc),
            ["banned-word", "no-division"]
        );
        assert_eq!(codes("厦门鹭岛茶行", Kind::Llc), ["wrong-form"]);
        assert_eq!(
            codes("厦门鹭岛茶业有限公司", Kind::SoleProprietorship),
            ["wrong-form"]
        );
        assert!(codes("厦门市思明区鹭岛茶行", Kind::SoleProprietorship).is_empty());
        assert!(codes("厦门鹭岛创业投资合伙企业（有限合伙）", Kind::Partnership).is_empty());
        assert_eq!(
            codes("厦门", Kind::Partnership),
            ["name-too-short", "wrong-form"]
        );
        assert_eq!(normalise(" 厦门 鹭岛 "), "厦门鹭岛");
        assert_eq!(Kind::from_code("llc"), Some(Kind::Llc));
        assert_eq!(Kind::from_code("gmbh"), None);
    }
}
