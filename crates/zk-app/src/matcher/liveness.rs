//! The speech half of the read-the-digits liveness check: speech present, long enough, started
//! after the digits appeared, lips moving with it. The face half (one face throughout, identity)
//! is the face matcher's.
//!
//! Real voice-activity and lip-sync judges arrive with the capture/liveness work; until then a
//! kiosk either has [`UnavailableLiveness`] (every clip goes to staff, who watch the candidate
//! read) or, in demo mode only, [`ScriptedLiveness`] (SIMULATED scores from a script).

use std::collections::VecDeque;
use std::path::Path;

use zk_domain::{ReasonCode, Score};

use crate::error::AppError;
use crate::matcher::{load_script, LivenessClip, SimScores, LIP_SYNC_MIN};

/// What a liveness judge found in a clip.
#[derive(Clone, Debug, PartialEq)]
pub enum LivenessReport {
    /// Judged: the scores, and the first failed rule if any.
    Checked {
        scores: Vec<Score>,
        failure: Option<ReasonCode>,
    },
    /// This judge cannot decide (no model installed): staff decide in person.
    Unavailable { why: String },
}

pub trait LivenessJudge: Send {
    /// Stored with every verdict next to the face model's version.
    fn model_version(&self) -> &str;

    fn judge(&mut self, clip: &LivenessClip<'_>) -> Result<LivenessReport, AppError>;
}

/// Shortest total speech for a challenge of `digits` digits: 0.1 s a digit, at least 0.6 s.
pub fn min_speech_secs(digits: usize) -> f64 {
    (0.1 * digits as f64).max(0.6)
}

/// No speech or lip-sync judge on this kiosk: every clip is reported unavailable.
#[derive(Debug, Default)]
pub struct UnavailableLiveness;

impl LivenessJudge for UnavailableLiveness {
    fn model_version(&self) -> &str {
        "liveness-unavailable"
    }

    fn judge(&mut self, _clip: &LivenessClip<'_>) -> Result<LivenessReport, AppError> {
        Ok(LivenessReport::Unavailable {
            why: "no voice-activity or lip-sync model is configured".into(),
        })
    }
}

/// SIMULATION for demo mode: replays scripted speech and lip-sync scores (one script entry per
/// attempt; `speech_secs` and `lip_sync` of `assets/sim/matcher.json`) and applies the real rules
/// to them. It never listens to the audio.
#[derive(Debug, Default)]
pub struct ScriptedLiveness {
    queue: VecDeque<SimScores>,
    default: Option<SimScores>,
}

const SCRIPTED_MODEL: &str = "sim-scripted-liveness-v1";

impl ScriptedLiveness {
    pub fn from_file(path: &Path) -> Result<ScriptedLiveness, AppError> {
        let (queue, default) = load_script(path)?;
        Ok(ScriptedLiveness {
            queue: queue.into(),
            default,
        })
    }

    pub fn with_default(default: SimScores) -> ScriptedLiveness {
        ScriptedLiveness {
            queue: VecDeque::new(),
            default: Some(default),
        }
    }
}

impl LivenessJudge for ScriptedLiveness {
    fn model_version(&self) -> &str {
        SCRIPTED_MODEL
    }

    fn judge(&mut self, clip: &LivenessClip<'_>) -> Result<LivenessReport, AppError> {
        let scores = self
            .queue
            .pop_front()
            .or_else(|| self.default.clone())
            .ok_or_else(|| {
                AppError::Config("the liveness script has no entries left; add a default".into())
            })?;
        let min_speech = min_speech_secs(clip.challenge.digits().len());
        let failure = scores.speech_failure(min_speech);
        Ok(LivenessReport::Checked {
            scores: vec![
                Score::new("speech_secs", scores.speech_secs, min_speech),
                Score::new("lip_sync", scores.lip_sync, LIP_SYNC_MIN),
            ],
            failure,
        })
    }
}
