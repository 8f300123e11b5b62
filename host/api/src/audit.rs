//! Audit endpoints: the applicant's view of who received which of an
//! application's fields, when and for which step (a "data tracker"); and,
//! for operators, an application's audit entries, a check of the whole
//! chain naming the first broken record, and the checkpoint to keep
//! elsewhere.
//!
//! An application's entries are made from its events with the same
//! `onething_model::audit::derive` the store uses to seal them into the chain, so
//! the view and the log say the same thing; the chain is what proves it.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ApiState;
use super::error::{ApiError, ProblemDetails};
use crate::access;
use crate::auth::{Allowed, Audit, Caller};
use onething_model::audit::{Action, Entry, Flow};
use onething_model::consent::ConsentUse;
use onething_model::events::Event;
use onething_model::ids::BundleId;
use onething_store::applications::EventRecord;
use onething_store::audit::{Broken, VerifyOptions};

/// One department's receipt of fields.
#[derive(Debug, Serialize, ToSchema)]
pub struct Receipt {
    /// The department.
    pub department: String,
    /// The step it received them for, `department/step`.
    pub step: String,
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// The fields, each with where its value came from.
    pub fields: Vec<Flow>,
    /// The material codes.
    pub materials: Vec<String>,
}

/// Who received a field, and first when.
#[derive(Debug, Serialize, ToSchema)]
pub struct Recipient {
    /// The department.
    pub department: String,
    /// The step, `department/step`.
    pub step: String,
    /// The first time, ms since the epoch.
    pub first_at_ms: i64,
    /// How many times (once per attempt).
    pub times: usize,
}

/// Fields a department or an operator wrote into the application.
#[derive(Debug, Serialize, ToSchema)]
pub struct Production {
    /// Who: a department, or the operator who resolved the step.
    pub by: String,
    /// The step, `department/step`.
    pub step: Option<String>,
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// The keys written.
    pub fields: Vec<String>,
    /// The decision or note recorded with it.
    pub note: Option<String>,
}

/// A read of the application's data by someone other than its owner.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadRecord {
    /// Who read it: an officer (with their department) or an operator.
    pub by: String,
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// The fields they saw in full (the rest were masked).
    pub fields: Vec<String>,
    /// The materials they fetched.
    pub materials: Vec<String>,
    /// The route, and how many fields were masked.
    pub route: Option<String>,
}

/// Who received or wrote which of an application's fields.
#[derive(Debug, Serialize, ToSchema)]
pub struct DataFlows {
    /// The application.
    pub application: String,
    /// Its bundle.
    pub bundle: BundleId,
    /// For each field key, the departments that received it.
    pub fields: BTreeMap<String, Vec<Recipient>>,
    /// Every receipt, in order.
    pub received: Vec<Receipt>,
    /// What each department (or operator) produced.
    pub produced: Vec<Production>,
    /// The prefill consent the application was submitted with.
    pub prefill_consent: Option<ConsentUse>,
    /// Every read of its data by someone other than its owner, from the
    /// audit log.
    pub reads: Vec<ReadRecord>,
}

