//! Synthetic specimen cards, clearly marked 样本 / SPECIMEN: the portrait side drawn by the
//! layout with a synthetic person's fields (zk-domain's generator) and a face photo, and
//! photograph-like variants (a card on a desk, in perspective, blurred, with glare, JPEG noise).
//! No real card image is ever used. Fonts: Noto Sans CJK from Debian's fonts-noto-cjk.

use std::path::{Path, PathBuf};

use ab_glyph::{FontRef, PxScale};
use image::{imageops::FilterType, Rgb, RgbImage};
use imageproc::geometric_transformations::{warp_into, Interpolation, Projection};
use zk_domain::synthetic::SyntheticPerson;

use crate::layout::*;
use crate::OcrError;

/// Debian's fonts-noto-cjk (Sans: SC at index 2, Mono SC at index 7).
pub const DEFAULT_FONT: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
const SANS_SC: u32 = 2;
const MONO_SC: u32 = 7;

const LABEL_COLOUR: Rgb<u8> = Rgb([70, 110, 160]);
const VALUE_COLOUR: Rgb<u8> = Rgb([28, 28, 30]);
const STAMP_COLOUR: Rgb<u8> = Rgb([200, 30, 40]);

/// The font file, read once.
pub struct SpecimenFonts {
    data: Vec<u8>,
}

impl SpecimenFonts {
    /// `$ZK_CJK_FONT`, else [`DEFAULT_FONT`].
    pub fn load_default() -> Result<SpecimenFonts, OcrError> {
        let path = std::env::var_os("ZK_CJK_FONT")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_FONT));
        SpecimenFonts::load(&path)
    }

    pub fn load(path: &Path) -> Result<SpecimenFonts, OcrError> {
        let data = std::fs::read(path).map_err(|error| OcrError::Font {
            path: path.to_path_buf(),
            detail: format!("{error}; install fonts-noto-cjk (scripts/setup.sh)"),
        })?;
        let fonts = SpecimenFonts { data };
        fonts.font(SANS_SC)?;
        fonts.font(MONO_SC)?;
        Ok(fonts)
    }

    fn font(&self, index: u32) -> Result<FontRef<'_>, OcrError> {
        FontRef::try_from_slice_and_index(&self.data, index).map_err(|error| OcrError::Font {
            path: PathBuf::from("(the CJK font collection)"),
            detail: format!("face {index}: {error}"),
        })
    }
}

fn mm(value: f32) -> i32 {
    (value * PX_PER_MM).round() as i32
}

fn draw(
    card: &mut RgbImage,
    font: &FontRef<'_>,
    colour: Rgb<u8>,
    x_mm: f32,
    y_mm: f32,
    size_mm: f32,
    text: &str,
) -> f32 {
    let scale = PxScale::from(size_mm * PX_PER_MM * 1.15);
    imageproc::drawing::draw_text_mut(card, colour, mm(x_mm), mm(y_mm), scale, font, text);
    let (width, _) = imageproc::drawing::text_size(scale, font, text);
    width as f32 / PX_PER_MM
}

/// The card's printed background: a pale base with fine wavy security lines.
fn background() -> RgbImage {
    RgbImage::from_fn(CARD_WIDTH, CARD_HEIGHT, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        let wave = ((fx / 23.0 + (fy / 37.0).sin() * 2.0).sin() * 0.5 + 0.5) * 10.0;
        let band = ((fy / 61.0 + (fx / 90.0).cos()).sin() * 0.5 + 0.5) * 8.0;
        Rgb([
            (238.0 - band * 0.5) as u8,
            (240.0 - wave * 0.6) as u8,
            (236.0 + wave * 0.3 - band * 0.3) as u8,
        ])
    })
}

/// The address as the card wraps it: `ADDRESS_CHARS_PER_LINE` characters a line, at most
/// `ADDRESS_LINES` lines.
pub fn address_lines(address: &str) -> Vec<String> {
    let chars: Vec<char> = address.chars().collect();
    chars
        .chunks(ADDRESS_CHARS_PER_LINE)
        .take(ADDRESS_LINES)
        .map(|line| line.iter().collect())
        .collect()
}

