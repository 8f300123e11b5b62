//! Enterprise name rules (企业名称登记管理规定, 2020): an administrative
//! division, a trade name, an organisational form that fits the
//! enterprise type, no word reserved to the State Council, and not already
//! taken.
//!
//! Names are looked up and reserved in the enterprise-name registry
//! (`GET {base_url}/names/{name}`, `POST {base_url}/reservations`), held
//! by the id of the application that reserved them: a retry or a
//! correction of the same application keeps its name, and any other is
//! told `name-taken`. The registry's prefix is the configuration value
//! `base_url`; the host adds its credential.

use onething_sdk::{Problems, StepError, config, http};
use serde::Deserialize;

use crate::DEPARTMENT;

/// The configuration key holding the name registry's prefix
/// (`http://…/enterprise-names/v1`).
pub const BASE_URL: &str = "base_url";

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

/// Every rule on the name's wording, into `p`.
pub fn check_wording(name: &str, kind: Option<Kind>, p: &mut Problems) {
    const KEY: &str = "enterprise.name";
    let name = normalise(name);
    if name.chars().count() < 6 {
        p.field(
            KEY,
            "name-too-short",
            "企业名称应由行政区划、字号、行业和组织形式组成",
            "An enterprise name is made of a division, a trade name, a trade and an organisational form",
        );
    }
    if let Some(word) = RESERVED_WORDS.iter().find(|w| name.contains(*w)) {
        p.field(
            KEY,
            "banned-word",
            format!("企业名称使用“{word}”等字词须经国务院批准，请修改名称"),
            format!(
                "A name using words such as “{word}” needs the State Council's approval; please change the name"
            ),
        );
    }
    if !name.contains(DIVISION) {
        p.field(
            KEY,
            "no-division",
            format!("企业名称应含有行政区划名称“{DIVISION}”"),
            format!("The name must include the administrative division “{DIVISION}” (Xiamen)"),
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
        let (zh, en) = match kind {
            Some(Kind::Llc) => (
                "有限责任公司名称应以“有限公司”或“有限责任公司”结尾",
                "A limited liability company's name must end in “有限公司” or “有限责任公司”",
            ),
            Some(Kind::SoleProprietorship) => (
                "个人独资企业名称不得使用“有限”“有限责任”或者“公司”字样",
                "A sole proprietorship's name may not use “有限”, “有限责任” or “公司”",
            ),
            _ => (
                "合伙企业名称应标明“（普通合伙）”或“（有限合伙）”",
                "A partnership's name must say “（普通合伙）” or “（有限合伙）”",
            ),
        };
        p.field(KEY, "wrong-form", zh, en);
    }
}

/// The registry's prefix, or the permanent error naming the key.
fn base() -> Result<String, StepError> {
    Ok(config::require_for(DEPARTMENT, BASE_URL)?
        .trim_end_matches('/')
        .to_owned())
}

/// Who holds `name` in the registry, if anyone but `application`
/// (read-only: for `check`, and for `handle` when the application is
/// faulty).
pub fn other_holder(name: &str, application: Option<&str>) -> Result<Option<String>, StepError> {
    #[derive(Deserialize)]
    struct Status {
        status: String,
        #[serde(default)]
        holder: Option<String>,
    }
    let url = format!("{}/names/{}", base()?, http::path_segment(&normalise(name)));
    let status: Status = http::get(url).send_json()?;
    Ok(match status.holder {
        Some(holder) if status.status == "reserved" && Some(holder.as_str()) != application => {
            Some(holder)
        }
        _ => None,
    })
}

/// Reserve `name` for `application`; `Ok(Some(other))` with the holder if
/// another holds it (409 `name-taken`). Reserving a name the application
/// holds already is fine (the registry answers 200).
pub fn reserve(name: &str, application: &str) -> Result<Option<String>, StepError> {
    let response = http::post_json(
        format!("{}/reservations", base()?),
        &serde_json::json!({"name": normalise(name), "holder": application}),
    )
    .send()?;
    if response.status() == 409
        && let Some(problem) = response.problem().filter(|p| p.code() == "name-taken")
    {
        return Ok(Some(
            problem
                .text("holder")
                .unwrap_or("another applicant")
                .to_owned(),
        ));
    }
    response.error_for_status()?;
    Ok(None)
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
