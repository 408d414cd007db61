//! Swipy's shared vocabulary: the wire protocol between the browser extension and the
//! `swipy` host, and the Tinder data types both sides parse. serde only; compiles for
//! `wasm32-unknown-unknown` and natively.

pub mod protocol;
pub mod tinder;

pub use protocol::*;
