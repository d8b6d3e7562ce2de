//! The roster: candidates' online registrations, and matching a read card against them.

use std::fmt;

use crate::id_card::{CardProblem, CardType, Ethnicity, IdCard, Sex};
use crate::id_number::{redact, IdNumber, IdNumberKind};
use crate::name::PersonName;
use crate::time::Date;

/// The document a candidate registered with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdType {
    /// 居民身份证.
    ResidentCard,
    /// 港澳台居民居住证.
    HmtPermit,
    /// 外国人永久居留身份证 (2017 or 2023 edition).
    ForeignPermanent,
}

impl IdType {
    pub fn code(self) -> &'static str {
        match self {
            IdType::ResidentCard => "resident",
            IdType::HmtPermit => "hmt_permit",
            IdType::ForeignPermanent => "foreign_permanent",
        }
    }

    /// Parses a code or the Chinese label used in rosters; empty means a resident card.
    pub fn parse(text: &str) -> Option<IdType> {
        match text.trim() {
            "" | "1" | "resident" | "居民身份证" | "身份证" => Some(IdType::ResidentCard),
            "2" | "hmt_permit" | "港澳台居民居住证" | "居住证" => {
                Some(IdType::HmtPermit)
            }
            "3" | "foreign_permanent" | "外国人永久居留身份证" | "永居证" => {
                Some(IdType::ForeignPermanent)
            }
            _ => None,
        }
    }

    /// Whether a card of `card_type` is this kind of document.
    pub fn accepts(self, card_type: CardType) -> bool {
        matches!(
            (self, card_type),
            (IdType::ResidentCard, CardType::Resident)
                | (IdType::HmtPermit, CardType::HmtPermit)
                | (
                    IdType::ForeignPermanent,
                    CardType::ForeignPermanent2017 | CardType::ForeignPermanent2023
                )
        )
    }
}

/// 层次: the level of the major.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level {
    /// 专科.
    Zhuanke,
    /// 本科.
    Benke,
}

