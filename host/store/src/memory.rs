//! An in-memory store: every concern of [`crate::Store`], kept in the
//! process, gone when it ends. For tests and the local runner
//! (`onething run`); it passes the same conformance suite (`onething-store-conformance`) as the durable
//! backends, so what works on it works on them.
//!
//! Not for a service: nothing survives a restart. Each write takes one
//! lock and is sealed into the audit chain on its own (there is no group
//! commit to share a record).

use std::collections::hash_map::Entry as MapEntry;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use onething_model::audit::Entry;
use onething_model::consent::ConsentRecord;
use onething_model::events::Event;
use onething_model::ids::{BundleId, DepartmentId, Digest, FieldKey};
use onething_model::state::{AppState, AppStatus};

use crate::applications::{self, AppSummary, Applications, ClientKey, Created, EventRecord};
use crate::audit::{
    self, AuditLog, Broken, Chain, Record, Sealer, StoredEvent, Verified, VerifyOptions,
};
use crate::consents::Consents;
use crate::error::StoreError;
use crate::issued::{IssuedElsewhere, IssuedValues};
use crate::kv::{DepartmentKv, KvError, KvQuota, KvUsage};
use crate::leases::{self, Lease, LeaseInfo, Leases};
use crate::materials::{MaterialMeta, Materials};
use crate::versions::{ChangeRecord, StoredVersion, VersionKind, Versions};
use crate::{Store, StoreOptions};

/// One application as kept.
struct App {
    /// Order of creation, to break ties between equal submission times.
    order: u64,
    bundle: BundleId,
    status: AppStatus,
    overdue: bool,
    submitted_ms: i64,
    events: Vec<EventRecord>,
    /// Its lease: the host and when it runs out (system clock, ms).
    lease: Option<(String, i64)>,
}

/// Everything, under one lock.
struct Inner {
    apps: HashMap<String, App>,
    /// Client keys: the application and its request's digest.
    client_keys: HashMap<String, (String, Digest)>,
    /// Issued values and the application holding each.
    issued: HashMap<(FieldKey, String), String>,
    materials: HashMap<Digest, (MaterialMeta, Arc<[u8]>)>,
    uploads: std::collections::HashSet<(Digest, String)>,
    /// Versions in the order they were stored.
    versions: Vec<StoredVersion>,
    changes: Vec<ChangeRecord>,
    consents: HashMap<String, ConsentRecord>,
    audit: Vec<Record>,
    checkpoint: Option<Chain>,
    sealer: Sealer,
}

impl Inner {
    /// Seal one write's entries as a record of its own.
    fn seal(&mut self, part: Option<&str>) {
        self.sealer.begin();
        self.sealer.add(part);
        if let Some(record) = self.sealer.seal() {
            self.checkpoint = Some(self.sealer.head().clone());
            self.audit.push(record);
        }
    }
}

/// An event's JSON, as its seal digests it (the in-memory store keeps the
/// event itself; its JSON is the same each time).
fn body_of(event: &Event) -> Result<String, StoreError> {
    serde_json::to_string(event)
        .map_err(|e| StoreError::Database(format!("serialising an event: {e}")))
}

