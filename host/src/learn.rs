//! The seam to the learning code (encoders, training, scoring in the `swipy-models`
//! crate). The dispatcher and the CLI call only these functions; until the learning
//! integration lands they answer [`LearnError::NotAvailable`] ("no model yet").

use swipy_shared::protocol::{ErrorCode, Metrics, Score};

use crate::store::Store;

#[derive(Debug, thiserror::Error)]
pub enum LearnError {
    /// Training/scoring is not wired in this build, or no model exists yet.
    #[error("no model yet: {0}")]
    NotAvailable(String),
    #[error("not enough labels: {0}")]
    NotEnoughLabels(String),
    #[error("busy: {0}")]
    Busy(String),
    #[error("{0}")]
    Other(String),
}

impl LearnError {
    /// The protocol error code for this failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            LearnError::NotAvailable(_) => ErrorCode::ModelMissing,
            LearnError::NotEnoughLabels(_) => ErrorCode::NotEnoughLabels,
            LearnError::Busy(_) => ErrorCode::Busy,
            LearnError::Other(_) => ErrorCode::Internal,
        }
    }
}

/// Progress callback: (stage, done, total).
pub type Progress<'a> = &'a mut dyn FnMut(&str, u32, u32);

/// Scores these profiles with the active model.
pub fn scores(_store: &Store, _ids: &[String]) -> Result<Vec<Score>, LearnError> {
    Err(LearnError::NotAvailable(
        "scoring is not available in this build yet (train a model first once it is)".into(),
    ))
}

/// Trains a new head on the stored labels; returns the new model version and metrics.
pub fn train(_store: &mut Store, _progress: Progress<'_>) -> Result<(u32, Metrics), LearnError> {
    Err(LearnError::NotAvailable(
        "training is not available in this build yet".into(),
    ))
}

/// Lists, prepares or verifies the encoder models (`swipy models ...`).
pub fn models(action: &str) -> Result<String, LearnError> {
    Err(LearnError::NotAvailable(format!(
        "`models {action}` is not available in this build yet"
    )))
}
