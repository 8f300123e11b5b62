//! The shared test vectors (`sdk/vectors/shared.json`): what the Rust SDK
//! answers for identifiers, the hashing behind issued numbers, the field
//! helpers' problem codes, money and dates, written down so the Python
//! and JavaScript SDKs are held to the same answers by their own tests.
//!
//! This test computes every vector from the Rust SDK and fails when the
//! checked-in file differs, so the file cannot drift from the SDK. After
//! a deliberate change, write it again with
//! `ONETHING_BLESS=1 cargo test -p onething-sdk --test shared_vectors`.

use onething_idcodes::vectors::VECTORS;
use onething_sdk::{Date, Field, Fields, Item, Money, MoneyError, Problem, Value, hash, ids};
use serde_json::{Value as Json, json};

const KEY: &str = "vector.value";
const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/shared.json");

fn date(y: i32, m: u8, d: u8) -> Date {
    Date::from_ymd(y, m, d).expect("a valid date in the vectors")
}

fn date_json(d: Date) -> Json {
    json!(d.to_string())
}

/// A value as the vectors write it: `{"text": "…"}`, `{"money": 1234}`,
/// `{"date": "2026-11-28"}`, `{"items": [ … ]}`.
fn value_json(v: &Value) -> Json {
    match v {
        Value::Text(t) => json!({"text": t}),
        Value::Integer(n) => json!({"integer": n}),
        Value::Money(f) => json!({"money": f}),
        Value::Decimal(x) => json!({"decimal": x}),
        Value::Boolean(b) => json!({"boolean": b}),
        Value::Date(d) => json!({"date": date_json(*d)}),
        Value::Items(items) => json!({"items": items.iter().map(item_json).collect::<Vec<_>>()}),
    }
}

fn item_json(i: &Item) -> Json {
    match i {
        Item::Text(t) => json!({"text": t}),
        Item::Integer(n) => json!({"integer": n}),
        Item::Money(f) => json!({"money": f}),
        Item::Decimal(x) => json!({"decimal": x}),
        Item::Boolean(b) => json!({"boolean": b}),
        Item::Date(d) => json!({"date": date_json(*d)}),
    }
}

fn ids() -> Json {
    let verdicts: Vec<Json> = VECTORS
        .iter()
        .map(|v| {
            json!({
                "kind": v.kind.format_name(),
                "input": v.input,
                "expected": v.expected,
                "about": v.about,
            })
        })
        .collect();
    let check_chars: Vec<Json> = [
        ("resident-id", "11010519491231002"),
        ("resident-id", "35020620261020002"),
        ("uscc", "91350100M000100Y4"),
        ("uscc", "91350206MA2Y3K5P9"),
        ("uscc", "9135020O"),
        ("org-code", "MA2Y3K5P"),
        ("org-code", "D2143569"),
    ]
    .into_iter()
    .map(|(kind, body)| {
        let check = match kind {
            "resident-id" => ids::resident_id_check_char(body),
            "uscc" => ids::uscc_check_char(body),
            _ => ids::org_code_check_char(body),
        };
        json!({"kind": kind, "body": body, "check": check.map(String::from)})
    })
    .collect();
    let parsed: Vec<Json> = VECTORS
        .iter()
        .filter(|v| v.kind.format_name() == "resident-id" && v.expected.is_none())
        .filter_map(|v| ids::ResidentId::parse(v.input).ok())
        .map(|id| {
            json!({
                "input": id.as_str(),
                "region": id.region(),
                "birth_date": date_json(id.birth_date()),
                "sequence": id.sequence(),
                "sex": match id.sex() { ids::Sex::Male => "male", ids::Sex::Female => "female" },
            })
        })
        .collect();
    let built: Vec<Json> = [
        ("350206", date(2026, 10, 20), 2u16),
        ("110105", date(1949, 12, 31), 1),
        ("350203", date(2000, 2, 29), 999),
    ]
    .into_iter()
    .map(|(region, birth, sequence)| {
        let id = ids::ResidentId::build(region, birth, sequence).map(|id| id.as_str().to_owned());
        json!({"region": region, "birth_date": date_json(birth), "sequence": sequence,
               "result": id.as_ref().ok(), "error": id.as_ref().err().map(|e| e.code())})
    })
    .collect();
    let usccs: Vec<Json> = [
        ('9', '1', "350206", "MA2Y3K5P"),
        ('9', '2', "350100", "00000001"),
        ('9', '1', "35020", "MA2Y3K5P"),
    ]
    .into_iter()
    .map(|(authority, kind, region, body)| {
        let built = ids::build_uscc(authority, kind, region, body);
        json!({"authority": authority.to_string(), "kind": kind.to_string(), "region": region,
               "body": body, "result": built.as_ref().ok(), "error": built.as_ref().err().map(|e| e.code())})
    })
    .collect();
    json!({"verdicts": verdicts, "check_chars": check_chars, "resident_ids": parsed,
           "built_resident_ids": built, "built_usccs": usccs})
}

