//! [`ThreadedCamera`]: a real camera's raw stream on a worker thread of its own, behind the
//! [`Camera`] trait.
//!
//! Camera libraries hand out device handles that must stay on one thread (nokhwa's `Camera` is not
//! `Send`), so the worker opens the device itself (through an [`Opener`]) and owns it. While the
//! stream is open the worker keeps taking frames off the device and drops them, so the frame
//! [`Camera::frame`] returns is one grabbed after the call, never one that waited in the
//! driver's queue; only that frame is decoded ([`decode_frame`]). `captured_at_ms` is when the
//! frame was captured (the backend's buffer timestamp when it has one, else when it came off the
//! device), from the first frame this camera delivered.
//!
//! A failure is answered to the caller as its [`DeviceError`]. A `Disconnected` one (camera
//! unplugged) closes the stream: the next [`Camera::frame`] opens the device again, so a camera
//! plugged back in works without restarting the kiosk. Errors while nobody waits for a frame
//! are retried (after a pause), the stream being reopened after a few in a row.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::time::{Duration, Instant};

use super::decode::{decode_frame, PixelFormat};
use super::{Camera, Frame};
use crate::error::{Device, DeviceError, DeviceErrorKind};

const DEVICE: Device = Device::Camera;
/// Pause after a failed grab or open before trying again.
const RETRY_PAUSE: Duration = Duration::from_millis(50);
/// Failed grabs in a row after which the stream is closed and reopened.
const REOPEN_AFTER_ERRORS: u32 = 5;

/// The format a stream was opened with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StreamFormat {
    pub pixel_format: PixelFormat,
    pub width: u32,
    pub height: u32,
    /// Frames per second.
    pub frame_rate: u32,
}

impl std::fmt::Display for StreamFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}×{} at {} fps",
            self.pixel_format, self.width, self.height, self.frame_rate
        )
    }
}

/// One frame as the device delivered it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawFrame {
    pub bytes: Vec<u8>,
    /// How long before it was handed over the frame was captured, when the backend says
    /// (V4L2 buffer timestamps); `None`: captured when handed over.
    pub age: Option<Duration>,
}

/// An open camera stream. It lives on the worker thread only, so it need not be `Send`.
pub trait RawStream {
    fn format(&self) -> StreamFormat;

    /// The next frame as the device delivers it; blocks until there is one.
    fn grab(&mut self) -> Result<RawFrame, DeviceError>;
}

/// Ages above this are not believed (a backend clock that jumped): the frame counts as new.
const MAX_FRAME_AGE: Duration = Duration::from_millis(500);

/// Opens the device (called on the worker thread, again after a disconnect).
pub type Opener = Box<dyn FnMut() -> Result<Box<dyn RawStream>, DeviceError> + Send>;

type Reply = Sender<Result<Frame, DeviceError>>;

/// A camera whose device is driven by a worker thread; see the module docs.
pub struct ThreadedCamera {
    requests: Sender<Reply>,
    format: StreamFormat,
    timeout: Duration,
}

impl std::fmt::Debug for ThreadedCamera {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadedCamera")
            .field("format", &self.format)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl ThreadedCamera {
    /// Starts the worker and opens the device with `opener`; its error (no camera, busy, no
    /// usable format) is returned here. `timeout` bounds each [`Camera::frame`] call and the
    /// first open.
    pub fn spawn(mut opener: Opener, timeout: Duration) -> Result<ThreadedCamera, DeviceError> {
        let (requests, inbox) = mpsc::channel::<Reply>();
        let (ready, opened) = mpsc::channel::<Result<StreamFormat, DeviceError>>();
        std::thread::Builder::new()
            .name("zk-camera".into())
            .spawn(move || {
                let stream = match opener() {
                    Ok(stream) => stream,
                    Err(error) => {
                        let _ = ready.send(Err(error));
                        return;
                    }
                };
                if ready.send(Ok(stream.format())).is_err() {
                    return;
                }
                Worker {
                    opener,
                    stream: Some(stream),
                    inbox,
                    waiting: None,
                    epoch: None,
                    errors_in_a_row: 0,
                }
                .run();
            })
            .map_err(|error| {
                DeviceError::corrupt(DEVICE, format!("starting its thread: {error}"))
            })?;
        let format = match opened.recv_timeout(timeout) {
            Ok(result) => result?,
            Err(RecvTimeoutError::Timeout) => return Err(DeviceError::timeout(DEVICE, timeout)),
            Err(RecvTimeoutError::Disconnected) => {
                return Err(DeviceError::Disconnected { device: DEVICE })
            }
        };
        tracing::info!(%format, "camera opened");
        Ok(ThreadedCamera {
            requests,
            format,
            timeout,
        })
    }

    /// The format the stream was opened with.
    pub fn format(&self) -> StreamFormat {
        self.format
    }
}

impl Camera for ThreadedCamera {
    fn frame(&mut self) -> Result<Frame, DeviceError> {
        let (reply, answer) = mpsc::channel();
        self.requests
            .send(reply)
            .map_err(|_| DeviceError::Disconnected { device: DEVICE })?;
        match answer.recv_timeout(self.timeout) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => Err(DeviceError::timeout(DEVICE, self.timeout)),
            Err(RecvTimeoutError::Disconnected) => {
                Err(DeviceError::Disconnected { device: DEVICE })
            }
        }
    }

