use std::io;
use std::path::PathBuf;

use super::*;

fn check(error: DeviceError, kind: DeviceErrorKind, device: Device, says: &[&str]) {
    assert_eq!(error.kind(), kind, "{error}");
    assert_eq!(error.device(), device, "{error}");
    let message = error.to_string();
    for needle in says {
        assert!(
            message.contains(needle),
            "{message:?} should contain {needle:?}"
        );
    }
}

#[test]
fn every_variant_has_its_kind_and_says_what_to_do() {
    use Device::*;
    use DeviceErrorKind as K;
    check(
        DeviceError::Disconnected { device: Camera },
        K::Disconnected,
        Camera,
        &["the camera", "plug it back in"],
    );
    check(
        DeviceError::Timeout {
            device: Microphone,
            waited_ms: 1500,
        },
        K::Timeout,
        Microphone,
        &["1500 ms", "retry"],
    );
    check(
        DeviceError::corrupt(IdCardReader, "bad checksum"),
        K::CorruptData,
        IdCardReader,
        &["bad checksum", "retry"],
    );
    check(
        DeviceError::Busy {
            device: SignaturePad,
        },
        K::Busy,
        SignaturePad,
        &["wait a moment"],
    );
    check(
        DeviceError::PermissionDenied {
            device: IdCardReader,
            detail: "/dev/ttyUSB0".into(),
        },
        K::PermissionDenied,
        IdCardReader,
        &["/dev/ttyUSB0", "dialout", "restart"],
    );
    check(
        DeviceError::Unsupported {
            device: Camera,
            detail: "1080p".into(),
        },
        K::Unsupported,
        Camera,
        &["1080p", "[drivers]"],
    );
    check(
        DeviceError::NoCard,
        K::NoMedia,
        IdCardReader,
        &["place the card"],
    );
    check(
        DeviceError::CardRemoved,
        K::MediaRemoved,
        IdCardReader,
        &["put it back", "retry"],
    );
    check(
        DeviceError::SimScript {
            device: SignaturePad,
            path: PathBuf::from("sim/signature.json"),
            line: 3,
            column: 7,
            detail: "missing field `t`".into(),
        },
        K::CorruptData,
        SignaturePad,
        &[
            "sim/signature.json",
            "line 3, column 7",
            "missing field `t`",
            "assets/sim/README.md",
        ],
    );
    check(
        DeviceError::SimFile {
            device: IdCardReader,
            what: "card photo",
            path: PathBuf::from("demo/a.jpg"),
            source: io::Error::new(io::ErrorKind::NotFound, "no such file"),
        },
        K::Disconnected,
        IdCardReader,
        &[
            "card photo",
            "demo/a.jpg",
            "no such file",
            "restore the file",
        ],
    );
}

#[test]
fn card_removed_is_its_own_kind() {
    assert!(DeviceError::CardRemoved.is_card_removed());
    assert!(!DeviceError::NoCard.is_card_removed());
    assert!(!DeviceError::corrupt(Device::IdCardReader, "x").is_card_removed());
    assert_ne!(
        DeviceError::CardRemoved.kind(),
        DeviceErrorKind::CorruptData
    );
}

#[test]
fn io_errors_of_sim_files_map_to_kinds() {
    let check_io = |kind: io::ErrorKind, expected: DeviceErrorKind| {
        let error = DeviceError::SimFile {
            device: Device::Camera,
            what: "frame image",
            path: PathBuf::from("x.png"),
            source: io::Error::new(kind, "test"),
        };
        assert_eq!(error.kind(), expected, "{kind:?}");
    };
    check_io(io::ErrorKind::NotFound, DeviceErrorKind::Disconnected);
    check_io(
        io::ErrorKind::PermissionDenied,
        DeviceErrorKind::PermissionDenied,
    );
    check_io(io::ErrorKind::TimedOut, DeviceErrorKind::Timeout);
    check_io(io::ErrorKind::WouldBlock, DeviceErrorKind::Busy);
    check_io(io::ErrorKind::InvalidData, DeviceErrorKind::CorruptData);
    check_io(io::ErrorKind::UnexpectedEof, DeviceErrorKind::CorruptData);
    check_io(io::ErrorKind::Unsupported, DeviceErrorKind::Unsupported);
}

#[test]
fn retryable_kinds() {
    assert!(DeviceError::Busy {
        device: Device::Camera
    }
    .is_retryable());
    assert!(DeviceError::CardRemoved.is_retryable());
    assert!(!DeviceError::Disconnected {
        device: Device::Camera
    }
    .is_retryable());
    assert!(!DeviceError::Unsupported {
        device: Device::Camera,
        detail: String::new()
    }
    .is_retryable());
}

#[test]
fn timeout_helper_saturates() {
    let error = DeviceError::timeout(Device::Camera, std::time::Duration::MAX);
    assert!(matches!(
        error,
        DeviceError::Timeout {
            waited_ms: u64::MAX,
            ..
        }
    ));
}

#[test]
fn device_codes() {
    let codes: Vec<&str> = [
        Device::IdCardReader,
        Device::Camera,
        Device::Microphone,
        Device::SignaturePad,
    ]
    .map(Device::code)
    .to_vec();
    assert_eq!(
        codes,
        ["id_card_reader", "camera", "microphone", "signature_pad"]
    );
}
