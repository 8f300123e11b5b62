//! The one notification: every problem with a filled form at once, from
//! the dictionary (missing, mistyped, failing a check digit) and from every
//! active step's `check`, asked concurrently, merged and deduplicated.
//!
//! The rules of what counts and what is dropped are the model's
//! ([`onething_model::rules`]); this module asks the departments.

use std::collections::BTreeMap;

use onething_catalog::Catalog;
use onething_model::application::Contents;
use onething_model::bundle::Bundle;
use onething_model::ids::{DepartmentId, StepRef};
use onething_model::problem::{Problem, Subject};
use onething_model::rules::{
    Notification, active_steps, host_problems, visible_fields, visible_materials,
};
use onething_model::text::Text;
use serde::Serialize;

/// A department whose `check` could not run (the problem is the host's or
/// the plugin's, not the applicant's): its problems are unknown, so a
/// draft with one is never "ok".
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct CheckFailure {
    /// The department.
    pub department: DepartmentId,
    /// The step, `department/step`.
    pub step: StepRef,
    /// Why, as the host saw it (a deadline, a trap, an output over the
    /// limit).
    pub error: String,
}

impl CheckFailure {
    /// The problem an applicant is shown for it.
    pub fn problem(&self) -> Problem {
        Problem {
            subject: Subject::General,
            code: "department-could-not-check".into(),
            message: Text::new(
                format!(
                    "部门 {} 暂时无法检查其环节 {}，其发现的问题不在此列表中：请稍后再检查，或直接提交，由部门在办理该环节时检查",
                    self.department, self.step.step
                ),
                format!(
                    "department {} could not check its step {} just now ({}); its problems are not in this list: check again later, or submit and the department checks when it handles the step",
                    self.department, self.step.step, self.error
                ),
            ),
            found_by: Some(self.step.clone()),
        }
    }
}

/// Every problem with `contents` for `bundle`, and any check that failed.
/// `application` is the application the draft belongs to, when it has one
/// (a correction), which departments of contract 0.2.0 are told.
pub async fn check_all(
    bundle: &Bundle,
    contents: &Contents,
    catalog: &Catalog,
    application: Option<&str>,
) -> (Vec<Problem>, Vec<CheckFailure>) {
    let dict = catalog.dict();
    let mut notification = Notification::new(host_problems(bundle, contents, dict));
    let no_outputs = BTreeMap::new();
    let calls = active_steps(bundle, &contents.form)
        .into_iter()
        .filter_map(|s| {
            let plugin = catalog.plugin(&s.reference.department)?.clone();
            let fields = visible_fields(s, &contents.form, &no_outputs);
            let materials = visible_materials(s, &contents.materials);
            Some(async move {
                (
                    s.reference.clone(),
                    plugin
                        .check(application, &s.reference.step, &fields, &materials)
                        .await,
                )
            })
        });
    let mut failures = Vec::new();
    for (step, result) in futures::future::join_all(calls).await {
        match result {
            Ok(found) => notification.add_reported(found, dict),
            Err(e) => {
                tracing::warn!(step = %step, error = %e, "a department's check failed; its problems are not in the notification");
                failures.push(CheckFailure {
                    department: step.department.clone(),
                    step,
                    error: e.to_string(),
                });
            }
        }
    }
    (notification.into_problems(), failures)
}
