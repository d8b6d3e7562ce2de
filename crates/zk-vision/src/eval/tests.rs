#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

#[test]
fn pairs_files_parse_with_any_column_order_and_spelling_of_same() {
    let pairs =
        read_pairs("same,left,right\n1,a/1.jpg,a/2.jpg\n\nfalse, a/1.jpg , b/1.jpg\n").unwrap();
    assert_eq!(
        pairs,
        vec![
            Pair {
                left: "a/1.jpg".into(),
                right: "a/2.jpg".into(),
                same_person: true
            },
            Pair {
                left: "a/1.jpg".into(),
                right: "b/1.jpg".into(),
                same_person: false
            },
        ]
    );
}

#[test]
fn malformed_pairs_files_name_the_problem() {
    let message = |text: &str| read_pairs(text).unwrap_err().to_string();
    assert!(message("a,b,c\n1,2,3\n").contains("`left`"));
    assert!(message("left,right,same\na.jpg,b.jpg,maybe\n").contains("line 2"));
    assert!(message("left,right,same\na.jpg,,1\n").contains("both image paths"));
    assert!(message("left,right,same\n").contains("no pairs"));
}

fn scored(rows: &[(f64, bool)]) -> Scored {
    Scored {
        pairs: rows
            .iter()
            .enumerate()
            .map(|(index, (distance, same))| PairScore {
                pair: Pair {
                    left: format!("l{index}"),
                    right: format!("r{index}"),
                    same_person: *same,
                },
                distance: (*distance >= 0.0).then_some(*distance),
            })
            .collect(),
        images: BTreeMap::new(),
    }
}

#[test]
fn pairs_without_a_face_count_as_rejected() {
    // Four genuine pairs, one without a face; four impostors.
    let scored = scored(&[
        (0.30, true),
        (0.40, true),
        (0.50, true),
        (-1.0, true),
        (0.70, false),
        (0.80, false),
        (0.90, false),
        (-1.0, false),
    ]);
    let summary = summarise(&scored, 0.45, 0.55).unwrap();
    assert_eq!(summary.unscored_pairs, 2);
    assert_eq!(summary.at_pass.true_accepts, 2);
    assert_eq!(summary.at_review.true_accepts, 3);
    assert_eq!(summary.at_review.tar, 0.75);
    assert_eq!(summary.at_review.false_accepts, 0);
    // No impostor below 0.7: the FAR 0.1 % threshold lies between 0.5 and 0.7.
    assert!((summary.at_far_01.threshold - 0.6).abs() < 1e-9);
    assert_eq!(summary.at_far_01.tar, 0.75);
}

#[test]
fn calibration_puts_review_above_pass_and_refuses_meaningless_sets() {
    let mut rows: Vec<(f64, bool)> = (0..50).map(|i| (0.2 + i as f64 * 0.005, true)).collect();
    rows.extend((0..100).map(|i| (0.5 + i as f64 * 0.005, false)));
    let calibration = calibrate_thresholds(&scored(&rows), 0.001, 0.05).unwrap();
    assert!(calibration.pass.threshold < 0.5);
    assert_eq!(calibration.pass.false_accepts, 0);
    assert_eq!(calibration.review.false_accepts, 5);
    assert!(calibration.review.threshold > calibration.pass.threshold);

    assert!(calibrate_thresholds(&scored(&rows), 0.01, 0.001).is_err());
    // Every impostor image without a face: no threshold can be placed from the impostors' side.
    let faceless = scored(&[(0.3, true), (-1.0, false)]);
    assert!(calibrate_thresholds(&faceless, 0.001, 1.0 - 1e-9).is_err());
}

#[test]
fn scores_are_higher_for_more_alike_pairs() {
    let scored = scored(&[(0.2, true), (0.9, false), (-1.0, false)]);
    let scores: Vec<Option<f64>> = scored.pairs.iter().map(PairScore::score).collect();
    assert!(scores[0].unwrap() > scores[1].unwrap());
    assert_eq!(scores[2], None);
}
