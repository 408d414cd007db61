//! All encoders behind one value: text (e5), faces (YuNet + SFace), whole photo
//! (open-nsfw `pool`). Each part is optional: a missing model leaves that part `None`.
//!
//! [`Pipeline::Fast`] (the default) runs on the encoders' own `rayon` pool: a batch of
//! photos is decoded in parallel, then the whole-photo model (batched) runs beside face
//! detection (photos in parallel, YuNet on a canvas trimmed to the photo's shape) and SFace
//! (batched over every face found in the batch). Each session sits behind its own mutex;
//! the detector and SFace have one session per worker. [`Pipeline::Plain`] does the same
//! work one photo and one face at a time on 640×640 letterboxes: the reference the fast
//! path is checked against.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use image::RgbImage;
use ort::session::Session;
use ort::value::TensorRef;
use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::face::{self, Detection, Face, FaceHint, StrideOutputs};
use crate::imaging;
use crate::runtime::{create_session_with, default_threads, Device, ModelSource};
use crate::stats::{self, Stage};
use crate::text::{l2_normalize, pick_output, TextEncoder};

/// Model ids (folder names under the models directory; also the embedding-cache model ids).
pub const TEXT_MODEL: &str = "e5-small";
pub const DETECTOR_MODEL: &str = "yunet";
pub const FACE_MODEL: &str = "sface";
pub const PHOTO_MODEL: &str = "open-nsfw";
/// Photos per whole-photo inference call (8: the speed of 16, a smaller ONNX Runtime arena).
pub const PHOTO_BATCH: usize = 8;
/// Faces per SFace inference call (where the model takes a batch).
pub const FACE_BATCH: usize = 8;
/// Idle time after which the whole-photo encoder's session, and with it its ONNX Runtime
/// arena (the largest share of the host's memory after a page), is dropped; the next photo
/// loads it again (about a second).
pub const PHOTO_IDLE_RELEASE: Duration = Duration::from_secs(600);

/// How photos go through the encoders (same models, same outputs within float rounding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pipeline {
    /// Parallel decoding, the whole-photo model beside face detection, SFace batched
    /// over all faces, YuNet on trimmed canvases.
    #[default]
    Fast,
    /// One photo and one face at a time, 640×640 letterboxes, no threads.
    Plain,
}

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
    pub pipeline: Pipeline,
    /// Drop the whole-photo encoder's session after this long unused (`None`: keep it).
    pub photo_idle_release: Option<Duration>,
}

impl Default for EncoderOptions {
    fn default() -> Self {
        Self {
            device: Device::Cpu,
            threads: 1,
            workers: default_threads(),
            face_threshold: face::SCORE_THRESHOLD,
            pipeline: Pipeline::Fast,
            photo_idle_release: Some(PHOTO_IDLE_RELEASE),
        }
    }
}

struct PhotoModel {
    slot: Arc<PhotoSlot>,
    input: String,
    output: String,
}

/// The whole-photo session, released when idle and loaded again on use.
struct PhotoSlot {
    session: Mutex<Option<Session>>,
    last_used: Mutex<Instant>,
    path: PathBuf,
    device: Device,
    threads: usize,
}

