//! The card read by the camera: the chip reader's fallback (and the only way at a desk without
//! one). The candidate holds the portrait side, then the emblem side, inside the card-shaped
//! guide; each frame looked at is found and straightened ([`zk_ocr::rectify`]); a good one is read
//! by PP-OCRv4 ([`zk_ocr::read_card`], [`zk_ocr::read_back`]) and checked. A read card goes to
//! staff with every field and its mark, the straightened sides beside them (the state machine
//! sends every OCR read to staff). Nothing here is stored but the printed portrait, as the ID
//! photo: the straightened sides live in memory for the session's review and are dropped with it.
//!
//! - [`OcrConfig`]: the `ocr` section.
//! - [`id_card_of`] (pure): the card a read gives, or which fields it lacks.
//! - [`CardOcr`]: the engine (loaded on first use) and the capture rules.

use std::io::Cursor;
use std::path::PathBuf;

use image::codecs::jpeg::JpegEncoder;
use image::RgbImage;
use serde::{Deserialize, Serialize};
use zk_domain::{CardPhoto, CardType, IdCard, PersonName};
use zk_ocr::{BackField, CaptureProblem, CaptureRules, CheckedBack, CheckedCard, Field};

use crate::error::AppError;

/// `[ocr]`: reading the card with the camera.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OcrConfig {
    /// Whether the camera may read cards (staff confirm every such read).
    pub enabled: bool,
    /// A desk without a chip reader: the card step starts with the camera.
    pub camera_first: bool,
    /// The PP-OCRv4 models' folder (default: `$ZK_MODELS_DIR/ppocr-v4`, else the user's cache,
    /// where `scripts/fetch-models.sh` puts them).
    pub models_dir: Option<PathBuf>,
    /// How long the camera looks for each side before the attempt fails, seconds.
    pub side_timeout_secs: f64,
    /// Frames a second looked at while waiting for a card (a read takes about 0.6 s).
    pub looks_per_second: f32,
}

impl Default for OcrConfig {
    fn default() -> Self {
        OcrConfig {
            enabled: true,
            camera_first: false,
            models_dir: None,
            side_timeout_secs: 30.0,
            looks_per_second: 4.0,
        }
    }
}

impl OcrConfig {
    pub fn validate(&self) -> Result<(), AppError> {
        let fine = self.side_timeout_secs.is_finite()
            && (5.0..=300.0).contains(&self.side_timeout_secs)
            && self.looks_per_second.is_finite()
            && (0.5..=30.0).contains(&self.looks_per_second);
        if !fine {
            return Err(AppError::Config(
                "ocr: need 5 <= side_timeout_secs <= 300 and 0.5 <= looks_per_second <= 30".into(),
            ));
        }
        if self.camera_first && !self.enabled {
            return Err(AppError::Config(
                "ocr.camera_first needs ocr.enabled: a desk without a reader reads cards with the camera".into(),
            ));
        }
        Ok(())
    }
}

/// Which side of the card the camera is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CardSide {
    /// The portrait side: name, sex, ethnicity, birth date, address, number, photo.
    Front,
    /// The emblem side: issuing authority and validity period.
    Back,
}

impl CardSide {
    pub fn code(self) -> &'static str {
        match self {
            CardSide::Front => "front",
            CardSide::Back => "back",
        }
    }
}

/// What the candidate should do now, from the last frame looked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardHint {
    /// No card in the frame.
    NoCard,
    /// Found, but the capture is not good enough.
    Capture(CaptureProblem),
    /// Straightened, but the side asked for could not be read (the other side, or unreadable).
    TurnOver,
    /// Read.
    Read,
}

