//! Turning captured payloads into store rows: recs/core bodies (from the extension or a
//! file), HAR exports, and the prototype's seed layout.

use std::collections::HashMap;
use std::path::Path;

use base64::Engine as _;
use serde_json::{Map, Value};
use swipy_shared::protocol::{
    decode_request, json_depth_exceeds, DecodeError, Envelope, ErrorBody, ErrorCode, LabelSource,
    Request, Verdict, MAX_FRAME_DEPTH, MAX_RECS_BYTES, RECS_ENVELOPE_SLACK,
};
/// HAR `startedDateTime` values are ISO 8601; the one reader is the contract's.
pub use swipy_shared::tinder::parse_iso8601_ms;
use swipy_shared::tinder::{is_plausible_profile_id, Photo, Profile};

use crate::store::{IngestOutcome, NewLabel, Store, StoreError, StoredPhoto};

/// A parsed recs page (the shared crate's parser output).
pub type ParsedRecs = swipy_shared::tinder::RecsPage;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    BadInput(String),
}

/// Decodes one browser → host frame after the checks that come before any parsing: a
/// frame nested deeper than [`MAX_FRAME_DEPTH`] is `bad_json` (found by a byte scan, so no
/// parser ever recurses into it), and a `recs` frame longer than [`MAX_RECS_BYTES`] (+
/// [`RECS_ENVELOPE_SLACK`]) is `bad_data` before the recs parser runs or anything is
/// stored. (Frames over `MAX_FRAME_FROM_BROWSER` never get this far: the transport skips
/// them unread; pages of over `MAX_RECS_RESULTS` results are refused before parsing their
/// profiles.)
pub fn decode_frame(body: &[u8]) -> Result<Envelope<Request>, DecodeError> {
    if json_depth_exceeds(body, MAX_FRAME_DEPTH) {
        return Err(DecodeError {
            id: None,
            error: ErrorBody::new(
                ErrorCode::BadJson,
                format!("frame nests deeper than {MAX_FRAME_DEPTH} levels"),
            ),
        });
    }
    let env = decode_request(body)?;
    if matches!(env.body, Request::Recs { .. }) && body.len() > MAX_RECS_BYTES + RECS_ENVELOPE_SLACK
    {
        return Err(DecodeError {
            id: Some(env.id),
            error: ErrorBody::new(
                ErrorCode::BadData,
                format!(
                    "a recs frame of {} bytes; a recs body may have at most {MAX_RECS_BYTES} (nothing was stored)",
                    body.len()
                ),
            ),
        });
    }
    Ok(env)
}

/// Parses a `/v2/recs/core` body. Never fails: what cannot be used is counted as skipped.
pub fn parse_recs(body: &Value, now_ms: f64) -> ParsedRecs {
    swipy_shared::tinder::parse_recs(body, now_ms)
}

/// Parses and stores one recs body. Returns what was stored and the page's ids in order.
pub fn ingest_recs(
    store: &mut Store,
    body: &Value,
    captured_at_ms: f64,
    source: &str,
) -> Result<(ParsedRecs, IngestOutcome), StoreError> {
    let parsed = parse_recs(body, captured_at_ms);
    let out = store.ingest(
        &parsed.profiles,
        parsed.skipped,
        parsed.rate_limited,
        captured_at_ms,
        source,
    )?;
    Ok((parsed, out))
}

/// Whether a JSON body looks like a recs/core response at all (`data.results` array or
/// the rate-limit shape), so `import-recs` can refuse unrelated files.
pub fn looks_like_recs(body: &Value) -> bool {
    body.pointer("/data/results")
        .map(Value::is_array)
        .unwrap_or(false)
        || body.pointer("/data/timeout").is_some()
        || body.pointer("/meta/status").is_some() && body.get("data").is_some()
}

/// One recs response found in a HAR file.
#[derive(Debug, Clone)]
pub struct HarRecs {
    pub url: String,
    pub started_ms: Option<f64>,
    pub body: Value,
}

