//! Test helpers: the committed speech fixtures, the models directory, generated non-speech.

use std::path::PathBuf;

/// `tests/fixtures/speech/` of the workspace (made by `scripts/make-speech-fixtures.sh`).
pub(crate) fn speech_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/speech")
}

/// Every speech fixture: (file name, digits, 16 kHz samples). Fails loudly when they are missing.
pub(crate) fn speech_clips() -> Vec<(String, String, Vec<i16>)> {
    let dir = speech_dir();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| {
            panic!(
                "the speech fixtures {} are missing ({error}); run scripts/make-speech-fixtures.sh",
                dir.display()
            )
        })
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "wav"))
        .collect();
    entries.sort();
    assert!(
        entries.len() >= 8,
        "expected 8 speech fixtures in {}; run scripts/make-speech-fixtures.sh",
        dir.display()
    );
    entries
        .into_iter()
        .map(|path| {
            let mut reader = hound::WavReader::open(&path).expect("a readable WAV fixture");
            let spec = reader.spec();
            assert_eq!(
                (spec.channels, spec.sample_rate, spec.bits_per_sample),
                (1, 16_000, 16)
            );
            let samples: Vec<i16> = reader
                .samples::<i16>()
                .map(|s| s.expect("a sample"))
                .collect();
            let name = path
                .file_stem()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            let digits = name.split('-').nth(1).expect("name-digits.wav").to_owned();
            (name, digits, samples)
        })
        .collect()
}

/// Where `scripts/fetch-models.sh` installs the models (same rule as zk-vision).
pub(crate) fn models_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ZK_MODELS_DIR") {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .expect("HOME or XDG_CACHE_HOME");
    cache.join("zikao-kiosk/models")
}

/// Fixed-seed noise for generated test signals.
pub(crate) struct Noise(crate::lipsync::SplitMix64);

impl Noise {
    pub(crate) fn new(seed: u64) -> Noise {
        Noise(crate::lipsync::SplitMix64(seed))
    }
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.0.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub(crate) fn gaussian(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-12);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// The non-speech cases of the research note, `secs` long at 16 kHz: (name, samples).
pub(crate) fn non_speech(secs: f64) -> Vec<(&'static str, Vec<i16>)> {
    let count = (secs * 16_000.0) as usize;
    let tone = |parts: &[(f64, f64)]| -> Vec<i16> {
        (0..count)
            .map(|index| {
                let time = index as f64 / 16_000.0;
                let value: f64 = parts
                    .iter()
                    .map(|(hz, amplitude)| {
                        amplitude * (2.0 * std::f64::consts::PI * hz * time).sin()
                    })
                    .sum();
                (value * 32767.0).round() as i16
            })
            .collect()
    };
    let mut noise = Noise::new(7);
    let white: Vec<i16> = (0..count)
        .map(|_| (noise.gaussian() * 0.05 * 32767.0).clamp(-32767.0, 32767.0) as i16)
        .collect();
    let mut loud = Noise::new(8);
    let loud_white: Vec<i16> = (0..count)
        .map(|_| (loud.gaussian() * 0.2 * 32767.0).clamp(-32767.0, 32767.0) as i16)
        .collect();
    vec![
        ("silence", vec![0; count]),
        ("white noise 0.05", white),
        ("white noise 0.2", loud_white),
        ("50 Hz hum", tone(&[(50.0, 0.3), (150.0, 0.05)])),
        ("300+700 Hz tones", tone(&[(300.0, 0.25), (700.0, 0.25)])),
        ("1 kHz tone", tone(&[(1000.0, 0.5)])),
    ]
}
