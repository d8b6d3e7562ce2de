#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use zk_domain::{Decision, MatchPolicy, ReasonCode};

use super::*;

fn face(width: f32) -> FaceBox {
    FaceBox {
        x: 10.0,
        y: 10.0,
        width,
        height: width,
        score: 10.0,
    }
}

/// Landmarks of a face with eyes `eye_distance` apart and the nose shifted sideways by `shift`
/// eye distances.
fn landmarks(eye_distance: f32, shift: f32) -> Landmarks {
    let half = eye_distance / 2.0;
    Landmarks {
        points: [
            (100.0 - half - 8.0, 100.0),
            (100.0 - half + 8.0, 100.0),
            (100.0 + half + 8.0, 100.0),
            (100.0 + half - 8.0, 100.0),
            (100.0 + shift * eye_distance, 100.0 + eye_distance * 0.8),
        ],
    }
}

fn policy() -> MatchPolicy {
    MatchPolicy {
        pass_at_most: 0.45,
        review_at_most: 0.55,
        min_frames: 3,
        model_version: "test-policy".into(),
    }
}

#[test]
fn faces_are_classified_by_usable_size() {
    assert_eq!(classify_faces(&[], 60.0), FrameFaces::NoFace);
    assert_eq!(
        classify_faces(&[face(100.0)], 60.0),
        FrameFaces::One(face(100.0))
    );
    // A far-away face next to the candidate's is background.
    assert_eq!(
        classify_faces(&[face(100.0), face(30.0)], 60.0),
        FrameFaces::One(face(100.0))
    );
    assert_eq!(
        classify_faces(&[face(100.0), face(70.0), face(61.0)], 60.0),
        FrameFaces::Several { count: 3 }
    );
    assert_eq!(
        classify_faces(&[face(40.0), face(50.0)], 60.0),
        FrameFaces::TooSmall { width_px: 50.0 }
    );
}

#[test]
fn single_face_errors_are_typed() {
    assert_eq!(FrameFaces::One(face(80.0)).single(60.0), Ok(face(80.0)));
    assert_eq!(FrameFaces::NoFace.single(60.0), Err(VisionError::NoFace));
    assert_eq!(
        FrameFaces::Several { count: 2 }.single(60.0),
        Err(VisionError::SeveralFaces { count: 2 })
    );
    let too_small = FrameFaces::TooSmall { width_px: 41.4 }.single(60.0);
    assert_eq!(
        too_small,
        Err(VisionError::FaceTooSmall {
            width_px: 41,
            min_px: 60
        })
    );
    let message = too_small.unwrap_err().to_string();
    assert!(
        message.contains("41 px") && message.contains("move closer"),
        "{message}"
    );
}

#[test]
fn frames_are_sampled_evenly() {
    assert_eq!(sample_evenly(0, 6), Vec::<usize>::new());
    assert_eq!(sample_evenly(10, 0), Vec::<usize>::new());
    assert_eq!(sample_evenly(4, 6), vec![0, 1, 2, 3]);
    assert_eq!(sample_evenly(30, 1), vec![15]);
    assert_eq!(sample_evenly(30, 2), vec![0, 29]);
    assert_eq!(sample_evenly(30, 6), vec![0, 6, 12, 17, 23, 29]);
    assert_eq!(sample_evenly(7, 6), vec![0, 1, 2, 4, 5, 6]);
    for frames in 1..60 {
        for count in 1..12 {
            let sample = sample_evenly(frames, count);
            assert_eq!(sample.len(), count.min(frames), "{frames} {count}");
            assert!(sample.windows(2).all(|pair| pair[0] < pair[1]));
            assert!(sample.iter().all(|index| *index < frames));
        }
    }
}

