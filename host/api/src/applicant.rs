//! Applicant endpoints: bundles and themes, the one form, checking a
//! draft, submitting, following progress (status and server-sent events),
//! correcting a needs-more application, uploading materials.

use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::ApiState;
use super::error::{ApiError, ProblemDetails};
use super::json::ApiJson;
use crate::access;
use crate::auth::{Caller, CatalogueReader};
use crate::server::Peer;
use onething_engine::notification::CheckFailure;
use onething_engine::prefill::{PrefillRequest, Prefilled};
use onething_model::application::{ApplicationDoc, sniff_media_type};
use onething_model::call::Document;
use onething_model::dictionary::Label;

use crate::lang::AnswerLang;
use onething_model::form::FormMaterial;
use onething_model::ids::{BundleId, DepartmentId, Digest, MaterialCode, StepRef};
use onething_model::problem::Problem;
use onething_model::state::{AppStatus, StepStatus};
use onething_store::applications::EventRecord;
use onething_store::materials::MaterialMeta;

/// A step of a bundle, as an applicant sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BundleStepSummary {
    /// The step, `department/step`.
    pub step: StepRef,
    /// Its title.
    pub title: Label,
    /// The steps it waits for.
    pub after: Vec<StepRef>,
    /// Its time limit.
    pub time_limit_hours: f64,
    /// Whether it runs only when a form field says so.
    pub conditional: bool,
}

/// A bundle ("one thing").
#[derive(Debug, Serialize, ToSchema)]
pub struct BundleSummary {
    /// The bundle's id.
    pub id: BundleId,
    /// Its title.
    pub title: Label,
    /// What it is for.
    pub description: Label,
    /// The time limit of the whole bundle.
    pub time_limit_hours: f64,
    /// The themes ("one type of thing") it belongs to.
    pub themes: Vec<String>,
    /// The departments of its steps.
    pub departments: Vec<DepartmentId>,
    /// Its steps, in dependency order.
    pub steps: Vec<BundleStepSummary>,
    /// Where its one form is.
    pub form: String,
}

/// A theme and its bundles.
#[derive(Debug, Serialize, ToSchema)]
pub struct Theme {
    /// The theme.
    pub theme: String,
    /// Its bundles.
    pub bundles: Vec<BundleId>,
}

/// The bundles served, and their themes.
#[derive(Debug, Serialize, ToSchema)]
pub struct BundleList {
    /// Every bundle.
    pub bundles: Vec<BundleSummary>,
    /// Every theme.
    pub themes: Vec<Theme>,
}

#[utoipa::path(get, path = "/api/bundles", tag = "applicant",
    security(("bearer" = [])),
    summary = "The bundles served, and their themes",
    responses((status = 200, description = "bundles and themes", body = BundleList)))]
pub(super) async fn bundles(_: CatalogueReader, State(s): State<ApiState>) -> Json<BundleList> {
    let cat = s.engine.catalog();
    let mut themes: BTreeMap<String, Vec<BundleId>> = BTreeMap::new();
    let bundles = cat
        .bundles()
        .map(|b| {
            for t in &b.themes {
                themes.entry(t.clone()).or_default().push(b.id.clone());
            }
            BundleSummary {
                id: b.id.clone(),
                title: b.title.clone(),
                description: b.description.clone(),
                time_limit_hours: b.time_limit.as_secs_f64() / 3600.0,
                themes: b.themes.clone(),
                departments: b.departments(),
                steps: b
                    .steps
                    .iter()
                    .map(|st| BundleStepSummary {
                        step: st.reference.clone(),
                        title: st.spec.title.clone(),
                        after: st.after.clone(),
                        time_limit_hours: st.time_limit.as_secs_f64() / 3600.0,
                        conditional: st.when.is_some(),
                    })
                    .collect(),
                form: format!("/api/bundles/{}/form", b.id),
            }
        })
        .collect();
    let themes = themes
        .into_iter()
        .map(|(theme, bundles)| Theme { theme, bundles })
        .collect();
    Json(BundleList { bundles, themes })
}

/// A bundle's one form.
#[derive(Debug, Serialize, ToSchema)]
pub struct FormAnswer {
    /// The bundle.
    pub bundle: BundleId,
    /// The form as a JSON Schema (2020-12): every field any step reads,
    /// once, with conditions for the conditional steps' fields.
    #[schema(value_type = Object)]
    pub schema: serde_json::Value,
    /// The one set of materials.
    pub materials: Vec<FormMaterial>,
    /// The one notification of everything needed, as text.
    pub notification: String,
    /// Each department with a step in the bundle, by id: its name (in
    /// the answer's language).
    #[schema(value_type = BTreeMap<String, String>)]
    pub departments: BTreeMap<String, onething_model::text::Text>,
}

