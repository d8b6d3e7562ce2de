//! `zk face eval|calibrate|compare`: measure the face matcher on labelled pairs, compute the
//! thresholds from a site's own consented pairs and write them to the config, compare two photos.

use std::path::{Path, PathBuf};

use serde_json::json;
use zk_domain::Decision;
use zk_vision::calibration::Rates;
use zk_vision::eval::{
    calibrate_thresholds, read_pairs, score_pairs, summarise, LeftImage, Pair, Scored,
};
use zk_vision::{decode_image, FaceVerifier, ModelPaths, VerifierConfig};

use crate::commands::{CliError, Context};

fn vision(error: zk_vision::VisionError) -> CliError {
    CliError::Failed(error.to_string())
}

pub fn open_verifier(context: &Context) -> Result<FaceVerifier, CliError> {
    let config = context.config()?;
    let paths = match &config.matcher.models_dir {
        Some(dir) => ModelPaths::in_dir(dir),
        None => ModelPaths::from_env().map_err(vision)?,
    };
    FaceVerifier::open(VerifierConfig::default(), &paths).map_err(vision)
}

pub struct PairsOptions<'a> {
    pub pairs: &'a Path,
    pub root: &'a Path,
    pub left_as_chip: bool,
}

fn score(context: &Context, options: &PairsOptions<'_>) -> Result<(Vec<Pair>, Scored), CliError> {
    let text = std::fs::read_to_string(options.pairs).map_err(|error| {
        CliError::Failed(format!(
            "cannot read the pairs file {}: {error}",
            options.pairs.display()
        ))
    })?;
    let pairs = read_pairs(&text).map_err(vision)?;
    if !options.root.is_dir() {
        return Err(CliError::Failed(format!(
            "--root {} is not a folder",
            options.root.display()
        )));
    }
    let verifier = open_verifier(context)?;
    let left = if options.left_as_chip {
        LeftImage::ChipPhoto
    } else {
        LeftImage::AsStored
    };
    let scored = score_pairs(&verifier, options.root, &pairs, left).map_err(vision)?;
    Ok((pairs, scored))
}

fn rates_json(rates: &Rates) -> serde_json::Value {
    json!({
        "threshold": rates.threshold,
        "tar": rates.tar,
        "far": rates.far,
        "true_accepts": rates.true_accepts,
        "false_accepts": rates.false_accepts,
        "genuine": rates.genuine,
        "impostors": rates.impostors,
    })
}

fn rates_line(label: &str, rates: &Rates) -> String {
    format!(
        "{label}: threshold {:.3}, TAR {:.1} % ({}/{}), FAR {:.2} % ({}/{})",
        rates.threshold,
        rates.tar * 100.0,
        rates.true_accepts,
        rates.genuine,
        rates.far * 100.0,
        rates.false_accepts,
        rates.impostors
    )
}

/// Writes `left,right,same,score,match` (score = 1 − distance, higher = more alike, empty when a
/// face was not found; match = 1 when the pair passes at the configured pass threshold).
fn write_scores(path: &Path, scored: &Scored, pass_at_most: f64) -> Result<(), CliError> {
    let failed = |error: &dyn std::fmt::Display| {
        CliError::Failed(format!(
            "cannot write the scores to {}: {error}",
            path.display()
        ))
    };
    let mut writer = csv::Writer::from_path(path).map_err(|e| failed(&e))?;
    writer
        .write_record(["left", "right", "same", "score", "match"])
        .map_err(|e| failed(&e))?;
    for pair in &scored.pairs {
        let (score, matched) = match pair.distance {
            Some(distance) => (
                format!("{:.6}", 1.0 - distance),
                if distance <= pass_at_most { "1" } else { "0" },
            ),
            None => (String::new(), "0"),
        };
        writer
            .write_record([
                pair.pair.left.as_str(),
                pair.pair.right.as_str(),
                if pair.pair.same_person { "1" } else { "0" },
                score.as_str(),
                matched,
            ])
            .map_err(|e| failed(&e))?;
    }
    writer.flush().map_err(|e| failed(&e))
}

