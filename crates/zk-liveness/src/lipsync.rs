//! Lip sync: does the mouth move with the sound? No model: the mouth region's "openness" (first
//! principal component of the aligned lower-third crop) is correlated with the audio's log energy,
//! over a ±0.2 s lag search, against a self-calibrating permutation null (the audio circularly
//! shifted). The method and its thresholds are those of `../shared/research/liveness-asr.md` §3;
//! the thresholds come from synthetic faces and must be recalibrated on real clips.
//!
//! Pure: frames, face boxes, frame times and samples in, a [`LipSyncReport`] out. The "random"
//! shifts of the null come from a fixed-seed generator, so a clip always gets the same verdict.

use crate::error::LivenessError;

/// Grid the mouth region is resampled to (columns × rows), independent of face size.
pub const ROI_WIDTH: usize = 32;
pub const ROI_HEIGHT: usize = 16;
/// Extra resampled pixels on each side of the grid: the residual-alignment search range.
pub const ROI_MARGIN: usize = 3;
const GRID_WIDTH: usize = ROI_WIDTH + 2 * ROI_MARGIN;
const GRID_HEIGHT: usize = ROI_HEIGHT + 2 * ROI_MARGIN;
const ROI_PIXELS: usize = ROI_WIDTH * ROI_HEIGHT;

/// A greyscale frame, row-major, one byte a pixel.
#[derive(Clone, PartialEq, Eq)]
pub struct GrayFrame {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

impl std::fmt::Debug for GrayFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GrayFrame({}×{})", self.width, self.height)
    }
}

impl GrayFrame {
    fn at(&self, x: usize, y: usize) -> f64 {
        f64::from(self.pixels.get(y * self.width + x).copied().unwrap_or(0))
    }
}

/// A face box in frame pixels (the face detector's, or the 5 landmarks' bounding square).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaceRect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// Thresholds and search ranges. Defaults: the research note's.
#[derive(Clone, Debug, PartialEq)]
pub struct LipSyncConfig {
    /// Pass needs ρ at least this …
    pub min_rho: f64,
    /// … and a permutation p-value at most this.
    pub max_p: f64,
    /// Lags searched, either way.
    pub max_lag_secs: f64,
    /// Circular shifts of the audio for the null distribution.
    pub null_shifts: usize,
    /// Shortest circular shift (and shortest distance from a full turn).
    pub min_null_shift_secs: f64,
    /// Fewer frames with a face box than this fraction: no verdict (Unavailable).
    pub min_tracked_fraction: f64,
    /// Seed of the null's shift generator.
    pub seed: u64,
}

impl Default for LipSyncConfig {
    fn default() -> LipSyncConfig {
        LipSyncConfig {
            min_rho: 0.6,
            max_p: 0.02,
            max_lag_secs: 0.2,
            null_shifts: 100,
            min_null_shift_secs: 0.6,
            min_tracked_fraction: 0.9,
            seed: 0x5EED_11B5_0000_0001,
        }
    }
}

/// Why lip sync gave no verdict (the clip cannot show it either way; staff watch instead).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoLipSync {
    /// Too few frames for the lag search and the null (under about 2 s of video).
    TooFewFrames,
    /// A face box on fewer frames than `min_tracked_fraction`.
    FaceNotTracked,
    /// No audio under the frames.
    NoAudio,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LipSyncVerdict {
    Pass,
    Fail,
    Unavailable(NoLipSync),
}

/// Which pair of signals gave ρ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncFeature {
    /// Mouth openness (PC1, either sign) against log energy.
    Openness,
    /// Frame-to-frame mouth motion against the change of log energy.
    Motion,
}

/// The verdict and the numbers behind it (all recorded with the decision).
#[derive(Clone, Debug, PartialEq)]
pub struct LipSyncReport {
    pub verdict: LipSyncVerdict,
    /// Best correlation over lags and features (0 when unavailable).
    pub rho: f64,
    /// Lag of the best correlation in frames: negative when the video is late.
    pub lag_frames: i32,
    pub lag_ms: f64,
    /// Permutation p-value, (1 + #{null ≥ ρ}) / (1 + shifts); 1 when unavailable.
    pub p: f64,
    pub feature: SyncFeature,
    /// Fraction of frames with a face box.
    pub tracked_fraction: f64,
    pub frames: usize,
}

