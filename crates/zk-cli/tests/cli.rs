//! The `zk` binary end to end: exit codes, stdout/stderr, and the store it leaves behind.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn zk(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zk"))
        .current_dir(repo_root())
        .arg("--store")
        .arg(store)
        .args(args)
        .env_remove("ZK_CONFIG")
        .output()
        .expect("run zk")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(output)))
}

const HEADER: &str =
    "报名号,证件号码,姓名,性别,民族,出生日期,手机号,考区代码,专业代码,专业名称,层次";

#[test]
fn id_check_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let ok = zk(dir.path(), &["id", "check", "11010519491231002X"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(
        stdout(&ok).contains("110***********002X"),
        "{}",
        stdout(&ok)
    );
    assert!(
        !stdout(&ok).contains("11010519491231002X"),
        "the full number must not be printed"
    );

    let bad = zk(dir.path(), &["id", "check", "110105194912310021"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("check character"), "{}", stderr(&bad));

    let bad_json = zk(dir.path(), &["id", "check", "123", "--json"]);
    assert_eq!(bad_json.status.code(), Some(1));
    assert_eq!(json(&bad_json)["valid"], false);
    let ok_json = zk(dir.path(), &["id", "check", "610104620927690", "--json"]);
    assert!(ok_json.status.success());
    assert_eq!(json(&ok_json)["birth_date"], "1962-09-27");
}

#[test]
fn roster_import_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        format!(
            "{HEADER}\nR001,110101199003070011,李明,男,汉,19900307,13800138000,4201,C050201,英语,本科\n\
             R002,11010519491231002X,赵敏,女,01,,,4201,C050201,英语,专科\n"
        ),
    )
    .unwrap();
    let imported = zk(&store, &["roster", "import", good.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let listed = json(&zk(&store, &["roster", "list", "--json"]));
    assert_eq!(listed["total"], 2);
    assert_eq!(
        listed["rows"][0]["id_number"]
            .as_str()
            .unwrap()
            .matches('*')
            .count(),
        11
    );

    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!(
            "{HEADER}\nR003,440308199901101512,王五,男,汉,,,4201,C050201,英语,本科\n\
             R004,110105194912310021,钱六,女,汉,,,4201,C050201,英语,本科\n"
        ),
    )
    .unwrap();
    let refused = zk(&store, &["roster", "import", bad.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1));
    let message = stderr(&refused);
    assert!(message.contains("row 3"), "{message}");
    assert!(
        !message.contains("110105194912310021"),
        "ID numbers must be redacted: {message}"
    );
    let listed = json(&zk(&store, &["roster", "list", "--json"]));
    assert_eq!(
        listed["total"], 2,
        "a refused import must leave the store unchanged"
    );

    let missing = zk(
        &store,
        &[
            "roster",
            "import",
            dir.path().join("nope.csv").to_str().unwrap(),
        ],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(!stderr(&missing).is_empty());
}

#[test]
fn serial_blocks_allocate_and_list() {
    let dir = tempfile::tempdir().unwrap();
    let allocated = zk(
        dir.path(),
        &[
            "serials",
            "allocate",
            "--block-id",
            "hub-7",
            "--district",
            "4201",
            "--sitting",
            "271",
            "--first",
            "1",
            "--last",
            "100",
        ],
    );
    assert!(allocated.status.success(), "{}", stderr(&allocated));
    let overlapping = zk(
        dir.path(),
        &[
            "serials",
            "allocate",
            "--block-id",
            "hub-8",
            "--district",
            "4201",
            "--sitting",
            "271",
            "--first",
            "100",
            "--last",
            "200",
        ],
    );
    assert_eq!(
        overlapping.status.code(),
        Some(1),
        "{}",
        stdout(&overlapping)
    );
    let bad_sitting = zk(
        dir.path(),
        &[
            "serials",
            "allocate",
            "--block-id",
            "x",
            "--district",
            "4201",
            "--sitting",
            "273",
            "--first",
            "1",
            "--last",
            "2",
        ],
    );
    assert_eq!(bad_sitting.status.code(), Some(1));
    assert!(
        stderr(&bad_sitting).contains("sitting"),
        "{}",
        stderr(&bad_sitting)
    );
    let blocks = json(&zk(dir.path(), &["serials", "list", "--json"]));
    assert_eq!(blocks.as_array().unwrap().len(), 1);
    assert_eq!(blocks[0]["remaining"], 100);
}

#[test]
fn demo_leaves_its_records_and_refuses_to_run_twice() {
    let dir = tempfile::tempdir().unwrap();
    let demo = zk(dir.path(), &["demo"]);
    let text = stdout(&demo);
    assert!(
        demo.status.success(),
        "stdout:\n{text}\nstderr:\n{}",
        stderr(&demo)
    );
    assert!(
        text.contains("candidate A: confirmed, admission number 4201271"),
        "{text}"
    );
    assert!(
        text.contains("candidate B: not confirmed (staff.rejected"),
        "{text}"
    );
    assert!(
        text.contains("candidate C: confirmed, admission number 4202271"),
        "{text}"
    );
    assert!(
        text.contains("real face matching (seeta-fd-frontal-v1.0+dlib-5pt-refined+resnet-v1)"),
        "the demo matches faces with the real models: {text}"
    );
    assert!(
        text.contains("speech and lip sync SIMULATED"),
        "the simulated parts must say so: {text}"
    );
    assert!(
        !text.contains("110101199003070011"),
        "no full ID numbers in the demo output"
    );

    let confirmations = json(&zk(dir.path(), &["confirmations", "list", "--json"]));
    assert_eq!(confirmations.as_array().unwrap().len(), 2);
    let audit = zk(dir.path(), &["audit", "verify"]);
    assert!(audit.status.success(), "{}", stderr(&audit));

    let again = zk(dir.path(), &["demo"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("fresh --store"),
        "{}",
        stderr(&again)
    );

    // Without the key file the store refuses to open and never makes a new key.
    std::fs::remove_file(dir.path().join("artefact.key")).unwrap();
    let refused = zk(dir.path(), &["roster", "list"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).to_lowercase().contains("key"),
        "{}",
        stderr(&refused)
    );
    assert!(!dir.path().join("artefact.key").exists());
}

#[test]
fn demo_without_store_runs_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_zk"))
        .current_dir(repo_root())
        .arg("demo")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("in-memory store"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn card_read_with_the_default_simulated_reader_masks_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let masked = zk(dir.path(), &["card", "read", "--timeout", "10"]);
    assert!(masked.status.success(), "{}", stderr(&masked));
    let text = stdout(&masked);
    assert!(text.contains("110***********0011"), "{text}");
    assert!(!text.contains("110101199003070011"), "{text}");
    assert!(text.contains("JPEG 102×126"), "{text}");
    assert!(text.contains("check         valid"), "{text}");

    let revealed = zk(
        dir.path(),
        &["card", "read", "--reveal", "--json", "--decoder", "none"],
    );
    assert!(revealed.status.success(), "{}", stderr(&revealed));
    let value = json(&revealed);
    assert_eq!(value["number"], "110101199003070011");
    assert_eq!(value["name"], "李明");
    assert_eq!(value["photo"]["format"], "undecoded");

    let bad = zk(dir.path(), &["card", "read", "--decoder", "magic"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("none, image or vendor"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn simulator_on_a_linked_pty_answers_card_read_and_card_ports() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ttyZK");
    let script = repo_root().join("assets/sim/cards.json");
    let mut simulator = Command::new(env!("CARGO_BIN_EXE_zk"))
        .args([
            "reader",
            "simulate",
            "--instant",
            "--baud",
            "38400",
            "--script",
        ])
        .arg(&script)
        .arg("--link")
        .arg(&link)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::fs::symlink_metadata(&link).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the simulator never made its link"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let link_text = link.to_str().unwrap();

    let ports = zk(
        dir.path(),
        &["card", "ports", "--also", link_text, "--json"],
    );
    let rows = json(&ports);
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["path"] == link_text)
        .unwrap();
    assert_eq!(row["reader"], true, "{row}");
    assert_eq!(row["baud"], 38400);
    assert!(ports.status.success());

    let read = zk(dir.path(), &["card", "read", "--port", link_text, "--json"]);
    assert!(read.status.success(), "{}", stderr(&read));
    assert_eq!(json(&read)["number"], "110***********0011");
    let second = zk(
        dir.path(),
        &[
            "card", "read", "--port", link_text, "--baud", "38400", "--json",
        ],
    );
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(json(&second)["number"], "420***********0246");

    let wrong_rate = zk(
        dir.path(),
        &["card", "read", "--port", link_text, "--baud", "9600"],
    );
    assert_eq!(wrong_rate.status.code(), Some(1));
    assert!(
        stderr(&wrong_rate).contains("ID card reader"),
        "{}",
        stderr(&wrong_rate)
    );
    simulator.kill().unwrap();
    simulator.wait().unwrap();
}

#[test]
fn card_read_on_a_missing_port_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let missing = zk(
        dir.path(),
        &[
            "card",
            "read",
            "--port",
            "/dev/zikao-none",
            "--timeout",
            "1",
        ],
    );
    assert_eq!(missing.status.code(), Some(1));
    let message = stderr(&missing);
    assert!(message.contains("ID card reader"), "{message}");
    assert!(
        message.contains("connect") || message.contains("cable"),
        "{message}"
    );
}

/// The face photos the specimens are drawn with (../shared/data/faces, or ZK_FACES_DIR).
fn faces_dir() -> PathBuf {
    std::env::var_os("ZK_FACES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/data/faces"))
}

#[test]
fn card_ocr_reads_a_specimen_photo_and_masks_it_unless_revealed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("specimens");
    let faces = faces_dir();
    let made = zk(
        dir.path(),
        &[
            "card",
            "specimen",
            "--out",
            out.to_str().unwrap(),
            "--count",
            "2",
            "--seed",
            "9",
            "--faces",
            faces.to_str().unwrap(),
        ],
    );
    assert!(made.status.success(), "{}", stderr(&made));
    let truth: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(out.join("truth.jsonl"))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let image = out.join(truth["image"].as_str().unwrap());
    let back = out.join(truth["back_image"].as_str().unwrap());
    let card_png = dir.path().join("card.png");
    let read = zk(
        dir.path(),
        &[
            "card",
            "ocr",
            image.to_str().unwrap(),
            "--back",
            back.to_str().unwrap(),
            "--json",
            "--reveal",
            "--card-out",
            card_png.to_str().unwrap(),
        ],
    );
    assert!(read.status.success(), "{}", stderr(&read));
    let value = json(&read);
    for field in [
        "name",
        "sex",
        "ethnicity",
        "birth_date",
        "address",
        "id_number",
        "authority",
        "validity",
    ] {
        assert_eq!(
            value["fields"][field]["text"], truth["fields"][field],
            "{field}: {value}"
        );
        assert!(value["fields"][field]["confidence"].as_f64().unwrap() > 0.5);
    }
    assert_eq!(value["needs_staff_confirmation"], true);
    assert_eq!(
        image::image_dimensions(&card_png).unwrap(),
        (856, 540),
        "the straightened card"
    );
    // Masked by default: the number's middle and most of the name are hidden.
    let masked = zk(
        dir.path(),
        &[
            "card",
            "ocr",
            image.to_str().unwrap(),
            "--back",
            back.to_str().unwrap(),
            "--json",
        ],
    );
    let masked = json(&masked);
    let number = truth["fields"]["id_number"].as_str().unwrap();
    assert_ne!(masked["fields"]["id_number"]["text"], number);
    assert_ne!(
        masked["fields"]["authority"]["text"],
        truth["fields"]["authority"]
    );
    assert_eq!(
        masked["fields"]["validity"]["text"],
        truth["fields"]["validity"]
    );
    assert!(!stdout(&read).is_empty() && !masked.to_string().contains(number));

    // A photo without a card: a clear message and a failed exit.
    let face = std::fs::read_dir(faces.join("AsianCeleb_1"))
        .unwrap()
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .find(|path| path.extension().is_some_and(|ext| ext == "jpg"))
        .unwrap();
    let none = zk(dir.path(), &["card", "ocr", face.to_str().unwrap()]);
    assert!(!none.status.success());
    assert!(
        stderr(&none).contains("card.not_found"),
        "{}",
        stderr(&none)
    );
    let broken = dir.path().join("broken.jpg");
    std::fs::write(&broken, b"not an image").unwrap();
    let broken = zk(dir.path(), &["card", "ocr", broken.to_str().unwrap()]);
    assert!(!broken.status.success());
    assert!(
        stderr(&broken).contains("cannot read"),
        "{}",
        stderr(&broken)
    );
}
