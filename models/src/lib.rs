//! Swipy's models: ONNX Runtime encoders (multilingual text, faces, whole photo), profile
//! features, the trained logistic head (exported as ONNX) and scoring through ONNX Runtime.
//!
//! Typical use (host):
//! 1. [`init_runtime`] once: `init_runtime(find_runtime_library(Some(data_dir)).as_deref())`
//!    (lookup: `$ORT_DYLIB_PATH`, `<exe dir>/../ort/`, `<exe dir>/ort/`, `<data dir>/ort/`);
//!    [`RuntimeInfo`] is what `swipy doctor` prints.
//! 2. [`Encoders::load`] from the prepared models directory (`<dir>/<model id>/model.onnx`,
//!    ids [`encoders::TEXT_MODEL`], [`encoders::DETECTOR_MODEL`], [`encoders::FACE_MODEL`],
//!    [`encoders::PHOTO_MODEL`]); a missing model leaves its part out
//!    ([`Encoders::info`]`.missing`), `Device::Cuda` fails when CUDA cannot be used,
//!    `Device::Auto` falls back to CPU (logged).
//! 3. [`ProfileInput::from_tinder`] + [`featurize_many`] with the store as
//!    [`EmbeddingCache`]: keys are a photo's sha256 (models [`encoders::PHOTO_MODEL`] and
//!    [`features::FACES_CACHE_MODEL`]) or [`features::text_key`] of the text (model
//!    [`encoders::TEXT_MODEL`]); values are plain `f32` vectors.
//! 4. [`train`] on `(features, liked)` → [`TrainedModel`]: `onnx` bytes to store as the
//!    model version, `metrics` for the `trained` message; progress `(stage, done, total)`.
//!    Too few labels → [`Error::NotEnoughLabels`]; [`Error::code`] gives the wire code.
//! 5. [`Scorer::from_onnx`] + [`Scorer::score`] → `(p_like, Parts)` per profile, with
//!    optional [`UserWeights`] (the prototype's `text_weight` / `image_weight`).
//!
//! [`Encoders`] and [`Scorer`] are `Send + Sync` (each session behind its own mutex): share
//! one of each behind an `Arc`. Nothing here prints to stdout; logs go through `log`.

pub mod bench;
pub mod encoders;
pub mod error;
pub mod face;
pub mod features;
pub mod head;
pub mod imaging;
pub mod linalg;
pub mod onnx;
pub mod runtime;
pub mod scorer;
pub mod stats;
pub mod text;
/// Test fixtures (tiny models, synthetic profiles): only with the `test-fixtures` feature.
#[cfg(any(test, feature = "test-fixtures"))]
pub mod tiny;

pub use encoders::{EncoderOptions, Encoders, EncodersInfo, PhotoEmbedding, PhotoRef, Pipeline};
pub use error::{Error, Result};
pub use face::{Face, FaceHint};
pub use features::{
    featurize, featurize_many, EmbeddingCache, MemoryCache, NoCache, PhotoInput, PhotoSource,
    ProfileFeatures, ProfileInput,
};
pub use head::{train, train_weighted, Layout, PartMetrics, TrainConfig, TrainedModel};
pub use runtime::{
    find_runtime_library, init_runtime, runtime_info, runtime_library_candidates, Device,
    RuntimeInfo,
};
pub use scorer::{Scorer, UserWeights};
pub use swipy_shared::protocol::{Metrics, Parts};