/// Draws the portrait side of `person`'s card (rectified, `CARD_WIDTH`×`CARD_HEIGHT`) with
/// `portrait` as the printed photo.
pub fn render_card(
    person: &SyntheticPerson,
    portrait: &RgbImage,
    fonts: &SpecimenFonts,
) -> Result<RgbImage, OcrError> {
    use chrono::Datelike;
    let sans = fonts.font(SANS_SC)?;
    let mono = fonts.font(MONO_SC)?;
    let mut card = background();
    let label = |card: &mut RgbImage, x: f32, y: f32, text: &str| {
        draw(card, &sans, LABEL_COLOUR, x, y, LABEL_SIZE, text)
    };
    label(&mut card, LABEL_X, NAME_TOP + 1.0, "姓  名");
    draw(
        &mut card,
        &sans,
        VALUE_COLOUR,
        VALUE_X,
        NAME_TOP,
        NAME_SIZE,
        &person.name,
    );
    label(&mut card, LABEL_X, SEX_TOP + 0.5, "性  别");
    draw(
        &mut card,
        &sans,
        VALUE_COLOUR,
        VALUE_X,
        SEX_TOP,
        VALUE_SIZE,
        person.sex.label_zh(),
    );
    label(&mut card, ETHNICITY_LABEL_X, SEX_TOP + 0.5, "民  族");
    draw(
        &mut card,
        &sans,
        VALUE_COLOUR,
        ETHNICITY_X,
        SEX_TOP,
        VALUE_SIZE,
        &person.ethnicity.label(),
    );
    label(&mut card, LABEL_X, BIRTH_TOP + 0.5, "出  生");
    let date = person.birth_date;
    let mut x = VALUE_X;
    for (value, unit) in [
        (date.year().to_string(), "年"),
        (date.month().to_string(), "月"),
        (date.day().to_string(), "日"),
    ] {
        x += draw(
            &mut card,
            &sans,
            VALUE_COLOUR,
            x,
            BIRTH_TOP,
            VALUE_SIZE,
            &value,
        ) + 1.0;
        x += draw(
            &mut card,
            &sans,
            LABEL_COLOUR,
            x,
            BIRTH_TOP,
            VALUE_SIZE,
            unit,
        ) + 1.5;
    }
    label(&mut card, LABEL_X, ADDRESS_TOP + 0.5, "住  址");
    for (index, line) in address_lines(&person.address).iter().enumerate() {
        draw(
            &mut card,
            &sans,
            VALUE_COLOUR,
            VALUE_X,
            ADDRESS_TOP + index as f32 * ADDRESS_PITCH,
            VALUE_SIZE,
            line,
        );
    }
    label(&mut card, LABEL_X, NUMBER_LABEL_TOP, "公民身份号码");
    for (index, digit) in person.id_number.chars().enumerate() {
        let mut buffer = [0u8; 4];
        draw(
            &mut card,
            &mono,
            VALUE_COLOUR,
            NUMBER_X + index as f32 * 2.55,
            NUMBER_TOP,
            NUMBER_SIZE,
            digit.encode_utf8(&mut buffer),
        );
    }
    let (px, py, pw, ph) = PORTRAIT.px();
    let photo = image::imageops::resize(portrait, pw, ph, FilterType::Triangle);
    image::imageops::overlay(&mut card, &photo, i64::from(px), i64::from(py));
    // Clearly a specimen: a red stamp under the photo, clear of every field.
    draw(
        &mut card,
        &sans,
        STAMP_COLOUR,
        PORTRAIT.x + 1.0,
        PORTRAIT.y + PORTRAIT.height + 1.5,
        4.5,
        "样本 SPECIMEN",
    );
    Ok(card)
}

/// How a specimen is "photographed".
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shot {
    /// The frame's size.
    pub width: u32,
    pub height: u32,
    /// The card's width as a fraction of the frame's.
    pub card_fraction: f32,
    /// Corner displacement (perspective), as a fraction of the card's width.
    pub tilt: f32,
    /// Rotation in degrees.
    pub rotation: f32,
    /// Gaussian blur sigma (frame pixels); 0 for none.
    pub blur: f32,
    /// Glare: a reflection's strength (0..1: how far toward white its centre goes) at (x, y) as
    /// fractions of the card.
    pub glare: Option<(f32, f32, f32)>,
    /// JPEG quality of the final frame (100: no JPEG).
    pub jpeg_quality: u8,
    /// Brightness factor.
    pub brightness: f32,
}

impl Default for Shot {
    fn default() -> Shot {
        Shot {
            width: 1280,
            height: 960,
            card_fraction: 0.7,
            tilt: 0.0,
            rotation: 0.0,
            blur: 0.0,
            glare: None,
            jpeg_quality: 100,
            brightness: 1.0,
        }
    }
}

