//! The live camera preview the candidate lines up with: the frames the kiosk reads anyway (the
//! photo step's framing countdown, the digits' lead-in, the clip while it records) are offered to
//! a preview worker on its own thread, which scales each down, finds the faces, judges the
//! largest against the guide box and sends it to the UI as [`KioskEvent::CameraFrame`]
//! (`kiosk://camera-frame`). The same camera driver serves preview and capture: there is no
//! second reader of the device.
//!
//! - [`PhaseClock`] (pure): which frames to offer (at most `fps` a second, by the frames' own
//!   capture times) and how long the phase has left.
//! - [`TapCamera`]: a [`Camera`] that hands every frame to its caller and offers it to the tap;
//!   `clip::record` records through it unchanged.
//! - [`PreviewTap`]: the worker's handle. A full queue drops the frame: capture never waits for
//!   the preview.

use std::io::Cursor;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Sender, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::RgbImage;
use serde::{Deserialize, Serialize};
use zk_drivers::{Camera, DeviceError, Frame};
use zk_vision::{DetectorConfig, FaceBox, FaceDetector};

use crate::error::AppError;
use crate::kiosk::KioskEvent;
use crate::matcher::guide::{judge_frame, FrameFinding, GuideConfig};

/// `[preview]`: the live preview and the timed phases around capture.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PreviewConfig {
    /// Preview frames a second sent to the screen (0: no preview).
    pub fps: f32,
    /// Width of a preview frame, px (the height keeps the camera's aspect).
    pub width: u32,
    pub jpeg_quality: u8,
    /// The photo step shows the live preview this long ("hold still", a countdown), then takes
    /// the photo.
    pub photo_countdown_secs: f64,
    /// The liveness step shows the digits (and the UI speaks them) this long plus
    /// `lead_in_per_digit_ms` a digit before the clip starts recording.
    pub lead_in_ms: u64,
    pub lead_in_per_digit_ms: u64,
}

impl Default for PreviewConfig {
    fn default() -> Self {
        PreviewConfig {
            fps: 15.0,
            width: 320,
            jpeg_quality: 70,
            photo_countdown_secs: 3.0,
            lead_in_ms: 1_000,
            lead_in_per_digit_ms: 850,
        }
    }
}

impl PreviewConfig {
    pub fn validate(&self) -> Result<(), AppError> {
        let fine = self.fps.is_finite()
            && (0.0..=60.0).contains(&self.fps)
            && (64..=1280).contains(&self.width)
            && (10..=100).contains(&self.jpeg_quality)
            && self.photo_countdown_secs.is_finite()
            && (0.0..=10.0).contains(&self.photo_countdown_secs)
            && self.lead_in_ms <= 10_000
            && self.lead_in_per_digit_ms <= 2_000;
        if fine {
            Ok(())
        } else {
            Err(AppError::Config(
                "preview: need 0 <= fps <= 60, 64 <= width <= 1280, 10 <= jpeg_quality <= 100, 0 <= photo_countdown_secs <= 10, lead_in_ms <= 10000, lead_in_per_digit_ms <= 2000".into(),
            ))
        }
    }

    /// How long the digits show before recording starts.
    pub fn lead_in(&self, digits: usize) -> Duration {
        Duration::from_millis(self.lead_in_ms + self.lead_in_per_digit_ms * digits as u64)
    }