/// Extracts every `/v2/recs/core` response with a JSON body from a HAR document
/// (plain or base64-encoded content). Entries without a body are skipped.
pub fn recs_from_har(har: &Value) -> Result<(Vec<HarRecs>, u32), IngestError> {
    let entries = har
        .pointer("/log/entries")
        .and_then(Value::as_array)
        .ok_or_else(|| IngestError::BadInput("not a HAR file: `log.entries` is missing".into()))?;
    let mut out = Vec::new();
    let mut unreadable = 0;
    for e in entries {
        let url = e
            .pointer("/request/url")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !url.contains("/v2/recs/core") {
            continue;
        }
        let content = e.pointer("/response/content");
        let Some(text) = content.and_then(|c| c.get("text")).and_then(Value::as_str) else {
            unreadable += 1;
            continue;
        };
        let encoding = content
            .and_then(|c| c.get("encoding"))
            .and_then(Value::as_str);
        let bytes = if encoding == Some("base64") {
            match base64::engine::general_purpose::STANDARD.decode(text.trim()) {
                Ok(b) => b,
                Err(_) => {
                    unreadable += 1;
                    continue;
                }
            }
        } else {
            text.as_bytes().to_vec()
        };
        let Ok(body) = serde_json::from_slice::<Value>(&bytes) else {
            unreadable += 1;
            continue;
        };
        let started_ms = e
            .get("startedDateTime")
            .and_then(Value::as_str)
            .and_then(parse_iso8601_ms);
        out.push(HarRecs {
            url: url.to_owned(),
            started_ms,
            body,
        });
    }
    Ok((out, unreadable))
}

/// What `import-seed` stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeedOutcome {
    pub profiles: u32,
    pub photos: u32,
    pub labels: u32,
    /// Image files whose name did not follow `{id}_{name}_{n}.jpeg`, or that were not images.
    pub skipped_files: Vec<String>,
}

