//! The worker with a scripted device: a stream that delivers real MJPEG frames at its frame rate,
//! can be unplugged, and whose opener can find no camera or a busy one.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use image::RgbImage;

use super::*;
use crate::testing::{jpeg, real_frame};

const FORMAT: StreamFormat = StreamFormat {
    pixel_format: PixelFormat::Mjpeg,
    width: 640,
    height: 480,
    frame_rate: 50,
};

/// The fake device: present or unplugged, busy at its next open or not, a glitch pending.
#[derive(Default)]
struct DeviceState {
    unplugged: AtomicBool,
    busy_at_next_open: AtomicBool,
    glitch_next: AtomicBool,
    opens: AtomicUsize,
    grabs: AtomicUsize,
}

struct FakeStream {
    jpeg: Arc<Vec<u8>>,
    state: Arc<DeviceState>,
    /// Capture age the backend reports.
    age: Option<Duration>,
}

impl RawStream for FakeStream {
    fn format(&self) -> StreamFormat {
        FORMAT
    }

    fn grab(&mut self) -> Result<RawFrame, DeviceError> {
        std::thread::sleep(Duration::from_millis(20));
        self.state.grabs.fetch_add(1, Ordering::SeqCst);
        if self.state.unplugged.load(Ordering::SeqCst) {
            return Err(DeviceError::Disconnected { device: DEVICE });
        }
        if self.state.glitch_next.swap(false, Ordering::SeqCst) {
            return Err(DeviceError::corrupt(DEVICE, "a short USB transfer"));
        }
        Ok(RawFrame {
            bytes: self.jpeg.to_vec(),
            age: self.age,
        })
    }
}

struct Rig {
    state: Arc<DeviceState>,
    opener: Opener,
}

fn rig(age: Option<Duration>) -> Rig {
    let jpeg = Arc::new(jpeg(&real_frame(), 80));
    let state = Arc::new(DeviceState::default());
    let device = state.clone();
    let opener: Opener = Box::new(move || {
        device.opens.fetch_add(1, Ordering::SeqCst);
        if device.unplugged.load(Ordering::SeqCst) {
            return Err(DeviceError::Disconnected { device: DEVICE });
        }
        if device.busy_at_next_open.swap(false, Ordering::SeqCst) {
            return Err(DeviceError::Busy { device: DEVICE });
        }
        Ok(Box::new(FakeStream {
            jpeg: jpeg.clone(),
            state: device.clone(),
            age,
        }) as Box<dyn RawStream>)
    });
    Rig { state, opener }
}

fn kind(result: Result<Frame, DeviceError>) -> Result<(u32, u32), DeviceErrorKind> {
    result
        .map(|frame| frame.image.dimensions())
        .map_err(|error| error.kind())
}

#[test]
fn frames_are_decoded_fresh_and_timed() {
    let rig = rig(None);
    let mut camera =
        ThreadedCamera::spawn(rig.opener, Duration::from_secs(2)).expect("the camera opens");
    assert_eq!(camera.format(), FORMAT);
    assert_eq!(camera.frame_rate(), 50.0);
    let first = camera.frame().expect("a frame");
    assert_eq!(first.image.dimensions(), (640, 480));
    let expected: RgbImage = mjpeg_to_rgb_for_test();
    assert_eq!(first.image, expected, "the camera's JPEG, decoded");

    // Idle for a while: the worker keeps draining the device, and the next frame is one taken
    // after the call, not one that waited.
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        rig.state.grabs.load(Ordering::SeqCst) >= 4,
        "frames are taken off the device while nobody asks"
    );
    let asked = Instant::now();
    let next = camera.frame().expect("a frame");
    assert!(next.captured_at >= asked, "captured after it was asked for");
    assert!(next.captured_at_ms >= 200, "{}", next.captured_at_ms);
    let after = camera.frame().expect("a frame");
    let gap = after.captured_at.duration_since(next.captured_at);
    assert!(
        (Duration::from_millis(15)..Duration::from_millis(250)).contains(&gap),
        "one frame period apart: {gap:?}"
    );
    assert_eq!(rig.state.opens.load(Ordering::SeqCst), 1);
}

fn mjpeg_to_rgb_for_test() -> RgbImage {
    crate::camera::decode::mjpeg_to_rgb(&jpeg(&real_frame(), 80)).expect("decodes")
}

#[test]
fn a_backend_capture_age_moves_the_capture_time_back() {
    let rig = rig(Some(Duration::from_millis(70)));
    let mut camera = ThreadedCamera::spawn(rig.opener, Duration::from_secs(2)).expect("opens");
    let asked = Instant::now();
    let frame = camera.frame().expect("a frame");
    let returned = Instant::now();
    assert!(
        frame.captured_at + Duration::from_millis(60) <= returned,
        "captured about 70 ms before it came off the device"
    );
    assert!(frame.captured_at + Duration::from_millis(100) >= asked);
}