impl CardHint {
    pub fn code(self) -> &'static str {
        match self {
            CardHint::NoCard => "no_card",
            CardHint::Capture(problem) => problem.code(),
            CardHint::TurnOver => "turn_over",
            CardHint::Read => "read",
        }
    }

    /// What to do, in words (for the log and a staff error; the screen has its own).
    pub fn message(self, side: CardSide) -> &'static str {
        match (self, side) {
            (CardHint::NoCard, _) => "no ID card was found in the picture: the whole card, on a plain surface",
            (CardHint::Capture(problem), _) => problem.message(),
            (CardHint::TurnOver, CardSide::Front) => "this is not the photo side, or it cannot be read: show the side with the photo",
            (CardHint::TurnOver, CardSide::Back) => "this is not the emblem side, or its validity period cannot be read: show the side with the national emblem",
            (CardHint::Read, _) => "read",
        }
    }
}

/// Both sides read: the checked fields, and the straightened sides as JPEG for the reviewer.
#[derive(Clone, PartialEq)]
pub struct OcrRead {
    pub front: CheckedCard,
    pub back: CheckedBack,
    pub front_jpeg: Vec<u8>,
    pub back_jpeg: Vec<u8>,
    /// The printed portrait (JPEG): the session's ID photo.
    pub portrait_jpeg: Vec<u8>,
}

impl std::fmt::Debug for OcrRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Personal data: never in logs.
        f.debug_struct("OcrRead")
            .field("front_clear", &self.front.all_clear())
            .finish_non_exhaustive()
    }
}

/// The card an OCR read gives: every field as read (a marked one too — staff see the mark),
/// or the codes of the fields it cannot do without (name, sex, birth date, number, validity).
pub fn id_card_of(
    front: &CheckedCard,
    back: &CheckedBack,
    portrait_jpeg: Vec<u8>,
) -> Result<IdCard, Vec<&'static str>> {
    let text = |field: Field| {
        front
            .field(field)
            .map(|read| read.text.clone())
            .filter(|text| !text.is_empty())
    };
    let mut missing = Vec::new();
    let name = text(Field::Name);
    let number = text(Field::IdNumber);
    if name.is_none() {
        missing.push(Field::Name.code());
    }
    if front.sex.is_none() {
        missing.push(Field::Sex.code());
    }
    if front.birth_date.is_none() {
        missing.push(Field::BirthDate.code());
    }
    if number.is_none() {
        missing.push(Field::IdNumber.code());
    }
    if back.valid_from.is_none() || back.valid_to.is_none() {
        missing.push(BackField::Validity.code());
    }
    match (
        name,
        front.sex,
        front.birth_date,
        number,
        back.valid_from,
        back.valid_to,
    ) {
        (Some(name), Some(sex), Some(birth_date), Some(number), Some(from), Some(to))
            if missing.is_empty() =>
        {
            Ok(IdCard {
                card_type: CardType::Resident,
                name: PersonName::new(name),
                name_en: None,
                sex,
                ethnicity: front.ethnicity,
                birth_date,
                address: text(Field::Address),
                extra_addresses: Vec::new(),
                number,
                authority: back
                    .field(BackField::Authority)
                    .map(|read| read.text.clone())
                    .unwrap_or_default(),
                valid_from: from,
                valid_to: to,
                permit_number: None,
                issue_count: None,
                nationality: None,
                photo: CardPhoto::Decoded(portrait_jpeg),
            })
        }
        _ => Err(missing),
    }
}

pub(crate) fn jpeg(image: &RgbImage, quality: u8) -> Result<Vec<u8>, AppError> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(Cursor::new(&mut bytes), quality)
        .encode_image(image)
        .map_err(|error| AppError::Image(error.to_string()))?;
    Ok(bytes)
}

/// One side's look at one frame.
pub enum Look {
    Hint(CardHint),
    Front {
        checked: CheckedCard,
        card: RgbImage,
        portrait: RgbImage,
    },
    Back {
        checked: CheckedBack,
        card: RgbImage,
    },
}

/// The OCR engine (loaded on first use: 0.6 s) and the capture rules.
pub struct CardOcr {
    dir: PathBuf,
    engine: Option<zk_ocr::OcrEngine>,
    rules: CaptureRules,
    pub config: OcrConfig,
}

