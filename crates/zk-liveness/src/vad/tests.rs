use super::*;
use crate::speech::{judge_speech, SpeechFinding, SpeechRule};
use crate::testdata::{models_dir, non_speech, speech_clips};

fn vad() -> SileroVad {
    SileroVad::open(&models_dir()).unwrap_or_else(|error| {
        panic!("{error}\n(the VAD tests need the Silero model: run scripts/fetch-models.sh)")
    })
}

const WINDOW_SECS: f64 = VAD_WINDOW as f64 / VAD_SAMPLE_RATE as f64;

/// Speech seconds by the rule with the digits shown at the clip's start.
fn judged(vad: &SileroVad, samples: &[i16], digits: usize) -> crate::speech::SpeechReport {
    let probabilities = vad.probabilities(samples).expect("VAD runs");
    judge_speech(
        &probabilities,
        WINDOW_SECS,
        digits,
        0.0,
        &SpeechRule::default(),
    )
}

#[test]
fn every_spoken_digit_string_passes_the_speech_rule() {
    let vad = vad();
    let mut failures = Vec::new();
    for (name, digits, samples) in speech_clips() {
        let report = judged(&vad, &samples, digits.len());
        println!(
            "{name}: {:.2} s speech (need {:.2}), onset {:?} s",
            report.speech_secs, report.min_speech_secs, report.onset_secs
        );
        if report.finding != SpeechFinding::Enough {
            failures.push((name, report.speech_secs));
        }
        let onset = report.onset_secs.expect("an onset");
        assert!(
            (0.3..1.0).contains(&onset),
            "{onset}: the fixtures start after 0.5 s of silence"
        );
    }
    assert!(failures.is_empty(), "speech not found: {failures:?}");
}

#[test]
fn silence_noise_hum_and_tones_are_not_speech() {
    let vad = vad();
    for (name, samples) in non_speech(4.0) {
        let probabilities = vad.probabilities(&samples).expect("VAD runs");
        let report = judge_speech(&probabilities, WINDOW_SECS, 4, 0.0, &SpeechRule::default());
        let max = probabilities.iter().copied().fold(0.0f32, f32::max);
        println!("{name}: {:.2} s speech, max p {max:.3}", report.speech_secs);
        assert_eq!(
            report.finding,
            SpeechFinding::NoSpeech,
            "{name}: {report:?}"
        );
    }
}

/// The confusion table of the speech rule on the fixtures (printed with --nocapture), and the
/// bound it must keep: every reading accepted, no non-speech accepted.
#[test]
fn confusion_table_on_the_fixtures() {
    let vad = vad();
    let (mut speech_accepted, mut speech_rejected) = (0, 0);
    for (_, digits, samples) in speech_clips() {
        match judged(&vad, &samples, digits.len()).finding {
            SpeechFinding::Enough => speech_accepted += 1,
            _ => speech_rejected += 1,
        }
    }
    let (mut other_accepted, mut other_rejected) = (0, 0);
    for (_, samples) in non_speech(4.0) {
        match judged(&vad, &samples, 4).finding {
            SpeechFinding::Enough => other_accepted += 1,
            _ => other_rejected += 1,
        }
    }
    println!("                 accepted  rejected");
    println!("speech (espeak)  {speech_accepted:>8}  {speech_rejected:>8}");
    println!("non-speech       {other_accepted:>8}  {other_rejected:>8}");
    assert_eq!((speech_rejected, other_accepted), (0, 0));
}

#[test]
fn a_reading_cut_short_is_too_short_and_speech_before_the_digits_does_not_count() {
    let vad = vad();
    let (_, _, samples) = speech_clips().remove(5); // six digits
                                                    // Only the first 0.5 s of speech (after the 0.5 s lead-in), then silence.
    let mut cut = samples[..16_000].to_vec();
    cut.resize(samples.len(), 0);
    let report = judged(&vad, &cut, 6);
    assert_eq!(report.finding, SpeechFinding::TooShort, "{report:?}");

    // The digits appear 2 s into the clip, after the reading started: nothing counts.
    let probabilities = vad.probabilities(&samples).expect("VAD runs");
    let late = judge_speech(&probabilities, WINDOW_SECS, 6, 2.0, &SpeechRule::default());
    assert!(late.early_secs > 0.5, "{late:?}");
    assert_ne!(late.finding, SpeechFinding::Enough, "{late:?}");
}

#[test]
fn a_wrong_or_missing_model_file_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let missing = SileroVad::open(dir.path()).expect_err("no model");
    assert!(
        missing.to_string().contains("scripts/fetch-models.sh"),
        "{missing}"
    );
    std::fs::write(dir.path().join(SILERO_VAD_FILE), b"not a model").expect("write");
    let wrong = SileroVad::open(dir.path()).expect_err("wrong sha256");
    assert!(wrong.to_string().contains("sha256"), "{wrong}");
    assert!(matches!(
        SileroVad::from_bytes(b"not a model"),
        Err(LivenessError::Inference(_))
    ));
}

#[test]
fn probabilities_are_one_per_whole_window_and_empty_audio_gives_none() {
    let vad = vad();
    assert!(vad.probabilities(&[]).expect("runs").is_empty());
    assert_eq!(
        vad.probabilities(&[0; VAD_WINDOW * 3 + 100])
            .expect("runs")
            .len(),
        3
    );
}
