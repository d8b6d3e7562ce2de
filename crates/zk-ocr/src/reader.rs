//! Reads a rectified card: the detector's lines are sorted into the layout's bands, clipped to
//! the value columns and recognised; a band where nothing was detected is recognised whole. The
//! text of each field is cleaned (labels, spaces, characters a field cannot hold) but never
//! "corrected": checks happen in [`crate::fields`].

use image::{imageops::FilterType, RgbImage};

use crate::engine::{OcrEngine, Recognized, TextBox};
use crate::fields::{RawCard, RawField};
use crate::layout::{Field, ADDRESS_LINES, ADDRESS_PITCH, ADDRESS_TOP, CARD_HEIGHT, CARD_WIDTH};
use crate::layout::{MmRect, PORTRAIT, PX_PER_MM, VALUE_X};
use crate::OcrError;

/// Text detection and line recognition (the engine, or a fake in tests).
pub trait LineReader {
    fn detect(&self, card: &RgbImage) -> Result<Vec<TextBox>, OcrError>;
    fn recognize(&self, line: &RgbImage) -> Result<Recognized, OcrError>;
}

impl LineReader for OcrEngine {
    fn detect(&self, card: &RgbImage) -> Result<Vec<TextBox>, OcrError> {
        OcrEngine::detect(self, card)
    }

    fn recognize(&self, line: &RgbImage) -> Result<Recognized, OcrError> {
        OcrEngine::recognize(self, line)
    }
}

/// One field's lines: the boxes that overlap the band (a label detected together with its
/// value overlaps the value's band), clipped to it, grouped into lines, in reading order.
fn lines_in(band: MmRect, boxes: &[TextBox]) -> Vec<Vec<(u32, u32, u32, u32)>> {
    let (bx, by, bw, bh) = band.px();
    let mut inside: Vec<(u32, u32, u32, u32)> = boxes
        .iter()
        .filter_map(|found| {
            let x0 = found.x.max(bx);
            let x1 = (found.x + found.width).min(bx + bw);
            let y0 = found.y.max(by);
            let y1 = (found.y + found.height).min(by + bh);
            // Most of the box's height in the band, and a piece wide enough to hold a character.
            let overlap = y1.saturating_sub(y0);
            (x1 > x0 + 8 && overlap * 2 > found.height)
                .then(|| (x0, found.y, x1 - x0, found.height))
        })
        .collect();
    inside.sort_by_key(|&(x, y, _, h)| (y + h / 2, x));
    // Group into lines: a box whose centre is within half a line pitch of the line's first.
    let pitch = (ADDRESS_PITCH * PX_PER_MM) as u32;
    let mut lines: Vec<Vec<(u32, u32, u32, u32)>> = Vec::new();
    for found in inside {
        let centre = found.1 + found.3 / 2;
        match lines.last_mut() {
            Some(line)
                if line
                    .first()
                    .is_some_and(|first| centre.abs_diff(first.1 + first.3 / 2) < pitch / 2) =>
            {
                line.push(found)
            }
            _ => lines.push(vec![found]),
        }
    }
    for line in &mut lines {
        line.sort_by_key(|&(x, ..)| x);
    }
    lines
}

/// Trims a band to the columns and rows that hold ink (darker than the card's paper), so a
/// mostly blank crop does not make the recogniser guess; `None` when there is no ink.
pub(crate) fn ink_extent(
    card: &RgbImage,
    (x, y, width, height): (u32, u32, u32, u32),
) -> Option<(u32, u32, u32, u32)> {
    let dark = |px: u32, py: u32| {
        let [r, g, b] = card.get_pixel(px, py).0;
        (u32::from(r) * 299 + u32::from(g) * 587 + u32::from(b) * 114) / 1000 < 110
    };
    let (x1, y1) = (
        (x + width).min(card.width()),
        (y + height).min(card.height()),
    );
    let columns: Vec<u32> = (x..x1)
        .filter(|&cx| (y..y1).filter(|&cy| dark(cx, cy)).count() >= 2)
        .collect();
    let rows: Vec<u32> = (y..y1)
        .filter(|&cy| (x..x1).filter(|&cx| dark(cx, cy)).count() >= 2)
        .collect();
    let (left, right) = (*columns.first()?, *columns.last()?);
    let (top, bottom) = (*rows.first()?, *rows.last()?);
    (right > left + 4 && bottom > top + 4).then(|| (left, top, right - left + 1, bottom - top + 1))
}

/// The bands to read when the detector found nothing in a field (a faint or glared field).
fn fallback_crops(field: Field) -> Vec<(u32, u32, u32, u32)> {
    match field {
        Field::Address => (0..ADDRESS_LINES)
            .map(|line| {
                MmRect::new(
                    VALUE_X - 1.0,
                    ADDRESS_TOP - 1.0 + line as f32 * ADDRESS_PITCH,
                    PORTRAIT.x - VALUE_X,
                    ADDRESS_PITCH,
                )
                .px()
            })
            .collect(),
        _ => vec![field.band().px()],
    }
}

