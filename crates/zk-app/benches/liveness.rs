//! Time to judge one 5 s liveness clip end to end, without ASR: 50 frames (640×480 at the
//! kiosk's 10 fps) of a real face (the dev set's Barack_Obama/2.jpg) whose mouth moves with a
//! committed espeak reading, and that reading's 5 s of 16 kHz audio.
//!
//! - `speech_judge_5s`: `SpeechLiveness` alone: Silero VAD + face detection on every 2nd frame
//!   + lip sync (the judge finds the faces itself).
//! - `liveness_step_5s`: `VisionFaceMatcher::check_liveness` as the kiosk runs it: face
//!   detection on every 2nd frame (two threads) against the guide box, VAD (second thread) +
//!   lip sync on those faces, and the identity (7 sharpest frames embedded by dlib, 5 compared
//!   with a chip-like ID photo).
//!
//!   ZK_FACES_DIR=/work/shared/data/faces cargo bench -p zk-app --bench liveness
//!
//! Needs the models (scripts/fetch-models.sh), the face set and tests/fixtures/speech.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use image::imageops::FilterType;
use image::{DynamicImage, Rgb, RgbImage};
use zk_app::clip::RecordedClip;
use zk_app::matcher::{FaceMatcher, LivenessJudge, SpeechLiveness};
use zk_app::VisionFaceMatcher;
use zk_domain::{Challenge, MatchPolicy, Timestamp};
use zk_drivers::{AudioClip, Frame};
use zk_vision::{decode_image, FaceVerifier, ModelPaths, VerifierConfig};

const FPS: usize = 10;
const SECS: usize = 5;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn faces_dir() -> PathBuf {
    let dir = std::env::var_os("ZK_FACES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/data/faces"));
    assert!(
        dir.join("pairs.csv").is_file(),
        "the dev face set is missing: {}; point ZK_FACES_DIR at it",
        dir.display()
    );
    dir
}

fn reading() -> AudioClip {
    let path = repo_root().join("tests/fixtures/speech/d03-558203.wav");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run scripts/make-speech-fixtures.sh",
            path.display()
        )
    });
    let mut audio = AudioClip::from_wav_bytes(&bytes).unwrap();
    audio.samples.resize(16_000 * SECS, 0);
    audio
}

/// Mouth opening per frame from the audio's log energy.
fn opening(audio: &AudioClip) -> Vec<f64> {
    let per_frame = 16_000 / FPS;
    let energy: Vec<f64> = (0..SECS * FPS)
        .map(|index| {
            let window = &audio.samples[index * per_frame..(index + 1) * per_frame];
            let power = window
                .iter()
                .map(|s| (f64::from(*s) / 32768.0).powi(2))
                .sum::<f64>()
                / window.len() as f64;
            (power.sqrt() + 1e-4).ln()
        })
        .collect();
    let low = energy.iter().copied().fold(f64::INFINITY, f64::min);
    let high = energy.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    energy
        .iter()
        .map(|v| ((v - low) / (high - low).max(1e-9) * 1.3 - 0.3).clamp(0.0, 1.0))
        .collect()
}

fn frames(verifier: &FaceVerifier, open: &[f64]) -> Vec<Frame> {
    let path = faces_dir().join("Barack_Obama/2.jpg");
    let photo = decode_image(&std::fs::read(&path).unwrap()).unwrap();
    let face = verifier.detector().detect(&photo).unwrap()[0];
    let scale = 200.0 / face.width;
    let scaled = DynamicImage::ImageRgb8(photo.clone())
        .resize_exact(
            (photo.width() as f32 * scale) as u32,
            (photo.height() as f32 * scale) as u32,
            FilterType::Triangle,
        )
        .into_rgb8();
    let (cx, cy) = face.centre();
    let face_h = face.height * scale;
    open.iter()
        .enumerate()
        .map(|(index, open)| {
            let mut canvas = RgbImage::from_pixel(640, 480, Rgb([118, 120, 124]));
            let dx = 4.0 * (index as f32 * 0.7).sin();
            let dy = 3.0 * (index as f32 * 0.45).cos();
            let left = 320.0 + dx - cx * scale;
            let top = 240.0 + dy - cy * scale;
            image::imageops::overlay(&mut canvas, &scaled, left as i64, top as i64);
            let (mouth_x, mouth_y) = (320.0 + dx, 240.0 + dy + 0.30 * face_h);
            let half_w = 0.16 * face.width * scale;
            let half_h = (0.012 + 0.07 * *open as f32) * face_h;
            for y in (mouth_y - half_h - 1.0) as u32..=(mouth_y + half_h + 1.0) as u32 {
                for x in (mouth_x - half_w - 1.0) as u32..=(mouth_x + half_w + 1.0) as u32 {
                    let u = (x as f32 + 0.5 - mouth_x) / half_w;
                    let v = (y as f32 + 0.5 - mouth_y) / half_h;
                    if u * u + v * v <= 1.0 {
                        canvas.put_pixel(x, y, Rgb([70, 30, 35]));
                    }
                }
            }
            Frame::now(canvas, (index * 1000 / FPS) as u64)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let models = ModelPaths::default_dir().unwrap();
    let paths = ModelPaths::from_env().unwrap();
    let verifier = Arc::new(
        FaceVerifier::open(VerifierConfig::default(), &paths)
            .unwrap_or_else(|e| panic!("{e} (run scripts/fetch-models.sh)")),
    );
    let audio = reading();
    let clip = RecordedClip::aligned(frames(&verifier, &opening(&audio)), audio);
    let challenge = Challenge::from_digits(&[5, 5, 8, 2, 0, 3], Timestamp::from_millis(0)).unwrap();
    let id = zk_vision::eval::chip_photo(
        &verifier,
        &decode_image(&std::fs::read(faces_dir().join("Barack_Obama/1.jpg")).unwrap()).unwrap(),
    )
    .unwrap();
    let policy = MatchPolicy {
        pass_at_most: zk_vision::DEFAULT_PASS_AT_MOST,
        review_at_most: zk_vision::DEFAULT_REVIEW_AT_MOST,
        min_frames: 3,
        model_version: "bench".into(),
    };

    let mut judge = SpeechLiveness::open(&models).unwrap();
    let report = judge.judge(&clip.liveness(&challenge)).unwrap();
    println!("speech judge: {report:?}");
    c.bench_function("speech_judge_5s (VAD + face detection + lip sync)", |b| {
        b.iter(|| judge.judge(&clip.liveness(&challenge)).unwrap())
    });

    let mut matcher = VisionFaceMatcher::new(
        verifier.clone(),
        Box::new(SpeechLiveness::open(&models).unwrap()),
    );
    let verdict = matcher
        .check_liveness(&clip.liveness(&challenge), Some(&id), &policy)
        .unwrap();
    println!("liveness step: {:?}", verdict.decision);
    assert_eq!(verdict.decision, zk_domain::Decision::Pass, "{verdict:?}");
    c.bench_function(
        "liveness_step_5s (faces + guide, VAD + lip sync, identity)",
        |b| {
            b.iter(|| {
                matcher
                    .check_liveness(&clip.liveness(&challenge), Some(&id), &policy)
                    .unwrap()
            })
        },
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(15));
    targets = bench
}
criterion_main!(benches);
