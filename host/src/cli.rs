//! The `swipy` command line. When the arguments look like a browser launch
//! (`chrome-extension://ID/`, or `<manifest.json> <add-on id>`), it serves native messaging
//! instead; see [`crate::serve`].
//!
//! Exit codes (also in `swipy --help`):
//! 0 ok · 1 runtime failure (store, disk, network) · 2 bad arguments ·
//! 3 bad input file (unreadable, not JSON, wrong shape), or in serve mode a refused caller ·
//! 4 not found (unknown profile id) ·
//! 5 setup incomplete (`doctor` found problems, a model file missing or damaged) ·
//! 6 not available (ONNX Runtime, prepared models or a trained model missing) ·
//! 7 not enough labels to train (too few, or one class only).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::Value;
use swipy_shared::protocol::{LabelSource, Verdict};

use crate::fetch::{FetchConfig, Fetcher};
use crate::ingest::{self, IngestError};
use crate::install::{self, Browser, InstallSpec};
use crate::launch::{self, BrowserLaunch};
use crate::learn::{self, LearnError};
use crate::paths;
use crate::serve;
use crate::store::{now_ms, ExportRow, NewLabel, Store};
use crate::validate;

pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILURE: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_BAD_INPUT: i32 = 3;
pub const EXIT_NOT_FOUND: i32 = 4;
pub const EXIT_SETUP_INCOMPLETE: i32 = 5;
pub const EXIT_NOT_AVAILABLE: i32 = 6;
pub const EXIT_NOT_ENOUGH_LABELS: i32 = 7;

/// How long CLI imports wait for photo downloads.
const IMPORT_FETCH_WAIT: std::time::Duration = std::time::Duration::from_secs(300);

const AFTER_HELP: &str = "\
Browsers start swipy as `swipy chrome-extension://ID/` (Chromium family) or
`swipy <manifest.json> <add-on id>` (Firefox); it then serves native messaging on stdio.

Data dir: --data-dir, else $SWIPY_HOME, else the platform data dir.
Logs: stderr and <data dir>/logs/swipy.log (level from $SWIPY_LOG).

Exit codes:
  0  ok
  1  runtime failure (store, disk, network)
  2  bad arguments
  3  bad input file (unreadable, not JSON, wrong shape); started by a browser: the
     caller is not the extension `swipy install` registered (every request was refused)
  4  not found (unknown profile id)
  5  setup incomplete (doctor found problems, model files missing or damaged)
  6  not available (ONNX Runtime, prepared models or a trained model missing)
  7  not enough labels to train (too few, or one class only)

Learning: ONNX Runtime from $ORT_DYLIB_PATH, next to swipy, <exe dir>/../ort, <data dir>/ort;
models from $SWIPY_MODELS_DIR, <exe dir>/models, <exe dir>/../models, <data dir>/models. Device: --device (cuda fails
where CUDA cannot run), else the `device` setting (cpu|cuda|gpu|auto; cuda and gpu fall back
to the CPU where CUDA cannot run), else cpu.";

