use std::time::Instant;

use image::Rgb;

use super::*;
use crate::error::DeviceErrorKind;
use crate::testing::{png, shipped, temp_dir, write};

const RED: [u8; 3] = [200, 0, 0];
const GREEN: [u8; 3] = [0, 200, 0];
const BLUE: [u8; 3] = [0, 0, 200];

fn colour(frame: &Frame) -> [u8; 3] {
    frame.image.get_pixel(0, 0).0
}

#[test]
fn replays_files_in_order_looped_with_frame_index_timestamps() {
    let dir = temp_dir();
    let paths = vec![
        png(dir.path(), "1.png", RED),
        png(dir.path(), "2.png", GREEN),
        png(dir.path(), "3.png", BLUE),
    ];
    let mut camera = SimCamera::from_files(paths, 10.0).expect("the images load");
    assert_eq!(camera.frame_rate(), 10.0);
    let frames: Vec<Frame> = (0..7).map(|_| camera.frame().expect("a frame")).collect();
    let colours: Vec<[u8; 3]> = frames.iter().map(colour).collect();
    assert_eq!(colours, [RED, GREEN, BLUE, RED, GREEN, BLUE, RED]);
    let times: Vec<u64> = frames.iter().map(|frame| frame.captured_at_ms).collect();
    assert_eq!(times, [0, 100, 200, 300, 400, 500, 600]);
    assert_eq!((frames[0].image.width(), frames[0].image.height()), (4, 3));
}

#[test]
fn timestamps_round_to_the_nearest_millisecond() {
    let mut camera = SimCamera::from_images(vec![RgbImage::new(2, 2)], 15.0).expect("a camera");
    let times: Vec<u64> = (0..5)
        .map(|_| camera.frame().expect("a frame").captured_at_ms)
        .collect();
    assert_eq!(times, [0, 67, 133, 200, 267]);
}

#[test]
fn a_broken_image_file_is_corrupt_data_naming_the_file() {
    let dir = temp_dir();
    let good = png(dir.path(), "good.png", RED);
    let broken = write(dir.path(), "broken.jpg", b"\xFF\xD8\xFF\xE0 truncated JPEG");
    let error = SimCamera::from_files(vec![good, broken.clone()], 15.0).expect_err("broken image");
    assert_eq!(error.kind(), DeviceErrorKind::CorruptData, "{error}");
    assert!(
        error.to_string().contains(&broken.display().to_string()),
        "{error}"
    );
    assert!(
        error.to_string().contains("not a decodable image"),
        "{error}"
    );
}

#[test]
fn a_missing_image_file_is_named() {
    let dir = temp_dir();
    let missing = dir.path().join("missing.png");
    let error = SimCamera::from_files(vec![missing.clone()], 15.0).expect_err("missing");
    assert_eq!(error.kind(), DeviceErrorKind::Disconnected);
    assert!(
        error.to_string().contains(&missing.display().to_string()),
        "{error}"
    );
}

#[test]
fn bad_frame_rates_and_empty_lists_are_unsupported() {
    for rate in [0.0, -5.0, f32::NAN, f32::INFINITY, 1000.0] {
        let error = SimCamera::from_images(vec![RgbImage::new(1, 1)], rate).expect_err("bad rate");
        assert_eq!(error.kind(), DeviceErrorKind::Unsupported, "{rate}");
        assert!(error.to_string().contains("frame rate"), "{error}");
    }
    let error = SimCamera::from_files(Vec::new(), 15.0).expect_err("no images");
    assert_eq!(error.kind(), DeviceErrorKind::Unsupported);
    assert!(error.to_string().contains("at least one image"), "{error}");
}

#[test]
fn a_script_mixes_images_and_faults_and_loops() {
    let dir = temp_dir();
    std::fs::create_dir(dir.path().join("frames")).expect("mkdir");
    png(&dir.path().join("frames"), "a.png", RED);
    png(&dir.path().join("frames"), "b.png", GREEN);
    let script = write(
        dir.path(),
        "camera.json",
        r#"[{"image": "frames/a.png"}, {"fault": "unplug"}, {"image": "frames/b.png"}, {"fault": "timeout"}]"#,
    );
    let mut camera = SimCamera::from_script(&script, 20.0).expect("the script loads");
    let mut seen = Vec::new();
    for _ in 0..6 {
        seen.push(match camera.frame() {
            Ok(frame) => format!("{:?}@{}", colour(&frame), frame.captured_at_ms),
            Err(error) => format!("{:?}", error.kind()),
        });
    }
    assert_eq!(
        seen,
        [
            "[200, 0, 0]@0",
            "Disconnected",
            "[0, 200, 0]@100",
            "Timeout",
            "[200, 0, 0]@200",
            "Disconnected"
        ]
    );
}

