#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, GrayImage, ImageEncoder, Luma, Rgb, Rgba};

use super::*;

fn png(image: &DynamicImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    bytes
}

/// A 40×20 image: red on the left half, blue on the right.
fn red_blue() -> RgbImage {
    RgbImage::from_fn(40, 20, |x, _| {
        if x < 20 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 0, 255])
        }
    })
}

/// A JPEG of `image` carrying an EXIF block whose only entry is `orientation` (1–8).
fn jpeg_with_orientation(image: &RgbImage, orientation: u16) -> Vec<u8> {
    // Little-endian TIFF header, one IFD with one SHORT entry (tag 0x0112), no next IFD.
    let mut exif = vec![0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0];
    exif.extend_from_slice(&0x0112u16.to_le_bytes());
    exif.extend_from_slice(&3u16.to_le_bytes());
    exif.extend_from_slice(&1u32.to_le_bytes());
    exif.extend_from_slice(&orientation.to_le_bytes());
    exif.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut bytes = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(Cursor::new(&mut bytes), 95);
    encoder.set_exif_metadata(exif).unwrap();
    encoder
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            ExtendedColorType::Rgb8,
        )
        .unwrap();
    bytes
}

fn unreadable(bytes: &[u8]) {
    match decode_image(bytes) {
        Err(VisionError::UnreadableImage { detail }) => assert!(!detail.is_empty()),
        other => panic!("expected UnreadableImage, got {other:?}"),
    }
}

#[test]
fn garbage_and_empty_input_are_unreadable() {
    unreadable(b"");
    unreadable(b"definitely not an image");
    unreadable(&[0xFF, 0xD8, 0xFF]);
    unreadable(b"\x89PNG\r\n\x1a\n");
    let mut corrupt_png = png(&DynamicImage::ImageRgb8(red_blue()));
    for byte in corrupt_png.iter_mut().skip(40) {
        *byte ^= 0x5A;
    }
    unreadable(&corrupt_png);
}

#[test]
fn truncated_files_are_errors_never_panics() {
    let jpeg = {
        let mut bytes = Vec::new();
        JpegEncoder::new_with_quality(Cursor::new(&mut bytes), 90)
            .encode_image(&red_blue())
            .unwrap();
        bytes
    };
    let png = png(&DynamicImage::ImageRgb8(red_blue()));
    // A JPEG decoder fills a scan that stops early with grey: every cut JPEG is refused.
    for cut in [1, 2, 10, 50, jpeg.len() / 2, jpeg.len() - 2] {
        match decode_image(&jpeg[..cut]) {
            Err(VisionError::UnreadableImage { .. }) => {}
            other => panic!("JPEG cut at {cut}: unexpected {other:?}"),
        }
    }
    // A PNG cut in its final (empty) IEND chunk still has all its pixels.
    for cut in [1, 2, 10, 50, png.len() / 2, png.len() - 2] {
        match decode_image(&png[..cut]) {
            Err(VisionError::UnreadableImage { .. }) => {}
            Ok(image) if cut + 12 >= png.len() => assert_eq!(image.dimensions(), (40, 20)),
            other => panic!("PNG cut at {cut}: unexpected {other:?}"),
        }
    }
    assert!(jpeg_is_complete(&jpeg));
    // Padding or a maker's trailer after the end marker is fine.
    let mut padded = jpeg.clone();
    padded.extend_from_slice(&[0, 0, 0, 0x12, 0x34]);
    assert_eq!(decode_image(&padded).unwrap().dimensions(), (40, 20));
    // A PNG cut inside its pixel data has nothing to fill in with.
    unreadable(&png[..png.len() / 2]);
}

#[test]
fn greyscale_becomes_rgb() {
    let grey = GrayImage::from_fn(8, 4, |x, _| Luma([(x * 30) as u8]));
    let image = decode_image(&png(&DynamicImage::ImageLuma8(grey))).unwrap();
    assert_eq!(image.dimensions(), (8, 4));
    assert_eq!(image.get_pixel(3, 2), &Rgb([90, 90, 90]));
}