impl Level {
    pub fn parse(text: &str) -> Option<Level> {
        match text.trim() {
            "专科" | "zhuanke" | "associate" | "1" => Some(Level::Zhuanke),
            "本科" | "benke" | "bachelor" | "2" => Some(Level::Benke),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Level::Zhuanke => "zhuanke",
            Level::Benke => "benke",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Level::Zhuanke => "专科",
            Level::Benke => "本科",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegistrationStatus {
    /// Registered online, waiting for on-site confirmation.
    Registered,
    /// Confirmed (here or elsewhere, as the roster says).
    Confirmed,
    /// Withdrawn or cancelled by the exam office.
    Cancelled,
}

impl RegistrationStatus {
    pub fn parse(text: &str) -> Option<RegistrationStatus> {
        match text.trim() {
            "" | "registered" | "待确认" | "已报名" => Some(RegistrationStatus::Registered),
            "confirmed" | "已确认" => Some(RegistrationStatus::Confirmed),
            "cancelled" | "已取消" | "已撤销" => Some(RegistrationStatus::Cancelled),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            RegistrationStatus::Registered => "registered",
            RegistrationStatus::Confirmed => "confirmed",
            RegistrationStatus::Cancelled => "cancelled",
        }
    }
}

/// One roster row. `Debug` redacts the personal fields.
#[derive(Clone, PartialEq, Eq)]
pub struct Registration {
    /// 报名号, the online registration id.
    pub registration_id: String,
    pub id_type: IdType,
    /// The document number as registered (normalised: upper-case, no spaces).
    pub id_number: String,
    pub name: PersonName,
    pub sex: Sex,
    pub ethnicity: Option<Ethnicity>,
    pub birth_date: Date,
    pub phone: Option<String>,
    /// 考区 code: city (2) + county (2).
    pub district_code: String,
    pub major_code: String,
    pub major_name: String,
    pub level: Level,
    pub status: RegistrationStatus,
}

/// A field of a roster row that failed validation, with a message that says what to fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl Registration {
    /// Checks the row on its own: document number (GB 11643 where it applies), birth date and sex
    /// against the number, required fields, district and phone shape. Returns every problem.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut push =
            |field: &'static str, message: String| errors.push(FieldError { field, message });
        if self.registration_id.trim().is_empty() {
            push("registration_id", "the registration id is empty".into());
        }
        if self.name.is_empty() {
            push("name", "the name is empty".into());
        }
        match self.gb11643_number() {
            Some(Ok(number)) => {
                let kind_fits = matches!(
                    (self.id_type, number.kind()),
                    (IdType::ResidentCard, IdNumberKind::Resident)
                        | (
                            IdType::HmtPermit,
                            IdNumberKind::HongKongPermit
                                | IdNumberKind::MacauPermit
                                | IdNumberKind::TaiwanPermit
                        )
                        | (IdType::ForeignPermanent, IdNumberKind::ForeignPermanent2023)
                );
                if !kind_fits {
                    push(
                        "id_number",
                        "the number does not belong to the stated ID type".into(),
                    );
                }
                if number.birth_date() != self.birth_date {
                    push(
                        "birth_date",
                        "the birth date differs from the one inside the ID number".into(),
                    );
                }
                if matches!(self.sex, Sex::Male | Sex::Female)
                    && self.id_type != IdType::ForeignPermanent
                    && number.sex() != self.sex
                {
                    push(
                        "sex",
                        "the sex differs from the one inside the ID number".into(),
                    );
                }
            }
            Some(Err(error)) => push("id_number", error.to_string()),
            None => {
                if !is_foreign_2017_number(&self.id_number) {
                    push("id_number", "a foreign permanent resident number has 3 letters and 12 digits (2017) or 18 characters (2023)".into());
                }
            }
        }
        if self.district_code.len() != 4 || !self.district_code.bytes().all(|b| b.is_ascii_digit())
        {
            push(
                "district_code",
                "the exam district code must be 4 digits (city 2 + county 2)".into(),
            );
        }
        if self.major_code.trim().is_empty() {
            push("major_code", "the major code is empty".into());
        }
        if let Some(phone) = &self.phone {
            let digits_ok = phone.len() == 11
                && phone.starts_with('1')
                && phone.bytes().all(|b| b.is_ascii_digit());
            if !digits_ok {
                push(
                    "phone",
                    "a mobile number has 11 digits starting with 1".into(),
                );
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The GB 11643 number, for ID types that use one; `None` for a 2017 foreign card number.
    pub fn gb11643_number(&self) -> Option<Result<IdNumber, crate::IdNumberError>> {
        if self.id_type == IdType::ForeignPermanent && self.id_number.len() == 15 {
            return None;
        }
        Some(IdNumber::parse(&self.id_number))
    }
}

fn is_foreign_2017_number(number: &str) -> bool {
    let bytes = number.as_bytes();
    bytes.len() == 15
        && bytes[..3].iter().all(u8::is_ascii_uppercase)
        && bytes[3..].iter().all(u8::is_ascii_digit)
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("registration_id", &self.registration_id)
            .field("id_type", &self.id_type)
            .field("id_number", &redact(&self.id_number))
            .field("name", &self.name)
            .field("district_code", &self.district_code)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// Why a card does not lead to a confirmable registration. Each has its own reason code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RosterMatchError {
    #[error("the card cannot be used: {0}")]
    Card(CardProblem),
    #[error("no registration for this ID number")]
    NoRegistration,
    #[error("the registration was cancelled")]
    Cancelled,
    #[error("the registration is already confirmed")]
    AlreadyConfirmed,
    #[error("the registration belongs to exam district {district}, not to this site")]
    OtherSite { district: String },
    #[error("the registration is for another kind of document")]
    DocumentTypeDiffers,
    #[error("the name on the card differs from the registration")]
    NameDiffers,
    #[error("the sex on the card differs from the registration")]
    SexDiffers,
    #[error("the birth date on the card differs from the registration")]
    BirthDiffers,
}

/// Matches a read card against the registration found for its number (if any).
///
/// `site_districts` lists the exam districts this site confirms (empty: all); `exam_date` is the
/// date the card must still be valid on.
pub fn match_registration(
    card: &IdCard,
    registration: Option<&Registration>,
    site_districts: &[String],
    exam_date: Date,
) -> Result<(), RosterMatchError> {
    card.check(exam_date).map_err(RosterMatchError::Card)?;
    let registration = registration.ok_or(RosterMatchError::NoRegistration)?;
    match registration.status {
        RegistrationStatus::Cancelled => return Err(RosterMatchError::Cancelled),
        RegistrationStatus::Confirmed => return Err(RosterMatchError::AlreadyConfirmed),
        RegistrationStatus::Registered => {}
    }
    if !site_districts.is_empty() && !site_districts.contains(&registration.district_code) {
        return Err(RosterMatchError::OtherSite {
            district: registration.district_code.clone(),
        });
    }
    if !registration.id_type.accepts(card.card_type)
        || !registration
            .id_number
            .eq_ignore_ascii_case(card.number.trim())
    {
        return Err(RosterMatchError::DocumentTypeDiffers);
    }
    if !registration.name.matches(&card.name) {
        return Err(RosterMatchError::NameDiffers);
    }
    if registration.sex != card.sex {
        return Err(RosterMatchError::SexDiffers);
    }
    if registration.birth_date != card.birth_date {
        return Err(RosterMatchError::BirthDiffers);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
