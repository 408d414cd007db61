//! Checks on values from outside (the browser, the command line) that services and the
//! dispatcher share; each refusal is the protocol's typed error.

use swipy_shared::protocol::{ErrorBody, ErrorCode};

/// A plausible Tinder profile id: 1–64 ASCII letters, digits, `_` or `-`.
pub fn check_id(id: &str) -> Result<(), ErrorBody> {
    if swipy_shared::tinder::is_plausible_profile_id(id) {
        Ok(())
    } else {
        let shown: String = id.chars().take(64).collect();
        Err(ErrorBody::new(
            ErrorCode::InvalidId,
            format!("`{shown}` is not a profile id"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked_and_shown_short() {
        assert!(check_id("5f1e2d3c4b5a69788796a5b4").is_ok());
        let e = check_id(&"x/".repeat(100)).expect_err("refused");
        assert_eq!(e.code, ErrorCode::InvalidId.code());
        assert!(e.message.len() < 100, "{}", e.message);
    }
}
