//! The real face matcher (`VisionFaceMatcher`: rustface + dlib) on real photos from the dev face
//! set: the liveness clip's face half, identity against a chip-like ID photo, the registration
//! photo's identity, and how the speech judge's answer combines with them.
//!
//! Needs the models (`scripts/fetch-models.sh`) and the face set (`ZK_FACES_DIR`, default
//! `../shared/data/faces`); a missing one fails with what to do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, Rgb, RgbImage};
use zk_app::matcher::{
    FaceMatcher, LivenessClip, LivenessJudge, ScriptedLiveness, UnavailableLiveness,
};
use zk_app::{RecordedClip, SimScores, VisionFaceMatcher};
use zk_domain::{Challenge, Decision, MatchPolicy, ReasonCode, Timestamp, Verdict};
use zk_drivers::{AudioClip, Frame};
use zk_vision::synthetic::{self, ID_BLUE};
use zk_vision::{decode_image, FaceVerifier, ModelPaths, VerifierConfig};

fn faces_dir() -> PathBuf {
    let dir = std::env::var_os("ZK_FACES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/faces")
        });
    assert!(
        dir.join("pairs.csv").is_file(),
        "the dev face set is missing: {} has no pairs.csv; point ZK_FACES_DIR at it",
        dir.display()
    );
    dir
}

fn verifier() -> Arc<FaceVerifier> {
    static VERIFIER: OnceLock<Arc<FaceVerifier>> = OnceLock::new();
    VERIFIER
        .get_or_init(|| {
            let paths = ModelPaths::from_env().unwrap_or_else(|error| panic!("{error}"));
            Arc::new(
                FaceVerifier::open(VerifierConfig::default(), &paths).unwrap_or_else(|error| {
                    panic!("cannot load the face models: {error} (run scripts/fetch-models.sh)")
                }),
            )
        })
        .clone()
}

fn photo(name: &str) -> RgbImage {
    let path = faces_dir().join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    decode_image(&bytes).unwrap()
}

fn jpeg(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(Cursor::new(&mut bytes), quality)
        .encode_image(image)
        .unwrap();
    bytes
}

/// A chip-like ID photo (102×126 JPEG, quality 60) of the main face of `name`.
fn id_photo(name: &str) -> Vec<u8> {
    zk_vision::eval::chip_photo(&verifier(), &photo(name)).unwrap()
}

/// 640×480 frames showing `name`'s main face about `face_width` px wide at a few positions, on
/// a grey background, like a candidate moving slightly while reading.
fn frames(name: &str, face_width: f32) -> Vec<Frame> {
    let image = photo(name);
    let face = verifier().detector().detect(&image).unwrap()[0];
    let scale = face_width / face.width;
    let scaled = DynamicImage::ImageRgb8(image.clone())
        .resize_exact(
            (image.width() as f32 * scale) as u32,
            (image.height() as f32 * scale) as u32,
            FilterType::Triangle,
        )
        .into_rgb8();
    let (cx, cy) = face.centre();
    (0..12)
        .map(|index| {
            let mut canvas = RgbImage::from_pixel(640, 480, Rgb([118, 120, 124]));
            let dx = (index % 3) as f32 * 12.0 - 12.0;
            let left = (320.0 + dx - cx * scale) as i64;
            let top = (230.0 - cy * scale) as i64;
            image::imageops::overlay(&mut canvas, &scaled, left, top);
            Frame::now(canvas, index as u64 * 66)
        })
        .collect()
}

/// As [`frames`], the face centred at (`x`, `y`) instead of the middle.
fn frames_at(name: &str, face_width: f32, x: f32, y: f32) -> Vec<Frame> {
    let image = photo(name);
    let face = verifier().detector().detect(&image).unwrap()[0];
    let scale = face_width / face.width;
    let scaled = DynamicImage::ImageRgb8(image.clone())
        .resize_exact(
            (image.width() as f32 * scale) as u32,
            (image.height() as f32 * scale) as u32,
            FilterType::Triangle,
        )
        .into_rgb8();
    let (cx, cy) = face.centre();
    (0..12)
        .map(|index| {
            let mut canvas = RgbImage::from_pixel(640, 480, Rgb([118, 120, 124]));
            let left = (x - cx * scale) as i64;
            let top = (y - cy * scale) as i64;
            image::imageops::overlay(&mut canvas, &scaled, left, top);
            Frame::now(canvas, index as u64 * 66)
        })
        .collect()
}

/// A 640×480 frame of `name` in front of the blue screen, framed as the photo guide asks.
fn portrait(name: &str, background: Rgb<u8>) -> Frame {
    let image = synthetic::portrait(
        &verifier(),
        &photo(name),
        (640, 480),
        synthetic::FRAME,
        background,
    )
    .unwrap();
    Frame::now(image, 0)
}

