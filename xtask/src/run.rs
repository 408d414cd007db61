//! `cargo xtask run [--demo] [--headless --screenshot FILE]`: set up everything on a fresh
//! machine and open Chromium with Swipy.
//!
//! 1. builds the host and the extension, fetches the ONNX Runtime library and the models,
//! 2. registers the host for a dedicated Chromium profile (`target/run/profile`),
//! 3. opens Chromium with the extension on tinder.com — or, with `--demo`, on the bundled
//!    mock tinder.com served on loopback (data in `target/run/demo-data`, so a demo never
//!    mixes with real data), after training a small demo taste there ([`demo_taste`]) so
//!    the first cards show scores.
//!
//! `--headless --screenshot FILE` is for machines without a display: it loads the page,
//! waits for the extension to draw, and writes a PNG; with `--demo` also `<FILE>-popup.png`
//! and `<FILE>-dashboard.png`.

use crate::util::{cargo, have, is_root, root, run as sh};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const MOCK_PORT: u16 = 8443;

struct Options {
    demo: bool,
    headless: bool,
    screenshot: Option<PathBuf>,
    skip_models: bool,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        demo: false,
        headless: false,
        screenshot: None,
        skip_models: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--demo" => o.demo = true,
            "--headless" => o.headless = true,
            "--skip-models" => o.skip_models = true,
            "--screenshot" => {
                let f = it.next().ok_or("--screenshot needs a file name")?;
                o.screenshot = Some(absolute(Path::new(f)));
            }
            other => return Err(format!("unknown option `{other}` for `run`")),
        }
    }
    if o.screenshot.is_some() && !o.headless {
        return Err("--screenshot needs --headless".into());
    }
    Ok(o)
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    }
}

