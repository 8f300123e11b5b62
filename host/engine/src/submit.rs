//! Submitting an application: the document read against its bundle and
//! the dictionary, its materials found in the store, the one notification;
//! then, with no problem, the application stored with its first event and
//! driven. Refused with every problem and nothing stored, or stored whole.

use std::collections::BTreeMap;
use std::sync::Arc;

use onething_model::application::{ApplicationDoc, Contents, read_contents};
use onething_model::bundle::Bundle;
use onething_model::events::Event;
use onething_model::problem::Problem;
use onething_model::state::{AppState, AppStatus};
use onething_store::StoreError;
use onething_store::applications::Created;

use crate::notification::check_all;
use crate::{Engine, SubmitError, now_ms};

impl Engine {
    /// Read and check an application document against its bundle: the one
    /// notification, without storing anything.
    pub async fn check(
        &self,
        doc: &ApplicationDoc,
    ) -> Result<(Arc<Bundle>, Contents, Vec<Problem>), SubmitError> {
        let cat = self.catalog();
        let bundle = cat
            .bundle(&doc.bundle)
            .cloned()
            .ok_or_else(|| SubmitError::UnknownBundle(doc.bundle.to_string()))?;
        let mut contents = read_contents(doc, &bundle, cat.dict());
        self.check_stored_materials(&mut contents).await?;
        let (problems, _failures) = check_all(&bundle, &contents, &cat).await;
        Ok((bundle, contents, problems))
    }

    /// Every material referenced must be stored, with the size and media
    /// type the document says.
    async fn check_stored_materials(&self, contents: &mut Contents) -> Result<(), StoreError> {
        let mut unknown = Vec::new();
        for (code, m) in &contents.materials {
            match self.inner.store.material(&m.digest).await? {
                Some(meta) if meta.size == m.size && meta.media_type == m.media_type => {}
                Some(meta) => contents.problems.push(Problem::material(
                    code.as_str(),
                    "mismatch",
                    format!(
                        "material {code}: stored {} is {} of {} bytes, not {} of {} bytes",
                        m.digest, meta.media_type, meta.size, m.media_type, m.size
                    ),
                )),
                None => {
                    unknown.push(code.clone());
                    contents.problems.push(Problem::material(
                        code.as_str(),
                        "unknown-digest",
                        format!(
                            "material {code}: {} has not been uploaded (POST /api/materials first)",
                            m.digest
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
    /// and whether it existed already.
    pub async fn submit(&self, doc: &ApplicationDoc) -> Result<(String, bool), SubmitError> {
        let id = format!("app-{}", uuid::Uuid::now_v7().simple());
        self.submit_as(doc, id).await
    }

    /// [`Engine::submit`] under a chosen id (`onething run` names its
    /// applications after their files).
    pub async fn submit_as(
        &self,
        doc: &ApplicationDoc,
        id: String,
    ) -> Result<(String, bool), SubmitError> {
        let (bundle, contents, problems) = self.check(doc).await?;
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
        };
        let state = AppState::submitted(&id, at, &event)
            .ok_or_else(|| StoreError::Database("submitted event".into()))?;
        match self
            .inner
            .store
            .create(doc.idempotency_key.as_deref(), &state, &event, at)
            .await?
        {
            Created::Existing(existing) => Ok((existing, true)),
            Created::New => {
                self.inner.metrics.submitted.inc();
                self.inner.apps.insert(state);
                self.publish(&id, AppStatus::Running, 1, vec!["submitted"]);
                self.spawn_drive(id.clone());
                Ok((id, false))
            }
        }
    }
}
