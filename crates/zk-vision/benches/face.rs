//! Face benchmarks on this project's target machine (2 cores, no GPU). Targets from the brief:
//! 1. detect + align + embed one 640×480 camera frame: ≤ 60 ms on one core;
//! 2. the whole ID-photo-versus-clip decision (ID photo bytes → template, then a 30-frame clip:
//!    scan 6 frames, embed them on the worker while detecting, compare the best 5): ≤ 300 ms.
//!
//! Run with `OPENBLAS_NUM_THREADS=1 cargo bench -p zk-vision` (one core for the kiosk's
//! vision work). Needs the dev face set and the models (scripts/fetch-models.sh).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/faces/support.rs"]
#[allow(dead_code)]
mod support;

// The synthetic blue-background photos of the photo tests (their #[test]s are not compiled here).
#[path = "../tests/faces/photo.rs"]
#[allow(dead_code, unused_imports)]
mod photo;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use image::RgbImage;
use zk_domain::MatchPolicy;
use zk_vision::{DEFAULT_PASS_AT_MOST, DEFAULT_REVIEW_AT_MOST};

fn policy() -> MatchPolicy {
    MatchPolicy {
        pass_at_most: DEFAULT_PASS_AT_MOST,
        review_at_most: DEFAULT_REVIEW_AT_MOST,
        min_frames: 3,
        model_version: "bench".into(),
    }
}

fn face(c: &mut Criterion) {
    let verifier = support::verifier();
    let images = support::images();
    let person = &images["Alex_Lacamoire/3.jpg"];
    let frame = support::camera_frame(person, 190.0, (0.0, -20.0), false);

    // Frames are searched for faces of at least `frame_min_face_px` (96 px), so rustface sees
    // them at half size; `detect_full_size` is the same frame without that downscale.
    let min_face = verifier.config().frame_min_face_px;
    let mut group = c.benchmark_group("frame_640x480");
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("detect_full_size", |b| {
        b.iter(|| verifier.detector().detect_at_least(&frame, 48.0).unwrap())
    });
    group.bench_function("detect", |b| {
        b.iter(|| {
            verifier
                .detector()
                .detect_at_least(&frame, min_face)
                .unwrap()
        })
    });
    let faces = verifier
        .detector()
        .detect_at_least(&frame, min_face)
        .unwrap();
    group.bench_function("align", |b| {
        b.iter(|| verifier.embedder().landmarks(&frame, &faces[..1]).unwrap())
    });
    group.bench_function("align_embed", |b| {
        b.iter(|| verifier.embedder().embed(&frame, &faces[..1]).unwrap())
    });
    group.bench_function("detect_align_embed", |b| {
        b.iter(|| verifier.single_face(&frame, min_face).unwrap())
    });
    group.finish();

    let chip = support::chip_photo(&images["Alex_Lacamoire/2.jpg"]);
    let sources: Vec<&RgbImage> = ["Alex_Lacamoire/1.png", "Alex_Lacamoire/3.jpg"]
        .iter()
        .map(|name| &images[*name])
        .collect();
    // 30 frames: the six synthetic poses repeated, as a 2-3 s clip at 10-15 fps would give.
    let six = support::clip(&sources);
    let clip: Vec<RgbImage> = six.iter().cycle().take(30).cloned().collect();
    let frames: Vec<&RgbImage> = clip.iter().collect();
    let policy = policy();

    let mut group = c.benchmark_group("decision");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("id_photo_template_102x126", |b| {
        b.iter(|| verifier.id_template(&chip).unwrap())
    });
    let id = verifier.id_template(&chip).unwrap();
    group.bench_function("clip_30_frames", |b| {
        b.iter(|| verifier.verify_clip(&id, &frames, &policy).unwrap())
    });
    group.bench_function("id_photo_and_clip_30_frames", |b| {
        b.iter(|| {
            let id = verifier.id_template(&chip).unwrap();
            verifier.verify_clip(&id, &frames, &policy).unwrap()
        })
    });
    group.finish();
}

/// The registration-photo check (detect, align + embed, all measures) and fix (check, crop,
/// Lanczos3 to 480×640, JPEG quality search) on a 640×480 kiosk frame on ID blue.
fn photo_check(c: &mut Criterion) {
    use zk_vision::{check_photo, fix_photo, render_fixed, PhotoSpec};

    let verifier = support::verifier();
    let frame = photo::photo(
        "Barack_Obama/1.jpg",
        (640, 480),
        photo::FRAME,
        photo::ID_BLUE,
    );
    let spec = PhotoSpec::default();
    let report = check_photo(verifier, &frame, &spec).unwrap();
    assert!(report.passed(), "the bench frame should pass: {report:?}");

    let mut group = c.benchmark_group("photo_check");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("check_640x480", |b| {
        b.iter(|| check_photo(verifier, &frame, &spec).unwrap())
    });
    group.bench_function("measures_only", |b| {
        b.iter(|| zk_vision::photo::report_for(&frame, report.embedding.clone(), &spec).unwrap())
    });
    group.bench_function("render_and_encode_only", |b| {
        b.iter(|| render_fixed(&frame, report.clone(), &spec).unwrap())
    });
    group.bench_function("fix_640x480", |b| {
        b.iter(|| fix_photo(verifier, &frame, &spec).unwrap())
    });
    group.finish();
}

criterion_group!(benches, face, photo_check);
criterion_main!(benches);