/// Imports the prototype's layout: `images/{id}_{name}_{n}.jpeg`, `bios.pkl`
/// (`{id: {name, bio, age}}`) and `labels.pkl` (`{id: 0|1}`); each part is optional but at
/// least one must exist. Labels get source `import` and the key `import-seed:{id}`, so a
/// second import adds nothing.
pub fn import_seed(store: &mut Store, dir: &Path, now_ms: f64) -> Result<SeedOutcome, IngestError> {
    let bios_path = dir.join("bios.pkl");
    let labels_path = dir.join("labels.pkl");
    let images_dir = dir.join("images");
    if !bios_path.exists() && !labels_path.exists() && !images_dir.is_dir() {
        return Err(IngestError::BadInput(format!(
            "{} has none of images/, bios.pkl, labels.pkl",
            dir.display()
        )));
    }
    // Both pickles are read and checked before anything is stored: a refused seed changes
    // nothing (an unreadable image later is skipped, not fatal).
    let bios = if bios_path.exists() {
        seed_dict(
            read_pickle(&bios_path)?,
            "bios.pkl",
            "{id: {name, bio, age}}",
        )?
    } else {
        Map::new()
    };
    // An entry is a dict; `None` (nothing scraped) and a plain string (the bio alone) are
    // read as such too.
    if let Some((id, v)) = bios
        .iter()
        .find(|(_, v)| !(v.is_object() || v.is_null() || v.is_string()))
    {
        return Err(IngestError::BadInput(format!(
            "bios.pkl: the entry of {id} is {}, expected a dict {{name, bio, age}}",
            shown(v)
        )));
    }
    let labels = if labels_path.exists() {
        seed_dict(read_pickle(&labels_path)?, "labels.pkl", "{id: 0|1}")?
    } else {
        Map::new()
    };
    let mut verdicts = Vec::with_capacity(labels.len());
    for (id, v) in &labels {
        let n = v
            .as_f64()
            .filter(|f| *f == 0.0 || *f == 1.0)
            .map(|f| f as i64)
            .or_else(|| v.as_bool().map(i64::from));
        let verdict = match n {
            Some(1) => Verdict::Like,
            Some(0) => Verdict::Nope,
            _ => {
                return Err(IngestError::BadInput(format!(
                    "labels.pkl: label of {id} is {}, expected 0 or 1",
                    shown(v)
                )))
            }
        };
        verdicts.push((id.clone(), verdict));
    }

    // Images grouped by profile id.
    let mut images: HashMap<String, Vec<(u32, String, std::path::PathBuf)>> = HashMap::new();
    let mut out = SeedOutcome::default();
    if images_dir.is_dir() {
        let rd = std::fs::read_dir(&images_dir).map_err(|e| IngestError::Read {
            path: images_dir.display().to_string(),
            source: e,
        })?;
        for entry in rd.flatten() {
            let fname = entry.file_name().to_string_lossy().into_owned();
            match parse_seed_image_name(&fname) {
                Some((id, name, n)) if is_plausible_profile_id(&id) => {
                    images.entry(id).or_default().push((n, name, entry.path()));
                }
                _ => out.skipped_files.push(fname),
            }
        }
    }
    for v in images.values_mut() {
        v.sort_by_key(|(n, _, _)| *n);
    }

    let mut ids: Vec<String> = images.keys().cloned().collect();
    ids.extend(bios.keys().cloned());
    ids.extend(labels.keys().cloned());
    ids.sort();
    ids.dedup();

    let mut profiles = Vec::new();
    for id in &ids {
        let bio = bios.get(id);
        let from_image = images
            .get(id)
            .and_then(|v| v.first())
            .map(|(_, n, _)| n.clone());
        let name = bio
            .and_then(|b| b.get("name"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or(from_image)
            .unwrap_or_default();
        let age = bio.and_then(|b| b.get("age")).and_then(|a| {
            a.as_u64()
                .or_else(|| a.as_f64().map(|f| f as u64))
                .or_else(|| a.as_str()?.trim().parse().ok())
        });
        let text = bio
            .and_then(|b| b.as_str().or_else(|| b.get("bio").and_then(Value::as_str)))
            .unwrap_or_default();
        let photos = images
            .get(id)
            .map(|v| {
                v.iter()
                    .map(|(_, _, p)| {
                        let url = format!(
                            "seed:images/{}",
                            p.file_name()
                                .map(|f| f.to_string_lossy().into_owned())
                                .unwrap_or_default()
                        );
                        Photo {
                            id: None,
                            url: url.clone(),
                            best_url: url,
                            faces: Vec::new(),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        profiles.push(Profile {
            id: id.clone(),
            name,
            age: age.and_then(|a| u32::try_from(a).ok()),
            birth_date: None,
            bio: text.to_owned(),
            distance_km: None,
            hide_age: false,
            hide_distance: false,
            gender: None,
            photos,
            jobs: Vec::new(),
            schools: Vec::new(),
            city: None,
            interests: Vec::new(),
            descriptors: Vec::new(),
            teasers: Vec::new(),
            s_number: None,
            raw: serde_json::json!({ "seed": bio.cloned().unwrap_or(Value::Null) }),
        });
    }
    let stored = store.ingest(&profiles, 0, false, now_ms, "import-seed")?;
    out.profiles = stored.profiles;

    // Copy the images into the content-addressed store.
    for job in &stored.to_fetch {
        let Some(files) = images.get(&job.profile_id) else {
            continue;
        };
        let Some((_, _, path)) = files.get(job.idx as usize) else {
            continue;
        };
        let checked = std::fs::read(path)
            .map_err(|e| format!("cannot read it: {e}"))
            .and_then(|b| {
                crate::fetch::check_image(&b)
                    .map(|info| (b, info))
                    .map_err(|e| e.to_string())
            });
        match checked {
            Ok((bytes, info)) => {
                let (sha, rel) = Store::write_photo_file(store.data_dir(), &bytes, info.ext)?;
                store.record_photo(
                    &job.profile_id,
                    job.idx,
                    &StoredPhoto {
                        sha256: sha,
                        path: rel,
                        width: info.width,
                        height: info.height,
                        bytes: bytes.len() as u64,
                    },
                )?;
                out.photos += 1;
            }
            Err(e) => {
                store.record_photo_error(&job.profile_id, job.idx, &e)?;
                out.skipped_files.push(path.display().to_string());
            }
        }
    }

    for (id, verdict) in verdicts {
        let key = format!("import-seed:{id}");
        if store.add_label(&NewLabel {
            profile_id: &id,
            verdict,
            source: LabelSource::Import,
            at_ms: now_ms,
            key: &key,
        })? {
            out.labels += 1;
        }
    }
    Ok(out)
}

/// A seed pickle's top level: a dict whose keys are profile ids.
fn seed_dict(v: Value, file: &str, shape: &str) -> Result<Map<String, Value>, IngestError> {
    let m = match v {
        Value::Object(m) => m,
        other => {
            return Err(IngestError::BadInput(format!(
                "{file}: expected a dict {shape}, found {}",
                kind_of(&other)
            )))
        }
    };
    if let Some(id) = m.keys().find(|k| !is_plausible_profile_id(k)) {
        let id: String = id.chars().take(60).collect();
        return Err(IngestError::BadInput(format!(
            "{file}: `{id}` is not a profile id (letters, digits, `_` or `-`, at most 64)"
        )));
    }
    Ok(m)
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "None",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a dict",
    }
}

/// A value for an error message, cut short.
fn shown(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

/// `{id}_{name}_{n}.jpeg` → (id, name, n). Names may contain underscores.
fn parse_seed_image_name(fname: &str) -> Option<(String, String, u32)> {
    let lower = fname.to_ascii_lowercase();
    let stem = [".jpeg", ".jpg", ".png", ".webp"].iter().find_map(|ext| {
        lower
            .ends_with(ext)
            .then(|| &fname[..fname.len() - ext.len()])
    })?;
    let (head, n) = stem.rsplit_once('_')?;
    let n: u32 = n.parse().ok()?;
    let (id, name) = head.split_once('_')?;
    if id.is_empty() {
        return None;
    }
    Some((id.to_owned(), name.to_owned(), n))
}

/// Reads a pickle file into JSON (dict keys become strings).
fn read_pickle(path: &Path) -> Result<Value, IngestError> {
    let bytes = std::fs::read(path).map_err(|e| IngestError::Read {
        path: path.display().to_string(),
        source: e,
    })?;
    let v: serde_pickle::Value =
        serde_pickle::value_from_slice(&bytes, serde_pickle::DeOptions::new()).map_err(|e| {
            IngestError::BadInput(format!("{} is not a readable pickle: {e}", path.display()))
        })?;
    Ok(pickle_to_json(v))
}

fn pickle_to_json(v: serde_pickle::Value) -> Value {
    use serde_pickle::{HashableValue as H, Value as P};
    fn key(h: H) -> String {
        match h {
            H::String(s) => s,
            H::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
            H::I64(i) => i.to_string(),
            H::Int(i) => i.to_string(),
            H::F64(f) => f.to_string(),
            H::Bool(b) => b.to_string(),
            H::None => "None".into(),
            H::Tuple(t) => format!("{t:?}"),
            H::FrozenSet(s) => format!("{s:?}"),
        }
    }
    match v {
        P::None => Value::Null,
        P::Bool(b) => Value::Bool(b),
        P::I64(i) => Value::from(i),
        P::Int(i) => i
            .to_string()
            .parse::<f64>()
            .map(Value::from)
            .unwrap_or(Value::Null),
        P::F64(f) => Value::from(f),
        P::Bytes(b) => Value::String(String::from_utf8_lossy(&b).into_owned()),
        P::String(s) => Value::String(s),
        P::List(l) | P::Tuple(l) => Value::Array(l.into_iter().map(pickle_to_json).collect()),
        P::Set(s) | P::FrozenSet(s) => {
            Value::Array(s.into_iter().map(|h| Value::String(key(h))).collect())
        }
        P::Dict(d) => Value::Object(
            d.into_iter()
                .map(|(k, v)| (key(k), pickle_to_json(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests;
