//! The second-generation ID card as read from the chip (or, as a fallback, from OCR), with the
//! code tables printed on it and the validity checks against a given date.

use std::fmt;

use crate::id_number::{redact, IdNumber, IdNumberKind};
use crate::name::PersonName;
use crate::time::Date;

/// Sex code per GB/T 2261.1. Not "anything but 1 is female".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sex {
    Unknown,
    Male,
    Female,
    Unspecified,
}

impl Sex {
    pub fn from_code(code: &str) -> Option<Sex> {
        match code.trim() {
            "0" => Some(Sex::Unknown),
            "1" => Some(Sex::Male),
            "2" => Some(Sex::Female),
            "9" => Some(Sex::Unspecified),
            _ => None,
        }
    }

    /// Parses the forms found in rosters: code, Chinese label or English word/letter.
    pub fn parse_label(text: &str) -> Option<Sex> {
        match text.trim() {
            "1" | "男" | "M" | "m" | "male" | "Male" | "MALE" => Some(Sex::Male),
            "2" | "女" | "F" | "f" | "female" | "Female" | "FEMALE" => Some(Sex::Female),
            "0" | "未知" => Some(Sex::Unknown),
            "9" | "未说明" => Some(Sex::Unspecified),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Sex::Unknown => "0",
            Sex::Male => "1",
            Sex::Female => "2",
            Sex::Unspecified => "9",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Sex::Unknown => "未知",
            Sex::Male => "男",
            Sex::Female => "女",
            Sex::Unspecified => "未说明",
        }
    }
}

/// The 56 ethnic groups of GB 3304 as printed on the card (without 族), plus 97 and 98.
const ETHNICITIES: [(u8, &str); 58] = [
    (1, "汉"),
    (2, "蒙古"),
    (3, "回"),
    (4, "藏"),
    (5, "维吾尔"),
    (6, "苗"),
    (7, "彝"),
    (8, "壮"),
    (9, "布依"),
    (10, "朝鲜"),
    (11, "满"),
    (12, "侗"),
    (13, "瑶"),
    (14, "白"),
    (15, "土家"),
    (16, "哈尼"),
    (17, "哈萨克"),
    (18, "傣"),
    (19, "黎"),
    (20, "傈僳"),
    (21, "佤"),
    (22, "畲"),
    (23, "高山"),
    (24, "拉祜"),
    (25, "水"),
    (26, "东乡"),
    (27, "纳西"),
    (28, "景颇"),
    (29, "柯尔克孜"),
    (30, "土"),
    (31, "达斡尔"),
    (32, "仫佬"),
    (33, "羌"),
    (34, "布朗"),
    (35, "撒拉"),
    (36, "毛南"),
    (37, "仡佬"),
    (38, "锡伯"),
    (39, "阿昌"),
    (40, "普米"),
    (41, "塔吉克"),
    (42, "怒"),
    (43, "乌孜别克"),
    (44, "俄罗斯"),
    (45, "鄂温克"),
    (46, "德昂"),
    (47, "保安"),
    (48, "裕固"),
    (49, "京"),
    (50, "塔塔尔"),
    (51, "独龙"),
    (52, "鄂伦春"),
    (53, "赫哲"),
    (54, "门巴"),
    (55, "珞巴"),
    (56, "基诺"),
    (97, "其他"),
    (98, "外国血统中国籍人士"),
];

/// An ethnicity code. Unknown codes are kept (shown as `未知(NN)`), never dropped.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ethnicity(u8);

impl Ethnicity {
    pub fn from_code(code: u8) -> Ethnicity {
        Ethnicity(code)
    }

    /// Parses a two-digit code (`01`), a label (`汉` or `汉族`).
    pub fn parse(text: &str) -> Option<Ethnicity> {
        let trimmed = text.trim();
        if !trimmed.is_empty() && trimmed.len() <= 2 && trimmed.bytes().all(|b| b.is_ascii_digit())
        {
            return trimmed.parse().ok().map(Ethnicity);
        }
        let label = trimmed.strip_suffix('族').unwrap_or(trimmed);
        ETHNICITIES
            .iter()
            .find(|(_, name)| *name == label)
            .map(|(code, _)| Ethnicity(*code))
    }

    pub fn code(self) -> u8 {
        self.0
    }

    pub fn is_known(self) -> bool {
        ETHNICITIES.iter().any(|(code, _)| *code == self.0)
    }

    pub fn label(self) -> String {
        ETHNICITIES
            .iter()
            .find(|(code, _)| *code == self.0)
            .map(|(_, name)| (*name).to_owned())
            .unwrap_or_else(|| format!("未知({:02})", self.0))
    }

    /// All 58 codes of the table, in order.
    pub fn all() -> impl Iterator<Item = Ethnicity> {
        ETHNICITIES.iter().map(|(code, _)| Ethnicity(*code))
    }
}

impl fmt::Debug for Ethnicity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ethnicity({:02})", self.0)
    }
}

/// The four card types a reader returns (flag at text bytes 248–249).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CardType {
    /// 居民身份证.
    Resident,
    /// 港澳台居民居住证 ('J').
    HmtPermit,
    /// 外国人永久居留身份证, 2017 edition ('I').
    ForeignPermanent2017,
    /// 外国人永久居留身份证, 2023 edition ('Y').
    ForeignPermanent2023,
}

