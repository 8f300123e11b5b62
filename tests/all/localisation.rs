//! The one notification in the applicant's language, through the real
//! binary: the newborn bundle's form (the notification of everything
//! needed) and a faulty draft's check (every problem at once, the
//! dictionary's and the departments') come back wholly in Chinese for
//! `Accept-Language: zh-CN` (and with no header) and wholly in English for
//! `en`, labels, purposes, legal bases and the host's own words included.

use reqwest::header::{ACCEPT_LANGUAGE, CONTENT_LANGUAGE};
use serde_json::Value;

use crate::support::{Site, client_with, token_of};

/// The words a Chinese text may hold in Latin letters: units and the
/// names of standards and methods, which Chinese writes so too.
const LATIN_IN_CHINESE: &[&str] = &["KiB", "GB", "Luhn", "POST", "YYYYMMDD"];

/// Whether a token is an identifier shown as it is (a key, a code, a step,
/// a media type, a path, a setting), not a word of prose.
fn is_identifier(token: &str) -> bool {
    token
        .chars()
        .any(|c| ".-_/:@=?".contains(c) || c.is_ascii_digit())
}

/// The words of Latin letters in a Chinese text that are prose: English
/// left in it.
fn english_in(text: &str) -> Vec<String> {
    // What is in brackets is a key or a code.
    let mut prose = String::new();
    let mut depth = 0;
    for c in text.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => prose.push(c),
            _ => {}
        }
    }
    prose
        .split(|c: char| !(c.is_ascii_alphanumeric() || ".-_/:@=?".contains(c)))
        .filter(|t| t.chars().filter(char::is_ascii_alphabetic).count() >= 2)
        .filter(|t| !is_identifier(t) && !LATIN_IN_CHINESE.contains(t))
        .map(str::to_owned)
        .collect()
}

fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

async fn get(client: &reqwest::Client, url: &str, lang: Option<&str>) -> (Option<String>, Value) {
    let mut r = client.get(url);
    if let Some(lang) = lang {
        r = r.header(ACCEPT_LANGUAGE, lang);
    }
    let r = r.send().await.expect("get");
    assert_eq!(r.status(), 200, "{url}");
    let language = r
        .headers()
        .get(CONTENT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (language, r.json().await.expect("json"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_one_notification_comes_back_wholly_in_chinese_and_wholly_in_english() {
    let site = Site::new();
    let server = site.start();
    // The father applies: he is one of the persons the bundle is for.
    let father = client_with(&token_of("350206198811230519"));
    let form = server.url("/api/bundles/newborn/form");

    let (language, zh) = get(&father, &form, Some("zh-CN,zh;q=0.9,en;q=0.5")).await;
    assert_eq!(language.as_deref(), Some("zh-CN"));
    let notification = zh["notification"].as_str().expect("notification");
    assert!(notification.contains("填写事项"), "{notification}");
    assert!(
        english_in(notification).is_empty(),
        "English in the Chinese notification: {:?}\n{notification}",
        english_in(notification)
    );
    assert_eq!(
        zh["schema"]["properties"]["child.name"]["title"],
        "新生儿姓名"
    );
    // Every text in the answer is one string, in Chinese.
    let needed_by = &zh["schema"]["properties"]["mother.id_number"]["x-needed-by"][0];
    assert!(
        has_chinese(needed_by["purpose"].as_str().expect("purpose")),
        "{needed_by:#}"
    );
    assert!(
        has_chinese(needed_by["legal_basis"].as_str().expect("basis")),
        "{needed_by:#}"
    );

    let (language, en) = get(&father, &form, Some("en-GB,en;q=0.9")).await;
    assert_eq!(language.as_deref(), Some("en"));
    let notification = en["notification"].as_str().expect("notification");
    assert!(notification.contains("Fields"), "{notification}");
    assert!(
        !has_chinese(&en.to_string()),
        "Chinese in the English form: {en:#}"
    );

    // No header (the tests' client asks for English; a bare request
    // does not): Chinese, the default.
    let bare = reqwest::Client::new();
    let token = token_of("350206198811230519");
    let r = bare
        .get(&form)
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    assert_eq!(
        r.headers()
            .get(CONTENT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
        Some("zh-CN")
    );

    // A draft with every kind of problem: a bad check digit (a bank
    // card), missing fields and materials, a material not uploaded, a
    // department's own findings (a birth six months ago or more).
    let mut draft: Value = serde_json::from_str(
        &std::fs::read_to_string(
            crate::support::repo().join("examples/applications/newborn-needs-more.json"),
        )
        .expect("the sample"),
    )
    .expect("json");
    // The mother's ID right (while a person's ID is mistyped no
    // department is asked), so the departments' own findings join in.
    draft["fields"]["mother.id_number"] = serde_json::json!("350203199003071527");
    draft["fields"]["mother.bank_card"] = serde_json::json!("6222021001115556662");
    draft["materials"] = serde_json::json!([{
        "code": "marriage-certificate",
        "digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000",
        "media_type": "application/pdf",
        "size": 1000,
    }]);
    let check = server.url("/api/bundles/newborn/check");
    let mut answers = Vec::new();
    for lang in ["zh-CN", "en"] {
        let r = father
            .post(&check)
            .header(ACCEPT_LANGUAGE, lang)
            .json(&draft)
            .send()
            .await
            .expect("check");
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["ok"], false, "{body:#}");
        answers.push(body);
    }
    let (zh, en) = (&answers[0], &answers[1]);
    let codes = |v: &Value| -> Vec<String> {
        v["problems"]
            .as_array()
            .expect("problems")
            .iter()
            .map(|p| format!("{}:{}", p["code"], p["subject"]))
            .collect()
    };
    assert_eq!(codes(zh), codes(en), "the same problems in both languages");
    let found = codes(zh).join(" ");
    for code in ["bad-check-digit", "missing", "unknown-digest", "too-old"] {
        assert!(found.contains(code), "{code} in {found}");
    }
    assert!(
        zh["problems"]
            .as_array()
            .expect("problems")
            .iter()
            .any(|p| p["found_by"].is_object() || p["found_by"].is_string()),
        "a department's problem among them: {zh:#}"
    );
    for p in zh["problems"].as_array().expect("problems") {
        let m = p["message"].as_str().expect("one string");
        assert!(has_chinese(m), "{p:#}");
        assert!(
            english_in(m).is_empty(),
            "English in {m:?}: {:?}",
            english_in(m)
        );
    }
    for p in en["problems"].as_array().expect("problems") {
        let m = p["message"].as_str().expect("one string");
        assert!(!has_chinese(m), "Chinese in an English problem: {p:#}");
    }
}

#[test]
fn english_words_are_found_and_identifiers_are_not() {
    assert!(
        english_in("新生儿姓名 [child.name] 必填；使用方：health/birth-certificate（签发）")
            .is_empty()
    );
    assert!(english_in("不超过 1024 KiB；格式 application/pdf").is_empty());
    assert_eq!(english_in("新生儿 is required"), ["is", "required"]);
}
