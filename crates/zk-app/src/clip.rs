//! The liveness clip: camera frames and microphone audio recorded at the same time on one clock
//! ([`record`]), and its stored form ([`RecordedClip::to_artefact`], [`ClipArtefact`]).
//!
//! Recording runs the camera and the microphone on two threads from one `Instant` origin (the
//! digits are on screen by then). The microphone says when its first sample was captured
//! ([`zk_drivers::Microphone::record_timed`]), each frame when it was captured
//! ([`zk_drivers::Frame::captured_at`]); every frame's time is kept relative to the audio's first
//! sample, so the judges line frames up with sound by data, not by assuming both started
//! together. Frames are kept at about the target rate (every n-th of a faster camera) until the
//! clip's length has passed and the microphone is done, so they cover the whole audio even when
//! the microphone started late. Kept frames are JPEG-encoded on a third thread meanwhile, so
//! encoding never makes the camera miss a frame.
//!
//! The artefact is one blob: `ZKCLIP01`, a little-endian u32 header length, a JSON header (the
//! frame index with capture times, the audio's place and format), then the frames as MJPEG
//! (concatenated baseline JPEGs, playable as `-f mjpeg`) and the audio as a 16-bit mono WAV.
//! It is stored encrypted as a `liveness_clip` artefact and purged by that kind's retention.

use std::io::Cursor;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use image::codecs::jpeg::JpegEncoder;
use image::RgbImage;
use serde::{Deserialize, Serialize};
use zk_domain::Challenge;
use zk_drivers::{AudioClip, Camera, DeviceError, Frame, Microphone, SAMPLE_RATE};

use crate::error::AppError;
use crate::matcher::LivenessClip;

/// How a clip is recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordSettings {
    /// Length of the audio (the challenge's 3–5 s).
    pub duration: Duration,
    /// Frames per second kept: every n-th frame of a faster camera, n = round(camera ÷ target).
    pub target_fps: f32,
    /// Quality of the stored JPEG frames.
    pub jpeg_quality: u8,
    /// How long after the clip's length the camera may go on while the microphone finishes.
    pub max_overrun: Duration,
    /// Extra time the microphone may take beyond the clip's length before it times out.
    pub microphone_slack: Duration,
}

impl RecordSettings {
    pub fn new(duration: Duration, target_fps: f32) -> RecordSettings {
        RecordSettings {
            duration,
            target_fps,
            jpeg_quality: 80,
            max_overrun: Duration::from_secs(1),
            microphone_slack: Duration::from_secs(3),
        }
    }
}

/// Which device failed a recording, and how.
#[derive(Debug)]
pub struct CaptureError {
    /// `camera` or `microphone` (the codes of [`zk_drivers::Device`]).
    pub device: &'static str,
    pub error: DeviceError,
}

/// A recorded clip. Times are milliseconds after the audio's first sample (negative: before).
/// `Debug` shows counts and times, never pixels or samples.
#[derive(Clone)]
pub struct RecordedClip {
    pub frames: Vec<Frame>,
    /// Capture time of each frame.
    pub frame_times_ms: Vec<i64>,
    /// The frames as JPEG, as stored (encoded while recording; empty until then).
    pub jpegs: Vec<Vec<u8>>,
    pub audio: AudioClip,
    /// When recording started, with the digits on screen.
    pub shown_at_ms: i64,
}

impl std::fmt::Debug for RecordedClip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordedClip")
            .field("frames", &self.frames.len())
            .field("first_frame_ms", &self.frame_times_ms.first())
            .field("last_frame_ms", &self.frame_times_ms.last())
            .field("audio", &self.audio)
            .field("shown_at_ms", &self.shown_at_ms)
            .finish_non_exhaustive()
    }
}

