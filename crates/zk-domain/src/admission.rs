//! Admission numbers (准考证号) and the serial blocks a desk issues them from.
//!
//! 12 digits: city (2) + county (2) + sitting (3: two-digit year + 1 for April, 2 for October) +
//! serial (5). A desk issues offline only from blocks the hub (or the site admin) allocated to it.

use std::fmt;

/// The exam sitting: year and April (1) or October (2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sitting {
    /// Two-digit year, 0–99.
    pub year: u8,
    /// 1 = April, 2 = October.
    pub season: u8,
}

impl Sitting {
    /// Parses the 3-digit code (`262` = October 2026).
    pub fn parse(code: &str) -> Result<Sitting, AdmissionError> {
        let bytes = code.trim().as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(AdmissionError::BadSitting(code.to_owned()));
        }
        let year = (bytes[0] - b'0') * 10 + (bytes[1] - b'0');
        let season = bytes[2] - b'0';
        if season != 1 && season != 2 {
            return Err(AdmissionError::BadSitting(code.to_owned()));
        }
        Ok(Sitting { year, season })
    }

    pub fn code(self) -> String {
        format!("{:02}{}", self.year, self.season)
    }
}

/// A 12-digit admission number.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AdmissionNumber {
    /// City (2) + county (2): the exam district.
    pub district: String,
    pub sitting: Sitting,
    /// 1–99 999.
    pub serial: u32,
}

pub const MAX_SERIAL: u32 = 99_999;

impl AdmissionNumber {
    pub fn new(
        district: &str,
        sitting: Sitting,
        serial: u32,
    ) -> Result<AdmissionNumber, AdmissionError> {
        if district.len() != 4 || !district.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AdmissionError::BadDistrict(district.to_owned()));
        }
        if serial == 0 || serial > MAX_SERIAL {
            return Err(AdmissionError::BadSerial(serial));
        }
        Ok(AdmissionNumber {
            district: district.to_owned(),
            sitting,
            serial,
        })
    }

    pub fn parse(text: &str) -> Result<AdmissionNumber, AdmissionError> {
        let text = text.trim();
        if text.len() != 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AdmissionError::BadNumber(text.to_owned()));
        }
        let sitting = Sitting::parse(&text[4..7])?;
        let serial: u32 = text[7..]
            .parse()
            .map_err(|_| AdmissionError::BadNumber(text.to_owned()))?;
        AdmissionNumber::new(&text[..4], sitting, serial)
    }
}

impl fmt::Display for AdmissionNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}{:05}",
            self.district,
            self.sitting.code(),
            self.serial
        )
    }
}

impl fmt::Debug for AdmissionNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AdmissionNumber({self})")
    }
}

/// A block of serials allocated to this desk for one district and sitting; `next` is the next
/// serial not yet issued (`last + 1` when the block is used up).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SerialBlock {
    pub block_id: String,
    pub district: String,
    pub sitting: Sitting,
    pub first: u32,
    pub last: u32,
    pub next: u32,
}

impl SerialBlock {
    pub fn new(
        block_id: &str,
        district: &str,
        sitting: Sitting,
        first: u32,
        last: u32,
    ) -> Result<SerialBlock, AdmissionError> {
        AdmissionNumber::new(district, sitting, first)?;
        AdmissionNumber::new(district, sitting, last)?;
        if block_id.trim().is_empty() {
            return Err(AdmissionError::BadBlock("the block id is empty".into()));
        }
        if first > last {
            return Err(AdmissionError::BadBlock(format!(
                "first serial {first} is after last serial {last}"
            )));
        }
        Ok(SerialBlock {
            block_id: block_id.trim().to_owned(),
            district: district.to_owned(),
            sitting,
            first,
            last,
            next: first,
        })
    }

    pub fn remaining(&self) -> u32 {
        (self.last + 1).saturating_sub(self.next)
    }

    pub fn overlaps(&self, other: &SerialBlock) -> bool {
        self.district == other.district
            && self.sitting == other.sitting
            && self.first <= other.last
            && other.first <= self.last
    }
}

/// The outcome of issuing one admission number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SerialIssue {
    pub block_id: String,
    pub number: AdmissionNumber,
    /// Serials left for this district and sitting after this one.
    pub remaining: u32,
    /// `remaining` is below the low-water mark: ask the hub or admin for another block.
    pub running_low: bool,
}

