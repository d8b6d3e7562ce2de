//! [`SimIdCardReader`]: replays a JSON script of reader events, one per [`IdCardReader::read`].
//!
//! A script is a JSON array; each element is one of
//!
//! ```json
//! {"card": {"card_type": "resident", "name": "李明", "sex": "1", "ethnicity": "01",
//!           "birth_date": "19900307", "address": "…", "number": "110101199003070011",
//!           "authority": "…", "valid_from": "20150101", "valid_to": "20350101",
//!           "photo": "../demo/candidate-a-id.jpg"}}
//! {"none": true}
//! {"fault": "timeout" | "unplug" | "corrupt" | "busy" | "removed" | "no_card" | "permission_denied" | "unsupported"}
//! ```
//!
//! - `card`: the reader returns this card. `card_type` is `resident`, `hmt_permit`, `foreign_2017` or
//!   `foreign_2023`; dates are `YYYYMMDD`; `valid_to` may be `长期`; `sex` is the GB/T 2261.1 code;
//!   `ethnicity` the two-digit GB 3304 code. Optional: `name_en`, `ethnicity`, `address`,
//!   `permit_number`, `issue_count`, `nationality`, `photo`. `photo` is a JPEG/PNG/BMP file relative
//!   to the script's folder, loaded when the script is loaded (a missing file fails then, naming
//!   it); `null` or absent means the card has no photo. The ID number is passed through unchecked,
//!   so scripts can also present invalid cards to the domain checks.
//! - `none`: no card is placed within the timeout (`Ok(None)`).
//! - `fault`: the read fails with that [`SimFault`].
//!
//! After the last event every read returns `Ok(None)`. [`SimIdCardReader::push`] queues more
//! events at run time; clones of a reader share one queue, so a clone kept by the app can queue a
//! candidate's card after the reader was boxed behind the trait.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Deserialize;
use zk_domain::{CardPhoto, CardType, Date, Ethnicity, IdCard, PersonName, Sex, Validity};

use super::IdCardReader;
use crate::error::{Device, DeviceError};
use crate::sim::{self, SimFault};

const DEVICE: Device = Device::IdCardReader;

/// One answer of the simulated reader.
#[derive(Clone, Debug, PartialEq)]
pub enum SimCardEvent {
    /// A card is on the reader and reads cleanly.
    Card(Box<IdCard>),
    /// No card is placed within the timeout.
    NoCard,
    /// The read fails.
    Fault(SimFault),
}

impl From<IdCard> for SimCardEvent {
    fn from(card: IdCard) -> Self {
        SimCardEvent::Card(Box::new(card))
    }
}

impl From<SimFault> for SimCardEvent {
    fn from(fault: SimFault) -> Self {
        SimCardEvent::Fault(fault)
    }
}

/// The simulated ID card reader. `Clone` shares the event queue.
#[derive(Clone, Debug, Default)]
pub struct SimIdCardReader {
    events: Arc<Mutex<VecDeque<SimCardEvent>>>,
}

impl SimIdCardReader {
    /// Loads a script file (format in the module docs) and every card photo it names.
    pub fn from_file(path: &Path) -> Result<SimIdCardReader, DeviceError> {
        let text = sim::read_text(DEVICE, "card script", path)?;
        let events = parse_script(&text, path, sim::script_dir(path))?;
        Ok(SimIdCardReader::from_events(events))
    }

    /// Parses script text; photo paths are relative to `base_dir`.
    pub fn from_json(text: &str, base_dir: &Path) -> Result<SimIdCardReader, DeviceError> {
        let events = parse_script(text, Path::new("<inline card script>"), base_dir)?;
        Ok(SimIdCardReader::from_events(events))
    }

    pub fn from_events(events: Vec<SimCardEvent>) -> SimIdCardReader {
        SimIdCardReader {
            events: Arc::new(Mutex::new(events.into())),
        }
    }

    /// Queues an event after those already waiting.
    pub fn push(&self, event: impl Into<SimCardEvent>) {
        self.lock().push_back(event.into());
    }

