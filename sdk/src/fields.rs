//! Typed, read-only access to the fields and materials of a call, by
//! dictionary key and material code.
//!
//! The host already checked every value against the dictionary, so a
//! `date` field is a [`Value::Date`]; the `require_*` methods still turn
//! an absent or mistyped value into a [`Problem`] instead of a panic, so
//! nothing an applicant sends can crash a department. Money arrives as
//! [`Money`] (exact fen) and lists as [`Item`]s. Not for writing fields:
//! see [`approve`](crate::approve).
//!
//! Fields issued by an earlier step (`issued = true` in the dictionary,
//! e.g. `child.id_number`) do not exist yet when the host calls `check` on
//! a draft. [`Draft::fields`] (what `check` and `prefill` get) reads them
//! as a draft's: read issued fields with the `issued_*` methods, absent is
//! fine in a draft, and a `missing` problem when handling.

use crate::ids::{self, ResidentId};
use crate::{Date, Draft, Field, Item, Material, Money, Problem, Request, Value};

/// The fields of a call, looked up by dictionary key.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    fields: &'a [Field],
    draft: bool,
}

impl<'a> Fields<'a> {
    /// Wrap the fields of a [`Request`] (or `prefill`): everything the step
    /// reads is expected, issued fields included.
    pub fn new(fields: &'a [Field]) -> Self {
        Fields {
            fields,
            draft: false,
        }
    }

    /// Wrap the fields of a draft (`check`): fields issued by earlier
    /// steps may not exist yet, so the `issued_*` methods accept their
    /// absence.
    pub fn draft(fields: &'a [Field]) -> Self {
        Fields {
            fields,
            draft: true,
        }
    }

    /// Whether these are a draft's fields (see [`Fields::draft`]).
    pub fn is_draft(&self) -> bool {
        self.draft
    }

    fn issued<T>(
        &self,
        key: &str,
        require: impl FnOnce() -> Result<T, Problem>,
    ) -> Result<Option<T>, Problem> {
        if self.draft && !self.has(key) {
            Ok(None)
        } else {
            require().map(Some)
        }
    }

