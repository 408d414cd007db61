//! `cargo xtask layers`: fails when a module of the host (`host/src`) imports a module of a
//! higher layer. `cargo xtask test` runs it next to format and clippy.
//!
//! # The host's layers, top to bottom
//!
//! | layer     | modules                                         | what it does                                   |
//! |-----------|-------------------------------------------------|------------------------------------------------|
//! | entry     | `main`, `cli`, `launch`                         | parses the arguments, detects a browser launch, starts serve mode or calls a service |
//! | dispatch  | `serve`                                         | the serve loop: frames in, typed requests to the services, answers out |
//! | transport | `transport`                                     | native messaging framing (length prefix, caps)  |
//! | services  | `store`, `fetch`, `ingest`, `learn`, `matches`, `install`, `counts`, `paths`, `logger` | the work: storage, photos, parsing captures, models, browser registration |
//! | wire      | `outbox`, `validate`                            | what services and the dispatcher share to answer the browser: encoded answers and events, checks of outside values |
//!
//! Below them all is the contract crate `swipy-shared` (protocol and Tinder types), which
//! imports nothing of the host.
//!
//! A module may import modules of its own layer or of lower layers, never of a higher one:
//! no service reaches the dispatcher or the transport (a worker pushes events through the
//! outbox, `host/src/outbox.rs`, which the serve loop fills with the transport's writer),
//! and only the entry
//! starts serve mode. A module's files are `host/src/<module>.rs` and everything under
//! `host/src/<module>/`; every module must be listed here, so a new one gets a layer.
//!
//! The check reads `crate::…` paths (and `swipy_host::…` in `main.rs`) outside comments
//! and string literals, including grouped imports (`use crate::{a, b::C}`). `super::`
//! paths stay inside a module and are not followed.

use std::path::{Path, PathBuf};

use crate::util::root;

/// The layers, top first: (name, modules).
pub const LAYERS: &[(&str, &[&str])] = &[
    ("entry", &["main", "cli", "launch"]),
    ("dispatch", &["serve"]),
    ("transport", &["transport"]),
    (
        "services",
        &[
            "store", "fetch", "ingest", "learn", "matches", "install", "counts", "paths", "logger",
        ],
    ),
    ("wire", &["outbox", "validate"]),
];

/// `cargo xtask layers`.
pub fn layers(_args: &[String]) -> Result<(), String> {
    let src = root().join("host").join("src");
    let found = check_tree(&src)?;
    if found.is_empty() {
        println!("layers: no upward import in host/src");
        Ok(())
    } else {
        Err(format!(
            "{} upward import(s) in host/src (see xtask/src/layers.rs for the layers):\n{}",
            found.len(),
            found.join("\n")
        ))
    }
}

/// Position of a module's layer (0 = top); `None` for a module not listed.
fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&module))
}

fn layer_name(rank: usize) -> &'static str {
    LAYERS.get(rank).map(|(n, _)| *n).unwrap_or("?")
}

