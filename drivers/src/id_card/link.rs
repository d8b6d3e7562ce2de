//! The SAM command/response exchange over any byte stream (`Read + Write`): a serial port in
//! production, a pseudo-terminal or in-memory port in tests. Half duplex, one command at a time.

use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use zk_domain::{CardPhoto, IdCard};

use super::frame::{self, Command, FrameDecoder, Response, Status};
use crate::error::{Device, DeviceError};

const DEVICE: Device = Device::IdCardReader;

/// Per-command deadlines from the research note (§6.3), for 115200 baud.
pub fn default_timeout(command: Command) -> Duration {
    match command {
        Command::ReadTextPhoto => Duration::from_secs(3),
        Command::ReadTextPhotoFingerprint => Duration::from_secs(4),
        _ => Duration::from_secs(1),
    }
}

/// A reader's protocol link over a byte stream.
pub struct SamLink<P> {
    port: P,
    decoder: FrameDecoder,
}

impl<P: Read + Write> SamLink<P> {
    pub fn new(port: P) -> SamLink<P> {
        SamLink {
            port,
            decoder: FrameDecoder::new(),
        }
    }

    pub fn into_inner(self) -> P {
        self.port
    }

    /// Sends `command` and waits up to `timeout` for one checked response frame.
    pub fn exchange(
        &mut self,
        command: Command,
        timeout: Duration,
    ) -> Result<Response, DeviceError> {
        self.decoder.clear();
        self.port.write_all(&command.encode()).map_err(io_error)?;
        self.port.flush().map_err(io_error)?;
        let deadline = Instant::now() + timeout;
        let mut buffer = [0u8; 512];
        loop {
            if let Some(result) = self.decoder.next_frame() {
                return result.map_err(|error| {
                    tracing::warn!(?command, "corrupt reader frame: {error}");
                    DeviceError::CorruptData {
                        device: DEVICE,
                        detail: error.to_string(),
                    }
                });
            }
            if Instant::now() >= deadline {
                if let Some((held, needed)) = self.decoder.partial_frame() {
                    tracing::warn!(?command, held, needed, "truncated reader frame");
                    return Err(DeviceError::CorruptData {
                        device: DEVICE,
                        detail: format!("truncated frame: {held} of {needed} bytes arrived"),
                    });
                }
                let waited_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
                return Err(DeviceError::Timeout {
                    device: DEVICE,
                    waited_ms,
                });
            }
            match self.port.read(&mut buffer) {
                Ok(0) => return Err(DeviceError::Disconnected { device: DEVICE }),
                Ok(count) => self.decoder.push(&buffer[..count]),
                Err(error)
                    if matches!(
                        error.kind(),
                        ErrorKind::TimedOut | ErrorKind::WouldBlock | ErrorKind::Interrupted
                    ) => {}
                Err(error) => return Err(io_error(error)),
            }
        }
    }

    /// Checks the security module: `Ok` when it answers 90.
    pub fn status(&mut self) -> Result<(), DeviceError> {
        let response = self.exchange(Command::SamStatus, default_timeout(Command::SamStatus))?;
        expect(&response, Status::Success)
    }

    /// One read attempt: find → select → read text and photo. `Ok(None)` when no card is found
    /// (including a card still halted after its previous read). Without a vendor decoder the photo
    /// is returned undecoded (`CardPhoto::Undecoded`): staff compare by eye.
    pub fn read_card(&mut self) -> Result<Option<IdCard>, DeviceError> {
        let found = self.exchange(Command::FindCard, default_timeout(Command::FindCard))?;
        match found.status {
            Status::CardFound => {}
            Status::NoCard => return Ok(None),
            _ => return Err(status_error(found.status)),
        }
        let selected = self.exchange(Command::SelectCard, default_timeout(Command::SelectCard))?;
        match selected.status {
            Status::Success => {}
            // The card left the field between find and select.
            Status::SelectFailed | Status::NoCard => return Ok(None),
            other => return Err(status_error(other)),
        }
        let read = self.exchange(
            Command::ReadTextPhoto,
            default_timeout(Command::ReadTextPhoto),
        )?;
        expect(&read, Status::Success)?;
        let payload = frame::parse_read_payload(&read.data, false).map_err(|error| {
            DeviceError::CorruptData {
                device: DEVICE,
                detail: error.to_string(),
            }
        })?;
        let photo = if payload.photo.is_empty() {
            CardPhoto::Missing
        } else {
            CardPhoto::Undecoded(payload.photo)
        };
        frame::decode_text(&payload.text, photo)
            .map(Some)
            .map_err(|error| DeviceError::CorruptData {
                device: DEVICE,
                detail: error.to_string(),
            })
    }
}

impl<P: Read + Write> SamLink<P> {
    /// The additional addresses (`30 03`) of the selected card: empty when it has none (`91`).
    pub fn read_extra_addresses(&mut self) -> Result<Vec<String>, DeviceError> {
        let response = self.exchange(
            Command::ReadExtraAddress,
            default_timeout(Command::ReadExtraAddress),
        )?;
        match response.status {
            Status::Success => frame::parse_extra_addresses(&response.data).map_err(|error| {
                DeviceError::CorruptData {
                    device: DEVICE,
                    detail: error.to_string(),
                }
            }),
            Status::NoSuchItem => Ok(Vec::new()),
            other => Err(status_error(other)),
        }
    }

    /// The SAM's ID (`12 FF`), formatted as vendor tools print it.
    pub fn sam_id(&mut self) -> Result<String, DeviceError> {
        let response = self.exchange(Command::SamId, default_timeout(Command::SamId))?;
        expect(&response, Status::Success)?;
        frame::parse_sam_id(&response.data).map_err(|error| DeviceError::CorruptData {
            device: DEVICE,
            detail: error.to_string(),
        })
    }
}

fn expect(response: &Response, wanted: Status) -> Result<(), DeviceError> {
    if response.status == wanted {
        Ok(())
    } else {
        Err(status_error(response.status))
    }
}

/// Maps a SAM status to what the kiosk can do about it.
pub fn status_error(status: Status) -> DeviceError {
    match status {
        Status::NoCard => DeviceError::NoCard,
        // A read that fails after a good select almost always means the card was moved.
        Status::ReadFailed | Status::SelectFailed => DeviceError::CardRemoved,
        Status::SamSelfTestFailed | Status::SamNotAuthorised | Status::NotPermitted => {
            DeviceError::Unsupported {
                device: DEVICE,
                detail: format!("the reader's security module ({})", status.message()),
            }
        }
        other => DeviceError::CorruptData {
            device: DEVICE,
            detail: format!("status {:02X}: {}", other.byte(), other.message()),
        },
    }
}

fn io_error(error: std::io::Error) -> DeviceError {
    match error.kind() {
        ErrorKind::TimedOut | ErrorKind::WouldBlock => DeviceError::Timeout {
            device: DEVICE,
            waited_ms: 0,
        },
        ErrorKind::PermissionDenied => DeviceError::PermissionDenied {
            device: DEVICE,
            detail: error.to_string(),
        },
        _ => DeviceError::Disconnected { device: DEVICE },
    }
}

#[cfg(test)]
mod tests;
