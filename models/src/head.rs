//! The trained head: one class-balanced L2 logistic regression per part (photo, face,
//! text, meta), each with its L2 strength chosen by stratified k-fold CV and Platt
//! calibration on its out-of-fold scores; P(like) stacks the parts: a small logistic
//! regression with non-negative weights on the parts' out-of-fold logits. Everything is
//! linear in the features, so it exports as one ONNX model (`features [batch, D]` → Gemm →
//! Sigmoid → `scores [batch, 5]`, columns `p_like, photo, face, text, meta`) with the
//! standardisation folded into the weights.
//!
//! Stacking rather than one regression over all features: with a few dozen labels, 2,048
//! photo dimensions of noise drown a 384-dimension text signal in a single fit; the stack
//! learns from held-out scores how much each part is worth and gives a part with no
//! held-out signal no weight.
//!
//! Fitting is accelerated gradient descent. Heads with more features than training rows
//! run in the dual parametrisation (`w = Zᵀα`, exactly the same iterates, but each step
//! costs N² with a precomputed Gram matrix instead of N·D), which keeps training on a
//! thousand profiles' 2.5k-d features within about a second.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use swipy_shared::protocol::Metrics;

use crate::error::{Error, Result};
use crate::features::{ProfileFeatures, META_DIM, META_HAS_FACE, META_HAS_PHOTO, META_HAS_TEXT};
use crate::linalg::{axpy, dot, sigmoid, softplus, Rng};
use crate::onnx::{Attr, Dim, GraphBuilder, FLOAT};
use rayon::prelude::*;

/// Input name of the exported head.
pub const HEAD_INPUT: &str = "features";
/// Output name of the exported head.
pub const HEAD_OUTPUT: &str = "scores";
/// Column order of `scores`.
pub const HEAD_COLUMNS: [&str; 5] = ["p_like", "photo", "face", "text", "meta"];
/// Metadata key holding the [`Layout`] JSON.
pub const META_LAYOUT: &str = "swipy.layout";
/// Metadata key holding the metrics JSON.
pub const META_METRICS: &str = "swipy.metrics";

/// A feature part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Photo,
    Face,
    Text,
    Meta,
}

/// All parts, in column order after `p_like`.
pub const PARTS: [Part; 4] = [Part::Photo, Part::Face, Part::Text, Part::Meta];

impl Part {
    pub fn name(self) -> &'static str {
        match self {
            Part::Photo => "photo",
            Part::Face => "face",
            Part::Text => "text",
            Part::Meta => "meta",
        }
    }
    fn present(self, f: &ProfileFeatures) -> bool {
        match self {
            Part::Photo => f.photo_mean.is_some(),
            Part::Face => f.face.is_some(),
            Part::Text => f.text.is_some(),
            Part::Meta => true,
        }
    }
    fn flag(self) -> Option<usize> {
        match self {
            Part::Photo => Some(META_HAS_PHOTO),
            Part::Face => Some(META_HAS_FACE),
            Part::Text => Some(META_HAS_TEXT),
            Part::Meta => None,
        }
    }
}

/// Sizes of the parts in the feature vector
/// `[photo_mean (photo), photo_max (photo), face, text, meta]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    pub photo: usize,
    pub face: usize,
    pub text: usize,
    pub meta: usize,
    /// Which part heads were trained (photo, face, text, meta); an untrained part scores `None`.
    #[serde(default)]
    pub trained: [bool; 4],
}

impl Layout {
    /// Total feature size.
    pub fn dim(&self) -> usize {
        2 * self.photo + self.face + self.text + self.meta
    }

    /// Columns of `part`.
    pub fn block(&self, part: Part) -> Range<usize> {
        let p2 = 2 * self.photo;
        match part {
            Part::Photo => 0..p2,
            Part::Face => p2..p2 + self.face,
            Part::Text => p2 + self.face..p2 + self.face + self.text,
            Part::Meta => p2 + self.face + self.text..self.dim(),
        }
    }