    pub fn photo_countdown(&self) -> Duration {
        Duration::from_secs_f64(self.photo_countdown_secs)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PreviewStep {
    Liveness,
    Photo,
    /// The card held up to the camera (the OCR fallback): no face finding, a card-shaped guide.
    Card,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PreviewPhase {
    /// The photo step: lining up; the photo is taken when the phase ends.
    Framing,
    /// The digits show and are spoken; recording starts when the phase ends.
    LeadIn,
    Recording,
    /// The card step wants the portrait side.
    CardFront,
    /// The card step wants the emblem side.
    CardBack,
}

/// A box as fractions of the frame (0..1), not mirrored.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaceFraction {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// What the candidate should do now, by the guide rules (the hint under the preview).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuideHint {
    /// One face, in the guide, of a good size.
    Good,
    NoFace,
    SeveralFaces,
    /// The face's centre is outside the guide box (the UI says which way from the boxes).
    Outside,
    /// Too far: come closer.
    Closer,
    /// Too near: move back a little.
    Further,
}

impl GuideHint {
    fn of(finding: &FrameFinding) -> GuideHint {
        match finding {
            FrameFinding::InGuide(_) => GuideHint::Good,
            FrameFinding::NoFace => GuideHint::NoFace,
            FrameFinding::SeveralFaces => GuideHint::SeveralFaces,
            FrameFinding::OutsideGuide(_) => GuideHint::Outside,
            FrameFinding::TooSmall(_) => GuideHint::Closer,
            FrameFinding::TooLarge(_) => GuideHint::Further,
        }
    }
}

/// One camera frame made ready for the screen: scaled, faces found and judged, JPEG-encoded.
#[derive(Clone, PartialEq)]
pub struct Rendered {
    pub width: u32,
    pub height: u32,
    pub jpeg: Vec<u8>,
    /// Faces found in the frame.
    pub faces: usize,
    /// The largest face.
    pub face: Option<FaceFraction>,
    pub hint: GuideHint,
}

impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A face image: its size only.
        f.debug_struct("Rendered")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("jpeg_bytes", &self.jpeg.len())
            .field("faces", &self.faces)
            .field("face", &self.face)
            .field("hint", &self.hint)
            .finish()
    }
}

/// One preview frame for the screen.
#[derive(Clone, PartialEq)]
pub struct PreviewFrame {
    pub step: PreviewStep,
    pub phase: PreviewPhase,
    pub remaining_ms: u64,
    pub seq: u64,
    pub width: u32,
    pub height: u32,
    pub jpeg: Vec<u8>,
    /// Faces found in the frame.
    pub faces: usize,
    /// The largest face.
    pub face: Option<FaceFraction>,
    /// Whether the frame would pass the guide rules (`None`: no face).
    pub in_guide: Option<bool>,
    pub hint: GuideHint,
    /// The oval the UI draws ([`target_oval`]), as fractions of the frame.
    pub guide: FaceFraction,
}

impl PreviewFrame {
    fn new(job: Job, rendered: Rendered, guide: &GuideConfig) -> PreviewFrame {
        PreviewFrame {
            step: job.step,
            phase: job.phase,
            remaining_ms: job.remaining_ms,
            seq: job.seq,
            width: rendered.width,
            height: rendered.height,
            jpeg: rendered.jpeg,
            faces: rendered.faces,
            face: rendered.face,
            in_guide: match rendered.hint {
                GuideHint::NoFace => None,
                GuideHint::Good => Some(true),
                _ => Some(false),
            },
            hint: rendered.hint,
            guide: if job.step == PreviewStep::Card {
                card_guide(rendered.width, rendered.height)
            } else {
                target_oval(guide, rendered.width, rendered.height)
            },
        }
    }
}

/// The oval the UI draws, as a box in fractions of a `width`×`height` frame: centred, as wide as
/// the geometric mean of the face-size limits and 1.3 times as tall as wide in pixels (a head),
/// kept inside the guide box. A face that fills it passes the rules.
/// The card-shaped guide (85.6 × 54 mm) for the card step: centred, 70 % of the frame's width
/// (or 80 % of its height in a tall frame), as fractions of the frame.
pub fn card_guide(width: u32, height: u32) -> FaceFraction {
    let aspect = f64::from(width.max(1)) / f64::from(height.max(1));
    let card_aspect = 85.6 / 54.0;
    let mut card_width = 0.7;
    let mut card_height = card_width * aspect / card_aspect;
    if card_height > 0.8 {
        card_height = 0.8;
        card_width = card_height * card_aspect / aspect;
    }
    FaceFraction {
        x: 0.5 - card_width / 2.0,
        y: 0.5 - card_height / 2.0,
        width: card_width,
        height: card_height,
    }
}

