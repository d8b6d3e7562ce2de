//! The decoders against real inputs: images, a WLT-shaped block, and a vendor-style shared library
//! compiled here from C (the same ABI as `libwlt2bmp.so` `unpack`), loaded through libloading.

use std::process::Command;

use image::GenericImageView;

use super::*;
use crate::id_card::frame::PHOTO_LEN;
use crate::testing::{reader_card, temp_dir};

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| image::Rgb([x as u8, y as u8, 90]));
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Jpeg)
        .unwrap();
    bytes
}

fn wlt() -> Vec<u8> {
    let mut block = vec![0u8; PHOTO_LEN];
    block[..11].copy_from_slice(&[
        0x57, 0x4C, 0x66, 0x00, 0x7E, 0x00, 0x32, 0x00, 0x00, 0xFF, 0x85,
    ]);
    block
}

#[test]
fn image_decoder_passes_real_images_and_wraps_raw_bgr() {
    let decoder = ImagePhotoDecoder;
    let photo = jpeg(102, 126);
    assert_eq!(decoder.decode(&photo).unwrap(), photo);
    // Padding after the end marker (a fixed-size block) is dropped.
    let mut padded = photo.clone();
    padded.resize(photo.len() + 40, 0);
    assert_eq!(decoder.decode(&padded).unwrap(), photo);

    let bgr: Vec<u8> = (0..RAW_BGR_LEN).map(|i| (i % 251) as u8).collect();
    let png = decoder.decode(&bgr).unwrap();
    let decoded = image::load_from_memory(&png).unwrap();
    assert_eq!(decoded.dimensions(), (PHOTO_WIDTH, PHOTO_HEIGHT));
    // BGR → RGB: the first pixel's channels are reversed.
    assert_eq!(decoded.to_rgb8().get_pixel(0, 0).0, [2, 1, 0]);
}

#[test]
fn image_decoder_refuses_wlt_truncated_and_garbage() {
    let decoder = ImagePhotoDecoder;
    let error = decoder.decode(&wlt()).unwrap_err();
    assert!(error.to_string().contains("vendor"), "{error}");
    let photo = jpeg(102, 126);
    assert!(matches!(
        decoder.decode(&photo[..photo.len() / 2]),
        Err(PhotoDecodeError::BadOutput(_))
    ));
    assert!(matches!(
        decoder.decode(&[0x42; 300]),
        Err(PhotoDecodeError::NotRecognised(_))
    ));
}

#[test]
fn a_failed_decode_keeps_the_raw_photo() {
    let mut card = reader_card();
    card.photo = CardPhoto::Undecoded(wlt());
    decode_card_photo(&mut card, Some(&ImagePhotoDecoder));
    assert_eq!(card.photo, CardPhoto::Undecoded(wlt()));
    decode_card_photo(&mut card, None);
    assert_eq!(card.photo, CardPhoto::Undecoded(wlt()));

    let photo = jpeg(102, 126);
    card.photo = CardPhoto::Undecoded(photo.clone());
    decode_card_photo(&mut card, Some(&ImagePhotoDecoder));
    assert_eq!(card.photo, CardPhoto::Decoded(photo));
}

/// A stand-in for a vendor decoder with the vendor ABI: it "decodes" by painting the photo with
/// the block's second byte, writes a BMP (flag 1) or raw BGR (flag 0), and fails (-2) on a block
/// without the WLT magic, as real decoders do.
const FAKE_VENDOR_C: &str = r#"
#include <string.h>
static void put32(unsigned char *p, unsigned v) { p[0]=v; p[1]=v>>8; p[2]=v>>16; p[3]=v>>24; }
int unpack(const unsigned char *wlt, unsigned char *out, int flag) {
    if (wlt[0] != 0x57 || wlt[1] != 0x4C) return -2;
    unsigned char shade = wlt[11];
    if (flag == 0) { memset(out, shade, 102 * 126 * 3); return 1; }
    memset(out, 0, 54);
    out[0] = 'B'; out[1] = 'M'; put32(out + 2, 38862); put32(out + 10, 54);
    put32(out + 14, 40); put32(out + 18, 102); put32(out + 22, 126);
    out[26] = 1; out[28] = 24; put32(out + 34, 38808);
    for (int row = 0; row < 126; row++) {
        memset(out + 54 + row * 308, shade, 306);
        out[54 + row * 308 + 306] = 0; out[54 + row * 308 + 307] = 0;
    }
    return 1;
}
"#;

