//! Card ↔ profile mapping.
//!
//! The web app shows recs in the order `/v2/recs/core` returned them; the top card is the
//! first profile not swiped yet. The DOM never carries the profile id, so the card's name
//! (and age, when shown) confirm the match: the first not-yet-swiped profile whose name and
//! age agree with the card wins.

use std::collections::HashSet;

use serde_json::Value;

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

/// The identifying facts of the `user` results of a recs body, in order. Tolerant: results
/// without an id or a name are skipped, never an error.
pub fn parse_recs(body: &Value, now_ms: f64) -> Vec<QueuedProfile> {
    let results = body
        .pointer("/data/results")
        .or_else(|| body.get("results"))
        .and_then(Value::as_array);
    let Some(results) = results else {
        return Vec::new();
    };
    results
        .iter()
        .filter(|r| {
            r.get("type")
                .and_then(Value::as_str)
                .is_none_or(|t| t == "user")
        })
        .filter_map(|r| {
            let user = r.get("user")?;
            let id = user.get("_id").and_then(Value::as_str)?;
            if !super::page::plausible_id(id) {
                return None;
            }
            let name = user.get("name").and_then(Value::as_str)?.trim().to_owned();
            if name.is_empty() {
                return None;
            }
            let hidden = user
                .get("hide_age")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let age = if hidden {
                None
            } else {
                user.get("birth_date")
                    .and_then(Value::as_str)
                    .and_then(|b| age_at(b, now_ms))
            };
            Some(QueuedProfile {
                id: id.to_owned(),
                name,
                age,
            })
        })
        .collect()
}

/// Whole years between an ISO 8601 birth date (`YYYY-MM-DD...`) and `now_ms`.
pub fn age_at(birth_date: &str, now_ms: f64) -> Option<u32> {
    let b = birth_date.get(..10)?;
    let mut parts = b.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || !now_ms.is_finite() {
        return None;
    }
    let (ny, nm, nd) = civil_from_days((now_ms / 86_400_000.0).floor() as i64);
    let mut years = ny - y;
    if (nm, nd) < (m, d) {
        years -= 1;
    }
    u32::try_from(years).ok().filter(|a| *a <= 130)
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
#[path = "cards_tests.rs"]
mod tests;
