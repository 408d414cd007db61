//! `cargo xtask fuzz --seconds N [TARGET...]`: runs every cargo-fuzz target in
//! `shared/fuzz/` (or the ones named) for N seconds each, seeded from the fixtures, and
//! prints one summary line per target (executions, exec/s, coverage, corpus, result).
//!
//! Needs the nightly toolchain and `cargo-fuzz`; both are installed when missing
//! (`rustup toolchain install nightly --profile minimal`, `cargo install cargo-fuzz
//! --version 0.13.2`). Fails when any target finds a crash, a timeout (10 s per input) or
//! runs out of memory (2 GiB); the input that did it lands in
//! `shared/fuzz/artifacts/<target>/` and replays with
//! `cargo +nightly fuzz run --sanitizer none <target> <file>` from `shared/`.
//! Options: `--seconds N` (default 30), `--sanitizer address|none` (default none: the
//! targets look for panics and broken invariants, several times faster without ASan).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::util::{have, root, run};

/// Every target and its seed directories (relative to `shared/`).
const TARGETS: &[(&str, &[&str])] = &[
    ("decode_request", &["fuzz/seeds/decode_request"]),
    ("parse_recs", &["tests/fixtures"]),
    ("parse_like_response", &["tests/fixtures"]),
    ("swipe_from_url", &["fuzz/seeds/swipe_from_url"]),
    ("host_frames", &["fuzz/seeds/host_frames"]),
    ("host_session", &["fuzz/seeds/host_session"]),
    ("import_har", &["fuzz/seeds/import_har"]),
    ("import_pickle", &["fuzz/seeds/import_pickle"]),
];

const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// What one target's run reported.
#[derive(Debug, Default)]
struct Outcome {
    executions: Option<u64>,
    exec_per_s: Option<u64>,
    cov: Option<u64>,
    ft: Option<u64>,
    corpus: Option<u64>,
    ok: bool,
}

pub fn fuzz(args: &[String]) -> Result<(), String> {
    let mut seconds: u64 = 30;
    let mut sanitizer = "none".to_owned();
    let mut wanted: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => {
                seconds = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--seconds needs a positive number")?;
            }
            "--sanitizer" => {
                sanitizer = it
                    .next()
                    .cloned()
                    .ok_or("--sanitizer needs a value (address|none)")?;
            }
            t if !t.starts_with('-') => {
                if !TARGETS.iter().any(|(n, _)| *n == t) {
                    let names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
                    return Err(format!(
                        "unknown fuzz target `{t}`; known: {}",
                        names.join(", ")
                    ));
                }
                wanted.push(t.to_owned());
            }
            other => {
                return Err(format!(
                    "unknown option `{other}` (fuzz --seconds N [TARGET...])"
                ))
            }
        }
    }
    ensure_tools()?;
    let shared = root().join("shared");
    let dict = shared.join("fuzz/json.dict");

    eprintln!("xtask: building the fuzz targets (first time: several minutes)");
    run(nightly_cargo(&shared).args(["fuzz", "build", "--sanitizer", &sanitizer]))?;

    let mut results = Vec::new();
    for (name, seeds) in TARGETS {
        if !wanted.is_empty() && !wanted.iter().any(|w| w == name) {
            continue;
        }
        let corpus = shared.join("fuzz/corpus").join(name);
        std::fs::create_dir_all(&corpus)
            .map_err(|e| format!("cannot create {}: {e}", corpus.display()))?;
        eprintln!("xtask: == {name}: {seconds} s");
        let mut cmd = nightly_cargo(&shared);
        cmd.args(["fuzz", "run", "--sanitizer", &sanitizer, name])
            .arg(&corpus);
        for s in *seeds {
            let dir = shared.join(s);
            if dir.is_dir() {
                cmd.arg(dir);
            }
        }
        cmd.arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg(format!("-dict={}", dict.display()))
            .args(["-print_final_stats=1", "-timeout=10", "-rss_limit_mb=2048"]);
        let outcome = run_target(&mut cmd)?;
        results.push((*name, outcome));
    }

    eprintln!("\nxtask: fuzz summary ({seconds} s per target, sanitizer {sanitizer})");
    eprintln!(
        "{:<20} {:>12} {:>9} {:>7} {:>7} {:>7}  result",
        "target", "executions", "exec/s", "cov", "ft", "corpus"
    );
    let show = |v: Option<u64>| v.map_or("?".to_owned(), |n| n.to_string());
    let mut failed = Vec::new();
    for (name, o) in &results {
        eprintln!(
            "{:<20} {:>12} {:>9} {:>7} {:>7} {:>7}  {}",
            name,
            show(o.executions),
            show(o.exec_per_s),
            show(o.cov),
            show(o.ft),
            show(o.corpus),
            if o.ok { "ok" } else { "CRASH" }
        );
        if !o.ok {
            failed.push(*name);
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "fuzz targets failed: {} (inputs in shared/fuzz/artifacts/<target>/)",
            failed.join(", ")
        ))
    }
}

