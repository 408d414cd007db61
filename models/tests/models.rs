//! Integration tests of the models crate. They need the ONNX Runtime library
//! (`ORT_DYLIB_PATH`, set for `cargo test` by `.cargo/config.toml`); the golden tests also
//! need the prepared models (`cargo xtask models` → `target/models`, or `SWIPY_MODELS_DIR`).
//! Under `CI=true` a missing runtime or model fails the test; otherwise it is skipped with
//! a message on stderr.

mod models {
    pub mod common;
    pub mod golden;
    pub mod tiny_models;
}
