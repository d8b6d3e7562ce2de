//! Signature pads: the candidate signs the pledge.
//!
//! - [`touch`]: the default — the touch screen, fed by the UI's pointer events;
//! - [`serial`]: pen tablets speaking Wacom ISDV4 ([`isdv4`]) on a serial port;
//! - [`pty_sim`]: an ISDV4 pad on a pseudo-terminal (tests of the serial driver);
//! - [`sim`]: replays stroke files in process (the demo).

pub mod isdv4;
#[cfg(unix)]
pub mod pty_sim;
pub mod serial;
pub mod sim;
pub mod touch;

use std::time::Duration;

use zk_domain::SignatureStrokes;

use crate::error::DeviceError;

/// Captures one handwritten signature.
pub trait SignaturePad: Send {
    /// What the pad is, for the stored signature record.
    fn info(&self) -> PadInfo {
        PadInfo {
            kind: "unknown",
            model: None,
            x_max: None,
            y_max: None,
            pressure_max: None,
            points_per_mm: None,
        }
    }

    /// Gets ready for a signature before the UI shows the signing screen (the touch pad starts
    /// accepting the UI's events here, so none sent after the screen appears are lost).
    fn arm(&mut self) {}

    /// Waits up to `timeout` for the candidate to finish signing. Points are in the 1000 × 400 box
    /// of [`zk_domain::SignaturePoint`], times in ms from the first point.
    fn capture(&mut self, timeout: Duration) -> Result<SignatureStrokes, DeviceError>;
}

/// A pad's description for the stored record (no personal data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PadInfo {
    pub kind: &'static str,
    pub model: Option<String>,
    pub x_max: Option<u32>,
    pub y_max: Option<u32>,
    /// `None`: no pressure (stored as 0.5).
    pub pressure_max: Option<u32>,
    pub points_per_mm: Option<u32>,
}
