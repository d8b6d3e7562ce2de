//! The ID-photo-versus-clip decision on clips built from the dev set: the chip-like ID photo
//! from one photo of a person, camera frames (640×480, several sizes and positions, some
//! mirrored) from that person's other photos, or from someone else's.

use image::{Rgb, RgbImage};
use zk_domain::{Decision, MatchPolicy, ReasonCode};
use zk_vision::{FaceTemplate, DEFAULT_PASS_AT_MOST, DEFAULT_REVIEW_AT_MOST};

use crate::support;

fn policy() -> MatchPolicy {
    MatchPolicy {
        pass_at_most: DEFAULT_PASS_AT_MOST,
        review_at_most: DEFAULT_REVIEW_AT_MOST,
        min_frames: 3,
        model_version: "test-policy".into(),
    }
}

/// The ID template from the person's first photo and a clip from their other photos.
fn person(name: &str) -> (FaceTemplate, Vec<RgbImage>) {
    let people = support::people();
    let photos = &people[name];
    let images = support::images();
    let id = support::verifier()
        .id_template(&support::chip_photo(&images[&photos[0]]))
        .unwrap();
    let sources: Vec<&RgbImage> = photos[1..].iter().map(|photo| &images[photo]).collect();
    (id, support::clip(&sources))
}

fn decide(id: &FaceTemplate, clip: &[RgbImage]) -> zk_vision::ClipReport {
    let frames: Vec<&RgbImage> = clip.iter().collect();
    support::verifier()
        .verify_clip(id, &frames, &policy())
        .unwrap()
}

#[test]
fn genuine_clips_pass_and_impostor_clips_fail() {
    let names: Vec<String> = support::people().keys().cloned().collect();
    let clips: Vec<(FaceTemplate, Vec<RgbImage>)> = names.iter().map(|name| person(name)).collect();
    let mut genuine = Vec::new();
    let mut impostor = Vec::new();
    for (index, name) in names.iter().enumerate() {
        let (id, clip) = &clips[index];
        let report = decide(id, clip);
        println!(
            "genuine  {name:16} {:?} median {:.3} frames {:?} distances {:?}",
            report.verdict.decision,
            report.verdict.scores[0].value,
            report.compared_frames,
            report.distances
        );
        assert!(
            report.counts.one_face * 2 >= report.counts.scanned,
            "{name}: {:?}",
            report.counts
        );
        genuine.push((name.clone(), report.verdict.decision));
        // Everyone's ID photo against the next person's clip.
        let other = (index + 1) % names.len();
        let report = decide(id, &clips[other].1);
        println!(
            "impostor {name:16} vs {:16} {:?} median {:.3}",
            names[other], report.verdict.decision, report.verdict.scores[0].value
        );
        impostor.push((
            format!("{name} vs {}", names[other]),
            report.verdict.decision,
        ));
    }
    let passed = genuine.iter().filter(|(_, d)| *d == Decision::Pass).count();
    let failed: Vec<_> = genuine
        .iter()
        .filter(|(_, d)| matches!(d, Decision::Fail(_)))
        .collect();
    let impostor_passed: Vec<_> = impostor
        .iter()
        .filter(|(_, d)| *d == Decision::Pass)
        .collect();
    let impostor_failed = impostor
        .iter()
        .filter(|(_, d)| *d == Decision::Fail(ReasonCode::FaceMismatch))
        .count();
    println!(
        "genuine: {passed}/{} pass, {} fail; impostor: {impostor_failed}/{} fail, {} pass",
        genuine.len(),
        failed.len(),
        impostor.len(),
        impostor_passed.len()
    );
    // No impostor passes; at most one in ten goes to staff review instead of failing (on this
    // set: AsianCeleb_1's ID photo against AsianCeleb_8's clip, median 0.51).
    assert!(impostor_passed.is_empty(), "{impostor_passed:?}");
    assert!(impostor_failed * 10 >= impostor.len() * 9, "{impostor:?}");
    // Genuine clips: at least half pass outright (11 of 18 here), the rest go to review; at most
    // one fails (none here; the closest call is Alex_Lacamoire at 0.54, whose ID photo is made
    // from the RGBA portrait).
    assert!(passed * 2 >= genuine.len(), "{genuine:?}");
    assert!(failed.len() <= 1, "{failed:?}");
}

