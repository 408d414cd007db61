//! Typed errors of the models crate.

use std::path::PathBuf;

/// Everything that can go wrong while loading, encoding, training or scoring.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The ONNX Runtime shared library could not be found or loaded.
    #[error("ONNX Runtime library not available: {0}")]
    RuntimeMissing(String),
    /// A model file is missing.
    #[error("model `{id}` is missing: {path} not found (run `cargo xtask models` or `swipy models prepare`)")]
    ModelMissing { id: String, path: PathBuf },
    /// ONNX Runtime reported an error (loading or running a session).
    #[error("ONNX Runtime: {0}")]
    Runtime(String),
    /// A requested execution provider (e.g. CUDA) could not be used.
    #[error("execution provider {provider} unavailable: {message}")]
    Provider { provider: String, message: String },
    /// The tokenizer failed.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// An image could not be decoded (or is too large).
    #[error("image: {0}")]
    Image(String),
    /// Too few labels, or only one class.
    #[error("not enough labels to train: {likes} like(s) and {nopes} nope(s); need at least {min_total} labelled profiles with at least {min_per_class} of each")]
    NotEnoughLabels {
        likes: u32,
        nopes: u32,
        min_total: u32,
        min_per_class: u32,
    },
    /// Input of the wrong shape (e.g. feature sizes that do not match the model).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A model file or head is malformed.
    #[error("invalid model: {0}")]
    InvalidModel(String),
    /// File system error.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The wire error code for this error.
    pub fn code(&self) -> swipy_shared::protocol::ErrorCode {
        use swipy_shared::protocol::ErrorCode;
        match self {
            Error::RuntimeMissing(_) | Error::ModelMissing { .. } | Error::Provider { .. } => {
                ErrorCode::ModelMissing
            }
            Error::NotEnoughLabels { .. } => ErrorCode::NotEnoughLabels,
            Error::InvalidInput(_) => ErrorCode::BadData,
            Error::Io { .. } => ErrorCode::Storage,
            Error::Runtime(_) | Error::Tokenizer(_) | Error::Image(_) | Error::InvalidModel(_) => {
                ErrorCode::Internal
            }
        }
    }

    pub(crate) fn ort(context: &str, e: impl std::fmt::Display) -> Self {
        Error::Runtime(format!("{context}: {e}"))
    }
    /// Only `tiny` (the test fixtures) writes files.
    #[cfg(any(test, feature = "test-fixtures"))]
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
