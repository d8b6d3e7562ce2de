//! The face matcher seam: liveness of the recorded clip, identity against the ID photo, and the
//! registration-photo check and crop.
//!
//! [`SimFaceMatcher`] is a **simulation**: it replays scripted scores (demo mode and tests) and
//! applies the real decision rules and [`MatchPolicy`] to them. It never looks at a face. The real
//! matcher (rustface + dlib) replaces it when zk-vision lands; the trait stays.

use std::collections::VecDeque;
use std::io::Cursor;
use std::path::Path;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::RgbImage;
use serde::Deserialize;
use zk_domain::{Challenge, Decision, MatchPolicy, ReasonCode, Score, Verdict};
use zk_drivers::{AudioClip, Frame};

use crate::config::MatcherConfig;
use crate::error::AppError;

/// What the liveness step recorded, with its timing as data (see [`crate::clip`]): times are
/// milliseconds after the audio's first sample, negative before it.
#[derive(Clone, Copy)]
pub struct LivenessClip<'a> {
    pub frames: &'a [Frame],
    /// Capture time of each frame (one per frame).
    pub frame_times_ms: &'a [i64],
    /// When the digits were on screen (recording started): at or before 0 when the microphone
    /// started after them.
    pub shown_at_ms: i64,
    pub audio: &'a AudioClip,
    pub challenge: &'a Challenge,
    /// The face in each frame (`None`: none found), when the face matcher has already looked;
    /// the speech judge then does not detect faces again.
    pub face_boxes: Option<&'a [Option<zk_vision::FaceBox>]>,
}

impl std::fmt::Debug for LivenessClip<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LivenessClip")
            .field("frames", &self.frames.len())
            .field("shown_at_ms", &self.shown_at_ms)
            .field("audio", self.audio)
            .field("face_boxes", &self.face_boxes.map(<[_]>::len))
            .finish_non_exhaustive()
    }
}

/// The checked registration photo: the verdict and the 480×640 JPEG.
#[derive(Debug)]
pub struct PhotoCheck {
    pub verdict: Verdict,
    pub jpeg: Vec<u8>,
}

pub trait FaceMatcher: Send {
    /// Shown in logs and stored with every decision.
    fn model_version(&self) -> &str;

    /// Liveness (one face, speech, lip sync) and identity against the ID photo (`None`: the card
    /// photo is unavailable, so staff compare).
    fn check_liveness(
        &mut self,
        clip: &LivenessClip<'_>,
        id_photo: Option<&[u8]>,
        policy: &MatchPolicy,
    ) -> Result<Verdict, AppError>;

    /// Photo-spec checks, identity (unless `compare_face` is false) and the 480×640 crop.
    fn check_photo(
        &mut self,
        frame: &Frame,
        id_photo: Option<&[u8]>,
        compare_face: bool,
        policy: &MatchPolicy,
    ) -> Result<PhotoCheck, AppError>;
}

/// Scripted scores for one candidate.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SimScores {
    /// Face distance of the liveness frames to the ID photo (lower = more alike).
    pub face_distance: f64,
    /// Fraction of frames with exactly one face.
    #[serde(default = "one")]
    pub one_face_fraction: f64,
    /// Seconds of detected speech.
    pub speech_secs: f64,
    /// Mouth-motion / audio-energy correlation.
    pub lip_sync: f64,
    /// Face distance of the registration photo to the ID photo.
    pub photo_distance: f64,
}

impl SimScores {
    /// The speech rules applied to the scripted scores: no speech, too short, lips out of sync.
    pub(crate) fn speech_failure(&self, min_speech_secs: f64) -> Option<ReasonCode> {
        if self.speech_secs <= 0.0 {
            Some(ReasonCode::NoSpeech)
        } else if self.speech_secs < min_speech_secs {
            Some(ReasonCode::SpeechTooShort)
        } else if self.lip_sync < LIP_SYNC_MIN {
            Some(ReasonCode::LipSyncLow)
        } else {
            None
        }
    }
}

fn one() -> f64 {
    1.0
}

/// The script file; keys other than `queue` and `default` (such as `_comment`) are ignored.
#[derive(Debug, Deserialize)]
struct SimScript {
    #[serde(default)]
    queue: Vec<SimScores>,
    default: Option<SimScores>,
}

