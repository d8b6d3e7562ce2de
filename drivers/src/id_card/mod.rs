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

/// The demo's and the simulator backend's reader: the protocol simulator on a pseudo-terminal
/// with the real [`serial::SerialIdCardReader`] talking to it, so every read crosses the real
/// driver, codec and tty layer.
#[cfg(unix)]
pub struct SimulatedSerialReader {
    reader: serial::SerialIdCardReader,
    simulator: pty_sim::PtySimulator,
}

#[cfg(unix)]
impl SimulatedSerialReader {
    /// Starts the simulator on `script` at `baud` and opens the serial driver on its pty.
    pub fn start(
        script: &std::path::Path,
        baud: u32,
        timing: sam_sim::Timing,
        decoder: Option<Box<dyn photo::PhotoDecoder>>,
    ) -> Result<SimulatedSerialReader, DeviceError> {
        let sam = sam_sim::SamSimulator::from_file(script, baud, timing)?;
        let simulator = pty_sim::PtySimulator::start(sam, None)?;
        let path = simulator.path();
        let reader =
            serial::SerialIdCardReader::open(&path.to_string_lossy())?.with_photo_decoder(decoder);
        tracing::info!(path = %path.display(), "simulated ID card reader on a pseudo-terminal");
        Ok(SimulatedSerialReader { reader, simulator })
    }

    /// The simulator, to queue placements and faults at run time.
    pub fn simulator(&self) -> &pty_sim::PtySimulator {
        &self.simulator
    }
}

#[cfg(unix)]
impl IdCardReader for SimulatedSerialReader {
    fn read(&mut self, timeout: Duration) -> Result<Option<IdCard>, DeviceError> {
        self.reader.read(timeout)
    }
}