/// Part lists the hashing vectors cover: an idempotency key, several
/// parts, the empty list, an empty part, Chinese text.
fn part_lists() -> Vec<Vec<&'static str>> {
    vec![
        vec!["app-1/birth-certificate"],
        vec!["app-2/birth-certificate"],
        vec!["ab", "c"],
        vec!["a", "bc"],
        vec![],
        vec![""],
        vec!["厦门鹭岛茶业有限公司", "3502"],
        vec!["app-7f3c/enterprise-registration", "uscc", "1"],
    ]
}

fn hashing() -> Json {
    let mut stable = Vec::new();
    let mut digits = Vec::new();
    let mut below = Vec::new();
    for parts in part_lists() {
        stable.push(json!({"parts": parts, "value": hash::stable_u64(&parts).to_string()}));
        for n in [0usize, 1, 6, 18, 19, 40] {
            digits.push(json!({"parts": parts, "n": n, "value": hash::digits(&parts, n)}));
        }
        for bound in [0u64, 1, 7, 1000, 1 << 40, u64::MAX] {
            below.push(json!({"parts": parts, "bound": bound.to_string(),
                              "value": hash::below(&parts, bound).to_string()}));
        }
    }
    json!({"stable_u64": stable, "digits": digits, "below": below})
}

/// What a field helper answers: `{"ok": value}` or `{"problem": code}`.
fn answer<T>(r: Result<T, Problem>, ok: impl FnOnce(T) -> Json) -> Json {
    match r {
        Ok(v) => json!({"ok": ok(v)}),
        Err(p) => {
            assert_eq!(p.field_key(), Some(KEY), "{p:?}");
            json!({"problem": p.code})
        }
    }
}

fn helper(name: &str, f: &Fields<'_>) -> Json {
    match name {
        "require_text" => answer(f.require_text(KEY), |t| json!(t)),
        "require_integer" => answer(f.require_integer(KEY), |n| json!(n)),
        "require_money" => answer(f.require_money(KEY), |m| json!(m.fen())),
        "require_decimal" => answer(f.require_decimal(KEY), |x| json!(x)),
        "require_boolean" => answer(f.require_boolean(KEY), |b| json!(b)),
        "require_date" => answer(f.require_date(KEY), date_json),
        "require_items" => answer(f.require_items(KEY), |i| {
            json!(i.iter().map(item_json).collect::<Vec<_>>())
        }),
        "require_texts" => answer(f.require_texts(KEY), |t| json!(t)),
        "require_uscc" => answer(f.require_uscc(KEY), |t| json!(t)),
        "require_bank_card" => answer(f.require_bank_card(KEY), |t| json!(t)),
        "require_resident_id" => answer(f.require_resident_id(KEY), |id| json!(id.as_str())),
        "issued_uscc" => answer(f.issued_uscc(KEY), |t| json!(t)),
        "issued_text" => answer(f.issued_text(KEY), |t| json!(t)),
        other => panic!("no helper {other}"),
    }
}

const HELPERS: [&str; 13] = [
    "require_text",
    "require_integer",
    "require_money",
    "require_decimal",
    "require_boolean",
    "require_date",
    "require_items",
    "require_texts",
    "require_uscc",
    "require_bank_card",
    "require_resident_id",
    "issued_uscc",
    "issued_text",
];

fn fields() -> Json {
    let values: Vec<Option<Value>> = vec![
        None,
        Some(Value::Text(String::new())),
        Some(Value::Text("   ".into())),
        Some(Value::Text("厦门鹭岛茶业有限公司".into())),
        Some(Value::Text("91350100M000100Y43".into())),
        Some(Value::Text("91350100M000100Y44".into())),
        Some(Value::Text("11010519491231002X".into())),
        Some(Value::Text("6222020200112233445".into())),
        Some(Value::Integer(8)),
        Some(Value::Integer(0)),
        Some(Value::Money(1_234_567)),
        Some(Value::Decimal(2.5)),
        Some(Value::Boolean(true)),
        Some(Value::Date(date(2026, 11, 28))),
        Some(Value::Items(vec![
            Item::Text("A".into()),
            Item::Text("B".into()),
        ])),
        Some(Value::Items(vec![Item::Text("A".into()), Item::Integer(1)])),
        Some(Value::Items(Vec::new())),
    ];
    let mut out = Vec::new();
    for value in &values {
        let list: Vec<Field> = value
            .iter()
            .map(|v| Field {
                key: KEY.into(),
                value: v.clone(),
            })
            .collect();
        for draft in [false, true] {
            let f = if draft {
                Fields::draft(&list)
            } else {
                Fields::new(&list)
            };
            let answers: serde_json::Map<String, Json> = HELPERS
                .iter()
                .filter(|h| draft == h.starts_with("issued_"))
                .map(|h| ((*h).to_owned(), helper(h, &f)))
                .collect();
            if draft && value.is_some() {
                // The issued helpers answer a present value in a draft as
                // outside one: only absence differs.
                continue;
            }
            out.push(json!({"key": KEY, "value": value.as_ref().map(value_json),
                            "draft": draft, "answers": answers}));
        }
    }
    json!(out)
}

