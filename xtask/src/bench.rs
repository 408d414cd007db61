//! `cargo xtask bench [--profiles N] [--threads N]`: the host's own scoring path against the
//! Python reference, in the same run, on the same Tinder-shaped profiles (see
//! models/README.md, "Benchmark").
//!
//! 1. `models/bench_reference.py make-set` builds the set from the openpeople fixtures:
//!    N unlabelled profiles of six 640×800 photos (JPEG and WebP, some with two faces, some
//!    with none) and bios in several languages, plus a few labelled ones, in the
//!    prototype's seed layout.
//! 2. A fresh data dir (`target/bench/data`): `swipy import-seed`, `swipy train` (the head
//!    is trained on the labelled profiles only, so nothing of the scored ones is cached).
//! 3. `swipy bench-score` (hidden subcommand: `Engine::warm`, then per recs page the top
//!    card alone and the rest, through `Engine::scores`, as `swipy serve` does) under
//!    `/usr/bin/time -v`; it also writes the trained head for the reference.
//! 4. `bench_reference.py run`: the same work per profile with onnxruntime + Pillow and the
//!    same head.
//!
//! Prints profiles/s of both and the ratio, the top card's latency, cold start, peak
//! memory, per-stage times, training on 1,000 profiles, and the largest score difference.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde_json::Value;

use crate::util;

struct Measured {
    json: Value,
    /// Peak resident memory from /usr/bin/time -v, in MiB.
    peak_rss_mb: Option<f64>,
    wall_s: f64,
}

