//! `cargo xtask test`'s layering check: no import circle between the top-level modules of a
//! crate.
//!
//! A module's dependencies are read from its source as text: every `crate::name` path (in a
//! `use`, a brace group `use crate::{a, b::c}` or an expression), comments left out. A file
//! belongs to the top-level module its path starts with (`server/auth.rs` is `server`), so
//! imports inside one module are free; an edge between two modules that can reach each other
//! again is a circle, and the check prints one such path (`a → b → c → a`) per circle found.
//!
//! The rule it keeps: each crate's modules form layers (ARCHITECTURE.md lists them), and a
//! module uses only modules below it. It is the compiler's job to keep them honest about
//! types; this keeps them honest about direction.

use anyhow::{Result, bail};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The crates whose modules must form layers, by their source folder.
pub(crate) const CRATES: &[&str] = &["crates/protocol/src", "src", "crates/bridge/src"];

/// Which module of a scope each module names (nodes are module paths joined with `::`).
pub(crate) type Graph = BTreeMap<String, BTreeSet<String>>;

/// A source file's module path: `server/auth.rs` is `[server, auth]`, `model/mod.rs` is
/// `[model]`, the crate root `[]`.
fn module_path(src: &Path, path: &Path) -> Option<Vec<String>> {
    let relative = path.strip_prefix(src).ok()?;
    let mut parts: Vec<String> = relative.components().filter_map(|c| c.as_os_str().to_str().map(str::to_string)).collect();
    let last = parts.pop()?;
    let stem = last.strip_suffix(".rs")?;
    if !(matches!(stem, "mod") || (parts.is_empty() && matches!(stem, "lib" | "main"))) {
        parts.push(stem.to_string());
    }
    Some(parts)
}

/// The source files of a crate with their module paths and the absolute module paths they name.
/// A source file: its module path, and the module paths it names.
type SourceFile = (Vec<String>, Vec<Vec<String>>);

fn read_crate(src: &Path) -> Result<Vec<SourceFile>> {
    let mut files = Vec::new();
    collect(src, &mut files)?;
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let Some(module) = module_path(src, &path) else { continue };
        let text = without_test_modules(&strip_comments(&std::fs::read_to_string(&path)?));
        let named = named_paths(&text, &module);
        out.push((module, named));
    }
    Ok(out)
}

/// Every scope that holds modules (the crate root and each folder module), each with its graph:
/// which of its child modules names which other. A file inside `server/` counts as `server`
/// in the root scope and as `server::auth` in the scope `server`.
pub(crate) fn graphs(src: &Path) -> Result<BTreeMap<String, Graph>> {
    let files = read_crate(src)?;
    let modules: BTreeSet<Vec<String>> = files.iter().map(|(m, _)| m.clone()).collect();
    let mut scopes: BTreeSet<Vec<String>> = modules.iter().filter(|m| modules.iter().any(|o| o.len() > m.len() && o.starts_with(m))).cloned().collect();
    scopes.insert(Vec::new());
    let mut out = BTreeMap::new();
    for scope in &scopes {
        let child = |path: &[String]| -> Option<String> { (path.len() > scope.len() && path.starts_with(scope)).then(|| path[..=scope.len()].join("::")) };
        let children: BTreeSet<String> = modules.iter().filter_map(|m| child(m)).collect();
        let mut graph = Graph::new();
        for (module, named) in &files {
            let Some(from) = child(module) else { continue };
            let entry = graph.entry(from.clone()).or_default();
            for target in named {
                if let Some(to) = child(target)
                    && to != from
                    && children.contains(&to)
                {
                    entry.insert(to);
                }
            }
        }
        let name = if scope.is_empty() { "crate".to_string() } else { scope.join("::") };
        out.insert(name, graph);
    }
    Ok(out)
}

/// The crate root's scope alone.
#[cfg(test)]
fn graph(src: &Path) -> Result<Graph> {
    Ok(graphs(src)?.remove("crate").unwrap_or_default())
}

