//! Accuracy on pairs.csv: every image's largest face against its pair, once as stored and once
//! with the left photo degraded to a 102×126 quality-60 JPEG like a chip photo. The thresholds
//! are computed from the pairs with `calibrate` and the shipped defaults are checked against
//! them. Run with `--nocapture` to see the report.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use zk_vision::calibration::{calibrate, equal_error_rate, rates_at, LabelledDistance, Rates};
use zk_vision::{FaceTemplate, DEFAULT_PASS_AT_MOST, DEFAULT_REVIEW_AT_MOST};

use crate::support;

/// Templates of every image (largest face) and of its chip-like degradation (through the ID
/// photo path: decode, exactly one face, embed).
struct Templates {
    photo: BTreeMap<String, Result<FaceTemplate, String>>,
    chip: BTreeMap<String, Result<FaceTemplate, String>>,
}

fn templates() -> &'static Templates {
    static TEMPLATES: OnceLock<Templates> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let verifier = support::verifier();
        let mut photo = BTreeMap::new();
        let mut chip = BTreeMap::new();
        for (name, image) in support::images() {
            let embedded = verifier
                .largest_face(image)
                .map(|embedding| embedding.template)
                .map_err(|error| error.to_string());
            photo.insert(name.clone(), embedded);
            let chip_photo = support::chip_photo(image);
            chip.insert(
                name.clone(),
                verifier
                    .id_template(&chip_photo)
                    .map_err(|error| error.to_string()),
            );
        }
        Templates { photo, chip }
    })
}

/// Labelled distances of all pairs, the left side from `left`.
fn scores(left: &BTreeMap<String, Result<FaceTemplate, String>>) -> Vec<LabelledDistance> {
    let right = &templates().photo;
    support::pairs()
        .iter()
        .map(|pair| {
            let template =
                |map: &BTreeMap<String, Result<FaceTemplate, String>>, name: &str| match &map[name]
                {
                    Ok(template) => template.clone(),
                    Err(error) => panic!("{name}: {error}"),
                };
            LabelledDistance {
                distance: template(left, &pair.left).distance(&template(right, &pair.right)),
                same_person: pair.same_person,
            }
        })
        .collect()
}

fn show(label: &str, rates: &Rates) {
    println!(
        "  {label}: threshold {:.3}  TAR {:.1} % ({}/{})  FAR {:.2} % ({}/{})",
        rates.threshold,
        rates.tar * 100.0,
        rates.true_accepts,
        rates.genuine,
        rates.far * 100.0,
        rates.false_accepts,
        rates.impostors
    );
}

/// Prints the report and checks the shipped thresholds on one set of scores.
fn check(label: &str, scores: &[LabelledDistance]) {
    let at_1 = calibrate(scores, 0.01).unwrap();
    let at_01 = calibrate(scores, 0.001).unwrap();
    let eer = equal_error_rate(scores).unwrap();
    let pass = rates_at(scores, DEFAULT_PASS_AT_MOST).unwrap();
    let not_fail = rates_at(scores, DEFAULT_REVIEW_AT_MOST).unwrap();
    println!("{label}:");
    show("calibrated at FAR 1 %  ", &at_1);
    show("calibrated at FAR 0.1 %", &at_01);
    println!("  EER {:.2} % at {:.3}", eer.rate * 100.0, eer.threshold);
    show("shipped pass_at_most   ", &pass);
    show("shipped review_at_most ", &not_fail);

    // The shipped thresholds are at least as strict as the calibrated ones.
    assert!(
        DEFAULT_PASS_AT_MOST <= at_01.threshold,
        "{label}: pass {at_01:?}"
    );
    assert!(
        DEFAULT_REVIEW_AT_MOST <= at_1.threshold,
        "{label}: review {at_1:?}"
    );
    // Impostor pairs never pass; at most one (of 129) reaches staff review.
    assert_eq!(pass.false_accepts, 0, "{label}");
    assert!(not_fail.false_accepts <= 1, "{label}: {not_fail:?}");
    // Genuine pairs: most pass outright, and 9 in 10 at least go to review rather than fail.
    assert!(pass.tar >= 0.55, "{label}: {pass:?}");
    assert!(not_fail.tar >= 0.90, "{label}: {not_fail:?}");
    assert!(eer.rate <= 0.03, "{label}: {eer:?}");
}

#[test]
fn every_image_and_every_chip_photo_has_a_face() {
    let templates = templates();
    let missing: Vec<String> = templates
        .photo
        .iter()
        .chain(&templates.chip)
        .filter_map(|(name, template)| template.as_ref().err().map(|e| format!("{name}: {e}")))
        .collect();
    println!(
        "faces not found: {} of {} photos and chip photos",
        missing.len(),
        templates.photo.len() + templates.chip.len()
    );
    assert!(missing.is_empty(), "{missing:#?}");
}

#[test]
fn genuine_pairs_pass_and_impostors_fail_at_the_shipped_thresholds() {
    check("photo vs photo (pairs.csv)", &scores(&templates().photo));
}

#[test]
fn the_same_holds_with_the_left_photo_degraded_to_a_chip_photo() {
    check(
        "102x126 q60 chip photo vs photo (pairs.csv, left degraded)",
        &scores(&templates().chip),
    );
}
