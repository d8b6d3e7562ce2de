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
    match reader.format() {
        None => return Err(unreadable("not a BMP, JPEG or PNG image".into())),
        Some(image::ImageFormat::Jpeg) if !jpeg_is_complete(bytes) => {
            return Err(unreadable(
                "the JPEG is cut short (its end marker is missing)".into(),
            ))
        }
        Some(_) => {}
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

/// Whether a JPEG's image data runs to its end-of-image marker. The JPEG decoder fills in a
/// scan that stops early with grey, which would hide a cut-off transfer: the segments are
/// walked up to the first start-of-scan, and an end marker (`FF D9`, which byte stuffing keeps
/// out of scan data) must follow it. Data after the marker (maker trailers) is allowed, and
/// an EXIF thumbnail's own end marker, which sits before the scan, does not count.
pub fn jpeg_is_complete(bytes: &[u8]) -> bool {
    if bytes.len() < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8 {
        return false;
    }
    let mut at = 2;
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            return false;
        }
        let marker = bytes[at + 1];
        match marker {
            // Fill bytes before a marker.
            0xFF => at += 1,
            // Markers without a length.
            0x01 | 0xD0..=0xD7 => at += 2,
            0xDA => {
                return bytes[at + 2..].windows(2).any(|pair| pair == [0xFF, 0xD9]);
            }
            _ => {
                let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
                if length < 2 {
                    return false;
                }
                at += 2 + length;
            }
        }
    }
    false
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
