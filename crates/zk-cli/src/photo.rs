//! `zk photo check|fix`: the blue-background registration photo from the command line — check a
//! file against the spec (head size and position, background, exposure, glare, sharpness and,
//! with `--id-photo`, the same person), and cut it to the 480×640, 20–40 KB JPEG.

use std::path::Path;

use serde_json::json;
use zk_domain::{Decision, ReasonCode};
use zk_vision::{
    check_photo, decode_image, fix_photo, FaceVerifier, Limit, PhotoReport, PhotoSpec, SizeFit,
    VisionError,
};

use crate::commands::{CliError, Context};
use crate::face::open_verifier;

fn read_image(path: &Path) -> Result<image::RgbImage, CliError> {
    let bytes = std::fs::read(path)
        .map_err(|error| CliError::Failed(format!("cannot read {}: {error}", path.display())))?;
    decode_image(&bytes).map_err(|error| CliError::Failed(format!("{}: {error}", path.display())))
}

fn reason_json(reason: ReasonCode) -> serde_json::Value {
    json!({
        "code": reason.code(),
        "message_zh": reason.message_zh(),
        "message_en": reason.message_en(),
    })
}

fn report_json(report: &PhotoReport) -> serde_json::Value {
    let face = report.embedding.face;
    let crop = report.crop.rect;
    json!({
        "passed": report.passed(),
        "reasons": report.failures().into_iter().map(reason_json).collect::<Vec<_>>(),
        "findings": report.findings.iter().map(|finding| json!({
            "measure": finding.measure,
            "reason": finding.reason.code(),
            "passed": finding.passed,
            "value": finding.value,
            "limit": finding.limit.value(),
            "limit_kind": match finding.limit {
                Limit::AtLeast(_) => "at_least",
                Limit::AtMost(_) => "at_most",
            },
        })).collect::<Vec<_>>(),
        "face": {"x": face.x, "y": face.y, "width": face.width, "height": face.height},
        "head": {
            "eye_distance_px": report.head.eye_distance,
            "roll_deg": report.head.roll_deg,
        },
        "crop": {
            "x": crop.x, "y": crop.y, "width": crop.width, "height": crop.height,
            "upscale": report.crop.upscale,
            "face_width_px": report.crop.face_width_px,
            "eye_line_px": report.crop.eye_line_px,
        },
    })
}

/// The problem the candidate must fix when no single face was found, as a report.
fn no_face_json(reason: ReasonCode, error: &VisionError) -> serde_json::Value {
    json!({
        "passed": false,
        "reasons": [reason_json(reason)],
        "detail": error.to_string(),
        "findings": [],
    })
}

/// Identity against an ID photo: `(distance, decision)` with the configured thresholds.
fn identity(
    context: &Context,
    verifier: &FaceVerifier,
    report: &PhotoReport,
    id_photo: &Path,
) -> Result<serde_json::Value, CliError> {
    let policy = context.config()?.match_policy()?;
    let bytes = std::fs::read(id_photo).map_err(|error| {
        CliError::Failed(format!("cannot read {}: {error}", id_photo.display()))
    })?;
    let template = verifier
        .id_template(&bytes)
        .map_err(|error| CliError::Failed(format!("{}: {error}", id_photo.display())))?;
    let distance = template.distance(&report.embedding.template);
    let verdict = policy.decide(&vec![distance; policy.min_frames]);
    let (decision, reason) = match verdict.decision {
        Decision::Pass => ("pass", None),
        Decision::Review(reason) => ("review", Some(reason)),
        Decision::Fail(_) => ("fail", Some(ReasonCode::PhotoFaceMismatch)),
    };
    Ok(json!({
        "distance": distance,
        "decision": decision,
        "reason": reason.map(reason_json),
        "pass_at_most": policy.pass_at_most,
        "review_at_most": policy.review_at_most,
    }))
}