    /// A text field an earlier step issues: `Ok(None)` while absent in a
    /// draft, else as [`Fields::require_text`].
    pub fn issued_text(&self, key: &str) -> Result<Option<&'a str>, Problem> {
        self.issued(key, || self.require_text(key))
    }

    /// A resident ID number an earlier step issues (see [`Fields::issued_text`]).
    pub fn issued_resident_id(&self, key: &str) -> Result<Option<ResidentId>, Problem> {
        self.issued(key, || self.require_resident_id(key))
    }

    /// A credit code an earlier step issues (see [`Fields::issued_text`]).
    pub fn issued_uscc(&self, key: &str) -> Result<Option<&'a str>, Problem> {
        self.issued(key, || self.require_uscc(key))
    }

    /// The value under `key`, if present.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.fields.iter().find(|f| f.key == key).map(|f| &f.value)
    }

    /// Whether `key` is present.
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Every key present, in the order received.
    pub fn keys(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.fields.iter().map(|f| f.key.as_str())
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// A `text` or `choice` field, trimmed; `None` if absent, blank or of
    /// another type.
    pub fn text(&self, key: &str) -> Option<&'a str> {
        match self.get(key) {
            Some(Value::Text(t)) if !t.trim().is_empty() => Some(t.trim()),
            _ => None,
        }
    }

    /// A `date` field.
    pub fn date(&self, key: &str) -> Option<Date> {
        match self.get(key) {
            Some(Value::Date(d)) => Some(*d),
            _ => None,
        }
    }

    /// A `boolean` field.
    pub fn boolean(&self, key: &str) -> Option<bool> {
        match self.get(key) {
            Some(Value::Boolean(b)) => Some(*b),
            _ => None,
        }
    }

    /// An `integer` field.
    pub fn integer(&self, key: &str) -> Option<i64> {
        match self.get(key) {
            Some(Value::Integer(n)) => Some(*n),
            _ => None,
        }
    }

    /// A `money` field, in fen.
    pub fn money(&self, key: &str) -> Option<Money> {
        self.get(key).and_then(Value::as_money)
    }

    /// A list field's elements (empty lists included).
    pub fn items(&self, key: &str) -> Option<&'a [Item]> {
        match self.get(key) {
            Some(Value::Items(items)) => Some(items),
            _ => None,
        }
    }

    /// A list of texts (ID numbers, codes), each trimmed; `None` if absent,
    /// not a list, or holding an element that is not text.
    pub fn texts(&self, key: &str) -> Option<Vec<&'a str>> {
        self.items(key)?
            .iter()
            .map(|i| i.as_text().map(str::trim))
            .collect()
    }

    /// A list of amounts; `None` if absent, not a list, or holding an
    /// element that is not money.
    pub fn monies(&self, key: &str) -> Option<Vec<Money>> {
        self.items(key)?.iter().map(Item::as_money).collect()
    }

    /// A `decimal` field (an `integer` value is widened); `None` for NaN
    /// or infinities.
    pub fn decimal(&self, key: &str) -> Option<f64> {
        match self.get(key) {
            Some(Value::Decimal(x)) if x.is_finite() => Some(*x),
            Some(Value::Integer(n)) => Some(*n as f64),
            _ => None,
        }
    }

    fn required<T>(&self, key: &str, expected: &str, typed: Option<T>) -> Result<T, Problem> {
        match (typed, self.get(key)) {
            (Some(v), _) => Ok(v),
            (None, None) => Err(missing(key)),
            (None, Some(Value::Text(t))) if t.trim().is_empty() => Err(missing(key)),
            (None, Some(other)) => Err(Problem::field(
                key,
                "wrong-type",
                format!("{key} 应为 {expected} 类型，收到 {}", other.type_name()),
                format!(
                    "{key} should be of type {expected}, not {}",
                    other.type_name()
                ),
            )),
        }
    }

    /// A required `text`/`choice` field, or a `missing` / `wrong-type` problem.
    pub fn require_text(&self, key: &str) -> Result<&'a str, Problem> {
        self.required(key, "text", self.text(key))
    }

    /// A required `date` field, or a `missing` / `wrong-type` problem.
    pub fn require_date(&self, key: &str) -> Result<Date, Problem> {
        self.required(key, "date", self.date(key))
    }

    /// A required `boolean` field, or a `missing` / `wrong-type` problem.
    pub fn require_boolean(&self, key: &str) -> Result<bool, Problem> {
        self.required(key, "boolean", self.boolean(key))
    }

    /// A required `integer` field, or a `missing` / `wrong-type` problem.
    pub fn require_integer(&self, key: &str) -> Result<i64, Problem> {
        self.required(key, "integer", self.integer(key))
    }

    /// A required `decimal` field, or a `missing` / `wrong-type` problem.
    pub fn require_decimal(&self, key: &str) -> Result<f64, Problem> {
        self.required(key, "decimal", self.decimal(key))
    }

    /// A required `money` field, or a `missing` / `wrong-type` problem.
    pub fn require_money(&self, key: &str) -> Result<Money, Problem> {
        self.required(key, "money", self.money(key))
    }

    /// A required list field (it may be empty), or a `missing` /
    /// `wrong-type` problem.
    pub fn require_items(&self, key: &str) -> Result<&'a [Item], Problem> {
        self.required(key, "items", self.items(key))
    }

    /// A required list of texts, or a `missing` / `wrong-type` problem
    /// (also when an element is not text).
    pub fn require_texts(&self, key: &str) -> Result<Vec<&'a str>, Problem> {
        self.required(key, "items of text", self.texts(key))
    }
}

impl<'a> Fields<'a> {
    /// An optional resident ID number field: `None` if absent, else the
    /// parsed number or a problem whose code is the [`ids::IdError`] code
    /// (`bad-check-digit`, …; see [`ids::codes`]), the code the host's
    /// dictionary gives the same text.
    pub fn resident_id(&self, key: &str) -> Option<Result<ResidentId, Problem>> {
        self.text(key).map(|t| parse_resident_id(key, t))
    }

