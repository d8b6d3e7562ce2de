//! The signals of the read-the-digits liveness check (`../shared/research/liveness-asr.md`):
//!
//! - [`vad`]: Silero VAD v6 (MIT) run by tract-onnx on the folded, `If`-free model that
//!   `scripts/fetch-models.sh` builds from the `silero-vad` PyPI wheel (sha256-pinned):
//!   a speech probability per 32 ms window.
//! - [`speech`]: pure: the speech rule — total speech ≥ max(0.6 s, 0.1 s × digits), counted only
//!   from speech that starts after the digits appeared.
//! - [`lipsync`]: pure: mouth openness against audio energy with a lag search and a permutation
//!   null; Pass / Fail / Unavailable with ρ, lag and p.
//!
//! Nothing here opens a device or reads a clock; only [`vad::SileroVad::open`] reads a file.
#![forbid(unsafe_code)]

mod error;
pub mod lipsync;
pub mod speech;
pub mod vad;

#[cfg(test)]
mod testdata;

pub use error::LivenessError;
pub use lipsync::{
    judge_lip_sync, FaceRect, GrayFrame, LipSyncClip, LipSyncConfig, LipSyncReport, LipSyncVerdict,
    NoLipSync, SyncFeature,
};
pub use speech::{judge_speech, SpeechFinding, SpeechReport, SpeechRule};
pub use vad::{SileroVad, SILERO_VAD_FILE, SILERO_VAD_SHA256, VAD_WINDOW};
