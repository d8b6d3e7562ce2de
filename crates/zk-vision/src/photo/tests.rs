#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use image::{Luma, Rgb};

use super::*;

const ID_BLUE: Rgb<u8> = Rgb([0x43, 0x8E, 0xDB]);
const LIGHT_BLUE: Rgb<u8> = Rgb([100, 197, 255]);

fn spec() -> PhotoSpec {
    PhotoSpec::default()
}

/// A head whose eyes are level, `face_width` px wide (picture px), eyes' middle at `eye`.
fn head(eye: (f32, f32), face_width: f32) -> HeadGeometry {
    HeadGeometry {
        eye_middle: eye,
        eye_distance: face_width / spec().face_width_eye_distances,
        roll_deg: 0.0,
    }
}

fn close(a: f32, b: f32, tolerance: f32) -> bool {
    (a - b).abs() <= tolerance
}

#[test]
fn the_default_spec_is_hubeis_and_valid() {
    let spec = spec();
    spec.validate().unwrap();
    assert_eq!((spec.width, spec.height), (480, 640));
    assert_eq!((spec.min_bytes, spec.max_bytes), (20 * 1024, 40 * 1024));
    assert!(spec.face_width_px.contains(spec.target_face_width_px));
    assert!(spec.eye_line_px.contains(spec.target_eye_line_px));
    // The targets put the estimated head top inside its band too.
    let head_top = spec.target_eye_line_px
        - spec.head_top_eye_distances * spec.target_face_width_px / spec.face_width_eye_distances;
    assert!(spec.head_top_px.contains(head_top), "{head_top}");
}

#[test]
fn nonsense_specs_are_refused() {
    let broken: [fn(&mut PhotoSpec); 7] = [
        |spec| spec.width = 0,
        |spec| spec.min_bytes = spec.max_bytes + 1,
        |spec| spec.min_jpeg_quality = 0,
        |spec| spec.eye_line_px = Band::new(300.0, 200.0),
        |spec| spec.max_upscale = f32::NAN,
        |spec| spec.min_blue_share = 1.5,
        |spec| spec.position_tolerance_px = -1.0,
    ];
    for change in broken {
        let mut spec = spec();
        change(&mut spec);
        assert!(
            matches!(spec.validate(), Err(VisionError::InvalidInput(ref text)) if text.starts_with("photo spec")),
            "{spec:?}"
        );
    }
}

#[test]
fn hsv_of_primaries_and_the_id_blues() {
    assert_eq!(hsv(Rgb([255, 0, 0])), (0.0, 1.0, 1.0));
    assert_eq!(hsv(Rgb([0, 255, 0])), (120.0, 1.0, 1.0));
    assert_eq!(hsv(Rgb([0, 0, 255])), (240.0, 1.0, 1.0));
    assert_eq!(hsv(Rgb([255, 0, 255])).0, 300.0);
    assert_eq!(hsv(Rgb([0, 0, 0])), (0.0, 0.0, 0.0));
    let (hue, saturation, value) = hsv(ID_BLUE);
    assert!(
        close(hue, 210.4, 0.1) && close(saturation, 0.694, 0.001) && close(value, 0.859, 0.001)
    );
    // Hunan / Tianjin light blue RGB(100,197,255): hue 202.5°, S 0.61, V 1.0 — inside the
    // research's range as it is.
    let (hue, saturation, value) = hsv(LIGHT_BLUE);
    assert!(close(hue, 202.5, 0.1) && close(saturation, 0.608, 0.001) && value == 1.0);
}

