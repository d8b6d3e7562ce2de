//! What the simulator backends share: injectable faults, a queue of faults that stays reachable
//! after a simulator is boxed behind its trait, and reading script files with clear errors.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Deserialize;

use crate::error::{Device, DeviceError};

/// A failure a simulator produces on purpose, from a script (`{"fault": "unplug"}`) or injected
/// at run time through a [`FaultQueue`]. Each one answers one call of the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SimFault {
    /// [`DeviceError::Timeout`] (waited the call's timeout).
    Timeout,
    /// [`DeviceError::Disconnected`].
    Unplug,
    /// [`DeviceError::CorruptData`] (a frame with a bad checksum, an undecodable image …).
    Corrupt,
    /// [`DeviceError::Busy`].
    Busy,
    /// [`DeviceError::CardRemoved`]: the card was taken off mid-read. ID card reader only.
    Removed,
    /// [`DeviceError::NoCard`]: the reader reports that no card is on it. ID card reader only.
    NoCard,
    /// [`DeviceError::PermissionDenied`].
    PermissionDenied,
    /// [`DeviceError::Unsupported`].
    Unsupported,
}

impl SimFault {
    /// The error `device` returns for this fault. `removed` and `no_card` exist only for the ID
    /// card reader; other devices answer them with [`DeviceError::Unsupported`] naming the fault.
    pub fn to_error(self, device: Device, waited: Duration) -> DeviceError {
        tracing::debug!(device = device.code(), fault = ?self, "simulated fault");
        let is_reader = device == Device::IdCardReader;
        match self {
            SimFault::Timeout => DeviceError::timeout(device, waited),
            SimFault::Unplug => DeviceError::Disconnected { device },
            SimFault::Corrupt => DeviceError::corrupt(device, "simulated corrupt data"),
            SimFault::Busy => DeviceError::Busy { device },
            SimFault::Removed if is_reader => DeviceError::CardRemoved,
            SimFault::NoCard if is_reader => DeviceError::NoCard,
            SimFault::Removed | SimFault::NoCard => DeviceError::Unsupported {
                device,
                detail: format!(
                    "the simulated fault {self:?} (only the ID card reader has a card)"
                ),
            },
            SimFault::PermissionDenied => DeviceError::PermissionDenied {
                device,
                detail: "simulated".to_owned(),
            },
            SimFault::Unsupported => DeviceError::Unsupported {
                device,
                detail: "this request (simulated)".to_owned(),
            },
        }
    }
}

/// One-shot faults waiting to be returned by a simulator's next calls, before its script.
///
/// Clones share the queue, so the app or a test can keep one and inject faults after the
/// simulator has been boxed behind its trait.
#[derive(Clone, Debug, Default)]
pub struct FaultQueue(Arc<Mutex<VecDeque<SimFault>>>);

impl FaultQueue {
    pub fn push(&self, fault: SimFault) {
        self.lock().push_back(fault);
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    pub(crate) fn pop(&self) -> Option<SimFault> {
        self.lock().pop_front()
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<SimFault>> {
        // A panic elsewhere while holding the lock leaves a plain queue behind: still usable.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Reads a script file as UTF-8 text.
pub(crate) fn read_text(
    device: Device,
    what: &'static str,
    path: &Path,
) -> Result<String, DeviceError> {
    std::fs::read_to_string(path).map_err(|source| DeviceError::SimFile {
        device,
        what,
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a file's bytes.
pub(crate) fn read_bytes(
    device: Device,
    what: &'static str,
    path: &Path,
) -> Result<Vec<u8>, DeviceError> {
    std::fs::read(path).map_err(|source| DeviceError::SimFile {
        device,
        what,
        path: path.to_path_buf(),
        source,
    })
}

/// Parses a JSON script; an error names the file, line and column.
pub(crate) fn parse_json<T: for<'de> Deserialize<'de>>(
    device: Device,
    path: &Path,
    text: &str,
) -> Result<T, DeviceError> {
    serde_json::from_str(text).map_err(|error| script_error(device, path, &error))
}

pub(crate) fn script_error(device: Device, path: &Path, error: &serde_json::Error) -> DeviceError {
    let full = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    let detail = full.strip_suffix(&position).unwrap_or(&full).to_owned();
    DeviceError::SimScript {
        device,
        path: path.to_path_buf(),
        line: error.line(),
        column: error.column(),
        detail,
    }
}

/// The folder relative paths in a script are resolved against.
pub(crate) fn script_dir(path: &Path) -> &Path {
    path.parent().unwrap_or_else(|| Path::new("."))
}
