//! The optional digit recogniser of the read-the-digits liveness step.
//!
//! [`DigitRecognizer`] hears a reading (16 kHz mono) and says what it heard as text; whether that
//! is the challenge is zk-domain's pure rule ([`zk_domain::check_reading`]: edit distance, one
//! edit allowed for 5–6 digits). The check is **optional and never decides alone**: a mismatch
//! sends the candidate to retry with new digits, then to staff.
//!
//! Backends ([`open`]):
//! - `none` (the default): no recogniser; the liveness step rests on speech and lip sync.
//! - `whisper-ct2` (cargo feature `whisper`): OpenAI Whisper base (multilingual, MIT) in
//!   CTranslate2 form, run by ct2rs on the CPU with int8 weights, the language forced to Chinese,
//!   beam 5, and every token suppressed except the digits (零一二…九, 幺, 两, ASCII digit runs),
//!   space, comma and end-of-text ([`whisper::digit_suppress_tokens`]). The model directory comes
//!   from `scripts/fetch-asr-model.sh` and is checked file by file against its sha256
//!   ([`model::verify`]) before it is loaded.
//!
//! Nothing here logs what was said; callers log the edit distance, not the transcript.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

pub mod model;
#[cfg(feature = "whisper")]
pub mod whisper;

/// The sample rate every recogniser takes.
pub const SAMPLE_RATE: u32 = 16_000;

/// Names accepted by [`open`].
pub const BACKEND_NONE: &str = "none";
pub const BACKEND_WHISPER: &str = "whisper-ct2";

#[derive(Debug, thiserror::Error)]
pub enum AsrError {
    #[error("the digit recogniser's model in {dir} is not usable: {why}; run scripts/fetch-asr-model.sh (or set matcher.asr.backend = \"none\")")]
    Model { dir: PathBuf, why: String },
    #[error("this kiosk was built without the Whisper digit recogniser; build it with the cargo feature asr-whisper, or set matcher.asr.backend = \"none\"")]
    NotBuilt,
    #[error("matcher.asr.backend = {0:?}: use \"none\" or \"whisper-ct2\"")]
    UnknownBackend(String),
    #[error("the digit recogniser failed: {0}")]
    Decode(String),
}

impl AsrError {
    pub(crate) fn model(dir: &Path, why: impl Into<String>) -> AsrError {
        AsrError::Model {
            dir: dir.to_path_buf(),
            why: why.into(),
        }
    }
}

/// Hears a reading of digits.
pub trait DigitRecognizer: Send {
    /// Stored with every verdict that used it.
    fn model_version(&self) -> &str;

    /// What was heard in `samples` (16 kHz mono), best hypothesis first; empty when nothing was.
    fn recognize(&mut self, samples: &[i16]) -> Result<Vec<String>, AsrError>;
}

/// The recogniser `backend` names (see the crate docs); `Ok(None)` for `none`. `model_dir`
/// defaults to [`model::default_dir`]; `threads` is the CPU threads decoding may use (0: all).
pub fn open(
    backend: &str,
    model_dir: Option<&Path>,
    threads: usize,
) -> Result<Option<Box<dyn DigitRecognizer>>, AsrError> {
    match backend {
        BACKEND_NONE => Ok(None),
        BACKEND_WHISPER => {
            let dir = match model_dir {
                Some(dir) => dir.to_path_buf(),
                None => model::default_dir().ok_or_else(|| {
                    AsrError::model(
                        Path::new("?"),
                        "neither ZK_ASR_MODEL_DIR, ZK_MODELS_DIR nor HOME is set",
                    )
                })?,
            };
            open_whisper(&dir, threads)
        }
        other => Err(AsrError::UnknownBackend(other.to_string())),
    }
}

#[cfg(feature = "whisper")]
fn open_whisper(dir: &Path, threads: usize) -> Result<Option<Box<dyn DigitRecognizer>>, AsrError> {
    Ok(Some(Box::new(whisper::WhisperDigits::open(dir, threads)?)))
}

#[cfg(not(feature = "whisper"))]
fn open_whisper(dir: &Path, _threads: usize) -> Result<Option<Box<dyn DigitRecognizer>>, AsrError> {
    // The model is checked first, so a desk learns about both problems from one message.
    model::verify(dir)?;
    Err(AsrError::NotBuilt)
}

/// Whether this build has the Whisper backend.
pub const fn whisper_built() -> bool {
    cfg!(feature = "whisper")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_opens_nothing_and_unknown_backends_are_named() {
        assert!(open("none", None, 1).unwrap().is_none());
        let error = open("vosk", None, 1).err().unwrap();
        assert!(error.to_string().contains("\"vosk\""), "{error}");
    }

    #[test]
    fn a_missing_model_names_the_directory_and_the_script() {
        let empty = tempfile::tempdir().unwrap();
        let error = open(BACKEND_WHISPER, Some(empty.path()), 1).err().unwrap();
        let text = error.to_string();
        assert!(text.contains(&empty.path().display().to_string()), "{text}");
        assert!(text.contains("fetch-asr-model.sh"), "{text}");
        assert!(text.contains("model.bin"), "{text}");
    }
}
