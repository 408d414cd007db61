//! Card ↔ profile mapping.
//!
//! The web app shows recs in the order `/v2/recs/core` returned them; the top card is the
//! first profile not swiped yet. The DOM never carries the profile id, so the card's name
//! (and age, when shown) confirm the match: the first not-yet-swiped profile whose name and
//! age agree with the card wins.

use std::collections::HashSet;

use serde_json::Value;
use swipy_shared::tinder;

use super::page::CardFacts;

/// One profile of the recs queue, reduced to what identifies its card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedProfile {
    pub id: String,
    pub name: String,
    /// Age in whole years at capture time; `None` when hidden or unknown.
    pub age: Option<u32>,
}

/// Keep at most this many profiles; the oldest swiped ones go first.
const MAX_QUEUE: usize = 600;

/// The recs a tab has received, in order, and which of them were swiped.
#[derive(Debug, Default, Clone)]
pub struct CardQueue {
    queue: Vec<QueuedProfile>,
    swiped: HashSet<String>,
}

impl CardQueue {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add the `user` results of one recs response (in order). Profiles already queued are
    /// not added twice. Returns the newly queued profiles.
    pub fn ingest(&mut self, body: &Value, now_ms: f64) -> Vec<QueuedProfile> {
        let mut added = Vec::new();
        for p in parse_recs(body, now_ms) {
            if self.queue.iter().any(|q| q.id == p.id) {
                continue;
            }
            self.queue.push(p.clone());
            added.push(p);
        }
        self.trim();
        added
    }

    /// The page swiped this profile (its own like/pass call).
    pub fn mark_swiped(&mut self, id: &str) {
        self.swiped.insert(id.to_owned());
        self.trim();
    }

    pub fn is_swiped(&self, id: &str) -> bool {
        self.swiped.contains(id)
    }

    /// The profile of the top card: the first not-yet-swiped profile whose name and age
    /// agree with the card. `None` when no queued profile fits (recs not seen yet).
    pub fn resolve(&self, card: &CardFacts) -> Option<&QueuedProfile> {
        let unswiped = || self.queue.iter().filter(|p| !self.swiped.contains(&p.id));
        unswiped().find(|p| facts_match(p, card))
    }

    /// Ids in queue order that have not been swiped.
    pub fn upcoming(&self) -> Vec<String> {
        self.queue
            .iter()
            .filter(|p| !self.swiped.contains(&p.id))
            .map(|p| p.id.clone())
            .collect()
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    fn trim(&mut self) {
        while self.queue.len() > MAX_QUEUE {
            // Drop the oldest swiped profile; if none is swiped, the oldest one.
            let pos = self
                .queue
                .iter()
                .position(|p| self.swiped.contains(&p.id))
                .unwrap_or(0);
            let gone = self.queue.remove(pos);
            self.swiped.remove(&gone.id);
        }
    }
}

/// Whether a queued profile is the one a card shows: same name (case and surrounding space
/// ignored) and, when both sides know the age, ages at most one year apart (the birth date
/// Tinder sends is approximate).
pub fn facts_match(p: &QueuedProfile, card: &CardFacts) -> bool {
    let same_name = p.name.trim().to_lowercase() == card.name.trim().to_lowercase();
    let age_ok = match (p.age, card.age) {
        (Some(a), Some(b)) => a.abs_diff(b) <= 1,
        _ => true,
    };
    same_name && age_ok
}

/// The identifying facts of the profiles of a recs body, in order, read with the one Tinder
/// parser ([`swipy_shared::tinder::parse_recs`]): rate-limit placeholders, non-user results
/// and implausible ids never become cards; profiles without a name cannot be matched to a
/// card and are left out.
pub fn parse_recs(body: &Value, now_ms: f64) -> Vec<QueuedProfile> {
    tinder::parse_recs(body, now_ms)
        .profiles
        .into_iter()
        .filter(|p| !p.name.is_empty())
        .map(|p| QueuedProfile {
            id: p.id,
            name: p.name,
            age: p.age,
        })
        .collect()
}

#[cfg(test)]
#[path = "cards_tests.rs"]
mod tests;