fn policy() -> MatchPolicy {
    MatchPolicy {
        pass_at_most: zk_vision::DEFAULT_PASS_AT_MOST,
        review_at_most: zk_vision::DEFAULT_REVIEW_AT_MOST,
        min_frames: 3,
        model_version: "test-policy".into(),
    }
}

fn live_scores(lip_sync: f64) -> SimScores {
    SimScores {
        face_distance: 0.0,
        one_face_fraction: 1.0,
        speech_secs: 2.2,
        lip_sync,
        photo_distance: 0.0,
    }
}

fn matcher(liveness: Box<dyn LivenessJudge>) -> VisionFaceMatcher {
    VisionFaceMatcher::new(verifier(), liveness)
}

fn check(matcher: &mut VisionFaceMatcher, frames: &[Frame], id: Option<&[u8]>) -> Verdict {
    let audio = AudioClip {
        sample_rate: 16_000,
        samples: vec![0; 64_000],
    };
    let challenge = Challenge::from_digits(&[3, 1, 4, 1, 5, 9], Timestamp::from_millis(0)).unwrap();
    let recorded = RecordedClip::aligned(frames.to_vec(), audio);
    let clip: LivenessClip<'_> = recorded.liveness(&challenge);
    matcher.check_liveness(&clip, id, &policy()).unwrap()
}

fn score(verdict: &Verdict, name: &str) -> f64 {
    verdict
        .scores
        .iter()
        .find(|score| score.name == name)
        .unwrap_or_else(|| panic!("no {name} score in {verdict:?}"))
        .value
}

#[test]
fn the_same_person_passes_and_another_person_fails() {
    let id = id_photo("Barack_Obama/1.jpg");
    let mut matcher = matcher(Box::new(ScriptedLiveness::with_default(live_scores(0.6))));
    let genuine = check(
        &mut matcher,
        &frames("Barack_Obama/2.jpg", 190.0),
        Some(&id),
    );
    assert_eq!(genuine.decision, Decision::Pass, "{genuine:?}");
    assert_eq!(score(&genuine, "one_face_fraction"), 1.0);
    assert!(score(&genuine, "face_distance_median") <= zk_vision::DEFAULT_PASS_AT_MOST);
    assert!(
        genuine.model_version.contains("resnet"),
        "{}",
        genuine.model_version
    );
    assert!(genuine.model_version.contains("sim-scripted-liveness"));

    let impostor = check(&mut matcher, &frames("Halle_Berry/6.jpg", 190.0), Some(&id));
    assert_eq!(
        impostor.decision,
        Decision::Fail(ReasonCode::FaceMismatch),
        "{impostor:?}"
    );
}

#[test]
fn without_a_speech_judge_a_good_face_match_goes_to_staff() {
    let id = id_photo("Halle_Berry/1.jpg");
    let mut matcher = matcher(Box::new(UnavailableLiveness));
    let verdict = check(&mut matcher, &frames("Halle_Berry/7.jpg", 200.0), Some(&id));
    assert!(
        matches!(
            verdict.decision,
            Decision::Review(ReasonCode::LivenessUnchecked | ReasonCode::FaceUncertain)
        ),
        "{verdict:?}"
    );
    // An impostor still fails: an unavailable speech judge never helps a face mismatch.
    let impostor = check(
        &mut matcher,
        &frames("Barack_Obama/3.jpg", 200.0),
        Some(&id),
    );
    assert_eq!(impostor.decision, Decision::Fail(ReasonCode::FaceMismatch));
}

#[test]
fn low_lip_sync_fails_even_with_a_matching_face() {
    let id = id_photo("Barack_Obama/1.jpg");
    let mut matcher = matcher(Box::new(ScriptedLiveness::with_default(live_scores(0.1))));
    let verdict = check(
        &mut matcher,
        &frames("Barack_Obama/2.jpg", 190.0),
        Some(&id),
    );
    assert_eq!(verdict.decision, Decision::Fail(ReasonCode::LipSyncLow));
    assert_eq!(score(&verdict, "lip_sync"), 0.1);
}

