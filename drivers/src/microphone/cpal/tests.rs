use super::*;
use crate::error::DeviceErrorKind;

#[test]
fn channels_are_averaged_and_formats_scaled_to_16_bit() {
    assert_eq!(mix_down(&[1000i16]), 1000);
    assert_eq!(mix_down(&[1000i16, 3000]), 2000);
    assert_eq!(mix_down(&[i16::MAX, i16::MAX]), i16::MAX);
    assert_eq!(mix_down(&[0.5f32]), 16_384);
    assert_eq!(mix_down(&[-1.0f32, -1.0]), -32_768);
    assert_eq!(mix_down(&[i32::MAX]), i16::MAX);
    assert_eq!(mix_down(&[32_768u16]), 0);
}

#[test]
fn other_rates_are_converted_to_exactly_the_samples_asked_for() {
    assert_eq!(device_frames_for(16_000, 16_000), 16_000);
    assert_eq!(device_frames_for(16_000, 48_000), 48_001);
    assert_eq!(device_frames_for(16_000, 44_100), 44_101);
    let captured: Vec<i16> = vec![500; device_frames_for(8_000, 48_000)];
    let clip = to_kiosk_clip(captured, 48_000, 8_000);
    assert_eq!((clip.sample_rate, clip.samples.len()), (SAMPLE_RATE, 8_000));
    assert!(clip.samples.iter().all(|sample| *sample == 500));
    let exact = to_kiosk_clip(vec![7; 100], 16_000, 100);
    assert_eq!(exact.samples, vec![7; 100]);
}

#[test]
fn cpal_errors_map_to_what_the_kiosk_can_do() {
    use ::cpal::{Error, ErrorKind};
    for (kind, expected) in [
        (ErrorKind::DeviceNotAvailable, DeviceErrorKind::Disconnected),
        (ErrorKind::HostUnavailable, DeviceErrorKind::Disconnected),
        (ErrorKind::StreamInvalidated, DeviceErrorKind::Disconnected),
        (ErrorKind::DeviceBusy, DeviceErrorKind::Busy),
        (
            ErrorKind::PermissionDenied,
            DeviceErrorKind::PermissionDenied,
        ),
        (ErrorKind::UnsupportedConfig, DeviceErrorKind::Unsupported),
        (ErrorKind::BackendError, DeviceErrorKind::CorruptData),
    ] {
        let error = map_error(Error::from(kind));
        assert_eq!(error.kind(), expected, "{kind:?}");
        assert_eq!(error.device(), Device::Microphone);
    }
}

#[test]
fn too_long_a_recording_is_refused_before_opening_anything() {
    let mut microphone = CpalMicrophone {
        device: Some("no such device".into()),
    };
    let error = microphone
        .record(MAX_RECORD_SAMPLES + 1, Duration::from_secs(1))
        .expect_err("too long");
    assert_eq!(error.kind(), DeviceErrorKind::Unsupported);
    let empty = microphone
        .record(0, Duration::from_secs(1))
        .expect("nothing to record");
    assert!(empty.samples.is_empty());
}

#[test]
fn the_first_sample_is_dated_back_by_the_reported_latency_or_the_buffer() {
    let arrived = Instant::now();
    let by_latency = first_frame_instant(arrived, Duration::from_millis(30), 1_024, 16_000);
    assert_eq!(arrived - by_latency, Duration::from_millis(30));
    let by_buffer = first_frame_instant(arrived, Duration::ZERO, 1_600, 16_000);
    assert_eq!(arrived - by_buffer, Duration::from_millis(100));
    let absurd = first_frame_instant(arrived, Duration::from_secs(30), 480, 48_000);
    assert_eq!(
        arrived - absurd,
        Duration::from_millis(10),
        "an unbelievable latency falls back to the buffer"
    );
}