#[test]
fn both_official_blues_count_as_blue_and_white_grey_and_skin_do_not() {
    let blue = BlueRange::default();
    for pixel in [
        ID_BLUE,
        LIGHT_BLUE,
        Rgb([30, 110, 200]),
        Rgb([80, 160, 230]),
    ] {
        assert!(blue.contains(pixel), "{pixel:?} should be ID blue");
    }
    for pixel in [
        Rgb([255, 255, 255]), // white background
        Rgb([240, 240, 240]), // Hunan's grey
        Rgb([128, 128, 128]), // greyscale photo
        Rgb([20, 40, 70]),    // dark navy shadow (V 0.27)
        Rgb([180, 200, 220]), // washed-out wall (S 0.18)
        Rgb([224, 172, 140]), // skin
        Rgb([40, 30, 25]),    // hair
        Rgb([90, 60, 200]),   // violet (hue 249°)
        Rgb([60, 200, 180]),  // teal (hue 174°)
    ] {
        assert!(!blue.contains(pixel), "{pixel:?} should not be ID blue");
    }
}

#[test]
fn background_statistics_of_samples() {
    let blue = BlueRange::default();
    let flat = background_stats_of(&[ID_BLUE; 100], &blue);
    assert_eq!(flat.blue_share, 1.0);
    assert!(flat.luma_sd < 1e-6 && flat.hue_sd < 0.01, "{flat:?}");

    let mut half_white = vec![ID_BLUE; 50];
    half_white.extend([Rgb([255, 255, 255]); 50]);
    let stats = background_stats_of(&half_white, &blue);
    assert_eq!(stats.blue_share, 0.5);
    assert!(stats.luma_sd > 50.0, "{stats:?}");

    // Two blues, each ID blue, together not one uniform background.
    let mut two_blues = vec![ID_BLUE; 50];
    two_blues.extend([LIGHT_BLUE; 50]);
    let stats = background_stats_of(&two_blues, &blue);
    assert_eq!(stats.blue_share, 1.0);
    assert!(
        stats.luma_sd > spec().max_background_luma_sd as f64,
        "{stats:?}"
    );

    let grey = background_stats_of(&[Rgb([128, 128, 128]); 10], &blue);
    assert_eq!((grey.blue_share, grey.hue_sd), (0.0, 0.0));
    assert_eq!(background_stats_of(&[], &blue).samples, 0);
}

#[test]
fn the_background_is_sampled_at_the_crops_top_and_upper_corners_only() {
    let spec = spec();
    let crop = CropRect {
        x: 80.0,
        y: 0.0,
        width: 360.0,
        height: 480.0,
    };
    let mut frame = RgbImage::from_pixel(640, 480, ID_BLUE);
    // Dark curly hair and a face right under the band, and white outside the crop: none of
    // it is sampled.
    for y in 25..480 {
        for x in 130..390 {
            frame.put_pixel(x, y, Rgb([30, 20, 15]));
        }
    }
    for y in 0..480 {
        for x in (0..80).chain(440..640) {
            frame.put_pixel(x, y, Rgb([255, 255, 255]));
        }
    }
    let stats = background_stats(&frame, &crop, &spec);
    assert_eq!(stats.blue_share, 1.0, "{stats:?}");
    assert!(stats.samples > 1000);

    // Hair that reaches into the top band is counted.
    for y in 0..19 {
        for x in 200..320 {
            frame.put_pixel(x, y, Rgb([30, 20, 15]));
        }
    }
    let stats = background_stats(&frame, &crop, &spec);
    assert!(stats.blue_share < 0.85, "{stats:?}");

    // A crop partly off the picture samples only what is inside it.
    let off = CropRect { x: -100.0, ..crop };
    let stats = background_stats(&RgbImage::from_pixel(640, 480, ID_BLUE), &off, &spec);
    assert_eq!(stats.blue_share, 1.0);
    let gone = CropRect { x: 700.0, ..crop };
    assert_eq!(background_stats(&frame, &gone, &spec).samples, 0);
}

fn checkerboard(size: u32, cell: u32) -> GrayImage {
    GrayImage::from_fn(size, size, |x, y| {
        Luma([if (x / cell + y / cell) & 1 == 0 {
            40
        } else {
            210
        }])
    })
}

