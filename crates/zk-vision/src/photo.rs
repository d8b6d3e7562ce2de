//! The blue-background registration photo: check a picture against the photo rules and fix it
//! (crop, scale, JPEG size window).
//!
//! The rules ([`PhotoSpec::default`]) are Hubei 自考's upload spec (480×640 px JPEG, 20–40 KB,
//! blue background) with 学信网's head bands on the output photo (top of head 50–110 px from the
//! top, eye line 200–300 px, face width 180–300 px); see `shared/research/anchors.md` §3.
//!
//! One rule serves a camera frame (640×480 or larger, the kiosk) and an already cropped
//! 480×640 file alike: from the one face's dlib landmarks, [`plan_crop`] computes the 3:4
//! rectangle of the picture that becomes the output photo with the head in the bands. The head
//! position passes when that rectangle lies inside the picture (give or take
//! [`PhotoSpec::position_tolerance_px`]); the head size fails when the face is so small that the
//! rectangle would have to be enlarged more than [`PhotoSpec::max_upscale`] times ("move closer")
//! or so large that even the smallest allowed rectangle does not fit in the picture ("move
//! back"). Every other check is measured on that rectangle or on the face:
//!
//! - background: ID-blue share and uniformity of the rectangle's top band and two upper corner
//!   squares (never around the face: curly hair read as background there);
//! - exposure: mean luminance and clipped pixels of the face;
//! - glare: near-white, unsaturated pixels around each eye and on the face;
//! - sharpness: Laplacian variance of the face resized to a fixed size.
//!
//! [`check_photo`] lists every check with its measured value and limit ([`PhotoFinding`]) and
//! keeps the face's embedding, so the caller can compare the photo with the ID card's photo
//! without embedding it again. [`fix_photo`] (or [`render_fixed`] after a check) crops, scales
//! with Lanczos3 and encodes the JPEG with the highest quality that fits the byte window.
//!
//! All thresholds are [`PhotoSpec`] fields. They were set on synthetic photos made from the dev
//! face set (`tests/faces/photo.rs`) and must be calibrated on real kiosk photos.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, GrayImage, Rgb, RgbImage};
use zk_domain::ReasonCode;

use crate::embedding::{FaceEmbedding, Landmarks};
use crate::error::VisionError;
use crate::verifier::FaceVerifier;

/// A closed range `min..=max`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Band {
    pub min: f32,
    pub max: f32,
}

impl Band {
    pub const fn new(min: f32, max: f32) -> Band {
        Band { min, max }
    }

    pub fn contains(&self, value: f32) -> bool {
        (self.min..=self.max).contains(&value)
    }

    fn is_valid(&self) -> bool {
        self.min.is_finite() && self.max.is_finite() && self.min <= self.max
    }
}

/// "ID blue" in HSV. The research's range (hue 190–235°, S > 0.35, V > 0.35) covers the usual
/// #438EDB (hue 210°, S 0.69, V 0.86) and the Hunan/Tianjin official light blue RGB(100,197,255)
/// (hue 202.5°, S 0.61, V 1.0) as it is; no widening was needed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BlueRange {
    /// Hue in degrees.
    pub hue_deg: Band,
    /// Saturation above this (0–1): excludes white, grey and washed-out walls.
    pub min_saturation: f32,
    /// Value above this (0–1): excludes dark shadows and black.
    pub min_value: f32,
}

impl Default for BlueRange {
    fn default() -> BlueRange {
        BlueRange {
            hue_deg: Band::new(190.0, 235.0),
            min_saturation: 0.35,
            min_value: 0.35,
        }
    }
}

impl BlueRange {
    pub fn contains(&self, pixel: Rgb<u8>) -> bool {
        let (hue, saturation, value) = hsv(pixel);
        self.hue_deg.contains(hue) && saturation > self.min_saturation && value > self.min_value
    }
}

/// The registration photo's rules. `Default` is the Hubei 自考 / 学信网 photo.
#[derive(Clone, Debug, PartialEq)]
pub struct PhotoSpec {
    /// Output size in pixels (3:4 portrait).
    pub width: u32,
    pub height: u32,
    /// JPEG size window in bytes (Hubei: 20–40 KB).
    pub min_bytes: usize,
    pub max_bytes: usize,
    /// Lowest JPEG quality [`fix_photo`] may use to get under `max_bytes` (Shanghai asks for
    /// q ≥ 60; lower also shows blocking on the face).
    pub min_jpeg_quality: u8,

    /// Top of the head (hair), output px from the top (学信网: 50–110).
    pub head_top_px: Band,
    /// Eye line, output px from the top (学信网: 200–300).
    pub eye_line_px: Band,
    /// Face width in output px (学信网: 180–300), measured as `face_width_eye_distances` eye
    /// distances.
    pub face_width_px: Band,
    /// The crop aims at this face width: 230 px, inside the band with room both ways and, with
    /// the eye line at 250 px, the top of the head about 68 px from the top (in 50–110; also in
    /// Hubei's graduation-photo "hair 50–70 px") and the chin about 208 px from the bottom
    /// (Hubei: 200–300).
    pub target_face_width_px: f32,
    /// The crop aims at this eye line: 250 px, the middle of 200–300.
    pub target_eye_line_px: f32,
    /// How far the middle of the eyes may sit from the photo's vertical centre line, output px
    /// (24 px = 5 % of the width).
    pub centre_tolerance_px: f32,
    /// Face width in eye distances (between the eye centres): 2.4 is the width of dlib's face
    /// box, cheek to cheek, fitted on the dev set (see `Landmarks::training_box`).
    pub face_width_eye_distances: f32,
    /// Top of the head above the eye line, in eye distances. Not measured (no segmentation):
    /// adults' vertex is about 1.8 interpupillary distances above the pupils, hair adds a
    /// little; 1.9. Only used to keep the estimated head top in `head_top_px`.
    pub head_top_eye_distances: f32,
    /// How many output px the crop may fall outside the picture and still pass (a file that is
    /// already 480×640 with its eye line 2 px off the band); [`render_fixed`] shifts it inside.
    pub position_tolerance_px: f32,
    /// Most the crop may be enlarged (output px per picture px). A 640×480 frame's full height
    /// becomes 640 px, 1.33×; up to 1.5× still looks sharp, beyond it the face is too small for
    /// the output: "move closer".
    pub max_upscale: f32,
    /// Most the eye line may tilt, degrees.
    pub max_roll_deg: f32,
    /// Faces narrower than this (picture px, the detector's box) are not looked for: smaller
    /// ones are `VisionError::FaceTooSmall` / `NoFace`. 96 px as for camera frames (detected at
    /// half size); a usable face is at least 180 / `max_upscale` = 120 px anyway.
    pub min_face_px: f32,

