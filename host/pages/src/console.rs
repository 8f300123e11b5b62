//! The console of officers and operators: applications (filtered by
//! status, bundle, department, overdue) and each one's event timeline;
//! the manual queue with a resolve form checked against what the step
//! writes; overdue work; plugins, bundles, the dictionary and the grants
//! register with their versions, history, upload, activate and rollback;
//! refused changes; audit verification; the departments' systems; and
//! throughput and step latency per department.
//!
//! Every page asks the API with the signed-in person's token, so each
//! shows only what their role and department allow: an officer's queue
//! holds their department's items, and an application shows them their
//! department's fields, the rest masked. A page the API refuses says
//! which role is missing.

use std::collections::BTreeMap;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Pages;
use crate::backend::Answer;
use crate::problem::PageError;
use crate::render::url_encode;
use crate::session::Session;

/// The API's answer at `path`, or the page that says why not.
async fn read(pages: &Pages, session: &Session, path: &str) -> Result<Value, PageError> {
    if !session.signed_in() {
        return Err(PageError::SignIn {
            next: session.path.clone(),
        });
    }
    let answer = pages.api.get(session, path).await;
    if !answer.ok() {
        return Err(PageError::from_answer(&answer, &session.path));
    }
    Ok(answer.json)
}

/// The API's answer, kept even when refused (a panel of a page that may
/// be hidden from this role).
async fn panel(pages: &Pages, session: &Session, path: &str) -> Value {
    let answer = pages.api.get(session, path).await;
    if answer.ok() {
        answer.json
    } else {
        json!({"refused": answer.detail(), "status": answer.status.as_u16()})
    }
}

