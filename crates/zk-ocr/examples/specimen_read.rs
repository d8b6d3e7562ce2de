//! Renders specimens, photographs them, straightens and reads them back (development aid):
//! `cargo run -p zk-ocr --example specimen_read -- OUT_DIR`.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use rand::{Rng, SeedableRng};
use zk_domain::synthetic::SyntheticPerson;
use zk_ocr::specimen::{photograph, render_card, Shot, SpecimenFonts};

fn main() {
    let out = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "/tmp/specimens".into()),
    );
    std::fs::create_dir_all(&out).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let today = chrono::NaiveDate::from_ymd_opt(2027, 4, 17).unwrap();
    let fonts = SpecimenFonts::load_default().unwrap();
    let engine = zk_ocr::OcrEngine::open(&zk_ocr::engine::default_dir().unwrap()).unwrap();
    let faces = std::env::var("ZK_FACES_DIR").unwrap_or_else(|_| "/work/shared/data/faces".into());
    let portrait = image::open(std::path::Path::new(&faces).join("AsianCeleb_1/1.jpg"))
        .unwrap()
        .to_rgb8();
    for index in 0..6 {
        let person = SyntheticPerson::generate(&mut rng, today);
        let card = render_card(&person, &portrait, &fonts).unwrap();
        let shot = Shot {
            tilt: rng.random_range(0.0..0.08),
            rotation: rng.random_range(-8.0..8.0),
            blur: rng.random_range(0.0..1.2),
            jpeg_quality: rng.random_range(60..95),
            card_fraction: rng.random_range(0.55..0.85),
            glare: (index % 3 == 2)
                .then(|| (rng.random_range(0.1..0.9), rng.random_range(0.2..0.8), 0.5)),
            ..Shot::default()
        };
        let frame = photograph(&card, &shot).unwrap();
        frame.save(out.join(format!("shot-{index}.jpg"))).unwrap();
        let started = std::time::Instant::now();
        let rectified = match zk_ocr::rectify(&frame, &zk_ocr::CaptureRules::default()) {
            Ok(r) => r,
            Err(problem) => {
                println!("{index}: {problem:?} {shot:?}");
                continue;
            }
        };
        rectified
            .card
            .save(out.join(format!("card-{index}.png")))
            .unwrap();
        let raw = zk_ocr::read_card(&engine, &rectified.card).unwrap();
        let checked = zk_ocr::check(&raw);
        println!(
            "{index}: {:?} area {:.2} sharp {:.0} glare {:.3} {:?}",
            started.elapsed(),
            rectified.area_fraction,
            rectified.sharpness,
            rectified.glare_fraction,
            rectified.problems
        );
        println!(
            "  truth: {} {} {} {} {} {}",
            person.name,
            person.sex.label_zh(),
            person.ethnicity.label(),
            person.birth_date,
            person.address,
            person.id_number
        );
        for field in &checked.fields {
            println!(
                "  {:?}: {} ({:.2}) {:?}",
                field.field, field.text, field.confidence, field.problem
            );
        }
    }
}
