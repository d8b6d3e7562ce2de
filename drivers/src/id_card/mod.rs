//! Second-generation ID card readers.
//!
//! The kiosk needs one thing from a reader: the card that is on it now, or word that none was
//! placed in time. Real readers (the SAM serial protocol) arrive in a later change; [`sim`] is the
//! simulator, which is also the demo mode.

pub mod frame;
pub mod link;
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
