//! Learning in the host: finds ONNX Runtime and the prepared models, featurizes stored
//! profiles through the store's embedding cache, trains the head, scores through the
//! exported ONNX head, and keeps the last score of each profile.
//!
//! Lookup (no variables needed after `cargo xtask models`):
//! - ONNX Runtime: `$ORT_DYLIB_PATH`, `<exe dir>/../ort/libonnxruntime.so`,
//!   `<data dir>/ort/libonnxruntime.so` ([`crate::paths::ort_candidates`]);
//! - models: `$SWIPY_MODELS_DIR`, `<exe dir>/../models`, `<data dir>/models`
//!   ([`crate::paths::models_candidates`]).
//!
//! Device: the `--device` option, else the setting `device` (`cpu`, `cuda`, `auto`),
//! else CPU. The execution provider in use is logged.
//!
//! Settings read here: `device`, `text_weight` + `image_weight` (both numbers: the
//! prototype's blend of the text part and the image parts replaces the combined head),
//! `train_on_matches` (`true`: a like that became a match counts double in training).

pub mod bench;
pub mod manifests;
pub mod worker;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use swipy_models::{
    Device, Encoders, PhotoSource, ProfileFeatures, ProfileInput, Scorer, TrainConfig, UserWeights,
};
use swipy_shared::protocol::{ErrorCode, HostSetting, Metrics, Parts, Score, ScoreState};

use crate::store::{now_ms, LearnProfile, Store, StoreError};

/// Seed of every training run (training is deterministic).
pub const TRAIN_SEED: u64 = 42;

#[derive(Debug, thiserror::Error)]
pub enum LearnError {
    /// A model, the runtime library, or a trained head is missing.
    #[error("{0}")]
    NotAvailable(String),
    #[error("{0}")]
    NotEnoughLabels(String),
    #[error("busy: {0}")]
    Busy(String),
    #[error("the store failed: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Other(String),
}

impl LearnError {
    /// The protocol error code for this failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            LearnError::NotAvailable(_) => ErrorCode::ModelMissing,
            LearnError::NotEnoughLabels(_) => ErrorCode::NotEnoughLabels,
            LearnError::Busy(_) => ErrorCode::Busy,
            LearnError::Store(_) => ErrorCode::Storage,
            LearnError::Other(_) => ErrorCode::Internal,
        }
    }
}

impl From<swipy_models::Error> for LearnError {
    fn from(e: swipy_models::Error) -> Self {
        use swipy_models::Error as E;
        match e {
            E::NotEnoughLabels { .. } => LearnError::NotEnoughLabels(e.to_string()),
            E::RuntimeMissing(_) | E::ModelMissing { .. } | E::Provider { .. } => {
                LearnError::NotAvailable(e.to_string())
            }
            other => LearnError::Other(other.to_string()),
        }
    }
}

/// Progress callback: (stage, done, total).
pub type Progress<'a> = &'a mut dyn FnMut(&str, u32, u32);

/// The prepared models dir, if one exists.
pub fn find_models_dir(data_dir: &Path) -> Option<PathBuf> {
    crate::paths::models_candidates(data_dir)
        .into_iter()
        .find(|p| p.is_dir())
}

/// The ONNX Runtime library, if found.
pub fn find_runtime(data_dir: &Path) -> Option<PathBuf> {
    crate::paths::ort_candidates(data_dir)
        .into_iter()
        .find(|p| p.is_file())
}

/// Loads ONNX Runtime (once per process).
pub fn init_runtime(data_dir: &Path) -> Result<swipy_models::RuntimeInfo, LearnError> {
    let lib = find_runtime(data_dir).ok_or_else(|| {
        let tried: Vec<String> = crate::paths::ort_candidates(data_dir)
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        LearnError::NotAvailable(format!(
            "the ONNX Runtime library was not found (tried {}); run `cargo xtask models` or set ORT_DYLIB_PATH",
            tried.join(", ")
        ))
    })?;
    Ok(swipy_models::init_runtime(Some(&lib))?)
}

/// The device: `explicit` (e.g. `--device`), else the `device` setting, else CPU.
pub fn device(store: &Store, explicit: Option<&str>) -> Result<Device, LearnError> {
    let setting = store
        .settings()?
        .get(HostSetting::Device.name())
        .and_then(|v| v.as_str().map(str::to_owned));
    let parse = |s: &str| {
        Device::parse(s)
            .ok_or_else(|| LearnError::Other(format!("device `{s}` is not one of cpu, cuda, auto")))
    };
    match (explicit, setting) {
        // `--device cuda` is strict: it fails where CUDA cannot run.
        (Some(s), _) => parse(s),
        // The dashboard's GPU choice means "the GPU where this host can use it": the
        // background host keeps scoring on the CPU rather than failing (the log says why).
        (None, Some(s)) => Ok(match parse(&s)? {
            Device::Cuda => Device::Auto,
            d => d,
        }),
        (None, None) => Ok(Device::Cpu),
    }
}