#[test]
fn laplacian_variance_is_zero_when_flat_and_falls_with_blur() {
    assert_eq!(
        laplacian_variance(&GrayImage::from_pixel(64, 64, Luma([90]))),
        0.0
    );
    assert_eq!(laplacian_variance(&GrayImage::new(2, 2)), 0.0);
    let sharp = checkerboard(128, 4);
    let sharp_variance = laplacian_variance(&sharp);
    let blurred = DynamicImage::ImageLuma8(sharp).blur(2.5).into_luma8();
    let blurred_variance = laplacian_variance(&blurred);
    assert!(sharp_variance > 5000.0, "{sharp_variance}");
    assert!(
        blurred_variance < sharp_variance / 20.0,
        "{blurred_variance} vs {sharp_variance}"
    );
}

#[test]
fn sharpness_is_measured_at_a_fixed_size() {
    // The same pattern at two resolutions measures about the same once resized.
    let small = DynamicImage::ImageLuma8(checkerboard(160, 16)).into_rgb8();
    let large = DynamicImage::ImageLuma8(checkerboard(480, 48)).into_rgb8();
    let region = |side: f32| {
        Some(CropRect {
            x: 0.0,
            y: 0.0,
            width: side,
            height: side,
        })
    };
    let at_small = laplacian_variance_of(&small, region(160.0), 128);
    let at_large = laplacian_variance_of(&large, region(480.0), 128);
    assert!(at_small > 100.0, "{at_small}");
    assert!(
        (at_small / at_large - 1.0).abs() < 0.25,
        "{at_small} vs {at_large}"
    );
    assert!(laplacian_variance_of(&small, None, 128).is_nan());
}

#[test]
fn glare_is_white_and_unsaturated() {
    let spec = spec();
    assert!(is_specular(Rgb([255, 255, 255]), &spec));
    assert!(is_specular(Rgb([245, 240, 238]), &spec));
    assert!(!is_specular(Rgb([230, 225, 220]), &spec)); // the white of an eye
    assert!(!is_specular(Rgb([255, 220, 190]), &spec)); // bright skin
    assert!(!is_specular(LIGHT_BLUE, &spec));
}

#[test]
fn head_geometry_from_landmarks() {
    // dlib's order: one eye's two corners, the other's, the nose; either eye may come first.
    let landmarks = Landmarks {
        points: [
            (300.0, 200.0),
            (280.0, 200.0),
            (200.0, 200.0),
            (220.0, 200.0),
            (250.0, 240.0),
        ],
    };
    let head = HeadGeometry::from_landmarks(&landmarks).unwrap();
    assert_eq!(head.eye_middle, (250.0, 200.0));
    assert_eq!(head.eye_distance, 80.0);
    assert_eq!(head.roll_deg, 0.0);
    let (left, right) = head.eye_centres();
    assert!(close(left.0, 210.0, 1e-3) && close(right.0, 290.0, 1e-3));

    // The right-hand eye 10 px lower over 80 px: about 7°.
    let mut tilted = landmarks;
    tilted.points[0].1 = 210.0;
    tilted.points[1].1 = 210.0;
    let head = HeadGeometry::from_landmarks(&tilted).unwrap();
    assert!(close(head.roll_deg, 7.125, 0.01), "{}", head.roll_deg);

    let degenerate = Landmarks {
        points: [(5.0, 5.0); 5],
    };
    assert!(HeadGeometry::from_landmarks(&degenerate).is_none());
    let nan = Landmarks {
        points: [(f32::NAN, 1.0); 5],
    };
    assert!(HeadGeometry::from_landmarks(&nan).is_none());
}

#[test]
fn a_file_at_the_target_is_cropped_whole() {
    let spec = spec();
    let plan = plan_crop(&head((240.0, 250.0), 230.0), (480, 640), &spec);
    assert!(close(plan.rect.x, 0.0, 0.01) && close(plan.rect.y, 0.0, 0.01));
    assert!(close(plan.rect.width, 480.0, 0.01) && close(plan.rect.height, 640.0, 0.01));
    assert!(close(plan.upscale, 1.0, 1e-4));
    assert!(close(plan.face_width_px, 230.0, 0.01));
    assert!(close(plan.eye_line_px, 250.0, 0.01));
    assert!(close(plan.head_top_px, 250.0 - 1.9 * 230.0 / 2.4, 0.01));
    assert_eq!(plan.outside_px, 0.0);
    assert!(plan.smallest_crop_share < 1.0);
}

