//! Finds the card in a camera frame and straightens it to the layout's `CARD_WIDTH` ×
//! `CARD_HEIGHT` (85.6 × 54 mm), then judges the capture: too small, blurred, glare on the text.
//! The card is found as the largest region brighter than its surroundings (Otsu's threshold on a
//! reduced frame): the desk's card tray is dark. Each problem says what the candidate should do.

use image::{imageops::FilterType, GrayImage, RgbImage};
use imageproc::geometric_transformations::{warp_into, Interpolation, Projection};
use imageproc::point::Point;

use crate::layout::{Field, CARD_HEIGHT, CARD_WIDTH};
use crate::OcrError;

/// The width frames are reduced to for finding the card.
const WORK_WIDTH: u32 = 480;

/// Why a capture cannot be read well. Messages say what to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureProblem {
    /// No card-shaped region.
    NoCard,
    /// The card covers too little of the frame.
    TooSmall,
    /// Not sharp enough to read.
    Blurred,
    /// A reflection covers part of the text.
    Glare,
}

impl CaptureProblem {
    pub fn code(self) -> &'static str {
        match self {
            CaptureProblem::NoCard => "card.not_found",
            CaptureProblem::TooSmall => "card.too_small",
            CaptureProblem::Blurred => "card.blurred",
            CaptureProblem::Glare => "card.glare",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            CaptureProblem::NoCard => {
                "no ID card found: place the card, photo side up, inside the frame on the tray"
            }
            CaptureProblem::TooSmall => {
                "the card is too far away: bring it closer to fill the frame"
            }
            CaptureProblem::Blurred => "the picture is blurred: hold the card still",
            CaptureProblem::Glare => {
                "a reflection covers the text: tilt the card slightly or move it out of the light"
            }
        }
    }
}

/// Thresholds of the capture checks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CaptureRules {
    /// The card's area as a fraction of the frame's, at least.
    pub min_area_fraction: f32,
    /// Variance of the Laplacian over the text area of the straightened card, at least.
    pub min_sharpness: f32,
    /// Fraction of washed-out pixels in any field's band, at most.
    pub max_glare_fraction: f32,
}

impl Default for CaptureRules {
    fn default() -> CaptureRules {
        CaptureRules {
            min_area_fraction: 0.15,
            min_sharpness: 25.0,
            max_glare_fraction: 0.02,
        }
    }
}

/// A straightened card and how the capture went.
#[derive(Clone, Debug)]
pub struct Rectified {
    pub card: RgbImage,
    /// The card's corners in the frame: top-left, top-right, bottom-right, bottom-left.
    pub corners: [(f32, f32); 4],
    pub area_fraction: f32,
    /// The card lay upside down in the frame (it was turned).
    pub upside_down: bool,
    pub sharpness: f32,
    pub glare_fraction: f32,
    /// Empty when the capture is good.
    pub problems: Vec<CaptureProblem>,
}

fn polygon_area(points: &[(f32, f32)]) -> f32 {
    let n = points.len();
    (0..n)
        .map(|i| {
            let (a, b) = (points[i], points[(i + 1) % n]);
            a.0 * b.1 - b.0 * a.1
        })
        .sum::<f32>()
        .abs()
        / 2.0
}

/// The four corners of a convex outline: of its vertices (thinned by Douglas–Peucker to at most
/// 24), the four spanning the largest quadrilateral. A card's corners are its extreme points, so
/// rounded or blurred corners and bumps along the edges do not move them much.
fn quadrilateral(hull: &[Point<i32>]) -> Option<[(f32, f32); 4]> {
    if hull.len() < 4 {
        return None;
    }
    let perimeter = imageproc::geometry::arc_length(hull, true);
    let mut points: Vec<(f32, f32)> = hull.iter().map(|p| (p.x as f32, p.y as f32)).collect();
    for step in 1..=40 {
        if points.len() <= 24 {
            break;
        }
        let epsilon = perimeter * 0.0025 * f64::from(step);
        points = imageproc::geometry::approximate_polygon_dp(hull, epsilon, true)
            .iter()
            .map(|p| (p.x as f32, p.y as f32))
            .collect();
    }
    let n = points.len();
    if n < 4 {
        return None;
    }
    let mut best = (0.0f32, [0usize; 4]);
    for a in 0..n {
        for b in a + 1..n {
            for c in b + 1..n {
                for d in c + 1..n {
                    let area = polygon_area(&[points[a], points[b], points[c], points[d]]);
                    if area > best.0 {
                        best = (area, [a, b, c, d]);
                    }
                }
            }
        }
    }
    (best.0 > 0.0).then(|| best.1.map(|index| points[index]))
}

