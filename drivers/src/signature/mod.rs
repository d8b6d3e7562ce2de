//! Signature pads: the candidate signs the pledge.
//!
//! The touch screen (pointer events from the UI) and serial pads arrive in later changes; [`sim`]
//! replays stroke files.

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
    /// Waits up to `timeout` for the candidate to finish signing. Points are in the 1000 × 400 box
    /// of [`zk_domain::SignaturePoint`], times in ms from the first point.
    fn capture(&mut self, timeout: Duration) -> Result<SignatureStrokes, DeviceError>;
}