impl LipSyncReport {
    fn unavailable(why: NoLipSync, tracked_fraction: f64, frames: usize) -> LipSyncReport {
        LipSyncReport {
            verdict: LipSyncVerdict::Unavailable(why),
            rho: 0.0,
            lag_frames: 0,
            lag_ms: 0.0,
            p: 1.0,
            feature: SyncFeature::Openness,
            tracked_fraction,
            frames,
        }
    }
}

/// The clip: `frames[i]` was captured `frame_times_secs[i]` after the first audio sample
/// (negative: before it; such frames have no sound to compare, so callers leave them out), with
/// the face at `boxes[i]` (`None`: no face found in that frame).
#[derive(Clone, Copy, Debug)]
pub struct LipSyncClip<'a> {
    pub frames: &'a [GrayFrame],
    pub boxes: &'a [Option<FaceRect>],
    pub frame_times_secs: &'a [f64],
    pub samples: &'a [i16],
    pub sample_rate: u32,
}

/// Judges one clip.
pub fn judge_lip_sync(
    clip: &LipSyncClip<'_>,
    config: &LipSyncConfig,
) -> Result<LipSyncReport, LivenessError> {
    let count = clip.frames.len();
    if clip.boxes.len() != count || clip.frame_times_secs.len() != count {
        return Err(LivenessError::Input(format!(
            "{count} frames but {} face boxes and {} frame times",
            clip.boxes.len(),
            clip.frame_times_secs.len()
        )));
    }
    if clip.sample_rate == 0 {
        return Err(LivenessError::Input(
            "audio with a sample rate of 0 Hz".into(),
        ));
    }
    if let Some(frame) = clip.frames.iter().find(|frame| {
        frame.width == 0 || frame.height == 0 || frame.pixels.len() != frame.width * frame.height
    }) {
        return Err(LivenessError::Input(format!(
            "a {}×{} frame with {} pixels",
            frame.width,
            frame.height,
            frame.pixels.len()
        )));
    }
    let tracked = clip.boxes.iter().filter(|rect| rect.is_some()).count();
    let tracked_fraction = if count == 0 {
        0.0
    } else {
        tracked as f64 / count as f64
    };
    let fps = frame_rate(clip.frame_times_secs);
    let max_lag = (config.max_lag_secs * fps).round().max(0.0) as usize;
    let min_shift = (config.min_null_shift_secs * fps).ceil().max(1.0) as usize;
    if count < 2 || count < 2 * min_shift + 1 || count < 4 * max_lag + 4 {
        return Ok(LipSyncReport::unavailable(
            NoLipSync::TooFewFrames,
            tracked_fraction,
            count,
        ));
    }
    if tracked == 0 || tracked_fraction < config.min_tracked_fraction {
        return Ok(LipSyncReport::unavailable(
            NoLipSync::FaceNotTracked,
            tracked_fraction,
            count,
        ));
    }
    let Some(energy) = audio_energy(clip.samples, clip.sample_rate, clip.frame_times_secs, fps)
    else {
        return Ok(LipSyncReport::unavailable(
            NoLipSync::NoAudio,
            tracked_fraction,
            count,
        ));
    };
    let boxes = stabilise(clip.frames, &hold_boxes(clip.boxes));
    let grids: Vec<Vec<f64>> = clip
        .frames
        .iter()
        .zip(&boxes)
        .map(|(frame, rect)| mouth_grid(frame, rect))
        .collect();
    let (openness, motion) = mouth_signals(&grids);
    let energy_change = change(&energy);
    let signals = Signals {
        openness: smooth(&openness),
        motion: smooth(&motion),
        energy: smooth(&energy),
        energy_change: smooth(&energy_change),
    };
    let best = signals.best(max_lag, 0);
    let mut generator = SplitMix64(config.seed);
    let span = count - 2 * min_shift + 1;
    let mut at_least = 0usize;
    for _ in 0..config.null_shifts {
        let shift = min_shift + (generator.next() % span as u64) as usize;
        if signals.best(max_lag, shift).rho >= best.rho {
            at_least += 1;
        }
    }
    let p = (1 + at_least) as f64 / (1 + config.null_shifts) as f64;
    let verdict = if best.rho >= config.min_rho && p <= config.max_p {
        LipSyncVerdict::Pass
    } else {
        LipSyncVerdict::Fail
    };
    Ok(LipSyncReport {
        verdict,
        rho: best.rho,
        lag_frames: best.lag,
        lag_ms: f64::from(best.lag) * 1000.0 / fps,
        p,
        feature: best.feature,
        tracked_fraction,
        frames: count,
    })
}