impl PhotoSlot {
    fn touch(&self) {
        *self.last_used.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    /// Drops the session when unused for `idle` and nobody is running it.
    fn release_if_idle(&self, idle: Duration) -> bool {
        let since = self
            .last_used
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .elapsed();
        if since < idle {
            return false;
        }
        let Ok(mut s) = self.session.try_lock() else {
            return false;
        };
        let released = s.take().is_some();
        if released {
            log::info!(
                "photo encoder released after {} s idle (reloaded on the next photo)",
                since.as_secs()
            );
        }
        released
    }
}

/// Watches the photo session and releases it after `idle` (ends with the encoders).
fn spawn_idle_release(slot: Weak<PhotoSlot>, idle: Duration) -> Result<()> {
    let every = (idle / 4).clamp(Duration::from_millis(10), Duration::from_secs(30));
    std::thread::Builder::new()
        .name("swipy-idle-release".into())
        .spawn(move || loop {
            std::thread::sleep(every);
            let Some(slot) = slot.upgrade() else {
                return;
            };
            slot.release_if_idle(idle);
        })
        .map(|_| ())
        .map_err(|e| Error::Runtime(format!("cannot start the idle-release thread: {e}")))
}

/// Sessions of one model that can run at the same time (one per worker).
struct Sessions {
    all: Vec<Mutex<Session>>,
    next: AtomicUsize,
}

impl Sessions {
    fn new(all: Vec<Session>) -> Self {
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

struct FaceModels {
    detector: Sessions,
    /// YuNet's input size when the model fixes it (else [`face::DETECT_SIZE`], trimmed).
    detector_fixed: Option<(u32, u32)>,
    sface: Sessions,
    sface_input: String,
    sface_output: String,
    /// Whether SFace takes a batch of faces.
    sface_batch: bool,
}

/// The loaded encoders.
pub struct Encoders {
    text: Option<TextEncoder>,
    faces: Option<FaceModels>,
    photo: Option<PhotoModel>,
    pool: rayon::ThreadPool,
    opts: EncoderOptions,
    info: EncodersInfo,
    dir: PathBuf,
}

/// Why a part is missing, logged and kept in `info`.
fn note_missing(id: &str, info: &mut EncodersInfo, p: &Path) {
    let msg = format!("{id}: {} not found", p.display());
    log::warn!("encoder part unavailable: {msg}");
    info.missing.push(msg);
}

/// The face models (one copy per worker on the fast path) and the whole-photo model.
fn load_images(
    models_dir: &Path,
    opts: &EncoderOptions,
    info: &mut EncodersInfo,
) -> Result<(Option<FaceModels>, Option<PhotoModel>)> {
    let th = opts.threads;
    let missing = note_missing;
    let det_path = models_dir.join(DETECTOR_MODEL).join("model.onnx");
    let sface_path = models_dir.join(FACE_MODEL).join("model.onnx");
    let copies = match opts.pipeline {
        Pipeline::Fast => opts.workers.max(1),
        Pipeline::Plain => 1,
    };
    let faces = if det_path.is_file() && sface_path.is_file() {
        let mut detectors = Vec::with_capacity(copies);
        let mut sfaces = Vec::with_capacity(copies);
        let mut provider = "";
        for _ in 0..copies {
            let (d, p1) = create_session_with(
                ModelSource::File(&det_path),
                opts.device,
                th,
                "face detector",
                false,
            )?;
            let (s, _) = create_session_with(
                ModelSource::File(&sface_path),
                opts.device,
                th,
                "face embedding",
                false,
            )?;
            provider = p1;
            detectors.push(d);
            sfaces.push(s);
        }
        let (Some(s), Some(d)) = (sfaces.first(), detectors.first()) else {
            return Err(Error::Runtime("no face session".into()));
        };
        let sface_input = s
            .inputs()
            .first()
            .map(|i| i.name().to_string())
            .unwrap_or_else(|| "data".into());
        let sface_output = pick_output(s, &["fc1"]).or_else(|_| {
            s.outputs()
                .first()
                .map(|o| o.name().to_string())
                .ok_or_else(|| Error::InvalidModel("sface has no output".into()))
        })?;
        let sface_batch = input_dims(s).first().is_some_and(|&b| b < 0);
        let dd = input_dims(d);
        let detector_fixed = match (dd.get(2), dd.get(3)) {
            (Some(&h), Some(&w)) if h > 0 && w > 0 => Some((w as u32, h as u32)),
            _ => None,
        };
        info.faces = Some(provider.to_string());
        Some(FaceModels {
            detector: Sessions::new(detectors),
            detector_fixed,
            sface: Sessions::new(sfaces),
            sface_input,
            sface_output,
            sface_batch,
        })
    } else {
        for p in [&det_path, &sface_path] {
            if !p.is_file() {
                missing(
                    if p == &det_path {
                        DETECTOR_MODEL
                    } else {
                        FACE_MODEL
                    },
                    info,
                    p,
                );
            }
        }
        None
    };
    let photo_path = models_dir.join(PHOTO_MODEL).join("model.onnx");
    let photo = if photo_path.is_file() {
        let (s, p) = create_session_with(
            ModelSource::File(&photo_path),
            opts.device,
            th,
            "photo encoder",
            false,
        )?;
        let input = s
            .inputs()
            .first()
            .map(|i| i.name().to_string())
            .unwrap_or_else(|| "input:0".into());
        let output = pick_output(&s, &["pool"])?;
        info.photo = Some(p.to_string());
        let slot = Arc::new(PhotoSlot {
            session: Mutex::new(Some(s)),
            last_used: Mutex::new(Instant::now()),
            path: photo_path.clone(),
            device: opts.device,
            threads: th,
        });
        if let Some(idle) = opts.photo_idle_release {
            spawn_idle_release(Arc::downgrade(&slot), idle)?;
        }
        Some(PhotoModel {
            slot,
            input,
            output,
        })
    } else {
        missing(PHOTO_MODEL, info, &photo_path);
        None
    };
    Ok((faces, photo))
}

/// The dimensions of a session's first input (-1 where dynamic).
fn input_dims(s: &Session) -> Vec<i64> {
    s.inputs()
        .first()
        .and_then(|i| i.dtype().tensor_shape())
        .map(|shape| shape.iter().copied().collect())
        .unwrap_or_default()
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
        let missing = note_missing;
        let th = opts.threads;
        let text_dir = models_dir.join(TEXT_MODEL);
        // The text model (the largest, with its tokenizer) loads on a thread of its own
        // while the image models load here: a shorter cold start.
        let (text, images) = std::thread::scope(|s| {
            let loader = s.spawn(|| TextEncoder::load(&text_dir, opts.device, th));
            let images = load_images(models_dir, &opts, &mut info);
            (loader.join(), images)
        });
        let (faces, photo) = images?;
        let text = text.map_err(|_| Error::Runtime("the text encoder's loader panicked".into()))?;
        let text = match text {
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
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(opts.workers.max(1))
            .thread_name(|i| format!("swipy-encode-{i}"))
            .build()
            .map_err(|e| Error::Runtime(format!("cannot start the encoder threads: {e}")))?;
        let mut enc = Self {
            text,
            faces,
            photo,
            pool,
            opts,
            info,
            dir: models_dir.to_path_buf(),
        };
        // Probe the image models once with a blank photo: fixes the embedding sizes.
        if enc.photo.is_some() || enc.faces.is_some() {
            let blank = RgbImage::from_pixel(64, 64, image::Rgb([128, 128, 128]));
            if let Some(p) = enc.photo_embed_images(&[&blank])?.into_iter().next() {
                enc.info.photo_dim = p.len();
            }
            if enc.faces.is_some() {
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
        self.faces.is_some()
    }
    pub fn has_photo(&self) -> bool {
        self.photo.is_some()
    }

    /// Whether the whole-photo encoder's session is in memory now (see
    /// [`EncoderOptions::photo_idle_release`]).
    pub fn photo_loaded(&self) -> bool {
        self.photo.as_ref().is_some_and(|pm| {
            pm.slot
                .session
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_some()
        })
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
        self.embed_photos(&[PhotoRef {
            bytes: image_bytes,
            hints: face_hints,
        }])
        .into_iter()
        .next()
        .unwrap_or_else(|| Err(Error::Image("no output".into())))
    }

    /// Embeddings of many photos (see [`Pipeline`]). One result per input, in order; a
    /// photo that cannot be decoded fails alone.
    pub fn embed_photos(&self, batch: &[PhotoRef<'_>]) -> Vec<Result<PhotoEmbedding>> {
        match self.opts.pipeline {
            Pipeline::Plain => batch
                .iter()
                .map(|p| {
                    let img = imaging::decode(p.bytes)?;
                    let photo = match &self.photo {
                        Some(_) => self.photo_embed_images(&[&img])?.into_iter().next(),
                        None => None,
                    };
                    let faces = match &self.faces {
                        Some(_) => self.faces_one_by_one(&img, p.hints)?,
                        None => Vec::new(),
                    };
                    Ok(PhotoEmbedding {
                        photo,
                        faces,
                        width: img.width(),
                        height: img.height(),
                    })
                })
                .collect(),
            Pipeline::Fast => self.pool.install(|| self.embed_fast(batch)),
        }
    }

    /// The fast path (runs on the encoders' pool).
    fn embed_fast(&self, batch: &[PhotoRef<'_>]) -> Vec<Result<PhotoEmbedding>> {
        let decoded: Vec<Result<RgbImage>> =
            batch.par_iter().map(|p| imaging::decode(p.bytes)).collect();
        let ok_idx: Vec<usize> = (0..batch.len()).filter(|&i| decoded[i].is_ok()).collect();
        let imgs: Vec<&RgbImage> = ok_idx
            .iter()
            .filter_map(|&i| decoded[i].as_ref().ok())
            .collect();
        let hints: Vec<&[FaceHint]> = ok_idx.iter().map(|&i| batch[i].hints).collect();
        let n = imgs.len();
        let (photos, faces) = rayon::join(
            || match &self.photo {
                Some(_) => self.photo_embed_images(&imgs).map(Some),
                None => Ok(None),
            },
            || match &self.faces {
                Some(_) => self.faces_batched(&imgs, &hints).map(Some),
                None => Ok(None),
            },
        );
        let fail = |e: &Error| -> Vec<Result<PhotoEmbedding>> {
            let msg = e.to_string();
            decoded
                .iter()
                .map(|d| match d {
                    Ok(_) => Err(Error::Runtime(msg.clone())),
                    Err(e) => Err(Error::Image(e.to_string())),
                })
                .collect()
        };
        let photos: Vec<Option<Vec<f32>>> = match photos {
            Ok(None) => vec![None; n],
            Ok(Some(v)) if v.len() == n => v.into_iter().map(Some).collect(),
            Ok(Some(v)) => {
                return fail(&Error::Runtime(format!(
                    "photo encoder returned {} embeddings for {n} photos",
                    v.len()
                )))
            }
            Err(e) => return fail(&e),
        };
        let faces: Vec<Vec<Face>> = match faces {
            Ok(None) => vec![Vec::new(); n],
            Ok(Some(v)) => v,
            Err(e) => return fail(&e),
        };
        let done: Vec<PhotoEmbedding> = imgs
            .iter()
            .zip(photos)
            .zip(faces)
            .map(|((img, photo), faces)| PhotoEmbedding {
                photo,
                faces,
                width: img.width(),
                height: img.height(),
            })
            .collect();
        let mut done = done.into_iter();
        decoded
            .into_iter()
            .map(|d| match d {
                Ok(_) => done
                    .next()
                    .ok_or_else(|| Error::Runtime("photo embedding missing".into())),
                Err(e) => Err(e),
            })
            .collect()
    }

    fn photo_embed_images(&self, imgs: &[&RgbImage]) -> Result<Vec<Vec<f32>>> {
        let Some(pm) = &self.photo else {
            return Ok(Vec::new());
        };
        let _t = stats::time(Stage::Photo);
        let mut out = Vec::with_capacity(imgs.len());
        let per = imaging::NSFW_LEN;
        for chunk in imgs.chunks(PHOTO_BATCH) {
            let mut data = vec![0f32; chunk.len() * per];
            match self.opts.pipeline {
                Pipeline::Fast => data
                    .par_chunks_mut(per)
                    .zip(chunk.par_iter())
                    .for_each(|(slot, img)| imaging::nsfw_hwc_into(img, slot)),
                Pipeline::Plain => data
                    .chunks_mut(per)
                    .zip(chunk)
                    .for_each(|(slot, img)| imaging::nsfw_hwc_into(img, slot)),
            }
            let shape = vec![chunk.len() as i64, 224, 224, 3];
            let t = TensorRef::from_array_view((shape, data.as_slice()))
                .map_err(|e| Error::ort("photo input", e))?;
            pm.slot.touch();
            let mut guard = pm.slot.session.lock().unwrap_or_else(|p| p.into_inner());
            let session = match guard.as_mut() {
                Some(s) => s,
                None => {
                    let (s, _) = create_session_with(
                        ModelSource::File(&pm.slot.path),
                        pm.slot.device,
                        pm.slot.threads,
                        "photo encoder",
                        false,
                    )?;
                    log::info!("photo encoder loaded again");
                    guard.insert(s)
                }
            };
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
            out.extend(data.chunks_exact(dim).map(|r| l2_normalize(r.to_vec())));
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
    fn faces_one_by_one(&self, img: &RgbImage, hints: &[FaceHint]) -> Result<Vec<Face>> {
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
    fn faces_batched(&self, imgs: &[&RgbImage], hints: &[&[FaceHint]]) -> Result<Vec<Vec<Face>>> {
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

/// Decodes images on up to `threads` threads, preserving order (one result per input).
pub fn decode_parallel(bytes: Vec<&[u8]>, threads: usize) -> Result<Vec<Result<RgbImage>>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.clamp(1, bytes.len().max(1)))
        .build()
        .map_err(|e| Error::Runtime(format!("cannot start the decoder threads: {e}")))?;
    Ok(pool.install(|| bytes.par_iter().map(|b| imaging::decode(b)).collect()))
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
        let got = decode_parallel(vec![&a, &junk, &b, &a, &b], 2).expect("pool");
        assert_eq!(got.len(), 5);
        assert!(matches!(got[1], Err(Error::Image(_))));
        let px = |i: usize| got[i].as_ref().expect("decoded").get_pixel(0, 0)[0];
        assert_eq!((px(0), px(2), px(3), px(4)), (10, 200, 10, 200));
        assert!(decode_parallel(vec![], 4).expect("pool").is_empty());
    }
}
