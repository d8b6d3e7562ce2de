//! PP-OCRv4 through tract-onnx: text detection (DB) on a rectified card, text recognition (CTC)
//! on each line. The models come from `scripts/fetch-models.sh` and are checked by sha256 before
//! they load; the recogniser's characters come from its own metadata.

use std::path::{Path, PathBuf};

use image::{imageops::FilterType, RgbImage};
use sha2::{Digest, Sha256};
use tract_onnx::prelude::*;

use crate::OcrError;

pub const DET_FILE: &str = "ch_PP-OCRv4_det_infer.onnx";
pub const DET_SHA256: &str = "d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9";
pub const REC_FILE: &str = "ch_PP-OCRv4_rec_infer.onnx";
pub const REC_SHA256: &str = "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b";

/// The detector's input: a rectified card scaled to this (multiples of 32).
pub const DET_WIDTH: u32 = 864;
pub const DET_HEIGHT: u32 = 544;
/// The recogniser's line height, and the widths it is planned for: a line is padded to the
/// narrowest that holds it, and a longer one squeezed to the widest (PP-OCRv4 reads a long line
/// squeezed better than at its full width: measured on the ID number line).
pub const REC_HEIGHT: u32 = 48;
const REC_WIDTHS: [u32; 2] = [320, 400];

/// DB post-processing (RapidOCR's defaults for PP-OCRv4).
const DET_THRESHOLD: f32 = 0.3;
const BOX_THRESHOLD: f32 = 0.5;
const UNCLIP_RATIO: f32 = 1.6;

type Plan = std::sync::Arc<TypedRunnableModel>;

/// A text line found by the detector, in the pixels of the image given to [`OcrEngine::detect`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TextBox {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    /// Mean text probability inside the box.
    pub score: f32,
}

/// What the recogniser read on one line.
#[derive(Clone, Debug, PartialEq)]
pub struct Recognized {
    pub text: String,
    /// Mean of the kept characters' probabilities (0 when nothing was read).
    pub confidence: f32,
    /// Each kept character's probability, in order.
    pub char_confidences: Vec<f32>,
}

/// The default folder of the models: `$ZK_MODELS_DIR/ppocr-v4`, else
/// `~/.cache/zikao-kiosk/models/ppocr-v4` (where `scripts/fetch-models.sh` puts them).
pub fn default_dir() -> Option<PathBuf> {
    let models = match std::env::var_os("ZK_MODELS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let cache = match std::env::var_os("XDG_CACHE_HOME") {
                Some(dir) => PathBuf::from(dir),
                None => PathBuf::from(std::env::var_os("HOME")?).join(".cache"),
            };
            cache.join("zikao-kiosk").join("models")
        }
    };
    Some(models.join("ppocr-v4"))
}

/// The loaded models. `Send + Sync`: one engine serves every card.
pub struct OcrEngine {
    det: Plan,
    rec: Vec<(u32, Plan)>,
    /// Index 0 is CTC's blank; 1..=n the model's characters; n+1 a space.
    characters: Vec<String>,
}

impl std::fmt::Debug for OcrEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OcrEngine")
            .field("characters", &self.characters.len())
            .finish_non_exhaustive()
    }
}

fn model_error(path: &Path, detail: impl std::fmt::Display) -> OcrError {
    OcrError::Model {
        path: path.to_path_buf(),
        detail: detail.to_string(),
    }
}

/// Reads `path` and checks its sha256.
fn checked(path: &Path, sha256: &str) -> Result<Vec<u8>, OcrError> {
    let bytes = std::fs::read(path).map_err(|error| {
        model_error(
            path,
            format!("{error}; run scripts/fetch-models.sh to install the PP-OCRv4 models"),
        )
    })?;
    let digest = Sha256::digest(&bytes);
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    if hex != sha256 {
        return Err(model_error(
            path,
            format!("sha256 {hex}, expected {sha256}; run scripts/fetch-models.sh again"),
        ));
    }
    Ok(bytes)
}