#[test]
fn a_file_anywhere_in_the_bands_passes_as_it_is() {
    let spec = spec();
    // Face 260 px, eyes at 290 and 15 px right of centre: not the target, but in the bands.
    let plan = plan_crop(&head((255.0, 290.0), 260.0), (480, 640), &spec);
    assert!(plan.outside_px <= spec.position_tolerance_px, "{plan:?}");
    assert!(close(plan.upscale, 1.0, 1e-4), "{plan:?}");
    assert!(spec.eye_line_px.contains(plan.eye_line_px));
    assert!(spec.face_width_px.contains(plan.face_width_px));
    assert!(plan.centre_offset_px.abs() <= spec.centre_tolerance_px);

    // 5 px below the eye band: within the position tolerance.
    let plan = plan_crop(&head((240.0, 305.0), 260.0), (480, 640), &spec);
    assert!(
        plan.outside_px > 0.0 && plan.outside_px <= spec.position_tolerance_px,
        "{plan:?}"
    );
    // 30 px below: not.
    let plan = plan_crop(&head((240.0, 330.0), 260.0), (480, 640), &spec);
    assert!(plan.outside_px > spec.position_tolerance_px, "{plan:?}");
}

#[test]
fn a_head_too_high_in_a_file_fails_the_head_top_band() {
    // Eyes at 210 with a 290-px face: the head top would be about 20 px from the top.
    let spec = spec();
    let plan = plan_crop(&head((240.0, 210.0), 290.0), (480, 640), &spec);
    assert!(plan.outside_px > spec.position_tolerance_px, "{plan:?}");
    assert!(plan.head_top_px >= spec.head_top_px.min - 0.01, "{plan:?}");
}

#[test]
fn a_kiosk_frame_is_cropped_around_the_face() {
    let spec = spec();
    // 640×480 frame, face 165 px wide, eyes at (330, 185).
    let plan = plan_crop(&head((330.0, 185.0), 165.0), (640, 480), &spec);
    assert_eq!(plan.outside_px, 0.0, "{plan:?}");
    assert!(close(plan.face_width_px, 230.0, 0.01));
    assert!(close(plan.eye_line_px, 250.0, 0.5), "{plan:?}");
    assert!(close(plan.centre_offset_px, 0.0, 0.01));
    assert!(close(plan.rect.width * 4.0, plan.rect.height * 3.0, 0.01));
    assert!(
        plan.upscale > 1.0 && plan.upscale <= spec.max_upscale,
        "{plan:?}"
    );

    // Eyes lower in the frame: the crop is as tall as the frame and the eye line moves down
    // within its band instead of the crop leaving the frame.
    let plan = plan_crop(&head((320.0, 215.0), 165.0), (640, 480), &spec);
    assert_eq!(plan.outside_px, 0.0, "{plan:?}");
    assert!(spec.eye_line_px.contains(plan.eye_line_px), "{plan:?}");
}