    pub blue: BlueRange,
    /// Height of the background's top band, as a share of the crop height (4 %: 26 output px,
    /// well above the head top's 50 px).
    pub background_band: f32,
    /// Side of the two upper corner squares, as a share of the crop width (12 %: 58 output px).
    pub background_corner: f32,
    /// Share of the background samples that must be ID blue. The synthetic photos of all 76
    /// dev-set images measure 1.00, on white or grey RGB(240,240,240) 0.00; hair in the top band
    /// or a blue screen that does not reach a corner costs more than 15 %.
    pub min_blue_share: f32,
    /// Largest standard deviation of the background samples' luminance (0–255): a shadow, a
    /// wrinkle or a second colour (#438EDB next to RGB(100,197,255) is 25). A flat screen
    /// measures 0 plus JPEG noise; real cloth needs calibrating.
    pub max_background_luma_sd: f32,
    /// Largest (circular) standard deviation of the hue of the blue samples, degrees: two
    /// different blues.
    pub max_background_hue_sd: f32,

    /// Face luminance mean (0–255) band. Dev-set faces measure 76–185 (the darkest a dim
    /// photo, dark-skinned faces in ordinary light 98–145); the face at 0.3× light 31–43,
    /// brightened (1.3× + 50) 210–233. The low end stays low so dark skin in good light passes;
    /// calibrate it on the kiosk's own lighting.
    pub face_luma: Band,
    /// Luminance at or below this is clipped black.
    pub clip_dark: u8,
    /// Luminance at or above this is clipped white.
    pub clip_bright: u8,
    /// Most of the face that may be clipped (black or white). Dev set: under 4 %, except a
    /// photo with a hard black side shadow (12–13 %); brightened faces 30–50 %.
    pub max_clipped_share: f32,

    /// A pixel is specular (glare) when its smallest channel is at least this…
    pub glare_min_channel: u8,
    /// …and its saturation (max − min) / max at most this.
    pub glare_max_saturation: f32,
    /// Size of the box around each eye centre where glare is counted, in eye distances
    /// (a spectacle lens is about 0.8 × 0.5).
    pub eye_box_width: f32,
    pub eye_box_height: f32,
    /// Most of either eye box that may be specular. Dev set: under 1 % for most, 5 % at most;
    /// a white reflection 0.2 eye distances in radius on one lens covers 20–22 %.
    pub max_eye_glare_share: f32,
    /// Most of the face that may be specular (shine on forehead and nose). Dev set: at most
    /// 5.1 % (bright greyscale photo with glasses).
    pub max_face_glare_share: f32,

    /// The face is resized to this many px square before the Laplacian, so the sharpness value
    /// does not depend on the picture's resolution.
    pub sharpness_side_px: u32,
    /// Least Laplacian variance of the face (4-neighbour kernel, luminance 0–255). Synthetic
    /// photos from sharp sources measure 45–1070, the same blurred (Gaussian σ = 3 px) 6–12;
    /// small LFW crops enlarged 2–3× to the photo size 6–38 (visibly soft; most fail, rightly).
    pub min_laplacian_variance: f32,
    /// The face region for exposure and sharpness: the dlib face box scaled by this around its
    /// centre (0.8 keeps the hairline and the background out).
    pub face_region_scale: f32,
}

impl Default for PhotoSpec {
    fn default() -> PhotoSpec {
        PhotoSpec {
            width: 480,
            height: 640,
            min_bytes: 20 * 1024,
            max_bytes: 40 * 1024,
            min_jpeg_quality: 60,
            head_top_px: Band::new(50.0, 110.0),
            eye_line_px: Band::new(200.0, 300.0),
            face_width_px: Band::new(180.0, 300.0),
            target_face_width_px: 230.0,
            target_eye_line_px: 250.0,
            centre_tolerance_px: 24.0,
            face_width_eye_distances: 2.4,
            head_top_eye_distances: 1.9,
            position_tolerance_px: 8.0,
            max_upscale: 1.5,
            max_roll_deg: 6.0,
            min_face_px: 96.0,
            blue: BlueRange::default(),
            background_band: 0.04,
            background_corner: 0.12,
            min_blue_share: 0.85,
            max_background_luma_sd: 20.0,
            max_background_hue_sd: 10.0,
            face_luma: Band::new(60.0, 215.0),
            clip_dark: 8,
            clip_bright: 248,
            max_clipped_share: 0.10,
            glare_min_channel: 235,
            glare_max_saturation: 0.12,
            eye_box_width: 0.9,
            eye_box_height: 0.6,
            max_eye_glare_share: 0.08,
            max_face_glare_share: 0.06,
            sharpness_side_px: 128,
            min_laplacian_variance: 25.0,
            face_region_scale: 0.8,
        }
    }
}