/// Frames per second from the capture times (median interval); 25 when the times say nothing.
fn frame_rate(times: &[f64]) -> f64 {
    let mut intervals: Vec<f64> = times
        .windows(2)
        .map(|pair| pair[1] - pair[0])
        .filter(|interval| interval.is_finite() && *interval > 0.0)
        .collect();
    if intervals.is_empty() {
        return 25.0;
    }
    intervals.sort_by(f64::total_cmp);
    1.0 / intervals[intervals.len() / 2]
}

/// Log RMS (samples scaled to ±1) of the audio under each frame: from its capture time for one
/// frame interval. A frame captured before the first sample or after the last has no audio under
/// it (the floor value). `None` when no frame has audio under it.
fn audio_energy(samples: &[i16], sample_rate: u32, times: &[f64], fps: f64) -> Option<Vec<f64>> {
    let rate = f64::from(sample_rate);
    let per_frame = (rate / fps).round().max(1.0) as usize;
    let mut any = false;
    let energy = times
        .iter()
        .map(|time| {
            if !(time.is_finite() && *time >= 0.0) {
                return (1e-4f64).ln();
            }
            let start = (time * rate).round() as usize;
            let window = samples
                .get(start..(start + per_frame).min(samples.len()))
                .unwrap_or(&[]);
            if window.is_empty() {
                return (1e-4f64).ln();
            }
            any = true;
            let power = window
                .iter()
                .map(|sample| {
                    let value = f64::from(*sample) / 32768.0;
                    value * value
                })
                .sum::<f64>()
                / window.len() as f64;
            (power.sqrt() + 1e-4).ln()
        })
        .collect();
    any.then_some(energy)
}

/// Frames without a box take the nearest earlier box (or, at the start, the first one).
fn hold_boxes(boxes: &[Option<FaceRect>]) -> Vec<FaceRect> {
    let first = boxes.iter().flatten().next().copied().unwrap_or(FaceRect {
        x: 0.0,
        y: 0.0,
        width: 1.0,
        height: 1.0,
    });
    let mut last = first;
    boxes
        .iter()
        .map(|rect| {
            if let Some(rect) = rect {
                last = *rect;
            }
            last
        })
        .collect()
}

/// Pins the face box to the face. Detector boxes jitter by several pixels from frame to frame
/// and a head drifts while it talks; either moves the mouth grid by a fraction of a cell, which
/// changes the crop as much as an opening mouth does. So every box takes the size of the
/// reference (middle) frame's box and the position where the frame's upper face (eyes and nose,
/// which do not move with speech) best matches the reference frame's, searched at full
/// resolution around the detector's box: first on a 2 px grid, then to the pixel.
fn stabilise(frames: &[GrayFrame], boxes: &[FaceRect]) -> Vec<FaceRect> {
    let middle = frames.len() / 2;
    let (Some(reference_frame), Some(reference)) = (frames.get(middle), boxes.get(middle).copied())
    else {
        return boxes.to_vec();
    };
    let patch = upper_face_patch(reference_frame, &reference);
    if patch.is_empty() {
        return boxes.to_vec();
    }
    let radius = (0.08 * reference.width).round().clamp(2.0, 24.0) as i64;
    frames
        .iter()
        .zip(boxes)
        .map(|(frame, rect)| {
            let guess = FaceRect {
                x: rect.x + (rect.width - reference.width) / 2.0,
                y: rect.y + (rect.height - reference.height) / 2.0,
                ..reference
            };
            let cost = |dx: i64, dy: i64| {
                patch_cost(frame, &patch, guess.x + dx as f64, guess.y + dy as f64)
            };
            let mut best = (0i64, 0i64, cost(0, 0));
            for dy in (-radius..=radius).step_by(2) {
                for dx in (-radius..=radius).step_by(2) {
                    let value = cost(dx, dy);
                    if value < best.2 {
                        best = (dx, dy, value);
                    }
                }
            }
            let (coarse_x, coarse_y) = (best.0, best.1);
            for dy in coarse_y - 1..=coarse_y + 1 {
                for dx in coarse_x - 1..=coarse_x + 1 {
                    let value = cost(dx, dy);
                    if value < best.2 {
                        best = (dx, dy, value);
                    }
                }
            }
            // To a fraction of a pixel: the vertex of the parabola through the costs either side.
            let vertex = |before: f64, at: f64, after: f64| {
                let curvature = before - 2.0 * at + after;
                if curvature > 1e-9 {
                    (0.5 * (before - after) / curvature).clamp(-0.5, 0.5)
                } else {
                    0.0
                }
            };
            let (bx, by, at) = best;
            let fraction_x = vertex(cost(bx - 1, by), at, cost(bx + 1, by));
            let fraction_y = vertex(cost(bx, by - 1), at, cost(bx, by + 1));
            FaceRect {
                x: guess.x + bx as f64 + fraction_x,
                y: guess.y + by as f64 + fraction_y,
                ..reference
            }
        })
        .collect()
}