/// Top-left, top-right, bottom-right, bottom-left, with the long sides horizontal.
fn ordered(corners: [(f32, f32); 4]) -> [(f32, f32); 4] {
    let cx = corners.iter().map(|c| c.0).sum::<f32>() / 4.0;
    let cy = corners.iter().map(|c| c.1).sum::<f32>() / 4.0;
    let mut sorted = corners;
    sorted.sort_by(|a, b| {
        let angle = |p: &(f32, f32)| (p.1 - cy).atan2(p.0 - cx);
        angle(a).total_cmp(&angle(b))
    });
    // Angles from −π: the corner up and left of the centre comes first for a level card.
    let length = |a: (f32, f32), b: (f32, f32)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
    if length(sorted[0], sorted[1]) < length(sorted[1], sorted[2]) {
        // The card stands on its short side: start from the next corner.
        sorted.rotate_left(1);
    }
    sorted
}

/// Variance of the 4-neighbour Laplacian.
fn sharpness(gray: &GrayImage) -> f32 {
    let (w, h) = gray.dimensions();
    if w < 3 || h < 3 {
        return 0.0;
    }
    let mut sum = 0.0f64;
    let mut sum_sq = 0.0f64;
    let mut n = 0.0f64;
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let at = |x: u32, y: u32| f64::from(gray.get_pixel(x, y)[0]);
            let value = at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1) - 4.0 * at(x, y);
            sum += value;
            sum_sq += value * value;
            n += 1.0;
        }
    }
    let mean = sum / n;
    (sum_sq / n - mean * mean) as f32
}

/// The largest fraction of any field's band that is brighter than the card's paper: a
/// reflection. The paper's level is the median of the bands; a card that is bright all over
/// (over-exposed, still readable) has no patch brighter than its paper. A washed-out pixel
/// counts only inside a washed-out patch (everything within 3 px as bright): a reflection
/// washes out the printing, text and background lines alike, while on a guilloche card
/// photographed a little bright the paper between its fine lines clips to white though the
/// lines (and the median, which they pull down) stay dark.
fn glare(card: &GrayImage) -> f32 {
    let bands: Vec<GrayImage> = Field::ALL
        .iter()
        .map(|field| {
            let (x, y, w, h) = field.band().px();
            image::imageops::crop_imm(card, x, y, w, h).to_image()
        })
        .collect();
    let mut levels: Vec<u8> = bands
        .iter()
        .flat_map(|band| band.pixels().map(|p| p[0]))
        .collect();
    if levels.is_empty() {
        return 0.0;
    }
    let middle = levels.len() / 2;
    let paper = *levels.select_nth_unstable(middle).1;
    let bright = paper.saturating_add(12).max(248);
    if paper >= 243 {
        return 0.0;
    }
    bands
        .iter()
        .map(|band| {
            let at_least_bright = imageproc::contrast::threshold(
                band,
                bright - 1,
                imageproc::contrast::ThresholdType::Binary,
            );
            let patches = imageproc::morphology::erode(
                &at_least_bright,
                imageproc::distance_transform::Norm::LInf,
                3,
            );
            let washed = patches.pixels().filter(|p| p[0] > 0).count();
            washed as f32 / (band.width() * band.height()).max(1) as f32
        })
        .fold(0.0f32, f32::max)
}

