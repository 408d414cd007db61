//! `swipy bench-score` (hidden from help): times the host's own scoring path on the
//! store's unlabelled profiles, the way `swipy serve` scores a recs page once its photos
//! are in: [`Engine::warm`] as when a port opens, then per page of `page` profiles the top
//! card alone and then the rest, each through [`Engine::scores`] (stored photos → decode →
//! encoders → features → trained head → `p_like`, embeddings cached in the store). Writes
//! one JSON object (the fields `cargo xtask bench` reads; see models/README.md).

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::json;

use super::{Engine, LearnError};
use crate::store::Store;

/// Options of `swipy bench-score`.
#[derive(Debug, Clone)]
pub struct BenchArgs {
    /// Where the JSON result goes.
    pub json: PathBuf,
    /// Profiles per recs page.
    pub page: usize,
    /// Also write the active head (ONNX) here, for the Python reference.
    pub head_out: Option<PathBuf>,
}

/// Runs the benchmark; returns the JSON it wrote (without the scores).
pub fn run(
    dir: &Path,
    device: Option<&str>,
    args: &BenchArgs,
) -> Result<serde_json::Value, LearnError> {
    let entered = Instant::now();
    let mut store = Store::open(dir)?;
    let ids = store.profile_ids(true)?;
    if ids.is_empty() {
        return Err(LearnError::NotAvailable(
            "no unlabelled profile to score: import a benchmark set first".into(),
        ));
    }
    let Some(model) = store.active_model()? else {
        return Err(LearnError::NotAvailable(
            "no trained model yet: run `swipy train` first".into(),
        ));
    };
    if let Some(p) = &args.head_out {
        std::fs::write(p, &model.onnx)
            .map_err(|e| LearnError::Other(format!("{}: {e}", p.display())))?;
    }
    let photos: usize = store
        .learn_profiles(&ids)?
        .iter()
        .flatten()
        .map(|p| p.photos.len())
        .sum();
    let dev = super::device(&store, device)?;
    let mut engine = Engine::new(dir, dev);
    let t_load = Instant::now();
    engine.warm(&store)?;
    let load_s = t_load.elapsed().as_secs_f64();
    let rss_after_load = swipy_models::bench::rss_mb();
    swipy_models::stats::reset();
    let mut first: Option<f64> = None;
    let mut top = Vec::new();
    let mut scores = Vec::with_capacity(ids.len());
    let t0 = Instant::now();
    for page in ids.chunks(args.page.max(1)) {
        let started = Instant::now();
        let (head, rest) = page.split_at(1);
        scores.extend(engine.scores(&mut store, head)?);
        top.push(started.elapsed().as_secs_f64());
        first.get_or_insert_with(|| entered.elapsed().as_secs_f64());
        if !rest.is_empty() {
            scores.extend(engine.scores(&mut store, rest)?);
        }
    }
    let seconds = t0.elapsed().as_secs_f64();
    let unscored: Vec<&str> = scores
        .iter()
        .filter(|s| s.p_like.is_none())
        .map(|s| s.id.as_str())
        .collect();
    if !unscored.is_empty() {
        return Err(LearnError::Other(format!(
            "{} profile(s) not scored, e.g. {}",
            unscored.len(),
            unscored[0]
        )));
    }
    let stages = swipy_models::bench::stages_json();
    top.sort_by(f64::total_cmp);
    let median_top = top.get(top.len() / 2).copied();

    // Training the head on 1,000 profiles' cached features (the product's `train`).
    let data = swipy_models::bench::training_set(1000, 7);
    let t_train = Instant::now();
    let trained = swipy_models::train(
        &data,
        &swipy_models::TrainConfig::default(),
        &mut |_, _, _| {},
    )?;
    let train_s = t_train.elapsed().as_secs_f64();

    let summary = json!({
        "impl": "rust",
        "device": format!("{dev:?}").to_lowercase(),
        "profiles": ids.len(),
        "photos": photos,
        "seconds": seconds,
        "profiles_per_second": ids.len() as f64 / seconds,
        "model_load_seconds": load_s,
        "page_top_card_seconds": median_top,
        "cold_start_to_first_score_seconds": first,
        "peak_rss_mb": swipy_models::bench::peak_rss_mb(),
        "rss_after_load_mb": rss_after_load,
        "train_1000_seconds": train_s,
        "train_1000_auc": trained.metrics.roc_auc,
        "stages": stages,
        "page": args.page,
    });
    let mut full = summary.clone();
    full["scores"] = scores
        .iter()
        .map(|s| json!({"id": s.id, "p_like": s.p_like}))
        .collect();
    let text = serde_json::to_string_pretty(&full)
        .map_err(|e| LearnError::Other(format!("result: {e}")))?;
    std::fs::write(&args.json, text + "\n")
        .map_err(|e| LearnError::Other(format!("{}: {e}", args.json.display())))?;
    Ok(summary)
}
