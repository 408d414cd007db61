//! `cargo xtask build` (placeholder).

pub fn build(_args: &[String]) -> Result<(), String> {
    Err("`build` is not implemented yet".into())
}
