#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use image::Rgb;

use super::*;

fn template(fill: f32) -> FaceTemplate {
    FaceTemplate::from_values(&[fill; TEMPLATE_LEN]).unwrap()
}

#[test]
fn templates_are_128_finite_values_and_redact_themselves() {
    assert!(FaceTemplate::from_values(&[0.0; 127]).is_err());
    let mut values = [0.1f32; TEMPLATE_LEN];
    values[5] = f32::NAN;
    assert!(FaceTemplate::from_values(&values).is_err());
    let one = template(0.25);
    assert_eq!(one.values().len(), TEMPLATE_LEN);
    assert_eq!(format!("{one:?}"), "FaceTemplate(128 floats)");
    let embedding = FaceEmbedding {
        face: FaceBox {
            x: 0.0,
            y: 0.0,
            width: 10.0,
            height: 10.0,
            score: 1.0,
        },
        landmarks: Landmarks {
            points: [(0.0, 0.0); 5],
        },
        template: one,
    };
    assert!(format!("{embedding:?}").contains("FaceTemplate(128 floats)"));
    assert!(!format!("{embedding:?}").contains("0.25"));
}

#[test]
fn distance_is_euclidean() {
    assert_eq!(template(0.0).distance(&template(0.0)), 0.0);
    // sqrt(128 × 0.5²) = sqrt(32)
    assert!((template(0.0).distance(&template(0.5)) - 32f64.sqrt()).abs() < 1e-9);
    assert_eq!(
        template(0.1).distance(&template(0.3)),
        template(0.3).distance(&template(0.1))
    );
}

#[test]
fn templates_average() {
    let mean = FaceTemplate::mean(&[template(0.2), template(0.4), template(0.9)]).unwrap();
    assert!(mean.values().iter().all(|value| (value - 0.5).abs() < 1e-6));
    assert_eq!(FaceTemplate::mean(&[template(0.3)]).unwrap(), template(0.3));
    assert!(FaceTemplate::mean(&[]).is_err());
}

/// Eye centres at (80, 100) and (120, 100), nose base at `nose`.
fn face_points(nose: (f32, f32)) -> Landmarks {
    Landmarks {
        points: [
            (125.0, 100.0),
            (115.0, 100.0),
            (75.0, 100.0),
            (85.0, 100.0),
            nose,
        ],
    }
}

#[test]
fn the_training_box_is_placed_from_the_eyes() {
    let upright = face_points((100.0, 130.0)).training_box().unwrap();
    // 2.4 eye distances wide, centred 0.49 eye distances below the eyes' middle.
    assert!((upright.width - 96.0).abs() < 1e-4 && (upright.height - 96.0).abs() < 1e-4);
    let (centre_x, centre_y) = upright.centre();
    assert!((centre_x - 100.0).abs() < 1e-4, "{centre_x}");
    assert!((centre_y - 119.6).abs() < 1e-4, "{centre_y}");
    // Upside down (nose above the eyes): the box follows the nose.
    let (_, flipped_y) = face_points((100.0, 70.0)).training_box().unwrap().centre();
    assert!((flipped_y - 80.4).abs() < 1e-4, "{flipped_y}");
    assert_eq!(
        Landmarks {
            points: [(5.0, 5.0); 5]
        }
        .training_box(),
        None
    );
}

#[test]
fn degenerate_landmarks_are_not_frontal() {
    let collapsed = Landmarks {
        points: [(5.0, 5.0); 5],
    };
    assert_eq!(collapsed.eye_distance(), 0.0);
    assert_eq!(collapsed.frontalness(), 0.0);
}

#[test]
fn crops_cover_the_faces_with_margin_and_stay_inside_the_image() {
    let image = RgbImage::from_fn(640, 480, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 7]));
    let face = FaceBox {
        x: 300.0,
        y: 200.0,
        width: 100.0,
        height: 100.0,
        score: 9.0,
    };
    let crop = Crop::around(&image, &[face]).unwrap();
    assert_eq!((crop.x, crop.y), (240, 140));
    assert_eq!(crop.image.dimensions(), (220, 220));
    assert_eq!(crop.image.get_pixel(0, 0).0, [240, 140, 7]);
    let rectangle = crop.rectangles(&[face])[0];
    assert_eq!(
        (
            rectangle.left,
            rectangle.top,
            rectangle.right,
            rectangle.bottom
        ),
        (60, 60, 160, 160)
    );
    // A face over the edge of a tight crop: the crop stops at the image, the box does not.
    let edge = FaceBox {
        x: -20.0,
        y: -10.0,
        width: 200.0,
        height: 200.0,
        score: 9.0,
    };
    let crop = Crop::around(&image, &[edge]).unwrap();
    assert_eq!((crop.x, crop.y), (0, 0));
    assert_eq!(crop.rectangles(&[edge])[0].left, -20);
    // A face entirely outside still yields a valid (tiny) crop, never a panic.
    let outside = FaceBox {
        x: 5000.0,
        y: 5000.0,
        width: 10.0,
        height: 10.0,
        score: 1.0,
    };
    let crop = Crop::around(&image, &[outside]).unwrap();
    assert!(crop.image.width() >= 1 && crop.image.height() >= 1);
    assert!(Crop::around(&RgbImage::new(0, 0), &[face]).is_err());
    let not_finite = FaceBox {
        x: f32::NAN,
        ..face
    };
    assert!(Crop::around(&image, &[not_finite]).is_err());
}

#[test]
fn a_finished_request_waits_for_nothing() {
    let pending = PendingEmbeddings::ready(Err(VisionError::NoFace));
    assert_eq!(format!("{pending:?}"), "PendingEmbeddings(ready)");
    assert_eq!(pending.wait(), Err(VisionError::NoFace));
    assert_eq!(
        PendingEmbeddings::ready(Ok(Vec::new())).wait(),
        Ok(Vec::new())
    );
}
