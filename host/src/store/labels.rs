//! Labels and swipes: the label history (idempotent by key, latest by `at_ms` wins) and
//! the swipe log with the label and match it carries.

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use serde_json::Value;
use swipy_shared::protocol::{LabelSource, Verdict};

use super::{faults, now_ms, Store, StoreError};

/// A label to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLabel<'a> {
    pub profile_id: &'a str,
    pub verdict: Verdict,
    pub source: LabelSource,
    pub at_ms: f64,
    /// Idempotency key; a second label with the same key is ignored.
    pub key: &'a str,
}

/// A swipe log entry (`kind` = `seen` for the page's own calls, `result` for auto-swipe
/// outcomes).
#[derive(Debug, Clone, PartialEq)]
pub struct NewSwipe<'a> {
    pub kind: &'a str,
    pub profile_id: &'a str,
    pub verdict: Verdict,
    pub source: LabelSource,
    pub at_ms: f64,
    pub key: &'a str,
    pub matched: Option<bool>,
    pub score: Option<f64>,
    pub reason: Option<&'a str>,
    pub response: Option<&'a Value>,
}

fn verdict_of(s: &str) -> Option<Verdict> {
    Verdict::parse(s)
}

impl Store {
    /// Stores a label. Returns false when a label with the same key exists (a replay):
    /// nothing changes then.
    pub fn add_label(&mut self, l: &NewLabel<'_>) -> Result<bool, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = insert_label(&tx, l)?;
        tx.commit()?;
        faults::panic_point("label");
        Ok(n)
    }

    /// Logs a swipe and, when `label` is set, stores the matching label — in one
    /// transaction. A match (`matched == Some(true)`) is recorded too. Returns false for a
    /// replayed key (nothing changes).
    pub fn record_swipe(&mut self, s: &NewSwipe<'_>, label: bool) -> Result<bool, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let response = s.response.map(serde_json::to_string).transpose()?;
        let n = tx.execute(
            "INSERT INTO swipes (kind, profile_id, verdict, source, at_ms, key, matched, score,
                reason, response, stored_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT(kind, key) DO NOTHING",
            params![
                s.kind,
                s.profile_id,
                s.verdict.as_str(),
                s.source.as_str(),
                s.at_ms,
                s.key,
                s.matched,
                s.score,
                s.reason,
                response,
                now_ms()
            ],
        )?;
        if n == 0 {
            return Ok(false);
        }
        if label {
            insert_label(
                &tx,
                &NewLabel {
                    profile_id: s.profile_id,
                    verdict: s.verdict,
                    source: s.source,
                    at_ms: s.at_ms,
                    key: s.key,
                },
            )?;
        }
        if s.matched == Some(true) {
            tx.execute(
                "INSERT INTO matches (profile_id, at_ms) VALUES (?1, ?2)
                 ON CONFLICT(profile_id) DO NOTHING",
                params![s.profile_id, s.at_ms],
            )?;
        }
        tx.commit()?;
        if label {
            faults::panic_point("label");
        }
        Ok(true)
    }

    /// The latest label of a profile (by `at_ms`, then by arrival).
    pub fn latest_label(&self, id: &str) -> Result<Option<(Verdict, LabelSource)>, StoreError> {
        let row: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT verdict, source FROM labels WHERE profile_id = ?1
                 ORDER BY at_ms DESC, id DESC LIMIT 1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(row.and_then(|(v, s)| Some((verdict_of(&v)?, LabelSource::parse(&s)?))))
    }

    /// How many label rows (history included) a profile has.
    pub fn label_history_len(&self, id: &str) -> Result<u32, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM labels WHERE profile_id = ?1",
            [id],
            |r| r.get(0),
        )?)
    }

    /// Latest label of every labelled profile: (profile id, verdict).
    pub fn latest_labels(&self) -> Result<Vec<(String, Verdict)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT profile_id, verdict FROM labels l WHERE id = (
                SELECT id FROM labels WHERE profile_id = l.profile_id
                ORDER BY at_ms DESC, id DESC LIMIT 1)
             ORDER BY profile_id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, v) = row?;
            if let Some(v) = verdict_of(&v) {
                out.push((id, v));
            }
        }
        Ok(out)
    }
}

fn insert_label(tx: &rusqlite::Transaction<'_>, l: &NewLabel<'_>) -> Result<bool, StoreError> {
    let n = tx.execute(
        "INSERT INTO labels (profile_id, verdict, source, at_ms, key, stored_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(key) DO NOTHING",
        params![
            l.profile_id,
            l.verdict.as_str(),
            l.source.as_str(),
            l.at_ms,
            l.key,
            now_ms()
        ],
    )?;
    Ok(n > 0)
}