impl PhotoSpec {
    /// Refuses settings the checks cannot work with (zero sizes, empty or inverted bands,
    /// non-finite numbers).
    pub fn validate(&self) -> Result<(), VisionError> {
        let finite_positive = |value: f32| value.is_finite() && value > 0.0;
        let share = |value: f32| (0.0..=1.0).contains(&value);
        let problem = if self.width < 16 || self.height < 16 {
            Some("the output must be at least 16×16 px")
        } else if self.min_bytes > self.max_bytes || self.max_bytes == 0 {
            Some("min_bytes must be at most max_bytes, and max_bytes positive")
        } else if !(1..=100).contains(&self.min_jpeg_quality) {
            Some("min_jpeg_quality must be in 1..=100")
        } else if ![
            self.head_top_px,
            self.eye_line_px,
            self.face_width_px,
            self.face_luma,
            self.blue.hue_deg,
        ]
        .iter()
        .all(Band::is_valid)
            || self.face_width_px.min <= 0.0
        {
            Some("a band is empty, inverted or not finite")
        } else if ![
            self.target_face_width_px,
            self.target_eye_line_px,
            self.face_width_eye_distances,
            self.head_top_eye_distances,
            self.max_upscale,
            self.max_roll_deg,
            self.min_face_px,
            self.eye_box_width,
            self.eye_box_height,
            self.face_region_scale,
        ]
        .into_iter()
        .all(finite_positive)
        {
            Some("targets, factors and sizes must be positive numbers")
        } else if ![self.centre_tolerance_px, self.position_tolerance_px]
            .into_iter()
            .all(|value| value.is_finite() && value >= 0.0)
        {
            Some("tolerances must be zero or positive")
        } else if ![
            self.background_band,
            self.background_corner,
            self.min_blue_share,
            self.max_clipped_share,
            self.glare_max_saturation,
            self.max_eye_glare_share,
            self.max_face_glare_share,
            self.blue.min_saturation,
            self.blue.min_value,
        ]
        .into_iter()
        .all(share)
        {
            Some("shares must be in [0, 1]")
        } else if !(self.max_background_luma_sd.is_finite()
            && self.max_background_hue_sd.is_finite()
            && self.min_laplacian_variance.is_finite())
        {
            Some("limits must be finite")
        } else if self.sharpness_side_px < 16 {
            Some("sharpness_side_px must be at least 16")
        } else {
            None
        };
        match problem {
            Some(problem) => Err(VisionError::InvalidInput(format!("photo spec: {problem}"))),
            None => Ok(()),
        }
    }
}

/// Which way a measured value must lie.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Limit {
    AtLeast(f64),
    AtMost(f64),
}

impl Limit {
    pub fn allows(&self, value: f64) -> bool {
        match *self {
            Limit::AtLeast(limit) => value >= limit,
            Limit::AtMost(limit) => value <= limit,
        }
    }

    pub fn value(&self) -> f64 {
        match *self {
            Limit::AtLeast(limit) | Limit::AtMost(limit) => limit,
        }
    }
}

/// One measured check. Several findings may share a reason (the exposure band is two).
#[derive(Clone, Debug, PartialEq)]
pub struct PhotoFinding {
    /// What the candidate is told when this check fails.
    pub reason: ReasonCode,
    /// Stable name of the measure, e.g. `"blue_share"`.
    pub measure: &'static str,
    pub passed: bool,
    pub value: f64,
    pub limit: Limit,
}

impl PhotoFinding {
    fn new(reason: ReasonCode, measure: &'static str, value: f64, limit: Limit) -> PhotoFinding {
        // NaN never passes.
        let passed = !value.is_nan() && limit.allows(value);
        PhotoFinding {
            reason,
            measure,
            passed,
            value,
            limit,
        }
    }
}

/// The head as the landmarks show it, in the picture's pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeadGeometry {
    /// Middle of the two eye centres.
    pub eye_middle: (f32, f32),
    /// Distance between the eye centres.
    pub eye_distance: f32,
    /// Tilt of the eye line, degrees (positive: the right-hand eye in the picture is lower).
    pub roll_deg: f32,
}

impl HeadGeometry {
    /// `None` for degenerate landmarks (eyes on top of each other, not finite).
    pub fn from_landmarks(landmarks: &Landmarks) -> Option<HeadGeometry> {
        let [a0, a1, b0, b1, _] = landmarks.points;
        let first = ((a0.0 + a1.0) / 2.0, (a0.1 + a1.1) / 2.0);
        let second = ((b0.0 + b1.0) / 2.0, (b0.1 + b1.1) / 2.0);
        let (left, right) = if first.0 <= second.0 {
            (first, second)
        } else {
            (second, first)
        };
        let (dx, dy) = (right.0 - left.0, right.1 - left.1);
        let eye_distance = dx.hypot(dy);
        if !(eye_distance.is_finite() && eye_distance > 1.0) {
            return None;
        }
        Some(HeadGeometry {
            eye_middle: ((left.0 + right.0) / 2.0, (left.1 + right.1) / 2.0),
            eye_distance,
            roll_deg: dy.atan2(dx).to_degrees(),
        })
    }

    /// The two eye centres, left one (in the picture) first.
    pub fn eye_centres(&self) -> ((f32, f32), (f32, f32)) {
        let angle = self.roll_deg.to_radians();
        let half = (
            angle.cos() * self.eye_distance / 2.0,
            angle.sin() * self.eye_distance / 2.0,
        );
        let (x, y) = self.eye_middle;
        ((x - half.0, y - half.1), (x + half.0, y + half.1))
    }
}

/// A rectangle in the picture's pixels; may reach outside the picture.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CropRect {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