/// The matcher the config asks for. `assets_dir` holds `sim/matcher.json` for the scripted
/// parts. The `dlib` backend loads and checks its models here (about 1 s), so a missing model
/// stops the kiosk at start-up with what to do, not at the first candidate.
pub fn open_matcher(
    config: &MatcherConfig,
    assets_dir: &Path,
) -> Result<Box<dyn FaceMatcher>, AppError> {
    let script = assets_dir.join("sim").join("matcher.json");
    match config.backend.as_str() {
        "sim" => Ok(Box::new(SimFaceMatcher::from_file(&script)?)),
        "dlib" => {
            let liveness: Box<dyn LivenessJudge> = match config.liveness.as_str() {
                "unavailable" => Box::new(UnavailableLiveness),
                "sim" => Box::new(ScriptedLiveness::from_file(&script)?),
                "vad" => {
                    let models_dir = match config.models_dir.clone() {
                        Some(dir) => dir,
                        None => zk_vision::ModelPaths::default_dir()?,
                    };
                    let speech = SpeechLiveness::open(&models_dir)?;
                    // The Whisper model sits beside the others unless the config names it.
                    let asr_dir = config.asr.model_dir.clone().or_else(|| {
                        config
                            .models_dir
                            .as_ref()
                            .map(|dir| dir.join(zk_asr::model::DIR_NAME))
                    });
                    match zk_asr::open(&config.asr.backend, asr_dir.as_deref(), config.asr.threads)?
                    {
                        Some(recognizer) => Box::new(speech.with_digit_recognizer(recognizer)),
                        None => Box::new(speech),
                    }
                }
                other => {
                    return Err(AppError::Config(format!(
                        "matcher.liveness = {other:?}: use \"vad\", \"unavailable\" or \"sim\""
                    )))
                }
            };
            Ok(Box::new(
                VisionFaceMatcher::open(config.models_dir.as_deref(), liveness)?
                    .with_guide(config.guide.clone())?,
            ))
        }
        other => Err(AppError::Config(format!(
            "matcher.backend = {other:?}: use \"dlib\" or \"sim\""
        ))),
    }
}

/// Reads a score script: the queue and the default entry.
pub(crate) fn load_script(path: &Path) -> Result<(Vec<SimScores>, Option<SimScores>), AppError> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        AppError::Config(format!(
            "cannot read the sim matcher script {}: {error}",
            path.display()
        ))
    })?;
    let script: SimScript = serde_json::from_str(&text).map_err(|error| {
        AppError::Config(format!(
            "the sim matcher script {} is invalid: {error}",
            path.display()
        ))
    })?;
    Ok((script.queue, script.default))
}

/// Thresholds the simulation judges its scripted liveness scores against (the research note's
/// starting values; zk-vision calibrates the real ones).
pub const ONE_FACE_MIN_FRACTION: f64 = 0.9;
pub const LIP_SYNC_MIN: f64 = 0.3;
const SIM_MODEL: &str = "sim-scripted-v1";

/// SIMULATION: replays scripted scores; see the module docs.
#[derive(Debug, Default)]
pub struct SimFaceMatcher {
    queue: VecDeque<SimScores>,
    default: Option<SimScores>,
    current: Option<SimScores>,
}

impl SimFaceMatcher {
    /// Loads `{"queue": [...], "default": {...}}` from a JSON file.
    pub fn from_file(path: &Path) -> Result<SimFaceMatcher, AppError> {
        let (queue, default) = load_script(path)?;
        Ok(SimFaceMatcher {
            queue: queue.into(),
            default,
            current: None,
        })
    }

    pub fn with_default(default: SimScores) -> SimFaceMatcher {
        SimFaceMatcher {
            default: Some(default),
            ..SimFaceMatcher::default()
        }
    }

    /// Queues the scores of the next candidate.
    pub fn push(&mut self, scores: SimScores) {
        self.queue.push_back(scores);
    }

    /// The scores for this candidate: a liveness check takes the next queued entry; the photo
    /// check reuses the same candidate's entry.
    fn next_scores(&mut self) -> Result<SimScores, AppError> {
        let scores = self
            .queue
            .pop_front()
            .or_else(|| self.default.clone())
            .ok_or_else(|| {
                AppError::Config(
                    "the sim matcher has no scripted scores left; add a default".into(),
                )
            })?;
        self.current = Some(scores.clone());
        Ok(scores)
    }
}

impl FaceMatcher for SimFaceMatcher {
    fn model_version(&self) -> &str {
        SIM_MODEL
    }