/// The fraction of a region's pixels that are smooth dark tone: darker than the region's paper
/// (its 98th percentile) by 40 levels or more, with their 3 × 3 neighbourhood within 16 levels.
/// A photo is mostly such tone (skin, hair, clothes); printed text, however bold, is strokes on
/// paper whose dark pixels lie on or near edges, and a guilloche's lines are pale and fine.
fn smooth_dark_fraction(region: &GrayImage) -> f64 {
    let (w, h) = region.dimensions();
    if w < 3 || h < 3 {
        return 0.0;
    }
    let mut levels: Vec<u8> = region.pixels().map(|p| p[0]).collect();
    let at = levels.len() * 98 / 100;
    let paper = *levels.select_nth_unstable(at).1;
    let dark = paper.saturating_sub(40);
    let mut smooth = 0u64;
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            if region.get_pixel(x, y)[0] >= dark {
                continue;
            }
            let (mut low, mut high) = (u8::MAX, u8::MIN);
            for ny in y - 1..=y + 1 {
                for nx in x - 1..=x + 1 {
                    let value = region.get_pixel(nx, ny)[0];
                    low = low.min(value);
                    high = high.max(value);
                }
            }
            if high - low < 16 {
                smooth += 1;
            }
        }
    }
    smooth as f64 / (f64::from(w - 2) * f64::from(h - 2))
}

/// Whether a straightened card is upside down: the photo region (much more smooth dark tone
/// than printed text on paper) is where the card turned by 180° would have it. (The regions'
/// variance, used before, took bold values for the photo: dark ink on pale paper is about as
/// varied as a region gets.)
fn upside_down(card: &GrayImage) -> bool {
    let smooth_dark = |rect: crate::layout::MmRect| {
        let (x, y, w, h) = rect.px();
        smooth_dark_fraction(&image::imageops::crop_imm(card, x, y, w, h).to_image())
    };
    let photo = crate::layout::PORTRAIT;
    let turned = crate::layout::MmRect::new(
        CARD_WIDTH as f32 / crate::layout::PX_PER_MM - photo.x - photo.width,
        CARD_HEIGHT as f32 / crate::layout::PX_PER_MM - photo.y - photo.height,
        photo.width,
        photo.height,
    );
    smooth_dark(turned) > 1.5 * smooth_dark(photo)
}