    /// Events not yet replayed.
    pub fn remaining(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<SimCardEvent>> {
        self.events
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl IdCardReader for SimIdCardReader {
    fn read(&mut self, timeout: Duration) -> Result<Option<IdCard>, DeviceError> {
        let event = self.lock().pop_front();
        match event {
            Some(SimCardEvent::Card(card)) => Ok(Some(*card)),
            Some(SimCardEvent::NoCard) | None => Ok(None),
            Some(SimCardEvent::Fault(fault)) => Err(fault.to_error(DEVICE, timeout)),
        }
    }
}

fn parse_script(
    text: &str,
    path: &Path,
    base_dir: &Path,
) -> Result<Vec<SimCardEvent>, DeviceError> {
    let raw: Vec<RawEvent> = sim::parse_json(DEVICE, path, text)?;
    raw.into_iter()
        .map(|event| match event {
            RawEvent::Card(parsed) => {
                let ParsedCard {
                    mut card, photo, ..
                } = *parsed;
                if let Some(relative) = photo {
                    card.photo = CardPhoto::Decoded(load_photo(&base_dir.join(relative))?);
                }
                Ok(SimCardEvent::Card(Box::new(card)))
            }
            RawEvent::NoCard(NoneFlag) => Ok(SimCardEvent::NoCard),
            RawEvent::Fault(fault) => Ok(SimCardEvent::Fault(fault)),
        })
        .collect()
}

pub(crate) fn load_photo(path: &Path) -> Result<Vec<u8>, DeviceError> {
    let bytes = sim::read_bytes(DEVICE, "card photo", path)?;
    match image::guess_format(&bytes) {
        Ok(image::ImageFormat::Jpeg | image::ImageFormat::Png | image::ImageFormat::Bmp) => {
            Ok(bytes)
        }
        _ => Err(DeviceError::SimFile {
            device: DEVICE,
            what: "card photo",
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "not a JPEG, PNG or BMP image",
            ),
        }),
    }
}

#[derive(Deserialize)]
enum RawEvent {
    #[serde(rename = "card")]
    Card(Box<ParsedCard>),
    #[serde(rename = "none")]
    NoCard(NoneFlag),
    #[serde(rename = "fault")]
    Fault(SimFault),
}

/// `"none": true`; `false` is rejected rather than silently meaning something.
#[derive(Deserialize)]
#[serde(try_from = "bool")]
struct NoneFlag;

impl TryFrom<bool> for NoneFlag {
    type Error = &'static str;

    fn try_from(value: bool) -> Result<Self, Self::Error> {
        if value {
            Ok(NoneFlag)
        } else {
            Err("\"none\" must be true (it means: no card is placed this time); remove the event instead")
        }
    }
}

/// A card event checked while parsing, so errors carry the script's line and column.
#[derive(Deserialize)]
#[serde(try_from = "CardFields")]
pub(crate) struct ParsedCard {
    pub(crate) card: IdCard,
    pub(crate) photo: Option<String>,
    /// Additional addresses (追加住址) the chip answers to `30 03`; the protocol simulator's.
    pub(crate) extra_address: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum CardTypeCode {
    Resident,
    HmtPermit,
    #[serde(rename = "foreign_2017")]
    Foreign2017,
    #[serde(rename = "foreign_2023")]
    Foreign2023,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CardFields {
    card_type: CardTypeCode,
    name: String,
    #[serde(default)]
    name_en: Option<String>,
    sex: String,
    #[serde(default)]
    ethnicity: Option<String>,
    birth_date: String,
    #[serde(default)]
    address: Option<String>,
    number: String,
    authority: String,
    valid_from: String,
    valid_to: String,
    #[serde(default)]
    permit_number: Option<String>,
    #[serde(default)]
    issue_count: Option<String>,
    #[serde(default)]
    nationality: Option<String>,
    #[serde(default)]
    photo: Option<String>,
    #[serde(default)]
    extra_address: Vec<String>,
}

impl TryFrom<CardFields> for ParsedCard {
    type Error = String;

    fn try_from(fields: CardFields) -> Result<Self, Self::Error> {
        let name = PersonName::new(fields.name);
        if name.is_empty() {
            return Err("card: \"name\" is empty".to_owned());
        }
        let sex = Sex::from_code(&fields.sex).ok_or_else(|| {
            format!(
                "card: \"sex\" {:?} is not a GB/T 2261.1 code (0, 1, 2 or 9)",
                fields.sex
            )
        })?;
        let ethnicity = match fields.ethnicity {
            Some(text) => Some(Ethnicity::parse(&text).ok_or_else(|| {
                format!(
                    "card: \"ethnicity\" {text:?} is not a two-digit GB 3304 code such as \"01\""
                )
            })?),
            None => None,
        };
        let valid_to = match fields.valid_to.trim() {
            "长期" => Validity::LongTerm,
            other => Validity::Until(parse_date("valid_to", other)?),
        };
        let card = IdCard {
            card_type: match fields.card_type {
                CardTypeCode::Resident => CardType::Resident,
                CardTypeCode::HmtPermit => CardType::HmtPermit,
                CardTypeCode::Foreign2017 => CardType::ForeignPermanent2017,
                CardTypeCode::Foreign2023 => CardType::ForeignPermanent2023,
            },
            name,
            name_en: fields.name_en,
            sex,
            ethnicity,
            birth_date: parse_date("birth_date", &fields.birth_date)?,
            address: fields.address,
            extra_addresses: fields.extra_address.clone(),
            number: fields.number,
            authority: fields.authority,
            valid_from: parse_date("valid_from", &fields.valid_from)?,
            valid_to,
            permit_number: fields.permit_number,
            issue_count: fields.issue_count,
            nationality: fields.nationality,
            photo: CardPhoto::Missing,
        };
        Ok(ParsedCard {
            card,
            photo: fields.photo,
            extra_address: fields.extra_address,
        })
    }
}

/// A chip date: exactly eight digits, `YYYYMMDD`, and a real calendar date.
fn parse_date(field: &str, text: &str) -> Result<Date, String> {
    let text = text.trim();
    let well_formed = text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit());
    let date = if well_formed {
        Date::parse_from_str(text, "%Y%m%d").ok()
    } else {
        None
    };
    date.ok_or_else(|| {
        let long_term = if field == "valid_to" {
            " or 长期"
        } else {
            ""
        };
        format!("card: \"{field}\" {text:?} is not a date written YYYYMMDD{long_term}")
    })
}

#[cfg(test)]
mod tests;