#[test]
fn frontal_faces_rank_first() {
    assert!((landmarks(50.0, 0.0).yaw_ratio()).abs() < 1e-6);
    assert!((landmarks(50.0, 0.0).frontalness() - 1.0).abs() < 1e-6);
    assert!((landmarks(50.0, 0.25).frontalness() - 0.5).abs() < 1e-5);
    assert_eq!(landmarks(50.0, -0.7).frontalness(), 0.0);
    let candidate = |frame_index, eye_distance, shift| FrameCandidate {
        frame_index,
        face: face(eye_distance * 2.5),
        landmarks: landmarks(eye_distance, shift),
    };
    let candidates = [
        candidate(0, 50.0, 0.3),  // turned away
        candidate(1, 50.0, 0.0),  // frontal, full detail
        candidate(2, 20.0, 0.0),  // frontal but small
        candidate(3, 80.0, 0.05), // big and nearly frontal
        candidate(4, 45.0, 0.0),  // frontal, full detail, later than 1
    ];
    assert!((frame_quality(&candidates[2]) - 0.5).abs() < 1e-6);
    assert_eq!(select_best(&candidates, 3), vec![1, 4, 3]);
    assert_eq!(select_best(&candidates, 10), vec![1, 4, 3, 2, 0]);
    assert_eq!(select_best(&candidates, 0), Vec::<usize>::new());
}

#[test]
fn the_decision_is_on_the_median_of_several_frames() {
    let counts = FrameCounts {
        scanned: 6,
        one_face: 5,
        no_face: 1,
        ..FrameCounts::default()
    };
    let check = |distances: &[f64], expected: Decision| {
        let verdict = decide_identity(&policy(), distances, &counts, "vision-v1");
        assert_eq!(verdict.decision, expected, "{distances:?}");
        assert_eq!(verdict.model_version, "vision-v1");
    };
    check(&[0.30, 0.35, 0.40, 0.42, 0.60], Decision::Pass);
    check(
        &[0.50, 0.52, 0.40, 0.30, 0.60],
        Decision::Review(ReasonCode::FaceUncertain),
    );
    check(
        &[0.70, 0.80, 0.30, 0.75, 0.20],
        Decision::Fail(ReasonCode::FaceMismatch),
    );
    // One lucky frame never passes an impostor; one bad frame never fails a candidate.
    check(
        &[0.10, 0.80, 0.90],
        Decision::Fail(ReasonCode::FaceMismatch),
    );
    check(&[0.90, 0.30, 0.35], Decision::Pass);
    let verdict = decide_identity(&policy(), &[0.4, 0.4, 0.4], &counts, "vision-v1");
    let names: Vec<&str> = verdict
        .scores
        .iter()
        .map(|score| score.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "face_distance_median",
            "face_distance_review",
            "usable_frames",
            "frames_scanned",
            "frames_several_faces"
        ]
    );
}

#[test]
fn too_few_frames_fail_with_the_frames_main_problem() {
    let check = |counts: FrameCounts, expected: ReasonCode| {
        let verdict = decide_identity(&policy(), &[0.3], &counts, "v");
        assert_eq!(verdict.decision, Decision::Fail(expected), "{counts:?}");
    };
    let base = FrameCounts {
        scanned: 6,
        one_face: 1,
        ..FrameCounts::default()
    };
    check(
        FrameCounts {
            several_faces: 4,
            no_face: 1,
            ..base
        },
        ReasonCode::MultipleFaces,
    );
    check(
        FrameCounts {
            face_too_small: 3,
            no_face: 2,
            ..base
        },
        ReasonCode::HeadSize,
    );
    check(
        FrameCounts {
            no_face: 3,
            unusable: 2,
            ..base
        },
        ReasonCode::NoFace,
    );
    check(FrameCounts::default(), ReasonCode::NoFace);
}

#[test]
fn counts_track_frames() {
    let mut counts = FrameCounts::default();
    assert_eq!(counts.one_face_fraction(), 0.0);
    counts.add(&FrameFaces::One(face(90.0)));
    counts.add(&FrameFaces::One(face(90.0)));
    counts.add(&FrameFaces::Several { count: 2 });
    counts.add(&FrameFaces::NoFace);
    counts.add(&FrameFaces::TooSmall { width_px: 20.0 });
    assert_eq!(
        counts,
        FrameCounts {
            scanned: 5,
            one_face: 2,
            no_face: 1,
            several_faces: 1,
            face_too_small: 1,
            unusable: 0
        }
    );
    assert!((counts.one_face_fraction() - 0.4).abs() < 1e-12);
}