/// The smallest box holding every box of `pieces`.
fn union_of(pieces: &[(u32, u32, u32, u32)]) -> Option<(u32, u32, u32, u32)> {
    let x0 = pieces.iter().map(|p| p.0).min()?;
    let y0 = pieces.iter().map(|p| p.1).min()?;
    let x1 = pieces.iter().map(|p| p.0 + p.2).max()?;
    let y1 = pieces.iter().map(|p| p.1 + p.3).max()?;
    Some((x0, y0, x1 - x0, y1 - y0))
}

/// The line's crop with a margin: the detector's boxes sit tight on the glyphs, and the
/// recogniser reads a line better with some paper above and below it.
fn crop(card: &RgbImage, (x, y, width, height): (u32, u32, u32, u32)) -> RgbImage {
    let margin = height / 4;
    let x0 = x.saturating_sub(margin / 2);
    let y0 = y.saturating_sub(margin);
    let x1 = (x + width + margin / 2).min(card.width());
    let y1 = (y + height + margin).min(card.height());
    image::imageops::crop_imm(card, x0, y0, (x1 - x0).max(1), (y1 - y0).max(1)).to_image()
}

/// Reads the text in `band` of a rectified card (`CARD_WIDTH` × `CARD_HEIGHT`): the detected
/// boxes that overlap it, grouped into lines, at most `max_lines` in reading order (one: the line
/// nearest the band's middle); with nothing detected, the `fallback` crops trimmed to their ink.
/// Returns the raw text and the lowest line confidence (0 when nothing was read).
pub(crate) fn read_band(
    reader: &dyn LineReader,
    card: &RgbImage,
    boxes: &[TextBox],
    band: MmRect,
    fallback: &[(u32, u32, u32, u32)],
    max_lines: usize,
) -> Result<(String, f32), OcrError> {
    let mut lines = lines_in(band, boxes);
    if lines.is_empty() {
        lines = fallback
            .iter()
            .filter_map(|&crop| ink_extent(card, crop))
            .map(|piece| vec![piece])
            .collect();
    }
    if max_lines == 1 {
        // A one-line field: the line nearest the band's middle (anything else that reaches
        // into the band, like the specimen stamp above the number, is not this field).
        let (_, by, _, bh) = band.px();
        let middle = by + bh / 2;
        let centre = |line: &Vec<(u32, u32, u32, u32)>| {
            line.first()
                .map_or(u32::MAX, |first| (first.1 + first.3 / 2).abs_diff(middle))
        };
        lines = lines.into_iter().min_by_key(centre).into_iter().collect();
    }
    let mut text = String::new();
    let mut confidence = 1.0f32;
    let mut read_any = false;
    for line in lines.iter().take(max_lines) {
        // One crop per line, around all its pieces: widely spaced characters (the number's
        // digits) come as several boxes, and short pieces read worse than the whole line.
        let Some(union) = union_of(line) else {
            continue;
        };
        let read = reader.recognize(&crop(card, union))?;
        if read.text.trim().is_empty() {
            continue;
        }
        text.push_str(&read.text);
        confidence = confidence.min(read.confidence);
        read_any = true;
    }
    Ok((text, if read_any { confidence } else { 0.0 }))
}

/// The card scaled to the layout's `CARD_WIDTH` × `CARD_HEIGHT`.
pub(crate) fn at_layout_size(card: &RgbImage) -> RgbImage {
    if card.dimensions() == (CARD_WIDTH, CARD_HEIGHT) {
        card.clone()
    } else {
        image::imageops::resize(card, CARD_WIDTH, CARD_HEIGHT, FilterType::Triangle)
    }
}

/// Reads every field of a rectified card (any size: it is scaled to the layout's) and crops the
/// printed portrait.
pub fn read_card(reader: &dyn LineReader, card: &RgbImage) -> Result<RawCard, OcrError> {
    let card = at_layout_size(card);
    let boxes = reader.detect(&card)?;
    let mut fields = Vec::with_capacity(Field::ALL.len());
    for field in Field::ALL {
        let fallback = fallback_crops(field);
        let lines = if field == Field::Address {
            ADDRESS_LINES
        } else {
            1
        };
        let (text, confidence) = read_band(reader, &card, &boxes, field.band(), &fallback, lines)?;
        fields.push((
            field,
            RawField {
                text: clean(field, &text),
                confidence,
            },
        ));
    }
    let (px, py, pw, ph) = PORTRAIT.px();
    let portrait = image::imageops::crop_imm(&card, px, py, pw, ph).to_image();
    Ok(RawCard { fields, portrait })
}

/// Without spaces, full-width digits and letters (the recogniser emits both forms) as ASCII.
pub(crate) fn compact(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '\u{ff10}'..='\u{ff19}' | '\u{ff21}'..='\u{ff3a}' | '\u{ff41}'..='\u{ff5a}' => {
                char::from_u32(c as u32 - 0xfee0).unwrap_or(c)
            }
            _ => c,
        })
        .collect()
}

