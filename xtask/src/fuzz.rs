//! `cargo xtask fuzz --seconds N` (placeholder until the hardening work lands).

pub fn fuzz(_args: &[String]) -> Result<(), String> {
    Err("`fuzz` is not implemented yet".into())
}