fn money() -> Json {
    let parsed: Vec<Json> = [
        "12345.67",
        "12345.6",
        "12345",
        "-3.50",
        "+7",
        "12,345.67",
        " 8.00 ",
        "",
        "   ",
        "abc",
        "1.",
        ".5",
        "1.2.3",
        "0.001",
        "92233720368547758.07",
        "92233720368547758.08",
        "1e5",
        "１２",
    ]
    .into_iter()
    .map(|text| match Money::from_yuan(text) {
        Ok(m) => json!({"yuan": text, "fen": m.fen()}),
        Err(e) => json!({"yuan": text, "error": match e {
            MoneyError::Empty => "empty",
            MoneyError::Malformed(_) => "malformed",
            MoneyError::TooPrecise(_) => "too-precise",
            MoneyError::TooLarge(_) => "too-large",
        }}),
    })
    .collect();
    let shown: Vec<Json> = [
        0i64,
        5,
        -5,
        100,
        1_234_567,
        -1_234_567,
        i64::MAX,
        i64::MIN + 1,
    ]
    .into_iter()
    .map(|fen| json!({"fen": fen.to_string(), "text": Money::from_fen(fen).to_string()}))
    .collect();
    json!({"from_yuan": parsed, "display": shown})
}

fn dates() -> Json {
    let start = [
        date(2026, 8, 31),
        date(2024, 2, 29),
        date(2026, 1, 1),
        date(1970, 1, 1),
        date(1949, 12, 31),
    ];
    let mut add_months = Vec::new();
    let mut add_days = Vec::new();
    for d in start {
        for months in [-13, -1, 0, 1, 6, 12, 18] {
            add_months.push(json!({"date": date_json(d), "months": months,
                                   "result": date_json(d.add_months(months))}));
        }
        for days in [-366i64, -1, 0, 1, 30, 365, 10_000] {
            add_days.push(json!({"date": date_json(d), "days": days,
                                 "result": date_json(d.add_days(days))}));
        }
    }
    let ages: Vec<Json> = [
        (date(2020, 2, 29), date(2026, 2, 28)),
        (date(2020, 2, 29), date(2026, 3, 1)),
        (date(1966, 11, 28), date(2026, 11, 28)),
        (date(1966, 11, 29), date(2026, 11, 28)),
        (date(2026, 10, 20), date(2026, 11, 28)),
    ]
    .into_iter()
    .map(|(birth, on)| {
        json!({"birth": date_json(birth), "on": date_json(on),
               "years": birth.years_until(&on), "days": birth.days_until(&on)})
    })
    .collect();
    let parsed: Vec<Json> = [
        "2026-11-28",
        "2026-02-29",
        "2024-02-29",
        "20261128",
        "2026-1-5",
        "",
    ]
    .into_iter()
    .map(|t| json!({"text": t, "date": Date::parse(t).map(date_json)}))
    .collect();
    json!({"add_months": add_months, "add_days": add_days, "ages": ages, "parse": parsed})
}

fn problems() -> Json {
    let unknown = Problem::unknown_step("no-such-step");
    json!({
        "id_codes": ids::codes::ALL,
        "unknown_step": {"step": "no-such-step", "code": unknown.code,
                         "subject": "general"},
    })
}

fn generate() -> Json {
    json!({
        "about": "Shared test vectors of the OneThing SDKs, generated from the Rust SDK \
                  by sdk/tests/shared_vectors.rs; do not edit by hand. Regenerate with \
                  ONETHING_BLESS=1 cargo test -p onething-sdk --test shared_vectors.",
        "ids": ids(),
        "hash": hashing(),
        "fields": fields(),
        "money": money(),
        "dates": dates(),
        "problems": problems(),
    })
}

#[test]
fn the_checked_in_vectors_are_what_the_rust_sdk_answers() {
    let text = format!(
        "{}\n",
        serde_json::to_string_pretty(&generate()).expect("JSON")
    );
    if std::env::var_os("ONETHING_BLESS").is_some() {
        std::fs::create_dir_all(std::path::Path::new(FILE).parent().expect("parent"))
            .expect("vectors dir");
        std::fs::write(FILE, &text).expect("writing the vectors");
        return;
    }
    let current = std::fs::read_to_string(FILE).unwrap_or_default();
    assert!(
        current == text,
        "{FILE} is not what the Rust SDK answers: regenerate it with \
         ONETHING_BLESS=1 cargo test -p onething-sdk --test shared_vectors, \
         then see the Python and JavaScript SDKs pass"
    );
}