/// The prototype's weights from the settings, when both are numbers.
pub fn user_weights(store: &Store) -> Result<Option<UserWeights>, LearnError> {
    let s = store.settings()?;
    let num = |k: HostSetting| s.get(k.name()).and_then(serde_json::Value::as_f64);
    Ok(
        match (num(HostSetting::TextWeight), num(HostSetting::ImageWeight)) {
            (Some(t), Some(i)) if t >= 0.0 && i >= 0.0 && t + i > 0.0 => Some(UserWeights {
                text_weight: t,
                image_weight: i,
            }),
            _ => None,
        },
    )
}

/// Loads the encoders from the prepared models dir on `device`.
pub fn load_encoders(data_dir: &Path, device: Device) -> Result<Encoders, LearnError> {
    init_runtime(data_dir)?;
    let dir = find_models_dir(data_dir).ok_or_else(|| {
        LearnError::NotAvailable(
            "no prepared models found (looked at $SWIPY_MODELS_DIR, <exe dir>/../models, <data dir>/models); run `cargo xtask models` or `swipy models prepare`".into(),
        )
    })?;
    let enc = Encoders::load(&dir, device)?;
    let info = enc.info();
    if info.text.is_none() && info.faces.is_none() && info.photo.is_none() {
        return Err(LearnError::NotAvailable(format!(
            "no encoder could be loaded from {}: {}",
            dir.display(),
            info.missing.join("; ")
        )));
    }
    log::info!(
        "encoders loaded from {} on {device:?} (text {:?}, faces {:?}, photo {:?}); runtime providers: {}",
        dir.display(),
        info.text,
        info.faces,
        info.photo,
        swipy_models::runtime_info()
            .map(|r| r.providers.join(", "))
            .unwrap_or_default()
    );
    Ok(enc)
}

fn input_of(p: &LearnProfile) -> ProfileInput {
    ProfileInput::from_tinder(
        &p.profile,
        p.photos
            .iter()
            .map(|(i, sha, path)| (*i, sha.clone(), PhotoSource::Path(path.clone()))),
    )
}

/// Features of stored profiles (embeddings cached in the store). `None` for ids not in
/// the store; an error string for a profile that failed.
pub fn featurize(
    enc: &Encoders,
    store: &Store,
    ids: &[String],
) -> Result<Vec<Option<Result<ProfileFeatures, String>>>, LearnError> {
    let stored = store.learn_profiles(ids)?;
    let inputs: Vec<ProfileInput> = stored.iter().flatten().map(input_of).collect();
    let mut feats = swipy_models::featurize_many(enc, store, &inputs).into_iter();
    Ok(stored
        .iter()
        .map(|p| {
            p.as_ref().map(|_| {
                feats
                    .next()
                    .unwrap_or_else(|| Err(swipy_models::Error::InvalidInput("missing".into())))
                    .map_err(|e| e.to_string())
            })
        })
        .collect())
}

/// Holds the encoders (shared with training threads) and the active head.
pub struct Engine {
    data_dir: PathBuf,
    device: Device,
    encoders: Option<Arc<Encoders>>,
    scorer: Option<(u32, Scorer)>,
}

impl Engine {
    /// An engine that loads its models on first need.
    pub fn new(data_dir: &Path, device: Device) -> Self {
        Self {
            data_dir: data_dir.to_path_buf(),
            device,
            encoders: None,
            scorer: None,
        }
    }

    /// The encoders, loaded on first call.
    pub fn encoders(&mut self) -> Result<Arc<Encoders>, LearnError> {
        if let Some(e) = &self.encoders {
            return Ok(Arc::clone(e));
        }
        let e = Arc::new(load_encoders(&self.data_dir, self.device)?);
        self.encoders = Some(Arc::clone(&e));
        Ok(e)
    }

    /// The active head (reloaded when a newer model was committed).
    fn scorer(&mut self, store: &Store) -> Result<Option<(u32, &Scorer)>, LearnError> {
        let Some(v) = store.active_model_version()? else {
            self.scorer = None;
            return Ok(None);
        };
        if self.scorer.as_ref().map(|(sv, _)| *sv) != Some(v) {
            let Some(row) = store.active_model()? else {
                return Ok(None);
            };
            init_runtime(&self.data_dir)?;
            let s = Scorer::from_onnx(&row.onnx)?;
            log::info!("model v{} loaded for scoring", row.version);
            self.scorer = Some((row.version, s));
        }
        Ok(self.scorer.as_ref().map(|(v, s)| (*v, s)))
    }

