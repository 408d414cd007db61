//! `cargo xtask build`: the browser extension → `extension/dist/chrome/` and
//! `extension/dist/firefox/`.
//!
//! Steps: make sure the `wasm32-unknown-unknown` target and the `wasm-bindgen` CLI of the
//! exact version pinned in `extension/Cargo.toml` are installed (installs them when
//! missing), build the crate for wasm32 with the `wasm` profile (opt-level "z", LTO, one
//! codegen unit), run `wasm-bindgen --target web`, shrink the module with `wasm-opt -Oz`
//! from npm `binaryen` (pinned in `xtask/tools/package.json`; Debian's binaryen 108 breaks
//! the module), print its size (the limit, [`WASM_LIMIT`], is checked by `cargo xtask test`),
//! copy `extension/static/`, and write one `manifest.json` per
//! browser from the single source manifest, with the workspace version.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

use crate::util;

const TARGET: &str = "wasm32-unknown-unknown";
const CRATE: &str = "swipy-extension";
const WASM_FILE: &str = "swipy_extension.wasm";
/// Firefox add-on id (fixed; the host manifest's `allowed_extensions` names it).
const GECKO_ID: &str = "swipy@swipy.app";
/// First Firefox with MAIN-world content scripts.
const GECKO_MIN: &str = "128.0";
/// Files of `extension/static/` that are not copied as they are.
const NOT_COPIED: &[&str] = &["manifest.json", "EXTENSION_ID"];
/// The version of every part of Swipy: the workspace's (`Cargo.toml`), which xtask shares.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Cargo profile of the extension's WebAssembly (workspace `Cargo.toml`).
const WASM_PROFILE: &str = "wasm";
/// The most the extension's optimised WebAssembly may weigh: a ceiling against growth, just
/// above today's module (about 630 KiB). Issue 17 asks for [`WASM_GOAL`], not met yet: the
/// serde code of the protocol's tagged enums, `serde_json::Value`, float formatting and
/// the allocator's maps are most of it (CHANGELOG, "Known gaps").
pub const WASM_LIMIT: u64 = 640 * 1024;
/// The size issue 17 asks for.
pub const WASM_GOAL: u64 = 400 * 1024;
/// The module wasm-bindgen writes (what the extension loads).
const BG_WASM: &str = "swipy_extension_bg.wasm";

pub fn build(args: &[String]) -> Result<(), String> {
    for a in args {
        match a.as_str() {
            // The wasm is always built optimized (a debug build is ~10× larger and slow).
            "--release" => {}
            other => {
                return Err(format!(
                    "build: unknown option `{other}` (known: --release)"
                ))
            }
        }
    }
    let root = util::root();
    let ext = root.join("extension");
    ensure_target()?;
    let bindgen = ensure_wasm_bindgen(&ext)?;
    let wasm_opt = crate::dist::tool("wasm-opt")?;

    util::run(util::cargo().args([
        "build",
        "-p",
        CRATE,
        "--target",
        TARGET,
        "--profile",
        WASM_PROFILE,
    ]))?;
    let target_dir = util::target_dir();
    let wasm = target_dir.join(TARGET).join(WASM_PROFILE).join(WASM_FILE);
    if !wasm.is_file() {
        return Err(format!("the build did not produce {}", wasm.display()));
    }
    // wasm-bindgen once, then wasm-opt once; both browsers get the same files.
    let bound = target_dir.join("wasm-bindgen");
    if bound.exists() {
        fs::remove_dir_all(&bound).map_err(|e| format!("cannot clear {}: {e}", bound.display()))?;
    }
    util::run(
        Command::new(&bindgen)
            .args(["--target", "web", "--no-typescript", "--out-dir"])
            .arg(&bound)
            .arg(&wasm),
    )?;
    let module = bound.join(BG_WASM);
    let before = file_size(&module)?;
    let optimised = bound.join("opt.wasm");
    util::run(
        Command::new(&wasm_opt)
            .arg("-Oz")
            // The features rustc's wasm32 target enables by default.
            .args([
                "--enable-bulk-memory",
                "--enable-sign-ext",
                "--enable-nontrapping-float-to-int",
                "--enable-mutable-globals",
                "--enable-reference-types",
                "--enable-multivalue",
            ])
            .arg(&module)
            .arg("-o")
            .arg(&optimised),
    )?;
    fs::rename(&optimised, &module)
        .map_err(|e| format!("cannot replace {}: {e}", module.display()))?;
    let size = file_size(&module)?;
    eprintln!(
        "xtask: WebAssembly {} ({} before wasm-opt; ceiling {}, goal {})",
        kib(size),
        kib(before),
        kib(WASM_LIMIT),
        kib(WASM_GOAL)
    );

    let source: Value = serde_json::from_str(&read(&ext.join("static/manifest.json"))?)
        .map_err(|e| format!("extension/static/manifest.json is not valid JSON: {e}"))?;
    let dist = ext.join("dist");
    for browser in ["chrome", "firefox"] {
        let out = dist.join(browser);
        if out.exists() {
            fs::remove_dir_all(&out).map_err(|e| format!("cannot clear {}: {e}", out.display()))?;
        }
        fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
        copy_static(&bound, &out)?;
        copy_static(&ext.join("static"), &out)?;
        let manifest = manifest_for(&source, browser)?;
        let text = serde_json::to_string_pretty(&manifest)
            .map_err(|e| format!("cannot serialize the manifest: {e}"))?;
        fs::write(out.join("manifest.json"), text + "\n")
            .map_err(|e| format!("cannot write {}/manifest.json: {e}", out.display()))?;
        eprintln!("xtask: {} ({} KB)", out.display(), dir_size(&out) / 1024);
    }
    let id = read(&ext.join("static/EXTENSION_ID"))?;
    eprintln!(
        "xtask: Swipy {VERSION}: Chromium extension id {}, Firefox add-on id {GECKO_ID}",
        id.trim()
    );
    Ok(())
}

