//! The modules of every crate of the workspace depend on each other one
//! way: no import circle.
//!
//! For each workspace member with a `src/lib.rs` or a `src/main.rs` (core,
//! the transports, the simulator, the ledger, the CLI, ...), reads its
//! `src/` and builds the graph of the crate's top-level modules: an edge
//! `a -> b` for every path in `a`'s code (its file and its submodules) that
//! names `b` from the crate root: `crate::b`, `super::b` written in a
//! top-level module's file (`super::super::b` one level down, and so on),
//! and each first name of a group, `use super::{b, c::d}`. Names the root
//! imports (`pub use money::Money;` makes `crate::Money` mean `money`) are
//! resolved to the module they come from; items the root defines itself are
//! no module and make no edge. Comments, literals and `#[cfg(test)]`
//! modules are left out (tests may reach anywhere). Any cycle fails the
//! test, naming the crate and the files that close it.
//!
//! This is the one checker of the workspace: it lives in core's test binary
//! and reads the other crates' sources from the workspace folder.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module -> module it uses -> the files (under `src/`) where it does.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// Edges each crate must show, so that a crate left unread or a reader
/// that sees nothing fails: `(crate root, from, to)`. Between them they use
/// every form: `crate::x`, `super::x`, a `super::{..}` group and a name the
/// root imports.
const EXPECTED: [(&str, &str, &str); 11] = [
    ("core/src/lib.rs", "client", "operation"),
    ("core/src/lib.rs", "operation", "outcome"),
    ("core/src/lib.rs", "error", "crypto"),
    ("core/src/lib.rs", "confirm", "monnet"),
    ("conformance/simulator/src/lib.rs", "control", "dashboard"),
    ("conformance/simulator/src/lib.rs", "dashboard", "settle"),
    ("conformance/simulator/src/lib.rs", "pages", "state"),
    ("conformance/simulator/src/lib.rs", "settle", "monnet"),
    ("ledger/src/lib.rs", "flows", "machine"),
    ("transports/kit/src/lib.rs", "trace", "phase"),
    ("cli/src/main.rs", "demo", "output"),
];

/// The workspace's folder.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The members the workspace's `Cargo.toml` lists.
fn members(manifest: &str) -> Vec<String> {
    let list = manifest
        .split_once("\nmembers")
        .and_then(|(_, rest)| rest.split_once('['))
        .and_then(|(_, rest)| rest.split_once(']'))
        .map_or("", |(list, _)| list);
    list.split(',')
        .map(|m| m.trim().trim_matches('"').to_owned())
        .filter(|m| !m.is_empty())
        .collect()
}

