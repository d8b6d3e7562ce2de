//! [`SerialIdCardReader`]: a standard second-generation ID card reader on a serial port (or a
//! USB-serial bridge), speaking the GA/T 467 SAM protocol through [`SamLink`].
//!
//! - Opening probes the rates (115200 first) with the status command.
//! - A pulled cable (`Disconnected`) drops the port; the next read reopens the same path and
//!   probes again, so plugging the reader back in recovers without restarting the app.
//! - A timeout or a corrupt frame makes the next read check the link first (status) and probe the
//!   rates again if the reader no longer answers at the old one.
//! - [`candidate_ports`] and [`probe_ports`] find the port a reader answers on (`port = "auto"`).

use std::time::{Duration, Instant};

use serialport::SerialPort;
use zk_domain::IdCard;

use super::frame::Command;
use super::link::SamLink;
use super::photo::{decode_card_photo, PhotoDecoder};
use super::IdCardReader;
use crate::error::{Device, DeviceError, DeviceErrorKind};

const DEVICE: Device = Device::IdCardReader;

/// The rates a SAM can be set to, most common first (research §2.1).
pub const BAUD_RATES: [u32; 5] = [115_200, 57_600, 38_400, 19_200, 9_600];
/// How long one `read()` on the port blocks; the link's deadlines run above it.
const PORT_READ_TIMEOUT: Duration = Duration::from_millis(50);
/// How long a probe waits for the status answer at one rate (a SAM answers in ~20 ms).
const PROBE_TIMEOUT: Duration = Duration::from_millis(300);
/// Pause between two find-card polls.
pub const POLL_INTERVAL: Duration = Duration::from_millis(300);

type Port = Box<dyn SerialPort>;

pub struct SerialIdCardReader {
    /// `None` after the cable was pulled, until a reopen succeeds.
    link: Option<SamLink<Port>>,
    /// The port's path, for reopening; `None` for a port handed in by [`Self::from_port`].
    path: Option<String>,
    baud: u32,
    /// Check the link (and probe the rates) before the next read.
    suspect: bool,
    decoder: Option<Box<dyn PhotoDecoder>>,
}

impl std::fmt::Debug for SerialIdCardReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialIdCardReader")
            .field("path", &self.path)
            .field("baud", &self.baud)
            .field("connected", &self.link.is_some())
            .field(
                "decoder",
                &self.decoder.as_ref().map(|d| d.name().to_owned()),
            )
            .finish()
    }
}

impl SerialIdCardReader {
    /// Opens `path` (e.g. `/dev/ttyUSB0`, `COM3`) and finds the reader's rate: for each rate it
    /// sends the SAM status command and keeps the first rate that gets a good answer.
    pub fn open(path: &str) -> Result<SerialIdCardReader, DeviceError> {
        let (link, baud) = connect(path)?;
        Ok(SerialIdCardReader::connected(link, path, baud))
    }

    /// Opens `path` at a known rate only (no probing).
    pub fn open_at(path: &str, baud: u32) -> Result<SerialIdCardReader, DeviceError> {
        let mut link = SamLink::new(open_port(path, baud)?);
        link.status()?;
        Ok(SerialIdCardReader::connected(link, path, baud))
    }

    fn connected(link: SamLink<Port>, path: &str, baud: u32) -> SerialIdCardReader {
        SerialIdCardReader {
            link: Some(link),
            path: Some(path.to_owned()),
            baud,
            suspect: false,
            decoder: None,
        }
    }

    /// Scans [`candidate_ports`] and opens the first port a reader answers on.
    pub fn open_auto() -> Result<SerialIdCardReader, DeviceError> {
        let candidates = candidate_ports();
        for path in &candidates {
            match SerialIdCardReader::open(path) {
                Ok(reader) => {
                    tracing::info!(path, "ID card reader found");
                    return Ok(reader);
                }
                Err(error) => tracing::debug!(path, "no reader here: {error}"),
            }
        }
        tracing::warn!(
            scanned = candidates.len(),
            "no ID card reader answered on any port"
        );
        Err(DeviceError::Disconnected { device: DEVICE })
    }

    /// Wraps a port that is already open at the reader's rate (tests, pseudo-terminals). It
    /// cannot be reopened after a pulled cable.
    pub fn from_port(port: Port) -> Result<SerialIdCardReader, DeviceError> {
        let baud = port.baud_rate().unwrap_or(BAUD_RATES[0]);
        let mut link = SamLink::new(port);
        link.status()?;
        Ok(SerialIdCardReader {
            link: Some(link),
            path: None,
            baud,
            suspect: false,
            decoder: None,
        })
    }

    /// Decodes chip photos with `decoder` (without one they stay undecoded: staff compare by
    /// eye).
    pub fn with_photo_decoder(mut self, decoder: Option<Box<dyn PhotoDecoder>>) -> Self {
        self.decoder = decoder;
        self
    }

    pub fn baud_rate(&self) -> u32 {
        self.baud
    }

    pub fn is_connected(&self) -> bool {
        self.link.is_some()
    }

    /// The security module's ID (`12 FF`), for support and vendor-decoder licences.
    pub fn sam_id(&mut self) -> Result<String, DeviceError> {
        self.ensure_link()?.sam_id()
    }

