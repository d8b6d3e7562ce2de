use super::*;
use image::Rgb;

fn policy() -> MatchPolicy {
    MatchPolicy {
        pass_at_most: 0.4,
        review_at_most: 0.5,
        min_frames: 3,
        model_version: "sim-policy".into(),
    }
}

fn frames(count: usize) -> Vec<Frame> {
    (0..count)
        .map(|i| {
            Frame::now(
                RgbImage::from_pixel(64, 48, Rgb([20, 60, 200])),
                i as u64 * 100,
            )
        })
        .collect()
}

fn scores() -> SimScores {
    SimScores {
        face_distance: 0.3,
        one_face_fraction: 1.0,
        speech_secs: 2.0,
        lip_sync: 0.6,
        photo_distance: 0.3,
    }
}

fn liveness(matcher: &mut SimFaceMatcher, id_photo: Option<&[u8]>) -> Verdict {
    let frames = frames(10);
    let audio = AudioClip {
        sample_rate: 16_000,
        samples: vec![0; 64_000],
    };
    let challenge =
        Challenge::from_digits(&[1, 2, 3, 4, 5, 6], zk_domain::Timestamp::from_millis(0)).unwrap();
    let recorded = crate::clip::RecordedClip::aligned(frames, audio);
    let clip = recorded.liveness(&challenge);
    matcher.check_liveness(&clip, id_photo, &policy()).unwrap()
}

#[test]
fn scripted_scores_go_through_the_real_rules() {
    let photo: &[u8] = &[1, 2, 3];
    let cases = [
        (scores(), Decision::Pass),
        (
            SimScores {
                one_face_fraction: 0.8,
                ..scores()
            },
            Decision::Fail(ReasonCode::NoFace),
        ),
        (
            SimScores {
                speech_secs: 0.0,
                ..scores()
            },
            Decision::Fail(ReasonCode::NoSpeech),
        ),
        (
            SimScores {
                speech_secs: 0.5,
                ..scores()
            },
            Decision::Fail(ReasonCode::SpeechTooShort),
        ),
        (
            SimScores {
                lip_sync: 0.1,
                ..scores()
            },
            Decision::Fail(ReasonCode::LipSyncLow),
        ),
        (
            SimScores {
                face_distance: 0.45,
                ..scores()
            },
            Decision::Review(ReasonCode::FaceUncertain),
        ),
        (
            SimScores {
                face_distance: 0.7,
                ..scores()
            },
            Decision::Fail(ReasonCode::FaceMismatch),
        ),
    ];
    for (scripted, expected) in cases {
        let mut matcher = SimFaceMatcher::default();
        matcher.push(scripted.clone());
        let verdict = liveness(&mut matcher, Some(photo));
        assert_eq!(verdict.decision, expected, "{scripted:?}");
        assert_eq!(verdict.model_version, "sim-scripted-v1");
        assert!(verdict.scores.iter().any(|s| s.name == "lip_sync"));
    }
    // No card photo: staff compare.
    let mut matcher = SimFaceMatcher::with_default(scores());
    assert_eq!(
        liveness(&mut matcher, None).decision,
        Decision::Review(ReasonCode::PhotoUnavailable)
    );
}

#[test]
fn an_empty_script_is_an_error_not_a_pass() {
    let mut matcher = SimFaceMatcher::default();
    let frames = frames(3);
    let audio = AudioClip {
        sample_rate: 16_000,
        samples: vec![0; 16_000],
    };
    let challenge =
        Challenge::from_digits(&[1, 2, 3, 4], zk_domain::Timestamp::from_millis(0)).unwrap();
    let recorded = crate::clip::RecordedClip::aligned(frames, audio);
    let clip = recorded.liveness(&challenge);
    assert!(matches!(
        matcher.check_liveness(&clip, Some(&[1]), &policy()),
        Err(AppError::Config(_))
    ));
}

#[test]
fn photo_check_crops_to_spec_and_honours_declined_consent() {
    let mut matcher = SimFaceMatcher::with_default(SimScores {
        photo_distance: 0.9,
        ..scores()
    });
    let frame = Frame::now(
        RgbImage::from_fn(1280, 720, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, ((x * y) % 256) as u8])
        }),
        0,
    );
    let check = matcher
        .check_photo(&frame, Some(&[1]), true, &policy())
        .unwrap();
    assert_eq!(
        check.verdict.decision,
        Decision::Fail(ReasonCode::PhotoFaceMismatch)
    );
    let decoded = image::load_from_memory(&check.jpeg).unwrap();
    assert_eq!(
        (decoded.width(), decoded.height()),
        (PHOTO_WIDTH, PHOTO_HEIGHT)
    );
    assert!(
        check.jpeg.len() <= PHOTO_MAX_BYTES,
        "{} bytes",
        check.jpeg.len()
    );

    let declined = matcher
        .check_photo(&frame, Some(&[1]), false, &policy())
        .unwrap();
    assert_eq!(declined.verdict.decision, Decision::Pass);
}

#[test]
fn tiny_frames_are_an_error() {
    let frame = Frame::now(RgbImage::new(4, 4), 0);
    assert!(matches!(
        crop_to_spec(&frame.image),
        Err(AppError::Image(_))
    ));
}

#[test]
fn script_file_errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("matcher.json");
    std::fs::write(&path, r#"{"queue": [{"face_distance": 0.3}]}"#).unwrap();
    match SimFaceMatcher::from_file(&path) {
        Err(AppError::Config(message)) => assert!(message.contains("matcher.json"), "{message}"),
        other => panic!("expected a config error, got {other:?}"),
    }
    assert!(SimFaceMatcher::from_file(&dir.path().join("missing.json")).is_err());
}

#[test]
fn every_other_frame_and_the_last_are_scanned_and_boxes_interpolated_between() {
    use super::guide::FrameFinding;
    use super::vision::{interpolate_boxes, scanned_frames};
    assert_eq!(scanned_frames(7, 2), [0, 2, 4, 6]);
    assert_eq!(scanned_frames(6, 2), [0, 2, 4, 5]);
    assert_eq!(scanned_frames(3, 1), [0, 1, 2]);
    assert_eq!(scanned_frames(0, 2), Vec::<usize>::new());
    let face = |x: f32| zk_vision::FaceBox {
        x,
        y: 10.0,
        width: 100.0,
        height: 120.0,
        score: 5.0,
    };
    let scanned = scanned_frames(6, 2);
    let findings = [
        FrameFinding::InGuide(face(0.0)),
        FrameFinding::OutsideGuide(face(40.0)),
        FrameFinding::NoFace,
        FrameFinding::InGuide(face(80.0)),
    ];
    let boxes = interpolate_boxes(6, &scanned, &findings);
    let xs: Vec<Option<f32>> = boxes.iter().map(|b| b.map(|b| b.x)).collect();
    assert_eq!(
        xs,
        [Some(0.0), Some(20.0), Some(40.0), None, None, Some(80.0)],
        "between two faces: interpolated; next to a frame without one: none"
    );
}
