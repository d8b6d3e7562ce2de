//! `zk card ocr` and `zk card specimen`: the ID card's OCR fallback from the command line.

use std::io::Write;
use std::path::Path;

use rand::SeedableRng;
use serde_json::json;
use zk_ocr::specimen::{portraits_in, specimen, SpecimenFonts};
use zk_ocr::{CaptureRules, Field, OcrEngine};

use crate::card::mask_name;
use crate::commands::CliError;
use crate::sync::{failed, now_ms};

/// A field's text as printed: personal fields masked unless `reveal`.
fn shown(field: Field, text: &str, reveal: bool) -> String {
    if reveal {
        return text.to_owned();
    }
    match field {
        Field::Name => mask_name(text, false),
        Field::IdNumber => zk_domain::id_number::redact(text),
        Field::BirthDate => text.chars().take(5).chain("…".chars()).collect(),
        Field::Address => text.chars().take(6).chain("…".chars()).collect(),
        Field::Sex | Field::Ethnicity => text.to_owned(),
    }
}

/// The emblem side's fields as printed: the authority (it names the holder's county) masked
/// unless `reveal`.
fn shown_back(field: zk_ocr::BackField, text: &str, reveal: bool) -> String {
    match field {
        zk_ocr::BackField::Authority if !reveal => {
            text.chars().take(2).chain("…".chars()).collect()
        }
        _ => text.to_owned(),
    }
}

fn open_image(path: &Path) -> Result<image::RgbImage, CliError> {
    Ok(image::open(path)
        .map_err(|error| failed(format!("cannot read {}: {error}", path.display())))?
        .to_rgb8())
}

/// Reads the emblem side photographed in `path`.
fn read_back(engine: &OcrEngine, path: &Path) -> Result<zk_ocr::CheckedBack, CliError> {
    let frame = open_image(path)?;
    let rectified = zk_ocr::rectify(&frame, &CaptureRules::default()).map_err(|problem| {
        CliError::Failed(format!(
            "the emblem side: {} ({})",
            problem.message(),
            problem.code()
        ))
    })?;
    let raw = zk_ocr::read_back(engine, &rectified.card).map_err(failed)?;
    Ok(zk_ocr::check_back(&raw))
}

pub fn read(
    image_path: &Path,
    back_path: Option<&Path>,
    card_out: Option<&Path>,
    models: Option<&Path>,
    json: bool,
    reveal: bool,
) -> Result<(), CliError> {
    let frame = open_image(image_path)?;
    let dir = match models {
        Some(dir) => dir.to_path_buf(),
        None => zk_ocr::engine::default_dir()
            .ok_or_else(|| failed("no home folder: pass --models DIR"))?,
    };
    let engine = OcrEngine::open(&dir).map_err(failed)?;
    let started = std::time::Instant::now();
    let rectified = zk_ocr::rectify(&frame, &CaptureRules::default()).map_err(|problem| {
        CliError::Failed(format!("{} ({})", problem.message(), problem.code()))
    })?;
    if let Some(out) = card_out {
        rectified
            .card
            .save(out)
            .map_err(|error| failed(format!("cannot write {}: {error}", out.display())))?;
    }
    let raw = zk_ocr::read_card(&engine, &rectified.card).map_err(failed)?;
    let checked = zk_ocr::check(&raw);
    let back = back_path.map(|path| read_back(&engine, path)).transpose()?;
    let elapsed_ms = started.elapsed().as_millis() as u64;
    if json {
        let rounded = |confidence: f32| (f64::from(confidence) * 1000.0).round() / 1000.0;
        let mut fields: serde_json::Map<String, serde_json::Value> = checked
            .fields
            .iter()
            .map(|read| {
                (
                    read.field.code().to_owned(),
                    json!({
                        "text": shown(read.field, &read.text, reveal),
                        "confidence": rounded(read.confidence),
                        "problem": read.problem.as_ref().map(|problem| problem.code()),
                    }),
                )
            })
            .collect();
        for read in back.iter().flat_map(|back| back.fields.iter()) {
            fields.insert(
                read.field.code().to_owned(),
                json!({
                    "text": shown_back(read.field, &read.text, reveal),
                    "confidence": rounded(read.confidence),
                    "problem": read.problem.as_ref().map(|problem| problem.code()),
                }),
            );
        }
        let value = json!({
            "fields": fields,
            "capture": {
                "problems": rectified.problems.iter().map(|p| p.code()).collect::<Vec<_>>(),
                "area_fraction": rectified.area_fraction,
                "sharpness": rectified.sharpness,
                "glare_fraction": rectified.glare_fraction,
            },
            "needs_staff_confirmation": true,
            "all_fields_clear": checked.all_clear(),
            "elapsed_ms": elapsed_ms,
        });
        println!("{value}");
        return Ok(());
    }
    for problem in &rectified.problems {
        println!("capture: {}", problem.message());
    }
    for read in &checked.fields {
        println!(
            "{:<11} {:<24} {:>5.2}  {}",
            read.field.code(),
            shown(read.field, &read.text, reveal),
            read.confidence,
            read.problem.as_ref().map_or("ok", |problem| problem.code())
        );
    }
    for read in back.iter().flat_map(|back| back.fields.iter()) {
        println!(
            "{:<11} {:<24} {:>5.2}  {}",
            read.field.code(),
            shown_back(read.field, &read.text, reveal),
            read.confidence,
            read.problem.as_ref().map_or("ok", |problem| problem.code())
        );
    }
    println!("read in {elapsed_ms} ms; an OCR read always needs staff to confirm the fields");
    Ok(())
}

