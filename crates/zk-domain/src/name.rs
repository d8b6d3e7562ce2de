//! Personal names: a redacting newtype and the normalisation used to compare a card's name with
//! the roster's.

use std::fmt;

/// A person's name. `Debug`/`Display` show only the first character.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct PersonName(String);

impl PersonName {
    pub fn new(name: impl Into<String>) -> PersonName {
        PersonName(name.into().trim().to_owned())
    }

    /// The full name. Sensitive: show it to the candidate and staff, never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether two names are the same person's name after [`normalize_name`].
    pub fn matches(&self, other: &PersonName) -> bool {
        normalize_name(&self.0) == normalize_name(&other.0)
    }

    fn redacted(&self) -> String {
        let mut chars = self.0.chars();
        match chars.next() {
            Some(first) => format!("{first}{}", "*".repeat(chars.count())),
            None => String::new(),
        }
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonName({})", self.redacted())
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// The middle dots written between the parts of minority and foreign names: the Chinese standard
/// uses U+00B7, but typed rosters carry all of these.
const MIDDLE_DOTS: [char; 10] = [
    '\u{00B7}', // · MIDDLE DOT (the standard one)
    '\u{0387}', // · GREEK ANO TELEIA
    '\u{2022}', // • BULLET
    '\u{2027}', // ‧ HYPHENATION POINT
    '\u{2219}', // ∙ BULLET OPERATOR
    '\u{22C5}', // ⋅ DOT OPERATOR
    '\u{30FB}', // ・ KATAKANA MIDDLE DOT
    '\u{FF65}', // ･ HALFWIDTH KATAKANA MIDDLE DOT
    '\u{FF0E}', // ． FULLWIDTH FULL STOP
    '.',
];

/// Normalises a name for comparison: full-width ASCII folded to half-width, every middle-dot variant
/// to U+00B7, whitespace removed, Latin letters upper-cased. Chinese characters are kept as they are
/// (simplified/traditional variants are different names on the card and stay different).
pub fn normalize_name(name: &str) -> String {
    name.chars()
        .filter_map(|c| {
            let folded = match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
                '\u{3000}' => ' ',
                _ => c,
            };
            if MIDDLE_DOTS.contains(&c) || MIDDLE_DOTS.contains(&folded) {
                return Some('\u{00B7}');
            }
            if folded.is_whitespace() {
                return None;
            }
            Some(folded.to_ascii_uppercase())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(left: &str, right: &str, same: bool) {
        assert_eq!(
            PersonName::new(left).matches(&PersonName::new(right)),
            same,
            "{left:?} vs {right:?}: {:?} / {:?}",
            normalize_name(left),
            normalize_name(right)
        );
    }

    #[test]
    fn normalisation_table() {
        check("张三", "张三", true);
        check("张三", " 张 三 ", true);
        check("张三", "张四", false);
        check("买买提·艾力", "买买提•艾力", true);
        check("买买提·艾力", "买买提・艾力", true);
        check("买买提·艾力", "买买提･艾力", true);
        check("买买提·艾力", "买买提.艾力", true);
        check("买买提·艾力", "买买提．艾力", true);
        check("买买提·艾力", "买买提‧艾力", true);
        check("买买提·艾力", "买买提艾力", false);
        check("ＬＩ　Ｍｉｎｇ", "LI MING", true);
        check("Li Ming", "LI MING", true);
        check("李明", "李朋", false);
    }

    #[test]
    fn redaction() {
        let name = PersonName::new("欧阳娜娜");
        assert_eq!(name.to_string(), "欧***");
        assert_eq!(format!("{name:?}"), "PersonName(欧***)");
        assert_eq!(PersonName::new("").to_string(), "");
    }
}
