use super::*;
use crate::error::DeviceErrorKind;

fn down(x: f32, t: f64) -> TouchEvent {
    TouchEvent::Down {
        x,
        y: 100.0,
        pressure: None,
        t_ms: t,
    }
}

fn mv(x: f32, t: f64) -> TouchEvent {
    TouchEvent::Move {
        x,
        y: 120.0,
        pressure: Some(0.8),
        t_ms: t,
    }
}

#[test]
fn strokes_clear_and_done() {
    let (mut pad, handle) = TouchSignaturePad::new();
    assert!(!handle.send(down(1.0, 5.0)), "not armed: dropped");
    let sender = handle.clone();
    let thread = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        for event in [
            down(10.0, 1000.0),
            mv(20.0, 1010.0),
            TouchEvent::Up,
            TouchEvent::Clear,
            down(100.0, 2000.0),
            mv(200.0, 2100.0),
            mv(5000.0, 2200.0),
            TouchEvent::Up,
            down(300.0, 2300.0),
            mv(f32::NAN, 2310.0),
            TouchEvent::Done,
        ] {
            sender.send(event);
        }
    });
    let strokes = pad.capture(Duration::from_secs(5)).unwrap();
    thread.join().unwrap();
    assert_eq!(strokes.strokes.len(), 2);
    let first = &strokes.strokes[0];
    assert_eq!(first.len(), 3);
    assert_eq!(
        (first[0].x, first[0].pressure, first[0].t_ms),
        (100.0, 0.5, 0)
    );
    assert_eq!((first[1].pressure, first[1].t_ms), (0.8, 100));
    assert_eq!(first[2].x, 1000.0, "clamped into the box");
    assert_eq!(strokes.strokes[1].len(), 1, "the NaN sample is dropped");
}

#[test]
fn timeout_without_ink_is_an_error_with_ink_a_signature() {
    let (mut pad, handle) = TouchSignaturePad::new();
    assert_eq!(
        pad.capture(Duration::from_millis(50)).unwrap_err().kind(),
        DeviceErrorKind::Timeout
    );
    let sender = handle.clone();
    let thread = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        sender.send(down(10.0, 0.0));
        sender.send(mv(50.0, 20.0));
    });
    let strokes = pad.capture(Duration::from_millis(300)).unwrap();
    thread.join().unwrap();
    assert_eq!(strokes.point_count(), 2);
    drop(handle);
    assert_eq!(
        pad.capture(Duration::from_millis(50)).unwrap_err().kind(),
        DeviceErrorKind::Disconnected
    );
}

#[test]
fn events_sent_between_arm_and_capture_are_kept() {
    let (mut pad, handle) = TouchSignaturePad::new();
    pad.arm();
    assert!(handle.send(down(10.0, 0.0)));
    assert!(handle.send(mv(60.0, 30.0)));
    assert!(handle.send(TouchEvent::Done));
    let strokes = pad.capture(Duration::from_secs(1)).unwrap();
    assert_eq!(strokes.point_count(), 2);
    assert!(!handle.send(down(1.0, 1.0)), "disarmed after the capture");
}
