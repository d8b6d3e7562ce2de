//! [`SpeechLiveness`]: the real speech half of the read-the-digits check (`matcher.liveness =
//! "vad"`): Silero VAD for "was there a reading, long enough, after the digits appeared", and
//! the lip-sync correlation for "did this mouth make that sound" (zk-liveness).
//!
//! Face boxes for lip sync are the clip's own when the face matcher found them already
//! ([`LivenessClip::face_boxes`]); otherwise zk-vision's detector runs on every `detect_every`-th
//! frame, linearly interpolated in between (the lip-sync alignment absorbs the small error).
//!
//! Timing is the clip's data: each frame's capture time and the moment the digits appeared are
//! relative to the audio's first sample (camera and microphone do not start together). Frames
//! captured before the audio started or after it ended have no sound to be compared with and are
//! left out of the lip sync; speech that starts before the digits could be read does not count.
//! The VAD runs on a second thread while the lip sync is computed.

use std::path::Path;

use image::RgbImage;
use zk_asr::DigitRecognizer;
use zk_domain::{check_reading, Challenge, ReadingRule, ReasonCode, Score};
use zk_liveness::{
    judge_lip_sync, judge_speech, FaceRect, GrayFrame, LipSyncClip, LipSyncConfig, LipSyncVerdict,
    NoLipSync, SileroVad, SpeechFinding, SpeechRule, VAD_WINDOW,
};
use zk_vision::{DetectorConfig, FaceDetector};

use crate::error::AppError;
use crate::matcher::liveness::{LivenessJudge, LivenessReport};
use crate::matcher::LivenessClip;

const MODEL_VERSION: &str = "silero-vad-v6-folded+lipsync-pc1-v2";
/// Smallest face searched for in clip frames (px of the frame): a candidate at the desk fills
/// far more of a 640×480 frame than this.
const MIN_FACE_PX: f32 = 80.0;

pub struct SpeechLiveness {
    vad: SileroVad,
    detector: FaceDetector,
    pub rule: SpeechRule,
    pub lip_sync: LipSyncConfig,
    /// Run the face detector on every n-th frame (1: all).
    pub detect_every: usize,
    /// The optional digit check ([`SpeechLiveness::with_digit_recognizer`]).
    digits: Option<Box<dyn DigitRecognizer>>,
    pub reading: ReadingRule,
    version: String,
}

impl std::fmt::Debug for SpeechLiveness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpeechLiveness")
            .field("rule", &self.rule)
            .field("lip_sync", &self.lip_sync)
            .field("detect_every", &self.detect_every)
            .field("digits", &self.digits.as_ref().map(|r| r.model_version()))
            .finish_non_exhaustive()
    }
}

impl SpeechLiveness {
    /// Loads the Silero model from `models_dir` (checked against its sha256).
    pub fn open(models_dir: &Path) -> Result<SpeechLiveness, AppError> {
        let vad = SileroVad::open(models_dir)?;
        let detector = FaceDetector::new(DetectorConfig::default())?;
        Ok(SpeechLiveness {
            vad,
            detector,
            rule: SpeechRule::default(),
            lip_sync: LipSyncConfig::default(),
            detect_every: 2,
            digits: None,
            reading: ReadingRule::default(),
            version: MODEL_VERSION.into(),
        })
    }

    /// Adds the check that the reading was the digits shown (after speech and lip sync pass; a
    /// mismatch fails the attempt with "read the digits on the screen", so the candidate retries
    /// with new digits and, after the attempts, staff decide).
    pub fn with_digit_recognizer(mut self, recognizer: Box<dyn DigitRecognizer>) -> SpeechLiveness {
        self.version = format!("{MODEL_VERSION}+{}", recognizer.model_version());
        self.digits = Some(recognizer);
        self
    }

