//! The application document: one applicant's instance of a bundle, in the
//! one shape used everywhere (files in examples/applications/, the input of
//! `onething run`, the body of `POST /api/applications`).
//!
//! Parsing is strict (unknown keys are refused). Turning the document into
//! typed form values and materials never fails outright: every fault
//! becomes a [`Problem`], so the applicant hears about all of them at once.
//!
//! Materials are referenced by content digest: the bytes are stored first
//! (`POST /api/materials`, or `onething run` reading the files beside the
//! document). Reading files is the edge's job, not this module's.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::bundle::Bundle;
use crate::dictionary::{Dictionary, FieldValue};
use crate::ids::{BundleId, Digest, FieldKey, MaterialCode};
use crate::problem::Problem;
use crate::text::Text;

/// A material reference in an application document.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaterialRef {
    /// The material code.
    pub code: String,
    /// A file, relative to the application file: `onething run` and
    /// `onething submit` store it and reference it by digest; the HTTP API
    /// refuses paths.
    pub path: Option<String>,
    /// The digest of an already stored material.
    pub digest: Option<String>,
    /// Its media type.
    pub media_type: Option<String>,
    /// Its size in bytes.
    pub size: Option<u64>,
}

/// An application document as written.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationDoc {
    /// The bundle applied for.
    pub bundle: BundleId,
    /// Form fields by dictionary key.
    #[serde(default)]
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// Materials supplied.
    #[serde(default)]
    pub materials: Vec<MaterialRef>,
    /// Client-chosen key making a submission safe to repeat.
    pub idempotency_key: Option<String>,
    /// The id of the prefill consent the applicant gave (from
    /// `POST /api/bundles/{id}/prefill`), recorded with the application.
    pub consent: Option<String>,
}

/// Why a document could not be read at all.
#[derive(Debug, thiserror::Error)]
#[error("application {origin}: {message}")]
pub struct DocError {
    /// The file or request.
    pub origin: String,
    /// serde_json's message (with line and column).
    pub message: String,
}

impl ApplicationDoc {
    /// Parse a document; `origin` names it in errors.
    pub fn from_json(text: &str, origin: &str) -> Result<Self, DocError> {
        serde_json::from_str(text).map_err(|e| DocError {
            origin: origin.into(),
            message: e.to_string(),
        })
    }
}

/// A material as the host holds it and records it with an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Material {
    /// Content digest.
    pub digest: Digest,
    /// Media type.
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
}

/// An application's typed contents, and every problem found reading them.
#[derive(Debug, Clone, Default)]
pub struct Contents {
    /// Form values that passed the dictionary.
    pub form: BTreeMap<FieldKey, FieldValue>,
    /// Materials that passed their checks.
    pub materials: BTreeMap<MaterialCode, Material>,
    /// Every problem.
    pub problems: Vec<Problem>,
}

/// Guess a media type from a file's first bytes.
pub fn sniff_media_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// Type and validate a document's fields and materials against the
/// dictionary and the bundle's form. Materials must be referenced by
/// digest (a path is refused: store the file first).
pub fn read_contents(doc: &ApplicationDoc, bundle: &Bundle, dict: &Dictionary) -> Contents {
    let mut out = Contents::default();
    let in_form = |key: &FieldKey| bundle.steps.iter().any(|s| s.spec.reads_key(key));
    for (name, json) in &doc.fields {
        let key = match FieldKey::parse(name) {
            Ok(k) => k,
            Err(e) => {
                out.problems.push(Problem::field(
                    name,
                    "bad-key",
                    Text::new(
                        format!("字段名 {name:?} 不符合数据字典的命名规则"),
                        e.to_string(),
                    ),
                ));
                continue;
            }
        };
        let Some(def) = dict.field(&key) else {
            out.problems.push(Problem::field(
                name,
                "unknown-field",
                Text::new(
                    format!(
                        "{key} 不在数据字典中{}",
                        dict.did_you_mean_field(key.as_str()).zh()
                    ),
                    format!(
                        "{key} is not in the data dictionary{}",
                        dict.did_you_mean_field(key.as_str())
                    ),
                ),
            ));
            continue;
        };
        if def.issued {
            out.problems.push(Problem::field(
                name,
                "issued-field",
                Text::new(
                    format!(
                        "{}（{key}）由部门核发，不能由申请人填写",
                        def.label.zh
                    ),
                    format!(
                        "{key} ({}) is issued by a department and cannot be supplied by the applicant",
                        def.label.en
                    ),
                ),
            ));
            continue;
        }
        if !in_form(&key) {
            out.problems.push(Problem::field(
                name,
                "not-in-form",
                Text::new(
                    format!(
                        "{}（{key}）不是事项 {} 所需的字段；请只填写表单中的字段",
                        def.label.zh, bundle.id
                    ),
                    format!(
                        "{key} ({}) is not asked for by bundle {}; send only the form's fields",
                        def.label.en, bundle.id
                    ),
                ),
            ));
            continue;
        }
        if json.is_null() {
            continue;
        }
        match dict.parse_json(&key, json) {
            Ok(v) => {
                out.form.insert(key, v);
            }
            Err(e) => out.problems.push(Problem::field(name, e.code, e.message)),
        }
    }
    for m in &doc.materials {
        match read_material(m, dict) {
            Ok((code, material)) => {
                if out.materials.insert(code.clone(), material).is_some() {
                    out.problems.push(Problem::material(
                        &m.code,
                        "duplicate",
                        Text::new(
                            format!("材料 {code} 提交了两次"),
                            format!("material {code} is supplied twice"),
                        ),
                    ));
                }
            }
            Err(p) => out.problems.push(*p),
        }
    }
    out
}

