//! Evaluation on labelled pairs: the pairs file, one embedding per image, a distance per pair,
//! and the accuracy summary (`zk face eval` and `zk face calibrate` are thin wrappers).
//!
//! The pairs file is CSV with the header `left,right,same`: image paths relative to a root folder
//! and `1`/`0` (or `true`/`false`). Each image is embedded once (its largest face, as for public
//! photos that may show several people). A pair where either image has no usable face has no
//! distance; in the rates it counts as rejected (a genuine pair is then a false reject), and the
//! images are listed.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, RgbImage};

use crate::calibration::{
    calibrate, equal_error_rate, rates_at, EqualErrorRate, LabelledDistance, Rates,
};
use crate::error::VisionError;
use crate::input::decode_image;
use crate::{FaceTemplate, FaceVerifier};

/// One line of the pairs file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    pub left: String,
    pub right: String,
    pub same_person: bool,
}

/// Reads `left,right,same` CSV text. Blank lines are skipped; anything else malformed is an error
/// naming the line.
pub fn read_pairs(text: &str) -> Result<Vec<Pair>, VisionError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|error| VisionError::InvalidInput(format!("pairs file: {error}")))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|header| header.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                VisionError::InvalidInput(format!(
                    "pairs file: no `{name}` column (the header must be left,right,same)"
                ))
            })
    };
    let (left, right, same) = (column("left")?, column("right")?, column("same")?);
    let mut pairs = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = record.map_err(|error| {
            VisionError::InvalidInput(format!("pairs file line {line}: {error}"))
        })?;
        let field = |at: usize| record.get(at).unwrap_or("").to_owned();
        let (left, right, same) = (field(left), field(right), field(same));
        if left.is_empty() || right.is_empty() {
            return Err(VisionError::InvalidInput(format!(
                "pairs file line {line}: both image paths are needed"
            )));
        }
        let same_person = match same.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" => true,
            "0" | "false" | "no" => false,
            other => {
                return Err(VisionError::InvalidInput(format!(
                    "pairs file line {line}: `same` must be 1 or 0, got {other:?}"
                )))
            }
        };
        pairs.push(Pair {
            left,
            right,
            same_person,
        });
    }
    if pairs.is_empty() {
        return Err(VisionError::InvalidInput("pairs file: no pairs".into()));
    }
    Ok(pairs)
}

/// How the left image of each pair is used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LeftImage {
    /// As stored.
    #[default]
    AsStored,
    /// Degraded like an ID card's chip photo (head-and-shoulders crop, 102×126, JPEG quality 60)
    /// and then read through the ID-photo path (exactly one face, mirror-averaged template).
    ChipPhoto,
}

/// The distance of one pair; `None` when either image had no usable face.
#[derive(Clone, Debug, PartialEq)]
pub struct PairScore {
    pub pair: Pair,
    pub distance: Option<f64>,
}

impl PairScore {
    /// Similarity for score files: higher means more alike (`1 - distance`).
    pub fn score(&self) -> Option<f64> {
        self.distance.map(|distance| 1.0 - distance)
    }
}

/// Distances of all pairs and what went wrong with which image.
#[derive(Clone, Debug, Default)]
pub struct Scored {
    pub pairs: Vec<PairScore>,
    /// Images (relative paths) read, with the problem of those that gave no template.
    pub images: BTreeMap<String, Option<String>>,
}

impl Scored {
    /// Images with no usable face or that could not be read, with the reason.
    pub fn failures(&self) -> Vec<(&str, &str)> {
        self.images
            .iter()
            .filter_map(|(name, problem)| problem.as_deref().map(|p| (name.as_str(), p)))
            .collect()
    }
}