#[test]
fn small_large_and_off_centre_faces_in_a_frame() {
    let spec = spec();
    // 100 px face: the 180-px minimum needs 1.8× enlargement.
    let small = plan_crop(&head((320.0, 200.0), 100.0), (640, 480), &spec);
    assert!(small.upscale > spec.max_upscale, "{small:?}");
    assert!(close(small.face_width_px, 180.0, 0.01));
    // 330 px face: even at 300 px out the crop is taller than the frame.
    let large = plan_crop(&head((320.0, 200.0), 330.0), (640, 480), &spec);
    assert!(large.smallest_crop_share > 1.0, "{large:?}");
    assert!(large.outside_px > spec.position_tolerance_px);
    // Face at the right edge: the crop falls off the side.
    let right = plan_crop(&head((600.0, 185.0), 165.0), (640, 480), &spec);
    assert!(right.outside_px > spec.position_tolerance_px, "{right:?}");
    assert!(right.upscale <= spec.max_upscale && right.smallest_crop_share <= 1.0);
    // Off by a little: the crop shifts within the centring tolerance and stays inside.
    let near = plan_crop(&head((470.0, 185.0), 165.0), (640, 480), &spec);
    assert!(near.outside_px <= spec.position_tolerance_px, "{near:?}");
    // A big photo: no enlargement, crop inside.
    let big = plan_crop(&head((1500.0, 1300.0), 600.0), (3000, 4000), &spec);
    assert!(big.upscale < 1.0 && big.outside_px == 0.0, "{big:?}");
}

#[test]
fn a_crop_shifts_inside_when_it_fits_and_pads_with_edge_pixels_when_not() {
    let shifted = shift_inside(
        CropRect {
            x: -3.0,
            y: 5.0,
            width: 480.0,
            height: 640.0,
        },
        (480, 640),
    );
    assert_eq!((shifted.x, shifted.y), (0.0, 0.0));
    let too_big = CropRect {
        x: -10.0,
        y: -10.0,
        width: 500.0,
        height: 660.0,
    };
    assert_eq!(shift_inside(too_big, (480, 640)), too_big);

    let image = RgbImage::from_fn(4, 3, |x, y| Rgb([x as u8 * 10, y as u8 * 10, 7]));
    let padded = crop_padded(
        &image,
        &CropRect {
            x: -1.0,
            y: -1.0,
            width: 6.0,
            height: 5.0,
        },
    )
    .unwrap();
    assert_eq!(padded.dimensions(), (6, 5));
    assert_eq!(padded.get_pixel(0, 0), image.get_pixel(0, 0));
    assert_eq!(padded.get_pixel(5, 4), image.get_pixel(3, 2));
    assert_eq!(padded.get_pixel(2, 2), image.get_pixel(1, 1));
    let inside = crop_padded(
        &image,
        &CropRect {
            x: 1.0,
            y: 1.0,
            width: 2.0,
            height: 2.0,
        },
    )
    .unwrap();
    assert_eq!(inside.get_pixel(0, 0), image.get_pixel(1, 1));
    assert!(crop_padded(
        &image,
        &CropRect {
            x: f32::NAN,
            ..too_big
        }
    )
    .is_err());
}

#[test]
fn quality_search_takes_the_highest_quality_that_fits() {
    // Size = 500 bytes per quality step: 40 KB is quality 81 (40 500 > 40 960? no: 81·500 =
    // 40 500 ≤ 40 960, 82·500 = 41 000 > 40 960).
    let mut calls = Vec::new();
    let (quality, bytes, fit) = search_quality(60, 20 * 1024, 40 * 1024, |quality| {
        calls.push(quality);
        Ok::<_, ()>(vec![0; usize::from(quality) * 500])
    })
    .unwrap();
    assert_eq!((quality, bytes.len(), fit), (81, 40_500, SizeFit::Within));
    assert!(calls.len() <= 6, "{calls:?}");
    // Exactly: every quality from 60 to 100 gives the highest that fits.
    for limit in 60..=100usize {
        let (quality, _, fit) = search_quality(60, 0, limit * 500, |quality| {
            Ok::<_, ()>(vec![0; usize::from(quality) * 500])
        })
        .unwrap();
        assert_eq!((usize::from(quality), fit), (limit, SizeFit::Within));
    }

    // Flat picture: even quality 100 is under 20 KB.
    let (quality, _, fit) = search_quality(60, 20 * 1024, 40 * 1024, |quality| {
        Ok::<_, ()>(vec![0; usize::from(quality) * 100])
    })
    .unwrap();
    assert_eq!((quality, fit), (100, SizeFit::BelowMinimum));

    // Noisy picture: quality 60 is still over 40 KB.
    let (quality, _, fit) = search_quality(60, 20 * 1024, 40 * 1024, |quality| {
        Ok::<_, ()>(vec![0; usize::from(quality) * 1000])
    })
    .unwrap();
    assert_eq!((quality, fit), (60, SizeFit::AboveMaximum));

    // Only quality 60 fits.
    let (quality, _, fit) = search_quality(60, 0, 30_000, |quality| {
        Ok::<_, ()>(vec![0; usize::from(quality) * 500])
    })
    .unwrap();
    assert_eq!((quality, fit), (60, SizeFit::Within));
    // min_quality 100: one encoding decides.
    let (quality, _, fit) = search_quality(100, 0, 10, |quality| {
        Ok::<_, ()>(vec![0; usize::from(quality)])
    })
    .unwrap();
    assert_eq!((quality, fit), (100, SizeFit::AboveMaximum));

    // The encoder's error comes through.
    assert_eq!(
        search_quality(60, 1, 2, |_| Err::<Vec<u8>, _>("broken")),
        Err("broken")
    );
}