#[utoipa::path(get, path = "/api/bundles/{id}/form", tag = "applicant",
    security(("bearer" = [])),
    summary = "A bundle's one form (JSON Schema), materials and notification",
    params(("id" = String, Path, description = "the bundle's id")),
    responses(
        (status = 200, description = "the form", body = FormAnswer),
        (status = 404, description = "no such bundle", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn form(
    _: CatalogueReader,
    AnswerLang(lang): AnswerLang,
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<FormAnswer>, ApiError> {
    let cat = s.engine.catalog();
    let bundle = cat
        .bundle_named(&id)
        .ok_or_else(|| ApiError::not_found(format!("no bundle {id:?}")))?;
    let form = onething_model::form::build(bundle, cat.dict(), cat.grants());
    let departments = bundle
        .departments()
        .into_iter()
        .filter_map(|d| {
            cat.plugin(&d)
                .map(|p| (d.to_string(), p.manifest().name.clone()))
        })
        .collect();
    Ok(Json(FormAnswer {
        departments,
        bundle: bundle.id.clone(),
        schema: form.json_schema(cat.dict(), lang),
        notification: form.notification(lang),
        materials: form.materials,
    }))
}

/// The one notification for a draft.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckAnswer {
    /// True only when there is no problem and every department could
    /// check.
    pub ok: bool,
    /// Every problem, the dictionary's and the departments' (the first
    /// `max_problems`; a last `more-problems` counts the rest), and one
    /// `department-could-not-check` per department that could not.
    pub problems: Vec<Problem>,
    /// The departments whose `check` could not run.
    pub unchecked: Vec<CheckFailure>,
}

#[utoipa::path(post, path = "/api/bundles/{id}/check", tag = "applicant",
    security(("bearer" = [])),
    summary = "Check a draft: every problem at once; nothing is stored",
    params(("id" = String, Path, description = "the bundle's id; the body's `bundle` must be the same")),
    request_body(content = ApplicationDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "the problems (none when ok)", body = CheckAnswer),
        (status = 403, description = "not an applicant's token, or the applicant is none of the persons the bundle is for", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "unknown bundle, bundle mismatch, unknown key in the body, or too many fields", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "over the rate limits (Retry-After says when to try again)", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn check(
    caller: Caller,
    Peer(peer): Peer,
    State(s): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(doc): ApiJson<ApplicationDoc>,
) -> Result<Json<CheckAnswer>, ApiError> {
    let applicant = caller.require_applicant("check a draft")?;
    s.rates.take(&applicant.owner, peer)?;
    if doc.bundle.as_str() != id {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Bundle mismatch",
            format!(
                "the body names bundle {} but the path names {id}",
                doc.bundle
            ),
        ));
    }
    let checked = s.engine.check(&doc, Some(&applicant)).await?;
    // A department that could not check leaves its problems unknown: the
    // draft is not "ok", and the applicant is told who could not check.
    let mut problems: Vec<_> = checked.unchecked.iter().map(|f| f.problem()).collect();
    problems.extend(checked.problems);
    Ok(Json(CheckAnswer {
        ok: problems.is_empty(),
        problems,
        unchecked: checked.unchecked,
    }))
}

/// A submission accepted.
#[derive(Debug, Serialize, ToSchema)]
pub struct Submitted {
    /// The application's id.
    pub id: String,
    /// Whether it existed already (a repeat of its idempotency key).
    pub existing: bool,
    /// Where its status is.
    pub status: String,
    /// Where its live events are.
    pub events: String,
}

#[utoipa::path(post, path = "/api/applications", tag = "applicant",
    security(("bearer" = [])),
    summary = "Submit an application: stored whole and driven, or refused with every problem and nothing stored",
    request_body(content = ApplicationDoc, content_type = "application/json"),
    responses(
        (status = 202, description = "accepted (or, for a repeated idempotency key, the application it made)", body = Submitted,
            headers(("Location" = String, description = "the application's status"))),
        (status = 403, description = "not an applicant's token, or the applicant is none of the persons the bundle is for", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "problems, an unknown bundle, consent or key, or an idempotency key used for another request; nothing stored", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "over the rate limits (Retry-After says when to try again)", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn submit(
    caller: Caller,
    Peer(peer): Peer,
    State(s): State<ApiState>,
    ApiJson(doc): ApiJson<ApplicationDoc>,
) -> Result<impl IntoResponse, ApiError> {
    let applicant = caller.require_applicant("submit an application")?;
    s.rates.take(&applicant.owner, peer)?;
    let (id, existing) = s.engine.submit(&doc, Some(&applicant)).await?;
    let body = Submitted {
        status: format!("/api/applications/{id}"),
        events: format!("/api/applications/{id}/events"),
        id: id.clone(),
        existing,
    };
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/api/applications/{id}"))],
        Json(body),
    ))
}

/// One step of an application.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    /// The step, `department/step`.
    pub step: StepRef,
    /// Its department.
    pub department: DepartmentId,
    /// Where it stands.
    pub status: StepStatus,
    /// Attempts made.
    pub attempts: u32,
    /// The version that handled the last attempt.
    pub plugin_version: Option<String>,
    /// The digest of that version.
    pub plugin_digest: Option<Digest>,
    /// When it is due, ms since the epoch (once it has started).
    pub due_ms: Option<i64>,
    /// Whether it passed its time limit.
    pub overdue: bool,
    /// The last error, rejection reason or manual-queue reason.
    pub reason: Option<Label>,
    /// Problems it returned (needs-more).
    pub problems: Vec<Problem>,
    /// Documents it issued.
    pub documents: Vec<Document>,
    /// The department's note for the applicant.
    pub note: Option<Label>,
}