/// Drops what a field cannot hold: spaces, a label read with it, and for the number anything
/// but digits and X.
pub fn clean(field: Field, text: &str) -> String {
    let compact = compact(text);
    let strip = |text: &str, labels: &[&str]| {
        let mut rest = text.to_owned();
        for label in labels {
            if let Some(after) = rest.strip_prefix(label) {
                rest = after.to_owned();
            }
        }
        rest
    };
    match field {
        Field::Name => strip(&compact, &["姓名"]),
        Field::Sex => strip(&compact, &["性别"]),
        Field::Ethnicity => strip(&compact, &["民族"]),
        Field::BirthDate => strip(&compact, &["出生"]),
        Field::Address => strip(&compact, &["住址"]),
        Field::IdNumber => strip(&compact, &["公民身份号码"])
            .chars()
            .filter_map(|c| match c {
                '0'..='9' => Some(c),
                'x' | 'X' | '×' => Some('X'),
                _ => None,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// A reader that "detects" given boxes and reads each crop by its position.
    struct Fake {
        boxes: Vec<TextBox>,
        texts: Vec<((u32, u32), &'static str)>,
        seen: RefCell<Vec<(u32, u32)>>,
    }

    impl LineReader for Fake {
        fn detect(&self, _card: &RgbImage) -> Result<Vec<TextBox>, OcrError> {
            Ok(self.boxes.clone())
        }
        fn recognize(&self, line: &RgbImage) -> Result<Recognized, OcrError> {
            // The crop's size (the box with its margin) identifies it: each box has its own width.
            let size = line.dimensions();
            self.seen.borrow_mut().push(size);
            let text = self
                .texts
                .iter()
                .find(|(key, _)| *key == size)
                .map_or("", |(_, text)| *text);
            Ok(Recognized {
                text: text.to_owned(),
                confidence: 0.9,
                char_confidences: vec![0.9; text.chars().count()],
            })
        }
    }

    fn mm_box(x: f32, y: f32, width: f32, height: f32) -> TextBox {
        TextBox {
            x: (x * PX_PER_MM) as u32,
            y: (y * PX_PER_MM) as u32,
            width: (width * PX_PER_MM) as u32,
            height: (height * PX_PER_MM) as u32,
            score: 0.9,
        }
    }

    #[test]
    fn boxes_go_to_their_bands_labels_are_cut_off_and_address_lines_join_in_order() {
        let card = RgbImage::new(CARD_WIDTH, CARD_HEIGHT);
        let fake = Fake {
            boxes: vec![
                // The name box starts at the label (x 4.5): clipped to the value column.
                mm_box(4.5, 5.0, 20.0, 5.0),
                // Address: second line first in the list, two pieces on the first line.
                mm_box(13.5, 31.0, 30.0, 4.0),
                mm_box(13.5, 26.0, 20.0, 4.0),
                mm_box(34.5, 26.0, 15.0, 4.0),
                mm_box(26.0, 44.3, 47.0, 4.6),
            ],
            texts: vec![
                ((132, 74), "王小明"),
                ((310, 60), "解放大道1号"),
                // The first line's two pieces are read as one crop around both.
                ((370, 60), "湖北省武汉市江岸区"),
                ((480, 68), "42010219900101123X"),
            ],
            seen: RefCell::new(Vec::new()),
        };
        let raw = read_card(&fake, &card).unwrap();
        let text = |field| raw.field(field).map(|f| f.text.clone()).unwrap_or_default();
        assert_eq!(text(Field::Name), "王小明", "{:?}", fake.seen.borrow());
        assert_eq!(text(Field::Address), "湖北省武汉市江岸区解放大道1号");
        assert_eq!(text(Field::IdNumber), "42010219900101123X");
        // Nothing detected in the sex band and no ink in it: nothing read, nothing guessed.
        assert_eq!(raw.field(Field::Sex).map(|f| f.confidence), Some(0.0));
        assert_eq!(raw.field(Field::Sex).map(|f| f.text.as_str()), Some(""));
        assert_eq!(raw.portrait.dimensions(), (260, 320));
    }

    #[test]
    fn cleaning_drops_labels_spaces_and_impossible_characters() {
        assert_eq!(clean(Field::Name, "姓名 王 小明"), "王小明");
        assert_eq!(clean(Field::Ethnicity, "民族汉"), "汉");
        assert_eq!(
            clean(Field::IdNumber, "公民身份号码 4201 0219 9001 0112 3x"),
            "42010219900101123X"
        );
        // Letters in a number are dropped, not turned into digits: the check digit catches it.
        assert_eq!(clean(Field::IdNumber, "42O1"), "421");
        // Full-width digits are digits.
        assert_eq!(clean(Field::IdNumber, "５１０１x"), "5101X");
        assert_eq!(clean(Field::BirthDate, "１９９０年1月１日"), "1990年1月1日");
    }
}