/// The upper face (10–55 % of the box's height, central 70 %) of `frame`, sampled on a grid of
/// about 64 columns (every pixel of a small face), as (offset x, offset y, value) relative to the
/// box's corner.
fn upper_face_patch(frame: &GrayFrame, rect: &FaceRect) -> Vec<(f64, f64, f64)> {
    let step = (rect.width / 64.0).floor().clamp(1.0, 4.0);
    let mut patch = Vec::new();
    let x0 = 0.15 * rect.width;
    let x1 = 0.85 * rect.width;
    let y0 = 0.10 * rect.height;
    let y1 = 0.55 * rect.height;
    let mut y = y0;
    while y < y1 {
        let mut x = x0;
        while x < x1 {
            let (px, py) = (rect.x + x, rect.y + y);
            if px >= 0.0 && py >= 0.0 && px < frame.width as f64 && py < frame.height as f64 {
                patch.push((x, y, frame.at(px as usize, py as usize)));
            }
            x += step;
        }
        y += step;
    }
    patch
}

/// Mean absolute difference between `patch` and `frame` with the patch's corner at (`x`, `y`);
/// samples falling outside the frame count as the largest difference.
fn patch_cost(frame: &GrayFrame, patch: &[(f64, f64, f64)], x: f64, y: f64) -> f64 {
    let total: f64 = patch
        .iter()
        .map(|(ox, oy, value)| {
            let (px, py) = (x + ox, y + oy);
            if px < 0.0 || py < 0.0 || px >= frame.width as f64 || py >= frame.height as f64 {
                255.0
            } else {
                (frame.at(px as usize, py as usize) - value).abs()
            }
        })
        .sum();
    total / patch.len().max(1) as f64
}

/// The mouth region (lower third, central 60 % of the face box) resampled by nearest neighbour to
/// the grid plus margin, blurred with a 3×3 binomial kernel and normalised to zero mean and unit
/// standard deviation (lighting and exposure changes cancel).
pub fn mouth_grid(frame: &GrayFrame, rect: &FaceRect) -> Vec<f64> {
    let left = rect.x + 0.2 * rect.width;
    let top = rect.y + rect.height * 2.0 / 3.0;
    let step_x = 0.6 * rect.width / ROI_WIDTH as f64;
    let step_y = rect.height / 3.0 / ROI_HEIGHT as f64;
    let max_x = frame.width.saturating_sub(1) as f64;
    let max_y = frame.height.saturating_sub(1) as f64;
    let mut raw = vec![0.0; GRID_WIDTH * GRID_HEIGHT];
    for row in 0..GRID_HEIGHT {
        let y = top + (row as f64 - ROI_MARGIN as f64 + 0.5) * step_y;
        let pixel_y = y.floor().clamp(0.0, max_y) as usize;
        for column in 0..GRID_WIDTH {
            let x = left + (column as f64 - ROI_MARGIN as f64 + 0.5) * step_x;
            let pixel_x = x.floor().clamp(0.0, max_x) as usize;
            raw[row * GRID_WIDTH + column] = frame.at(pixel_x, pixel_y);
        }
    }
    let mut blurred = vec![0.0; raw.len()];
    const KERNEL: [f64; 3] = [0.25, 0.5, 0.25];
    for row in 0..GRID_HEIGHT {
        for column in 0..GRID_WIDTH {
            let mut sum = 0.0;
            for (dy, weight_y) in KERNEL.iter().enumerate() {
                let y = (row + dy).saturating_sub(1).min(GRID_HEIGHT - 1);
                for (dx, weight_x) in KERNEL.iter().enumerate() {
                    let x = (column + dx).saturating_sub(1).min(GRID_WIDTH - 1);
                    sum += weight_y * weight_x * raw[y * GRID_WIDTH + x];
                }
            }
            blurred[row * GRID_WIDTH + column] = sum;
        }
    }
    let mean = blurred.iter().sum::<f64>() / blurred.len() as f64;
    let variance = blurred
        .iter()
        .map(|value| (value - mean).powi(2))
        .sum::<f64>()
        / blurred.len() as f64;
    let deviation = variance.sqrt();
    if deviation < 1e-9 {
        return vec![0.0; blurred.len()];
    }
    blurred
        .iter()
        .map(|value| (value - mean) / deviation)
        .collect()
}