pub fn run(args: &[String]) -> Result<(), String> {
    let opts = parse(args)?;
    crate::test::ensure_wasm_target()?;
    crate::test::ensure_browsers()?;
    sh(cargo().args(["build", "-p", "swipy-host", "-j2"]))?;
    crate::build::build(&[])?;
    if !opts.skip_models {
        crate::models::models(&[])?;
    }

    let root = root();
    let target = crate::util::target_dir();
    let run_dir = target.join("run");
    let profile = run_dir.join(if opts.demo { "demo-profile" } else { "profile" });
    std::fs::create_dir_all(&profile)
        .map_err(|e| format!("cannot create {}: {e}", profile.display()))?;
    let swipy = target.join("debug").join("swipy");
    let ext = root.join("extension").join("dist").join("chrome");
    let ext_id =
        std::fs::read_to_string(root.join("extension").join("static").join("EXTENSION_ID"))
            .map_err(|e| format!("extension id missing (extension/static/EXTENSION_ID): {e}"))?;
    let ext_id = ext_id.trim().to_owned();

    let mut data_args: Vec<String> = Vec::new();
    let mut env: Vec<(String, String)> = Vec::new();
    let demo_log = run_dir.join("demo-data").join("logs").join("swipy.log");
    let log_start = std::fs::metadata(&demo_log).map_or(0, |m| m.len());
    if opts.demo {
        let data = run_dir.join("demo-data");
        data_args = vec!["--data-dir".into(), data.display().to_string()];
        env.push(("SWIPY_HOME".into(), data.display().to_string()));
    }

    sh(Command::new(&swipy)
        .args(&data_args)
        .args([
            "install",
            "--browser",
            "chromium",
            "--extension-id",
            &ext_id,
            "--user-data-dir",
        ])
        .arg(&profile))?;

    // Killed when `run` returns, on every path (an error must not leave the mock serving).
    let mut mock: Option<Reaped> = None;
    // A headless demo shot waits for the first scores: the mock holds the page's load event
    // until this file exists, which a watcher of the host's log writes (see `hold_until_scored`).
    let hold = run_dir.join("demo-hold");
    let _ = std::fs::remove_file(&hold);
    let shoot_demo = opts.demo && opts.screenshot.is_some();
    let mut url: String;
    let mut chromium_args: Vec<String> = vec![
        format!("--user-data-dir={}", profile.display()),
        format!("--disable-extensions-except={}", ext.display()),
        format!("--load-extension={}", ext.display()),
        "--no-first-run".into(),
        "--disable-sync".into(),
        "--disable-component-update".into(),
    ];
    if is_root() {
        chromium_args.push("--no-sandbox".into());
    }
    if opts.demo {
        let (child, ca) = start_mock(&root, shoot_demo.then_some(hold.as_path()))?;
        mock = Some(Reaped(child));
        let map = ["tinder.com", "api.gotinder.com", "images-ssl.gotinder.com"]
            .iter()
            .map(|h| format!("MAP {h} 127.0.0.1:{MOCK_PORT}"))
            .collect::<Vec<_>>()
            .join(", ");
        chromium_args.push(format!("--host-resolver-rules={map}"));
        chromium_args.push("--ignore-certificate-errors".into());
        env.push((
            "SWIPY_TEST_RESOLVE".into(),
            ["images-ssl.gotinder.com", "api.gotinder.com"]
                .iter()
                .map(|h| format!("{h}=127.0.0.1:{MOCK_PORT}"))
                .collect::<Vec<_>>()
                .join(","),
        ));
        if let Some(ca) = &ca {
            env.push(("SWIPY_TEST_CA".into(), ca.clone()));
        }
        match demo_taste(&swipy, &data_args, &env, ca.as_deref(), &run_dir) {
            Ok(said) => eprintln!("xtask: {said}"),
            Err(e) => return Err(format!("the demo taste could not be trained: {e}")),
        }
        url = "https://tinder.com/".to_owned();
    } else {
        url = "https://tinder.com/".to_owned();
    }

    let result = if opts.headless {
        if opts.demo {
            // Nobody is there to tap the mock's "Log in": it logs in by itself.
            url.push_str("?autologin=1");
            if shoot_demo {
                url.push_str("&hold=1");
                hold_until_scored(demo_log.clone(), log_start, hold.clone());
            }
        }
        chromium_args.push("--headless=new".into());
        chromium_args.push("--disable-background-networking".into());
        let base_args = chromium_args.clone();
        chromium_args.push("--window-size=1280,900".into());
        if let Some(file) = &opts.screenshot {
            if let Some(dir) = file.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            chromium_args.push(format!("--screenshot={}", file.display()));
            // Time for the overlay to draw once the page has loaded (with `--demo`, the mock
            // holds the load until the host has scored the first cards).
            chromium_args.push("--virtual-time-budget=8000".into());
        }
        chromium_args.push(url);
        let mut r = sh(Command::new("chromium")
            .args(&chromium_args)
            .envs(env.iter().cloned()));
        if let (Ok(()), Some(file)) = (&r, &opts.screenshot) {
            if !file.exists() {
                return Err(format!(
                    "Chromium did not write the screenshot {}",
                    file.display()
                ));
            }
            eprintln!("xtask: screenshot written to {}", file.display());
            if opts.demo {
                eprintln!("xtask: {}", demo_check(&demo_log, log_start, &ext_id)?);
                // The popup and the dashboard of the same demo, next to the card's shot.
                for (page, size) in [("popup", "380,760"), ("dashboard", "1280,1400")] {
                    let shot = sibling(file, page);
                    let _ = std::fs::remove_file(&shot);
                    r = sh(Command::new("chromium")
                        .args(&base_args)
                        .arg(format!("--window-size={size}"))
                        .arg(format!("--screenshot={}", shot.display()))
                        .arg("--virtual-time-budget=6000")
                        .arg(format!("chrome-extension://{ext_id}/{page}.html"))
                        .envs(env.iter().cloned()));
                    if r.is_ok() && !shot.exists() {
                        return Err(format!(
                            "Chromium did not write the screenshot {}",
                            shot.display()
                        ));
                    }
                    eprintln!("xtask: screenshot written to {}", shot.display());
                }
            }
        }
        r
    } else {
        if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
            eprintln!("xtask: no display found; use `--headless --screenshot FILE` on machines without one");
        }
        chromium_args.push(url);
        eprintln!("xtask: Chromium opens with Swipy; close the window to stop");
        sh(Command::new("chromium")
            .args(&chromium_args)
            .envs(env.iter().cloned()))
    };
    drop(mock);
    result
}

/// A child process killed and reaped when dropped.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Writes `hold` once the host's log (after `start`) says it scored a profile, or after
/// 120 s: the mock then lets the demo page finish loading and Chromium takes its shot.
fn hold_until_scored(log: PathBuf, start: u64, hold: PathBuf) {
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            let scored = log_since(&log, start).map_or(0, |new| scored_since(&new));
            if scored > 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        let _ = std::fs::write(&hold, b"scored\n");
    });
}

/// The host's log after byte `start` (all of it when the log is shorter: it was started
/// afresh).
fn log_since(log: &Path, start: u64) -> std::io::Result<String> {
    let text = std::fs::read(log)?;
    Ok(String::from_utf8_lossy(text.get(start as usize..).unwrap_or(&text)).into_owned())
}

