//! `cargo xtask models [--gpu] [--force] [--skip-golden] [--test]`: the ONNX Runtime library from the
//! PyPI wheel into `target/ort/` (with `--gpu` also `onnxruntime-gpu` and its CUDA libraries
//! into `target/ort-gpu/`), the offline models into `target/models/<id>/` and the fixture
//! photos into `target/fixtures/openpeople/`. All the work is done by `models/prepare.py`
//! (pinned wheels, sha256 checks, deterministic conversions, golden checks, idempotent).
//! `--test` then runs the Python unit tests of models/ (`models/test_*.py`).
//!
//! `cargo xtask bench [--profiles N] [--threads N]`: end-to-end scoring benchmark. The Python
//! reference (`models/bench_reference.py`: onnxruntime + Pillow + tokenizers) and the Rust
//! pipeline (`swipy-models` example `bench`) score the same fixed profile set with the same
//! models and head; prints profiles/second, the ratio, peak memory, cold start to first score
//! and training time for 1,000 profiles.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::Value;

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

struct Measured {
    json: Value,
    /// Peak resident memory from /usr/bin/time -v, in MiB.
    peak_rss_mb: Option<f64>,
    wall_s: f64,
}

/// Run `cmd` (under `/usr/bin/time -v` when available) and read the JSON it wrote to `json`.
fn measure(mut cmd: Command, json: &Path) -> Result<Measured, String> {
    let time_bin = Path::new("/usr/bin/time");
    let _ = std::fs::remove_file(json);
    let started = Instant::now();
    let (status, stderr) = if time_bin.exists() {
        let mut timed = Command::new(time_bin);
        timed.arg("-v").arg(cmd.get_program()).args(cmd.get_args());
        if let Some(dir) = cmd.get_current_dir() {
            timed.current_dir(dir);
        }
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => timed.env(k, v),
                None => timed.env_remove(k),
            };
        }
        let out = timed
            .stdout(std::process::Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot start /usr/bin/time: {e}"))?;
        (
            out.status,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    } else {
        let out = cmd
            .stdout(std::process::Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
        (
            out.status,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let wall_s = started.elapsed().as_secs_f64();
    if !status.success() {
        return Err(format!(
            "{:?} failed with {status}:\n{stderr}",
            cmd.get_program()
        ));
    }
    let peak_rss_mb = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0);
    let text = std::fs::read_to_string(json)
        .map_err(|e| format!("benchmark wrote no result to {}: {e}", json.display()))?;
    let json: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: bad JSON: {e}", json.display()))?;
    Ok(Measured {
        json,
        peak_rss_mb,
        wall_s,
    })
}

fn num(m: &Measured, key: &str) -> Option<f64> {
    m.json.get(key).and_then(Value::as_f64)
}

fn fmt(v: Option<f64>, digits: usize) -> String {
    v.map(|x| format!("{x:.digits$}"))
        .unwrap_or_else(|| "-".into())
}

pub fn bench(args: &[String]) -> Result<(), String> {
    let mut profiles = "30".to_string();
    let mut threads = "0".to_string();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--profiles" => profiles = it.next().ok_or("--profiles needs a number")?.clone(),
            "--threads" => threads = it.next().ok_or("--threads needs a number")?.clone(),
            other => {
                return Err(format!(
                    "bench: unknown option `{other}` (expected --profiles N, --threads N)"
                ))
            }
        }
    }
    for (name, v) in [("--profiles", &profiles), ("--threads", &threads)] {
        if v.parse::<u32>().is_err() {
            return Err(format!("{name} needs a number, got `{v}`"));
        }
    }
    models(&[])?;
    let root = util::root();
    let target = root.join("target");
    let models_dir = target.join("models");
    let set_dir = target.join("bench");
    let photos = target.join("fixtures").join("openpeople");
    let python = target.join("models-venv").join("bin").join("python");
    let script = root.join("models").join("bench_reference.py");

    util::run(
        Command::new(&python)
            .current_dir(&root)
            .arg(&script)
            .args(["make-set", "--profiles", &profiles, "--photos"])
            .arg(&photos)
            .arg("--out")
            .arg(&set_dir),
    )?;

    eprintln!("xtask: bench: Python reference");
    let py_json = set_dir.join("python.json");
    let mut py_cmd = Command::new(&python);
    py_cmd
        .current_dir(&root)
        .arg(&script)
        .args(["run", "--threads", &threads, "--models"])
        .arg(&models_dir)
        .arg("--set")
        .arg(&set_dir)
        .arg("--json")
        .arg(&py_json);
    let py = measure(py_cmd, &py_json)?;

    // Rust side: the swipy-models `bench` example, same set, same JSON fields.
    let example = root.join("models").join("examples").join("bench.rs");
    let rust = if example.exists() {
        eprintln!("xtask: bench: building the Rust pipeline (release)");
        util::run(util::cargo().args([
            "build",
            "--release",
            "-p",
            "swipy-models",
            "--example",
            "bench",
        ]))?;
        let exe = target.join("release").join("examples").join("bench");
        let rs_json = set_dir.join("rust.json");
        let mut rs_cmd = Command::new(&exe);
        rs_cmd
            .current_dir(&root)
            .env(
                "ORT_DYLIB_PATH",
                target.join("ort").join("libonnxruntime.so"),
            )
            .args(["--threads", &threads, "--models"])
            .arg(&models_dir)
            .arg("--set")
            .arg(&set_dir)
            .arg("--json")
            .arg(&rs_json);
        eprintln!("xtask: bench: Rust pipeline");
        Some(measure(rs_cmd, &rs_json)?)
    } else {
        None
    };

    report(&py, rust.as_ref());
    Ok(())
}

