//! The Whisper digit recogniser on the committed espeak-ng readings (tests/fixtures/speech:
//! Mandarin digit strings in the cmn-latn-pinyin voice, `scripts/make-speech-fixtures.sh`), with
//! the pinned model from `scripts/fetch-asr-model.sh`. Only built with the feature `whisper`
//! (`scripts/test.sh` runs it so).
//!
//! What must hold: no reading is accepted as another challenge (the check's false accepts), a
//! floor of genuine readings is accepted, and silence or noise yields no digits. The per-reading
//! table goes to stdout (`--nocapture`) for the closing note.
#![cfg(feature = "whisper")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use zk_asr::model;
use zk_asr::whisper::{digit_suppress_tokens, WhisperDigits};
use zk_asr::DigitRecognizer;
use zk_domain::{check_reading, Challenge, ReadingRule, Timestamp};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn model_dir() -> PathBuf {
    let dir = model::default_dir().expect("HOME or ZK_ASR_MODEL_DIR");
    assert!(
        dir.join("model.bin").is_file(),
        "the Whisper model is missing in {}: run scripts/fetch-asr-model.sh",
        dir.display()
    );
    dir
}

fn recognizer() -> WhisperDigits {
    WhisperDigits::open(&model_dir(), 2).unwrap()
}

/// (challenge digits, 16 kHz samples) of every fixture.
fn readings() -> Vec<(String, Vec<i16>)> {
    let dir = repo_root().join("tests/fixtures/speech");
    let mut found: Vec<(String, Vec<i16>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run scripts/make-speech-fixtures.sh",
                dir.display()
            )
        })
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "wav"))
        .map(|path| {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            let digits = stem.split('-').nth(1).unwrap().to_string();
            let mut reader = hound::WavReader::open(&path).unwrap();
            assert_eq!(reader.spec().sample_rate, 16_000, "{}", path.display());
            let samples = reader.samples::<i16>().map(Result::unwrap).collect();
            (digits, samples)
        })
        .collect();
    found.sort();
    assert!(
        found.len() >= 8,
        "expected the 8 fixtures in {}",
        dir.display()
    );
    found
}

fn challenge(digits: &str) -> Challenge {
    let digits: Vec<u8> = digits.bytes().map(|b| b - b'0').collect();
    Challenge::from_digits(&digits, Timestamp::from_millis(0)).unwrap()
}

#[test]
fn the_allowed_tokens_are_the_digits() {
    let tokenizer = tokenizers::Tokenizer::from_file(model_dir().join("tokenizer.json")).unwrap();
    let suppressed = digit_suppress_tokens(&tokenizer).unwrap();
    // The research note's 443 allowed ids count end-of-text (50257), which is past the text ids.
    assert_eq!(
        50_257 - suppressed.len() + 1,
        443,
        "allowed ids (research note, appendix B)"
    );
    for numeral in ["一", "九", "两", "0", " 7", "2024"] {
        let ids = tokenizer.encode(numeral, false).unwrap();
        for id in ids.get_ids() {
            assert!(
                !suppressed.contains(&(*id as i32)),
                "{numeral} is suppressed"
            );
        }
    }
    for word in ["the", " new", "的", "是"] {
        let ids = tokenizer.encode(word, false).unwrap();
        assert!(
            ids.get_ids()
                .iter()
                .any(|id| suppressed.contains(&(*id as i32))),
            "{word} is allowed"
        );
    }
}

#[test]
fn readings_are_accepted_and_no_reading_passes_for_another_challenge() {
    let mut whisper = recognizer();
    let rule = ReadingRule::default();
    let all = readings();
    let mut genuine = 0;
    let mut wrong_accepted = 0;
    let mut pairs = 0;
    println!("| challenge | heard | edits | accepted |");
    println!("|---|---|---|---|");
    for (digits, samples) in &all {
        let heard = whisper.recognize(samples).unwrap();
        let own = check_reading(&challenge(digits), &heard, &rule);
        println!(
            "| {digits} | {} | {} | {} |",
            own.heard_text(),
            own.edits,
            if own.matched { "yes" } else { "no" }
        );
        genuine += usize::from(own.matched);
        for (other, _) in all.iter().filter(|(other, _)| other != digits) {
            pairs += 1;
            wrong_accepted += usize::from(check_reading(&challenge(other), &heard, &rule).matched);
        }
    }
    println!(
        "genuine accepted {genuine}/{}; wrong challenge accepted {wrong_accepted}/{pairs}",
        all.len()
    );
    assert_eq!(wrong_accepted, 0, "a reading passed for another challenge");
    assert!(
        genuine >= MIN_GENUINE,
        "only {genuine} genuine readings accepted"
    );
}

/// Measured 4 of 8 (espeak's synthetic voice is hard for Whisper base: research note §2 had 1–6 of
/// 20 on espeak, 17 of 20 on a natural TTS); the floor leaves one reading of slack for another
/// CPU's int8 kernels.
const MIN_GENUINE: usize = 3;

#[test]
fn silence_and_noise_yield_no_digits_that_pass() {
    let mut whisper = recognizer();
    let rule = ReadingRule::default();
    let silence = vec![0i16; 16_000 * 4];
    // Deterministic white noise at about -20 dBFS.
    let mut state = 0x2545_f491_u32;
    let noise: Vec<i16> = (0..16_000 * 4)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            ((state % 6_554) as i32 - 3_277) as i16
        })
        .collect();
    for (name, samples) in [("silence", silence), ("noise", noise)] {
        let heard = whisper.recognize(&samples).unwrap();
        for digits in ["3729", "10864", "558203"] {
            let check = check_reading(&challenge(digits), &heard, &rule);
            assert!(!check.matched, "{name} passed as {digits}: {heard:?}");
        }
    }
    assert!(whisper.recognize(&[]).unwrap().is_empty());
}
