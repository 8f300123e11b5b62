//! Time limits: every step and every bundle has one; what passes its limit
//! is flagged once (an event, a metric) and stays visible to operators.

use onething_model::state::AppStatus;
use onething_store::StoreError;

use crate::{ActionError, Engine, now_ms, plan};

impl Engine {
    /// Flag steps and bundles past their time limit (once each); how many
    /// were flagged.
    pub async fn sweep_deadlines(&self) -> Result<usize, StoreError> {
        let now = now_ms();
        let mut flagged = 0;
        for status in [AppStatus::Running, AppStatus::Manual, AppStatus::NeedsMore] {
            for summary in self.inner.store.list(Some(status), false, 10_000).await? {
                let Some(state) = self.state(&summary.id).await? else {
                    continue;
                };
                let events = plan::deadlines(&state, now);
                if events.is_empty() {
                    continue;
                }
                flagged += events.len();
                let result = self
                    .inner
                    .apps
                    .change(&summary.id, |s| {
                        Ok::<_, ActionError>(plan::deadlines(s, now))
                    })
                    .await;
                match result {
                    Ok(st) => self.after_change(&st, &["deadline-passed"]),
                    Err(e) => {
                        tracing::warn!(application = %summary.id, error = %e, "could not flag a deadline")
                    }
                }
            }
        }
        if flagged > 0 {
            self.inner.metrics.overdue_flagged.inc_by(flagged as u64);
        }
        Ok(flagged)
    }
}
