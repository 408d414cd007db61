//! `cargo xtask run` (placeholder).

pub fn run(_args: &[String]) -> Result<(), String> {
    Err("`run` is not implemented yet".into())
}
