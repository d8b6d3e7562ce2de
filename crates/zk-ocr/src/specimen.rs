//! Synthetic specimen cards, clearly marked 样本 / SPECIMEN: the portrait side drawn by the
//! layout with a synthetic person's fields (zk-domain's generator) and a face photo, and
//! photograph-like variants (a card on a desk, in perspective, blurred, with glare, JPEG noise).
//! No real card image is ever used. Fonts: Noto Sans CJK (and Noto Serif CJK for the varied
//! styles) from Debian's fonts-noto-cjk.
//!
//! A [`CardStyle`] varies what a real card varies and the default drawing does not: the values'
//! typeface (a Song/Ming-like serif or a heavier Hei on real cards), the number's, the labels',
//! the inks, a guilloche background (fine interlaced sine lines and rosettes in pale blue, pink
//! and yellow), a faint large emblem watermark and the hologram film's tint and micro-text.
//! [`CardStyle::default`] draws exactly what [`render_card`] draws.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale};
use image::{imageops::FilterType, GrayImage, Luma, Rgb, RgbImage};
use imageproc::geometric_transformations::{warp_into, Interpolation, Projection};
use zk_domain::synthetic::SyntheticPerson;

use crate::layout::*;
use crate::OcrError;

/// Debian's fonts-noto-cjk (Sans: SC at index 2, Mono SC at index 7).
pub const DEFAULT_FONT: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
pub(crate) const SANS_SC: u32 = 2;
const MONO_SC: u32 = 7;
/// The Debian package the font collections come from, named in every font error.
const FONT_PACKAGE_HINT: &str = "install fonts-noto-cjk (scripts/setup.sh)";

const LABEL_COLOUR: Rgb<u8> = Rgb([70, 110, 160]);
const VALUE_COLOUR: Rgb<u8> = Rgb([28, 28, 30]);
const STAMP_COLOUR: Rgb<u8> = Rgb([200, 30, 40]);
/// The number's character pitch (mm).
const NUMBER_PITCH: f32 = 2.55;

/// One of fonts-noto-cjk's collection files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FontFile {
    SansRegular,
    SansBold,
    SerifRegular,
    SerifBold,
}

impl FontFile {
    fn file_name(self) -> &'static str {
        match self {
            FontFile::SansRegular => "NotoSansCJK-Regular.ttc",
            FontFile::SansBold => "NotoSansCJK-Bold.ttc",
            FontFile::SerifRegular => "NotoSerifCJK-Regular.ttc",
            FontFile::SerifBold => "NotoSerifCJK-Bold.ttc",
        }
    }
}

/// A typeface a specimen is drawn in: a simplified-Chinese (SC) face of one of Debian's
/// fonts-noto-cjk collections (the SC face is index 2 of each file, Mono SC index 7 of the Sans
/// files).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Typeface {
    /// Noto Sans CJK SC Regular: the default drawing's labels and values.
    SansRegular,
    /// Noto Sans CJK SC Bold: a heavier Hei.
    SansBold,
    /// Noto Serif CJK SC Regular: a Song/Ming serif, as the values on real cards look.
    SerifRegular,
    /// Noto Serif CJK SC Bold.
    SerifBold,
    /// Noto Sans Mono CJK SC Regular: the default drawing's number.
    MonoRegular,
    /// Noto Sans Mono CJK SC Bold.
    MonoBold,
}

impl Typeface {
    pub const ALL: [Typeface; 6] = [
        Typeface::SansRegular,
        Typeface::SansBold,
        Typeface::SerifRegular,
        Typeface::SerifBold,
        Typeface::MonoRegular,
        Typeface::MonoBold,
    ];
    /// The faces [`CardStyle::random`] draws the values in.
    pub const VALUE_FACES: [Typeface; 4] = [
        Typeface::SansRegular,
        Typeface::SansBold,
        Typeface::SerifRegular,
        Typeface::SerifBold,
    ];
    /// The faces [`CardStyle::random`] draws the number in.
    pub const NUMBER_FACES: [Typeface; 3] = [
        Typeface::MonoRegular,
        Typeface::MonoBold,
        Typeface::SansBold,
    ];
    /// The faces [`CardStyle::random`] draws the labels in.
    pub const LABEL_FACES: [Typeface; 3] = [
        Typeface::SansRegular,
        Typeface::SansBold,
        Typeface::SerifRegular,
    ];

    /// The face's full name, as fontconfig lists it.
    pub fn name(self) -> &'static str {
        match self {
            Typeface::SansRegular => "Noto Sans CJK SC Regular",
            Typeface::SansBold => "Noto Sans CJK SC Bold",
            Typeface::SerifRegular => "Noto Serif CJK SC Regular",
            Typeface::SerifBold => "Noto Serif CJK SC Bold",
            Typeface::MonoRegular => "Noto Sans Mono CJK SC Regular",
            Typeface::MonoBold => "Noto Sans Mono CJK SC Bold",
        }
    }

    /// Whether every digit has the same advance (drawn at the layout's pitch and size as is).
    pub fn is_monospace(self) -> bool {
        matches!(self, Typeface::MonoRegular | Typeface::MonoBold)
    }

    fn file(self) -> FontFile {
        match self {
            Typeface::SansRegular | Typeface::MonoRegular => FontFile::SansRegular,
            Typeface::SansBold | Typeface::MonoBold => FontFile::SansBold,
            Typeface::SerifRegular => FontFile::SerifRegular,
            Typeface::SerifBold => FontFile::SerifBold,
        }
    }

    fn index(self) -> u32 {
        if self.is_monospace() {
            MONO_SC
        } else {
            SANS_SC
        }
    }
}