fn collect(dir: &Path, files: &mut Vec<std::path::PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    Ok(())
}

/// The text without `//` comments (doc comments included) and `/* */` blocks; strings stay
/// (a `crate::` inside a string literal is rare enough to be read as a use).
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("//") {
            rest = after.find('\n').map_or("", |end| &after[end..]);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |end| &after[end + 2..]);
        } else if rest.starts_with('"') {
            // Skip a string literal whole, so that "//" in a URL is not a comment.
            let bytes = rest.as_bytes();
            let mut i = 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            let end = (i + 1).min(rest.len());
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// The text without its `#[cfg(test)] mod name { … }` blocks: a unit test may use a module
/// above its own to build what it checks, as a dev-dependency may in cargo.
fn without_test_modules(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "#[cfg(test)]".len()..];
        let item = after.trim_start();
        let is_module =
            item.strip_prefix("mod ").is_some_and(|m| !ident_at(m.trim_start()).is_empty() && m.trim_start()[ident_at(m.trim_start()).len()..].trim_start().starts_with('{'));
        if !is_module {
            out.push_str("#[cfg(test)]");
            rest = after;
            continue;
        }
        let open = item.find('{').expect("a module block opens");
        let mut depth = 0usize;
        let mut end = item.len();
        for (i, c) in item[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// Every module path the text names, made absolute: `crate::a::B` is `[a, B]`,
/// `crate::{c, d::{E, F}}` is `[c]`, `[d, E]`, `[d, F]`; in the module `[m, n]`, `super::x` is
/// `[m, x]`, `super::super::y` is `[y]` and `self::z` is `[m, n, z]`.
fn named_paths(text: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let starts = ["crate::", "super::", "self::"].into_iter().find(|p| rest.starts_with(p));
        let before = text[..i].chars().next_back();
        // `$crate::`, `foo_crate::` and the inner `super` of `super::super::` are not starts.
        let at_start = !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == ':');
        let Some(keyword) = starts.filter(|_| at_start) else {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let mut base: Vec<String> = match keyword {
            "crate::" => Vec::new(),
            "self::" => module.to_vec(),
            _ => module[..module.len().saturating_sub(1)].to_vec(),
        };
        let mut tail = &rest[keyword.len()..];
        while let Some(more) = tail.strip_prefix("super::") {
            base.pop();
            tail = more;
        }
        let consumed = use_tree(tail, &base, &mut out);
        i += rest.len() - tail.len() + consumed.max(1);
    }
    out
}

/// Reads one use tree (`a::b`, `a::{b, c::d}`, `{x, self}`) after `prefix`, pushing each path
/// it names; returns how many bytes it read.
fn use_tree(text: &str, prefix: &[String], out: &mut Vec<Vec<String>>) -> usize {
    let mut path = prefix.to_vec();
    let mut at = 0;
    loop {
        let rest = &text[at..];
        let trimmed = rest.trim_start();
        if trimmed.starts_with('{') {
            at += rest.len() - trimmed.len() + 1;
            return at + group(&text[at..], &path, out);
        }
        let ident = ident_at(trimmed);
        if ident.is_empty() {
            if path.len() > prefix.len() {
                out.push(path);
            }
            return at;
        }
        at += rest.len() - trimmed.len() + ident.len();
        path.push(ident);
        if text[at..].starts_with("::") {
            at += 2;
        } else {
            out.push(path);
            return at;
        }
    }
}

/// The inside of a brace group, up to and with its `}`: each item is a use tree after `prefix`
/// (`self` names the prefix itself).
fn group(text: &str, prefix: &[String], out: &mut Vec<Vec<String>>) -> usize {
    let mut at = 0;
    while at < text.len() {
        let rest = &text[at..];
        let trimmed = rest.trim_start();
        at += rest.len() - trimmed.len();
        if trimmed.is_empty() {
            break;
        }
        if trimmed.starts_with('}') {
            return at + 1;
        }
        if trimmed.starts_with(',') {
            at += 1;
            continue;
        }
        if ident_at(trimmed) == "self" {
            out.push(prefix.to_vec());
            at += 4;
            continue;
        }
        let used = use_tree(trimmed, prefix, out);
        // Something no use tree holds (`*`, `as name`): step over it.
        at += if used == 0 { trimmed.chars().next().map_or(1, char::len_utf8) } else { used };
    }
    at
}

fn ident_at(text: &str) -> String {
    text.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

/// Every circle in the graph, each as a path that starts and ends at the same module (one per
/// strongly connected component of more than one module).
pub(crate) fn circles(graph: &Graph) -> Vec<Vec<String>> {
    // Tarjan's strongly connected components, then one shortest cycle through each.
    struct Walk<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        components: Vec<Vec<&'g str>>,
    }
    impl<'g> Walk<'g> {
        fn visit(&mut self, node: &'g str) {
            let at = self.index.len();
            self.index.insert(node, at);
            self.low.insert(node, at);
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in self.graph.get(node).into_iter().flatten() {
                let next = next.as_str();
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(top);
                    component.push(top);
                    if top == node {
                        break;
                    }
                }
                if component.len() > 1 {
                    self.components.push(component);
                }
            }
        }
    }
    let mut walk = Walk { graph, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), on_stack: BTreeSet::new(), components: Vec::new() };
    for node in graph.keys() {
        if !walk.index.contains_key(node.as_str()) {
            walk.visit(node);
        }
    }
    walk.components
        .iter()
        .map(|component| {
            let members: BTreeSet<&str> = component.iter().copied().collect();
            let start = *members.iter().next().expect("a component has members");
            shortest_cycle(graph, start, &members)
        })
        .collect()
}

