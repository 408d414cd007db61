//! Profile features: pooled photo embeddings, the dominant face, the text embedding and
//! meta values, computed through an embedding cache so nothing is computed twice.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::encoders::{Encoders, PhotoRef, FACE_MODEL, PHOTO_MODEL, TEXT_MODEL};
use crate::error::{Error, Result};
use crate::face::{Face, FaceHint};
use crate::text::{cosine, l2_normalize};

/// Cosine above which two faces count as the same person.
pub const SAME_FACE_COSINE: f32 = 0.4;

/// Embedding cache (the host backs it with its store), keyed by (content key, model id).
/// Keys: a photo's sha256, or [`text_key`] of a text. Model ids: [`TEXT_MODEL`],
/// [`PHOTO_MODEL`], and [`FACES_CACHE_MODEL`] for a photo's packed faces.
pub trait EmbeddingCache {
    fn get(&self, key: &str, model: &str) -> Option<Vec<f32>>;
    fn put(&self, key: &str, model: &str, v: &[f32]);
}

/// Cache model id of a photo's faces, packed by [`pack_faces`].
pub const FACES_CACHE_MODEL: &str = "faces:yunet+sface";

/// A cache that stores nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoCache;

impl EmbeddingCache for NoCache {
    fn get(&self, _key: &str, _model: &str) -> Option<Vec<f32>> {
        None
    }
    fn put(&self, _key: &str, _model: &str, _v: &[f32]) {}
}

/// An in-memory cache (tests, benchmarks).
#[derive(Debug, Default)]
pub struct MemoryCache(std::sync::Mutex<std::collections::HashMap<(String, String), Vec<f32>>>);

impl EmbeddingCache for MemoryCache {
    fn get(&self, key: &str, model: &str) -> Option<Vec<f32>> {
        self.0
            .lock()
            .ok()?
            .get(&(key.to_string(), model.to_string()))
            .cloned()
    }
    fn put(&self, key: &str, model: &str, v: &[f32]) {
        if let Ok(mut m) = self.0.lock() {
            m.insert((key.to_string(), model.to_string()), v.to_vec());
        }
    }
}

/// Where a photo's bytes come from.
#[derive(Debug, Clone, PartialEq)]
pub enum PhotoSource {
    Bytes(Vec<u8>),
    Path(PathBuf),
}

/// One photo of a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoInput {
    /// sha256 (hex) of the file: the cache key.
    pub sha256: String,
    pub source: PhotoSource,
    pub face_hints: Vec<FaceHint>,
}

/// What the model sees of a profile.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfileInput {
    pub id: String,
    /// Bio plus job, school, interests, descriptors as text (may be empty).
    pub text: String,
    pub photos: Vec<PhotoInput>,
    pub age: Option<f64>,
    pub distance_km: Option<f64>,
    /// Length of the bio alone, in characters.
    pub bio_len: usize,
    pub interests: u32,
}

/// The text the text encoder sees for a profile: the bio, then jobs, schools, interests
/// and descriptors, one line each (empty when the profile has none of them).
pub fn profile_text(p: &swipy_shared::tinder::Profile) -> String {
    let mut lines: Vec<String> = Vec::new();
    if !p.bio.trim().is_empty() {
        lines.push(p.bio.trim().to_string());
    }
    for list in [&p.jobs, &p.schools, &p.interests, &p.descriptors] {
        let items: Vec<&str> = list
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        if !items.is_empty() {
            lines.push(items.join(", "));
        }
    }
    lines.join("\n")
}