/// The font collections, read once: the default (regular Sans) file when loaded, the Bold and
/// Serif files of the same folder the first time a style asks for them.
pub struct SpecimenFonts {
    data: Vec<u8>,
    path: PathBuf,
    /// Sans Bold, Serif Regular, Serif Bold: read on first use (the error kept as text).
    others: [OnceLock<Result<Vec<u8>, String>>; 3],
}

impl SpecimenFonts {
    /// `$ZK_CJK_FONT`, else [`DEFAULT_FONT`].
    pub fn load_default() -> Result<SpecimenFonts, OcrError> {
        let path = std::env::var_os("ZK_CJK_FONT")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_FONT));
        SpecimenFonts::load(&path)
    }

    /// The regular Sans collection at `path`; the Bold and Serif collections (for
    /// [`CardStyle`]s) are looked for beside it, under Debian's file names.
    pub fn load(path: &Path) -> Result<SpecimenFonts, OcrError> {
        let data = std::fs::read(path).map_err(|error| OcrError::Font {
            path: path.to_path_buf(),
            detail: format!("{error}; {FONT_PACKAGE_HINT}"),
        })?;
        let fonts = SpecimenFonts {
            data,
            path: path.to_path_buf(),
            others: [OnceLock::new(), OnceLock::new(), OnceLock::new()],
        };
        fonts.font(SANS_SC)?;
        fonts.font(MONO_SC)?;
        Ok(fonts)
    }

    /// Reads every collection and checks every [`Typeface`] now, so that a missing file shows
    /// up before a long run rather than at the first card that needs it.
    pub fn load_all_faces(&self) -> Result<(), OcrError> {
        for typeface in Typeface::ALL {
            self.face(typeface)?;
        }
        Ok(())
    }

    pub(crate) fn font(&self, index: u32) -> Result<FontRef<'_>, OcrError> {
        FontRef::try_from_slice_and_index(&self.data, index).map_err(|error| OcrError::Font {
            path: PathBuf::from("(the CJK font collection)"),
            detail: format!("face {index}: {error}"),
        })
    }

    fn file_path(&self, file: FontFile) -> PathBuf {
        if file == FontFile::SansRegular {
            return self.path.clone();
        }
        let dir = self
            .path
            .parent()
            .filter(|dir| !dir.as_os_str().is_empty())
            .unwrap_or_else(|| Path::new(DEFAULT_FONT).parent().unwrap_or(Path::new("/")));
        dir.join(file.file_name())
    }

    fn file_data(&self, file: FontFile) -> Result<&[u8], OcrError> {
        let slot = match file {
            FontFile::SansRegular => return Ok(&self.data),
            FontFile::SansBold => &self.others[0],
            FontFile::SerifRegular => &self.others[1],
            FontFile::SerifBold => &self.others[2],
        };
        let path = self.file_path(file);
        match slot.get_or_init(|| std::fs::read(&path).map_err(|error| error.to_string())) {
            Ok(data) => Ok(data),
            Err(error) => Err(OcrError::Font {
                path,
                detail: format!("{error}; {FONT_PACKAGE_HINT}"),
            }),
        }
    }

    /// The typeface, from its collection (read on first use).
    pub fn face(&self, typeface: Typeface) -> Result<FontRef<'_>, OcrError> {
        let file = typeface.file();
        if file == FontFile::SansRegular {
            return self.font(typeface.index());
        }
        let data = self.file_data(file)?;
        FontRef::try_from_slice_and_index(data, typeface.index()).map_err(|error| OcrError::Font {
            path: self.file_path(file),
            detail: format!(
                "face {} ({}): {error}; {FONT_PACKAGE_HINT}",
                typeface.index(),
                typeface.name()
            ),
        })
    }
}

pub(crate) fn mm(value: f32) -> i32 {
    (value * PX_PER_MM).round() as i32
}

