//! `cargo xtask test` (placeholder).

pub fn test(_args: &[String]) -> Result<(), String> {
    Err("`test` is not implemented yet".into())
}
