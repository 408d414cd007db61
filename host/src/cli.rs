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
use std::path::Path;

use clap::Parser;

use crate::ingest::IngestError;
use crate::install;
use crate::launch::{self, BrowserLaunch};
use crate::learn::LearnError;
use crate::paths;
use crate::serve;

mod args;
mod data;
mod model;
mod setup;

pub use args::{Cli, CliVerdict, Command, ExportFormat, InstallArgs, ModelsAction, UninstallArgs};
pub use data::{csv_safe, export_csv, export_jsonl, CSV_HEADER};

pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILURE: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_BAD_INPUT: i32 = 3;
pub const EXIT_NOT_FOUND: i32 = 4;
pub const EXIT_SETUP_INCOMPLETE: i32 = 5;
pub const EXIT_NOT_AVAILABLE: i32 = 6;
pub const EXIT_NOT_ENOUGH_LABELS: i32 = 7;

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
        Command::Install(a) => setup::cmd_install(a, dir, out),
        Command::Uninstall(a) => setup::cmd_uninstall(a, out),
        Command::Doctor => setup::cmd_doctor(dir, out),
        Command::ImportRecs { file, no_photos } => {
            data::cmd_import_recs(dir, &file, no_photos, out)
        }
        Command::ImportHar { file, no_photos } => data::cmd_import_har(dir, &file, no_photos, out),
        Command::ImportSeed { dir: seed } => data::cmd_import_seed(dir, seed, out),
        Command::Label { id, verdict } => data::cmd_label(dir, id, verdict, out),
        Command::Stats { json } => data::cmd_stats(dir, json, out),
        Command::Export { format, output } => data::cmd_export(dir, format, output, out),
        Command::Train => model::cmd_train(dir, device, out),
        Command::Score { ids, json } => model::cmd_score(dir, ids, json, device, out),
        Command::BenchScore {
            json,
            page,
            head_out,
        } => model::cmd_bench_score(dir, device, json, page, head_out, out),
        Command::Models { action } => model::cmd_models(dir, action, out),
    }
}

#[cfg(test)]
mod tests;
