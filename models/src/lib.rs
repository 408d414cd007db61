//! Swipy's models: ONNX Runtime encoders (multilingual text, faces, whole photo), profile
//! features, the trained logistic head (exported as ONNX) and scoring through ONNX Runtime.
//!
//! Typical use (host):
//! 1. [`init_runtime`] once (finds `libonnxruntime`, see [`runtime_library_candidates`]);
//! 2. [`Encoders::load`] from the prepared models directory;
//! 3. [`featurize_many`] with the store as [`EmbeddingCache`];
//! 4. [`train`] on labelled features → [`TrainedModel`] (ONNX bytes + metrics);
//! 5. [`Scorer::from_onnx`] + [`Scorer::score`].
//!
//! Nothing here prints to stdout; logs go through the `log` crate.

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
pub mod text;
pub mod tiny;

pub use encoders::{EncoderOptions, Encoders, EncodersInfo, PhotoEmbedding, PhotoRef};
pub use error::{Error, Result};
pub use face::{Face, FaceHint};
pub use features::{
    featurize, featurize_many, EmbeddingCache, MemoryCache, NoCache, PhotoInput, PhotoSource,
    ProfileFeatures, ProfileInput,
};
pub use head::{train, Layout, PartMetrics, TrainConfig, TrainedModel};
pub use runtime::{
    find_runtime_library, init_runtime, runtime_info, runtime_library_candidates, Device,
    RuntimeInfo,
};
pub use scorer::{Scorer, UserWeights};
pub use swipy_shared::protocol::{Metrics, Parts};