/// Run `cmd` (under `/usr/bin/time -v` when available) and read the JSON it wrote to `json`.
fn measure(cmd: Command, json: &Path) -> Result<Measured, String> {
    let time_bin = Path::new("/usr/bin/time");
    let _ = std::fs::remove_file(json);
    let started = Instant::now();
    let mut run = if time_bin.exists() {
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
        timed
    } else {
        cmd
    };
    let out = run
        .stdout(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start {:?}: {e}", run.get_program()))?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let wall_s = started.elapsed().as_secs_f64();
    if !out.status.success() {
        return Err(format!(
            "{:?} failed with {}:\n{stderr}",
            run.get_program(),
            out.status
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
    let mut profiles = "40".to_string();
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
    crate::models::models(&[])?;
    let root = util::root();
    let target = root.join("target");
    let models_dir = target.join("models");
    let set_dir = target.join("bench");
    let photos = target.join("fixtures").join("openpeople");
    let python = target.join("models-venv").join("bin").join("python");
    let script = root.join("models").join("bench_reference.py");
    let ort = target.join("ort").join("libonnxruntime.so");

    util::run(
        Command::new(&python)
            .current_dir(&root)
            .arg(&script)
            .args(["make-set", "--profiles", &profiles, "--photos"])
            .arg(&photos)
            .arg("--out")
            .arg(&set_dir),
    )?;

    eprintln!("xtask: bench: building the host (release)");
    util::run(util::cargo().args(["build", "--release", "-p", "swipy-host", "--bin", "swipy"]))?;
    let build_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| target.clone());
    let swipy = build_dir.join("release").join("swipy");
    let data = set_dir.join("data");
    if data.exists() {
        std::fs::remove_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
    }
    let host = |args: &[&str]| {
        let mut c = Command::new(&swipy);
        c.current_dir(&root)
            .env("SWIPY_MODELS_DIR", &models_dir)
            .env("ORT_DYLIB_PATH", &ort)
            .arg("--data-dir")
            .arg(&data)
            .args(args);
        c
    };
    let seed = set_dir.join("seed");
    let seed_s = seed.to_string_lossy().into_owned();
    util::run(&mut host(&["import-seed", &seed_s]))?;
    eprintln!("xtask: bench: training the host's head on the labelled profiles");
    util::run(&mut host(&["train"]))?;

    eprintln!("xtask: bench: the host's scoring path (swipy bench-score)");
    let rs_json = set_dir.join("rust.json");
    let head = set_dir.join("head.onnx");
    let (rs_s, head_s) = (
        rs_json.to_string_lossy().into_owned(),
        head.to_string_lossy().into_owned(),
    );
    let rust = measure(
        host(&["bench-score", "--json", &rs_s, "--head-out", &head_s]),
        &rs_json,
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
        .arg("--head")
        .arg(&head)
        .arg("--json")
        .arg(&py_json);
    let py = measure(py_cmd, &py_json)?;

    report(&py, &rust);
    Ok(())
}

fn report(py: &Measured, rust: &Measured) {
    let row = |name: &str, p: String, r: String| println!("{name:<36} {p:>12} {r:>12}");
    let get = |m: &Measured, k: &str, d: usize| fmt(num(m, k), d);
    println!();
    row("", "python".into(), "rust host".into());
    for (label, key, digits) in [
        ("profiles", "profiles", 0),
        ("photos", "photos", 0),
        ("profiles / second", "profiles_per_second", 2),
        ("first score of a page (s)", "page_top_card_seconds", 2),
        (
            "cold start to first score (s)",
            "cold_start_to_first_score_seconds",
            2,
        ),
        ("model load (s)", "model_load_seconds", 2),
    ] {
        row(label, get(py, key, digits), get(rust, key, digits));
    }
    let peak = |m: &Measured| fmt(m.peak_rss_mb.or_else(|| num(m, "peak_rss_mb")), 0);
    row("peak memory (MiB)", peak(py), peak(rust));
    for stage in ["decode", "detect", "face", "photo", "text", "head"] {
        let s = |m: &Measured| {
            fmt(
                m.json
                    .get("stages")
                    .and_then(|s| s.get(stage))
                    .and_then(Value::as_f64),
                2,
            )
        };
        row(&format!("  stage {stage} (s, all threads)"), s(py), s(rust));
    }
    row(
        "training, 1,000 profiles (s)",
        get(py, "train_1000_seconds", 3),
        get(rust, "train_1000_seconds", 3),
    );
    row(
        "process wall time (s)",
        fmt(Some(py.wall_s), 1),
        fmt(Some(rust.wall_s), 1),
    );
    if let Some(auc) = num(rust, "train_1000_auc") {
        println!("rust training on 1,000 profiles: cross-validated ROC-AUC {auc:.3}");
    }
    if let Some(f) = py.json.get("photos_by_faces") {
        println!("photos by faces found (python): {f}");
    }
    if let (Some(p), Some(r)) = (
        num(py, "profiles_per_second"),
        num(rust, "profiles_per_second"),
    ) {
        let ratio = r / p;
        println!(
            "\nratio rust/python: {ratio:.2}x (target >= 2x: {})",
            if ratio >= 2.0 { "met" } else { "NOT met" }
        );
    }
    if let (Some(p), Some(r)) = (
        py.peak_rss_mb.or_else(|| num(py, "peak_rss_mb")),
        rust.peak_rss_mb.or_else(|| num(rust, "peak_rss_mb")),
    ) {
        println!(
            "peak memory rust {r:.0} MiB vs python {p:.0} MiB (target: below: {})",
            if r < p { "met" } else { "NOT met" }
        );
    }
    if let (Some(p), Some(r)) = (
        num(py, "train_1000_seconds"),
        num(rust, "train_1000_seconds"),
    ) {
        println!(
            "training rust {r:.3} s vs python {p:.3} s (target: no slower: {})",
            if r <= p { "met" } else { "NOT met" }
        );
    }
    // The two pipelines compute the same features with different resamplers (Pillow rounds
    // to 8 bits): small differences.
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
        let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
        println!(
            "scores compared on {} profiles: max |p_rust - p_python| = {max:.4}, mean {mean:.4}",
            diffs.len()
        );
    }
    println!("(2 cores shared with other work: compare ratios from one run, not across runs)");
}
