use std::time::{Duration, Instant};

use image::{Rgb, RgbImage};
use zk_domain::{ArtefactKind, Timestamp};
use zk_drivers::{DeviceErrorKind, SimCamera, SimFault, SimMicrophone};

use super::*;

/// Frames numbered by their red channel, so which frame is which can be read back.
fn numbered(count: u8) -> Vec<RgbImage> {
    (0..count)
        .map(|index| RgbImage::from_pixel(64, 48, Rgb([index * 4, 100, 50])))
        .collect()
}

fn tone(samples: usize) -> AudioClip {
    AudioClip {
        sample_rate: SAMPLE_RATE,
        samples: (0..samples)
            .map(|i| ((i as f64 * 0.05).sin() * 8_000.0) as i16)
            .collect(),
    }
}

fn settings(millis: u64, fps: f32) -> RecordSettings {
    RecordSettings::new(Duration::from_millis(millis), fps)
}

#[test]
fn camera_and_microphone_record_at_once_on_one_clock() {
    let mut camera = SimCamera::from_images(numbered(40), 20.0)
        .unwrap()
        .realtime(true);
    let mut microphone = SimMicrophone::from_clip(&tone(32_000)).realtime(true);
    let started = Instant::now();
    let clip = record(&mut camera, &mut microphone, &settings(1_500, 10.0)).unwrap();
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(2_200),
        "both devices ran at the same time (one after the other: 3 s): {took:?}"
    );
    assert_eq!(clip.audio.samples.len(), 24_000);
    assert!(
        (-20..=0).contains(&clip.shown_at_ms),
        "the microphone started with the recording: {}",
        clip.shown_at_ms
    );
    // Every 2nd frame of the 20 fps camera: about 10 fps over the 1.5 s.
    assert!(
        (15..=18).contains(&clip.frames.len()),
        "{} frames",
        clip.frames.len()
    );
    assert_eq!(clip.frames.len(), clip.frame_times_ms.len());
    assert_eq!(clip.frames.len(), clip.jpegs.len());
    assert!(
        clip.frame_times_ms[0].abs() <= 20,
        "{:?}",
        clip.frame_times_ms
    );
    // 100 ms apart; a frame the (loaded) machine was late for is skipped, as by a real camera.
    let gaps: Vec<i64> = clip
        .frame_times_ms
        .windows(2)
        .map(|pair| pair[1] - pair[0])
        .collect();
    let near = |gap: i64, target: i64| (gap - target).abs() <= 2;
    assert!(
        gaps.iter()
            .all(|gap| [50, 100, 150].iter().any(|target| near(*gap, *target))),
        "{:?}",
        clip.frame_times_ms
    );
    assert!(
        gaps.iter().filter(|gap| near(**gap, 100)).count() * 10 >= gaps.len() * 7,
        "{gaps:?}"
    );
    let last = clip.frame_times_ms[clip.frame_times_ms.len() - 1];
    assert!(last >= 1_400, "frames cover the audio: {last}");
    // Which camera frames were kept: every 2nd (the red channel numbers them; the camera's
    // script moves on with time, so the number is the frame time in 50 ms steps).
    for (frame, time) in clip.frames.iter().zip(&clip.frame_times_ms) {
        let number = i64::from(frame.image.get_pixel(0, 0).0[0] / 4);
        assert!(
            (number * 50 - time).abs() <= 20,
            "frame {number} at {time} ms"
        );
    }
}

#[test]
fn a_late_microphone_is_measured_and_frames_go_on_until_its_audio_ends() {
    let mut camera = SimCamera::from_images(numbered(40), 10.0)
        .unwrap()
        .realtime(true);
    let mut microphone = SimMicrophone::from_clip(&tone(40_000))
        .realtime(true)
        .start_delay(Duration::from_millis(300));
    let clip = record(&mut camera, &mut microphone, &settings(1_000, 10.0)).unwrap();
    assert!(
        (-330..=-290).contains(&clip.shown_at_ms),
        "the digits were shown 300 ms before the first sample: {}",
        clip.shown_at_ms
    );
    assert!((-330..=-280).contains(&clip.frame_times_ms[0]));
    let last = clip.frame_times_ms[clip.frame_times_ms.len() - 1];
    assert!(
        (950..=1_150).contains(&last),
        "frames until the audio's end: {last}"
    );
    assert!(clip.frames.len() >= 13, "{}", clip.frames.len());
}

#[test]
fn simulators_that_do_not_sleep_give_the_same_timing_in_virtual_time() {
    let mut camera = SimCamera::from_images(numbered(40), 10.0).unwrap();
    let mut microphone = SimMicrophone::from_clip(&tone(40_000));
    let started = Instant::now();
    let clip = record(&mut camera, &mut microphone, &settings(2_000, 10.0)).unwrap();
    assert!(started.elapsed() < Duration::from_millis(1_500));
    assert_eq!(clip.frames.len(), 21, "0 ms to 2000 ms");
    for (index, time) in clip.frame_times_ms.iter().enumerate() {
        assert!(
            (time - index as i64 * 100).abs() <= 20,
            "{:?}",
            clip.frame_times_ms
        );
    }
}