    /// The layout of a data set (sizes of the first present part of each kind).
    pub fn from_features<'a>(data: impl IntoIterator<Item = &'a ProfileFeatures>) -> Self {
        let mut l = Layout {
            photo: 0,
            face: 0,
            text: 0,
            meta: META_DIM,
            trained: [false; 4],
        };
        for f in data {
            if l.photo == 0 {
                l.photo = f.photo_mean.as_ref().map_or(0, Vec::len);
            }
            if l.face == 0 {
                l.face = f.face.as_ref().map_or(0, Vec::len);
            }
            if l.text == 0 {
                l.text = f.text.as_ref().map_or(0, Vec::len);
            }
        }
        l
    }

    /// Writes `f` into `out` (`dim()` long); missing parts are zero, parts the layout
    /// does not have (size 0) are ignored.
    pub fn write_row(&self, f: &ProfileFeatures, out: &mut [f32]) -> Result<()> {
        out.iter_mut().for_each(|v| *v = 0.0);
        // A part the model was trained without (size 0) is ignored.
        let mut put = |range: Range<usize>, v: &Option<Vec<f32>>, what: &str| -> Result<()> {
            if let Some(v) = v.as_ref().filter(|_| !range.is_empty()) {
                if v.len() != range.len() {
                    return Err(Error::InvalidInput(format!(
                        "{what} has {} values, the model expects {}",
                        v.len(),
                        range.len()
                    )));
                }
                out[range].copy_from_slice(v);
            }
            Ok(())
        };
        let p = self.photo;
        put(0..p, &f.photo_mean, "photo_mean")?;
        put(
            p..2 * p,
            if f.photo_mean.is_some() {
                &f.photo_max
            } else {
                &None
            },
            "photo_max",
        )?;
        put(self.block(Part::Face), &f.face, "face")?;
        put(self.block(Part::Text), &f.text, "text")?;
        put(self.block(Part::Meta), &Some(f.meta.clone()), "meta")?;
        Ok(())
    }

    /// Rows of `data` as one row-major matrix.
    pub fn matrix(&self, data: &[&ProfileFeatures]) -> Result<Vec<f32>> {
        let d = self.dim();
        let mut m = vec![0f32; data.len() * d];
        for (f, row) in data.iter().zip(m.chunks_mut(d.max(1))) {
            self.write_row(f, row)?;
        }
        Ok(m)
    }
}

/// Training settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Seed of the fold assignment (training is deterministic for a seed).
    pub seed: u64,
    /// Cross-validation folds (reduced when a class has fewer examples).
    pub folds: u32,
    /// L2 strengths tried, per example (the penalty is `l2 · n/2 · |w|²` on
    /// standardised features).
    pub l2_grid: Vec<f64>,
    /// Gradient steps per fit.
    pub max_iter: u32,
    /// Fewest labelled profiles accepted.
    pub min_labels: u32,
    /// Fewest of each class accepted.
    pub min_per_class: u32,
    /// Worker threads (folds run in parallel).
    pub threads: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            folds: 5,
            l2_grid: vec![1.0, 0.1, 0.01, 0.001],
            max_iter: 120,
            min_labels: 10,
            min_per_class: 3,
            threads: crate::runtime::default_threads(),
        }
    }
}

/// Cross-validated quality of one part head.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PartMetrics {
    pub part: String,
    pub trained: bool,
    /// Labelled profiles that have this part.
    pub rows: u32,
    pub roc_auc: f64,
    pub l2: f64,
}

/// Weights of the exported head in raw feature space: `scores = sigmoid(x·W + b)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearHead {
    /// Row-major `[dim, 5]`.
    pub w: Vec<f64>,
    pub b: [f64; 5],
}