#[derive(Debug, Parser)]
#[command(name = "swipy", version, about = "Swipy: learns your taste on tinder.com (native host and CLI)", after_help = AFTER_HELP)]
pub struct Cli {
    /// Where Swipy keeps its database, photos and logs.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Where encoders run: cpu, cuda or auto (default: the `device` setting, else cpu).
    #[arg(long, global = true, value_name = "DEVICE")]
    pub device: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve native messaging on stdin/stdout (what a browser launch does).
    Serve,
    /// Register the host with browsers.
    Install(InstallArgs),
    /// Remove the host registration.
    Uninstall(UninstallArgs),
    /// Show what is installed where and what is missing.
    Doctor,
    /// Import a saved /v2/recs/core response (`-` reads stdin).
    ImportRecs {
        file: String,
        /// Do not download photos.
        #[arg(long)]
        no_photos: bool,
    },
    /// Import the recs/core responses recorded in a browser HAR export.
    ImportHar {
        file: PathBuf,
        /// Do not download photos.
        #[arg(long)]
        no_photos: bool,
    },
    /// Import the prototype's data: images/{id}_{name}_{n}.jpeg, bios.pkl, labels.pkl.
    ImportSeed { dir: PathBuf },
    /// Label a stored profile.
    Label { id: String, verdict: CliVerdict },
    /// Counts of profiles, photos, labels and matches.
    Stats {
        /// Print the protocol's `Stats` JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export one row per profile.
    Export {
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormat,
        /// Write to a file instead of stdout.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Train a model on the stored labels.
    Train,
    /// Score stored profiles (all when no ids are given).
    Score {
        ids: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Encoder models: list, prepare, verify.
    Models {
        #[command(subcommand)]
        action: ModelsAction,
    },
    /// Times the scoring path on the unlabelled profiles (`cargo xtask bench` runs it).
    #[command(hide = true)]
    BenchScore {
        /// Where the result goes (JSON).
        #[arg(long)]
        json: PathBuf,
        /// Profiles per recs page.
        #[arg(long, default_value_t = 10)]
        page: usize,
        /// Also write the active head (ONNX) here.
        #[arg(long)]
        head_out: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    #[arg(long, value_enum, default_value = "chrome")]
    pub browser: Vec<Browser>,
    /// The store's Chromium extension id (32 letters a-p), allowed besides the development
    /// id of an unpacked build; not needed for Firefox.
    #[arg(long)]
    pub extension_id: Option<String>,
    /// A Chromium profile dir started with --user-data-dir: writes DIR/NativeMessagingHosts/.
    #[arg(long, value_name = "DIR")]
    pub user_data_dir: Option<PathBuf>,
    /// The executable to register (default: this one).
    #[arg(long, value_name = "PATH")]
    pub host_path: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct UninstallArgs {
    #[arg(long, value_enum, default_value = "all")]
    pub browser: Vec<Browser>,
    #[arg(long, value_name = "DIR")]
    pub user_data_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CliVerdict {
    Like,
    Nope,
    Superlike,
}

impl From<CliVerdict> for Verdict {
    fn from(v: CliVerdict) -> Self {
        match v {
            CliVerdict::Like => Verdict::Like,
            CliVerdict::Nope => Verdict::Nope,
            CliVerdict::Superlike => Verdict::Superlike,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Subcommand)]
pub enum ModelsAction {
    List,
    Prepare,
    Verify,
}

/// A failed command: message for stderr and exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    fn new(code: i32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl From<crate::store::StoreError> for Failure {
    fn from(e: crate::store::StoreError) -> Self {
        Failure::new(EXIT_FAILURE, format!("store: {e}"))
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::new(EXIT_FAILURE, format!("output: {e}"))
    }
}

impl From<IngestError> for Failure {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::Store(e) => e.into(),
            IngestError::Read { .. } | IngestError::BadInput(_) => {
                Failure::new(EXIT_BAD_INPUT, e.to_string())
            }
        }
    }
}

impl From<LearnError> for Failure {
    fn from(e: LearnError) -> Self {
        let code = match e {
            LearnError::NotAvailable(_) => EXIT_NOT_AVAILABLE,
            LearnError::NotEnoughLabels(_) => EXIT_NOT_ENOUGH_LABELS,
            LearnError::Busy(_) | LearnError::Other(_) | LearnError::Store(_) => EXIT_FAILURE,
        };
        Failure::new(code, e.to_string())
    }
}

/// Entry point for `main`: `args` without the program name. Returns the exit code.
pub fn main_entry(args: Vec<String>) -> i32 {
    if let Some(launch) = BrowserLaunch::detect(&args) {
        let dir = match paths::data_dir(None) {
            Ok(d) => d,
            Err(e) => {
                crate::logger::init(None, log::LevelFilter::Info);
                log::error!("{e}");
                return EXIT_FAILURE;
            }
        };
        crate::logger::init(Some(&dir), log::LevelFilter::Info);
        match &launch {
            BrowserLaunch::Chromium { origin } if !install::origin_recorded(&dir, origin) => {
                log::error!(
                    "refusing {origin}: `swipy install` registered other extensions for this data dir"
                );
                return launch::refuse(
                    origin,
                    "run `swipy install --extension-id <id>` for this one",
                );
            }
            BrowserLaunch::Firefox { addon_id, .. } if addon_id != install::FIREFOX_ADDON_ID => {
                log::error!(
                    "refusing the Firefox add-on {addon_id}: Swipy's add-on is {}",
                    install::FIREFOX_ADDON_ID
                );
                return launch::refuse(
                    addon_id,
                    "only Swipy's own add-on (swipy@swipy.app) is served",
                );
            }
            _ => {}
        }
        return serve::run(&dir, Some(launch.caller()));
    }
    let cli = match Cli::try_parse_from(std::iter::once("swipy".to_owned()).chain(args)) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    let dir = match paths::data_dir(cli.data_dir.as_deref()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("swipy: {e}");
            return EXIT_FAILURE;
        }
    };
    let serving = matches!(cli.command, Command::Serve);
    crate::logger::init(
        Some(&dir),
        if serving {
            log::LevelFilter::Info
        } else {
            log::LevelFilter::Warn
        },
    );
    if serving {
        return serve::run_with(&dir, None, cli.device);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match run_command_on(cli.command, &dir, cli.device.as_deref(), &mut out) {
        Ok(()) => EXIT_OK,
        Err(f) => {
            let _ = out.flush();
            eprintln!("swipy: {}", f.message);
            f.code
        }
    }
}

/// Runs one CLI command, writing its output to `out`.
pub fn run_command(cmd: Command, dir: &Path, out: &mut dyn Write) -> Result<(), Failure> {
    run_command_on(cmd, dir, None, out)
}

/// [`run_command`] with an explicit `--device`.
pub fn run_command_on(
    cmd: Command,
    dir: &Path,
    device: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    match cmd {
        Command::Serve => Err(Failure::new(EXIT_USAGE, "serve runs through main_entry")),
        Command::Install(a) => cmd_install(a, dir, out),
        Command::Uninstall(a) => {
            let browsers: Vec<Browser> = a.browser.iter().flat_map(|b| b.expand()).collect();
            let removed = install::uninstall(&browsers, a.user_data_dir.as_deref())
                .map_err(install_failure)?;
            if removed.is_empty() {
                writeln!(out, "no Swipy host manifest was installed")?;
            }
            for p in removed {
                writeln!(out, "removed {}", p.display())?;
            }
            Ok(())
        }
        Command::Doctor => cmd_doctor(dir, out),
        Command::ImportRecs { file, no_photos } => cmd_import_recs(dir, &file, no_photos, out),
        Command::ImportHar { file, no_photos } => cmd_import_har(dir, &file, no_photos, out),
        Command::ImportSeed { dir: seed } => {
            let mut store = Store::open(dir)?;
            let o = ingest::import_seed(&mut store, &seed, now_ms())?;
            writeln!(
                out,
                "imported {} profiles, {} photos, {} new labels from {}",
                o.profiles,
                o.photos,
                o.labels,
                seed.display()
            )?;
            for f in &o.skipped_files {
                writeln!(out, "skipped {f}")?;
            }
            Ok(())
        }
        Command::Label { id, verdict } => {
            validate::check_id(&id).map_err(|e| Failure::new(EXIT_USAGE, e.message))?;
            let mut store = Store::open(dir)?;
            if !store.profile_exists(&id)? {
                return Err(Failure::new(
                    EXIT_NOT_FOUND,
                    format!("no profile {id} in the store"),
                ));
            }
            let at = now_ms();
            let key = format!("cli:{id}:{at}:{}", fastrand::u32(..));
            let verdict = Verdict::from(verdict);
            store.add_label(&NewLabel {
                profile_id: &id,
                verdict,
                source: LabelSource::Cli,
                at_ms: at,
                key: &key,
            })?;
            writeln!(out, "{id}: {}", verdict.as_str())?;
            Ok(())
        }
        Command::Stats { json } => {
            let store = Store::open(dir)?;
            let s = crate::counts::stats(&store, now_ms())?;
            if json {
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string(&s)
                        .map_err(|e| Failure::new(EXIT_FAILURE, e.to_string()))?
                )?;
            } else {
                let known = store.photos_known()?;
                writeln!(
                    out,
                    "profiles captured: {} today / {} in total",
                    s.profiles_today, s.profiles
                )?;
                writeln!(out, "photos:    {} downloaded of {known} known", s.photos)?;
                writeln!(
                    out,
                    "profiles labelled: {} today / {} in total (like {}, nope {}, superlike {})",
                    s.labels_today, s.labels, s.likes, s.nopes, s.superlikes
                )?;
                writeln!(out, "matches:   {}", s.matches)?;
                match (s.model_version, &s.metrics) {
                    (Some(v), Some(m)) => {
                        writeln!(out, "model:     v{v} (ROC AUC {:.3})", m.roc_auc)?
                    }
                    _ => writeln!(out, "model:     none yet")?,
                }
                writeln!(out, "data dir:  {}", dir.display())?;
            }
            Ok(())
        }
        Command::Export { format, output } => {
            let store = Store::open(dir)?;
            let rows = store.export_rows()?;
            let text = match format {
                ExportFormat::Jsonl => export_jsonl(&rows),
                ExportFormat::Csv => export_csv(&rows)?,
            };
            match output {
                Some(p) => std::fs::write(&p, text).map_err(|e| {
                    Failure::new(EXIT_FAILURE, format!("cannot write {}: {e}", p.display()))
                })?,
                None => out.write_all(text.as_bytes())?,
            }
            Ok(())
        }
        Command::Train => {
            let mut store = Store::open(dir)?;
            learn::check_labels(&learn::labelled(&store)?)?;
            let dev = learn::device(&store, device)?;
            let enc = learn::load_encoders(dir, dev)?;
            let mut progress =
                |stage: &str, done: u32, total: u32| log::info!("train: {stage} {done}/{total}");
            let (v, m) = learn::train(&enc, &mut store, &mut progress)?;
            writeln!(
                out,
                "model v{v} trained ({}-fold cross-validation)",
                m.folds
            )?;
            writeln!(out, "ROC-AUC:   {:.3}", m.roc_auc)?;
            writeln!(out, "accuracy:  {:.3}", m.accuracy)?;
            writeln!(out, "log-loss:  {:.3}", m.log_loss)?;
            writeln!(out, "labels:    {} like, {} nope", m.n_like, m.n_nope)?;
            writeln!(out, "L2:        {}", m.l2)?;
            Ok(())
        }
        Command::Score { ids, json } => {
            let mut store = Store::open(dir)?;
            for id in &ids {
                validate::check_id(id).map_err(|e| Failure::new(EXIT_USAGE, e.message))?;
            }
            let ids = if ids.is_empty() {
                let unlabelled = store.profile_ids(true)?;
                if unlabelled.is_empty() {
                    store.profile_ids(false)?
                } else {
                    unlabelled
                }
            } else {
                ids
            };
            if store.active_model_version()?.is_none() {
                return Err(Failure::new(
                    EXIT_NOT_AVAILABLE,
                    "no trained model yet: label some profiles and run `swipy train`",
                ));
            }
            let dev = learn::device(&store, device)?;
            let mut engine = learn::Engine::new(dir, dev);
            let mut scores = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(64) {
                scores.extend(engine.scores(&mut store, chunk)?);
            }
            for s in scores {
                if json {
                    let line = serde_json::json!({
                        "id": s.id,
                        "p_like": s.p_like,
                        "parts": s.parts,
                        "model_version": s.model_version,
                        "state": s.state,
                    });
                    writeln!(out, "{line}")?;
                } else {
                    let p = s
                        .p_like
                        .map(|p| format!("{p:.3}"))
                        .unwrap_or_else(|| "-".into());
                    writeln!(out, "{}\t{p}\t{}", s.id, s.state)?;
                }
            }
            Ok(())
        }
        Command::BenchScore {
            json,
            page,
            head_out,
        } => {
            let args = learn::bench::BenchArgs {
                json,
                page,
                head_out,
            };
            let summary = learn::bench::run(dir, device, &args)?;
            writeln!(out, "{summary}")?;
            Ok(())
        }
        Command::Models { action } => match action {
            ModelsAction::List | ModelsAction::Verify => {
                let verify = action == ModelsAction::Verify;
                match learn::manifests::report(dir, verify) {
                    Ok(text) => {
                        write!(out, "{text}")?;
                        Ok(())
                    }
                    Err((text, problems)) => {
                        write!(out, "{text}")?;
                        Err(Failure::new(EXIT_SETUP_INCOMPLETE, problems))
                    }
                }
            }
            ModelsAction::Prepare => {
                let text = learn::manifests::prepare(dir)?;
                writeln!(out, "{text}")?;
                Ok(())
            }
        },
    }
}

fn install_failure(e: install::InstallError) -> Failure {
    match e {
        install::InstallError::BadArgs(m) => Failure::new(EXIT_USAGE, m),
        e @ install::InstallError::Io { .. } => Failure::new(EXIT_FAILURE, e.to_string()),
    }
}

fn cmd_install(a: InstallArgs, dir: &Path, out: &mut dyn Write) -> Result<(), Failure> {
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

fn cmd_doctor(dir: &Path, out: &mut dyn Write) -> Result<(), Failure> {
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

fn start_fetcher(dir: &Path, no_photos: bool) -> Result<Option<Fetcher>, Failure> {
    if no_photos {
        return Ok(None);
    }
    let cfg = FetchConfig::from_env().map_err(|e| Failure::new(EXIT_FAILURE, e.to_string()))?;
    Fetcher::new(dir, cfg)
        .map(Some)
        .map_err(|e| Failure::new(EXIT_FAILURE, e.to_string()))
}

fn finish_fetch(
    fetcher: Option<Fetcher>,
    queued: usize,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    if let Some(f) = fetcher {
        if queued > 0 {
            let done = f.wait_idle(IMPORT_FETCH_WAIT);
            let t = f.tally();
            write!(out, "photos: {} of {queued} downloaded", t.stored)?;
            if t.failed > 0 {
                write!(
                    out,
                    ", {} failed (last: {})",
                    t.failed,
                    t.last_error.unwrap_or_default()
                )?;
            }
            if !done {
                write!(
                    out,
                    ", {} abandoned after {} s",
                    f.pending(),
                    IMPORT_FETCH_WAIT.as_secs()
                )?;
            }
            writeln!(out)?;
        }
    }
    Ok(())
}

fn cmd_import_recs(
    dir: &Path,
    file: &str,
    no_photos: bool,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let bytes = if file == "-" {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut b)
            .map_err(|e| Failure::new(EXIT_BAD_INPUT, format!("cannot read stdin: {e}")))?;
        b
    } else {
        std::fs::read(file)
            .map_err(|e| Failure::new(EXIT_BAD_INPUT, format!("cannot read {file}: {e}")))?
    };
    let body: Value = serde_json::from_slice(&bytes)
        .map_err(|e| Failure::new(EXIT_BAD_INPUT, format!("{file} is not JSON: {e}")))?;
    if !ingest::looks_like_recs(&body) {
        return Err(Failure::new(
            EXIT_BAD_INPUT,
            format!("{file} is not a /v2/recs/core response (no data.results)"),
        ));
    }
    let mut store = Store::open(dir)?;
    let fetcher = start_fetcher(dir, no_photos)?;
    let (parsed, o) = ingest::ingest_recs(&mut store, &body, now_ms(), "import-recs")?;
    writeln!(
        out,
        "imported {} profiles ({} new), {} skipped{}",
        o.profiles,
        o.new_profiles,
        parsed.skipped,
        if parsed.rate_limited {
            ", rate limited"
        } else {
            ""
        }
    )?;
    let queued = o.to_fetch.len();
    if let Some(f) = &fetcher {
        f.enqueue(o.to_fetch);
    }
    finish_fetch(fetcher, queued, out)
}

fn cmd_import_har(
    dir: &Path,
    file: &Path,
    no_photos: bool,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let bytes = std::fs::read(file).map_err(|e| {
        Failure::new(
            EXIT_BAD_INPUT,
            format!("cannot read {}: {e}", file.display()),
        )
    })?;
    let har: Value = serde_json::from_slice(&bytes).map_err(|e| {
        Failure::new(
            EXIT_BAD_INPUT,
            format!("{} is not JSON: {e}", file.display()),
        )
    })?;
    let (found, unreadable) = ingest::recs_from_har(&har)?;
    let mut store = Store::open(dir)?;
    let fetcher = start_fetcher(dir, no_photos)?;
    let (mut profiles, mut new_profiles, mut queued) = (0, 0, 0);
    for r in &found {
        let at = r.started_ms.unwrap_or_else(now_ms);
        let (_, o) = ingest::ingest_recs(&mut store, &r.body, at, "import-har")?;
        profiles += o.profiles;
        new_profiles += o.new_profiles;
        queued += o.to_fetch.len();
        if let Some(f) = &fetcher {
            f.enqueue(o.to_fetch);
        }
    }
    writeln!(
        out,
        "{} recs responses in {}: {profiles} profiles ({new_profiles} new){}",
        found.len(),
        file.display(),
        if unreadable > 0 {
            format!(", {unreadable} recs entries without a readable body")
        } else {
            String::new()
        }
    )?;
    finish_fetch(fetcher, queued, out)
}

/// JSON Lines: one object per profile.
pub fn export_jsonl(rows: &[ExportRow]) -> String {
    let mut s = String::new();
    for r in rows {
        if let Ok(line) = serde_json::to_string(r) {
            s.push_str(&line);
            s.push('\n');
        }
    }
    s
}

/// The columns of `swipy export --format csv`.
pub const CSV_HEADER: [&str; 8] = [
    "id",
    "name",
    "age",
    "distance_km",
    "bio",
    "photos",
    "photos_fetched",
    "label",
];

/// CSV through the `csv` crate (RFC 4180 quoting), columns [`CSV_HEADER`]. Every cell is
/// passed through [`csv_safe`], so a spreadsheet opening the file never runs a formula a
/// profile's name or bio smuggled in.
pub fn export_csv(rows: &[ExportRow]) -> std::io::Result<String> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    for r in rows {
        let fields = [
            r.id.clone(),
            r.name.clone(),
            r.age.map(|a| a.to_string()).unwrap_or_default(),
            r.distance_km.map(|d| format!("{d:.3}")).unwrap_or_default(),
            r.bio.clone(),
            r.photos.to_string(),
            r.photos_fetched.to_string(),
            r.label.clone().unwrap_or_default(),
        ];
        w.write_record(fields.iter().map(|f| csv_safe(f).into_owned()))?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    String::from_utf8(bytes).map_err(std::io::Error::other)
}

/// The OWASP CSV-injection rule: a cell starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return gets a leading single quote, so spreadsheets read it as text.
pub fn csv_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

#[cfg(test)]
mod tests;
