//! Opening a serial port (8N1, no flow control) with the failure mapped to what the desk can do
//! about it; shared by the ID card reader and the pen tablet.

use std::time::Duration;

use serialport::{DataBits, FlowControl, Parity, SerialPort, StopBits};

use crate::error::{Device, DeviceError};

pub(crate) fn open(
    device: Device,
    path: &str,
    baud: u32,
    read_timeout: Duration,
) -> Result<Box<dyn SerialPort>, DeviceError> {
    serialport::new(path, baud)
        .data_bits(DataBits::Eight)
        .parity(Parity::None)
        .stop_bits(StopBits::One)
        .flow_control(FlowControl::None)
        .timeout(read_timeout)
        .open()
        .map_err(|error| match error.kind() {
            // serialport reports a port locked by another program (EBUSY) as NoDevice on Unix.
            #[cfg(unix)]
            serialport::ErrorKind::NoDevice => {
                tracing::warn!(?device, path, "the port is in use by another program");
                DeviceError::Busy { device }
            }
            serialport::ErrorKind::Io(std::io::ErrorKind::PermissionDenied) => {
                DeviceError::PermissionDenied {
                    device,
                    detail: format!("{path}: {error}"),
                }
            }
            serialport::ErrorKind::InvalidInput => DeviceError::Unsupported {
                device,
                detail: format!("port {path} at {baud} baud: {error}"),
            },
            _ => {
                tracing::warn!(?device, path, "cannot open the port: {error}");
                DeviceError::Disconnected { device }
            }
        })
}