/// End of validity: a date, or 长期 (long-term).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    Until(Date),
    LongTerm,
}

/// The chip portrait. The chip stores it as WLT, which only the reader vendor's decoder can turn
/// into pixels; the domain carries encoded bytes and never decodes them.
#[derive(Clone, PartialEq, Eq)]
pub enum CardPhoto {
    /// An encoded image (BMP/JPEG/PNG) from a decoder or the simulator.
    Decoded(Vec<u8>),
    /// The raw 1024-byte WLT with no decoder configured: staff compare visually.
    Undecoded(Vec<u8>),
    /// No photo (OCR fallback without a portrait crop, or a failed read).
    Missing,
}

impl CardPhoto {
    pub fn decoded_bytes(&self) -> Option<&[u8]> {
        match self {
            CardPhoto::Decoded(bytes) => Some(bytes),
            _ => None,
        }
    }
}

impl fmt::Debug for CardPhoto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CardPhoto::Decoded(bytes) => write!(f, "CardPhoto::Decoded({} bytes)", bytes.len()),
            CardPhoto::Undecoded(bytes) => write!(f, "CardPhoto::Undecoded({} bytes)", bytes.len()),
            CardPhoto::Missing => f.write_str("CardPhoto::Missing"),
        }
    }
}

/// Everything on the card's chip, normalised. `Debug` redacts every personal field.
#[derive(Clone, PartialEq, Eq)]
pub struct IdCard {
    pub card_type: CardType,
    pub name: PersonName,
    /// English name (foreign permanent resident cards).
    pub name_en: Option<String>,
    pub sex: Sex,
    /// Resident cards only.
    pub ethnicity: Option<Ethnicity>,
    pub birth_date: Date,
    /// Resident and HMT permit cards.
    pub address: Option<String>,
    /// Additional addresses (追加住址, read with `30 03`), newest last; empty for most cards.
    pub extra_addresses: Vec<String>,
    /// The card number: GB 11643 for every type but the 2017 foreign card (3 letters + 12 digits).
    pub number: String,
    pub authority: String,
    pub valid_from: Date,
    pub valid_to: Validity,
    /// HMT permits: the permit-to-mainland number and issue count.
    pub permit_number: Option<String>,
    pub issue_count: Option<String>,
    /// Foreign cards: ISO 3166-1 alpha-3 nationality.
    pub nationality: Option<String>,
    pub photo: CardPhoto,
}

/// Why a card cannot be used. Each maps to its own [`crate::ReasonCode`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CardProblem {
    #[error("the ID number on the card is not valid: {0}")]
    BadNumber(crate::id_number::IdNumberError),
    #[error("the birth date on the card differs from the one inside the ID number")]
    BirthDateMismatch,
    #[error("the sex on the card differs from the one inside the ID number")]
    SexMismatch,
    #[error("the card expired on {0}")]
    Expired(Date),
    #[error("the card is valid only from {0}")]
    NotYetValid(Date),
    #[error("the card number belongs to another document type")]
    TypeMismatch,
}

impl IdCard {
    /// The GB 11643 number for card types that carry one (all but the 2017 foreign card).
    pub fn id_number(&self) -> Result<Option<IdNumber>, CardProblem> {
        if self.card_type == CardType::ForeignPermanent2017 {
            return Ok(None);
        }
        IdNumber::parse(&self.number)
            .map(Some)
            .map_err(CardProblem::BadNumber)
    }

    /// Internal consistency (check digit, birth date and sex inside the number, number kind versus
    /// card type) and validity on `on` (the exam date).
    pub fn check(&self, on: Date) -> Result<(), CardProblem> {
        if let Some(number) = self.id_number()? {
            let kind_fits = matches!(
                (self.card_type, number.kind()),
                (CardType::Resident, IdNumberKind::Resident)
                    | (
                        CardType::HmtPermit,
                        IdNumberKind::HongKongPermit
                            | IdNumberKind::MacauPermit
                            | IdNumberKind::TaiwanPermit
                    )
                    | (
                        CardType::ForeignPermanent2023,
                        IdNumberKind::ForeignPermanent2023
                    )
            );
            if !kind_fits {
                return Err(CardProblem::TypeMismatch);
            }
            if number.birth_date() != self.birth_date {
                return Err(CardProblem::BirthDateMismatch);
            }
            let sex_checkable = matches!(self.card_type, CardType::Resident | CardType::HmtPermit);
            if sex_checkable
                && matches!(self.sex, Sex::Male | Sex::Female)
                && number.sex() != self.sex
            {
                return Err(CardProblem::SexMismatch);
            }
        }
        if on < self.valid_from {
            return Err(CardProblem::NotYetValid(self.valid_from));
        }
        if let Validity::Until(end) = self.valid_to {
            if on > end {
                return Err(CardProblem::Expired(end));
            }
        }
        Ok(())
    }
}

impl fmt::Debug for IdCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdCard")
            .field("card_type", &self.card_type)
            .field("name", &self.name)
            .field("number", &redact(&self.number))
            .field("valid_to", &self.valid_to)
            .field("photo", &self.photo)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