fn plan(bytes: &[u8], path: &Path, shape: [usize; 4]) -> Result<Plan, OcrError> {
    tract_onnx::onnx()
        .model_for_read(&mut std::io::Cursor::new(bytes))
        .and_then(|model| model.with_input_fact(0, f32::fact(shape).into()))
        .and_then(|model| model.into_optimized())
        .and_then(|model| model.into_runnable())
        .map_err(|error| model_error(path, format!("{error:#}")))
}

impl OcrEngine {
    /// Loads the detection and recognition models from `dir` (see [`default_dir`]).
    pub fn open(dir: &Path) -> Result<OcrEngine, OcrError> {
        let det_path = dir.join(DET_FILE);
        let det_bytes = checked(&det_path, DET_SHA256)?;
        let det = plan(
            &det_bytes,
            &det_path,
            [1, 3, DET_HEIGHT as usize, DET_WIDTH as usize],
        )?;
        let rec_path = dir.join(REC_FILE);
        let rec_bytes = checked(&rec_path, REC_SHA256)?;
        let proto = tract_onnx::onnx()
            .proto_model_for_read(&mut std::io::Cursor::new(&rec_bytes))
            .map_err(|error| model_error(&rec_path, format!("{error:#}")))?;
        let list = proto
            .metadata_props
            .iter()
            .find(|entry| entry.key == "character")
            .ok_or_else(|| model_error(&rec_path, "no character list in the model's metadata"))?;
        let mut characters = vec![String::new()];
        characters.extend(list.value.lines().map(str::to_owned));
        characters.push(" ".to_owned());
        let rec = REC_WIDTHS
            .iter()
            .map(|&width| {
                plan(
                    &rec_bytes,
                    &rec_path,
                    [1, 3, REC_HEIGHT as usize, width as usize],
                )
                .map(|plan| (width, plan))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(OcrEngine {
            det,
            rec,
            characters,
        })
    }

    /// Finds the text lines of `image` (scaled to the detector's input, boxes scaled back).
    pub fn detect(&self, image: &RgbImage) -> Result<Vec<TextBox>, OcrError> {
        let (width, height) = image.dimensions();
        if width < 32 || height < 32 {
            return Err(OcrError::Image(format!(
                "the card image is only {width}×{height} px"
            )));
        }
        let scaled = image::imageops::resize(image, DET_WIDTH, DET_HEIGHT, FilterType::Triangle);
        let input = tract_ndarray::Array4::from_shape_fn(
            (1, 3, DET_HEIGHT as usize, DET_WIDTH as usize),
            |(_, c, y, x)| normalise(scaled.get_pixel(x as u32, y as u32)[c]),
        );
        let output = self
            .det
            .run(tvec!(input.into_tensor().into()))
            .map_err(|error| OcrError::Inference(format!("{error:#}")))?;
        let map = output
            .first()
            .ok_or_else(|| OcrError::Inference("the detector returned nothing".into()))?
            .to_plain_array_view::<f32>()
            .map_err(|error| OcrError::Inference(format!("{error:#}")))?;
        let probabilities: Vec<f32> = map.iter().copied().collect();
        if probabilities.len() != (DET_WIDTH * DET_HEIGHT) as usize {
            return Err(OcrError::Inference(format!(
                "the detector's map has {} values, expected {}",
                probabilities.len(),
                DET_WIDTH * DET_HEIGHT
            )));
        }
        let boxes = boxes_from_map(&probabilities, DET_WIDTH, DET_HEIGHT);
        let (sx, sy) = (
            width as f32 / DET_WIDTH as f32,
            height as f32 / DET_HEIGHT as f32,
        );
        Ok(boxes
            .into_iter()
            .map(|found| TextBox {
                x: (found.x as f32 * sx) as u32,
                y: (found.y as f32 * sy) as u32,
                width: ((found.width as f32 * sx).ceil() as u32).max(1),
                height: ((found.height as f32 * sy).ceil() as u32).max(1),
                score: found.score,
            })
            .collect())
    }

    /// Reads one text line.
    pub fn recognize(&self, line: &RgbImage) -> Result<Recognized, OcrError> {
        let (width, height) = line.dimensions();
        if width == 0 || height == 0 {
            return Err(OcrError::Image("an empty text line".into()));
        }
        let wanted = ((REC_HEIGHT as f32 * width as f32 / height as f32).ceil() as u32).max(1);
        let (plan_width, plan) = self
            .rec
            .iter()
            .find(|(plan_width, _)| wanted <= *plan_width)
            .or_else(|| self.rec.last())
            .ok_or_else(|| OcrError::Inference("no recogniser plan".into()))?;
        let scaled_width = wanted.min(*plan_width);
        let scaled = image::imageops::resize(line, scaled_width, REC_HEIGHT, FilterType::Triangle);
        let input = tract_ndarray::Array4::from_shape_fn(
            (1, 3, REC_HEIGHT as usize, *plan_width as usize),
            |(_, c, y, x)| {
                if (x as u32) < scaled_width {
                    normalise(scaled.get_pixel(x as u32, y as u32)[c])
                } else {
                    0.0
                }
            },
        );
        let output = plan
            .run(tvec!(input.into_tensor().into()))
            .map_err(|error| OcrError::Inference(format!("{error:#}")))?;
        let view = output
            .first()
            .ok_or_else(|| OcrError::Inference("the recogniser returned nothing".into()))?
            .to_plain_array_view::<f32>()
            .map_err(|error| OcrError::Inference(format!("{error:#}")))?;
        let shape = view.shape().to_vec();
        if shape.len() != 3 || shape[2] != self.characters.len() {
            return Err(OcrError::Inference(format!(
                "the recogniser's output is {shape:?}, expected [1, T, {}]",
                self.characters.len()
            )));
        }
        let values: Vec<f32> = view.iter().copied().collect();
        let steps: Vec<Vec<f32>> = values
            .chunks(self.characters.len())
            .map(<[f32]>::to_vec)
            .collect();
        Ok(ctc_decode(&steps, &self.characters))
    }
}

/// (value / 255 − 0.5) / 0.5, as PP-OCR's det and rec expect.
fn normalise(value: u8) -> f32 {
    (f32::from(value) / 255.0 - 0.5) / 0.5
}

/// Greedy CTC: the most likely class per step, repeats merged, blanks (index 0) dropped.
pub fn ctc_decode(steps: &[Vec<f32>], characters: &[String]) -> Recognized {
    let mut text = String::new();
    let mut char_confidences = Vec::new();
    let mut previous = 0usize;
    for step in steps {
        let (best, probability) =
            step.iter()
                .copied()
                .enumerate()
                .fold((0usize, f32::MIN), |found, (index, value)| {
                    if value > found.1 {
                        (index, value)
                    } else {
                        found
                    }
                });
        if best != 0 && best != previous {
            if let Some(character) = characters.get(best) {
                text.push_str(character);
                char_confidences.push(probability);
            }
        }
        previous = best;
    }
    let confidence = if char_confidences.is_empty() {
        0.0
    } else {
        char_confidences.iter().sum::<f32>() / char_confidences.len() as f32
    };
    Recognized {
        text,
        confidence,
        char_confidences,
    }
}

/// DB post-processing on a `width`×`height` probability map: threshold, dilate, one box per
/// connected region whose mean probability passes, grown by the unclip ratio (a box of area A and
/// perimeter L grows by A × ratio / L on each side), in map pixels.
pub fn boxes_from_map(probabilities: &[f32], width: u32, height: u32) -> Vec<TextBox> {
    let (w, h) = (width as usize, height as usize);
    if probabilities.len() != w * h || w == 0 || h == 0 {
        return Vec::new();
    }
    // Threshold, then a 2×2 dilation (RapidOCR's use_dilation).
    let mut mask = image::GrayImage::new(width, height);
    for y in 0..h {
        for x in 0..w {
            let on = (0..2).any(|dy| {
                (0..2).any(|dx| {
                    let (sx, sy) = (x.saturating_sub(dx), y.saturating_sub(dy));
                    probabilities[sy * w + sx] > DET_THRESHOLD
                })
            });
            if on {
                mask.put_pixel(x as u32, y as u32, image::Luma([255]));
            }
        }
    }
    let labels = imageproc::region_labelling::connected_components(
        &mask,
        imageproc::region_labelling::Connectivity::Eight,
        image::Luma([0u8]),
    );
    // Per label: bounds.
    let mut bounds: std::collections::BTreeMap<u32, (usize, usize, usize, usize)> =
        std::collections::BTreeMap::new();
    for (x, y, label) in labels.enumerate_pixels() {
        let label = label[0];
        if label == 0 {
            continue;
        }
        let (x, y) = (x as usize, y as usize);
        bounds
            .entry(label)
            .and_modify(|b| {
                b.0 = b.0.min(x);
                b.1 = b.1.min(y);
                b.2 = b.2.max(x);
                b.3 = b.3.max(y);
            })
            .or_insert((x, y, x, y));
    }
    let mut boxes = Vec::new();
    for (x0, y0, x1, y1) in bounds.into_values() {
        let (bw, bh) = (x1 - x0 + 1, y1 - y0 + 1);
        if bw < 3 || bh < 3 {
            continue;
        }
        let mut sum = 0.0f32;
        for y in y0..=y1 {
            sum += probabilities[y * w + x0..=y * w + x1].iter().sum::<f32>();
        }
        let score = sum / (bw * bh) as f32;
        if score < BOX_THRESHOLD {
            continue;
        }
        let (fw, fh) = (bw as f32, bh as f32);
        let grow = fw * fh * UNCLIP_RATIO / (2.0 * (fw + fh));
        let gx0 = (x0 as f32 - grow).max(0.0);
        let gy0 = (y0 as f32 - grow).max(0.0);
        let gx1 = (x1 as f32 + grow).min(w as f32 - 1.0);
        let gy1 = (y1 as f32 + grow).min(h as f32 - 1.0);
        boxes.push(TextBox {
            x: gx0 as u32,
            y: gy0 as u32,
            width: (gx1 - gx0).ceil() as u32 + 1,
            height: (gy1 - gy0).ceil() as u32 + 1,
            score,
        });
    }
    boxes.sort_by_key(|found| (found.y, found.x));
    boxes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctc_merges_repeats_and_drops_blanks() {
        let characters: Vec<String> = ["", "4", "2", "0", " "]
            .iter()
            .map(|c| (*c).to_owned())
            .collect();
        let step = |index: usize, p: f32| {
            let mut row = vec![0.0; characters.len()];
            row[index] = p;
            row
        };
        // 4 4 _ 2 0 _ 0 → "4200"
        let steps = vec![
            step(1, 0.9),
            step(1, 0.8),
            step(0, 0.9),
            step(2, 0.7),
            step(3, 0.9),
            step(0, 0.9),
            step(3, 0.5),
        ];
        let read = ctc_decode(&steps, &characters);
        assert_eq!(read.text, "4200");
        assert_eq!(read.char_confidences, vec![0.9, 0.7, 0.9, 0.5]);
        assert!((read.confidence - 0.75).abs() < 1e-6);
        assert_eq!(ctc_decode(&[step(0, 1.0)], &characters).confidence, 0.0);
    }

    #[test]
    fn one_grown_box_per_region_and_faint_regions_dropped() {
        let (w, h) = (64u32, 32u32);
        let mut map = vec![0.0f32; (w * h) as usize];
        // A strong line at x 10..40, y 5..11, and a faint blob at x 50..56, y 20..26.
        for y in 5..11 {
            for x in 10..40 {
                map[y * w as usize + x] = 0.9;
            }
        }
        for y in 20..26 {
            for x in 50..56 {
                map[y * w as usize + x] = 0.35;
            }
        }
        let boxes = boxes_from_map(&map, w, h);
        assert_eq!(boxes.len(), 1, "{boxes:?}");
        let line = boxes[0];
        // Grown around the region (the dilation adds one pixel right and down).
        assert!(line.x < 10 && line.y < 5, "{line:?}");
        assert!(
            line.x + line.width > 41 && line.y + line.height > 12,
            "{line:?}"
        );
        assert!(line.score > 0.5);
        assert!(boxes_from_map(&map, w, h + 1).is_empty());
    }
}
