//! Synthetic portraits: a real photo's head placed on a plain backdrop, as a candidate sitting in
//! front of the desk's blue screen would look. For tests, benchmarks and the demo's simulated
//! camera — never for a candidate's real photo.
//!
//! The head is levelled and scaled by its landmarks; a head-shaped ellipse (from above the hair
//! to the neck: 3 eye distances wide, 5 tall, centred a quarter eye distance below the eyes) is
//! copied and everything else is the backdrop.

use image::{Rgb, RgbImage};

use crate::error::VisionError;
use crate::photo::HeadGeometry;
use crate::verifier::FaceVerifier;

/// The usual ID-photo blue.
pub const ID_BLUE: Rgb<u8> = Rgb([0x43, 0x8E, 0xDB]);
/// Hunan's / Tianjin's official light blue.
pub const LIGHT_BLUE: Rgb<u8> = Rgb([100, 197, 255]);

/// Where and how a head is drawn on a canvas.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Layout {
    /// Face width in canvas px (2.4 eye distances, as the photo checker measures it).
    pub face_width: f32,
    /// Middle of the eyes in canvas px.
    pub eyes: (f32, f32),
    /// Roll of the drawn head, degrees.
    pub tilt_deg: f32,
}

/// A 480×640 file with the head at the registration photo's targets.
pub const FILE: Layout = Layout {
    face_width: 230.0,
    eyes: (240.0, 250.0),
    tilt_deg: 0.0,
};

/// A 640×480 kiosk frame with the head where the photo guide puts it.
pub const FRAME: Layout = Layout {
    face_width: 165.0,
    eyes: (320.0, 185.0),
    tilt_deg: 0.0,
};

/// The head of the largest face in `source`, as the photo checker's landmarks see it.
pub fn head_of(verifier: &FaceVerifier, source: &RgbImage) -> Result<HeadGeometry, VisionError> {
    let face = verifier
        .detector()
        .detect(source)?
        .first()
        .copied()
        .ok_or(VisionError::NoFace)?;
    let landmarks = verifier.embedder().landmarks(source, &[face])?;
    landmarks
        .first()
        .and_then(HeadGeometry::from_landmarks)
        .ok_or(VisionError::NoFace)
}

/// `source`'s largest head on a `size` canvas of `background` at `layout`.
pub fn portrait(
    verifier: &FaceVerifier,
    source: &RgbImage,
    size: (u32, u32),
    layout: Layout,
    background: Rgb<u8>,
) -> Result<RgbImage, VisionError> {
    let head = head_of(verifier, source)?;
    let mut canvas = RgbImage::from_pixel(size.0, size.1, background);
    draw_head(&mut canvas, source, &head, layout, &|pixel| pixel);
    Ok(canvas)
}

/// Bilinear sample of `image` at (`x`, `y`); `None` outside it.
fn sample(image: &RgbImage, x: f32, y: f32) -> Option<Rgb<u8>> {
    let (width, height) = image.dimensions();
    if width == 0
        || height == 0
        || !(x >= 0.0 && y >= 0.0 && x <= (width - 1) as f32 && y <= (height - 1) as f32)
    {
        return None;
    }
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = ((x0 + 1).min(width - 1), (y0 + 1).min(height - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let [a, b, c, d] =
        [(x0, y0), (x1, y0), (x0, y1), (x1, y1)].map(|(x, y)| image.get_pixel(x, y).0);
    Some(Rgb(std::array::from_fn(|channel| {
        let top = f32::from(a[channel]) * (1.0 - fx) + f32::from(b[channel]) * fx;
        let bottom = f32::from(c[channel]) * (1.0 - fx) + f32::from(d[channel]) * fx;
        (top * (1.0 - fy) + bottom * fy).round() as u8
    })))
}

/// Draws `source`'s head (`head`, in the source's pixels) onto `canvas` at `layout`: levelled,
/// scaled, rotated by the layout's tilt; `person` adjusts the copied pixels (exposure tests).
pub fn draw_head(
    canvas: &mut RgbImage,
    source: &RgbImage,
    head: &HeadGeometry,
    layout: Layout,
    person: &dyn Fn(Rgb<u8>) -> Rgb<u8>,
) {
    let eye_distance = layout.face_width / 2.4;
    let scale = eye_distance / head.eye_distance;
    if !(scale.is_finite() && scale > 0.0) {
        return;
    }
    let tilt = layout.tilt_deg.to_radians();
    let turn = tilt - head.roll_deg.to_radians();
    let (centre_x, centre_y) = (
        layout.eyes.0 - 0.25 * eye_distance * tilt.sin(),
        layout.eyes.1 + 0.25 * eye_distance * tilt.cos(),
    );
    let (half_width, half_height) = (1.5 * eye_distance, 2.5 * eye_distance);
    for y in 0..canvas.height() {
        for x in 0..canvas.width() {
            let (dx, dy) = (x as f32 - centre_x, y as f32 - centre_y);
            // Into the head's own frame (undo the tilt).
            let (u, v) = (
                dx * tilt.cos() + dy * tilt.sin(),
                -dx * tilt.sin() + dy * tilt.cos(),
            );
            if (u / half_width).powi(2) + (v / half_height).powi(2) > 1.0 {
                continue;
            }
            // Canvas → source: undo placement, rotation and scale.
            let (px, py) = (x as f32 - layout.eyes.0, y as f32 - layout.eyes.1);
            let (rx, ry) = (
                px * turn.cos() + py * turn.sin(),
                -px * turn.sin() + py * turn.cos(),
            );
            let at = (
                head.eye_middle.0 + rx / scale,
                head.eye_middle.1 + ry / scale,
            );
            if let Some(pixel) = sample(source, at.0, at.1) {
                canvas.put_pixel(x, y, person(pixel));
            }
        }
    }
}