    /// A required resident ID number field, parsed, or its problem.
    pub fn require_resident_id(&self, key: &str) -> Result<ResidentId, Problem> {
        self.require_text(key)
            .and_then(|t| parse_resident_id(key, t))
    }

    /// A required unified social credit code field, verified, or its problem.
    pub fn require_uscc(&self, key: &str) -> Result<&'a str, Problem> {
        let code = self.require_text(key)?;
        ids::validate_uscc(code)
            .map(|()| code)
            .map_err(|e| id_problem(key, ("统一社会信用代码", "unified social credit code"), &e))
    }

    /// A required bank card number field, verified (12 to 19 digits, Luhn),
    /// or its problem (`bad-card-number`, `bad-check-digit`).
    pub fn require_bank_card(&self, key: &str) -> Result<&'a str, Problem> {
        let card = self.require_text(key)?;
        ids::validate_bank_card(card)
            .map(|()| card)
            .map_err(|e| id_problem(key, ("银行卡号", "bank card number"), &e))
    }
}

/// A field problem with the identifier error's code and message; `what`
/// names the identifier in Chinese and English.
fn id_problem(key: &str, what: (&str, &str), e: &ids::IdError) -> Problem {
    Problem::field(
        key,
        e.code(),
        format!("{}有误：{}（{key}）", what.0, e.message_zh()),
        format!("The {} is not valid: {e} ({key})", what.1),
    )
}

fn parse_resident_id(key: &str, text: &str) -> Result<ResidentId, Problem> {
    ResidentId::parse(text).map_err(|e| id_problem(key, ("公民身份号码", "resident ID number"), &e))
}

fn missing(key: &str) -> Problem {
    Problem::field(
        key,
        "missing",
        format!("请填写 {key}"),
        format!("Please fill in {key}: it is required"),
    )
}

/// The materials of a call, looked up by material code.
#[derive(Debug, Clone, Copy)]
pub struct Materials<'a> {
    materials: &'a [Material],
}

impl<'a> Materials<'a> {
    /// Wrap a list of materials.
    pub fn new(materials: &'a [Material]) -> Self {
        Materials { materials }
    }

    /// The material with `code`, if supplied.
    pub fn get(&self, code: &str) -> Option<&'a Material> {
        self.materials.iter().find(|m| m.code == code)
    }

    /// Whether the material with `code` was supplied.
    pub fn has(&self, code: &str) -> bool {
        self.get(code).is_some()
    }

    /// A required material, or a `missing` problem about it.
    pub fn require(&self, code: &str) -> Result<&'a Material, Problem> {
        self.get(code).ok_or_else(|| {
            Problem::material(
                code,
                "missing",
                format!("请提交材料 {code}"),
                format!("Please supply the material {code}: it is required"),
            )
        })
    }
}

impl Draft {
    /// The draft's fields, by dictionary key, read as a draft's (see
    /// [`Fields::draft`]: issued fields may be absent).
    pub fn fields(&self) -> Fields<'_> {
        Fields::draft(&self.fields)
    }

    /// The draft's materials, by material code.
    pub fn materials(&self) -> Materials<'_> {
        Materials::new(&self.materials)
    }

    /// The application the draft belongs to, if it has one yet.
    pub fn application(&self) -> Option<&str> {
        self.application.as_deref()
    }
}

