//! Benchmark: the cost of one step with a fresh instance through the host
//! (`Plugin::handle`: pooling allocator, limits, epoch deadline, captured
//! stdio, concurrency permit, output checks), printed beside bare wasmtime
//! instantiate + call of the same component in the same run, and their
//! ratio; and the host again with the pool returning memory in batches of
//! 32 (the setting before issue 10) and with the pool's per-component
//! maxima cut to what the component needs, to show what those settings
//! cost.
//!
//! Run with `cargo xtask bench` (or `cargo bench -p onething --bench
//! step_cost` after `cargo xtask build-plugins`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use onething_catalog::local::load_dictionary;
use onething_model::call::{Field, StepRequest};
use onething_model::dictionary::FieldValue;
use onething_model::ids::{FieldKey, StepId};
use onething_runtime::capabilities::{Capabilities, FixedClock};
use onething_runtime::{Limits, Runtime};
use onething_store::memory::MemoryKv;
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Bindings of the contract for the bare embedding, as any wasmtime user
/// would generate them (the host's own are private to its contract crate).
#[allow(missing_docs, clippy::all)]
mod bare {
    wasmtime::component::bindgen!({
        path: "../../wit/0.2.0",
        world: "department",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "wasi:http": wasmtime_wasi_http::p2::bindings::http,
            "wasi:io": wasmtime_wasi::p2::bindings::io,
            "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        },
    });
}

use bare::{DepartmentPre, onething::matter, onething::matter::types};

/// The bare embedding's state: WASI defaults and trivial capabilities.
struct Bare {
    wasi: WasiCtx,
    table: ResourceTable,
    kv: HashMap<String, Vec<u8>>,
}

impl matter::config::Host for Bare {
    async fn get(&mut self, _: String) -> wasmtime::Result<Option<String>> {
        Ok(None)
    }
    async fn keys(&mut self) -> wasmtime::Result<Vec<String>> {
        Ok(Vec::new())
    }
    async fn secret(&mut self, _: String) -> wasmtime::Result<Option<String>> {
        Ok(None)
    }
}

impl WasiView for Bare {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl matter::types::Host for Bare {}

impl matter::log::Host for Bare {
    async fn log(
        &mut self,
        _: matter::log::Level,
        _: String,
        _: Vec<(String, String)>,
    ) -> wasmtime::Result<()> {
        Ok(())
    }
}

impl matter::clock::Host for Bare {
    async fn now(&mut self) -> wasmtime::Result<i64> {
        Ok(1_795_000_000)
    }
    async fn today(&mut self) -> wasmtime::Result<types::Date> {
        Ok(types::Date {
            year: 2026,
            month: 11,
            day: 28,
        })
    }
}

impl matter::store::Host for Bare {
    async fn get(
        &mut self,
        k: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, matter::store::StoreError>> {
        Ok(Ok(self.kv.get(&k).cloned()))
    }
    async fn set(
        &mut self,
        k: String,
        v: Vec<u8>,
    ) -> wasmtime::Result<Result<(), matter::store::StoreError>> {
        self.kv.insert(k, v);
        Ok(Ok(()))
    }
    async fn insert_new(
        &mut self,
        k: String,
        v: Vec<u8>,
    ) -> wasmtime::Result<Result<matter::store::Inserted, matter::store::StoreError>> {
        Ok(Ok(match self.kv.entry(k) {
            std::collections::hash_map::Entry::Occupied(e) => {
                matter::store::Inserted::Held(e.get().clone())
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(v);
                matter::store::Inserted::Set
            }
        }))
    }
    async fn delete(
        &mut self,
        k: String,
    ) -> wasmtime::Result<Result<bool, matter::store::StoreError>> {
        Ok(Ok(self.kv.remove(&k).is_some()))
    }
}

fn repo() -> PathBuf {
    onething_testing::repo()
}

/// Median per-iteration time over `batches` batches of `iters` calls.
async fn measure<F, Fut>(batches: usize, iters: usize, mut f: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..iters {
        f().await; // warm up
    }
    let mut per_iter = Vec::with_capacity(batches);
    for _ in 0..batches {
        let start = Instant::now();
        for _ in 0..iters {
            f().await;
        }
        per_iter.push(start.elapsed() / iters as u32);
    }
    per_iter.sort();
    per_iter[batches / 2]
}

fn request() -> types::Request {
    let text = |k: &str, v: &str| types::Field {
        key: k.into(),
        value: types::Value::Text(v.into()),
    };
    types::Request {
        application: "bench".into(),
        step: "probe".into(),
        idempotency_key: "bench/testkit/probe".into(),
        attempt: 1,
        fields: vec![
            text("child.name", "林安然"),
            text("mother.id_number", "350203199003071527"),
        ],
        materials: vec![],
    }
}

/// Median cost of instantiate + `handle` on bare wasmtime with `config`.
async fn bare_cost(
    config: &Config,
    bytes: &[u8],
    req: &types::Request,
    batches: usize,
    iters: usize,
) -> anyhow::Result<Duration> {
    let engine = Engine::new(config)?;
    let component = Component::from_binary(&engine, bytes)?;
    let mut linker: Linker<Bare> = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    // The contract's own interfaces (the testkit makes no request, so
    // wasi:http is not linked).
    matter::types::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)?;
    matter::log::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)?;
    matter::clock::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)?;
    matter::store::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)?;
    matter::config::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)?;
    let pre = DepartmentPre::new(linker.instantiate_pre(&component)?)?;
    Ok(measure(batches, iters, || async {
        let mut store = Store::new(
            &engine,
            Bare {
                wasi: WasiCtx::builder().build(),
                table: ResourceTable::new(),
                kv: HashMap::new(),
            },
        );
        let inst = pre
            .instantiate_async(&mut store)
            .await
            .expect("instantiate");
        let out = inst
            .onething_matter_handler()
            .call_handle(&mut store, req)
            .await
            .expect("call");
        assert!(out.is_ok());
    })
    .await)
}

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async_main())
}

