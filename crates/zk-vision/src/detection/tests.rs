#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use image::Rgb;

use super::*;

fn detector() -> FaceDetector {
    FaceDetector::new(DetectorConfig::default()).unwrap()
}

#[test]
fn the_bundled_model_is_the_recorded_file() {
    // assets/models/README.md records this size and sha256.
    assert_eq!(SEETA_MODEL.len(), 1_209_904);
}

#[test]
fn settings_rustface_would_panic_on_are_refused() {
    let check = |change: fn(&mut DetectorConfig), field: &str| {
        let mut config = DetectorConfig::default();
        change(&mut config);
        let error = FaceDetector::new(config).unwrap_err();
        assert!(error.to_string().contains(field), "{error}");
    };
    check(|config| config.min_face_px = 10.0, "min_face_px");
    check(|config| config.min_face_px = f32::NAN, "min_face_px");
    check(|config| config.max_side_px = 10, "max_side_px");
    check(|config| config.score_threshold = 0.0, "score_threshold");
    check(|config| config.pyramid_scale = 0.995, "pyramid_scale");
    check(|config| config.window_step_px = 0, "window_step_px");
    check(|config| config.pad_fraction = 1.5, "pad_fraction");
    DetectorConfig::default().validate().unwrap();
}

#[test]
fn frames_are_downscaled_for_the_smallest_wanted_face() {
    let config = DetectorConfig::default();
    // A 640×480 frame searched for faces of 80 px or more: detected at 60 %.
    assert!((config.detection_scale(640, 480, 80.0) - 0.6).abs() < 1e-6);
    // Never upscaled.
    assert_eq!(config.detection_scale(102, 126, 32.0), 1.0);
    assert_eq!(config.detection_scale(640, 480, 48.0), 1.0);
    // Big photos are capped by max_side_px.
    assert!((config.detection_scale(4096, 3072, 48.0) - 0.25).abs() < 1e-6);
}

#[test]
fn blank_tiny_and_odd_images_give_no_face_or_a_typed_error() {
    let detector = detector();
    let blank = RgbImage::from_pixel(320, 240, Rgb([128, 128, 128]));
    assert_eq!(detector.detect(&blank).unwrap(), Vec::new());
    let noise = RgbImage::from_fn(200, 150, |x, y| {
        let value = ((x * 7919 + y * 104_729) % 251) as u8;
        Rgb([value, value.wrapping_mul(3), value.wrapping_add(91)])
    });
    detector.detect(&noise).unwrap();
    for (width, height) in [(1, 1), (19, 300), (300, 19), (0, 0)] {
        let tiny = RgbImage::new(width, height);
        assert!(
            matches!(
                detector.detect(&tiny),
                Err(VisionError::ImageTooSmall { min_side: 20, .. })
            ),
            "{width}×{height}"
        );
    }
    // Just big enough, a long strip, and a strip that shrinks below the window when scaled.
    for (width, height) in [
        (20, 20),
        (21, 39),
        (39, 21),
        (1000, 24),
        (24, 1000),
        (4000, 30),
    ] {
        let image = RgbImage::from_pixel(width, height, Rgb([200, 180, 160]));
        let faces = detector.detect(&image).unwrap();
        assert!(faces.is_empty(), "{width}×{height}: {faces:?}");
    }
}

#[test]
fn face_box_geometry() {
    let face = FaceBox {
        x: 10.0,
        y: 20.0,
        width: 40.0,
        height: 50.0,
        score: 3.0,
    };
    assert_eq!(face.area(), 2000.0);
    assert_eq!(face.centre(), (30.0, 45.0));
    let wide = face.scaled(2.0);
    assert_eq!(
        (wide.x, wide.y, wide.width, wide.height),
        (-10.0, -5.0, 80.0, 100.0)
    );
    assert_eq!(wide.centre(), face.centre());
    assert_eq!(face.shifted(-10.0, 5.0).centre(), (20.0, 50.0));
}