/// A Rust file's text with its comments and the insides of its string and
/// character literals blanked out (line breaks kept), so that the braces
/// and paths left are the code's own.
fn blank(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let end = match (chars[i], chars.get(i + 1)) {
            ('/', Some('/')) => chars[i..]
                .iter()
                .position(|&c| c == '\n')
                .map_or(chars.len(), |p| i + p),
            ('/', Some('*')) => block_comment_end(&chars, i),
            ('\'', _) => char_end(&chars, i).unwrap_or(i),
            _ => string_end(&chars, i).unwrap_or(i),
        };
        if end > i {
            out.extend(
                chars[i..end]
                    .iter()
                    .map(|&c| if c == '\n' { c } else { ' ' }),
            );
            i = end;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Just past the block comment (nested ones included) that starts at `i`.
fn block_comment_end(chars: &[char], i: usize) -> usize {
    let mut depth = 0;
    let mut j = i;
    while j < chars.len() {
        match (chars[j], chars.get(j + 1)) {
            ('/', Some('*')) => {
                depth += 1;
                j += 2;
            }
            ('*', Some('/')) => {
                depth -= 1;
                j += 2;
                if depth == 0 {
                    return j;
                }
            }
            _ => j += 1,
        }
    }
    chars.len()
}

/// Just past the character literal at `i` (`'x'`, `'\n'`, `'\u{7b}'`);
/// `None` when the quote starts a lifetime or a label.
fn char_end(chars: &[char], i: usize) -> Option<usize> {
    match (chars.get(i + 1), chars.get(i + 2)) {
        (Some('\\'), _) => {
            let after = chars.get(i + 3..)?;
            after.iter().position(|&c| c == '\'').map(|p| i + 3 + p + 1)
        }
        (Some(_), Some('\'')) => Some(i + 3),
        _ => None,
    }
}

/// Just past the string literal (`"…"`, `b"…"`, `r#"…"#`, …) that starts at
/// `i`, when one does.
fn string_end(chars: &[char], i: usize) -> Option<usize> {
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
        return None;
    }
    let mut j = i;
    if matches!(chars.get(j), Some('b' | 'c')) {
        j += 1;
    }
    let raw = chars.get(j) == Some(&'r');
    if raw {
        j += 1;
    }
    let hashes = chars[j.min(chars.len())..]
        .iter()
        .take_while(|&&c| c == '#')
        .count();
    if !raw && hashes > 0 {
        return None;
    }
    j += hashes;
    if chars.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < chars.len() {
        match chars[j] {
            '\\' if !raw => j += 2,
            '"' if chars[j + 1..].iter().take_while(|&&c| c == '#').count() >= hashes => {
                return Some(j + 1 + hashes);
            }
            _ => j += 1,
        }
    }
    Some(chars.len())
}

/// The tokens of blanked code: names (and numbers) whole, `::` whole, every
/// other character but white space on its own.
fn tokens(code: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(c) = rest.chars().next() {
        let len = if c.is_alphanumeric() || c == '_' {
            rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len())
        } else if rest.starts_with("::") {
            2
        } else {
            c.len_utf8()
        };
        if !c.is_whitespace() {
            out.push(&rest[..len]);
        }
        rest = &rest[len..];
    }
    out
}

