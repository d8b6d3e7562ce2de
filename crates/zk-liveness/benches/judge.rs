//! Time to judge one 5 s clip without ASR: Silero VAD over 5 s of 16 kHz audio, and lip sync over
//! 5 s of frames (125 at 25 fps; 50 at the kiosk's 10 fps) of a 160×120 face. Face detection is
//! zk-vision's: the whole 5 s clip end to end (VAD + face detection + lip sync, and the full
//! liveness step) is zk-app's `cargo bench -p zk-app --bench liveness`.
//!
//!   cargo bench -p zk-liveness --bench judge
//!
//! Needs the Silero model (scripts/fetch-models.sh) and tests/fixtures/speech.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use zk_liveness::{judge_lip_sync, FaceRect, GrayFrame, LipSyncClip, LipSyncConfig, SileroVad};

fn models_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ZK_MODELS_DIR") {
        return PathBuf::from(dir);
    }
    PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/zikao-kiosk/models")
}

fn five_seconds() -> Vec<i16> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/speech/d08-81957.wav");
    let mut samples: Vec<i16> = hound::WavReader::open(&path)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run scripts/make-speech-fixtures.sh",
                path.display()
            )
        })
        .samples::<i16>()
        .map(|s| s.unwrap())
        .collect();
    samples.resize(80_000, 0);
    samples
}

/// A face whose mouth (a dark bar) opens with the audio's energy.
fn frames(samples: &[i16], fps: usize) -> (Vec<GrayFrame>, Vec<Option<FaceRect>>, Vec<f64>) {
    let per_frame = 16_000 / fps;
    let count = samples.len() / per_frame;
    let mut frames = Vec::new();
    for index in 0..count {
        let window = &samples[index * per_frame..(index + 1) * per_frame];
        let rms = (window
            .iter()
            .map(|s| (f64::from(*s) / 32768.0).powi(2))
            .sum::<f64>()
            / window.len() as f64)
            .sqrt();
        let open = (rms * 20.0).min(1.0);
        let mut pixels = vec![110u8; 160 * 120];
        for y in 20..100 {
            for x in 50..110 {
                pixels[y * 160 + x] = 180;
            }
        }
        let half = 1 + (open * 5.0) as usize;
        for y in 80 - half..80 + half {
            for x in 70..90 {
                pixels[y * 160 + x] = 50;
            }
        }
        frames.push(GrayFrame {
            width: 160,
            height: 120,
            pixels,
        });
    }
    let boxes = vec![
        Some(FaceRect {
            x: 50.0,
            y: 20.0,
            width: 60.0,
            height: 80.0
        });
        count
    ];
    let times = (0..count).map(|i| i as f64 / fps as f64).collect();
    (frames, boxes, times)
}

fn bench(c: &mut Criterion) {
    let vad = SileroVad::open(&models_dir()).unwrap_or_else(|e| panic!("{e}"));
    let samples = five_seconds();
    c.bench_function("vad_5s", |b| {
        b.iter(|| vad.probabilities(&samples).unwrap())
    });
    for fps in [25, 10] {
        let (frames, boxes, times) = frames(&samples, fps);
        c.bench_function(&format!("lip_sync_5s_{fps}fps"), |b| {
            b.iter(|| {
                judge_lip_sync(
                    &LipSyncClip {
                        frames: &frames,
                        boxes: &boxes,
                        frame_times_secs: &times,
                        samples: &samples,
                        sample_rate: 16_000,
                    },
                    &LipSyncConfig::default(),
                )
                .unwrap()
            })
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