/// Picks the next admission number for `district`/`sitting` from the desk's blocks (lowest block
/// first). Pure: the store persists `next + 1` for the chosen block in the same transaction.
pub fn issue(
    blocks: &[SerialBlock],
    district: &str,
    sitting: Sitting,
    low_water: u32,
) -> Result<SerialIssue, AdmissionError> {
    let mut matching: Vec<&SerialBlock> = blocks
        .iter()
        .filter(|block| block.district == district && block.sitting == sitting)
        .collect();
    if matching.is_empty() {
        return Err(AdmissionError::NoBlock {
            district: district.to_owned(),
            sitting: sitting.code(),
        });
    }
    matching.sort_by_key(|block| block.first);
    let total_remaining: u32 = matching.iter().map(|block| block.remaining()).sum();
    let block = matching
        .iter()
        .find(|block| block.remaining() > 0)
        .ok_or_else(|| AdmissionError::Exhausted {
            district: district.to_owned(),
            sitting: sitting.code(),
        })?;
    let number = AdmissionNumber::new(district, sitting, block.next)?;
    let remaining = total_remaining - 1;
    Ok(SerialIssue {
        block_id: block.block_id.clone(),
        number,
        remaining,
        running_low: remaining < low_water,
    })
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AdmissionError {
    #[error(
        "{0:?} is not a sitting code; use two-digit year + 1 (April) or 2 (October), e.g. 262"
    )]
    BadSitting(String),
    #[error("{0:?} is not an exam district code; use 4 digits (city 2 + county 2)")]
    BadDistrict(String),
    #[error("serial {0} is outside 1..=99999")]
    BadSerial(u32),
    #[error("{0:?} is not a 12-digit admission number")]
    BadNumber(String),
    #[error("invalid serial block: {0}")]
    BadBlock(String),
    #[error("this desk has no serial block for district {district} sitting {sitting}; ask the site admin to allocate one (zk serials allocate)")]
    NoBlock { district: String, sitting: String },
    #[error("every serial block for district {district} sitting {sitting} is used up; ask the site admin for a new block (zk serials allocate)")]
    Exhausted { district: String, sitting: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn october_2026() -> Sitting {
        Sitting::parse("262").unwrap()
    }

    #[test]
    fn format_and_parse() {
        let number = AdmissionNumber::new("4201", october_2026(), 42).unwrap();
        assert_eq!(number.to_string(), "420126200042");
        assert_eq!(AdmissionNumber::parse("420126200042"), Ok(number));
        assert!(matches!(
            AdmissionNumber::parse("42012620004"),
            Err(AdmissionError::BadNumber(_))
        ));
        assert!(matches!(
            AdmissionNumber::parse("420126300042"),
            Err(AdmissionError::BadSitting(_))
        ));
        assert!(matches!(
            AdmissionNumber::parse("420126200000"),
            Err(AdmissionError::BadSerial(0))
        ));
        assert!(matches!(
            AdmissionNumber::new("42a1", october_2026(), 1),
            Err(AdmissionError::BadDistrict(_))
        ));
        assert_eq!(
            Sitting::parse("261").unwrap(),
            Sitting {
                year: 26,
                season: 1
            }
        );
    }

    #[test]
    fn issues_only_from_blocks() {
        let sitting = october_2026();
        let mut first = SerialBlock::new("b1", "4201", sitting, 1, 2).unwrap();
        let second = SerialBlock::new("b2", "4201", sitting, 100, 101).unwrap();
        let blocks = vec![second.clone(), first.clone()];
        let issue_1 = issue(&blocks, "4201", sitting, 2).unwrap();
        assert_eq!(issue_1.block_id, "b1");
        assert_eq!(issue_1.number.to_string(), "420126200001");
        assert_eq!(issue_1.remaining, 3);
        assert!(!issue_1.running_low);

        first.next = 3; // used up
        let issue_2 = issue(&[first.clone(), second.clone()], "4201", sitting, 2).unwrap();
        assert_eq!(issue_2.number.serial, 100);
        assert!(issue_2.running_low);

        let used_up = SerialBlock {
            next: 102,
            ..second
        };
        assert!(matches!(
            issue(&[first, used_up], "4201", sitting, 2),
            Err(AdmissionError::Exhausted { .. })
        ));
        assert!(matches!(
            issue(&blocks, "4202", sitting, 2),
            Err(AdmissionError::NoBlock { .. })
        ));
        assert!(matches!(
            issue(&blocks, "4201", Sitting::parse("271").unwrap(), 2),
            Err(AdmissionError::NoBlock { .. })
        ));
    }

    #[test]
    fn block_validation_and_overlap() {
        let sitting = october_2026();
        assert!(matches!(
            SerialBlock::new("b", "4201", sitting, 5, 4),
            Err(AdmissionError::BadBlock(_))
        ));
        assert!(matches!(
            SerialBlock::new("b", "4201", sitting, 0, 4),
            Err(AdmissionError::BadSerial(0))
        ));
        assert!(matches!(
            SerialBlock::new("b", "4201", sitting, 1, 100_000),
            Err(AdmissionError::BadSerial(100_000))
        ));
        let a = SerialBlock::new("a", "4201", sitting, 1, 10).unwrap();
        let b = SerialBlock::new("b", "4201", sitting, 10, 20).unwrap();
        let c = SerialBlock::new("c", "4201", sitting, 11, 20).unwrap();
        let d = SerialBlock::new("d", "4202", sitting, 1, 10).unwrap();
        assert!(a.overlaps(&b));
        assert!(!a.overlaps(&c));
        assert!(!a.overlaps(&d));
        assert_eq!(a.remaining(), 10);
    }
}