impl Shot {
    /// A hand-held-like shot: the card filling 50–85 % of the frame's width, rotated up to ±8°,
    /// tilted up to 8 %, a little blur, JPEG at quality 60–95, the light ±15 %, and glare on one
    /// shot in `glare_every` (0: never).
    pub fn random(rng: &mut dyn rand::RngCore, glare_every: u32) -> Shot {
        use rand::Rng;
        let glare = (glare_every > 0 && rng.random_range(0..glare_every) == 0).then(|| {
            (
                rng.random_range(0.15..0.85),
                rng.random_range(0.2..0.8),
                rng.random_range(0.6..0.95),
            )
        });
        Shot {
            card_fraction: rng.random_range(0.5..0.85),
            tilt: rng.random_range(0.0..0.08),
            rotation: rng.random_range(-8.0..8.0),
            blur: rng.random_range(0.0..1.0),
            glare,
            jpeg_quality: rng.random_range(60..96),
            brightness: rng.random_range(0.85..1.15),
            ..Shot::default()
        }
    }

    /// A harder shot, for the benchmark's second set: the card as small as 45 % of the frame,
    /// rotated up to ±12°, tilted up to 12 %, blur up to σ 1.6, JPEG down to quality 40, the
    /// light from 75 % to 120 %, and glare on one shot in four.
    pub fn hard(rng: &mut dyn rand::RngCore) -> Shot {
        use rand::Rng;
        let glare = (rng.random_range(0..4) == 0).then(|| {
            (
                rng.random_range(0.1..0.9),
                rng.random_range(0.15..0.85),
                rng.random_range(0.6..0.95),
            )
        });
        Shot {
            card_fraction: rng.random_range(0.45..0.85),
            tilt: rng.random_range(0.0..0.12),
            rotation: rng.random_range(-12.0..12.0),
            blur: rng.random_range(0.0..1.6),
            glare,
            jpeg_quality: rng.random_range(40..91),
            brightness: rng.random_range(0.75..1.2),
            ..Shot::default()
        }
    }

    /// Where the card's corners land in the frame (top-left, top-right, bottom-right,
    /// bottom-left), before any randomness: centred, rotated, the top edge pulled in by `tilt`.
    pub fn corners(&self) -> [(f32, f32); 4] {
        let (fw, fh) = (self.width as f32, self.height as f32);
        let cw = fw * self.card_fraction;
        let ch = cw * CARD_HEIGHT as f32 / CARD_WIDTH as f32;
        let pull = cw * self.tilt;
        let local = [
            (-cw / 2.0 + pull, -ch / 2.0),
            (cw / 2.0 - pull, -ch / 2.0),
            (cw / 2.0, ch / 2.0),
            (-cw / 2.0, ch / 2.0),
        ];
        let (sin, cos) = self.rotation.to_radians().sin_cos();
        local.map(|(x, y)| (fw / 2.0 + x * cos - y * sin, fh / 2.0 + x * sin + y * cos))
    }
}

/// A desk-like backdrop: dark, with a soft gradient and texture.
fn desk(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let t = (x as f32 / width as f32 + y as f32 / height as f32) * 0.5;
        let grain = (((x * 7 + y * 13) % 17) as f32 - 8.0) * 0.8;
        let base = 58.0 + t * 30.0 + grain;
        Rgb([(base * 0.9) as u8, (base * 0.8) as u8, (base * 0.7) as u8])
    })
}

