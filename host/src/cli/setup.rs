//! Setting up: `swipy install` / `uninstall` (the browsers' host manifests) and `swipy
//! doctor` (store, manifests, ONNX Runtime and models checked).

use std::io::Write;
use std::path::Path;

use super::args::{InstallArgs, UninstallArgs};
use super::{Failure, EXIT_FAILURE, EXIT_SETUP_INCOMPLETE, EXIT_USAGE};
use crate::install::{self, Browser, InstallSpec};
use crate::learn;
use crate::paths;
use crate::store::{now_ms, Store};

fn install_failure(e: install::InstallError) -> Failure {
    match e {
        install::InstallError::BadArgs(m) => Failure::new(EXIT_USAGE, m),
        e @ install::InstallError::Io { .. } => Failure::new(EXIT_FAILURE, e.to_string()),
    }
}

pub(super) fn cmd_install(a: InstallArgs, dir: &Path, out: &mut dyn Write) -> Result<(), Failure> {
    let host_path = match a.host_path {
        Some(p) if p.is_absolute() => p,
        Some(p) => std::env::current_dir().map(|c| c.join(&p)).unwrap_or(p),
        None => paths::current_exe().map_err(|e| Failure::new(EXIT_FAILURE, e))?,
    };
    let browsers: Vec<Browser> = a.browser.iter().flat_map(|b| b.expand()).collect();
    let spec = InstallSpec {
        browsers,
        extension_id: a.extension_id,
        user_data_dir: a.user_data_dir,
        host_path,
    };
    let written = install::install(&spec).map_err(install_failure)?;
    if spec.browsers.iter().any(|b| !b.is_firefox()) {
        for origin in install::chromium_origins(spec.extension_id.as_deref()) {
            if let Err(e) = install::record_origin(dir, &origin) {
                log::warn!(
                    "cannot record the installed extension in {}: {e}",
                    dir.display()
                );
            }
        }
    }
    for p in written {
        writeln!(out, "wrote {}", p.display())?;
    }
    // The browser starts the host without arguments for the data dir: it uses $SWIPY_HOME
    // or the platform's. Say so when this install was for another one.
    if let Ok(browser_dir) = paths::data_dir(None) {
        if browser_dir != dir {
            writeln!(
                out,
                "note: a browser-started swipy uses {} ($SWIPY_HOME, else the platform data dir), not {}; set SWIPY_HOME in the browser's environment to use that one",
                browser_dir.display(),
                dir.display()
            )?;
        }
    }
    Ok(())
}

pub(super) fn cmd_doctor(dir: &Path, out: &mut dyn Write) -> Result<(), Failure> {
    let mut problems: Vec<String> = Vec::new();
    let exe = paths::current_exe().map_err(|e| Failure::new(EXIT_FAILURE, e))?;
    writeln!(
        out,
        "host:      {} (protocol {})",
        exe.display(),
        swipy_shared::protocol::PROTOCOL_VERSION
    )?;
    writeln!(out, "data dir:  {}", dir.display())?;
    match Store::open(dir) {
        Ok(store) => {
            let s = crate::counts::stats(&store, now_ms())?;
            writeln!(
                out,
                "store:     schema v{}, {} profiles, {} labels, {} photos",
                store.schema_version()?,
                s.profiles,
                s.labels,
                s.photos
            )?;
        }
        Err(e) => problems.push(format!("store cannot be opened: {e}")),
    }
    let mut installed = 0;
    for b in Browser::All.expand() {
        let Ok(path) = install::manifest_location(b) else {
            writeln!(out, "{:<9}  (no location on this system)", b.key())?;
            continue;
        };
        let c = install::check_manifest(b.key(), &path, b.is_firefox(), &exe);
        if c.present {
            installed += 1;
            writeln!(
                out,
                "{:<9}  installed: {} allows {}",
                b.key(),
                path.display(),
                c.allowed.join(", ")
            )?;
            problems.extend(c.problems.iter().map(|p| format!("{}: {p}", b.key())));
        } else {
            writeln!(out, "{:<9}  not installed ({})", b.key(), path.display())?;
        }
    }
    if installed == 0 {
        problems.push("no browser has the host installed: run `swipy install --browser chrome|edge|firefox` (add `--extension-id ID` for a store install)".into());
    }
    let ort = paths::ort_candidates(dir).into_iter().find(|p| p.is_file());
    match &ort {
        Some(p) => match learn::init_runtime(dir) {
            Ok(info) => writeln!(
                out,
                "onnx rt:   {} version {} (execution providers: {})",
                p.display(),
                info.version,
                info.providers.join(", ")
            )?,
            Err(e) => {
                writeln!(out, "onnx rt:   {} cannot be loaded", p.display())?;
                problems.push(format!("ONNX Runtime: {e}"));
            }
        },
        None => {
            writeln!(out, "onnx rt:   missing")?;
            problems.push("ONNX Runtime library not found (needed to train and score): run `cargo xtask models`".into());
        }
    }
    let models = paths::models_candidates(dir)
        .into_iter()
        .find(|p| p.is_dir());
    match &models {
        Some(p) => {
            writeln!(out, "models:    {}", p.display())?;
            for (m, files) in learn::manifests::check(p, false) {
                let present = files
                    .iter()
                    .all(|(_, s)| *s != learn::manifests::FileState::Missing);
                writeln!(
                    out,
                    "  {:<10} {}",
                    m.id,
                    if present { "present" } else { "missing" }
                )?;
                if !present {
                    problems.push(format!(
                        "model {} is missing: run `cargo xtask models`",
                        m.id
                    ));
                }
            }
        }
        None => {
            writeln!(out, "models:    missing")?;
            problems.push(
                "prepared models not found (needed to train and score): run `cargo xtask models`"
                    .into(),
            );
        }
    }
    if problems.is_empty() {
        writeln!(out, "all good")?;
        Ok(())
    } else {
        for p in &problems {
            writeln!(out, "problem:   {p}")?;
        }
        Err(Failure::new(
            EXIT_SETUP_INCOMPLETE,
            format!("{} problem(s) found", problems.len()),
        ))
    }
}

pub(super) fn cmd_uninstall(a: UninstallArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let browsers: Vec<Browser> = a.browser.iter().flat_map(|b| b.expand()).collect();
    let removed =
        install::uninstall(&browsers, a.user_data_dir.as_deref()).map_err(install_failure)?;
    if removed.is_empty() {
        writeln!(out, "no Swipy host manifest was installed")?;
    }
    for p in removed {
        writeln!(out, "removed {}", p.display())?;
    }
    Ok(())
}