/// Finds, straightens and judges the card in `frame`.
pub fn rectify(frame: &RgbImage, rules: &CaptureRules) -> Result<Rectified, CaptureProblem> {
    let (fw, fh) = frame.dimensions();
    if fw < 64 || fh < 64 {
        return Err(CaptureProblem::NoCard);
    }
    let scale = WORK_WIDTH as f32 / fw as f32;
    let work_h = ((fh as f32 * scale).round() as u32).max(1);
    let small = image::imageops::resize(frame, WORK_WIDTH, work_h, FilterType::Triangle);
    let gray = image::imageops::grayscale(&small);
    let gray = imageproc::filter::gaussian_blur_f32(&gray, 1.5);
    let level = imageproc::contrast::otsu_level(&gray);
    let mut mask =
        imageproc::contrast::threshold(&gray, level, imageproc::contrast::ThresholdType::Binary);
    // Close the text's dark strokes inside the card, so the card is one region.
    imageproc::morphology::close_mut(&mut mask, imageproc::distance_transform::Norm::LInf, 4);
    let contours = imageproc::contours::find_contours::<i32>(&mask);
    let best = contours
        .iter()
        .filter(|contour| contour.border_type == imageproc::contours::BorderType::Outer)
        .map(|contour| imageproc::geometry::convex_hull(contour.points.clone()))
        .filter(|hull| hull.len() >= 4)
        .map(|hull| {
            let points: Vec<(f32, f32)> = hull.iter().map(|p| (p.x as f32, p.y as f32)).collect();
            (polygon_area(&points), hull)
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let Some((area, hull)) = best else {
        return Err(CaptureProblem::NoCard);
    };
    let area_fraction = area / (WORK_WIDTH * work_h) as f32;
    if area_fraction < 0.02 {
        return Err(CaptureProblem::NoCard);
    }
    let corners = ordered(quadrilateral(&hull).ok_or(CaptureProblem::NoCard)?);
    if std::env::var_os("ZK_OCR_DEBUG").is_some() {
        eprintln!("rectify: level {level} area {area_fraction:.3} corners {corners:?}");
    }
    // Card-shaped: opposite sides alike, the aspect near 85.6:54 (allowing for perspective).
    let length = |a: (f32, f32), b: (f32, f32)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
    let top = length(corners[0], corners[1]);
    let bottom = length(corners[3], corners[2]);
    let left = length(corners[0], corners[3]);
    let right = length(corners[1], corners[2]);
    let aspect = (top + bottom) / (left + right).max(1.0);
    let expected = CARD_WIDTH as f32 / CARD_HEIGHT as f32;
    if !(expected * 0.7..=expected * 1.3).contains(&aspect) {
        return Err(CaptureProblem::NoCard);
    }
    // A card lies inside the frame: a region reaching the frame's edges with two or more
    // corners is the backdrop split by the threshold (an empty tray), or a card cut off.
    let (ww, wh) = (WORK_WIDTH as f32, work_h as f32);
    let at_edge = corners
        .iter()
        .filter(|(x, y)| *x <= 2.0 || *y <= 2.0 || *x >= ww - 3.0 || *y >= wh - 3.0)
        .count();
    if at_edge >= 2 {
        return Err(CaptureProblem::NoCard);
    }
    // And it stands out: the region is clearly brighter than the rest of the frame.
    let (mut inside, mut outside) = ((0u64, 0u64), (0u64, 0u64));
    for (x, y, pixel) in gray.enumerate_pixels() {
        let value = u64::from(pixel[0]);
        if mask.get_pixel(x, y)[0] > 0 {
            inside = (inside.0 + value, inside.1 + 1);
        } else {
            outside = (outside.0 + value, outside.1 + 1);
        }
    }
    let mean = |(sum, count): (u64, u64)| sum as f32 / count.max(1) as f32;
    if mean(inside) - mean(outside) < 40.0 {
        return Err(CaptureProblem::NoCard);
    }
    let in_frame = corners.map(|(x, y)| (x / scale, y / scale));
    let target = [
        (0.0, 0.0),
        (CARD_WIDTH as f32, 0.0),
        (CARD_WIDTH as f32, CARD_HEIGHT as f32),
        (0.0, CARD_HEIGHT as f32),
    ];
    let projection =
        Projection::from_control_points(in_frame, target).ok_or(CaptureProblem::NoCard)?;
    let mut card = RgbImage::new(CARD_WIDTH, CARD_HEIGHT);
    warp_into(
        frame,
        &projection,
        Interpolation::Bilinear,
        image::Rgb([255, 255, 255]),
        &mut card,
    );
    // The portrait sits on the right of the portrait side: a card upside down has it on the left.
    let upside_down = upside_down(&image::imageops::grayscale(&card));
    let corners = if upside_down {
        card = image::imageops::rotate180(&card);
        [corners[2], corners[3], corners[0], corners[1]]
    } else {
        corners
    };
    let in_frame = corners.map(|(x, y)| (x / scale, y / scale));
    let card_gray = image::imageops::grayscale(&card);
    let (tx, ty, tw, th) = Field::Address.band().px();
    let text_area = image::imageops::crop_imm(&card_gray, tx, ty, tw, th).to_image();
    let sharp = sharpness(&text_area);
    let glare_fraction = glare(&card_gray);
    let mut problems = Vec::new();
    if area_fraction < rules.min_area_fraction {
        problems.push(CaptureProblem::TooSmall);
    }
    if sharp < rules.min_sharpness {
        problems.push(CaptureProblem::Blurred);
    }
    if glare_fraction > rules.max_glare_fraction {
        problems.push(CaptureProblem::Glare);
    }
    Ok(Rectified {
        card,
        corners: in_frame,
        area_fraction,
        upside_down,
        sharpness: sharp,
        glare_fraction,
        problems,
    })
}

impl From<CaptureProblem> for OcrError {
    fn from(problem: CaptureProblem) -> OcrError {
        OcrError::Image(problem.message().to_owned())
    }
}
