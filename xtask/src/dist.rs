//! `cargo xtask dist [--check]`: the files a user downloads, in `target/dist/`:
//!
//! - `swipy-<version>-chrome.zip`: the extension for the Chrome Web Store and Edge Add-ons
//!   (manifest at the root, no `key`: the store assigns the id);
//! - `swipy-<version>-firefox.xpi`: the Firefox add-on, checked with `web-ext lint`
//!   (0 errors);
//! - `swipy-host-<version>-linux-x86_64.tar.gz` and `swipy-host-<version>-windows-x86_64.zip`:
//!   the `swipy` host (release build; Windows cross-built with the MinGW-w64 toolchain), the
//!   ONNX Runtime library of that OS from the pinned PyPI `onnxruntime` wheel (Windows: with
//!   the Visual C++ runtime DLLs it needs, from PyPI `msvc-runtime`), the prepared
//!   models (`cargo xtask models`) and an `INSTALL.txt`. Unpacked anywhere, `swipy` finds the
//!   runtime and the models next to itself.
//!
//! Installs what is missing: the wasm32 and `x86_64-pc-windows-gnu` Rust targets, Debian's
//! `gcc-mingw-w64-x86-64`, the npm tools of `xtask/tools/` (binaryen, web-ext).
//!
//! `--check` then unpacks the Linux archive into an empty directory and, with an empty
//! `PATH` and a fresh `HOME`, runs `swipy install`, `swipy doctor` (must be all good), trains
//! on a small generated set of profiles and scores a profile of the recs fixture.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::{json, Value};

use crate::build::VERSION;
use crate::util::{self, cargo, have, is_root, root, target_dir};

const WINDOWS: &str = "x86_64-pc-windows-gnu";
const MINGW_GCC: &str = "x86_64-w64-mingw32-gcc";
const MINGW_PACKAGE: &str = "gcc-mingw-w64-x86-64";

/// A PyPI wheel for Windows and the files taken from it, each pinned by sha256.
struct WinWheel {
    spec: &'static str,
    wheel: &'static str,
    sha256: &'static str,
    files: &'static [(&'static str, &'static str)],
}

/// What the Windows host needs next to `swipy.exe`: ONNX Runtime (same version as the
/// Linux one, models/manifests/onnxruntime.toml) and the Microsoft Visual C++ runtime it
/// links against (app-local, so no "Visual C++ Redistributable" install is needed).
const WIN_WHEELS: &[WinWheel] = &[
    WinWheel {
        spec: "onnxruntime==1.32.0",
        wheel: "onnxruntime-1.32.0-cp312-cp312-win_amd64.whl",
        sha256: "efe7456952c243a05a53d5b8732953625144642c2f3989094277f6217f0c0c40",
        files: &[
            (
                "onnxruntime/capi/onnxruntime.dll",
                "443c0065fcdba17618ddef05050308f4b471893c5c7da0337d6957c9073ad8a7",
            ),
            (
                "onnxruntime/capi/onnxruntime_providers_shared.dll",
                "b7ce00a1246473401b9b7fed2816852c1f9ecd70f2e68a136761c40d6523b712",
            ),
        ],
    },
    WinWheel {
        spec: "msvc-runtime==14.51.36231",
        wheel: "msvc_runtime-14.51.36231-cp312-cp312-win_amd64.whl",
        sha256: "89f70d1a37bb64164cdb09d02dd82d6b1400e1310be2995b4ed5a9f23efe2222",
        files: &[
            (
                "msvc_runtime-14.51.36231.data/data/msvcp140.dll",
                "7c26614e1d733892c2deac7e245ce115504b1d80592dd0a01b08e3e5a55f89ca",
            ),
            (
                "msvc_runtime-14.51.36231.data/data/msvcp140_1.dll",
                "206c931bf90fdad8816de3b5e2ef80b2bcaa9406c89ecc05fe6fddffe251e982",
            ),
            (
                "msvc_runtime-14.51.36231.data/data/Scripts/vcruntime140.dll",
                "d1f4225df2cd877dbf130d5668a021dce3f94118455ff5ec952061c30afc9ce7",
            ),
            (
                "msvc_runtime-14.51.36231.data/data/Scripts/vcruntime140_1.dll",
                "a7146c08f89fe5b04541ab507cdb59ff7b44534d4ba3c668a426c6450a03434e",
            ),
        ],
    },
];