pub fn eval(
    context: &Context,
    options: &PairsOptions<'_>,
    scores_out: Option<&Path>,
    json_output: bool,
) -> Result<(), CliError> {
    let config = context.config()?;
    let (pass_at_most, review_at_most) =
        (config.matcher.pass_at_most, config.matcher.review_at_most);
    let (_, scored) = score(context, options)?;
    let summary = summarise(&scored, pass_at_most, review_at_most).map_err(vision)?;
    if let Some(path) = scores_out {
        write_scores(path, &scored, pass_at_most)?;
    }
    let failures: Vec<serde_json::Value> = scored
        .failures()
        .iter()
        .map(|(image, problem)| json!({"image": image, "problem": problem}))
        .collect();
    if json_output {
        let report = json!({
            "pairs": summary.pairs,
            "genuine": summary.genuine,
            "impostors": summary.impostors,
            "unscored_pairs": summary.unscored_pairs,
            "images": summary.images,
            "no_face": summary.images_without_face,
            "no_face_images": failures,
            "tar_at_far_1": summary.at_far_1.tar,
            "tar_at_far_0_1": summary.at_far_01.tar,
            "at_far_1": rates_json(&summary.at_far_1),
            "at_far_0_1": rates_json(&summary.at_far_01),
            "eer": summary.eer.rate,
            "eer_threshold": summary.eer.threshold,
            "at_pass_threshold": rates_json(&summary.at_pass),
            "at_review_threshold": rates_json(&summary.at_review),
            "left_as_chip_photo": options.left_as_chip,
            "model_version": format!("{}+{}", zk_vision::DETECTOR_VERSION, zk_vision::EMBEDDER_VERSION),
        });
        println!("{report:#}");
    } else {
        println!(
            "{} pairs ({} genuine, {} impostor) over {} images{}",
            summary.pairs,
            summary.genuine,
            summary.impostors,
            summary.images,
            if options.left_as_chip {
                "; left photo degraded to a 102×126 chip photo"
            } else {
                ""
            }
        );
        println!(
            "images with no face found: {} (their {} pairs count as rejected)",
            summary.images_without_face, summary.unscored_pairs
        );
        for (image, problem) in scored.failures() {
            println!("  {image}: {problem}");
        }
        println!("TAR at FAR 1 %:   {:.1} %", summary.at_far_1.tar * 100.0);
        println!("TAR at FAR 0.1 %: {:.1} %", summary.at_far_01.tar * 100.0);
        println!(
            "EER: {:.2} % at distance {:.3}",
            summary.eer.rate * 100.0,
            summary.eer.threshold
        );
        println!(
            "{}",
            rates_line("calibrated at FAR 1 %  ", &summary.at_far_1)
        );
        println!(
            "{}",
            rates_line("calibrated at FAR 0.1 %", &summary.at_far_01)
        );
        println!(
            "{}",
            rates_line("configured pass_at_most ", &summary.at_pass)
        );
        println!(
            "{}",
            rates_line("configured review_at_most", &summary.at_review)
        );
        if let Some(path) = scores_out {
            println!("scores written to {}", path.display());
        }
    }
    Ok(())
}

pub struct CalibrateOptions<'a> {
    pub pairs: PairsOptions<'a>,
    pub target_far: f64,
    pub review_far: Option<f64>,
    pub dry_run: bool,
    pub json: bool,
}

/// Today's UTC date, for the calibration note.
fn today() -> String {
    use zk_app::Clock;
    let millis = zk_app::SystemClock.now().as_millis();
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|time| time.date_naive().to_string())
        .unwrap_or_default()
}

/// The config file to write: `--config`/`ZK_CONFIG`.
fn config_path(context: &Context) -> Result<PathBuf, CliError> {
    context.config.clone().ok_or_else(|| {
        CliError::Usage(
            "pass --config PATH (the desk's config.toml; created if missing) to write the \
             thresholds, or --dry-run to only print them"
                .into(),
        )
    })
}

pub fn calibrate(context: &Context, options: &CalibrateOptions<'_>) -> Result<(), CliError> {
    if !(options.target_far > 0.0 && options.target_far < 1.0) {
        return Err(CliError::Usage(format!(
            "--target-far {} must be between 0 and 1 (0.001 for 0.1 %)",
            options.target_far
        )));
    }
    // Staff review what falls between the two thresholds: by default up to ten times the pass
    // rate of impostors avoids an outright fail.
    let review_far = options
        .review_far
        .unwrap_or((options.target_far * 10.0).min(0.05));
    let path = if options.dry_run {
        None
    } else {
        Some(config_path(context)?)
    };
    let (pairs, scored) = score(context, &options.pairs)?;
    let calibration =
        calibrate_thresholds(&scored, options.target_far, review_far).map_err(vision)?;
    let note = format!(
        "zk face calibrate on {} ({} genuine, {} impostor pairs{}), FAR {} / {}, {}",
        options.pairs.pairs.display(),
        pairs.iter().filter(|p| p.same_person).count(),
        pairs.iter().filter(|p| !p.same_person).count(),
        if options.pairs.left_as_chip {
            ", left as chip photo"
        } else {
            ""
        },
        options.target_far,
        review_far,
        today()
    );
    if let Some(path) = &path {
        write_thresholds(
            path,
            calibration.pass.threshold,
            calibration.review.threshold,
            &note,
        )?;
    }
    let small_sample = (calibration.pass.impostors as f64) * options.target_far < 1.0;
    if options.json {
        println!(
            "{:#}",
            json!({
                "pass_at_most": calibration.pass.threshold,
                "review_at_most": calibration.review.threshold,
                "target_far": options.target_far,
                "review_far": review_far,
                "pass": rates_json(&calibration.pass),
                "review": rates_json(&calibration.review),
                "too_few_impostors_for_target": small_sample,
                "written_to": path.as_ref().map(|p| p.display().to_string()),
                "no_face": scored.failures().len(),
            })
        );
    } else {
        println!("{}", rates_line("pass_at_most  ", &calibration.pass));
        println!("{}", rates_line("review_at_most", &calibration.review));
        if small_sample {
            println!(
                "note: {} impostor pairs cannot show a false-accept rate of {}: the threshold only \
                 means that none was accepted; add more pairs",
                calibration.pass.impostors, options.target_far
            );
        }
        match &path {
            Some(path) => println!("written to [matcher] in {}", path.display()),
            None => println!("dry run: nothing written"),
        }
    }
    Ok(())
}

