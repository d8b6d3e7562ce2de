//! The OCR fallback end to end on generated specimens (样本 cards: synthetic people, faces from
//! ../shared/data/faces, photographed on a desk in perspective, blurred, with glare and JPEG
//! noise): the card found and straightened, every field read, and bad captures named. Needs the
//! PP-OCRv4 models (scripts/fetch-models.sh) and fonts-noto-cjk; missing ones fail loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use rand::SeedableRng;
use zk_domain::synthetic::SyntheticPerson;
use zk_ocr::eval::Tally;
use zk_ocr::specimen::{
    photograph, portraits_in, render_card, render_card_styled, specimen, Background, CardStyle,
    Guilloche, Hologram, Shot, SpecimenFonts, Typeface, Watermark, DEFAULT_FONT,
};
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

/// The part of a rectified card in `field`'s band.
fn band(card: &image::RgbImage, field: Field) -> image::RgbImage {
    let (x, y, w, h) = field.band().px();
    image::imageops::crop_imm(card, x, y, w, h).to_image()
}

fn differing(a: &image::RgbImage, b: &image::RgbImage) -> usize {
    assert_eq!(a.dimensions(), b.dimensions());
    a.pixels().zip(b.pixels()).filter(|(p, q)| p != q).count()
}

/// Pixels as dark as ink (luma under 100).
fn inked(image: &image::RgbImage) -> usize {
    image
        .pixels()
        .filter(|p| {
            0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]) < 100.0
        })
        .count()
}

#[test]
fn card_styles_change_the_drawing_and_the_default_is_the_plain_card() {
    let fonts = SpecimenFonts::load_default().unwrap_or_else(|error| panic!("{error}"));
    fonts
        .load_all_faces()
        .unwrap_or_else(|error| panic!("{error}"));
    let portraits = portraits_in(&faces_dir(), 1).unwrap_or_else(|error| panic!("{error}"));
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let person = SyntheticPerson::generate(&mut rng, today());
    let styled = |style: &CardStyle| {
        render_card_styled(&person, &portraits[0], &fonts, style)
            .unwrap_or_else(|error| panic!("{style:?}: {error}"))
    };
    let plain = render_card(&person, &portraits[0], &fonts).unwrap();
    assert_eq!(
        plain,
        styled(&CardStyle::default()),
        "the default style is the plain card"
    );

    // Each value face draws the values differently, and only the values.
    for face in Typeface::VALUE_FACES.into_iter().skip(1) {
        let card = styled(&CardStyle {
            value_face: face,
            ..CardStyle::default()
        });
        for field in [Field::Name, Field::Address, Field::Ethnicity] {
            let changed = differing(&band(&plain, field), &band(&card, field));
            assert!(changed > 150, "{face:?} {field:?}: {changed} pixels differ");
        }
        assert_eq!(
            band(&plain, Field::IdNumber),
            band(&card, Field::IdNumber),
            "{face:?}"
        );
    }
    // A serif face has other strokes than the sans: not just shifted, other ink.
    let serif = styled(&CardStyle {
        value_face: Typeface::SerifRegular,
        ..CardStyle::default()
    });
    let bold = styled(&CardStyle {
        value_face: Typeface::SansBold,
        ..CardStyle::default()
    });
    let (plain_ink, serif_ink, bold_ink) = (
        inked(&band(&plain, Field::Address)),
        inked(&band(&serif, Field::Address)),
        inked(&band(&bold, Field::Address)),
    );
    assert!(
        serif_ink != plain_ink && bold_ink as f32 > plain_ink as f32 * 1.2,
        "{plain_ink} {serif_ink} {bold_ink}"
    );

    // The number's faces change the number band and nothing above it.
    for face in [Typeface::MonoBold, Typeface::SansBold] {
        let card = styled(&CardStyle {
            number_face: face,
            ..CardStyle::default()
        });
        let changed = differing(
            &band(&plain, Field::IdNumber),
            &band(&card, Field::IdNumber),
        );
        assert!(
            changed > 200,
            "{face:?}: {changed} pixels of the number differ"
        );
        assert_eq!(
            band(&plain, Field::Name),
            band(&card, Field::Name),
            "{face:?}"
        );
    }
    // The label face changes the labels' column.
    let labels = zk_ocr::layout::MmRect::new(3.5, 4.0, 8.5, 34.0);
    let (lx, ly, lw, lh) = labels.px();
    let label_column =
        |card: &image::RgbImage| image::imageops::crop_imm(card, lx, ly, lw, lh).to_image();
    let serif_labels = styled(&CardStyle {
        label_face: Typeface::SerifRegular,
        ..CardStyle::default()
    });
    assert!(differing(&label_column(&plain), &label_column(&serif_labels)) > 200);

    // The guilloche, the watermark and the film each change the card; the values stay the
    // darkest thing in their bands.
    let mut style_rng = rand::rngs::StdRng::seed_from_u64(9);
    let pattern = Guilloche::random(&mut style_rng);
    let patterned = styled(&CardStyle {
        background: Background::Guilloche(pattern),
        ..CardStyle::default()
    });
    let watermarked = styled(&CardStyle {
        watermark: Some(Watermark {
            centre: (30.0, 25.0),
            radius: 18.0,
            ink: image::Rgb([190, 120, 110]),
            strength: 0.12,
        }),
        ..CardStyle::default()
    });
    let filmed = styled(&CardStyle {
        hologram: Some(Hologram {
            strength: 0.1,
            period_mm: 40.0,
            angle: 0.5,
            phase: 0.2,
            microtext: Some(0.1),
        }),
        ..CardStyle::default()
    });
    let total = (plain.width() * plain.height()) as usize;
    for (what, card) in [
        ("guilloche", &patterned),
        ("watermark", &watermarked),
        ("hologram", &filmed),
    ] {
        let changed = differing(&plain, card);
        assert!(
            changed > total / 20,
            "{what}: only {changed} of {total} pixels differ"
        );
        for field in Field::ALL {
            let (plain_ink, ink) = (inked(&band(&plain, field)), inked(&band(card, field)));
            assert!(
                (ink as f32 - plain_ink as f32).abs() < plain_ink as f32 * 0.15 + 20.0,
                "{what} {field:?}: {plain_ink} inked pixels plain, {ink} styled"
            );
        }
    }
}

