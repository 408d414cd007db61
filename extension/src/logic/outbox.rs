//! The durable outbox: every label, swipe and recs capture waits here — and in
//! `chrome.storage.local` under [`storage_key`] — until the host acknowledges it.
//!
//! Rules: an entry is stored before it is sent; it is removed only when the host answers
//! with `ack {key}` (or `ingested` for recs); on every new connection all entries are sent
//! again in order. Keys are idempotency keys: adding a key twice is a no-op here, and the
//! host treats a replayed key as a no-op too.
//!
//! Faults: a label or swipe is never deleted by a guess. When the host dies while handling
//! an entry (the oldest request it had not answered: it answers in order; the entries
//! queued behind it are not blamed), the entry counts it (in storage too); after
//! [`QUARANTINE_AFTER`] deaths it is *quarantined*: still stored, shown in the popup,
//! exportable, and retried alone with a growing delay ([`quarantine_delay_ms`]) instead of
//! with every replay. Only a recs page
//! (which the page fetches again) may be dropped, and only when it was the sole request in
//! flight at [`DROP_RECS_AFTER`] deaths. Both kinds are bounded by bytes
//! ([`MAX_RECS_WAITING_BYTES`], [`MAX_LABELS_WAITING_BYTES`]), never by counts.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use swipy_shared::Request;

/// Prefix of the outbox entries in `chrome.storage.local`.
pub const STORAGE_PREFIX: &str = "outbox:";

/// Bytes of captured recs pages kept waiting (a page is ~100 KB); older pages are dropped
/// beyond it (the page fetches recs again). Labels are never dropped.
pub const MAX_RECS_WAITING_BYTES: usize = 32 * 1024 * 1024;

/// Bytes of labels and swipes kept waiting (~300 bytes each: about 50,000). A label beyond
/// it is refused in words, never stored half.
pub const MAX_LABELS_WAITING_BYTES: usize = 16 * 1024 * 1024;

/// Host deaths while handling an entry before it is quarantined (retried alone, later).
pub const QUARANTINE_AFTER: u32 = 3;

/// Deaths as the *only* request in flight after which a recs page is dropped.
pub const DROP_RECS_AFTER: u32 = 3;

/// First delay of a quarantined entry's retries.
pub const QUARANTINE_DELAY_START_MS: f64 = 5_000.0;
/// Longest delay between retries of a quarantined entry.
pub const QUARANTINE_DELAY_MAX_MS: f64 = 600_000.0;

/// Delay before the next try of an entry that was in flight at `crashes` host deaths:
/// 5 s at quarantine, doubling, at most 10 min.
pub fn quarantine_delay_ms(crashes: u32) -> f64 {
    let exp = crashes.saturating_sub(QUARANTINE_AFTER).min(16);
    (QUARANTINE_DELAY_START_MS * f64::from(1u32 << exp)).min(QUARANTINE_DELAY_MAX_MS)
}

/// The storage key of an outbox entry.
pub fn storage_key(key: &str) -> String {
    format!("{STORAGE_PREFIX}{key}")
}

fn is_zero(n: &u32) -> bool {
    *n == 0
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
    /// Host deaths while the host was handling this entry.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub crashes: u32,
    /// Host deaths while this entry was the only request in flight.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sole_crashes: u32,
}

impl Entry {
    pub fn is_recs(&self) -> bool {
        matches!(self.request, Request::Recs { .. })
    }

    /// Quarantined: the host died [`QUARANTINE_AFTER`] times with it in flight.
    pub fn is_quarantined(&self) -> bool {
        self.crashes >= QUARANTINE_AFTER
    }

    /// Its size as stored (and, within a few bytes, as sent).
    pub fn bytes(&self) -> usize {
        serde_json::to_string(self).map(|s| s.len()).unwrap_or(0)
    }
}

/// What [`Outbox::add`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Added {
    /// New entry; the caller stores and sends it. `evicted`: older recs entries dropped to
    /// stay under the recs byte budget (the caller removes them from storage).
    New { evicted: Vec<String> },
    /// The key is already waiting: nothing to do.
    Duplicate,
    /// Over the byte budget (labels), or a recs page larger than the whole recs budget:
    /// not stored; the caller tells the user.
    Full,
}

/// What [`Outbox::host_died`] changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Died {
    /// Entries whose counts changed: store them again.
    pub store: Vec<Entry>,
    /// Entries newly quarantined by this death.
    pub quarantined: Vec<String>,
    /// Recs pages dropped (the sole request in flight at [`DROP_RECS_AFTER`] deaths).
    pub dropped: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Outbox {
    by_seq: BTreeMap<u64, Entry>,
    seq_of: HashMap<String, u64>,
    next_seq: u64,
    /// Not before this time (quarantine or a transient error's backoff); memory only: a
    /// restarted worker tries at once.
    retry_at: HashMap<String, f64>,
    bytes: HashMap<String, usize>,
    recs_bytes: usize,
    label_bytes: usize,
    max_recs_bytes: usize,
    max_label_bytes: usize,
}

impl Default for Outbox {
    fn default() -> Self {
        Self::with_budgets(MAX_RECS_WAITING_BYTES, MAX_LABELS_WAITING_BYTES)
    }
}

impl Outbox {
    pub fn new() -> Self {
        Self::default()
    }

