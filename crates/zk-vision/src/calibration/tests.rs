#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use super::*;

fn scores(genuine: &[f64], impostors: &[f64]) -> Vec<LabelledDistance> {
    genuine
        .iter()
        .map(|distance| LabelledDistance {
            distance: *distance,
            same_person: true,
        })
        .chain(impostors.iter().map(|distance| LabelledDistance {
            distance: *distance,
            same_person: false,
        }))
        .collect()
}

#[test]
fn rates_count_accepts_at_or_below_the_threshold() {
    let set = scores(&[0.3, 0.4, 0.5, 0.6], &[0.5, 0.7, 0.8, 0.9]);
    let rates = rates_at(&set, 0.5).unwrap();
    assert_eq!((rates.true_accepts, rates.false_accepts), (3, 1));
    assert_eq!((rates.tar, rates.far), (0.75, 0.25));
    assert_eq!((rates.genuine, rates.impostors), (4, 4));
    assert_eq!(rates_at(&set, 0.1).unwrap().tar, 0.0);
    assert_eq!(rates_at(&set, 1.0).unwrap().far, 1.0);
}

#[test]
fn calibrate_puts_the_threshold_in_the_gap() {
    // Separable: every impostor must be rejected at 0 % and 1 % alike (4 impostors).
    let set = scores(&[0.30, 0.42, 0.50], &[0.62, 0.70, 0.90, 1.0]);
    let strict = calibrate(&set, 0.0).unwrap();
    assert!((strict.threshold - 0.56).abs() < 1e-12);
    assert_eq!((strict.tar, strict.far), (1.0, 0.0));
    assert_eq!(calibrate(&set, 0.01).unwrap().threshold, strict.threshold);
    // 25 % of 4 impostors: one may pass; the next (0.70) must not.
    let loose = calibrate(&set, 0.25).unwrap();
    assert!((loose.threshold - 0.66).abs() < 1e-12);
    assert_eq!((loose.false_accepts, loose.far), (1, 0.25));
}

#[test]
fn calibrate_with_overlap_gives_up_genuine_pairs_not_impostors() {
    let impostors: Vec<f64> = (0..100).map(|i| 0.45 + f64::from(i) * 0.005).collect();
    let genuine = [0.30, 0.40, 0.44, 0.46, 0.47, 0.70];
    let set = scores(&genuine, &impostors);
    for (target, expected_false_accepts) in [(0.0, 0), (0.001, 0), (0.01, 1), (0.05, 5)] {
        let rates = calibrate(&set, target).unwrap();
        assert_eq!(
            rates.false_accepts, expected_false_accepts,
            "target {target}"
        );
        assert!(rates.far <= target + 1e-12, "target {target}");
    }
    let strict = calibrate(&set, 0.001).unwrap();
    assert!((strict.threshold - 0.445).abs() < 1e-12);
    assert_eq!(strict.true_accepts, 3);
}

#[test]
fn ties_never_let_more_impostors_through() {
    let set = scores(&[0.5, 0.5], &[0.5, 0.5, 0.9, 0.9]);
    let rates = calibrate(&set, 0.25).unwrap();
    assert_eq!(rates.false_accepts, 0);
    assert_eq!(rates.true_accepts, 0);
}

#[test]
fn equal_error_rate_where_the_curves_cross() {
    let separable = scores(&[0.3, 0.4], &[0.7, 0.8]);
    let eer = equal_error_rate(&separable).unwrap();
    assert_eq!(eer.rate, 0.0);
    assert!(eer.threshold >= 0.4 && eer.threshold < 0.7);
    let overlapping = scores(&[0.1, 0.2, 0.3, 0.6], &[0.5, 0.7, 0.8, 0.9]);
    let eer = equal_error_rate(&overlapping).unwrap();
    assert_eq!(eer.rate, 0.25);
}

#[test]
fn bad_input_is_an_error() {
    assert!(calibrate(&scores(&[0.3], &[]), 0.01).is_err());
    assert!(calibrate(&scores(&[], &[0.3]), 0.01).is_err());
    assert!(calibrate(&scores(&[0.3], &[0.7]), 1.0).is_err());
    assert!(calibrate(&scores(&[0.3], &[0.7]), -0.1).is_err());
    assert!(rates_at(&scores(&[f64::NAN], &[0.7]), 0.5).is_err());
    assert!(equal_error_rate(&[]).is_err());
}