#[test]
fn malformed_camera_scripts_name_file_and_line() {
    let dir = temp_dir();
    let script = write(
        dir.path(),
        "camera.json",
        "[\n{\"image\": \"a.png\"},\n{\"picture\": \"b.png\"}\n]",
    );
    let error = SimCamera::from_script(&script, 15.0).expect_err("bad event");
    assert!(
        matches!(&error, DeviceError::SimScript { line: 3, .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("unknown variant `picture`"),
        "{error}"
    );
    assert!(error.to_string().contains("camera.json"), "{error}");
}

#[test]
fn injected_faults_reach_a_boxed_camera_without_advancing_the_script() {
    let camera = SimCamera::from_images(
        vec![
            RgbImage::from_pixel(1, 1, Rgb(RED)),
            RgbImage::from_pixel(1, 1, Rgb(BLUE)),
        ],
        10.0,
    )
    .expect("a camera");
    let faults = camera.faults();
    let mut boxed: Box<dyn Camera> = Box::new(camera);
    assert_eq!(colour(&boxed.frame().expect("frame")), RED);
    faults.push(SimFault::Busy);
    faults.push(SimFault::Corrupt);
    assert_eq!(faults.len(), 2);
    assert_eq!(
        boxed.frame().map_err(|error| error.kind()).err(),
        Some(DeviceErrorKind::Busy)
    );
    assert_eq!(
        boxed.frame().map_err(|error| error.kind()).err(),
        Some(DeviceErrorKind::CorruptData)
    );
    assert!(faults.is_empty());
    let next = boxed.frame().expect("frame");
    assert_eq!(colour(&next), BLUE, "the script resumes where it was");
    assert_eq!(
        next.captured_at_ms, 300,
        "faulted calls still took a frame's time"
    );
}

#[test]
fn card_only_faults_are_unsupported_on_a_camera() {
    let camera = SimCamera::from_images(vec![RgbImage::new(1, 1)], 10.0).expect("a camera");
    camera.faults().push(SimFault::Removed);
    let mut camera = camera;
    let error = camera.frame().expect_err("fault");
    assert_eq!(error.kind(), DeviceErrorKind::Unsupported);
    assert_eq!(error.device(), Device::Camera);
}

#[test]
fn realtime_paces_frames_and_is_off_by_default() {
    let mut fast = SimCamera::from_images(vec![RgbImage::new(1, 1)], 1.0).expect("a camera");
    let started = Instant::now();
    for _ in 0..3 {
        fast.frame().expect("frame");
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a 1 fps camera does not sleep unless realtime"
    );

    let mut paced = SimCamera::from_images(vec![RgbImage::new(1, 1)], 50.0)
        .expect("a camera")
        .realtime(true);
    let started = Instant::now();
    for _ in 0..4 {
        paced.frame().expect("frame");
    }
    assert!(
        started.elapsed() >= Duration::from_millis(60),
        "4 frames at 50 fps span at least 60 ms"
    );
}

#[test]
fn realtime_skips_the_frames_due_while_nobody_read_like_a_real_camera() {
    let images: Vec<RgbImage> = (0..10u8)
        .map(|index| RgbImage::from_pixel(1, 1, Rgb([index, 0, 0])))
        .collect();
    let mut camera = SimCamera::from_images(images, 50.0)
        .expect("a camera")
        .realtime(true);
    let first = camera.frame().expect("frame");
    assert_eq!((first.captured_at_ms, colour(&first)[0]), (0, 0));
    std::thread::sleep(Duration::from_millis(130));
    let asked = Instant::now();
    let next = camera.frame().expect("frame");
    assert!(
        asked.elapsed() < Duration::from_millis(15),
        "the frame being captured now comes at once, not a backlog"
    );
    assert!(
        (120..=160).contains(&next.captured_at_ms),
        "timestamps follow the time that passed: {}",
        next.captured_at_ms
    );
    assert_eq!(
        u64::from(colour(&next)[0]),
        next.captured_at_ms / 20 % 10,
        "the script moved on with time"
    );
    let after = camera.frame().expect("frame");
    assert_eq!(after.captured_at_ms, next.captured_at_ms + 20);
    let gap = after.captured_at.duration_since(next.captured_at);
    assert_eq!(
        gap,
        Duration::from_millis(20),
        "captured_at follows the timestamps"
    );
}

#[test]
fn unpaced_frames_carry_the_instants_they_would_have_had() {
    let mut camera = SimCamera::from_images(vec![RgbImage::new(1, 1)], 10.0).expect("a camera");
    let frames: Vec<Frame> = (0..5).map(|_| camera.frame().expect("frame")).collect();
    let span = frames[4].captured_at.duration_since(frames[0].captured_at);
    assert_eq!(span, Duration::from_millis(400));
}

#[test]
fn frame_debug_shows_size_not_pixels() {
    let frame = Frame::now(RgbImage::from_pixel(640, 480, Rgb([1, 2, 3])), 42);
    let debug = format!("{frame:?}");
    assert_eq!(
        debug,
        "Frame { width: 640, height: 480, captured_at_ms: 42 }"
    );
    let camera = SimCamera::from_images(vec![frame.image], 15.0).expect("a camera");
    assert!(format!("{camera:?}").len() < 120, "{camera:?}");
}

#[test]
fn the_shipped_demo_photos_decode() {
    let names = [
        "demo/candidate-a-id.jpg",
        "demo/candidate-a-live.jpg",
        "demo/candidate-b-id.jpg",
        "demo/candidate-b-live.jpg",
        "demo/candidate-c-id.png",
        "demo/candidate-c-live.png",
    ];
    let paths = names.iter().map(|name| shipped(name)).collect();
    let mut camera = SimCamera::from_files(paths, 15.0).expect("every demo photo decodes");
    let sizes: Vec<(u32, u32)> = (0..names.len())
        .map(|_| camera.frame().expect("frame"))
        .map(|f| (f.image.width(), f.image.height()))
        .collect();
    assert_eq!(
        sizes,
        [
            (630, 374),
            (1200, 599),
            (1280, 799),
            (577, 880),
            (150, 150),
            (150, 150)
        ]
    );
}
