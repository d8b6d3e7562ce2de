//! The other side of the card (the national-emblem side, GA 490): the issuing authority
//! (签发机关) and the validity period (有效期限), which the portrait side does not carry. The
//! same rectification and engine read it by its fixed layout; [`check_back`] parses and checks
//! it (pure) and, like the portrait side, marks what fails and never corrects it.

use image::{Rgb, RgbImage};
use zk_domain::{Date, Validity};

use crate::fields::{mark, CheckedField, FieldProblem, RawField};
use crate::layout::{MmRect, CARD_HEIGHT, CARD_WIDTH};
use crate::reader::{at_layout_size, compact, read_band, LineReader};
use crate::specimen::{background, draw, SpecimenFonts, SANS_SC};
use crate::OcrError;

/// Where the labels and values of the emblem side start (mm), and the text size.
pub const BACK_LABEL_X: f32 = 16.0;
pub const BACK_VALUE_X: f32 = 30.0;
pub const BACK_SIZE: f32 = 3.6;
pub const AUTHORITY_TOP: f32 = 38.0;
pub const VALIDITY_TOP: f32 = 45.0;
/// The national emblem, printed in red at the top left.
pub const EMBLEM: MmRect = MmRect::new(6.0, 5.0, 18.0, 19.0);

/// The emblem side's fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BackField {
    Authority,
    Validity,
}

impl BackField {
    pub const ALL: [BackField; 2] = [BackField::Authority, BackField::Validity];

    pub fn code(self) -> &'static str {
        match self {
            BackField::Authority => "authority",
            BackField::Validity => "validity",
        }
    }

    /// The band (mm) the field's value lies in, clear of its label.
    pub fn band(self) -> MmRect {
        let width = 85.6 - BACK_VALUE_X;
        match self {
            BackField::Authority => {
                MmRect::new(BACK_VALUE_X - 1.0, AUTHORITY_TOP - 2.0, width, 7.0)
            }
            BackField::Validity => MmRect::new(BACK_VALUE_X - 1.0, VALIDITY_TOP - 2.0, width, 7.0),
        }
    }
}

/// The emblem side as read, before checks.
#[derive(Clone, Debug, PartialEq)]
pub struct RawBack {
    pub fields: Vec<(BackField, RawField)>,
}

impl RawBack {
    pub fn field(&self, field: BackField) -> Option<&RawField> {
        self.fields
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, raw)| raw)
    }
}

/// An emblem-side field as read and checked.
pub type CheckedBackField = CheckedField<BackField>;

/// The emblem side, checked; the parsed values are there when the text parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckedBack {
    pub fields: Vec<CheckedBackField>,
    pub authority: Option<String>,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Validity>,
}

impl CheckedBack {
    pub fn field(&self, field: BackField) -> Option<&CheckedBackField> {
        self.fields.iter().find(|checked| checked.field == field)
    }
}

/// Whether the emblem sits at the bottom right (the card lies upside down): the red of the
/// emblem's corner against the opposite corner's.
fn upside_down(card: &RgbImage) -> bool {
    let redness = |rect: MmRect| {
        let (x, y, width, height) = rect.px();
        let mut red = 0u32;
        for py in y..(y + height).min(card.height()) {
            for px in x..(x + width).min(card.width()) {
                let [r, g, b] = card.get_pixel(px, py).0;
                if i32::from(r) > i32::from(g) + 60 && i32::from(r) > i32::from(b) + 60 {
                    red += 1;
                }
            }
        }
        red
    };
    let turned = MmRect::new(
        85.6 - EMBLEM.x - EMBLEM.width,
        54.0 - EMBLEM.y - EMBLEM.height,
        EMBLEM.width,
        EMBLEM.height,
    );
    redness(turned) > 2 * redness(EMBLEM).max(20)
}

/// The emblem side straightened and the right way up (any size: scaled to the layout's), and
/// whether it had to be turned.
pub fn upright_back(card: &RgbImage) -> (RgbImage, bool) {
    let card = at_layout_size(card);
    if upside_down(&card) {
        (image::imageops::rotate180(&card), true)
    } else {
        (card, false)
    }
}

/// Drops spaces and the label, folds the forms the recogniser may use for `.` and `-`.
pub fn clean_back(field: BackField, text: &str) -> String {
    let text = compact(text);
    match field {
        BackField::Authority => text
            .strip_prefix("签发机关")
            .unwrap_or(&text)
            .chars()
            .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
            .collect(),
        BackField::Validity => text
            .strip_prefix("有效期限")
            .unwrap_or(&text)
            .chars()
            .filter_map(|c| match c {
                '0'..='9' | '.' | '长' | '期' => Some(c),
                '．' | '·' | ',' | '，' | '。' => Some('.'),
                '-' | '－' | '—' | '–' | '一' | '~' | '～' => Some('-'),
                _ => None,
            })
            .collect(),
    }
}