impl CardOcr {
    /// `None` when `[ocr] enabled = false`. The models are checked for presence now (so the
    /// screen offers the camera only where it can work) and loaded on the first card.
    pub fn new(config: &OcrConfig) -> Result<Option<CardOcr>, AppError> {
        config.validate()?;
        if !config.enabled {
            return Ok(None);
        }
        let dir = match &config.models_dir {
            Some(dir) => dir.clone(),
            None => zk_ocr::engine::default_dir().ok_or_else(|| {
                AppError::Config(
                    "ocr: no models folder (set ocr.models_dir or ZK_MODELS_DIR)".into(),
                )
            })?,
        };
        Ok(Some(CardOcr {
            dir,
            engine: None,
            rules: CaptureRules::default(),
            config: config.clone(),
        }))
    }

    /// Whether the models are where the engine will look (it still checks their hashes).
    pub fn models_present(&self) -> bool {
        self.dir.join(zk_ocr::engine::DET_FILE).is_file()
            && self.dir.join(zk_ocr::engine::REC_FILE).is_file()
    }

    pub fn models_dir(&self) -> &std::path::Path {
        &self.dir
    }

    fn engine(&mut self) -> Result<&zk_ocr::OcrEngine, AppError> {
        if self.engine.is_none() {
            let engine = zk_ocr::OcrEngine::open(&self.dir).map_err(|error| {
                AppError::Config(format!("{error}; run scripts/fetch-models.sh"))
            })?;
            self.engine = Some(engine);
        }
        self.engine
            .as_ref()
            .ok_or_else(|| AppError::Config("the OCR engine did not load".into()))
    }

    /// Loads the engine now (the first card would otherwise wait for it).
    pub fn load(&mut self) -> Result<(), AppError> {
        self.engine().map(|_| ())
    }

    /// Looks at one frame for `side`.
    pub fn look(&mut self, frame: &RgbImage, side: CardSide) -> Result<Look, AppError> {
        let rules = self.rules;
        let rectified = match zk_ocr::rectify(frame, &rules) {
            Ok(rectified) => rectified,
            Err(CaptureProblem::NoCard) => return Ok(Look::Hint(CardHint::NoCard)),
            Err(problem) => return Ok(Look::Hint(CardHint::Capture(problem))),
        };
        if let Some(problem) = rectified.problems.first() {
            return Ok(Look::Hint(CardHint::Capture(*problem)));
        }
        let engine = self.engine()?;
        let failed = |error: zk_ocr::OcrError| AppError::Image(error.to_string());
        match side {
            CardSide::Front => {
                let raw = zk_ocr::read_card(engine, &rectified.card).map_err(failed)?;
                let checked = zk_ocr::check(&raw);
                // The portrait side shows a number; the emblem side shows none.
                let number_digits = checked
                    .field(Field::IdNumber)
                    .map_or(0, |read| read.text.len());
                if number_digits < 15 {
                    return Ok(Look::Hint(CardHint::TurnOver));
                }
                Ok(Look::Front {
                    checked,
                    card: rectified.card,
                    portrait: raw.portrait,
                })
            }
            CardSide::Back => {
                let (card, _) = zk_ocr::back::upright_back(&rectified.card);
                let raw = zk_ocr::read_back(engine, &card).map_err(failed)?;
                let checked = zk_ocr::check_back(&raw);
                let read = checked
                    .field(BackField::Validity)
                    .is_some_and(|read| read.text.len() >= 8);
                if !read {
                    return Ok(Look::Hint(CardHint::TurnOver));
                }
                Ok(Look::Back { checked, card })
            }
        }
    }
}