    fn check_liveness(
        &mut self,
        clip: &LivenessClip<'_>,
        id_photo: Option<&[u8]>,
        policy: &MatchPolicy,
    ) -> Result<Verdict, AppError> {
        let scores = self.next_scores()?;
        let min_speech = min_speech_secs(clip.challenge.digits().len());
        let mut list = vec![
            Score::new(
                "one_face_fraction",
                scores.one_face_fraction,
                ONE_FACE_MIN_FRACTION,
            ),
            Score::new("speech_secs", scores.speech_secs, min_speech),
            Score::new("lip_sync", scores.lip_sync, LIP_SYNC_MIN),
            Score::new("frames", clip.frames.len() as f64, policy.min_frames as f64),
            Score::new(
                "audio_secs",
                clip.audio.samples.len() as f64 / f64::from(clip.audio.sample_rate.max(1)),
                min_speech,
            ),
        ];
        let liveness_failure = if scores.one_face_fraction < ONE_FACE_MIN_FRACTION {
            Some(ReasonCode::NoFace)
        } else {
            scores.speech_failure(min_speech)
        };
        let decision = match (liveness_failure, id_photo) {
            (Some(reason), _) => Decision::Fail(reason),
            (None, None) => Decision::Review(ReasonCode::PhotoUnavailable),
            (None, Some(_)) => {
                let distances = vec![scores.face_distance; clip.frames.len().min(5)];
                let face = policy.decide(&distances);
                list.extend(face.scores);
                face.decision
            }
        };
        Ok(Verdict {
            decision,
            scores: list,
            model_version: SIM_MODEL.into(),
        })
    }

    fn check_photo(
        &mut self,
        frame: &Frame,
        id_photo: Option<&[u8]>,
        compare_face: bool,
        policy: &MatchPolicy,
    ) -> Result<PhotoCheck, AppError> {
        let scores = match self.current.clone() {
            Some(scores) => scores,
            None => self.next_scores()?,
        };
        let jpeg = crop_to_spec(&frame.image)?;
        let mut verdict = if !compare_face {
            // Declined consent: no identity comparison; staff verified identity at the liveness step.
            Verdict::pass(SIM_MODEL)
        } else if id_photo.is_none() {
            Verdict {
                decision: Decision::Review(ReasonCode::PhotoUnavailable),
                scores: Vec::new(),
                model_version: SIM_MODEL.into(),
            }
        } else {
            let face = policy.decide(&vec![scores.photo_distance; policy.min_frames]);
            let decision = match face.decision {
                Decision::Fail(_) => Decision::Fail(ReasonCode::PhotoFaceMismatch),
                other => other,
            };
            Verdict {
                decision,
                scores: face.scores,
                model_version: SIM_MODEL.into(),
            }
        };
        verdict
            .scores
            .push(Score::new("jpeg_bytes", jpeg.len() as f64, 40.0 * 1024.0));
        Ok(PhotoCheck { verdict, jpeg })
    }
}

/// Output size of the registration photo (Hubei spec: 480 × 640 px, JPEG of 20–40 KB).
pub const PHOTO_WIDTH: u32 = 480;
pub const PHOTO_HEIGHT: u32 = 640;
pub const PHOTO_MAX_BYTES: usize = 40 * 1024;

/// Centre-crops to 3:4, scales to 480×640 and encodes a JPEG of at most 40 KB (highest quality
/// that fits). The face-aware crop replaces the centre crop with zk-vision.
pub fn crop_to_spec(image: &RgbImage) -> Result<Vec<u8>, AppError> {
    let (width, height) = image.dimensions();
    if width < 8 || height < 8 {
        return Err(AppError::Image(format!(
            "the camera frame is only {width}×{height} px"
        )));
    }
    let (crop_w, crop_h) = if width * 4 > height * 3 {
        (height * 3 / 4, height)
    } else {
        (width, width * 4 / 3)
    };
    let x = (width - crop_w) / 2;
    let y = (height - crop_h) / 2;
    let cropped = image::imageops::crop_imm(image, x, y, crop_w, crop_h).to_image();
    let scaled = image::imageops::resize(&cropped, PHOTO_WIDTH, PHOTO_HEIGHT, FilterType::Lanczos3);
    let mut quality = 92u8;
    loop {
        let mut bytes = Vec::new();
        JpegEncoder::new_with_quality(Cursor::new(&mut bytes), quality)
            .encode_image(&scaled)
            .map_err(|error| AppError::Image(error.to_string()))?;
        if bytes.len() <= PHOTO_MAX_BYTES || quality <= 20 {
            return Ok(bytes);
        }
        quality -= 6;
    }
}

pub mod guide;
mod liveness;
mod speech;
mod vision;

pub use guide::GuideConfig;
pub use liveness::{
    min_speech_secs, LivenessJudge, LivenessReport, ScriptedLiveness, UnavailableLiveness,
};
pub use speech::SpeechLiveness;
pub use vision::VisionFaceMatcher;

#[cfg(test)]
mod tests;
