//! Whether a recognised reading of the digits is the challenge (pure).
//!
//! A digit recogniser (zk-asr) hears the candidate's reading and returns what it heard as text:
//! Chinese numerals (零一二…九, 幺 and 两 as said on the phone and in counting, 〇), ASCII digits,
//! or both, with punctuation and spaces between. [`parse_reading`] turns that into digits;
//! [`check_reading`] compares it with the challenge by edit distance. Whisper base drops or doubles
//! one digit on about a third of genuine readings and never came within one edit of the wrong
//! challenge (`../shared/research/liveness-asr.md` §2), so the rule allows one edit for 5–6
//! digits and none for 4. A mismatch is never a rejection on its own: the step retries with new
//! digits, then goes to staff.

use crate::challenge::Challenge;

/// The digits heard in a recogniser's text, in order. Characters that are not digits
/// (punctuation, spaces, other words) are left out; [`ParsedReading::other`] counts them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedReading {
    pub digits: Vec<u8>,
    /// Characters that were neither digits nor separators (a sign of a hallucinated transcript).
    pub other: usize,
}

/// Reads the digits out of recogniser text.
pub fn parse_reading(text: &str) -> ParsedReading {
    let mut digits = Vec::new();
    let mut other = 0;
    for c in text.chars() {
        let digit = match c {
            '0'..='9' => Some(c as u8 - b'0'),
            '０'..='９' => Some((u32::from(c) - u32::from('０')) as u8),
            '零' | '〇' | '洞' => Some(0),
            '一' | '幺' | '壹' => Some(1),
            '二' | '两' | '兩' | '贰' => Some(2),
            '三' | '叁' => Some(3),
            '四' | '肆' => Some(4),
            '五' | '伍' => Some(5),
            '六' | '陆' => Some(6),
            '七' | '柒' => Some(7),
            '八' | '捌' => Some(8),
            '九' | '玖' => Some(9),
            _ => None,
        };
        match digit {
            Some(digit) => digits.push(digit),
            None if c.is_whitespace() || c.is_ascii_punctuation() || is_cjk_punctuation(c) => {}
            None => other += 1,
        }
    }
    ParsedReading { digits, other }
}

fn is_cjk_punctuation(c: char) -> bool {
    matches!(
        c,
        '，' | '。' | '、' | '；' | '：' | '！' | '？' | '…' | '·' | '—'
    )
}

/// How close a reading must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadingRule {
    /// Edits allowed for a challenge of 4 digits.
    pub max_edits_short: usize,
    /// Edits allowed for 5 or 6 digits.
    pub max_edits_long: usize,
}

impl Default for ReadingRule {
    fn default() -> ReadingRule {
        ReadingRule {
            max_edits_short: 0,
            max_edits_long: 1,
        }
    }
}

impl ReadingRule {
    pub fn max_edits(&self, digits: usize) -> usize {
        if digits <= 4 {
            self.max_edits_short
        } else {
            self.max_edits_long
        }
    }
}

/// The best of a recogniser's hypotheses against the challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadingCheck {
    /// The digits of the closest hypothesis (empty when nothing was recognised).
    pub heard: Vec<u8>,
    /// Its edit distance (insertions, deletions, substitutions) to the challenge.
    pub edits: usize,
    pub max_edits: usize,
    pub matched: bool,
}

impl ReadingCheck {
    pub fn heard_text(&self) -> String {
        self.heard.iter().map(|d| char::from(b'0' + d)).collect()
    }
}

/// Compares the hypotheses (N-best, any order) with the challenge; the closest one counts. No
/// hypothesis at all counts as hearing nothing.
pub fn check_reading(
    challenge: &Challenge,
    hypotheses: &[String],
    rule: &ReadingRule,
) -> ReadingCheck {
    let expected = challenge.digits();
    let max_edits = rule.max_edits(expected.len());
    let best = hypotheses
        .iter()
        .map(|text| parse_reading(text).digits)
        .map(|heard| {
            let edits = strsim::generic_levenshtein(&heard, &expected.to_vec());
            (edits, heard)
        })
        .min_by_key(|(edits, _)| *edits);
    let (edits, heard) = best.unwrap_or_else(|| (expected.len(), Vec::new()));
    ReadingCheck {
        matched: !heard.is_empty() && edits <= max_edits,
        heard,
        edits,
        max_edits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn challenge(text: &str) -> Challenge {
        let digits: Vec<u8> = text.bytes().map(|b| b - b'0').collect();
        Challenge::from_digits(&digits, Timestamp::from_millis(0)).unwrap()
    }

    fn check(expected: &str, heard: &[&str]) -> ReadingCheck {
        let hypotheses: Vec<String> = heard.iter().map(|text| (*text).to_string()).collect();
        check_reading(&challenge(expected), &hypotheses, &ReadingRule::default())
    }

    #[test]
    fn numerals_of_every_kind_parse_to_digits() {
        assert_eq!(parse_reading("三七二九").digits, vec![3, 7, 2, 9]);
        assert_eq!(parse_reading("幺零八六四").digits, vec![1, 0, 8, 6, 4]);
        assert_eq!(parse_reading("两〇洞9").digits, vec![2, 0, 0, 9]);
        assert_eq!(parse_reading(" 1 0 8 6 4 ").digits, vec![1, 0, 8, 6, 4]);
        assert_eq!(
            parse_reading("五，五。八、二；零 三").digits,
            vec![5, 5, 8, 2, 0, 3]
        );
        assert_eq!(parse_reading("３７２９").digits, vec![3, 7, 2, 9]);
        let hallucinated = parse_reading("I'm new to new to soon");
        assert!(hallucinated.digits.is_empty());
        assert_eq!(hallucinated.other, 16);
    }

    #[test]
    fn four_digits_must_be_exact_and_longer_ones_allow_one_edit() {
        assert!(check("3729", &["三七二九"]).matched);
        let dropped = check("3729", &["三七九"]);
        assert!(!dropped.matched);
        assert_eq!((dropped.edits, dropped.max_edits), (1, 0));

        assert!(
            check("10864", &["零八六四"]).matched,
            "a dropped first digit"
        );
        assert!(check("49916", &["四九九九一六"]).matched, "a doubled digit");
        assert!(
            check("558203", &["五五八二零二"]).matched,
            "one substitution"
        );
        let two_off = check("558203", &["五八二零二"]);
        assert!(!two_off.matched);
        assert_eq!(two_off.edits, 2);
    }

    #[test]
    fn the_closest_hypothesis_counts_and_nothing_heard_never_matches() {
        let best = check("73052", &["七三", "七三零五二", "一二三"]);
        assert!(best.matched);
        assert_eq!((best.edits, best.heard_text().as_str()), (0, "73052"));

        let nothing = check("73052", &[]);
        assert!(!nothing.matched);
        assert_eq!(nothing.edits, 5);
        let noise = check("73052", &["嗯嗯", ""]);
        assert!(!noise.matched);
        assert!(noise.heard.is_empty());
    }

    #[test]
    fn the_wrong_challenge_is_far_from_a_reading() {
        // Another challenge read perfectly is several edits from this one.
        let other = check("290418", &["八一九五七"]);
        assert!(!other.matched);
        assert!(other.edits >= 5);
    }
}
