#![allow(clippy::type_complexity, clippy::single_range_in_vec_init)]

use super::*;

const WINDOW: f64 = 0.032;

/// Probabilities with speech (0.9) in the given window ranges, silence (0.1) elsewhere.
fn windows(total: usize, speech: &[std::ops::Range<usize>]) -> Vec<f32> {
    (0..total)
        .map(|index| {
            if speech.iter().any(|range| range.contains(&index)) {
                0.9
            } else {
                0.1
            }
        })
        .collect()
}

#[test]
fn the_minimum_is_a_tenth_of_a_second_a_digit_and_at_least_0_6_s() {
    let rule = SpeechRule::default();
    for (digits, expected) in [(0, 0.6), (4, 0.6), (6, 0.6), (7, 0.7), (10, 1.0)] {
        assert!(
            (rule.min_speech_secs(digits) - expected).abs() < 1e-9,
            "{digits}"
        );
    }
}

#[test]
fn check_table() {
    let rule = SpeechRule::default();
    // (speech windows, digits, shown at, finding, counted seconds)
    let cases: [(&[std::ops::Range<usize>], usize, f64, SpeechFinding, f64); 6] = [
        (&[], 4, 0.0, SpeechFinding::NoSpeech, 0.0),
        (&[20..30], 4, 0.0, SpeechFinding::TooShort, 0.32),
        (&[20..30, 40..52], 4, 0.0, SpeechFinding::Enough, 0.704),
        (&[20..50], 8, 0.0, SpeechFinding::Enough, 0.96),
        // Speech running from the start, before the digits could be read: not counted.
        (&[0..40], 4, 0.0, SpeechFinding::NoSpeech, 0.0),
        // Digits shown at 1 s: speech starting at 0.64 s is early, the later run counts.
        (&[20..40, 60..90], 4, 1.0, SpeechFinding::Enough, 0.96),
    ];
    for (speech, digits, shown, finding, secs) in cases {
        let report = judge_speech(&windows(120, speech), WINDOW, digits, shown, &rule);
        assert_eq!(report.finding, finding, "{speech:?}: {report:?}");
        assert!(
            (report.speech_secs - secs).abs() < 1e-9,
            "{speech:?}: {report:?}"
        );
    }
}

#[test]
fn segments_onset_and_early_speech_are_reported() {
    let report = judge_speech(
        &windows(100, &[0..10, 30..40, 95..100]),
        WINDOW,
        4,
        0.0,
        &SpeechRule::default(),
    );
    assert_eq!(report.onset_secs, Some(30.0 * WINDOW));
    assert!((report.early_secs - 10.0 * WINDOW).abs() < 1e-9);
    assert_eq!(
        report.segments.len(),
        2,
        "a run reaching the end is closed too"
    );
}
