use std::sync::mpsc::channel;
use std::time::Duration;

use image::{Rgb, RgbImage};
use zk_drivers::{Camera, SimCamera};
use zk_vision::{DetectorConfig, FaceDetector};

use super::*;
use crate::matcher::guide::GuideConfig;

fn face_photo() -> RgbImage {
    let dir = std::env::var_os("ZK_FACES_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/faces")
        });
    let path = dir.join("Barack_Obama/2.jpg");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; point ZK_FACES_DIR at the dev face set",
            path.display()
        )
    });
    zk_vision::decode_image(&bytes).unwrap()
}

/// The photo centred in a 640×480 grey frame (the kiosk camera's size).
fn kiosk_frame(photo: &RgbImage) -> RgbImage {
    let scaled = image::imageops::resize(
        photo,
        360,
        360 * photo.height() / photo.width(),
        FilterType::Triangle,
    );
    let mut frame = RgbImage::from_pixel(640, 480, Rgb([120, 130, 140]));
    let x = (640 - scaled.width()) / 2;
    let y = 480u32.saturating_sub(scaled.height()) / 2;
    image::imageops::overlay(&mut frame, &scaled, i64::from(x), i64::from(y));
    frame
}

#[test]
fn the_phase_clock_offers_at_most_fps_frames_and_counts_down() {
    let mut clock = PhaseClock::new(
        PreviewStep::Photo,
        PreviewPhase::Framing,
        Duration::from_secs(3),
        15.0,
    );
    // A 30 fps camera for 3 s, starting at 1000 ms camera time.
    let offered: Vec<(u64, u64)> = (0..90u64)
        .map(|i| 1_000 + i * 1_000 / 30)
        .filter_map(|at| clock.admit(at).map(|left| (at, left)))
        .collect();
    assert!(
        (44..=46).contains(&offered.len()),
        "{} offered",
        offered.len()
    );
    assert_eq!(offered[0], (1_000, 3_000));
    let (last_at, last_left) = *offered.last().unwrap();
    assert_eq!(last_left, 3_000 - (last_at - 1_000));
    assert!(
        offered.windows(2).all(|w| w[1].1 < w[0].1),
        "time left falls"
    );

    // A 10 fps camera is not thinned.
    let mut clock = PhaseClock::new(
        PreviewStep::Liveness,
        PreviewPhase::Recording,
        Duration::from_secs(1),
        15.0,
    );
    assert_eq!(
        (0..10u64)
            .filter(|i| clock.admit(i * 100).is_some())
            .count(),
        10
    );
    // Past the end the time left is 0, not negative.
    assert_eq!(clock.admit(5_000), Some(0));

    // No preview: nothing is offered.
    let mut off = PhaseClock::new(
        PreviewStep::Photo,
        PreviewPhase::Framing,
        Duration::from_secs(1),
        0.0,
    );
    assert!((0..10u64).all(|i| off.admit(i * 100).is_none()));
}

#[test]
fn a_rendered_frame_has_the_face_box_and_the_guide_verdict() {
    let detector = FaceDetector::new(DetectorConfig::default()).unwrap();
    let guide = GuideConfig::default();
    let frame = render(
        &kiosk_frame(&face_photo()),
        Some(&detector),
        &guide,
        320,
        70,
    )
    .unwrap();
    assert_eq!((frame.width, frame.height), (320, 240));
    assert_eq!(frame.faces, 1);
    let face = frame.face.unwrap();
    let centre = (face.x + face.width / 2.0, face.y + face.height / 2.0);
    assert!(
        (0.4..0.6).contains(&centre.0) && (0.3..0.7).contains(&centre.1),
        "{face:?}"
    );
    assert_eq!(frame.hint, GuideHint::Good, "{frame:?}");
    let decoded = image::load_from_memory(&frame.jpeg).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (320, 240));

    // The face far off to the side: found, but outside the guide.
    let photo = face_photo();
    let small = image::imageops::resize(
        &photo,
        200,
        200 * photo.height() / photo.width(),
        FilterType::Triangle,
    );
    let mut aside = RgbImage::from_pixel(640, 480, Rgb([120, 130, 140]));
    image::imageops::overlay(&mut aside, &small, 0, 0);
    let loose = GuideConfig {
        min_face: 0.1,
        ..GuideConfig::default()
    };
    let frame = render(&aside, Some(&detector), &loose, 320, 70).unwrap();
    assert_eq!(frame.faces, 1);
    assert_eq!(frame.hint, GuideHint::Outside, "{frame:?}");

    // Centred but small: come closer. The same limits, tightened: move back.
    let mut far = RgbImage::from_pixel(640, 480, Rgb([120, 130, 140]));
    image::imageops::overlay(&mut far, &small, 220, 140);
    let frame = render(&far, Some(&detector), &guide, 320, 70).unwrap();
    assert_eq!(frame.faces, 1, "{frame:?}");
    let face = frame.face.unwrap();
    let strict = GuideConfig {
        min_face: face.width * 1.5,
        max_face: (face.width * 3.0).min(1.0),
        ..GuideConfig::default()
    };
    assert_eq!(
        render(&far, Some(&detector), &strict, 320, 70)
            .unwrap()
            .hint,
        GuideHint::Closer
    );
    let near = GuideConfig {
        min_face: face.width / 3.0,
        max_face: face.width / 1.5,
        ..GuideConfig::default()
    };
    assert_eq!(
        render(&far, Some(&detector), &near, 320, 70).unwrap().hint,
        GuideHint::Further
    );

    // An empty scene: no face, no verdict.
    let empty = RgbImage::from_pixel(640, 480, Rgb([120, 130, 140]));
    let frame = render(&empty, Some(&detector), &guide, 320, 70).unwrap();
    assert_eq!(
        (frame.faces, frame.face, frame.hint),
        (0, None, GuideHint::NoFace)
    );

    // A broken frame is an error, not a panic.
    assert!(render(&RgbImage::new(4, 4), Some(&detector), &guide, 320, 70).is_err());
}