/// The crop that makes the output photo, and where the head lands in it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CropPlan {
    pub rect: CropRect,
    /// Output px per picture px (above 1: the crop is enlarged).
    pub upscale: f32,
    /// In output px:
    pub face_width_px: f32,
    pub eye_line_px: f32,
    /// Estimated from the eye line and `head_top_eye_distances`.
    pub head_top_px: f32,
    /// Middle of the eyes minus the photo's horizontal centre.
    pub centre_offset_px: f32,
    /// How far the crop reaches outside the picture, output px (0 when inside).
    pub outside_px: f32,
    /// The smallest crop the face-width band allows, as a share of the picture (the larger of
    /// width and height share); above 1 the face is too large for the picture.
    pub smallest_crop_share: f32,
}

/// Places the 3:4 crop for a head: the scale that gives the target face width and the offset
/// that gives the target eye line and a centred face, moved within the bands (and within the
/// upscale limit) as far as needed to stay inside the picture. When no placement stays inside,
/// the crop stays at the nearest band edge and `outside_px` says by how much it misses.
pub fn plan_crop(head: &HeadGeometry, picture: (u32, u32), spec: &PhotoSpec) -> CropPlan {
    let (picture_width, picture_height) = (picture.0 as f32, picture.1 as f32);
    let (out_width, out_height) = (spec.width as f32, spec.height as f32);
    let face = spec.face_width_eye_distances * head.eye_distance;
    // `scale`: picture px per output px.
    let target_scale = face / spec.target_face_width_px;
    let band_low = face / spec.face_width_px.max;
    let band_high = face / spec.face_width_px.min;
    let fit = (picture_width / out_width).min(picture_height / out_height);
    let least_for_upscale = 1.0 / spec.max_upscale;
    let low = band_low.max(least_for_upscale);
    let high = band_high.min(fit);
    let scale = if low <= high {
        bounded(target_scale, low, high)
    } else if band_low > fit {
        // Too large: even the biggest allowed face needs more than the picture.
        band_low
    } else {
        // Too small (or the picture is): as little enlargement as the band and picture allow.
        high
    }
    .max(f32::MIN_POSITIVE);

    let eye_distance_out = head.eye_distance / scale;
    let head_above_eyes = spec.head_top_eye_distances * eye_distance_out;
    let mut eye_low = spec
        .eye_line_px
        .min
        .max(spec.head_top_px.min + head_above_eyes);
    let mut eye_high = spec
        .eye_line_px
        .max
        .min(spec.head_top_px.max + head_above_eyes);
    if eye_low > eye_high {
        // The head-top and eye bands cannot both hold at this size: keep the eye band.
        let middle = bounded(
            (eye_low + eye_high) / 2.0,
            spec.eye_line_px.min,
            spec.eye_line_px.max,
        );
        eye_low = middle;
        eye_high = middle;
    }
    let (eye_x, eye_y) = head.eye_middle;
    let crop_width = out_width * scale;
    let crop_height = out_height * scale;
    let y = place(
        eye_y - spec.target_eye_line_px * scale,
        (eye_y - eye_high * scale, eye_y - eye_low * scale),
        (0.0, picture_height - crop_height),
    );
    let half = out_width / 2.0;
    let x = place(
        eye_x - half * scale,
        (
            eye_x - (half + spec.centre_tolerance_px) * scale,
            eye_x - (half - spec.centre_tolerance_px) * scale,
        ),
        (0.0, picture_width - crop_width),
    );
    let outside = [
        -x,
        x + crop_width - picture_width,
        -y,
        y + crop_height - picture_height,
        0.0,
    ]
    .into_iter()
    .fold(0.0f32, f32::max);
    let eye_line_px = (eye_y - y) / scale;
    CropPlan {
        rect: CropRect {
            x,
            y,
            width: crop_width,
            height: crop_height,
        },
        upscale: 1.0 / scale,
        face_width_px: face / scale,
        eye_line_px,
        head_top_px: eye_line_px - head_above_eyes,
        centre_offset_px: (eye_x - x) / scale - half,
        outside_px: outside / scale,
        smallest_crop_share: (band_low * out_width / picture_width)
            .max(band_low * out_height / picture_height),
    }
}

/// The crop's offset along one axis: `target` moved into `band` (what keeps the head in the
/// spec), then within the band as close as possible into `inside` (the offsets that keep the
/// crop in the picture; inverted when the crop is larger than the picture).
fn place(target: f32, band: (f32, f32), inside: (f32, f32)) -> f32 {
    let (band_low, band_high) = band;
    let target = bounded(target, band_low, band_high);
    let (inside_low, inside_high) = inside;
    if inside_low > inside_high {
        // Larger than the picture: centred on it, as far as the band allows.
        return bounded((inside_low + inside_high) / 2.0, band_low, band_high);
    }
    let low = band_low.max(inside_low);
    let high = band_high.min(inside_high);
    if low <= high {
        bounded(target, low, high)
    } else if band_high < inside_low {
        band_high
    } else {
        band_low
    }
}

/// `value` limited to `low..=high` (`low` wins if they cross); unlike `f32::clamp` it never
/// panics, whatever a caller's geometry or spec holds (NaN passes through `max`/`min` as the
/// other operand).
fn bounded(value: f32, low: f32, high: f32) -> f32 {
    value.min(high).max(low)
}

/// Everything [`check_photo`] measured.
#[derive(Clone, Debug, PartialEq)]
pub struct PhotoReport {
    /// The one face: box, landmarks and template (compare it with the ID photo's).
    pub embedding: FaceEmbedding,
    pub head: HeadGeometry,
    pub crop: CropPlan,
    /// Every check in order: head size, head position, background, exposure, glare,
    /// sharpness.
    pub findings: Vec<PhotoFinding>,
}

impl PhotoReport {
    pub fn passed(&self) -> bool {
        self.findings.iter().all(|finding| finding.passed)
    }

    /// The first failing check's reason: what to tell the candidate first.
    pub fn first_failure(&self) -> Option<ReasonCode> {
        self.findings
            .iter()
            .find(|finding| !finding.passed)
            .map(|finding| finding.reason)
    }

