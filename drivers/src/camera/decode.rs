//! Camera frames to RGB, as pure functions (no device, no clock): MJPEG through the `image`
//! crate's JPEG decoder (zune-jpeg) and YUYV 4:2:2 through BT.601 integer arithmetic.
//!
//! MJPEG from a UVC webcam is a JPEG per frame, often without Huffman tables (the MJPEG/AVI1
//! convention: the decoder is expected to use the standard tables of JPEG Annex K.3). Such frames
//! get the standard DHT segment inserted before decoding. Truncated frames (a USB bandwidth
//! hiccup) are refused as `CorruptData` rather than decoded half grey.

use std::io::Cursor;

use image::{ImageFormat, RgbImage};

use crate::error::{Device, DeviceError};

const DEVICE: Device = Device::Camera;

/// The largest frame accepted (a 4K camera), so a corrupt size cannot allocate gigabytes.
pub const MAX_FRAME_PIXELS: u64 = 4096 * 2160;

/// The pixel formats the kiosk asks cameras for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PixelFormat {
    /// One JPEG per frame.
    Mjpeg,
    /// Packed YUV 4:2:2: `Y0 U Y1 V` for each pair of pixels (V4L2 `YUYV`, Windows `YUY2`).
    Yuyv,
}

impl std::fmt::Display for PixelFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PixelFormat::Mjpeg => "MJPEG",
            PixelFormat::Yuyv => "YUYV",
        })
    }
}

/// Decodes one frame of `width`×`height` delivered in `format`. For MJPEG the size comes from
/// the JPEG itself and must match when `width` and `height` are not 0.
pub fn decode_frame(
    format: PixelFormat,
    width: u32,
    height: u32,
    bytes: &[u8],
) -> Result<RgbImage, DeviceError> {
    let image = match format {
        PixelFormat::Mjpeg => mjpeg_to_rgb(bytes)?,
        PixelFormat::Yuyv => yuyv_to_rgb(width, height, bytes)?,
    };
    if format == PixelFormat::Mjpeg
        && width != 0
        && height != 0
        && image.dimensions() != (width, height)
    {
        return Err(DeviceError::corrupt(
            DEVICE,
            format!(
                "an MJPEG frame of {}×{} from a camera set to {width}×{height}",
                image.width(),
                image.height()
            ),
        ));
    }
    Ok(image)
}

/// Decodes an MJPEG frame (a JPEG, Huffman tables optional) to RGB.
pub fn mjpeg_to_rgb(bytes: &[u8]) -> Result<RgbImage, DeviceError> {
    if !is_complete_jpeg(bytes) {
        return Err(DeviceError::corrupt(
            DEVICE,
            format!(
                "an incomplete MJPEG frame ({} bytes without a JPEG start and end marker)",
                bytes.len()
            ),
        ));
    }
    let with_tables;
    let jpeg = if has_huffman_tables(bytes) {
        bytes
    } else {
        with_tables = insert_standard_tables(bytes);
        &with_tables
    };
    let mut reader = image::ImageReader::with_format(Cursor::new(jpeg), ImageFormat::Jpeg);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(8192);
    limits.max_image_height = Some(8192);
    limits.max_alloc = Some(MAX_FRAME_PIXELS * 4);
    reader.limits(limits);
    let image = reader.decode().map_err(|error| {
        DeviceError::corrupt(DEVICE, format!("an undecodable MJPEG frame: {error}"))
    })?;
    Ok(image.into_rgb8())
}

/// Whether `bytes` start with a JPEG start-of-image marker and end with an end-of-image marker
/// (trailing zero padding, which some cameras add, is allowed).
pub fn is_complete_jpeg(bytes: &[u8]) -> bool {
    let trimmed = match bytes.iter().rposition(|byte| *byte != 0) {
        Some(last) => &bytes[..=last],
        None => return false,
    };
    trimmed.len() >= 4 && trimmed.starts_with(&[0xFF, 0xD8]) && trimmed.ends_with(&[0xFF, 0xD9])
}

/// Whether a DHT segment comes before the first scan.
fn has_huffman_tables(bytes: &[u8]) -> bool {
    segments(bytes)
        .take_while(|(marker, _)| *marker != 0xDA)
        .any(|(marker, _)| marker == 0xC4)
}

/// The marker segments of a JPEG up to (and including) the start of scan: (marker, start offset).
fn segments(bytes: &[u8]) -> impl Iterator<Item = (u8, usize)> + '_ {
    let mut position = 2usize;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        // Fill bytes (0xFF repeated) may precede a marker.
        while bytes.get(position) == Some(&0xFF) && bytes.get(position + 1) == Some(&0xFF) {
            position += 1;
        }
        let (Some(0xFF), Some(&marker)) = (bytes.get(position), bytes.get(position + 1)) else {
            done = true;
            return None;
        };
        let start = position;
        let length = match (bytes.get(position + 2), bytes.get(position + 3)) {
            (Some(high), Some(low)) => (usize::from(*high) << 8) | usize::from(*low),
            _ => {
                done = true;
                return None;
            }
        };
        position += 2 + length;
        if marker == 0xDA {
            done = true;
        }
        Some((marker, start))
    })
}

