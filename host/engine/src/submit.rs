//! Submitting an application: the document read against its bundle and
//! the dictionary, its materials found in the store, the one notification;
//! then, with no problem, the application stored with its first event and
//! driven. Refused with every problem and nothing stored, or stored whole.
//!
//! A client's idempotency key is looked up before anything else, so a
//! repeat after a lost answer gets the application it made (whatever the
//! checks would say now); the key is stored with the digest of the
//! request, and the same key with another request is refused.

use std::collections::BTreeMap;
use std::sync::Arc;

use onething_model::application::{ApplicationDoc, Contents, read_contents};
use onething_model::bundle::Bundle;
use onething_model::events::Event;
use onething_model::ids::Digest;
use onething_model::party::{Applicant, may_apply};
use onething_model::problem::{Problem, Subject, first_of};
use onething_model::rules::host_problems;
use onething_model::state::{AppState, AppStatus};
use onething_model::text::Text;
use onething_store::StoreError;
use onething_store::applications::{ClientKey, Created};

use crate::notification::{CheckFailure, check_all};
use crate::{Engine, SubmitError, now_ms};

/// A draft read and checked: the one notification.
#[derive(Debug)]
pub struct Checked {
    /// The bundle applied for.
    pub bundle: Arc<Bundle>,
    /// The document's fields and materials, typed.
    pub contents: Contents,
    /// Every problem found (the first `max_problems`, and a count of the
    /// rest).
    pub problems: Vec<Problem>,
    /// The departments whose `check` could not run.
    pub unchecked: Vec<CheckFailure>,
}