    /// Every distinct failing reason, in check order.
    pub fn failures(&self) -> Vec<ReasonCode> {
        let mut reasons = Vec::new();
        for finding in self.findings.iter().filter(|finding| !finding.passed) {
            if !reasons.contains(&finding.reason) {
                reasons.push(finding.reason);
            }
        }
        reasons
    }

    /// The finding for one measure, if it was taken.
    pub fn finding(&self, measure: &str) -> Option<&PhotoFinding> {
        self.findings
            .iter()
            .find(|finding| finding.measure == measure)
    }
}

/// Checks a picture (a camera frame or a photo file, upright RGB — see [`crate::decode_image`])
/// against `spec`. Exactly one face of at least `spec.min_face_px` must be found: no face,
/// several faces and a too small face are the verifier's errors
/// ([`VisionError::frame_reason`] gives `NoFace`, `MultipleFaces`, `HeadSize`). Otherwise every
/// check is in the report, passed or not. Embeds the face once (about 45 ms for a 640×480 frame
/// on one core); the measures themselves take a few ms.
pub fn check_photo(
    verifier: &FaceVerifier,
    image: &RgbImage,
    spec: &PhotoSpec,
) -> Result<PhotoReport, VisionError> {
    spec.validate()?;
    let embedding = verifier.single_face(image, spec.min_face_px)?;
    report_for(image, embedding, spec)
}

/// The report for a face already found and embedded in `image` (e.g. by
/// [`FaceVerifier::single_face`]).
pub fn report_for(
    image: &RgbImage,
    embedding: FaceEmbedding,
    spec: &PhotoSpec,
) -> Result<PhotoReport, VisionError> {
    spec.validate()?;
    let head = HeadGeometry::from_landmarks(&embedding.landmarks).ok_or_else(|| {
        VisionError::Internal("the face's landmarks put both eyes on one point".into())
    })?;
    let crop = plan_crop(&head, image.dimensions(), spec);
    let face_region = face_region(&embedding.landmarks, spec.face_region_scale);
    let background = background_stats(image, &crop.rect, spec);
    let exposure = exposure_stats(image, face_region, spec);
    let eye_glare = eye_glare_share(image, &head, spec);
    let face_glare = glare_share(image, face_region, spec);
    let sharpness = laplacian_variance_of(image, face_region, spec.sharpness_side_px);
    let findings = vec![
        PhotoFinding::new(
            ReasonCode::HeadSize,
            "upscale",
            f64::from(crop.upscale),
            Limit::AtMost(f64::from(spec.max_upscale)),
        ),
        PhotoFinding::new(
            ReasonCode::HeadSize,
            "smallest_crop_share",
            f64::from(crop.smallest_crop_share),
            Limit::AtMost(1.0),
        ),
        PhotoFinding::new(
            ReasonCode::HeadPosition,
            "outside_px",
            f64::from(crop.outside_px),
            Limit::AtMost(f64::from(spec.position_tolerance_px)),
        ),
        PhotoFinding::new(
            ReasonCode::HeadPosition,
            "roll_deg",
            f64::from(head.roll_deg.abs()),
            Limit::AtMost(f64::from(spec.max_roll_deg)),
        ),
        PhotoFinding::new(
            ReasonCode::BackgroundNotBlue,
            "blue_share",
            background.blue_share,
            Limit::AtLeast(f64::from(spec.min_blue_share)),
        ),
        PhotoFinding::new(
            ReasonCode::BackgroundNotBlue,
            "background_luma_sd",
            background.luma_sd,
            Limit::AtMost(f64::from(spec.max_background_luma_sd)),
        ),
        PhotoFinding::new(
            ReasonCode::BackgroundNotBlue,
            "background_hue_sd",
            background.hue_sd,
            Limit::AtMost(f64::from(spec.max_background_hue_sd)),
        ),
        PhotoFinding::new(
            ReasonCode::Exposure,
            "face_luma_min",
            exposure.mean_luma,
            Limit::AtLeast(f64::from(spec.face_luma.min)),
        ),
        PhotoFinding::new(
            ReasonCode::Exposure,
            "face_luma_max",
            exposure.mean_luma,
            Limit::AtMost(f64::from(spec.face_luma.max)),
        ),
        PhotoFinding::new(
            ReasonCode::Exposure,
            "clipped_share",
            exposure.clipped_share,
            Limit::AtMost(f64::from(spec.max_clipped_share)),
        ),
        PhotoFinding::new(
            ReasonCode::Glare,
            "eye_glare_share",
            eye_glare,
            Limit::AtMost(f64::from(spec.max_eye_glare_share)),
        ),
        PhotoFinding::new(
            ReasonCode::Glare,
            "face_glare_share",
            face_glare,
            Limit::AtMost(f64::from(spec.max_face_glare_share)),
        ),
        PhotoFinding::new(
            ReasonCode::Blurry,
            "laplacian_variance",
            sharpness,
            Limit::AtLeast(f64::from(spec.min_laplacian_variance)),
        ),
    ];
    Ok(PhotoReport {
        embedding,
        head,
        crop,
        findings,
    })
}

/// Whether the fixed photo's JPEG is inside the byte window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeFit {
    /// Between `min_bytes` and `max_bytes`, at the highest quality that fits.
    Within,
    /// Even quality 100 is under `min_bytes` (a very flat picture); the quality-100 JPEG is
    /// kept. Padding the file to size is not done: a portal that checks the size wants detail.
    BelowMinimum,
    /// Even `min_jpeg_quality` is over `max_bytes` (a very noisy picture); the
    /// `min_jpeg_quality` JPEG is kept.
    AboveMaximum,
}