impl RecordedClip {
    /// A clip whose audio starts with its first frame and whose digits were shown then; frame
    /// times are the camera's `captured_at_ms` from the first frame. For clips assembled by hand
    /// (tests, tools); [`record`] measures instead.
    pub fn aligned(frames: Vec<Frame>, audio: AudioClip) -> RecordedClip {
        let first = frames.first().map_or(0, |frame| frame.captured_at_ms);
        let frame_times_ms = frames
            .iter()
            .map(|frame| frame.captured_at_ms.saturating_sub(first) as i64)
            .collect();
        RecordedClip {
            frames,
            frame_times_ms,
            jpegs: Vec::new(),
            audio,
            shown_at_ms: 0,
        }
    }

    /// The clip as the liveness judges see it.
    pub fn liveness<'a>(&'a self, challenge: &'a Challenge) -> LivenessClip<'a> {
        LivenessClip {
            frames: &self.frames,
            frame_times_ms: &self.frame_times_ms,
            shown_at_ms: self.shown_at_ms,
            audio: &self.audio,
            challenge,
            face_boxes: None,
        }
    }

    /// The stored form (module docs); frames not yet encoded are encoded at quality 80.
    pub fn to_artefact(&self) -> Result<Vec<u8>, AppError> {
        let encoded: Vec<Vec<u8>>;
        let jpegs: &[Vec<u8>] = if self.jpegs.len() == self.frames.len() {
            &self.jpegs
        } else {
            encoded = self
                .frames
                .iter()
                .map(|frame| encode_jpeg(&frame.image, 80))
                .collect::<Result<_, _>>()?;
            &encoded
        };
        let wav = self.audio.to_wav_bytes()?;
        let mut offset = 0u64;
        let frames = jpegs
            .iter()
            .zip(&self.frame_times_ms)
            .map(|(jpeg, t_ms)| {
                let entry = FrameEntry {
                    t_ms: *t_ms,
                    offset,
                    len: jpeg.len() as u64,
                };
                offset += jpeg.len() as u64;
                entry
            })
            .collect();
        let (width, height) = self
            .frames
            .first()
            .map_or((0, 0), |frame| frame.image.dimensions());
        let header = Header {
            version: 1,
            shown_at_ms: self.shown_at_ms,
            video: VideoEntry {
                format: "mjpeg".into(),
                width,
                height,
                frames,
            },
            audio: AudioEntry {
                format: "wav".into(),
                offset,
                len: wav.len() as u64,
                sample_rate: self.audio.sample_rate,
                samples: self.audio.samples.len() as u64,
            },
        };
        let json =
            serde_json::to_vec(&header).map_err(|error| AppError::Image(error.to_string()))?;
        let mut out = Vec::with_capacity(12 + json.len() + offset as usize + wav.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(json.len() as u32).to_le_bytes());
        out.extend_from_slice(&json);
        for jpeg in jpegs {
            out.extend_from_slice(jpeg);
        }
        out.extend_from_slice(&wav);
        Ok(out)
    }
}

const MAGIC: &[u8; 8] = b"ZKCLIP01";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    version: u32,
    shown_at_ms: i64,
    video: VideoEntry,
    audio: AudioEntry,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct VideoEntry {
    format: String,
    width: u32,
    height: u32,
    frames: Vec<FrameEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrameEntry {
    /// Capture time, ms after the audio's first sample.
    t_ms: i64,
    /// Into the MJPEG data, which starts right after the header.
    offset: u64,
    len: u64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AudioEntry {
    format: String,
    /// From the start of the MJPEG data.
    offset: u64,
    len: u64,
    sample_rate: u32,
    samples: u64,
}

/// A stored clip read back (staff replay, tests).
#[derive(Clone, PartialEq)]
pub struct ClipArtefact {
    /// Each frame's capture time (ms after the audio's first sample) and JPEG bytes.
    pub frames: Vec<(i64, Vec<u8>)>,
    pub shown_at_ms: i64,
    pub width: u32,
    pub height: u32,
    /// The whole MJPEG stream (the frames' JPEGs one after the other).
    pub mjpeg: Vec<u8>,
    pub wav: Vec<u8>,
}

impl std::fmt::Debug for ClipArtefact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClipArtefact")
            .field("frames", &self.frames.len())
            .field("size", &(self.width, self.height))
            .field("wav_bytes", &self.wav.len())
            .finish_non_exhaustive()
    }
}