/// A 样本 specimen of `card` held up to the camera, portrait side then emblem side: drawn from
/// the card's own data and `portrait` (never a real card image) and photographed as a desk
/// camera would (1280×960, the card filling 60 % of the width, slightly turned). The demo's
/// camera shows these; tests read them. Needs fonts-noto-cjk.
pub fn specimen_frames(card: &IdCard, portrait: &RgbImage) -> Result<[RgbImage; 2], AppError> {
    let failed = |error: zk_ocr::OcrError| AppError::Image(error.to_string());
    let fonts = zk_ocr::specimen::SpecimenFonts::load_default().map_err(failed)?;
    let person = zk_domain::synthetic::SyntheticPerson {
        name: card.name.expose().to_owned(),
        sex: card.sex,
        ethnicity: card
            .ethnicity
            .ok_or_else(|| AppError::Image("a specimen needs the card's ethnicity".into()))?,
        birth_date: card.birth_date,
        address: card.address.clone().unwrap_or_default(),
        id_number: card.number.clone(),
        authority: card.authority.clone(),
        valid_from: card.valid_from,
        valid_to: card.valid_to,
    };
    let front = zk_ocr::specimen::render_card(&person, portrait, &fonts).map_err(failed)?;
    let back = zk_ocr::back::render_back(&card.authority, card.valid_from, card.valid_to, &fonts)
        .map_err(failed)?;
    let shot = zk_ocr::specimen::Shot {
        card_fraction: 0.6,
        rotation: 2.0,
        tilt: 0.02,
        jpeg_quality: 90,
        ..zk_ocr::specimen::Shot::default()
    };
    Ok([
        zk_ocr::specimen::photograph(&front, &shot).map_err(failed)?,
        zk_ocr::specimen::photograph(&back, &shot).map_err(failed)?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use zk_domain::{Date, Ethnicity, Sex, Validity};
    use zk_ocr::back::{BackField, CheckedBackField};
    use zk_ocr::{CheckedField, FieldProblem};

    fn front(number: &str, sex: Option<Sex>) -> CheckedCard {
        let field = |field: Field, text: &str, problem: Option<FieldProblem>| CheckedField {
            field,
            text: text.into(),
            confidence: 0.95,
            problem,
        };
        CheckedCard {
            fields: vec![
                field(Field::Name, "李明", None),
                field(Field::Sex, if sex.is_some() { "男" } else { "" }, None),
                field(Field::Ethnicity, "汉", None),
                field(Field::BirthDate, "1990年3月7日", None),
                field(Field::Address, "湖北省武汉市洪山区珞喻路1号", None),
                field(
                    Field::IdNumber,
                    number,
                    Some(FieldProblem::BadNumber("check digit".into())),
                ),
            ],
            sex,
            ethnicity: Ethnicity::parse("汉"),
            birth_date: Date::from_ymd_opt(1990, 3, 7),
            id_number: None,
        }
    }

    fn back(validity: bool) -> CheckedBack {
        CheckedBack {
            fields: vec![CheckedBackField {
                field: BackField::Authority,
                text: "武汉市公安局洪山分局".into(),
                confidence: 0.9,
                problem: None,
            }],
            authority: Some("武汉市公安局洪山分局".into()),
            valid_from: validity.then(|| Date::from_ymd_opt(2015, 1, 1)).flatten(),
            valid_to: validity
                .then(|| Date::from_ymd_opt(2035, 1, 1).map(Validity::Until))
                .flatten(),
        }
    }

    #[test]
    fn a_marked_number_is_kept_as_read_for_staff_to_see() {
        let card = id_card_of(
            &front("110101199003070012", Some(Sex::Male)),
            &back(true),
            vec![1],
        )
        .unwrap();
        // The wrong check digit stays: the card step's own check marks it for staff.
        assert_eq!(card.number, "110101199003070012");
        assert_eq!(card.authority, "武汉市公安局洪山分局");
        assert_eq!(card.photo, CardPhoto::Decoded(vec![1]));
        assert_eq!(card.card_type, CardType::Resident);
    }

    #[test]
    fn a_read_without_sex_number_or_validity_names_what_it_lacks() {
        let missing = id_card_of(&front("", None), &back(false), Vec::new()).unwrap_err();
        assert_eq!(missing, vec!["sex", "id_number", "validity"]);
    }

    #[test]
    fn settings_out_of_range_are_refused() {
        let config = OcrConfig {
            side_timeout_secs: 1.0,
            ..OcrConfig::default()
        };
        assert!(config.validate().is_err());
        let config = OcrConfig {
            enabled: false,
            camera_first: true,
            ..OcrConfig::default()
        };
        assert!(config.validate().is_err());
        assert!(OcrConfig::default().validate().is_ok());
    }
}
