//! The renderer. Strokes live in the 1000 × 400 box of [`zk_domain::SignaturePoint`]; the image is
//! `width` × `width · 2 / 5` pixels. Each segment is drawn as a round-capped line whose width
//! follows the mean pressure of its two points, antialiased by tiny-skia, then reduced to 8-bit
//! grey and encoded as PNG. Nothing depends on time, threads or hash-map order, so the output is
//! deterministic.

use std::io::Cursor;

use image::{GrayImage, ImageFormat, Luma};
use tiny_skia::{LineCap, LineJoin, Paint, PathBuilder, Pixmap, Stroke, Transform};
use zk_domain::SignatureStrokes;

use crate::SignatureError;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RenderOptions {
    /// Image width in pixels; the height is 2/5 of it.
    pub width: u32,
    /// Line width at pressure 0 and 1, in box units (1/1000 of the width).
    pub min_width: f32,
    pub max_width: f32,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            width: 1000,
            min_width: 2.0,
            max_width: 7.0,
        }
    }
}

/// Renders `strokes` as a greyscale PNG. A stroke of one point is drawn as a dot.
pub fn render_png(
    strokes: &SignatureStrokes,
    options: &RenderOptions,
) -> Result<Vec<u8>, SignatureError> {
    let width = options.width;
    let height = width.saturating_mul(2) / 5;
    let bad_size = SignatureError::BadSize { width, height };
    if !(50..=8000).contains(&width) {
        return Err(bad_size);
    }
    let mut pixmap = Pixmap::new(width, height).ok_or(bad_size)?;
    pixmap.fill(tiny_skia::Color::WHITE);
    let scale = width as f32 / 1000.0;
    let transform = Transform::from_scale(scale, scale);
    let mut paint = Paint::default();
    paint.set_color_rgba8(0, 0, 0, 255);
    paint.anti_alias = true;
    let line_width = |pressure: f32| {
        let p = if pressure.is_finite() {
            pressure.clamp(0.0, 1.0)
        } else {
            0.5
        };
        options.min_width + (options.max_width - options.min_width) * p
    };
    for stroke in &strokes.strokes {
        let points: Vec<_> = stroke
            .iter()
            .filter(|p| p.x.is_finite() && p.y.is_finite())
            .collect();
        let segments: Vec<(usize, usize)> = if points.len() == 1 {
            vec![(0, 0)]
        } else {
            (1..points.len()).map(|i| (i - 1, i)).collect()
        };
        for (from, to) in segments {
            let (a, b) = (points[from], points[to]);
            let mut builder = PathBuilder::new();
            builder.move_to(a.x, a.y);
            // A zero-length segment still needs a length for its round caps to show.
            let end_x = if from == to || (a.x == b.x && a.y == b.y) {
                b.x + 0.01
            } else {
                b.x
            };
            builder.line_to(end_x, b.y);
            let Some(path) = builder.finish() else {
                continue;
            };
            let stroke_style = Stroke {
                width: line_width((a.pressure + b.pressure) / 2.0),
                line_cap: LineCap::Round,
                line_join: LineJoin::Round,
                ..Stroke::default()
            };
            pixmap.stroke_path(&path, &paint, &stroke_style, transform, None);
        }
    }
    // Opaque black on white: every channel carries the same grey.
    let grey: Vec<u8> = pixmap.pixels().iter().map(|pixel| pixel.red()).collect();
    let image = GrayImage::from_raw(width, height, grey).ok_or(bad_size_error(width, height))?;
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .map_err(|error| SignatureError::Encode(error.to_string()))?;
    Ok(png)
}

fn bad_size_error(width: u32, height: u32) -> SignatureError {
    SignatureError::BadSize { width, height }
}

/// Counts pixels darker than mid-grey (tests and diagnostics).
pub fn ink_pixels(png: &[u8]) -> Result<usize, SignatureError> {
    let image = image::load_from_memory_with_format(png, ImageFormat::Png)
        .map_err(|error| SignatureError::Malformed(error.to_string()))?
        .to_luma8();
    Ok(image.pixels().filter(|Luma([value])| *value < 128).count())
}

#[cfg(test)]
mod tests;
