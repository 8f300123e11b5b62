//! Simulated department systems: the household registry, the enterprise
//! name registry, social-insurance enrolment, tax registration and the
//! housing fund's employer accounts, answering over HTTP as the
//! departments' own back ends would.
//!
//! A department's plugin is the adapter between the platform and its
//! department's system. Demos, integrators' local runs and the host's
//! tests need systems to reach that behave like real ones: each requires
//! its own credential (`Authorization: Bearer …`, 401 otherwise), keeps
//! state (a name reserved stays reserved, a number issued is never issued
//! again), is idempotent under `Idempotency-Key`, answers errors as
//! problem+json, and fails on demand: down, slow, 5xx or flapping, set
//! per system over the simulator's admin endpoint.
//!
//! The routes, each system's under its own prefix:
//!
//! | route | what |
//! | --- | --- |
//! | `GET /healthz` | always 200 |
//! | `GET /household/v1/persons/{id_number}` | a person and their household |
//! | `POST /household/v1/births` | a newborn registered, its resident ID issued |
//! | `GET /enterprise-names/v1/names/{name}` | free or reserved, and by whom |
//! | `POST /enterprise-names/v1/reservations` | a name reserved for its holder |
//! | `DELETE /enterprise-names/v1/reservations/{id}` | a reservation released |
//! | `POST /social-insurance/v1/enrolments` | a person enrolled |
//! | `POST /tax/v1/registrations` | an enterprise registered for tax |
//! | `POST /housing-fund/v1/employer-accounts` | an employer's account opened |
//! | `GET /admin/faults`, `PUT /admin/faults/{system}`, `DELETE /admin/faults` | fault injection |
//! | `GET /admin/counts` | requests served, refused and failed per system |
//!
//! Not a model of any province's real interfaces: the paths and bodies
//! are this simulator's own, documented in docs/department-systems.md.

pub mod config;
pub mod faults;
pub mod household;
pub mod idempotency;
pub mod names;
pub mod problem;
pub mod registrations;
mod routes;
pub mod seed;
mod system;
pub mod wiring;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

pub use config::{ConfigError, SystemsConfig};
pub use faults::{Fault, Faults};
pub use routes::router;
pub use system::System;

/// What each system has served, for drills and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Requests answered by the system itself.
    pub served: u64,
    /// Requests refused for a missing or wrong credential.
    pub unauthorised: u64,
    /// Requests answered by an injected fault.
    pub failed_by_fault: u64,
}

/// Every simulated system's state, shared by the routes.
#[derive(Debug)]
pub struct Systems {
    config: SystemsConfig,
    faults: Faults,
    household: Mutex<household::Registry>,
    names: Mutex<names::Registry>,
    enrolments: Mutex<registrations::Numbers>,
    tax: Mutex<registrations::Numbers>,
    housing_fund: Mutex<registrations::Numbers>,
    counts: Mutex<BTreeMap<System, Counts>>,
}

impl Systems {
    /// The systems with their seeded data, checking `config`'s credentials.
    pub fn new(config: SystemsConfig) -> Arc<Systems> {
        Arc::new(Systems {
            config,
            faults: Faults::new(),
            household: Mutex::new(household::Registry::seeded()),
            names: Mutex::new(names::Registry::seeded()),
            enrolments: Mutex::new(registrations::Numbers::new("SI")),
            tax: Mutex::new(registrations::Numbers::new("TX")),
            housing_fund: Mutex::new(registrations::Numbers::new("HF")),
            counts: Mutex::new(BTreeMap::new()),
        })
    }

    /// The credentials checked.
    pub fn config(&self) -> &SystemsConfig {
        &self.config
    }

    /// The faults set (also settable over `/admin/faults`).
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// What each system has served so far.
    pub fn counts(&self) -> BTreeMap<System, Counts> {
        let counts = self.counts.lock().map(|c| c.clone()).unwrap_or_default();
        System::ALL
            .into_iter()
            .map(|s| (s, counts.get(&s).copied().unwrap_or_default()))
            .collect()
    }

    fn count(&self, system: System, what: impl FnOnce(&mut Counts)) {
        if let Ok(mut counts) = self.counts.lock() {
            what(counts.entry(system).or_default());
        }
    }
}

/// Serves the systems on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    systems: Arc<Systems>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(systems))
        .with_graceful_shutdown(shutdown)
        .await
}