pub fn target_oval(guide: &GuideConfig, width: u32, height: u32) -> FaceFraction {
    let aspect = f64::from(width.max(1)) / f64::from(height.max(1));
    let face_width = (guide.min_face * guide.max_face).sqrt().min(guide.width);
    let face_height = (face_width * 1.3 * aspect).min(guide.height);
    FaceFraction {
        x: 0.5 - face_width / 2.0,
        y: 0.5 - face_height / 2.0,
        width: face_width,
        height: face_height,
    }
}

impl std::fmt::Debug for PreviewFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A face image: its size only.
        f.debug_struct("PreviewFrame")
            .field("step", &self.step)
            .field("phase", &self.phase)
            .field("remaining_ms", &self.remaining_ms)
            .field("seq", &self.seq)
            .field("jpeg_bytes", &self.jpeg.len())
            .field("faces", &self.faces)
            .field("in_guide", &self.in_guide)
            .field("hint", &self.hint)
            .finish_non_exhaustive()
    }
}

/// The timing of one phase, from the frames' own capture times (pure).
#[derive(Clone, Debug)]
pub struct PhaseClock {
    pub step: PreviewStep,
    pub phase: PreviewPhase,
    duration_ms: u64,
    min_gap_ms: u64,
    started_ms: Option<u64>,
    last_offered_ms: Option<u64>,
}

impl PhaseClock {
    pub fn new(step: PreviewStep, phase: PreviewPhase, duration: Duration, fps: f32) -> PhaseClock {
        let min_gap_ms = if fps > 0.0 {
            // A little under the period, so a camera at exactly `fps` is not halved by jitter.
            (900.0 / f64::from(fps)) as u64
        } else {
            u64::MAX
        };
        PhaseClock {
            step,
            phase,
            duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
            min_gap_ms,
            started_ms: None,
            last_offered_ms: None,
        }
    }

    /// Notes a frame captured at `at_ms` (camera time); the phase's time left when it should be
    /// offered to the preview, `None` when it comes too soon after the last one offered.
    pub fn admit(&mut self, at_ms: u64) -> Option<u64> {
        let started = *self.started_ms.get_or_insert(at_ms);
        let remaining = self
            .duration_ms
            .saturating_sub(at_ms.saturating_sub(started));
        let due = match self.last_offered_ms {
            None => true,
            Some(last) => at_ms < last || at_ms - last >= self.min_gap_ms,
        };
        if due && self.min_gap_ms != u64::MAX {
            self.last_offered_ms = Some(at_ms);
            Some(remaining)
        } else {
            None
        }
    }
}

struct Job {
    image: RgbImage,
    step: PreviewStep,
    phase: PreviewPhase,
    remaining_ms: u64,
    seq: u64,
}

/// The preview worker's handle; cloning shares the worker.
#[derive(Clone)]
pub struct PreviewTap {
    jobs: SyncSender<Job>,
    seq: Arc<AtomicU64>,
    fps: f32,
}

impl std::fmt::Debug for PreviewTap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreviewTap")
            .field("fps", &self.fps)
            .finish_non_exhaustive()
    }
}

impl PreviewTap {
    /// Starts the worker; it sends [`KioskEvent::CameraFrame`] to `events` and ends when every
    /// tap is dropped or nobody listens any more. `None` when the preview is off (`fps` 0).
    pub fn spawn(
        config: &PreviewConfig,
        guide: GuideConfig,
        events: Sender<KioskEvent>,
    ) -> Result<Option<PreviewTap>, AppError> {
        config.validate()?;
        if config.fps <= 0.0 {
            return Ok(None);
        }
        let detector = FaceDetector::new(DetectorConfig::default())?;
        // One frame waiting at most: a slow worker skips frames instead of lagging behind.
        let (jobs, queue) = sync_channel::<Job>(1);
        let (width, quality) = (config.width, config.jpeg_quality);
        std::thread::Builder::new()
            .name("camera-preview".into())
            .spawn(move || {
                for job in queue {
                    let faces = (job.step != PreviewStep::Card).then_some(&detector);
                    let frame = match render(&job.image, faces, &guide, width, quality) {
                        Ok(rendered) => PreviewFrame::new(job, rendered, &guide),
                        Err(error) => {
                            tracing::warn!(%error, "a preview frame could not be rendered");
                            continue;
                        }
                    };
                    if events.send(KioskEvent::CameraFrame(frame)).is_err() {
                        break;
                    }
                }
            })
            .map_err(|error| {
                AppError::Config(format!("cannot start the preview thread: {error}"))
            })?;
        Ok(Some(PreviewTap {
            jobs,
            seq: Arc::new(AtomicU64::new(0)),
            fps: config.fps,
        }))
    }