/// The 32×16 crop of a grid at offset (`dy`, `dx`) from the margin, as a flat vector.
fn crop(grid: &[f64], dy: isize, dx: isize) -> Vec<f64> {
    let top = (ROI_MARGIN as isize + dy) as usize;
    let left = (ROI_MARGIN as isize + dx) as usize;
    let mut out = Vec::with_capacity(ROI_PIXELS);
    for row in 0..ROI_HEIGHT {
        let start = (top + row) * GRID_WIDTH + left;
        out.extend_from_slice(&grid[start..start + ROI_WIDTH]);
    }
    out
}

fn mean_abs_difference(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>() / a.len().max(1) as f64
}

fn shifts() -> impl Iterator<Item = (isize, isize)> {
    let margin = ROI_MARGIN as isize;
    (-margin..=margin).flat_map(move |dy| (-margin..=margin).map(move |dx| (dy, dx)))
}

/// The crop of `grid` closest to `reference` over all shifts, and that distance.
fn best_crop(grid: &[f64], reference: &[f64]) -> (Vec<f64>, f64) {
    let mut best = (crop(grid, 0, 0), f64::INFINITY);
    for (dy, dx) in shifts() {
        let candidate = crop(grid, dy, dx);
        let distance = mean_abs_difference(&candidate, reference);
        if distance < best.1 {
            best = (candidate, distance);
        }
    }
    best
}

/// Openness (PC1 score of the aligned crops) and motion (least mean absolute difference to the
/// previous frame's crop over shifts) per frame.
fn mouth_signals(grids: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
    let centres: Vec<Vec<f64>> = grids.iter().map(|grid| crop(grid, 0, 0)).collect();
    let median: Vec<f64> = (0..ROI_PIXELS)
        .map(|pixel| {
            let mut column: Vec<f64> = centres.iter().map(|centre| centre[pixel]).collect();
            column.sort_by(f64::total_cmp);
            column[column.len() / 2]
        })
        .collect();
    let aligned: Vec<Vec<f64>> = grids
        .iter()
        .map(|grid| best_crop(grid, &median).0)
        .collect();
    let openness = first_component(&aligned);
    let mut motion: Vec<f64> = std::iter::once(0.0)
        .chain(
            grids
                .windows(2)
                .map(|pair| best_crop(&pair[1], &crop(&pair[0], 0, 0)).1),
        )
        .collect();
    if motion.len() > 1 {
        motion[0] = motion[1];
    }
    (openness, motion)
}

