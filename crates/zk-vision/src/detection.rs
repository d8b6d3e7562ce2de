//! Face detection with rustface (SeetaFace FuSt cascade, pure Rust) and the SeetaFace model
//! committed in `assets/models/` (BSD-2-Clause; see `assets/models/README.md`).
//!
//! Large frames are downscaled before detection (rustface's cost grows with the pixel count) and
//! small, tightly cropped photos get a grey border (the cascade needs some context around a face).

use std::panic::{catch_unwind, AssertUnwindSafe};

use image::imageops;
use image::{DynamicImage, GrayImage, Luma, RgbImage};

use crate::error::VisionError;

/// SeetaFace Detection's frontal model as shipped inside the `rustface` 0.1.7 crate.
static SEETA_MODEL: &[u8] = include_bytes!("../../../assets/models/seeta_fd_frontal_v1.0.bin");

/// Name and version of the detector, part of every verdict's model version.
pub const DETECTOR_VERSION: &str = "seeta-fd-frontal-v1.0";

/// rustface scans a 40-px window over an image pyramid that starts at full size, so faces
/// narrower than this (in the image it is given) are never found, whatever its minimum face
/// size setting says (rustface 0.1.7 ignores that setting).
pub const DETECTOR_WINDOW_PX: u32 = 40;

/// Width a face of the smallest wanted size is given in the detection image: the window plus
/// some slack, so such a face is found reliably.
const SMALLEST_FACE_AT_PX: f32 = 48.0;

/// Detector settings. Defaults were measured on this project's machine (2 cores, no GPU).
#[derive(Clone, Debug, PartialEq)]
pub struct DetectorConfig {
    /// Smallest face to find, in pixels of the input image. Detection cost grows with the pixel
    /// count, so the image is downscaled until such a face is about 48 px wide (never upscaled):
    /// a kiosk frame searched for faces of 96 px or more is detected at half its size.
    pub min_face_px: f32,
    /// Whatever `min_face_px` allows, the detection image's longer side is at most this.
    pub max_side_px: u32,
    /// rustface score threshold; higher finds fewer faces and fewer false ones.
    pub score_threshold: f64,
    /// Factor between image pyramid levels, in [0.1, 0.99). 0.7 instead of SeetaFace's usual
    /// 0.8 makes detection about 25 % faster and found every face of the dev set all the same.
    pub pyramid_scale: f32,
    /// Sliding-window step in pixels.
    pub window_step_px: u32,
    /// Detection images whose shorter side is at most `pad_below_px` get a grey border of this
    /// fraction of that side on every edge, so a face filling a tight crop (an ID photo) is
    /// still found.
    pub pad_fraction: f32,
    pub pad_below_px: u32,
}

impl Default for DetectorConfig {
    fn default() -> DetectorConfig {
        DetectorConfig {
            min_face_px: SMALLEST_FACE_AT_PX,
            max_side_px: 1024,
            score_threshold: 2.0,
            pyramid_scale: 0.7,
            window_step_px: 4,
            pad_fraction: 0.25,
            pad_below_px: 240,
        }
    }
}

impl DetectorConfig {
    /// Checks the ranges rustface would otherwise panic on.
    pub fn validate(&self) -> Result<(), VisionError> {
        let problem = if !(self.min_face_px.is_finite() && self.min_face_px >= 20.0) {
            Some("min_face_px must be at least 20")
        } else if self.max_side_px < 64 {
            Some("max_side_px must be at least 64")
        } else if !(self.score_threshold.is_finite() && self.score_threshold > 0.0) {
            Some("score_threshold must be a positive number")
        } else if !(0.1..0.99).contains(&self.pyramid_scale) {
            Some("pyramid_scale must be in [0.1, 0.99)")
        } else if self.window_step_px == 0 {
            Some("window_step_px must be at least 1")
        } else if !(0.0..=1.0).contains(&self.pad_fraction) {
            Some("pad_fraction must be in [0, 1]")
        } else {
            None
        };
        match problem {
            Some(problem) => Err(VisionError::InvalidInput(format!("detector: {problem}"))),
            None => Ok(()),
        }
    }