impl ClipArtefact {
    pub fn parse(bytes: &[u8]) -> Result<ClipArtefact, AppError> {
        let bad = |why: &str| AppError::Image(format!("not a liveness clip artefact: {why}"));
        let rest = bytes
            .strip_prefix(MAGIC)
            .ok_or_else(|| bad("no ZKCLIP01 header"))?;
        let (length, rest) = rest.split_at_checked(4).ok_or_else(|| bad("cut short"))?;
        let length = u32::from_le_bytes([length[0], length[1], length[2], length[3]]) as usize;
        let (json, data) = rest
            .split_at_checked(length)
            .ok_or_else(|| bad("cut short in its header"))?;
        let header: Header =
            serde_json::from_slice(json).map_err(|error| bad(&error.to_string()))?;
        if header.version != 1 || header.video.format != "mjpeg" || header.audio.format != "wav" {
            return Err(bad("an unknown version or format"));
        }
        let slice = |offset: u64, len: u64| -> Result<Vec<u8>, AppError> {
            let start = usize::try_from(offset).map_err(|_| bad("an offset out of range"))?;
            let end = start
                .checked_add(usize::try_from(len).map_err(|_| bad("a length out of range"))?)
                .ok_or_else(|| bad("a length out of range"))?;
            data.get(start..end)
                .map(<[u8]>::to_vec)
                .ok_or_else(|| bad("a part beyond its end"))
        };
        let frames = header
            .video
            .frames
            .iter()
            .map(|entry| Ok((entry.t_ms, slice(entry.offset, entry.len)?)))
            .collect::<Result<Vec<_>, AppError>>()?;
        Ok(ClipArtefact {
            mjpeg: slice(0, header.audio.offset)?,
            wav: slice(header.audio.offset, header.audio.len)?,
            frames,
            shown_at_ms: header.shown_at_ms,
            width: header.video.width,
            height: header.video.height,
        })
    }
}

/// A baseline JPEG of `image`.
pub fn encode_jpeg(image: &RgbImage, quality: u8) -> Result<Vec<u8>, AppError> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(Cursor::new(&mut bytes), quality)
        .encode_image(image)
        .map_err(|error| AppError::Image(error.to_string()))?;
    Ok(bytes)
}

