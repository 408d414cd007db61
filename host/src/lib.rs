//! The `swipy` host: the native messaging host the Swipy extension talks to, and the
//! command line around the same store.
//!
//! `main.rs` only calls [`cli::main_entry`]; everything lives in this library so the
//! learning code can be wired in through [`learn`] (the host calls the models crate, never
//! the other way round).
//!
//! # Modules
//!
//! The layers, top to bottom (`cargo xtask layers` fails on an import that points up;
//! `docs/ARCHITECTURE.md` has the picture):
//!
//! - entry: [`cli`] (the `swipy` commands and their exit codes) and [`launch`] (browser
//!   launch detection, refused callers); `main.rs` only calls [`cli::main_entry`].
//! - dispatch: [`serve`] — the serve loop and the request dispatcher
//!   ([`serve::Session`]), frame limits and exit codes (see its module docs).
//! - transport: [`transport`] — native messaging framing (4-byte native-endian length +
//!   UTF-8 JSON), with the size caps of both directions.
//! - services: the modules below.
//! - wire: [`outbox`] (answers and events to the browser from any thread) and
//!   [`validate`] (checks services and the dispatcher share), above the contract crate
//!   `swipy-shared`.
//!
//! Services:
//!
//! - [`store`]: SQLite (WAL, migrations in [`store::migrations`]) + content-addressed photo
//!   files.
//! - [`ingest`]: recs bodies, HAR exports and the prototype's seed layout into the store.
//! - [`fetch`]: the photo fetcher (allow-list, caps, retries; test-only loopback
//!   redirection via `SWIPY_TEST_RESOLVE` / `SWIPY_TEST_CA`).
//! - [`install`]: browser registration (manifest files, Windows registry) and checks.
//! - [`learn`]: encoders, training and scoring through the `swipy-models` crate; one
//!   inference thread per served port ([`learn::worker`]), training on its own thread;
//!   the built-in model manifests ([`learn::manifests`]).
//! - [`matches`]: records matches from the page's own `/v2/matches` answers.
//! - [`counts`]: the counts the popup, the dashboard and `swipy stats` show.
//! - [`logger`], [`paths`]: logging to stderr + `<data dir>/logs/swipy.log`; where things
//!   live.
//!
//! # Data dir layout
//!
//! ```text
//! <data dir>/            --data-dir, else $SWIPY_HOME, else the platform data dir
//!   swipy.db             SQLite database (+ swipy.db-wal, swipy.db-shm)
//!   photos/ab/abcd….jpg  photos, named by the sha256 of their bytes
//!   logs/swipy.log       log
//! ```
//!
//! # Environment
//!
//! `SWIPY_HOME` (data dir), `SWIPY_LOG` (log level), `ORT_DYLIB_PATH` and
//! `SWIPY_MODELS_DIR` (ONNX Runtime and the prepared models; without them the host looks
//! beside its executable, then in the data dir), `SWIPY_REPO` (source tree for
//! `swipy models prepare`), and — for tests only — `SWIPY_TEST_RESOLVE` /
//! `SWIPY_TEST_CA` (see [`fetch`]).
//!
//! # Settings read by the host
//!
//! `device` (`cpu`|`cuda`|`auto`), `text_weight` + `image_weight` (the prototype's blend
//! of the text and image parts instead of the combined head, when both are set),
//! `retrain_every` (retrain in the background after this many new labels; default 20,
//! 0 = never), `train_on_matches` (`true`: likes that became matches count double in training;
//! default off).
//!
//! # Privacy
//!
//! The host never sees the page's auth token and never calls Tinder's API: every Tinder
//! answer it uses (recs, likes, matches) is one the page fetched, handed over by the
//! extension. Only photos are downloaded, from the CDN URLs in those answers.

pub mod cli;
pub mod counts;
pub mod fetch;
pub mod ingest;
pub mod install;
pub mod launch;
pub mod learn;
pub mod logger;
pub mod matches;
pub mod outbox;
pub mod paths;
pub mod serve;
pub mod store;
pub mod transport;
pub mod validate;
