//! [`SerialPenTablet`]: a pen tablet speaking ISDV4 on a serial port.
//!
//! Opening stops the pad, asks for its maxima (`'*'`) and keeps them to normalise samples into the
//! 1000 × 400 signature box. A capture starts the pad (`'1'`), turns pen-down runs into strokes
//! timed by arrival, and ends when the pen has been lifted for [`PenTabletConfig::idle_end`] after
//! some ink, when [`FinishHandle::finish`] is called (the UI's "done" button), or at the timeout.
//! A pulled cable is `Disconnected` and the next capture reopens the same path; a stream with too
//! many broken packets is `CorruptData` (sign again) rather than a signature with holes.

use std::io::{ErrorKind, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serialport::SerialPort;
use zk_domain::{SignaturePoint, SignatureStrokes};

use super::isdv4::{self, Packet, PacketDecoder, PenLimits, PenSample};
use super::SignaturePad;
use crate::error::{Device, DeviceError, DeviceErrorKind};

const DEVICE: Device = Device::SignaturePad;
const PORT_READ_TIMEOUT: Duration = Duration::from_millis(30);
const QUERY_TIMEOUT: Duration = Duration::from_secs(1);

type Port = Box<dyn SerialPort>;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PenTabletConfig {
    /// The capture ends once the pen has been up this long after some ink.
    pub idle_end: Duration,
    /// More broken bytes than this share of the stream fails the capture.
    pub max_corrupt_fraction: f32,
}

impl Default for PenTabletConfig {
    fn default() -> Self {
        PenTabletConfig {
            idle_end: Duration::from_millis(2500),
            max_corrupt_fraction: 0.02,
        }
    }
}

/// Ends a running capture early (the UI's "done" button). Clones share the flag.
#[derive(Clone, Debug, Default)]
pub struct FinishHandle(Arc<AtomicBool>);

impl FinishHandle {
    pub fn finish(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn take(&self) -> bool {
        self.0.swap(false, Ordering::SeqCst)
    }
}

pub struct SerialPenTablet {
    port: Option<Port>,
    path: Option<String>,
    baud: u32,
    limits: PenLimits,
    config: PenTabletConfig,
    finish: FinishHandle,
}

impl std::fmt::Debug for SerialPenTablet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialPenTablet")
            .field("path", &self.path)
            .field("baud", &self.baud)
            .field("limits", &self.limits)
            .field("connected", &self.port.is_some())
            .finish()
    }
}

impl SerialPenTablet {
    /// Opens `path` at `baud` (ISDV4 pads run at 38400 or 19200) and queries the pad.
    pub fn open(path: &str, baud: u32) -> Result<SerialPenTablet, DeviceError> {
        let (port, limits) = connect(path, baud)?;
        Ok(SerialPenTablet {
            port: Some(port),
            path: Some(path.to_owned()),
            baud,
            limits,
            config: PenTabletConfig::default(),
            finish: FinishHandle::default(),
        })
    }

    pub fn with_config(mut self, config: PenTabletConfig) -> Self {
        self.config = config;
        self
    }

    pub fn limits(&self) -> PenLimits {
        self.limits
    }

    pub fn finish_handle(&self) -> FinishHandle {
        self.finish.clone()
    }

    pub fn is_connected(&self) -> bool {
        self.port.is_some()
    }

    fn ensure_port(&mut self) -> Result<&mut Port, DeviceError> {
        if self.port.is_none() {
            let Some(path) = self.path.clone() else {
                return Err(DeviceError::Disconnected { device: DEVICE });
            };
            let (port, limits) = connect(&path, self.baud)?;
            tracing::info!(path, "signature pad reconnected");
            self.port = Some(port);
            self.limits = limits;
        }
        self.port
            .as_mut()
            .ok_or(DeviceError::Disconnected { device: DEVICE })
    }

    fn run_capture(&mut self, timeout: Duration) -> Result<SignatureStrokes, DeviceError> {
        let limits = self.limits;
        let config = self.config;
        let finish = self.finish.clone();
        finish.take();
        let port = self.ensure_port()?;
        send(port, isdv4::CMD_START)?;
        let mut decoder = PacketDecoder::new();
        decoder.set_limits(limits);
        let mut builder = StrokeBuilder::new(limits);
        let started = Instant::now();
        let deadline = started + timeout;
        let mut buffer = [0u8; 256];
        let mut last_ink: Option<Instant> = None;
        let outcome = loop {
            let now = Instant::now();
            if finish.take() {
                break Ok(());
            }
            if let Some(last) = last_ink {
                if !builder.pen_down() && now.duration_since(last) >= config.idle_end {
                    break Ok(());
                }
            }
            if now >= deadline {
                break if builder.has_ink() {
                    Ok(())
                } else {
                    Err(DeviceError::timeout(DEVICE, timeout))
                };
            }
            match port.read(&mut buffer) {
                Ok(0) => break Err(DeviceError::Disconnected { device: DEVICE }),
                Ok(count) => decoder.push(&buffer[..count]),
                Err(error)
                    if matches!(
                        error.kind(),
                        ErrorKind::TimedOut | ErrorKind::WouldBlock | ErrorKind::Interrupted
                    ) => {}
                Err(error) => break Err(io_error(&error)),
            }
            let arrived = Instant::now();
            while let Some(packet) = decoder.next_packet() {
                if let Packet::Pen(sample) = packet {
                    builder.add(sample, arrived.duration_since(started));
                    if sample.tip {
                        last_ink = Some(arrived);
                    }
                }
            }
        };
        if let Some(port) = self.port.as_mut() {
            // Best effort: a pad that went away cannot be stopped.
            let _ = send(port, isdv4::CMD_STOP);
        }
        outcome?;
        let stream_bytes = decoder.packets * isdv4::PEN_PACKET_LEN + decoder.corrupt;
        if decoder.corrupt > 0 {
            let fraction = decoder.corrupt as f32 / stream_bytes.max(1) as f32;
            tracing::warn!(
                corrupt_bytes = decoder.corrupt,
                packets = decoder.packets,
                "signature pad stream had broken packets"
            );
            if fraction > config.max_corrupt_fraction {
                return Err(DeviceError::CorruptData {
                    device: DEVICE,
                    detail: format!("{:.0} % of the pen data was unreadable", fraction * 100.0),
                });
            }
        }
        Ok(builder.finish())
    }
}