/// Size of the built extension's WebAssembly; an error over [`WASM_LIMIT`].
pub fn check_wasm_size() -> Result<u64, String> {
    let mut sizes = Vec::new();
    for browser in ["chrome", "firefox"] {
        let f = util::root()
            .join("extension/dist")
            .join(browser)
            .join(BG_WASM);
        sizes.push(file_size(&f)?);
    }
    let size = sizes.into_iter().max().unwrap_or(0);
    if size > WASM_LIMIT {
        return Err(format!(
            "the extension's WebAssembly is {}, over the limit of {}",
            kib(size),
            kib(WASM_LIMIT)
        ));
    }
    eprintln!(
        "xtask: WebAssembly {} (ceiling {}): ok; the goal of {} is not met yet",
        kib(size),
        kib(WASM_LIMIT),
        kib(WASM_GOAL)
    );
    Ok(size)
}

fn file_size(p: &Path) -> Result<u64, String> {
    fs::metadata(p)
        .map(|m| m.len())
        .map_err(|e| format!("cannot read {}: {e}", p.display()))
}

fn kib(bytes: u64) -> String {
    format!("{:.0} KiB", bytes as f64 / 1024.0)
}

/// The source manifest (Chromium form) transformed for one browser.
pub fn manifest_for(source: &Value, browser: &str) -> Result<Value, String> {
    let mut m = source.clone();
    let obj = m
        .as_object_mut()
        .ok_or("the manifest must be a JSON object")?;
    obj.insert("version".into(), json!(VERSION));
    match browser {
        "chrome" => {}
        "firefox" => {
            obj.remove("key");
            obj.remove("minimum_chrome_version");
            let bg = obj
                .get("background")
                .and_then(|b| b.get("service_worker"))
                .and_then(Value::as_str)
                .ok_or("the source manifest needs background.service_worker")?
                .to_owned();
            obj.insert(
                "background".into(),
                json!({ "scripts": [bg], "type": "module" }),
            );
            obj.insert(
                "browser_specific_settings".into(),
                json!({ "gecko": {
                    "id": GECKO_ID,
                    "strict_min_version": GECKO_MIN,
                    "data_collection_permissions": { "required": ["none"] }
                } }),
            );
        }
        other => return Err(format!("unknown browser `{other}`")),
    }
    Ok(m)
}

fn ensure_target() -> Result<(), String> {
    let installed = util::output(Command::new("rustup").args(["target", "list", "--installed"]))
        .unwrap_or_default();
    if installed.lines().any(|l| l.trim() == TARGET) {
        return Ok(());
    }
    util::run(Command::new("rustup").args(["target", "add", TARGET]))
}