fn print_human(report: &serde_json::Value) {
    let passed = report["passed"].as_bool().unwrap_or(false);
    println!(
        "{}",
        if passed {
            "photo passes every check"
        } else {
            "photo does not pass"
        }
    );
    if let Some(findings) = report["findings"].as_array() {
        for finding in findings {
            let mark = if finding["passed"].as_bool().unwrap_or(false) {
                "ok  "
            } else {
                "FAIL"
            };
            let kind = if finding["limit_kind"] == "at_least" {
                ">="
            } else {
                "<="
            };
            println!(
                "  {mark} {:<22} {:>10.3}  ({kind} {})",
                finding["measure"].as_str().unwrap_or("?"),
                finding["value"].as_f64().unwrap_or(f64::NAN),
                finding["limit"]
            );
        }
    }
    if let Some(reasons) = report["reasons"].as_array() {
        for reason in reasons {
            println!(
                "  → {}  {}",
                reason["message_zh"].as_str().unwrap_or(""),
                reason["message_en"].as_str().unwrap_or("")
            );
        }
    }
    if let Some(detail) = report["detail"].as_str() {
        println!("  ({detail})");
    }
    if let Some(identity) = report.get("identity") {
        println!(
            "  same person as the ID photo: {} (distance {:.3})",
            identity["decision"].as_str().unwrap_or("?"),
            identity["distance"].as_f64().unwrap_or(f64::NAN)
        );
    }
}

fn finish(report: serde_json::Value, json_output: bool, ok: bool) -> Result<(), CliError> {
    if json_output {
        println!("{report:#}");
    } else {
        print_human(&report);
    }
    if ok {
        Ok(())
    } else {
        Err(CliError::Failed(
            "the photo does not meet the registration photo spec (see the reasons above)".into(),
        ))
    }
}

/// Exit 0 only when every check passes (and, with `--id-photo`, it is not a mismatch).
pub fn check(
    context: &Context,
    file: &Path,
    id_photo: Option<&Path>,
    json_output: bool,
) -> Result<(), CliError> {
    let image = read_image(file)?;
    let verifier = open_verifier(context)?;
    let spec = PhotoSpec::default();
    let report = match check_photo(&verifier, &image, &spec) {
        Ok(report) => report,
        Err(error) => {
            let reason = error
                .frame_reason()
                .ok_or_else(|| CliError::Failed(error.to_string()))?;
            return finish(no_face_json(reason, &error), json_output, false);
        }
    };
    let mut output = report_json(&report);
    let mut ok = report.passed();
    if let Some(id_photo) = id_photo {
        let identity = identity(context, &verifier, &report, id_photo)?;
        ok &= identity["decision"] != "fail";
        output["identity"] = identity;
    }
    finish(output, json_output, ok)
}

/// Writes the 480×640 JPEG whenever one face was found; exit 0 only when the photo passes every
/// check and the file is inside the 20–40 KB window.
pub fn fix(context: &Context, file: &Path, out: &Path, json_output: bool) -> Result<(), CliError> {
    let image = read_image(file)?;
    let verifier = open_verifier(context)?;
    let spec = PhotoSpec::default();
    let fixed = match fix_photo(&verifier, &image, &spec) {
        Ok(fixed) => fixed,
        Err(error) => {
            let reason = error
                .frame_reason()
                .ok_or_else(|| CliError::Failed(error.to_string()))?;
            return finish(no_face_json(reason, &error), json_output, false);
        }
    };
    std::fs::write(out, &fixed.jpeg)
        .map_err(|error| CliError::Failed(format!("cannot write {}: {error}", out.display())))?;
    let mut output = report_json(&fixed.report);
    output["out"] = json!({
        "path": out.display().to_string(),
        "width": spec.width,
        "height": spec.height,
        "bytes": fixed.jpeg.len(),
        "quality": fixed.quality,
        "size_fit": match fixed.size_fit {
            SizeFit::Within => "within",
            SizeFit::BelowMinimum => "below_minimum",
            SizeFit::AboveMaximum => "above_maximum",
        },
        "acceptable": fixed.is_acceptable(),
    });
    if !json_output {
        println!(
            "wrote {} ({}×{}, {} bytes, JPEG quality {})",
            out.display(),
            spec.width,
            spec.height,
            fixed.jpeg.len(),
            fixed.quality
        );
    }
    finish(output, json_output, fixed.is_acceptable())
}
