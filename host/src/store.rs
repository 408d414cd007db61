//! The host's store: one SQLite database (`<data dir>/swipy.db`, WAL mode) plus
//! content-addressed photo files (`<data dir>/photos/ab/abcdef….jpg`).
//!
//! Tables (see [`migrations`]): `profiles` (parsed fields + raw JSON), `photos`,
//! `labels` (full history, the latest by `at_ms` wins, idempotency key UNIQUE), `swipes`
//! (log of the page's swipes and auto-swipe outcomes), `matches`, `settings` (key → JSON),
//! `embeddings` and `models` (for the learning code), `recs_log`.
//!
//! Every write that a client is told about happens inside a transaction that has
//! committed before the method returns, and every connection runs with
//! `PRAGMA synchronous = FULL` ([`SYNCHRONOUS`]): in WAL mode that syncs the log to disk at
//! each commit, so a label the host acknowledged survives a power loss, not only a crash
//! of the process (with `NORMAL` the last commits may roll back after a power loss).
//!
//! Captures never rewrite history: each capture's raw JSON is kept in `captures`, and a
//! profile that already has a label or a stored photo keeps its first capture's fields and
//! photos ([`Store::ingest`]) — a forged or replayed recs page cannot change what the user
//! labelled.

pub mod faults;
mod labels;
pub mod learning;
pub mod migrations;
mod models;
mod photos;
mod profiles;

pub use labels::{NewLabel, NewSwipe};
pub use learning::{LearnProfile, StoredScore};
pub use models::ModelRow;
pub use photos::{sweep_partial_photos, StoredPhoto, PARTIAL_PHOTO_MAX_AGE};
pub use profiles::{IngestOutcome, PhotoJob};

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, TransactionBehavior};
use serde_json::{Map, Value};
use swipy_shared::protocol::{Stats, Verdict};

/// File name of the database inside the data dir.
pub const DB_FILE: &str = "swipy.db";

/// `PRAGMA synchronous` of every store connection: `FULL` (2), so a commit (and so every
/// acknowledged label) survives a power loss.
pub const SYNCHRONOUS: &str = "FULL";

/// Most photos kept per profile (Tinder's own maximum); later ones are ignored.
pub const MAX_PHOTOS_PER_PROFILE: usize = 9;

/// Captures kept per profile in `captures` (the first one always stays).
pub const MAX_CAPTURES_PER_PROFILE: u32 = 16;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
    #[error("stored JSON is damaged: {0}")]
    Json(#[from] serde_json::Error),
}

/// One row of `swipy export`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ExportRow {
    pub id: String,
    pub name: String,
    pub age: Option<u32>,
    pub distance_km: Option<f64>,
    pub bio: String,
    /// Photos the profile has (known URLs, downloaded or not).
    pub photos: u32,
    /// Photos downloaded into the store.
    pub photos_fetched: u32,
    /// Latest label, if any.
    pub label: Option<String>,
    pub label_source: Option<String>,
    pub first_seen_ms: f64,
    pub last_seen_ms: f64,
}

pub struct Store {
    conn: Connection,
    data_dir: PathBuf,
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// Start of the UTC day containing `ms`.
pub(super) fn day_start_ms(ms: f64) -> f64 {
    (ms / 86_400_000.0).floor() * 86_400_000.0
}

impl Store {
    /// Opens (creating when needed) the store in `data_dir`, in WAL mode, migrated.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir)?;
        let mut conn = Connection::open(data_dir.join(DB_FILE))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", SYNCHRONOUS)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrations::migrate(&mut conn)?;
        sweep_partial_photos(data_dir, PARTIAL_PHOTO_MAX_AGE);
        Ok(Self {
            conn,
            data_dir: data_dir.to_path_buf(),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The journal mode in effect (`wal` after [`Store::open`]).
    pub fn journal_mode(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))?)
    }

    /// `PRAGMA synchronous` in effect on this connection (2 = `FULL`, see [`SYNCHRONOUS`]).
    pub fn synchronous(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))?)
    }

    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Counts for the popup, dashboard and `swipy stats`.
    pub fn stats(&self, now_ms: f64) -> Result<Stats, StoreError> {
        let today = day_start_ms(now_ms);
        let count = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> Result<u32, StoreError> {
            Ok(self.conn.query_row(sql, p, |r| r.get(0))?)
        };
        let mut s = Stats {
            profiles: count("SELECT count(*) FROM profiles", &[])?,
            profiles_today: count(
                "SELECT count(*) FROM profiles WHERE first_seen >= ?1",
                &[&today],
            )?,
            photos: count("SELECT count(*) FROM photos WHERE sha256 IS NOT NULL", &[])?,
            labels_today: count(
                "SELECT count(*) FROM labels WHERE stored_at >= ?1",
                &[&today],
            )?,
            matches: count("SELECT count(*) FROM matches", &[])?,
            ..Stats::default()
        };
        for (_, v) in self.latest_labels()? {
            s.labels += 1;
            match v {
                Verdict::Like => s.likes += 1,
                Verdict::Nope => s.nopes += 1,
                Verdict::Superlike => s.superlikes += 1,
            }
        }
        if let Some(m) = self.active_model_meta()? {
            s.model_version = Some(m.0);
            s.metrics = Some(m.1);
        }
        Ok(s)
    }

    /// All stored settings.
    pub fn settings(&self) -> Result<Map<String, Value>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT key, value FROM settings ORDER BY key")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Map::new();
        for row in rows {
            let (k, v) = row?;
            out.insert(k, serde_json::from_str(&v)?);
        }
        Ok(out)
    }

    /// Merges `values` into the stored settings (a `null` value removes the key), in one
    /// transaction; returns the settings after the change.
    pub fn merge_settings(
        &mut self,
        values: &Map<String, Value>,
    ) -> Result<Map<String, Value>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (k, v) in values {
            if v.is_null() {
                tx.execute("DELETE FROM settings WHERE key = ?1", [k])?;
            } else {
                tx.execute(
                    "INSERT INTO settings (key, value) VALUES (?1, ?2)
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    params![k, serde_json::to_string(v)?],
                )?;
            }
        }
        tx.commit()?;
        self.settings()
    }

    /// One row per profile, ordered by first sighting.
    pub fn export_rows(&self) -> Result<Vec<ExportRow>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT p.id, p.name, p.age, p.distance_km, p.bio, p.first_seen, p.last_seen,
                (SELECT count(*) FROM photos WHERE profile_id = p.id),
                (SELECT count(*) FROM photos WHERE profile_id = p.id AND sha256 IS NOT NULL),
                (SELECT verdict FROM labels WHERE profile_id = p.id
                    ORDER BY at_ms DESC, id DESC LIMIT 1),
                (SELECT source FROM labels WHERE profile_id = p.id
                    ORDER BY at_ms DESC, id DESC LIMIT 1)
             FROM profiles p ORDER BY p.first_seen, p.rowid",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ExportRow {
                id: r.get(0)?,
                name: r.get(1)?,
                age: r.get(2)?,
                distance_km: r.get(3)?,
                bio: r.get(4)?,
                first_seen_ms: r.get(5)?,
                last_seen_ms: r.get(6)?,
                photos: r.get(7)?,
                photos_fetched: r.get(8)?,
                label: r.get(9)?,
                label_source: r.get(10)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The raw connection, for the learning code's own queries.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests;
