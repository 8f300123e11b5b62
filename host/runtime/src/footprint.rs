//! What a component needs from the sandbox, counted from its bytes before
//! it is compiled: the core module instances it creates, the linear
//! memories and tables those define, and the memory they start with. The
//! loader refuses a component that needs more than the settings allow,
//! naming each count and the setting to change, instead of letting it fail
//! in the pool (as "not a valid component") or on every call.
//!
//! The count follows the component's own structure: each core
//! `instantiate` counts its module's memories and tables once, and each
//! nested component is counted once per instantiation. Adapter modules
//! wasmtime adds between nested components are not in the bytes; the pool
//! still checks them when the component is compiled.
//!
//! Not for limiting a running instance: the per-call memory limiter does.

use wasmparser::{
    ComponentAlias, ComponentExternalKind, ComponentOuterAliasKind, ComponentTypeRef, Encoding,
    Instance, Parser, Payload,
};

use crate::Limits;
use crate::state::TABLE_ELEMENT_BYTES;

/// What one instance of a component needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Footprint {
    /// Core module instances created.
    pub core_instances: u32,
    /// Linear memories defined by those instances.
    pub memories: u32,
    /// Tables defined by those instances.
    pub tables: u32,
    /// Bytes of memory the instance starts with: every memory's initial
    /// size plus every table's initial elements at 8 bytes each.
    pub initial_bytes: u64,
}

impl Footprint {
    fn add(&mut self, other: &Footprint) {
        self.core_instances = self.core_instances.saturating_add(other.core_instances);
        self.memories = self.memories.saturating_add(other.memories);
        self.tables = self.tables.saturating_add(other.tables);
        self.initial_bytes = self.initial_bytes.saturating_add(other.initial_bytes);
    }