    /// The factor the detector scales an image of `width`×`height` by (at most 1) when looking
    /// for faces of at least `min_face_px`.
    pub fn detection_scale(&self, width: u32, height: u32, min_face_px: f32) -> f32 {
        let for_face = SMALLEST_FACE_AT_PX / min_face_px.max(1.0);
        let for_side = self.max_side_px as f32 / width.max(height).max(1) as f32;
        for_face.min(for_side).min(1.0)
    }
}

/// A detected face in the coordinates of the image given to the detector. Near the edge of a
/// tight crop it may extend past the image (negative `x`/`y` or beyond the width/height).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaceBox {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
    /// rustface's confidence (about 2 to 30 for real faces; higher is surer).
    pub score: f64,
}

impl FaceBox {
    pub fn area(&self) -> f32 {
        self.width * self.height
    }

    pub fn centre(&self) -> (f32, f32) {
        (self.x + self.width / 2.0, self.y + self.height / 2.0)
    }

    /// The box scaled by `factor` around its centre.
    pub fn scaled(&self, factor: f32) -> FaceBox {
        let (centre_x, centre_y) = self.centre();
        FaceBox {
            x: centre_x - self.width * factor / 2.0,
            y: centre_y - self.height * factor / 2.0,
            width: self.width * factor,
            height: self.height * factor,
            score: self.score,
        }
    }

    /// The box shifted by `(dx, dy)`.
    pub fn shifted(&self, dx: f32, dy: f32) -> FaceBox {
        FaceBox {
            x: self.x + dx,
            y: self.y + dy,
            ..*self
        }
    }
}

/// rustface with this crate's settings. Holds only the parsed model, so it is `Send + Sync`;
/// each call builds its own rustface detector (a model clone, well under 1 ms).
#[derive(Clone)]
pub struct FaceDetector {
    model: rustface::Model,
    config: DetectorConfig,
}

