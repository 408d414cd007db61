//! Profiles as captured: ingesting recs pages (fields, photo URLs, raw captures kept,
//! labelled or photographed profiles never rewritten) and the captures kept per profile.

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use swipy_shared::tinder::Profile;

use super::{Store, StoreError, MAX_CAPTURES_PER_PROFILE, MAX_PHOTOS_PER_PROFILE};

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

impl Store {
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