#[test]
fn a_missing_font_file_is_named_with_the_package() {
    let missing = std::env::temp_dir().join("zk-ocr-no-fonts-here/NotoSansCJK-Regular.ttc");
    match SpecimenFonts::load(&missing) {
        Err(OcrError::Font { path, detail }) => {
            assert_eq!(path, missing);
            assert!(detail.contains("fonts-noto-cjk"), "{detail}");
        }
        Err(other) => panic!("expected a font error, got {other}"),
        Ok(_) => panic!("loaded fonts from {}", missing.display()),
    }
    // A folder with the regular collection alone: the plain card draws, a serif style names the
    // serif file it lacks.
    let dir = std::env::temp_dir().join(format!("zk-ocr-sans-only-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let regular = dir.join("NotoSansCJK-Regular.ttc");
    let _ = std::fs::remove_file(&regular);
    std::os::unix::fs::symlink(DEFAULT_FONT, &regular).unwrap();
    let fonts = SpecimenFonts::load(&regular).unwrap_or_else(|error| panic!("{error}"));
    let portraits = portraits_in(&faces_dir(), 1).unwrap_or_else(|error| panic!("{error}"));
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let person = SyntheticPerson::generate(&mut rng, today());
    assert!(render_card(&person, &portraits[0], &fonts).is_ok());
    let serif = CardStyle {
        value_face: Typeface::SerifRegular,
        ..CardStyle::default()
    };
    for result in [
        render_card_styled(&person, &portraits[0], &fonts, &serif).map(|_| ()),
        fonts.load_all_faces(),
    ] {
        match result {
            Err(OcrError::Font { path, detail }) => {
                assert!(path.starts_with(&dir), "{}", path.display());
                assert!(
                    path.to_string_lossy().contains("NotoS"),
                    "{}",
                    path.display()
                );
                assert!(detail.contains("fonts-noto-cjk"), "{detail}");
            }
            other => panic!("expected a font error, got {other:?}"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bold_guilloche_cards_are_turned_right_and_not_taken_for_glare() {
    // Bold values are as varied as a photo (dark ink on pale paper), and the paper between a
    // guilloche's lines clips to white on a bright shot: neither may turn the card or call for
    // a retake.
    let fonts = SpecimenFonts::load_default().unwrap_or_else(|error| panic!("{error}"));
    let portraits = portraits_in(&faces_dir(), 60).unwrap_or_else(|error| panic!("{error}"));
    let mut rng = rand::rngs::StdRng::seed_from_u64(28);
    for (index, portrait) in portraits.iter().enumerate() {
        let person = SyntheticPerson::generate(&mut rng, today());
        let style = CardStyle {
            value_face: [Typeface::SansBold, Typeface::SerifBold][index % 2],
            number_face: Typeface::MonoBold,
            background: Background::Guilloche(Guilloche::random(&mut rng)),
            ..CardStyle::default()
        };
        let card = render_card_styled(&person, portrait, &fonts, &style).unwrap();
        for (rotation, turned) in [(2.0, false), (182.0, true)] {
            let shot = Shot {
                rotation,
                tilt: 0.03,
                brightness: 1.08,
                ..Shot::default()
            };
            let rectified =
                zk_ocr::rectify(&photograph(&card, &shot).unwrap(), &CaptureRules::default())
                    .unwrap_or_else(|problem| panic!("portrait {index}: {problem:?}"));
            assert_eq!(
                rectified.upside_down, turned,
                "portrait {index}, rotation {rotation}"
            );
            assert_eq!(
                rectified.problems,
                vec![],
                "portrait {index}, rotation {rotation}: glare {}",
                rectified.glare_fraction
            );
        }
    }
}
