//! Synthetic faces (the research note's renderer, pure arithmetic) driven by the envelopes of the
//! committed espeak readings.

use super::*;
use crate::testdata::{speech_clips, Noise};

const FPS: f64 = 25.0;
const SAMPLES_PER_FRAME: usize = 640;
const WIDTH: usize = 160;
const HEIGHT: usize = 120;

/// Normalised log-RMS envelope per frame, clipped to [0, 1].
fn envelope(samples: &[i16]) -> Vec<f64> {
    let energy: Vec<f64> = samples
        .chunks_exact(SAMPLES_PER_FRAME)
        .map(|chunk| {
            let power = chunk
                .iter()
                .map(|sample| (f64::from(*sample) / 32768.0).powi(2))
                .sum::<f64>()
                / chunk.len() as f64;
            (power.sqrt() + 1e-4).ln()
        })
        .collect();
    let mut sorted = energy.clone();
    sorted.sort_by(f64::total_cmp);
    let low = sorted[sorted.len() / 10];
    let high = sorted[sorted.len() * 95 / 100];
    energy
        .iter()
        .map(|value| ((value - low) / (high - low).max(1e-9)).clamp(0.0, 1.0))
        .collect()
}

/// Mouth opening from an envelope: articulator inertia ([¼, ½, ¼]) plus noise σ 0.05.
fn mouth_from(envelope: &[f64], seed: u64) -> Vec<f64> {
    let mut noise = Noise::new(seed);
    (0..envelope.len())
        .map(|index| {
            let at = |offset: isize| {
                let position = (index as isize + offset).clamp(0, envelope.len() as isize - 1);
                envelope[position as usize]
            };
            (0.25 * at(-1) + 0.5 * at(0) + 0.25 * at(1) + 0.05 * noise.gaussian()).clamp(0.0, 1.0)
        })
        .collect()
}

/// `values` stretched or squeezed to `length` by linear interpolation.
fn resized(values: &[f64], length: usize) -> Vec<f64> {
    (0..length)
        .map(|index| {
            let position = index as f64 * (values.len() - 1) as f64 / (length - 1).max(1) as f64;
            let left = position.floor() as usize;
            let right = (left + 1).min(values.len() - 1);
            let fraction = position - left as f64;
            values[left] * (1.0 - fraction) + values[right] * fraction
        })
        .collect()
}

struct Scene {
    open: Vec<f64>,
    /// Head wobble amplitude, px.
    wobble: f64,
    /// Detector box noise σ, px.
    jitter: f64,
    /// Global gain change over the clip (0.3: 30 % brighter by the end).
    gain_ramp: f64,
    seed: u64,
}

impl Scene {
    fn new(open: Vec<f64>, seed: u64) -> Scene {
        Scene {
            open,
            wobble: 2.5,
            jitter: 1.0,
            gain_ramp: 0.0,
            seed,
        }
    }

    /// Frames and "detector" boxes.
    fn render(&self) -> (Vec<GrayFrame>, Vec<Option<FaceRect>>) {
        let mut noise = Noise::new(self.seed ^ 0xFACE);
        let count = self.open.len();
        let mut frames = Vec::with_capacity(count);
        let mut boxes = Vec::with_capacity(count);
        for (index, open) in self.open.iter().enumerate() {
            let time = index as f64 / FPS;
            let scale = 1.0 + 0.03 * (time * 0.9).sin();
            let centre_x = 80.0 + self.wobble * (time * 2.1).sin() + 0.3 * noise.gaussian();
            let centre_y =
                60.0 + self.wobble * 0.8 * (time * 1.7 + 1.0).sin() + 0.3 * noise.gaussian();
            let (face_a, face_b) = (30.0 * scale, 40.0 * scale);
            let mouth_a = 10.0 * scale;
            let mouth_b = (2.0 * face_b) * (0.015 + 0.12 * open) / 2.0;
            let mouth_y = centre_y + 20.0 * scale;
            let gain = (1.0 + 0.05 * (time * 4.3).sin())
                * (1.0 + self.gain_ramp * index as f64 / count as f64);
            let inside = |x: f64, y: f64, cx: f64, cy: f64, a: f64, b: f64| {
                ((x - cx) / a).powi(2) + ((y - cy) / b).powi(2) <= 1.0
            };
            let mut pixels = Vec::with_capacity(WIDTH * HEIGHT);
            for row in 0..HEIGHT {
                for column in 0..WIDTH {
                    let (x, y) = (column as f64 + 0.5, row as f64 + 0.5);
                    let mut value = 110.0;
                    if inside(x, y, centre_x, centre_y, face_a, face_b) {
                        value = 180.0;
                        if inside(
                            x,
                            y,
                            centre_x - 11.0 * scale,
                            centre_y - 10.0 * scale,
                            5.0 * scale,
                            3.0 * scale,
                        ) || inside(
                            x,
                            y,
                            centre_x + 11.0 * scale,
                            centre_y - 10.0 * scale,
                            5.0 * scale,
                            3.0 * scale,
                        ) {
                            value = 60.0;
                        }
                        if inside(x, y, centre_x, mouth_y, mouth_a, mouth_b) {
                            value = 50.0;
                        }
                    }
                    let value = value * gain + 4.0 * noise.gaussian();
                    pixels.push(value.round().clamp(0.0, 255.0) as u8);
                }
            }
            frames.push(GrayFrame {
                width: WIDTH,
                height: HEIGHT,
                pixels,
            });
            let size = 1.0 + 0.01 * noise.gaussian();
            boxes.push(Some(FaceRect {
                x: centre_x - face_a + self.jitter * noise.gaussian(),
                y: centre_y - face_b + self.jitter * noise.gaussian(),
                width: 2.0 * face_a * size,
                height: 2.0 * face_b * size,
            }));
        }
        (frames, boxes)
    }
}

