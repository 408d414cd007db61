//! Training: one cross-validated, Platt-calibrated head per part, the stacking regression
//! over their out-of-fold logits, the weights folded back into raw feature space and the
//! export.

use std::ops::Range;

use rayon::prelude::*;
use swipy_shared::protocol::Metrics;

use super::calibrate::{logreg_nonneg, platt};
use super::export::export_onnx;
use super::metrics::{log_loss, roc_auc, roc_points};
use super::solver::{
    fit, fold_assignment, gram, predict_rows, weights_of, Design, Fit, FoldDesign,
};
use super::{Layout, LinearHead, Part, PartMetrics, TrainConfig, TrainedModel, PARTS};
use crate::error::{Error, Result};
use crate::features::ProfileFeatures;
use crate::linalg::{sigmoid, softplus};

struct HeadResult {
    /// Standardised-space weights over the head's columns.
    w: Vec<f64>,
    b: f64,
    /// Platt scale and offset.
    platt: (f64, f64),
    /// Raw OOF logits for the head's rows.
    oof_logit: Vec<f64>,
    l2: f64,
    auc: f64,
}

/// Ridge of the stacking regression (on part logits).
const STACK_RIDGE: f64 = 1.0;

fn dot64(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The average of the folds' fits as a fit on all of `rows`: primal weights averaged; dual
/// coefficients placed at each training row's position in `rows` and averaged over the
/// folds (zero where a fold held the row out), which averages the folds' functions.
fn average_of_folds(
    design: &Design<'_>,
    trains: &[&[usize]],
    fits: &[(Vec<f32>, f64)],
    rows: &[usize],
    ids: usize,
) -> Option<Fit> {
    if fits.is_empty() || fits.len() != trains.len() {
        return None;
    }
    let k = fits.len() as f32;
    let b = fits.iter().map(|(_, b)| b).sum::<f64>() / fits.len() as f64;
    let theta = match design {
        Design::Primal { cols, .. } => {
            let mut t = vec![0f32; cols.len()];
            for (theta, _) in fits {
                for (ti, v) in t.iter_mut().zip(theta) {
                    *ti += v / k;
                }
            }
            t
        }
        Design::Dual { .. } => {
            let mut at = vec![usize::MAX; ids];
            for (p, &i) in rows.iter().enumerate() {
                at[i] = p;
            }
            let mut t = vec![0f32; rows.len()];
            for (train, (theta, _)) in trains.iter().zip(fits) {
                for (&i, v) in train.iter().zip(theta) {
                    if let Some(slot) = t.get_mut(at[i]) {
                        *slot += v / k;
                    }
                }
            }
            t
        }
    };
    Some(Fit { theta, b })
}

/// Trains one head on `rows` (ids into the data) over `cols`.
#[allow(clippy::too_many_arguments)]
fn train_head(
    z: &[f32],
    d: usize,
    n: usize,
    cols: Range<usize>,
    k: Option<&[f32]>,
    rows: &[usize],
    y: &[f64],
    c: &[f64],
    cfg: &TrainConfig,
    folds: usize,
) -> HeadResult {
    let design = match k {
        Some(k) => Design::Dual { k, n },
        None => Design::Primal {
            z,
            d,
            cols: cols.clone(),
        },
    };
    let fold = fold_assignment(y, rows, folds, cfg.seed);
    let grid: Vec<f64> = {
        let mut g = cfg.l2_grid.clone();
        g.sort_by(|a, b| b.total_cmp(a)); // strongest first: warm starts walk the path
        g.dedup();
        if g.is_empty() {
            g.push(0.01);
        }
        g
    };
    // The design of all the head's rows (the final fit); its eigenvalue bound serves
    // every fold, whose rows are a subset.
    let all = FoldDesign::new(&design, rows);
    // Per fold: training rows (ids), held-out positions and ids, design, and the fit at
    // the previous L2 (the warm start of the next).
    struct FoldState {
        train: Vec<usize>,
        held: Vec<usize>,
        held_ids: Vec<usize>,
        fd: FoldDesign,
        warm: Option<Fit>,
    }
    let design_ref = &design;
    let mut states: Vec<FoldState> = (0..folds)
        .into_par_iter()
        .map(|f| {
            let train: Vec<usize> = (0..rows.len())
                .filter(|&i| fold[i] != f)
                .map(|i| rows[i])
                .collect();
            let held: Vec<usize> = (0..rows.len()).filter(|&i| fold[i] == f).collect();
            let held_ids = held.iter().map(|&i| rows[i]).collect();
            let fd = FoldDesign::subset(design_ref, &train, &all);
            FoldState {
                train,
                held,
                held_ids,
                fd,
                warm: None,
            }
        })
        .collect();
    let yr: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
    let cr: Vec<f64> = rows.iter().map(|&i| c[i]).collect();
    // Walk the L2 path from the strongest penalty, the folds of each value in parallel,
    // and keep the value with the lowest class-weighted out-of-fold log-loss. The loss
    // along the path has one minimum in practice: the walk stops at the first value that
    // does not improve on the best, and the weaker (slowest) fits past it are not run.
    let mut best: Option<(usize, f64, Vec<f64>)> = None;
    // The folds' fits at the best value so far: their average starts the final fit.
    let mut best_fits: Vec<(Vec<f32>, f64)> = Vec::new();
    for (gi, &l2) in grid.iter().enumerate() {
        let per_fold: Vec<(Fit, Vec<f64>)> = states
            .par_iter()
            .map(|st| {
                // Warm-started fits along the path need fewer steps.
                let iters = if st.warm.is_some() {
                    cfg.max_iter.div_ceil(2)
                } else {
                    cfg.max_iter
                };
                let fitted = fit(&st.fd, &st.train, y, c, l2, iters, st.warm.as_ref());
                let logits = predict_rows(design_ref, &fitted, &st.train, &st.held_ids);
                (fitted, logits)
            })
            .collect();
        let mut oof = vec![0f64; rows.len()];
        for (st, (fitted, logits)) in states.iter_mut().zip(per_fold) {
            for (&i, v) in st.held.iter().zip(logits) {
                oof[i] = v;
            }
            st.warm = Some(fitted);
        }
        let loss: f64 = oof
            .iter()
            .zip(&yr)
            .zip(&cr)
            .map(|((&si, &yi), &ci)| ci * (softplus(si) - yi * si))
            .sum();
        match &best {
            Some((_, best_loss, _)) if loss >= best_loss - 1e-9 => break,
            _ => {
                best = Some((gi, loss, oof));
                best_fits = states
                    .iter()
                    .filter_map(|st| st.warm.as_ref().map(|f| (f.theta.clone(), f.b)))
                    .collect();
            }
        }
    }
    let (best, _, oof_best) = best.expect("the grid has at least one value");
    let l2 = grid[best];
    let (a, pb) = platt(&oof_best, &yr);
    let auc = roc_auc(&oof_best, &yr);
    // Final fit on all rows, from the folds' average at that L2 (the same model fitted on
    // four fifths of the rows each: most of the way there already).
    let trains: Vec<&[usize]> = states.iter().map(|st| st.train.as_slice()).collect();
    let start = average_of_folds(&design, &trains, &best_fits, rows, y.len());
    let fitted = fit(&all, rows, y, c, l2, cfg.max_iter * 2, start.as_ref());
    let w = weights_of(&design, z, d, &cols, &fitted, rows);
    HeadResult {
        w,
        b: fitted.b,
        platt: (a, pb),
        oof_logit: oof_best,
        l2,
        auc,
    }
}

/// Trains the head on labelled profiles (`true` = like). Deterministic for a given
/// `cfg.seed`. Progress is reported as `(stage, done, total)` with stages `prepare`,
/// `cv`, `export`.
///
/// Each part's probability is Platt-calibrated on its out-of-fold scores (the
/// class-balanced fit alone is not calibrated); P(like) is the stacking regression on the
/// parts' out-of-fold logits, itself cross-validated for the reported metrics (ROC-AUC,
/// accuracy, log-loss).
pub fn train(
    data: &[(ProfileFeatures, bool)],
    cfg: &TrainConfig,
    progress: &mut dyn FnMut(&str, u32, u32),
) -> Result<TrainedModel> {
    train_weighted(data, None, cfg, progress)
}

/// [`train`] with a weight per example (e.g. a like that became a match counts more).
/// The weights scale each example's loss in the part heads, on top of the class balance;
/// the stacking and the reported metrics stay unweighted, so P(like) stays calibrated to
/// the labels. Weights must be finite and positive.
pub fn train_weighted(
    data: &[(ProfileFeatures, bool)],
    weights: Option<&[f64]>,
    cfg: &TrainConfig,
    progress: &mut dyn FnMut(&str, u32, u32),
) -> Result<TrainedModel> {
    if let Some(w) = weights {
        if w.len() != data.len() {
            return Err(Error::InvalidInput(format!(
                "{} weights for {} examples",
                w.len(),
                data.len()
            )));
        }
        if let Some(bad) = w.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
            return Err(Error::InvalidInput(format!(
                "example weight {bad} is not a positive number"
            )));
        }
    }
    let n = data.len();
    let n_like = data.iter().filter(|(_, l)| *l).count() as u32;
    let n_nope = n as u32 - n_like;
    if (n as u32) < cfg.min_labels || n_like < cfg.min_per_class || n_nope < cfg.min_per_class {
        return Err(Error::NotEnoughLabels {
            likes: n_like,
            nopes: n_nope,
            min_total: cfg.min_labels,
            min_per_class: cfg.min_per_class,
        });
    }
    progress("prepare", 0, 1);
    let started = std::time::Instant::now();
    let mut layout = Layout::from_features(data.iter().map(|(f, _)| f));
    let d = layout.dim();
    let feats: Vec<&ProfileFeatures> = data.iter().map(|(f, _)| f).collect();
    let mut z = layout.matrix(&feats)?;
    let y: Vec<f64> = data
        .iter()
        .map(|(_, l)| if *l { 1.0 } else { 0.0 })
        .collect();
    let (wl, wn) = (
        n as f64 / (2.0 * f64::from(n_like)),
        n as f64 / (2.0 * f64::from(n_nope)),
    );
    let c: Vec<f64> = y
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let class = if v > 0.5 { wl } else { wn };
            class * weights.map_or(1.0, |w| w[i])
        })
        .collect();
    // Standardise each column over the rows where its part is present; missing → 0.
    // Row by row (the matrix is row-major): sums, then sums of squared deviations.
    let mut mu = vec![0f64; d];
    let mut sd = vec![1f64; d];
    for part in PARTS {
        let block = layout.block(part);
        if block.is_empty() {
            continue;
        }
        let present: Vec<bool> = (0..n).map(|i| part.present(feats[i])).collect();
        let count = present.iter().filter(|&&p| p).count();
        let rows_present = || (0..n).filter(|&i| present[i]);
        if count > 0 {
            let mut sum = vec![0f64; block.len()];
            for i in rows_present() {
                for (s, &v) in sum
                    .iter_mut()
                    .zip(&z[i * d + block.start..i * d + block.end])
                {
                    *s += f64::from(v);
                }
            }
            for (m, s) in mu[block.clone()].iter_mut().zip(&sum) {
                *m = s / count as f64;
            }
            let mut var = vec![0f64; block.len()];
            for i in rows_present() {
                let row = &z[i * d + block.start..i * d + block.end];
                for ((v, &x), &m) in var.iter_mut().zip(row).zip(&mu[block.clone()]) {
                    *v += (f64::from(x) - m).powi(2);
                }
            }
            for (s, v) in sd[block.clone()].iter_mut().zip(&var) {
                let root = (v / count as f64).sqrt();
                *s = if root > 1e-6 { root } else { 1.0 };
            }
        }
        for (i, &p) in present.iter().enumerate() {
            let row = &mut z[i * d + block.start..i * d + block.end];
            for ((v, &m), &s) in row
                .iter_mut()
                .zip(&mu[block.clone()])
                .zip(&sd[block.clone()])
            {
                *v = if p {
                    ((f64::from(*v) - m) / s) as f32
                } else {
                    0.0
                };
            }
        }
    }
    let min_class = n_like.min(n_nope) as usize;
    let folds = (cfg.folds as usize).clamp(2, min_class.max(2));
    progress("prepare", 1, 1);
    let total_steps = (PARTS.len() * folds) as u32;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.threads.max(1))
        .build()
        .map_err(|e| Error::Runtime(format!("cannot start the training threads: {e}")))?;
    progress("cv", 0, total_steps);
    // The photo part outnumbers the rows: fit it in the dual, over its Gram matrix.
    let photo_cols = layout.block(Part::Photo);
    // Part heads, each on the rows that have the part, with its own L2; the parts and their
    // folds run in parallel (deterministic: every fit depends only on its inputs).
    let fitted: Vec<(Vec<usize>, Option<HeadResult>)> = pool.install(|| {
        let k_photo = (photo_cols.len() > n).then(|| gram(&z, n, d, &photo_cols));
        log::debug!("train: gram matrix after {:?}", started.elapsed());
        PARTS
            .par_iter()
            .map(|part| {
                let rows: Vec<usize> = (0..n).filter(|&i| part.present(feats[i])).collect();
                let cols = layout.block(*part);
                let likes = rows.iter().filter(|&&i| y[i] > 0.5).count();
                let nopes = rows.len() - likes;
                if cols.is_empty() || likes < 2 || nopes < 2 {
                    return (rows, None);
                }
                let pf = folds.min(likes.min(nopes)).max(2);
                let k = match part {
                    Part::Photo => k_photo.as_deref(),
                    _ => None,
                };
                let r = train_head(&z, d, n, cols, k, &rows, &y, &c, cfg, pf);
                (rows, Some(r))
            })
            .collect()
    });
    let mut part_results: Vec<Option<HeadResult>> = Vec::new();
    let mut part_metrics = Vec::new();
    // Stacking inputs: each part's out-of-fold logit per row (0 where the part is absent).
    let mut stack_x = vec![vec![0f64; PARTS.len()]; n];
    for (pi, (part, (rows, r))) in PARTS.iter().zip(fitted).enumerate() {
        let Some(r) = r else {
            part_results.push(None);
            part_metrics.push(PartMetrics {
                part: part.name().into(),
                trained: false,
                rows: rows.len() as u32,
                ..Default::default()
            });
            continue;
        };
        for (&i, &s) in rows.iter().zip(&r.oof_logit) {
            stack_x[i][pi] = s;
        }
        layout.trained[pi] = true;
        part_metrics.push(PartMetrics {
            part: part.name().into(),
            trained: true,
            rows: rows.len() as u32,
            roc_auc: r.auc,
            l2: r.l2,
        });
        part_results.push(Some(r));
    }
    progress("cv", total_steps, total_steps);
    // P(like): the stack, cross-validated over the same kind of folds for honest metrics.
    let all: Vec<usize> = (0..n).collect();
    let fold = fold_assignment(&y, &all, folds, cfg.seed ^ 0x5ac4);
    let mut oof = vec![0f64; n];
    for f in 0..folds {
        let train_rows: Vec<usize> = all.iter().copied().filter(|&i| fold[i] != f).collect();
        let xs: Vec<Vec<f64>> = train_rows.iter().map(|&i| stack_x[i].clone()).collect();
        let ys: Vec<f64> = train_rows.iter().map(|&i| y[i]).collect();
        let (beta, b0) = logreg_nonneg(&xs, &ys, STACK_RIDGE);
        for i in all.iter().copied().filter(|&i| fold[i] == f) {
            oof[i] = sigmoid(dot64(&beta, &stack_x[i]) + b0);
        }
    }
    let (beta, beta0) = logreg_nonneg(&stack_x, &y, STACK_RIDGE);
    log::debug!("train: stack weights {beta:?}, bias {beta0}");
    progress("export", 0, 1);
    // Fold standardisation, stacking and calibration into raw-space weights.
    let mut w = vec![0f64; d * 5];
    let mut b = [0f64; 5];
    b[0] = beta0;
    let meta_cols = layout.block(Part::Meta);
    for (pi, part) in PARTS.iter().enumerate() {
        let col_out = pi + 1;
        let Some(r) = &part_results[pi] else {
            b[col_out] = 0.0;
            continue;
        };
        // The part's logit in raw space: Σ raw·wk/sd + constant, where present.
        let mut constant = r.b;
        for (j, col) in layout.block(*part).enumerate() {
            let wk = r.w[j];
            constant -= wk * mu[col] / sd[col];
            w[col * 5] += beta[pi] * wk / sd[col];
            w[col * 5 + col_out] = r.platt.0 * wk / sd[col];
        }
        b[col_out] = r.platt.0 * constant + r.platt.1;
        // P(like) takes the part's constant only where the part is present.
        match part.flag() {
            Some(flag) => w[(meta_cols.start + flag) * 5] += beta[pi] * constant,
            None => b[0] += beta[pi] * constant,
        }
    }
    let head = LinearHead { w, b };
    let acc = oof
        .iter()
        .zip(&y)
        .filter(|(p, yi)| (**p >= 0.5) == (**yi > 0.5))
        .count() as f64
        / n as f64;
    // The L2 reported is that of the part P(like) leans on most.
    let main_part = (0..PARTS.len())
        .max_by(|&a, &b| beta[a].total_cmp(&beta[b]))
        .unwrap_or(0);
    let metrics = Metrics {
        roc_auc: roc_auc(&oof, &y),
        accuracy: acc,
        log_loss: log_loss(&oof, &y),
        n_like,
        n_nope,
        folds: folds as u32,
        l2: part_metrics.get(main_part).map_or(0.0, |p| p.l2),
        roc: roc_points(&oof, &y),
    };
    let onnx = export_onnx(&layout, &head, &metrics, &part_metrics)?;
    progress("export", 1, 1);
    log::info!(
        "trained on {n} profiles ({n_like} like, {n_nope} nope) in {:?}: CV ROC-AUC {:.3}, L2 {}",
        started.elapsed(),
        metrics.roc_auc,
        metrics.l2
    );
    Ok(TrainedModel {
        onnx,
        metrics,
        parts: part_metrics,
        layout,
        head,
        oof,
    })
}