    /// Runs the digit check on a reading that passed speech and lip sync. A recogniser error
    /// does not fail the candidate: the reading stays judged on speech and lip sync and the
    /// verdict says the digits were not checked.
    fn check_digits(
        &mut self,
        samples: &[i16],
        challenge: &Challenge,
        scores: &mut Vec<Score>,
    ) -> Option<ReasonCode> {
        let recognizer = self.digits.as_mut()?;
        match recognizer.recognize(samples) {
            Ok(heard) => {
                let check = check_reading(challenge, &heard, &self.reading);
                // The edit distance only: what was said stays out of the log.
                tracing::info!(edits = check.edits, matched = check.matched, "digit check");
                scores.push(Score::new(
                    "digits_distance",
                    check.edits as f64,
                    check.max_edits as f64,
                ));
                (!check.matched).then_some(ReasonCode::DigitsWrong)
            }
            Err(error) => {
                tracing::warn!(%error, "the digit check failed; judged on speech and lip sync only");
                scores.push(Score::new("digits_checked", 0.0, 1.0));
                None
            }
        }
    }

    /// The largest face of each frame; frames between detections get the linear interpolation
    /// of their neighbours' boxes (when both have one).
    fn face_boxes(&self, images: &[&RgbImage]) -> Result<Vec<Option<FaceRect>>, AppError> {
        let step = self.detect_every.max(1);
        let mut boxes: Vec<Option<FaceRect>> = vec![None; images.len()];
        let last = images.len().saturating_sub(1);
        let mut detected = Vec::new();
        for index in (0..images.len()).step_by(step).chain(std::iter::once(last)) {
            if detected.last() == Some(&index) || images.is_empty() {
                continue;
            }
            let Some(image) = images.get(index) else {
                continue;
            };
            let faces = self.detector.detect_at_least(image, MIN_FACE_PX)?;
            boxes[index] = faces
                .iter()
                .max_by(|a, b| a.area().total_cmp(&b.area()))
                .copied()
                .map(face_rect);
            detected.push(index);
        }
        for pair in detected.windows(2) {
            let (from, to) = (pair[0], pair[1]);
            if let (Some(a), Some(b)) = (boxes[from], boxes[to]) {
                for (offset, slot) in boxes[from + 1..to].iter_mut().enumerate() {
                    let t = (offset + 1) as f64 / (to - from) as f64;
                    let mix = |p: f64, q: f64| p + (q - p) * t;
                    *slot = Some(FaceRect {
                        x: mix(a.x, b.x),
                        y: mix(a.y, b.y),
                        width: mix(a.width, b.width),
                        height: mix(a.height, b.height),
                    });
                }
            }
        }
        Ok(boxes)
    }
}

fn face_rect(face: zk_vision::FaceBox) -> FaceRect {
    FaceRect {
        x: f64::from(face.x),
        y: f64::from(face.y),
        width: f64::from(face.width),
        height: f64::from(face.height),
    }
}

fn gray(image: &RgbImage) -> GrayFrame {
    let pixels = image
        .pixels()
        .map(|pixel| {
            let [r, g, b] = pixel.0;
            ((299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b) + 500) / 1000) as u8
        })
        .collect();
    GrayFrame {
        width: image.width() as usize,
        height: image.height() as usize,
        pixels,
    }
}

impl LivenessJudge for SpeechLiveness {
    fn model_version(&self) -> &str {
        &self.version
    }

