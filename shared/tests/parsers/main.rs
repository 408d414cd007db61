//! The shared crate's integration tests: the Tinder parsers over fixture payloads
//! (`tests/fixtures/`, written from the public shape of the web app's API) and
//! robustness against mutated and garbage input.

mod golden;
mod robustness;
mod shapes;

use serde_json::Value;

/// 2026-11-28T12:00:00Z: the capture time every golden age is computed at.
pub const NOW_MS: f64 = 1_795_867_200_000.0;

pub const FIXTURES: &[&str] = &[
    "recs_en_de.json",
    "recs_mixed.json",
    "recs_rate_limited.json",
    "recs_timeout.json",
    "like_no_match.json",
    "like_match.json",
    "like_out_of_likes.json",
    "superlike.json",
    "pass.json",
    "profile.json",
    "matches.json",
];

pub fn fixture_text(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
}

pub fn fixture(name: &str) -> Value {
    serde_json::from_str(&fixture_text(name))
        .unwrap_or_else(|e| panic!("fixture {name} is not JSON: {e}"))
}
