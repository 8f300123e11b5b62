//! The audit log, prefill with consent and the applicant's view, through
//! the real binary: every field that crossed to a department is recorded
//! exactly as the step declared it reads; tampering with the stored log is
//! caught by `onething audit verify` and the operator endpoint, naming
//! the first bad record; prefill needs consent; sensitive values never
//! reach the logs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use crate::support::{
    Server, Site, admin_get, applicant_client, client_for_path, prepared, submit_to, wait_for,
};
use serde_json::{Value, json};

async fn get(server: &Server, path: &str) -> Value {
    let r = client_for_path(path)
        .get(server.url(path))
        .send()
        .await
        .expect("get");
    assert!(r.status().is_success(), "GET {path}: {}", r.status());
    r.json().await.expect("json")
}

/// Every step's declared reads, from the loaded manifests.
async fn declared_reads(server: &Server) -> BTreeMap<String, BTreeSet<String>> {
    let (_, plugins) = admin_get(server, "/admin/plugins").await;
    let mut out = BTreeMap::new();
    for p in plugins["plugins"].as_array().expect("plugins") {
        let dept = p["department"].as_str().expect("department");
        for s in p["manifest"]["steps"].as_array().expect("steps") {
            let reads = s["reads"]
                .as_array()
                .expect("reads")
                .iter()
                .map(|r| r["key"].as_str().expect("key").to_owned())
                .collect();
            out.insert(format!("{dept}/{}", s["id"].as_str().expect("id")), reads);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn every_field_that_crossed_is_audited_as_declared() {
    let site = Site::new();
    let server = site.start();
    let doc = prepared(&server, "newborn.json").await;
    let id = submit_to(&server.base, &doc).await;
    let done = wait_for(&server, &id, &["completed"]).await;
    let reads = declared_reads(&server).await;
    let form: BTreeSet<String> = doc["fields"]
        .as_object()
        .expect("fields")
        .keys()
        .cloned()
        .collect();
    let outputs: BTreeMap<String, Value> =
        serde_json::from_value(done["outputs"].clone()).expect("outputs");

    // The operator's view: the records, entry by entry.
    let (status, audit) = admin_get(&server, &format!("/admin/applications/{id}/audit")).await;
    assert_eq!(status, 200);
    let entries: Vec<Value> = audit["entries"].as_array().expect("entries").clone();
    let received = entries
        .iter()
        .find(|e| e["action"] == "received")
        .expect("the submission is recorded");
    let got: BTreeSet<String> = flows(received).into_iter().map(|(k, _)| k).collect();
    assert_eq!(got, form, "the submission lists the form's keys");

    let approved: Vec<String> = done["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["status"] == "approved")
        .map(|s| s["step"].as_str().expect("step").to_owned())
        .collect();
    let mut expected_recipients: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for step in &approved {
        let disclosed: Vec<&Value> = entries
            .iter()
            .filter(|e| e["action"] == "disclosed" && e["step"] == *step)
            .collect();
        assert_eq!(disclosed.len(), 1, "one attempt, one disclosure for {step}");
        let d = disclosed[0];
        let dept = step.split('/').next().expect("dept");
        assert_eq!(d["recipient"], dept);
        let keys: BTreeSet<String> = flows(d).into_iter().map(|(k, _)| k).collect();
        // Exactly what the step declared it reads, of what the application had.
        let expected: BTreeSet<String> = reads[step]
            .iter()
            .filter(|k| form.contains(*k) || outputs.contains_key(*k))
            .cloned()
            .collect();
        assert_eq!(keys, expected, "{step}");
        for (key, from) in flows(d) {
            let key = key.as_str();
            if form.contains(key) {
                assert_eq!(from, "applicant", "{step} {key}");
            } else {
                let writer = approved
                    .iter()
                    .find(|s| reads.contains_key(*s) && outputs_by_step(&entries, s).contains(key))
                    .map(|s| s.split('/').next().unwrap_or_default().to_owned());
                assert_eq!(
                    Some(from.clone()),
                    writer,
                    "{step} {key}: issued by the step that wrote it"
                );
            }
            expected_recipients
                .entry(key.to_owned())
                .or_default()
                .insert(dept.to_owned());
        }
        // What the department wrote is recorded as produced, keys only.
        let produced = entries
            .iter()
            .find(|e| e["action"] == "produced" && e["step"] == *step)
            .expect("produced");
        assert_eq!(produced["actor"], dept);
    }
    // Keys only: no value of the application is in any record.
    let text = audit.to_string();
    for v in doc["fields"].as_object().expect("fields").values() {
        if let Some(s) = v.as_str() {
            assert!(!text.contains(s), "the value {s} is in the audit log");
        }
    }

    // The applicant's view lists exactly the departments that received each field.
    let view = get(&server, &format!("/api/applications/{id}/data-flows")).await;
    let listed: BTreeMap<String, BTreeSet<String>> = view["fields"]
        .as_object()
        .expect("fields")
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_array()
                    .expect("recipients")
                    .iter()
                    .map(|r| r["department"].as_str().expect("dept").to_owned())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(listed, expected_recipients);
    assert!(
        listed["mother.id_number"].contains("public-security"),
        "{listed:#?}"
    );
    assert!(
        !listed.contains_key("mother.bank_card") || !listed["mother.bank_card"].contains("health")
    );

    // The sealed log holds the same entries: every disclosure of this
    // application is in some record of the chain, and the chain is intact.
    let (status, v) = admin_get(&server, "/admin/audit/verify").await;
    assert_eq!(status, 200, "{v:#}");
    assert_eq!(v["intact"], true);
    // (Beside them, the chain seals the events themselves: `recorded`.)
    let sealed: Vec<Value> = sealed_entries(&site.db())
        .into_iter()
        .filter(|e| e["application"] == json!(id) && e["action"] != "recorded")
        .collect();
    let strip = |e: &Value| {
        let mut e = e.clone();
        if let Some(o) = e.as_object_mut() {
            o.remove("at_ms");
        }
        e
    };
    // The same entries; an outbound call's entry is sealed by a task of
    // its own just after its request, so its place among the step's
    // other entries may differ between the chain and the view.
    let sorted = |v: Vec<Value>| {
        let mut v: Vec<String> = v.iter().map(Value::to_string).collect();
        v.sort();
        v
    };
    assert_eq!(
        sorted(sealed),
        sorted(entries.iter().map(strip).collect::<Vec<_>>())
    );
}

/// Every entry sealed in the store's audit log, in order.
fn sealed_entries(db: &rusqlite::Connection) -> Vec<Value> {
    let mut stmt = db
        .prepare("SELECT body FROM audit ORDER BY seq")
        .expect("prepare");
    stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))
        .expect("query")
        .flat_map(|b| {
            let json =
                onething_store::audit::decompress(&b.expect("row")).expect("a compressed body");
            serde_json::from_slice::<Vec<Value>>(&json).expect("entries")
        })
        .collect()
}

/// The keys a step produced, from its `produced` entry.
fn outputs_by_step(entries: &[Value], step: &str) -> BTreeSet<String> {
    entries
        .iter()
        .filter(|e| e["action"] == "produced" && e["step"] == step)
        .flat_map(flows)
        .map(|(k, _)| k)
        .collect()
}

/// An entry's flows, `(key, source)`, from `"fields": {source: [keys]}`.
fn flows(entry: &Value) -> Vec<(String, String)> {
    entry["fields"]
        .as_object()
        .map(|m| {
            m.iter()
                .flat_map(|(from, keys)| {
                    keys.as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|k| k.as_str())
                        .map(move |k| (k.to_owned(), from.clone()))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn verify_cli(data: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_onething"))
        .args(["audit", "verify", "--data-dir"])
        .arg(data)
        .output()
        .expect("run onething audit verify");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// A copy of a store, for one tampering.
fn copy_store(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for name in ["onething.db", "onething.db-wal", "onething.db-shm"] {
        if from.join(name).exists() {
            std::fs::copy(from.join(name), to.join(name)).expect("copy store");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tampering_with_the_log_is_found_and_named() {
    let site = Site::new();
    let mut server = site.start();
    let doc = prepared(&server, "newborn.json").await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let mut d = doc.clone();
        d["fields"]["child.birth_date"] = json!(format!("2026-10-{:02}", 10 + i));
        ids.push(submit_to(&server.base, &d).await);
    }
    for id in &ids {
        wait_for(&server, id, &["completed"]).await;
    }
    // Live: the operator endpoint sees a rewrite made behind the host's back.
    let (status, v) = admin_get(&server, "/admin/audit/verify").await;
    assert_eq!((status, v["intact"].clone()), (200, json!(true)), "{v:#}");
    let records = v["records"].as_u64().expect("records");
    assert!(records >= 8, "{records} records");
    {
        let db = site.db();
        db.execute("UPDATE audit SET at_ms = at_ms + 1 WHERE seq = 4", [])
            .expect("tamper");
    }
    let (status, v) = admin_get(&server, "/admin/audit/verify").await;
    assert_eq!(status, 409, "{v:#}");
    assert_eq!(v["first_broken"]["seq"], 4, "{v:#}");
    assert!(
        v["message"]
            .as_str()
            .unwrap_or_default()
            .contains("audit record 4"),
        "{v:#}"
    );
    {
        let db = site.db();
        db.execute("UPDATE audit SET at_ms = at_ms - 1 WHERE seq = 4", [])
            .expect("undo");
    }
    server.kill();
    let data = site.path().join("data");
    let (code, out) = verify_cli(&data);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("intact: {records} records")), "{out}");

    let n = records as i64;
    let cases: Vec<(&str, String, u64, &str)> = vec![
        (
            "edit",
            "UPDATE audit SET at_ms = at_ms + 1 WHERE seq = 5".into(),
            5,
            "edited",
        ),
        (
            "delete",
            "DELETE FROM audit WHERE seq = 7".into(),
            7,
            "missing",
        ),
        (
            "reorder",
            "UPDATE audit SET seq = CASE seq WHEN 3 THEN -3 ELSE seq END WHERE seq = 3; \
             UPDATE audit SET seq = 3 WHERE seq = 4; UPDATE audit SET seq = 4 WHERE seq = -3"
                .into(),
            3,
            "",
        ),
        (
            "truncate",
            format!("DELETE FROM audit WHERE seq > {}", n - 2),
            (n - 1) as u64,
            "truncated",
        ),
    ];
    for (what, sql, seq, word) in cases {
        let copy = site.path().join(format!("tampered-{what}"));
        copy_store(&data, &copy);
        rusqlite::Connection::open(copy.join("onething.db"))
            .expect("open copy")
            .execute_batch(&sql)
            .expect("tamper");
        let (code, out) = verify_cli(&copy);
        assert_eq!(code, 1, "{what}: {out}");
        assert!(
            out.contains(&format!("BROKEN at audit record {seq}:")),
            "{what}: {out}"
        );
        assert!(out.contains(word), "{what}: {out}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn prefill_needs_consent_and_is_recorded_with_the_application() {
    let site = Site::new();
    let server = site.start();
    // A first child registers the parents' household with public security.
    let first = prepared(&server, "newborn.json").await;
    let id = submit_to(&server.base, &first).await;
    wait_for(&server, &id, &["completed"]).await;

    let known = json!({
        "mother.id_number": first["fields"]["mother.id_number"],
        "father.id_number": first["fields"]["father.id_number"],
    });
    let mother = applicant_client(&first);
    let post = |body: Value| {
        let url = server.url("/api/bundles/newborn/prefill");
        let mother = mother.clone();
        async move {
            let r = mother.post(url).json(&body).send().await.expect("prefill");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.expect("json"))
        }
    };
    // Without consent: refused, nothing asked.
    let (status, body) = post(json!({ "fields": known })).await;
    assert_eq!(status, 403, "{body:#}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("consent"),
        "{body:#}"
    );
    let (status, body) = post(json!({ "consent": { "departments": ["tax"], "fields": ["household.address"] }, "fields": known })).await;
    assert_eq!(status, 422, "{body:#}");
    assert!(
        body["detail"].as_str().unwrap_or_default().contains("tax"),
        "{body:#}"
    );
    let (status, body) = post(json!({ "consent": { "departments": ["public-security"], "fields": ["child.id_number"] }, "fields": known })).await;
    assert_eq!(status, 422, "{body:#}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("issues it"),
        "{body:#}"
    );
    {
        let db = site.db();
        assert_eq!(
            crate::support::count(&db, "SELECT COUNT(*) FROM consents"),
            0,
            "refusals store nothing"
        );
    }

    // With consent: public security fills in what it holds.
    let (status, answer) = post(json!({
        "consent": { "departments": ["public-security"], "fields": ["household.head_name", "household.address"] },
        "fields": known,
    }))
    .await;
    assert_eq!(status, 200, "{answer:#}");
    assert_eq!(
        answer["fields"]["household.head_name"]["value"], first["fields"]["household.head_name"],
        "{answer:#}"
    );
    assert_eq!(
        answer["fields"]["household.head_name"]["from"],
        "public-security"
    );
    assert_eq!(
        answer["fields"]["household.address"]["value"],
        first["fields"]["household.address"]
    );
    let consent = answer["consent"].as_str().expect("consent id").to_owned();

    // The applicant corrects the address and submits with the consent.
    let mut second = first.clone();
    second["fields"]["child.name"] = json!("林安心");
    second["fields"]["child.birth_date"] = json!("2026-11-02");
    second["fields"]["household.head_name"] =
        answer["fields"]["household.head_name"]["value"].clone();
    second["fields"]["household.address"] = json!("福建省厦门市湖里区金山街道金湖路90号");
    second["consent"] = json!(consent);
    let id2 = submit_to(&server.base, &second).await;
    wait_for(&server, &id2, &["completed"]).await;
    let view = get(&server, &format!("/api/applications/{id2}/data-flows")).await;
    let c = &view["prefill_consent"];
    assert_eq!(c["id"], consent, "{view:#}");
    assert_eq!(c["departments"], json!(["public-security"]));
    let corrected: BTreeMap<String, bool> = c["prefilled"]
        .as_array()
        .expect("prefilled")
        .iter()
        .map(|p| {
            (
                p["key"].as_str().expect("key").to_owned(),
                p["corrected"].as_bool().expect("bool"),
            )
        })
        .collect();
    assert_eq!(
        corrected,
        BTreeMap::from([
            ("household.address".to_string(), true),
            ("household.head_name".to_string(), false)
        ])
    );
    // An unknown consent is refused at submission.
    second["consent"] = json!("consent-unknown");
    let r = applicant_client(&second)
        .post(server.url("/api/applications"))
        .json(&second)
        .send()
        .await
        .expect("submit");
    assert_eq!(r.status(), 422);

    // The consent, the lookup and the answer are in the audit log, keys only.
    let sealed = sealed_entries(&site.db());
    for (action, at_least) in [
        ("consent-granted", 1),
        ("prefill-queried", 1),
        ("prefilled", 1),
    ] {
        let n = sealed.iter().filter(|e| e["action"] == action).count();
        assert!(n >= at_least, "{action}: {n}");
    }
    let head = first["fields"]["household.head_name"]
        .as_str()
        .expect("head");
    let text = serde_json::to_string(&sealed).expect("json");
    assert!(!text.contains(head), "no value in the log");
    let (status, v) = admin_get(&server, "/admin/audit/verify").await;
    assert_eq!((status, v["intact"].clone()), (200, json!(true)), "{v:#}");
}

/// The probe step: it logs and prints the mother's ID number on purpose,
/// plain and disguised.
fn probe_application(id_number: &Value) -> Value {
    json!({
        "bundle": "testkit-correction",
        "fields": { "child.name": "林安然", "testkit.answer": "wrong", "mother.id_number": id_number },
    })
}

/// A log without its terminal colour codes.
fn without_colours(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // ESC [ … m
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A value as a careless or hostile plugin might disguise it.
fn disguises(value: &str) -> Vec<String> {
    let (a, b) = value.split_at(value.len() / 2);
    vec![
        value.to_owned(),
        value
            .chars()
            .flat_map(|c| [c, ' '])
            .collect::<String>()
            .trim_end()
            .to_owned(),
        value.chars().rev().collect(),
        a.to_owned(),
        b.to_owned(),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn sensitive_values_never_reach_the_logs() {
    let site = Site::new();
    let log = site.path().join("server.log");
    // Everything the host and its plugins say, at the most verbose level
    // for our own code.
    let mut server = site.start_logged("debug,onething=trace,plugin=trace", &log);
    let doc = prepared(&server, "newborn.json").await;
    let id = submit_to(&server.base, &doc).await;
    wait_for(&server, &id, &["completed"]).await;
    let pid = submit_to(
        &server.base,
        &probe_application(&doc["fields"]["mother.id_number"]),
    )
    .await;
    wait_for(&server, &pid, &["needs-more"]).await;
    let done = wait_for(&server, &id, &["completed"]).await;
    server.kill();
    let text = without_colours(&std::fs::read_to_string(&log).expect("log"));
    // By default (limits.plugin_log = "keys") the plugin's records are
    // there as keys: their level, sizes, and the input field keys named.
    let probe_lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("plugin: ") && l.contains("department=testkit"))
        .collect();
    assert!(
        probe_lines
            .iter()
            .any(|l| l.contains("bytes not kept") && l.contains("mother.id_number")),
        "the plugin's record is there, as keys: {probe_lines:#?}"
    );
    assert!(
        probe_lines
            .iter()
            .any(|l| l.contains("lines, ") && l.contains("stdout")),
        "its stdout is counted: {probe_lines:#?}"
    );
    assert!(!text.contains("probe saw"), "no text of the plugin's");
    let mut secrets: Vec<String> = ["mother.id_number", "father.id_number", "mother.bank_card"]
        .iter()
        .map(|k| doc["fields"][k].as_str().expect("value").to_owned())
        .collect();
    secrets.push(
        done["outputs"]["child.id_number"]
            .as_str()
            .expect("issued id")
            .to_owned(),
    );
    for s in &secrets {
        for shown in disguises(s) {
            let lines: Vec<&str> = text
                .lines()
                .filter(|l| l.contains(shown.as_str()))
                .take(3)
                .collect();
            assert!(lines.is_empty(), "{shown} ({s}) is in the log: {lines:#?}");
        }
    }
    eprintln!("{} bytes of log checked", text.len());

    // For development, limits.plugin_log = "text" keeps the text, with the
    // call's sensitive values masked where they appear as they are (best
    // effort: a disguised value goes through, which is why it is not the
    // default).
    let site = Site::with_limits("plugin_log = \"text\"");
    let log = site.path().join("server.log");
    let mut server = site.start_logged("info,plugin=trace", &log);
    let pid = submit_to(
        &server.base,
        &probe_application(&doc["fields"]["mother.id_number"]),
    )
    .await;
    wait_for(&server, &pid, &["needs-more"]).await;
    server.kill();
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(
        text.contains("probe saw the mother's ID"),
        "the text is kept"
    );
    assert!(
        text.contains("probe: mother.id_number=[sensitive]"),
        "its stdout is there, masked"
    );
    let plain = doc["fields"]["mother.id_number"].as_str().expect("value");
    assert!(!text.contains(plain), "the plain value is masked");
}

/// `onething audit …` on a data directory, with more arguments.
fn audit_cli(args: &[&str], data: &Path, more: &[&std::ffi::OsStr]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_onething"))
        .arg("audit")
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .args(more)
        .output()
        .expect("run onething audit");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// Rewrite a store's chain consistently from record `from` on, as someone
/// with the file but not the host's key would: each record's body through
/// `edit`, every digest after recomputed, the checkpoint moved to the new
/// head (its old signature kept: there is no key to make a new one).
fn rewrite_chain(db: &rusqlite::Connection, from: i64, edit: impl Fn(&str) -> String) -> usize {
    use onething_store::audit::{compress, decompress, seal};
    let rows: Vec<(i64, i64, Vec<u8>, String)> = db
        .prepare("SELECT seq, at_ms, body, prev FROM audit ORDER BY seq")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect();
    let mut prev = String::new();
    let mut edited = 0;
    for (seq, at_ms, body, stored_prev) in rows {
        if seq < from {
            prev = db
                .query_row("SELECT digest FROM audit WHERE seq = ?1", [seq], |r| {
                    r.get(0)
                })
                .expect("digest");
            continue;
        }
        let prev_digest = if prev.is_empty() {
            stored_prev
        } else {
            prev.clone()
        };
        let json = String::from_utf8(decompress(&body).expect("body")).expect("UTF-8");
        let new = edit(&json);
        edited += usize::from(new != json);
        let body = compress(new.as_bytes());
        let digest = seal(seq as u64, at_ms, &body, &prev_digest);
        db.execute(
            "UPDATE audit SET body = ?1, prev = ?2, digest = ?3 WHERE seq = ?4",
            rusqlite::params![body, prev_digest, digest, seq],
        )
        .expect("rewrite");
        prev = digest;
    }
    db.execute("UPDATE audit_checkpoint SET digest = ?1", [prev])
        .expect("move the checkpoint");
    edited
}

#[tokio::test(flavor = "multi_thread")]
async fn the_events_and_the_checkpoint_are_vouched_for() {
    let site = Site::new();
    let mut server = site.start();
    let doc = prepared(&server, "newborn.json").await;
    let mut ids = Vec::new();
    for i in 0..2 {
        let mut d = doc.clone();
        d["fields"]["child.birth_date"] = json!(format!("2026-10-{:02}", 12 + i));
        ids.push(submit_to(&server.base, &d).await);
    }
    for id in &ids {
        wait_for(&server, id, &["completed"]).await;
    }
    // The operator endpoint: signed, every event checked, and a checkpoint
    // kept elsewhere found (or not).
    let (status, v) = admin_get(&server, "/admin/audit/verify").await;
    assert_eq!(status, 200, "{v:#}");
    assert_eq!(v["signed"], true, "the host signs its checkpoints: {v:#}");
    assert!(v["events"].as_u64().unwrap_or(0) >= 10, "{v:#}");
    let (_, cp) = admin_get(&server, "/admin/audit/checkpoint").await;
    assert!(cp["signature"].is_string(), "{cp:#}");
    let expect = format!("{}:{}", cp["seq"], cp["digest"].as_str().expect("digest"));
    let (status, v) = admin_get(&server, &format!("/admin/audit/verify?expect={expect}")).await;
    assert_eq!(
        (status, v["expected"].as_str()),
        (200, Some(expect.as_str())),
        "{v:#}"
    );
    let wrong = format!("{}:sha256:{}", cp["seq"], "0".repeat(64));
    let (status, v) = admin_get(&server, &format!("/admin/audit/verify?expect={wrong}")).await;
    assert_eq!(status, 409, "{v:#}");
    assert!(
        v["detail"]
            .as_str()
            .unwrap_or("")
            .contains("rewritten since"),
        "{v:#}"
    );
    let (status, v) = admin_get(&server, "/admin/audit/verify?expect=yesterday").await;
    assert_eq!(status, 400, "{v:#}");
    assert!(
        v["detail"].as_str().unwrap_or("").contains("expect"),
        "{v:#}"
    );

    // A checkpoint exported for safekeeping, while the service runs.
    let data = site.path().join("data");
    let kept = site.path().join("kept-checkpoint.json");
    let (code, out) = audit_cli(
        &["checkpoint"],
        &data,
        &["--out".as_ref(), kept.as_os_str()],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("(signed)"), "{out}");
    let exported: Value =
        serde_json::from_str(&std::fs::read_to_string(&kept).expect("exported")).expect("JSON");
    assert!(exported["signature"].is_string() && exported["public_key"].is_string());
    server.kill();
    let (code, out) = audit_cli(&["verify"], &data, &["--expect".as_ref(), kept.as_os_str()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("signed by the host's key"), "{out}");
    assert!(out.contains("holds the checkpoint kept elsewhere"), "{out}");

    let public = data.join("audit.pub");
    let id = ids[0].as_str();
    let (records, last_seq_of_app): (i64, i64) = {
        let db = site.db();
        (
            db.query_row("SELECT MAX(seq) FROM audit", [], |r| r.get(0))
                .expect("records"),
            db.query_row(
                "SELECT MAX(seq) FROM events WHERE application = ?1",
                [id],
                |r| r.get(0),
            )
            .expect("events"),
        )
    };
    // (what, SQL on a copy, extra arguments, what the verdict must say)
    let key_args: Vec<&std::ffi::OsStr> = vec!["--key".as_ref(), public.as_os_str()];
    let cases: Vec<(&str, String, Vec<&std::ffi::OsStr>, Vec<String>)> = vec![
        (
            "an issued ID edited",
            format!(
                "UPDATE events SET body = replace(body, '\"child.id_number\":\"35', '\"child.id_number\":\"36') \
                 WHERE application = '{id}' AND kind = 'step-approved' AND body LIKE '%child.id_number%'"
            ),
            vec![],
            vec![format!("of application {id}"), "edited".into()],
        ),
        (
            "a disclosure removed",
            format!(
                "UPDATE events SET body = json_remove(body, '$.disclosed') \
                 WHERE application = '{id}' AND kind = 'attempt-started' \
                 AND seq = (SELECT MIN(seq) FROM events WHERE application = '{id}' AND kind = 'attempt-started')"
            ),
            vec![],
            vec![format!("of application {id}"), "edited".into()],
        ),
        (
            "an event deleted",
            format!("DELETE FROM events WHERE application = '{id}' AND seq = {last_seq_of_app}"),
            vec![],
            vec![
                format!("event {last_seq_of_app} of application {id}"),
                "deleted".into(),
            ],
        ),
        (
            "an event added",
            format!(
                "INSERT INTO events (application, seq, at_ms, kind, step, body) \
                 SELECT application, {next}, at_ms, kind, step, body FROM events \
                 WHERE application = '{id}' AND seq = 1",
                next = last_seq_of_app + 1
            ),
            vec![],
            vec!["not sealed".into()],
        ),
        (
            "the audit table wiped with its checkpoint",
            "DELETE FROM audit; DELETE FROM audit_checkpoint".into(),
            vec![],
            vec!["not sealed".into()],
        ),
        (
            "the checkpoint row deleted",
            "DELETE FROM audit_checkpoint".into(),
            vec![],
            vec!["checkpoint is missing".into()],
        ),
        (
            "truncated with the checkpoint moved back",
            format!(
                "DELETE FROM audit WHERE seq > {keep}; \
                 UPDATE audit_checkpoint SET seq = {keep}, digest = (SELECT digest FROM audit WHERE seq = {keep})",
                keep = records - 3
            ),
            key_args.clone(),
            vec!["signature".into()],
        ),
        (
            "truncated with the checkpoint moved back (no key given)",
            format!(
                "DELETE FROM audit WHERE seq > {keep}; \
                 UPDATE audit_checkpoint SET seq = {keep}, digest = (SELECT digest FROM audit WHERE seq = {keep})",
                keep = records - 3
            ),
            vec!["--expect".as_ref(), kept.as_os_str()],
            vec!["truncated".into()],
        ),
    ];
    for (what, sql, args, words) in cases {
        let copy = site
            .path()
            .join(format!("tampered-{}", what.replace(' ', "-")));
        copy_store(&data, &copy);
        rusqlite::Connection::open(copy.join("onething.db"))
            .expect("open copy")
            .execute_batch(&sql)
            .expect("tamper");
        let (code, out) = audit_cli(&["verify"], &copy, &args);
        assert_eq!(code, 1, "{what}: {out}");
        assert!(out.contains("BROKEN"), "{what}: {out}");
        for word in words {
            assert!(out.contains(&word), "{what}: no {word:?} in {out}");
        }
    }

    // A consistent rewrite of the chain (a disclosure's fields changed,
    // every digest after it recomputed, the checkpoint moved along): the
    // chain links hold, but neither the host's key nor the checkpoint
    // kept elsewhere vouch for it.
    let copy = site.path().join("tampered-rewritten");
    copy_store(&data, &copy);
    {
        let db = rusqlite::Connection::open(copy.join("onething.db")).expect("open copy");
        let edited = rewrite_chain(&db, 2, |json| {
            json.replace("\"mother.name\"", "\"mother.sex\"")
        });
        assert!(edited > 0, "a disclosure of mother.name to rewrite");
    }
    let (code, out) = audit_cli(&["verify"], &copy, &[]);
    assert_eq!(
        (code, out.contains("intact")),
        (0, true),
        "without the key or a kept checkpoint a consistent rewrite cannot be told: {out}"
    );
    let (code, out) = audit_cli(&["verify"], &copy, &key_args);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("signature is not the host's key's"), "{out}");
    let (code, out) = audit_cli(&["verify"], &copy, &["--expect".as_ref(), kept.as_os_str()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("rewritten since"), "{out}");
    let expect_text = format!(
        "{}:{}",
        exported["seq"],
        exported["digest"].as_str().expect("digest")
    );
    let (code, out) = audit_cli(
        &["verify"],
        &copy,
        &["--expect".as_ref(), expect_text.as_ref()],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("rewritten since"), "{out}");
}
