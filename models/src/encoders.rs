//! All encoders behind one value: text (e5), faces (YuNet + SFace), whole photo
//! (open-nsfw `pool`). Each part is optional: a missing model leaves that part `None`.
//! Every session sits behind its own mutex (one inference owner per model); photos are
//! decoded in parallel and the whole-photo model runs in batches.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use image::RgbImage;
use ort::session::Session;
use ort::value::TensorRef;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::face::{self, Detection, Face, FaceHint, StrideOutputs};
use crate::imaging;
use crate::runtime::{create_session, default_threads, Device, ModelSource};
use crate::text::{l2_normalize, pick_output, TextEncoder};

/// Model ids (folder names under the models directory; also the embedding-cache model ids).
pub const TEXT_MODEL: &str = "e5-small";
pub const DETECTOR_MODEL: &str = "yunet";
pub const FACE_MODEL: &str = "sface";
pub const PHOTO_MODEL: &str = "open-nsfw";
/// Photos per whole-photo inference call (8: the speed of 16, a smaller ONNX Runtime arena).
pub const PHOTO_BATCH: usize = 8;

/// Embeddings of one photo.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhotoEmbedding {
    /// Whole-photo embedding (L2-normalised `pool`), `None` without the photo model.
    pub photo: Option<Vec<f32>>,
    /// Faces found, best first (empty without the face models or when none is found).
    pub faces: Vec<Face>,
    pub width: u32,
    pub height: u32,
}

/// One photo to embed.
#[derive(Debug, Clone, Copy)]
pub struct PhotoRef<'a> {
    pub bytes: &'a [u8],
    pub hints: &'a [FaceHint],
}

/// Which encoders are loaded and where they run (for logs and `swipy doctor`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EncodersInfo {
    pub text: Option<String>,
    pub faces: Option<String>,
    pub photo: Option<String>,
    /// Why a part is missing, e.g. `"e5-small: model.onnx not found"`.
    pub missing: Vec<String>,
    pub text_dim: usize,
    pub face_dim: usize,
    pub photo_dim: usize,
}

/// Options for [`Encoders::load_with`].
#[derive(Debug, Clone)]
pub struct EncoderOptions {
    pub device: Device,
    /// Intra-op threads per session.
    pub threads: usize,
    /// Photos processed concurrently (decoding, face detection and embedding); the
    /// whole-photo model runs beside them.
    pub workers: usize,
    /// Detection score threshold.
    pub face_threshold: f32,
}

impl Default for EncoderOptions {
    fn default() -> Self {
        Self {
            device: Device::Cpu,
            threads: 1,
            workers: default_threads(),
            face_threshold: face::SCORE_THRESHOLD,
        }
    }
}

struct PhotoModel {
    session: Mutex<Session>,
    input: String,
    output: String,
}

/// The loaded encoders.
pub struct Encoders {
    text: Option<TextEncoder>,
    detector: Option<Mutex<Session>>,
    sface: Option<(Mutex<Session>, String, String)>,
    photo: Option<PhotoModel>,
    opts: EncoderOptions,
    info: EncodersInfo,
    dir: PathBuf,
}

impl std::fmt::Debug for Encoders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoders")
            .field("dir", &self.dir)
            .field("info", &self.info)
            .finish()
    }
}

impl Encoders {
    /// Loads every encoder found under `models_dir` (`<dir>/<model id>/model.onnx`).
    /// A missing model leaves its part out (see [`Encoders::info`]); other failures
    /// (broken model, runtime missing, CUDA required but unusable) are errors.
    pub fn load(models_dir: &Path, device: Device) -> Result<Self> {
        Self::load_with(
            models_dir,
            EncoderOptions {
                device,
                ..Default::default()
            },
        )
    }