/// The fixed photo: a `spec.width`×`spec.height` JPEG.
#[derive(Clone, Debug, PartialEq)]
pub struct FixedPhoto {
    pub jpeg: Vec<u8>,
    pub quality: u8,
    pub size_fit: SizeFit,
    /// The picture's pixels that were used (the planned crop, shifted inside the picture when
    /// it reached out by no more than the tolerance).
    pub crop: CropRect,
    /// The report on the picture the photo was cut from.
    pub report: PhotoReport,
}

impl FixedPhoto {
    /// The picture passed every check and the file is inside the byte window: ready to upload.
    pub fn is_acceptable(&self) -> bool {
        self.report.passed() && self.size_fit == SizeFit::Within
    }
}

/// [`check_photo`], then [`render_fixed`]. A photo is made whenever a single face was found,
/// even when checks fail (the caller shows the report; [`FixedPhoto::is_acceptable`] says
/// whether it may be used). Where the crop reaches outside the picture, edge pixels repeat.
pub fn fix_photo(
    verifier: &FaceVerifier,
    image: &RgbImage,
    spec: &PhotoSpec,
) -> Result<FixedPhoto, VisionError> {
    let report = check_photo(verifier, image, spec)?;
    render_fixed(image, report, spec)
}

/// Crops `image` as `report` planned, scales the crop to the output size with Lanczos3 and
/// encodes the JPEG at the highest quality in `spec.min_jpeg_quality..=100` whose file is at
/// most `spec.max_bytes` ([`search_quality`]).
pub fn render_fixed(
    image: &RgbImage,
    report: PhotoReport,
    spec: &PhotoSpec,
) -> Result<FixedPhoto, VisionError> {
    spec.validate()?;
    let crop = shift_inside(report.crop.rect, image.dimensions());
    let pixels = crop_padded(image, &crop)?;
    let scaled = DynamicImage::ImageRgb8(pixels)
        .resize_exact(spec.width, spec.height, FilterType::Lanczos3)
        .into_rgb8();
    let (quality, jpeg, size_fit) = search_quality(
        spec.min_jpeg_quality,
        spec.min_bytes,
        spec.max_bytes,
        |quality| encode_jpeg(&scaled, quality),
    )?;
    Ok(FixedPhoto {
        jpeg,
        quality,
        size_fit,
        crop,
        report,
    })
}

/// The crop moved inside the picture along each axis where it fits (it reaches out by at most
/// the tolerance when the check passed); a crop larger than the picture stays as planned.
fn shift_inside(rect: CropRect, picture: (u32, u32)) -> CropRect {
    let shift = |offset: f32, size: f32, limit: f32| {
        if size <= limit {
            bounded(offset, 0.0, limit - size)
        } else {
            offset
        }
    };
    CropRect {
        x: shift(rect.x, rect.width, picture.0 as f32),
        y: shift(rect.y, rect.height, picture.1 as f32),
        ..rect
    }
}

/// The crop's pixels, rounded to whole pixels; outside the picture the nearest edge pixel.
fn crop_padded(image: &RgbImage, rect: &CropRect) -> Result<RgbImage, VisionError> {
    let (width, height) = image.dimensions();
    let values = [rect.x, rect.y, rect.width, rect.height];
    if width == 0 || height == 0 || !values.iter().all(|value| value.is_finite()) {
        return Err(VisionError::InvalidInput(
            "an empty picture or a crop that is not finite".into(),
        ));
    }
    let crop_width = (rect.width.round() as u32).max(1);
    let crop_height = (rect.height.round() as u32).max(1);
    if u64::from(crop_width) * u64::from(crop_height) > crate::input::MAX_PIXELS {
        return Err(VisionError::InvalidInput("the crop is too large".into()));
    }
    let left = rect.x.round() as i64;
    let top = rect.y.round() as i64;
    let raw = image.as_raw();
    let mut pixels = Vec::with_capacity(crop_width as usize * crop_height as usize * 3);
    let inside_x = left >= 0 && left + i64::from(crop_width) <= i64::from(width);
    for row in 0..i64::from(crop_height) {
        let source_y = (top + row).clamp(0, i64::from(height) - 1) as usize;
        let row_start = source_y * width as usize * 3;
        if inside_x {
            let start = row_start + left as usize * 3;
            pixels.extend_from_slice(&raw[start..start + crop_width as usize * 3]);
        } else {
            for column in 0..i64::from(crop_width) {
                let source_x = (left + column).clamp(0, i64::from(width) - 1) as usize;
                let start = row_start + source_x * 3;
                pixels.extend_from_slice(&raw[start..start + 3]);
            }
        }
    }
    RgbImage::from_raw(crop_width, crop_height, pixels)
        .ok_or_else(|| VisionError::Internal("pixel buffer size mismatch".into()))
}

/// Baseline JPEG of `image` at `quality` (1–100).
pub fn encode_jpeg(image: &RgbImage, quality: u8) -> Result<Vec<u8>, VisionError> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(Cursor::new(&mut bytes), quality.clamp(1, 100))
        .encode_image(image)
        .map_err(|error| VisionError::Internal(format!("JPEG encoding failed: {error}")))?;
    Ok(bytes)
}

/// The highest quality in `min_quality..=100` whose encoding is at most `max_bytes`, by binary
/// search (JPEG size grows with quality: about 6 encodings for 60..=100), with its bytes and
/// whether the size is in `min_bytes..=max_bytes`. See [`SizeFit`] for the two ways it can
/// miss.
pub fn search_quality<E>(
    min_quality: u8,
    min_bytes: usize,
    max_bytes: usize,
    mut encode: impl FnMut(u8) -> Result<Vec<u8>, E>,
) -> Result<(u8, Vec<u8>, SizeFit), E> {
    let min_quality = min_quality.clamp(1, 100);
    // Invariant: every quality ≤ `fits` fits (None: none known yet), every quality ≥
    // `too_big` does not (101: none known yet).
    let mut fits: Option<(u8, Vec<u8>)> = None;
    let mut too_big: (u8, Vec<u8>) = (101, Vec::new());
    loop {
        let low = fits
            .as_ref()
            .map_or(min_quality, |(quality, _)| quality + 1);
        if low >= too_big.0 {
            break;
        }
        let middle = low + (too_big.0 - low) / 2;
        let bytes = encode(middle)?;
        if bytes.len() <= max_bytes {
            fits = Some((middle, bytes));
        } else {
            too_big = (middle, bytes);
        }
    }
    Ok(match fits {
        Some((quality, bytes)) => {
            let fit = if bytes.len() >= min_bytes {
                SizeFit::Within
            } else {
                SizeFit::BelowMinimum
            };
            (quality, bytes, fit)
        }
        // Nothing fits, so the search ended on `min_quality`, which it encoded.
        None => (too_big.0, too_big.1, SizeFit::AboveMaximum),
    })
}

