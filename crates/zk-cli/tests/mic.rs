//! `zk mic list|record` with the real cpal backend, each run as a child process whose
//! `ALSA_CONFIG_PATH` makes a raw file the capture device (no sound card needed; recipe:
//! ../shared/research/liveness-asr.md §4). Needs alsa-lib's configuration (libasound2).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use zk_drivers::AudioClip;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn speech() -> AudioClip {
    let path = repo_root().join("tests/fixtures/speech/d05-73052.wav");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run scripts/make-speech-fixtures.sh",
            path.display()
        )
    });
    AudioClip::from_wav_bytes(&bytes).unwrap()
}

/// An ALSA configuration for `zk`: the default capture device reads `infile`, or (None) the
/// default is a sound card that does not exist — a desk with no microphone.
fn alsa_config(dir: &Path, infile: Option<&Path>) -> String {
    assert!(
        Path::new("/usr/share/alsa/alsa.conf").exists(),
        "alsa-lib's configuration is missing: install libasound2-dev (scripts/setup.sh)"
    );
    let text = match infile {
        Some(infile) => format!(
            "pcm.fakemic_file {{ type file slave.pcm \"nullsrc\" file \"/dev/null\" infile \"{}\" format \"raw\" }}\n\
             pcm.nullsrc {{ type null }}\n\
             pcm.fakemic {{ type plug slave.pcm \"fakemic_file\" hint {{ show on description \"Fake mic (file)\" }} }}\n\
             pcm.!default {{ type asym playback.pcm \"null\" capture.pcm \"fakemic_file\" }}\n",
            infile.display()
        ),
        None => "pcm.!default { type hw card 9 }\nctl.!default { type hw card 9 }\n".to_owned(),
    };
    let path = dir.join("asound.conf");
    std::fs::write(&path, text).unwrap();
    format!("/usr/share/alsa/alsa.conf:{}", path.display())
}

fn zk(alsa: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zk"))
        .current_dir(repo_root())
        .args(args)
        .env_remove("ZK_CONFIG")
        .env("ALSA_CONFIG_PATH", alsa)
        .output()
        .expect("run zk")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write_raw(dir: &Path, clip: &AudioClip) -> PathBuf {
    let path = dir.join("speech.raw");
    let mut file = std::fs::File::create(&path).unwrap();
    for sample in &clip.samples {
        file.write_all(&sample.to_le_bytes()).unwrap();
    }
    path
}

#[test]
fn mic_record_writes_the_device_audio_as_16k_mono_wav() {
    let dir = tempfile::tempdir().unwrap();
    let clip = speech();
    let alsa = alsa_config(dir.path(), Some(&write_raw(dir.path(), &clip)));
    let out = dir.path().join("test.wav");
    let output = zk(
        &alsa,
        &[
            "mic",
            "record",
            "--seconds",
            "2",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("recorded 2.0 s from default"), "{stdout}");
    assert!(stdout.contains("dBFS"), "{stdout}");

    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[22..24], &1u16.to_le_bytes(), "mono");
    assert_eq!(&bytes[24..28], &16_000u32.to_le_bytes(), "16 kHz");
    assert_eq!(&bytes[34..36], &16u16.to_le_bytes(), "16-bit");
    let recorded = AudioClip::from_wav_bytes(&bytes).unwrap();
    assert_eq!(recorded.samples.len(), 32_000);
    assert!(
        recorded.samples == clip.samples[..32_000],
        "the file's first 2 s, exactly"
    );

    // The named device (through the plug plugin), in JSON.
    let output = zk(
        &alsa,
        &[
            "mic",
            "record",
            "--seconds",
            "1",
            "--device",
            "Fake mic (file)",
            "--out",
            out.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["samples"], 16_000);
    assert_eq!(report["device"], "Fake mic (file)");
    assert!(report["peak_dbfs"].as_f64().unwrap() > -10.0, "{report}");
}

#[test]
fn mic_list_shows_the_devices_and_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let alsa = alsa_config(dir.path(), Some(&write_raw(dir.path(), &speech())));
    let output = zk(&alsa, &["mic", "list"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("alsa:fakemic  Fake mic (file)"), "{stdout}");
    assert!(stdout.contains("* alsa:default"), "{stdout}");
    let output = zk(&alsa, &["mic", "list", "--json"]);
    let listed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(listed["microphones"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["id"] == "alsa:fakemic"));
}

#[test]
fn no_microphone_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let alsa = alsa_config(dir.path(), None);
    let out = dir.path().join("none.wav");
    let output = zk(
        &alsa,
        &[
            "mic",
            "record",
            "--seconds",
            "1",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("microphone is not connected"), "{stderr}");
    assert!(!out.exists(), "no file for a failed recording");

    let missing = zk(
        &alsa,
        &[
            "mic",
            "record",
            "--device",
            "nosuchmic",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("microphone is not connected"));

    let bad = zk(
        &alsa,
        &[
            "mic",
            "record",
            "--seconds",
            "0",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("--seconds must be 1 to 60"));
}