pub(crate) fn draw(
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
pub(crate) fn background() -> RgbImage {
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

/// What a card looks like beyond its layout: the typefaces, the inks and the printed security
/// background. [`CardStyle::default`] is exactly the plain drawing of [`render_card`];
/// [`CardStyle::random`] varies everything a real card varies.
#[derive(Clone, Debug, PartialEq)]
pub struct CardStyle {
    /// The values: name, sex, ethnicity, birth date, address.
    pub value_face: Typeface,
    /// The printed labels (姓名, 性别 …) and the date's 年 月 日.
    pub label_face: Typeface,
    /// The citizen number's digits. A proportional face is drawn a cell a digit at the number's
    /// pitch, centred, and made smaller if its widest digit would not fit.
    pub number_face: Typeface,
    pub value_ink: Rgb<u8>,
    pub label_ink: Rgb<u8>,
    pub background: Background,
    /// A large faint emblem printed under the text.
    pub watermark: Option<Watermark>,
    /// The hologram film laminated over the face.
    pub hologram: Option<Hologram>,
}

impl Default for CardStyle {
    fn default() -> CardStyle {
        CardStyle {
            value_face: Typeface::SansRegular,
            label_face: Typeface::SansRegular,
            number_face: Typeface::MonoRegular,
            value_ink: VALUE_COLOUR,
            label_ink: LABEL_COLOUR,
            background: Background::Smooth,
            watermark: None,
            hologram: None,
        }
    }
}

/// The card's printed background.
#[derive(Clone, Debug, PartialEq)]
pub enum Background {
    /// The default drawing's pale base with soft waves.
    Smooth,
    /// Fine interlaced sine lines and a rosette on pale tinted paper.
    Guilloche(Guilloche),
}

impl Background {
    pub fn code(&self) -> &'static str {
        match self {
            Background::Smooth => "smooth",
            Background::Guilloche(_) => "guilloche",
        }
    }
}

/// A guilloche: the paper tinted pale blue, pink and yellow across the card; two families of
/// fine sine lines crossing each other (one the other's mirror image, so they interlace); and a
/// rosette of two interlaced families of lobed rings.
#[derive(Clone, Debug, PartialEq)]
pub struct Guilloche {
    /// The paper's tints, blended left to right and top to bottom.
    pub paper: [Rgb<u8>; 3],
    /// The inks of the two wave families and of the rosette.
    pub inks: [Rgb<u8>; 3],
    /// How far toward its ink a line's middle goes (0..1): the pattern's contrast.
    pub strength: f32,
    /// The lines' width, in pixels of the rectified card (10 px/mm).
    pub line_px: f32,
    /// The distance between neighbouring lines of one family (mm).
    pub pitch_mm: f32,
    /// The waves' amplitude (mm), wavelength (mm) and phase (radians).
    pub wave: (f32, f32, f32),
    /// A slow swell the waves ride on: amplitude (mm) and wavelength (mm).
    pub swell: (f32, f32),
    /// The rosette's centre (mm from the card's top-left corner) and outer radius (mm).
    pub rosette_centre: (f32, f32),
    pub rosette_radius: f32,
    /// The rosette's lobes per ring, and how deep they are (mm).
    pub rosette_lobes: u32,
    pub rosette_depth: f32,
}

/// A large faint emblem printed under the text: two rings, rays and a five-pointed star.
#[derive(Clone, Debug, PartialEq)]
pub struct Watermark {
    /// Centre (mm from the card's top-left corner) and outer radius (mm).
    pub centre: (f32, f32),
    pub radius: f32,
    pub ink: Rgb<u8>,
    /// Opacity (0..1).
    pub strength: f32,
}

/// The hologram film: a rainbow sheen in diagonal bands over everything, and optionally faint
/// repeated micro-text (中国CHINA).
#[derive(Clone, Debug, PartialEq)]
pub struct Hologram {
    /// Opacity of the sheen at its strongest (0..1).
    pub strength: f32,
    /// The rainbow's period (mm) and direction (radians from the card's x axis), and where in
    /// its cycle the card's corner starts (0..1).
    pub period_mm: f32,
    pub angle: f32,
    pub phase: f32,
    /// Opacity of the micro-text (0..1); `None`: no micro-text.
    pub microtext: Option<f32>,
}

const PASTELS: [Rgb<u8>; 4] = [
    Rgb([228, 237, 247]),
    Rgb([247, 232, 237]),
    Rgb([247, 243, 220]),
    Rgb([230, 243, 233]),
];
const GUILLOCHE_INKS: [Rgb<u8>; 5] = [
    Rgb([96, 140, 200]),
    Rgb([90, 160, 150]),
    Rgb([210, 110, 150]),
    Rgb([205, 160, 80]),
    Rgb([150, 120, 200]),
];
const WATERMARK_INKS: [Rgb<u8>; 3] = [
    Rgb([190, 120, 110]),
    Rgb([120, 140, 180]),
    Rgb([170, 150, 100]),
];

fn pick<T: Copy>(rng: &mut dyn rand::RngCore, items: &[T]) -> T {
    use rand::Rng;
    items[rng.random_range(0..items.len())]
}

impl CardStyle {
    /// A random style: the values in any of [`Typeface::VALUE_FACES`], the number in any of
    /// [`Typeface::NUMBER_FACES`], the labels in any of [`Typeface::LABEL_FACES`], inks a little
    /// off; a guilloche on three cards in four (else the smooth background), a watermark on one
    /// in two, the hologram film on one in two (with micro-text on half of those).
    pub fn random(rng: &mut dyn rand::RngCore) -> CardStyle {
        use rand::Rng;
        let value_face = pick(rng, &Typeface::VALUE_FACES);
        let number_face = pick(rng, &Typeface::NUMBER_FACES);
        let label_face = pick(rng, &Typeface::LABEL_FACES);
        let black: u8 = rng.random_range(18..46);
        let value_ink = Rgb([
            black.saturating_add(rng.random_range(0..8)),
            black.saturating_add(rng.random_range(0..8)),
            black.saturating_add(rng.random_range(0..10)),
        ]);
        let label_ink = Rgb([
            rng.random_range(50..95),
            rng.random_range(90..130),
            rng.random_range(140..185),
        ]);
        let background = if rng.random_range(0..4) == 0 {
            Background::Smooth
        } else {
            Background::Guilloche(Guilloche::random(rng))
        };
        let watermark = rng.random_bool(0.5).then(|| Watermark {
            centre: (rng.random_range(12.0..50.0), rng.random_range(14.0..40.0)),
            radius: rng.random_range(12.0..22.0),
            ink: pick(rng, &WATERMARK_INKS),
            strength: rng.random_range(0.06..0.14),
        });
        let hologram = rng.random_bool(0.5).then(|| Hologram {
            strength: rng.random_range(0.05..0.14),
            period_mm: rng.random_range(25.0..60.0),
            angle: rng.random_range(-1.0..1.0),
            phase: rng.random_range(0.0..1.0),
            microtext: rng.random_bool(0.5).then(|| rng.random_range(0.05..0.12)),
        });
        CardStyle {
            value_face,
            label_face,
            number_face,
            value_ink,
            label_ink,
            background,
            watermark,
            hologram,
        }
    }
}

impl Guilloche {
    /// A random guilloche: three pastel tints, lines 0.09–0.16 mm wide 0.8–1.5 mm apart, at 30 %
    /// to 55 % of their ink, a rosette somewhere on the card.
    pub fn random(rng: &mut dyn rand::RngCore) -> Guilloche {
        use rand::Rng;
        let mut paper = PASTELS;
        for index in (1..paper.len()).rev() {
            paper.swap(index, rng.random_range(0..=index));
        }
        Guilloche {
            paper: [paper[0], paper[1], paper[2]],
            inks: [
                pick(rng, &GUILLOCHE_INKS),
                pick(rng, &GUILLOCHE_INKS),
                pick(rng, &GUILLOCHE_INKS),
            ],
            strength: rng.random_range(0.3..0.55),
            line_px: rng.random_range(0.9..1.6),
            pitch_mm: rng.random_range(0.8..1.5),
            wave: (
                rng.random_range(1.0..3.0),
                rng.random_range(6.0..16.0),
                rng.random_range(0.0..std::f32::consts::TAU),
            ),
            swell: (rng.random_range(0.5..3.0), rng.random_range(30.0..80.0)),
            rosette_centre: (rng.random_range(10.0..75.0), rng.random_range(8.0..46.0)),
            rosette_radius: rng.random_range(14.0..30.0),
            rosette_lobes: rng.random_range(10..25),
            rosette_depth: rng.random_range(0.6..1.6),
        }
    }
}

fn mix(from: Rgb<u8>, to: Rgb<u8>, t: f32) -> Rgb<u8> {
    let t = t.clamp(0.0, 1.0);
    Rgb(std::array::from_fn(|i| {
        let (a, b) = (f32::from(from[i]), f32::from(to[i]));
        (a + (b - a) * t).round().clamp(0.0, 255.0) as u8
    }))
}

fn smoothstep(edge0: f32, edge1: f32, x: f32) -> f32 {
    let t = ((x - edge0) / (edge1 - edge0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// How much of a pixel a family of lines covers: `f` counts lines (a line where it is an
/// integer), `(fx, fy)` is its change per pixel. Anti-aliased, `width` pixels wide; where the
/// lines crowd closer than 3 px they fade rather than merge into a solid tone.
fn line_coverage(f: f32, fx: f32, fy: f32, width: f32) -> f32 {
    let gradient = (fx * fx + fy * fy).sqrt().max(1e-4);
    let distance = (f - f.round()).abs() / gradient;
    let coverage = (width * 0.5 + 0.5 - distance).clamp(0.0, 1.0);
    coverage * (1.0 / gradient / 3.0).clamp(0.0, 1.0)
}

/// The guilloche background, `CARD_WIDTH` × `CARD_HEIGHT`.
fn guilloche(pattern: &Guilloche) -> RgbImage {
    use std::f32::consts::TAU;
    let px = PX_PER_MM;
    let (amplitude, wavelength, phase) = (pattern.wave.0 * px, pattern.wave.1 * px, pattern.wave.2);
    let (swell, swell_length) = (pattern.swell.0 * px, pattern.swell.1 * px);
    let pitch = pattern.pitch_mm * px;
    let (cx, cy) = (pattern.rosette_centre.0 * px, pattern.rosette_centre.1 * px);
    let radius = pattern.rosette_radius * px;
    let depth = pattern.rosette_depth * px;
    let lobes = pattern.rosette_lobes as f32;
    // The two wave families: each other's mirror image across their common swell, half a
    // pitch apart, so they cross in a braid.
    let wave = |x: f32, y: f32, sign: f32| {
        let offset = swell * (TAU * x / swell_length).sin();
        (y - offset + sign * amplitude * (TAU * x / wavelength + phase).sin()) / pitch
            + if sign > 0.0 { 0.0 } else { 0.5 }
    };
    // The rosette's rings, lobed one way and the other.
    let ring = |x: f32, y: f32, sign: f32| {
        let (dx, dy) = (x - cx, y - cy);
        let r = (dx * dx + dy * dy).sqrt();
        (r + sign * depth * (lobes * dy.atan2(dx)).sin()) / pitch
    };
    let (width, height) = (CARD_WIDTH as f32, CARD_HEIGHT as f32);
    RgbImage::from_fn(CARD_WIDTH, CARD_HEIGHT, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        let across = 0.5 - 0.5 * (std::f32::consts::PI * fx / width).cos();
        let down = (0.5 + 0.5 * (TAU * 0.8 * fy / height + 2.0 * fx / width).sin()) * 0.7;
        let paper = mix(
            mix(pattern.paper[0], pattern.paper[1], across),
            pattern.paper[2],
            down,
        );
        // Each family's ink, weighted by how much of the pixel its line covers; where lines
        // cross, the inks mix and darken the paper only a little more than one line does.
        let mut weight = 0.0f32;
        let mut ink = [0.0f32; 3];
        let mut add = |coverage: f32, colour: Rgb<u8>| {
            weight += coverage;
            for (sum, channel) in ink.iter_mut().zip(colour.0) {
                *sum += coverage * f32::from(channel);
            }
        };
        for (sign, colour) in [(1.0, pattern.inks[0]), (-1.0, pattern.inks[1])] {
            let f = wave(fx, fy, sign);
            let coverage = line_coverage(
                f,
                wave(fx + 1.0, fy, sign) - f,
                wave(fx, fy + 1.0, sign) - f,
                pattern.line_px,
            );
            add(coverage, colour);
        }
        let r = ((fx - cx).powi(2) + (fy - cy).powi(2)).sqrt();
        if r < radius {
            // Faded in from a fifth of the radius (where the lobes crowd) and out at the rim.
            let fade = smoothstep(radius * 0.2, radius * 0.35, r)
                * (1.0 - smoothstep(radius * 0.85, radius, r));
            for sign in [1.0, -1.0] {
                let f = ring(fx, fy, sign);
                let coverage = line_coverage(
                    f,
                    ring(fx + 1.0, fy, sign) - f,
                    ring(fx, fy + 1.0, sign) - f,
                    pattern.line_px,
                );
                add(coverage * fade, pattern.inks[2]);
            }
        }
        if weight <= 0.0 {
            return paper;
        }
        let ink = Rgb(ink.map(|sum| (sum / weight).round().clamp(0.0, 255.0) as u8));
        mix(paper, ink, pattern.strength * weight.min(1.25))
    })
}

/// Prints the watermark's emblem onto the card.
fn watermark(card: &mut RgbImage, mark: &Watermark) {
    use std::f32::consts::{FRAC_PI_2, PI, TAU};
    let px = PX_PER_MM;
    let (cx, cy) = (mark.centre.0 * px, mark.centre.1 * px);
    let radius = mark.radius * px;
    let mut mask = GrayImage::new(CARD_WIDTH, CARD_HEIGHT);
    let band =
        |r: f32, inner: f32, outer: f32| ((r - inner + 0.5).min(outer - r + 0.5)).clamp(0.0, 1.0);
    for (x, y, pixel) in mask.enumerate_pixels_mut() {
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let r = (dx * dx + dy * dy).sqrt();
        if r > radius + 1.0 {
            continue;
        }
        let rings = band(r, radius * 0.93, radius).max(band(r, radius * 0.83, radius * 0.86));
        // 48 rays between the inner ring and the star, a pixel and a half wide.
        let rays = if (radius * 0.5..radius * 0.79).contains(&r) {
            let turn = (dy.atan2(dx) / TAU * 48.0).fract().abs();
            let off = turn.min(1.0 - turn) * TAU / 48.0 * r;
            (1.25 - off).clamp(0.0, 1.0)
        } else {
            0.0
        };
        pixel[0] = (rings.max(rays) * 255.0) as u8;
    }
    let star: Vec<imageproc::point::Point<i32>> = (0..10)
        .map(|k| {
            let angle = PI * k as f32 / 5.0 - FRAC_PI_2;
            let r = if k % 2 == 0 { 0.42 } else { 0.17 } * radius;
            imageproc::point::Point::new(
                (cx + r * angle.cos()).round() as i32,
                (cy + r * angle.sin()).round() as i32,
            )
        })
        .collect();
    imageproc::drawing::draw_polygon_mut(&mut mask, &star, Luma([255]));
    let mask = imageproc::filter::gaussian_blur_f32(&mask, 0.7);
    for (pixel, coverage) in card.pixels_mut().zip(mask.pixels()) {
        if coverage[0] > 0 {
            *pixel = mix(
                *pixel,
                mark.ink,
                mark.strength * f32::from(coverage[0]) / 255.0,
            );
        }
    }
}

/// Lays the hologram film over the card: micro-text, then the rainbow sheen.
fn hologram(card: &mut RgbImage, film: &Hologram, font: &FontRef<'_>) {
    use std::f32::consts::TAU;
    if let Some(opacity) = film.microtext {
        let mut mask = GrayImage::new(CARD_WIDTH, CARD_HEIGHT);
        let size = 1.5;
        let scale = PxScale::from(size * PX_PER_MM * 1.15);
        let line = "中国CHINA ".repeat(12);
        let rows = (CARD_HEIGHT as f32 / PX_PER_MM / 3.6).ceil() as i32;
        for row in 0..rows {
            let x = if row % 2 == 0 { -2.0 } else { -6.0 };
            imageproc::drawing::draw_text_mut(
                &mut mask,
                Luma([255]),
                mm(x),
                mm(row as f32 * 3.6),
                scale,
                font,
                &line,
            );
        }
        let ink = Rgb([140, 150, 150]);
        for (pixel, coverage) in card.pixels_mut().zip(mask.pixels()) {
            if coverage[0] > 0 {
                *pixel = mix(*pixel, ink, opacity * f32::from(coverage[0]) / 255.0);
            }
        }
    }
    let (sin, cos) = film.angle.sin_cos();
    let period = film.period_mm * PX_PER_MM;
    for (x, y, pixel) in card.enumerate_pixels_mut() {
        let u = (x as f32 * cos + y as f32 * sin) / period + film.phase;
        let hue = u.rem_euclid(1.0);
        // A pale rainbow (HSV with saturation 0.35, value 1), strongest in every other band.
        let rainbow = Rgb(std::array::from_fn(|channel| {
            let shift = channel as f32 / 3.0;
            let level = 0.5 + 0.5 * (TAU * (hue - shift)).cos();
            ((1.0 - 0.35 * (1.0 - level)) * 255.0) as u8
        }));
        let sheen = 0.6 + 0.4 * (TAU * u * 0.5).sin();
        *pixel = mix(*pixel, rainbow, film.strength * sheen);
    }
}

/// Draws the portrait side of `person`'s card (rectified, `CARD_WIDTH`×`CARD_HEIGHT`) with
/// `portrait` as the printed photo, in the default style.
pub fn render_card(
    person: &SyntheticPerson,
    portrait: &RgbImage,
    fonts: &SpecimenFonts,
) -> Result<RgbImage, OcrError> {
    render_card_styled(person, portrait, fonts, &CardStyle::default())
}

/// Draws the portrait side of `person`'s card in `style`. A face the style needs from a font
/// file that is missing is an [`OcrError::Font`] naming the file.
pub fn render_card_styled(
    person: &SyntheticPerson,
    portrait: &RgbImage,
    fonts: &SpecimenFonts,
    style: &CardStyle,
) -> Result<RgbImage, OcrError> {
    use chrono::Datelike;
    let sans = fonts.font(SANS_SC)?;
    let value_font = fonts.face(style.value_face)?;
    let label_font = fonts.face(style.label_face)?;
    let number_font = fonts.face(style.number_face)?;
    let (value_ink, label_ink) = (style.value_ink, style.label_ink);
    let mut card = match &style.background {
        Background::Smooth => background(),
        Background::Guilloche(pattern) => guilloche(pattern),
    };
    if let Some(mark) = &style.watermark {
        watermark(&mut card, mark);
    }
    let label = |card: &mut RgbImage, x: f32, y: f32, text: &str| {
        draw(card, &label_font, label_ink, x, y, LABEL_SIZE, text)
    };
    label(&mut card, LABEL_X, NAME_TOP + 1.0, "姓  名");
    draw(
        &mut card,
        &value_font,
        value_ink,
        VALUE_X,
        NAME_TOP,
        NAME_SIZE,
        &person.name,
    );
    label(&mut card, LABEL_X, SEX_TOP + 0.5, "性  别");
    draw(
        &mut card,
        &value_font,
        value_ink,
        VALUE_X,
        SEX_TOP,
        VALUE_SIZE,
        person.sex.label_zh(),
    );
    label(&mut card, ETHNICITY_LABEL_X, SEX_TOP + 0.5, "民  族");
    draw(
        &mut card,
        &value_font,
        value_ink,
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
            &value_font,
            value_ink,
            x,
            BIRTH_TOP,
            VALUE_SIZE,
            &value,
        ) + 1.0;
        x += draw(
            &mut card,
            &label_font,
            label_ink,
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
            &value_font,
            value_ink,
            VALUE_X,
            ADDRESS_TOP + index as f32 * ADDRESS_PITCH,
            VALUE_SIZE,
            line,
        );
    }
    label(&mut card, LABEL_X, NUMBER_LABEL_TOP, "公民身份号码");
    let number = NumberCells::new(&number_font, style.number_face.is_monospace());
    for (index, digit) in person.id_number.chars().enumerate() {
        let mut buffer = [0u8; 4];
        let (x, y, size) = number.place(index, digit);
        draw(
            &mut card,
            &number_font,
            value_ink,
            x,
            y,
            size,
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
    if let Some(film) = &style.hologram {
        hologram(&mut card, film, &sans);
    }
    Ok(card)
}

/// Where the number's digits go: a monospace face as the layout says (each digit at
/// `NUMBER_X` + its cell, at `NUMBER_SIZE`); a proportional face centred in each cell, smaller
/// if its widest digit is wider than 94 % of the pitch, on the same baseline.
struct NumberCells<'a> {
    font: &'a FontRef<'a>,
    monospace: bool,
    size: f32,
    top: f32,
}

impl<'a> NumberCells<'a> {
    fn new(font: &'a FontRef<'a>, monospace: bool) -> NumberCells<'a> {
        use ab_glyph::ScaleFont;
        if monospace {
            return NumberCells {
                font,
                monospace,
                size: NUMBER_SIZE,
                top: NUMBER_TOP,
            };
        }
        let widest = "0123456789X"
            .chars()
            .map(|digit| advance_mm(font, NUMBER_SIZE, digit))
            .fold(0.0f32, f32::max);
        let size = if widest > 0.0 {
            NUMBER_SIZE * (0.94 * NUMBER_PITCH / widest).min(1.0)
        } else {
            NUMBER_SIZE
        };
        let ascent = |size: f32| {
            font.as_scaled(PxScale::from(size * PX_PER_MM * 1.15))
                .ascent()
        };
        let top = NUMBER_TOP + (ascent(NUMBER_SIZE) - ascent(size)) / PX_PER_MM;
        NumberCells {
            font,
            monospace,
            size,
            top,
        }
    }

    /// (x, y, size) in mm for the `index`th digit.
    fn place(&self, index: usize, digit: char) -> (f32, f32, f32) {
        let cell = NUMBER_X + index as f32 * NUMBER_PITCH;
        if self.monospace {
            (cell, self.top, self.size)
        } else {
            let advance = advance_mm(self.font, self.size, digit);
            (
                cell + (NUMBER_PITCH - advance).max(0.0) / 2.0,
                self.top,
                self.size,
            )
        }
    }
}

/// A character's advance (mm) at `size_mm`, as [`draw`] scales it.
fn advance_mm(font: &FontRef<'_>, size_mm: f32, character: char) -> f32 {
    use ab_glyph::ScaleFont;
    let scaled = font.as_scaled(PxScale::from(size_mm * PX_PER_MM * 1.15));
    scaled.h_advance(font.glyph_id(character)) / PX_PER_MM
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
    specimen_styled(
        rng,
        portraits,
        fonts,
        today,
        glare_every,
        &CardStyle::default(),
    )
}

/// [`specimen`] with the card drawn in `style` (the random source is used as [`specimen`]
/// uses it, so a seed gives the same people and shots in any style).
pub fn specimen_styled(
    rng: &mut dyn rand::RngCore,
    portraits: &[RgbImage],
    fonts: &SpecimenFonts,
    today: zk_domain::Date,
    glare_every: u32,
    style: &CardStyle,
) -> Result<Specimen, OcrError> {
    use rand::Rng;
    if portraits.is_empty() {
        return Err(OcrError::Image(
            "no portrait photos to draw specimens with".into(),
        ));
    }
    let person = SyntheticPerson::generate(rng, today);
    let portrait = &portraits[rng.random_range(0..portraits.len())];
    let card = render_card_styled(&person, portrait, fonts, style)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn luma(pixel: &Rgb<u8>) -> f32 {
        0.299 * f32::from(pixel[0]) + 0.587 * f32::from(pixel[1]) + 0.114 * f32::from(pixel[2])
    }

    /// A guilloche with its rosette in the bottom-right corner, the waves alone elsewhere.
    fn pattern() -> Guilloche {
        Guilloche {
            paper: [PASTELS[0], PASTELS[1], PASTELS[2]],
            inks: [GUILLOCHE_INKS[0], GUILLOCHE_INKS[2], GUILLOCHE_INKS[1]],
            strength: 0.45,
            line_px: 1.2,
            pitch_mm: 1.2,
            wave: (2.0, 10.0, 0.3),
            swell: (1.5, 50.0),
            rosette_centre: (70.0, 40.0),
            rosette_radius: 14.0,
            rosette_lobes: 16,
            rosette_depth: 1.0,
        }
    }

    /// Runs of pixels darker than the paper around them along a column: (start, length).
    fn dark_runs(column: &[f32]) -> Vec<(usize, usize)> {
        let mut runs = Vec::new();
        let mut start = None;
        for (y, value) in column.iter().enumerate() {
            let window = &column[y.saturating_sub(12)..(y + 13).min(column.len())];
            let paper = window.iter().copied().fold(0.0f32, f32::max);
            let dark = paper - value >= 10.0;
            match (dark, start) {
                (true, None) => start = Some(y),
                (false, Some(from)) => {
                    runs.push((from, y - from));
                    start = None;
                }
                _ => {}
            }
        }
        runs
    }

    #[test]
    fn the_guilloche_is_fine_pale_lines_not_noise() {
        let pattern = pattern();
        let card = guilloche(&pattern);
        assert_eq!(card.dimensions(), (CARD_WIDTH, CARD_HEIGHT));
        // Pale: every pixel far lighter than the labels' ink, let alone the values'.
        let darkest = card.pixels().map(luma).fold(255.0f32, f32::min);
        let lightest = card.pixels().map(luma).fold(0.0f32, f32::max);
        assert!(
            darkest > luma(&LABEL_COLOUR) + 50.0,
            "darkest {darkest}, labels {}",
            luma(&LABEL_COLOUR)
        );
        assert!(
            lightest - darkest > 30.0,
            "{darkest}..{lightest}: no pattern"
        );
        // Lines: a column clear of the rosette (x = 20 mm) crosses each of the two wave families
        // once a pitch, so about 2 × 54 / 1.2 = 90 fine dark runs (fewer where they cross).
        let column: Vec<f32> = (0..CARD_HEIGHT)
            .map(|y| luma(card.get_pixel(mm(20.0) as u32, y)))
            .collect();
        let runs = dark_runs(&column);
        let expected = 2.0 * CARD_HEIGHT as f32 / (pattern.pitch_mm * PX_PER_MM);
        assert!(
            (expected * 0.5..expected * 1.15).contains(&(runs.len() as f32)),
            "{} dark runs, about {expected} expected: {runs:?}",
            runs.len()
        );
        let mut lengths: Vec<usize> = runs.iter().map(|run| run.1).collect();
        lengths.sort_unstable();
        let typical = lengths[lengths.len() * 9 / 10];
        assert!(typical <= 4, "lines {typical} px wide: {lengths:?}");
        // Structure, not noise: both wave families repeat a pitch lower down, so the pattern
        // matches itself shifted down by a pitch (noise would not), and the lines are fine, so
        // two pixels down it no longer does.
        let correlation = |dy: u32| {
            let pairs: Vec<(f32, f32)> = (0..300)
                .flat_map(|y| (0..400).map(move |x| (x, y)))
                .map(|(x, y)| (luma(card.get_pixel(x, y)), luma(card.get_pixel(x, y + dy))))
                .collect();
            let n = pairs.len() as f32;
            let mean_a = pairs.iter().map(|p| p.0).sum::<f32>() / n;
            let mean_b = pairs.iter().map(|p| p.1).sum::<f32>() / n;
            let covariance: f32 = pairs.iter().map(|p| (p.0 - mean_a) * (p.1 - mean_b)).sum();
            let var_a: f32 = pairs.iter().map(|p| (p.0 - mean_a).powi(2)).sum();
            let var_b: f32 = pairs.iter().map(|p| (p.1 - mean_b).powi(2)).sum();
            covariance / (var_a * var_b).sqrt().max(f32::EPSILON)
        };
        let pitch_px = mm(pattern.pitch_mm) as u32;
        let (at_pitch, at_two) = (correlation(pitch_px), correlation(2));
        assert!(
            at_pitch > 0.9 && at_two < 0.5,
            "correlation a pitch down {at_pitch}, two pixels down {at_two}"
        );
        // The rosette: along a ray from its centre, its lobed rings every pitch or so.
        let (cx, cy) = (mm(70.0), mm(40.0));
        let ray: Vec<f32> = (mm(5.5)..mm(11.5))
            .map(|r| luma(card.get_pixel((cx - r) as u32, cy as u32)))
            .collect();
        let rings = dark_runs(&ray).len() as f32;
        assert!(
            rings >= 6.0 / pattern.pitch_mm * 0.8,
            "{rings} rings over 6 mm of the rosette"
        );
        // The smooth default background has no such lines.
        let smooth = background();
        let column: Vec<f32> = (0..CARD_HEIGHT)
            .map(|y| luma(smooth.get_pixel(mm(20.0) as u32, y)))
            .collect();
        assert!(dark_runs(&column).is_empty());
    }

    #[test]
    fn random_styles_cover_every_face_and_background() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let styles: Vec<CardStyle> = (0..200).map(|_| CardStyle::random(&mut rng)).collect();
        for face in Typeface::VALUE_FACES {
            assert!(
                styles.iter().any(|style| style.value_face == face),
                "{face:?}"
            );
        }
        for face in Typeface::NUMBER_FACES {
            assert!(
                styles.iter().any(|style| style.number_face == face),
                "{face:?}"
            );
        }
        for face in Typeface::LABEL_FACES {
            assert!(
                styles.iter().any(|style| style.label_face == face),
                "{face:?}"
            );
        }
        let guilloches = styles
            .iter()
            .filter(|style| matches!(style.background, Background::Guilloche(_)))
            .count();
        assert!((120..180).contains(&guilloches), "{guilloches} of 200");
        assert!(styles
            .iter()
            .any(|style| style.background == Background::Smooth));
        assert!(styles.iter().any(|style| style.watermark.is_some()));
        assert!(styles.iter().any(|style| style
            .hologram
            .as_ref()
            .is_some_and(|film| film.microtext.is_some())));
        assert!(!styles.contains(&CardStyle::default()));
    }
}
