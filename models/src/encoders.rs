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

use std::path::PathBuf;
use std::time::Duration;

use image::RgbImage;
use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::face::{self, Face, FaceHint};
use crate::imaging;
use crate::runtime::{default_threads, Device};
use crate::text::TextEncoder;

mod faces;
mod load;
mod photo;

use faces::FaceModels;
use photo::PhotoModel;

/// Model ids (folder names under the models directory; also the embedding-cache model ids).
pub const TEXT_MODEL: &str = "e5-small";
pub const DETECTOR_MODEL: &str = "yunet";
pub const FACE_MODEL: &str = "sface";
pub const PHOTO_MODEL: &str = "open-nsfw";
/// Photos per whole-photo inference call (2: the speed of 8, about 40 MiB less peak memory
/// on Tinder-shaped pages in the bench, models/README.md).
pub const PHOTO_BATCH: usize = 2;
/// Faces per SFace inference call (where the model takes a batch).
pub const FACE_BATCH: usize = 8;
/// Idle time after which the whole-photo encoder's session (its weights and buffers, about
/// 90 MiB) is dropped; the next photo loads it again (about a second). Its activations live in
/// the image models' shared arena, which the face models keep using.
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

impl std::fmt::Debug for Encoders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoders")
            .field("dir", &self.dir)
            .field("info", &self.info)
            .finish()
    }
}

impl Encoders {
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