/// A breadth-first search from `start` back to itself inside one component.
fn shortest_cycle(graph: &Graph, start: &str, members: &BTreeSet<&str>) -> Vec<String> {
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for next in graph.get(node).into_iter().flatten() {
            let next = next.as_str();
            if !members.contains(next) {
                continue;
            }
            if next == start {
                let mut path = vec![start.to_string()];
                let mut at = node;
                while at != start {
                    path.push(at.to_string());
                    at = came_from[at];
                }
                path.push(start.to_string());
                path.reverse();
                return path;
            }
            if !came_from.contains_key(next) {
                came_from.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    vec![start.to_string()]
}

/// Fails, naming each circle, when any crate of [`CRATES`] has one.
pub(crate) fn check(root: &Path) -> Result<()> {
    let mut found = Vec::new();
    for src in CRATES {
        for (scope, graph) in graphs(&root.join(src))? {
            for circle in circles(&graph) {
                found.push(format!("  {src} ({scope}): {}", circle.join(" → ")));
            }
        }
    }
    if !found.is_empty() {
        bail!("import circles between modules (each module may use only the layers below it; see ARCHITECTURE.md):\n{}", found.join("\n"));
    }
    Ok(())
}

/// Each module's layer: 0 for one that uses no other, else one more than the highest it uses.
pub(crate) fn levels(graph: &Graph) -> Option<BTreeMap<String, usize>> {
    if !circles(graph).is_empty() {
        return None;
    }
    fn level(graph: &Graph, node: &str, known: &mut BTreeMap<String, usize>) -> usize {
        if let Some(&at) = known.get(node) {
            return at;
        }
        let at = graph.get(node).into_iter().flatten().map(|next| level(graph, next, known) + 1).max().unwrap_or(0);
        known.insert(node.to_string(), at);
        at
    }
    let mut known = BTreeMap::new();
    for node in graph.keys() {
        level(graph, node, &mut known);
    }
    Some(known)
}

/// `cargo xtask layers`: each crate's modules, lowest layer first, or its circles.
pub(crate) fn print(root: &Path) -> Result<()> {
    for src in CRATES {
        for (scope, graph) in graphs(&root.join(src))? {
            println!("{src} ({scope})");
            match levels(&graph) {
                Some(levels) => {
                    let top = levels.values().copied().max().unwrap_or(0);
                    for layer in 0..=top {
                        let names: Vec<&str> = levels.iter().filter(|(_, l)| **l == layer).map(|(n, _)| n.as_str()).collect();
                        println!("  {layer}: {}", names.join(" "));
                    }
                }
                None => {
                    for circle in circles(&graph) {
                        println!("  circle: {}", circle.join(" → "));
                    }
                    for (from, to) in &graph {
                        println!("    {from} uses {}", to.iter().map(String::as_str).collect::<Vec<_>>().join(" "));
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempdir::Dir {
        let dir = tempdir::Dir::new();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    mod tempdir {
        pub(super) struct Dir(std::path::PathBuf);
        impl Dir {
            pub(super) fn new() -> Dir {
                static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
                let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let path = std::env::temp_dir().join(format!("xtask-layers-{}-{n}", std::process::id()));
                let _ = std::fs::remove_dir_all(&path);
                std::fs::create_dir_all(&path).unwrap();
                Dir(path)
            }
            pub(super) fn path(&self) -> &std::path::Path {
                &self.0
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn reads_every_form_of_a_module_path() {
        let text = "use crate::a::B;\nuse crate::{c, d::E, f::{G, self}};\nfn x() { crate::g::h(); $crate::no(); my_crate::no2(); }\n// crate::comment\n/* crate::block */ let s = \"http://x\"; super::i::j; super::super::k; self::l;";
        let named: Vec<String> = named_paths(&strip_comments(text), &["m".to_string(), "n".to_string()]).iter().map(|p| p.join("::")).collect();
        assert_eq!(named, ["a::B", "c", "d::E", "f::G", "f", "g::h", "m::i::j", "k", "m::n::l"]);
    }

    #[test]
    fn finds_a_circle_through_submodules_and_names_its_path() {
        let dir = tree(&[
            ("lib.rs", "pub mod a; pub mod b; pub mod c; use crate::a::X;"),
            ("a.rs", "use crate::b::Y;"),
            ("b/mod.rs", "mod inner;"),
            ("b/inner.rs", "use crate::{c::Z};"),
            ("c.rs", "fn f() -> crate::a::X { todo!() }"),
        ]);
        let graph = graph(dir.path()).unwrap();
        assert_eq!(circles(&graph), vec![vec!["a", "b", "c", "a"]]);
    }

    #[test]
    fn a_unit_test_module_may_use_a_module_above() {
        let text = "use crate::a::X;\n#[cfg(test)]\nmod tests {\n    use crate::b::Y;\n    fn f() { if x { crate::c::z(); } }\n}\n#[cfg(test)]\nfn helper() { crate::d::w(); }\n";
        let named: Vec<String> = named_paths(&without_test_modules(text), &[]).iter().map(|p| p.join("::")).collect();
        assert_eq!(named, ["a::X", "d::w"]);
    }

    #[test]
    fn layers_pass_and_use_within_a_module_is_free() {
        let dir =
            tree(&[("a.rs", "use crate::b::Y; use crate::c::Z;"), ("b/mod.rs", "mod inner; use crate::c::Z;"), ("b/inner.rs", "use crate::b::Y; use super::Y;"), ("c.rs", "")]);
        assert!(circles(&graph(dir.path()).unwrap()).is_empty());
    }

    #[test]
    fn finds_a_circle_between_submodules_of_one_folder() {
        let dir = tree(&[
            ("model/mod.rs", "pub mod entry; pub mod timeline;"),
            ("model/entry.rs", "use super::timeline::TLS_STARTED;"),
            ("model/timeline.rs", "use crate::model::entry::Entry;"),
        ]);
        let graphs = graphs(dir.path()).unwrap();
        assert!(circles(&graphs["crate"]).is_empty());
        assert_eq!(circles(&graphs["model"]), vec![vec!["model::entry", "model::timeline", "model::entry"]]);
    }
}