fn report(py: &Measured, rust: Option<&Measured>) {
    let row = |name: &str, p: String, r: String| println!("{name:<34} {p:>12} {r:>12}");
    println!();
    row("", "python".into(), "rust".into());
    let get = |m: Option<&Measured>, k: &str, d: usize| fmt(m.and_then(|m| num(m, k)), d);
    row(
        "profiles",
        get(Some(py), "profiles", 0),
        get(rust, "profiles", 0),
    );
    row(
        "profiles / second",
        get(Some(py), "profiles_per_second", 2),
        get(rust, "profiles_per_second", 2),
    );
    row(
        "cold start to first score (s)",
        get(Some(py), "cold_start_to_first_score_seconds", 2),
        get(rust, "cold_start_to_first_score_seconds", 2),
    );
    let peak = |m: Option<&Measured>| {
        fmt(
            m.and_then(|m| m.peak_rss_mb.or_else(|| num(m, "peak_rss_mb"))),
            0,
        )
    };
    row("peak memory (MiB)", peak(Some(py)), peak(rust));
    row(
        "training, 1,000 profiles (s)",
        get(Some(py), "train_1000_seconds", 3),
        get(rust, "train_1000_seconds", 3),
    );
    row(
        "process wall time (s)",
        fmt(Some(py.wall_s), 1),
        fmt(rust.map(|r| r.wall_s), 1),
    );
    let Some(rust) = rust else {
        println!(
            "\nRust pipeline: models/examples/bench.rs (swipy-models) is missing; \
             only the Python reference ran."
        );
        return;
    };
    if let (Some(p), Some(r)) = (
        num(py, "profiles_per_second"),
        num(rust, "profiles_per_second"),
    ) {
        let ratio = r / p;
        println!(
            "\nratio rust/python: {ratio:.2}x (target >= 1.5x: {})",
            if ratio >= 1.5 { "met" } else { "NOT met" }
        );
    }
    if let Some(t) = num(rust, "page_top_card_seconds") {
        println!(
            "rust first score of a recs page (its top card) {t:.2} s after its photos (target < 1 s: {})",
            if t < 1.0 { "met" } else { "NOT met" }
        );
    }
    if let Some(mb) = rust.peak_rss_mb.or_else(|| num(rust, "peak_rss_mb")) {
        println!(
            "rust peak memory {mb:.0} MiB (target < 1024: {})",
            if mb < 1024.0 { "met" } else { "NOT met" }
        );
    }
    if let Some(t) = num(rust, "train_1000_seconds") {
        println!(
            "rust training on 1,000 profiles {t:.3} s (target < 2 s: {})",
            if t < 2.0 { "met" } else { "NOT met" }
        );
    }
    // the two pipelines should agree on the scores (different resamplers: small differences)
    let scores = |m: &Measured| -> Vec<(String, f64)> {
        m.json
            .get("scores")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| {
                        Some((
                            s.get("id")?.as_str()?.to_string(),
                            s.get("p_like")?.as_f64()?,
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let p = scores(py);
    let r: std::collections::HashMap<String, f64> = scores(rust).into_iter().collect();
    let diffs: Vec<f64> = p
        .iter()
        .filter_map(|(id, v)| r.get(id).map(|w| (v - w).abs()))
        .collect();
    if !diffs.is_empty() {
        let max = diffs.iter().cloned().fold(0.0, f64::max);
        println!(
            "scores compared on {} profiles: max |p_rust - p_python| = {max:.4}",
            diffs.len()
        );
    }
}
