//! What differs between the handler interface a component was built
//! against and the one this host calls: each function missing, added or
//! with another signature, and each shared type defined otherwise.
//!
//! Used to explain a WIT version mismatch in words an author can act on
//! ("`handle` takes (request: request, context: string) here, but this
//! host passes (request: request)"). The host's contract is the WIT text
//! of the version compared against, compiled in; the component's is
//! decoded from its type information with `wit-parser`.

use std::collections::BTreeMap;

use wit_parser::decoding::{DecodedWasm, decode};
use wit_parser::{Function, Resolve, Type, TypeDefKind, WorldItem};

/// The differences between the component's `onething:matter/handler` and
/// the host's, in the order of the host's functions, then shared types.
/// Empty when none can be found (or the component cannot be decoded).
pub fn handler_differences(component: &[u8], host_wit: &str) -> Vec<String> {
    let Some(host) = host_contract(host_wit) else {
        return Vec::new();
    };
    let Ok(DecodedWasm::Component(resolve, world)) = decode(component) else {
        return Vec::new();
    };
    let Some(found) = resolve.worlds[world]
        .exports
        .values()
        .find_map(|item| match item {
            WorldItem::Interface { id, .. } => {
                let iface = &resolve.interfaces[*id];
                let in_matter = iface.package.is_some_and(|p| {
                    let name = &resolve.packages[p].name;
                    name.namespace == "onething" && name.name == "matter"
                });
                (in_matter && iface.name.as_deref() == Some("handler")).then_some(*id)
            }
            _ => None,
        })
    else {
        return Vec::new();
    };
    let found = Contract::of(&resolve, found);
    host.differences(&found)
}

fn host_contract(host_wit: &str) -> Option<Contract> {
    let mut resolve = Resolve::new();
    let package = resolve
        .push_str("matter.wit", &without_worlds(host_wit))
        .ok()?;
    let id = resolve.packages[package]
        .interfaces
        .get("handler")
        .copied()?;
    Some(Contract::of(&resolve, id))
}

/// The contract's text without its worlds (and their doc comments): the
/// handler needs none of them, and a world importing `wasi:http` would
/// need that package's files to parse.
fn without_worlds(wit: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let mut in_world = false;
    for line in wit.lines() {
        if in_world {
            in_world = line.trim_end() != "}";
            continue;
        }
        if line.starts_with("world ") {
            while kept.last().is_some_and(|l| l.starts_with("///")) {
                kept.pop();
            }
            in_world = !line.trim_end().ends_with('}');
            continue;
        }
        kept.push(line);
    }
    kept.join("\n")
}

/// A handler interface flattened to text: function signatures and the
/// definitions of the named types of its package.
#[derive(Debug)]
struct Contract {
    functions: BTreeMap<String, (usize, String)>,
    types: BTreeMap<String, String>,
}

impl Contract {
    fn of(resolve: &Resolve, handler: wit_parser::InterfaceId) -> Self {
        let iface = &resolve.interfaces[handler];
        let functions = iface
            .functions
            .values()
            .enumerate()
            .map(|(i, f)| (f.name.clone(), (i, signature(resolve, f))))
            .collect();
        let package = iface.package;
        let types = resolve
            .types
            .iter()
            .filter(|(_, def)| {
                def.name.is_some()
                    // `use types.{manifest}` makes an alias of the same
                    // name: compare the definition, not the alias.
                    && !matches!(def.kind, TypeDefKind::Type(Type::Id(_)))
                    && matches!(def.owner, wit_parser::TypeOwner::Interface(i)
                        if resolve.interfaces[i].package == package)
            })
            .filter_map(|(_, def)| Some((def.name.clone()?, shape(resolve, &def.kind))))
            .collect();
        Self { functions, types }
    }

    fn differences(&self, found: &Self) -> Vec<String> {
        let mut out = Vec::new();
        let mut ours: Vec<_> = self.functions.iter().collect();
        ours.sort_by_key(|(_, (i, _))| *i);
        for (name, (_, sig)) in ours {
            match found.functions.get(name) {
                None => out.push(format!(
                    "function `{name}` is missing (this host calls `{sig}`)"
                )),
                Some((_, theirs)) if theirs != sig => out.push(format!(
                    "function `{name}` differs: the component has `{theirs}`, this host calls `{sig}`"
                )),
                Some(_) => {}
            }
        }
        for (name, (_, sig)) in &found.functions {
            if !self.functions.contains_key(name) {
                out.push(format!(
                    "function `{name}` is not in this host's contract (`{sig}`)"
                ));
            }
        }
        for (name, def) in &self.types {
            if let Some(theirs) = found.types.get(name)
                && theirs != def
            {
                out.push(format!(
                    "type `{name}` differs: the component has `{theirs}`, this host has `{def}`"
                ));
            }
        }
        out
    }
}

fn signature(resolve: &Resolve, f: &Function) -> String {
    let params: Vec<String> = f
        .params
        .iter()
        .map(|(n, t)| format!("{n}: {}", ty(resolve, t)))
        .collect();
    let result = f
        .result
        .as_ref()
        .map(|t| format!(" -> {}", ty(resolve, t)))
        .unwrap_or_default();
    format!("{}: func({}){result}", f.name, params.join(", "))
}

