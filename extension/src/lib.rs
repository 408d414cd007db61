//! Swipy's browser extension brain.
//!
//! - [`logic`]: everything that decides something — card↔profile mapping, the durable label
//!   outbox, the host connection state machine, message routing, the popup view model. Pure
//!   Rust, tested natively with `cargo test -p swipy-extension`.
//! - `glue` (wasm32 only): the thin web-sys/js-sys layer that feeds browser events into
//!   [`logic::brain::Brain`] and carries out the actions it returns.
//!
//! The content-side scripts (`static/hook.js`, `static/content.js`) stay small plain JS: a
//! page's Content-Security-Policy may forbid WebAssembly in content scripts.

pub mod logic;

#[cfg(target_arch = "wasm32")]
mod glue;
