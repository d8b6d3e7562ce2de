//! The OCR fallback end to end on generated specimens (样本 cards: synthetic people, faces from
//! ../shared/data/faces, photographed on a desk in perspective, blurred, with glare and JPEG
//! noise): the card found and straightened, every field read, and bad captures named. Needs the
//! PP-OCRv4 models (scripts/fetch-models.sh) and fonts-noto-cjk; missing ones fail loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use rand::SeedableRng;
use zk_ocr::eval::Tally;
use zk_ocr::specimen::{photograph, portraits_in, specimen, Shot, SpecimenFonts};
use zk_ocr::{CaptureProblem, CaptureRules, Field, OcrEngine, OcrError};

fn faces_dir() -> PathBuf {
    std::env::var_os("ZK_FACES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/faces")
        })
}

fn engine() -> OcrEngine {
    let dir = zk_ocr::engine::default_dir().expect("no home folder for the models");
    OcrEngine::open(&dir).unwrap_or_else(|error| panic!("{error}"))
}

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2027, 4, 17).unwrap()
}

#[test]
fn photographed_specimens_are_read_field_by_field() {
    let engine = engine();
    let fonts = SpecimenFonts::load_default().unwrap_or_else(|error| panic!("{error}"));
    let portraits = portraits_in(&faces_dir(), 16).unwrap_or_else(|error| panic!("{error}"));
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let mut tally = Tally::default();
    let count = 16;
    for _ in 0..count {
        let sample = specimen(&mut rng, &portraits, &fonts, today(), 8).unwrap();
        match zk_ocr::rectify(&sample.frame, &CaptureRules::default()) {
            Ok(rectified) => {
                let raw = zk_ocr::read_card(&engine, &rectified.card).unwrap();
                assert_eq!(raw.portrait.dimensions(), (260, 320));
                tally.add(&sample.person, &zk_ocr::check(&raw));
            }
            Err(problem) => {
                eprintln!("not found: {problem:?} in {:?}", sample.shot);
                tally.add_unread();
            }
        }
    }
    eprintln!("{tally:?}");
    for field in Field::ALL {
        assert!(
            tally.accuracy(field) >= 14.0 / 16.0,
            "{field:?}: {:.2} of {count} exact ({tally:?})",
            tally.accuracy(field)
        );
    }
    assert!(tally.accuracy(Field::IdNumber) >= 15.0 / 16.0, "{tally:?}");
    // A number read wrong is always marked for staff (the check digit, the length).
    assert_eq!(tally.wrong_unmarked[5], 0, "{tally:?}");
}

#[test]
fn bad_captures_say_what_to_do() {
    let fonts = SpecimenFonts::load_default().unwrap_or_else(|error| panic!("{error}"));
    let portraits = portraits_in(&faces_dir(), 2).unwrap_or_else(|error| panic!("{error}"));
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let sample = specimen(&mut rng, &portraits, &fonts, today(), 0).unwrap();
    let rules = CaptureRules::default();
    let clean = Shot {
        rotation: 3.0,
        tilt: 0.03,
        ..Shot::default()
    };
    let problems = |shot: Shot| {
        zk_ocr::rectify(&photograph(&sample.card, &shot).unwrap(), &rules)
            .map(|rectified| rectified.problems)
    };
    assert_eq!(problems(clean), Ok(vec![]));
    assert_eq!(
        problems(Shot { blur: 3.0, ..clean }),
        Ok(vec![CaptureProblem::Blurred])
    );
    assert_eq!(
        problems(Shot {
            card_fraction: 0.3,
            ..clean
        }),
        Ok(vec![CaptureProblem::TooSmall])
    );
    assert_eq!(
        problems(Shot {
            glare: Some((0.3, 0.55, 0.95)),
            ..clean
        }),
        Ok(vec![CaptureProblem::Glare])
    );
    // An empty tray, and a frame too small to hold anything.
    let empty = photograph(
        &sample.card,
        &Shot {
            card_fraction: 0.0001,
            ..clean
        },
    );
    match empty {
        Ok(frame) => assert_eq!(
            zk_ocr::rectify(&frame, &rules).map(|r| r.problems),
            Err(CaptureProblem::NoCard)
        ),
        Err(error) => panic!("{error}"),
    }
    assert_eq!(
        zk_ocr::rectify(&image::RgbImage::new(20, 20), &rules).map(|r| r.problems),
        Err(CaptureProblem::NoCard)
    );
    assert!(CaptureProblem::Glare.message().contains("tilt"));
}

#[test]
fn missing_models_are_named_with_the_fix() {
    let dir = std::env::temp_dir().join("zk-ocr-no-models-here");
    match OcrEngine::open(&dir) {
        Err(OcrError::Model { path, detail }) => {
            assert!(path.ends_with(zk_ocr::engine::DET_FILE));
            assert!(detail.contains("fetch-models.sh"), "{detail}");
        }
        other => panic!("expected a model error, got {other:?}"),
    }
}

#[test]
fn a_card_upside_down_is_turned_and_read() {
    let engine = engine();
    let fonts = SpecimenFonts::load_default().unwrap_or_else(|error| panic!("{error}"));
    let portraits = portraits_in(&faces_dir(), 3).unwrap_or_else(|error| panic!("{error}"));
    let mut rng = rand::rngs::StdRng::seed_from_u64(21);
    let sample = specimen(&mut rng, &portraits, &fonts, today(), 0).unwrap();
    for (rotation, turned) in [(183.0, true), (-4.0, false)] {
        let shot = Shot {
            rotation,
            tilt: 0.03,
            ..Shot::default()
        };
        let frame = photograph(&sample.card, &shot).unwrap();
        let rectified = zk_ocr::rectify(&frame, &CaptureRules::default()).unwrap();
        assert_eq!(rectified.upside_down, turned, "rotation {rotation}");
        let checked = zk_ocr::check(&zk_ocr::read_card(&engine, &rectified.card).unwrap());
        assert_eq!(
            zk_ocr::eval::exact_fields(&sample.person, &checked),
            [true; 6],
            "rotation {rotation}: {checked:?}"
        );
    }
}