fn is_name(token: &str) -> bool {
    token
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// Just past the bracketed group that opens at `open` (`(`, `[` or `{`).
fn past_group(t: &[&str], open: usize) -> usize {
    let close = match t.get(open) {
        Some(&"(") => ")",
        Some(&"[") => "]",
        Some(&"{") => "}",
        _ => return open + 1,
    };
    let mut depth = 0;
    for (j, token) in t.iter().enumerate().skip(open) {
        if *token == t[open] {
            depth += 1;
        } else if *token == close {
            depth -= 1;
            if depth == 0 {
                return j + 1;
            }
        }
    }
    t.len()
}

/// The first name of each path a `crate::` or `super::` prefix leads to:
/// the name at `j`, or the first name of each item of a group `{a::b, c}`.
fn first_names(t: &[&str], j: usize) -> Vec<String> {
    match t.get(j) {
        Some(&"{") => {
            let mut out = Vec::new();
            let mut depth = 0;
            for (m, token) in t.iter().enumerate().skip(j) {
                match *token {
                    "{" => depth += 1,
                    "}" => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    name if depth == 1
                        && is_name(name)
                        && name != "self"
                        && matches!(t[m - 1], "{" | ",") =>
                    {
                        out.push(name.to_owned());
                    }
                    _ => {}
                }
            }
            out
        }
        Some(name) if is_name(name) && !matches!(*name, "self" | "super" | "crate") => {
            vec![(*name).to_owned()]
        }
        _ => Vec::new(),
    }
}

/// What one file's code says about the crate's modules.
#[derive(Debug, Default)]
struct Scan {
    /// The first name of every path that starts at the crate root.
    root_names: Vec<String>,
    /// The file modules it declares (`mod x;`), test modules left out.
    declared: Vec<String>,
    /// The test-only file modules it declares (`#[cfg(test)] mod x;`).
    test_modules: Vec<String>,
    /// What its `use` items bring in: each name, with the first segment of
    /// its path (`pub use money::{Money as M};` gives `M`: `money`).
    imports: BTreeMap<String, String>,
}

/// Reads blanked `code` of a file `depth` modules below the crate root
/// (`0` for `lib.rs`, `1` for `client.rs` or `client/mod.rs`, ...).
fn scan(code: &str, depth: usize) -> Scan {
    let t = tokens(code);
    let at = |k: usize| t.get(k).copied().unwrap_or("");
    let mut scan = Scan::default();
    // One entry per open brace: whether it opens an inline module.
    let mut braces: Vec<bool> = Vec::new();
    let mut k = 0;
    while k < t.len() {
        let before = k.checked_sub(1).map_or("", |p| t[p]);
        match at(k) {
            "#" if t.get(k + 1..k + 7) == Some(&["[", "cfg", "(", "test", ")", "]"][..]) => {
                // A test-only item: a module is left out, whole.
                let mut j = k + 7;
                while at(j) == "#" {
                    j = past_group(&t, j + 1);
                }
                if at(j) == "pub" {
                    j += 1;
                    if at(j) == "(" {
                        j = past_group(&t, j);
                    }
                }
                if at(j) == "mod" && is_name(at(j + 1)) && at(j + 2) == "{" {
                    k = past_group(&t, j + 2);
                    continue;
                }
                if at(j) == "mod" && is_name(at(j + 1)) && at(j + 2) == ";" {
                    if braces.is_empty() {
                        scan.test_modules.push(at(j + 1).to_owned());
                    }
                    k = j + 3;
                    continue;
                }
                k += 1;
            }
            "mod" if is_name(at(k + 1)) && at(k + 2) == "{" => {
                braces.push(true);
                k += 3;
            }
            "mod" if is_name(at(k + 1)) && at(k + 2) == ";" => {
                if braces.is_empty() {
                    scan.declared.push(at(k + 1).to_owned());
                }
                k += 3;
            }
            "{" => {
                braces.push(false);
                k += 1;
            }
            "}" => {
                braces.pop();
                k += 1;
            }
            "crate" if at(k + 1) == "::" && !matches!(before, "$" | "::") => {
                scan.root_names.extend(first_names(&t, k + 2));
                k += 2;
            }
            "super" if at(k + 1) == "::" && before != "::" => {
                let mut j = k;
                let mut up = 0;
                while at(j) == "super" && at(j + 1) == "::" {
                    up += 1;
                    j += 2;
                }
                let inline = braces.iter().filter(|&&m| m).count();
                if depth + inline == up {
                    scan.root_names.extend(first_names(&t, j));
                }
                k = j;
            }
            "use" if braces.is_empty() => {
                let end = (k..t.len()).find(|&j| t[j] == ";").unwrap_or(t.len());
                let mut path = &t[k + 1..end];
                if path.first() == Some(&"::") {
                    path = &path[1..];
                }
                if matches!(path.first(), Some(&("crate" | "self"))) && path.get(1) == Some(&"::") {
                    path = &path[2..];
                }
                if let Some(first) = path.first().filter(|f| is_name(f)) {
                    for (m, name) in path.iter().enumerate() {
                        let leaf = matches!(path.get(m + 1), None | Some(&("," | "}")));
                        if leaf && is_name(name) && !matches!(*name, "self" | "super" | "crate") {
                            scan.imports.insert((*name).to_owned(), (*first).to_owned());
                        }
                    }
                }
                // Its tokens are read on: `use crate::x` is a path too.
                k += 1;
            }
            _ => k += 1,
        }
    }
    scan
}

/// The module path of a file under `src/`: `client.rs` and `client/mod.rs`
/// are `[client]`, `crypto/keys.rs` is `[crypto, keys]`, the roots `[]`.
fn module_path(relative: &Path) -> Vec<String> {
    let mut path: Vec<String> = relative
        .components()
        .map(|c| {
            c.as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned()
        })
        .collect();
    if path.last().is_some_and(|l| l == "mod") || path == ["lib"] || path == ["main"] {
        path.pop();
    }
    path
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

/// The module graph of each crate of the workspace member `member`: its
/// library (`src/lib.rs`), its binary (`src/main.rs`) or both, each named
/// by its root file (`cli/src/main.rs`). Fails on a file under `src/` that
/// no root declares.
fn crate_graphs(workspace: &Path, member: &str) -> Vec<(String, Graph)> {
    let src = workspace.join(member).join("src");
    let mut files = Vec::new();
    if src.is_dir() {
        rust_files(&src, &mut files);
    }
    // Each file: its name under src/, its module path, what it says.
    let scanned: Vec<(String, Vec<String>, Scan)> = files
        .iter()
        .map(|file| {
            let relative = file.strip_prefix(&src).unwrap();
            let path = module_path(relative);
            let code = blank(&std::fs::read_to_string(file).unwrap());
            let scan = scan(&code, path.len());
            (relative.display().to_string(), path, scan)
        })
        .collect();
    let tests: Vec<Vec<String>> = scanned
        .iter()
        .flat_map(|(_, path, scan)| {
            scan.test_modules
                .iter()
                .map(move |t| [path.clone(), vec![t.clone()]].concat())
        })
        .collect();
    let in_tests = |path: &[String]| tests.iter().any(|t| path.starts_with(t));
    let mut claimed = BTreeSet::new();
    let mut graphs = Vec::new();
    for root in ["lib.rs", "main.rs"] {
        let Some((_, _, root_scan)) = scanned.iter().find(|(file, _, _)| file == root) else {
            continue;
        };
        let modules: BTreeSet<&String> = root_scan.declared.iter().collect();
        let mut graph = Graph::new();
        for (file, path, scan) in &scanned {
            let Some(top) = path.first().filter(|top| modules.contains(top)) else {
                continue;
            };
            if in_tests(path) {
                continue;
            }
            claimed.insert(file);
            for name in &scan.root_names {
                let target = if modules.contains(name) {
                    name
                } else if let Some(module) =
                    root_scan.imports.get(name).filter(|m| modules.contains(m))
                {
                    module
                } else {
                    continue;
                };
                if target != top {
                    graph
                        .entry(top.clone())
                        .or_default()
                        .entry(target.clone())
                        .or_default()
                        .insert(file.clone());
                }
            }
        }
        graphs.push((format!("{member}/src/{root}"), graph));
    }
    for (file, path, _) in &scanned {
        assert!(
            path.is_empty() || claimed.contains(file) || in_tests(path),
            "{member}/src/{file}: its module is declared by neither lib.rs nor main.rs"
        );
    }
    graphs
}

/// Every crate of the workspace and its module graph.
fn workspace_graphs() -> BTreeMap<String, Graph> {
    let root = workspace();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    members(&manifest)
        .iter()
        .flat_map(|member| crate_graphs(&root, member))
        .collect()
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

/// The cycle's edges, each with the files that make it.
fn describe(graph: &Graph, cycle: &[String]) -> String {
    cycle
        .windows(2)
        .map(|w| format!("{} -> {} (in {:?})", w[0], w[1], graph[&w[0]][&w[1]]))
        .collect::<Vec<_>>()
        .join("\n    ")
}

#[test]
fn modules_depend_on_each_other_one_way() {
    let graphs = workspace_graphs();
    let circles: Vec<String> = graphs
        .iter()
        .filter_map(|(krate, graph)| {
            find_cycle(graph).map(|cycle| format!("{krate}:\n    {}", describe(graph, &cycle)))
        })
        .collect();
    assert!(
        circles.is_empty(),
        "import circle between modules:\n  {}",
        circles.join("\n  ")
    );
    // Every crate was read, and the reader saw real edges (a broken parser
    // would find none, and no circle).
    for (krate, from, to) in EXPECTED {
        let graph = graphs
            .get(krate)
            .unwrap_or_else(|| panic!("{krate} not read: {:?}", graphs.keys()));
        assert!(
            graph.get(from).is_some_and(|m| m.contains_key(to)),
            "expected {from} -> {to} in {krate}: {graph:#?}"
        );
    }
}

#[test]
fn the_checker_finds_a_circle() {
    let mut graph = Graph::new();
    let edge = |g: &mut Graph, a: &str, b: &str| {
        g.entry(a.into())
            .or_default()
            .entry(b.into())
            .or_default()
            .insert(format!("{a}.rs"));
    };
    edge(&mut graph, "a", "b");
    edge(&mut graph, "b", "c");
    assert_eq!(find_cycle(&graph), None);
    edge(&mut graph, "c", "a");
    let cycle = find_cycle(&graph);
    assert_eq!(
        cycle,
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert!(describe(&graph, &cycle.unwrap()).contains("c -> a (in {\"c.rs\"})"));

    let names = |code: &str, depth: usize| scan(&blank(code), depth).root_names;
    // `crate::`, not `$crate::` (the macro's crate) nor `my_crate::`, and
    // not in comments or literals.
    assert_eq!(
        names(
            "use crate::error::X; $crate::a::b; my_crate::c; (crate::Money) // crate::d\n\
             \"crate::e\" /* crate::f */ r#\"crate::g\"# 'x' '{' crate::{h, i::j};",
            1
        ),
        ["error", "Money", "h", "i"]
    );
    // `super::` in a top-level module's file is the crate root; a group
    // gives each item's first name, over several lines.
    assert_eq!(
        names(
            "use super::Inner;\nuse super::{control::{self, form_value}, pages::X,\n    wire};\n\
             fn f() { super::monnet::complete() }\npub(super) fn g() {}",
            1
        ),
        ["Inner", "control", "pages", "wire", "monnet"]
    );
    // One level down `super::` is the parent module, `super::super::` the
    // root; in an inline module `super::` is the file's module.
    assert_eq!(
        names("use super::hex; use super::super::codes::x;", 2),
        ["codes"]
    );
    assert_eq!(
        names("pub mod inner { use super::x; }\nuse super::y;", 1),
        ["y"]
    );
    // Test modules are left out, inline (whatever their braces) or as files.
    let file = scan(
        &blank(
            "mod a;\npub(crate) mod b;\n#[cfg(test)]\nmod tests {\n    use crate::y;\n    \
             fn f() { let _ = ('}', \"}\"); }\n}\n#[cfg(test)]\n#[path = \"t.rs\"]\nmod more;\n\
             fn f() { super::z(); }",
        ),
        1,
    );
    assert_eq!(file.declared, ["a", "b"]);
    assert_eq!(file.test_modules, ["more"]);
    assert_eq!(file.root_names, ["z"]);
    // What the root imports, and from where.
    let lib = scan(
        &blank(
            "mod a;\npub mod money;\npub use money::{Currency, Money as M};\n\
             pub use a::{B, c::D};\nuse std::sync::Arc;\npub(crate) use crate::a::E;",
        ),
        0,
    );
    let from = |name: &str| lib.imports.get(name).map(String::as_str);
    assert_eq!(from("M"), Some("money"));
    assert_eq!(from("Money"), None);
    assert_eq!(from("B"), Some("a"));
    assert_eq!(from("D"), Some("a"));
    assert_eq!(from("E"), Some("a"));
    assert_eq!(from("Arc"), Some("std"));
    assert_eq!(lib.declared, ["a", "money"]);
    assert_eq!(
        members("[workspace]\nmembers = [\"core\",\n \"cli\"]\n"),
        ["core", "cli"]
    );
    assert_eq!(
        module_path(Path::new("crypto/mod.rs")),
        module_path(Path::new("crypto.rs"))
    );
}