// ---- pixel measures -------------------------------------------------------------------------

/// Hue in degrees [0, 360), saturation and value in [0, 1]. Grey has hue 0 and saturation 0.
pub fn hsv(pixel: Rgb<u8>) -> (f32, f32, f32) {
    let [red, green, blue] = pixel.0.map(|channel| f32::from(channel) / 255.0);
    let max = red.max(green).max(blue);
    let min = red.min(green).min(blue);
    let delta = max - min;
    let hue = if delta <= f32::EPSILON {
        0.0
    } else if max == red {
        60.0 * ((green - blue) / delta).rem_euclid(6.0)
    } else if max == green {
        60.0 * ((blue - red) / delta + 2.0)
    } else {
        60.0 * ((red - green) / delta + 4.0)
    };
    let saturation = if max <= f32::EPSILON {
        0.0
    } else {
        delta / max
    };
    (hue, saturation, max)
}

/// Rec. 601 luminance, 0–255.
pub fn luma(pixel: Rgb<u8>) -> f32 {
    let [red, green, blue] = pixel.0.map(f32::from);
    0.299 * red + 0.587 * green + 0.114 * blue
}

/// An integer pixel rectangle inside a picture: columns `x0..x1`, rows `y0..y1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PixelRect {
    x0: u32,
    y0: u32,
    x1: u32,
    y1: u32,
}

impl PixelRect {
    /// The part of `x..x+width`, `y..y+height` inside a `picture`; `None` if nothing is.
    fn clipped(x: f32, y: f32, width: f32, height: f32, picture: (u32, u32)) -> Option<PixelRect> {
        if ![x, y, width, height].iter().all(|value| value.is_finite()) {
            return None;
        }
        let clip = |value: f32, limit: u32| bounded(value.round(), 0.0, limit as f32) as u32;
        let rect = PixelRect {
            x0: clip(x, picture.0),
            y0: clip(y, picture.1),
            x1: clip(x + width, picture.0),
            y1: clip(y + height, picture.1),
        };
        (rect.x0 < rect.x1 && rect.y0 < rect.y1).then_some(rect)
    }

    fn area(&self) -> u64 {
        u64::from(self.x1 - self.x0) * u64::from(self.y1 - self.y0)
    }

    /// Every `step`-th pixel in both directions, `step` chosen for about `samples` pixels.
    fn pixels<'a>(&self, image: &'a RgbImage, samples: u64) -> impl Iterator<Item = Rgb<u8>> + 'a {
        let step = ((self.area() as f64 / samples.max(1) as f64).sqrt().floor() as u32).max(1);
        let rect = *self;
        (rect.y0..rect.y1)
            .step_by(step as usize)
            .flat_map(move |y| {
                (rect.x0..rect.x1)
                    .step_by(step as usize)
                    .map(move |x| *image.get_pixel(x, y))
            })
    }
}

/// Pixels looked at per region: plenty for a share or a mean, and a few ms even in a debug
/// build.
const SAMPLES_PER_REGION: u64 = 20_000;

/// What the background samples show.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BackgroundStats {
    pub samples: usize,
    pub blue_share: f64,
    pub luma_sd: f64,
    /// Circular standard deviation of the blue samples' hue, degrees (0 without blue samples).
    pub hue_sd: f64,
}

/// The background of the crop: its top band (`background_band` of its height) and its two
/// upper corner squares (`background_corner` of its width), the parts inside the picture.
/// Never the area around the face.
pub fn background_stats(image: &RgbImage, crop: &CropRect, spec: &PhotoSpec) -> BackgroundStats {
    let picture = image.dimensions();
    let band = crop.height * spec.background_band;
    let corner = crop.width * spec.background_corner;
    let regions = [
        PixelRect::clipped(crop.x, crop.y, crop.width, band, picture),
        // The corner squares below the band, so no pixel counts twice.
        PixelRect::clipped(crop.x, crop.y + band, corner, corner - band, picture),
        PixelRect::clipped(
            crop.x + crop.width - corner,
            crop.y + band,
            corner,
            corner - band,
            picture,
        ),
    ];
    let samples: Vec<Rgb<u8>> = regions
        .iter()
        .flatten()
        .flat_map(|region| region.pixels(image, SAMPLES_PER_REGION))
        .collect();
    background_stats_of(&samples, &spec.blue)
}

