//! The emblem side end to end on generated specimens: the authority and the validity period
//! read off photographed cards (perspective, blur, glare, JPEG), also lying upside down, and a
//! portrait side offered instead named as unreadable here. Needs the PP-OCRv4 models
//! (scripts/fetch-models.sh) and fonts-noto-cjk; missing ones fail loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rand::SeedableRng;
use zk_domain::synthetic::SyntheticPerson;
use zk_ocr::back::{render_back, upright_back, validity_text};
use zk_ocr::specimen::{photograph, Shot, SpecimenFonts};
use zk_ocr::{BackField, CaptureRules, FieldProblem, OcrEngine};

fn engine() -> OcrEngine {
    let dir = zk_ocr::engine::default_dir().expect("no home folder for the models");
    OcrEngine::open(&dir).unwrap_or_else(|error| panic!("{error}"))
}

#[test]
fn photographed_emblem_sides_give_the_authority_and_the_validity_period() {
    let engine = engine();
    let fonts = SpecimenFonts::load_default().unwrap_or_else(|error| panic!("{error}"));
    let today = chrono::NaiveDate::from_ymd_opt(2027, 4, 17).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let count = 10;
    let (mut authority_exact, mut period_exact) = (0, 0);
    for index in 0..count {
        let person = SyntheticPerson::generate(&mut rng, today);
        let card = render_back(
            &person.authority,
            person.valid_from,
            person.valid_to,
            &fonts,
        )
        .unwrap();
        let mut shot = Shot::random(&mut rng, 8);
        if index % 3 == 2 {
            // Lying upside down on the desk.
            shot.rotation += 180.0;
        }
        let frame = photograph(&card, &shot).unwrap();
        let rectified = zk_ocr::rectify(&frame, &CaptureRules::default())
            .unwrap_or_else(|problem| panic!("card {index} not found: {problem:?} {shot:?}"));
        // Whatever the portrait side's rule did, the emblem decides which way is up.
        let (upright, _) = upright_back(&rectified.card);
        assert!(!upright_back(&upright).1, "card {index} still upside down");
        let checked = zk_ocr::check_back(&zk_ocr::read_back(&engine, &rectified.card).unwrap());
        let authority = checked.field(BackField::Authority).unwrap();
        let validity = checked.field(BackField::Validity).unwrap();
        if authority.text == person.authority {
            authority_exact += 1;
        } else {
            eprintln!("authority {index}: {:?}", authority.text);
        }
        if validity.text == validity_text(person.valid_from, person.valid_to) {
            period_exact += 1;
            assert_eq!(checked.valid_from, Some(person.valid_from));
            assert_eq!(checked.valid_to, Some(person.valid_to));
            assert_eq!(validity.problem, None, "{validity:?}");
        } else {
            eprintln!("validity {index}: {:?}", validity.text);
            // A misread period never passes unmarked as a different valid one.
            assert!(
                validity.problem.is_some() || checked.valid_from != Some(person.valid_from),
                "{validity:?}"
            );
        }
    }
    assert!(
        authority_exact >= 9,
        "authority exact {authority_exact}/{count}"
    );
    assert!(period_exact >= 9, "validity exact {period_exact}/{count}");
}

#[test]
fn the_portrait_side_offered_for_the_emblem_side_reads_as_nothing_usable() {
    let engine = engine();
    let fonts = SpecimenFonts::load_default().unwrap_or_else(|error| panic!("{error}"));
    let today = chrono::NaiveDate::from_ymd_opt(2027, 4, 17).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let portraits =
        zk_ocr::specimen::portraits_in(&faces_dir(), 2).unwrap_or_else(|error| panic!("{error}"));
    let sample = zk_ocr::specimen::specimen(&mut rng, &portraits, &fonts, today, 0).unwrap();
    let rectified = zk_ocr::rectify(&sample.frame, &CaptureRules::default()).unwrap();
    let checked = zk_ocr::check_back(&zk_ocr::read_back(&engine, &rectified.card).unwrap());
    assert_eq!(checked.valid_from, None);
    assert!(checked
        .field(BackField::Validity)
        .unwrap()
        .problem
        .as_ref()
        .is_some_and(|problem| matches!(
            problem,
            FieldProblem::Unreadable | FieldProblem::BadFormat
        )));
}

fn faces_dir() -> std::path::PathBuf {
    std::env::var_os("ZK_FACES_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/faces")
        })
}
