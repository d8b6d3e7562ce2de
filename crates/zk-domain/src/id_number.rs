//! GB 11643-1999 citizen identity numbers (公民身份号码).
//!
//! 18 characters: 6-digit address code, 8-digit birth date, 3-digit sequence (odd = male), and an
//! ISO 7064 MOD 11-2 check character. The same structure is used by the Hong Kong / Macau / Taiwan
//! residence permits (prefix 810000 / 820000 / 830000) and the 2023 foreign permanent resident card
//! (leading 9). 15-digit first-generation numbers convert by inserting `19` and adding the check.

use std::fmt;

use crate::id_card::Sex;
use crate::time::Date;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_MAP: [u8; 11] = *b"10X98765432";

/// Province-level administrative codes (GB/T 2260) that may start a resident number.
const PROVINCE_CODES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

/// Which document family a structurally valid number belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdNumberKind {
    /// 居民身份证 (mainland resident).
    Resident,
    /// 港澳台居民居住证, Hong Kong (810000…).
    HongKongPermit,
    /// 港澳台居民居住证, Macau (820000…).
    MacauPermit,
    /// 港澳台居民居住证, Taiwan (830000…).
    TaiwanPermit,
    /// 外国人永久居留身份证, 2023 edition (9 + province code …).
    ForeignPermanent2023,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("the ID number is empty; type or read the 18-character number from the card")]
    Empty,
    #[error("the ID number has {len} characters; a citizen ID number has 18 (or 15 for first-generation cards)")]
    WrongLength { len: usize },
    #[error("character {position} of the ID number is not a digit; check the number on the card")]
    NotDigit { position: usize },
    #[error("the ID number does not start with a known region code; check the first digits")]
    BadRegion,
    #[error(
        "the birth date inside the ID number is not a real calendar date; check digits 7 to 14"
    )]
    BadBirthDate,
    #[error("the check character of the ID number is wrong (expected {expected}, found {found}); re-enter the number carefully")]
    BadCheckDigit { expected: char, found: char },
}

/// A validated 18-character ID number. `Debug` and `Display` show only the first 3 and last 4
/// characters; [`IdNumber::expose`] gives the full number for storage and matching.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdNumber(String);

impl IdNumber {
    /// Validates an 18-character number (a lowercase `x` check character is accepted and normalised),
    /// or converts a 15-digit first-generation number. Surrounding whitespace is ignored.
    pub fn parse(input: &str) -> Result<IdNumber, IdNumberError> {
        let trimmed = input.trim();
        match trimmed.chars().count() {
            0 => Err(IdNumberError::Empty),
            15 => Self::from_15(trimmed),
            18 => Self::parse_18(trimmed),
            len => Err(IdNumberError::WrongLength { len }),
        }
    }

    fn parse_18(input: &str) -> Result<IdNumber, IdNumberError> {
        let bytes = input.as_bytes();
        if bytes.len() != 18 {
            // 18 chars but multi-byte characters: find the first non-ASCII position.
            let position = input.chars().position(|c| !c.is_ascii_digit()).unwrap_or(0) + 1;
            return Err(IdNumberError::NotDigit { position });
        }
        if let Some(position) = bytes[..17].iter().position(|b| !b.is_ascii_digit()) {
            return Err(IdNumberError::NotDigit {
                position: position + 1,
            });
        }
        let found = bytes[17].to_ascii_uppercase();
        if !(found.is_ascii_digit() || found == b'X') {
            return Err(IdNumberError::NotDigit { position: 18 });
        }
        let kind = kind_of(bytes).ok_or(IdNumberError::BadRegion)?;
        let _ = kind;
        birth_date_of(&bytes[6..14]).ok_or(IdNumberError::BadBirthDate)?;
        let expected = check_char(&bytes[..17]);
        if expected != found {
            return Err(IdNumberError::BadCheckDigit {
                expected: char::from(expected),
                found: char::from(bytes[17]),
            });
        }
        let mut normalised = input[..17].to_owned();
        normalised.push(char::from(found));
        Ok(IdNumber(normalised))
    }

