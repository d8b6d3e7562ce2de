//! `zk camera list|snap`. This machine has no camera (no `/dev/video*`), so the real backend is
//! checked for its "no camera" answers; `snap` through the configured simulator checks the
//! frame-to-JPEG path.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn zk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zk"))
        .current_dir(repo_root())
        .args(args)
        .env_remove("ZK_CONFIG")
        .env_remove("ZK_DRIVERS__CAMERA__BACKEND")
        .output()
        .expect("run zk")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn camera_list_reports_the_cameras_or_says_there_is_none() {
    let output = zk(&["camera", "list", "--json"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let cameras = listed["cameras"].as_array().expect("a list").clone();
    let output = zk(&["camera", "list"]);
    if cameras.is_empty() {
        assert!(!output.status.success());
        assert!(
            text(&output.stderr).contains("no camera found; plug one in"),
            "{}",
            text(&output.stderr)
        );
    } else {
        assert!(output.status.success(), "{}", text(&output.stderr));
        let first = cameras[0]["index"].as_str().unwrap().to_owned();
        assert!(text(&output.stdout).contains(&first));
    }
}

#[test]
fn camera_snap_without_that_camera_says_it_is_not_connected() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("frame.jpg");
    let output = zk(&[
        "camera",
        "snap",
        "--device",
        "/dev/video63",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("camera: the camera is not connected"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing written");
}

#[test]
fn camera_snap_saves_a_frame_of_the_configured_camera() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("frame.jpg");
    let output = zk(&[
        "camera",
        "snap",
        "--warmup",
        "2",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        report["source"].as_str().unwrap().contains("simulated"),
        "{report}"
    );
    let saved = image::open(&out).unwrap().to_rgb8();
    let source = image::open(repo_root().join("assets/demo/candidate-a-live.jpg"))
        .unwrap()
        .to_rgb8();
    assert_eq!(saved.dimensions(), source.dimensions());
    assert_eq!(
        (report["width"].as_u64(), report["height"].as_u64()),
        (
            Some(u64::from(source.width())),
            Some(u64::from(source.height()))
        )
    );
    let difference: u64 = saved
        .as_raw()
        .iter()
        .zip(source.as_raw())
        .map(|(a, b)| u64::from(a.abs_diff(*b)))
        .sum();
    let mean = difference as f64 / saved.as_raw().len() as f64;
    assert!(
        mean < 4.0,
        "the saved JPEG is the camera's frame: {mean:.2}"
    );

    let output = zk(&["camera", "snap", "--warmup", "1000", "--out", "x.jpg"]);
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("--warmup"));
}
