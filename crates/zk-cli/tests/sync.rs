//! `zk desk`, `zk sync` and `zk hub` end to end: the demo's confirmations go from a desk store to
//! a `zk hub serve` child process on 127.0.0.1, and desk and hub agree on the counts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

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
        .env_remove("ZK_HUB")
        .env_remove("ZK_HUB_DB")
        .output()
        .expect("run zk")
}

fn ok(output: Output) -> Output {
    assert!(
        output.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// Kills the hub when the test ends, whatever happens.
struct HubProcess(Child);

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_demo_desk_pushes_to_a_hub_process_and_both_agree() {
    let desk = tempfile::tempdir().unwrap();
    ok(zk(desk.path(), &["demo"]));
    let before = json(&ok(zk(desk.path(), &["sync", "status", "--json"])));
    assert_eq!(before["confirmations"], 2);
    assert_eq!(before["unacked"], 2);

    let pubkey = String::from_utf8(ok(zk(desk.path(), &["desk", "pubkey"])).stdout).unwrap();
    let pubkey = pubkey.trim();
    assert_eq!(pubkey.len(), 64);

    let hub_dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", hub_dir.path().join("hub.sqlite").display());
    ok(zk(
        hub_dir.path(),
        &[
            "hub",
            "enrol-desk",
            "--db",
            &db,
            "--pubkey",
            pubkey,
            "--name",
            "desk-1",
        ],
    ));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let _hub = HubProcess(
        Command::new(env!("CARGO_BIN_EXE_zk"))
            .args(["hub", "serve", "--db", &db, "--listen", &listen])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    while std::net::TcpStream::connect(&listen).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the hub did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let hub_url = format!("http://{listen}");
    let pushed = json(&ok(zk(
        desk.path(),
        &["sync", "push", "--hub", &hub_url, "--json"],
    )));
    assert_eq!(pushed["report"]["stored"], 2);
    assert!(pushed["report"]["blobs_uploaded"].as_u64().unwrap() > 0);
    assert_eq!(pushed["status"]["unacked"], 0);

    let stats = json(&ok(zk(
        hub_dir.path(),
        &["hub", "stats", "--db", &db, "--json"],
    )));
    assert_eq!(stats["confirmations"], 2);
    assert_eq!(stats["desks"], 1);

    // Again: nothing to send, nothing changes.
    let again = json(&ok(zk(
        desk.path(),
        &["sync", "push", "--hub", &hub_url, "--json"],
    )));
    assert_eq!(again["report"]["batches"], 0);
    assert_eq!(
        json(&ok(zk(
            hub_dir.path(),
            &["hub", "stats", "--db", &db, "--json"]
        ))),
        stats
    );
    let after = json(&ok(zk(desk.path(), &["sync", "status", "--json"])));
    assert_eq!(
        (after["confirmations"].clone(), after["acked"].clone()),
        (2.into(), 2.into())
    );
    let conflicts = ok(zk(hub_dir.path(), &["hub", "conflicts", "--db", &db]));
    assert_eq!(
        String::from_utf8_lossy(&conflicts.stdout).trim(),
        "no conflicts"
    );

    // An unenrolled desk is refused with a message that says what to do.
    let stranger = tempfile::tempdir().unwrap();
    ok(zk(stranger.path(), &["demo"]));
    let refused = zk(stranger.path(), &["sync", "push", "--hub", &hub_url]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("enrol-desk"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}