impl Request {
    /// This request's fields, by dictionary key.
    pub fn fields(&self) -> Fields<'_> {
        Fields::new(&self.fields)
    }

    /// This request's materials, by material code.
    pub fn materials(&self) -> Materials<'_> {
        Materials::new(&self.materials)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(key: &str, value: Value) -> Field {
        Field {
            key: key.into(),
            value,
        }
    }

    #[test]
    fn typed_access() {
        let d = Date {
            year: 2026,
            month: 10,
            day: 20,
        };
        let list = vec![
            field("child.name", " 林安然 ".into()),
            field("child.birth_date", d.into()),
            field("mother.insured", true.into()),
            field("enterprise.employee_count", 12i64.into()),
            field("enterprise.registered_capital", 50.5.into()),
            field("blank.text", "  ".into()),
        ];
        let f = Fields::new(&list);
        assert_eq!(f.text("child.name"), Some("林安然"));
        assert_eq!(f.date("child.birth_date"), Some(d));
        assert_eq!(f.boolean("mother.insured"), Some(true));
        assert_eq!(f.integer("enterprise.employee_count"), Some(12));
        assert_eq!(f.decimal("enterprise.employee_count"), Some(12.0));
        assert_eq!(f.decimal("enterprise.registered_capital"), Some(50.5));
        assert_eq!(f.text("blank.text"), None);
        assert_eq!(f.text("child.birth_date"), None);
        assert_eq!(f.len(), 6);
        assert!(f.has("blank.text"));
        assert_eq!(f.keys().next(), Some("child.name"));
    }

    #[test]
    fn money_and_lists() {
        let list = vec![
            field("fee", Value::Money(1_234_567)),
            field("children", Value::items(["350206202610200021 ", "B"])),
            field(
                "fees",
                Value::items([Money::from_fen(1), Money::from_fen(2)]),
            ),
            field(
                "mixed",
                Value::Items(vec![Item::Text("a".into()), Item::Integer(1)]),
            ),
            field("empty", Value::Items(Vec::new())),
        ];
        let f = Fields::new(&list);
        assert_eq!(
            f.money("fee").map(|m| m.to_string()).as_deref(),
            Some("12345.67")
        );
        assert_eq!(f.require_money("fee"), Ok(Money::from_fen(1_234_567)));
        assert_eq!(f.texts("children"), Some(vec!["350206202610200021", "B"]));
        assert_eq!(f.monies("fees").map(|m| m.len()), Some(2));
        assert_eq!(f.texts("mixed"), None);
        assert_eq!(f.items("mixed").map(<[Item]>::len), Some(2));
        assert_eq!(f.require_items("empty").map(<[Item]>::len), Ok(0));
        assert_eq!(f.require_texts("empty"), Ok(Vec::new()));
        assert_eq!(
            f.require_texts("mixed").err().map(|p| p.code),
            Some("wrong-type".into())
        );
        assert_eq!(
            f.require_money("children").err().map(|p| p.message.en),
            Some("children should be of type money, not items".into())
        );
        assert_eq!(f.money("children"), None);
        assert_eq!(
            f.require_items("nothing").err().map(|p| p.code),
            Some("missing".into())
        );
    }

    #[test]
    fn drafts_read_as_drafts() {
        let draft = Draft {
            application: Some("app-1".into()),
            step: "s".into(),
            fields: vec![field("child.name", "林安然".into())],
            materials: Vec::new(),
        };
        assert!(draft.fields().is_draft());
        assert_eq!(draft.fields().text("child.name"), Some("林安然"));
        assert_eq!(draft.application(), Some("app-1"));
        assert!(!draft.materials().has("x"));
    }

    #[test]
    fn required_access_reports_problems() {
        let list = vec![
            field("child.birth_date", "2026-10-20".into()),
            field("blank.text", "".into()),
        ];
        let f = Fields::new(&list);
        let missing = f.require_text("child.name").err();
        assert_eq!(missing.as_ref().map(|p| p.code.as_str()), Some("missing"));
        assert_eq!(
            missing.as_ref().and_then(|p| p.field_key()),
            Some("child.name")
        );
        assert_eq!(
            f.require_text("blank.text").err().map(|p| p.code),
            Some("missing".into())
        );
        assert_eq!(
            f.require_date("child.birth_date").err().map(|p| p.code),
            Some("wrong-type".into())
        );
        assert_eq!(
            f.require_decimal("x.y").err().map(|p| p.code),
            Some("missing".into())
        );
        let nan = vec![field("a.b", f64::NAN.into())];
        assert!(Fields::new(&nan).decimal("a.b").is_none());
    }

    #[test]
    fn coded_identifiers() {
        let list = vec![
            field("mother.id_number", "11010519491231002X".into()),
            field("father.id_number", "110105194912310021".into()),
            field("enterprise.uscc", "9144030071526726XG".into()),
            field("bad.uscc", "9144030071526726XH".into()),
            field("lower.id_number", "11010519491231002x".into()),
            field("old.id_number", "110105189912310023".into()),
            field("lower.uscc", "9144030071526726xg".into()),
            field("good.card", "4111111111111111".into()),
            field("bad.card", "4111111111111112".into()),
            field("short.card", "41111".into()),
        ];
        let f = Fields::new(&list);
        assert!(f.require_resident_id("mother.id_number").is_ok());
        let lower = f.require_resident_id("lower.id_number").err();
        assert_eq!(
            lower.as_ref().map(|p| p.code.as_str()),
            Some("bad-characters")
        );
        assert_eq!(
            lower.as_ref().and_then(|p| p.field_key()),
            Some("lower.id_number")
        );
        assert!(
            lower.is_some_and(|p| p.message.en.contains("capital X")),
            "the message asks for a capital X"
        );
        assert_eq!(
            f.require_resident_id("old.id_number").err().map(|p| p.code),
            Some("bad-birth-date".into())
        );
        assert_eq!(
            f.require_uscc("lower.uscc").err().map(|p| p.code),
            Some("bad-characters".into())
        );
        assert_eq!(f.require_bank_card("good.card"), Ok("4111111111111111"));
        assert_eq!(
            f.require_bank_card("bad.card").err().map(|p| p.code),
            Some("bad-check-digit".into())
        );
        assert_eq!(
            f.require_bank_card("short.card").err().map(|p| p.code),
            Some("bad-card-number".into())
        );
        assert_eq!(
            f.require_bank_card("x.y").err().map(|p| p.code),
            Some("missing".into())
        );
        let bad = f.resident_id("father.id_number").and_then(Result::err);
        assert_eq!(bad.map(|p| p.code), Some("bad-check-digit".into()));
        assert!(f.resident_id("x.y").is_none());
        assert_eq!(
            f.require_resident_id("x.y").err().map(|p| p.code),
            Some("missing".into())
        );
        assert_eq!(f.require_uscc("enterprise.uscc"), Ok("9144030071526726XG"));
        assert_eq!(
            f.require_uscc("bad.uscc").err().map(|p| p.code),
            Some("bad-check-digit".into())
        );
    }

    #[test]
    fn issued_fields_may_be_absent_only_in_a_draft() {
        let list = vec![field("child.id_number", "11010519491231002X".into())];
        let draft = Fields::draft(&list);
        assert!(draft.is_draft());
        assert_eq!(draft.issued_text("child.hukou_number"), Ok(None));
        assert!(
            draft
                .issued_resident_id("child.id_number")
                .is_ok_and(|id| id.is_some())
        );
        assert_eq!(draft.issued_uscc("enterprise.uscc"), Ok(None));
        let full = Fields::new(&list);
        assert_eq!(
            full.issued_text("child.hukou_number").err().map(|p| p.code),
            Some("missing".into())
        );
        assert_eq!(
            full.issued_uscc("child.id_number").err().map(|p| p.code),
            Some("bad-region".into())
        );
    }

    #[test]
    fn materials_by_code() {
        let list = vec![Material {
            code: "marriage-certificate".into(),
            digest: format!("sha256:{}", "0".repeat(64)),
            media_type: "application/pdf".into(),
            size: 10,
        }];
        let m = Materials::new(&list);
        assert!(m.has("marriage-certificate"));
        assert!(m.require("marriage-certificate").is_ok());
        let p = m.require("premises-proof").err();
        assert_eq!(
            p.as_ref().and_then(|p| p.material_code()),
            Some("premises-proof")
        );
        assert_eq!(p.map(|p| p.code), Some("missing".into()));
    }
}
