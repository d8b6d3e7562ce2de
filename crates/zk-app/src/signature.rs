//! Signature artefacts: the strokes as compact JSON and a black-on-white PNG rendering.
//! (The pressure-aware antialiased renderer and the pen-tablet driver come with the signature issue.)

use std::io::Cursor;

use image::{GrayImage, ImageFormat, Luma};
use serde::{Deserialize, Serialize};
use zk_domain::{SignaturePoint, SignatureStrokes};

use crate::error::AppError;

#[derive(Serialize, Deserialize)]
struct PointJson {
    x: f32,
    y: f32,
    p: f32,
    t: u32,
}

/// Strokes as JSON: `[[{"x":..,"y":..,"p":..,"t":..}, ...], ...]`.
pub fn strokes_to_json(strokes: &SignatureStrokes) -> Result<Vec<u8>, AppError> {
    let data: Vec<Vec<PointJson>> = strokes
        .strokes
        .iter()
        .map(|stroke| {
            stroke
                .iter()
                .map(|p| PointJson {
                    x: p.x,
                    y: p.y,
                    p: p.pressure,
                    t: p.t_ms,
                })
                .collect()
        })
        .collect();
    serde_json::to_vec(&data).map_err(|error| AppError::Image(error.to_string()))
}

pub fn strokes_from_json(bytes: &[u8]) -> Result<SignatureStrokes, AppError> {
    let data: Vec<Vec<PointJson>> = serde_json::from_slice(bytes)
        .map_err(|error| AppError::Image(format!("bad stroke data: {error}")))?;
    Ok(SignatureStrokes {
        strokes: data
            .into_iter()
            .map(|stroke| {
                stroke
                    .into_iter()
                    .map(|p| SignaturePoint {
                        x: p.x,
                        y: p.y,
                        pressure: p.p,
                        t_ms: p.t,
                    })
                    .collect()
            })
            .collect(),
    })
}

/// Renders strokes (1000 × 400 unit box) black on white at `width` px, 2.5:1; deterministic.
pub fn render_png(strokes: &SignatureStrokes, width: u32) -> Result<Vec<u8>, AppError> {
    let height = width * 2 / 5;
    let scale = width as f32 / 1000.0;
    let mut canvas = GrayImage::from_pixel(width, height, Luma([255]));
    let radius = (2.0 * scale).max(1.0);
    for stroke in &strokes.strokes {
        for pair in stroke.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let length = ((b.x - a.x).powi(2) + (b.y - a.y).powi(2)).sqrt() * scale;
            let steps = length.ceil().max(1.0) as u32;
            for step in 0..=steps {
                let t = step as f32 / steps as f32;
                let x = (a.x + (b.x - a.x) * t) * scale;
                let y = (a.y + (b.y - a.y) * t) * scale;
                let r = radius
                    * (0.6 + 0.8 * (a.pressure + (b.pressure - a.pressure) * t).clamp(0.0, 1.0));
                stamp(&mut canvas, x, y, r);
            }
        }
    }
    let mut bytes = Vec::new();
    canvas
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
        .map_err(|error| AppError::Image(error.to_string()))?;
    Ok(bytes)
}

fn stamp(canvas: &mut GrayImage, cx: f32, cy: f32, radius: f32) {
    let (width, height) = canvas.dimensions();
    let x0 = (cx - radius).floor().max(0.0) as u32;
    let y0 = (cy - radius).floor().max(0.0) as u32;
    let x1 = ((cx + radius).ceil() as u32).min(width.saturating_sub(1));
    let y1 = ((cy + radius).ceil() as u32).min(height.saturating_sub(1));
    for y in y0..=y1 {
        for x in x0..=x1 {
            let dx = x as f32 + 0.5 - cx;
            let dy = y as f32 + 0.5 - cy;
            if dx * dx + dy * dy <= radius * radius {
                canvas.put_pixel(x, y, Luma([0]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strokes() -> SignatureStrokes {
        let stroke = (0..50)
            .map(|i| SignaturePoint {
                x: 100.0 + i as f32 * 15.0,
                y: 200.0 + (i as f32 * 0.5).sin() * 80.0,
                pressure: 0.5,
                t_ms: i * 20,
            })
            .collect();
        SignatureStrokes {
            strokes: vec![stroke],
        }
    }

    #[test]
    fn json_round_trip_and_bad_data() {
        let bytes = strokes_to_json(&strokes()).unwrap();
        assert_eq!(strokes_from_json(&bytes).unwrap(), strokes());
        assert!(strokes_from_json(b"{not json").is_err());
    }

    #[test]
    fn rendering_is_deterministic_and_draws_ink() {
        let first = render_png(&strokes(), 500).unwrap();
        assert_eq!(first, render_png(&strokes(), 500).unwrap());
        let image = image::load_from_memory(&first).unwrap().to_luma8();
        assert_eq!(image.dimensions(), (500, 200));
        let ink = image.pixels().filter(|p| p.0[0] == 0).count();
        assert!(ink > 500, "only {ink} ink pixels");
        assert_eq!(image.get_pixel(0, 0).0[0], 255);
    }
}
