//! [`LivenessError`]: what went wrong judging a clip, named for what the caller can do.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LivenessError {
    /// The voice-activity model is missing or is not the pinned file: an installation problem.
    #[error("the voice-activity model {} is missing or damaged ({detail}); run scripts/fetch-models.sh (it installs {} checked against its sha256), or set matcher.models_dir", path.display(), crate::vad::SILERO_VAD_FILE)]
    Model { path: PathBuf, detail: String },

    /// The model loaded but failed to run: a broken model file or a bug.
    #[error("the voice-activity model failed ({0}); reinstall it with scripts/fetch-models.sh")]
    Inference(String),

    /// The caller passed an impossible clip (mismatched lengths, empty frames): a bug upstream.
    #[error("invalid liveness input: {0}")]
    Input(String),
}