    /// Converts a 15-digit first-generation number (6 region + YYMMDD + 3 sequence) to 18 digits.
    pub fn from_15(input: &str) -> Result<IdNumber, IdNumberError> {
        let bytes = input.trim().as_bytes();
        if bytes.len() != 15 {
            return Err(IdNumberError::WrongLength {
                len: input.trim().chars().count(),
            });
        }
        if let Some(position) = bytes.iter().position(|b| !b.is_ascii_digit()) {
            return Err(IdNumberError::NotDigit {
                position: position + 1,
            });
        }
        let mut body = Vec::with_capacity(18);
        body.extend_from_slice(&bytes[..6]);
        body.extend_from_slice(b"19");
        body.extend_from_slice(&bytes[6..]);
        body.push(check_char(&body));
        let text = String::from_utf8_lossy(&body).into_owned();
        Self::parse_18(&text)
    }

    /// The full number. Sensitive: store and compare it, never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn kind(&self) -> IdNumberKind {
        kind_of(self.0.as_bytes()).unwrap_or(IdNumberKind::Resident)
    }

    /// The 6-digit address code.
    pub fn region_code(&self) -> &str {
        &self.0[..6]
    }

    pub fn birth_date(&self) -> Date {
        // Validated in `parse_18`; the fallback is unreachable for a constructed value.
        birth_date_of(&self.0.as_bytes()[6..14]).unwrap_or_default()
    }

    /// Sex from the parity of the 17th digit (odd = male).
    pub fn sex(&self) -> Sex {
        let digit = self.0.as_bytes()[16].wrapping_sub(b'0');
        if digit % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The redacted form: first 3 and last 4 characters visible.
    pub fn redacted(&self) -> String {
        redact(&self.0)
    }
}

/// Redacts any identifier-like string: first 3 and last 4 characters visible, the rest `*`.
pub fn redact(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..3].iter().collect();
    out.push_str(&"*".repeat(chars.len() - 7));
    out.extend(&chars[chars.len() - 4..]);
    out
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.redacted())
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl std::str::FromStr for IdNumber {
    type Err = IdNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IdNumber::parse(s)
    }
}

/// The GB 11643 check character (ISO 7064 MOD 11-2) for the first 17 digits of a number; `None`
/// unless `first17` is exactly 17 ASCII digits.
pub fn check_character(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    (bytes.len() == 17 && bytes.iter().all(u8::is_ascii_digit))
        .then(|| char::from(check_char(bytes)))
}

/// ISO 7064 MOD 11-2 check character over the first 17 digits.
fn check_char(first17: &[u8]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit.wrapping_sub(b'0')) * weight)
        .sum();
    CHECK_MAP[(sum % 11) as usize]
}

fn two_digits(bytes: &[u8]) -> u8 {
    bytes[0].wrapping_sub(b'0') * 10 + bytes[1].wrapping_sub(b'0')
}

fn kind_of(bytes: &[u8]) -> Option<IdNumberKind> {
    match &bytes[..6] {
        b"810000" => return Some(IdNumberKind::HongKongPermit),
        b"820000" => return Some(IdNumberKind::MacauPermit),
        b"830000" => return Some(IdNumberKind::TaiwanPermit),
        _ => {}
    }
    if bytes[0] == b'9' {
        let province = two_digits(&bytes[1..3]);
        return PROVINCE_CODES[..31]
            .contains(&province)
            .then_some(IdNumberKind::ForeignPermanent2023);
    }
    let province = two_digits(&bytes[..2]);
    // 81/82 only as the full permit prefix, handled above.
    PROVINCE_CODES[..32]
        .contains(&province)
        .then_some(IdNumberKind::Resident)
}

fn birth_date_of(yyyymmdd: &[u8]) -> Option<Date> {
    let text = std::str::from_utf8(yyyymmdd).ok()?;
    let year: i32 = text.get(..4)?.parse().ok()?;
    let month: u32 = text.get(4..6)?.parse().ok()?;
    let day: u32 = text.get(6..8)?.parse().ok()?;
    if !(1800..=2199).contains(&year) {
        return None;
    }
    Date::from_ymd_opt(year, month, day)
}

#[cfg(test)]
mod tests;