impl SignaturePad for SerialPenTablet {
    fn info(&self) -> super::PadInfo {
        super::PadInfo {
            kind: "isdv4",
            model: None,
            x_max: Some(u32::from(self.limits.max_x)),
            y_max: Some(u32::from(self.limits.max_y)),
            pressure_max: Some(u32::from(self.limits.max_pressure)),
            // The W8001 driver's resolution.
            points_per_mm: Some(100),
        }
    }

    fn capture(&mut self, timeout: Duration) -> Result<SignatureStrokes, DeviceError> {
        let result = self.run_capture(timeout);
        if let Err(error) = &result {
            if error.kind() == DeviceErrorKind::Disconnected && self.port.take().is_some() {
                tracing::warn!("signature pad disconnected; will reopen on the next capture");
            }
        }
        result
    }
}

fn send(port: &mut Port, command: u8) -> Result<(), DeviceError> {
    port.write_all(&[command])
        .and_then(|()| port.flush())
        .map_err(|error| io_error(&error))
}

fn io_error(error: &std::io::Error) -> DeviceError {
    match error.kind() {
        ErrorKind::PermissionDenied => DeviceError::PermissionDenied {
            device: DEVICE,
            detail: error.to_string(),
        },
        _ => DeviceError::Disconnected { device: DEVICE },
    }
}

/// Opens the port, stops the pad and reads its maxima.
fn connect(path: &str, baud: u32) -> Result<(Port, PenLimits), DeviceError> {
    let mut port = crate::port::open(DEVICE, path, baud, PORT_READ_TIMEOUT)?;
    send(&mut port, isdv4::CMD_STOP)?;
    let _ = port.clear(serialport::ClearBuffer::Input);
    send(&mut port, isdv4::CMD_QUERY)?;
    let mut decoder = PacketDecoder::new();
    let deadline = Instant::now() + QUERY_TIMEOUT;
    let mut buffer = [0u8; 64];
    while Instant::now() < deadline {
        match port.read(&mut buffer) {
            Ok(0) => return Err(DeviceError::Disconnected { device: DEVICE }),
            Ok(count) => decoder.push(&buffer[..count]),
            Err(error) if matches!(error.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) => {}
            Err(error) => return Err(io_error(&error)),
        }
        while let Some(packet) = decoder.next_packet() {
            if let Packet::Limits(limits) = packet {
                if limits.max_x == 0 || limits.max_y == 0 {
                    return Err(DeviceError::CorruptData {
                        device: DEVICE,
                        detail: "the pad reported a zero-sized writing area".into(),
                    });
                }
                return Ok((port, limits));
            }
        }
    }
    Err(DeviceError::timeout(DEVICE, QUERY_TIMEOUT))
}

/// Turns samples into strokes in the 1000 × 400 box.
struct StrokeBuilder {
    limits: PenLimits,
    strokes: Vec<Vec<SignaturePoint>>,
    current: Vec<SignaturePoint>,
    first_ms: Option<u64>,
}

impl StrokeBuilder {
    fn new(limits: PenLimits) -> StrokeBuilder {
        StrokeBuilder {
            limits,
            strokes: Vec::new(),
            current: Vec::new(),
            first_ms: None,
        }
    }

    fn pen_down(&self) -> bool {
        !self.current.is_empty()
    }

    fn has_ink(&self) -> bool {
        self.pen_down() || !self.strokes.is_empty()
    }

    fn add(&mut self, sample: PenSample, at: Duration) {
        if !sample.tip || sample.eraser {
            if !self.current.is_empty() {
                self.strokes.push(std::mem::take(&mut self.current));
            }
            return;
        }
        let ms = u64::try_from(at.as_millis()).unwrap_or(u64::MAX);
        let first = *self.first_ms.get_or_insert(ms);
        let scale = |value: u16, max: u16, size: f32| {
            (f32::from(value) / f32::from(max.max(1))).clamp(0.0, 1.0) * size
        };
        self.current.push(SignaturePoint {
            x: scale(sample.x, self.limits.max_x, 1000.0),
            y: scale(sample.y, self.limits.max_y, 400.0),
            pressure: (f32::from(sample.pressure) / f32::from(self.limits.max_pressure.max(1)))
                .clamp(0.0, 1.0),
            t_ms: u32::try_from(ms - first).unwrap_or(u32::MAX),
        });
    }

    fn finish(mut self) -> SignatureStrokes {
        if !self.current.is_empty() {
            self.strokes.push(self.current);
        }
        SignatureStrokes {
            strokes: self.strokes,
        }
    }
}