#[test]
fn frames_read_through_the_tap_reach_the_listener_with_their_phase() {
    let (sender, events) = channel();
    let config = PreviewConfig::default();
    let tap = PreviewTap::spawn(&config, GuideConfig::default(), sender)
        .unwrap()
        .unwrap();
    let mut sim = SimCamera::from_images(vec![kiosk_frame(&face_photo())], 30.0).unwrap();
    let clock = PhaseClock::new(
        PreviewStep::Photo,
        PreviewPhase::Framing,
        Duration::from_secs(2),
        config.fps,
    );
    let mut camera = TapCamera::new(&mut sim, Some(&tap), clock);
    assert_eq!(camera.frame_rate(), 30.0);
    let last = camera.run_for(Duration::from_secs(2)).unwrap();
    // 2 s at 30 fps: 60 frames read; the last one is the photo.
    assert!(
        (1_966..=1_967).contains(&last.captured_at_ms),
        "{}",
        last.captured_at_ms
    );
    drop(tap);
    let frames: Vec<PreviewFrame> = events
        .iter()
        .map(|event| match event {
            KioskEvent::CameraFrame(frame) => frame,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    // The simulator does not wait, so the worker drops what it cannot keep up with; at least the
    // first frame arrives, in order, with its phase.
    assert!(!frames.is_empty());
    assert!(
        frames.len() <= 30,
        "{} frames: more than 15 a second",
        frames.len()
    );
    assert!(frames.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(frames
        .iter()
        .all(|f| f.step == PreviewStep::Photo && f.phase == PreviewPhase::Framing));
    assert_eq!(frames[0].remaining_ms, 2_000);
    assert_eq!(frames[0].faces, 1);

    // Without a preview the camera works the same.
    let mut sim = SimCamera::from_images(vec![kiosk_frame(&face_photo())], 10.0).unwrap();
    let clock = PhaseClock::new(
        PreviewStep::Photo,
        PreviewPhase::Framing,
        Duration::ZERO,
        15.0,
    );
    let mut camera = TapCamera::new(&mut sim, None, clock);
    assert_eq!(
        camera.run_for(Duration::ZERO).unwrap().captured_at_ms,
        0,
        "one frame at least"
    );
}

#[test]
fn bad_settings_are_refused() {
    let bad = PreviewConfig {
        fps: 120.0,
        ..PreviewConfig::default()
    };
    assert!(bad.validate().is_err());
    assert_eq!(
        PreviewConfig::default().lead_in(6),
        Duration::from_millis(6_100)
    );
    let (sender, _events) = channel();
    let off = PreviewConfig {
        fps: 0.0,
        ..PreviewConfig::default()
    };
    assert!(PreviewTap::spawn(&off, GuideConfig::default(), sender)
        .unwrap()
        .is_none());
}

#[test]
fn the_oval_to_draw_is_centred_head_shaped_and_within_the_rules() {
    let guide = GuideConfig::default();
    let oval = target_oval(&guide, 320, 240);
    assert!((oval.x + oval.width / 2.0 - 0.5).abs() < 1e-9);
    assert!((oval.y + oval.height / 2.0 - 0.5).abs() < 1e-9);
    // A face as wide as the oval is neither too small nor too large.
    assert!(
        oval.width > guide.min_face && oval.width < guide.max_face,
        "{oval:?}"
    );
    // Taller than wide in pixels, and inside the box the face's centre must stay in.
    assert!(oval.height * 240.0 > oval.width * 320.0, "{oval:?}");
    assert!(oval.height <= guide.height && oval.width <= guide.width);
    // A portrait frame: the same width fraction, a smaller height fraction.
    let portrait = target_oval(&guide, 240, 320);
    assert!((portrait.width - oval.width).abs() < 1e-9);
    assert!(portrait.height < oval.height);
    // A tight guide box bounds it.
    let tight = GuideConfig {
        width: 0.2,
        height: 0.3,
        ..GuideConfig::default()
    };
    let small = target_oval(&tight, 320, 240);
    assert!(small.width <= 0.2 && small.height <= 0.3, "{small:?}");
}

#[test]
fn the_card_guide_has_the_cards_shape_inside_the_frame() {
    for (width, height) in [(320, 240), (320, 180), (240, 320)] {
        let guide = card_guide(width, height);
        let ratio = (guide.width * f64::from(width)) / (guide.height * f64::from(height));
        assert!(
            (ratio - 85.6 / 54.0).abs() < 0.01,
            "{width}×{height}: {ratio}"
        );
        assert!(guide.x >= 0.0 && guide.y >= 0.0, "{guide:?}");
        assert!(guide.x + guide.width <= 1.0 && guide.y + guide.height <= 1.0);
        assert!(guide.width >= 0.5 || guide.height >= 0.75, "{guide:?}");
    }
}

#[test]
fn a_card_frame_is_rendered_without_looking_for_faces() {
    let frame = render(
        &kiosk_frame(&face_photo()),
        None,
        &GuideConfig::default(),
        320,
        70,
    )
    .unwrap();
    assert_eq!(frame.faces, 0);
    assert_eq!(frame.hint, GuideHint::NoFace);
    assert!(!frame.jpeg.is_empty());
}
