use image::Rgb;

use super::*;

#[test]
fn a_missing_model_stops_start_up_with_what_to_do() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let error = SpeechLiveness::open(dir.path()).expect_err("no model");
    let message = error.to_string();
    assert!(message.contains("scripts/fetch-models.sh"), "{message}");
    assert!(message.contains(zk_liveness::SILERO_VAD_FILE), "{message}");
}

#[test]
fn grey_is_the_rec_601_luma() {
    let mut image = RgbImage::from_pixel(2, 1, Rgb([255, 255, 255]));
    image.put_pixel(1, 0, Rgb([255, 0, 0]));
    let frame = gray(&image);
    assert_eq!((frame.width, frame.height), (2, 1));
    assert_eq!(frame.pixels, [255, 76]);
}