    fn frame_rate(&self) -> f32 {
        self.format.frame_rate as f32
    }
}

struct Worker {
    opener: Opener,
    stream: Option<Box<dyn RawStream>>,
    inbox: Receiver<Reply>,
    /// The caller waiting for the next frame (a newer request replaces one whose caller gave up).
    waiting: Option<Reply>,
    epoch: Option<Instant>,
    errors_in_a_row: u32,
}

impl Worker {
    fn run(mut self) {
        loop {
            if self.stream.is_none() && self.waiting.is_none() {
                // Closed and nobody asking: sleep until someone does (or the camera is dropped).
                match self.inbox.recv() {
                    Ok(reply) => self.waiting = Some(reply),
                    Err(_) => return,
                }
            }
            if !self.take_requests() {
                return;
            }
            if self.stream.is_none() {
                match (self.opener)() {
                    Ok(stream) => {
                        tracing::info!(format = %stream.format(), "camera reopened");
                        self.stream = Some(stream);
                    }
                    Err(error) => {
                        tracing::warn!(%error, "the camera did not open");
                        self.answer(Err(error));
                        std::thread::sleep(RETRY_PAUSE);
                        continue;
                    }
                }
            }
            let Some(stream) = self.stream.as_mut() else {
                continue;
            };
            let format = stream.format();
            let grabbed = stream.grab();
            let handed_over = Instant::now();
            // A request that came in during the grab gets this frame (taken within a frame
            // period of the request, not one that waited in a queue).
            if !self.take_requests() {
                return;
            }
            match grabbed {
                Ok(RawFrame { bytes, age }) => {
                    let age = age.filter(|age| *age <= MAX_FRAME_AGE).unwrap_or_default();
                    let at = handed_over.checked_sub(age).unwrap_or(handed_over);
                    self.errors_in_a_row = 0;
                    let epoch = *self.epoch.get_or_insert(at);
                    if self.waiting.is_some() {
                        let result =
                            decode_frame(format.pixel_format, format.width, format.height, &bytes)
                                .map(|image| Frame {
                                    image,
                                    captured_at: at,
                                    captured_at_ms: u64::try_from(
                                        at.saturating_duration_since(epoch).as_millis(),
                                    )
                                    .unwrap_or(u64::MAX),
                                });
                        self.answer(result);
                    }
                }
                Err(error) => {
                    self.errors_in_a_row += 1;
                    let close = error.kind() == DeviceErrorKind::Disconnected
                        || self.errors_in_a_row >= REOPEN_AFTER_ERRORS;
                    if close {
                        tracing::warn!(%error, "closing the camera stream; it reopens on the next frame");
                        self.stream = None;
                        self.errors_in_a_row = 0;
                    }
                    if self.waiting.is_some() {
                        self.answer(Err(error));
                    } else {
                        std::thread::sleep(RETRY_PAUSE);
                    }
                }
            }
        }
    }

    /// Takes the requests that came in; false once the camera was dropped.
    fn take_requests(&mut self) -> bool {
        loop {
            match self.inbox.try_recv() {
                Ok(reply) => self.waiting = Some(reply),
                Err(TryRecvError::Empty) => return true,
                Err(TryRecvError::Disconnected) => return false,
            }
        }
    }

    fn answer(&mut self, result: Result<Frame, DeviceError>) {
        if let Some(reply) = self.waiting.take() {
            // The caller may have timed out and gone; nothing to do then.
            let _ = reply.send(result);
        }
    }
}

#[cfg(test)]
mod tests;
