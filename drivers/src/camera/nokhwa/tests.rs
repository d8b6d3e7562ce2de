//! What can be checked without a camera: device choice, format choice, error mapping, and that
//! a missing camera is a clear `Disconnected`. Streaming needs real hardware.

use ::nokhwa::utils::ApiBackend;

use super::*;
use crate::error::DeviceErrorKind;

fn info(index: &str, name: &str) -> CameraInfo {
    CameraInfo {
        index: index.into(),
        name: name.into(),
        description: String::new(),
    }
}

fn format(pixel_format: PixelFormat, width: u32, height: u32, frame_rate: u32) -> StreamFormat {
    StreamFormat {
        pixel_format,
        width,
        height,
        frame_rate,
    }
}

#[test]
fn a_device_is_chosen_by_index_path_or_name() {
    let cameras = [
        info("0", "Integrated Camera"),
        info("2", "HD Pro Webcam C920"),
    ];
    assert_eq!(resolve_device(None, &cameras).ok(), Some(0));
    assert_eq!(resolve_device(Some(""), &cameras).ok(), Some(0));
    assert_eq!(resolve_device(Some("2"), &cameras).ok(), Some(2));
    assert_eq!(resolve_device(Some("/dev/video2"), &cameras).ok(), Some(2));
    assert_eq!(
        resolve_device(Some("HD Pro Webcam C920"), &cameras).ok(),
        Some(2)
    );
    assert_eq!(
        resolve_device(Some("/dev/video5"), &cameras).ok(),
        Some(5),
        "an index is tried even when not listed"
    );
    for missing in [Some("Logitech Brio"), None] {
        let cameras = if missing.is_none() {
            &[][..]
        } else {
            &cameras[..]
        };
        let error = resolve_device(missing, cameras).expect_err("no such camera");
        assert_eq!(error.kind(), DeviceErrorKind::Disconnected);
        assert!(
            error.to_string().contains("the camera is not connected"),
            "{error}"
        );
    }
}

#[test]
fn mjpeg_or_yuyv_of_at_least_640_by_480_is_asked_for() {
    use PixelFormat::{Mjpeg, Yuyv};
    let webcam = [
        format(Yuyv, 320, 240, 30),
        format(Yuyv, 640, 480, 30),
        format(Yuyv, 1280, 720, 10),
        format(Mjpeg, 320, 240, 30),
        format(Mjpeg, 640, 480, 30),
        format(Mjpeg, 640, 480, 15),
        format(Mjpeg, 1280, 720, 30),
        format(Mjpeg, 1920, 1080, 30),
    ];
    let settings = NokhwaSettings::default();
    assert_eq!(
        choose_format(&webcam, &settings).ok(),
        Some(format(Mjpeg, 640, 480, 15)),
        "the smallest usable size, the slowest rate that is fast enough, MJPEG first"
    );
    let fast = NokhwaSettings {
        frame_rate: 30,
        ..NokhwaSettings::default()
    };
    assert_eq!(
        choose_format(&webcam, &fast).ok(),
        Some(format(Mjpeg, 640, 480, 30))
    );
    // Only YUYV: fine. Only big sizes: the smallest of them.
    assert_eq!(
        choose_format(&webcam[..3], &settings).ok(),
        Some(format(Yuyv, 640, 480, 30))
    );
    assert_eq!(
        choose_format(&webcam[6..], &settings).ok(),
        Some(format(Mjpeg, 1280, 720, 30))
    );
    // 640×480 only at 5 fps, 1280×720 at 30: speed wins over size.
    let slow_small = [format(Yuyv, 640, 480, 5), format(Mjpeg, 1280, 720, 30)];
    assert_eq!(
        choose_format(&slow_small, &settings).ok(),
        Some(format(Mjpeg, 1280, 720, 30))
    );
    // Nothing fast enough: the fastest.
    let all_slow = [format(Yuyv, 640, 480, 5), format(Yuyv, 640, 480, 10)];
    assert_eq!(
        choose_format(&all_slow, &settings).ok(),
        Some(format(Yuyv, 640, 480, 10))
    );
    // Too small, or nothing usable: Unsupported, naming what it offers.
    let error = choose_format(&webcam[..1], &settings).expect_err("too small");
    assert_eq!(error.kind(), DeviceErrorKind::Unsupported);
    assert!(
        error.to_string().contains("YUYV 320×240 at 30 fps"),
        "{error}"
    );
    let error = choose_format(&[], &settings).expect_err("nothing");
    assert!(
        error.to_string().contains("no MJPEG or YUYV format"),
        "{error}"
    );
}

#[test]
fn nokhwa_errors_map_to_what_the_kiosk_can_do() {
    let cases = [
        (
            NokhwaError::OpenDeviceError(
                "0".into(),
                "V4L2 Error: No such file or directory (os error 2)".into(),
            ),
            DeviceErrorKind::Disconnected,
        ),
        (
            NokhwaError::ReadFrameError("No such device (os error 19)".into()),
            DeviceErrorKind::Disconnected,
        ),
        (
            NokhwaError::OpenStreamError("Device or resource busy (os error 16)".into()),
            DeviceErrorKind::Busy,
        ),
        (
            NokhwaError::OpenDeviceError(
                "0".into(),
                "V4L2 Error: Permission denied (os error 13)".into(),
            ),
            DeviceErrorKind::PermissionDenied,
        ),
        (
            NokhwaError::ReadFrameError("Connection timed out (os error 110)".into()),
            DeviceErrorKind::Timeout,
        ),
        (
            NokhwaError::UnsupportedOperationError(ApiBackend::Video4Linux),
            DeviceErrorKind::Unsupported,
        ),
        (
            NokhwaError::OpenDeviceError("0".into(), "MF_E_HW_MFT_FAILED_START_STREAMING".into()),
            DeviceErrorKind::Disconnected,
        ),
        (
            NokhwaError::ReadFrameError("Invalid argument (os error 22)".into()),
            DeviceErrorKind::CorruptData,
        ),
    ];
    for (error, expected) in cases {
        let mapped = map_error(&error);
        assert_eq!(mapped.kind(), expected, "{error}");
        assert_eq!(mapped.device(), Device::Camera);
    }
}

#[test]
fn without_a_camera_opening_says_the_camera_is_not_connected() {
    // The listing works and is empty on a machine without cameras (this project's VM).
    let cameras = list_cameras().expect("listing cameras works without any");
    if cameras.is_empty() {
        let error = open(&NokhwaSettings::default()).expect_err("no camera");
        assert_eq!(error.kind(), DeviceErrorKind::Disconnected, "{error}");
        assert!(
            error.to_string().contains("the camera is not connected"),
            "{error}"
        );
    }
    // A device index no machine has: the V4L2 open fails, as for an unplugged camera.
    let settings = NokhwaSettings {
        device: Some("/dev/video63".into()),
        ..NokhwaSettings::default()
    };
    let error = open(&settings).expect_err("no such camera");
    assert_eq!(error.kind(), DeviceErrorKind::Disconnected, "{error}");
}

#[test]
fn the_config_backend_opens_nokhwa() {
    let config: crate::DriversConfig = serde_json::from_str(
        r#"{"camera": {"backend": "nokhwa", "device": "/dev/video63", "frame_rate": 30}}"#,
    )
    .expect("parses");
    assert_eq!(config.camera.backend, crate::Backend::Nokhwa);
    assert_eq!(config.camera.nokhwa_settings().frame_rate, 30);
    let error = config
        .open_camera(std::path::Path::new("."))
        .err()
        .expect("no such camera");
    assert_eq!(error.kind(), DeviceErrorKind::Disconnected, "{error}");
}