/// The sum of the numbers that follow `marker` in the host's log lines.
fn log_total(log: &str, marker: &str) -> u64 {
    log.lines()
        .filter_map(|l| l.split(marker).nth(1))
        .filter_map(|r| r.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Profiles the host's log says were scored.
fn scored_since(log: &str) -> u64 {
    log_total(log, " scored ")
}

/// The demo's bundled taste, so the first cards of a demo already show scores: profiles of
/// the mock's own "demo-taste" stream (not the cards the demo shows), labelled with the
/// mock's planted taste (outdoor bios liked), imported with their photos and trained on
/// (`xtask/demo-taste.js`, then `swipy import-recs`, `label`, `train`). Skipped when the demo
/// data already has a model.
fn demo_taste(
    swipy: &Path,
    data_args: &[String],
    env: &[(String, String)],
    ca: Option<&str>,
    run_dir: &Path,
) -> Result<String, String> {
    let started = Instant::now();
    let swipy_cmd = |args: &[&str]| -> Result<String, String> {
        crate::util::output(
            Command::new(swipy)
                .args(data_args)
                .args(args)
                .envs(env.iter().cloned()),
        )
    };
    let stats: serde_json::Value = serde_json::from_str(swipy_cmd(&["stats", "--json"])?.trim())
        .map_err(|e| format!("`swipy stats --json`: {e}"))?;
    if let Some(v) = stats["model_version"].as_u64() {
        return Ok(format!(
            "the demo data already has a model (v{v}): no demo taste to train"
        ));
    }
    let dir = run_dir.join("demo-taste");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    let mut node = Command::new("node");
    node.current_dir(root())
        .arg("xtask/demo-taste.js")
        .args(["--port", &MOCK_PORT.to_string(), "--out"])
        .arg(&dir);
    if let Some(ca) = ca {
        node.args(["--ca", ca]);
    }
    let said = crate::util::output(&mut node)?;
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("recs-"))
        })
        .collect();
    pages.sort();
    for page in &pages {
        swipy_cmd(&["import-recs", &page.display().to_string()])?;
    }
    let labels: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("labels.json"))
            .map_err(|e| format!("no labels from demo-taste.js: {e}"))?,
    )
    .map_err(|e| format!("labels.json: {e}"))?;
    for l in labels.as_array().into_iter().flatten() {
        let (Some(id), Some(verdict)) = (l["id"].as_str(), l["verdict"].as_str()) else {
            return Err(format!("a bad label in labels.json: {l}"));
        };
        swipy_cmd(&["label", id, verdict])?;
    }
    let trained = swipy_cmd(&["train"])?;
    let first = trained.lines().next().unwrap_or_default().to_owned();
    Ok(format!(
        "demo taste: {} → {first} in {:.0} s",
        said.trim(),
        started.elapsed().as_secs_f64()
    ))
}

/// `dir/demo.png` → `dir/demo-<page>.png`.
fn sibling(file: &Path, page: &str) -> PathBuf {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "screenshot".into());
    file.with_file_name(format!("{stem}-{page}.png"))
}

/// Start the mock tinder.com; returns the child and the CA file it announced, if any.
fn start_mock(root: &Path, hold: Option<&Path>) -> Result<(Child, Option<String>), String> {
    if !have("node") {
        return Err("the demo needs Node.js (`node`) for the mock tinder.com".into());
    }
    crate::test::ensure_node_modules()?;
    let mut cmd = Command::new("node");
    cmd.current_dir(root).args([
        "tests/mock/server.js",
        "--demo",
        "--port",
        &MOCK_PORT.to_string(),
    ]);
    if let Some(hold) = hold {
        cmd.arg("--hold-file").arg(hold);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start the mock tinder.com: {e}"))?;
    let stdout = child.stdout.take().ok_or("mock has no stdout")?;
    let mut reader = BufReader::new(stdout);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut ca = None;
    let mut line = String::new();
    while Instant::now() < deadline {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => return Err("the mock tinder.com exited before it was ready".into()),
            Ok(_) => {
                eprint!("mock: {line}");
                if let Some(rest) = line.trim().strip_prefix("CA ") {
                    ca = Some(rest.to_owned());
                }
                if line.contains("READY") || line.to_lowercase().contains("listening") {
                    // Keep draining the mock's stdout so it never blocks on a full pipe.
                    std::thread::spawn(move || {
                        let mut sink = String::new();
                        while reader.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
                            sink.clear();
                        }
                    });
                    return Ok((child, ca));
                }
            }
            Err(e) => return Err(format!("reading the mock's output: {e}")),
        }
    }
    let _ = child.kill();
    Err("the mock tinder.com did not become ready within 30 s".into())
}

/// After a headless demo run: the host's log since `start` must show the extension
/// connecting and the recs it captured (the screenshot alone cannot tell).
fn demo_check(log: &Path, start: u64, ext_id: &str) -> Result<String, String> {
    let new = log_since(log, start)
        .map_err(|e| format!("the host wrote no log at {}: {e}", log.display()))?;
    let hello = format!("hello from chrome-extension://{ext_id}/");
    if !new.contains(&hello) {
        return Err(format!(
            "the extension never connected to the host during the demo (no \"{hello}\" in {})",
            log.display()
        ));
    }
    let profiles = log_total(&new, " recs: ");
    if profiles == 0 {
        return Err(format!(
            "the extension connected but captured no profiles from the demo page (see {})",
            log.display()
        ));
    }
    // The demo taste is trained before the browser starts: the host must have scored cards.
    let scored = scored_since(&new);
    if scored == 0 {
        return Err(format!(
            "the demo captured {profiles} profiles but scored none: the first cards show no score (see {})",
            log.display()
        ));
    }
    Ok(format!(
        "the extension connected to the host, captured {profiles} profiles and {scored} were scored"
    ))
}