fn judge(scene: &Scene, samples: &[i16]) -> LipSyncReport {
    let (frames, boxes) = scene.render();
    let times: Vec<f64> = (0..frames.len()).map(|index| index as f64 / FPS).collect();
    judge_lip_sync(
        &LipSyncClip {
            frames: &frames,
            boxes: &boxes,
            frame_times_secs: &times,
            samples,
            sample_rate: 16_000,
        },
        &LipSyncConfig::default(),
    )
    .expect("valid input")
}

fn summary(name: &str, reports: &[LipSyncReport]) -> usize {
    let mut rhos: Vec<f64> = reports.iter().map(|report| report.rho).collect();
    rhos.sort_by(f64::total_cmp);
    let passed = reports
        .iter()
        .filter(|report| report.verdict == LipSyncVerdict::Pass)
        .count();
    println!(
        "{name:<16} ρ median {:.2} [{:.2}, {:.2}]  pass {passed}/{}",
        rhos[rhos.len() / 2],
        rhos[0],
        rhos[rhos.len() - 1],
        reports.len()
    );
    passed
}

#[test]
fn a_live_face_in_sync_passes_with_lag_zero() {
    let reports: Vec<LipSyncReport> = speech_clips()
        .iter()
        .enumerate()
        .map(|(index, (name, _, samples))| {
            let report = judge(
                &Scene::new(
                    mouth_from(&envelope(samples), index as u64),
                    1 + index as u64,
                ),
                samples,
            );
            assert_eq!(report.verdict, LipSyncVerdict::Pass, "{name}: {report:?}");
            assert!(report.lag_frames.abs() <= 1, "{name}: {report:?}");
            assert_eq!(report.tracked_fraction, 1.0);
            report
        })
        .collect();
    summary("live", &reports);
}

#[test]
fn a_late_video_passes_and_its_lag_is_found() {
    for (index, (name, _, samples)) in speech_clips().iter().enumerate().take(4) {
        let open = mouth_from(&envelope(samples), 40 + index as u64);
        for shift in [-5i32, -3, -1, 2, 4, 5] {
            // Video late by `shift` frames: the mouth at t shows the sound of t − shift.
            let shifted: Vec<f64> = (0..open.len() as i32)
                .map(|t| open[(t - shift).clamp(0, open.len() as i32 - 1) as usize])
                .collect();
            let report = judge(&Scene::new(shifted, 50 + index as u64), samples);
            assert_eq!(
                report.verdict,
                LipSyncVerdict::Pass,
                "{name} shift {shift}: {report:?}"
            );
            assert!(
                (report.lag_frames + shift).abs() <= 1,
                "{name} shift {shift}: lag {}",
                report.lag_frames
            );
            assert!((report.lag_ms - f64::from(report.lag_frames) * 40.0).abs() < 1e-6);
        }
    }
}