#[test]
fn a_device_failing_fails_the_recording_naming_it() {
    let camera = SimCamera::from_images(numbered(10), 10.0).unwrap();
    camera.faults().push(SimFault::Unplug);
    let mut camera = camera;
    let mut microphone = SimMicrophone::from_clip(&tone(16_000));
    let failure = record(&mut camera, &mut microphone, &settings(1_000, 10.0)).unwrap_err();
    assert_eq!(failure.device, "camera");
    assert_eq!(failure.error.kind(), DeviceErrorKind::Disconnected);

    let mut camera = SimCamera::from_images(numbered(10), 10.0)
        .unwrap()
        .realtime(true);
    let microphone = SimMicrophone::from_clip(&tone(16_000));
    microphone.faults().push(SimFault::Busy);
    let mut microphone = microphone;
    let started = Instant::now();
    let failure = record(&mut camera, &mut microphone, &settings(2_000, 10.0)).unwrap_err();
    assert_eq!(failure.device, "microphone");
    assert_eq!(failure.error.kind(), DeviceErrorKind::Busy);
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "the camera stops when the microphone failed"
    );
}

#[test]
fn every_nth_frame_of_a_faster_camera() {
    assert_eq!(keep_every(30.0, 10.0), 3);
    assert_eq!(keep_every(25.0, 10.0), 3);
    assert_eq!(keep_every(15.0, 10.0), 2);
    assert_eq!(keep_every(10.0, 10.0), 1);
    assert_eq!(keep_every(5.0, 10.0), 1);
    assert_eq!(keep_every(f32::NAN, 10.0), 1);
    assert_eq!(keep_every(30.0, 0.0), 1);
}

#[test]
fn signed_milliseconds_either_way() {
    let origin = Instant::now();
    assert_eq!(signed_ms(origin + Duration::from_millis(250), origin), 250);
    assert_eq!(signed_ms(origin, origin + Duration::from_millis(250)), -250);
    assert_eq!(signed_ms(origin, origin), 0);
}

#[test]
fn the_artefact_holds_the_mjpeg_frames_their_times_and_the_wav() {
    let mut camera = SimCamera::from_images(numbered(12), 10.0).unwrap();
    let mut microphone =
        SimMicrophone::from_clip(&tone(16_000)).start_delay(Duration::from_millis(200));
    let clip = record(&mut camera, &mut microphone, &settings(1_000, 10.0)).unwrap();
    let bytes = clip.to_artefact().unwrap();
    assert!(bytes.starts_with(b"ZKCLIP01"));

    // Encrypted in the store as a liveness clip, and read back.
    let mut store = zk_store::Store::open_in_memory().unwrap();
    let session = store.begin_session(Timestamp::from_millis(1_000)).unwrap();
    let id = store
        .put_artefact(
            session,
            ArtefactKind::LivenessClip,
            &bytes,
            Timestamp::from_millis(2_000),
        )
        .unwrap();
    let stored = store.get_artefact(&id).unwrap();
    assert_eq!(stored.kind, ArtefactKind::LivenessClip);
    let read = ClipArtefact::parse(&stored.bytes).unwrap();

    assert_eq!(read.shown_at_ms, clip.shown_at_ms);
    assert!(
        (-220..=-180).contains(&read.shown_at_ms),
        "{}",
        read.shown_at_ms
    );
    assert_eq!((read.width, read.height), (64, 48));
    let times: Vec<i64> = read.frames.iter().map(|(time, _)| *time).collect();
    assert_eq!(times, clip.frame_times_ms);
    // The MJPEG stream is the frames' JPEGs back to back; each decodes to its frame.
    let joined: Vec<u8> = read
        .frames
        .iter()
        .flat_map(|(_, jpeg)| jpeg.clone())
        .collect();
    assert_eq!(read.mjpeg, joined);
    for ((_, jpeg), frame) in read.frames.iter().zip(&clip.frames) {
        let decoded =
            zk_drivers::decode_frame(zk_drivers::PixelFormat::Mjpeg, 64, 48, jpeg).unwrap();
        let (a, b) = (decoded.get_pixel(10, 10).0, frame.image.get_pixel(10, 10).0);
        assert!(
            a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 6),
            "{a:?} vs {b:?}"
        );
    }
    let audio = AudioClip::from_wav_bytes(&read.wav).unwrap();
    assert_eq!(audio, clip.audio);

    // Damaged: a clear error, not a panic.
    for broken in [
        &bytes[..6],
        &bytes[..40],
        &bytes[..bytes.len() - 10],
        b"RIFF....".as_slice(),
    ] {
        assert!(ClipArtefact::parse(broken).is_err());
    }
}

#[test]
fn a_hand_assembled_clip_is_aligned_on_its_first_frame() {
    let frames: Vec<Frame> = (0..3)
        .map(|index| Frame::now(RgbImage::new(8, 8), 500 + index * 100))
        .collect();
    let clip = RecordedClip::aligned(frames, tone(100));
    assert_eq!(clip.frame_times_ms, [0, 100, 200]);
    assert_eq!(clip.shown_at_ms, 0);
    let challenge = Challenge::from_digits(&[1, 2, 3, 4], Timestamp::from_millis(0)).unwrap();
    let liveness = clip.liveness(&challenge);
    assert_eq!(liveness.frame_times_ms, &[0, 100, 200]);
    assert!(liveness.face_boxes.is_none());
    let read = ClipArtefact::parse(&clip.to_artefact().unwrap()).unwrap();
    assert_eq!(read.frames.len(), 3, "frames encoded when stored");
}
