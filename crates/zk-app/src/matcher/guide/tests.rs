use image::{GrayImage, Luma};

use super::*;

const FRAME: (u32, u32) = (640, 480);

fn face(centre_x: f32, centre_y: f32, width: f32) -> FaceBox {
    FaceBox {
        x: centre_x - width / 2.0,
        y: centre_y - width * 0.6,
        width,
        height: width * 1.2,
        score: 10.0,
    }
}

#[test]
fn the_default_guide_box_is_centred_and_valid() {
    let guide = GuideConfig::default();
    guide.validate().unwrap();
    let (left, top, right, bottom) = guide.rect(640, 480);
    assert_eq!((left, top, right, bottom), (128.0, 24.0, 512.0, 456.0));
    assert!((guide.min_face_px(640) - 115.2).abs() < 1e-3);
    for bad in [
        GuideConfig {
            width: 0.0,
            ..GuideConfig::default()
        },
        GuideConfig {
            height: 1.2,
            ..GuideConfig::default()
        },
        GuideConfig {
            min_face: 0.7,
            ..GuideConfig::default()
        },
        GuideConfig {
            max_face: f64::NAN,
            ..GuideConfig::default()
        },
        GuideConfig {
            min_in_guide_fraction: 0.0,
            ..GuideConfig::default()
        },
    ] {
        let message = bad.validate().unwrap_err();
        assert!(message.starts_with("matcher.guide."), "{message}");
    }
}

#[test]
fn one_face_centred_and_of_a_good_size_is_in_the_guide() {
    let guide = GuideConfig::default();
    let judge = |faces: &[FaceBox]| judge_frame(faces, FRAME, &guide);
    let good = face(320.0, 240.0, 200.0);
    assert_eq!(judge(&[good]), FrameFinding::InGuide(good));
    assert_eq!(judge(&[]), FrameFinding::NoFace);
    // Centre just inside and just outside the box's left edge (x = 128).
    let inside = face(130.0, 240.0, 160.0);
    assert_eq!(judge(&[inside]), FrameFinding::InGuide(inside));
    let outside = face(120.0, 240.0, 160.0);
    assert_eq!(judge(&[outside]), FrameFinding::OutsideGuide(outside));
    let low = face(320.0, 470.0, 160.0);
    assert_eq!(judge(&[low]), FrameFinding::OutsideGuide(low));
    // Size: 115 px is the least, 384 px the most at 640 px.
    let far = face(320.0, 240.0, 100.0);
    assert_eq!(judge(&[far]), FrameFinding::TooSmall(far));
    let near = face(320.0, 240.0, 400.0);
    assert_eq!(judge(&[near]), FrameFinding::TooLarge(near));
    // A second usable face anywhere: several faces.
    assert_eq!(
        judge(&[good, face(560.0, 200.0, 130.0)]),
        FrameFinding::SeveralFaces
    );
    // A small face far behind is background, ignored.
    assert_eq!(
        judge(&[good, face(560.0, 100.0, 50.0)]),
        FrameFinding::InGuide(good)
    );
    // Two small faces of similar size: not one candidate who is too far.
    assert_eq!(
        judge(&[face(250.0, 240.0, 90.0), face(400.0, 240.0, 80.0)]),
        FrameFinding::SeveralFaces
    );
}

#[test]
fn the_clip_needs_nine_tenths_in_the_guide_and_says_the_main_problem() {
    let guide = GuideConfig::default();
    let good = FrameFinding::InGuide(face(320.0, 240.0, 200.0));
    let away = FrameFinding::OutsideGuide(face(60.0, 240.0, 200.0));
    let far = FrameFinding::TooSmall(face(320.0, 240.0, 90.0));
    let near = FrameFinding::TooLarge(face(320.0, 240.0, 420.0));

    let mut findings = vec![good; 9];
    findings.push(away);
    let counts = GuideCounts::of(&findings);
    assert_eq!(counts.in_guide_fraction(), 0.9);
    assert_eq!(counts.failure(&guide), None);

    findings[0] = far;
    findings[1] = far;
    let counts = GuideCounts::of(&findings);
    assert_eq!(counts.failure(&guide), Some(ReasonCode::FaceTooFar));
    findings[2] = near;
    findings[3] = near;
    findings[4] = near;
    assert_eq!(
        GuideCounts::of(&findings).failure(&guide),
        Some(ReasonCode::FaceTooNear)
    );
    let nobody = vec![FrameFinding::NoFace; 5];
    assert_eq!(
        GuideCounts::of(&nobody).failure(&guide),
        Some(ReasonCode::NoFace)
    );
    assert_eq!(
        GuideCounts::default().failure(&guide),
        Some(ReasonCode::NoFace),
        "nothing scanned never passes"
    );
    // One frame with someone else in it fails the clip whatever the rest shows.
    let mut crowded = vec![good; 19];
    crowded.push(FrameFinding::SeveralFaces);
    assert_eq!(
        GuideCounts::of(&crowded).failure(&guide),
        Some(ReasonCode::MultipleFaces)
    );
    let counts = GuideCounts::of(&[good, away, far, near, FrameFinding::NoFace]).as_frame_counts();
    assert_eq!(
        (
            counts.scanned,
            counts.one_face,
            counts.no_face,
            counts.face_too_small
        ),
        (5, 1, 2, 2)
    );
}

#[test]
fn sharpness_ranks_a_detailed_face_above_a_blurred_one() {
    // A checkerboard "face" and its box-blurred copy.
    let sharp = GrayImage::from_fn(200, 200, |x, y| {
        Luma([if (x / 4 + y / 4) & 1 == 0 { 40 } else { 210 }])
    });
    let blurred = image::imageops::blur(&sharp, 3.0);
    let flat = GrayImage::from_pixel(200, 200, Luma([128]));
    let box_ = face(100.0, 100.0, 150.0);
    let scores = [
        face_sharpness(&blurred, &box_),
        face_sharpness(&sharp, &box_),
        face_sharpness(&flat, &box_),
    ];
    assert!(scores[1] > 10.0 * scores[0], "{scores:?}");
    assert_eq!(scores[2], 0.0);
    assert_eq!(sharpest(&scores, 2), vec![1, 0]);
    assert_eq!(
        sharpest(&[1.0, 3.0, 3.0, 2.0], 3),
        vec![1, 2, 3],
        "ties: earlier first"
    );
    // A box outside the picture has no sharpness, and no panic.
    assert_eq!(face_sharpness(&sharp, &face(900.0, 900.0, 100.0)), 0.0);
}

#[test]
fn comparison_quality_prefers_frontal_detailed_sharp_frames() {
    let best = comparison_quality(1.0, 45.0, 100.0, 100.0);
    assert_eq!(best, 1.0);
    assert!(comparison_quality(0.6, 45.0, 100.0, 100.0) < best);
    assert!(comparison_quality(1.0, 20.0, 100.0, 100.0) < best);
    assert!(comparison_quality(1.0, 45.0, 30.0, 100.0) < best);
    assert_eq!(comparison_quality(1.0, 45.0, 0.0, 0.0), 1.0);
}