pub fn specimens(out: &Path, count: usize, seed: u64, faces: &Path) -> Result<(), CliError> {
    std::fs::create_dir_all(out)
        .map_err(|error| failed(format!("cannot create {}: {error}", out.display())))?;
    let fonts = SpecimenFonts::load_default().map_err(failed)?;
    let portraits = portraits_in(faces, 200).map_err(failed)?;
    // Cards valid today (UTC is close enough for made-up validity dates).
    let today = chrono::DateTime::from_timestamp_millis(now_ms())
        .map(|now| now.date_naive())
        .ok_or_else(|| failed("the system clock is out of range"))?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let truth_path = out.join("truth.jsonl");
    let mut truth = std::fs::File::create(&truth_path)
        .map_err(|error| failed(format!("cannot write {}: {error}", truth_path.display())))?;
    for index in 0..count {
        let sample = specimen(&mut rng, &portraits, &fonts, today, 8).map_err(failed)?;
        let name = format!("specimen-{index:04}.jpg");
        let back_name = format!("specimen-{index:04}-back.jpg");
        let person = &sample.person;
        let back = zk_ocr::back::render_back(
            &person.authority,
            person.valid_from,
            person.valid_to,
            &fonts,
        )
        .and_then(|card| zk_ocr::specimen::photograph(&card, &sample.shot))
        .map_err(failed)?;
        for (image, name) in [(&sample.frame, &name), (&back, &back_name)] {
            let path = out.join(name);
            image
                .save(&path)
                .map_err(|error| failed(format!("cannot write {}: {error}", path.display())))?;
        }
        let mut fields: serde_json::Map<String, serde_json::Value> = Field::ALL
            .iter()
            .map(|field| {
                (
                    field.code().to_owned(),
                    json!(zk_ocr::eval::expected(&sample.person, *field)),
                )
            })
            .collect();
        fields.insert("authority".into(), json!(person.authority));
        fields.insert(
            "validity".into(),
            json!(zk_ocr::back::validity_text(
                person.valid_from,
                person.valid_to
            )),
        );
        writeln!(
            truth,
            "{}",
            json!({ "image": name, "back_image": back_name, "synthetic": true, "fields": fields })
        )
        .map_err(|error| failed(format!("cannot write {}: {error}", truth_path.display())))?;
    }
    println!(
        "wrote {count} specimen photos (each side) and truth.jsonl to {}",
        out.display()
    );
    Ok(())
}