impl ProfileInput {
    /// Builds the model input of a parsed Tinder profile. `photos` are the stored photos
    /// as `(index into p.photos, sha256, source)`; photos not fetched yet are simply left
    /// out. Hidden age or distance count as missing.
    pub fn from_tinder(
        p: &swipy_shared::tinder::Profile,
        photos: impl IntoIterator<Item = (usize, String, PhotoSource)>,
    ) -> Self {
        let photos = photos
            .into_iter()
            .map(|(i, sha256, source)| {
                let face_hints = p
                    .photos
                    .get(i)
                    .map(|ph| {
                        ph.faces
                            .iter()
                            .map(|f| FaceHint {
                                x: f.x as f32,
                                y: f.y as f32,
                                w: f.w as f32,
                                h: f.h as f32,
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                PhotoInput {
                    sha256,
                    source,
                    face_hints,
                }
            })
            .collect();
        ProfileInput {
            id: p.id.clone(),
            text: profile_text(p),
            photos,
            age: if p.hide_age {
                None
            } else {
                p.age.map(f64::from)
            },
            distance_km: if p.hide_distance { None } else { p.distance_km },
            bio_len: p.bio.trim().chars().count(),
            interests: p.interests.len() as u32,
        }
    }
}

/// Number of meta features.
pub const META_DIM: usize = 10;
/// Indices of the presence flags inside `meta` (1.0 when the part has input).
pub const META_HAS_PHOTO: usize = 6;
pub const META_HAS_FACE: usize = 7;
pub const META_HAS_TEXT: usize = 8;

/// Features of one profile. Parts are `None` when they had no input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProfileFeatures {
    /// Mean of the photos' embeddings.
    pub photo_mean: Option<Vec<f32>>,
    /// Element-wise max of the photos' embeddings.
    pub photo_max: Option<Vec<f32>>,
    /// Embedding of the face that recurs most across the photos.
    pub face: Option<Vec<f32>>,
    pub text: Option<Vec<f32>>,
    /// `[age, has_age, ln(1+distance_km), has_distance, ln(1+bio_len), photo_count,
    ///   has_photo, has_face, has_text, ln(1+interests)]`.
    pub meta: Vec<f32>,
}

impl ProfileFeatures {
    /// Builds the meta vector.
    #[allow(clippy::too_many_arguments)]
    pub fn meta_vector(
        age: Option<f64>,
        distance_km: Option<f64>,
        bio_len: usize,
        photo_count: usize,
        has_photo: bool,
        has_face: bool,
        has_text: bool,
        interests: u32,
    ) -> Vec<f32> {
        let f = |b: bool| if b { 1.0 } else { 0.0 };
        let age_v = age.filter(|a| a.is_finite() && *a > 0.0 && *a < 120.0);
        let dist = distance_km.filter(|d| d.is_finite() && *d >= 0.0);
        vec![
            age_v.unwrap_or(0.0) as f32,
            f(age_v.is_some()),
            dist.map(|d| (1.0 + d).ln()).unwrap_or(0.0) as f32,
            f(dist.is_some()),
            (1.0 + bio_len as f64).ln() as f32,
            photo_count as f32,
            f(has_photo),
            f(has_face),
            f(has_text),
            (1.0 + f64::from(interests)).ln() as f32,
        ]
    }
}

/// Stable cache key of a text (sha256 hex of its UTF-8 with a `text:` prefix).
pub fn text_key(text: &str) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(b"text:");
    h.update(text.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Packs a photo's faces for the cache: `[n, (score, x, y, w, h, dim, emb...)*]`.
pub fn pack_faces(faces: &[Face]) -> Vec<f32> {
    let mut v = vec![faces.len() as f32];
    for f in faces {
        v.extend_from_slice(&[
            f.score,
            f.bbox[0],
            f.bbox[1],
            f.bbox[2],
            f.bbox[3],
            f.embedding.len() as f32,
        ]);
        v.extend_from_slice(&f.embedding);
    }
    v
}

/// Inverse of [`pack_faces`]; `None` when malformed.
pub fn unpack_faces(v: &[f32]) -> Option<Vec<Face>> {
    let n = *v.first()?;
    // Each face takes at least its 6-float header: a count beyond that is a damaged row.
    if !(n >= 0.0 && n.fract() == 0.0 && n as usize <= v.len() / 6) {
        return None;
    }
    let n = n as usize;
    let mut i: usize = 1;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let h = v.get(i..i.checked_add(6)?)?;
        let dim = h[5] as usize;
        let embedding = v.get(i + 6..(i + 6).checked_add(dim)?)?.to_vec();
        out.push(Face {
            embedding,
            score: h[0],
            bbox: [h[1], h[2], h[3], h[4]],
        });
        i += 6 + dim;
    }
    (i == v.len()).then_some(out)
}

/// Picks the face that recurs across the most photos of one profile: faces of all photos
/// are clustered greedily by cosine (≥ [`SAME_FACE_COSINE`], each photo counted once per
/// cluster); the cluster present in most photos wins (ties: higher summed score). Returns
/// the normalised mean embedding of that cluster; `None` when there are no faces. With a
/// single photo, its best face wins.
pub fn dominant_face(per_photo: &[Vec<Face>]) -> Option<Vec<f32>> {
    struct Cluster {
        sum: Vec<f32>,
        photos: Vec<usize>,
        score: f32,
    }
    let mut clusters: Vec<Cluster> = Vec::new();
    for (p, faces) in per_photo.iter().enumerate() {
        for f in faces {
            if f.embedding.is_empty() {
                continue;
            }
            let best = clusters
                .iter()
                .enumerate()
                .filter(|(_, c)| !c.photos.contains(&p) && c.sum.len() == f.embedding.len())
                .map(|(i, c)| (i, cosine(&c.sum, &f.embedding)))
                .filter(|(_, s)| *s >= SAME_FACE_COSINE)
                .max_by(|a, b| a.1.total_cmp(&b.1));
            match best {
                Some((i, _)) => {
                    let c = &mut clusters[i];
                    c.sum
                        .iter_mut()
                        .zip(&f.embedding)
                        .for_each(|(a, b)| *a += b);
                    c.photos.push(p);
                    c.score += f.score;
                }
                None => clusters.push(Cluster {
                    sum: f.embedding.clone(),
                    photos: vec![p],
                    score: f.score,
                }),
            }
        }
    }
    clusters
        .into_iter()
        .max_by(|a, b| {
            a.photos
                .len()
                .cmp(&b.photos.len())
                .then(a.score.total_cmp(&b.score))
        })
        .map(|c| l2_normalize(c.sum))
}

/// Mean and element-wise max of equally sized vectors; `None` when empty.
pub fn pool(vs: &[Vec<f32>]) -> Option<(Vec<f32>, Vec<f32>)> {
    let first = vs.first()?;
    let dim = first.len();
    let mut mean = vec![0f32; dim];
    let mut max = vec![f32::NEG_INFINITY; dim];
    let mut n = 0f32;
    for v in vs.iter().filter(|v| v.len() == dim) {
        n += 1.0;
        for ((m, x), y) in mean.iter_mut().zip(max.iter_mut()).zip(v) {
            *m += y;
            *x = x.max(*y);
        }
    }
    mean.iter_mut().for_each(|m| *m /= n);
    Some((mean, max))
}

/// Features of one profile (see [`featurize_many`]).
pub fn featurize(
    enc: &Encoders,
    cache: &dyn EmbeddingCache,
    p: &ProfileInput,
) -> Result<ProfileFeatures> {
    featurize_many(enc, cache, std::slice::from_ref(p))
        .into_iter()
        .next()
        .unwrap_or_else(|| Err(Error::InvalidInput("no profile".into())))
}

/// Features of many profiles. Embeddings come from `cache` when present, else are
/// computed (photos batched and decoded in parallel, texts batched) and stored in
/// `cache`. A photo that cannot be read or decoded is skipped (logged); a profile fails
/// only when an encoder itself fails.
pub fn featurize_many(
    enc: &Encoders,
    cache: &dyn EmbeddingCache,
    profiles: &[ProfileInput],
) -> Vec<Result<ProfileFeatures>> {
    // 1. Texts: cached ones now; the rest are embedded on a thread beside the photos.
    let mut text_emb: Vec<Option<Vec<f32>>> = vec![None; profiles.len()];
    let mut text_todo: Vec<(usize, String)> = Vec::new();
    if enc.has_text() {
        for (i, p) in profiles.iter().enumerate() {
            if p.text.trim().is_empty() {
                continue;
            }
            match cache.get(&text_key(&p.text), TEXT_MODEL) {
                Some(v) => text_emb[i] = Some(v),
                None => text_todo.push((i, p.text.clone())),
            }
        }
    }
    let texts: Vec<String> = text_todo.iter().map(|(_, t)| t.clone()).collect();
    let (text_result, (slots, mut failed)) = std::thread::scope(|s| {
        let job = (!texts.is_empty()).then(|| s.spawn(|| enc.embed_texts(&texts)));
        // 2. Photos (on this thread: the cache need not be shared between threads).
        let photos = photo_slots(enc, cache, profiles);
        let text_result = match job {
            None => Ok(Vec::new()),
            Some(h) => h
                .join()
                .unwrap_or_else(|_| Err(Error::Runtime("text encoder thread panicked".into()))),
        };
        (text_result, photos)
    });
    match text_result {
        Ok(vs) => {
            for ((i, t), v) in text_todo.iter().zip(vs) {
                cache.put(&text_key(t), TEXT_MODEL, &v);
                text_emb[*i] = Some(v);
            }
        }
        Err(e) => {
            let msg = e.to_string();
            for (i, _) in &text_todo {
                failed[*i] = Some(msg.clone());
            }
        }
    }
    // 3. Assemble.
    profiles
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if let Some(msg) = &failed[i] {
                return Err(Error::Runtime(msg.clone()));
            }
            let photos: Vec<Vec<f32>> = slots[i].iter().filter_map(|(v, _)| v.clone()).collect();
            let faces: Vec<Vec<Face>> = slots[i].iter().filter_map(|(_, f)| f.clone()).collect();
            let pooled = pool(&photos);
            let face = dominant_face(&faces);
            let text = text_emb[i].take();
            let usable = slots[i]
                .iter()
                .filter(|(v, f)| v.is_some() || f.is_some())
                .count();
            let meta = ProfileFeatures::meta_vector(
                p.age,
                p.distance_km,
                p.bio_len,
                usable,
                pooled.is_some(),
                face.is_some(),
                text.is_some(),
                p.interests,
            );
            let (photo_mean, photo_max) = match pooled {
                Some((m, x)) => (Some(m), Some(x)),
                None => (None, None),
            };
            Ok(ProfileFeatures {
                photo_mean,
                photo_max,
                face,
                text,
                meta,
            })
        })
        .collect()
}

type PhotoSlot = (Option<Vec<f32>>, Option<Vec<Face>>);

/// Photos read, decoded and embedded together: five profiles' worth, enough to keep the
/// encoders' threads busy, few enough that the decoded photos stay small in memory.
const PHOTO_CHUNK: usize = 30;

/// Photo embeddings of every profile's photos: cached parts first, the rest computed in
/// batches. Also returns, per profile, the message of an encoder failure.
fn photo_slots(
    enc: &Encoders,
    cache: &dyn EmbeddingCache,
    profiles: &[ProfileInput],
) -> (Vec<Vec<PhotoSlot>>, Vec<Option<String>>) {
    let want_photo = enc.has_photo();
    let want_faces = enc.has_faces();
    let mut slots: Vec<Vec<PhotoSlot>> = Vec::with_capacity(profiles.len());
    let mut todo: Vec<(usize, usize)> = Vec::new();
    for (i, p) in profiles.iter().enumerate() {
        let mut row = Vec::with_capacity(p.photos.len());
        for (j, ph) in p.photos.iter().enumerate() {
            let photo = if want_photo {
                cache.get(&ph.sha256, PHOTO_MODEL)
            } else {
                None
            };
            let faces = if want_faces {
                cache
                    .get(&ph.sha256, FACES_CACHE_MODEL)
                    .and_then(|v| unpack_faces(&v))
            } else {
                None
            };
            if (want_photo && photo.is_none()) || (want_faces && faces.is_none()) {
                todo.push((i, j));
            }
            row.push((photo, faces));
        }
        slots.push(row);
    }
    let mut failed: Vec<Option<String>> = vec![None; profiles.len()];
    for chunk in todo.chunks(PHOTO_CHUNK) {
        let bytes: Vec<(usize, usize, Vec<u8>)> = chunk
            .iter()
            .filter_map(|&(i, j)| {
                let ph = &profiles[i].photos[j];
                match &ph.source {
                    PhotoSource::Bytes(b) => Some((i, j, b.clone())),
                    PhotoSource::Path(path) => match std::fs::read(path) {
                        Ok(b) => Some((i, j, b)),
                        Err(e) => {
                            log::warn!("photo {} of {} unreadable: {e}", ph.sha256, profiles[i].id);
                            None
                        }
                    },
                }
            })
            .collect();
        let refs: Vec<PhotoRef<'_>> = bytes
            .iter()
            .map(|(i, j, b)| PhotoRef {
                bytes: b,
                hints: &profiles[*i].photos[*j].face_hints,
            })
            .collect();
        let results = enc.embed_photos(&refs);
        for ((i, j, _), r) in bytes.iter().zip(results) {
            let ph = &profiles[*i].photos[*j];
            match r {
                Ok(pe) => {
                    if let Some(v) = &pe.photo {
                        cache.put(&ph.sha256, PHOTO_MODEL, v);
                    }
                    if want_faces {
                        cache.put(&ph.sha256, FACES_CACHE_MODEL, &pack_faces(&pe.faces));
                    }
                    slots[*i][*j] = (pe.photo, want_faces.then_some(pe.faces));
                }
                Err(Error::Image(e)) => {
                    log::warn!("photo {} of {} skipped: {e}", ph.sha256, profiles[*i].id)
                }
                Err(e) => failed[*i] = Some(e.to_string()),
            }
        }
    }
    (slots, failed)
}

/// Cache model id for the face embeddings (for callers that list model ids).
pub const FACE_EMBED_MODEL: &str = FACE_MODEL;

#[cfg(test)]
mod tests;
