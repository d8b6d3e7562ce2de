//! The face half of liveness as pure rules: one face, inside the guide box the UI draws, of a
//! size that shows the face well, in most of the scanned frames of the clip; and which frames
//! show it best for the comparison with the ID photo.
//!
//! The guide box is a fraction of the frame, centred. A face counts as in it when its centre is
//! inside; a face narrower than `min_face` of the frame's width is too far ("come closer"), one
//! wider than `max_face` too near ("move back a little"). Pure: face boxes and pixels in,
//! findings out.

use image::GrayImage;
use serde::{Deserialize, Serialize};
use zk_domain::ReasonCode;
use zk_vision::FaceBox;

/// `[matcher.guide]`: the guide box and the face-size limits, as fractions of the frame.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct GuideConfig {
    /// Width of the guide box, a fraction of the frame's width, centred.
    pub width: f64,
    /// Height of the guide box, a fraction of the frame's height, centred.
    pub height: f64,
    /// Narrowest face, a fraction of the frame's width (at 640 px: 0.18 is 115 px).
    pub min_face: f64,
    /// Widest face, a fraction of the frame's width.
    pub max_face: f64,
    /// Fewest of the scanned frames that must show exactly one face, in the box and of a good
    /// size.
    pub min_in_guide_fraction: f64,
}

impl Default for GuideConfig {
    fn default() -> Self {
        GuideConfig {
            width: 0.6,
            height: 0.9,
            min_face: 0.18,
            max_face: 0.6,
            min_in_guide_fraction: 0.9,
        }
    }
}

impl GuideConfig {
    /// Checks the values; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        let fraction = |value: f64| value.is_finite() && value > 0.0 && value <= 1.0;
        if !fraction(self.width) || !fraction(self.height) {
            return Err("matcher.guide.width and height must be in (0, 1]".into());
        }
        if !(fraction(self.min_face) && fraction(self.max_face) && self.min_face < self.max_face) {
            return Err(
                "matcher.guide.min_face and max_face must be in (0, 1] with min_face < max_face"
                    .into(),
            );
        }
        if !fraction(self.min_in_guide_fraction) {
            return Err("matcher.guide.min_in_guide_fraction must be in (0, 1]".into());
        }
        Ok(())
    }

    /// The guide box of a `width`×`height` frame: (left, top, right, bottom) in pixels.
    pub fn rect(&self, width: u32, height: u32) -> (f64, f64, f64, f64) {
        let (w, h) = (f64::from(width), f64::from(height));
        let (half_w, half_h) = (self.width * w / 2.0, self.height * h / 2.0);
        (
            w / 2.0 - half_w,
            h / 2.0 - half_h,
            w / 2.0 + half_w,
            h / 2.0 + half_h,
        )
    }

    /// The narrowest face, in pixels of a frame `width` wide.
    pub fn min_face_px(&self, width: u32) -> f32 {
        (self.min_face * f64::from(width)) as f32
    }
}

/// What one scanned frame showed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FrameFinding {
    /// Exactly one face, in the guide box, of a good size.
    InGuide(FaceBox),
    NoFace,
    /// Two or more faces of usable size.
    SeveralFaces,
    /// One face, its centre outside the guide box.
    OutsideGuide(FaceBox),
    /// One face (the largest), narrower than the minimum.
    TooSmall(FaceBox),
    /// One face, wider than the maximum.
    TooLarge(FaceBox),
}

impl FrameFinding {
    /// The face of the frame, if it has exactly one (in the box or not).
    pub fn face(&self) -> Option<FaceBox> {
        match self {
            FrameFinding::InGuide(face)
            | FrameFinding::OutsideGuide(face)
            | FrameFinding::TooSmall(face)
            | FrameFinding::TooLarge(face) => Some(*face),
            FrameFinding::NoFace | FrameFinding::SeveralFaces => None,
        }
    }
}

/// Judges one frame's detections. Faces under half the minimum width are background (someone
/// far behind) and ignored while a bigger face is there; two faces of at least the minimum width
/// are several faces.
pub fn judge_frame(faces: &[FaceBox], frame: (u32, u32), guide: &GuideConfig) -> FrameFinding {
    let min_px = guide.min_face_px(frame.0);
    let max_px = (guide.max_face * f64::from(frame.0)) as f32;
    let Some(largest) = faces
        .iter()
        .copied()
        .max_by(|a, b| a.width.total_cmp(&b.width))
    else {
        return FrameFinding::NoFace;
    };
    let usable = faces.iter().filter(|face| face.width >= min_px).count();
    if usable >= 2 {
        return FrameFinding::SeveralFaces;
    }
    let others = faces
        .iter()
        .filter(|face| **face != largest && face.width >= min_px / 2.0)
        .count();
    if largest.width < min_px {
        // Only small faces: too far away, unless there are two of them near each other in size.
        return if others > 0 {
            FrameFinding::SeveralFaces
        } else {
            FrameFinding::TooSmall(largest)
        };
    }
    if largest.width > max_px {
        return FrameFinding::TooLarge(largest);
    }
    let (left, top, right, bottom) = guide.rect(frame.0, frame.1);
    let (x, y) = largest.centre();
    let (x, y) = (f64::from(x), f64::from(y));
    if x < left || x > right || y < top || y > bottom {
        return FrameFinding::OutsideGuide(largest);
    }
    FrameFinding::InGuide(largest)
}