/// [`BackgroundStats`] of some pixels.
pub fn background_stats_of(samples: &[Rgb<u8>], blue: &BlueRange) -> BackgroundStats {
    if samples.is_empty() {
        return BackgroundStats {
            samples: 0,
            blue_share: 0.0,
            luma_sd: 0.0,
            hue_sd: 0.0,
        };
    }
    let count = samples.len() as f64;
    let mut blue_count = 0usize;
    let (mut sum, mut sum_squares) = (0.0f64, 0.0f64);
    let (mut hue_x, mut hue_y) = (0.0f64, 0.0f64);
    for pixel in samples {
        let value = f64::from(luma(*pixel));
        sum += value;
        sum_squares += value * value;
        if blue.contains(*pixel) {
            blue_count += 1;
            let angle = f64::from(hsv(*pixel).0).to_radians();
            hue_x += angle.cos();
            hue_y += angle.sin();
        }
    }
    let mean = sum / count;
    let luma_sd = (sum_squares / count - mean * mean).max(0.0).sqrt();
    let hue_sd = if blue_count == 0 {
        0.0
    } else {
        let resultant = (hue_x.hypot(hue_y) / blue_count as f64).clamp(1e-12, 1.0);
        (-2.0 * resultant.ln()).max(0.0).sqrt().to_degrees() + 0.0
    };
    BackgroundStats {
        samples: samples.len(),
        blue_share: blue_count as f64 / count,
        luma_sd,
        hue_sd,
    }
}

/// The face for exposure and sharpness: dlib's face box placed from the landmarks (brows to
/// chin, cheek to cheek), scaled by `scale` around its centre. `None` for degenerate
/// landmarks.
fn face_region(landmarks: &Landmarks, scale: f32) -> Option<CropRect> {
    landmarks.training_box().map(|face| {
        let face = face.scaled(scale);
        CropRect {
            x: face.x,
            y: face.y,
            width: face.width,
            height: face.height,
        }
    })
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Exposure {
    mean_luma: f64,
    clipped_share: f64,
}

fn exposure_stats(image: &RgbImage, region: Option<CropRect>, spec: &PhotoSpec) -> Exposure {
    let pixels = region_pixels(image, region);
    if pixels.is_empty() {
        return Exposure {
            mean_luma: f64::NAN,
            clipped_share: f64::NAN,
        };
    }
    let (dark, bright) = (f32::from(spec.clip_dark), f32::from(spec.clip_bright));
    let mut sum = 0.0f64;
    let mut clipped = 0usize;
    for pixel in &pixels {
        let value = luma(*pixel);
        sum += f64::from(value);
        if value <= dark || value >= bright {
            clipped += 1;
        }
    }
    Exposure {
        mean_luma: sum / pixels.len() as f64,
        clipped_share: clipped as f64 / pixels.len() as f64,
    }
}

fn region_pixels(image: &RgbImage, region: Option<CropRect>) -> Vec<Rgb<u8>> {
    region
        .and_then(|rect| {
            PixelRect::clipped(rect.x, rect.y, rect.width, rect.height, image.dimensions())
        })
        .map(|rect| rect.pixels(image, SAMPLES_PER_REGION).collect())
        .unwrap_or_default()
}

/// Near-white, unsaturated: a reflection of a lamp, not skin or the white of an eye.
pub fn is_specular(pixel: Rgb<u8>, spec: &PhotoSpec) -> bool {
    let [red, green, blue] = pixel.0;
    let min = red.min(green).min(blue);
    let max = red.max(green).max(blue);
    min >= spec.glare_min_channel
        && f32::from(max - min) <= spec.glare_max_saturation * f32::from(max)
}

fn specular_share(pixels: &[Rgb<u8>], spec: &PhotoSpec) -> f64 {
    if pixels.is_empty() {
        return f64::NAN;
    }
    let count = pixels
        .iter()
        .filter(|pixel| is_specular(**pixel, spec))
        .count();
    count as f64 / pixels.len() as f64
}

fn glare_share(image: &RgbImage, region: Option<CropRect>, spec: &PhotoSpec) -> f64 {
    specular_share(&region_pixels(image, region), spec)
}

/// The larger specular share of the two eye boxes.
fn eye_glare_share(image: &RgbImage, head: &HeadGeometry, spec: &PhotoSpec) -> f64 {
    let (width, height) = (
        spec.eye_box_width * head.eye_distance,
        spec.eye_box_height * head.eye_distance,
    );
    let (left, right) = head.eye_centres();
    [left, right]
        .iter()
        .map(|(x, y)| {
            let region = CropRect {
                x: x - width / 2.0,
                y: y - height / 2.0,
                width,
                height,
            };
            glare_share(image, Some(region), spec)
        })
        .fold(f64::NAN, f64::max)
}

/// Variance of the 4-neighbour Laplacian of the luminance of `region`, resized to `side`×`side`
/// (anti-aliased), so sharp faces of any resolution compare. NaN when the region is empty.
fn laplacian_variance_of(image: &RgbImage, region: Option<CropRect>, side: u32) -> f64 {
    let Some(rect) = region.and_then(|rect| {
        PixelRect::clipped(rect.x, rect.y, rect.width, rect.height, image.dimensions())
    }) else {
        return f64::NAN;
    };
    let gray = GrayImage::from_fn(rect.x1 - rect.x0, rect.y1 - rect.y0, |x, y| {
        image::Luma([luma(*image.get_pixel(rect.x0 + x, rect.y0 + y)).round() as u8])
    });
    let resized = DynamicImage::ImageLuma8(gray)
        .resize_exact(side, side, FilterType::Triangle)
        .into_luma8();
    laplacian_variance(&resized)
}

/// Variance of the 4-neighbour Laplacian (imageproc's `laplacian_filter`) over the inner
/// pixels (the border's replicated edges would add zeros).
pub fn laplacian_variance(gray: &GrayImage) -> f64 {
    let (width, height) = gray.dimensions();
    if width < 3 || height < 3 {
        return 0.0;
    }
    let filtered = imageproc::filter::laplacian_filter(gray);
    let (mut sum, mut sum_squares, mut count) = (0.0f64, 0.0f64, 0usize);
    for y in 1..height - 1 {
        for x in 1..width - 1 {
            let value = f64::from(filtered.get_pixel(x, y).0[0]);
            sum += value;
            sum_squares += value * value;
            count += 1;
        }
    }
    let mean = sum / count as f64;
    (sum_squares / count as f64 - mean * mean).max(0.0)
}

#[cfg(test)]
mod tests;