/// Embeds every image named in `pairs` once (the left side degraded when asked) and measures each
/// pair. Unreadable images and images without a face are recorded, not errors; errors are for a
/// broken installation (models, worker).
pub fn score_pairs(
    verifier: &FaceVerifier,
    root: &Path,
    pairs: &[Pair],
    left: LeftImage,
) -> Result<Scored, VisionError> {
    let mut plain: BTreeMap<String, Result<FaceTemplate, String>> = BTreeMap::new();
    let mut chip: BTreeMap<String, Result<FaceTemplate, String>> = BTreeMap::new();
    let mut scored = Scored::default();
    for pair in pairs {
        if left == LeftImage::ChipPhoto && !chip.contains_key(&pair.left) {
            let template = template_of(verifier, root, &pair.left, LeftImage::ChipPhoto)?;
            chip.insert(pair.left.clone(), template);
        }
        let plain_names: &[&String] = match left {
            LeftImage::AsStored => &[&pair.left, &pair.right],
            LeftImage::ChipPhoto => &[&pair.right],
        };
        for name in plain_names {
            if !plain.contains_key(*name) {
                let template = template_of(verifier, root, name, LeftImage::AsStored)?;
                plain.insert((*name).clone(), template);
            }
        }
        let left_map = match left {
            LeftImage::AsStored => &plain,
            LeftImage::ChipPhoto => &chip,
        };
        let distance = match (left_map.get(&pair.left), plain.get(&pair.right)) {
            (Some(Ok(a)), Some(Ok(b))) => Some(a.distance(b)),
            _ => None,
        };
        scored.pairs.push(PairScore {
            pair: pair.clone(),
            distance,
        });
    }
    let label = |name: &String, chip_side: bool| {
        if chip_side {
            format!("{name} (as chip photo)")
        } else {
            name.clone()
        }
    };
    for (maps, chip_side) in [(&plain, false), (&chip, true)] {
        for (name, template) in maps {
            scored
                .images
                .insert(label(name, chip_side), template.as_ref().err().cloned());
        }
    }
    Ok(scored)
}

/// The template of one image, or the problem with it (`Err` of the outer result only for a broken
/// installation).
fn template_of(
    verifier: &FaceVerifier,
    root: &Path,
    name: &str,
    how: LeftImage,
) -> Result<Result<FaceTemplate, String>, VisionError> {
    let path = root.join(name);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) => return Ok(Err(format!("cannot read {}: {error}", path.display()))),
    };
    let image = match decode_image(&bytes) {
        Ok(image) => image,
        Err(error) => return Ok(Err(error.to_string())),
    };
    let result = match how {
        LeftImage::AsStored => verifier
            .largest_face(&image)
            .map(|embedding| embedding.template),
        LeftImage::ChipPhoto => {
            chip_photo(verifier, &image).and_then(|jpeg| verifier.id_template(&jpeg))
        }
    };
    match result {
        Ok(template) => Ok(Ok(template)),
        Err(error) if error.is_input_problem() => Ok(Err(error.to_string())),
        Err(error) => Err(error),
    }
}

/// A chip-like ID photo of the largest face: a head-and-shoulders crop (face about 55 % of the
/// width, 102:126), scaled to 102×126 and saved as a quality-60 JPEG.
pub fn chip_photo(verifier: &FaceVerifier, image: &RgbImage) -> Result<Vec<u8>, VisionError> {
    let face = verifier
        .detector()
        .detect(image)?
        .first()
        .copied()
        .ok_or(VisionError::NoFace)?;
    let (width, height) = (image.width() as f32, image.height() as f32);
    let mut crop_width = (face.width / 0.55).min(width);
    let mut crop_height = crop_width * 126.0 / 102.0;
    if crop_height > height {
        crop_height = height;
        crop_width = crop_height * 102.0 / 126.0;
    }
    let (centre_x, centre_y) = face.centre();
    let x = (centre_x - crop_width / 2.0).clamp(0.0, (width - crop_width).max(0.0));
    let y = (centre_y - crop_height * 0.45).clamp(0.0, (height - crop_height).max(0.0));
    let chip = DynamicImage::ImageRgb8(image.clone())
        .crop_imm(x as u32, y as u32, crop_width as u32, crop_height as u32)
        .resize_exact(102, 126, FilterType::Lanczos3)
        .into_rgb8();
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(Cursor::new(&mut bytes), 60)
        .encode_image(&chip)
        .map_err(|error| VisionError::Internal(format!("JPEG encoding failed: {error}")))?;
    Ok(bytes)
}