#[test]
fn transparency_is_flattened_onto_white() {
    let rgba = RgbaImage::from_fn(4, 1, |x, _| match x {
        0 => Rgba([200, 10, 10, 255]),
        1 => Rgba([0, 0, 0, 0]),
        2 => Rgba([0, 0, 0, 128]),
        _ => Rgba([10, 200, 10, 255]),
    });
    let image = decode_image(&png(&DynamicImage::ImageRgba8(rgba))).unwrap();
    assert_eq!(image.get_pixel(0, 0), &Rgb([200, 10, 10]));
    assert_eq!(image.get_pixel(1, 0), &Rgb([255, 255, 255]));
    assert_eq!(image.get_pixel(2, 0), &Rgb([127, 127, 127]));
    assert_eq!(image.get_pixel(3, 0), &Rgb([10, 200, 10]));
}

#[test]
fn exif_orientation_is_applied() {
    let stored = red_blue();
    // No tag: as stored, 40 wide, red on the left.
    let plain = decode_image(&jpeg_with_orientation(&stored, 1)).unwrap();
    assert_eq!(plain.dimensions(), (40, 20));
    // 6 = "rotate 90° clockwise to display": red ends up on top.
    let rotated = decode_image(&jpeg_with_orientation(&stored, 6)).unwrap();
    assert_eq!(rotated.dimensions(), (20, 40));
    assert!(rotated.get_pixel(10, 5).0[0] > 200, "red on top");
    assert!(rotated.get_pixel(10, 35).0[2] > 200, "blue at the bottom");
    // 3 = upside down: blue on the left.
    let flipped = decode_image(&jpeg_with_orientation(&stored, 3)).unwrap();
    assert_eq!(flipped.dimensions(), (40, 20));
    assert!(flipped.get_pixel(5, 10).0[2] > 200);
}

/// PNG's chunk checksum (CRC-32, polynomial 0xEDB88320).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn huge_images_are_refused_before_decoding() {
    // A valid PNG header claiming 10 000 × 5 000 (50 MP) with no pixel data behind it: refused
    // from the header, so nothing near 150 MB is ever allocated.
    let mut header = Vec::new();
    PngEncoder::new(&mut header)
        .write_image(&[0; 3], 1, 1, ExtendedColorType::Rgb8)
        .unwrap();
    // IHDR: length at 8..12, type at 12..16, width and height at 16..24, CRC at 29..33.
    header[16..20].copy_from_slice(&10_000u32.to_be_bytes());
    header[20..24].copy_from_slice(&5_000u32.to_be_bytes());
    let crc = crc32(&header[12..29]);
    header[29..33].copy_from_slice(&crc.to_be_bytes());
    match decode_image(&header) {
        Err(VisionError::ImageTooLarge {
            width,
            height,
            limit_megapixels,
        }) => assert_eq!((width, height, limit_megapixels), (10_000, 5_000, 40)),
        Err(VisionError::UnreadableImage { detail }) => {
            panic!("expected ImageTooLarge, the decoder refused the header first: {detail}")
        }
        other => panic!("expected ImageTooLarge, got {other:?}"),
    }
    // The same for a JPEG whose frame header (SOF0) claims 9 000 × 9 000.
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(Cursor::new(&mut jpeg), 90)
        .encode_image(&red_blue())
        .unwrap();
    let sof = jpeg
        .windows(2)
        .position(|marker| marker == [0xFF, 0xC0])
        .unwrap();
    jpeg[sof + 5..sof + 7].copy_from_slice(&9_000u16.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&9_000u16.to_be_bytes());
    assert!(matches!(
        decode_image(&jpeg),
        Err(VisionError::ImageTooLarge {
            width: 9_000,
            height: 9_000,
            ..
        })
    ));
    assert!(check_dimensions(8_000, 5_000).is_ok());
    assert!(matches!(
        check_dimensions(8_001, 5_000),
        Err(VisionError::ImageTooLarge { .. })
    ));
    assert!(matches!(
        check_dimensions(0, 5),
        Err(VisionError::UnreadableImage { .. })
    ));
}

#[test]
fn error_messages_say_what_to_do() {
    let message = decode_image(b"nope").unwrap_err().to_string();
    assert!(message.contains("capture or read it again"), "{message}");
    let message = check_dimensions(10_000, 5_000).unwrap_err().to_string();
    assert!(
        message.contains("10000×5000") && message.contains("40 megapixels"),
        "{message}"
    );
}
