use std::path::PathBuf;

use super::*;
use crate::error::DeviceErrorKind;
use crate::microphone::tests::wav_bytes;
use crate::testing::{shipped, temp_dir, write};

const LONG: Duration = Duration::from_secs(60);

/// One second of a 440 Hz tone, 44.1 kHz stereo (left loud, right quiet).
fn tone_44k_stereo(dir: &Path) -> PathBuf {
    let samples: Vec<i16> = (0..44_100)
        .flat_map(|i| {
            let value = (f64::from(i) * 2.0 * std::f64::consts::PI * 440.0 / 44_100.0).sin();
            [(value * 20_000.0) as i16, (value * 10_000.0) as i16]
        })
        .collect();
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 44_100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    write(dir, "tone.wav", wav_bytes(spec, &samples))
}

#[test]
fn a_44k_stereo_file_plays_as_16k_mono_of_the_requested_length() {
    let dir = temp_dir();
    let mut microphone = SimMicrophone::from_file(&tone_44k_stereo(dir.path())).expect("loads");
    let clip = microphone.record(16_000, LONG).expect("records");
    assert_eq!(clip.sample_rate, SAMPLE_RATE);
    assert_eq!(clip.samples.len(), 16_000);
    let peak = clip
        .samples
        .iter()
        .map(|s| s.unsigned_abs())
        .max()
        .unwrap_or(0);
    assert!(
        (14_000..=15_100).contains(&peak),
        "mixed down to about (20000 + 10000) / 2, got {peak}"
    );
}

#[test]
fn returns_exactly_the_samples_asked_cut_or_padded_with_silence() {
    let dir = temp_dir();
    let mut microphone = SimMicrophone::from_file(&tone_44k_stereo(dir.path())).expect("loads");
    let short = microphone.record(4_000, LONG).expect("records");
    assert_eq!(short.samples.len(), 4_000);
    let long = microphone.record(40_000, LONG).expect("records");
    assert_eq!(long.samples.len(), 40_000);
    assert_eq!(
        &long.samples[..4_000],
        &short.samples[..],
        "every call plays the clip from its start"
    );
    assert!(long.samples[..16_000].iter().any(|s| *s != 0));
    assert!(
        long.samples[16_000..].iter().all(|s| *s == 0),
        "padded with silence after the clip"
    );
    assert!(microphone
        .record(0, LONG)
        .expect("records")
        .samples
        .is_empty());
}

#[test]
fn the_shipped_digits_clip_plays() {
    let mut microphone =
        SimMicrophone::from_file(&shipped("sim/digits.wav")).expect("the shipped clip loads");
    let clip = microphone
        .record(4 * SAMPLE_RATE as usize, Duration::from_secs(7))
        .expect("records");
    assert_eq!((clip.sample_rate, clip.samples.len()), (16_000, 64_000));
    let bytes = std::fs::read(shipped("sim/digits.wav")).expect("read");
    let file = AudioClip::from_wav_bytes(&bytes).expect("decode");
    assert_eq!(file.sample_rate, 16_000, "shipped at the kiosk's rate");
    assert!(
        (3_500..=4_500).contains(&file.duration().as_millis()),
        "about 4 s: {file:?}"
    );
    let loud = clip
        .samples
        .iter()
        .filter(|s| s.unsigned_abs() > 2_000)
        .count();
    assert!(
        loud > 4_000,
        "there is speech in the clip ({loud} loud samples)"
    );
}

#[test]
fn a_recording_longer_than_the_timeout_times_out() {
    let mut microphone = SimMicrophone::from_clip(&AudioClip {
        sample_rate: 16_000,
        samples: vec![1; 10],
    });
    let error = microphone
        .record(32_000, Duration::from_secs(1))
        .expect_err("2 s do not fit in 1 s");
    assert!(
        matches!(
            error,
            DeviceError::Timeout {
                device: Device::Microphone,
                waited_ms: 1000
            }
        ),
        "{error:?}"
    );
    assert!(microphone.record(16_000, Duration::from_secs(1)).is_ok());
    let error = microphone
        .record(MAX_RECORD_SAMPLES + 1, Duration::MAX)
        .expect_err("too long");
    assert_eq!(error.kind(), DeviceErrorKind::Unsupported);
}

