//! The applicant's pages: the start page (themes and bundles), the one
//! form (every field once, conditional fields that follow the bundle's
//! `when`, the prefill consent, materials, check as you go, submit), the
//! progress page that follows the application's events, corrections
//! after needs-more, and the data-flows page.
//!
//! The form works without script: each button posts the whole form
//! (multipart, with its files) and the page comes back with the one
//! notification. With script (`assets/onething.js`), fields appear and
//! disappear as conditions change, every change is checked at once
//! (`/ui/bundles/{id}/check`), materials upload as they are chosen
//! (`/ui/materials`) and the progress page updates itself.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::Pages;
use crate::backend::Answer;
use crate::problem::PageError;
use crate::schema::{self, Field};
use crate::session::Session;

/// `GET /`: the themes and the bundles.
pub async fn start(State(pages): State<Pages>, session: Session) -> Result<Response, PageError> {
    let answer = pages.api.get(&session, "/api/bundles").await;
    let needs_sign_in = answer.status == StatusCode::UNAUTHORIZED;
    if !answer.ok() && !needs_sign_in {
        return Err(PageError::from_answer(&answer, &session.path));
    }
    pages
        .page(
            "start.html",
            &session,
            json!({
                "needs_sign_in": needs_sign_in,
                "bundles": answer.json["bundles"],
                "themes": answer.json["themes"],
            }),
        )
        .await
}

/// A material already stored, as the form carries it (hidden
/// `material.CODE` = `digest;media type;size`).
#[derive(Debug, Clone)]
struct Stored {
    digest: String,
    media_type: String,
    size: u64,
    name: Option<String>,
}

impl Stored {
    fn parse(s: &str) -> Option<Self> {
        let mut parts = s.split(';');
        let digest = parts.next()?.trim();
        let media_type = parts.next()?.trim();
        let size = parts.next()?.trim().parse().ok()?;
        let name = parts.next().map(str::to_owned);
        (!digest.is_empty()).then(|| Stored {
            digest: digest.into(),
            media_type: media_type.into(),
            size,
            name,
        })
    }

    fn carried(&self) -> String {
        format!(
            "{};{};{};{}",
            self.digest,
            self.media_type,
            self.size,
            self.name.as_deref().unwrap_or("").replace(';', ",")
        )
    }

    fn as_ref_json(&self, code: &str) -> Value {
        json!({"code": code, "digest": self.digest, "media_type": self.media_type, "size": self.size})
    }
}

/// What a browser posted of the one form.
#[derive(Debug, Default)]
struct Posted {
    csrf: Option<String>,
    action: String,
    values: BTreeMap<String, String>,
    materials: BTreeMap<String, Stored>,
    files: Vec<(String, String, String, Bytes)>,
    consent: Option<String>,
    consent_departments: Vec<String>,
    idempotency_key: Option<String>,
}

async fn read_posted(mut multipart: Multipart) -> Result<Posted, PageError> {
    let mut posted = Posted::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return Err(PageError::Refused {
                    status: e.status(),
                    title: "The form could not be read".into(),
                    detail: e.body_text(),
                });
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        if let Some(code) = name.strip_prefix("file.") {
            let code = code.to_owned();
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let media_type = field.content_type().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(|e| PageError::Refused {
                status: e.status(),
                title: "A material could not be read".into(),
                detail: e.body_text(),
            })?;
            if !bytes.is_empty() {
                posted.files.push((code, file_name, media_type, bytes));
            }
            continue;
        }
        let text = field.text().await.map_err(|e| PageError::Refused {
            status: e.status(),
            title: "The form could not be read".into(),
            detail: e.body_text(),
        })?;
        match name.as_str() {
            "csrf" => posted.csrf = Some(text),
            "action" => posted.action = text,
            "consent" => posted.consent = Some(text).filter(|t| !t.is_empty()),
            "consent_department" => posted.consent_departments.push(text),
            "idempotency_key" => posted.idempotency_key = Some(text).filter(|t| !t.is_empty()),
            _ => {
                if let Some(code) = name.strip_prefix("material.") {
                    if let Some(stored) = Stored::parse(&text) {
                        posted.materials.insert(code.to_owned(), stored);
                    }
                } else {
                    posted.values.insert(name, text);
                }
            }
        }
    }
    Ok(posted)
}