/// Scores of the rows on the first principal component (power iteration on the Gram matrix of
/// the column-centred rows). The sign is arbitrary.
fn first_component(rows: &[Vec<f64>]) -> Vec<f64> {
    let count = rows.len();
    let width = rows.first().map_or(0, Vec::len);
    let means: Vec<f64> = (0..width)
        .map(|column| rows.iter().map(|row| row[column]).sum::<f64>() / count as f64)
        .collect();
    let centred: Vec<Vec<f64>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .zip(&means)
                .map(|(value, mean)| value - mean)
                .collect()
        })
        .collect();
    let mut gram = vec![0.0; count * count];
    for i in 0..count {
        for j in i..count {
            let dot: f64 = centred[i].iter().zip(&centred[j]).map(|(a, b)| a * b).sum();
            gram[i * count + j] = dot;
            gram[j * count + i] = dot;
        }
    }
    let mut vector: Vec<f64> = (0..count)
        .map(|index| 1.0 + (index % 7) as f64 * 0.1)
        .collect();
    for _ in 0..200 {
        let next: Vec<f64> = (0..count)
            .map(|i| (0..count).map(|j| gram[i * count + j] * vector[j]).sum())
            .collect();
        let norm = next.iter().map(|value| value * value).sum::<f64>().sqrt();
        if norm < 1e-12 {
            return vec![0.0; count];
        }
        vector = next.iter().map(|value| value / norm).collect();
    }
    vector
}

/// |x[t] − x[t−1]|, 0 for the first frame.
fn change(signal: &[f64]) -> Vec<f64> {
    std::iter::once(0.0)
        .chain(signal.windows(2).map(|pair| (pair[1] - pair[0]).abs()))
        .collect()
}

/// 3-frame moving average (2 frames at the ends).
fn smooth(signal: &[f64]) -> Vec<f64> {
    (0..signal.len())
        .map(|index| {
            let window = &signal[index.saturating_sub(1)..(index + 2).min(signal.len())];
            window.iter().sum::<f64>() / window.len() as f64
        })
        .collect()
}

struct Signals {
    openness: Vec<f64>,
    motion: Vec<f64>,
    energy: Vec<f64>,
    energy_change: Vec<f64>,
}

struct Best {
    rho: f64,
    lag: i32,
    feature: SyncFeature,
}

impl Signals {
    /// The best correlation over lags and features, with the audio features circularly shifted
    /// by `shift` frames (0: as recorded).
    fn best(&self, max_lag: usize, shift: usize) -> Best {
        let count = self.energy.len();
        let rotate = |signal: &[f64]| -> Vec<f64> {
            (0..count)
                .map(|index| signal[(index + shift) % count])
                .collect()
        };
        let energy = rotate(&self.energy);
        let energy_change = rotate(&self.energy_change);
        let mut best = Best {
            rho: f64::NEG_INFINITY,
            lag: 0,
            feature: SyncFeature::Openness,
        };
        let max_lag = max_lag as i32;
        for lag in -max_lag..=max_lag {
            let openness = correlation_at(&self.openness, &energy, lag).abs();
            if openness > best.rho {
                best = Best {
                    rho: openness,
                    lag,
                    feature: SyncFeature::Openness,
                };
            }
            let motion = correlation_at(&self.motion, &energy_change, lag);
            if motion > best.rho {
                best = Best {
                    rho: motion,
                    lag,
                    feature: SyncFeature::Motion,
                };
            }
        }
        best
    }
}

/// Pearson correlation of the pairs (video[t], audio[t + lag]); 0 for a flat series.
fn correlation_at(video: &[f64], audio: &[f64], lag: i32) -> f64 {
    let count = video.len().min(audio.len()) as i64;
    let lag = i64::from(lag);
    let start = (-lag).max(0);
    let end = (count - lag).min(count);
    if end - start < 3 {
        return 0.0;
    }
    let pairs: Vec<(f64, f64)> = (start..end)
        .map(|t| (video[t as usize], audio[(t + lag) as usize]))
        .collect();
    pearson(&pairs)
}

fn pearson(pairs: &[(f64, f64)]) -> f64 {
    let n = pairs.len() as f64;
    let mean_a = pairs.iter().map(|pair| pair.0).sum::<f64>() / n;
    let mean_b = pairs.iter().map(|pair| pair.1).sum::<f64>() / n;
    let (mut covariance, mut variance_a, mut variance_b) = (0.0, 0.0, 0.0);
    for (a, b) in pairs {
        covariance += (a - mean_a) * (b - mean_b);
        variance_a += (a - mean_a).powi(2);
        variance_b += (b - mean_b).powi(2);
    }
    let denominator = (variance_a * variance_b).sqrt();
    if denominator < 1e-12 {
        0.0
    } else {
        covariance / denominator
    }
}

/// A small fixed-seed generator (SplitMix64) for the null's shifts.
pub(crate) struct SplitMix64(pub(crate) u64);

impl SplitMix64 {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests;