#[test]
fn scripts_and_injected_faults() {
    let dir = temp_dir();
    tone_44k_stereo(dir.path());
    let script = write(
        dir.path(),
        "mic.json",
        r#"[{"wav": "tone.wav"}, {"fault": "busy"}, {"fault": "unplug"}]"#,
    );
    let microphone = SimMicrophone::from_script(&script).expect("loads");
    let faults = microphone.faults();
    let mut boxed: Box<dyn Microphone> = Box::new(microphone);
    let mut kinds = Vec::new();
    faults.push(SimFault::Timeout);
    for _ in 0..5 {
        kinds.push(
            boxed
                .record(100, LONG)
                .map(|clip| clip.samples.len())
                .map_err(|error| error.kind()),
        );
    }
    use DeviceErrorKind as K;
    assert_eq!(
        kinds,
        [
            Err(K::Timeout),
            Ok(100),
            Err(K::Busy),
            Err(K::Disconnected),
            Ok(100)
        ]
    );
}

#[test]
fn bad_files_fail_at_load_naming_them() {
    let dir = temp_dir();
    let garbage = write(dir.path(), "noise.wav", "definitely not RIFF");
    let error = SimMicrophone::from_file(&garbage).expect_err("garbage");
    assert_eq!(error.kind(), DeviceErrorKind::CorruptData);
    assert!(
        error.to_string().contains(&garbage.display().to_string()),
        "{error}"
    );
    assert!(
        error.to_string().contains("not a readable WAV file"),
        "{error}"
    );

    let missing = dir.path().join("missing.wav");
    let error = SimMicrophone::from_file(&missing).expect_err("missing");
    assert_eq!(error.kind(), DeviceErrorKind::Disconnected);
    assert!(
        error.to_string().contains(&missing.display().to_string()),
        "{error}"
    );

    let script = write(dir.path(), "mic.json", "[\n{\"wav\": \"missing.wav\"}\n]");
    let error = SimMicrophone::from_script(&script).expect_err("missing clip");
    assert!(
        error.to_string().contains(&missing.display().to_string()),
        "{error}"
    );

    let script = write(dir.path(), "bad.json", "[\n{\"wave\": \"x.wav\"}\n]");
    let error = SimMicrophone::from_script(&script).expect_err("bad event");
    assert!(
        matches!(&error, DeviceError::SimScript { line: 2, .. }),
        "{error:?}"
    );

    let script = write(dir.path(), "empty.json", "[]");
    let error = SimMicrophone::from_script(&script).expect_err("no events");
    assert!(error.to_string().contains("no events"), "{error}");
}

#[test]
fn realtime_takes_as_long_as_the_recording_and_times_its_first_sample() {
    let clip = AudioClip {
        sample_rate: SAMPLE_RATE,
        samples: (0..16_000).map(|i| (i % 100) as i16).collect(),
    };
    let mut fast = SimMicrophone::from_clip(&clip);
    let called = Instant::now();
    let recording = fast
        .record_timed(8_000, LONG)
        .expect("records at once by default");
    assert!(called.elapsed() < Duration::from_millis(100));
    assert!(recording.first_sample_at >= called);
    assert!(recording.first_sample_at - called < Duration::from_millis(20));

    let mut paced = SimMicrophone::from_clip(&clip).realtime(true);
    let called = Instant::now();
    let recording = paced.record_timed(8_000, LONG).expect("records");
    let took = called.elapsed();
    assert!(
        (Duration::from_millis(490)..Duration::from_millis(1_000)).contains(&took),
        "half a second of audio takes half a second: {took:?}"
    );
    assert_eq!(recording.clip.samples, clip.samples[..8_000]);
}

#[test]
fn a_late_start_misses_the_beginning_and_says_when_it_started() {
    let clip = AudioClip {
        sample_rate: SAMPLE_RATE,
        samples: (0..32_000).map(|i| (i / 16) as i16).collect(),
    };
    let mut microphone = SimMicrophone::from_clip(&clip)
        .start_delay(Duration::from_millis(250))
        .realtime(true);
    let called = Instant::now();
    let recording = microphone.record_timed(4_000, LONG).expect("records");
    let late = recording.first_sample_at - called;
    assert!(
        (Duration::from_millis(250)..Duration::from_millis(260)).contains(&late),
        "{late:?}"
    );
    assert_eq!(
        recording.clip.samples[0], 250,
        "the first 250 ms (4000 samples) were missed"
    );
    assert_eq!(recording.clip.samples, clip.samples[4_000..8_000]);
    assert!(
        called.elapsed() >= Duration::from_millis(500),
        "250 ms late + 250 ms long"
    );
    let error = microphone
        .record_timed(16_000, Duration::from_millis(1_100))
        .expect_err("1.25 s does not fit in 1.1 s");
    assert_eq!(error.kind(), DeviceErrorKind::Timeout);
}