/// Result of [`train`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrainedModel {
    /// The ONNX head (serve it with [`crate::Scorer::from_onnx`]).
    pub onnx: Vec<u8>,
    /// Cross-validated metrics of the combined P(like).
    pub metrics: Metrics,
    pub parts: Vec<PartMetrics>,
    pub layout: Layout,
    pub head: LinearHead,
    /// Out-of-fold calibrated P(like) per training row (same order as the data).
    pub oof: Vec<f64>,
}

impl TrainedModel {
    /// Probabilities `[p_like, photo, face, text, meta]` computed in Rust (f64) from
    /// the same weights the ONNX head holds (parts with no input are still computed).
    pub fn predict(&self, f: &ProfileFeatures) -> Result<[f64; 5]> {
        let d = self.layout.dim();
        let mut row = vec![0f32; d];
        self.layout.write_row(f, &mut row)?;
        let mut out = [0f64; 5];
        for (c, o) in out.iter_mut().enumerate() {
            let mut s = self.head.b[c];
            for (k, x) in row.iter().enumerate() {
                s += f64::from(*x) * self.head.w[k * 5 + c];
            }
            *o = sigmoid(s);
        }
        Ok(out)
    }
}

/// How features are presented to one fit.
enum Design<'a> {
    /// Standardised rows, columns `cols`.
    Primal {
        z: &'a [f32],
        d: usize,
        cols: Range<usize>,
    },
    /// Gram matrix `N×N` over the head's columns.
    Dual { k: &'a [f32], n: usize },
}

struct Fit {
    /// Primal weights (len = cols) or dual coefficients (len = train rows).
    theta: Vec<f32>,
    b: f64,
}

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

fn fold_assignment(y: &[f64], rows: &[usize], folds: usize, seed: u64) -> Vec<usize> {
    // Stratified: shuffle each class, deal round-robin.
    let mut rng = Rng::new(seed);
    let mut fold = vec![0usize; rows.len()];
    for class in [1.0, 0.0] {
        let mut idx: Vec<usize> = (0..rows.len()).filter(|&i| y[rows[i]] == class).collect();
        rng.shuffle(&mut idx);
        for (k, i) in idx.into_iter().enumerate() {
            fold[i] = k % folds;
        }
    }
    fold
}

/// One fold's contiguous training design (X, m×d, for primal; K_TT, m×m, for dual) and
/// the largest eigenvalue of XᵀX (= of K_TT): built once and shared by every L2 value of
/// the fold's path.
struct FoldDesign {
    mat: Vec<f32>,
    width: usize,
    primal: bool,
    lmax: f64,
}

impl FoldDesign {
    fn new(design: &Design<'_>, train: &[usize]) -> Self {
        let m = train.len();
        let (mat, width) = match design {
            Design::Primal { z, d, cols } => {
                let w = cols.len();
                let mut x = Vec::with_capacity(m * w);
                for &i in train {
                    x.extend_from_slice(&z[i * d + cols.start..i * d + cols.end]);
                }
                (x, w)
            }
            Design::Dual { k, n } => {
                let mut x = Vec::with_capacity(m * m);
                for &i in train {
                    let row = &k[i * n..(i + 1) * n];
                    x.extend(train.iter().map(|&j| row[j]));
                }
                (x, m)
            }
        };
        let primal = matches!(design, Design::Primal { .. });
        // Largest eigenvalue by power iteration, with a safety margin.
        let lmax = {
            let mut v = vec![1f32; width];
            let mut est = 0f64;
            let mut tmp = vec![0f32; m];
            for _ in 0..30 {
                let nv: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-30);
                v.iter_mut().for_each(|x| *x /= nv);
                let mut nvv = vec![0f32; width];
                if primal {
                    for (r, t) in tmp.iter_mut().enumerate() {
                        *t = dot(&mat[r * width..(r + 1) * width], &v);
                    }
                    for (r, t) in tmp.iter().enumerate() {
                        axpy(*t, &mat[r * width..(r + 1) * width], &mut nvv);
                    }
                } else {
                    for (r, o) in nvv.iter_mut().enumerate() {
                        *o = dot(&mat[r * width..(r + 1) * width], &v);
                    }
                }
                est = f64::from(dot(&nvv, &v));
                v = nvv;
            }
            est.max(0.0) * 1.25 + 1e-9
        };
        Self {
            mat,
            width,
            primal,
            lmax,
        }
    }
}