    pub fn fps(&self) -> f32 {
        self.fps
    }

    /// Offers a frame; dropped when the worker is still busy with the previous one.
    fn offer(&self, image: &RgbImage, clock: &mut PhaseClock, at_ms: u64) {
        let Some(remaining_ms) = clock.admit(at_ms) else {
            return;
        };
        let job = Job {
            image: image.clone(),
            step: clock.step,
            phase: clock.phase,
            remaining_ms,
            seq: self.seq.fetch_add(1, Ordering::Relaxed),
        };
        match self.jobs.try_send(job) {
            Ok(()) | Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {}
        }
    }
}

/// Scales a camera frame to `width`, finds the faces, judges the largest against the guide and
/// encodes the JPEG.
pub fn render(
    image: &RgbImage,
    detector: Option<&FaceDetector>,
    guide: &GuideConfig,
    width: u32,
    quality: u8,
) -> Result<Rendered, AppError> {
    let (source_w, source_h) = image.dimensions();
    if source_w < 8 || source_h < 8 {
        return Err(AppError::Image(format!(
            "the camera frame is only {source_w}×{source_h} px"
        )));
    }
    let width = width.min(source_w);
    let height = ((u64::from(source_h) * u64::from(width)) / u64::from(source_w)).max(1) as u32;
    let small = image::imageops::resize(image, width, height, FilterType::Triangle);
    let faces: Vec<FaceBox> = match detector {
        Some(detector) => detector.detect_at_least(&small, guide.min_face_px(width) / 2.0)?,
        None => Vec::new(),
    };
    let finding = judge_frame(&faces, (width, height), guide);
    let largest = faces
        .iter()
        .copied()
        .max_by(|a, b| a.width.total_cmp(&b.width));
    let face = largest.map(|face| FaceFraction {
        x: f64::from(face.x) / f64::from(width),
        y: f64::from(face.y) / f64::from(height),
        width: f64::from(face.width) / f64::from(width),
        height: f64::from(face.height) / f64::from(height),
    });
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(Cursor::new(&mut jpeg), quality)
        .encode_image(&small)
        .map_err(|error| AppError::Image(error.to_string()))?;
    Ok(Rendered {
        width,
        height,
        jpeg,
        faces: faces.len(),
        face,
        hint: GuideHint::of(&finding),
    })
}

/// A camera whose frames are also offered to the preview (when there is one).
pub struct TapCamera<'a> {
    camera: &'a mut dyn Camera,
    tap: Option<&'a PreviewTap>,
    pub clock: PhaseClock,
}

impl<'a> TapCamera<'a> {
    pub fn new(camera: &'a mut dyn Camera, tap: Option<&'a PreviewTap>, clock: PhaseClock) -> Self {
        TapCamera { camera, tap, clock }
    }

    /// Reads frames for the phase's duration (by the camera's frame rate: a real camera paces
    /// it, a simulator that does not sleep passes it at once) and returns the last one. At least
    /// one frame is read.
    pub fn run_for(&mut self, duration: Duration) -> Result<Frame, DeviceError> {
        let count = (duration.as_secs_f64() * f64::from(self.camera.frame_rate().max(0.0)))
            .ceil()
            .max(1.0) as u64;
        let mut last = self.frame()?;
        for _ in 1..count {
            last = self.frame()?;
        }
        Ok(last)
    }
}

impl Camera for TapCamera<'_> {
    fn frame(&mut self) -> Result<Frame, DeviceError> {
        let frame = self.camera.frame()?;
        if let Some(tap) = self.tap {
            tap.offer(&frame.image, &mut self.clock, frame.captured_at_ms);
        }
        Ok(frame)
    }

    fn frame_rate(&self) -> f32 {
        self.camera.frame_rate()
    }

    fn paced(&self) -> bool {
        self.camera.paced()
    }
}

#[cfg(test)]
mod tests;