/// The in-memory store.
pub struct MemoryStore {
    inner: Mutex<Inner>,
    kv: Arc<MemoryKv>,
    audit: bool,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("audit", &self.audit)
            .finish_non_exhaustive()
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new(StoreOptions::default())
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new(options: StoreOptions) -> Self {
        Self {
            inner: Mutex::new(Inner {
                apps: HashMap::new(),
                client_keys: HashMap::new(),
                issued: HashMap::new(),
                materials: HashMap::new(),
                uploads: Default::default(),
                versions: Vec::new(),
                changes: Vec::new(),
                consents: HashMap::new(),
                audit: Vec::new(),
                checkpoint: None,
                sealer: Sealer::new(options.audit, Chain::default())
                    .signing(options.checkpoint_key.map(|k| k.0)),
            }),
            kv: Arc::new(MemoryKv::default()),
            audit: options.audit,
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>, StoreError> {
        self.inner
            .lock()
            .map_err(|_| StoreError::Database("in-memory store poisoned by a panic".into()))
    }
}

#[async_trait]
impl Applications for MemoryStore {
    async fn create(
        &self,
        client_key: Option<&ClientKey>,
        state: &AppState,
        event: &Event,
        at_ms: i64,
    ) -> Result<Created, StoreError> {
        let stored = StoredEvent {
            application: state.id.clone(),
            seq: 1,
            at_ms,
            body: body_of(event)?,
        };
        let part = audit::create_part(self.audit, &state.id, event, &stored);
        let mut g = self.lock()?;
        if let Some((id, request)) = client_key.and_then(|k| g.client_keys.get(&k.key)) {
            return Ok(Created::Existing {
                id: id.clone(),
                request: Some(*request),
            });
        }
        if g.apps.contains_key(&state.id) {
            return Err(StoreError::Database(format!(
                "application {} is already stored",
                state.id
            )));
        }
        let order = g.apps.len() as u64;
        g.apps.insert(
            state.id.clone(),
            App {
                order,
                bundle: state.bundle.clone(),
                status: state.status,
                overdue: false,
                submitted_ms: at_ms,
                events: vec![EventRecord {
                    seq: 1,
                    at_ms,
                    event: event.clone(),
                }],
                lease: None,
            },
        );
        if let Some(key) = client_key {
            g.client_keys
                .insert(key.key.clone(), (state.id.clone(), key.request));
        }
        g.seal(part.as_deref());
        Ok(Created::New)
    }

    async fn by_client_key(
        &self,
        key: &str,
    ) -> Result<Option<(String, Option<Digest>)>, StoreError> {
        Ok(self
            .lock()?
            .client_keys
            .get(key)
            .map(|(id, request)| (id.clone(), Some(*request))))
    }

    async fn append(
        &self,
        before: &AppState,
        after: &AppState,
        events: &[(Event, i64)],
    ) -> Result<(), StoreError> {
        let first_seq = applications::first_seq(after, events.len())?;
        let status = applications::status_change(before, after);
        let stored: Vec<StoredEvent> = events
            .iter()
            .enumerate()
            .map(|(i, (e, at))| {
                Ok(StoredEvent {
                    application: after.id.clone(),
                    seq: first_seq + i as u64,
                    at_ms: *at,
                    body: body_of(e)?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        let part = audit::append_part(self.audit, &after.id, events, &stored);
        let mut g = self.lock()?;
        let Some(app) = g.apps.get_mut(&after.id) else {
            return Err(StoreError::Database(format!(
                "no application {} to append to",
                after.id
            )));
        };
        let stored = app.events.len() as u64;
        if first_seq != stored + 1 {
            return Err(StoreError::Database(format!(
                "application {}: events from seq {first_seq} appended after {stored}",
                after.id
            )));
        }
        // The unique approval per step, checked before anything is kept.
        for (i, (event, _)) in events.iter().enumerate() {
            if let Event::StepApproved { step, .. } = event {
                let approved =
                    |e: &Event| matches!(e, Event::StepApproved { step: s, .. } if s == step);
                if app.events.iter().any(|r| approved(&r.event))
                    || events[..i].iter().any(|(e, _)| approved(e))
                {
                    return Err(StoreError::AlreadyApproved {
                        application: after.id.clone(),
                        step: step.clone(),
                    });
                }
            }
        }
        app.events.extend(
            events
                .iter()
                .enumerate()
                .map(|(i, (event, at_ms))| EventRecord {
                    seq: first_seq + i as u64,
                    at_ms: *at_ms,
                    event: event.clone(),
                }),
        );
        if let Some((status, overdue)) = status {
            app.status = status;
            app.overdue = overdue;
        }
        g.seal(part.as_deref());
        Ok(())
    }

    async fn events(&self, id: &str, after_seq: u64) -> Result<Vec<EventRecord>, StoreError> {
        let g = self.lock()?;
        Ok(g.apps.get(id).map_or_else(Vec::new, |app| {
            app.events
                .iter()
                .filter(|r| r.seq > after_seq)
                .cloned()
                .collect()
        }))
    }

    async fn unfinished(&self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .list(Some(AppStatus::Running), false, usize::MAX)
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect())
    }

    async fn list(
        &self,
        status: Option<AppStatus>,
        overdue_only: bool,
        limit: usize,
    ) -> Result<Vec<AppSummary>, StoreError> {
        let g = self.lock()?;
        let mut found: Vec<(&String, &App)> = g
            .apps
            .iter()
            .filter(|(_, a)| status.is_none_or(|s| a.status == s) && (!overdue_only || a.overdue))
            .collect();
        found.sort_by_key(|(_, a)| (a.submitted_ms, a.order));
        Ok(found
            .into_iter()
            .take(limit)
            .map(|(id, a)| AppSummary {
                id: id.clone(),
                bundle: a.bundle.clone(),
                status: a.status,
                overdue: a.overdue,
                submitted_ms: a.submitted_ms,
            })
            .collect())
    }

    async fn counts(&self) -> Result<Vec<(AppStatus, u64)>, StoreError> {
        let g = self.lock()?;
        let mut counts: BTreeMap<&'static str, (AppStatus, u64)> = BTreeMap::new();
        for app in g.apps.values() {
            counts
                .entry(app.status.as_str())
                .or_insert((app.status, 0))
                .1 += 1;
        }
        Ok(counts.into_values().collect())
    }
}

#[async_trait]
impl Materials for MemoryStore {
    async fn put_material(&self, meta: &MaterialMeta, bytes: &[u8]) -> Result<(), StoreError> {
        let mut g = self.lock()?;
        g.materials
            .entry(meta.digest)
            .or_insert_with(|| (meta.clone(), Arc::from(bytes)));
        Ok(())
    }

    async fn material(&self, digest: &Digest) -> Result<Option<MaterialMeta>, StoreError> {
        Ok(self.lock()?.materials.get(digest).map(|(m, _)| m.clone()))
    }

    async fn material_bytes(&self, digest: &Digest) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock()?.materials.get(digest).map(|(_, b)| b.to_vec()))
    }

    async fn record_upload(&self, digest: &Digest, uploader: &str) -> Result<(), StoreError> {
        self.lock()?.uploads.insert((*digest, uploader.to_owned()));
        Ok(())
    }

    async fn uploaded_by(&self, digest: &Digest, uploader: &str) -> Result<bool, StoreError> {
        Ok(self
            .lock()?
            .uploads
            .contains(&(*digest, uploader.to_owned())))
    }
}

#[async_trait]
impl Versions for MemoryStore {
    async fn record_changes(
        &self,
        version: Option<&StoredVersion>,
        changes: &[ChangeRecord],
    ) -> Result<Vec<u64>, StoreError> {
        let part = audit::changes_part(self.audit, changes);
        let mut g = self.lock()?;
        if let Some(v) = version
            && !g
                .versions
                .iter()
                .any(|s| s.kind == v.kind && s.digest == v.digest)
        {
            g.versions.push(v.clone());
        }
        let mut seqs = Vec::with_capacity(changes.len());
        for c in changes {
            let seq = g.changes.len() as u64 + 1;
            g.changes.push(ChangeRecord { seq, ..c.clone() });
            seqs.push(seq);
        }
        g.seal(part.as_deref());
        Ok(seqs)
    }

    async fn version(
        &self,
        kind: VersionKind,
        digest: &Digest,
    ) -> Result<Option<StoredVersion>, StoreError> {
        Ok(self
            .lock()?
            .versions
            .iter()
            .find(|v| v.kind == kind && &v.digest == digest)
            .cloned())
    }

    async fn versions(
        &self,
        kind: VersionKind,
        subject: &str,
    ) -> Result<Vec<StoredVersion>, StoreError> {
        let g = self.lock()?;
        let mut out: Vec<StoredVersion> = g
            .versions
            .iter()
            .filter(|v| v.kind == kind && v.subject == subject)
            .map(|v| StoredVersion {
                bytes: Vec::new(),
                ..v.clone()
            })
            .collect();
        // Stable: equal times keep the order they were stored in.
        out.sort_by_key(|v| v.added_ms);
        Ok(out)
    }

    async fn changes(
        &self,
        kind: Option<VersionKind>,
        subject: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ChangeRecord>, StoreError> {
        let g = self.lock()?;
        let mut out: Vec<ChangeRecord> = g
            .changes
            .iter()
            .rev()
            .filter(|c| {
                kind.is_none_or(|k| c.kind == k)
                    && subject.is_none_or(|s| c.subject.as_deref() == Some(s))
            })
            .take(limit)
            .cloned()
            .collect();
        out.reverse();
        Ok(out)
    }
}

#[async_trait]
impl Consents for MemoryStore {
    async fn record_consent(
        &self,
        consent: &ConsentRecord,
        entries: &[Entry],
    ) -> Result<(), StoreError> {
        let part = audit::entries_part(self.audit, entries);
        let mut g = self.lock()?;
        match g.consents.entry(consent.id.clone()) {
            MapEntry::Occupied(_) => {
                return Err(StoreError::Database(format!(
                    "consent {} is already stored",
                    consent.id
                )));
            }
            MapEntry::Vacant(v) => {
                v.insert(consent.clone());
            }
        }
        g.seal(part.as_deref());
        Ok(())
    }

    async fn consent(&self, id: &str) -> Result<Option<ConsentRecord>, StoreError> {
        Ok(self.lock()?.consents.get(id).cloned())
    }
}

#[async_trait]
impl AuditLog for MemoryStore {
    async fn verify_audit(
        &self,
        options: &VerifyOptions,
    ) -> Result<Result<Verified, Broken>, StoreError> {
        let g = self.lock()?;
        let options = &options.or_key(g.sealer.public_key());
        let (mut verified, seals) =
            match audit::verify(g.audit.iter().cloned(), g.checkpoint.as_ref(), options) {
                Ok(v) => v,
                Err(broken) => return Ok(Err(broken)),
            };
        let mut stored = Vec::new();
        for (id, app) in &g.apps {
            for r in &app.events {
                stored.push(StoredEvent {
                    application: id.clone(),
                    seq: r.seq,
                    at_ms: r.at_ms,
                    body: body_of(&r.event)?,
                });
            }
        }
        // Without the audit log nothing is sealed, and nothing to check.
        if !self.audit {
            return Ok(Ok(verified));
        }
        Ok(
            audit::verify_events(&seals, stored, g.apps.keys().cloned()).map(|events| {
                verified.events = events;
                verified
            }),
        )
    }

    async fn audit_checkpoint(&self) -> Result<Option<Chain>, StoreError> {
        Ok(self.lock()?.checkpoint.clone())
    }

    async fn audit_records(&self, after_seq: u64, limit: usize) -> Result<Vec<Record>, StoreError> {
        Ok(self
            .lock()?
            .audit
            .iter()
            .filter(|r| r.seq > after_seq)
            .take(limit)
            .cloned()
            .collect())
    }

    async fn record_entries(&self, entries: &[Entry]) -> Result<(), StoreError> {
        let part = audit::entries_part(self.audit, entries);
        self.lock()?.seal(part.as_deref());
        Ok(())
    }

    async fn entries_of(&self, application: &str) -> Result<Vec<(i64, Entry)>, StoreError> {
        let g = self.lock()?;
        audit::entries_about(g.audit.iter(), application)
    }
}

/// Whether a lease is free for `host` at `now_ms`: none, run out, or its
/// own.
fn claimable(lease: Option<&(String, i64)>, host: &str, now_ms: i64) -> bool {
    lease.is_none_or(|(holder, until)| holder == host || *until <= now_ms)
}

#[async_trait]
impl Leases for MemoryStore {
    async fn claim_lease(
        &self,
        application: &str,
        host: &str,
        ttl: std::time::Duration,
    ) -> Result<Lease, StoreError> {
        leases::check_host(host)?;
        let now = leases::system_now_ms();
        let mut g = self.lock()?;
        let Some(app) = g.apps.get_mut(application) else {
            return Err(StoreError::Database(format!(
                "no application {application} to lease"
            )));
        };
        if !claimable(app.lease.as_ref(), host, now) {
            let (holder, until) = app.lease.clone().unwrap_or_default();
            return Ok(Lease::Elsewhere {
                host: holder,
                expires_ms: until,
            });
        }
        let expires_ms = now.saturating_add(leases::ttl_ms(ttl));
        app.lease = Some((host.to_owned(), expires_ms));
        Ok(Lease::Held { expires_ms })
    }

    async fn renew_leases(
        &self,
        host: &str,
        applications: &[String],
        ttl: std::time::Duration,
    ) -> Result<Vec<String>, StoreError> {
        leases::check_host(host)?;
        let until = leases::system_now_ms().saturating_add(leases::ttl_ms(ttl));
        let mut g = self.lock()?;
        let mut renewed = std::collections::HashSet::new();
        for id in applications {
            if let Some(app) = g.apps.get_mut(id)
                && let Some((holder, expires)) = &mut app.lease
                && holder == host
            {
                *expires = until;
                renewed.insert(id.as_str());
            }
        }
        Ok(leases::lost(applications, |a| renewed.contains(a)))
    }

    async fn release_lease(&self, application: &str, host: &str) -> Result<(), StoreError> {
        let mut g = self.lock()?;
        if let Some(app) = g.apps.get_mut(application)
            && app.lease.as_ref().is_some_and(|(holder, _)| holder == host)
        {
            app.lease = None;
        }
        Ok(())
    }

    async fn claim_orphans(
        &self,
        host: &str,
        ttl: std::time::Duration,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        leases::check_host(host)?;
        let now = leases::system_now_ms();
        let until = now.saturating_add(leases::ttl_ms(ttl));
        let mut g = self.lock()?;
        let mut free: Vec<(&String, &mut App)> = g
            .apps
            .iter_mut()
            .filter(|(_, a)| {
                a.status == AppStatus::Running
                    && a.lease.as_ref().is_none_or(|(_, until)| *until <= now)
            })
            .collect();
        free.sort_by_key(|(_, a)| (a.submitted_ms, a.order));
        Ok(free
            .into_iter()
            .take(limit)
            .map(|(id, app)| {
                app.lease = Some((host.to_owned(), until));
                id.clone()
            })
            .collect())
    }

    async fn leases(&self) -> Result<Vec<LeaseInfo>, StoreError> {
        let now = leases::system_now_ms();
        let g = self.lock()?;
        let mut out: Vec<LeaseInfo> = g
            .apps
            .iter()
            .filter_map(|(id, app)| {
                let (host, until) = app.lease.as_ref()?;
                Some(LeaseInfo {
                    application: id.clone(),
                    host: host.clone(),
                    expires_ms: *until,
                    expired: *until <= now,
                })
            })
            .collect();
        out.sort_by(|a, b| a.application.cmp(&b.application));
        Ok(out)
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.lock().map(|_| ())
    }

    fn kv(&self) -> Arc<dyn DepartmentKv> {
        self.kv.clone()
    }

    fn describe(&self) -> String {
        "memory".into()
    }
}

#[async_trait]
impl IssuedValues for MemoryStore {
    async fn claim_issued(
        &self,
        application: &str,
        values: &[(FieldKey, String)],
    ) -> Result<Vec<IssuedElsewhere>, StoreError> {
        let mut g = self.lock()?;
        let elsewhere: Vec<IssuedElsewhere> = values
            .iter()
            .filter_map(|(key, value)| {
                let holder = g.issued.get(&(key.clone(), value.clone()))?;
                (holder != application).then(|| IssuedElsewhere {
                    key: key.clone(),
                    value: value.clone(),
                    holder: holder.clone(),
                })
            })
            .collect();
        if elsewhere.is_empty() {
            for (key, value) in values {
                g.issued
                    .insert((key.clone(), value.clone()), application.to_owned());
            }
        }
        Ok(elsewhere)
    }

    async fn issued_to(&self, key: &FieldKey, value: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .lock()?
            .issued
            .get(&(key.clone(), value.to_owned()))
            .cloned())
    }
}

/// An in-memory department key-value store: the [`MemoryStore`]'s, and
/// usable on its own.
#[derive(Debug, Default)]
pub struct MemoryKv {
    inner: Mutex<KvMaps>,
}

/// The values, and each department's usage.
#[derive(Debug, Default)]
struct KvMaps {
    values: HashMap<(DepartmentId, String), Vec<u8>>,
    usage: HashMap<DepartmentId, KvUsage>,
}

impl KvMaps {
    /// Write `value` (or remove when none) under `key`, unless the
    /// department would go over `quota`; whether `key` was there.
    fn put(
        &mut self,
        department: &DepartmentId,
        key: &str,
        value: Option<&[u8]>,
        quota: KvQuota,
    ) -> Result<bool, KvError> {
        let entry = (department.clone(), key.to_owned());
        let old = self.values.get(&entry).map(Vec::len);
        let usage = self.usage.get(department).copied().unwrap_or_default();
        let would = usage.after(key, old, value.map(<[u8]>::len));
        if value.is_some()
            && !would.within(quota)
            && (would.keys > usage.keys || would.bytes > usage.bytes)
        {
            return Err(KvError::Quota {
                department: department.clone(),
                would,
                quota,
            });
        }
        match value {
            Some(v) => self.values.insert(entry, v.to_vec()),
            None => self.values.remove(&entry),
        };
        self.usage.insert(department.clone(), would);
        Ok(old.is_some())
    }
}

impl MemoryKv {
    /// Forget every department's values (a test runner between cases).
    pub fn clear(&self) {
        if let Ok(mut m) = self.inner.lock() {
            *m = KvMaps::default();
        }
    }

    /// What `department` keeps, sorted by key.
    pub fn entries(&self, department: &DepartmentId) -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<(String, Vec<u8>)> = self
            .with(|m| {
                Ok(m.values
                    .iter()
                    .filter(|((d, _), _)| d == department)
                    .map(|((_, k), v)| (k.clone(), v.clone()))
                    .collect())
            })
            .unwrap_or_default();
        out.sort();
        out
    }

    fn with<T>(&self, f: impl FnOnce(&mut KvMaps) -> Result<T, KvError>) -> Result<T, KvError> {
        let mut guard = self
            .inner
            .lock()
            .map_err(|_| KvError::Unavailable("in-memory store poisoned by a panic".into()))?;
        f(&mut guard)
    }
}

#[async_trait]
impl DepartmentKv for MemoryKv {
    async fn get(&self, department: &DepartmentId, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.with(|m| Ok(m.values.get(&(department.clone(), key.to_owned())).cloned()))
    }

    async fn set(
        &self,
        department: &DepartmentId,
        key: &str,
        value: &[u8],
        quota: KvQuota,
    ) -> Result<(), KvError> {
        self.with(|m| m.put(department, key, Some(value), quota).map(|_| ()))
    }

    async fn insert_new(
        &self,
        department: &DepartmentId,
        key: &str,
        value: &[u8],
        quota: KvQuota,
    ) -> Result<bool, KvError> {
        self.with(|m| {
            if m.values.contains_key(&(department.clone(), key.to_owned())) {
                return Ok(false);
            }
            m.put(department, key, Some(value), quota).map(|_| true)
        })
    }

    async fn delete(&self, department: &DepartmentId, key: &str) -> Result<bool, KvError> {
        self.with(|m| m.put(department, key, None, KvQuota::UNLIMITED))
    }

    async fn usage(&self, department: &DepartmentId) -> Result<KvUsage, KvError> {
        self.with(|m| Ok(m.usage.get(department).copied().unwrap_or_default()))
    }
}