/// `cargo +nightly` through rustup, from `dir`, without the outer cargo's settings.
fn nightly_cargo(dir: &std::path::Path) -> Command {
    let mut c = Command::new("rustup");
    c.args(["run", "nightly", "cargo"]).current_dir(dir);
    for var in [
        "CARGO",
        "RUSTC",
        "RUSTDOC",
        "RUSTUP_TOOLCHAIN",
        "CARGO_TARGET_DIR",
        "RUSTFLAGS",
    ] {
        c.env_remove(var);
    }
    c.env(
        "CARGO_BUILD_JOBS",
        std::env::var("CARGO_BUILD_JOBS").unwrap_or_else(|_| "2".into()),
    );
    c
}

fn ensure_tools() -> Result<(), String> {
    if !have("rustup") {
        return Err("rustup is needed to run the nightly toolchain".into());
    }
    let has_nightly = Command::new("rustup")
        .args(["run", "nightly", "rustc", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_nightly {
        run(Command::new("rustup").args([
            "toolchain",
            "install",
            "nightly",
            "--profile",
            "minimal",
        ]))?;
    }
    let has_fuzz = nightly_cargo(&root())
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_fuzz {
        run(Command::new("cargo").args([
            "install",
            "cargo-fuzz",
            "--version",
            CARGO_FUZZ_VERSION,
        ]))?;
    }
    Ok(())
}

/// Runs one target, echoing libFuzzer's output, and collects its numbers.
fn run_target(cmd: &mut Command) -> Result<Outcome, String> {
    let mut child = cmd
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start cargo fuzz: {e}"))?;
    let mut o = Outcome::default();
    if let Some(err) = child.stderr.take() {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            eprintln!("{line}");
            parse_line(&line, &mut o);
        }
    }
    let status = child.wait().map_err(|e| format!("cargo fuzz: {e}"))?;
    o.ok = status.success();
    Ok(o)
}

/// Reads libFuzzer's status lines (`#123 DONE cov: 10 ft: 20 corp: 5/1Kb exec/s: 99 ...`)
/// and final stats (`stat::number_of_executed_units: 123`).
fn parse_line(line: &str, o: &mut Outcome) {
    let num = |s: &str| s.trim().trim_end_matches(',').parse::<u64>().ok();
    if let Some(v) = line.strip_prefix("stat::number_of_executed_units:") {
        o.executions = num(v).or(o.executions);
        return;
    }
    if let Some(v) = line.strip_prefix("stat::average_exec_per_sec:") {
        o.exec_per_s = num(v).or(o.exec_per_s);
        return;
    }
    if !line.starts_with('#') {
        return;
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    for w in words.windows(2) {
        match w[0] {
            "cov:" => o.cov = num(w[1]).or(o.cov),
            "ft:" => o.ft = num(w[1]).or(o.ft),
            "corp:" => o.corpus = w[1].split('/').next().and_then(num).or(o.corpus),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_libfuzzer_status_and_final_stats() {
        let mut o = Outcome::default();
        parse_line(
            "#2097152 pulse  cov: 1865 ft: 4021 corp: 1588/96Kb lim: 4096 exec/s: 70604 rss: 60Mb",
            &mut o,
        );
        parse_line("stat::number_of_executed_units: 8543140", &mut o);
        parse_line("stat::average_exec_per_sec:     70604", &mut o);
        assert_eq!(o.cov, Some(1865));
        assert_eq!(o.ft, Some(4021));
        assert_eq!(o.corpus, Some(1588));
        assert_eq!(o.executions, Some(8_543_140));
        assert_eq!(o.exec_per_s, Some(70_604));
    }
}