#[test]
fn no_camera_fails_at_open_with_disconnected() {
    let rig = rig(None);
    rig.state.unplugged.store(true, Ordering::SeqCst);
    let error = ThreadedCamera::spawn(rig.opener, Duration::from_secs(2)).expect_err("no camera");
    assert_eq!(error.kind(), DeviceErrorKind::Disconnected);
    assert!(
        error.to_string().contains("the camera is not connected"),
        "{error}"
    );
    let rig = self::rig(None);
    rig.state.busy_at_next_open.store(true, Ordering::SeqCst);
    let error = ThreadedCamera::spawn(rig.opener, Duration::from_secs(2)).expect_err("busy");
    assert_eq!(error.kind(), DeviceErrorKind::Busy);
}

#[test]
fn an_unplugged_camera_reports_disconnected_and_reopens_on_the_next_frame() {
    let rig = rig(None);
    let mut camera = ThreadedCamera::spawn(rig.opener, Duration::from_secs(2)).expect("opens");
    assert_eq!(kind(camera.frame()), Ok((640, 480)));
    rig.state.unplugged.store(true, Ordering::SeqCst);
    assert_eq!(kind(camera.frame()), Err(DeviceErrorKind::Disconnected));
    assert_eq!(
        kind(camera.frame()),
        Err(DeviceErrorKind::Disconnected),
        "still unplugged"
    );
    // Closed and nobody asking: the worker does not spin on the missing device.
    let (grabs, opens) = (
        rig.state.grabs.load(Ordering::SeqCst),
        rig.state.opens.load(Ordering::SeqCst),
    );
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(rig.state.grabs.load(Ordering::SeqCst), grabs);
    assert_eq!(rig.state.opens.load(Ordering::SeqCst), opens);
    // Plugged back in, but another program took it first; then it is free.
    rig.state.busy_at_next_open.store(true, Ordering::SeqCst);
    rig.state.unplugged.store(false, Ordering::SeqCst);
    assert_eq!(kind(camera.frame()), Err(DeviceErrorKind::Busy));
    assert_eq!(
        kind(camera.frame()),
        Ok((640, 480)),
        "reopened without a restart"
    );
    assert!(rig.state.opens.load(Ordering::SeqCst) >= 3);
}

#[test]
fn a_glitch_is_reported_and_the_stream_goes_on() {
    let rig = rig(None);
    let mut camera = ThreadedCamera::spawn(rig.opener, Duration::from_secs(2)).expect("opens");
    assert!(camera.frame().is_ok());
    rig.state.glitch_next.store(true, Ordering::SeqCst);
    let first = kind(camera.frame());
    // The glitch may be taken while nobody waits; either way the next frames work.
    assert!(
        matches!(first, Err(DeviceErrorKind::CorruptData) | Ok((640, 480))),
        "{first:?}"
    );
    assert_eq!(kind(camera.frame()), Ok((640, 480)));
    assert_eq!(
        rig.state.opens.load(Ordering::SeqCst),
        1,
        "a glitch does not reopen"
    );
}

#[test]
fn a_stalled_device_times_out() {
    struct Stalled;
    impl RawStream for Stalled {
        fn format(&self) -> StreamFormat {
            FORMAT
        }
        fn grab(&mut self) -> Result<RawFrame, DeviceError> {
            std::thread::sleep(Duration::from_millis(400));
            Err(DeviceError::timeout(DEVICE, Duration::from_millis(400)))
        }
    }
    let opener: Opener = Box::new(|| Ok(Box::new(Stalled) as Box<dyn RawStream>));
    let mut camera = ThreadedCamera::spawn(opener, Duration::from_millis(150)).expect("opens");
    let started = Instant::now();
    let error = camera.frame().expect_err("stalled");
    assert_eq!(error.kind(), DeviceErrorKind::Timeout);
    assert!(started.elapsed() < Duration::from_millis(350));
}

#[test]
fn dropping_the_camera_ends_its_worker() {
    let rig = rig(None);
    let camera = ThreadedCamera::spawn(rig.opener, Duration::from_secs(2)).expect("opens");
    std::thread::sleep(Duration::from_millis(60));
    drop(camera);
    std::thread::sleep(Duration::from_millis(80));
    let grabs = rig.state.grabs.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(120));
    assert_eq!(
        rig.state.grabs.load(Ordering::SeqCst),
        grabs,
        "the worker stopped grabbing"
    );
}