/// Per department: steps run and their mean and largest bucket latency,
/// from the Prometheus text of `/metrics`.
pub fn step_figures(metrics: &str) -> Vec<Value> {
    let mut by: BTreeMap<String, (f64, f64, f64)> = BTreeMap::new();
    for line in metrics.lines().filter(|l| !l.starts_with('#')) {
        let Some((name_labels, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(value) = value.parse::<f64>() else {
            continue;
        };
        let Some((name, labels)) = name_labels.split_once('{') else {
            continue;
        };
        let department = labels
            .split(',')
            .find_map(|l| l.strip_prefix("department=\""))
            .map(|d| d.trim_end_matches('}').trim_end_matches('"').to_owned());
        let Some(department) = department else {
            continue;
        };
        let entry = by.entry(department).or_default();
        match name {
            "onething_step_duration_seconds_count" => entry.0 = value,
            "onething_step_duration_seconds_sum" => entry.1 = value,
            "onething_step_retries_total" => entry.2 = value,
            _ => {}
        }
    }
    by.into_iter()
        .filter(|(_, (count, _, _))| *count > 0.0)
        .map(|(department, (count, sum, retries))| {
            json!({
                "department": department,
                "steps": count as u64,
                "mean_ms": format!("{:.1}", sum / count * 1000.0),
                "retries": retries as u64,
            })
        })
        .collect()
}

/// `GET /console`: the state of things at a glance.
pub async fn home(State(pages): State<Pages>, session: Session) -> Result<Response, PageError> {
    let me = read(&pages, &session, "/api/me").await?;
    if me["kind"] == "applicant" {
        return Err(PageError::Refused {
            status: StatusCode::FORBIDDEN,
            title: crate::text::of(session.lang, "console_not_for_applicants").into(),
            detail: crate::text::of(session.lang, "console_sign_in_as_officer").into(),
        });
    }
    let applications = panel(&pages, &session, "/admin/applications?limit=1").await;
    let queue = panel(&pages, &session, "/admin/manual-queue").await;
    let overdue = panel(&pages, &session, "/admin/overdue").await;
    let systems = panel(&pages, &session, "/admin/systems").await;
    let metrics = pages.api.get(&session, "/metrics").await;
    let figures = step_figures(&String::from_utf8_lossy(&metrics.bytes));
    pages.views.page_as(
        "console/home.html",
        &session,
        &me,
        json!({
            "counts": applications["counts"],
            "queue": queue, "overdue": overdue, "systems": systems,
            "figures": figures,
        }),
    )
}

/// The filters of the applications page.
#[derive(Debug, Deserialize)]
pub struct Filter {
    status: Option<String>,
    bundle: Option<String>,
    department: Option<String>,
    overdue: Option<String>,
}

/// `GET /console/applications`.
pub async fn applications(
    State(pages): State<Pages>,
    session: Session,
    Query(f): Query<Filter>,
) -> Result<Response, PageError> {
    let mut query = vec!["limit=500".to_owned()];
    let given = |v: &Option<String>| v.as_deref().filter(|v| !v.is_empty()).map(str::to_owned);
    for (name, value) in [
        ("status", given(&f.status)),
        ("bundle", given(&f.bundle)),
        ("department", given(&f.department)),
    ] {
        if let Some(v) = value {
            query.push(format!("{name}={}", url_encode(&v)));
        }
    }
    let overdue = f.overdue.as_deref() == Some("true");
    if overdue {
        query.push("overdue=true".into());
    }
    let list = read(
        &pages,
        &session,
        &format!("/admin/applications?{}", query.join("&")),
    )
    .await?;
    let bundles = pages.api.get(&session, "/api/bundles").await.json;
    pages
        .page(
            "console/applications.html",
            &session,
            json!({
                "list": list, "bundles": bundles["bundles"],
                "statuses": ["running", "needs-more", "manual", "completed", "rejected", "failed"],
                "filter": {"status": f.status, "bundle": f.bundle, "department": f.department, "overdue": overdue},
            }),
        )
        .await
}

/// `GET /console/applications/{id}`: where it stands and its timeline.
pub async fn application(
    State(pages): State<Pages>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let status = read(
        &pages,
        &session,
        &format!("/api/applications/{}", url_encode(&id)),
    )
    .await?;
    let history = read(
        &pages,
        &session,
        &format!("/api/applications/{}/history", url_encode(&id)),
    )
    .await?;
    pages
        .page(
            "console/application.html",
            &session,
            json!({"id": id, "app": status, "events": history["events"]}),
        )
        .await
}

/// `GET /console/queue`: steps waiting for a person.
pub async fn queue(State(pages): State<Pages>, session: Session) -> Result<Response, PageError> {
    let queue = read(&pages, &session, "/admin/manual-queue").await?;
    pages
        .page("console/queue.html", &session, json!({"queue": queue}))
        .await
}

/// What a step writes, from its department's manifest.
async fn writes_of(pages: &Pages, session: &Session, department: &str, step: &str) -> Vec<Value> {
    let plugins = pages.api.get(session, "/admin/plugins").await.json;
    let dictionary = pages.api.get(session, "/api/dictionary").await.json;
    let keys: Vec<String> = plugins["plugins"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["department"] == department)
        .flat_map(|p| {
            p["manifest"]["steps"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|s| s["id"] == step || s["step"] == step)
        .flat_map(|s| s["writes"].as_array().cloned().unwrap_or_default())
        .filter_map(|w| {
            w.as_str()
                .map(str::to_owned)
                .or_else(|| w["key"].as_str().map(str::to_owned))
        })
        .collect();
    keys.into_iter()
        .map(|key| {
            let def = dictionary["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|f| f["key"] == key.as_str())
                .cloned()
                .unwrap_or(Value::Null);
            json!({"key": key, "id": format!("w-{}", key.replace('.', "-")), "label": def["label"], "type": def["type"]})
        })
        .collect()
}

async fn resolve_view(
    pages: &Pages,
    session: &Session,
    (id, department, step): (&str, &str, &str),
    values: &BTreeMap<String, String>,
    refused: Option<String>,
) -> Result<Response, PageError> {
    let status = read(
        pages,
        session,
        &format!("/api/applications/{}", url_encode(id)),
    )
    .await?;
    let item = status["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["step"] == format!("{department}/{step}"))
        .cloned()
        .unwrap_or(Value::Null);
    let writes: Vec<Value> = writes_of(pages, session, department, step)
        .await
        .into_iter()
        .map(|mut w| {
            let key = w["key"].as_str().unwrap_or_default().to_owned();
            w["value"] = json!(values.get(&key).cloned().unwrap_or_default());
            w
        })
        .collect();
    let mut response = pages
        .page(
            "console/resolve.html",
            session,
            json!({
                "id": id, "department": department, "step": step, "app": status, "item": item,
                "writes": writes, "refused": refused, "reason": values.get("reason"),
            }),
        )
        .await?;
    if response.status() == StatusCode::OK && values.contains_key("decision") {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// `GET /console/queue/{id}/{department}/{step}`: the resolve form.
pub async fn resolve_page(
    State(pages): State<Pages>,
    session: Session,
    Path((id, department, step)): Path<(String, String, String)>,
) -> Result<Response, PageError> {
    resolve_view(
        &pages,
        &session,
        (&id, &department, &step),
        &BTreeMap::new(),
        None,
    )
    .await
}

/// A posted form's text fields.
async fn text_fields(
    mut multipart: Multipart,
) -> Result<
    (
        BTreeMap<String, String>,
        Vec<(String, String, axum::body::Bytes)>,
    ),
    PageError,
> {
    let mut values = BTreeMap::new();
    let mut files = Vec::new();
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
        if let Some(file_name) = field.file_name().map(str::to_owned) {
            let bytes = field
                .bytes()
                .await
                .map_err(|e| PageError::Invalid(e.body_text()))?;
            files.push((name, file_name, bytes));
        } else {
            let text = field
                .text()
                .await
                .map_err(|e| PageError::Invalid(e.body_text()))?;
            values.insert(name, text);
        }
    }
    Ok((values, files))
}

/// `POST /console/queue/{id}/{department}/{step}`: approve with the
/// fields the step writes, or reject with a reason.
pub async fn resolve_post(
    State(pages): State<Pages>,
    session: Session,
    Path((id, department, step)): Path<(String, String, String)>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let (values, _) = text_fields(multipart).await?;
    session.check_csrf(values.get("csrf").map(String::as_str))?;
    let writes = writes_of(&pages, &session, &department, &step).await;
    let body = match values.get("decision").map(String::as_str) {
        Some("reject") => {
            json!({"decision": "reject", "reason": values.get("reason").cloned().unwrap_or_default()})
        }
        _ => {
            let mut outputs = serde_json::Map::new();
            for w in &writes {
                let key = w["key"].as_str().unwrap_or_default();
                if let Some(v) = values.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                    let typed = match w["type"].as_str() {
                        Some("decimal" | "money") => {
                            v.parse::<f64>().map(|n| json!(n)).unwrap_or(json!(v))
                        }
                        Some("integer") => v.parse::<i64>().map(|n| json!(n)).unwrap_or(json!(v)),
                        Some("boolean") => json!(v == "true"),
                        _ => json!(v),
                    };
                    outputs.insert(key.to_owned(), typed);
                }
            }
            json!({"decision": "approve", "outputs": outputs})
        }
    };
    let path = format!(
        "/admin/applications/{}/steps/{}/{}/resolve",
        url_encode(&id),
        url_encode(&department),
        url_encode(&step)
    );
    let answer = pages.api.post_json(&session, &path, &body).await;
    if answer.ok() {
        return Ok(Redirect::to("/console/queue?resolved=1").into_response());
    }
    if answer.status == StatusCode::UNAUTHORIZED {
        return Err(PageError::from_answer(&answer, &session.path));
    }
    resolve_view(
        &pages,
        &session,
        (&id, &department, &step),
        &values,
        Some(format!("{}: {}", answer.title(), answer.detail())),
    )
    .await
}

/// `GET /console/overdue`.
pub async fn overdue(State(pages): State<Pages>, session: Session) -> Result<Response, PageError> {
    let overdue = read(&pages, &session, "/admin/overdue").await?;
    pages
        .page(
            "console/overdue.html",
            &session,
            json!({"overdue": overdue}),
        )
        .await
}

/// What a version page may be told after a change.
#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
    refused: Option<String>,
}

/// `GET /console/plugins`: the plugins serving, and an upload form.
pub async fn plugins(
    State(pages): State<Pages>,
    session: Session,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let plugins = read(&pages, &session, "/admin/plugins").await?;
    pages
        .page(
            "console/plugins.html",
            &session,
            json!({"plugins": plugins["plugins"], "done": done.done, "refused": done.refused}),
        )
        .await
}

fn after(base: &str, answer: &Answer, done: &str) -> Response {
    let to = if answer.ok() {
        format!("{base}?done={}", url_encode(done))
    } else {
        format!(
            "{base}?refused={}",
            url_encode(&format!("{}: {}", answer.title(), answer.detail()))
        )
    };
    Redirect::to(&to).into_response()
}

/// `POST /console/plugins`: upload a component (and its signature).
pub async fn upload_plugin(
    State(pages): State<Pages>,
    session: Session,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let (values, files) = text_fields(multipart).await?;
    session.check_csrf(values.get("csrf").map(String::as_str))?;
    let Some((_, name, bytes)) = files
        .into_iter()
        .find(|(n, _, b)| n == "component" && !b.is_empty())
    else {
        return Err(PageError::Invalid(
            crate::text::of(session.lang, "upload_no_file").into(),
        ));
    };
    let mut extra = Vec::new();
    if let Some(sig) = values
        .get("signature")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        extra.push(("onething-signature", sig.to_owned()));
    }
    let answer = pages
        .api
        .post_bytes(
            &session,
            "/admin/plugins",
            "application/wasm",
            bytes,
            &extra,
        )
        .await;
    if answer.status == StatusCode::UNAUTHORIZED {
        return Err(PageError::from_answer(&answer, "/console/plugins"));
    }
    let subject = answer.json["subject"].as_str().unwrap_or_default();
    let version = answer.json["version"].as_str().unwrap_or_default();
    Ok(after(
        "/console/plugins",
        &answer,
        &format!("{name}: {subject} {version}"),
    ))
}

/// `GET /console/plugins/{department}`: its versions and history.
pub async fn plugin(
    State(pages): State<Pages>,
    session: Session,
    Path(department): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let versions = read(
        &pages,
        &session,
        &format!("/admin/plugins/{}/versions", url_encode(&department)),
    )
    .await?;
    pages
        .page(
            "console/plugin.html",
            &session,
            json!({"department": department, "versions": versions, "done": done.done, "refused": done.refused}),
        )
        .await
}

/// A version action's form.
#[derive(Debug, Deserialize)]
pub struct VersionForm {
    csrf: Option<String>,
    digest: Option<String>,
    version: Option<String>,
}

/// `POST /console/plugins/{department}/{activate|rollback}`.
pub async fn plugin_action(
    State(pages): State<Pages>,
    session: Session,
    Path((department, action)): Path<(String, String)>,
    axum::Form(form): axum::Form<VersionForm>,
) -> Result<Response, PageError> {
    session.check_csrf(form.csrf.as_deref())?;
    let base = format!("/console/plugins/{}", url_encode(&department));
    let body = match action.as_str() {
        "activate" => json!({"version": form.version.or(form.digest)}),
        "rollback" => json!({}),
        other => return Err(PageError::NotFound(format!("no action {other:?}"))),
    };
    let answer = pages
        .api
        .post_json(
            &session,
            &format!("/admin/plugins/{}/{action}", url_encode(&department)),
            &body,
        )
        .await;
    if answer.status == StatusCode::UNAUTHORIZED {
        return Err(PageError::from_answer(&answer, &base));
    }
    Ok(after(&base, &answer, &action))
}

/// `GET /console/bundles`.
pub async fn bundles(
    State(pages): State<Pages>,
    session: Session,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let bundles = read(&pages, &session, "/api/bundles").await?;
    pages
        .page(
            "console/bundles.html",
            &session,
            json!({"bundles": bundles["bundles"], "done": done.done, "refused": done.refused}),
        )
        .await
}

/// `GET /console/bundles/{id}`: its versions and history.
pub async fn bundle(
    State(pages): State<Pages>,
    session: Session,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let versions = read(
        &pages,
        &session,
        &format!("/admin/bundles/{}/versions", url_encode(&id)),
    )
    .await?;
    pages
        .page(
            "console/bundle.html",
            &session,
            json!({"id": id, "versions": versions, "done": done.done, "refused": done.refused}),
        )
        .await
}

/// `POST /console/bundles/{id}/{activate|rollback}`.
pub async fn bundle_action(
    State(pages): State<Pages>,
    session: Session,
    Path((id, action)): Path<(String, String)>,
    axum::Form(form): axum::Form<VersionForm>,
) -> Result<Response, PageError> {
    session.check_csrf(form.csrf.as_deref())?;
    let base = format!("/console/bundles/{}", url_encode(&id));
    let body = match action.as_str() {
        "activate" => json!({"version": form.version}),
        "rollback" => json!({}),
        other => return Err(PageError::NotFound(format!("no action {other:?}"))),
    };
    let answer = pages
        .api
        .post_json(
            &session,
            &format!("/admin/bundles/{}/{action}", url_encode(&id)),
            &body,
        )
        .await;
    if answer.status == StatusCode::UNAUTHORIZED {
        return Err(PageError::from_answer(&answer, &base));
    }
    Ok(after(&base, &answer, &action))
}

/// Where a kind of TOML text is uploaded and rolled back, and the page
/// that shows it.
fn toml_kind(kind: &str) -> Option<(&'static str, &'static str)> {
    match kind {
        "bundles" => Some(("/admin/bundles", "/console/bundles")),
        "dictionary" => Some(("/admin/dictionary", "/console/dictionary")),
        "grants" => Some(("/admin/grants", "/console/grants")),
        _ => None,
    }
}

/// `POST /console/upload/{bundles|dictionary|grants}`: a new version of a
/// bundle, the dictionary or the grants register, from a TOML file.
pub async fn upload_toml(
    State(pages): State<Pages>,
    session: Session,
    Path(kind): Path<String>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let (values, files) = text_fields(multipart).await?;
    session.check_csrf(values.get("csrf").map(String::as_str))?;
    let (api, page) = toml_kind(&kind)
        .ok_or_else(|| PageError::NotFound(format!("nothing to upload as {kind:?}")))?;
    let Some((_, name, bytes)) = files
        .into_iter()
        .find(|(n, _, b)| n == "file" && !b.is_empty())
    else {
        return Err(PageError::Invalid(
            crate::text::of(session.lang, "upload_no_file").into(),
        ));
    };
    let answer = pages
        .api
        .post_bytes(&session, api, "application/toml", bytes, &[])
        .await;
    if answer.status == StatusCode::UNAUTHORIZED {
        return Err(PageError::from_answer(&answer, page));
    }
    let subject = answer.json["subject"].as_str().unwrap_or_default();
    let version = answer.json["version"].as_str().unwrap_or_default();
    Ok(after(
        page,
        &answer,
        &format!("{name}: {subject} {version}"),
    ))
}

/// `POST /console/rollback/{dictionary|grants}`: serve the previous
/// version again.
pub async fn rollback_toml(
    State(pages): State<Pages>,
    session: Session,
    Path(kind): Path<String>,
    axum::Form(form): axum::Form<VersionForm>,
) -> Result<Response, PageError> {
    session.check_csrf(form.csrf.as_deref())?;
    let (api, page) = match toml_kind(&kind) {
        Some(found) if kind != "bundles" => found,
        _ => {
            return Err(PageError::NotFound(format!(
                "nothing to roll back as {kind:?}"
            )));
        }
    };
    let answer = pages
        .api
        .post_json(&session, &format!("{api}/rollback"), &json!({}))
        .await;
    if answer.status == StatusCode::UNAUTHORIZED {
        return Err(PageError::from_answer(&answer, page));
    }
    Ok(after(page, &answer, "rollback"))
}

/// `GET /console/dictionary`: the fields, and the versions.
pub async fn dictionary(
    State(pages): State<Pages>,
    session: Session,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let dictionary = read(&pages, &session, "/api/dictionary").await?;
    let versions = panel(&pages, &session, "/admin/dictionary/versions").await;
    pages
        .page(
            "console/dictionary.html",
            &session,
            json!({"dictionary": dictionary, "versions": versions, "done": done.done, "refused": done.refused}),
        )
        .await
}

/// `GET /console/grants`: the data-sharing register, and its versions.
pub async fn grants(
    State(pages): State<Pages>,
    session: Session,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let grants = read(&pages, &session, "/api/grants").await?;
    let versions = panel(&pages, &session, "/admin/grants/versions").await;
    pages
        .page(
            "console/grants.html",
            &session,
            json!({"grants": grants, "versions": versions, "done": done.done, "refused": done.refused}),
        )
        .await
}

/// `GET /console/changes`: every change offered, refused ones with why.
pub async fn changes(State(pages): State<Pages>, session: Session) -> Result<Response, PageError> {
    let changes = read(&pages, &session, "/admin/changes").await?;
    pages
        .page(
            "console/changes.html",
            &session,
            json!({"changes": changes}),
        )
        .await
}

/// `GET /console/audit`: verify the audit log's chain.
pub async fn audit(State(pages): State<Pages>, session: Session) -> Result<Response, PageError> {
    let verified = read(&pages, &session, "/admin/audit/verify").await?;
    pages
        .page(
            "console/audit.html",
            &session,
            json!({"verified": verified}),
        )
        .await
}

/// `GET /console/systems`: the departments' systems and their breakers.
pub async fn systems(State(pages): State<Pages>, session: Session) -> Result<Response, PageError> {
    let systems = read(&pages, &session, "/admin/systems").await?;
    let metrics = pages.api.get(&session, "/metrics").await;
    pages
        .page(
            "console/systems.html",
            &session,
            json!({"systems": systems["systems"], "figures": step_figures(&String::from_utf8_lossy(&metrics.bytes))}),
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_figures_come_from_the_metrics_text() {
        let text = "# HELP x\n\
            onething_step_duration_seconds_sum{department=\"health\"} 0.5\n\
            onething_step_duration_seconds_count{department=\"health\"} 4\n\
            onething_step_retries_total{department=\"health\"} 1\n\
            onething_step_duration_seconds_count{department=\"tax\"} 0\n\
            onething_other{department=\"tax\"} 9\n";
        let figures = step_figures(text);
        assert_eq!(figures.len(), 1, "{figures:?}");
        assert_eq!(figures[0]["department"], "health");
        assert_eq!(figures[0]["steps"], 4);
        assert_eq!(figures[0]["mean_ms"], "125.0");
        assert_eq!(figures[0]["retries"], 1);
    }
}