/// Compiles the stand-in with the system C compiler (installed by scripts/setup.sh).
fn fake_vendor_library(dir: &Path) -> PathBuf {
    let source = dir.join("fakewlt.c");
    std::fs::write(&source, FAKE_VENDOR_C).unwrap();
    let library = dir.join("libfakewlt.so");
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-O1", "-o"])
        .arg(&library)
        .arg(&source)
        .status()
        .expect(
            "the C compiler `cc` must be installed (scripts/setup.sh installs build-essential)",
        );
    assert!(
        status.success(),
        "cc failed to build the stand-in vendor decoder"
    );
    library
}

fn wlt_with_shade(shade: u8) -> Vec<u8> {
    let mut block = wlt();
    block[11] = shade;
    block
}

#[test]
fn vendor_library_decodes_to_bmp_and_raw_bgr() {
    let dir = temp_dir();
    let library = fake_vendor_library(dir.path());
    let bmp_decoder = VendorLibDecoder::load(VendorDecoderConfig {
        library: library.clone(),
        ..VendorDecoderConfig::default()
    })
    .unwrap();
    let bmp = bmp_decoder.decode(&wlt_with_shade(200)).unwrap();
    assert_eq!(bmp.len(), BMP_LEN);
    let image = image::load_from_memory(&bmp).unwrap();
    assert_eq!(image.dimensions(), (PHOTO_WIDTH, PHOTO_HEIGHT));
    assert_eq!(image.to_rgb8().get_pixel(50, 60).0, [200, 200, 200]);

    let bgr_decoder = VendorLibDecoder::load(VendorDecoderConfig {
        library,
        output: VendorOutput::Bgr,
        flag: 0,
        ..VendorDecoderConfig::default()
    })
    .unwrap();
    let png = bgr_decoder.decode(&wlt_with_shade(77)).unwrap();
    let image = image::load_from_memory_with_format(&png, ImageFormat::Png).unwrap();
    assert_eq!(image.to_rgb8().get_pixel(0, 125).0, [77, 77, 77]);
}

#[test]
fn vendor_failures_are_errors_and_the_card_keeps_its_raw_photo() {
    let dir = temp_dir();
    let decoder = VendorLibDecoder::load(VendorDecoderConfig {
        library: fake_vendor_library(dir.path()),
        ..VendorDecoderConfig::default()
    })
    .unwrap();
    let not_wlt = vec![0u8; PHOTO_LEN];
    assert!(matches!(
        decoder.decode(&not_wlt),
        Err(PhotoDecodeError::VendorFailed {
            code: -2,
            success: 1
        })
    ));
    assert!(matches!(
        decoder.decode(&[0x57, 0x4C]),
        Err(PhotoDecodeError::NotRecognised(_))
    ));
    let mut card = reader_card();
    card.photo = CardPhoto::Undecoded(not_wlt.clone());
    decode_card_photo(&mut card, Some(&decoder));
    assert_eq!(card.photo, CardPhoto::Undecoded(not_wlt));
}

#[test]
fn vendor_library_config_errors_name_the_problem() {
    let dir = temp_dir();
    let missing = VendorLibDecoder::load(VendorDecoderConfig {
        library: dir.path().join("libnothere.so"),
        ..VendorDecoderConfig::default()
    })
    .unwrap_err();
    assert!(missing.to_string().contains("libnothere.so"), "{missing}");
    assert!(missing.to_string().contains("no such file"), "{missing}");

    let not_a_library = crate::testing::write(dir.path(), "libjunk.so", b"not an ELF file");
    assert!(matches!(
        VendorLibDecoder::load(VendorDecoderConfig {
            library: not_a_library,
            ..VendorDecoderConfig::default()
        }),
        Err(PhotoDecodeError::Library { .. })
    ));

    let wrong_symbol = VendorLibDecoder::load(VendorDecoderConfig {
        library: fake_vendor_library(dir.path()),
        symbol: "GetBmp".into(),
        ..VendorDecoderConfig::default()
    })
    .unwrap_err();
    assert!(
        wrong_symbol.to_string().contains("GetBmp"),
        "{wrong_symbol}"
    );
}

#[test]
fn open_decoder_follows_the_config() {
    let vendor = VendorDecoderConfig::default();
    assert!(open_decoder(PhotoDecoderKind::None, &vendor)
        .unwrap()
        .is_none());
    assert_eq!(
        open_decoder(PhotoDecoderKind::Image, &vendor)
            .unwrap()
            .unwrap()
            .name(),
        "decoded-image"
    );
    // The default vendor path does not exist on this machine: a clear error, not a crash.
    assert!(open_decoder(PhotoDecoderKind::Vendor, &vendor).is_err());
}
