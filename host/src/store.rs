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
pub mod learning;
pub mod migrations;

pub use learning::{LearnProfile, StoredScore};

use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use swipy_shared::protocol::{LabelSource, Metrics, Stats, Verdict};
use swipy_shared::tinder::Profile;

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

/// A photo the fetcher should download.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoJob {
    pub profile_id: String,
    pub idx: u32,
    pub url: String,
}

/// What one ingest stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IngestOutcome {
    pub profiles: u32,
    pub new_profiles: u32,
    /// Profiles seen again that already had a label or a stored photo: their capture went
    /// to the history only; their fields and photos did not change.
    pub kept: u32,
    /// Photos not downloaded yet, best URL first per profile.
    pub to_fetch: Vec<PhotoJob>,
}

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

/// A photo file in the store.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPhoto {
    pub sha256: String,
    /// Relative to the data dir.
    pub path: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
}

/// A trained model row.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRow {
    pub version: u32,
    pub created_ms: f64,
    pub metrics: Metrics,
    pub onnx: Vec<u8>,
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
fn day_start_ms(ms: f64) -> f64 {
    (ms / 86_400_000.0).floor() * 86_400_000.0
}

fn verdict_of(s: &str) -> Option<Verdict> {
    Verdict::parse(s)
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

    /// Stores (or refreshes) profiles and their photo URLs (at most
    /// [`MAX_PHOTOS_PER_PROFILE`] each). Every capture's raw JSON goes to `captures`.
    /// Seeing a profile again updates its fields and photos — unless it already has a
    /// label or a stored photo: then the first capture stays the truth and only
    /// `last_seen`/`times_seen` move (a forged or replayed page cannot rewrite what the
    /// user labelled). Nothing is duplicated. `source` is logged.
    pub fn ingest(
        &mut self,
        profiles: &[Profile],
        skipped: u32,
        rate_limited: bool,
        seen_ms: f64,
        source: &str,
    ) -> Result<IngestOutcome, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut out = IngestOutcome::default();
        for p in profiles {
            let existed: bool = tx
                .query_row("SELECT 1 FROM profiles WHERE id = ?1", [&p.id], |_| Ok(()))
                .optional()?
                .is_some();
            let raw = serde_json::to_string(&p.raw)?;
            let protected = existed && is_protected(&tx, &p.id)?;
            record_capture(&tx, &p.id, seen_ms, &raw, source, !protected)?;
            if protected {
                tx.execute(
                    "UPDATE profiles SET last_seen = max(last_seen, ?2),
                        times_seen = times_seen + 1 WHERE id = ?1",
                    params![p.id, seen_ms],
                )?;
                out.to_fetch.extend(unfetched(&tx, &p.id)?);
                out.profiles += 1;
                out.kept += 1;
                continue;
            }
            tx.execute(
                "INSERT INTO profiles (id, name, age, birth_date, bio, distance_km, hide_age,
                    hide_distance, gender, city, jobs, schools, interests, descriptors, teasers,
                    s_number, raw, first_seen, last_seen)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                    ?17, ?18, ?18)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name, age = excluded.age,
                    birth_date = excluded.birth_date, bio = excluded.bio,
                    distance_km = excluded.distance_km, hide_age = excluded.hide_age,
                    hide_distance = excluded.hide_distance, gender = excluded.gender,
                    city = excluded.city, jobs = excluded.jobs, schools = excluded.schools,
                    interests = excluded.interests, descriptors = excluded.descriptors,
                    teasers = excluded.teasers, s_number = excluded.s_number,
                    raw = excluded.raw, last_seen = max(last_seen, excluded.last_seen),
                    times_seen = times_seen + 1",
                params![
                    p.id,
                    p.name,
                    p.age,
                    p.birth_date,
                    p.bio,
                    p.distance_km,
                    p.hide_age,
                    p.hide_distance,
                    p.gender,
                    p.city,
                    serde_json::to_string(&p.jobs)?,
                    serde_json::to_string(&p.schools)?,
                    serde_json::to_string(&p.interests)?,
                    serde_json::to_string(&p.descriptors)?,
                    serde_json::to_string(&p.teasers)?,
                    p.s_number,
                    raw,
                    seen_ms,
                ],
            )?;
            let photos = &p.photos[..p.photos.len().min(MAX_PHOTOS_PER_PROFILE)];
            for (idx, ph) in photos.iter().enumerate() {
                let idx = idx as u32;
                tx.execute(
                    "INSERT INTO photos (profile_id, idx, photo_id, url, best_url, faces)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT(profile_id, idx) DO UPDATE SET
                        photo_id = excluded.photo_id, url = excluded.url,
                        best_url = excluded.best_url, faces = excluded.faces,
                        sha256 = CASE WHEN photos.photo_id IS excluded.photo_id THEN photos.sha256 END,
                        path = CASE WHEN photos.photo_id IS excluded.photo_id THEN photos.path END,
                        width = CASE WHEN photos.photo_id IS excluded.photo_id THEN photos.width END,
                        height = CASE WHEN photos.photo_id IS excluded.photo_id THEN photos.height END,
                        bytes = CASE WHEN photos.photo_id IS excluded.photo_id THEN photos.bytes END,
                        fetched_at = CASE WHEN photos.photo_id IS excluded.photo_id THEN photos.fetched_at END",
                    params![
                        p.id,
                        idx,
                        ph.id,
                        ph.url,
                        ph.best_url,
                        serde_json::to_string(&ph.faces)?
                    ],
                )?;
            }
            // Photos beyond the current count belong to an older version of the profile.
            tx.execute(
                "DELETE FROM photos WHERE profile_id = ?1 AND idx >= ?2",
                params![p.id, photos.len() as u32],
            )?;
            out.to_fetch.extend(unfetched(&tx, &p.id)?);
            out.profiles += 1;
            if !existed {
                out.new_profiles += 1;
            }
        }
        tx.execute(
            "INSERT INTO recs_log (captured_at_ms, profiles, skipped, rate_limited, source)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![seen_ms, out.profiles, skipped, rate_limited, source],
        )?;
        tx.commit()?;
        Ok(out)
    }

    pub fn profile_exists(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT 1 FROM profiles WHERE id = ?1", [id], |_| Ok(()))
            .optional()?
            .is_some())
    }

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

    /// Photos known (URLs) in the store, downloaded or not.
    pub fn photos_known(&self) -> Result<u32, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM photos", [], |r| r.get(0))?)
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

    /// Writes photo bytes content-addressed under `photos/` (temp file + rename, so a
    /// partial file never appears under its final name). Returns (sha256 hex, path
    /// relative to the data dir).
    pub fn write_photo_file(
        data_dir: &Path,
        bytes: &[u8],
        ext: &str,
    ) -> Result<(String, String), StoreError> {
        let sha = hex(&Sha256::digest(bytes));
        let rel = format!("photos/{}/{}.{}", &sha[..2], sha, ext);
        let path = data_dir.join(&rel);
        if !path.exists() {
            let dir = path.parent().unwrap_or(data_dir);
            std::fs::create_dir_all(dir)?;
            let mut tmp = tempfile::Builder::new().prefix(".part-").tempfile_in(dir)?;
            tmp.write_all(bytes)?;
            tmp.as_file().sync_all()?;
            tmp.persist(&path).map_err(|e| e.error)?;
        }
        Ok((sha, rel))
    }

    /// Records a downloaded photo.
    pub fn record_photo(
        &mut self,
        profile_id: &str,
        idx: u32,
        p: &StoredPhoto,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE photos SET sha256 = ?3, path = ?4, width = ?5, height = ?6, bytes = ?7,
                fetched_at = ?8, fetch_error = NULL
             WHERE profile_id = ?1 AND idx = ?2",
            params![
                profile_id,
                idx,
                p.sha256,
                p.path,
                p.width,
                p.height,
                p.bytes as i64,
                now_ms()
            ],
        )?;
        Ok(())
    }

    /// Records why a photo could not be downloaded.
    pub fn record_photo_error(
        &mut self,
        profile_id: &str,
        idx: u32,
        error: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE photos SET fetch_error = ?3 WHERE profile_id = ?1 AND idx = ?2",
            params![profile_id, idx, error],
        )?;
        Ok(())
    }

    /// Downloaded photos of a profile, in order: (idx, path relative to the data dir).
    pub fn photo_files(&self, profile_id: &str) -> Result<Vec<(u32, String)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT idx, path FROM photos WHERE profile_id = ?1 AND path IS NOT NULL ORDER BY idx",
        )?;
        let rows = stmt.query_map([profile_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Stored photo row: (sha256, width, height, fetch_error).
    #[allow(clippy::type_complexity)]
    pub fn photo_row(
        &self,
        profile_id: &str,
        idx: u32,
    ) -> Result<Option<(Option<String>, Option<u32>, Option<u32>, Option<String>)>, StoreError>
    {
        Ok(self
            .conn
            .query_row(
                "SELECT sha256, width, height, fetch_error FROM photos
                 WHERE profile_id = ?1 AND idx = ?2",
                params![profile_id, idx],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?)
    }

    /// Caches an embedding (`key` = photo sha256 or text hash, `model` = model id).
    pub fn put_embedding(&mut self, key: &str, model: &str, vec: &[f32]) -> Result<(), StoreError> {
        let blob: Vec<u8> = vec.iter().flat_map(|f| f.to_le_bytes()).collect();
        self.conn.execute(
            "INSERT INTO embeddings (key, model, dim, vec, created) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(key, model) DO UPDATE SET dim = excluded.dim, vec = excluded.vec,
                created = excluded.created",
            params![key, model, vec.len() as u32, blob, now_ms()],
        )?;
        Ok(())
    }

    pub fn get_embedding(&self, key: &str, model: &str) -> Result<Option<Vec<f32>>, StoreError> {
        let blob: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT vec FROM embeddings WHERE key = ?1 AND model = ?2",
                [key, model],
                |r| r.get(0),
            )
            .optional()?;
        Ok(blob.map(|b| {
            b.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        }))
    }

    /// Stores a trained model and makes it the active one; returns its version.
    /// `labels_as_of` (ms) is when the training read its labels: labels stored later count
    /// as new ([`Store::labels_since_model`]).
    pub fn add_model(
        &mut self,
        metrics: &Metrics,
        onnx: &[u8],
        labels_as_of: f64,
    ) -> Result<u32, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("UPDATE models SET active = 0", [])?;
        tx.execute(
            "INSERT INTO models (created, metrics, onnx, active) VALUES (?1, ?2, ?3, 1)",
            params![labels_as_of, serde_json::to_string(metrics)?, onnx],
        )?;
        let v = tx.last_insert_rowid() as u32;
        tx.commit()?;
        Ok(v)
    }

    fn active_model_meta(&self) -> Result<Option<(u32, Metrics)>, StoreError> {
        let row: Option<(u32, String)> = self
            .conn
            .query_row(
                "SELECT version, metrics FROM models WHERE active = 1 ORDER BY version DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        row.map(|(v, m)| Ok((v, serde_json::from_str(&m)?)))
            .transpose()
    }

    /// The active model, if any.
    pub fn active_model(&self) -> Result<Option<ModelRow>, StoreError> {
        let row: Option<(u32, f64, String, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT version, created, metrics, onnx FROM models WHERE active = 1
                 ORDER BY version DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        row.map(|(version, created_ms, m, onnx)| {
            Ok(ModelRow {
                version,
                created_ms,
                metrics: serde_json::from_str(&m)?,
                onnx,
            })
        })
        .transpose()
    }

    /// Captures kept for a profile, oldest first: (capture time, source, whether it became
    /// the profile's fields, raw JSON).
    pub fn captures(&self, id: &str) -> Result<Vec<(f64, String, bool, String)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT captured_at_ms, source, applied, raw FROM captures WHERE profile_id = ?1
             ORDER BY id",
        )?;
        let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The raw connection, for the learning code's own queries.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// Photos of a profile not downloaded yet, in order.
fn unfetched(tx: &rusqlite::Transaction<'_>, id: &str) -> Result<Vec<PhotoJob>, StoreError> {
    let mut stmt = tx.prepare_cached(
        "SELECT idx, best_url FROM photos WHERE profile_id = ?1 AND sha256 IS NULL ORDER BY idx",
    )?;
    let jobs = stmt.query_map([id], |r| {
        Ok(PhotoJob {
            profile_id: id.to_owned(),
            idx: r.get(0)?,
            url: r.get(1)?,
        })
    })?;
    Ok(jobs.collect::<Result<Vec<_>, _>>()?)
}

/// Whether a stored profile has a label or a downloaded photo (its first capture is then
/// the truth).
fn is_protected(tx: &rusqlite::Transaction<'_>, id: &str) -> Result<bool, StoreError> {
    Ok(tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM labels WHERE profile_id = ?1)
                OR EXISTS (SELECT 1 FROM photos WHERE profile_id = ?1 AND sha256 IS NOT NULL)",
        [id],
        |r| r.get(0),
    )?)
}