    fn judge(&mut self, clip: &LivenessClip<'_>) -> Result<LivenessReport, AppError> {
        let audio = clip.audio.resampled(zk_drivers::SAMPLE_RATE);
        let digits = clip.challenge.digits().len();
        let window_secs = VAD_WINDOW as f64 / f64::from(zk_drivers::SAMPLE_RATE);
        let audio_ms = audio.samples.len() as i64 * 1000 / i64::from(zk_drivers::SAMPLE_RATE);

        let images: Vec<&RgbImage> = clip.frames.iter().map(|frame| &frame.image).collect();
        let boxes: Vec<Option<FaceRect>> = match clip.face_boxes {
            Some(found) if found.len() == images.len() => {
                found.iter().map(|face| face.map(face_rect)).collect()
            }
            _ => self.face_boxes(&images)?,
        };
        // Only frames with sound under them are compared with it.
        let heard: Vec<usize> = (0..images.len())
            .filter(|&index| {
                clip.frame_times_ms
                    .get(index)
                    .is_some_and(|t| (0..audio_ms).contains(t))
            })
            .collect();
        let frames: Vec<GrayFrame> = heard.iter().map(|&index| gray(images[index])).collect();
        let heard_boxes: Vec<Option<FaceRect>> = heard.iter().map(|&index| boxes[index]).collect();
        let times: Vec<f64> = heard
            .iter()
            .map(|&index| clip.frame_times_ms[index] as f64 / 1000.0)
            .collect();
        let vad = &self.vad;
        let (probabilities, sync) = std::thread::scope(|scope| {
            let voice = scope.spawn(|| vad.probabilities(&audio.samples));
            let sync = judge_lip_sync(
                &LipSyncClip {
                    frames: &frames,
                    boxes: &heard_boxes,
                    frame_times_secs: &times,
                    samples: &audio.samples,
                    sample_rate: audio.sample_rate,
                },
                &self.lip_sync,
            );
            (voice.join(), sync)
        });
        let probabilities = probabilities
            .map_err(|_| AppError::Image("the voice-activity thread failed".into()))??;
        let sync = sync?;
        let shown_at_secs = clip.shown_at_ms as f64 / 1000.0;
        let speech = judge_speech(
            &probabilities,
            window_secs,
            digits,
            shown_at_secs,
            &self.rule,
        );
        tracing::info!(
            speech_secs = speech.speech_secs,
            onset = ?speech.onset_secs,
            rho = sync.rho,
            lag_ms = sync.lag_ms,
            p = sync.p,
            verdict = ?sync.verdict,
            "speech liveness"
        );
        let mut scores = vec![
            Score::new("speech_secs", speech.speech_secs, speech.min_speech_secs),
            Score::new(
                "speech_onset_secs",
                speech.onset_secs.unwrap_or(-1.0),
                self.rule.min_reaction_secs,
            ),
            Score::new("speech_early_secs", speech.early_secs, 0.0),
            Score::new("lip_sync", sync.rho, self.lip_sync.min_rho),
            Score::new("lip_sync_p", sync.p, self.lip_sync.max_p),
            Score::new(
                "lip_sync_lag_ms",
                sync.lag_ms,
                self.lip_sync.max_lag_secs * 1000.0,
            ),
            Score::new(
                "face_tracked_fraction",
                sync.tracked_fraction,
                self.lip_sync.min_tracked_fraction,
            ),
        ];
        let failure = match (speech.finding, sync.verdict) {
            (SpeechFinding::NoSpeech, _) => Some(ReasonCode::NoSpeech),
            (SpeechFinding::TooShort, _) => Some(ReasonCode::SpeechTooShort),
            (SpeechFinding::Enough, LipSyncVerdict::Unavailable(NoLipSync::FaceNotTracked)) => {
                Some(ReasonCode::NoFace)
            }
            (SpeechFinding::Enough, LipSyncVerdict::Unavailable(why)) => {
                return Ok(LivenessReport::Unavailable {
                    why: format!("lip sync could not be judged ({why:?})"),
                })
            }
            (SpeechFinding::Enough, LipSyncVerdict::Fail) => Some(ReasonCode::LipSyncLow),
            (SpeechFinding::Enough, LipSyncVerdict::Pass) => {
                // The recogniser hears the reading only (with a margin), not the silence
                // around it: Whisper base misreads short readings padded with silence.
                let rate = f64::from(zk_drivers::SAMPLE_RATE);
                let from = speech
                    .segments
                    .first()
                    .map_or(0.0, |(start, _)| start - 0.3);
                let to = speech
                    .segments
                    .last()
                    .map_or(f64::INFINITY, |(_, end)| end + 0.3);
                let first = ((from.max(0.0) * rate) as usize).min(audio.samples.len());
                let last = ((to * rate).min(audio.samples.len() as f64) as usize).max(first);
                self.check_digits(&audio.samples[first..last], clip.challenge, &mut scores)
            }
        };
        Ok(LivenessReport::Checked { scores, failure })
    }
}

#[cfg(test)]
mod tests;