    /// [`Encoders::load`] with options.
    pub fn load_with(models_dir: &Path, opts: EncoderOptions) -> Result<Self> {
        let mut info = EncodersInfo::default();
        let missing = |id: &str, info: &mut EncodersInfo, p: &Path| {
            let msg = format!("{id}: {} not found", p.display());
            log::warn!("encoder part unavailable: {msg}");
            info.missing.push(msg);
        };
        let th = opts.threads;
        let text_dir = models_dir.join(TEXT_MODEL);
        let text = match TextEncoder::load(&text_dir, opts.device, th) {
            Ok(t) => {
                info.text = Some(t.provider.to_string());
                info.text_dim = t.dim();
                Some(t)
            }
            Err(Error::ModelMissing { path, .. }) => {
                missing(TEXT_MODEL, &mut info, &path);
                None
            }
            Err(e) => return Err(e),
        };
        let det_path = models_dir.join(DETECTOR_MODEL).join("model.onnx");
        let sface_path = models_dir.join(FACE_MODEL).join("model.onnx");
        let (detector, sface) = if det_path.is_file() && sface_path.is_file() {
            let (d, p1) = create_session(
                ModelSource::File(&det_path),
                opts.device,
                th,
                "face detector",
            )?;
            let (s, _) = create_session(
                ModelSource::File(&sface_path),
                opts.device,
                th,
                "face embedding",
            )?;
            let input = s
                .inputs()
                .first()
                .map(|i| i.name().to_string())
                .unwrap_or_else(|| "data".into());
            let output = pick_output(&s, &["fc1"]).or_else(|_| {
                s.outputs()
                    .first()
                    .map(|o| o.name().to_string())
                    .ok_or_else(|| Error::InvalidModel("sface has no output".into()))
            })?;
            info.faces = Some(p1.to_string());
            (Some(Mutex::new(d)), Some((Mutex::new(s), input, output)))
        } else {
            for p in [&det_path, &sface_path] {
                if !p.is_file() {
                    missing(
                        if p == &det_path {
                            DETECTOR_MODEL
                        } else {
                            FACE_MODEL
                        },
                        &mut info,
                        p,
                    );
                }
            }
            (None, None)
        };
        let photo_path = models_dir.join(PHOTO_MODEL).join("model.onnx");
        let photo = if photo_path.is_file() {
            let (s, p) = create_session(
                ModelSource::File(&photo_path),
                opts.device,
                th,
                "photo encoder",
            )?;
            let input = s
                .inputs()
                .first()
                .map(|i| i.name().to_string())
                .unwrap_or_else(|| "input:0".into());
            let output = pick_output(&s, &["pool"])?;
            info.photo = Some(p.to_string());
            Some(PhotoModel {
                session: Mutex::new(s),
                input,
                output,
            })
        } else {
            missing(PHOTO_MODEL, &mut info, &photo_path);
            None
        };
        let mut enc = Self {
            text,
            detector,
            sface,
            photo,
            opts,
            info,
            dir: models_dir.to_path_buf(),
        };
        // Probe the image models once with a blank photo: fixes the embedding sizes.
        if enc.photo.is_some() || enc.sface.is_some() {
            let blank = RgbImage::from_pixel(64, 64, image::Rgb([128, 128, 128]));
            if let Some(p) = enc.photo_embed_images(&[&blank])?.into_iter().next() {
                enc.info.photo_dim = p.len();
            }
            if enc.sface.is_some() {
                let m = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
                enc.info.face_dim = enc.sface_embed(&blank, &m)?.len();
            }
        }
        log::info!(
            "encoders loaded from {}: {:?}",
            models_dir.display(),
            enc.info
        );
        Ok(enc)
    }

    /// Which parts are loaded, where they run, embedding sizes.
    pub fn info(&self) -> &EncodersInfo {
        &self.info
    }

    pub fn has_text(&self) -> bool {
        self.text.is_some()
    }
    pub fn has_faces(&self) -> bool {
        self.sface.is_some()
    }
    pub fn has_photo(&self) -> bool {
        self.photo.is_some()
    }

    /// Text embeddings (`"query: "` prefix, pooled, L2-normalised). Errors without the
    /// text model.
    pub fn embed_texts(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        match &self.text {
            Some(t) => t.embed(texts),
            None => Err(Error::ModelMissing {
                id: TEXT_MODEL.into(),
                path: self.dir.join(TEXT_MODEL),
            }),
        }
    }

    /// Embeddings of one photo: whole photo + faces.
    pub fn embed_photo(
        &self,
        image_bytes: &[u8],
        face_hints: &[FaceHint],
    ) -> Result<PhotoEmbedding> {
        let img = imaging::decode(image_bytes)?;
        self.embed_decoded(&[&img], &[face_hints])
            .into_iter()
            .next()
            .unwrap_or_else(|| Err(Error::Image("no output".into())))
    }

