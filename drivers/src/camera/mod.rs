//! Cameras: the kiosk takes frames (the liveness clip, the registration photo).
//!
//! [`nokhwa`] drives a real camera (V4L2, Media Foundation, AVFoundation) through
//! [`stream::ThreadedCamera`]; [`decode`] turns its MJPEG or YUYV frames into RGB (pure);
//! [`sim`] replays image files.

pub mod decode;
#[cfg(any(target_os = "linux", target_os = "windows", target_os = "macos"))]
pub mod nokhwa;
pub mod sim;
pub mod stream;

use std::fmt;
use std::time::Instant;

use image::RgbImage;

use crate::error::DeviceError;

/// One captured frame. `Debug` shows the size and time, never the pixels.
#[derive(Clone, PartialEq)]
pub struct Frame {
    pub image: RgbImage,
    /// Milliseconds since the camera delivered its first frame.
    pub captured_at_ms: u64,
    /// When the frame was captured, on the process's monotonic clock: what frames are lined up
    /// with the microphone's audio by. A simulator that does not run in real time gives the
    /// instant its frame would have had (its first call plus `captured_at_ms`).
    pub captured_at: Instant,
}

impl Frame {
    /// A frame captured now (tests, still images).
    pub fn now(image: RgbImage, captured_at_ms: u64) -> Frame {
        Frame {
            image,
            captured_at_ms,
            captured_at: Instant::now(),
        }
    }
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frame")
            .field("width", &self.image.width())
            .field("height", &self.image.height())
            .field("captured_at_ms", &self.captured_at_ms)
            .finish()
    }
}

/// A source of frames.
pub trait Camera: Send {
    /// The next frame; waits for it when the camera runs in real time.
    fn frame(&mut self) -> Result<Frame, DeviceError>;

    /// Frames per second the camera delivers.
    fn frame_rate(&self) -> f32;

    /// Whether frames come at the camera's pace in real time (every real camera). A simulator
    /// at full speed is not: its frames carry the times they would have had, so reading ahead
    /// of the microphone (a timed lead-in) would move its clock past the recording's.
    fn paced(&self) -> bool {
        true
    }
}