/// Keeps one capture's raw JSON (`applied` = it became the profile's fields). A capture
/// equal to the profile's latest one is not stored again; beyond
/// [`MAX_CAPTURES_PER_PROFILE`] the oldest but the first are dropped.
fn record_capture(
    tx: &rusqlite::Transaction<'_>,
    id: &str,
    at_ms: f64,
    raw: &str,
    source: &str,
    applied: bool,
) -> Result<(), StoreError> {
    let latest: Option<String> = tx
        .query_row(
            "SELECT raw FROM captures WHERE profile_id = ?1 ORDER BY id DESC LIMIT 1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    if latest.as_deref() == Some(raw) {
        return Ok(());
    }
    tx.execute(
        "INSERT INTO captures (profile_id, captured_at_ms, source, applied, raw)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, at_ms, source, applied, raw],
    )?;
    tx.execute(
        "DELETE FROM captures WHERE profile_id = ?1
            AND id <> (SELECT min(id) FROM captures WHERE profile_id = ?1)
            AND id NOT IN (SELECT id FROM captures WHERE profile_id = ?1
                ORDER BY id DESC LIMIT ?2)",
        params![id, MAX_CAPTURES_PER_PROFILE - 1],
    )?;
    Ok(())
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

/// Lower-case hex of bytes.
/// Photo temp files (`photos/xx/.part-*`) older than this are left over from a process that
/// died mid-write; younger ones may belong to a running download.
pub const PARTIAL_PHOTO_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Removes photo temp files older than `max_age` (best effort: a file that cannot be read
/// or removed is left for the next open). Returns how many were removed.
pub fn sweep_partial_photos(data_dir: &Path, max_age: std::time::Duration) -> usize {
    let Ok(dirs) = std::fs::read_dir(data_dir.join("photos")) else {
        return 0;
    };
    let now = std::time::SystemTime::now();
    let mut removed = 0;
    for dir in dirs.flatten() {
        let Ok(files) = std::fs::read_dir(dir.path()) else {
            continue;
        };
        for f in files.flatten() {
            if !f.file_name().to_string_lossy().starts_with(".part-") {
                continue;
            }
            let old = f
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age >= max_age);
            if old && std::fs::remove_file(f.path()).is_ok() {
                removed += 1;
            }
        }
    }
    if removed > 0 {
        log::info!("removed {removed} unfinished photo file(s) left by an earlier run");
    }
    removed
}

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
