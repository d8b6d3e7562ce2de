//! Time to recognise one reading with Whisper base (the committed espeak reading d03-558203,
//! 3.6 s with its margins: what the liveness step passes after trimming the clip to its speech)
//! and a whole 5 s clip (the reading padded with silence), and the model's load time. A bench binary that
//! prints its numbers (each run is seconds long; criterion's sampling would take minutes).
//!
//!   cargo bench -p zk-asr --features whisper --bench recognize
//!
//! Needs the model (scripts/fetch-asr-model.sh). CTranslate2 is built optimised in every
//! profile (cmake Release), so a dev-profile run gives the same numbers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::Instant;

use zk_asr::whisper::WhisperDigits;
use zk_asr::{model, DigitRecognizer};

fn main() {
    let dir = model::default_dir().expect("HOME or ZK_ASR_MODEL_DIR");
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/speech/d03-558203.wav");
    let mut reader = hound::WavReader::open(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run scripts/make-speech-fixtures.sh",
            path.display()
        )
    });
    let reading: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
    let mut clip = reading.clone();
    clip.resize(16_000 * 5, 0);
    for (what, samples, threads) in [
        ("the reading", &reading, 1usize),
        ("the reading", &reading, 2),
        ("a 5 s clip", &clip, 2),
    ] {
        let started = Instant::now();
        let mut whisper = WhisperDigits::open(&dir, threads).unwrap_or_else(|e| panic!("{e}"));
        let load = started.elapsed();
        // The first call warms the caches; then 5 timed runs.
        let heard = whisper.recognize(samples).unwrap();
        let mut times = Vec::new();
        for _ in 0..5 {
            let started = Instant::now();
            whisper.recognize(samples).unwrap();
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "whisper-base int8, {threads} thread(s): load (sha256 check + model) {:.0} ms; {what} ({:.1} s): median {:.0} ms, min {:.0} ms, max {:.0} ms; heard {heard:?}",
            load.as_secs_f64() * 1000.0,
            samples.len() as f64 / 16_000.0,
            times[2],
            times[0],
            times[4]
        );
    }
}