#[utoipa::path(get, path = "/api/applications/{id}/data-flows", tag = "applicant",
    security(("bearer" = [])),
    summary = "Who received which of the application's fields, when and for which step; what each department produced; the prefill consent; who else read its data (to its owner, and to operators with viewer or auditor)",
    params(("id" = String, Path, description = "the application's id")),
    responses(
        (status = 200, description = "the data flows", body = DataFlows),
        (status = 404, description = "no such application", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn data_flows(
    caller: Caller,
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<DataFlows>, ApiError> {
    let state = access::application(&s, &id).await?;
    // Its owner, and operators; not another department's officer.
    if matches!(caller, Caller::Officer { .. }) {
        return Err(access::hidden(&id));
    }
    let reader = access::reader(&s, &caller, &state).await?;
    let reads = s
        .engine
        .store()
        .entries_of(&id)
        .await?
        .into_iter()
        .filter(|(_, e)| e.action == Action::Read)
        .map(|(at_ms, e)| ReadRecord {
            by: e.actor,
            at_ms,
            fields: e.fields.into_iter().map(|f| f.key).collect(),
            materials: e.materials,
            route: e.note,
        })
        .collect();
    access::record_read(
        &s,
        &reader,
        &state,
        "GET /api/applications/{id}/data-flows",
        &[],
    )
    .await?;
    let events = s.engine.store().events(&id, 0).await?;
    let mut receipts = Vec::new();
    let mut produced = Vec::new();
    let mut by_field: BTreeMap<String, Vec<Recipient>> = BTreeMap::new();
    for (at_ms, e) in entries_of(&id, &events) {
        match e.action {
            Action::Disclosed => {
                let department = e.recipient.clone().unwrap_or_default();
                let step = e.step.clone().unwrap_or_default();
                for f in &e.fields {
                    let list = by_field.entry(f.key.clone()).or_default();
                    match list
                        .iter_mut()
                        .find(|x| x.department == department && x.step == step)
                    {
                        Some(x) => x.times += 1,
                        None => list.push(Recipient {
                            department: department.clone(),
                            step: step.clone(),
                            first_at_ms: at_ms,
                            times: 1,
                        }),
                    }
                }
                receipts.push(Receipt {
                    department,
                    step,
                    at_ms,
                    fields: e.fields,
                    materials: e.materials,
                });
            }
            Action::Produced | Action::OperatorResolved => produced.push(Production {
                by: e.actor,
                step: e.step,
                at_ms,
                fields: e.fields.into_iter().map(|f| f.key).collect(),
                note: e.note,
            }),
            _ => {}
        }
    }
    // The consent, as recorded with the application.
    let consent = events.into_iter().find_map(|r| match r.event {
        Event::Submitted { consent, .. } => consent,
        _ => None,
    });
    Ok(Json(DataFlows {
        application: id,
        bundle: state.bundle,
        fields: by_field,
        received: receipts,
        produced,
        prefill_consent: consent,
        reads,
    }))
}

/// The audit entries of an application's events, each with its time.
fn entries_of(id: &str, events: &[EventRecord]) -> Vec<(i64, Entry)> {
    events
        .iter()
        .flat_map(|r| {
            onething_model::audit::derive::from_events(id, [&r.event])
                .into_iter()
                .map(move |e| (r.at_ms, e))
        })
        .collect()
}

/// One audit entry of an application, with its time.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimedEntry {
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// The entry.
    #[serde(flatten)]
    pub entry: Entry,
}

/// An application's audit entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationAudit {
    /// The application.
    pub application: String,
    /// Its entries, in order (keys, never values).
    pub entries: Vec<TimedEntry>,
}

#[utoipa::path(get, path = "/admin/applications/{id}/audit", tag = "operator",
    summary = "An application's audit entries (keys, never values)",
    security(("bearer" = ["auditor"])),
    params(("id" = String, Path, description = "the application's id")),
    responses(
        (status = 200, description = "the entries", body = ApplicationAudit),
        (status = 404, description = "no such application", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn application_audit(
    _: Allowed<Audit>,
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<ApplicationAudit>, ApiError> {
    let events = s.engine.store().events(&id, 0).await?;
    if events.is_empty() {
        return Err(access::hidden(&id));
    }
    // What its events say, with what was sealed on its own about it
    // (reads by others, departments' outbound calls), in time order.
    let mut entries = entries_of(&id, &events);
    entries.extend(
        s.engine
            .store()
            .entries_of(&id)
            .await?
            .into_iter()
            .filter(|(_, e)| e.action.stands_alone()),
    );
    entries.sort_by_key(|(at_ms, _)| *at_ms);
    let entries = entries
        .into_iter()
        .map(|(at_ms, entry)| TimedEntry { at_ms, entry })
        .collect();
    Ok(Json(ApplicationAudit {
        application: id,
        entries,
    }))
}

/// A checkpoint of the audit chain: its last record's seq and digest,
/// signed with the host's key when it has one.
#[derive(Debug, Serialize, ToSchema)]
pub struct Checkpoint {
    /// The last record's seq (0 when there is none).
    pub seq: u64,
    /// The last record's digest (the genesis digest when there is none).
    pub digest: String,
    /// The host's ed25519 signature over both, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl From<onething_store::audit::Chain> for Checkpoint {
    fn from(c: onething_store::audit::Chain) -> Self {
        Self {
            seq: c.seq,
            digest: c.digest,
            signature: c.signature,
        }
    }
}

/// A check of the whole chain that found it intact.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditIntact {
    /// Always true here.
    pub intact: bool,
    /// Records checked.
    pub records: u64,
    /// Events checked against the digests the chain sealed.
    pub events: u64,
    /// The last digest.
    pub head: String,
    /// Whether the checkpoint's signature was checked with the host's key.
    pub signed: bool,
    /// The checkpoint checked against.
    pub checkpoint: Option<Checkpoint>,
    /// The checkpoint kept elsewhere that the chain was found to hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
}

/// A check of the whole chain that found it broken: a problem (RFC 9457)
/// with the finding as extension members.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditBroken {
    /// Always `about:blank`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// What went wrong, in a few words.
    pub title: String,
    /// 409.
    pub status: u16,
    /// The finding in words, naming the record.
    pub detail: String,
    /// Always false here.
    pub intact: bool,
    /// The first record that is wrong, and what is wrong with it.
    pub first_broken: Broken,
    /// The finding in words (as `detail`).
    pub message: String,
    /// The checkpoint checked against.
    pub checkpoint: Option<Checkpoint>,
}

/// What to check the chain against beyond its own checkpoint.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct VerifyQuery {
    /// A checkpoint kept outside the host, `SEQ:DIGEST` (from
    /// `/admin/audit/checkpoint` or `onething audit checkpoint`): the
    /// chain must still hold that record with that digest.
    expect: Option<String>,
}

#[utoipa::path(get, path = "/admin/audit/verify", tag = "operator",
    summary = "Check the whole audit chain and every stored event against its checkpoint, the host's key and (if given) a checkpoint kept elsewhere; names the first fault",
    security(("bearer" = ["auditor"])),
    params(VerifyQuery),
    responses(
        (status = 200, description = "intact", body = AuditIntact),
        (status = 400, description = "expect is not SEQ:DIGEST", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "broken: first_broken names the record and what is wrong", body = AuditBroken, content_type = "application/problem+json")))]