/// Writes a zip of a folder: `python3 ZIP out.zip folder prefix` (sorted entries, fixed
/// timestamps, Unix modes kept; the models make archives too big for memory-light tools).
const ZIP_PY: &str = r#"
import os, sys, zipfile
out, root, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
with zipfile.ZipFile(out + ".part", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(d, f)
            rel = os.path.relpath(p, root).replace(os.sep, "/")
            info = zipfile.ZipInfo(prefix + rel, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (os.stat(p).st_mode & 0xFFFF) << 16
            with open(p, "rb") as fh, z.open(info, "w") as w:
                while True:
                    chunk = fh.read(1 << 20)
                    if not chunk:
                        break
                    w.write(chunk)
os.replace(out + ".part", out)
"#;

/// Extracts pinned members of a wheel: `python3 WHEEL wheel dest member sha256 ...`.
const WHEEL_PY: &str = r#"
import hashlib, os, sys, zipfile
wheel, dest, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    for member, want in zip(rest[::2], rest[1::2]):
        data = z.read(member)
        got = hashlib.sha256(data).hexdigest()
        if got != want:
            sys.exit(f"{member}: sha256 {got}, expected {want}")
        target = os.path.join(dest, os.path.basename(member))
        with open(target + ".part", "wb") as f:
            f.write(data)
        os.replace(target + ".part", target)
"#;

/// Unpacks a zip: `python3 UNZIP file.zip dest`.
const UNZIP_PY: &str = r#"
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
"#;

pub fn dist(args: &[String]) -> Result<(), String> {
    let mut check = false;
    for a in args {
        match a.as_str() {
            "--check" => check = true,
            other => return Err(format!("dist: unknown option `{other}` (known: --check)")),
        }
    }
    let started = Instant::now();
    let root = root();
    let target = target_dir();
    let out = target.join("dist");

    crate::build::build(&[])?;
    crate::models::models(&[])?;

    let t = Instant::now();
    util::run(cargo().args(["build", "--release", "-p", "swipy-host", "-j2"]))?;
    eprintln!(
        "xtask: Linux host (release) built in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    ensure_windows_toolchain()?;
    util::run(cargo().args([
        "build",
        "--release",
        "-p",
        "swipy-host",
        "--target",
        WINDOWS,
        "-j2",
    ]))?;
    eprintln!(
        "xtask: Windows host (release, cross-built) built in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    let win_ort = windows_ort(&target.join("ort-windows"))?;

    if out.exists() {
        fs::remove_dir_all(&out).map_err(|e| format!("cannot clear {}: {e}", out.display()))?;
    }
    let stage = target.join("dist-stage");
    if stage.exists() {
        fs::remove_dir_all(&stage).map_err(|e| format!("cannot clear {}: {e}", stage.display()))?;
    }
    mkdir(&out)?;
    mkdir(&stage)?;

    // The extension: Chromium-family store package without `key`, Firefox add-on.
    let chrome = stage.join("chrome");
    copy_dir(&root.join("extension/dist/chrome"), &chrome)?;
    let manifest = chrome.join("manifest.json");
    let mut m: Value = serde_json::from_str(&read(&manifest)?)
        .map_err(|e| format!("{}: {e}", manifest.display()))?;
    store_manifest(&mut m)?;
    write(
        &manifest,
        &(serde_json::to_string_pretty(&m).map_err(|e| e.to_string())? + "\n"),
    )?;
    zip_dir(
        &chrome,
        &out.join(format!("swipy-{VERSION}-chrome.zip")),
        "",
    )?;
    let xpi = out.join(format!("swipy-{VERSION}-firefox.xpi"));
    zip_dir(&root.join("extension/dist/firefox"), &xpi, "")?;
    lint_xpi(&xpi, &stage.join("lint-firefox"))?;

    // The hosts. ONNX Runtime and the models are where `cargo xtask models` prepares them.
    let prepared = root.join("target");
    let models = prepared.join("models");
    let linux_name = format!("swipy-host-{VERSION}-linux-x86_64");
    let linux = stage.join(&linux_name);
    mkdir(&linux)?;
    copy(&target.join("release/swipy"), &linux.join("swipy"))?;
    copy(
        &prepared.join("ort/libonnxruntime.so"),
        &linux.join("libonnxruntime.so"),
    )?;
    copy(
        &prepared.join("ort/libonnxruntime_providers_shared.so"),
        &linux.join("libonnxruntime_providers_shared.so"),
    )?;
    copy_dir(&models, &linux.join("models"))?;
    write(&linux.join("INSTALL.txt"), &install_text(false))?;
    let tgz = out.join(format!("{linux_name}.tar.gz"));
    util::run(
        Command::new("tar")
            .args(["--sort=name", "--owner=0", "--group=0", "--numeric-owner"])
            .arg("--mtime=2026-01-01 00:00Z")
            .arg("-czf")
            .arg(&tgz)
            .arg("-C")
            .arg(&stage)
            .arg(&linux_name),
    )?;

    let win_name = format!("swipy-host-{VERSION}-windows-x86_64");
    let win = stage.join(&win_name);
    mkdir(&win)?;
    let exe = target.join(WINDOWS).join("release/swipy.exe");
    let head = fs::read(&exe).map_err(|e| format!("cannot read {}: {e}", exe.display()))?;
    if !head.starts_with(b"MZ") {
        return Err(format!("{} is not a Windows executable", exe.display()));
    }
    copy(&exe, &win.join("swipy.exe"))?;
    for f in &win_ort {
        copy(f, &win.join(f.file_name().unwrap_or_default()))?;
    }
    copy_dir(&models, &win.join("models"))?;
    write(
        &win.join("INSTALL.txt"),
        &install_text(true).replace('\n', "\r\n"),
    )?;
    zip_dir(
        &win,
        &out.join(format!("{win_name}.zip")),
        &format!("{win_name}/"),
    )?;

    let _ = fs::remove_dir_all(&stage);
    eprintln!(
        "xtask: dist ready in {:.0} s:",
        started.elapsed().as_secs_f64()
    );
    let mut files: Vec<_> = fs::read_dir(&out)
        .map_err(|e| format!("cannot list {}: {e}", out.display()))?
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for f in &files {
        let size = fs::metadata(f).map(|m| m.len()).unwrap_or(0);
        eprintln!(
            "xtask:   {} ({:.1} MiB)",
            f.display(),
            size as f64 / 1048576.0
        );
    }
    if check {
        check_linux_archive(&tgz, &target.join("dist-check"))?;
    }
    Ok(())
}

/// The Chromium store package's manifest: no `key` (the store assigns the id).
fn store_manifest(m: &mut Value) -> Result<(), String> {
    let obj = m
        .as_object_mut()
        .ok_or("the manifest must be a JSON object")?;
    obj.remove("key");
    if obj.get("version").and_then(Value::as_str) != Some(VERSION) {
        return Err(format!("the built manifest's version is not {VERSION}"));
    }
    Ok(())
}

fn install_text(windows: bool) -> String {
    let (exe, unpack, lib) = if windows {
        (
            "swipy.exe",
            "Unzip this folder where it can stay (for example in your user folder).",
            "onnxruntime.dll",
        )
    } else {
        (
            "./swipy",
            "Unpack this folder where it can stay (for example ~/.local/opt/).",
            "libonnxruntime.so",
        )
    };
    format!(
        "Swipy {VERSION}: the Swipy app (native host)\n\
         \n\
         1. {unpack}\n\
         \x20  The browsers start {exe} from here: moving the folder later needs step 3 again.\n\
         2. Install the extension: from the Chrome Web Store / Edge Add-ons / addons.mozilla.org,\n\
         \x20  or load swipy-{VERSION}-chrome.zip unpacked (chrome://extensions, Developer mode)\n\
         \x20  or swipy-{VERSION}-firefox.xpi (unsigned: about:debugging, Load Temporary Add-on).\n\
         3. In a terminal, in this folder, register the app with your browser:\n\
         \x20     {exe} install --browser chrome      (or edge, chromium, brave, vivaldi, firefox, all)\n\
         \x20  A store install of the Chromium extension adds its id (chrome://extensions):\n\
         \x20     {exe} install --browser chrome --extension-id <the 32-letter id>\n\
         4. Check: {exe} doctor    (ends with \"all good\")\n\
         5. Reload the extension and open tinder.com; the Swipy popup says \"Connected\".\n\
         \n\
         Next to {exe}: {lib} (ONNX Runtime 1.32.0, MIT){vc} and models/ (the\n\
         prepared encoders). Your data (labels, photos, models you train) lives in {data}.\n\
         Remove: {exe} uninstall, then delete this folder.\n",
        vc = if windows {
            ", the Visual C++ runtime DLLs it\n\
             needs (msvcp140*.dll, vcruntime140*.dll; Microsoft, redistributable)"
        } else {
            ""
        },
        data = if windows {
            "%APPDATA%\\swipy"
        } else {
            "~/.local/share/swipy"
        },
    )
}

/// `x86_64-pc-windows-gnu` for rustup and Debian's MinGW-w64 C toolchain (SQLite and ring
/// are C), installed when missing.
fn ensure_windows_toolchain() -> Result<(), String> {
    let installed = util::output(Command::new("rustup").args(["target", "list", "--installed"]))
        .unwrap_or_default();
    if !installed.lines().any(|l| l.trim() == WINDOWS) {
        util::run(Command::new("rustup").args(["target", "add", WINDOWS]))?;
    }
    if have(MINGW_GCC) {
        return Ok(());
    }
    apt_install(&[MINGW_PACKAGE])
}

/// `apt-get install -y` (through sudo when not root).
pub fn apt_install(packages: &[&str]) -> Result<(), String> {
    if !have("apt-get") {
        return Err(format!(
            "missing {packages:?} and no apt-get to install them"
        ));
    }
    let apt = |args: &[&str]| -> Result<(), String> {
        let mut c = if is_root() {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        c.env("DEBIAN_FRONTEND", "noninteractive").args(args);
        util::run(&mut c)
    };
    apt(&["update", "-q"])?;
    let mut args = vec!["install", "-y", "-q"];
    args.extend_from_slice(packages);
    apt(&args)
}

/// The Windows runtime files ([`WIN_WHEELS`]) in `dir`, fetched from the pinned PyPI wheels
/// when missing.
fn windows_ort(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut all = Vec::new();
    for w in WIN_WHEELS {
        all.extend(windows_wheel(dir, w)?);
    }
    Ok(all)
}

fn windows_wheel(dir: &Path, w: &WinWheel) -> Result<Vec<PathBuf>, String> {
    let files: Vec<PathBuf> = w
        .files
        .iter()
        .map(|(m, _)| dir.join(Path::new(m).file_name().unwrap_or_default()))
        .collect();
    let fresh = w
        .files
        .iter()
        .zip(&files)
        .all(|((_, sha), f)| sha256(f).as_deref() == Some(*sha));
    if fresh {
        return Ok(files);
    }
    mkdir(dir)?;
    let python = crate::models::find_python()?;
    let wheel = dir.join(w.wheel);
    if sha256(&wheel).as_deref() != Some(w.sha256) {
        util::run(
            Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "download",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--no-deps",
                    "--platform",
                    "win_amd64",
                    "--python-version",
                    "3.12",
                    "--implementation",
                    "cp",
                    "--only-binary=:all:",
                    w.spec,
                    "-d",
                ])
                .arg(dir),
        )?;
        match sha256(&wheel) {
            Some(s) if s == w.sha256 => {}
            other => {
                return Err(format!(
                    "{}: sha256 {other:?}, expected {}",
                    w.wheel, w.sha256
                ))
            }
        }
    }
    let mut cmd = Command::new(python);
    cmd.args(["-c", WHEEL_PY]).arg(&wheel).arg(dir);
    for (member, sha) in w.files {
        cmd.args([member, sha]);
    }
    util::run(&mut cmd)?;
    Ok(files)
}

fn sha256(p: &Path) -> Option<String> {
    if !p.is_file() {
        return None;
    }
    let out = util::output(Command::new("sha256sum").arg(p)).ok()?;
    out.split_whitespace().next().map(str::to_owned)
}

/// `web-ext lint` of exactly what the xpi holds: 0 errors, or the dist fails.
fn lint_xpi(xpi: &Path, unpacked: &Path) -> Result<(), String> {
    if unpacked.exists() {
        fs::remove_dir_all(unpacked)
            .map_err(|e| format!("cannot clear {}: {e}", unpacked.display()))?;
    }
    mkdir(unpacked)?;
    unzip(xpi, unpacked)?;
    let web_ext = tool("web-ext")?;
    let out = Command::new(&web_ext)
        .args(["lint", "--output", "json", "--no-input", "--source-dir"])
        .arg(unpacked)
        .output()
        .map_err(|e| format!("cannot start web-ext: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(text.trim())
        .map_err(|e| format!("web-ext lint gave no JSON report ({e}): {text}"))?;
    let count = |k: &str| {
        report
            .get(k)
            .and_then(Value::as_array)
            .map_or(0, |a| a.len() as u64)
    };
    let (errors, warnings, notices) = (count("errors"), count("warnings"), count("notices"));
    for w in report["warnings"].as_array().into_iter().flatten() {
        eprintln!(
            "xtask: web-ext lint warning: {} ({})",
            w["message"].as_str().unwrap_or("?"),
            w["file"].as_str().unwrap_or("")
        );
    }
    for e in report["errors"].as_array().into_iter().flatten() {
        eprintln!(
            "xtask: web-ext lint ERROR: {}: {} ({})",
            e["code"].as_str().unwrap_or("?"),
            e["message"].as_str().unwrap_or("?"),
            e["file"].as_str().unwrap_or("")
        );
    }
    if errors > 0 || !out.status.success() {
        return Err(format!(
            "web-ext lint found {errors} error(s) in {}",
            xpi.display()
        ));
    }
    eprintln!(
        "xtask: web-ext lint {}: 0 errors, {warnings} warnings, {notices} notices",
        xpi.display()
    );
    Ok(())
}

/// A program of the npm tools package (`xtask/tools/`: binaryen, web-ext), installed with
/// `npm ci` when missing or older than the lock file.
pub fn tool(name: &str) -> Result<PathBuf, String> {
    let dir = root().join("xtask").join("tools");
    let lock = dir.join("package-lock.json");
    let marker = dir.join("node_modules").join(".package-lock.json");
    let fresh = match (fs::metadata(&lock), fs::metadata(&marker)) {
        (Ok(l), Ok(m)) => matches!((l.modified(), m.modified()), (Ok(l), Ok(m)) if m >= l),
        _ => false,
    };
    if !fresh {
        if !have("npm") {
            return Err("Node.js and npm are needed for the build tools (Debian: apt-get install -y nodejs npm)".into());
        }
        util::run(
            Command::new("npm")
                .current_dir(&dir)
                .args(["ci", "--no-audit", "--no-fund"]),
        )?;
    }
    let bin = dir.join("node_modules").join(".bin").join(name);
    if bin.exists() {
        Ok(bin)
    } else {
        Err(format!("{} is missing after npm ci", bin.display()))
    }
}

/// The archive test: unpack into an empty directory, then with an empty PATH and a fresh
/// HOME (no Rust, Python or Node reachable) install, doctor, train and score.
pub fn check_linux_archive(archive: &Path, work: &Path) -> Result<(), String> {
    let started = Instant::now();
    if work.exists() {
        fs::remove_dir_all(work).map_err(|e| format!("cannot clear {}: {e}", work.display()))?;
    }
    let unpacked = work.join("unpacked");
    let home = work.join("home");
    let empty_path = work.join("empty-path");
    for d in [&unpacked, &home, &empty_path] {
        mkdir(d)?;
    }
    util::run(
        Command::new("tar")
            .arg("-xzf")
            .arg(archive)
            .arg("-C")
            .arg(&unpacked),
    )?;
    let dir = unpacked.join(format!("swipy-host-{VERSION}-linux-x86_64"));
    let swipy = dir.join("swipy");
    let run = |args: &[&str]| -> Result<(i32, String), String> {
        let out = Command::new(&swipy)
            .env_clear()
            .env("HOME", &home)
            .env("PATH", &empty_path)
            .current_dir(work)
            .args(args)
            .output()
            .map_err(|e| format!("cannot start {}: {e}", swipy.display()))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!(
            "xtask: (clean) swipy {}\n{}",
            args.join(" "),
            text.trim_end()
        );
        Ok((out.status.code().unwrap_or(-1), text))
    };
    let ok = |args: &[&str]| -> Result<String, String> {
        let (code, text) = run(args)?;
        if code != 0 {
            return Err(format!("`swipy {}` failed with {code}", args.join(" ")));
        }
        Ok(text)
    };

    let v = ok(&["--version"])?;
    if !v.contains(VERSION) {
        return Err(format!("`swipy --version` does not say {VERSION}: {v}"));
    }
    ok(&["install", "--browser", "chrome"])?;
    ok(&["install", "--browser", "firefox"])?;
    let doctor = ok(&["doctor"])?;
    let want = [
        "all good".to_owned(),
        format!("onnx rt:   {}", dir.join("libonnxruntime.so").display()),
        format!("models:    {}", dir.join("models").display()),
    ];
    for w in &want {
        if !doctor.contains(w.as_str()) {
            return Err(format!("`swipy doctor` does not say `{w}`"));
        }
    }

    // A small taste to train on (text only), then a profile of the recs fixture scored.
    let train = work.join("train-recs.json");
    write(&train, &training_recs().to_string())?;
    ok(&["import-recs", &train.display().to_string(), "--no-photos"])?;
    for (i, (id, _, like)) in training_profiles().iter().enumerate() {
        let verdict = if *like { "like" } else { "nope" };
        ok(&["label", id, verdict]).map_err(|e| format!("label {i}: {e}"))?;
    }
    ok(&["train"])?;
    // The recs fixture (Tinder's shape) parses; its profiles wait for photos this check
    // does not download, so they are `pending`.
    let fixture = root().join("host/tests/fixtures/recs_core.json");
    ok(&["import-recs", &fixture.display().to_string(), "--no-photos"])?;
    let pending_id = "5f1a2b3c4d5e6f7a8b9c0d01";
    let pending = score_lines(&ok(&["score", pending_id, "--json"])?, &[pending_id])?;
    if pending[0]["state"] != "pending" {
        return Err(format!(
            "a profile without its photos scored: {}",
            pending[0]
        ));
    }
    // Two new text-only profiles: the outdoor bio scores above the sofa bio.
    let fresh = fresh_profiles();
    let fresh_file = work.join("fresh-recs.json");
    write(&fresh_file, &recs_of(&fresh).to_string())?;
    ok(&[
        "import-recs",
        &fresh_file.display().to_string(),
        "--no-photos",
    ])?;
    let ids = [fresh[0].0.as_str(), fresh[1].0.as_str()];
    let lines = score_lines(&ok(&["score", ids[0], ids[1], "--json"])?, &ids)?;
    let p_of = |line: &Value| {
        line["p_like"]
            .as_f64()
            .filter(|p| (0.0..=1.0).contains(p))
            .ok_or_else(|| format!("a text-only profile got no probability: {line}"))
    };
    let (p, p_sofa) = (p_of(&lines[0])?, p_of(&lines[1])?);
    if p <= p_sofa {
        return Err(format!(
            "the trained taste is not applied: outdoor bio {p:.3} <= sofa bio {p_sofa:.3}"
        ));
    }
    eprintln!(
        "xtask: the unpacked Linux archive works without a toolchain: doctor all good, outdoor bio scored {p:.3} over sofa bio {p_sofa:.3} ({:.0} s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Twelve profiles: outdoor bios liked, the others passed.
fn training_profiles() -> Vec<(String, String, bool)> {
    const LIKED: [&str; 6] = [
        "Hiking every weekend, mountains and lakes are my happy place.",
        "Climbing, trail running and camping under the stars.",
        "Ski season is the best season. Let's go to the Alps.",
        "Kayaking, cycling and long walks in the forest.",
        "Wandern, Berge und Zelten am See sind mein Leben.",
        "Sunrise summit hikes and a tent in the backcountry.",
    ];
    const PASSED: [&str; 6] = [
        "Netflix marathons and takeaway pizza on the sofa.",
        "Shopping, cocktails and city nightlife.",
        "Video games all night, sleep all day.",
        "Fashion blogger, brunch lover, never without my phone.",
        "Fernsehen, Sofa und Lieferdienst am Wochenende.",
        "Clubbing until sunrise, then brunch in the city.",
    ];
    LIKED
        .iter()
        .map(|b| (b, true))
        .chain(PASSED.iter().map(|b| (b, false)))
        .enumerate()
        .map(|(i, (bio, like))| {
            (
                format!("6a00000000000000000000{i:02x}"),
                (*bio).to_owned(),
                like,
            )
        })
        .collect()
}

/// Two unlabelled profiles: one outdoor bio, one sofa bio.
fn fresh_profiles() -> Vec<(String, String, bool)> {
    vec![
        (
            "6a00000000000000000000f0".to_owned(),
            "Mountain hikes, camping by the lake and skiing in winter.".to_owned(),
            true,
        ),
        (
            "6a00000000000000000000f1".to_owned(),
            "Sofa, series and pizza delivery every night.".to_owned(),
            false,
        ),
    ]
}

/// The JSON lines `swipy score --json` printed for `ids`, in that order.
fn score_lines(out: &str, ids: &[&str]) -> Result<Vec<Value>, String> {
    let lines: Vec<Value> = out
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    ids.iter()
        .map(|id| {
            lines
                .iter()
                .find(|l| l["id"] == *id)
                .cloned()
                .ok_or_else(|| format!("`swipy score --json` printed no line for {id}"))
        })
        .collect()
}

fn training_recs() -> Value {
    recs_of(&training_profiles())
}

/// A `/v2/recs/core` answer of text-only profiles.
fn recs_of(profiles: &[(String, String, bool)]) -> Value {
    let results: Vec<Value> = profiles
        .iter()
        .enumerate()
        .map(|(i, (id, bio, _))| {
            json!({
                "type": "user",
                "distance_mi": 3 + i,
                "user": {
                    "_id": id,
                    "name": format!("Demo {i}"),
                    "bio": bio,
                    "birth_date": format!("{}-05-01T00:00:00.000Z", 1990 + i),
                    "gender": 1,
                    "photos": [],
                },
            })
        })
        .collect();
    json!({ "meta": { "status": 200 }, "data": { "results": results } })
}

fn zip_dir(dir: &Path, out: &Path, prefix: &str) -> Result<(), String> {
    let python = crate::models::find_python()?;
    util::run(
        Command::new(python)
            .args(["-c", ZIP_PY])
            .arg(out)
            .arg(dir)
            .arg(prefix),
    )
}

fn unzip(file: &Path, dest: &Path) -> Result<(), String> {
    let python = crate::models::find_python()?;
    util::run(
        Command::new(python)
            .args(["-c", UNZIP_PY])
            .arg(file)
            .arg(dest),
    )
}

fn mkdir(p: &Path) -> Result<(), String> {
    fs::create_dir_all(p).map_err(|e| format!("cannot create {}: {e}", p.display()))
}

fn read(p: &Path) -> Result<String, String> {
    fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
}

fn write(p: &Path, text: &str) -> Result<(), String> {
    fs::write(p, text).map_err(|e| format!("cannot write {}: {e}", p.display()))
}

/// A hard link where possible (the models are large), else a copy.
fn copy(from: &Path, to: &Path) -> Result<(), String> {
    if fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("cannot copy {} → {}: {e}", from.display(), to.display()))
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    mkdir(to)?;
    let entries = fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        if src.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            copy(&src, &dst)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_package_has_no_key_and_the_workspace_version() {
        let src: Value = serde_json::from_str(
            &read(&root().join("extension/static/manifest.json")).expect("read"),
        )
        .expect("json");
        let mut m = crate::build::manifest_for(&src, "chrome").expect("chrome");
        assert!(
            m.get("key").is_some(),
            "the development build keeps its key"
        );
        store_manifest(&mut m).expect("store manifest");
        assert!(m.get("key").is_none());
        assert_eq!(m["version"], VERSION);
    }

    #[test]
    fn install_texts_name_the_commands_of_their_os() {
        let linux = install_text(false);
        assert!(linux.contains("./swipy install --browser chrome"));
        assert!(linux.contains("./swipy doctor"));
        assert!(linux.contains("libonnxruntime.so"));
        let win = install_text(true);
        assert!(win.contains("swipy.exe install --browser chrome"));
        assert!(win.contains("onnxruntime.dll"));
        assert!(
            win.contains("vcruntime140"),
            "the Visual C++ runtime is named"
        );
        assert!(!linux.contains("vcruntime140"));
        assert!(win.contains(&format!("swipy-{VERSION}-firefox.xpi")));
    }

    #[test]
    fn the_training_set_has_both_classes_and_enough_labels() {
        let p = training_profiles();
        assert!(p.len() >= 10);
        assert!(p.iter().filter(|x| x.2).count() >= 5);
        assert!(p.iter().filter(|x| !x.2).count() >= 5);
        assert!(p.iter().all(|x| x.0.len() == 24));
    }
}
