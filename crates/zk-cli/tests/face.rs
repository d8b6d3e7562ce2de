//! `zk face eval|calibrate|compare` end to end on real photos of the dev face set (ZK_FACES_DIR,
//! default ../shared/data/faces) with the installed dlib models (scripts/fetch-models.sh).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use zk_vision::synthetic;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn faces_dir() -> PathBuf {
    let dir = std::env::var_os("ZK_FACES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/data/faces"));
    assert!(
        dir.join("pairs.csv").is_file(),
        "the dev face set is missing: {} has no pairs.csv; point ZK_FACES_DIR at it",
        dir.display()
    );
    dir
}

fn zk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zk"))
        .current_dir(repo_root())
        .args(args)
        .env_remove("ZK_CONFIG")
        .env("OPENBLAS_NUM_THREADS", "1")
        .output()
        .expect("run zk")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&output.stdout)))
}

/// A small pairs set in a temporary root: real photos of four people (copied), plus a blank
/// picture with no face and a name that does not exist.
fn small_set(dir: &Path) -> PathBuf {
    let faces = faces_dir();
    let images = [
        "Barack_Obama/1.jpg",
        "Barack_Obama/2.jpg",
        "Barack_Obama/3.jpg",
        "Halle_Berry/1.jpg",
        "Halle_Berry/6.jpg",
        "Halle_Berry/7.jpg",
    ];
    for image in images {
        let target = dir.join(image);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(faces.join(image), &target)
            .unwrap_or_else(|e| panic!("{}: {e}", faces.join(image).display()));
    }
    image::RgbImage::from_pixel(200, 200, image::Rgb([30, 90, 200]))
        .save(dir.join("blank.png"))
        .unwrap();
    let pairs = "left,right,same\n\
        Barack_Obama/1.jpg,Barack_Obama/2.jpg,1\n\
        Barack_Obama/1.jpg,Barack_Obama/3.jpg,1\n\
        Barack_Obama/2.jpg,Barack_Obama/3.jpg,1\n\
        Halle_Berry/1.jpg,Halle_Berry/6.jpg,1\n\
        Halle_Berry/1.jpg,Halle_Berry/7.jpg,1\n\
        Halle_Berry/6.jpg,Halle_Berry/7.jpg,1\n\
        Barack_Obama/1.jpg,Halle_Berry/1.jpg,0\n\
        Barack_Obama/2.jpg,Halle_Berry/6.jpg,0\n\
        Barack_Obama/3.jpg,Halle_Berry/7.jpg,0\n\
        Halle_Berry/6.jpg,Barack_Obama/1.jpg,0\n\
        blank.png,Barack_Obama/1.jpg,1\n\
        missing.jpg,Halle_Berry/1.jpg,0\n";
    let path = dir.join("pairs.csv");
    std::fs::write(&path, pairs).unwrap();
    path
}

