//! Second-generation ID card readers.
//!
//! The kiosk needs one thing from a reader: the card that is on it now, or word that none was
//! placed in time.
//!
//! - [`frame`]: the GA/T 467 codec (pure); [`link`]: the command exchange over any byte stream;
//!   [`serial`]: [`serial::SerialIdCardReader`], the real backend over `serialport`;
//!   [`photo`]: chip photo decoders (vendor library, decoded images).
//! - [`sam_sim`] + [`pty_sim`]: a protocol-level reader simulator on a pseudo-terminal, which the
//!   real serial backend talks to (the demo's reader and the driver's integration tests).
//! - [`sim`]: an in-process script simulator for app-level tests (no protocol).

pub mod frame;
pub mod link;
pub mod photo;
#[cfg(unix)]
pub mod pty_sim;
pub mod sam_sim;
pub mod serial;
pub mod sim;

use std::time::Duration;

use zk_domain::IdCard;

use crate::error::DeviceError;

/// Reads the card placed on the reader.
pub trait IdCardReader: Send {
    /// Waits up to `timeout` for a card and reads it.
    ///
    /// `Ok(None)`: no card was placed within `timeout` (the usual idle answer).
    /// `Err` with kind `NoMedia`: the reader itself reported "no card" where a card was expected;
    /// `MediaRemoved`: the card was taken off mid-read; other kinds as in [`DeviceError::kind`].
    fn read(&mut self, timeout: Duration) -> Result<Option<IdCard>, DeviceError>;
}
