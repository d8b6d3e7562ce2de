//! The real `SerialPenTablet` against the ISDV4 pen-pad simulator on a pseudo-terminal: a
//! recorded signature comes through intact; corrupt packets, a pulled cable and a silent pad are
//! each their own error, and the pad recovers without reopening by hand.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::time::Duration;

use zk_domain::SignatureStrokes;
use zk_drivers::signature::pty_sim::{PadEvent, PadFault, PenPadSimulator, SIM_LIMITS};
use zk_drivers::signature::serial::{PenTabletConfig, SerialPenTablet};
use zk_drivers::{DeviceErrorKind, SignaturePad, SimSignaturePad};

const BAUD: u32 = 38_400;

fn recorded() -> SignatureStrokes {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../assets/sim/signature.json");
    assert!(path.is_file(), "fixture missing: {}", path.display());
    SimSignaturePad::from_file(&path)
        .unwrap()
        .capture(Duration::from_secs(1))
        .unwrap()
}

fn tablet(path: &str) -> SerialPenTablet {
    SerialPenTablet::open(path, BAUD)
        .unwrap()
        .with_config(PenTabletConfig {
            idle_end: Duration::from_millis(400),
            ..PenTabletConfig::default()
        })
}

fn start(events: Vec<PadEvent>) -> (tempfile::TempDir, PenPadSimulator, String) {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ttyPEN");
    let sim = PenPadSimulator::start(events, 4.0, Some(link.clone())).unwrap();
    (dir, sim, link.to_string_lossy().into_owned())
}

#[test]
fn a_recorded_signature_comes_through_intact() {
    let original = recorded();
    let (_dir, _sim, path) = start(vec![PadEvent::Signature(original.clone())]);
    let mut pad = tablet(&path);
    assert_eq!(pad.limits(), SIM_LIMITS);
    let captured = pad.capture(Duration::from_secs(10)).unwrap();
    assert_eq!(captured.strokes.len(), original.strokes.len());
    assert_eq!(captured.point_count(), original.point_count());
    for (got, want) in captured
        .strokes
        .iter()
        .flatten()
        .zip(original.strokes.iter().flatten())
    {
        assert!((got.x - want.x).abs() < 0.1, "x {} vs {}", got.x, want.x);
        assert!((got.y - want.y).abs() < 0.1, "y {} vs {}", got.y, want.y);
        assert!((got.pressure - want.pressure).abs() < 0.01);
    }
    // Replayed 4× fast, timed on arrival: the duration shrinks accordingly (within a margin).
    let last = captured.strokes.last().unwrap().last().unwrap().t_ms;
    let original_last = original.strokes.last().unwrap().last().unwrap().t_ms;
    assert!(
        last > original_last / 8 && last < original_last / 2,
        "{last} vs {original_last}"
    );
}

#[test]
fn corrupt_packets_fail_the_capture_and_the_next_one_reads() {
    let original = recorded();
    let (_dir, _sim, path) = start(vec![
        PadEvent::Fault(PadFault::Corrupt),
        PadEvent::Signature(original.clone()),
        PadEvent::Signature(original.clone()),
    ]);
    let mut pad = tablet(&path);
    let error = pad.capture(Duration::from_secs(10)).unwrap_err();
    assert_eq!(error.kind(), DeviceErrorKind::CorruptData, "{error:?}");
    assert_eq!(
        pad.capture(Duration::from_secs(10)).unwrap().point_count(),
        original.point_count()
    );
}

#[test]
fn a_pulled_cable_is_disconnected_and_recovers_when_plugged_back() {
    let original = recorded();
    let (_dir, sim, path) = start(vec![
        PadEvent::Fault(PadFault::Unplug(Some(Duration::from_millis(300)))),
        PadEvent::Signature(original.clone()),
        PadEvent::Signature(original.clone()),
    ]);
    let mut pad = tablet(&path);
    let error = pad.capture(Duration::from_secs(10)).unwrap_err();
    assert_eq!(error.kind(), DeviceErrorKind::Disconnected, "{error:?}");
    assert!(!pad.is_connected());
    // While unplugged: still disconnected, at once.
    if !sim.is_plugged() {
        assert_eq!(
            pad.capture(Duration::from_secs(1)).unwrap_err().kind(),
            DeviceErrorKind::Disconnected
        );
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        pad.capture(Duration::from_secs(10)).unwrap().point_count(),
        original.point_count()
    );
    assert!(pad.is_connected());
}

#[test]
fn a_silent_pad_times_out() {
    let (_dir, sim, path) = start(vec![PadEvent::Fault(PadFault::Silent)]);
    let mut pad = tablet(&path);
    let error = pad.capture(Duration::from_millis(600)).unwrap_err();
    assert_eq!(error.kind(), DeviceErrorKind::Timeout, "{error:?}");
    // A pad that never answers the query is not opened at all.
    sim.push(PadEvent::Fault(PadFault::Silent));
    pad.capture(Duration::from_millis(100)).unwrap_err();
    // While the pad holds the port, a second program is refused as busy.
    let busy = SerialPenTablet::open(&path, BAUD).unwrap_err();
    assert_eq!(busy.kind(), DeviceErrorKind::Busy, "{busy:?}");
    drop(pad);
    let error = SerialPenTablet::open(&path, BAUD).unwrap_err();
    assert_eq!(error.kind(), DeviceErrorKind::Timeout, "{error:?}");
}

#[test]
fn done_ends_the_capture_early_and_a_missing_port_is_disconnected() {
    let (_dir, _sim, path) = start(Vec::new());
    let mut pad = tablet(&path);
    let finish = pad.finish_handle();
    let thread = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        finish.finish();
    });
    // Nothing signed, "done" pressed: an empty signature (the domain check says so).
    let strokes = pad.capture(Duration::from_secs(10)).unwrap();
    thread.join().unwrap();
    assert_eq!(strokes.point_count(), 0);
    let error = SerialPenTablet::open("/dev/zikao-no-pad", BAUD).unwrap_err();
    assert_eq!(error.kind(), DeviceErrorKind::Disconnected);
}

#[test]
fn the_serial_backend_opens_from_config() {
    let original = recorded();
    let (dir, _sim, path) = start(vec![PadEvent::Signature(original.clone())]);
    let mut config = zk_drivers::DriversConfig::default();
    config.signature_pad.backend = zk_drivers::Backend::Serial;
    assert!(
        config.open_signature_pad(dir.path()).is_err(),
        "no port: a clear error"
    );
    config.signature_pad.port = Some(path);
    config.signature_pad.idle_end_ms = 300;
    let mut pad = config.open_signature_pad(dir.path()).unwrap();
    assert_eq!(pad.info().kind, "isdv4");
    assert_eq!(pad.info().pressure_max, Some(1023));
    assert_eq!(
        pad.capture(Duration::from_secs(10)).unwrap().point_count(),
        original.point_count()
    );
}