/// Where an application stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusAnswer {
    /// Its id.
    pub id: String,
    /// Its bundle.
    pub bundle: BundleId,
    /// The bundle's title, while the bundle is served.
    pub title: Option<Label>,
    /// Where it stands.
    pub status: AppStatus,
    /// When it was submitted, ms since the epoch.
    pub submitted_ms: i64,
    /// When the whole bundle is due.
    pub due_ms: i64,
    /// Whether the bundle passed its time limit.
    pub overdue: bool,
    /// Every step.
    pub steps: Vec<StepView>,
    /// Every field the steps wrote, by key (values typed by the
    /// dictionary).
    pub outputs: BTreeMap<String, serde_json::Value>,
}

#[utoipa::path(get, path = "/api/applications/{id}", tag = "applicant",
    security(("bearer" = [])),
    summary = "An application's status: every step, its department, outcome, documents, note and deadline",
    params(("id" = String, Path, description = "the application's id")),
    responses(
        (status = 200, description = "the status", body = StatusAnswer),
        (status = 404, description = "no such application", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn status(
    caller: Caller,
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<StatusAnswer>, ApiError> {
    let state = access::application(&s, &id).await?;
    let reader = access::reader(&s, &caller, &state).await?;
    let cat = s.engine.catalog();
    let dict = cat.dict();
    let bundle = s.engine.bundle_of(&state).await;
    // A document's number is shown to whoever sees the fields its step
    // writes.
    let shows_step = |step: &StepRef| {
        reader.is_owner()
            || bundle
                .as_ref()
                .and_then(|b| b.step(step))
                .is_some_and(|st| {
                    !st.spec.writes.is_empty()
                        && st.spec.writes.iter().all(|k| reader.exposure.shows(k))
                })
    };
    let steps = state
        .steps
        .iter()
        .map(|st| StepView {
            step: st.step.clone(),
            department: st.step.department.clone(),
            status: st.status,
            attempts: st.attempts,
            plugin_version: st.plugin_version.clone(),
            plugin_digest: st.plugin_digest,
            due_ms: st
                .started_ms
                .map(|t| t.saturating_add((st.time_limit_secs as i64).saturating_mul(1000))),
            overdue: st.overdue,
            reason: st.reason.clone(),
            problems: st.problems.clone(),
            documents: if shows_step(&st.step) {
                st.documents.clone()
            } else {
                st.documents.iter().map(masked_document).collect()
            },
            note: st.note.clone(),
        })
        .collect();
    let title = cat.bundle(&state.bundle).map(|b| b.title.clone());
    access::record_read(&s, &reader, &state, "GET /api/applications/{id}", &[]).await?;
    Ok(Json(StatusAnswer {
        outputs: state
            .outputs
            .iter()
            .map(|(k, v)| (k.to_string(), reader.exposure.value(k, v, dict)))
            .collect(),
        id: state.id,
        bundle: state.bundle,
        title,
        status: state.status,
        submitted_ms: state.submitted_ms,
        due_ms: state.due_ms,
        overdue: state.overdue,
        steps,
    }))
}

/// A document as someone who may not see its number sees it.
fn masked_document(d: &Document) -> Document {
    Document {
        number: onething_model::exposure::mask(
            &serde_json::Value::String(d.number.clone()),
            onething_model::dictionary::Sensitivity::Sensitive,
        )
        .as_str()
        .unwrap_or("[sensitive]")
        .to_owned(),
        ..d.clone()
    }
}

/// A correction of a needs-more application.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Correction {
    /// Fields to set, by dictionary key (null removes one).
    fields: BTreeMap<String, serde_json::Value>,
}

/// An application and where it stands now.
#[derive(Debug, Serialize, ToSchema)]
pub struct Moved {
    /// Its id.
    pub id: String,
    /// Where it stands.
    pub status: AppStatus,
}

#[utoipa::path(patch, path = "/api/applications/{id}", tag = "applicant",
    security(("bearer" = [])),
    summary = "Correct a needs-more application; approved steps are not run again",
    params(("id" = String, Path, description = "the application's id")),
    request_body(content = Correction, content_type = "application/json"),
    responses(
        (status = 202, description = "corrected and resumed", body = Moved),
        (status = 404, description = "no such application", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "the application is not needs-more", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "the corrected form still has problems", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn correct(
    caller: Caller,
    State(s): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(c): ApiJson<Correction>,
) -> Result<impl IntoResponse, ApiError> {
    // Only the owner corrects: to anyone else it does not exist.
    let current = access::application(&s, &id).await?;
    if !access::reader(&s, &caller, &current).await?.is_owner() {
        return Err(access::hidden(&id));
    }
    let state = s.engine.correct(&id, c.fields).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Moved {
            id: state.id,
            status: state.status,
        }),
    ))
}

#[utoipa::path(get, path = "/api/applications/{id}/events", tag = "applicant",
    security(("bearer" = [])),
    summary = "Live progress as server-sent events: the history first, then each event as it happens, until the application is final",
    description = "Each event's `event` is its kind (`submitted`, `attempt-started`, `step-approved`, …), its `id` its sequence number and its `data` the event as JSON. A follower that reconnects sends `Last-Event-ID` to get only what it has not seen. When the service shuts down, a last `shutdown` event ends the stream.",
    params(
        ("id" = String, Path, description = "the application's id"),
        ("Last-Event-ID" = Option<u64>, Header, description = "the last event seen; only later ones are sent")),
    responses(
        (status = 200, description = "the event stream: each message as described", body = EventMessage, content_type = "text/event-stream"),
        (status = 404, description = "no such application", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn events(
    caller: Caller,
    State(s): State<ApiState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    let AnswerLang(lang) = AnswerLang::of(&headers);
    // A follower that reconnects says the last event it saw.
    let from = match headers.get("last-event-id") {
        None => 0,
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|t| t.trim().parse::<u64>().ok())
            .ok_or_else(|| {
                ApiError::bad_request("Last-Event-ID must be the number of an event (its id)")
            })?,
    };
    let engine = s.engine.clone();
    let rx = engine.subscribe();
    let state = access::application(&s, &id).await?;
    let reader = access::reader(&s, &caller, &state).await?;
    access::record_read(
        &s,
        &reader,
        &state,
        "GET /api/applications/{id}/events",
        &[],
    )
    .await?;
    let history: VecDeque<EventRecord> = engine.store().events(&id, from).await?.into();
    let mut poll = tokio::time::interval(s.stream_poll);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let follow = Follow {
        engine,
        id,
        rx,
        poll,
        closing: s.closing.clone(),
        exposure: reader.exposure,
        last: from,
        pending: history,
        done: state.status.is_final(),
        lang,
    };
    let stream = futures::stream::unfold(Some(follow), |follow| async move {
        let mut f = follow?;
        let next = f.next().await;
        match next {
            Next::Event(sse) => Some((Ok::<_, Infallible>(sse), Some(f))),
            Next::Closing(sse) => Some((Ok(sse), None)),
            Next::End => None,
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// An application's events so far.
#[derive(Debug, Serialize, ToSchema)]
pub struct History {
    /// The application.
    pub application: String,
    /// Each event, oldest first: its `seq`, `at_ms`, `kind` and what
    /// happened (masked as the caller's reads are).
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<serde_json::Value>,
}

#[utoipa::path(get, path = "/api/applications/{id}/history", tag = "applicant",
    security(("bearer" = [])),
    summary = "An application's events so far, as one JSON answer (the same events, masked the same way, as the live stream)",
    params(("id" = String, Path, description = "the application's id")),
    responses(
        (status = 200, description = "the events", body = History),
        (status = 404, description = "no such application", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn history(
    caller: Caller,
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<History>, ApiError> {
    let state = access::application(&s, &id).await?;
    let reader = access::reader(&s, &caller, &state).await?;
    access::record_read(
        &s,
        &reader,
        &state,
        "GET /api/applications/{id}/history",
        &[],
    )
    .await?;
    let dict = s.engine.catalog();
    let events = s
        .engine
        .store()
        .events(&id, 0)
        .await?
        .into_iter()
        .map(|mut ev| {
            if !reader.exposure.is_full() {
                ev.event = ev.event.exposed(&reader.exposure, dict.dict());
            }
            serde_json::to_value(&ev).unwrap_or_default()
        })
        .collect();
    Ok(Json(History {
        application: id,
        events,
    }))
}

/// One message of an application's event stream, as the server sends it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventMessage {
    /// The event's kind (`submitted`, `attempt-started`, `step-approved`,
    /// …), or `shutdown` for the last message before the service stops.
    pub event: String,
    /// The event's sequence number (absent on `shutdown`).
    pub id: Option<String>,
    /// The event as JSON: its `seq`, `at_ms`, `kind` and what happened.
    pub data: String,
}

/// One follower of an application's events: its history first, then what
/// the engine appends, until the application is final or the service
/// shuts down.
struct Follow {
    engine: onething_engine::Engine,
    id: String,
    rx: tokio::sync::broadcast::Receiver<onething_engine::Update>,
    /// When to look in the store for events this host did not append (a
    /// step driven by another host on the same database).
    poll: tokio::time::Interval,
    closing: crate::Closing,
    exposure: onething_model::exposure::Exposure,
    last: u64,
    pending: VecDeque<EventRecord>,
    done: bool,
    /// The language the follower asked for: every text of an event is
    /// sent in it.
    lang: onething_model::text::Lang,
}

/// What a follower sends next.
enum Next {
    /// An event of the application.
    Event(SseEvent),
    /// The last message: the service is shutting down.
    Closing(SseEvent),
    /// The application is final and every event was sent.
    End,
}

impl Follow {
    async fn next(&mut self) -> Next {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            if let Some(mut ev) = self.pending.pop_front() {
                self.last = ev.seq;
                if !self.exposure.is_full() {
                    ev.event = ev
                        .event
                        .exposed(&self.exposure, self.engine.catalog().dict());
                }
                let mut data = serde_json::to_value(&ev).unwrap_or_default();
                onething_model::text::localise(&mut data, self.lang);
                return Next::Event(
                    SseEvent::default()
                        .event(ev.event.kind())
                        .id(ev.seq.to_string())
                        .json_data(&data)
                        .unwrap_or_else(|_| SseEvent::default().comment("unencodable event")),
                );
            }
            if self.done {
                return Next::End;
            }
            let received = tokio::select! {
                () = self.closing.wait() => return Next::Closing(self.shutdown_event()),
                r = self.rx.recv() => r,
                _ = self.poll.tick() => {
                    // Another host may be driving the application: what
                    // it appended is in the store, not in this host's
                    // broadcast.
                    self.catch_up().await;
                    if !self.pending.is_empty()
                        && let Ok(Some(st)) = self.engine.state(&self.id).await
                    {
                        self.done = st.status.is_final();
                    }
                    continue;
                }
            };
            match received {
                Ok(u) if u.application != self.id => continue,
                Ok(u) => {
                    self.catch_up().await;
                    self.done = u.status.is_final();
                }
                Err(RecvError::Lagged(_)) => {
                    self.catch_up().await;
                    if let Ok(Some(st)) = self.engine.state(&self.id).await {
                        self.done = st.status.is_final();
                    }
                }
                Err(RecvError::Closed) => return Next::End,
            }
        }
    }

    async fn catch_up(&mut self) {
        if let Ok(more) = self.engine.store().events(&self.id, self.last).await {
            self.pending.extend(more);
        }
    }

    /// The final event when the service shuts down: follow again (with
    /// `Last-Event-ID`, or from the status) once it is back.
    fn shutdown_event(&self) -> SseEvent {
        SseEvent::default().event("shutdown").data(
            json!({
                "reason": "the service is shutting down; follow again when it is back",
                "application": self.id,
                "last_seq": self.last,
            })
            .to_string(),
        )
    }
}

#[utoipa::path(post, path = "/api/materials", tag = "applicant",
    security(("bearer" = [])),
    summary = "Upload a material once (PDF, PNG or JPEG; Content-Type must match its content); reference it by digest",
    request_body(description = "the file", content(
        (Vec<u8> = "application/pdf"), (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"))),
    responses(
        (status = 201, description = "stored (or already stored): its digest, media type and size", body = MaterialMeta),
        (status = 400, description = "empty or unreadable body", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 413, description = "over max_material_bytes", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "not a PDF, PNG or JPEG file, or not what Content-Type says", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn upload_material(
    caller: Caller,
    State(s): State<ApiState>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let applicant = caller.require_applicant("upload a material")?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Material too large",
                format!("materials are limited to {} bytes", s.limits.material_bytes),
            )
        } else {
            ApiError::bad_request(format!("cannot read the body: {e}"))
        }
    })?;
    if body.is_empty() {
        return Err(ApiError::bad_request("the material is empty"));
    }
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_owned();
    let sniffed = sniff_media_type(&body).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported material",
            "a material must be a PDF, PNG or JPEG file",
        )
    })?;
    if declared != sniffed {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Media type mismatch",
            format!("Content-Type says {declared:?} but the content is {sniffed}"),
        ));
    }
    let meta = MaterialMeta {
        digest: Digest::of(&body),
        media_type: sniffed.to_owned(),
        size: body.len() as u64,
    };
    s.engine.store().put_material(&meta, &body).await?;
    s.engine
        .store()
        .record_upload(&meta.digest, &applicant.owner)
        .await?;
    Ok((StatusCode::CREATED, Json(meta)))
}

#[utoipa::path(post, path = "/api/bundles/{id}/prefill", tag = "applicant",
    security(("bearer" = [])),
    summary = "Ask the consented departments to prefill what they hold; refused without consent",
    params(("id" = String, Path, description = "the bundle's id")),
    request_body(content = PrefillRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "the prefilled values, their sources, and a consent id to submit with", body = Prefilled),
        (status = 403, description = "no consent, not an applicant's token, or keyed by someone the applicant is not (the field named)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "no such bundle", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "the consent or the fields name something wrong", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "over the rate limits (Retry-After says when to try again)", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn prefill(
    caller: Caller,
    Peer(peer): Peer,
    State(s): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<PrefillRequest>,
) -> Result<Json<Prefilled>, ApiError> {
    let applicant = caller.require_applicant("ask for a prefill")?;
    s.rates.take(&applicant.owner, peer)?;
    Ok(Json(s.engine.prefill(&id, request, &applicant).await?))
}

#[utoipa::path(get, path = "/api/applications/{id}/materials/{code}", tag = "applicant",
    security(("bearer" = [])),
    summary = "A material of an application: to its owner, and to the officers of the departments whose steps need it (each such read is recorded)",
    params(
        ("id" = String, Path, description = "the application's id"),
        ("code" = String, Path, description = "the material's code")),
    responses(
        (status = 200, description = "the file", content(
            (Vec<u8> = "application/pdf"), (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"))),
        (status = 403, description = "an operator, or an officer whose department's steps do not need it", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "no such application or material", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn material(
    caller: Caller,
    State(s): State<ApiState>,
    Path((id, code)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let state = access::application(&s, &id).await?;
    let reader = access::reader(&s, &caller, &state).await?;
    let material = MaterialCode::parse(&code)
        .ok()
        .and_then(|c| state.materials.get(&c).map(|m| (c, m.clone())));
    let Some((code, material)) = material else {
        return Err(ApiError::not_found(format!(
            "application {id} has no material {code}"
        )));
    };
    if let Some(allowed) = &reader.materials
        && !allowed.contains(&code)
    {
        return Err(ApiError::forbidden(
            "Not yours to see",
            format!(
                "material {code} is shown only to the applicant and to the officers of the departments whose steps need it; {} is neither",
                caller.actor()
            ),
        ));
    }
    let bytes = s
        .engine
        .store()
        .material_bytes(&material.digest)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("material {code} is not stored")))?;
    access::record_read(
        &s,
        &reader,
        &state,
        "GET /api/applications/{id}/materials/{code}",
        &[code.to_string()],
    )
    .await?;
    Ok(([(header::CONTENT_TYPE, material.media_type.clone())], bytes))
}
