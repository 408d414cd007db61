//! The `swipy` host: native messaging transport, request dispatch, the SQLite + photo
//! store, the photo fetcher, browser registration and the CLI. `main.rs` only calls
//! [`cli::main_entry`]; everything else lives here so the learning code can be wired in
//! through [`learn`].

pub mod cli;
pub mod fetch;
pub mod ingest;
pub mod install;
pub mod learn;
pub mod logger;
pub mod paths;
pub mod serve;
pub mod store;
pub mod transport;
