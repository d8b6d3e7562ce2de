//! The speech rule (pure): enough speech, started after the digits appeared.
//!
//! Windows with a speech probability ≥ `threshold` are speech; runs of them are segments. A
//! segment that starts before `shown_at + min_reaction` does not count (nobody reads digits
//! before they can have seen them: it is talk that was already going, or a replay). The counted
//! speech must total at least max(`min_secs`, `secs_per_digit` × digits) — loose on purpose: the
//! VAD finds 0.13–0.42 s of speech per digit on synthetic readings (research note §1).

/// The rule's numbers. Defaults: the research note's.
#[derive(Clone, Debug, PartialEq)]
pub struct SpeechRule {
    pub threshold: f32,
    pub min_secs: f64,
    pub secs_per_digit: f64,
    /// Shortest time from the digits appearing to a reading starting.
    pub min_reaction_secs: f64,
}

impl Default for SpeechRule {
    fn default() -> SpeechRule {
        SpeechRule {
            threshold: 0.5,
            min_secs: 0.6,
            secs_per_digit: 0.1,
            min_reaction_secs: 0.2,
        }
    }
}

impl SpeechRule {
    /// The shortest total speech for a challenge of `digits` digits.
    pub fn min_speech_secs(&self, digits: usize) -> f64 {
        (self.secs_per_digit * digits as f64).max(self.min_secs)
    }
}

/// What the rule found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpeechFinding {
    Enough,
    /// No counted speech at all: "we could not hear you".
    NoSpeech,
    /// Some speech, less than the minimum: "read all the digits".
    TooShort,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SpeechReport {
    pub finding: SpeechFinding,
    /// Counted speech, seconds.
    pub speech_secs: f64,
    /// What the challenge needed.
    pub min_speech_secs: f64,
    /// Start of the first counted segment, seconds from the clip's start.
    pub onset_secs: Option<f64>,
    /// Speech in segments that started too early (not counted).
    pub early_secs: f64,
    /// Counted segments as (start, end) seconds.
    pub segments: Vec<(f64, f64)>,
}

/// Applies the rule to per-window probabilities (`window_secs` apart, the first window starting at
/// the clip's start), for a challenge of `digits` digits shown `shown_at_secs` into the clip.
pub fn judge_speech(
    probabilities: &[f32],
    window_secs: f64,
    digits: usize,
    shown_at_secs: f64,
    rule: &SpeechRule,
) -> SpeechReport {
    let earliest = shown_at_secs + rule.min_reaction_secs;
    let mut segments = Vec::new();
    let mut early_secs = 0.0;
    let mut start: Option<usize> = None;
    let mut close = |from: usize, to: usize, segments: &mut Vec<(f64, f64)>| {
        let (begin, end) = (from as f64 * window_secs, to as f64 * window_secs);
        if begin < earliest {
            early_secs += end - begin;
        } else {
            segments.push((begin, end));
        }
    };
    for (index, probability) in probabilities.iter().enumerate() {
        let speech = *probability >= rule.threshold;
        match (speech, start) {
            (true, None) => start = Some(index),
            (false, Some(from)) => {
                close(from, index, &mut segments);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(from) = start {
        close(from, probabilities.len(), &mut segments);
    }
    let speech_secs: f64 = segments.iter().map(|(begin, end)| end - begin).sum();
    let min_speech_secs = rule.min_speech_secs(digits);
    let finding = if segments.is_empty() {
        SpeechFinding::NoSpeech
    } else if speech_secs + 1e-9 < min_speech_secs {
        SpeechFinding::TooShort
    } else {
        SpeechFinding::Enough
    };
    SpeechReport {
        finding,
        speech_secs,
        min_speech_secs,
        onset_secs: segments.first().map(|(begin, _)| *begin),
        early_secs,
        segments,
    }
}

#[cfg(test)]
mod tests;
