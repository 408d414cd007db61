//! `cargo xtask models` (placeholder).

pub fn models(_args: &[String]) -> Result<(), String> {
    Err("`models` is not implemented yet".into())
}
pub fn bench(_args: &[String]) -> Result<(), String> { Err("`bench` is not implemented yet".into()) }
