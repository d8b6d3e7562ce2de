//! The fields read off a card, parsed and cross-checked (pure). A failed check marks the field
//! for staff; nothing is ever "corrected": the number's check digit, and the birth date and sex
//! inside the number, are compared with what was read, and a disagreement is shown as one.

use image::RgbImage;
use zk_domain::{Date, Ethnicity, IdNumber, Sex};

use crate::layout::Field;

/// A field's text as read (cleaned of labels and spaces) and the recogniser's confidence.
#[derive(Clone, Debug, PartialEq)]
pub struct RawField {
    pub text: String,
    /// 0..1; 0 when nothing was read.
    pub confidence: f32,
}

/// Everything read off a card, before checks.
#[derive(Clone, Debug, PartialEq)]
pub struct RawCard {
    pub fields: Vec<(Field, RawField)>,
    /// The card's printed portrait, cropped from its fixed place.
    pub portrait: RgbImage,
}

impl RawCard {
    pub fn field(&self, field: Field) -> Option<&RawField> {
        self.fields
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, raw)| raw)
    }
}

/// Why staff must look at a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldProblem {
    /// Nothing was read.
    Unreadable,
    /// Read, but not what the field holds (e.g. a sex that is neither 男 nor 女).
    BadFormat,
    /// The ID number fails GB 11643 (length, digits, region, date or check digit).
    BadNumber(String),
    /// The birth date (or sex) read differs from the one inside the ID number; both are marked.
    DiffersFromNumber,
    /// Read, but the recogniser was unsure.
    LowConfidence,
    /// Parsed, but not a value a card carries (a validity term other than 5, 10 or 20 years).
    Implausible,
}

impl FieldProblem {
    pub fn code(&self) -> &'static str {
        match self {
            FieldProblem::Unreadable => "unreadable",
            FieldProblem::BadFormat => "bad_format",
            FieldProblem::BadNumber(_) => "bad_number",
            FieldProblem::DiffersFromNumber => "differs_from_number",
            FieldProblem::LowConfidence => "low_confidence",
            FieldProblem::Implausible => "implausible",
        }
    }
}

/// Below this the field is marked [`FieldProblem::LowConfidence`].
pub const CONFIDENT_AT: f32 = 0.8;

/// A field as read and checked (`F`: [`Field`] on the portrait side,
/// [`crate::back::BackField`] on the emblem side).
#[derive(Clone, Debug, PartialEq)]
pub struct CheckedField<F = Field> {
    pub field: F,
    pub text: String,
    pub confidence: f32,
    pub problem: Option<FieldProblem>,
}

/// The card's fields, checked. The parsed values are there when the text parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckedCard {
    pub fields: Vec<CheckedField>,
    pub sex: Option<Sex>,
    pub ethnicity: Option<Ethnicity>,
    pub birth_date: Option<Date>,
    pub id_number: Option<IdNumber>,
}

impl CheckedCard {
    pub fn field(&self, field: Field) -> Option<&CheckedField> {
        self.fields.iter().find(|checked| checked.field == field)
    }

    /// Whether every field read cleanly (staff still confirm an OCR read; this only says
    /// whether any field is marked).
    pub fn all_clear(&self) -> bool {
        self.fields.iter().all(|checked| checked.problem.is_none())
    }
}

/// The mark of one read: nothing read, the problem `parse` found (a bad format, a bad number …),
/// an unsure recogniser, or none. Shared by both sides of the card.
pub(crate) fn mark(
    read: &RawField,
    parse: impl FnOnce(&str) -> Result<(), FieldProblem>,
) -> Option<FieldProblem> {
    if read.text.is_empty() {
        return Some(FieldProblem::Unreadable);
    }
    match parse(&read.text) {
        Err(problem) => Some(problem),
        Ok(()) if read.confidence < CONFIDENT_AT => Some(FieldProblem::LowConfidence),
        Ok(()) => None,
    }
}

/// `1990年1月1日` (spaces already removed) → the date.
pub fn parse_birth_date(text: &str) -> Option<Date> {
    let (year, rest) = text.split_once('年')?;
    let (month, rest) = rest.split_once('月')?;
    let day = rest.strip_suffix('日')?;
    let number = |part: &str| -> Option<u32> {
        (!part.is_empty() && part.len() <= 4 && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse().ok())
            .flatten()
    };
    Date::from_ymd_opt(number(year)? as i32, number(month)?, number(day)?)
}

fn is_name(text: &str) -> bool {
    let count = text.chars().count();
    (2..=20).contains(&count)
        && text
            .chars()
            .all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c) || c == '·' || c == '•')
}

