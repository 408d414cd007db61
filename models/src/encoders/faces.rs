//! Faces: YuNet detection (whole photo, then hinted regions), SFace embeddings of the
//! aligned crops, one face at a time or batched; one session per worker.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use image::RgbImage;
use ort::session::Session;
use ort::value::TensorRef;
use rayon::prelude::*;

use super::{Encoders, Pipeline, FACE_BATCH, FACE_MODEL};
use crate::error::{Error, Result};
use crate::face::{self, Detection, Face, FaceHint, StrideOutputs};
use crate::imaging;
use crate::stats::{self, Stage};
use crate::text::l2_normalize;

/// Sessions of one model that can run at the same time (one per worker).
pub(super) struct Sessions {
    all: Vec<Mutex<Session>>,
    next: AtomicUsize,
}

impl Sessions {
    pub(super) fn new(all: Vec<Session>) -> Self {
        Self {
            all: all.into_iter().map(Mutex::new).collect(),
            next: AtomicUsize::new(0),
        }
    }

    /// A free session if there is one, else the next in turn (waiting for it).
    fn lock(&self) -> std::sync::MutexGuard<'_, Session> {
        for m in &self.all {
            if let Ok(g) = m.try_lock() {
                return g;
            }
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.all.len().max(1);
        self.all[i].lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub(super) struct FaceModels {
    pub(super) detector: Sessions,
    /// YuNet's input size when the model fixes it (else [`face::DETECT_SIZE`], trimmed).
    pub(super) detector_fixed: Option<(u32, u32)>,
    pub(super) sface: Sessions,
    pub(super) sface_input: String,
    pub(super) sface_output: String,
    /// Whether SFace takes a batch of faces.
    pub(super) sface_batch: bool,
}

impl Encoders {
    /// Detects faces (YuNet) in `img`; with no face found and a hint given, looks again in
    /// the hinted region enlarged. Boxes in photo pixels, best first.
    pub fn detect_faces(&self, img: &RgbImage, hints: &[FaceHint]) -> Result<Vec<Detection>> {
        let mut dets = self.detect_in(img, 0, 0, img.width(), img.height())?;
        if dets.is_empty() {
            for h in hints {
                let (w, hgt) = (img.width() as f32, img.height() as f32);
                let (cx, cy) = ((h.x + h.w / 2.0) * w, (h.y + h.h / 2.0) * hgt);
                let side = (h.w * w).max(h.h * hgt) * 2.0;
                let x0 = (cx - side / 2.0).max(0.0) as u32;
                let y0 = (cy - side / 2.0).max(0.0) as u32;
                let x1 = ((cx + side / 2.0).min(w)) as u32;
                let y1 = ((cy + side / 2.0).min(hgt)) as u32;
                if x1 > x0 + 8 && y1 > y0 + 8 {
                    dets.extend(self.detect_in(img, x0, y0, x1 - x0, y1 - y0)?);
                }
            }
            dets = face::nms(dets, face::NMS_IOU);
        }
        let largest = dets
            .iter()
            .map(|d| d.bbox[2] * d.bbox[3])
            .fold(0.0, f32::max);
        dets.retain(|d| d.bbox[2] * d.bbox[3] >= face::MIN_FACE_AREA_RATIO * largest);
        dets.truncate(face::MAX_FACES);
        Ok(dets)
    }

    fn detect_in(&self, img: &RgbImage, x: u32, y: u32, w: u32, h: u32) -> Result<Vec<Detection>> {
        let Some(fm) = &self.faces else {
            return Ok(Vec::new());
        };
        let _t = stats::time(Stage::Detect);
        let crop;
        let view: &RgbImage = if x == 0 && y == 0 && w == img.width() && h == img.height() {
            img
        } else {
            crop = image::imageops::crop_imm(img, x, y, w, h).to_image();
            &crop
        };
        let size = face::DETECT_SIZE;
        let canvas = match (fm.detector_fixed, self.opts.pipeline) {
            (Some(fixed), _) => fixed,
            (None, Pipeline::Fast) => imaging::trimmed_canvas(view, size),
            (None, Pipeline::Plain) => (size, size),
        };
        let (data, scale) = imaging::letterbox_bgr_chw_on(view, size, canvas);
        let shape = vec![1i64, 3, i64::from(canvas.1), i64::from(canvas.0)];
        let t = TensorRef::from_array_view((shape, data.as_slice()))
            .map_err(|e| Error::ort("detector input", e))?;
        let mut session = fm.detector.lock();
        let outputs = session
            .run(ort::inputs!["input" => t])
            .map_err(|e| Error::ort("face detector", e))?;
        let get = |name: String| -> Result<&[f32]> {
            let v = outputs
                .get(&name)
                .ok_or_else(|| Error::InvalidModel(format!("detector has no output `{name}`")))?;
            Ok(v.try_extract_tensor::<f32>()
                .map_err(|e| Error::ort("detector output", e))?
                .1)
        };
        let mut strides = Vec::new();
        for s in face::STRIDES {
            strides.push(StrideOutputs {
                stride: s,
                cls: get(format!("cls_{s}"))?,
                obj: get(format!("obj_{s}"))?,
                bbox: get(format!("bbox_{s}"))?,
                kps: get(format!("kps_{s}"))?,
            });
        }
        let dets = face::decode_yunet_on(&strides, canvas, self.opts.face_threshold);
        Ok(dets
            .into_iter()
            .map(|d| face::rescale(d, scale, x as f32, y as f32))
            .collect())
    }

    /// Faces of one photo, each embedded alone (the plain path).
    pub(super) fn faces_one_by_one(&self, img: &RgbImage, hints: &[FaceHint]) -> Result<Vec<Face>> {
        let dets = self.detect_faces(img, hints)?;
        let mut faces = Vec::with_capacity(dets.len());
        for d in dets {
            let m = face::alignment_for(&d);
            let embedding = self.sface_embed(img, &m)?;
            faces.push(Face {
                embedding,
                score: d.score,
                bbox: d.bbox,
            });
        }
        Ok(faces)
    }

    /// Faces of many photos: detection on the photos in parallel, then every face found
    /// aligned in parallel and embedded in batches (runs on the encoders' pool).
    pub(super) fn faces_batched(
        &self,
        imgs: &[&RgbImage],
        hints: &[&[FaceHint]],
    ) -> Result<Vec<Vec<Face>>> {
        let dets: Vec<Vec<Detection>> = imgs
            .par_iter()
            .enumerate()
            .map(|(i, img)| self.detect_faces(img, hints.get(i).copied().unwrap_or(&[])))
            .collect::<Result<_>>()?;
        let jobs: Vec<(usize, &Detection)> = dets
            .iter()
            .enumerate()
            .flat_map(|(i, d)| d.iter().map(move |d| (i, d)))
            .collect();
        let embeddings: Vec<Vec<f32>> = jobs
            .par_chunks(FACE_BATCH)
            .map(|chunk| {
                let crops: Vec<(&RgbImage, [f64; 6])> = chunk
                    .iter()
                    .map(|(i, d)| (imgs[*i], face::alignment_for(d)))
                    .collect();
                self.sface_embed_many(&crops)
            })
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        if embeddings.len() != jobs.len() {
            return Err(Error::Runtime(format!(
                "face model returned {} embeddings for {} faces",
                embeddings.len(),
                jobs.len()
            )));
        }
        let mut out: Vec<Vec<Face>> = dets.iter().map(|d| Vec::with_capacity(d.len())).collect();
        for ((i, d), embedding) in jobs.into_iter().zip(embeddings) {
            out[i].push(Face {
                embedding,
                score: d.score,
                bbox: d.bbox,
            });
        }
        Ok(out)
    }

    /// SFace embedding of the face mapped by `m` (photo → aligned 112×112), L2-normalised.
    pub fn sface_embed(&self, img: &RgbImage, m: &[f64; 6]) -> Result<Vec<f32>> {
        self.sface_embed_many(&[(img, *m)])?
            .into_iter()
            .next()
            .ok_or_else(|| Error::InvalidModel("face model returned nothing".into()))
    }

    /// SFace embeddings of several faces (one call where the model takes a batch).
    fn sface_embed_many(&self, crops: &[(&RgbImage, [f64; 6])]) -> Result<Vec<Vec<f32>>> {
        let Some(fm) = &self.faces else {
            return Err(Error::ModelMissing {
                id: FACE_MODEL.into(),
                path: self.dir.join(FACE_MODEL),
            });
        };
        let _t = stats::time(Stage::Face);
        let s = i64::from(face::ALIGN_SIZE);
        let per = (3 * s * s) as usize;
        let batch = if fm.sface_batch {
            crops.len().max(1)
        } else {
            1
        };
        let mut out = Vec::with_capacity(crops.len());
        for group in crops.chunks(batch) {
            let mut data = vec![0f32; group.len() * per];
            for ((img, m), slot) in group.iter().zip(data.chunks_exact_mut(per)) {
                slot.copy_from_slice(&imaging::warp_affine_rgb_chw(img, m, face::ALIGN_SIZE));
            }
            let shape = vec![group.len() as i64, 3, s, s];
            let t = TensorRef::from_array_view((shape, data.as_slice()))
                .map_err(|e| Error::ort("face input", e))?;
            let mut session = fm.sface.lock();
            let outputs = session
                .run(ort::inputs![fm.sface_input.as_str() => t])
                .map_err(|e| Error::ort("face embedding", e))?;
            let v = outputs.get(&fm.sface_output).ok_or_else(|| {
                Error::InvalidModel(format!("face model has no output `{}`", fm.sface_output))
            })?;
            let (_, data) = v
                .try_extract_tensor::<f32>()
                .map_err(|e| Error::ort("face output", e))?;
            let dim = data.len().checked_div(group.len()).unwrap_or(0);
            if dim == 0 {
                return Err(Error::InvalidModel("face model returned nothing".into()));
            }
            out.extend(data.chunks_exact(dim).map(|r| l2_normalize(r.to_vec())));
        }
        Ok(out)
    }
}
