//! Matches from the page's own `/v2/matches` answers.
//!
//! The web app reads two lists, `message=0` (new matches) and `message=1` (conversations);
//! the extension's hook captures both answers like recs and hands them over in a `matches`
//! request. The host records which profiles became matches (the `train_on_matches` signal
//! and the dashboard's match rates read them). It never asks Tinder itself and holds no
//! token: a second client replaying the web token is what gets accounts flagged.

use serde_json::Value;

use crate::store::{Store, StoreError};

/// What one captured matches answer changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// Matches listed in the answer (with a plausible person id).
    pub listed: u32,
    /// Of those, profiles not known as matches before.
    pub new: u32,
    /// Entries without a match id or a plausible person id.
    pub skipped: u32,
}

/// Records the matches of one captured `/v2/matches` answer, captured at `at_ms`.
pub fn record_answer(store: &mut Store, body: &Value, at_ms: f64) -> Result<Recorded, StoreError> {
    let page = swipy_shared::tinder::parse_matches(body);
    let ids: Vec<String> = page.matches.iter().map(|m| m.person_id.clone()).collect();
    let new = store.record_matches(&ids, at_ms)?;
    Ok(Recorded {
        listed: u32::try_from(ids.len()).unwrap_or(u32::MAX),
        new,
        skipped: page.skipped,
    })
}