/// Gradient fit of one head on `train` (row ids into the full data; `fd` its design).
#[allow(clippy::too_many_arguments)]
fn fit(
    fd: &FoldDesign,
    train: &[usize],
    y: &[f64],
    c: &[f64],
    l2: f64,
    iters: u32,
    warm: Option<&Fit>,
) -> Fit {
    let m = train.len();
    let (mat, width, primal) = (&fd.mat, fd.width, fd.primal);
    let lam = l2 * m as f64;
    let cmax = train.iter().map(|&i| c[i]).fold(0.0, f64::max);
    let lip = cmax / 4.0 * (fd.lmax + m as f64) + lam;
    let eta = 1.0 / lip;
    let mut theta = match warm {
        Some(w) if w.theta.len() == width => w.theta.clone(),
        _ => vec![0f32; width],
    };
    let mut b = warm.map_or(0.0, |w| w.b);
    let mut theta_prev = theta.clone();
    let mut b_prev = b;
    let mut f = vec![0f64; m];
    let mut g = vec![0f32; m];
    let mut phi = vec![0f32; width];
    let mut f_prev = vec![f64::NAN; m];
    for it in 0..iters {
        let mom = it as f32 / (it as f32 + 3.0);
        for ((p, t), tp) in phi.iter_mut().zip(&theta).zip(&theta_prev) {
            *p = t + mom * (t - tp);
        }
        let beta = b + f64::from(mom) * (b - b_prev);
        for (r, fr) in f.iter_mut().enumerate() {
            *fr = f64::from(dot(&mat[r * width..(r + 1) * width], &phi)) + beta;
        }
        // Converged: no training logit moved by more than STOP_LOGIT_CHANGE in a step
        // (the same test in the primal and the dual, whose logits are the same; strong
        // penalties get there in a few dozen steps, weak ones may use them all).
        let moved = f
            .iter()
            .zip(&f_prev)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        if it >= MIN_STEPS && moved <= STOP_LOGIT_CHANGE {
            break;
        }
        f_prev.copy_from_slice(&f);
        let mut gb = 0f64;
        for (r, &i) in train.iter().enumerate() {
            let gi = c[i] * (sigmoid(f[r]) - y[i]);
            g[r] = gi as f32;
            gb += gi;
        }
        let mut dir = vec![0f32; width];
        if primal {
            for r in 0..m {
                axpy(g[r], &mat[r * width..(r + 1) * width], &mut dir);
            }
            let lam32 = lam as f32;
            for (dv, p) in dir.iter_mut().zip(&phi) {
                *dv += lam32 * p;
            }
        } else {
            // Function-space step: same iterate as the primal one with w = Zᵀα.
            let lam32 = (l2 * m as f64) as f32;
            for ((dv, gr), p) in dir.iter_mut().zip(&g).zip(&phi) {
                *dv = gr + lam32 * p;
            }
        }
        theta_prev = std::mem::replace(&mut theta, phi.clone());
        let e32 = eta as f32;
        for (t, dv) in theta.iter_mut().zip(&dir) {
            *t -= e32 * dv;
        }
        b_prev = b;
        b = beta - eta * gb;
    }
    Fit { theta, b }
}

/// Gradient steps every fit takes before it may stop early.
const MIN_STEPS: u32 = 10;
/// A fit stops once a step moves no training logit by more than this.
const STOP_LOGIT_CHANGE: f64 = 1e-4;