/// Parses and cross-checks the fields of `raw`.
pub fn check(raw: &RawCard) -> CheckedCard {
    let mut sex = None;
    let mut ethnicity = None;
    let mut birth_date = None;
    let mut id_number = None;
    let mut fields: Vec<CheckedField> = Field::ALL
        .iter()
        .map(|&field| {
            let read = raw.field(field).cloned().unwrap_or(RawField {
                text: String::new(),
                confidence: 0.0,
            });
            let problem = mark(&read, |text| {
                let parsed = match field {
                    Field::Name => is_name(text).then_some(()),
                    Field::Sex => Sex::parse_label(text)
                        .filter(|sex| matches!(sex, Sex::Male | Sex::Female))
                        .map(|parsed| sex = Some(parsed)),
                    Field::Ethnicity => Ethnicity::parse(text)
                        .filter(|parsed| parsed.is_known())
                        .map(|parsed| ethnicity = Some(parsed)),
                    Field::BirthDate => {
                        parse_birth_date(text).map(|parsed| birth_date = Some(parsed))
                    }
                    Field::Address => (text.chars().count() >= 6).then_some(()),
                    Field::IdNumber => match IdNumber::parse(text) {
                        Ok(number) => {
                            id_number = Some(number);
                            Some(())
                        }
                        Err(error) => return Err(FieldProblem::BadNumber(error.to_string())),
                    },
                };
                parsed.ok_or(FieldProblem::BadFormat)
            });
            CheckedField {
                field,
                text: read.text,
                confidence: read.confidence,
                problem,
            }
        })
        .collect();
    // The number carries the birth date and sex: a disagreement marks both sides.
    if let Some(number) = &id_number {
        let mut mark = |field: Field| {
            for checked in fields.iter_mut() {
                if checked.field == field && checked.problem.is_none() {
                    checked.problem = Some(FieldProblem::DiffersFromNumber);
                }
            }
        };
        if birth_date.is_some_and(|date| date != number.birth_date()) {
            mark(Field::BirthDate);
            mark(Field::IdNumber);
        }
        if sex.is_some_and(|sex| sex != number.sex()) {
            mark(Field::Sex);
            mark(Field::IdNumber);
        }
    }
    CheckedCard {
        fields,
        sex,
        ethnicity,
        birth_date,
        id_number,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(values: &[(Field, &str)]) -> RawCard {
        RawCard {
            fields: values
                .iter()
                .map(|(field, text)| {
                    (
                        *field,
                        RawField {
                            text: (*text).to_owned(),
                            confidence: 0.95,
                        },
                    )
                })
                .collect(),
            portrait: RgbImage::new(1, 1),
        }
    }

    const GOOD: [(Field, &str); 6] = [
        (Field::Name, "王小明"),
        (Field::Sex, "女"),
        (Field::Ethnicity, "汉"),
        (Field::BirthDate, "1949年12月31日"),
        (Field::Address, "北京市朝阳区光明路1号"),
        (Field::IdNumber, "11010519491231002X"),
    ];

    #[test]
    fn a_clean_read_parses_every_field() {
        let checked = check(&raw(&GOOD));
        assert!(checked.all_clear(), "{checked:?}");
        assert_eq!(checked.sex, Some(Sex::Female));
        assert_eq!(checked.ethnicity.map(|e| e.code()), Some(1));
        assert_eq!(checked.birth_date, Date::from_ymd_opt(1949, 12, 31));
        assert_eq!(
            checked.id_number.map(|n| n.expose().to_owned()).as_deref(),
            Some("11010519491231002X")
        );
    }

    #[test]
    fn a_wrong_check_digit_is_marked_never_fixed() {
        let mut values = GOOD;
        values[5] = (Field::IdNumber, "110105194912310021");
        let checked = check(&raw(&values));
        let number = checked.field(Field::IdNumber).unwrap();
        assert!(matches!(number.problem, Some(FieldProblem::BadNumber(_))));
        assert_eq!(number.text, "110105194912310021", "the text stays as read");
        assert_eq!(checked.id_number, None);
    }

    #[test]
    fn birth_date_and_sex_against_the_number_mark_both_sides() {
        let mut values = GOOD;
        values[3] = (Field::BirthDate, "1949年12月30日");
        values[1] = (Field::Sex, "男");
        let checked = check(&raw(&values));
        for field in [Field::BirthDate, Field::Sex, Field::IdNumber] {
            assert_eq!(
                checked.field(field).unwrap().problem,
                Some(FieldProblem::DiffersFromNumber),
                "{field:?}"
            );
        }
        assert_eq!(checked.field(Field::Name).unwrap().problem, None);
    }

    #[test]
    fn unreadable_badly_formed_and_unsure_fields_are_marked() {
        let mut card = raw(&[
            (Field::Name, "王1"),
            (Field::Sex, "未"),
            (Field::Ethnicity, "火星"),
            (Field::BirthDate, "1949年13月1日"),
        ]);
        card.fields.push((
            Field::Address,
            RawField {
                text: "北京市朝阳区光明路1号".into(),
                confidence: 0.5,
            },
        ));
        let checked = check(&card);
        let problem = |field| checked.field(field).unwrap().problem.clone();
        assert_eq!(problem(Field::Name), Some(FieldProblem::BadFormat));
        assert_eq!(problem(Field::Sex), Some(FieldProblem::BadFormat));
        assert_eq!(problem(Field::Ethnicity), Some(FieldProblem::BadFormat));
        assert_eq!(problem(Field::BirthDate), Some(FieldProblem::BadFormat));
        assert_eq!(problem(Field::Address), Some(FieldProblem::LowConfidence));
        assert_eq!(problem(Field::IdNumber), Some(FieldProblem::Unreadable));
        assert!(!checked.all_clear());
    }

    #[test]
    fn birth_dates_parse_only_in_the_card_form() {
        assert_eq!(
            parse_birth_date("2001年2月3日"),
            Date::from_ymd_opt(2001, 2, 3)
        );
        assert_eq!(
            parse_birth_date("2001年02月03日"),
            Date::from_ymd_opt(2001, 2, 3)
        );
        assert_eq!(parse_birth_date("2001年2月30日"), None);
        assert_eq!(parse_birth_date("2001-02-03"), None);
        assert_eq!(parse_birth_date("2001年2月3"), None);
    }
}