/// A bundle's form from the API.
async fn form_of(pages: &Pages, session: &Session, id: &str) -> Result<Value, PageError> {
    let answer = pages
        .api
        .get(
            session,
            &format!("/api/bundles/{}/form", crate::render::url_encode(id)),
        )
        .await;
    if !answer.ok() {
        return Err(PageError::from_answer(&answer, &format!("/bundles/{id}")));
    }
    Ok(answer.json)
}

/// The bundle's summary (title, description, departments, steps).
async fn summary_of(pages: &Pages, session: &Session, id: &str) -> Value {
    let answer = pages.api.get(session, "/api/bundles").await;
    answer.json["bundles"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|b| b["id"] == id)
        .cloned()
        .unwrap_or(Value::Null)
}

fn random_key() -> String {
    let mut bytes = [0u8; 16];
    let _ = getrandom::fill(&mut bytes);
    format!("page-{}", hex::encode(bytes))
}

/// Problems by what they are about: `field:KEY`, `material:CODE`, or
/// `general`.
fn problems_by_subject(problems: &Value) -> BTreeMap<String, Vec<Value>> {
    let mut by: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for p in problems.as_array().into_iter().flatten() {
        let subject = match (p["subject"]["kind"].as_str(), p["subject"]["name"].as_str()) {
            (Some(kind @ ("field" | "material")), Some(name)) => format!("{kind}:{name}"),
            _ => "general".into(),
        };
        by.entry(subject).or_default().push(p.clone());
    }
    by
}

/// Each department of the bundle with the fields its steps read, and
/// why: what the consent dialog shows.
fn consent_table(fields: &[Field], names: &Value) -> Vec<Value> {
    let mut by: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for f in fields {
        for need in &f.needed_by {
            let Some(department) = need["step"].as_str().and_then(|s| s.split('/').next()) else {
                continue;
            };
            let list = by.entry(department.to_owned()).or_default();
            if !list.iter().any(|x| x["key"] == f.key.as_str()) {
                list.push(json!({
                    "key": f.key, "title": f.title,
                    "purpose": need["purpose"], "legal_basis": need["legal_basis"],
                }));
            }
        }
    }
    by.into_iter()
        .map(|(department, fields)| {
            let name = names[&department]
                .as_str()
                .unwrap_or(&department)
                .to_owned();
            json!({"department": department, "name": name, "fields": fields})
        })
        .collect()
}

/// Everything the form page shows.
struct FormView<'a> {
    id: &'a str,
    form: &'a Value,
    summary: &'a Value,
    values: &'a BTreeMap<String, String>,
    materials: &'a BTreeMap<String, Stored>,
    problems: &'a Value,
    checked: bool,
    consent: Option<&'a str>,
    prefilled: &'a BTreeMap<String, String>,
    notice: Option<String>,
    idempotency_key: String,
}

fn form_context(view: FormView<'_>) -> Value {
    let fields = schema::fields(&view.form["schema"]);
    let by_subject = problems_by_subject(view.problems);
    let rendered: Vec<Value> = fields
        .iter()
        .map(|f| {
            let mut v = serde_json::to_value(f).unwrap_or(Value::Null);
            v["value"] = json!(view.values.get(&f.key).cloned().unwrap_or_default());
            v["problems"] = json!(
                by_subject
                    .get(&format!("field:{}", f.key))
                    .cloned()
                    .unwrap_or_default()
            );
            v["applies"] = json!(f.applies(view.values));
            v["departments"] = json!(
                f.departments()
                    .iter()
                    .map(|d| view.form["departments"][d].as_str().unwrap_or(d).to_owned())
                    .collect::<Vec<_>>()
            );
            v["prefilled_from"] = json!(view.prefilled.get(&f.key));
            v["when_json"] = json!(serde_json::to_string(&f.when).unwrap_or_default());
            v
        })
        .collect();
    let materials: Vec<Value> = view.form["materials"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let code = m["code"].as_str().unwrap_or_default();
            let mut v = m.clone();
            v["id"] = json!(format!("m-{code}"));
            v["stored"] = json!(view.materials.get(code).map(|s| json!({
                "carried": s.carried(), "name": s.name, "size": s.size, "media_type": s.media_type,
            })));
            v["problems"] = json!(
                by_subject
                    .get(&format!("material:{code}"))
                    .cloned()
                    .unwrap_or_default()
            );
            v["accept"] = json!(m["media_types"].as_array().map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(",")
            }));
            v
        })
        .collect();
    let count = view.problems.as_array().map_or(0, Vec::len);
    json!({
        "id": view.id,
        "bundle": view.summary,
        "title": view.form["schema"]["title"],
        "fields": rendered,
        "materials": materials,
        "problems": view.problems,
        "problem_count": count,
        "general_problems": by_subject.get("general").cloned().unwrap_or_default(),
        "checked": view.checked,
        "consent": view.consent,
        "consent_table": consent_table(&fields, &view.form["departments"]),
        "notice": view.notice,
        "notification": view.form["notification"],
        "idempotency_key": view.idempotency_key,
    })
}