/// Every violation in the `.rs` files under `src`, as `file: message` lines.
pub fn check_tree(src: &Path) -> Result<Vec<String>, String> {
    let mut files = Vec::new();
    collect(src, &mut files)?;
    files.sort();
    let mut found = Vec::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap_or(&file);
        let Some(module) = module_of(rel) else {
            continue;
        };
        let text = std::fs::read_to_string(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let shown = format!("host/src/{}", rel.to_string_lossy().replace('\\', "/"));
        for v in violations(&module, &text)? {
            found.push(format!("{shown}: {v}"));
        }
    }
    Ok(found)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
            .path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// The module a file belongs to: `x.rs` and `x/…` are module `x`; `lib.rs` (the module
/// list) has none.
fn module_of(rel: &Path) -> Option<String> {
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib").then(|| name.to_owned())
}

/// The upward imports in the source text of a file of `module`.
pub fn violations(module: &str, text: &str) -> Result<Vec<String>, String> {
    let Some(own) = rank(module) else {
        return Err(format!(
            "module `{module}` is in no layer: add it to LAYERS in xtask/src/layers.rs"
        ));
    };
    let code = code_only(text);
    let mut found = Vec::new();
    let roots: &[&str] = if module == "main" {
        &["crate::", "swipy_host::"]
    } else {
        &["crate::"]
    };
    for root in roots {
        for target in imported_modules(&code, root) {
            let Some(r) = rank(&target) else {
                continue;
            };
            if r < own {
                found.push(format!(
                    "`{module}` ({}) imports `{target}` ({}), a higher layer",
                    layer_name(own),
                    layer_name(r)
                ));
            }
        }
    }
    Ok(found)
}

/// The first path segment after every `root` (e.g. `crate::`), grouped imports expanded.
fn imported_modules(code: &str, root: &str) -> Vec<String> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find(root) {
        let start = from + at;
        from = start + root.len();
        let before = start.checked_sub(1).map(|i| bytes[i]);
        if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$') {
            continue;
        }
        let rest = code[from..].trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0usize;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && (c.is_alphabetic() || c == '_') => {
                        out.push(ident_at(&group[i..]));
                        item_start = false;
                    }
                    c if c.is_whitespace() => {}
                    _ => item_start = false,
                }
            }
        } else {
            let name = ident_at(rest);
            if !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

fn ident_at(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// `text` with comments, string and char literals blanked out (newlines kept).
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0usize;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
            }
        } else if c == 'r'
            && matches!(next, Some('"') | Some('#'))
            && !prev_is_ident(&chars, i)
            && raw_string_end(&chars, i).is_some()
        {
            let end = raw_string_end(&chars, i).unwrap_or(chars.len());
            out.extend(chars[i..end].iter().filter(|c| **c == '\n'));
            out.push_str("\"\"");
            i = end;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                if chars.get(i) == Some(&'\n') {
                    out.push('\n');
                }
                i += 1;
            }
            out.push_str("\"\"");
            i += 1;
        } else if c == '\'' && next == Some('\\') {
            // An escaped char literal: skip to its closing quote.
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            out.push_str("' '");
            i += 1;
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            out.push_str("' '");
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn prev_is_ident(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// The index after a raw string literal starting at `i` (`r"…"`, `r#"…"#`, …).
fn raw_string_end(chars: &[char], i: usize) -> Option<usize> {
    let mut j = i + 1;
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    if chars.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < chars.len() {
        if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(chars.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_importing_the_dispatcher_fails() {
        let v = violations(
            "learn",
            "use crate::serve::Outbox;\nfn f() { crate::store::now_ms(); }\n",
        )
        .expect("known module");
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].contains("`learn` (services) imports `serve` (dispatch)"));
    }

    #[test]
    fn grouped_and_inline_paths_are_read() {
        let v = violations(
            "matches",
            "use crate::{store::{Store, StoreError}, transport};\nlet x = crate::cli::EXIT_OK;",
        )
        .expect("known module");
        assert_eq!(v.len(), 2, "{v:?}");
        assert!(v[0].contains("`transport`"));
        assert!(v[1].contains("`cli`"));
    }

    #[test]
    fn downward_and_sideways_imports_pass() {
        let text = "use crate::store::Store;\nuse crate::outbox::Outbox;\nuse crate::{fetch, validate::check_id};";
        assert_eq!(violations("learn", text), Ok(vec![]));
        let entry = "use crate::serve;\nuse crate::launch::BrowserLaunch;";
        assert_eq!(violations("cli", entry), Ok(vec![]));
        assert_eq!(
            violations("main", "swipy_host::cli::main_entry(args)"),
            Ok(vec![])
        );
    }

    #[test]
    fn comments_and_strings_are_not_imports() {
        let text = "//! See [`crate::serve`].\n/* crate::cli /* nested */ crate::serve */\n\
                    let s = \"crate::serve\"; let r = r#\"crate::cli \"quoted\"\"#;\n\
                    let c = '\"'; fn f<'a>(x: &'a str) {}\nuse crate::store::Store;";
        assert_eq!(violations("fetch", text), Ok(vec![]));
        assert!(
            violations("fetch", "let c = '\"'; use crate::serve;")
                .expect("known")
                .len()
                == 1
        );
    }

    #[test]
    fn a_module_without_a_layer_is_an_error() {
        assert!(violations("newthing", "").is_err());
    }

    #[test]
    fn the_tree_is_read_by_module() {
        let dir = std::env::temp_dir().join(format!("swipy-layers-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("learn")).expect("dir");
        std::fs::write(dir.join("lib.rs"), "pub mod learn;").expect("lib");
        std::fs::write(dir.join("learn.rs"), "use crate::store::Store;").expect("learn");
        std::fs::write(dir.join("learn/worker.rs"), "use crate::serve::Outbox;").expect("worker");
        let found = check_tree(&dir).expect("read");
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("host/src/learn/worker.rs: "),
            "{found:?}"
        );
    }
}