    /// Embeddings of many photos: decoded in parallel, the photo model batched. One result
    /// per input, in order; a photo that cannot be decoded fails alone.
    pub fn embed_photos(&self, batch: &[PhotoRef<'_>]) -> Vec<Result<PhotoEmbedding>> {
        let decoded = decode_parallel(batch.iter().map(|p| p.bytes).collect(), self.opts.workers);
        let ok_idx: Vec<usize> = (0..batch.len()).filter(|&i| decoded[i].is_ok()).collect();
        let imgs: Vec<&RgbImage> = ok_idx
            .iter()
            .filter_map(|&i| decoded[i].as_ref().ok())
            .collect();
        let hints: Vec<&[FaceHint]> = ok_idx.iter().map(|&i| batch[i].hints).collect();
        let mut results = self.embed_decoded(&imgs, &hints).into_iter();
        decoded
            .into_iter()
            .map(|d| match d {
                Ok(_) => results
                    .next()
                    .unwrap_or_else(|| Err(Error::Image("no output".into()))),
                Err(e) => Err(e),
            })
            .collect()
    }

    fn embed_decoded(
        &self,
        imgs: &[&RgbImage],
        hints: &[&[FaceHint]],
    ) -> Vec<Result<PhotoEmbedding>> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let n = imgs.len();
        let workers = self.opts.workers.clamp(1, n.max(1));
        let next = AtomicUsize::new(0);
        // The whole-photo batch runs on one thread while `workers` threads take photos one
        // by one through detection and face embedding (each session has its own lock).
        let (photos, mut faces) = std::thread::scope(|s| {
            let photo = s.spawn(|| self.photo.as_ref().map(|_| self.photo_embed_images(imgs)));
            let face_threads: Vec<_> = if self.sface.is_some() {
                (0..workers)
                    .map(|_| {
                        s.spawn(|| {
                            let mut out = Vec::new();
                            loop {
                                let i = next.fetch_add(1, Ordering::Relaxed);
                                if i >= n {
                                    break;
                                }
                                out.push((
                                    i,
                                    self.faces(imgs[i], hints.get(i).copied().unwrap_or(&[])),
                                ));
                            }
                            out
                        })
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let mut faces: Vec<Option<Result<Vec<Face>>>> = (0..n).map(|_| None).collect();
            for h in face_threads {
                match h.join() {
                    Ok(v) => v.into_iter().for_each(|(i, r)| faces[i] = Some(r)),
                    Err(_) => log::error!("a face worker thread panicked"),
                }
            }
            let photos = photo.join().unwrap_or_else(|_| {
                Some(Err(Error::Runtime("photo encoder thread panicked".into())))
            });
            (photos, faces)
        });
        let photos: Vec<Option<Vec<f32>>> = match photos {
            None => vec![None; n],
            Some(Ok(v)) if v.len() == n => v.into_iter().map(Some).collect(),
            Some(Ok(v)) => {
                let msg = format!(
                    "photo encoder returned {} embeddings for {n} photos",
                    v.len()
                );
                return (0..n).map(|_| Err(Error::Runtime(msg.clone()))).collect();
            }
            Some(Err(e)) => {
                let msg = e.to_string();
                return (0..n).map(|_| Err(Error::Runtime(msg.clone()))).collect();
            }
        };
        let has_faces = self.sface.is_some();
        imgs.iter()
            .zip(photos)
            .enumerate()
            .map(|(i, (img, photo))| {
                let faces = match faces[i].take() {
                    Some(r) => r?,
                    None if has_faces => return Err(Error::Runtime("face worker failed".into())),
                    None => Vec::new(),
                };
                Ok(PhotoEmbedding {
                    photo,
                    faces,
                    width: img.width(),
                    height: img.height(),
                })
            })
            .collect()
    }

    fn photo_embed_images(&self, imgs: &[&RgbImage]) -> Result<Vec<Vec<f32>>> {
        let Some(pm) = &self.photo else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(imgs.len());
        for chunk in imgs.chunks(PHOTO_BATCH) {
            let per = 224 * 224 * 3;
            let mut data = vec![0f32; chunk.len() * per];
            std::thread::scope(|s| {
                for (img, slot) in chunk.iter().zip(data.chunks_mut(per)) {
                    s.spawn(move || {
                        let mut v = Vec::with_capacity(per);
                        imaging::nsfw_hwc(img, &mut v);
                        slot.copy_from_slice(&v);
                    });
                }
            });
            let shape = vec![chunk.len() as i64, 224, 224, 3];
            let t = TensorRef::from_array_view((shape, data.as_slice()))
                .map_err(|e| Error::ort("photo input", e))?;
            let mut session = pm.session.lock().unwrap_or_else(|p| p.into_inner());
            let outputs = session
                .run(ort::inputs![pm.input.as_str() => t])
                .map_err(|e| Error::ort("photo encoder", e))?;
            let v = outputs
                .get(&pm.output)
                .ok_or_else(|| Error::InvalidModel("photo model has no `pool` output".into()))?;
            let (shape, data) = v
                .try_extract_tensor::<f32>()
                .map_err(|e| Error::ort("photo output", e))?;
            let n = chunk.len();
            let dim = data.len().checked_div(n).unwrap_or(0);
            if shape.first().copied() != Some(n as i64) || dim == 0 {
                return Err(Error::InvalidModel(format!(
                    "photo model output shape {shape:?}"
                )));
            }
            for r in 0..n {
                out.push(l2_normalize(data[r * dim..(r + 1) * dim].to_vec()));
            }
        }
        Ok(out)
    }

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
        let Some(det) = &self.detector else {
            return Ok(Vec::new());
        };
        let crop;
        let view: &RgbImage = if x == 0 && y == 0 && w == img.width() && h == img.height() {
            img
        } else {
            crop = image::imageops::crop_imm(img, x, y, w, h).to_image();
            &crop
        };
        let size = face::DETECT_SIZE;
        let (data, scale) = imaging::letterbox_bgr_chw(view, size);
        let shape = vec![1i64, 3, i64::from(size), i64::from(size)];
        let t = TensorRef::from_array_view((shape, data.as_slice()))
            .map_err(|e| Error::ort("detector input", e))?;
        let mut session = det.lock().unwrap_or_else(|p| p.into_inner());
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
        let dets = face::decode_yunet(&strides, size, self.opts.face_threshold);
        Ok(dets
            .into_iter()
            .map(|d| face::rescale(d, scale, x as f32, y as f32))
            .collect())
    }

    fn faces(&self, img: &RgbImage, hints: &[FaceHint]) -> Result<Vec<Face>> {
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

    /// SFace embedding of the face mapped by `m` (photo → aligned 112×112), L2-normalised.
    pub fn sface_embed(&self, img: &RgbImage, m: &[f64; 6]) -> Result<Vec<f32>> {
        let Some((session, input, output)) = &self.sface else {
            return Err(Error::ModelMissing {
                id: FACE_MODEL.into(),
                path: self.dir.join(FACE_MODEL),
            });
        };
        let data = imaging::warp_affine_rgb_chw(img, m, face::ALIGN_SIZE);
        let s = i64::from(face::ALIGN_SIZE);
        let t = TensorRef::from_array_view((vec![1i64, 3, s, s], data.as_slice()))
            .map_err(|e| Error::ort("face input", e))?;
        let mut session = session.lock().unwrap_or_else(|p| p.into_inner());
        let outputs = session
            .run(ort::inputs![input.as_str() => t])
            .map_err(|e| Error::ort("face embedding", e))?;
        let v = outputs
            .get(output)
            .ok_or_else(|| Error::InvalidModel(format!("face model has no output `{output}`")))?;
        let (_, data) = v
            .try_extract_tensor::<f32>()
            .map_err(|e| Error::ort("face output", e))?;
        Ok(l2_normalize(data.to_vec()))
    }
}

/// Decodes images on up to `threads` threads, preserving order (one result per input).
pub fn decode_parallel(bytes: Vec<&[u8]>, threads: usize) -> Vec<Result<RgbImage>> {
    let n = bytes.len();
    let threads = threads.clamp(1, n.max(1));
    let per = n.div_ceil(threads).max(1);
    let mut out: Vec<Result<RgbImage>> = Vec::with_capacity(n);
    std::thread::scope(|s| {
        let handles: Vec<_> = bytes
            .chunks(per)
            .map(|chunk| {
                (
                    chunk.len(),
                    s.spawn(move || chunk.iter().map(|b| imaging::decode(b)).collect::<Vec<_>>()),
                )
            })
            .collect();
        for (len, h) in handles {
            match h.join() {
                Ok(v) => out.extend(v),
                Err(_) => out
                    .extend((0..len).map(|_| Err(Error::Image("decoder thread panicked".into())))),
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn encoders_and_scorer_can_be_shared_between_threads() {
        assert_send_sync::<Encoders>();
        assert_send_sync::<crate::Scorer>();
    }

    #[test]
    fn parallel_decoding_keeps_order_and_isolates_bad_input() {
        let png = |v: u8| {
            let img = RgbImage::from_pixel(3, 2, image::Rgb([v, v, v]));
            let mut out = Vec::new();
            image::DynamicImage::ImageRgb8(img)
                .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
                .expect("png");
            out
        };
        let (a, b) = (png(10), png(200));
        let junk = b"junk".to_vec();
        let got = decode_parallel(vec![&a, &junk, &b, &a, &b], 2);
        assert_eq!(got.len(), 5);
        assert!(matches!(got[1], Err(Error::Image(_))));
        let px = |i: usize| got[i].as_ref().expect("decoded").get_pixel(0, 0)[0];
        assert_eq!((px(0), px(2), px(3), px(4)), (10, 200, 10, 200));
        assert!(decode_parallel(vec![], 4).is_empty());
    }
}