fn read_material(
    m: &MaterialRef,
    dict: &Dictionary,
) -> Result<(MaterialCode, Material), Box<Problem>> {
    let fail = |code: &str, msg: Text| Box::new(Problem::material(&m.code, code, msg));
    let code = MaterialCode::parse(&m.code).map_err(|e| {
        fail(
            "bad-code",
            Text::new(
                format!("材料代码 {:?} 不符合数据字典的命名规则", m.code),
                e.to_string(),
            ),
        )
    })?;
    let def = dict.material(&code).ok_or_else(|| {
        fail(
            "unknown-material",
            Text::new(
                format!(
                    "{code} 不是数据字典中的材料代码{}",
                    dict.did_you_mean_material(code.as_str()).zh()
                ),
                format!(
                    "{code} is not a material code of the data dictionary{}",
                    dict.did_you_mean_material(code.as_str())
                ),
            ),
        )
    })?;
    let material = match (&m.path, &m.digest) {
        (Some(_), None) => {
            return Err(fail(
                "path-not-allowed",
                Text::new(
                    format!("材料 {code}：请先上传，再按摘要引用"),
                    format!("material {code}: upload it first and reference it by digest"),
                ),
            ));
        }
        (None, Some(digest)) => {
            let digest = Digest::parse(digest).map_err(|e| {
                fail(
                    "bad-digest",
                    Text::new(
                        format!("材料 {code}：摘要格式无效"),
                        format!("material {code}: {e}"),
                    ),
                )
            })?;
            let (Some(media_type), Some(size)) = (&m.media_type, m.size) else {
                return Err(fail(
                    "bad-reference",
                    Text::new(
                        format!("材料 {code}：按摘要引用时须给出 media_type 和 size"),
                        format!("material {code}: a digest reference needs media_type and size"),
                    ),
                ));
            };
            Material {
                digest,
                media_type: media_type.clone(),
                size,
            }
        }
        _ => {
            return Err(fail(
                "bad-reference",
                Text::new(
                    format!("材料 {code}：请给出 path，或给出 digest 及 media_type 和 size"),
                    format!(
                        "material {code}: give either path, or digest with media_type and size"
                    ),
                ),
            ));
        }
    };
    if !def.media_types.iter().any(|t| t == &material.media_type) {
        return Err(fail(
            "wrong-media-type",
            Text::new(
                format!(
                    "{}（{code}）的格式须为 {} 之一，不能是 {}",
                    def.label.zh,
                    def.media_types.join("、"),
                    material.media_type
                ),
                format!(
                    "{} ({code}) must be one of {}, not {}",
                    def.label.en,
                    def.media_types.join(", "),
                    material.media_type
                ),
            ),
        ));
    }
    if material.size > def.max_bytes {
        return Err(fail(
            "too-large",
            Text::new(
                format!(
                    "{}（{code}）有 {} 字节，上限为 {} 字节",
                    def.label.zh, material.size, def.max_bytes
                ),
                format!(
                    "{} ({code}) is {} bytes; the limit is {}",
                    def.label.en, material.size, def.max_bytes
                ),
            ),
        ));
    }
    Ok((code, material))
}
