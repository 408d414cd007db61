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
use crate::linalg::sigmoid;

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
    /// L2 strengths, per example (the penalty is `l2 · n/2 · |w|²` on standardised
    /// features): tried from the strongest down, each warm-started from the one before,
    /// until one no longer lowers the out-of-fold log-loss.
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

mod calibrate;
mod export;
mod metrics;
mod solver;
mod train;

pub use export::export_onnx;
pub use metrics::{roc_auc, roc_points};
pub use train::{train, train_weighted};

#[cfg(test)]
mod tests;
