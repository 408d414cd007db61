//! Messages from tabs and extension pages reach the brain as JSON text, checked against
//! the host's caps before they are parsed: a page could serve an answer sized or nested to
//! exhaust the worker (a trap) or to be refused by the host forever. Limits come from the
//! shared contract, so the worker refuses exactly what the host would.

use serde_json::Value;
use swipy_shared::protocol::{
    json_depth_exceeds, MAX_RECS_BYTES, MAX_RECS_DEPTH, MAX_RECS_RESULTS, RECS_ENVELOPE_SLACK,
};

/// Deepest nesting of a port message: a captured body ([`MAX_RECS_DEPTH`]) inside
/// `{kind, body}`.
pub const MAX_MESSAGE_DEPTH: usize = MAX_RECS_DEPTH + 1;

/// Longest port message text: a captured body ([`MAX_RECS_BYTES`]) and its wrapper.
pub const MAX_MESSAGE_BYTES: usize = MAX_RECS_BYTES + RECS_ENVELOPE_SLACK;

/// Parse one port message, refusing (in words) what is over the caps: too long or too deep
/// before parsing, a recs page with too many results right after.
pub fn parse_port_text(text: &str) -> Result<Value, String> {
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(format!(
            "a message of {} bytes; at most {MAX_MESSAGE_BYTES}",
            text.len()
        ));
    }
    if json_depth_exceeds(text.as_bytes(), MAX_MESSAGE_DEPTH) {
        return Err(format!(
            "a message nested deeper than {MAX_MESSAGE_DEPTH} levels"
        ));
    }
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    if v.get("kind").and_then(Value::as_str) == Some("recs") {
        let n = v
            .get("body")
            .map_or(0, |b| swipy_shared::tinder::recs_results(b).len());
        if n > MAX_RECS_RESULTS {
            return Err(format!(
                "a recs page of {n} results; at most {MAX_RECS_RESULTS}"
            ));
        }
    }
    Ok(v)
}

#[cfg(test)]
#[path = "intake_tests.rs"]
mod tests;