/// The card photographed as `shot` says.
pub fn photograph(card: &RgbImage, shot: &Shot) -> Result<RgbImage, OcrError> {
    let corners = shot.corners();
    let (w, h) = (card.width() as f32, card.height() as f32);
    let source = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)];
    let projection = Projection::from_control_points(source, corners)
        .ok_or_else(|| OcrError::Image("the shot's corners do not make a projection".into()))?;
    let mut frame = desk(shot.width, shot.height);
    // Warp onto the desk: pixels outside the card keep the desk (warp_into's default would
    // paint them; so warp into a card-sized layer with a marker colour, then composite).
    let marker = Rgb([255, 0, 255]);
    let mut layer = RgbImage::from_pixel(shot.width, shot.height, marker);
    warp_into(
        card,
        &projection,
        Interpolation::Bilinear,
        marker,
        &mut layer,
    );
    for (x, y, pixel) in layer.enumerate_pixels() {
        if *pixel != marker {
            frame.put_pixel(x, y, *pixel);
        }
    }
    if let Some((gx, gy, strength)) = shot.glare {
        let inside = |u: f32, v: f32| {
            // Bilinear position on the quadrilateral.
            let top = (
                corners[0].0 + (corners[1].0 - corners[0].0) * u,
                corners[0].1 + (corners[1].1 - corners[0].1) * u,
            );
            let bottom = (
                corners[3].0 + (corners[2].0 - corners[3].0) * u,
                corners[3].1 + (corners[2].1 - corners[3].1) * u,
            );
            (
                top.0 + (bottom.0 - top.0) * v,
                top.1 + (bottom.1 - top.1) * v,
            )
        };
        let (cx, cy) = inside(gx, gy);
        let radius = shot.width as f32 * shot.card_fraction * 0.18;
        for (x, y, pixel) in frame.enumerate_pixels_mut() {
            let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt() / radius;
            if d < 1.5 {
                // Toward white, as a specular reflection washes out paper and ink alike.
                let toward = strength * (-d * d * 2.0).exp();
                for channel in pixel.0.iter_mut() {
                    let value = f32::from(*channel);
                    *channel = (value + (255.0 - value) * toward).min(255.0) as u8;
                }
            }
        }
    }
    if (shot.brightness - 1.0).abs() > f32::EPSILON {
        for pixel in frame.pixels_mut() {
            for channel in pixel.0.iter_mut() {
                *channel = (f32::from(*channel) * shot.brightness).clamp(0.0, 255.0) as u8;
            }
        }
    }
    if shot.blur > 0.0 {
        frame = imageproc::filter::gaussian_blur_f32(&frame, shot.blur);
    }
    if shot.jpeg_quality < 100 {
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, shot.jpeg_quality)
            .encode_image(&frame)
            .map_err(|error| OcrError::Image(error.to_string()))?;
        frame = image::load_from_memory(&bytes)
            .map_err(|error| OcrError::Image(error.to_string()))?
            .to_rgb8();
    }
    Ok(frame)
}

/// One generated specimen: who is on it, the flat card and the photographed frame.
pub struct Specimen {
    pub person: SyntheticPerson,
    pub card: RgbImage,
    pub shot: Shot,
    pub frame: RgbImage,
}

/// Generates specimens: a synthetic person, a face photo from `portraits` (cycled), a random
/// shot. Seed the random source for a repeatable set.
pub fn specimen(
    rng: &mut dyn rand::RngCore,
    portraits: &[RgbImage],
    fonts: &SpecimenFonts,
    today: zk_domain::Date,
    glare_every: u32,
) -> Result<Specimen, OcrError> {
    use rand::Rng;
    if portraits.is_empty() {
        return Err(OcrError::Image(
            "no portrait photos to draw specimens with".into(),
        ));
    }
    let person = SyntheticPerson::generate(rng, today);
    let portrait = &portraits[rng.random_range(0..portraits.len())];
    let card = render_card(&person, portrait, fonts)?;
    let shot = Shot::random(rng, glare_every);
    let frame = photograph(&card, &shot)?;
    Ok(Specimen {
        person,
        card,
        shot,
        frame,
    })
}

/// The face photos of a folder of per-person folders (`../shared/data/faces` layout): the first
/// image of each person, at most `limit`.
pub fn portraits_in(dir: &Path, limit: usize) -> Result<Vec<RgbImage>, OcrError> {
    let unreadable = |detail: String| OcrError::Image(format!("{}: {detail}", dir.display()));
    let mut people: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|error| unreadable(error.to_string()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.is_dir())
        .collect();
    people.sort();
    let mut portraits = Vec::new();
    for person in people {
        if portraits.len() >= limit {
            break;
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(&person)
            .map_err(|error| unreadable(error.to_string()))?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| {
                path.extension()
                    .and_then(|ext| ext.to_str())
                    .is_some_and(|ext| matches!(ext, "jpg" | "jpeg" | "png"))
            })
            .collect();
        files.sort();
        if let Some(first) = files.first() {
            let image = image::open(first).map_err(|error| unreadable(error.to_string()))?;
            portraits.push(image.to_rgb8());
        }
    }
    if portraits.is_empty() {
        return Err(unreadable("no face photos found".into()));
    }
    Ok(portraits)
}