/// A distance beyond any real one (embeddings are about unit length, so at most about 2 apart):
/// what a pair without a face counts as in the rates, so it is always rejected.
pub const NO_FACE_DISTANCE: f64 = 4.0;

/// Accuracy over scored pairs.
#[derive(Clone, Debug)]
pub struct Summary {
    pub pairs: usize,
    pub genuine: usize,
    pub impostors: usize,
    /// Pairs without a distance (an image without a usable face), counted as rejected.
    pub unscored_pairs: usize,
    pub images: usize,
    pub images_without_face: usize,
    /// The threshold calibrated at FAR 1 % and its TAR.
    pub at_far_1: Rates,
    /// The threshold calibrated at FAR 0.1 % and its TAR.
    pub at_far_01: Rates,
    pub eer: EqualErrorRate,
    /// Rates at the configured pass threshold (`match` in score files).
    pub at_pass: Rates,
    /// Rates at the configured review threshold (pass or review).
    pub at_review: Rates,
}

/// Labelled distances for the rates: pairs without a face at [`NO_FACE_DISTANCE`].
pub fn labelled(scored: &Scored) -> Vec<LabelledDistance> {
    scored
        .pairs
        .iter()
        .map(|pair| LabelledDistance {
            distance: pair.distance.unwrap_or(NO_FACE_DISTANCE),
            same_person: pair.pair.same_person,
        })
        .collect()
}

pub fn summarise(
    scored: &Scored,
    pass_at_most: f64,
    review_at_most: f64,
) -> Result<Summary, VisionError> {
    let scores = labelled(scored);
    Ok(Summary {
        pairs: scored.pairs.len(),
        genuine: scored.pairs.iter().filter(|p| p.pair.same_person).count(),
        impostors: scored.pairs.iter().filter(|p| !p.pair.same_person).count(),
        unscored_pairs: scored.pairs.iter().filter(|p| p.distance.is_none()).count(),
        images: scored.images.len(),
        images_without_face: scored.failures().len(),
        at_far_1: calibrate(&scores, 0.01)?,
        at_far_01: calibrate(&scores, 0.001)?,
        eer: equal_error_rate(&scores)?,
        at_pass: rates_at(&scores, pass_at_most)?,
        at_review: rates_at(&scores, review_at_most)?,
    })
}

/// Thresholds proposed by a calibration run.
#[derive(Clone, Debug)]
pub struct Calibration {
    /// At most `target_far` of the impostor pairs pass outright.
    pub pass: Rates,
    /// At most `review_far` of the impostor pairs avoid an outright fail (they go to staff).
    pub review: Rates,
    pub target_far: f64,
    pub review_far: f64,
}

/// `pass_at_most` at `target_far` and `review_at_most` at `review_far` (at least the pass
/// threshold). Pairs without a face count as rejected.
pub fn calibrate_thresholds(
    scored: &Scored,
    target_far: f64,
    review_far: f64,
) -> Result<Calibration, VisionError> {
    if review_far < target_far {
        return Err(VisionError::InvalidInput(format!(
            "the review false-accept rate ({review_far}) must be at least the pass rate ({target_far})"
        )));
    }
    let scores = labelled(scored);
    let pass = calibrate(&scores, target_far)?;
    let mut review = calibrate(&scores, review_far)?;
    if review.threshold < pass.threshold {
        review = pass;
    }
    if review.threshold >= NO_FACE_DISTANCE {
        return Err(VisionError::InvalidInput(
            "calibration: too few pairs with faces found to place a threshold".into(),
        ));
    }
    Ok(Calibration {
        pass,
        review,
        target_far,
        review_far,
    })
}

#[cfg(test)]
mod tests;