/// Logits of `rows` under a fit trained on `train`.
fn predict_rows(design: &Design<'_>, fitted: &Fit, train: &[usize], rows: &[usize]) -> Vec<f64> {
    match design {
        Design::Primal { z, d, cols } => rows
            .iter()
            .map(|&i| {
                f64::from(dot(&z[i * d + cols.start..i * d + cols.end], &fitted.theta)) + fitted.b
            })
            .collect(),
        Design::Dual { k, n } => rows
            .iter()
            .map(|&i| {
                let row = &k[i * n..(i + 1) * n];
                let s: f32 = train
                    .iter()
                    .zip(&fitted.theta)
                    .map(|(&j, a)| row[j] * a)
                    .sum();
                f64::from(s) + fitted.b
            })
            .collect(),
    }
}

/// Standardised-space weights of a fit.
fn weights_of(
    design: &Design<'_>,
    z: &[f32],
    d: usize,
    cols: &Range<usize>,
    fitted: &Fit,
    train: &[usize],
) -> Vec<f64> {
    match design {
        Design::Primal { .. } => fitted.theta.iter().map(|&v| f64::from(v)).collect(),
        Design::Dual { .. } => {
            let mut w = vec![0f64; cols.len()];
            for (&i, &a) in train.iter().zip(&fitted.theta) {
                for (wk, zk) in w.iter_mut().zip(&z[i * d + cols.start..i * d + cols.end]) {
                    *wk += f64::from(a) * f64::from(*zk);
                }
            }
            w
        }
    }
}

