//! The command line's arguments (clap): the commands, their options and the help text.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use swipy_shared::protocol::Verdict;

use crate::install::Browser;

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
