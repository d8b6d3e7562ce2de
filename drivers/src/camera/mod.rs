//! Cameras: the kiosk takes single frames (liveness clip, registration photo).
//!
//! Real cameras (nokhwa) arrive in a later change; [`sim`] replays image files.

pub mod sim;

use std::fmt;

use image::RgbImage;

use crate::error::DeviceError;

/// One captured frame. `Debug` shows the size and time, never the pixels.
#[derive(Clone, PartialEq)]
pub struct Frame {
    pub image: RgbImage,
    /// Milliseconds since the camera delivered its first frame.
    pub captured_at_ms: u64,
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
}
