//! The verification rules as pure functions: which frames of a clip to scan, what a frame's faces
//! mean, which frames are the best to compare, and the three-way decision over several frames
//! (through [`MatchPolicy`], never on one frame).

use zk_domain::{Decision, MatchPolicy, ReasonCode, Score, Verdict};

use crate::detection::FaceBox;
use crate::embedding::Landmarks;
use crate::error::VisionError;

/// What the detector saw in one picture, judged against the smallest usable face width.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FrameFaces {
    NoFace,
    One(FaceBox),
    /// More than one face of usable size.
    Several {
        count: usize,
    },
    /// Faces, but all narrower than the minimum; the widest one's width.
    TooSmall {
        width_px: f32,
    },
}

/// Sorts detections into [`FrameFaces`]. Faces narrower than `min_face_px` are ignored when a
/// face of usable size is present (a far-away face in the background); otherwise the picture's
/// face is too small. Two or more usable faces are never guessed between.
pub fn classify_faces(faces: &[FaceBox], min_face_px: f32) -> FrameFaces {
    let mut usable = faces.iter().filter(|face| face.width >= min_face_px);
    match (usable.next(), usable.next()) {
        (Some(face), None) => FrameFaces::One(*face),
        (Some(_), Some(_)) => FrameFaces::Several {
            count: 2 + usable.count(),
        },
        (None, _) => match faces.iter().map(|face| face.width).reduce(f32::max) {
            Some(width_px) => FrameFaces::TooSmall { width_px },
            None => FrameFaces::NoFace,
        },
    }
}

impl FrameFaces {
    /// The single usable face, or the typed error that says why there is none.
    pub fn single(self, min_face_px: f32) -> Result<FaceBox, VisionError> {
        match self {
            FrameFaces::One(face) => Ok(face),
            FrameFaces::NoFace => Err(VisionError::NoFace),
            FrameFaces::Several { count } => Err(VisionError::SeveralFaces { count }),
            FrameFaces::TooSmall { width_px } => Err(VisionError::FaceTooSmall {
                width_px: width_px.round() as u32,
                min_px: min_face_px.round() as u32,
            }),
        }
    }
}

/// Up to `count` frame indices spread evenly over `frame_count` frames (first and last
/// included), in order.
pub fn sample_evenly(frame_count: usize, count: usize) -> Vec<usize> {
    if count == 0 || frame_count == 0 {
        return Vec::new();
    }
    if count >= frame_count {
        return (0..frame_count).collect();
    }
    if count == 1 {
        return vec![frame_count / 2];
    }
    let mut indices: Vec<usize> = (0..count)
        .map(|step| (step * (frame_count - 1) + (count - 1) / 2) / (count - 1))
        .collect();
    indices.dedup();
    indices
}

/// A frame with exactly one usable face, and that face's landmarks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrameCandidate {
    pub frame_index: usize,
    pub face: FaceBox,
    pub landmarks: Landmarks,
}

/// Eye distance (px) from which a bigger face no longer helps: dlib aligns to a 150-px chip
/// where the eyes are about 40 px apart.
pub const FULL_DETAIL_EYE_DISTANCE: f32 = 40.0;

/// How good a frame is for comparison, in [0, 1]: frontal and big enough (up to the chip's
/// resolution) is best.
pub fn frame_quality(candidate: &FrameCandidate) -> f32 {
    let detail = (candidate.landmarks.eye_distance() / FULL_DETAIL_EYE_DISTANCE).clamp(0.0, 1.0);
    detail * candidate.landmarks.frontalness()
}

/// Indices (into `candidates`) of the `count` best frames, best first; ties go to the higher
/// detector score, then the earlier frame.
pub fn select_best(candidates: &[FrameCandidate], count: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&a, &b| {
        let (first, second) = (&candidates[a], &candidates[b]);
        frame_quality(second)
            .total_cmp(&frame_quality(first))
            .then(second.face.score.total_cmp(&first.face.score))
            .then(first.frame_index.cmp(&second.frame_index))
    });
    order.truncate(count);
    order
}

/// What the scanned frames of a clip showed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameCounts {
    pub scanned: usize,
    pub one_face: usize,
    pub no_face: usize,
    pub several_faces: usize,
    pub face_too_small: usize,
    /// Frames the detector could not use at all (empty or tiny images).
    pub unusable: usize,
}

impl FrameCounts {
    pub fn add(&mut self, faces: &FrameFaces) {
        self.scanned += 1;
        match faces {
            FrameFaces::NoFace => self.no_face += 1,
            FrameFaces::One(_) => self.one_face += 1,
            FrameFaces::Several { .. } => self.several_faces += 1,
            FrameFaces::TooSmall { .. } => self.face_too_small += 1,
        }
    }

    /// Fraction of scanned frames with exactly one usable face (0 when nothing was scanned).
    pub fn one_face_fraction(&self) -> f64 {
        if self.scanned == 0 {
            0.0
        } else {
            self.one_face as f64 / self.scanned as f64
        }
    }

    /// The most frequent problem of the frames without exactly one usable face.
    pub fn main_problem(&self) -> ReasonCode {
        let problems = [
            (self.several_faces, ReasonCode::MultipleFaces),
            (self.face_too_small, ReasonCode::HeadSize),
            (self.no_face + self.unusable, ReasonCode::NoFace),
        ];
        problems
            .iter()
            .copied()
            .max_by_key(|(count, _)| *count)
            .filter(|(count, _)| *count > 0)
            .map_or(ReasonCode::NoFace, |(_, reason)| reason)
    }
}

/// The identity decision over the compared frames' distances to the ID photo: the median
/// distance against the policy's two thresholds ([`MatchPolicy::decide`]). With too few usable
/// frames it fails with the frames' main problem (no face, several faces, face too small).
/// The verdict carries the frame counts as scores and `model_version`.
pub fn decide_identity(
    policy: &MatchPolicy,
    distances: &[f64],
    counts: &FrameCounts,
    model_version: &str,
) -> Verdict {
    let mut verdict = policy.decide(distances);
    if let Decision::Fail(ReasonCode::NoFace) = verdict.decision {
        verdict.decision = Decision::Fail(counts.main_problem());
    }
    verdict.model_version = model_version.to_owned();
    verdict.scores.push(Score::new(
        "frames_scanned",
        counts.scanned as f64,
        policy.min_frames as f64,
    ));
    verdict.scores.push(Score::new(
        "frames_several_faces",
        counts.several_faces as f64,
        0.0,
    ));
    verdict
}

#[cfg(test)]
mod tests;
