//! The OCR fallback on generated specimens: per-field accuracy, exact ID-number accuracy, and the
//! time per card (find and straighten the card, detect, recognise, check) on one core.
//! `cargo bench -p zk-ocr --bench ocr` (release); `ZK_OCR_SPECIMENS=N` changes the count (200);
//! `ZK_OCR_MISSES=1` prints every field the varied set reads wrong.
//! Needs the PP-OCRv4 models (scripts/fetch-models.sh), fonts-noto-cjk and the face photos
//! (`ZK_FACES_DIR`, default ../shared/data/faces).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use rand::SeedableRng;
use zk_ocr::eval::Tally;
use zk_ocr::specimen::{photograph, portraits_in, specimen_styled, CardStyle, Shot, SpecimenFonts};
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
    fonts
        .load_all_faces()
        .unwrap_or_else(|error| panic!("{error}"));
    let show_misses = std::env::var_os("ZK_OCR_MISSES").is_some();
    let portraits = portraits_in(&faces_dir(), 60).unwrap_or_else(|error| panic!("{error}"));
    let today = chrono::NaiveDate::from_ymd_opt(2027, 4, 17).unwrap();
    // The standard set: hand-held shots, glare on one in eight, as a desk lamp might. The hard
    // set: smaller, more tilted, blurrier, darker or brighter cards, lower JPEG, glare on one
    // in four. The varied set: the standard set's people and shots (the same seed), each card
    // drawn in a random style (CardStyle::random from a seed of its own: serif or bold values,
    // other number and label faces, inks, guilloche, watermark, hologram film).
    // `ZK_OCR_SETS=back` (or any comma list of standard, hard, varied, back) runs only those.
    let wanted =
        std::env::var("ZK_OCR_SETS").unwrap_or_else(|_| "standard,hard,varied,back".into());
    let wanted: Vec<&str> = wanted.split(',').map(str::trim).collect();
    for (label, set) in [
        ("standard", Set::Standard),
        ("hard", Set::Hard),
        ("varied", Set::Varied),
    ] {
        if !wanted.contains(&label) {
            continue;
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(2027);
        let mut style_rng = rand::rngs::StdRng::seed_from_u64(4242);
        let mut tally = Tally::default();
        let mut by_style = StyleTallies::default();
        let mut times = Vec::with_capacity(count);
        let mut not_found = 0usize;
        let mut flagged = 0usize;
        for index in 0..count {
            let style = match set {
                Set::Varied => CardStyle::random(&mut style_rng),
                Set::Standard | Set::Hard => CardStyle::default(),
            };
            let mut sample =
                specimen_styled(&mut rng, &portraits, &fonts, today, 8, &style).unwrap();
            if set == Set::Hard {
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
                    if set == Set::Varied {
                        by_style.add(&style, |tally| tally.add(&sample.person, &checked));
                        if show_misses {
                            let exact = zk_ocr::eval::exact_fields(&sample.person, &checked);
                            for (field, right) in Field::ALL.iter().zip(exact) {
                                if !right {
                                    let read = checked.field(*field);
                                    println!(
                                        "miss #{index} {}: expected {:?}, read {:?} (marked {:?}); {}; capture {:?}",
                                        field.code(),
                                        zk_ocr::eval::expected(&sample.person, *field),
                                        read.map(|read| read.text.as_str()),
                                        read.and_then(|read| read.problem.as_ref()),
                                        describe(&style),
                                        rectified.problems
                                    );
                                }
                            }
                        }
                    }
                }
                _ => {
                    not_found += 1;
                    tally.add_unread();
                    if set == Set::Varied {
                        by_style.add(&style, Tally::add_unread);
                        if show_misses {
                            println!(
                                "miss #{index}: card not found ({:?}); {}; {:?}",
                                rectified.as_ref().err(),
                                describe(&style),
                                sample.shot
                            );
                        }
                    }
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
        if set == Set::Varied {
            by_style.print();
        }
    }
    if wanted.contains(&"back") {
        emblem_side(&engine, &fonts, today, count);
    }
}

/// The emblem side: `count` synthetic people's authority and validity period, photographed as
/// the standard set is (a third lying upside down), found, turned, read and checked.
fn emblem_side(engine: &OcrEngine, fonts: &SpecimenFonts, today: chrono::NaiveDate, count: usize) {
    use zk_ocr::back::{render_back, validity_text};
    use zk_ocr::BackField;
    let mut rng = rand::rngs::StdRng::seed_from_u64(2028);
    let (mut not_found, mut flagged) = (0usize, 0usize);
    // Per field: exact, marked though right, wrong and unmarked.
    let mut counts = [[0usize; 3]; 2];
    let mut times = Vec::with_capacity(count);
    for index in 0..count {
        let person = zk_domain::synthetic::SyntheticPerson::generate(&mut rng, today);
        let card =
            render_back(&person.authority, person.valid_from, person.valid_to, fonts).unwrap();
        let mut shot = Shot::random(&mut rng, 8);
        if index % 3 == 2 {
            shot.rotation += 180.0;
        }
        let frame = photograph(&card, &shot).unwrap();
        let started = Instant::now();
        let rectified = zk_ocr::rectify(&frame, &CaptureRules::default());
        let checked = rectified.as_ref().ok().map(|rectified| {
            zk_ocr::check_back(&zk_ocr::read_back(engine, &rectified.card).unwrap())
        });
        times.push(started.elapsed().as_secs_f64());
        let (Ok(rectified), Some(checked)) = (&rectified, checked) else {
            not_found += 1;
            continue;
        };
        if !rectified.problems.is_empty() {
            flagged += 1;
        }
        let truth = [
            person.authority.clone(),
            validity_text(person.valid_from, person.valid_to),
        ];
        for (slot, field) in BackField::ALL.iter().enumerate() {
            let Some(read) = checked.field(*field) else {
                continue;
            };
            let right = read.text == truth[slot];
            match (right, read.problem.is_some()) {
                (true, false) => counts[slot][0] += 1,
                (true, true) => {
                    counts[slot][0] += 1;
                    counts[slot][1] += 1;
                }
                (false, false) => counts[slot][2] += 1,
                (false, true) => {}
            }
        }
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let p95 = times[(times.len() * 95 / 100).min(times.len() - 1)];
    println!();
    println!(
        "emblem side, {count} specimens (a third upside down): card not found {not_found}, capture flagged {flagged}"
    );
    println!(
        "{:<11} {:>9} {:>16} {:>15}",
        "field", "exact", "marked but right", "wrong, unmarked"
    );
    for (slot, field) in BackField::ALL.iter().enumerate() {
        println!(
            "{:<11} {:>8.1}% {:>16} {:>15}",
            field.code(),
            counts[slot][0] as f64 * 100.0 / count.max(1) as f64,
            counts[slot][1],
            counts[slot][2]
        );
    }
    println!(
        "time per side (one core): median {:.0} ms, p95 {:.0} ms",
        median * 1000.0,
        p95 * 1000.0
    );
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Set {
    Standard,
    Hard,
    Varied,
}

/// A style in a few words, for the misses.
fn describe(style: &CardStyle) -> String {
    format!(
        "values {}, number {}, labels {}, {}{}{}",
        style.value_face.name(),
        style.number_face.name(),
        style.label_face.name(),
        style.background.code(),
        if style.watermark.is_some() {
            " + watermark"
        } else {
            ""
        },
        match &style.hologram {
            Some(film) if film.microtext.is_some() => " + hologram with micro-text",
            Some(_) => " + hologram",
            None => "",
        }
    )
}

/// The varied set's tallies split by the style's parts.
#[derive(Default)]
struct StyleTallies {
    value_face: BTreeMap<&'static str, Tally>,
    number_face: BTreeMap<&'static str, Tally>,
    label_face: BTreeMap<&'static str, Tally>,
    film: BTreeMap<&'static str, Tally>,
}

impl StyleTallies {
    fn add(&mut self, style: &CardStyle, add: impl Fn(&mut Tally)) {
        add(self.value_face.entry(style.value_face.name()).or_default());
        add(self
            .number_face
            .entry(style.number_face.name())
            .or_default());
        add(self.label_face.entry(style.label_face.name()).or_default());
        add(self.film.entry(style.background.code()).or_default());
        if style.watermark.is_some() {
            add(self.film.entry("watermark").or_default());
        }
        match &style.hologram {
            Some(film) if film.microtext.is_some() => {
                add(self.film.entry("hologram").or_default());
                add(self.film.entry("micro-text").or_default());
            }
            Some(_) => add(self.film.entry("hologram").or_default()),
            None => add(self.film.entry("no film").or_default()),
        }
    }

    fn print(&self) {
        for (title, tallies) in [
            ("value typeface", &self.value_face),
            ("number typeface", &self.number_face),
            ("label typeface", &self.label_face),
            ("background, watermark, film", &self.film),
        ] {
            println!();
            print!("varied set by {title:<30}  cards");
            for field in Field::ALL {
                print!(" {:>10}", field.code());
            }
            println!();
            for (name, tally) in tallies {
                print!("  {name:<36} {:>5}", tally.cards);
                for field in Field::ALL {
                    print!(" {:>9.1}%", tally.accuracy(field) * 100.0);
                }
                println!();
            }
        }
    }
}