/// The microphone started 0.6 s before the camera: the frames, given their real times after the
/// first sample, line up with the sound; given as if both had started together, they do not.
#[test]
fn frames_are_lined_up_with_the_audio_by_their_times() {
    let lead = 9_600; // 0.6 s of audio before the first frame
    for (index, (name, _, samples)) in speech_clips().iter().enumerate().take(4) {
        let scene = Scene::new(mouth_from(&envelope(samples), 70 + index as u64), 80);
        let (frames, boxes) = scene.render();
        let mut recorded = vec![0i16; lead];
        recorded.extend_from_slice(samples);
        let run = |offset_secs: f64| {
            let times: Vec<f64> = (0..frames.len())
                .map(|frame| offset_secs + frame as f64 / FPS)
                .collect();
            judge_lip_sync(
                &LipSyncClip {
                    frames: &frames,
                    boxes: &boxes,
                    frame_times_secs: &times,
                    samples: &recorded,
                    sample_rate: 16_000,
                },
                &LipSyncConfig::default(),
            )
            .expect("valid input")
        };
        let measured = run(0.6);
        assert_eq!(
            measured.verdict,
            LipSyncVerdict::Pass,
            "{name}: {measured:?}"
        );
        assert!(measured.lag_frames.abs() <= 1, "{name}: {measured:?}");
        let assumed = run(0.0);
        assert_eq!(
            assumed.verdict,
            LipSyncVerdict::Fail,
            "{name}: 15 frames off is beyond the lag search: {assumed:?}"
        );
    }
}

/// Frames captured before the first sample have no sound under them: the floor, not the first
/// window's energy.
#[test]
fn frames_before_the_audio_have_no_energy() {
    let samples = vec![8_000i16; 16_000];
    let energy = audio_energy(&samples, 16_000, &[-0.2, -0.01, 0.0, 0.5, 1.5], 25.0)
        .expect("some frames have audio");
    let floor = (1e-4f64).ln();
    assert_eq!(&energy[..2], &[floor, floor]);
    assert!(energy[2] > -2.0 && energy[3] > -2.0);
    assert_eq!(energy[4], floor, "after the last sample");
}

#[test]
fn a_photo_random_motion_and_a_far_shifted_video_fail() {
    let clips = speech_clips();
    let mut photos = Vec::new();
    let mut chewing = Vec::new();
    for (index, (name, _, samples)) in clips.iter().enumerate() {
        let frames = samples.len() / SAMPLES_PER_FRAME;
        let mut photo = Scene::new(vec![0.05; frames], 100 + index as u64);
        photo.wobble = 3.0;
        let report = judge(&photo, samples);
        assert_eq!(
            report.verdict,
            LipSyncVerdict::Fail,
            "photo {name}: {report:?}"
        );
        photos.push(report);

        let mut noise = Noise::new(200 + index as u64);
        let raw: Vec<f64> = (0..frames).map(|_| noise.uniform()).collect();
        let random = mouth_from(&resized(&raw, frames), 300 + index as u64);
        let report = judge(&Scene::new(random, 400 + index as u64), samples);
        assert_eq!(
            report.verdict,
            LipSyncVerdict::Fail,
            "random motion {name}: {report:?}"
        );
        chewing.push(report);
    }
    summary("photo", &photos);
    summary("random motion", &chewing);
}

/// The known limit: a mouth reading another string with the same rhythm can pass (research note:
/// 4/20). Reported, and bounded so a regression that accepts everything fails.
#[test]
fn a_different_utterance_mostly_fails() {
    let clips = speech_clips();
    let reports: Vec<LipSyncReport> = clips
        .iter()
        .enumerate()
        .map(|(index, (_, _, samples))| {
            let (_, _, other) = &clips[(index + 3) % clips.len()];
            let frames = samples.len() / SAMPLES_PER_FRAME;
            let open = mouth_from(&resized(&envelope(other), frames), 500 + index as u64);
            judge(&Scene::new(open, 600 + index as u64), samples)
        })
        .collect();
    let passed = summary("wrong utterance", &reports);
    assert!(
        passed * 2 <= reports.len(),
        "{passed}/{} passed",
        reports.len()
    );
}

#[test]
fn box_jitter_and_a_lighting_ramp_still_pass() {
    for (index, (name, _, samples)) in speech_clips().iter().enumerate().take(4) {
        let open = mouth_from(&envelope(samples), 700 + index as u64);
        let mut jittery = Scene::new(open.clone(), 800 + index as u64);
        jittery.jitter = 2.0;
        let report = judge(&jittery, samples);
        assert_eq!(
            report.verdict,
            LipSyncVerdict::Pass,
            "jitter {name}: {report:?}"
        );

        let mut lit = Scene::new(open, 900 + index as u64);
        lit.gain_ramp = 0.3;
        let report = judge(&lit, samples);
        assert_eq!(
            report.verdict,
            LipSyncVerdict::Pass,
            "lighting {name}: {report:?}"
        );
    }
}

