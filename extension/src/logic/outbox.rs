//! The durable outbox: every label, swipe and recs capture waits here — and in
//! `chrome.storage.local` under [`storage_key`] — until the host acknowledges it.
//!
//! Rules: an entry is stored before it is sent; it is removed only when the host answers
//! with `ack {key}` (or `ingested` for recs); on every new connection all entries are sent
//! again in order. Keys are idempotency keys: adding a key twice is a no-op here, and the
//! host treats a replayed key as a no-op too.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use swipy_shared::Request;

/// Prefix of the outbox entries in `chrome.storage.local`.
pub const STORAGE_PREFIX: &str = "outbox:";

/// Keep at most this many captured recs pages waiting (each is ~100 KB); labels are never
/// dropped.
pub const MAX_PENDING_RECS: usize = 40;

/// The storage key of an outbox entry.
pub fn storage_key(key: &str) -> String {
    format!("{STORAGE_PREFIX}{key}")
}

/// One waiting request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Idempotency key (also the storage key suffix).
    pub key: String,
    /// Order of creation; replay follows it.
    pub seq: f64,
    pub created_ms: f64,
    /// The request as it goes on the wire.
    pub request: Request,
}

impl Entry {
    pub fn is_recs(&self) -> bool {
        matches!(self.request, Request::Recs { .. })
    }
}

/// What [`Outbox::add`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Added {
    /// New entry; the caller stores and sends it. `evicted`: older recs entries dropped to
    /// stay under [`MAX_PENDING_RECS`] (the caller removes them from storage).
    New { evicted: Vec<String> },
    /// The key is already waiting: nothing to do.
    Duplicate,
}

#[derive(Debug, Default, Clone)]
pub struct Outbox {
    by_seq: BTreeMap<u64, Entry>,
    seq_of: HashMap<String, u64>,
    next_seq: u64,
}

impl Outbox {
    pub fn new() -> Self {
        Self::default()
    }

    /// Restore entries read back from storage (any order; duplicates and broken entries
    /// are the caller's to skip before). Replay order is creation order.
    pub fn load(&mut self, entries: impl IntoIterator<Item = Entry>) {
        for e in entries {
            if self.seq_of.contains_key(&e.key) {
                continue;
            }
            let seq = if e.seq.is_finite() && e.seq >= 0.0 {
                e.seq as u64
            } else {
                0
            };
            // Two entries may claim the same seq (a bug or a hand-edited storage): keep both.
            let mut s = seq;
            while self.by_seq.contains_key(&s) {
                s += 1;
            }
            self.next_seq = self.next_seq.max(s + 1);
            self.seq_of.insert(e.key.clone(), s);
            self.by_seq.insert(s, Entry { seq: s as f64, ..e });
        }
    }

    /// Add a request under `key`. The returned entry (for `Added::New`) is what must be
    /// written to storage.
    pub fn add(&mut self, key: String, request: Request, now_ms: f64) -> (Added, Option<Entry>) {
        if self.seq_of.contains_key(&key) {
            return (Added::Duplicate, None);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let entry = Entry {
            key: key.clone(),
            seq: seq as f64,
            created_ms: now_ms,
            request,
        };
        let mut evicted = Vec::new();
        if entry.is_recs() {
            while self.by_seq.values().filter(|e| e.is_recs()).count() >= MAX_PENDING_RECS {
                let oldest = self
                    .by_seq
                    .values()
                    .find(|e| e.is_recs())
                    .map(|e| e.key.clone());
                match oldest {
                    Some(k) => {
                        self.remove(&k);
                        evicted.push(k);
                    }
                    None => break,
                }
            }
        }
        self.seq_of.insert(key, seq);
        self.by_seq.insert(seq, entry.clone());
        (Added::New { evicted }, Some(entry))
    }

    /// The host acknowledged `key`: drop it. Returns the entry when it was waiting.
    pub fn remove(&mut self, key: &str) -> Option<Entry> {
        let seq = self.seq_of.remove(key)?;
        self.by_seq.remove(&seq)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.seq_of.contains_key(key)
    }

    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.seq_of.get(key).and_then(|s| self.by_seq.get(s))
    }

    /// Waiting entries in creation order (the replay order).
    pub fn pending(&self) -> impl Iterator<Item = &Entry> {
        self.by_seq.values()
    }

    pub fn len(&self) -> usize {
        self.by_seq.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_seq.is_empty()
    }

    /// Labels and swipes waiting (recs pages not counted).
    pub fn labels_waiting(&self) -> usize {
        self.by_seq.values().filter(|e| !e.is_recs()).count()
    }
}

/// Idempotency key of an overlay label: one per button press.
pub fn label_key(profile_id: &str, verdict: &str, at_ms: f64) -> String {
    format!("o-{profile_id}-{verdict}-{}", at_ms as u64)
}

/// Idempotency key of a page swipe: the same page call always gives the same key.
pub fn swipe_key(profile_id: &str, verdict: &str, at_ms: f64) -> String {
    format!("s-{profile_id}-{verdict}-{}", at_ms as u64)
}

/// Key of a captured recs page: capture time plus a content fingerprint.
pub fn recs_key(at_ms: f64, body: &serde_json::Value) -> String {
    // FNV-1a over the serialized body: stable across replays of the same capture.
    let text = body.to_string();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("r-{}-{h:016x}", at_ms as u64)
}

#[cfg(test)]
#[path = "outbox_tests.rs"]
mod tests;