#[test]
fn the_best_frames_are_compared() {
    let (id, clip) = person("Rose_Leslie");
    let report = decide(&id, &clip);
    assert_eq!(report.verdict.decision, Decision::Pass);
    assert_eq!(report.counts.scanned, 3);
    assert_eq!(report.compared_frames.len(), 3);
    assert_eq!(report.distances.len(), 3);
    assert!(report.distances.iter().all(|d| *d < DEFAULT_REVIEW_AT_MOST));
    assert_eq!(
        report.verdict.model_version,
        support::verifier().model_version()
    );

    // A long clip: only `scan_frames` are scanned, the `best_frames` best compared.
    let long: Vec<RgbImage> = clip.iter().cycle().take(30).cloned().collect();
    let report = decide(&id, &long);
    let config = support::verifier().config();
    assert_eq!(report.counts.scanned, config.scan_frames);
    assert_eq!(report.compared_frames.len(), config.best_frames);
    assert_eq!(report.verdict.decision, Decision::Pass);
}

#[test]
fn one_bad_frame_does_not_decide() {
    // Five frames, all compared.
    let (id, mut clip) = person("AsianCeleb_8");
    clip.truncate(5);
    assert_eq!(decide(&id, &clip).verdict.decision, Decision::Pass);
    // Someone else steps in for one frame: that distance is far off, the median still passes.
    let stranger = &support::images()["Kit_Harington/3.jpg"];
    clip[0] = support::camera_frame(stranger, 200.0, (0.0, 0.0), false);
    let report = decide(&id, &clip);
    assert_eq!(report.compared_frames.len(), 5);
    assert_eq!(
        report.verdict.decision,
        Decision::Pass,
        "{:?}",
        report.distances
    );
    assert!(report.distances.iter().any(|d| *d > DEFAULT_REVIEW_AT_MOST));
    // The other way round: the stranger's ID photo passes on one frame of theirs, never more.
    let stranger_id = support::verifier()
        .id_template(&support::chip_photo(stranger))
        .unwrap();
    let report = decide(&stranger_id, &clip);
    assert_eq!(
        report.verdict.decision,
        Decision::Fail(ReasonCode::FaceMismatch),
        "{:?}",
        report.distances
    );
}

#[test]
fn clips_without_one_usable_face_fail_with_the_reason() {
    let (id, clip) = person("Kunal_Nayyar");
    let check = |frames: Vec<RgbImage>, expected: ReasonCode| {
        let report = decide(&id, &frames);
        assert_eq!(
            report.verdict.decision,
            Decision::Fail(expected),
            "{:?}",
            report.counts
        );
        report
    };
    // Nothing recorded.
    let report = check(Vec::new(), ReasonCode::NoFace);
    assert_eq!(report.counts.scanned, 0);
    // An empty desk.
    let empty = RgbImage::from_pixel(640, 480, Rgb([118, 120, 124]));
    let report = check(vec![empty; 8], ReasonCode::NoFace);
    assert_eq!(report.counts.no_face, 6);
    // Two people in every frame.
    let other = &support::images()["Simon_Helberg/1.png"];
    let pairs: Vec<RgbImage> = clip
        .iter()
        .map(|frame| {
            let mut both = frame.clone();
            let second = support::camera_frame(other, 150.0, (0.0, 0.0), false);
            let right_half = image::imageops::crop_imm(&second, 200, 0, 240, 480).to_image();
            image::imageops::replace(&mut both, &right_half, 430, 0);
            both
        })
        .collect();
    let faces = support::verifier().detector().detect(&pairs[0]).unwrap();
    assert_eq!(faces.len(), 2, "{faces:?}");
    check(pairs, ReasonCode::MultipleFaces);
    // The candidate far from the camera: faces of about 88 px, below the 96 px minimum.
    let images = support::images();
    let far: Vec<RgbImage> = [
        "Kunal_Nayyar/2.png",
        "Kunal_Nayyar/3.png",
        "Kunal_Nayyar/4.png",
    ]
    .iter()
    .map(|name| support::camera_frame(&images[*name], 88.0, (0.0, 0.0), false))
    .collect();
    check(far, ReasonCode::HeadSize);
    // Frames too small to search are counted as unusable, not errors.
    let report = check(vec![RgbImage::new(10, 10); 4], ReasonCode::NoFace);
    assert_eq!(report.counts.unusable, 4);
}