async fn async_main() -> anyhow::Result<()> {
    let wasm = repo().join("target/test-components/testkit.wasm");
    let dict = load_dictionary(&repo().join("examples/dictionary.toml"))?;
    let bytes = std::fs::read(&wasm).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e} (run `cargo xtask build-plugins` first)",
            wasm.display()
        )
    })?;
    let (batches, iters) = (15, 400);

    let req = request();
    // Bare wasmtime: default config (on-demand allocation), InstancePre, a
    // store with default WASI, instantiate + call handle.
    let mut on_demand = Config::new();
    on_demand.wasm_component_model(true);
    let bare = bare_cost(&on_demand, &bytes, &req, batches, iters).await?;

    // Bare wasmtime with a pooling allocator sized like the host's, with
    // wasmtime's default pool settings.
    let mut pooled = Config::new();
    pooled.wasm_component_model(true);
    let mut pool = wasmtime::PoolingAllocationConfig::new();
    pool.total_component_instances(256)
        .total_core_instances(2048)
        .total_memories(512)
        .total_tables(2048)
        .total_stacks(256)
        .max_memory_size(128 << 20)
        .max_memories_per_component(4)
        .max_tables_per_component(16)
        .max_core_instances_per_component(32);
    pooled.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
    let bare_pooled = bare_cost(&pooled, &bytes, &req, batches, iters).await?;

    // The host: Plugin::handle with every safeguard on.
    let caps = Capabilities::new(
        std::sync::Arc::new(FixedClock::new(
            chrono::NaiveDate::from_ymd_opt(2026, 11, 28).expect("date"),
        )),
        std::sync::Arc::new(MemoryKv::default()),
    );
    let runtime = Runtime::new(Limits::default(), caps.clone())?;
    let plugin = runtime
        .load_bytes(bytes.clone(), "testkit.wasm", &dict)
        .await?;
    // The same with memories returned to the system in batches of 32 (the
    // default before issue 10 bounded what stays resident).
    let batched_runtime = Runtime::new(
        Limits {
            pool_decommit_batch: 32,
            pool_max_unused_warm_slots: 100,
            ..Limits::default()
        },
        caps.clone(),
    )?;
    let caps_again = caps;
    let batched = batched_runtime
        .load_bytes(bytes.clone(), "testkit.wasm", &dict)
        .await?;
    let tight_runtime = Runtime::new(
        Limits {
            max_memories_per_component: 1,
            max_tables_per_component: 4,
            max_core_instances_per_component: 8,
            ..Limits::default()
        },
        caps_again,
    )?;
    let tight = tight_runtime
        .load_bytes(bytes.clone(), "testkit.wasm", &dict)
        .await?;
    let text = |k: &str, v: &str| -> anyhow::Result<Field> {
        Ok(Field {
            key: FieldKey::parse(k)?,
            value: FieldValue::Text(v.into()),
        })
    };
    let call = StepRequest {
        application: req.application.clone(),
        step: StepId::parse("probe")?,
        idempotency_key: req.idempotency_key.clone(),
        attempt: 1,
        fields: vec![
            text("child.name", "林安然")?,
            text("mother.id_number", "350203199003071527")?,
        ],
        materials: vec![],
    };
    let host = measure(batches, iters, || async {
        let out = plugin.handle(&call).await.expect("call");
        assert!(out.is_ok());
    })
    .await;

    let host_batched = measure(batches, iters, || async {
        let out = batched.handle(&call).await.expect("call");
        assert!(out.is_ok());
    })
    .await;

    let host_tight = measure(batches, iters, || async {
        let out = tight.handle(&call).await.expect("call");
        assert!(out.is_ok());
    })
    .await;

    let ratio = host.as_secs_f64() / bare_pooled.as_secs_f64();
    println!(
        "step_cost: one fresh-instance step (testkit/probe handle), median of {batches} batches x {iters} calls"
    );
    println!(
        "  bare wasmtime instantiate+call (on-demand alloc) : {:>8.1} µs",
        bare.as_secs_f64() * 1e6
    );
    println!(
        "  bare wasmtime instantiate+call (pooling alloc)   : {:>8.1} µs",
        bare_pooled.as_secs_f64() * 1e6
    );
    println!(
        "  onething Plugin::handle ({:<9})               : {:>8.1} µs",
        if runtime.is_pooling() {
            "pooling"
        } else {
            "on-demand"
        },
        host.as_secs_f64() * 1e6
    );
    println!(
        "  the same, pool_decommit_batch 32, 100 warm slots : {:>8.1} µs",
        host_batched.as_secs_f64() * 1e6
    );
    println!(
        "  the same, 1 memory, 4 tables, 8 core instances   : {:>8.1} µs",
        host_tight.as_secs_f64() * 1e6
    );
    println!("  ratio host / bare pooling                        : {ratio:>8.2}x");
    println!(
        "  ratio host / bare on-demand                      : {:>8.2}x",
        host.as_secs_f64() / bare.as_secs_f64()
    );
    println!("  target: < 25 µs per fresh-instance step");
    Ok(())
}
