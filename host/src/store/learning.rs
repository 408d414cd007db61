//! Store queries for the learning code and the dashboard: the embedding cache, model
//! inputs, last scores, the profile list, per-day history and matches.

use std::path::PathBuf;

use rusqlite::{params, OptionalExtension};
use swipy_models::EmbeddingCache;
use swipy_shared::protocol::{
    DayCounts, History, LabelSource, MatchRates, Parts, ProfileItem, Score, ScoreHistogram,
    ScoreState, Verdict,
};
use swipy_shared::tinder::{FaceBox, Photo, Profile};

use super::{now_ms, Store, StoreError};

/// A page of profile rows with the path of each one's first stored photo, and the total.
pub type ProfilePage = (u32, Vec<(ProfileItem, Option<PathBuf>)>);

/// Bins of the dashboard's score histogram.
pub const HISTOGRAM_BINS: u32 = 10;

/// What the model needs of one stored profile.
#[derive(Debug, Clone, PartialEq)]
pub struct LearnProfile {
    pub profile: Profile,
    /// Downloaded photos: (index into `profile.photos`, sha256, absolute path).
    pub photos: Vec<(usize, String, PathBuf)>,
    /// Photos still waiting for their download (no file, no error).
    pub waiting: u32,
}

/// The last score stored for a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredScore {
    pub p_like: Option<f64>,
    pub parts: Parts,
    pub model_version: Option<u32>,
    pub at_ms: f64,
}

impl EmbeddingCache for Store {
    fn get(&self, key: &str, model: &str) -> Option<Vec<f32>> {
        match self.get_embedding(key, model) {
            Ok(v) => v,
            Err(e) => {
                log::warn!("embedding cache read failed: {e}");
                None
            }
        }
    }
    fn put(&self, key: &str, model: &str, v: &[f32]) {
        let blob: Vec<u8> = v.iter().flat_map(|f| f.to_le_bytes()).collect();
        if let Err(e) = self.conn.execute(
            "INSERT INTO embeddings (key, model, dim, vec, created) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(key, model) DO UPDATE SET dim = excluded.dim, vec = excluded.vec,
                created = excluded.created",
            params![key, model, v.len() as u32, blob, now_ms()],
        ) {
            log::warn!("embedding cache write failed: {e}");
        }
    }
}

const LATEST_VERDICT: &str = "(SELECT verdict FROM labels WHERE profile_id = p.id
    ORDER BY at_ms DESC, id DESC LIMIT 1)";
const LATEST_SOURCE: &str = "(SELECT source FROM labels WHERE profile_id = p.id
    ORDER BY at_ms DESC, id DESC LIMIT 1)";

