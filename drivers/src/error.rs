//! [`DeviceError`]: the one error type of the drivers, and [`DeviceErrorKind`], the small vocabulary
//! (embedded-hal / cpal style) callers branch on.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Which device an error is about; part of every message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Device {
    IdCardReader,
    Camera,
    Microphone,
    SignaturePad,
}

impl Device {
    /// A short stable code for logs and events (`id_card_reader`, `camera`, …).
    pub fn code(self) -> &'static str {
        match self {
            Device::IdCardReader => "id_card_reader",
            Device::Camera => "camera",
            Device::Microphone => "microphone",
            Device::SignaturePad => "signature_pad",
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Device::IdCardReader => "the ID card reader",
            Device::Camera => "the camera",
            Device::Microphone => "the microphone",
            Device::SignaturePad => "the signature pad",
        })
    }
}

/// What kind of failure happened, i.e. what the caller can do about it.
///
/// `NoMedia` means the reader has nothing to read (no card on it). `MediaRemoved` is its own kind
/// rather than `CorruptData`: a card taken off mid-read is fixed by the candidate putting it back
/// and holding it still, not by trying another card or reader, so the kiosk tells them apart
/// (`ReasonCode::CardRemoved` versus `CardUnreadable`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeviceErrorKind {
    /// The device (or, for a simulator, its backing file) is not there: reconnect or reconfigure.
    Disconnected,
    /// The device did not answer in time: retry.
    Timeout,
    /// The device answered with data that cannot be used: retry, then reconnect.
    CorruptData,
    /// The device is in use: wait and retry.
    Busy,
    /// The operating system refused access: an administrator must grant it.
    PermissionDenied,
    /// The device or backend cannot do what was asked: change the configuration.
    Unsupported,
    /// Nothing to read (no card on the reader): place it and retry.
    NoMedia,
    /// The card was taken away while it was being read: put it back and retry.
    MediaRemoved,
}

/// Every failure of a device or of its simulator. Messages say what to do next and never contain
/// personal data (names, ID numbers, pixels, samples).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    #[error("{device} is not connected; check its cable, plug it back in, then retry (staff can take over meanwhile)")]
    Disconnected { device: Device },

    #[error("{device} did not respond within {waited_ms} ms; retry, and if it happens again unplug and reconnect it")]
    Timeout { device: Device, waited_ms: u64 },

    #[error("{device} returned data that could not be used ({detail}); retry, and if it happens again reconnect the device")]
    CorruptData { device: Device, detail: String },

    #[error("{device} is busy with another request; wait a moment and retry")]
    Busy { device: Device },

    #[error("the kiosk is not allowed to open {device} ({detail}); give the kiosk's user account access to it (for example the dialout, video or audio group) and restart the kiosk")]
    PermissionDenied { device: Device, detail: String },

    #[error("{device} does not support {detail}; choose a supported device or setting in the [drivers] section of the configuration")]
    Unsupported { device: Device, detail: String },

    #[error("there is no card on the ID card reader; place the card flat on the reader and retry")]
    NoCard,

    #[error("the card was taken off the reader before the read finished; put it back, keep it still until the kiosk says it is done, and retry")]
    CardRemoved,

    #[error("{device} simulator: the script {} is invalid at line {line}, column {column}: {detail}; fix the file (the formats are described in assets/sim/README.md)", path.display())]
    SimScript {
        device: Device,
        path: PathBuf,
        line: usize,
        column: usize,
        detail: String,
    },

    #[error("{device} simulator: cannot read the {what} {}: {source}; restore the file or fix its path (simulator paths are set in the [drivers] configuration; card photo paths are relative to the card script's folder)", path.display())]
    SimFile {
        device: Device,
        what: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl DeviceError {
    /// The kind of failure, for callers that branch on what to do.
    pub fn kind(&self) -> DeviceErrorKind {
        match self {
            DeviceError::Disconnected { .. } => DeviceErrorKind::Disconnected,
            DeviceError::Timeout { .. } => DeviceErrorKind::Timeout,
            DeviceError::CorruptData { .. } | DeviceError::SimScript { .. } => {
                DeviceErrorKind::CorruptData
            }
            DeviceError::Busy { .. } => DeviceErrorKind::Busy,
            DeviceError::PermissionDenied { .. } => DeviceErrorKind::PermissionDenied,
            DeviceError::Unsupported { .. } => DeviceErrorKind::Unsupported,
            DeviceError::NoCard => DeviceErrorKind::NoMedia,
            DeviceError::CardRemoved => DeviceErrorKind::MediaRemoved,
            DeviceError::SimFile { source, .. } => kind_of_io(source.kind()),
        }
    }

    /// Which device failed.
    pub fn device(&self) -> Device {
        match self {
            DeviceError::Disconnected { device }
            | DeviceError::Timeout { device, .. }
            | DeviceError::CorruptData { device, .. }
            | DeviceError::Busy { device }
            | DeviceError::PermissionDenied { device, .. }
            | DeviceError::Unsupported { device, .. }
            | DeviceError::SimScript { device, .. }
            | DeviceError::SimFile { device, .. } => *device,
            DeviceError::NoCard | DeviceError::CardRemoved => Device::IdCardReader,
        }
    }

    /// True when the card was taken off the reader mid-read (kind [`DeviceErrorKind::MediaRemoved`]).
    pub fn is_card_removed(&self) -> bool {
        self.kind() == DeviceErrorKind::MediaRemoved
    }

    /// Whether trying the same operation again may succeed without anyone changing the setup.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind(),
            DeviceErrorKind::Timeout
                | DeviceErrorKind::CorruptData
                | DeviceErrorKind::Busy
                | DeviceErrorKind::NoMedia
                | DeviceErrorKind::MediaRemoved
        )
    }

    pub(crate) fn corrupt(device: Device, detail: impl Into<String>) -> DeviceError {
        DeviceError::CorruptData {
            device,
            detail: detail.into(),
        }
    }

    pub(crate) fn timeout(device: Device, waited: std::time::Duration) -> DeviceError {
        DeviceError::Timeout {
            device,
            waited_ms: u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// The kind an I/O error of a device or of a simulator file maps to.
fn kind_of_io(kind: io::ErrorKind) -> DeviceErrorKind {
    match kind {
        io::ErrorKind::PermissionDenied => DeviceErrorKind::PermissionDenied,
        io::ErrorKind::TimedOut => DeviceErrorKind::Timeout,
        io::ErrorKind::WouldBlock | io::ErrorKind::ResourceBusy => DeviceErrorKind::Busy,
        io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof => DeviceErrorKind::CorruptData,
        io::ErrorKind::Unsupported => DeviceErrorKind::Unsupported,
        _ => DeviceErrorKind::Disconnected,
    }
}

#[cfg(test)]
mod tests;