/// Milliseconds from `origin` to `at`, negative when `at` is earlier.
fn signed_ms(at: Instant, origin: Instant) -> i64 {
    match at.checked_duration_since(origin) {
        Some(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        None => -i64::try_from(origin.duration_since(at).as_millis()).unwrap_or(i64::MAX),
    }
}

/// Every n-th frame of a camera delivering `camera_fps` gives about `target_fps`.
pub fn keep_every(camera_fps: f32, target_fps: f32) -> usize {
    if !(camera_fps.is_finite() && target_fps.is_finite() && target_fps > 0.0) {
        return 1;
    }
    (camera_fps / target_fps).round().max(1.0) as usize
}

const RUNNING: u8 = 0;
const DONE: u8 = 1;
const FAILED: u8 = 2;

/// Records a clip: the camera and the microphone at once, on one clock (module docs).
pub fn record(
    camera: &mut dyn Camera,
    microphone: &mut dyn Microphone,
    settings: &RecordSettings,
) -> Result<RecordedClip, CaptureError> {
    let samples = (settings.duration.as_secs_f64() * f64::from(SAMPLE_RATE)).round() as usize;
    let microphone_timeout = settings.duration + settings.microphone_slack;
    let every = keep_every(camera.frame_rate(), settings.target_fps);
    let microphone_state = AtomicU8::new(RUNNING);
    let origin = Instant::now();
    let quality = settings.jpeg_quality;
    let (audio, video, encoded) = std::thread::scope(|scope| {
        let state = &microphone_state;
        let (kept, to_encode) = std::sync::mpsc::channel::<Frame>();
        let audio = scope.spawn(move || {
            let result = microphone.record_timed(samples, microphone_timeout);
            state.store(if result.is_ok() { DONE } else { FAILED }, Ordering::SeqCst);
            result
        });
        // JPEG encoding on a third thread, so it never delays the next frame.
        let encoder = scope.spawn(move || {
            to_encode
                .into_iter()
                .map(|frame| {
                    let jpeg = encode_jpeg(&frame.image, quality);
                    (frame, jpeg)
                })
                .collect::<Vec<_>>()
        });
        let video =
            scope.spawn(move || capture_frames(camera, origin, settings, every, state, kept));
        (audio.join(), video.join(), encoder.join())
    });
    let thread_died = |device: &'static str| CaptureError {
        device,
        error: DeviceError::Disconnected {
            device: if device == "camera" {
                zk_drivers::Device::Camera
            } else {
                zk_drivers::Device::Microphone
            },
        },
    };
    let video = video.map_err(|_| thread_died("camera"))?;
    let encoded = encoded.map_err(|_| thread_died("camera"))?;
    let audio = audio.map_err(|_| thread_died("microphone"))?;
    let recording = audio.map_err(|error| CaptureError {
        device: "microphone",
        error,
    })?;
    video.map_err(|error| CaptureError {
        device: "camera",
        error,
    })?;
    let mut frames = Vec::with_capacity(encoded.len());
    let mut jpegs = Vec::with_capacity(encoded.len());
    for (frame, jpeg) in encoded {
        let jpeg = jpeg.map_err(|error| CaptureError {
            device: "camera",
            error: DeviceError::CorruptData {
                device: zk_drivers::Device::Camera,
                detail: error.to_string(),
            },
        })?;
        frames.push(frame);
        jpegs.push(jpeg);
    }
    let first_sample_at = recording.first_sample_at;
    let frame_times_ms = frames
        .iter()
        .map(|frame| signed_ms(frame.captured_at, first_sample_at))
        .collect();
    let shown_at_ms = signed_ms(origin, first_sample_at);
    tracing::info!(
        frames = frames.len(),
        every,
        audio_started_ms = -shown_at_ms,
        took_ms = origin.elapsed().as_millis() as u64,
        "liveness clip recorded"
    );
    Ok(RecordedClip {
        frames,
        frame_times_ms,
        jpegs,
        audio: recording.clip,
        shown_at_ms,
    })
}

/// The camera's half: frames from `origin` until the clip's length has passed and the
/// microphone is done (at most `max_overrun` longer), every `every`-th sent to `kept` (the
/// encoder). Stops at once when the microphone fails.
fn capture_frames(
    camera: &mut dyn Camera,
    origin: Instant,
    settings: &RecordSettings,
    every: usize,
    microphone: &AtomicU8,
    kept: std::sync::mpsc::Sender<Frame>,
) -> Result<(), DeviceError> {
    let end = origin + settings.duration;
    let hard_end = end + settings.max_overrun;
    // A camera in real time waits for a microphone that is still finishing; a full-speed
    // simulator's frames are virtual, so waiting on the microphone's wall time would only add
    // frames past the end.
    let paced = camera.paced();
    // Frames to skip before the next one is kept.
    let mut skip = 0usize;
    loop {
        if microphone.load(Ordering::SeqCst) == FAILED {
            return Ok(());
        }
        let frame = camera.frame()?;
        let at = frame.captured_at;
        if skip == 0 {
            skip = every.max(1);
            if kept.send(frame).is_err() {
                return Err(DeviceError::Disconnected {
                    device: zk_drivers::Device::Camera,
                });
            }
        }
        skip -= 1;
        if at >= hard_end || (at >= end && (!paced || microphone.load(Ordering::SeqCst) != RUNNING))
        {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests;
