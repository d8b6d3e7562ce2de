use super::*;
use crate::error::DeviceErrorKind;
use crate::testing::{shipped, temp_dir, write};

const TIMEOUT: Duration = Duration::from_secs(60);

#[test]
fn the_shipped_signature_is_plausible_and_passes_the_domain_check() {
    let mut pad =
        SimSignaturePad::from_file(&shipped("sim/signature.json")).expect("the shipped file loads");
    let strokes = pad.capture(TIMEOUT).expect("a signature");
    assert_eq!(strokes.check(), Ok(()));
    assert!((2..=6).contains(&strokes.strokes.len()), "{strokes:?}");
    assert!((100..=300).contains(&strokes.point_count()), "{strokes:?}");
    let points: Vec<&SignaturePoint> = strokes.strokes.iter().flatten().collect();
    assert!(points
        .iter()
        .all(|p| (0.0..=1000.0).contains(&p.x) && (0.0..=400.0).contains(&p.y)));
    assert!(points.iter().all(|p| (0.0..=1.0).contains(&p.pressure)));
    let span = points.iter().map(|p| p.t_ms).max().unwrap_or(0)
        - points.iter().map(|p| p.t_ms).min().unwrap_or(0);
    assert!(
        span >= 1000,
        "written over at least a second, got {span} ms"
    );
    assert_eq!(
        pad.capture(TIMEOUT).expect("again"),
        strokes,
        "every capture replays the same signature"
    );
}

#[test]
fn a_stroke_file_parses_with_default_pressure() {
    let mut pad = SimSignaturePad::from_json(
        r#"[[{"x": 1, "y": 2, "t": 0}, {"x": 3.5, "y": 4, "p": 0.9, "t": 20}], [{"x": 5, "y": 6, "p": 0, "t": 40}]]"#,
    )
    .expect("parses");
    let strokes = pad.capture(TIMEOUT).expect("a signature");
    assert_eq!(
        strokes.strokes,
        vec![
            vec![
                SignaturePoint {
                    x: 1.0,
                    y: 2.0,
                    pressure: 0.5,
                    t_ms: 0
                },
                SignaturePoint {
                    x: 3.5,
                    y: 4.0,
                    pressure: 0.9,
                    t_ms: 20
                },
            ],
            vec![SignaturePoint {
                x: 5.0,
                y: 6.0,
                pressure: 0.0,
                t_ms: 40
            }],
        ]
    );
    let mut empty = SimSignaturePad::from_json(" [ ] ").expect("an empty signature");
    assert_eq!(empty.capture(TIMEOUT).expect("empty").point_count(), 0);
}

#[test]
fn an_event_script_loops_signatures_and_faults() {
    let mut pad = SimSignaturePad::from_json(
        r#"[{"strokes": [[{"x": 1, "y": 2, "t": 0}]]}, {"fault": "timeout"}, {"strokes": []}]"#,
    )
    .expect("parses");
    assert_eq!(pad.capture(TIMEOUT).expect("first").point_count(), 1);
    let error = pad.capture(TIMEOUT).expect_err("timeout");
    assert!(
        matches!(
            error,
            DeviceError::Timeout {
                device: Device::SignaturePad,
                waited_ms: 60_000
            }
        ),
        "{error:?}"
    );
    assert_eq!(pad.capture(TIMEOUT).expect("empty").point_count(), 0);
    assert_eq!(pad.capture(TIMEOUT).expect("looped").point_count(), 1);
}

#[test]
fn injected_faults_reach_a_boxed_pad() {
    let pad = SimSignaturePad::from_strokes(SignatureStrokes::default());
    let faults = pad.faults();
    let mut boxed: Box<dyn SignaturePad> = Box::new(pad);
    faults.push(SimFault::Unplug);
    assert_eq!(
        boxed.capture(TIMEOUT).map_err(|error| error.kind()).err(),
        Some(DeviceErrorKind::Disconnected)
    );
    assert!(boxed.capture(TIMEOUT).is_ok());
}

#[test]
fn malformed_files_name_file_line_and_problem() {
    let cases = [
        (
            "[[{\"x\": 1, \"y\": 2, \"t\": 0},\n{\"x\": 1, \"y\": 2, \"t\": 10}\n",
            3,
            "EOF while parsing",
        ),
        (
            "[[{\"x\": 1, \"y\": 2, \"p\": 1.5, \"t\": 0}]]",
            1,
            "pressure \"p\" is 1.5, outside 0 to 1",
        ),
        (
            "[[{\"x\": 1, \"y\": 2, \"t\": 50}],\n[{\"x\": 1, \"y\": 2, \"t\": 40}]]",
            2,
            "stroke 2 starts at \"t\" 40 ms, before the previous stroke ended (50 ms)",
        ),
        (
            "[[{\"x\": 1, \"y\": 2, \"t\": 50},\n{\"x\": 1, \"y\": 2, \"t\": 30}]]",
            2,
            "point 2 of a stroke: time \"t\" goes back from 50 ms to 30 ms",
        ),
        (
            "[[{\"x\": 1, \"y\": 2, \"t\": 0}], 7]",
            1,
            "invalid type: integer `7`, expected a sequence",
        ),
        ("[[{\"x\": 1, \"y\": 2}]]", 1, "missing field `t`"),
        (
            "[[{\"x\": 1, \"y\": 2, \"t\": 0, \"z\": 3}]]",
            1,
            "unknown field `z`",
        ),
        (
            "[[{\"x\": 1, \"y\": 2, \"t\": -5}]]",
            1,
            "invalid value: integer `-5`",
        ),
        (
            "[\n{\"strokes\": []},\n{\"fault\": \"melt\"}\n]",
            3,
            "unknown variant `melt`",
        ),
        ("{\"strokes\": []}", 1, "invalid type: map"),
    ];
    let dir = temp_dir();
    for (index, (text, line, reason)) in cases.into_iter().enumerate() {
        let path = write(dir.path(), &format!("sig{index}.json"), text);
        let error = SimSignaturePad::from_file(&path).expect_err(text);
        assert_eq!(error.kind(), DeviceErrorKind::CorruptData, "{error}");
        assert!(
            matches!(&error, DeviceError::SimScript { line: l, .. } if *l == line),
            "case {index}: {error}"
        );
        let message = error.to_string();
        assert!(message.contains(reason), "case {index}: {message}");
        assert!(message.contains(&format!("sig{index}.json")), "{message}");
    }
}

#[test]
fn a_missing_file_is_named() {
    let dir = temp_dir();
    let missing = dir.path().join("nope.json");
    let error = SimSignaturePad::from_file(&missing).expect_err("missing");
    assert!(
        error.to_string().contains(&missing.display().to_string()),
        "{error}"
    );
    assert_eq!(error.device(), Device::SignaturePad);
}