impl Engine {
    /// Read and check an application document against its bundle: the one
    /// notification, without storing anything. The problems are the first
    /// `max_problems` (and a count of the rest); the departments whose
    /// `check` could not run are listed apart, never as "no problem".
    ///
    /// With an applicant, the bundle must be for them (one of its
    /// applicant fields holds their resident ID number), or nothing is
    /// asked of any department.
    pub async fn check(
        &self,
        doc: &ApplicationDoc,
        applicant: Option<&Applicant>,
    ) -> Result<Checked, SubmitError> {
        self.within_bounds(doc.fields.len(), doc.materials.len())
            .map_err(SubmitError::Problems)?;
        let cat = self.catalog();
        let bundle = cat
            .bundle(&doc.bundle)
            .cloned()
            .ok_or_else(|| SubmitError::UnknownBundle(doc.bundle.to_string()))?;
        let mut contents = read_contents(doc, &bundle, cat.dict());
        self.check_stored_materials(&mut contents, applicant)
            .await?;
        // While an ID the bundle keys its persons on is mistyped, no
        // department is asked: a check keyed by a wrong number says
        // nothing useful, and may say something of someone else. The
        // host's problems are every one there is until it is corrected.
        let person_mistyped = contents.problems.iter().any(|p| {
            matches!(&p.subject, Subject::Field(k) if bundle.applicants.iter().any(|a| a.as_str() == k))
        });
        if person_mistyped {
            let problems = host_problems(&bundle, &contents, cat.dict());
            return Ok(Checked {
                bundle,
                problems: first_of(problems, self.inner.max_problems),
                contents,
                unchecked: Vec::new(),
            });
        }
        if let Some(applicant) = applicant {
            // A form naming persons the bundle is for must name the
            // applicant among them before any department is asked (a
            // mistyped or absent ID keys nothing: the departments are
            // not sent it).
            let typed: serde_json::Map<String, serde_json::Value> = contents
                .form
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_json()))
                .collect();
            may_apply(&bundle, &typed, applicant)?;
        }
        let (problems, unchecked) = check_all(&bundle, &contents, &cat, None).await;
        Ok(Checked {
            bundle,
            contents,
            problems: first_of(problems, self.inner.max_problems),
            unchecked,
        })
    }

    /// Refuse, before reading any of them, more fields or materials than
    /// one application may carry, naming the setting.
    pub(crate) fn within_bounds(
        &self,
        fields: usize,
        materials: usize,
    ) -> Result<(), Vec<Problem>> {
        let max_fields = self.inner.max_form_fields;
        let max_materials = self.inner.max_materials;
        let mut problems = Vec::new();
        if fields > max_fields {
            problems.push(Problem::general(
                "too-many-fields",
                Text::new(
                    format!(
                        "申请填写了 {fields} 个字段，一份申请最多 {max_fields} 个（max_form_fields）；均未读取"
                    ),
                    format!(
                        "the request has {fields} fields; an application takes at most {max_fields} (max_form_fields); none was read"
                    ),
                ),
            ));
        }
        if materials > max_materials {
            problems.push(Problem::general(
                "too-many-materials",
                Text::new(
                    format!(
                        "申请引用了 {materials} 份材料，一份申请最多 {max_materials} 份（max_materials）；均未读取"
                    ),
                    format!(
                        "the request references {materials} materials; an application takes at most {max_materials} (max_materials); none was read"
                    ),
                ),
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Every material referenced must be stored, with the size and media
    /// type the document says, and, for an applicant, uploaded by them (a
    /// material someone else uploaded is, to them, unknown).
    async fn check_stored_materials(
        &self,
        contents: &mut Contents,
        applicant: Option<&Applicant>,
    ) -> Result<(), StoreError> {
        let mut unknown = Vec::new();
        for (code, m) in &contents.materials {
            let theirs = match applicant {
                Some(a) => self.inner.store.uploaded_by(&m.digest, &a.owner).await?,
                None => true,
            };
            let stored = if theirs {
                self.inner.store.material(&m.digest).await?
            } else {
                None
            };
            match stored {
                Some(meta) if meta.size == m.size && meta.media_type == m.media_type => {}
                Some(meta) => contents.problems.push(Problem::material(
                    code.as_str(),
                    "mismatch",
                    Text::new(
                        format!(
                            "材料 {code}：已存的 {} 为 {}，{} 字节，与申请所写的 {}、{} 字节不符",
                            m.digest, meta.media_type, meta.size, m.media_type, m.size
                        ),
                        format!(
                            "material {code}: stored {} is {} of {} bytes, not {} of {} bytes",
                            m.digest, meta.media_type, meta.size, m.media_type, m.size
                        ),
                    ),
                )),
                None => {
                    unknown.push(code.clone());
                    contents.problems.push(Problem::material(
                        code.as_str(),
                        "unknown-digest",
                        Text::new(
                            format!(
                                "材料 {code}：{} 尚未上传（请先 POST /api/materials）",
                                m.digest
                            ),
                            format!(
                                "material {code}: {} has not been uploaded (POST /api/materials first)",
                                m.digest
                            ),
                        ),
                    ));
                }
            }
        }
        for code in unknown {
            contents.materials.remove(&code);
        }
        Ok(())
    }

    /// Submit an application. Refused with every problem and nothing
    /// stored, or stored and driven; idempotent on the client key. The id,
    /// and whether it existed already. With an applicant, the application
    /// is theirs (only they read it in full).
    pub async fn submit(
        &self,
        doc: &ApplicationDoc,
        applicant: Option<&Applicant>,
    ) -> Result<(String, bool), SubmitError> {
        let id = format!("app-{}", uuid::Uuid::now_v7().simple());
        self.submit_as(doc, id, applicant).await
    }

    /// [`Engine::submit`] under a chosen id (`onething run` names its
    /// applications after their files).
    pub async fn submit_as(
        &self,
        doc: &ApplicationDoc,
        id: String,
        applicant: Option<&Applicant>,
    ) -> Result<(String, bool), SubmitError> {
        let client_key = self.client_key(doc, applicant)?;
        if let Some(key) = &client_key
            && let Some((existing, request)) = self.inner.store.by_client_key(&key.key).await?
        {
            return repeat(key, existing, request);
        }
        let Checked {
            bundle,
            contents,
            problems,
            ..
        } = self.check(doc, applicant).await?;
        if !problems.is_empty() {
            return Err(SubmitError::Problems(problems));
        }
        let form: BTreeMap<_, _> = contents
            .form
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect();
        let consent = match &doc.consent {
            None => None,
            Some(cid) => {
                let record = self.inner.store.consent(cid).await?.ok_or_else(|| {
                    SubmitError::Consent(format!(
                        "consent {cid} is unknown (POST /api/bundles/{}/prefill gives one)",
                        bundle.id
                    ))
                })?;
                if record.bundle != bundle.id {
                    return Err(SubmitError::Consent(format!(
                        "consent {cid} was given for bundle {}, not {}",
                        record.bundle, bundle.id
                    )));
                }
                // Another person's consent is, to this one, unknown.
                if record.owner.is_some()
                    && record.owner.as_deref() != applicant.map(|a| a.owner.as_str())
                {
                    return Err(SubmitError::Consent(format!(
                        "consent {cid} is unknown (POST /api/bundles/{}/prefill gives one)",
                        bundle.id
                    )));
                }
                Some(record.used_by(&form))
            }
        };
        let at = now_ms();
        let event = Event::Submitted {
            bundle: bundle.id.clone(),
            bundle_digest: bundle.digest,
            form,
            materials: contents.materials.clone(),
            steps: bundle
                .steps
                .iter()
                .map(|s| (s.reference.clone(), s.time_limit.as_secs()))
                .collect(),
            time_limit_secs: bundle.time_limit.as_secs(),
            consent,
            owner: applicant.map(|a| a.owner.clone()),
        };
        let state = AppState::submitted(&id, at, &event)
            .ok_or_else(|| StoreError::Database("submitted event".into()))?;
        match self
            .inner
            .store
            .create(client_key.as_ref(), &state, &event, at)
            .await?
        {
            Created::Existing {
                id: existing,
                request,
            } => match &client_key {
                Some(key) => repeat(key, existing, request),
                None => Ok((existing, true)),
            },
            Created::New => {
                self.inner.metrics.submitted.inc();
                self.inner.apps.insert(state);
                self.publish(&id, AppStatus::Running, 1, vec!["submitted"]);
                self.spawn_drive(id.clone());
                Ok((id, false))
            }
        }
    }

    /// The document's idempotency key, bounded, with the digest of the
    /// request it comes with; one applicant's keys are theirs alone (the
    /// same key from two people names two applications).
    fn client_key(
        &self,
        doc: &ApplicationDoc,
        applicant: Option<&Applicant>,
    ) -> Result<Option<ClientKey>, SubmitError> {
        let Some(key) = &doc.idempotency_key else {
            return Ok(None);
        };
        let max = self.inner.max_idempotency_key_bytes;
        if key.is_empty() || key.len() > max || key.chars().any(char::is_control) {
            return Err(SubmitError::BadIdempotencyKey(format!(
                "the idempotency key must be 1 to {max} bytes of printable text (max_idempotency_key_bytes = {max}); this one has {} bytes",
                key.len()
            )));
        }
        Ok(Some(ClientKey {
            key: match applicant {
                Some(a) => format!("{}\u{1f}{key}", a.owner),
                None => key.clone(),
            },
            request: request_digest(doc),
        }))
    }
}

/// A repeat of a key: the application it made, unless it came with
/// another request.
fn repeat(
    key: &ClientKey,
    existing: String,
    request: Option<Digest>,
) -> Result<(String, bool), SubmitError> {
    match request {
        Some(r) if r != key.request => Err(SubmitError::IdempotencyKeyReused {
            key: key.key.clone(),
            existing,
        }),
        // The same request (or one stored before requests were digested).
        _ => Ok((existing, true)),
    }
}

/// The digest of a request, without its idempotency key: the bundle, the
/// fields (in key order), the materials and the consent, as JSON.
pub fn request_digest(doc: &ApplicationDoc) -> Digest {
    let fields: BTreeMap<&String, &serde_json::Value> = doc.fields.iter().collect();
    let materials: Vec<serde_json::Value> = doc
        .materials
        .iter()
        .map(|m| {
            serde_json::json!({
                "code": m.code,
                "path": m.path,
                "digest": m.digest,
                "media_type": m.media_type,
                "size": m.size,
            })
        })
        .collect();
    let canonical = serde_json::json!({
        "bundle": doc.bundle,
        "fields": fields,
        "materials": materials,
        "consent": doc.consent,
    });
    Digest::of(canonical.to_string().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(json: &str) -> ApplicationDoc {
        ApplicationDoc::from_json(json, "test").expect("document")
    }

    #[test]
    fn the_request_digest_ignores_the_key_and_field_order_only() {
        let a = doc(r#"{"bundle":"newborn","fields":{"a.b":1,"c.d":"x"},"idempotency_key":"k1"}"#);
        let b = doc(r#"{"bundle":"newborn","fields":{"c.d":"x","a.b":1},"idempotency_key":"k2"}"#);
        assert_eq!(request_digest(&a), request_digest(&b));
        let other_value = doc(r#"{"bundle":"newborn","fields":{"a.b":2,"c.d":"x"}}"#);
        assert_ne!(request_digest(&a), request_digest(&other_value));
        let other_bundle = doc(r#"{"bundle":"business","fields":{"a.b":1,"c.d":"x"}}"#);
        assert_ne!(request_digest(&a), request_digest(&other_bundle));
    }
}