    /// The link, reopening the port (and probing the rates) if the cable was pulled or the
    /// reader stopped answering.
    fn ensure_link(&mut self) -> Result<&mut SamLink<Port>, DeviceError> {
        if self.suspect {
            if let Some(link) = self.link.as_mut() {
                match link.status() {
                    Ok(()) => self.suspect = false,
                    Err(error) if error.kind() == DeviceErrorKind::Disconnected => {
                        self.link = None;
                    }
                    Err(_) => {
                        tracing::info!(
                            "ID card reader stopped answering at {} baud; probing the rates again",
                            self.baud
                        );
                        if let Some(link) = self.link.take() {
                            let port = link.into_inner();
                            match probe(port) {
                                Ok((link, baud)) => {
                                    self.link = Some(link);
                                    self.baud = baud;
                                    self.suspect = false;
                                }
                                Err(error) => {
                                    // Keep probing on later reads; reopen the port then.
                                    return Err(error);
                                }
                            }
                        }
                    }
                }
            }
        }
        if self.link.is_none() {
            let Some(path) = self.path.clone() else {
                return Err(DeviceError::Disconnected { device: DEVICE });
            };
            let (link, baud) = connect(&path)?;
            tracing::info!(path, baud, "ID card reader reconnected");
            self.link = Some(link);
            self.baud = baud;
            self.suspect = false;
        }
        self.link
            .as_mut()
            .ok_or(DeviceError::Disconnected { device: DEVICE })
    }

    /// Remembers what an error says about the link.
    fn note_error(&mut self, error: &DeviceError) {
        match error.kind() {
            DeviceErrorKind::Disconnected if self.link.take().is_some() => {
                tracing::warn!("ID card reader disconnected; will reopen on the next read");
            }
            DeviceErrorKind::Timeout | DeviceErrorKind::CorruptData => self.suspect = true,
            _ => {}
        }
    }

    fn read_once(&mut self) -> Result<Option<IdCard>, DeviceError> {
        let link = self.ensure_link()?;
        let Some(mut card) = link.read_card()? else {
            return Ok(None);
        };
        match link.read_extra_addresses() {
            Ok(addresses) => card.extra_addresses = addresses,
            // The main read succeeded; an additional address that does not come is logged.
            Err(error) => tracing::warn!("additional address not read: {error}"),
        }
        decode_card_photo(&mut card, self.decoder.as_deref());
        Ok(Some(card))
    }
}

impl IdCardReader for SerialIdCardReader {
    /// Polls find-card until a card reads or `timeout` passes. A card stays "halted" after its
    /// read and find answers "no card" until it is lifted and placed again, so one placement is
    /// read once and a new placement is a new read.
    fn read(&mut self, timeout: Duration) -> Result<Option<IdCard>, DeviceError> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.read_once() {
                Ok(Some(card)) => return Ok(Some(card)),
                Ok(None) => {}
                Err(error) => {
                    self.note_error(&error);
                    return Err(error);
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            std::thread::sleep(POLL_INTERVAL.min(deadline - now));
        }
    }
}

/// Opens `path` and probes the rates.
fn connect(path: &str) -> Result<(SamLink<Port>, u32), DeviceError> {
    probe(open_port(path, BAUD_RATES[0])?)
}

/// Tries each rate with the status command; the first good answer wins.
fn probe(mut port: Port) -> Result<(SamLink<Port>, u32), DeviceError> {
    let mut last_error = DeviceError::Disconnected { device: DEVICE };
    for baud in BAUD_RATES {
        if let Err(error) = port.set_baud_rate(baud) {
            return Err(DeviceError::Unsupported {
                device: DEVICE,
                detail: format!("cannot set {baud} baud: {error}"),
            });
        }
        let mut link = SamLink::new(port);
        match link.exchange(Command::SamStatus, PROBE_TIMEOUT) {
            Ok(response) if response.status == Command::SamStatus.success() => {
                tracing::info!(baud, "ID card reader answered");
                return Ok((link, baud));
            }
            Ok(response) => {
                // It speaks the protocol at this rate, but the SAM is unwell: say so.
                return Err(super::link::status_error(response.status));
            }
            Err(error) if error.kind() == DeviceErrorKind::Disconnected => return Err(error),
            Err(error) => last_error = error,
        }
        port = link.into_inner();
    }
    Err(last_error)
}

fn open_port(path: &str, baud: u32) -> Result<Port, DeviceError> {
    crate::port::open(DEVICE, path, baud, PORT_READ_TIMEOUT)
}

/// Ports a reader may be on: what the OS lists as serial ports, plus USB-serial and CDC-ACM
/// device nodes. Pseudo-terminals are never listed (pass the simulator's path instead).
pub fn candidate_ports() -> Vec<String> {
    let mut ports: Vec<String> = match serialport::available_ports() {
        Ok(ports) => ports.into_iter().map(|port| port.port_name).collect(),
        Err(error) => {
            tracing::warn!("cannot list serial ports: {error}");
            Vec::new()
        }
    };
    if let Ok(entries) = std::fs::read_dir("/dev") {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("ttyUSB") || name.starts_with("ttyACM") {
                ports.push(format!("/dev/{name}"));
            }
        }
    }
    // USB bridges first: a reader is rarely on a motherboard UART.
    ports.sort_by_key(|port| {
        (
            !(port.contains("USB") || port.contains("ACM")),
            port.clone(),
        )
    });
    ports.dedup();
    ports
}

/// What one port answered.
#[derive(Debug)]
pub struct PortProbe {
    pub path: String,
    /// The rate and SAM ID of the reader that answered, or why none did.
    pub result: Result<(u32, String), DeviceError>,
}

/// Probes each of `paths` for a reader (for `zk card ports`).
pub fn probe_ports(paths: &[String]) -> Vec<PortProbe> {
    paths
        .iter()
        .map(|path| PortProbe {
            path: path.clone(),
            result: SerialIdCardReader::open(path).and_then(|mut reader| {
                let sam_id = reader.sam_id()?;
                Ok((reader.baud_rate(), sam_id))
            }),
        })
        .collect()
}

#[cfg(test)]
#[cfg(unix)]
mod tests;