#[test]
fn eval_reports_rates_faces_not_found_and_writes_scores() {
    let dir = tempfile::tempdir().unwrap();
    let pairs = small_set(dir.path());
    let scores = dir.path().join("scores.csv");
    let root = dir.path().to_str().unwrap();
    let output = zk(&[
        "face",
        "eval",
        "--pairs",
        pairs.to_str().unwrap(),
        "--root",
        root,
        "--scores",
        scores.to_str().unwrap(),
        "--json",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report = json(&output);
    assert_eq!(report["pairs"], 12);
    assert_eq!(report["genuine"], 7);
    assert_eq!(report["no_face"], 2, "{report:#}");
    assert_eq!(report["unscored_pairs"], 2);
    // The blank picture's genuine pair counts as a false reject: 6 of 7 at best.
    let tar = report["tar_at_far_1"].as_f64().unwrap();
    assert!((tar - 6.0 / 7.0).abs() < 1e-9, "{report:#}");
    assert_eq!(report["at_far_1"]["false_accepts"], 0);
    // With 7 genuine and 5 impostor pairs the EER is coarse; the faceless genuine pair keeps it above 0.
    let eer = report["eer"].as_f64().unwrap();
    assert!(eer > 0.0 && eer < 0.25, "{report:#}");

    let written = std::fs::read_to_string(&scores).unwrap();
    let mut lines = written.lines();
    assert_eq!(lines.next(), Some("left,right,same,score,match"));
    let rows: Vec<Vec<String>> = lines
        .map(|line| line.split(',').map(str::to_owned).collect())
        .collect();
    assert_eq!(rows.len(), 12);
    for row in &rows {
        let same = row[2] == "1";
        match row[3].as_str() {
            "" => {
                assert!(row[0] == "blank.png" || row[0] == "missing.jpg", "{row:?}");
                assert_eq!(row[4], "0");
            }
            score => {
                let score: f64 = score.parse().unwrap();
                // Impostors are far apart (score = 1 - distance < 1 - 0.55) and never match.
                if !same {
                    assert!(score < 0.45, "{row:?}");
                    assert_eq!(row[4], "0", "{row:?}");
                }
                assert_eq!(row[4] == "1", 1.0 - score <= 0.45 + 1e-6, "{row:?}");
            }
        }
    }

    // Human output names the images with no face.
    let human = zk(&[
        "face",
        "eval",
        "--pairs",
        pairs.to_str().unwrap(),
        "--root",
        root,
    ]);
    assert!(human.status.success(), "{}", text(&human.stderr));
    let out = text(&human.stdout);
    assert!(out.contains("images with no face found: 2"), "{out}");
    assert!(
        out.contains("blank.png") && out.contains("missing.jpg"),
        "{out}"
    );
    assert!(
        out.contains("TAR at FAR 1 %") && out.contains("EER"),
        "{out}"
    );
}

#[test]
fn calibrate_writes_the_thresholds_into_the_config_and_keeps_its_comments() {
    let dir = tempfile::tempdir().unwrap();
    let pairs = small_set(dir.path());
    let config = dir.path().join("config.toml");
    std::fs::copy(repo_root().join("assets/config.example.toml"), &config).unwrap();
    let args = [
        "face",
        "calibrate",
        "--pairs",
        pairs.to_str().unwrap(),
        "--root",
        dir.path().to_str().unwrap(),
        "--target-far",
        "0.001",
        "--json",
    ];

    let refused = zk(&args);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("--config"),
        "{}",
        text(&refused.stderr)
    );

    let mut with_config = vec!["--config", config.to_str().unwrap()];
    with_config.extend(args);
    let output = zk(&with_config);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report = json(&output);
    let pass = report["pass_at_most"].as_f64().unwrap();
    let review = report["review_at_most"].as_f64().unwrap();
    assert!(0.3 < pass && pass <= review && review < 1.0, "{report:#}");
    assert_eq!(report["pass"]["false_accepts"], 0);
    assert_eq!(report["too_few_impostors_for_target"], true);

    let written = std::fs::read_to_string(&config).unwrap();
    let value: toml::Value = toml::from_str(&written).unwrap();
    let matcher = &value["matcher"];
    assert!((matcher["pass_at_most"].as_float().unwrap() - pass).abs() < 0.001);
    assert!((matcher["review_at_most"].as_float().unwrap() - review).abs() < 0.001);
    assert!(matcher["calibration"]
        .as_str()
        .unwrap()
        .contains("5 impostor pairs"));
    // The rest of the file is untouched, comments included.
    assert!(written.contains("# Face distance (median of the compared clip frames) thresholds"));
    assert!(written.contains("[drivers.id_card]"));

    // The written config is the one `zk face compare` decides with.
    let compare = zk(&[
        "--config",
        config.to_str().unwrap(),
        "face",
        "compare",
        dir.path().join("Barack_Obama/1.jpg").to_str().unwrap(),
        dir.path().join("Barack_Obama/2.jpg").to_str().unwrap(),
        "--json",
    ]);
    assert!(compare.status.success(), "{}", text(&compare.stderr));
    assert!((json(&compare)["pass_at_most"].as_f64().unwrap() - pass).abs() < 0.001);
}

#[test]
fn compare_decides_one_pair_and_says_what_is_wrong_with_a_bad_file() {
    let faces = faces_dir();
    let same = zk(&[
        "face",
        "compare",
        faces.join("Barack_Obama/1.jpg").to_str().unwrap(),
        faces.join("Barack_Obama/4.jpg").to_str().unwrap(),
        "--json",
    ]);
    assert!(same.status.success(), "{}", text(&same.stderr));
    let same = json(&same);
    assert_ne!(same["decision"], "fail", "{same:#}");
    assert_eq!(same["faces"], serde_json::json!([1, 1]));

    let other = json(&zk(&[
        "face",
        "compare",
        faces.join("Barack_Obama/1.jpg").to_str().unwrap(),
        faces.join("Halle_Berry/9.jpg").to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(other["decision"], "fail", "{other:#}");
    assert_eq!(other["match"], false);
    assert!(other["score"].as_f64().unwrap() < same["score"].as_f64().unwrap());

    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.jpg");
    let bytes = std::fs::read(faces.join("Barack_Obama/1.jpg")).unwrap();
    std::fs::write(&broken, &bytes[..bytes.len() / 3]).unwrap();
    let output = zk(&[
        "face",
        "compare",
        broken.to_str().unwrap(),
        faces.join("Barack_Obama/4.jpg").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let message = text(&output.stderr);
    assert!(message.contains("broken.jpg"), "{message}");
    assert!(!message.contains("panicked"), "{message}");

    let bad_pairs = dir.path().join("pairs.csv");
    std::fs::write(&bad_pairs, "a,b\n1,2\n").unwrap();
    let output = zk(&[
        "face",
        "eval",
        "--pairs",
        bad_pairs.to_str().unwrap(),
        "--root",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("left,right,same"),
        "{}",
        text(&output.stderr)
    );
}

/// A synthetic registration photo (`zk_vision::synthetic`) of `name` written as a JPEG.
fn blue_photo(dir: &Path, name: &str, size: (u32, u32), layout: synthetic::Layout) -> PathBuf {
    let paths = zk_vision::ModelPaths::from_env().unwrap();
    let verifier =
        zk_vision::FaceVerifier::open(zk_vision::VerifierConfig::default(), &paths).unwrap();
    let bytes = std::fs::read(faces_dir().join(name)).unwrap();
    let source = zk_vision::decode_image(&bytes).unwrap();
    let image = synthetic::portrait(&verifier, &source, size, layout, synthetic::ID_BLUE).unwrap();
    let path = dir.join(format!("{}.jpg", name.replace('/', "_")));
    image.save(&path).unwrap();
    path
}

#[test]
fn photo_check_and_fix_make_a_spec_photo_and_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let frame = blue_photo(
        dir.path(),
        "Barack_Obama/4.jpg",
        (640, 480),
        synthetic::FRAME,
    );

    let check = zk(&["photo", "check", frame.to_str().unwrap(), "--json"]);
    assert!(check.status.success(), "{}", text(&check.stdout));
    let report = json(&check);
    assert_eq!(report["passed"], true, "{report:#}");
    let findings = report["findings"].as_array().unwrap();
    for measure in [
        "blue_share",
        "laplacian_variance",
        "roll_deg",
        "eye_glare_share",
    ] {
        assert!(
            findings.iter().any(|f| f["measure"] == measure),
            "no {measure} in {report:#}"
        );
    }

    // The same person as a chip-like ID photo; someone else is a mismatch (exit 1).
    let id = dir.path().join("id.jpg");
    let chip = {
        let paths = zk_vision::ModelPaths::from_env().unwrap();
        let verifier =
            zk_vision::FaceVerifier::open(zk_vision::VerifierConfig::default(), &paths).unwrap();
        let bytes = std::fs::read(faces_dir().join("Barack_Obama/1.jpg")).unwrap();
        zk_vision::eval::chip_photo(&verifier, &zk_vision::decode_image(&bytes).unwrap()).unwrap()
    };
    std::fs::write(&id, chip).unwrap();
    let same = zk(&[
        "photo",
        "check",
        frame.to_str().unwrap(),
        "--id-photo",
        id.to_str().unwrap(),
        "--json",
    ]);
    assert!(same.status.success(), "{}", text(&same.stdout));
    assert_ne!(json(&same)["identity"]["decision"], "fail");
    let other = blue_photo(
        dir.path(),
        "Halle_Berry/9.jpg",
        (640, 480),
        synthetic::FRAME,
    );
    let mismatch = zk(&[
        "photo",
        "check",
        other.to_str().unwrap(),
        "--id-photo",
        id.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(mismatch.status.code(), Some(1));
    assert_eq!(
        json(&mismatch)["identity"]["reason"]["code"],
        "photo.face_mismatch"
    );

    let out = dir.path().join("fixed.jpg");
    let fix = zk(&[
        "photo",
        "fix",
        frame.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(fix.status.success(), "{}", text(&fix.stdout));
    let fixed = json(&fix);
    assert_eq!(fixed["out"]["acceptable"], true);
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(fixed["out"]["bytes"], bytes.len());
    assert!(
        (20 * 1024..=40 * 1024).contains(&bytes.len()),
        "{} bytes",
        bytes.len()
    );
    let decoded = image::load_from_memory(&bytes).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (480, 640));
    // The fixed file passes the check as it stands.
    let recheck = zk(&["photo", "check", out.to_str().unwrap(), "--json"]);
    assert!(recheck.status.success(), "{}", text(&recheck.stdout));

    // A head too small for the photo: the reason, in both languages, and exit 1.
    let far = synthetic::Layout {
        face_width: 70.0,
        ..synthetic::FRAME
    };
    let small = blue_photo(dir.path(), "Halle_Berry/1.jpg", (640, 480), far);
    let output = zk(&["photo", "check", small.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let said = text(&output.stdout);
    assert!(said.contains("move closer"), "{said}");
    assert!(said.contains("头部大小不合适"), "{said}");

    // Nobody in the picture, and a file that is not an image.
    let empty = dir.path().join("empty.png");
    image::RgbImage::from_pixel(640, 480, synthetic::ID_BLUE)
        .save(&empty)
        .unwrap();
    let output = zk(&["photo", "check", empty.to_str().unwrap(), "--json"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(json(&output)["reasons"][0]["code"], "liveness.no_face");
    let junk = dir.path().join("junk.jpg");
    std::fs::write(&junk, b"definitely not a JPEG").unwrap();
    let output = zk(&[
        "photo",
        "fix",
        junk.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("junk.jpg"),
        "{}",
        text(&output.stderr)
    );
}