/// Reads the emblem side of a straightened card (turned when it lies upside down).
pub fn read_back(reader: &dyn LineReader, card: &RgbImage) -> Result<RawBack, OcrError> {
    let (card, _) = upright_back(card);
    let boxes = reader.detect(&card)?;
    let mut fields = Vec::with_capacity(BackField::ALL.len());
    for field in BackField::ALL {
        let band = field.band();
        let (text, confidence) = read_band(reader, &card, &boxes, band, &[band.px()], 1)?;
        fields.push((
            field,
            RawField {
                text: clean_back(field, &text),
                confidence,
            },
        ));
    }
    Ok(RawBack { fields })
}

/// `2015.03.01` → the date.
fn parse_dotted(text: &str) -> Option<Date> {
    let mut parts = text.split('.');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || year.len() != 4
        || month.len() != 2
        || day.len() != 2
        || !text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    {
        return None;
    }
    Date::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

/// `2015.03.01-2035.03.01` or `2015.03.01-长期` → the period.
pub fn parse_validity(text: &str) -> Option<(Date, Validity)> {
    let (from, to) = text.split_once('-')?;
    let from = parse_dotted(from)?;
    let to = if to == "长期" {
        Validity::LongTerm
    } else {
        Validity::Until(parse_dotted(to)?)
    };
    Some((from, to))
}

/// Whether a period is one a card is issued for: 5, 10 or 20 years to the same day (a card
/// issued on 29 February ends on 28 February or 1 March), or long-term.
pub fn plausible_term(from: Date, to: Validity) -> bool {
    use chrono::Datelike;
    match to {
        Validity::LongTerm => true,
        Validity::Until(to) => {
            let years = to.year() - from.year();
            let same_day = (to.month(), to.day()) == (from.month(), from.day())
                || ((from.month(), from.day()) == (2, 29)
                    && matches!((to.month(), to.day()), (2, 28) | (3, 1)));
            matches!(years, 5 | 10 | 20) && same_day
        }
    }
}

/// Parses and checks the emblem side.
pub fn check_back(raw: &RawBack) -> CheckedBack {
    let mut authority = None;
    let mut period = None;
    let fields = BackField::ALL
        .iter()
        .map(|&field| {
            let read = raw.field(field).cloned().unwrap_or(RawField {
                text: String::new(),
                confidence: 0.0,
            });
            let problem = mark(&read, |text| match field {
                BackField::Authority => {
                    if (4..=30).contains(&text.chars().count()) {
                        authority = Some(text.to_owned());
                        Ok(())
                    } else {
                        Err(FieldProblem::BadFormat)
                    }
                }
                BackField::Validity => {
                    let (from, to) = parse_validity(text).ok_or(FieldProblem::BadFormat)?;
                    period = Some((from, to));
                    if plausible_term(from, to) {
                        Ok(())
                    } else {
                        Err(FieldProblem::Implausible)
                    }
                }
            });
            CheckedBackField {
                field,
                text: read.text,
                confidence: read.confidence,
                problem,
            }
        })
        .collect();
    CheckedBack {
        fields,
        authority,
        valid_from: period.map(|(from, _)| from),
        valid_to: period.map(|(_, to)| to),
    }
}

/// The validity period as the card prints it.
pub fn validity_text(from: Date, to: Validity) -> String {
    let to = match to {
        Validity::LongTerm => "长期".to_owned(),
        Validity::Until(date) => date.format("%Y.%m.%d").to_string(),
    };
    format!("{}-{to}", from.format("%Y.%m.%d"))
}

const EMBLEM_RED: Rgb<u8> = Rgb([200, 30, 35]);
const EMBLEM_GOLD: Rgb<u8> = Rgb([240, 200, 60]);
const TEXT: Rgb<u8> = Rgb([25, 25, 30]);
const STAMP: Rgb<u8> = Rgb([205, 40, 40]);

/// Draws the emblem side of a specimen card (rectified, `CARD_WIDTH` × `CARD_HEIGHT`): a red
/// emblem-like disc (not the real emblem), the title, the authority and the validity period,
/// and the 样本 SPECIMEN stamp.
pub fn render_back(
    authority: &str,
    valid_from: Date,
    valid_to: Validity,
    fonts: &SpecimenFonts,
) -> Result<RgbImage, OcrError> {
    let sans = fonts.font(SANS_SC)?;
    let mut card = background();
    debug_assert_eq!(card.dimensions(), (CARD_WIDTH, CARD_HEIGHT));
    // A plain red disc with a gold five-pointed star: clearly not the national emblem.
    let (ex, ey, ew, eh) = EMBLEM.px();
    let (cx, cy) = ((ex + ew / 2) as i32, (ey + eh / 2) as i32);
    let radius = (ew.min(eh) / 2) as i32;
    imageproc::drawing::draw_filled_circle_mut(&mut card, (cx, cy), radius, EMBLEM_RED);
    let star: Vec<imageproc::point::Point<i32>> = (0..10)
        .map(|k| {
            let angle = std::f32::consts::PI * (k as f32) / 5.0 - std::f32::consts::FRAC_PI_2;
            let r = if k % 2 == 0 { 0.6 } else { 0.24 } * radius as f32;
            imageproc::point::Point::new(
                cx + (r * angle.cos()).round() as i32,
                cy + (r * angle.sin()).round() as i32,
            )
        })
        .collect();
    imageproc::drawing::draw_polygon_mut(&mut card, &star, EMBLEM_GOLD);
    draw(&mut card, &sans, TEXT, 31.0, 7.0, 5.2, "中华人民共和国");
    draw(&mut card, &sans, TEXT, 27.0, 16.5, 7.6, "居民身份证");
    draw(&mut card, &sans, STAMP, 58.0, 28.5, 4.5, "样本 SPECIMEN");
    draw(
        &mut card,
        &sans,
        TEXT,
        BACK_LABEL_X,
        AUTHORITY_TOP + 0.4,
        3.0,
        "签发机关",
    );
    draw(
        &mut card,
        &sans,
        TEXT,
        BACK_VALUE_X,
        AUTHORITY_TOP,
        BACK_SIZE,
        authority,
    );
    draw(
        &mut card,
        &sans,
        TEXT,
        BACK_LABEL_X,
        VALIDITY_TOP + 0.4,
        3.0,
        "有效期限",
    );
    draw(
        &mut card,
        &sans,
        TEXT,
        BACK_VALUE_X,
        VALIDITY_TOP,
        BACK_SIZE,
        &validity_text(valid_from, valid_to),
    );
    Ok(card)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> Date {
        Date::from_ymd_opt(y, m, d).unwrap()
    }

    fn raw(authority: &str, validity: &str) -> RawBack {
        RawBack {
            fields: vec![
                (
                    BackField::Authority,
                    RawField {
                        text: authority.into(),
                        confidence: 0.95,
                    },
                ),
                (
                    BackField::Validity,
                    RawField {
                        text: validity.into(),
                        confidence: 0.95,
                    },
                ),
            ],
        }
    }

    #[test]
    fn periods_parse_in_both_forms_and_print_back_the_same() {
        assert_eq!(
            parse_validity("2015.03.01-2035.03.01"),
            Some((date(2015, 3, 1), Validity::Until(date(2035, 3, 1))))
        );
        assert_eq!(
            parse_validity("2012.11.20-长期"),
            Some((date(2012, 11, 20), Validity::LongTerm))
        );
        for text in [
            "2015.3.1-2035.03.01",
            "2015.03.01",
            "2015.02.30-2035.02.30",
            "-长期",
            "",
        ] {
            assert_eq!(parse_validity(text), None, "{text}");
        }
        assert_eq!(
            validity_text(date(2015, 3, 1), Validity::Until(date(2035, 3, 1))),
            "2015.03.01-2035.03.01"
        );
    }

    #[test]
    fn cleaning_drops_labels_and_folds_dashes_and_dots() {
        assert_eq!(
            clean_back(BackField::Validity, "有效期限 2015．03．01一2035.03.01"),
            "2015.03.01-2035.03.01"
        );
        assert_eq!(
            clean_back(BackField::Authority, "签发机关 武汉市公安局洪山分局"),
            "武汉市公安局洪山分局"
        );
    }

    #[test]
    fn a_term_that_no_card_has_is_marked_not_corrected() {
        let checked = check_back(&raw("武汉市公安局", "2015.03.01-2031.03.01"));
        let validity = checked.field(BackField::Validity).unwrap();
        assert_eq!(validity.problem, Some(FieldProblem::Implausible));
        assert_eq!(validity.text, "2015.03.01-2031.03.01");
        let fine = check_back(&raw("武汉市公安局", "2016.02.29-2026.03.01"));
        assert_eq!(fine.field(BackField::Validity).unwrap().problem, None);
        assert_eq!(fine.valid_to, Some(Validity::Until(date(2026, 3, 1))));
        assert_eq!(fine.authority.as_deref(), Some("武汉市公安局"));
    }

    #[test]
    fn unreadable_and_malformed_fields_are_marked() {
        let checked = check_back(&raw("", "2015-03-01"));
        assert_eq!(
            checked.field(BackField::Authority).unwrap().problem,
            Some(FieldProblem::Unreadable)
        );
        assert_eq!(
            checked.field(BackField::Validity).unwrap().problem,
            Some(FieldProblem::BadFormat)
        );
        assert_eq!((checked.valid_from, checked.valid_to), (None, None));
    }
}
