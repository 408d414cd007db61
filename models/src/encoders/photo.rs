//! The whole-photo model (open-nsfw `pool`): batched embeddings, and its session released
//! when idle and loaded again on use.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use image::RgbImage;
use ort::session::Session;
use ort::value::TensorRef;
use rayon::prelude::*;

use super::{Encoders, Pipeline, PHOTO_BATCH};
use crate::error::{Error, Result};
use crate::imaging;
use crate::runtime::{create_session_with, Device, ModelSource, SessionMemory};
use crate::stats::{self, Stage};
use crate::text::l2_normalize;

pub(super) struct PhotoModel {
    pub(super) slot: Arc<PhotoSlot>,
    pub(super) input: String,
    pub(super) output: String,
}

/// The whole-photo session, released when idle and loaded again on use.
pub(super) struct PhotoSlot {
    pub(super) session: Mutex<Option<Session>>,
    pub(super) last_used: Mutex<Instant>,
    pub(super) path: PathBuf,
    pub(super) device: Device,
    pub(super) threads: usize,
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
pub(super) fn spawn_idle_release(slot: Weak<PhotoSlot>, idle: Duration) -> Result<()> {
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

impl Encoders {
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

    pub(super) fn photo_embed_images(&self, imgs: &[&RgbImage]) -> Result<Vec<Vec<f32>>> {
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
                        SessionMemory::Shared,
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
}