    /// An outbox with other byte budgets (tests).
    pub fn with_budgets(max_recs_bytes: usize, max_label_bytes: usize) -> Self {
        Self {
            by_seq: BTreeMap::new(),
            seq_of: HashMap::new(),
            next_seq: 0,
            retry_at: HashMap::new(),
            bytes: HashMap::new(),
            recs_bytes: 0,
            label_bytes: 0,
            max_recs_bytes,
            max_label_bytes,
        }
    }

    fn insert(&mut self, seq: u64, entry: Entry) {
        let n = entry.bytes();
        if entry.is_recs() {
            self.recs_bytes += n;
        } else {
            self.label_bytes += n;
        }
        self.bytes.insert(entry.key.clone(), n);
        self.seq_of.insert(entry.key.clone(), seq);
        self.by_seq.insert(seq, entry);
    }

    /// Restore entries read back from storage (any order; duplicates and broken entries
    /// are the caller's to skip before). Replay order is creation order. Nothing read back
    /// is dropped, whatever the budgets say.
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
            self.insert(s, Entry { seq: s as f64, ..e });
        }
    }

    /// Add a request under `key`. The returned entry (for `Added::New`) is what must be
    /// written to storage.
    pub fn add(&mut self, key: String, request: Request, now_ms: f64) -> (Added, Option<Entry>) {
        if self.seq_of.contains_key(&key) {
            return (Added::Duplicate, None);
        }
        let entry = Entry {
            key: key.clone(),
            seq: self.next_seq as f64,
            created_ms: now_ms,
            request,
            crashes: 0,
            sole_crashes: 0,
        };
        let size = entry.bytes();
        let mut evicted = Vec::new();
        if entry.is_recs() {
            if size > self.max_recs_bytes {
                return (Added::Full, None);
            }
            while self.recs_bytes + size > self.max_recs_bytes {
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
        } else if self.label_bytes + size > self.max_label_bytes {
            return (Added::Full, None);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.insert(seq, entry.clone());
        (Added::New { evicted }, Some(entry))
    }

    /// The host acknowledged `key`: drop it. Returns the entry when it was waiting.
    pub fn remove(&mut self, key: &str) -> Option<Entry> {
        let seq = self.seq_of.remove(key)?;
        self.retry_at.remove(key);
        let n = self.bytes.remove(key).unwrap_or(0);
        let e = self.by_seq.remove(&seq)?;
        if e.is_recs() {
            self.recs_bytes = self.recs_bytes.saturating_sub(n);
        } else {
            self.label_bytes = self.label_bytes.saturating_sub(n);
        }
        Some(e)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.seq_of.contains_key(key)
    }

    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.seq_of.get(key).and_then(|s| self.by_seq.get(s))
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut Entry> {
        let s = self.seq_of.get(key)?;
        self.by_seq.get_mut(s)
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

    /// Labels and swipes in quarantine.
    pub fn labels_quarantined(&self) -> usize {
        self.by_seq
            .values()
            .filter(|e| !e.is_recs() && e.is_quarantined())
            .count()
    }

    /// Bytes waiting: (recs pages, labels and swipes).
    pub fn bytes_waiting(&self) -> (usize, usize) {
        (self.recs_bytes, self.label_bytes)
    }

    /// The host died while handling `key`; `sole`: it was the only request of any kind in
    /// flight. Counts the death on it, quarantines it at [`QUARANTINE_AFTER`] and drops it
    /// if it is a recs page that was the sole request at [`DROP_RECS_AFTER`] deaths. Labels
    /// are never dropped.
    pub fn host_died(&mut self, key: &str, sole: bool, now_ms: f64) -> Died {
        let mut died = Died::default();
        let Some(e) = self.get_mut(key) else {
            return died;
        };
        let was = e.is_quarantined();
        e.crashes = e.crashes.saturating_add(1);
        if sole {
            e.sole_crashes = e.sole_crashes.saturating_add(1);
        }
        let e = e.clone();
        if e.is_recs() && e.sole_crashes >= DROP_RECS_AFTER {
            self.remove(key);
            died.dropped.push(key.to_owned());
            return died;
        }
        if e.is_quarantined() {
            self.retry_at
                .insert(key.to_owned(), now_ms + quarantine_delay_ms(e.crashes));
            if !was {
                died.quarantined.push(key.to_owned());
            }
        }
        died.store.push(e);
        died
    }

    /// Try `key` again no sooner than `at_ms` (a transient host error).
    pub fn delay(&mut self, key: &str, at_ms: f64) {
        if self.contains(key) {
            self.retry_at.insert(key.to_owned(), at_ms);
        }
    }

    /// When `key` may be tried again, if it is delayed.
    pub fn retry_time(&self, key: &str) -> Option<f64> {
        self.retry_at.get(key).copied()
    }

    /// Whether `key` may be sent now (no delay pending).
    pub fn is_due(&self, key: &str, now_ms: f64) -> bool {
        self.retry_at.get(key).is_none_or(|t| now_ms >= *t)
    }

    /// The user asked to retry now: every delay is lifted.
    pub fn retry_now(&mut self) {
        self.retry_at.clear();
    }

    /// The earliest pending delay, when one is.
    pub fn next_retry_at(&self) -> Option<f64> {
        self.retry_at.values().copied().reduce(f64::min)
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