/// The JPEG with the standard Huffman tables (JPEG Annex K.3, the tables MJPEG implies) inserted
/// right before its first scan (or its first frame header, wherever the tables must come first).
fn insert_standard_tables(bytes: &[u8]) -> Vec<u8> {
    let at = segments(bytes)
        .find(|(marker, _)| *marker == 0xDA)
        .map_or(2, |(_, start)| start);
    let mut out = Vec::with_capacity(bytes.len() + STANDARD_DHT.len() + 4);
    out.extend_from_slice(&bytes[..at]);
    out.extend_from_slice(&[0xFF, 0xC4]);
    let length = (STANDARD_DHT.len() + 2) as u16;
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(&STANDARD_DHT);
    out.extend_from_slice(&bytes[at..]);
    out
}

/// The body of a DHT segment holding the four standard tables (K.3–K.6): class/id, 16 code
/// counts, then the values.
const STANDARD_DHT: [u8; 416] = {
    const DC_LUMA: [u8; 29] = [
        0x00, 0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    ];
    const DC_CHROMA: [u8; 29] = [
        0x01, 0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    ];
    const AC_LUMA: [u8; 179] = [
        0x10, 0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D, //
        0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61,
        0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xA1, 0x08, 0x23, 0x42, 0xB1, 0xC1, 0x15, 0x52,
        0xD1, 0xF0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0A, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x25,
        0x26, 0x27, 0x28, 0x29, 0x2A, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45,
        0x46, 0x47, 0x48, 0x49, 0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64,
        0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x83,
        0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99,
        0x9A, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6,
        0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3,
        0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xE1, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8,
        0xE9, 0xEA, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA,
    ];
    const AC_CHROMA: [u8; 179] = [
        0x11, 0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77, //
        0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61,
        0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xA1, 0xB1, 0xC1, 0x09, 0x23, 0x33,
        0x52, 0xF0, 0x15, 0x62, 0x72, 0xD1, 0x0A, 0x16, 0x24, 0x34, 0xE1, 0x25, 0xF1, 0x17, 0x18,
        0x19, 0x1A, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44,
        0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63,
        0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A,
        0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97,
        0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4,
        0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA,
        0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7,
        0xE8, 0xE9, 0xEA, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA,
    ];
    let mut out = [0u8; 416];
    let mut index = 0;
    let mut i = 0;
    while i < DC_LUMA.len() {
        out[index] = DC_LUMA[i];
        index += 1;
        i += 1;
    }
    i = 0;
    while i < DC_CHROMA.len() {
        out[index] = DC_CHROMA[i];
        index += 1;
        i += 1;
    }
    i = 0;
    while i < AC_LUMA.len() {
        out[index] = AC_LUMA[i];
        index += 1;
        i += 1;
    }
    i = 0;
    while i < AC_CHROMA.len() {
        out[index] = AC_CHROMA[i];
        index += 1;
        i += 1;
    }
    out
};

/// Decodes packed YUYV 4:2:2 (`Y0 U Y1 V`) with BT.601 limited-range coefficients (what UVC
/// webcams send), in integer arithmetic.
pub fn yuyv_to_rgb(width: u32, height: u32, bytes: &[u8]) -> Result<RgbImage, DeviceError> {
    if width == 0 || height == 0 || width & 1 == 1 {
        return Err(DeviceError::corrupt(
            DEVICE,
            format!("a YUYV frame of {width}×{height} (the width must be even and not 0)"),
        ));
    }
    if u64::from(width) * u64::from(height) > MAX_FRAME_PIXELS {
        return Err(DeviceError::Unsupported {
            device: DEVICE,
            detail: format!("frames of {width}×{height} (at most {MAX_FRAME_PIXELS} pixels)"),
        });
    }
    let expected = width as usize * height as usize * 2;
    if bytes.len() < expected {
        return Err(DeviceError::corrupt(
            DEVICE,
            format!(
                "a YUYV frame of {} bytes where {width}×{height} needs {expected} (incomplete)",
                bytes.len()
            ),
        ));
    }
    let mut rgb = Vec::with_capacity(width as usize * height as usize * 3);
    for quad in bytes[..expected].chunks_exact(4) {
        let (y0, u, y1, v) = (quad[0], quad[1], quad[2], quad[3]);
        rgb.extend_from_slice(&yuv_to_rgb(y0, u, v));
        rgb.extend_from_slice(&yuv_to_rgb(y1, u, v));
    }
    RgbImage::from_raw(width, height, rgb)
        .ok_or_else(|| DeviceError::corrupt(DEVICE, "a YUYV frame of the wrong size"))
}

/// One BT.601 limited-range YCbCr pixel to RGB.
pub fn yuv_to_rgb(y: u8, u: u8, v: u8) -> [u8; 3] {
    let c = i32::from(y) - 16;
    let d = i32::from(u) - 128;
    let e = i32::from(v) - 128;
    let clamp = |value: i32| ((value + 128) >> 8).clamp(0, 255) as u8;
    [
        clamp(298 * c + 409 * e),
        clamp(298 * c - 100 * d - 208 * e),
        clamp(298 * c + 516 * d),
    ]
}

#[cfg(test)]
mod tests;
