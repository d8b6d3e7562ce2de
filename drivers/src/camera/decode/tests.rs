use image::{Rgb, RgbImage};

use super::*;
use crate::error::DeviceErrorKind;
use crate::testing::{faces_dir, jpeg, real_frame};

fn mean_abs_difference(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

/// The JPEG without its DHT segments (what many UVC cameras send as MJPEG).
fn without_huffman_tables(bytes: &[u8]) -> Vec<u8> {
    let starts: Vec<(u8, usize)> = segments(bytes).collect();
    assert!(
        starts.iter().any(|(marker, _)| *marker == 0xC4),
        "the encoder wrote Huffman tables"
    );
    let mut out = bytes[..2].to_vec();
    let mut previous_end = 2;
    for (marker, start) in &starts {
        out.extend_from_slice(&bytes[previous_end..*start]);
        let length = (usize::from(bytes[start + 2]) << 8) | usize::from(bytes[start + 3]);
        previous_end = if *marker == 0xC4 {
            start + 2 + length
        } else {
            *start
        };
    }
    out.extend_from_slice(&bytes[previous_end..]);
    assert!(!has_huffman_tables(&out));
    out
}

/// BT.601 limited-range RGB → YUYV 4:2:2 (chroma of each pixel pair averaged), as a webcam's
/// YUYV mode delivers a scene.
fn to_yuyv(image: &RgbImage) -> Vec<u8> {
    let ycc = |p: &Rgb<u8>| {
        let [r, g, b] = p.0.map(f64::from);
        (
            16.0 + 0.257 * r + 0.504 * g + 0.098 * b,
            128.0 - 0.148 * r - 0.291 * g + 0.439 * b,
            128.0 + 0.439 * r - 0.368 * g - 0.071 * b,
        )
    };
    let byte = |value: f64| value.round().clamp(0.0, 255.0) as u8;
    let mut out = Vec::with_capacity(image.as_raw().len() / 3 * 2);
    for y in 0..image.height() {
        for x in (0..image.width()).step_by(2) {
            let (y0, u0, v0) = ycc(image.get_pixel(x, y));
            let (y1, u1, v1) = ycc(image.get_pixel(x + 1, y));
            out.extend_from_slice(&[
                byte(y0),
                byte((u0 + u1) / 2.0),
                byte(y1),
                byte((v0 + v1) / 2.0),
            ]);
        }
    }
    out
}

#[test]
fn an_mjpeg_frame_of_a_real_photo_decodes_to_its_pixels() {
    let original = real_frame();
    let bytes = jpeg(&original, 90);
    let decoded = decode_frame(PixelFormat::Mjpeg, 640, 480, &bytes).expect("decodes");
    assert_eq!(decoded.dimensions(), (640, 480));
    let error = mean_abs_difference(&decoded, &original);
    assert!(
        error < 3.0,
        "a quality-90 JPEG is within a few levels of the scene: {error:.2}"
    );
    // Spot pixels: the decoded frame is the scene, not a grey or shifted picture.
    for (x, y) in [(10, 10), (320, 240), (600, 400), (100, 450)] {
        let (a, b) = (decoded.get_pixel(x, y).0, original.get_pixel(x, y).0);
        for channel in 0..3 {
            assert!(
                a[channel].abs_diff(b[channel]) <= 24,
                "pixel ({x}, {y}): {a:?} vs {b:?}"
            );
        }
    }
}

#[test]
fn mjpeg_frames_of_every_dev_face_decode() {
    // The face photos in various sizes and JPEG encoders, re-encoded as a camera would send
    // them, decode to the same picture.
    let mut checked = 0;
    for person in ["Barack_Obama", "Ai_Sugiyama", "AsianCeleb_1", "Halle_Berry"] {
        let dir = faces_dir().join(person);
        let path = std::fs::read_dir(&dir)
            .unwrap_or_else(|error| panic!("fixture missing: {}: {error}", dir.display()))
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .find(|path| path.extension().is_some_and(|ext| ext == "jpg"))
            .unwrap_or_else(|| panic!("fixture missing: no JPEG in {}", dir.display()));
        let photo = image::open(&path).expect("decodes").to_rgb8();
        let even =
            image::imageops::crop_imm(&photo, 0, 0, photo.width() & !1, photo.height()).to_image();
        let bytes = jpeg(&even, 85);
        let decoded = decode_frame(PixelFormat::Mjpeg, even.width(), even.height(), &bytes)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        assert!(
            mean_abs_difference(&decoded, &even) < 4.0,
            "{}",
            path.display()
        );
        checked += 1;
    }
    assert_eq!(checked, 4);
}

#[test]
fn mjpeg_without_huffman_tables_is_decoded_with_the_standard_ones() {
    let bytes = jpeg(&real_frame(), 85);
    let reference = mjpeg_to_rgb(&bytes).expect("with tables");
    let stripped = without_huffman_tables(&bytes);
    assert!(
        image::load_from_memory_with_format(&stripped, ImageFormat::Jpeg).is_err(),
        "a plain JPEG decoder cannot read a frame without tables"
    );
    let decoded = mjpeg_to_rgb(&stripped).expect("the standard tables are filled in");
    assert_eq!(
        decoded, reference,
        "the same pixels: the encoder used the standard tables"
    );
}

#[test]
fn incomplete_and_garbage_frames_are_corrupt_data() {
    let bytes = jpeg(&real_frame(), 80);
    for broken in [
        &bytes[..bytes.len() / 2],
        &bytes[..bytes.len() - 1],
        &bytes[2..],
        b"\xFF\xD8\xFF\xD9".as_slice(),
        b"not a jpeg at all".as_slice(),
        b"".as_slice(),
    ] {
        let error = decode_frame(PixelFormat::Mjpeg, 640, 480, broken).expect_err("refused");
        assert_eq!(error.kind(), DeviceErrorKind::CorruptData, "{error}");
        assert_eq!(error.device(), Device::Camera);
    }
    let cut =
        decode_frame(PixelFormat::Mjpeg, 640, 480, &bytes[..bytes.len() / 2]).expect_err("refused");
    assert!(cut.to_string().contains("incomplete MJPEG frame"), "{cut}");

    let mut padded = bytes.clone();
    padded.extend_from_slice(&[0; 64]);
    assert!(
        decode_frame(PixelFormat::Mjpeg, 640, 480, &padded).is_ok(),
        "trailing zero padding (some cameras add it) is fine"
    );
}

#[test]
fn an_mjpeg_frame_of_another_size_than_negotiated_is_refused() {
    let small = RgbImage::from_pixel(320, 240, Rgb([10, 20, 30]));
    let error =
        decode_frame(PixelFormat::Mjpeg, 640, 480, &jpeg(&small, 90)).expect_err("wrong size");
    assert_eq!(error.kind(), DeviceErrorKind::CorruptData);
    assert!(error.to_string().contains("320×240"), "{error}");
    assert!(decode_frame(PixelFormat::Mjpeg, 0, 0, &jpeg(&small, 90)).is_ok());
}

#[test]
fn yuyv_reference_colours() {
    let cases = [
        ((16, 128, 128), [0, 0, 0]),
        ((235, 128, 128), [255, 255, 255]),
        ((126, 128, 128), [128, 128, 128]),
        ((82, 90, 240), [255, 0, 0]),
        ((145, 54, 34), [0, 255, 0]),
        ((41, 240, 110), [0, 0, 255]),
    ];
    for ((y, u, v), expected) in cases {
        let rgb = yuv_to_rgb(y, u, v);
        for channel in 0..3 {
            assert!(
                rgb[channel].abs_diff(expected[channel]) <= 2,
                "Y{y} U{u} V{v} → {rgb:?}, expected {expected:?}"
            );
        }
    }
    // Two pixels sharing their chroma.
    let image = yuyv_to_rgb(2, 1, &[16, 128, 235, 128]).expect("decodes");
    assert_eq!(image.get_pixel(0, 0).0, [0, 0, 0]);
    assert_eq!(image.get_pixel(1, 0).0, [255, 255, 255]);
}

#[test]
fn a_yuyv_frame_of_a_real_photo_decodes_to_its_pixels() {
    let original = real_frame();
    let yuyv = to_yuyv(&original);
    assert_eq!(yuyv.len(), 640 * 480 * 2);
    let decoded = decode_frame(PixelFormat::Yuyv, 640, 480, &yuyv).expect("decodes");
    let error = mean_abs_difference(&decoded, &original);
    assert!(
        error < 2.5,
        "4:2:2 chroma and rounding cost a level or two: {error:.2}"
    );
    // Luma is kept per pixel: an edge between two pixels survives.
    let mut bars = RgbImage::from_pixel(8, 2, Rgb([20, 20, 20]));
    for y in 0..2 {
        for x in 3..8 {
            bars.put_pixel(x, y, Rgb([230, 230, 230]));
        }
    }
    let sharp = yuyv_to_rgb(8, 2, &to_yuyv(&bars)).expect("decodes");
    assert!(sharp.get_pixel(2, 0).0[0] < 40 && sharp.get_pixel(3, 0).0[0] > 210);
}

#[test]
fn short_or_odd_yuyv_frames_are_refused() {
    let error = yuyv_to_rgb(640, 480, &vec![128; 640 * 480]).expect_err("half a frame");
    assert_eq!(error.kind(), DeviceErrorKind::CorruptData);
    assert!(error.to_string().contains("incomplete"), "{error}");
    let error = yuyv_to_rgb(3, 2, &[128; 12]).expect_err("odd width");
    assert_eq!(error.kind(), DeviceErrorKind::CorruptData);
    let error = yuyv_to_rgb(0, 2, &[]).expect_err("empty");
    assert_eq!(error.kind(), DeviceErrorKind::CorruptData);
    let error = yuyv_to_rgb(8192, 8192, &[]).expect_err("huge");
    assert_eq!(error.kind(), DeviceErrorKind::Unsupported);
    let longer = yuyv_to_rgb(2, 1, &[16, 128, 16, 128, 99, 99]).expect("extra bytes ignored");
    assert_eq!(longer.dimensions(), (2, 1));
}