/// `GET /bundles/{id}`: the one form, empty.
pub async fn form_page(
    State(pages): State<Pages>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    if !session.signed_in() {
        return Err(PageError::SignIn { next: session.path });
    }
    let form = form_of(&pages, &session, &id).await?;
    let summary = summary_of(&pages, &session, &id).await;
    let context = form_context(FormView {
        id: &id,
        form: &form,
        summary: &summary,
        values: &BTreeMap::new(),
        materials: &BTreeMap::new(),
        problems: &json!([]),
        checked: false,
        consent: None,
        prefilled: &BTreeMap::new(),
        notice: None,
        idempotency_key: random_key(),
    });
    pages.page("form.html", &session, context).await
}

/// Store each posted file through the API; the problems of those it
/// refused, as the form shows them.
async fn upload_files(pages: &Pages, session: &Session, posted: &mut Posted) -> Vec<Value> {
    let mut problems = Vec::new();
    for (code, name, media_type, bytes) in std::mem::take(&mut posted.files) {
        let answer = pages
            .api
            .post_bytes(session, "/api/materials", &media_type, bytes, &[])
            .await;
        if answer.ok() {
            posted.materials.insert(
                code,
                Stored {
                    digest: answer.json["digest"].as_str().unwrap_or_default().into(),
                    media_type: answer.json["media_type"]
                        .as_str()
                        .unwrap_or_default()
                        .into(),
                    size: answer.json["size"].as_u64().unwrap_or(0),
                    name: Some(name),
                },
            );
        } else {
            problems.push(json!({
                "subject": {"kind": "material", "name": code},
                "code": "upload-refused",
                "message": format!("{name}: {}", answer.detail()),
            }));
        }
    }
    problems
}

fn document(id: &str, fields: Map<String, Value>, posted: &Posted) -> Value {
    let materials: Vec<Value> = posted
        .materials
        .iter()
        .map(|(code, s)| s.as_ref_json(code))
        .collect();
    let mut doc = json!({"bundle": id, "fields": fields, "materials": materials});
    if let Some(c) = &posted.consent {
        doc["consent"] = json!(c);
    }
    if let Some(k) = &posted.idempotency_key {
        doc["idempotency_key"] = json!(k);
    }
    doc
}

