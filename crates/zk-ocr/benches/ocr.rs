//! The OCR fallback on generated specimens: per-field accuracy, exact ID-number accuracy, and the
//! time per card (find and straighten the card, detect, recognise, check) on one core.
//! `cargo bench -p zk-ocr --bench ocr` (release); `ZK_OCR_SPECIMENS=N` changes the count (200).
//! Needs the PP-OCRv4 models (scripts/fetch-models.sh), fonts-noto-cjk and the face photos
//! (`ZK_FACES_DIR`, default ../shared/data/faces).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::time::Instant;

use rand::SeedableRng;
use zk_ocr::eval::Tally;
use zk_ocr::specimen::{photograph, portraits_in, specimen, Shot, SpecimenFonts};
use zk_ocr::{CaptureRules, Field, OcrEngine};

fn faces_dir() -> PathBuf {
    std::env::var_os("ZK_FACES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/faces")
        })
}

fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    let count: usize = std::env::var("ZK_OCR_SPECIMENS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(200);
    let loaded = Instant::now();
    let engine = OcrEngine::open(&zk_ocr::engine::default_dir().expect("no home folder"))
        .unwrap_or_else(|error| panic!("{error}"));
    println!("models loaded in {:.2} s", loaded.elapsed().as_secs_f64());
    let fonts = SpecimenFonts::load_default().unwrap_or_else(|error| panic!("{error}"));
    let portraits = portraits_in(&faces_dir(), 60).unwrap_or_else(|error| panic!("{error}"));
    let today = chrono::NaiveDate::from_ymd_opt(2027, 4, 17).unwrap();
    // The standard set: hand-held shots, glare on one in eight, as a desk lamp might. The hard
    // set: smaller, more tilted, blurrier, darker or brighter cards, lower JPEG, glare on one
    // in four.
    for (label, hard) in [("standard", false), ("hard", true)] {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2027);
        let mut tally = Tally::default();
        let mut times = Vec::with_capacity(count);
        let mut not_found = 0usize;
        let mut flagged = 0usize;
        for _ in 0..count {
            let mut sample = specimen(&mut rng, &portraits, &fonts, today, 8).unwrap();
            if hard {
                sample.shot = Shot::hard(&mut rng);
                sample.frame = photograph(&sample.card, &sample.shot).unwrap();
            }
            let started = Instant::now();
            let rectified = zk_ocr::rectify(&sample.frame, &CaptureRules::default());
            let checked = rectified.as_ref().ok().map(|rectified| {
                let raw = zk_ocr::read_card(&engine, &rectified.card).unwrap();
                zk_ocr::check(&raw)
            });
            times.push(started.elapsed().as_secs_f64());
            match (&rectified, checked) {
                (Ok(rectified), Some(checked)) => {
                    if !rectified.problems.is_empty() {
                        flagged += 1;
                    }
                    tally.add(&sample.person, &checked);
                }
                _ => {
                    not_found += 1;
                    tally.add_unread();
                }
            }
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        let p95 = times[(times.len() * 95 / 100).min(times.len() - 1)];
        println!();
        println!(
            "{label} set, {count} specimens: card not found {not_found}, capture flagged (blur/glare/small) {flagged}"
        );
        println!(
            "{:<11} {:>9} {:>16} {:>15}",
            "field", "exact", "marked but right", "wrong, unmarked"
        );
        for (index, field) in Field::ALL.iter().enumerate() {
            println!(
                "{:<11} {:>8.1}% {:>16} {:>15}",
                field.code(),
                tally.accuracy(*field) * 100.0,
                tally.marked_but_right[index],
                tally.wrong_unmarked[index]
            );
        }
        println!(
            "time per card (one core): median {:.0} ms, p95 {:.0} ms",
            median * 1000.0,
            p95 * 1000.0
        );
    }
}