/// Solves the small dense system `a·x = b` (Gaussian elimination, partial pivoting).
fn solve_small(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let k = b.len();
    for col in 0..k {
        let piv = (col..k).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, piv);
        b.swap(col, piv);
        let (top, below) = a.split_at_mut(col + 1);
        let pivot = &top[col];
        for (r, row) in below.iter_mut().enumerate() {
            let f = row[col] / pivot[col];
            for (x, p) in row[col..].iter_mut().zip(&pivot[col..]) {
                *x -= f * p;
            }
            b[col + 1 + r] -= f * b[col];
        }
    }
    let mut x = vec![0.0; k];
    for r in (0..k).rev() {
        let s: f64 = (r + 1..k).map(|c2| a[r][c2] * x[c2]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Logistic regression on a few features: `σ(x·β + β₀)` fitted to (soft) targets `t` by
/// Newton's method with a backtracking line search, penalty `ridge/2·|β|²` (bias free), and
/// `β ≥ 0`: a feature whose weight would go negative is dropped and the rest refitted.
/// Converges on separable or constant inputs too. Returns `(β, β₀)`.
fn logreg_nonneg(x: &[Vec<f64>], t: &[f64], ridge: f64) -> (Vec<f64>, f64) {
    let k = x.first().map_or(0, Vec::len);
    let mut active: Vec<bool> = vec![true; k];
    loop {
        let idx: Vec<usize> = (0..k).filter(|&j| active[j]).collect();
        let (beta, b0) = logreg_newton(x, t, ridge, &idx);
        let mut full = vec![0.0; k];
        for (j, v) in idx.iter().zip(&beta) {
            full[*j] = *v;
        }
        match idx.iter().zip(&beta).find(|(_, v)| **v < 0.0) {
            Some((&j, _)) => active[j] = false,
            None => return (full, b0),
        }
    }
}

fn logreg_newton(x: &[Vec<f64>], t: &[f64], ridge: f64, idx: &[usize]) -> (Vec<f64>, f64) {
    let k = idx.len();
    // θ = [β over idx…, β₀].
    let mut theta = vec![0.0; k + 1];
    let mean_t = t.iter().sum::<f64>() / t.len().max(1) as f64;
    theta[k] = (mean_t.clamp(1e-6, 1.0 - 1e-6) / (1.0 - mean_t.clamp(1e-6, 1.0 - 1e-6))).ln();
    let logit = |th: &[f64], row: &[f64]| -> f64 {
        idx.iter()
            .enumerate()
            .map(|(a, &j)| th[a] * row[j])
            .sum::<f64>()
            + th[k]
    };
    let objective = |th: &[f64]| -> f64 {
        let data: f64 = x
            .iter()
            .zip(t)
            .map(|(row, &ti)| {
                let s = logit(th, row);
                softplus(s) - ti * s
            })
            .sum();
        data + 0.5 * ridge * th[..k].iter().map(|v| v * v).sum::<f64>()
    };
    let mut f = objective(&theta);
    for _ in 0..100 {
        let mut g = vec![0.0; k + 1];
        let mut h = vec![vec![0.0; k + 1]; k + 1];
        for (row, &ti) in x.iter().zip(t) {
            let p = sigmoid(logit(&theta, row));
            let r = p - ti;
            let w = (p * (1.0 - p)).max(1e-12);
            let xt: Vec<f64> = idx.iter().map(|&j| row[j]).chain([1.0]).collect();
            for a in 0..=k {
                g[a] += r * xt[a];
                for b in 0..=k {
                    h[a][b] += w * xt[a] * xt[b];
                }
            }
        }
        for a in 0..k {
            g[a] += ridge * theta[a];
            h[a][a] += ridge;
        }
        h[k][k] += 1e-9;
        let Some(step) = solve_small(h, g) else {
            break;
        };
        let mut lr = 1.0;
        let mut moved = false;
        for _ in 0..40 {
            let cand: Vec<f64> = theta.iter().zip(&step).map(|(a, d)| a - lr * d).collect();
            let fc = objective(&cand);
            if fc.is_finite() && fc <= f {
                moved = fc < f;
                theta = cand;
                f = fc;
                break;
            }
            lr *= 0.5;
        }
        if !moved || step.iter().map(|v| (v * lr).abs()).sum::<f64>() < 1e-10 {
            break;
        }
    }
    let b0 = theta.pop().unwrap_or(0.0);
    (theta, b0)
}

/// Platt's smoothed targets for labels `y`.
fn platt_targets(y: &[f64]) -> Vec<f64> {
    let npos = y.iter().filter(|&&v| v > 0.5).count() as f64;
    let nneg = y.len() as f64 - npos;
    let hi = (npos + 1.0) / (npos + 2.0);
    let lo = 1.0 / (nneg + 2.0);
    y.iter().map(|&v| if v > 0.5 { hi } else { lo }).collect()
}

/// Platt scaling `p = σ(a·s + b)` on smoothed targets, `a ≥ 0`: a score that ranks
/// held-out rows no better than chance gets `a = 0` (the prior).
fn platt(scores: &[f64], y: &[f64]) -> (f64, f64) {
    let x: Vec<Vec<f64>> = scores.iter().map(|&s| vec![s]).collect();
    let (a, b) = logreg_nonneg(&x, &platt_targets(y), 1e-6);
    (a[0], b)
}

/// Ridge of the stacking regression (on part logits).
const STACK_RIDGE: f64 = 1.0;

fn dot64(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// ROC-AUC with ties counted half.
pub fn roc_auc(scores: &[f64], y: &[f64]) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let npos = y.iter().filter(|&&v| v > 0.5).count() as f64;
    let nneg = y.len() as f64 - npos;
    if npos == 0.0 || nneg == 0.0 {
        return 0.5;
    }
    // Average ranks over ties.
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if y[k] > 0.5 {
                rank_sum_pos += avg;
            }
        }
        i = j + 1;
    }
    (rank_sum_pos - npos * (npos + 1.0) / 2.0) / (npos * nneg)
}

