//! Loading: every encoder found under the models directory (the text model on a thread of
//! its own beside the image models), missing parts noted, the image models probed once.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use image::RgbImage;
use ort::session::Session;

use super::faces::{FaceModels, Sessions};
use super::photo::{spawn_idle_release, PhotoModel, PhotoSlot};
use super::{
    EncoderOptions, Encoders, EncodersInfo, Pipeline, DETECTOR_MODEL, FACE_MODEL, PHOTO_MODEL,
    TEXT_MODEL,
};
use crate::error::{Error, Result};
use crate::runtime::{create_session_with, Device, ModelSource, SessionMemory};
use crate::text::{pick_output, TextEncoder};

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
                SessionMemory::Shared,
            )?;
            let (s, _) = create_session_with(
                ModelSource::File(&sface_path),
                opts.device,
                th,
                "face embedding",
                SessionMemory::Shared,
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
            SessionMemory::Shared,
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
}