/// `POST /bundles/{id}`: check, prefill or submit the one form.
pub async fn form_post(
    State(pages): State<Pages>,
    session: Session,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let mut posted = read_posted(multipart).await?;
    session.check_csrf(posted.csrf.as_deref())?;
    let form = form_of(&pages, &session, &id).await?;
    let summary = summary_of(&pages, &session, &id).await;
    let fields = schema::fields(&form["schema"]);
    let mut problems = upload_files(&pages, &session, &mut posted).await;
    let mut prefilled = BTreeMap::new();
    let mut notice = None;
    let mut checked = false;
    let lang = session.lang;
    match posted.action.as_str() {
        "prefill" => {
            let consented: Vec<String> = fields
                .iter()
                .filter(|f| {
                    f.departments()
                        .iter()
                        .any(|d| posted.consent_departments.contains(d))
                })
                .map(|f| f.key.clone())
                .collect();
            let body = json!({
                "consent": {"departments": posted.consent_departments, "fields": consented},
                "fields": schema::to_json(&fields, &posted.values),
            });
            let answer = pages
                .api
                .post_json(
                    &session,
                    &format!("/api/bundles/{}/prefill", crate::render::url_encode(&id)),
                    &body,
                )
                .await;
            if answer.status == StatusCode::UNAUTHORIZED {
                return Err(PageError::from_answer(&answer, &format!("/bundles/{id}")));
            }
            if answer.ok() {
                posted.consent = answer.json["consent"].as_str().map(str::to_owned);
                for (key, v) in answer.json["fields"].as_object().into_iter().flatten() {
                    let typed = posted.values.get(key).is_some_and(|t| !t.trim().is_empty());
                    if !typed {
                        posted
                            .values
                            .insert(key.clone(), schema::as_text(&v["value"]));
                    }
                    prefilled.insert(
                        key.clone(),
                        v["from"].as_str().unwrap_or_default().to_owned(),
                    );
                }
                notice = Some(format!(
                    "{} {}",
                    crate::text::of(lang, "prefill_done"),
                    prefilled.len()
                ));
            } else {
                problems.push(json!({
                    "subject": {"kind": "general"}, "code": "prefill-refused",
                    "message": answer.detail(),
                }));
            }
        }
        "submit" => {
            let doc = document(&id, schema::to_json(&fields, &posted.values), &posted);
            if problems.is_empty() {
                let answer = pages
                    .api
                    .post_json(&session, "/api/applications", &doc)
                    .await;
                if answer.status == StatusCode::ACCEPTED {
                    let app = answer.json["id"].as_str().unwrap_or_default();
                    return Ok(Redirect::to(&format!(
                        "/applications/{}",
                        crate::render::url_encode(app)
                    ))
                    .into_response());
                }
                problems.extend(refusal_problems(&answer, &format!("/bundles/{id}"))?);
            }
            checked = true;
        }
        _ => {
            let doc = document(&id, schema::to_json(&fields, &posted.values), &posted);
            let answer = check_draft(&pages, &session, &id, &doc).await?;
            problems.extend(
                answer.json["problems"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
            );
            checked = true;
        }
    }
    let problems = Value::Array(problems);
    let context = form_context(FormView {
        id: &id,
        form: &form,
        summary: &summary,
        values: &posted.values,
        materials: &posted.materials,
        problems: &problems,
        checked,
        consent: posted.consent.as_deref(),
        prefilled: &prefilled,
        notice,
        idempotency_key: posted.idempotency_key.clone().unwrap_or_else(random_key),
    });
    let mut response = pages.page("form.html", &session, context).await?;
    if checked && problems.as_array().is_some_and(|p| !p.is_empty()) {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// The problems of a refused submission or correction (a 422 lists them;
/// any other refusal is one general problem).
fn refusal_problems(answer: &Answer, next: &str) -> Result<Vec<Value>, PageError> {
    if answer.status == StatusCode::UNAUTHORIZED {
        return Err(PageError::from_answer(answer, next));
    }
    let listed = answer.json["problems"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if listed.is_empty() {
        Ok(vec![json!({
            "subject": {"kind": "general"}, "code": "refused",
            "message": format!("{}: {}", answer.title(), answer.detail()),
        })])
    } else {
        Ok(listed)
    }
}

async fn check_draft(
    pages: &Pages,
    session: &Session,
    id: &str,
    doc: &Value,
) -> Result<Answer, PageError> {
    let answer = pages
        .api
        .post_json(
            session,
            &format!("/api/bundles/{}/check", crate::render::url_encode(id)),
            doc,
        )
        .await;
    if !answer.ok() {
        return Err(PageError::from_answer(&answer, &format!("/bundles/{id}")));
    }
    Ok(answer)
}

fn csrf_header(headers: &HeaderMap) -> Option<&str> {
    headers.get("x-csrf-token").and_then(|v| v.to_str().ok())
}

/// What the form's script sends to be checked.
#[derive(Debug, Deserialize)]
pub struct Draft {
    /// The values as typed, by key.
    #[serde(default)]
    values: BTreeMap<String, String>,
    /// The materials already stored, as the form carries them.
    #[serde(default)]
    materials: BTreeMap<String, String>,
}

/// `POST /ui/bundles/{id}/check` (script): the one notification for what
/// is typed so far.
pub async fn live_check(
    State(pages): State<Pages>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(draft): Json<Draft>,
) -> Result<Response, PageError> {
    session.check_csrf(csrf_header(&headers))?;
    let form = form_of(&pages, &session, &id).await?;
    let fields = schema::fields(&form["schema"]);
    let posted = Posted {
        materials: draft
            .materials
            .iter()
            .filter_map(|(k, v)| Stored::parse(v).map(|s| (k.clone(), s)))
            .collect(),
        ..Posted::default()
    };
    let doc = document(&id, schema::to_json(&fields, &draft.values), &posted);
    let answer = check_draft(&pages, &session, &id, &doc).await?;
    let applies: BTreeMap<&str, bool> = fields
        .iter()
        .map(|f| (f.key.as_str(), f.applies(&draft.values)))
        .collect();
    Ok(Json(json!({
        "ok": answer.json["ok"],
        "problems": answer.json["problems"],
        "applies": applies,
    }))
    .into_response())
}

/// `POST /ui/materials` (script): store one material; what the form
/// carries for it.
pub async fn live_upload(
    State(pages): State<Pages>,
    session: Session,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    session.check_csrf(csrf_header(&headers))?;
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let answer = pages
        .api
        .post_bytes(&session, "/api/materials", &media_type, body, &[])
        .await;
    if !answer.ok() {
        return Ok((answer.status, Json(json!({"detail": answer.detail()}))).into_response());
    }
    let name = headers
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .map(|n| {
            percent_encoding::percent_decode_str(n)
                .decode_utf8_lossy()
                .into_owned()
        });
    let stored = Stored {
        digest: answer.json["digest"].as_str().unwrap_or_default().into(),
        media_type: answer.json["media_type"]
            .as_str()
            .unwrap_or_default()
            .into(),
        size: answer.json["size"].as_u64().unwrap_or(0),
        name,
    };
    Ok(Json(
        json!({"carried": stored.carried(), "size": stored.size, "media_type": stored.media_type}),
    )
    .into_response())
}

/// What the progress page may be asked for.
#[derive(Debug, Deserialize)]
pub struct ProgressQuery {
    /// `steps`: only the list of steps (the script's update).
    fragment: Option<String>,
}

async fn status_of(pages: &Pages, session: &Session, id: &str) -> Result<Value, PageError> {
    let answer = pages
        .api
        .get(
            session,
            &format!("/api/applications/{}", crate::render::url_encode(id)),
        )
        .await;
    if !answer.ok() {
        return Err(PageError::from_answer(
            &answer,
            &format!("/applications/{id}"),
        ));
    }
    Ok(answer.json)
}

/// `GET /applications/{id}`: where the application stands, step by step.
pub async fn progress(
    State(pages): State<Pages>,
    session: Session,
    Path(id): Path<String>,
    Query(q): Query<ProgressQuery>,
) -> Result<Response, PageError> {
    let status = status_of(&pages, &session, &id).await?;
    let done = status["steps"].as_array().map_or(0, |s| {
        s.iter()
            .filter(|st| st["status"] == "approved" || st["status"] == "skipped")
            .count()
    });
    let context = json!({
        "id": id,
        "app": status,
        "done": done,
        "total": status["steps"].as_array().map_or(0, Vec::len),
        "fragment": q.fragment.as_deref() == Some("steps"),
    });
    pages.page("progress.html", &session, context).await
}

/// `GET /applications/{id}/events`: the application's live events (the
/// API's stream, with this session's token).
pub async fn events(
    State(pages): State<Pages>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    pages
        .api
        .stream(
            &session,
            &format!(
                "/api/applications/{}/events",
                crate::render::url_encode(&id)
            ),
            headers.get("last-event-id").cloned(),
        )
        .await
}

/// The fields the application's steps asked to be corrected.
fn to_correct(status: &Value) -> BTreeMap<String, Vec<Value>> {
    let mut keys: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for st in status["steps"].as_array().into_iter().flatten() {
        for p in st["problems"].as_array().into_iter().flatten() {
            if p["subject"]["kind"] == "field"
                && let Some(k) = p["subject"]["name"].as_str()
            {
                keys.entry(k.to_owned()).or_default().push(p.clone());
            }
        }
    }
    keys
}

async fn correct_view(
    pages: &Pages,
    session: &Session,
    id: &str,
    values: &BTreeMap<String, String>,
    problems: Option<Value>,
) -> Result<Response, PageError> {
    let status = status_of(pages, session, id).await?;
    let bundle = status["bundle"].as_str().unwrap_or_default().to_owned();
    let form = form_of(pages, session, &bundle).await?;
    let asked = to_correct(&status);
    let fields: Vec<Value> = schema::fields(&form["schema"])
        .into_iter()
        .filter(|f| asked.contains_key(&f.key))
        .map(|f| {
            let mut v = serde_json::to_value(&f).unwrap_or(Value::Null);
            v["value"] = json!(values.get(&f.key).cloned().unwrap_or_default());
            v["problems"] = json!(asked.get(&f.key));
            v["applies"] = json!(true);
            v["when_json"] = json!("[]");
            v
        })
        .collect();
    let mut response = pages
        .page(
            "form.html",
            session,
            json!({
                "correcting": true, "id": id, "app": status, "fields": fields, "materials": [],
                "title": status["title"], "problems": problems.clone().unwrap_or(json!([])),
                "problem_count": problems.as_ref().and_then(Value::as_array).map_or(0, Vec::len),
                "checked": problems.is_some(),
            }),
        )
        .await?;
    if problems.is_some() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// `GET /applications/{id}/correct`: the fields a department asked to be
/// corrected, with what it said.
pub async fn correct_page(
    State(pages): State<Pages>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    correct_view(&pages, &session, &id, &BTreeMap::new(), None).await
}

/// `POST /applications/{id}/correct`: send the corrections.
pub async fn correct_post(
    State(pages): State<Pages>,
    session: Session,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let posted = read_posted(multipart).await?;
    session.check_csrf(posted.csrf.as_deref())?;
    let status = status_of(&pages, &session, &id).await?;
    let bundle = status["bundle"].as_str().unwrap_or_default().to_owned();
    let form = form_of(&pages, &session, &bundle).await?;
    let fields = schema::fields(&form["schema"]);
    let asked = to_correct(&status);
    let mut corrected = schema::to_json(&fields, &posted.values);
    corrected.retain(|k, _| asked.contains_key(k));
    let answer = pages
        .api
        .send_json(
            &session,
            axum::http::Method::PATCH,
            &format!("/api/applications/{}", crate::render::url_encode(&id)),
            &json!({"fields": corrected}),
        )
        .await;
    if answer.status == StatusCode::ACCEPTED {
        return Ok(
            Redirect::to(&format!("/applications/{}", crate::render::url_encode(&id)))
                .into_response(),
        );
    }
    let problems = refusal_problems(&answer, &format!("/applications/{id}/correct"))?;
    correct_view(
        &pages,
        &session,
        &id,
        &posted.values,
        Some(Value::Array(problems)),
    )
    .await
}

/// `GET /applications/{id}/data-flows`: who received, wrote or read which
/// field, when, and why (the purpose and legal basis each step was
/// granted it under).
pub async fn data_flows(
    State(pages): State<Pages>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let answer = pages
        .api
        .get(
            &session,
            &format!(
                "/api/applications/{}/data-flows",
                crate::render::url_encode(&id)
            ),
        )
        .await;
    if !answer.ok() {
        return Err(PageError::from_answer(&answer, &session.path));
    }
    let flows = answer.json;
    let bundle = flows["bundle"].as_str().unwrap_or_default().to_owned();
    let form = form_of(&pages, &session, &bundle)
        .await
        .unwrap_or(Value::Null);
    let fields = schema::fields(&form["schema"]);
    let titles: BTreeMap<&str, &str> = fields
        .iter()
        .map(|f| (f.key.as_str(), f.title.as_str()))
        .collect();
    // Why each step received each field: its grant.
    let mut why: BTreeMap<(String, String), Value> = BTreeMap::new();
    for f in &fields {
        for need in &f.needed_by {
            if let Some(step) = need["step"].as_str() {
                why.insert((step.to_owned(), f.key.clone()), need.clone());
            }
        }
    }
    let received: Vec<Value> = flows["received"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let step = r["step"].as_str().unwrap_or_default().to_owned();
            let fields: Vec<Value> = r["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| {
                    let key = f["key"].as_str().unwrap_or_default().to_owned();
                    let grant = why.get(&(step.clone(), key.clone())).cloned().unwrap_or(Value::Null);
                    json!({"key": key, "title": titles.get(key.as_str()), "from": f["from"], "grant": grant})
                })
                .collect();
            json!({"department": r["department"], "step": step, "at_ms": r["at_ms"], "fields": fields, "materials": r["materials"]})
        })
        .collect();
    pages
        .page(
            "flows.html",
            &session,
            json!({"id": id, "flows": flows, "received": received, "titles": titles}),
        )
        .await
}
