//! Scoring through ONNX Runtime with the exported head, plus the prototype's user weights.

use std::sync::Mutex;

use ort::session::Session;
use ort::value::TensorRef;
use serde::{Deserialize, Serialize};
use swipy_shared::protocol::Parts;

use crate::error::{Error, Result};
use crate::features::ProfileFeatures;
use crate::head::{Layout, Part, HEAD_INPUT, HEAD_OUTPUT, META_LAYOUT, PARTS};
use crate::runtime::{create_session, Device, ModelSource};

/// The prototype's user weights: when set, P(like) is the weighted mean of the text part
/// and the image part (mean of the photo and face parts present) instead of the combined
/// head. Parts without input drop out; with neither, the combined head is used.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct UserWeights {
    pub text_weight: f64,
    pub image_weight: f64,
}

/// A loaded head.
pub struct Scorer {
    session: Mutex<Session>,
    layout: Layout,
}

impl std::fmt::Debug for Scorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scorer")
            .field("layout", &self.layout)
            .finish()
    }
}

/// Profiles per inference call.
const SCORE_BATCH: usize = 256;

impl Scorer {
    /// Loads a head written by [`crate::head::train`] (CPU; the head is tiny).
    pub fn from_onnx(bytes: &[u8]) -> Result<Self> {
        let meta = crate::onnx::read_metadata(bytes)
            .map_err(|e| Error::InvalidModel(format!("not an ONNX model: {e}")))?;
        let layout_json = meta
            .iter()
            .find(|(k, _)| k == META_LAYOUT)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| Error::InvalidModel(format!("head has no `{META_LAYOUT}` metadata")))?;
        let layout: Layout = serde_json::from_str(&layout_json)
            .map_err(|e| Error::InvalidModel(format!("bad layout: {e}")))?;
        let (session, _) = create_session(ModelSource::Memory(bytes), Device::Cpu, 1, "head")?;
        Ok(Self {
            session: Mutex::new(session),
            layout,
        })
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Raw head outputs `[p_like, photo, face, text, meta]` per profile (parts computed
    /// even without input).
    pub fn raw(&self, features: &[ProfileFeatures]) -> Result<Vec<[f64; 5]>> {
        let _t = crate::stats::time(crate::stats::Stage::Head);
        let d = self.layout.dim();
        let mut out = Vec::with_capacity(features.len());
        for chunk in features.chunks(SCORE_BATCH) {
            let refs: Vec<&ProfileFeatures> = chunk.iter().collect();
            let x = self.layout.matrix(&refs)?;
            let t = TensorRef::from_array_view((vec![chunk.len() as i64, d as i64], x.as_slice()))
                .map_err(|e| Error::ort("head input", e))?;
            let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
            let outputs = session
                .run(ort::inputs![HEAD_INPUT => t])
                .map_err(|e| Error::ort("head", e))?;
            let v = outputs
                .get(HEAD_OUTPUT)
                .ok_or_else(|| Error::InvalidModel("head has no `scores` output".into()))?;
            let (_, data) = v
                .try_extract_tensor::<f32>()
                .map_err(|e| Error::ort("head output", e))?;
            if data.len() != chunk.len() * 5 {
                return Err(Error::InvalidModel(format!(
                    "head returned {} values for {} profiles",
                    data.len(),
                    chunk.len()
                )));
            }
            for r in data.chunks(5) {
                out.push([
                    f64::from(r[0]),
                    f64::from(r[1]),
                    f64::from(r[2]),
                    f64::from(r[3]),
                    f64::from(r[4]),
                ]);
            }
        }
        Ok(out)
    }

    /// P(like) and per-part P(like) of each profile. A part is `None` when the profile
    /// has no input for it or the part head was not trained.
    pub fn score(
        &self,
        features: &[ProfileFeatures],
        weights: Option<&UserWeights>,
    ) -> Result<Vec<(f64, Parts)>> {
        let raw = self.raw(features)?;
        Ok(features
            .iter()
            .zip(raw)
            .map(|(f, r)| {
                let part = |p: Part, i: usize| -> Option<f64> {
                    let present = match p {
                        Part::Photo => f.photo_mean.is_some(),
                        Part::Face => f.face.is_some(),
                        Part::Text => f.text.is_some(),
                        Part::Meta => true,
                    };
                    (present && self.layout.trained[i]).then_some(r[i + 1])
                };
                let parts = Parts {
                    photo: part(PARTS[0], 0),
                    face: part(PARTS[1], 1),
                    text: part(PARTS[2], 2),
                    meta: part(PARTS[3], 3),
                };
                let p = match weights {
                    Some(w) => blend(&parts, w).unwrap_or(r[0]),
                    None => r[0],
                };
                (p, parts)
            })
            .collect())
    }
}

/// The prototype's blend: `(tw·text + iw·image) / (tw + iw)` over the parts present.
pub fn blend(parts: &Parts, w: &UserWeights) -> Option<f64> {
    let image: Vec<f64> = [parts.photo, parts.face].into_iter().flatten().collect();
    let image = (!image.is_empty()).then(|| image.iter().sum::<f64>() / image.len() as f64);
    let mut num = 0.0;
    let mut den = 0.0;
    if let Some(t) = parts.text {
        num += w.text_weight.max(0.0) * t;
        den += w.text_weight.max(0.0);
    }
    if let Some(i) = image {
        num += w.image_weight.max(0.0) * i;
        den += w.image_weight.max(0.0);
    }
    (den > 0.0).then(|| num / den)
}