    /// Count a component from its bytes. `None` when the bytes cannot be
    /// parsed (the compiler will say why) or the component instantiates a
    /// module or component it imports (whose size is not in the bytes).
    pub fn of(bytes: &[u8]) -> Option<Footprint> {
        let mut stack: Vec<Frame> = Vec::new();
        for payload in Parser::new(0).parse_all(bytes) {
            match payload.ok()? {
                Payload::Version { encoding, .. } => stack.push(match encoding {
                    Encoding::Module => Frame::Module(Footprint {
                        core_instances: 1,
                        ..Footprint::default()
                    }),
                    Encoding::Component => Frame::Component(Scope::default()),
                }),
                Payload::MemorySection(reader) => {
                    let Some(Frame::Module(m)) = stack.last_mut() else {
                        return None;
                    };
                    for memory in reader {
                        let memory = memory.ok()?;
                        let page = 1u64
                            .checked_shl(memory.page_size_log2.unwrap_or(16))
                            .unwrap_or(u64::MAX);
                        m.memories = m.memories.saturating_add(1);
                        m.initial_bytes = m
                            .initial_bytes
                            .saturating_add(memory.initial.saturating_mul(page));
                    }
                }
                Payload::TableSection(reader) => {
                    let Some(Frame::Module(m)) = stack.last_mut() else {
                        return None;
                    };
                    for table in reader {
                        let table = table.ok()?;
                        m.tables = m.tables.saturating_add(1);
                        m.initial_bytes = m.initial_bytes.saturating_add(
                            table.ty.initial.saturating_mul(TABLE_ELEMENT_BYTES as u64),
                        );
                    }
                }
                Payload::ComponentImportSection(reader) => {
                    let scope = scope(&mut stack)?;
                    for import in reader {
                        match import.ok()?.ty {
                            ComponentTypeRef::Module(_) => scope.modules.push(None),
                            ComponentTypeRef::Component(_) => scope.components.push(None),
                            _ => {}
                        }
                    }
                }
                Payload::ComponentExportSection(reader) => {
                    let scope = scope(&mut stack)?;
                    for export in reader {
                        let export = export.ok()?;
                        match export.kind {
                            ComponentExternalKind::Module => {
                                let m = scope.modules.get(export.index as usize).copied()?;
                                scope.modules.push(m);
                            }
                            ComponentExternalKind::Component => {
                                let c = scope.components.get(export.index as usize).copied()?;
                                scope.components.push(c);
                            }
                            _ => {}
                        }
                    }
                }
                Payload::ComponentAliasSection(reader) => {
                    for alias in reader {
                        match alias.ok()? {
                            ComponentAlias::InstanceExport { kind, .. } => {
                                let scope = scope(&mut stack)?;
                                match kind {
                                    ComponentExternalKind::Module => scope.modules.push(None),
                                    ComponentExternalKind::Component => scope.components.push(None),
                                    _ => {}
                                }
                            }
                            ComponentAlias::CoreInstanceExport { .. } => {}
                            ComponentAlias::Outer { kind, count, index } => {
                                let outer =
                                    stack.len().checked_sub(1 + usize::try_from(count).ok()?)?;
                                let Frame::Component(from) = &stack[outer] else {
                                    return None;
                                };
                                let (m, c) = match kind {
                                    ComponentOuterAliasKind::CoreModule => {
                                        (Some(from.modules.get(index as usize).copied()?), None)
                                    }
                                    ComponentOuterAliasKind::Component => {
                                        (None, Some(from.components.get(index as usize).copied()?))
                                    }
                                    _ => (None, None),
                                };
                                let scope = scope(&mut stack)?;
                                if let Some(m) = m {
                                    scope.modules.push(m);
                                }
                                if let Some(c) = c {
                                    scope.components.push(c);
                                }
                            }
                        }
                    }
                }
                Payload::InstanceSection(reader) => {
                    let scope = scope(&mut stack)?;
                    for instance in reader {
                        if let Instance::Instantiate { module_index, .. } = instance.ok()? {
                            let module = scope.modules.get(module_index as usize).copied()??;
                            scope.cost.add(&module);
                        }
                    }
                }
                Payload::ComponentInstanceSection(reader) => {
                    let scope = scope(&mut stack)?;
                    for instance in reader {
                        if let wasmparser::ComponentInstance::Instantiate {
                            component_index, ..
                        } = instance.ok()?
                        {
                            let component =
                                scope.components.get(component_index as usize).copied()??;
                            scope.cost.add(&component);
                        }
                    }
                }
                Payload::End(_) => {
                    let done = stack.pop()?;
                    match (done, stack.last_mut()) {
                        (Frame::Module(m), Some(Frame::Component(parent))) => {
                            parent.modules.push(Some(m))
                        }
                        (Frame::Component(c), Some(Frame::Component(parent))) => {
                            parent.components.push(Some(c.cost))
                        }
                        (Frame::Component(c), None) => return Some(c.cost),
                        // A core module alone is not a component.
                        _ => return None,
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Each count beside the setting that bounds it: `(count, what,
    /// setting, its value)`, the per-component counts and then the bytes
    /// the instance starts with.
    fn against(&self, limits: &Limits) -> [(u64, &'static str, &'static str, u64); 4] {
        [
            (
                self.core_instances.into(),
                "core module instances",
                "max_core_instances_per_component",
                limits.max_core_instances_per_component.into(),
            ),
            (
                self.memories.into(),
                "linear memories",
                "max_memories_per_component",
                limits.max_memories_per_component.into(),
            ),
            (
                self.tables.into(),
                "tables",
                "max_tables_per_component",
                limits.max_tables_per_component.into(),
            ),
            (
                self.initial_bytes,
                "bytes of memories and tables at the start",
                "memory_bytes",
                limits.memory_bytes as u64,
            ),
        ]
    }

    /// Every count over its setting, in words naming the setting and its
    /// value; empty when the component fits.
    pub fn faults(&self, limits: &Limits) -> Vec<String> {
        self.against(limits)
            .into_iter()
            .filter(|(count, .., value)| count > value)
            .map(|(count, what, setting, value)| match setting {
                "memory_bytes" => format!(
                    "its memories and tables start at {count} bytes, over limits.memory_bytes = {value}"
                ),
                _ => format!("it creates {count} {what}, over limits.{setting} = {value}"),
            })
            .collect()
    }

    /// A warning for each count over [`WARN_SHARE_PERCENT`] of its
    /// setting but within it, naming the setting and its value, and
    /// the pool's room that setting fixes for every slot; empty when
    /// the component sits well within every setting.
    pub fn warnings(&self, limits: &Limits) -> Vec<String> {
        self.against(limits)
            .into_iter()
            .filter(|(count, .., value)| count <= value && count * 100 > value * WARN_SHARE_PERCENT)
            .map(|(count, what, setting, value)| match setting {
                "memory_bytes" => format!(
                    "its memories and tables start at {count} bytes, near limits.memory_bytes = {value}: a call has little room left to grow in"
                ),
                _ => format!(
                    "it creates {count} {what}, near limits.{setting} = {value} (each of the pool's limits.pool_instances = {} slots holds that many): a build needing more will be refused; raise limits.{setting} before it comes",
                    limits.pool_instances
                ),
            })
            .collect()
    }
}

/// Share of a per-component setting over which a component that still
/// fits is warned about: its next build may not (a Python or JavaScript
/// runtime brings many core modules and tables of its own).
pub const WARN_SHARE_PERCENT: u64 = 75;

/// A module or component being read.
enum Frame {
    Module(Footprint),
    Component(Scope),
}

/// A component being read: what its module and component indices refer
/// to (`None`: imported, size unknown) and what its instantiations cost.
#[derive(Default)]
struct Scope {
    modules: Vec<Option<Footprint>>,
    components: Vec<Option<Footprint>>,
    cost: Footprint,
}

fn scope(stack: &mut [Frame]) -> Option<&mut Scope> {
    match stack.last_mut() {
        Some(Frame::Component(s)) => Some(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_encoder::{
        Component, ComponentInstanceSection, InstanceSection, MemorySection, MemoryType, Module,
        ModuleSection, NestedComponentSection, TableSection, TableType,
    };

    fn module(memories: &[u64], tables: &[u64]) -> Module {
        let mut m = Module::new();
        if !tables.is_empty() {
            let mut t = TableSection::new();
            for &initial in tables {
                t.table(TableType {
                    element_type: wasm_encoder::RefType::FUNCREF,
                    table64: false,
                    minimum: initial,
                    maximum: None,
                    shared: false,
                });
            }
            m.section(&t);
        }
        if !memories.is_empty() {
            let mut s = MemorySection::new();
            for &pages in memories {
                s.memory(MemoryType {
                    minimum: pages,
                    maximum: None,
                    memory64: false,
                    shared: false,
                    page_size_log2: None,
                });
            }
            m.section(&s);
        }
        m
    }

    fn instantiate(c: &mut Component, module_index: u32, times: u32) {
        let mut i = InstanceSection::new();
        for _ in 0..times {
            i.instantiate(module_index, Vec::<(&str, wasm_encoder::ModuleArg)>::new());
        }
        c.section(&i);
    }

    #[test]
    fn each_instantiation_counts_its_modules_memories_and_tables() {
        let mut c = Component::new();
        c.section(&ModuleSection(&module(&[17], &[10])));
        c.section(&ModuleSection(&module(&[1, 2], &[])));
        instantiate(&mut c, 0, 1);
        instantiate(&mut c, 1, 3);
        let f = Footprint::of(&c.finish()).expect("counted");
        assert_eq!(f.core_instances, 4);
        assert_eq!(f.memories, 1 + 3 * 2);
        assert_eq!(f.tables, 1);
        assert_eq!(f.initial_bytes, (17 + 3 * 3) * 65536 + 10 * 8);
    }

    #[test]
    fn a_nested_component_counts_once_per_instantiation() {
        let mut inner = Component::new();
        inner.section(&ModuleSection(&module(&[1], &[])));
        instantiate(&mut inner, 0, 2);
        let mut c = Component::new();
        c.section(&NestedComponentSection(&inner));
        let mut i = ComponentInstanceSection::new();
        i.instantiate(
            0,
            Vec::<(&str, wasm_encoder::ComponentExportKind, u32)>::new(),
        );
        i.instantiate(
            0,
            Vec::<(&str, wasm_encoder::ComponentExportKind, u32)>::new(),
        );
        c.section(&i);
        let f = Footprint::of(&c.finish()).expect("counted");
        assert_eq!(f.core_instances, 4);
        assert_eq!(f.memories, 4);
    }

    #[test]
    fn faults_name_the_setting_and_its_value() {
        let f = Footprint {
            core_instances: 14,
            memories: 5,
            tables: 2,
            initial_bytes: 3 << 20,
        };
        let limits = Limits {
            max_core_instances_per_component: 8,
            max_memories_per_component: 4,
            memory_bytes: 2 << 20,
            ..Limits::default()
        };
        let faults = f.faults(&limits);
        assert_eq!(faults.len(), 3, "{faults:?}");
        assert!(
            faults[0].contains("14 core module instances")
                && faults[0].contains("limits.max_core_instances_per_component = 8")
        );
        assert!(faults[1].contains("5 linear memories"));
        assert!(faults[2].contains("limits.memory_bytes = 2097152"));
        assert!(Footprint::default().faults(&Limits::default()).is_empty());
    }

    #[test]
    fn warnings_name_a_setting_a_component_nearly_fills() {
        // A Python department as componentize-py 0.25 builds it: 14 core
        // instances, 1 memory, 2 tables, 13 MiB.
        let python = Footprint {
            core_instances: 14,
            memories: 1,
            tables: 2,
            initial_bytes: 13 << 20,
        };
        assert!(python.warnings(&Limits::default()).is_empty());
        let tight = Limits {
            max_core_instances_per_component: 16,
            max_tables_per_component: 2,
            memory_bytes: 16 << 20,
            ..Limits::default()
        };
        let warnings = python.warnings(&tight);
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(
            warnings[0].contains("14 core module instances")
                && warnings[0].contains("near limits.max_core_instances_per_component = 16")
                && warnings[0].contains("limits.pool_instances = 256"),
            "{}",
            warnings[0]
        );
        assert!(warnings[1].contains("limits.max_tables_per_component = 2"));
        assert!(warnings[2].contains("near limits.memory_bytes = 16777216"));
        // Over a setting is a fault, not a warning.
        let over = Limits {
            max_core_instances_per_component: 8,
            ..Limits::default()
        };
        assert!(python.warnings(&over).is_empty());
        assert_eq!(python.faults(&over).len(), 1);
    }

    #[test]
    fn what_cannot_be_read_is_not_counted() {
        assert_eq!(Footprint::of(b"\0asm\x0d\0\x01\0garbage"), None);
        assert_eq!(Footprint::of(&Module::new().finish()), None);
    }
}
