//! The real `CpalMicrophone` (cpal → alsa-lib) capturing from an ALSA `file` device: a raw
//! 16 kHz mono S16_LE file served as the default capture device, selected with
//! `ALSA_CONFIG_PATH` (recipe: ../shared/research/liveness-asr.md §4). No sound card needed.
//!
//! This test binary sets `ALSA_CONFIG_PATH` for its own process only (alsa-lib reads it when a
//! device is first opened), so everything runs in one test function, in order.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use zk_drivers::{list_microphones, CpalMicrophone, DeviceErrorKind, Microphone};

/// The default capture device and a named one (`fakemic`) both read `infile`.
pub fn alsa_config(infile: &Path) -> String {
    format!(
        r#"pcm.fakemic_file {{ type file slave.pcm "nullsrc" file "/dev/null" infile "{}" format "raw" }}
pcm.nullsrc {{ type null }}
pcm.fakemic {{ type plug slave {{ pcm "fakemic_file" format S16_LE rate 16000 channels 1 }}
               hint {{ show on description "Fake mic (file)" }} }}
pcm.!default {{ type asym playback.pcm "null" capture.pcm "fakemic_file" }}
"#,
        infile.display()
    )
}

fn fixture() -> Vec<i16> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/speech/d03-558203.wav");
    let mut reader = hound::WavReader::open(&path).unwrap_or_else(|error| {
        panic!(
            "{}: {error}; run scripts/make-speech-fixtures.sh",
            path.display()
        )
    });
    reader
        .samples::<i16>()
        .map(|sample| sample.expect("a sample"))
        .collect()
}

#[test]
fn cpal_records_the_file_device_exactly_and_stops_by_sample_count() {
    assert!(
        Path::new("/usr/share/alsa/alsa.conf").exists(),
        "alsa-lib's configuration is missing: install libasound2 / libasound2-dev (scripts/setup.sh)"
    );
    let dir = tempfile::tempdir().expect("a temp dir");
    let samples = fixture();
    let infile = dir.path().join("speech.raw");
    let mut raw = std::fs::File::create(&infile).expect("create");
    for sample in &samples {
        raw.write_all(&sample.to_le_bytes()).expect("write");
    }
    drop(raw);
    let config = dir.path().join("asound.conf");
    std::fs::write(&config, alsa_config(&infile)).expect("write config");
    std::env::set_var(
        "ALSA_CONFIG_PATH",
        format!("/usr/share/alsa/alsa.conf:{}", config.display()),
    );

    let devices = list_microphones().expect("list");
    let fake = devices
        .iter()
        .find(|device| device.id == "alsa:fakemic")
        .unwrap_or_else(|| panic!("the file device is listed: {devices:?}"));
    assert_eq!(fake.name, "Fake mic (file)");
    assert!(fake.native_16k_mono, "{fake:?}");

    // The default device: exactly the file's first 2 s, long before 2 s of wall time (the file
    // device is not paced; the recording stops by count, not by clock).
    let mut microphone = CpalMicrophone::open(None).expect("the default input opens");
    let wanted = 32_000;
    let started = Instant::now();
    let clip = microphone
        .record(wanted, Duration::from_secs(5))
        .expect("records");
    let took = started.elapsed();
    assert_eq!(clip.sample_rate, 16_000);
    assert_eq!(clip.samples.len(), wanted);
    assert!(
        clip.samples == samples[..wanted],
        "byte-identical to the file"
    );
    assert!(
        took < Duration::from_millis(1500),
        "stopped by count: {took:?}"
    );

    // Each recording reopens the device: it starts again from the file's beginning.
    let again = microphone
        .record(wanted, Duration::from_secs(5))
        .expect("records again");
    assert!(again.samples == samples[..wanted]);

    // By id and by name (through the plug plugin).
    for name in ["alsa:fakemic", "Fake mic (file)"] {
        let clip = CpalMicrophone::open(Some(name))
            .expect("opens by id or name")
            .record(16_000, Duration::from_secs(5))
            .expect("records");
        assert!(clip.samples == samples[..16_000], "{name}");
    }

    // A configured microphone that is not there: "not connected", at open time.
    let missing = CpalMicrophone::open(Some("alsa:no-such-mic")).expect_err("no such device");
    assert_eq!(missing.kind(), DeviceErrorKind::Disconnected);
    assert!(
        missing.to_string().contains("microphone is not connected"),
        "{missing}"
    );
}
