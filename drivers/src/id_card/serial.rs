//! [`SerialIdCardReader`]: a standard second-generation ID card reader on a serial port (or a
//! USB-serial bridge), speaking the GA/T 467 SAM protocol through [`SamLink`].

use std::time::{Duration, Instant};

use serialport::{DataBits, FlowControl, Parity, SerialPort, StopBits};
use zk_domain::IdCard;

use super::link::SamLink;
use super::IdCardReader;
use crate::error::{Device, DeviceError};

const DEVICE: Device = Device::IdCardReader;

/// The rates a SAM can be set to, most common first (research §2.1).
pub const BAUD_RATES: [u32; 5] = [115_200, 57_600, 38_400, 19_200, 9_600];
/// How long one `read()` on the port blocks; the link's deadlines run above it.
const PORT_READ_TIMEOUT: Duration = Duration::from_millis(50);
/// Pause between two find-card polls.
pub const POLL_INTERVAL: Duration = Duration::from_millis(300);

pub struct SerialIdCardReader {
    link: SamLink<Box<dyn SerialPort>>,
    baud: u32,
}

impl SerialIdCardReader {
    /// Opens `path` (e.g. `/dev/ttyUSB0`, `COM3`) and finds the reader's rate: for each rate it
    /// sends the SAM status command and keeps the first rate that gets a good answer.
    pub fn open(path: &str) -> Result<SerialIdCardReader, DeviceError> {
        let mut last_error = DeviceError::Disconnected { device: DEVICE };
        for baud in BAUD_RATES {
            let port = open_port(path, baud)?;
            let mut link = SamLink::new(port);
            match link.status() {
                Ok(()) => {
                    tracing::info!(baud, "ID card reader answered");
                    return Ok(SerialIdCardReader { link, baud });
                }
                Err(error) => last_error = error,
            }
        }
        Err(last_error)
    }

    /// Wraps a port that is already open at the reader's rate (tests, pseudo-terminals).
    pub fn from_port(port: Box<dyn SerialPort>) -> Result<SerialIdCardReader, DeviceError> {
        let baud = port.baud_rate().unwrap_or(BAUD_RATES[0]);
        let mut link = SamLink::new(port);
        link.status()?;
        Ok(SerialIdCardReader { link, baud })
    }

    pub fn baud_rate(&self) -> u32 {
        self.baud
    }
}

impl IdCardReader for SerialIdCardReader {
    /// Polls find-card until a card reads or `timeout` passes. A card stays "halted" after its
    /// read and find answers "no card" until it is lifted and placed again, so one placement is
    /// read once and a new placement is a new read.
    fn read(&mut self, timeout: Duration) -> Result<Option<IdCard>, DeviceError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(card) = self.link.read_card()? {
                return Ok(Some(card));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            std::thread::sleep(POLL_INTERVAL.min(deadline - now));
        }
    }
}

fn open_port(path: &str, baud: u32) -> Result<Box<dyn SerialPort>, DeviceError> {
    serialport::new(path, baud)
        .data_bits(DataBits::Eight)
        .parity(Parity::None)
        .stop_bits(StopBits::One)
        .flow_control(FlowControl::None)
        .timeout(PORT_READ_TIMEOUT)
        .open()
        .map_err(|error| match error.kind() {
            serialport::ErrorKind::Io(std::io::ErrorKind::PermissionDenied) => {
                DeviceError::PermissionDenied {
                    device: DEVICE,
                    detail: format!("{path}: {error}"),
                }
            }
            serialport::ErrorKind::InvalidInput => DeviceError::Unsupported {
                device: DEVICE,
                detail: format!("port {path} at {baud} baud: {error}"),
            },
            _ => {
                tracing::warn!(path, "cannot open the reader's port: {error}");
                DeviceError::Disconnected { device: DEVICE }
            }
        })
}

#[cfg(test)]
#[cfg(unix)]
mod tests;
