//! The crate's modules depend on each other one way: no import circle.
//!
//! Reads `src/` and builds the graph of the crate's top-level modules
//! (`client`, `operation`, `crypto`, `error`, ...): an edge `a -> b` for
//! every `crate::b` path in `a`'s code (its file and its submodules), with
//! names the crate root re-exports (`crate::Money`) resolved to the module
//! that defines them. Comments and `#[cfg(test)]` modules are left out
//! (tests may reach anywhere). Any cycle fails the test, naming the files
//! that close it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The crate's top-level modules, as `lib.rs` declares them.
fn modules(lib: &str) -> BTreeSet<String> {
    lib.lines()
        .filter_map(|l| {
            let l = l.trim();
            let rest = l
                .strip_prefix("pub mod ")
                .or_else(|| l.strip_prefix("mod "))?;
            rest.strip_suffix(';').map(str::to_owned)
        })
        .collect()
}

/// The names the crate root re-exports, and the module each comes from:
/// `pub use money::{Currency, Money};` makes `crate::Money` mean `money`.
fn root_reexports(lib: &str, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut statement = String::new();
    for line in code_lines(lib) {
        let line = line.trim();
        if statement.is_empty() && !line.starts_with("pub use ") {
            continue;
        }
        statement.push_str(line);
        statement.push(' ');
        if !line.ends_with(';') {
            continue;
        }
        let path = statement["pub use ".len()..].trim().trim_end_matches(';');
        if let Some((module, names)) = path.split_once("::")
            && modules.contains(module)
        {
            let names = names.trim_start_matches('{').trim_end_matches('}');
            for name in names.split(',') {
                let name = name.split(" as ").last().unwrap_or(name).trim();
                let name = name.rsplit("::").next().unwrap_or(name);
                if !name.is_empty() {
                    out.insert(name.to_owned(), module.to_owned());
                }
            }
        }
        statement.clear();
    }
    out
}

/// The lines of code of a file: no comments, no `#[cfg(test)]` modules.
fn code_lines(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        let next = lines.get(i + 1).map_or("", |l| l.trim());
        let test_module = line == "#[cfg(test)]"
            && (next.starts_with("mod ") || next.starts_with("pub(crate) mod "))
            && next.ends_with('{');
        if test_module {
            // Skip to the brace that closes the module.
            let mut depth = 0i64;
            i += 1;
            while i < lines.len() {
                depth += lines[i].matches('{').count() as i64;
                depth -= lines[i].matches('}').count() as i64;
                i += 1;
                if depth == 0 {
                    break;
                }
            }
            continue;
        }
        if !line.starts_with("//") {
            out.push(lines[i]);
        }
        i += 1;
    }
    out
}

/// Every `crate::name` on a line (not `$crate::`, which is the macro's own
/// crate, nor `pasarela_crate::`).
fn crate_paths(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        let after = &rest[at + "crate::".len()..];
        let name_len = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        if !matches!(before, Some(c) if c.is_alphanumeric() || c == '_' || c == '$') {
            out.push(&after[..name_len]);
        }
        rest = &after[name_len..];
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn graph() -> Graph {
    let root = src();
    let lib = std::fs::read_to_string(root.join("lib.rs")).unwrap();
    let modules = modules(&lib);
    let reexports = root_reexports(&lib, &modules);
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut graph = Graph::new();
    for file in files {
        let relative = file.strip_prefix(&root).unwrap();
        let top = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if top == "lib" {
            continue;
        }
        assert!(modules.contains(&top), "{} is not declared in lib.rs", top);
        let text = std::fs::read_to_string(&file).unwrap();
        for line in code_lines(&text) {
            for name in crate_paths(line) {
                let target = if modules.contains(name) {
                    name.to_owned()
                } else if let Some(module) = reexports.get(name) {
                    module.clone()
                } else {
                    continue;
                };
                if target != top {
                    graph
                        .entry(top.clone())
                        .or_default()
                        .entry(target)
                        .or_default()
                        .insert(relative.display().to_string());
                }
            }
        }
    }
    graph
}

/// A cycle of the graph, if there is one, as the list of modules on it.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        state: &mut BTreeMap<String, bool>, // false: on the path; true: done
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(node) {
            Some(true) => return None,
            Some(false) => {
                let start = path.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            None => {}
        }
        state.insert(node.to_owned(), false);
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flat_map(|m| m.keys()) {
            if let Some(cycle) = visit(next, graph, state, path) {
                return Some(cycle);
            }
        }
        path.pop();
        state.insert(node.to_owned(), true);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, graph, &mut state, &mut Vec::new()) {
            return Some(cycle);
        }
    }
    None
}

#[test]
fn modules_depend_on_each_other_one_way() {
    let graph = graph();
    // The reader sees real edges (a broken parser would find none).
    for (from, to) in [
        ("client", "operation"),
        ("operation", "outcome"),
        ("error", "crypto"),
        ("confirm", "monnet"),
    ] {
        assert!(
            graph.get(from).is_some_and(|m| m.contains_key(to)),
            "expected {from} -> {to} in {graph:#?}"
        );
    }
    if let Some(cycle) = find_cycle(&graph) {
        let edges: Vec<String> = cycle
            .windows(2)
            .map(|w| {
                let files = &graph[&w[0]][&w[1]];
                format!("{} -> {} (in {:?})", w[0], w[1], files)
            })
            .collect();
        panic!("import circle between modules:\n  {}", edges.join("\n  "));
    }
}

#[test]
fn the_checker_finds_a_circle() {
    let mut graph = Graph::new();
    let edge = |g: &mut Graph, a: &str, b: &str| {
        g.entry(a.into()).or_default().entry(b.into()).or_default();
    };
    edge(&mut graph, "a", "b");
    edge(&mut graph, "b", "c");
    assert_eq!(find_cycle(&graph), None);
    edge(&mut graph, "c", "a");
    assert_eq!(
        find_cycle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(
        crate_paths("use crate::error::X; $crate::a::b; my_crate::c; (crate::Money)"),
        ["error", "Money"]
    );
    let lib = "mod a;\npub mod money;\npub use money::{Currency, Money as M};\npub use a::B;";
    let modules = modules(lib);
    let names = root_reexports(lib, &modules);
    assert_eq!(names.get("M").map(String::as_str), Some("money"));
    assert_eq!(names.get("B").map(String::as_str), Some("a"));
    let code = "use x;\n#[cfg(test)]\nmod tests {\n    use crate::y;\n}\n// crate::z\nfn f() {}";
    assert_eq!(code_lines(code), ["use x;", "fn f() {}"]);
}