/// ROC points `[fpr, tpr]` (at most ~100, starting at `[0,0]`, ending at `[1,1]`).
pub fn roc_points(scores: &[f64], y: &[f64]) -> Vec<[f64; 2]> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let npos = y.iter().filter(|&&v| v > 0.5).count().max(1) as f64;
    let nneg = (y.len() as f64 - y.iter().filter(|&&v| v > 0.5).count() as f64).max(1.0);
    let mut pts = vec![[0.0, 0.0]];
    let (mut tp, mut fp) = (0.0, 0.0);
    let step = (idx.len() / 100).max(1);
    for (n, w) in idx.iter().enumerate() {
        if y[*w] > 0.5 {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        let last_of_tie = n + 1 == idx.len() || scores[idx[n + 1]] != scores[*w];
        if last_of_tie && ((n + 1) % step == 0 || n + 1 == idx.len()) {
            pts.push([fp / nneg, tp / npos]);
        }
    }
    pts
}

fn log_loss(p: &[f64], y: &[f64]) -> f64 {
    let n = p.len().max(1) as f64;
    p.iter()
        .zip(y)
        .map(|(&pi, &yi)| {
            let pi = pi.clamp(1e-15, 1.0 - 1e-15);
            -(yi * pi.ln() + (1.0 - yi) * (1.0 - pi).ln())
        })
        .sum::<f64>()
        / n
}