#[test]
fn quality_search_with_the_real_encoder() {
    // Smooth gradients with some texture: lands inside the window.
    let image = RgbImage::from_fn(480, 640, |x, y| {
        let noise = ((x * 7919 + y * 104_729) % 17) as u8;
        Rgb([
            (x / 3) as u8 + noise,
            (y / 4) as u8 + noise / 2,
            200 - noise,
        ])
    });
    let (quality, bytes, fit) = search_quality(60, 20 * 1024, 40 * 1024, |quality| {
        encode_jpeg(&image, quality)
    })
    .unwrap();
    let next = encode_jpeg(&image, quality + 1).unwrap();
    assert_eq!(
        fit,
        SizeFit::Within,
        "quality {quality}: {} bytes",
        bytes.len()
    );
    assert!(bytes.len() <= 40 * 1024 && bytes.len() >= 20 * 1024);
    assert!(
        next.len() > 40 * 1024,
        "quality {quality} is not the highest"
    );
    let decoded = crate::decode_image(&bytes).unwrap();
    assert_eq!(decoded.dimensions(), (480, 640));

    // A flat blue picture compresses below 20 KB even at quality 100.
    let flat = RgbImage::from_pixel(480, 640, ID_BLUE);
    let (quality, _, fit) = search_quality(60, 20 * 1024, 40 * 1024, |quality| {
        encode_jpeg(&flat, quality)
    })
    .unwrap();
    assert_eq!((quality, fit), (100, SizeFit::BelowMinimum));
}

#[test]
fn limits_and_findings() {
    assert!(Limit::AtLeast(2.0).allows(2.0) && !Limit::AtLeast(2.0).allows(1.9));
    assert!(Limit::AtMost(2.0).allows(2.0) && !Limit::AtMost(2.0).allows(2.1));
    assert_eq!(Limit::AtMost(3.0).value(), 3.0);
    let nan = PhotoFinding::new(ReasonCode::Blurry, "x", f64::NAN, Limit::AtMost(1.0));
    assert!(!nan.passed);
}

#[test]
fn crop_planning_never_panics_on_nonsense() {
    let spec = spec();
    let nan = HeadGeometry {
        eye_middle: (f32::NAN, 10.0),
        eye_distance: f32::NAN,
        roll_deg: 0.0,
    };
    let _ = plan_crop(&nan, (640, 480), &spec);
    let _ = plan_crop(&head((10.0, 10.0), 100.0), (0, 0), &spec);
    let _ = plan_crop(&head((10.0, 10.0), 0.0), (640, 480), &spec);
    let mut inverted = spec.clone();
    inverted.eye_line_px = Band::new(f32::NAN, -1.0);
    inverted.centre_tolerance_px = -50.0;
    let plan = plan_crop(&head((320.0, 200.0), 165.0), (640, 480), &inverted);
    assert!(plan.rect.width > 0.0);
}
