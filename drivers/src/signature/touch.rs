//! [`TouchSignaturePad`]: the default pad — the kiosk's touch screen (or any pen display that
//! enumerates as a standard HID digitizer). The UI turns pointer events into [`TouchEvent`]s in
//! the 1000 × 400 signature box and sends them through a [`TouchHandle`]; a capture collects
//! them until the candidate presses "done".

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use zk_domain::{SignaturePoint, SignatureStrokes};

use super::SignaturePad;
use crate::error::{Device, DeviceError};

const DEVICE: Device = Device::SignaturePad;

/// What the UI reports. Coordinates are in the 1000 × 400 box; `t_ms` is the pointer event's
/// timestamp in ms (any origin: the capture rebases it); `pressure` is `None` for devices
/// without pressure (browsers report a constant 0.5 for them).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TouchEvent {
    Down {
        x: f32,
        y: f32,
        pressure: Option<f32>,
        t_ms: f64,
    },
    Move {
        x: f32,
        y: f32,
        pressure: Option<f32>,
        t_ms: f64,
    },
    Up,
    /// The candidate wiped the box: start again.
    Clear,
    /// The candidate pressed "done".
    Done,
}

/// The UI's end. Cloneable. Events count only while the pad is armed (from
/// [`SignaturePad::arm`], which the kiosk calls before it announces the signing screen, until
/// the capture ends); others are dropped, so strokes never leak from one candidate to the next.
#[derive(Clone, Debug)]
pub struct TouchHandle {
    sender: Sender<TouchEvent>,
    armed: Arc<AtomicBool>,
}

impl TouchHandle {
    /// True when the event reached a capture; false when the pad is not armed or is gone.
    pub fn send(&self, event: TouchEvent) -> bool {
        self.armed.load(Ordering::SeqCst) && self.sender.send(event).is_ok()
    }
}

#[derive(Debug)]
pub struct TouchSignaturePad {
    events: Receiver<TouchEvent>,
    armed: Arc<AtomicBool>,
}

impl TouchSignaturePad {
    pub fn new() -> (TouchSignaturePad, TouchHandle) {
        let (sender, receiver) = channel();
        let armed = Arc::new(AtomicBool::new(false));
        (
            TouchSignaturePad {
                events: receiver,
                armed: Arc::clone(&armed),
            },
            TouchHandle { sender, armed },
        )
    }
}

struct Collector {
    strokes: Vec<Vec<SignaturePoint>>,
    current: Vec<SignaturePoint>,
    origin_ms: Option<f64>,
}

impl Collector {
    fn point(
        &mut self,
        x: f32,
        y: f32,
        pressure: Option<f32>,
        t_ms: f64,
    ) -> Option<SignaturePoint> {
        if !(x.is_finite() && y.is_finite() && t_ms.is_finite()) {
            return None;
        }
        let origin = *self.origin_ms.get_or_insert(t_ms);
        let pressure = pressure
            .filter(|p| p.is_finite())
            .unwrap_or(0.5)
            .clamp(0.0, 1.0);
        Some(SignaturePoint {
            x: x.clamp(0.0, 1000.0),
            y: y.clamp(0.0, 400.0),
            pressure,
            // Out-of-order or pre-origin timestamps clamp to 0 rather than wrapping.
            t_ms: (t_ms - origin).clamp(0.0, f64::from(u32::MAX)) as u32,
        })
    }

    fn end_stroke(&mut self) {
        if !self.current.is_empty() {
            self.strokes.push(std::mem::take(&mut self.current));
        }
    }

    fn has_ink(&self) -> bool {
        !self.current.is_empty() || !self.strokes.is_empty()
    }
}

impl SignaturePad for TouchSignaturePad {
    fn info(&self) -> super::PadInfo {
        super::PadInfo {
            kind: "touch",
            model: None,
            x_max: None,
            y_max: None,
            pressure_max: None,
            points_per_mm: None,
        }
    }

    fn arm(&mut self) {
        // Drop anything left from before, then accept the UI's events.
        while self.events.try_recv().is_ok() {}
        self.armed.store(true, Ordering::SeqCst);
    }

    fn capture(&mut self, timeout: Duration) -> Result<SignatureStrokes, DeviceError> {
        if !self.armed.load(Ordering::SeqCst) {
            self.arm();
        }
        let result = self.run_capture(timeout);
        self.armed.store(false, Ordering::SeqCst);
        result
    }
}

impl TouchSignaturePad {
    fn run_capture(&mut self, timeout: Duration) -> Result<SignatureStrokes, DeviceError> {
        let deadline = Instant::now() + timeout;
        let mut collector = Collector {
            strokes: Vec::new(),
            current: Vec::new(),
            origin_ms: None,
        };
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = match self.events.recv_timeout(left) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) if collector.has_ink() => break,
                Err(RecvTimeoutError::Timeout) => {
                    return Err(DeviceError::timeout(DEVICE, timeout))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(DeviceError::Disconnected { device: DEVICE })
                }
            };
            match event {
                TouchEvent::Down {
                    x,
                    y,
                    pressure,
                    t_ms,
                } => {
                    collector.end_stroke();
                    if let Some(point) = collector.point(x, y, pressure, t_ms) {
                        collector.current.push(point);
                    }
                }
                TouchEvent::Move {
                    x,
                    y,
                    pressure,
                    t_ms,
                } => {
                    // A move without a down (the pointer entered while pressed) starts a stroke.
                    if let Some(point) = collector.point(x, y, pressure, t_ms) {
                        collector.current.push(point);
                    }
                }
                TouchEvent::Up => collector.end_stroke(),
                TouchEvent::Clear => {
                    collector.strokes.clear();
                    collector.current.clear();
                    collector.origin_ms = None;
                }
                TouchEvent::Done => break,
            }
        }
        collector.end_stroke();
        Ok(SignatureStrokes {
            strokes: collector.strokes,
        })
    }
}

#[cfg(test)]
mod tests;