/// Symmetric Gram matrix over `cols` of the standardised rows (rows in parallel).
fn gram(z: &[f32], n: usize, d: usize, cols: &Range<usize>) -> Vec<f32> {
    let w = cols.len();
    let mut block = Vec::with_capacity(n * w);
    for i in 0..n {
        block.extend_from_slice(&z[i * d + cols.start..i * d + cols.end]);
    }
    let block = &block;
    let rows: Vec<Vec<f32>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let ri = &block[i * w..(i + 1) * w];
            (0..=i)
                .map(|j| dot(ri, &block[j * w..(j + 1) * w]))
                .collect()
        })
        .collect();
    let mut k = vec![0f32; n * n];
    for (i, row) in rows.into_iter().enumerate() {
        for (j, v) in row.into_iter().enumerate() {
            k[i * n + j] = v;
            k[j * n + i] = v;
        }
    }
    k
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
    // OOF logits per grid value.
    let mut oof = vec![vec![0f64; rows.len()]; grid.len()];
    // Folds in parallel; per fold, per grid value: (row position, OOF logit).
    type FoldOof = (usize, Vec<Vec<(usize, f64)>>);
    let design_ref = &design;
    let results: Vec<FoldOof> = (0..folds)
        .into_par_iter()
        .map(|f| {
            let train: Vec<usize> = (0..rows.len())
                .filter(|&i| fold[i] != f)
                .map(|i| rows[i])
                .collect();
            let held: Vec<usize> = (0..rows.len()).filter(|&i| fold[i] == f).collect();
            let held_ids: Vec<usize> = held.iter().map(|&i| rows[i]).collect();
            let fd = FoldDesign::new(design_ref, &train);
            let mut per_grid = Vec::with_capacity(grid.len());
            let mut warm: Option<Fit> = None;
            for &l2 in &grid {
                // Warm-started fits along the path need fewer steps.
                let iters = if warm.is_some() {
                    cfg.max_iter.div_ceil(2)
                } else {
                    cfg.max_iter
                };
                let fitted = fit(&fd, &train, y, c, l2, iters, warm.as_ref());
                let logits = predict_rows(design_ref, &fitted, &train, &held_ids);
                per_grid.push(held.iter().copied().zip(logits).collect::<Vec<_>>());
                warm = Some(fitted);
            }
            (f, per_grid)
        })
        .collect();
    for (_, per_grid) in results {
        for (gi, pairs) in per_grid.into_iter().enumerate() {
            for (i, v) in pairs {
                oof[gi][i] = v;
            }
        }
    }
    // Choose the L2 with the lowest class-weighted OOF log-loss.
    let yr: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
    let cr: Vec<f64> = rows.iter().map(|&i| c[i]).collect();
    let mut best = 0;
    let mut best_loss = f64::INFINITY;
    for (gi, s) in oof.iter().enumerate() {
        let loss: f64 = s
            .iter()
            .zip(&yr)
            .zip(&cr)
            .map(|((&si, &yi), &ci)| ci * (softplus(si) - yi * si))
            .sum();
        if loss < best_loss - 1e-9 {
            best_loss = loss;
            best = gi;
        }
    }
    let l2 = grid[best];
    let (a, pb) = platt(&oof[best], &yr);
    let auc = roc_auc(&oof[best], &yr);
    // Final fit on all rows.
    let fitted = fit(
        &FoldDesign::new(&design, rows),
        rows,
        y,
        c,
        l2,
        cfg.max_iter * 2,
        None,
    );
    let w = weights_of(&design, z, d, &cols, &fitted, rows);
    HeadResult {
        w,
        b: fitted.b,
        platt: (a, pb),
        oof_logit: oof.swap_remove(best),
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
    let mut mu = vec![0f64; d];
    let mut sd = vec![1f64; d];
    for part in PARTS {
        let rows: Vec<usize> = (0..n).filter(|&i| part.present(feats[i])).collect();
        for col in layout.block(part) {
            if rows.is_empty() {
                continue;
            }
            let m: f64 =
                rows.iter().map(|&i| f64::from(z[i * d + col])).sum::<f64>() / rows.len() as f64;
            let v: f64 = rows
                .iter()
                .map(|&i| (f64::from(z[i * d + col]) - m).powi(2))
                .sum::<f64>()
                / rows.len() as f64;
            mu[col] = m;
            sd[col] = if v.sqrt() > 1e-6 { v.sqrt() } else { 1.0 };
        }
        let present: Vec<bool> = (0..n).map(|i| part.present(feats[i])).collect();
        for (i, &p) in present.iter().enumerate() {
            for col in layout.block(part) {
                let v = &mut z[i * d + col];
                *v = if p {
                    ((f64::from(*v) - mu[col]) / sd[col]) as f32
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

/// Writes the head as ONNX: `features [batch, D]` → Gemm → Sigmoid → `scores [batch, 5]`.
pub fn export_onnx(
    layout: &Layout,
    head: &LinearHead,
    metrics: &Metrics,
    parts: &[PartMetrics],
) -> Result<Vec<u8>> {
    let d = layout.dim();
    if head.w.len() != d * 5 {
        return Err(Error::InvalidModel(
            "head weights do not match the layout".into(),
        ));
    }
    let mut g = GraphBuilder::new("swipy_head");
    g.input(
        HEAD_INPUT,
        FLOAT,
        &[Dim::Named("batch"), Dim::Fixed(d as i64)],
    );
    g.output(HEAD_OUTPUT, FLOAT, &[Dim::Named("batch"), Dim::Fixed(5)]);
    let wf: Vec<f32> = head.w.iter().map(|&v| v as f32).collect();
    let bf: Vec<f32> = head.b.iter().map(|&v| v as f32).collect();
    g.init_f32("W", &[d as i64, 5], &wf);
    g.init_f32("B", &[5], &bf);
    g.node(
        "Gemm",
        &[HEAD_INPUT, "W", "B"],
        &["logits"],
        &[("alpha", Attr::Float(1.0)), ("beta", Attr::Float(1.0))],
    );
    g.node("Sigmoid", &["logits"], &[HEAD_OUTPUT], &[]);
    let layout_json =
        serde_json::to_string(layout).map_err(|e| Error::InvalidModel(e.to_string()))?;
    let metrics_json =
        serde_json::to_string(&serde_json::json!({"combined": metrics, "parts": parts}))
            .map_err(|e| Error::InvalidModel(e.to_string()))?;
    Ok(g.finish(
        "Swipy head: scores = sigmoid(features · W + B); columns p_like, photo, face, text, meta",
        &[
            (META_LAYOUT, layout_json),
            (META_METRICS, metrics_json),
            ("swipy.columns", HEAD_COLUMNS.join(",")),
        ],
    ))
}

#[cfg(test)]
mod tests;
