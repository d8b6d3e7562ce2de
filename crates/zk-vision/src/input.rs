//! Encoded images (the chip photo, a stored photo) to RGB pixels, without trusting the bytes:
//! the size is checked from the header before anything is decoded, EXIF orientation is applied,
//! greyscale is expanded and transparency is flattened onto white.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbImage, RgbaImage};

use crate::error::VisionError;

/// Largest image accepted, in pixels (40 megapixels). A webcam frame is 0.3–2 MP and the chip
/// photo 0.013 MP; anything bigger is refused before it is decoded.
pub const MAX_PIXELS: u64 = 40_000_000;

/// Decodes BMP, JPEG or PNG bytes into upright RGB.
///
/// - Dimensions are read from the header and checked against [`MAX_PIXELS`] first.
/// - The EXIF orientation (JPEG) is applied, so a phone photo taken sideways comes out upright.
/// - Greyscale becomes RGB; an alpha channel is composited onto white.
/// - Corrupt or truncated data is an [`VisionError::UnreadableImage`], never a panic.
pub fn decode_image(bytes: &[u8]) -> Result<RgbImage, VisionError> {
    let unreadable = |detail: String| VisionError::UnreadableImage { detail };
    if bytes.is_empty() {
        return Err(unreadable("no bytes".into()));
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|error| unreadable(error.to_string()))?;
    if reader.format().is_none() {
        return Err(unreadable("not a BMP, JPEG or PNG image".into()));
    }
    let mut limits = Limits::default();
    // RGBA at 8 bits is the largest buffer the allowed formats decode to, plus slack for the
    // decoder's own buffers.
    limits.max_alloc = Some(MAX_PIXELS * 4 + 64 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|error| unreadable(error.to_string()))?;
    let (width, height) = decoder.dimensions();
    check_dimensions(width, height)?;
    // A broken EXIF block should not cost the whole image: fall back to "as stored".
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut decoded =
        DynamicImage::from_decoder(decoder).map_err(|error| unreadable(error.to_string()))?;
    decoded.apply_orientation(orientation);
    Ok(to_rgb(decoded))
}

/// Refuses empty images and images above [`MAX_PIXELS`].
pub fn check_dimensions(width: u32, height: u32) -> Result<(), VisionError> {
    if width == 0 || height == 0 {
        return Err(VisionError::UnreadableImage {
            detail: format!("the image claims to be {width}×{height} px"),
        });
    }
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(VisionError::ImageTooLarge {
            width,
            height,
            limit_megapixels: (MAX_PIXELS / 1_000_000) as u32,
        });
    }
    Ok(())
}

/// RGB pixels of any decoded image; transparent pixels become white (a transparent PNG
/// background is most often meant as paper-white, and black would hide dark hair).
pub fn to_rgb(image: DynamicImage) -> RgbImage {
    if image.color().has_alpha() {
        flatten_on_white(&image.to_rgba8())
    } else {
        image.to_rgb8()
    }
}

fn flatten_on_white(rgba: &RgbaImage) -> RgbImage {
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [red, green, blue, alpha] = rgba.get_pixel(x, y).0;
        let alpha = u32::from(alpha);
        let over_white =
            |channel: u8| ((u32::from(channel) * alpha + 255 * (255 - alpha)) / 255) as u8;
        image::Rgb([over_white(red), over_white(green), over_white(blue)])
    })
}

#[cfg(test)]
mod tests;
