//! [`SimCamera`]: replays image files as frames, in order and looped, at a fixed frame rate.
//!
//! Frames are timestamped `round(n × 1000 / frame_rate)` ms for the n-th call (from 0), so runs
//! are deterministic; the camera sleeps to keep that pace only when `realtime` is on. In real
//! time it behaves like a camera that never stops capturing: after a pause the frames due
//! meanwhile are skipped (timestamps and script move on) and the next frame comes at the next
//! frame time. `captured_at` is the first call's instant plus the timestamp, so frames of a
//! simulator that does not sleep carry the times they would have had. Images are
//! decoded when the camera is built, so a broken file fails then (kind `CorruptData`), never
//! mid-session.
//!
//! A script file is a JSON array of `{"image": "path"}` (relative to the script's folder) and
//! `{"fault": "unplug"}` events (see [`SimFault`]); the whole list loops, faults included. One-shot
//! faults can also be injected at run time through [`SimCamera::faults`]; an injected fault takes
//! one frame's time but does not advance the script.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use image::RgbImage;
use serde::Deserialize;

use super::{Camera, Frame};
use crate::error::{Device, DeviceError};
use crate::sim::{self, FaultQueue, SimFault};

const DEVICE: Device = Device::Camera;
/// Highest frame rate the simulator accepts.
pub const MAX_FRAME_RATE: f32 = 240.0;

#[derive(Clone)]
enum Slot {
    Image(Arc<RgbImage>),
    Fault(SimFault),
}

/// The simulated camera.
pub struct SimCamera {
    slots: Vec<Slot>,
    frame_rate: f32,
    realtime: bool,
    /// Calls of `frame()` so far: the clock.
    calls: u64,
    /// Next slot of the script.
    position: usize,
    started: Option<Instant>,
    faults: FaultQueue,
}

impl std::fmt::Debug for SimCamera {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimCamera")
            .field("slots", &self.slots.len())
            .field("frame_rate", &self.frame_rate)
            .field("realtime", &self.realtime)
            .field("calls", &self.calls)
            .finish_non_exhaustive()
    }
}

impl SimCamera {
    /// Replays `paths` (JPEG, PNG or BMP) in order, looped.
    pub fn from_files(paths: Vec<PathBuf>, frame_rate: f32) -> Result<SimCamera, DeviceError> {
        let slots = paths
            .iter()
            .map(|path| load_image(path).map(Slot::Image))
            .collect::<Result<_, _>>()?;
        SimCamera::new(slots, frame_rate)
    }

    /// Replays a script file of images and faults (format in the module docs).
    pub fn from_script(path: &Path, frame_rate: f32) -> Result<SimCamera, DeviceError> {
        let text = sim::read_text(DEVICE, "camera script", path)?;
        let events: Vec<RawEvent> = sim::parse_json(DEVICE, path, &text)?;
        let base_dir = sim::script_dir(path);
        let slots = events
            .into_iter()
            .map(|event| match event {
                RawEvent::Image(relative) => load_image(&base_dir.join(relative)).map(Slot::Image),
                RawEvent::Fault(fault) => Ok(Slot::Fault(fault)),
            })
            .collect::<Result<_, _>>()?;
        SimCamera::new(slots, frame_rate)
    }

    /// Replays images already in memory, in order, looped.
    pub fn from_images(images: Vec<RgbImage>, frame_rate: f32) -> Result<SimCamera, DeviceError> {
        SimCamera::new(
            images
                .into_iter()
                .map(|image| Slot::Image(Arc::new(image)))
                .collect(),
            frame_rate,
        )
    }

    fn new(slots: Vec<Slot>, frame_rate: f32) -> Result<SimCamera, DeviceError> {
        if !(frame_rate.is_finite() && frame_rate > 0.0 && frame_rate <= MAX_FRAME_RATE) {
            return Err(DeviceError::Unsupported {
                device: DEVICE,
                detail: format!("a frame rate of {frame_rate} fps (use more than 0 and at most {MAX_FRAME_RATE})"),
            });
        }
        if slots.is_empty() {
            return Err(DeviceError::Unsupported {
                device: DEVICE,
                detail:
                    "replaying an empty list of images (give the simulator at least one image file)"
                        .to_owned(),
            });
        }
        Ok(SimCamera {
            slots,
            frame_rate,
            realtime: false,
            calls: 0,
            position: 0,
            started: None,
            faults: FaultQueue::default(),
        })
    }

    /// Sleep to deliver frames at the frame rate (off by default: tests and the demo run at full
    /// speed with the same timestamps).
    pub fn realtime(mut self, realtime: bool) -> SimCamera {
        self.realtime = realtime;
        self
    }

    /// A handle to queue one-shot faults; it stays usable after the camera is boxed.
    pub fn faults(&self) -> FaultQueue {
        self.faults.clone()
    }

    fn frame_period(&self) -> Duration {
        Duration::from_millis((1000.0 / f64::from(self.frame_rate)).ceil() as u64)
    }
}

impl Camera for SimCamera {
    fn frame(&mut self) -> Result<Frame, DeviceError> {
        let started = *self.started.get_or_insert_with(Instant::now);
        if self.realtime {
            // A real camera keeps capturing while nobody reads: the frames due meanwhile are
            // gone, and the next one comes at the next frame time (the script moves on too).
            let missed =
                (started.elapsed().as_secs_f64() * f64::from(self.frame_rate)).floor() as u64;
            if missed > self.calls {
                let skipped = missed - self.calls;
                self.calls = missed;
                let len = self.slots.len().max(1) as u64;
                self.position = ((self.position as u64 + skipped) % len) as usize;
            }
        }
        let captured_at_ms =
            (self.calls as f64 * 1000.0 / f64::from(self.frame_rate)).round() as u64;
        let due = Duration::from_millis(captured_at_ms);
        self.calls += 1;
        if self.realtime {
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        let captured_at = started + due;
        if let Some(fault) = self.faults.pop() {
            return Err(fault.to_error(DEVICE, self.frame_period()));
        }
        let len = self.slots.len();
        let slot = self
            .position
            .checked_rem(len)
            .and_then(|index| self.slots.get(index))
            .cloned();
        self.position = (self.position + 1).checked_rem(len).unwrap_or(0);
        match slot {
            Some(Slot::Image(image)) => Ok(Frame {
                image: (*image).clone(),
                captured_at_ms,
                captured_at,
            }),
            Some(Slot::Fault(fault)) => Err(fault.to_error(DEVICE, self.frame_period())),
            None => Err(DeviceError::Disconnected { device: DEVICE }),
        }
    }

    fn paced(&self) -> bool {
        self.realtime
    }

    fn frame_rate(&self) -> f32 {
        self.frame_rate
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
enum RawEvent {
    #[serde(rename = "image")]
    Image(String),
    #[serde(rename = "fault")]
    Fault(SimFault),
}

fn load_image(path: &Path) -> Result<Arc<RgbImage>, DeviceError> {
    let bytes = sim::read_bytes(DEVICE, "frame image", path)?;
    let image = image::load_from_memory(&bytes).map_err(|error| DeviceError::SimFile {
        device: DEVICE,
        what: "frame image",
        path: path.to_path_buf(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not a decodable image: {error}"),
        ),
    })?;
    Ok(Arc::new(image.to_rgb8()))
}

#[cfg(test)]
mod tests;