    /// Loads the encoders and the active head when a trained model exists.
    pub fn warm(&mut self, store: &Store) -> Result<(), LearnError> {
        if store.active_model_version()?.is_some() {
            let started = std::time::Instant::now();
            self.encoders()?;
            self.scorer(store)?;
            log::info!("models preloaded in {} ms", started.elapsed().as_millis());
        }
        Ok(())
    }

    /// Scores profiles (states `ready`, `no_model`, `pending`, `unknown`) and stores the
    /// ready ones as their last score.
    pub fn scores(&mut self, store: &mut Store, ids: &[String]) -> Result<Vec<Score>, LearnError> {
        let stored = store.learn_profiles(ids)?;
        let blank = |id: &str, state: ScoreState, v: Option<u32>| Score {
            id: id.to_owned(),
            p_like: None,
            parts: Parts::default(),
            model_version: v,
            state,
        };
        let version = store.active_model_version()?;
        if version.is_none() {
            return Ok(ids
                .iter()
                .zip(&stored)
                .map(|(id, p)| {
                    blank(
                        id,
                        if p.is_some() {
                            ScoreState::NoModel
                        } else {
                            ScoreState::Unknown
                        },
                        None,
                    )
                })
                .collect());
        }
        let weights = user_weights(store)?;
        let enc = self.encoders()?;
        // Profiles still waiting for photos are `pending`; the rest are featurized.
        let ready: Vec<String> = ids
            .iter()
            .zip(&stored)
            .filter(|(_, p)| p.as_ref().is_some_and(|p| p.waiting == 0))
            .map(|(id, _)| id.clone())
            .collect();
        let feats = featurize(&enc, store, &ready)?;
        let Some((v, scorer)) = self.scorer(store)? else {
            return Err(LearnError::NotAvailable("no trained model yet".into()));
        };
        let layout = *scorer.layout();
        let ok: Vec<ProfileFeatures> = feats
            .iter()
            .filter_map(|f| f.as_ref().and_then(|r| r.as_ref().ok()).cloned())
            .map(|f| fit_layout(f, &layout))
            .collect();
        let mut scored = scorer.score(&ok, weights.as_ref())?.into_iter();
        let mut by_id = std::collections::HashMap::new();
        for (id, f) in ready.iter().zip(&feats) {
            match f {
                Some(Ok(_)) => {
                    if let Some((p, parts)) = scored.next() {
                        by_id.insert(id.clone(), (p, parts));
                    }
                }
                Some(Err(e)) => log::warn!("profile {id} could not be featurized: {e}"),
                None => {}
            }
        }
        let out: Vec<Score> = ids
            .iter()
            .zip(&stored)
            .map(|(id, p)| match (p, by_id.get(id)) {
                (None, _) => blank(id, ScoreState::Unknown, Some(v)),
                (Some(_), Some((p, parts))) => Score {
                    id: id.clone(),
                    p_like: Some(*p),
                    parts: parts.clone(),
                    model_version: Some(v),
                    state: ScoreState::Ready,
                },
                (Some(_), None) => blank(id, ScoreState::Pending, Some(v)),
            })
            .collect();
        store.save_scores(&out)?;
        Ok(out)
    }
}

/// Drops parts the head was trained without (e.g. photos when no labelled profile had
/// one), so a profile with more inputs than the training data still scores.
fn fit_layout(mut f: ProfileFeatures, layout: &swipy_models::Layout) -> ProfileFeatures {
    if layout.photo == 0 {
        f.photo_mean = None;
        f.photo_max = None;
    }
    if layout.face == 0 {
        f.face = None;
    }
    if layout.text == 0 {
        f.text = None;
    }
    f
}

/// Labelled profiles: (id, like?) with the latest label of each (like/superlike positive).
pub fn labelled(store: &Store) -> Result<Vec<(String, bool)>, LearnError> {
    Ok(store
        .latest_labels()?
        .into_iter()
        .map(|(id, v)| (id, v.is_positive()))
        .collect())
}