#[test]
fn a_second_face_or_no_face_fails_the_one_face_rule() {
    let id = id_photo("Barack_Obama/1.jpg");
    let mut matcher = matcher(Box::new(ScriptedLiveness::with_default(live_scores(0.6))));

    let mut two = frames("Barack_Obama/2.jpg", 150.0);
    let other = frames("Halle_Berry/6.jpg", 150.0);
    for (frame, intruder) in two.iter_mut().zip(&other).skip(8) {
        // The right half of another person's frame, shifted to the right edge.
        let half = image::imageops::crop_imm(&intruder.image, 220, 0, 200, 480).to_image();
        image::imageops::replace(&mut frame.image, &half, 440, 0);
    }
    let verdict = check(&mut matcher, &two, Some(&id));
    assert_eq!(
        verdict.decision,
        Decision::Fail(ReasonCode::MultipleFaces),
        "{verdict:?}"
    );

    let empty: Vec<Frame> = (0..12)
        .map(|index| {
            Frame::now(
                RgbImage::from_pixel(640, 480, Rgb([40, 90, 200])),
                index * 66,
            )
        })
        .collect();
    let verdict = check(&mut matcher, &empty, Some(&id));
    assert_eq!(verdict.decision, Decision::Fail(ReasonCode::NoFace));
    assert_eq!(score(&verdict, "one_face_fraction"), 0.0);
}

/// The guide box (default: the middle 60 % × 90 % of the frame) and the face-size limits (18–60 %
/// of the frame's width): each failure says what the candidate should do.
#[test]
fn a_face_outside_the_guide_box_too_far_or_too_near_fails_with_what_to_do() {
    let id = id_photo("Barack_Obama/1.jpg");
    let mut matcher = matcher(Box::new(ScriptedLiveness::with_default(live_scores(0.6))));
    let cases = [
        // Sitting off to the side: the face's centre is left of the box (x < 128).
        (
            frames_at("Barack_Obama/2.jpg", 170.0, 95.0, 240.0),
            ReasonCode::FaceOutsideGuide,
        ),
        // Too far back: 90 px of 640.
        (
            frames_at("Barack_Obama/2.jpg", 90.0, 320.0, 240.0),
            ReasonCode::FaceTooFar,
        ),
        // Leaning into the camera: 420 px of 640.
        (
            frames_at("Barack_Obama/2.jpg", 420.0, 320.0, 240.0),
            ReasonCode::FaceTooNear,
        ),
    ];
    for (frames, expected) in cases {
        let verdict = check(&mut matcher, &frames, Some(&id));
        assert_eq!(verdict.decision, Decision::Fail(expected), "{verdict:?}");
        assert_eq!(score(&verdict, "one_face_fraction"), 0.0, "{verdict:?}");
        assert!(!expected.message_en().is_empty() && !expected.message_zh().is_empty());
    }
    // Centred and of a good size: passes.
    let verdict = check(
        &mut matcher,
        &frames_at("Barack_Obama/2.jpg", 170.0, 320.0, 240.0),
        Some(&id),
    );
    assert_eq!(verdict.decision, Decision::Pass, "{verdict:?}");
}

/// Exactly one face in the box in at least 90 % of the scanned frames: one bad frame in ten
/// scanned is tolerated (a blink of motion), two are not.
#[test]
fn one_face_in_the_box_in_nine_tenths_of_the_scanned_frames() {
    let id = id_photo("Barack_Obama/1.jpg");
    let mut matcher = matcher(Box::new(ScriptedLiveness::with_default(live_scores(0.6))));
    matcher.scan_every = 1;
    let good = frames_at("Barack_Obama/2.jpg", 180.0, 320.0, 240.0);
    let away = frames_at("Barack_Obama/2.jpg", 180.0, 100.0, 240.0);
    let mut clip: Vec<Frame> = good.iter().chain(&good).take(20).cloned().collect();
    clip[5] = away[0].clone();
    clip[15] = away[0].clone();
    let verdict = check(&mut matcher, &clip, Some(&id));
    assert_eq!(score(&verdict, "one_face_fraction"), 0.9);
    assert_eq!(verdict.decision, Decision::Pass, "{verdict:?}");
    clip[10] = away[0].clone();
    let verdict = check(&mut matcher, &clip, Some(&id));
    assert_eq!(score(&verdict, "one_face_fraction"), 0.85);
    assert_eq!(
        verdict.decision,
        Decision::Fail(ReasonCode::FaceOutsideGuide),
        "{verdict:?}"
    );
}