/// How the scanned frames of a clip came out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GuideCounts {
    pub scanned: usize,
    pub in_guide: usize,
    pub no_face: usize,
    pub several_faces: usize,
    pub outside_guide: usize,
    pub too_small: usize,
    pub too_large: usize,
}

impl GuideCounts {
    pub fn add(&mut self, finding: &FrameFinding) {
        self.scanned += 1;
        match finding {
            FrameFinding::InGuide(_) => self.in_guide += 1,
            FrameFinding::NoFace => self.no_face += 1,
            FrameFinding::SeveralFaces => self.several_faces += 1,
            FrameFinding::OutsideGuide(_) => self.outside_guide += 1,
            FrameFinding::TooSmall(_) => self.too_small += 1,
            FrameFinding::TooLarge(_) => self.too_large += 1,
        }
    }

    pub fn of(findings: &[FrameFinding]) -> GuideCounts {
        let mut counts = GuideCounts::default();
        for finding in findings {
            counts.add(finding);
        }
        counts
    }

    /// Fraction of scanned frames with one face in the box (0 when nothing was scanned).
    pub fn in_guide_fraction(&self) -> f64 {
        if self.scanned == 0 {
            0.0
        } else {
            self.in_guide as f64 / self.scanned as f64
        }
    }

    /// Why the clip fails the face rules, or `None` when it passes. Any frame with several
    /// faces fails it (someone else is in front of the camera); otherwise fewer than
    /// `min_in_guide_fraction` of the frames in the box fail with the most frequent problem,
    /// said so the candidate can act on it.
    pub fn failure(&self, guide: &GuideConfig) -> Option<ReasonCode> {
        if self.several_faces > 0 {
            return Some(ReasonCode::MultipleFaces);
        }
        if self.scanned > 0 && self.in_guide_fraction() + 1e-9 >= guide.min_in_guide_fraction {
            return None;
        }
        // Ties go to the first: the problem the candidate can fix most easily.
        let problems = [
            (self.outside_guide, ReasonCode::FaceOutsideGuide),
            (self.too_small, ReasonCode::FaceTooFar),
            (self.too_large, ReasonCode::FaceTooNear),
            (self.no_face, ReasonCode::NoFace),
        ];
        let mut worst = (0, ReasonCode::NoFace);
        for (count, reason) in problems {
            if count > worst.0 {
                worst = (count, reason);
            }
        }
        Some(worst.1)
    }

    /// The same counts in zk-vision's terms (for its identity decision's messages).
    pub fn as_frame_counts(&self) -> zk_vision::policy::FrameCounts {
        zk_vision::policy::FrameCounts {
            scanned: self.scanned,
            one_face: self.in_guide,
            no_face: self.no_face + self.outside_guide,
            several_faces: self.several_faces,
            face_too_small: self.too_small + self.too_large,
            unusable: 0,
        }
    }
}

/// How sharp the face is: the variance of the Laplacian over the central part of the face box
/// (eyes, nose, mouth; not the hair or background at its edges) of the greyscale frame. Higher is
/// sharper; comparable between frames of one clip.
pub fn face_sharpness(gray: &GrayImage, face: &FaceBox) -> f64 {
    let (width, height) = gray.dimensions();
    let x0 = (face.x + 0.2 * face.width).max(0.0) as u32;
    let y0 = (face.y + 0.2 * face.height).max(0.0) as u32;
    let x1 = ((face.x + 0.8 * face.width) as u32).min(width);
    let y1 = ((face.y + 0.8 * face.height) as u32).min(height);
    if x1 <= x0 + 2 || y1 <= y0 + 2 {
        return 0.0;
    }
    let crop = image::imageops::crop_imm(gray, x0, y0, x1 - x0, y1 - y0).to_image();
    zk_vision::photo::laplacian_variance(&crop)
}

/// Indices (into `sharpness`) of the `count` sharpest frames, sharpest first; ties to the
/// earlier frame.
pub fn sharpest(sharpness: &[f64], count: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..sharpness.len()).collect();
    order.sort_by(|&a, &b| sharpness[b].total_cmp(&sharpness[a]).then(a.cmp(&b)));
    order.truncate(count);
    order
}

/// How good an embedded frame is for the comparison, in [0, 1]: frontal (from its landmarks),
/// detailed enough, and sharp relative to the sharpest frame of the clip.
pub fn comparison_quality(
    frontalness: f32,
    eye_distance: f32,
    sharpness: f64,
    sharpest: f64,
) -> f64 {
    let detail =
        f64::from(eye_distance / zk_vision::policy::FULL_DETAIL_EYE_DISTANCE).clamp(0.0, 1.0);
    let sharp = if sharpest > 0.0 {
        (sharpness / sharpest).clamp(0.0, 1.0)
    } else {
        1.0
    };
    f64::from(frontalness.clamp(0.0, 1.0)) * detail * (0.5 + 0.5 * sharp)
}

#[cfg(test)]
mod tests;