impl std::fmt::Debug for FaceDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceDetector")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl FaceDetector {
    /// Parses the bundled SeetaFace model (about 1 ms).
    pub fn new(config: DetectorConfig) -> Result<FaceDetector, VisionError> {
        config.validate()?;
        let model = rustface::read_model(std::io::Cursor::new(SEETA_MODEL)).map_err(|error| {
            VisionError::Internal(format!("the bundled SeetaFace model did not load: {error}"))
        })?;
        Ok(FaceDetector { model, config })
    }

    pub fn config(&self) -> &DetectorConfig {
        &self.config
    }

    /// Faces in an RGB image, largest first, in the image's coordinates, looking for faces of
    /// at least the configured `min_face_px`.
    pub fn detect(&self, image: &RgbImage) -> Result<Vec<FaceBox>, VisionError> {
        self.detect_at_least(image, self.config.min_face_px)
    }

    /// Like [`FaceDetector::detect`] for faces of at least `min_face_px` (smaller ones may or
    /// may not be found; a larger minimum makes detection faster).
    pub fn detect_at_least(
        &self,
        image: &RgbImage,
        min_face_px: f32,
    ) -> Result<Vec<FaceBox>, VisionError> {
        // Through `DynamicImage`: its methods are compiled (optimised) inside `image`, where the
        // generic `imageops` functions would be compiled at this crate's level (slow in debug).
        let gray = DynamicImage::ImageRgb8(image.clone()).into_luma8();
        self.detect_gray(&gray, min_face_px)
    }

    /// Faces in a greyscale image, largest first, in the image's coordinates.
    pub fn detect_gray(
        &self,
        gray: &GrayImage,
        min_face_px: f32,
    ) -> Result<Vec<FaceBox>, VisionError> {
        let (width, height) = gray.dimensions();
        if width.min(height) < DETECTOR_WINDOW_PX / 2 {
            return Err(VisionError::ImageTooSmall {
                width,
                height,
                min_side: DETECTOR_WINDOW_PX / 2,
            });
        }
        let prepared = self.prepare(gray, min_face_px);
        let mut detector = rustface::create_detector_with_model(self.model.clone());
        detector.set_score_thresh(self.config.score_threshold);
        detector.set_pyramid_scale_factor(self.config.pyramid_scale);
        detector.set_slide_window_step(self.config.window_step_px, self.config.window_step_px);
        let pixels = prepared.image.as_raw();
        let (prepared_width, prepared_height) = prepared.image.dimensions();
        // rustface asserts on its inputs; they are checked above, and a panic inside it anyway
        // must not take the kiosk down.
        let found = catch_unwind(AssertUnwindSafe(|| {
            detector.detect(&rustface::ImageData::new(
                pixels,
                prepared_width,
                prepared_height,
            ))
        }))
        .map_err(|_| VisionError::Internal("the face detector panicked on this image".into()))?;
        let mut faces: Vec<FaceBox> = found
            .iter()
            .filter_map(|info| prepared.to_original(info, width, height))
            .collect();
        faces.sort_by(|a, b| b.area().total_cmp(&a.area()));
        Ok(faces)
    }

    fn prepare(&self, gray: &GrayImage, min_face_px: f32) -> Prepared {
        let (width, height) = gray.dimensions();
        let scale = self.config.detection_scale(width, height, min_face_px);
        let (scale, mut image) = if scale < 1.0 {
            let new_width = ((width as f32 * scale).round() as u32).max(1);
            let new_height = ((height as f32 * scale).round() as u32).max(1);
            // Area averaging: anti-aliased and twice as fast as a triangle filter here.
            let resized = DynamicImage::ImageLuma8(gray.clone())
                .thumbnail_exact(new_width, new_height)
                .into_luma8();
            (scale, resized)
        } else {
            (1.0, gray.clone())
        };
        let shorter = image.width().min(image.height());
        let context = if shorter <= self.config.pad_below_px {
            (shorter as f32 * self.config.pad_fraction).round() as u32
        } else {
            0
        };
        // rustface's window must fit: its scan loop underflows on images under 40 px.
        let to_fit_window = DETECTOR_WINDOW_PX.saturating_sub(shorter).div_ceil(2);
        let pad = context.max(to_fit_window);
        if pad > 0 {
            let mut padded = GrayImage::from_pixel(
                image.width() + 2 * pad,
                image.height() + 2 * pad,
                Luma([128]),
            );
            imageops::replace(&mut padded, &image, i64::from(pad), i64::from(pad));
            image = padded;
        }
        Prepared { image, scale, pad }
    }
}

/// The image rustface sees: downscaled by `scale`, then padded by `pad` pixels on every side.
struct Prepared {
    image: GrayImage,
    scale: f32,
    pad: u32,
}

impl Prepared {
    /// Maps a detection back to the original image. A face at the edge of a tight crop may
    /// extend past the image (into the border); the box is kept whole, because the landmark
    /// model expects a whole-face box. `None` if the box does not overlap the image.
    fn to_original(&self, info: &rustface::FaceInfo, width: u32, height: u32) -> Option<FaceBox> {
        let bbox = info.bbox();
        let pad = self.pad as f32;
        let face = FaceBox {
            x: (bbox.x() as f32 - pad) / self.scale,
            y: (bbox.y() as f32 - pad) / self.scale,
            width: bbox.width() as f32 / self.scale,
            height: bbox.height() as f32 / self.scale,
            score: info.score(),
        };
        let overlaps = face.x < width as f32
            && face.y < height as f32
            && face.x + face.width > 0.0
            && face.y + face.height > 0.0;
        overlaps.then_some(face)
    }
}

#[cfg(test)]
mod tests;