impl Store {
    /// Number of stored embeddings (tests and `doctor`).
    pub fn embedding_count(&self) -> Result<u32, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM embeddings", [], |r| r.get(0))?)
    }

    /// Model inputs of these profiles (`None` for ids not in the store).
    pub fn learn_profiles(&self, ids: &[String]) -> Result<Vec<Option<LearnProfile>>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        let mut pstmt = self.conn.prepare_cached(
            "SELECT name, age, bio, distance_km, hide_age, hide_distance, jobs, schools,
                interests, descriptors FROM profiles WHERE id = ?1",
        )?;
        let mut phstmt = self.conn.prepare_cached(
            "SELECT idx, url, best_url, faces, sha256, path, fetch_error FROM photos
             WHERE profile_id = ?1 ORDER BY idx",
        )?;
        for id in ids {
            let row = pstmt
                .query_row([id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<u32>>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<f64>>(3)?,
                        r.get::<_, bool>(4)?,
                        r.get::<_, bool>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, String>(7)?,
                        r.get::<_, String>(8)?,
                        r.get::<_, String>(9)?,
                    ))
                })
                .optional()?;
            let Some((name, age, bio, dist, hide_age, hide_dist, jobs, schools, ints, descs)) = row
            else {
                out.push(None);
                continue;
            };
            let list = |s: &str| serde_json::from_str::<Vec<String>>(s).unwrap_or_default();
            let mut profile = Profile {
                id: id.clone(),
                name,
                age,
                bio,
                distance_km: dist,
                hide_age,
                hide_distance: hide_dist,
                jobs: list(&jobs),
                schools: list(&schools),
                interests: list(&ints),
                descriptors: list(&descs),
                ..Profile::default()
            };
            let mut photos = Vec::new();
            let mut waiting = 0;
            let rows = phstmt.query_map([id], |r| {
                Ok((
                    r.get::<_, u32>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            })?;
            for row in rows {
                let (idx, url, best_url, faces, sha, path, error) = row?;
                let faces: Vec<FaceBox> = serde_json::from_str(&faces).unwrap_or_default();
                let i = profile.photos.len();
                profile.photos.push(Photo {
                    id: None,
                    url,
                    best_url,
                    faces,
                });
                let _ = idx;
                match (sha, path) {
                    (Some(sha), Some(path)) => photos.push((i, sha, self.data_dir.join(path))),
                    _ if error.is_none() => waiting += 1,
                    _ => {}
                }
            }
            out.push(Some(LearnProfile {
                profile,
                photos,
                waiting,
            }));
        }
        Ok(out)
    }

    /// Ids of all profiles (oldest first) or only of those without a label.
    pub fn profile_ids(&self, unlabelled_only: bool) -> Result<Vec<String>, StoreError> {
        let sql = if unlabelled_only {
            "SELECT id FROM profiles p WHERE NOT EXISTS
                (SELECT 1 FROM labels WHERE profile_id = p.id) ORDER BY first_seen, rowid"
        } else {
            "SELECT id FROM profiles ORDER BY first_seen, rowid"
        };
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<Vec<String>, _>>()?)
    }

    /// Stores the last score of each profile (replacing the previous one).
    pub fn save_scores(&mut self, scores: &[Score]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let at = now_ms();
        for s in scores.iter().filter(|s| s.state == ScoreState::Ready) {
            tx.execute(
                "INSERT INTO scores (profile_id, p_like, parts, model_version, at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(profile_id) DO UPDATE SET p_like = excluded.p_like,
                    parts = excluded.parts, model_version = excluded.model_version,
                    at_ms = excluded.at_ms",
                params![
                    s.id,
                    s.p_like,
                    serde_json::to_string(&s.parts)?,
                    s.model_version,
                    at
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The last stored score of a profile.
    pub fn last_score(&self, id: &str) -> Result<Option<StoredScore>, StoreError> {
        let row: Option<(Option<f64>, String, Option<u32>, f64)> = self
            .conn
            .query_row(
                "SELECT p_like, parts, model_version, at_ms FROM scores WHERE profile_id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        row.map(|(p_like, parts, model_version, at_ms)| {
            Ok(StoredScore {
                p_like,
                parts: serde_json::from_str(&parts)?,
                model_version,
                at_ms,
            })
        })
        .transpose()
    }

    /// Version of the active model, if any.
    pub fn active_model_version(&self) -> Result<Option<u32>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT version FROM models WHERE active = 1 ORDER BY version DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Label rows stored after the active model was created (all when there is none).
    pub fn labels_since_model(&self) -> Result<u32, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM labels WHERE stored_at >
                coalesce((SELECT max(created) FROM models WHERE active = 1), 0)",
            [],
            |r| r.get(0),
        )?)
    }

    /// Records matches (profile ids) seen in Tinder's matches list; returns how many were new.
    pub fn record_matches(&mut self, ids: &[String], at_ms: f64) -> Result<u32, StoreError> {
        let tx = self.conn.transaction()?;
        let mut n = 0;
        for id in ids {
            n += tx.execute(
                "INSERT INTO matches (profile_id, at_ms) VALUES (?1, ?2)
                 ON CONFLICT(profile_id) DO NOTHING",
                params![id, at_ms],
            )? as u32;
        }
        tx.commit()?;
        Ok(n)
    }

    /// Profile ids Tinder lists as matches.
    pub fn matched_ids(&self) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT profile_id FROM matches")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One page of the dashboard's profile list (newest first) without thumbnails, plus
    /// the first stored photo's path of each, and the total matching `filter`.
    pub fn profiles_page(
        &self,
        limit: u32,
        offset: u32,
        filter: &str,
    ) -> Result<ProfilePage, StoreError> {
        let cond = match filter {
            "labelled" => format!("{LATEST_VERDICT} IS NOT NULL"),
            "unlabelled" => format!("{LATEST_VERDICT} IS NULL"),
            "liked" => format!("{LATEST_VERDICT} IN ('like', 'superlike')"),
            "noped" => format!("{LATEST_VERDICT} = 'nope'"),
            "matched" => "EXISTS (SELECT 1 FROM matches WHERE profile_id = p.id)".into(),
            "auto" => format!("{LATEST_SOURCE} = 'auto'"),
            _ => "1".into(),
        };
        let total: u32 = self.conn.query_row(
            &format!("SELECT count(*) FROM profiles p WHERE {cond}"),
            [],
            |r| r.get(0),
        )?;
        let sql = format!(
            "SELECT p.id, p.name, p.age, p.hide_age, p.distance_km, p.hide_distance, p.bio,
                (SELECT count(*) FROM photos WHERE profile_id = p.id),
                {LATEST_VERDICT}, {LATEST_SOURCE},
                s.p_like, s.model_version,
                (SELECT reason FROM swipes WHERE profile_id = p.id AND reason IS NOT NULL
                    ORDER BY at_ms DESC, id DESC LIMIT 1),
                EXISTS (SELECT 1 FROM matches WHERE profile_id = p.id),
                (SELECT path FROM photos WHERE profile_id = p.id AND path IS NOT NULL
                    ORDER BY idx LIMIT 1)
             FROM profiles p LEFT JOIN scores s ON s.profile_id = p.id
             WHERE {cond}
             ORDER BY p.last_seen DESC, p.rowid DESC LIMIT ?1 OFFSET ?2"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params![limit, offset], |r| {
            let hide_age: bool = r.get(3)?;
            let hide_dist: bool = r.get(5)?;
            let verdict: Option<String> = r.get(8)?;
            let source: Option<String> = r.get(9)?;
            let path: Option<String> = r.get(14)?;
            Ok((
                ProfileItem {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    age: if hide_age { None } else { r.get(2)? },
                    distance_km: if hide_dist { None } else { r.get(4)? },
                    bio: r.get(6)?,
                    photo_count: r.get(7)?,
                    label: verdict.as_deref().and_then(Verdict::parse),
                    label_source: source.as_deref().and_then(LabelSource::parse),
                    p_like: r.get(10)?,
                    model_version: r.get(11)?,
                    decision_reason: r.get(12)?,
                    matched: r.get(13)?,
                    thumb: None,
                },
                path.map(|p| self.data_dir.join(p)),
            ))
        })?;
        Ok((total, rows.collect::<Result<Vec<_>, _>>()?))
    }

    /// Per-day counts, the score histogram and match rates for the dashboard.
    pub fn history(&self) -> Result<History, StoreError> {
        use std::collections::BTreeMap;
        let day = |ms: f64| -> String { day_string(ms) };
        let mut days: BTreeMap<String, DayCounts> = BTreeMap::new();
        let entry = |d: String| -> DayCounts {
            DayCounts {
                day: d,
                ..DayCounts::default()
            }
        };
        {
            let mut stmt = self.conn.prepare("SELECT first_seen FROM profiles")?;
            let rows = stmt.query_map([], |r| r.get::<_, f64>(0))?;
            for ms in rows {
                let d = day(ms?);
                days.entry(d.clone()).or_insert_with(|| entry(d)).seen += 1;
            }
        }
        {
            // Each label row is one decision (history kept: relabels count on their day).
            let mut stmt = self
                .conn
                .prepare("SELECT verdict, source, at_ms FROM labels")?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, f64>(2)?,
                ))
            })?;
            for row in rows {
                let (v, src, ms) = row?;
                let d = day(ms);
                let e = days.entry(d.clone()).or_insert_with(|| entry(d));
                let like = v != "nope";
                match (src == "auto", like) {
                    (true, true) => e.likes_auto += 1,
                    (true, false) => e.nopes_auto += 1,
                    (false, true) => e.likes_user += 1,
                    (false, false) => e.nopes_user += 1,
                }
            }
            let mut stmt = self.conn.prepare(
                "SELECT verdict, at_ms FROM swipes s WHERE kind = 'result' AND NOT EXISTS
                    (SELECT 1 FROM labels WHERE key = s.key)",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)?)))?;
            for row in rows {
                let (v, ms) = row?;
                let d = day(ms);
                let e = days.entry(d.clone()).or_insert_with(|| entry(d));
                if v == "nope" {
                    e.nopes_auto += 1;
                } else {
                    e.likes_auto += 1;
                }
            }
            let mut stmt = self.conn.prepare("SELECT at_ms FROM matches")?;
            let rows = stmt.query_map([], |r| r.get::<_, f64>(0))?;
            for ms in rows {
                let d = day(ms?);
                days.entry(d.clone()).or_insert_with(|| entry(d)).matches += 1;
            }
        }
        let mut histogram = ScoreHistogram {
            bins: HISTOGRAM_BINS,
            liked: vec![0; HISTOGRAM_BINS as usize],
            passed: vec![0; HISTOGRAM_BINS as usize],
        };
        {
            let mut stmt = self.conn.prepare(&format!(
                "SELECT s.p_like, {LATEST_VERDICT} FROM scores s JOIN profiles p
                    ON p.id = s.profile_id WHERE s.p_like IS NOT NULL"
            ))?;
            let rows = stmt.query_map([], |r| {
                Ok((r.get::<_, f64>(0)?, r.get::<_, Option<String>>(1)?))
            })?;
            for row in rows {
                let (p, v) = row?;
                let bin = ((p.clamp(0.0, 1.0) * f64::from(HISTOGRAM_BINS)) as usize)
                    .min(HISTOGRAM_BINS as usize - 1);
                match v.as_deref() {
                    Some("nope") => histogram.passed[bin] += 1,
                    Some(_) => histogram.liked[bin] += 1,
                    None => {}
                }
            }
        }
        // Match rates: liked profiles by who liked them (latest label), matched or not. A
        // like Tinder refused (out of likes: its answer has `rate_limited_until`) could never
        // match and does not count.
        let mut rates = MatchRates::default();
        {
            let mut stmt = self.conn.prepare(&format!(
                "SELECT {LATEST_SOURCE}, EXISTS (SELECT 1 FROM matches WHERE profile_id = p.id)
                 FROM profiles p WHERE {LATEST_VERDICT} IN ('like', 'superlike')
                 AND (SELECT json_extract(w.response, '$.rate_limited_until') FROM swipes w
                      WHERE w.profile_id = p.id ORDER BY w.at_ms DESC LIMIT 1) IS NULL"
            ))?;
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?)))?;
            for row in rows {
                let (src, matched) = row?;
                if src == "auto" {
                    rates.auto_likes += 1;
                    rates.auto_matches += u32::from(matched);
                } else {
                    rates.user_likes += 1;
                    rates.user_matches += u32::from(matched);
                }
            }
            let rate = |m: u32, l: u32| (l > 0).then(|| f64::from(m) / f64::from(l));
            rates.auto_rate = rate(rates.auto_matches, rates.auto_likes);
            rates.user_rate = rate(rates.user_matches, rates.user_likes);
        }
        Ok(History {
            days: days.into_values().collect(),
            histogram,
            match_rates: rates,
        })
    }
}

/// `YYYY-MM-DD` (UTC) of a time in ms since the epoch.
pub fn day_string(ms: f64) -> String {
    let days = (ms / 86_400_000.0).floor() as i64;
    // Days since the epoch to a proleptic Gregorian date.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}