/// Sets `[matcher] pass_at_most`, `review_at_most` and `calibration` in the TOML file, keeping
/// everything else (comments included); creates the file if it does not exist. The result must
/// still load as a valid config.
fn write_thresholds(path: &Path, pass: f64, review: f64, note: &str) -> Result<(), CliError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => {
            return Err(CliError::Failed(format!(
                "cannot read {}: {error}",
                path.display()
            )))
        }
    };
    let mut document: toml_edit::DocumentMut = text.parse().map_err(|error| {
        CliError::Failed(format!("{} is not valid TOML: {error}", path.display()))
    })?;
    let table = document
        .entry("matcher")
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()))
        .as_table_like_mut()
        .ok_or_else(|| {
            CliError::Failed(format!("`matcher` in {} is not a table", path.display()))
        })?;
    let round = |value: f64| (value * 1000.0).round() / 1000.0;
    for (key, value) in [
        ("pass_at_most", toml_edit::value(round(pass))),
        ("review_at_most", toml_edit::value(round(review))),
        ("calibration", toml_edit::value(note)),
    ] {
        // Replacing only the value keeps the key's comments.
        match table.get_mut(key) {
            Some(item) => *item = value,
            None => {
                table.insert(key, value);
            }
        }
    }
    let updated = document.to_string();
    let temporary = path.with_extension("toml.tmp");
    std::fs::write(&temporary, &updated)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|error| CliError::Failed(format!("cannot write {}: {error}", path.display())))?;
    zk_app::AppConfig::load(Some(path))?;
    Ok(())
}

pub fn compare(
    context: &Context,
    left: &Path,
    right: &Path,
    json_output: bool,
) -> Result<(), CliError> {
    let config = context.config()?;
    let policy = config.match_policy()?;
    let verifier = open_verifier(context)?;
    let mut sides = Vec::new();
    for path in [left, right] {
        let bytes = std::fs::read(path).map_err(|error| {
            CliError::Failed(format!("cannot read {}: {error}", path.display()))
        })?;
        let image = decode_image(&bytes)
            .map_err(|error| CliError::Failed(format!("{}: {error}", path.display())))?;
        let faces = verifier.detector().detect(&image).map_err(vision)?.len();
        let embedding = verifier
            .largest_face(&image)
            .map_err(|error| CliError::Failed(format!("{}: {error}", path.display())))?;
        sides.push((faces, embedding));
    }
    let distance = sides[0].1.template.distance(&sides[1].1.template);
    let verdict = policy.decide(&vec![distance; policy.min_frames]);
    let decision = match verdict.decision {
        Decision::Pass => "pass".to_owned(),
        Decision::Review(reason) => format!("review ({reason})"),
        Decision::Fail(reason) => format!("fail ({reason})"),
    };
    if json_output {
        println!(
            "{:#}",
            json!({
                "distance": distance,
                "score": 1.0 - distance,
                "match": distance <= policy.pass_at_most,
                "decision": match verdict.decision {
                    Decision::Pass => "pass",
                    Decision::Review(_) => "review",
                    Decision::Fail(_) => "fail",
                },
                "pass_at_most": policy.pass_at_most,
                "review_at_most": policy.review_at_most,
                "faces": [sides[0].0, sides[1].0],
                "model_version": verifier.model_version(),
            })
        );
    } else {
        println!(
            "distance {distance:.3} (pass at most {}, review at most {}): {decision}",
            policy.pass_at_most, policy.review_at_most
        );
        for ((faces, _), path) in sides.iter().zip([left, right]) {
            if *faces > 1 {
                println!("  {}: {faces} faces, the largest compared", path.display());
            }
        }
    }
    Ok(())
}