/// Checks the label counts before any model is loaded.
pub fn check_labels(data: &[(String, bool)]) -> Result<(), LearnError> {
    let cfg = TrainConfig::default();
    let likes = data.iter().filter(|(_, l)| *l).count() as u32;
    let nopes = data.len() as u32 - likes;
    if (data.len() as u32) < cfg.min_labels
        || likes < cfg.min_per_class
        || nopes < cfg.min_per_class
    {
        return Err(LearnError::NotEnoughLabels(format!(
            "not enough labels to train: {likes} like(s) and {nopes} nope(s); need at least {} labelled profiles with at least {} of each",
            cfg.min_labels, cfg.min_per_class
        )));
    }
    Ok(())
}

/// How much more a like that became a match counts in training, with the
/// `train_on_matches` setting on.
pub const MATCH_WEIGHT: f64 = 2.0;

/// Example weights for training: with the setting `train_on_matches` (`true`), each liked
/// profile that became a match counts [`MATCH_WEIGHT`] times; otherwise none (all equal).
pub fn match_weights(
    store: &Store,
    ids: &[String],
    rows: &[(ProfileFeatures, bool)],
) -> Result<Option<Vec<f64>>, LearnError> {
    let on = store
        .settings()?
        .get(HostSetting::TrainOnMatches.name())
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    if !on {
        return Ok(None);
    }
    let matched = store.matched_ids()?;
    let w: Vec<f64> = ids
        .iter()
        .zip(rows)
        .map(|(id, (_, like))| {
            if *like && matched.contains(id) {
                MATCH_WEIGHT
            } else {
                1.0
            }
        })
        .collect();
    let n = w.iter().filter(|v| **v > 1.0).count();
    log::info!("train_on_matches: {n} liked profile(s) that matched count {MATCH_WEIGHT}×");
    Ok(Some(w))
}

/// Trains a new head on the stored labels and commits it as the new active model.
/// Nothing changes in the store until the final commit (a kill during training leaves
/// the previous model in use).
pub fn train(
    enc: &Encoders,
    store: &mut Store,
    progress: Progress<'_>,
) -> Result<(u32, Metrics), LearnError> {
    // Labels stored from this moment on are "new" for the next automatic retraining, even
    // when they arrive while this training runs (one millisecond early: a label stored in
    // the same millisecond counts as new rather than as seen).
    let labels_as_of = now_ms() - 1.0;
    let data = labelled(store)?;
    check_labels(&data)?;
    let ids: Vec<String> = data.iter().map(|(id, _)| id.clone()).collect();
    let mut rows = Vec::with_capacity(ids.len());
    let mut row_ids: Vec<String> = Vec::with_capacity(ids.len());
    let total = ids.len() as u32;
    progress("embed", 0, total);
    for (n, chunk) in ids.chunks(32).enumerate() {
        let feats = featurize(enc, store, chunk)?;
        for (j, f) in feats.into_iter().enumerate() {
            let like = data[n * 32 + j].1;
            match f {
                Some(Ok(f)) => {
                    rows.push((f, like));
                    row_ids.push(chunk[j].clone());
                }
                Some(Err(e)) => log::warn!("profile {} left out of training: {e}", chunk[j]),
                None => {}
            }
        }
        progress("embed", ((n + 1) * 32).min(ids.len()) as u32, total);
    }
    let cfg = TrainConfig {
        seed: TRAIN_SEED,
        ..TrainConfig::default()
    };
    let weights = match_weights(store, &row_ids, &rows)?;
    let model = swipy_models::train_weighted(&rows, weights.as_deref(), &cfg, &mut |s, d, t| {
        progress(s, d, t)
    })?;
    let version = store.add_model(&model.metrics, &model.onnx, labels_as_of)?;
    log::info!(
        "model v{version} trained: ROC AUC {:.3}, accuracy {:.3}, {} like / {} nope",
        model.metrics.roc_auc,
        model.metrics.accuracy,
        model.metrics.n_like,
        model.metrics.n_nope
    );
    Ok((version, model.metrics))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dashboard_gpu_choice_falls_back_to_the_cpu_but_the_flag_is_strict() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(dir.path()).expect("store");
        assert_eq!(device(&store, None).expect("default"), Device::Cpu);
        let set = |store: &mut Store, v: &str| {
            let mut m = serde_json::Map::new();
            m.insert("device".into(), serde_json::json!(v));
            store.merge_settings(&m).expect("settings");
        };
        set(&mut store, "gpu");
        assert_eq!(device(&store, None).expect("gpu"), Device::Auto);
        set(&mut store, "cuda");
        assert_eq!(device(&store, None).expect("cuda"), Device::Auto);
        set(&mut store, "cpu");
        assert_eq!(device(&store, None).expect("cpu"), Device::Cpu);
        assert_eq!(device(&store, Some("cuda")).expect("flag"), Device::Cuda);
        assert!(device(&store, Some("tpu")).is_err());
    }
}