/// The identity is decided on the sharpest frames: a clip whose frames are mostly blurred (a
/// candidate moving) still compares its sharp ones, and the blurred ones score lower.
#[test]
fn the_sharpest_in_box_frames_are_compared() {
    let id = id_photo("Barack_Obama/1.jpg");
    let sharp = frames_at("Barack_Obama/2.jpg", 190.0, 320.0, 240.0);
    let face = verifier().detector().detect(&sharp[0].image).unwrap()[0];
    let blurred: Vec<Frame> = sharp
        .iter()
        .map(|frame| {
            Frame::now(
                image::imageops::blur(&frame.image, 3.5),
                frame.captured_at_ms,
            )
        })
        .collect();
    let gray = |frame: &Frame| DynamicImage::ImageRgb8(frame.image.clone()).into_luma8();
    let crisp = zk_app::matcher::guide::face_sharpness(&gray(&sharp[0]), &face);
    let soft = zk_app::matcher::guide::face_sharpness(&gray(&blurred[0]), &face);
    assert!(crisp > 4.0 * soft, "sharp {crisp:.1} vs blurred {soft:.1}");

    // Eight blurred frames and four sharp ones; the verifier compares its best five.
    let mut mixed = blurred.clone();
    for index in [1, 4, 7, 10] {
        mixed[index] = sharp[index].clone();
    }
    let mut matcher = matcher(Box::new(ScriptedLiveness::with_default(live_scores(0.6))));
    matcher.scan_every = 1;
    let verdict = check(&mut matcher, &mixed, Some(&id));
    assert_eq!(verdict.decision, Decision::Pass, "{verdict:?}");
    assert!((score(&verdict, "sharpest_face") - crisp).abs() / crisp < 0.2);
}

#[test]
fn no_usable_id_photo_sends_identity_to_staff_but_still_checks_liveness() {
    let mut matcher = matcher(Box::new(ScriptedLiveness::with_default(live_scores(0.6))));
    let live = frames("Halle_Berry/7.jpg", 190.0);
    let verdict = check(&mut matcher, &live, None);
    assert_eq!(
        verdict.decision,
        Decision::Review(ReasonCode::PhotoUnavailable)
    );

    // A card photo without a face (a blank, say) is not the candidate's fault: staff compare.
    let blank = jpeg(&RgbImage::from_pixel(102, 126, Rgb([250, 250, 250])), 60);
    let verdict = check(&mut matcher, &live, Some(&blank));
    assert_eq!(
        verdict.decision,
        Decision::Review(ReasonCode::PhotoUnavailable)
    );

    // Garbage bytes as well.
    let verdict = check(&mut matcher, &live, Some(b"not an image"));
    assert_eq!(
        verdict.decision,
        Decision::Review(ReasonCode::PhotoUnavailable)
    );
}

#[test]
fn the_registration_photo_is_checked_cropped_and_compared_with_the_id_photo() {
    let id = id_photo("Barack_Obama/1.jpg");
    let mut matcher = matcher(Box::new(UnavailableLiveness));
    let policy = policy();
    let same = portrait("Barack_Obama/4.jpg", ID_BLUE);
    let check = matcher
        .check_photo(&same, Some(&id), true, &policy)
        .unwrap();
    assert!(
        matches!(
            check.verdict.decision,
            Decision::Pass | Decision::Review(ReasonCode::FaceUncertain)
        ),
        "{:?}",
        check.verdict
    );
    assert!(score(&check.verdict, "photo_blue_share") > 0.9);
    assert!(score(&check.verdict, "face_distance_median") <= zk_vision::DEFAULT_REVIEW_AT_MOST);
    let decoded = image::load_from_memory(&check.jpeg).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (480, 640));
    assert!(
        (20 * 1024..=40 * 1024).contains(&check.jpeg.len()),
        "{} bytes",
        check.jpeg.len()
    );

    let other = portrait("Halle_Berry/9.jpg", ID_BLUE);
    let check = matcher
        .check_photo(&other, Some(&id), true, &policy)
        .unwrap();
    assert_eq!(
        check.verdict.decision,
        Decision::Fail(ReasonCode::PhotoFaceMismatch),
        "{:?}",
        check.verdict
    );
    // Declined face processing: no identity comparison at this step.
    let check = matcher
        .check_photo(&other, Some(&id), false, &policy)
        .unwrap();
    assert_eq!(
        check.verdict.decision,
        Decision::Pass,
        "{:?}",
        check.verdict
    );

    // The spec's checks come first: a grey wall is not the blue screen, whoever sits there.
    let grey = portrait("Barack_Obama/4.jpg", Rgb([200, 200, 200]));
    let check = matcher
        .check_photo(&grey, Some(&id), true, &policy)
        .unwrap();
    assert_eq!(
        check.verdict.decision,
        Decision::Fail(ReasonCode::BackgroundNotBlue)
    );
    // No one in front of the camera: the candidate is told, and a centre crop is still kept
    // for staff.
    let empty = Frame::now(RgbImage::from_pixel(640, 480, ID_BLUE), 0);
    let check = matcher
        .check_photo(&empty, Some(&id), true, &policy)
        .unwrap();
    assert_eq!(check.verdict.decision, Decision::Fail(ReasonCode::NoFace));
    assert!(!check.jpeg.is_empty());
}