pub(super) async fn verify(
    _: Allowed<Audit>,
    State(s): State<ApiState>,
    Query(q): Query<VerifyQuery>,
) -> Result<Response, ApiError> {
    let expected = match &q.expect {
        None => None,
        Some(text) => Some(
            onething_store::audit::checkpoint::parse_expected(text)
                .map_err(|e| ApiError::bad_request(format!("expect: {e}")))?,
        ),
    };
    let options = VerifyOptions {
        key: None,
        expected: expected.clone(),
    };
    let store = s.engine.store();
    let checkpoint = store.audit_checkpoint().await?.map(Checkpoint::from);
    Ok(match store.verify_audit(&options).await? {
        Ok(v) => Json(AuditIntact {
            intact: true,
            records: v.records,
            events: v.events,
            head: v.head,
            signed: v.signed,
            checkpoint,
            expected: expected.map(|(seq, digest)| format!("{seq}:{digest}")),
        })
        .into_response(),
        Err(broken) => {
            tracing::error!(record = broken.seq, reason = %broken.reason, "the audit log is broken");
            let message = broken.to_string();
            let mut resp = (
                StatusCode::CONFLICT,
                Json(AuditBroken {
                    kind: "about:blank",
                    title: "The audit log is broken".into(),
                    status: StatusCode::CONFLICT.as_u16(),
                    detail: message.clone(),
                    intact: false,
                    first_broken: broken,
                    message,
                    checkpoint,
                }),
            )
                .into_response();
            resp.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static(crate::guard::PROBLEM_JSON),
            );
            resp
        }
    })
}

#[utoipa::path(get, path = "/admin/audit/checkpoint", tag = "operator",
    summary = "The audit checkpoint (last seq and digest), to keep outside the host",
    security(("bearer" = ["auditor"])),
    responses((status = 200, description = "the checkpoint", body = Checkpoint)))]
pub(super) async fn checkpoint(
    _: Allowed<Audit>,
    State(s): State<ApiState>,
) -> Result<Json<Checkpoint>, ApiError> {
    let c = s.engine.store().audit_checkpoint().await?;
    Ok(Json(c.map_or_else(
        || Checkpoint {
            seq: 0,
            digest: onething_store::audit::GENESIS.to_owned(),
            signature: None,
        },
        Checkpoint::from,
    )))
}