#[test]
fn no_face_is_unavailable_not_fail() {
    let (_, _, samples) = speech_clips().remove(0);
    let scene = Scene::new(mouth_from(&envelope(&samples), 1), 1);
    let (frames, mut boxes) = scene.render();
    let times: Vec<f64> = (0..frames.len()).map(|index| index as f64 / FPS).collect();
    let run = |boxes: &[Option<FaceRect>]| {
        judge_lip_sync(
            &LipSyncClip {
                frames: &frames,
                boxes,
                frame_times_secs: &times,
                samples: &samples,
                sample_rate: 16_000,
            },
            &LipSyncConfig::default(),
        )
        .expect("valid input")
    };
    let none = vec![None; frames.len()];
    let report = run(&none);
    assert_eq!(
        report.verdict,
        LipSyncVerdict::Unavailable(NoLipSync::FaceNotTracked)
    );
    assert_eq!((report.rho, report.p), (0.0, 1.0));

    // A face in 85 % of the frames: still no verdict; in 95 %: judged (and passes).
    let count = boxes.len();
    for rect in boxes.iter_mut().skip(count * 85 / 100) {
        *rect = None;
    }
    assert_eq!(
        run(&boxes).verdict,
        LipSyncVerdict::Unavailable(NoLipSync::FaceNotTracked)
    );
    let (_, mut boxes) = scene.render();
    for rect in boxes.iter_mut().step_by(20) {
        *rect = None;
    }
    assert_eq!(run(&boxes).verdict, LipSyncVerdict::Pass);

    // Too short a clip, or no audio under the frames.
    let short = run_short(&frames[..20], &samples);
    assert_eq!(
        short.verdict,
        LipSyncVerdict::Unavailable(NoLipSync::TooFewFrames)
    );
    let silent = judge_lip_sync(
        &LipSyncClip {
            frames: &frames,
            boxes: &scene.render().1,
            frame_times_secs: &times,
            samples: &[],
            sample_rate: 16_000,
        },
        &LipSyncConfig::default(),
    )
    .expect("valid input");
    assert_eq!(
        silent.verdict,
        LipSyncVerdict::Unavailable(NoLipSync::NoAudio)
    );
}

fn run_short(frames: &[GrayFrame], samples: &[i16]) -> LipSyncReport {
    let boxes = vec![
        Some(FaceRect {
            x: 50.0,
            y: 20.0,
            width: 60.0,
            height: 80.0
        });
        frames.len()
    ];
    let times: Vec<f64> = (0..frames.len()).map(|index| index as f64 / FPS).collect();
    judge_lip_sync(
        &LipSyncClip {
            frames,
            boxes: &boxes,
            frame_times_secs: &times,
            samples,
            sample_rate: 16_000,
        },
        &LipSyncConfig::default(),
    )
    .expect("valid input")
}

#[test]
fn mismatched_input_is_an_error_not_a_panic() {
    let frame = GrayFrame {
        width: 4,
        height: 4,
        pixels: vec![0; 16],
    };
    let bad_lengths = judge_lip_sync(
        &LipSyncClip {
            frames: std::slice::from_ref(&frame),
            boxes: &[],
            frame_times_secs: &[0.0],
            samples: &[0; 100],
            sample_rate: 16_000,
        },
        &LipSyncConfig::default(),
    );
    assert!(matches!(bad_lengths, Err(LivenessError::Input(_))));
    let broken = GrayFrame {
        width: 4,
        height: 4,
        pixels: vec![0; 3],
    };
    let bad_frame = judge_lip_sync(
        &LipSyncClip {
            frames: std::slice::from_ref(&broken),
            boxes: &[None],
            frame_times_secs: &[0.0],
            samples: &[0; 100],
            sample_rate: 16_000,
        },
        &LipSyncConfig::default(),
    );
    assert!(matches!(bad_frame, Err(LivenessError::Input(_))));
    // A box far outside the frame is clamped, not indexed out of bounds.
    let grid = mouth_grid(
        &frame,
        &FaceRect {
            x: -1e6,
            y: 1e6,
            width: 1e7,
            height: -5.0,
        },
    );
    assert_eq!(grid.len(), GRID_WIDTH * GRID_HEIGHT);
}

#[test]
fn the_same_clip_always_gets_the_same_numbers() {
    let (_, _, samples) = speech_clips().remove(2);
    let scene = Scene::new(mouth_from(&envelope(&samples), 9), 9);
    assert_eq!(judge(&scene, &samples), judge(&scene, &samples));
}