fn ty(resolve: &Resolve, t: &Type) -> String {
    match t {
        Type::Bool => "bool".into(),
        Type::U8 => "u8".into(),
        Type::U16 => "u16".into(),
        Type::U32 => "u32".into(),
        Type::U64 => "u64".into(),
        Type::S8 => "s8".into(),
        Type::S16 => "s16".into(),
        Type::S32 => "s32".into(),
        Type::S64 => "s64".into(),
        Type::F32 => "f32".into(),
        Type::F64 => "f64".into(),
        Type::Char => "char".into(),
        Type::String => "string".into(),
        Type::ErrorContext => "error-context".into(),
        Type::Id(id) => {
            let def = &resolve.types[*id];
            match (&def.name, &def.kind) {
                (Some(name), _) => name.clone(),
                (None, kind) => shape(resolve, kind),
            }
        }
    }
}

fn shape(resolve: &Resolve, kind: &TypeDefKind) -> String {
    let list = |items: Vec<String>| items.join(", ");
    let opt = |t: &Option<Type>| t.as_ref().map_or("_".to_string(), |t| ty(resolve, t));
    match kind {
        TypeDefKind::Record(r) => format!(
            "record {{ {} }}",
            list(
                r.fields
                    .iter()
                    .map(|f| format!("{}: {}", f.name, ty(resolve, &f.ty)))
                    .collect()
            )
        ),
        TypeDefKind::Variant(v) => format!(
            "variant {{ {} }}",
            list(
                v.cases
                    .iter()
                    .map(|c| match &c.ty {
                        Some(t) => format!("{}({})", c.name, ty(resolve, t)),
                        None => c.name.clone(),
                    })
                    .collect()
            )
        ),
        TypeDefKind::Enum(e) => format!(
            "enum {{ {} }}",
            list(e.cases.iter().map(|c| c.name.clone()).collect())
        ),
        TypeDefKind::Flags(f) => format!(
            "flags {{ {} }}",
            list(f.flags.iter().map(|c| c.name.clone()).collect())
        ),
        TypeDefKind::Tuple(t) => format!(
            "tuple<{}>",
            list(t.types.iter().map(|t| ty(resolve, t)).collect())
        ),
        TypeDefKind::Option(t) => format!("option<{}>", ty(resolve, t)),
        TypeDefKind::Result(r) => format!("result<{}, {}>", opt(&r.ok), opt(&r.err)),
        TypeDefKind::List(t) => format!("list<{}>", ty(resolve, t)),
        TypeDefKind::FixedSizeList(t, n) => format!("list<{}, {n}>", ty(resolve, t)),
        TypeDefKind::Type(t) => ty(resolve, t),
        other => other.as_str().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST_WIT: &str = crate::v0_1::WIT;

    #[test]
    fn every_version_s_handler_parses_without_its_world() {
        for v in crate::ContractVersion::ALL {
            let c = host_contract(v.wit()).unwrap_or_else(|| panic!("{v} parses"));
            assert!(c.functions.contains_key("handle"), "{v}");
        }
        let newest = host_contract(crate::v0_2::WIT).expect("0.2.0");
        assert!(
            newest.functions["check"].1.contains("draft"),
            "{:?}",
            newest.functions
        );
    }

    #[test]
    fn the_host_contract_reads_and_agrees_with_itself() {
        let host = host_contract(HOST_WIT).expect("wit/matter.wit parses");
        for f in ["describe", "check", "prefill", "handle"] {
            assert!(host.functions.contains_key(f), "{f}");
        }
        assert!(host.types.contains_key("request"));
        assert!(
            host.differences(&host_contract(HOST_WIT).expect("again"))
                .is_empty()
        );
    }

    #[test]
    fn a_changed_contract_names_what_changed() {
        let host = host_contract(HOST_WIT).expect("parses");
        let changed = HOST_WIT
            .replace(
                "package onething:matter@0.1.0;",
                "package onething:matter@0.2.0;",
            )
            .replace(
                "handle: func(request: request)",
                "handle: func(request: request, context: string)",
            )
            .replace(
                "    prefill: func(step: string, known: list<field>) -> list<field>;",
                "",
            )
            .replace("attempt: u32,", "attempt: u64,");
        assert_ne!(changed, HOST_WIT, "the replacements must apply");
        let mut resolve = Resolve::new();
        let pkg = resolve.push_str("other.wit", &changed).expect("parses");
        let id = resolve.packages[pkg].interfaces["handler"];
        let diffs = host.differences(&Contract::of(&resolve, id));
        assert_eq!(diffs.len(), 3, "{diffs:#?}");
        assert!(diffs[0].contains("`prefill` is missing"), "{diffs:#?}");
        assert!(
            diffs[1].contains("`handle` differs") && diffs[1].contains("context: string"),
            "{diffs:#?}"
        );
        assert!(
            diffs[2].contains("type `request` differs") && diffs[2].contains("attempt: u64"),
            "{diffs:#?}"
        );
    }
}
