use super::*;
use crate::error::DeviceErrorKind;

/// Writes interleaved samples as a WAV file with the given format.
pub(crate) fn wav_bytes<S: hound::Sample + Copy>(spec: hound::WavSpec, samples: &[S]) -> Vec<u8> {
    let mut cursor = Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut cursor, spec).expect("a WAV writer");
    for sample in samples {
        writer.write_sample(*sample).expect("write a sample");
    }
    writer.finalize().expect("finalize");
    cursor.into_inner()
}

fn spec(channels: u16, sample_rate: u32, bits: u16, format: hound::SampleFormat) -> hound::WavSpec {
    hound::WavSpec {
        channels,
        sample_rate,
        bits_per_sample: bits,
        sample_format: format,
    }
}

#[test]
fn wav_round_trip_is_exact_16k_mono_16_bit() {
    let clip = AudioClip {
        sample_rate: SAMPLE_RATE,
        samples: vec![0, 1, -1, i16::MAX, i16::MIN, 1234, -4321],
    };
    let bytes = clip.to_wav_bytes().expect("encode");
    assert_eq!(&bytes[..4], b"RIFF");
    assert_eq!(&bytes[8..12], b"WAVE");
    let reader = hound::WavReader::new(Cursor::new(&bytes)).expect("hound reads it");
    assert_eq!(reader.spec(), spec(1, 16_000, 16, hound::SampleFormat::Int));
    assert_eq!(AudioClip::from_wav_bytes(&bytes).expect("decode"), clip);

    let empty = AudioClip {
        sample_rate: 8_000,
        samples: Vec::new(),
    };
    assert_eq!(
        AudioClip::from_wav_bytes(&empty.to_wav_bytes().expect("encode")).expect("decode"),
        empty
    );
}

#[test]
fn a_clip_without_a_rate_cannot_be_written() {
    let error = AudioClip {
        sample_rate: 0,
        samples: vec![1],
    }
    .to_wav_bytes()
    .expect_err("0 Hz");
    assert_eq!(error.kind(), DeviceErrorKind::Unsupported);
}

#[test]
fn garbage_is_corrupt_data_not_a_panic() {
    for bytes in [
        &b""[..],
        b"RIFF",
        b"RIFF\x24\x00\x00\x00WAVEfmt ",
        &[0xFF; 64],
    ] {
        let error = AudioClip::from_wav_bytes(bytes).expect_err("garbage");
        assert_eq!(error.kind(), DeviceErrorKind::CorruptData, "{error}");
        assert!(
            error.to_string().contains("not a readable WAV file"),
            "{error}"
        );
    }
    let mut truncated = AudioClip {
        sample_rate: 16_000,
        samples: vec![7; 100],
    }
    .to_wav_bytes()
    .expect("encode");
    truncated.truncate(60);
    let clip = AudioClip::from_wav_bytes(&truncated);
    assert!(
        clip.is_err() || clip.is_ok_and(|clip| clip.samples.len() < 100),
        "a truncated file never panics"
    );
}

#[test]
fn other_sample_formats_are_scaled_to_16_bit() {
    let int8 = wav_bytes(
        spec(1, 8_000, 8, hound::SampleFormat::Int),
        &[0i8, 64, -128, 127],
    );
    assert_eq!(
        AudioClip::from_wav_bytes(&int8).expect("8-bit").samples,
        [0, 16_384, -32_768, 32_512]
    );
    let int24 = wav_bytes(
        spec(1, 8_000, 24, hound::SampleFormat::Int),
        &[0i32, 256, -8_388_608, 8_388_607],
    );
    assert_eq!(
        AudioClip::from_wav_bytes(&int24).expect("24-bit").samples,
        [0, 1, -32_768, 32_767]
    );
    let float = wav_bytes(
        spec(1, 8_000, 32, hound::SampleFormat::Float),
        &[0.0f32, 0.5, -1.0, 2.0],
    );
    assert_eq!(
        AudioClip::from_wav_bytes(&float).expect("float").samples,
        [0, 16_384, -32_767, 32_767]
    );
}

#[test]
fn channels_are_mixed_down_to_mono() {
    let stereo = wav_bytes(
        spec(2, 44_100, 16, hound::SampleFormat::Int),
        &[1000i16, 3000, -200, -400, i16::MAX, i16::MAX],
    );
    let clip = AudioClip::from_wav_bytes(&stereo).expect("stereo");
    assert_eq!(clip.sample_rate, 44_100, "the rate is kept");
    assert_eq!(clip.samples, [2000, -300, i16::MAX]);
}

#[test]
fn resampling_changes_length_by_the_rate_ratio_and_interpolates() {
    let second = AudioClip {
        sample_rate: 44_100,
        samples: vec![100; 44_100],
    };
    let resampled = second.resampled(16_000);
    assert_eq!(resampled.sample_rate, 16_000);
    assert_eq!(resampled.samples.len(), 16_000);
    assert!(resampled.samples.iter().all(|sample| *sample == 100));

    let ramp = AudioClip {
        sample_rate: 8_000,
        samples: (0..100).map(|i| i * 10).collect(),
    };
    let up = ramp.resampled(16_000);
    assert_eq!(up.samples.len(), 200);
    assert_eq!(&up.samples[..6], [0, 5, 10, 15, 20, 25]);
    assert_eq!(
        *up.samples.last().expect("samples"),
        990,
        "the end holds the last sample"
    );

    let down = ramp.resampled(4_000);
    assert_eq!(down.samples.len(), 50);
    assert_eq!(&down.samples[..3], [0, 20, 40]);

    assert_eq!(ramp.resampled(8_000), ramp);
    assert!(ramp.resampled(0).samples.is_empty());
    assert!(AudioClip {
        sample_rate: 0,
        samples: vec![1, 2]
    }
    .resampled(16_000)
    .samples
    .is_empty());
}

#[test]
fn debug_shows_length_and_duration_only() {
    let clip = AudioClip {
        sample_rate: 16_000,
        samples: vec![12_345; 24_000],
    };
    let debug = format!("{clip:?}");
    assert_eq!(debug, "AudioClip(24000 samples at 16000 Hz, 1500 ms)");
    assert!(!debug.contains("12345"));
    assert_eq!(clip.duration(), Duration::from_millis(1500));
    assert_eq!(AudioClip::default().duration(), Duration::ZERO);
}
