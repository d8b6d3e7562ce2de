//! The live preview's cost per frame: a 640×480 camera frame (a real face from the dev set,
//! Barack_Obama/2.jpg, in a grey scene) scaled to 320 px, searched for faces, judged against
//! the guide box and encoded as JPEG — what the preview worker does for each of the ≥ 15 frames
//! a second it sends. 1000 / (ms per frame) is the rate one core sustains.
//!
//!   ZK_FACES_DIR=/work/shared/data/faces cargo bench -p zk-app --bench preview
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};
use image::imageops::FilterType;
use image::{Rgb, RgbImage};
use zk_app::matcher::GuideConfig;
use zk_app::preview::render;
use zk_vision::{DetectorConfig, FaceDetector};

fn faces_dir() -> PathBuf {
    std::env::var_os("ZK_FACES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/faces"))
}

fn frame() -> RgbImage {
    let path = faces_dir().join("Barack_Obama/2.jpg");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; point ZK_FACES_DIR at the dev face set",
            path.display()
        )
    });
    let photo = zk_vision::decode_image(&bytes).unwrap();
    let scaled = image::imageops::resize(
        &photo,
        360,
        360 * photo.height() / photo.width(),
        FilterType::Triangle,
    );
    let mut frame = RgbImage::from_pixel(640, 480, Rgb([120, 130, 140]));
    image::imageops::overlay(&mut frame, &scaled, 140, 0);
    frame
}

fn bench(c: &mut Criterion) {
    let detector = FaceDetector::new(DetectorConfig::default()).unwrap();
    let guide = GuideConfig::default();
    let frame = frame();
    let rendered = render(&frame, Some(&detector), &guide, 320, 70).unwrap();
    assert_eq!(rendered.faces, 1, "the bench frame must show one face");
    println!("preview frame: {} bytes of JPEG", rendered.jpeg.len());
    c.bench_function("preview_frame_640x480_to_320", |b| {
        b.iter(|| render(&frame, Some(&detector), &guide, 320, 70).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