/// The `wasm-bindgen` version pinned in `extension/Cargo.toml` (`wasm-bindgen = "=X"`).
fn pinned_version(ext: &Path) -> Result<String, String> {
    let toml = read(&ext.join("Cargo.toml"))?;
    toml.lines()
        .map(str::trim)
        .find_map(|l| {
            let rest = l.strip_prefix("wasm-bindgen")?.trim_start();
            let rest = rest.strip_prefix('=')?.trim();
            let v = rest.trim_start_matches('"').strip_prefix('=')?;
            Some(v.split('"').next()?.trim().to_owned())
        })
        .ok_or_else(|| {
            "extension/Cargo.toml must pin wasm-bindgen as `wasm-bindgen = \"=X.Y.Z\"`".into()
        })
}

/// A `wasm-bindgen` CLI of exactly the pinned version, installed with `cargo install` when
/// missing. Returns the program to run.
fn ensure_wasm_bindgen(ext: &Path) -> Result<PathBuf, String> {
    let want = pinned_version(ext)?;
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|h| h.join("bin").join("wasm-bindgen"));
    let mut candidates = vec![PathBuf::from("wasm-bindgen")];
    candidates.extend(cargo_bin.clone());
    for c in &candidates {
        if let Ok(v) = util::output(Command::new(c).arg("--version")) {
            if v.split_whitespace().nth(1) == Some(want.as_str()) {
                return Ok(c.clone());
            }
        }
    }
    eprintln!("xtask: installing wasm-bindgen-cli {want} (a few minutes, once)");
    // Without --locked: the CLI's lock file names a crate version the registry may lack.
    util::run(util::cargo().args(["install", "wasm-bindgen-cli", "--version", &want]))?;
    for c in candidates.iter().rev() {
        if let Ok(v) = util::output(Command::new(c).arg("--version")) {
            if v.split_whitespace().nth(1) == Some(want.as_str()) {
                return Ok(c.clone());
            }
        }
    }
    Err(format!(
        "wasm-bindgen {want} is still not runnable after `cargo install`"
    ))
}

fn copy_static(from: &Path, to: &Path) -> Result<(), String> {
    let entries = fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        let name = entry.file_name();
        if NOT_COPIED.iter().any(|n| name == *n) {
            continue;
        }
        let src = entry.path();
        let dst = to.join(&name);
        if src.is_dir() {
            fs::create_dir_all(&dst)
                .map_err(|e| format!("cannot create {}: {e}", dst.display()))?;
            copy_static(&src, &dst)?;
        } else {
            fs::copy(&src, &dst)
                .map_err(|e| format!("cannot copy {} → {}: {e}", src.display(), dst.display()))?;
        }
    }
    Ok(())
}

fn dir_size(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        dir_size(&p)
                    } else {
                        e.metadata().map(|m| m.len()).unwrap_or(0)
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

fn read(p: &Path) -> Result<String, String> {
    fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firefox_manifest_uses_background_scripts_and_a_gecko_id() {
        let src: Value = serde_json::from_str(
            &read(&util::root().join("extension/static/manifest.json")).expect("read"),
        )
        .expect("json");
        let ff = manifest_for(&src, "firefox").expect("firefox");
        assert_eq!(ff["background"]["scripts"][0], "background.js");
        assert!(ff["background"].get("service_worker").is_none());
        assert!(ff.get("key").is_none());
        assert_eq!(ff["browser_specific_settings"]["gecko"]["id"], GECKO_ID);
        assert_eq!(ff["version"], VERSION);
        let ch = manifest_for(&src, "chrome").expect("chrome");
        assert_eq!(ch["version"], VERSION);
        assert_ne!(VERSION, "0.0.0", "a released version");
        assert_eq!(ch["background"]["service_worker"], "background.js");
        assert!(ch["key"].as_str().is_some_and(|k| k.len() > 100));
        let csp = ch["content_security_policy"]["extension_pages"]
            .as_str()
            .expect("csp");
        assert!(csp.contains("'wasm-unsafe-eval'"));
    }

    #[test]
    fn the_wasm_bindgen_pin_is_found() {
        let v = pinned_version(&util::root().join("extension")).expect("pinned");
        assert!(
            v.split('.').count() == 3 && v.chars().all(|c| c.is_ascii_digit() || c == '.'),
            "{v}"
        );
    }
}
