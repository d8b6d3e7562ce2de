//! The sync paths an admin scripts, through the `zk` binary in child processes:
//! - offline: `zk hub keygen`, `zk sync export`, `zk hub import`, `zk sync apply-receipt`;
//! - faults: `kill -9` of the hub (`zk hub serve`) and of the desk (`zk sync push`) in the middle
//!   of a push. After each: zero records lost, zero duplicated, hub and desk agree.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../zk-hub/tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{Desk, Sizes};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn command(store: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zk"));
    command
        .current_dir(repo_root())
        .arg("--store")
        .arg(store)
        .args(args)
        .env_remove("ZK_CONFIG")
        .env_remove("ZK_HUB")
        .env_remove("ZK_HUB_DB")
        .env_remove("ZK_HUB_KEY")
        .env_remove("ZK_HUB_KEY_FILE");
    command
}

fn zk(store: &Path, args: &[&str]) -> Output {
    command(store, args).output().expect("run zk")
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

fn stats(db: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    json(&ok(zk(dir.path(), &["hub", "stats", "--db", db, "--json"])))
}

fn pubkey(desk: &Path) -> String {
    String::from_utf8(ok(zk(desk, &["desk", "pubkey"])).stdout)
        .unwrap()
        .trim()
        .to_owned()
}

fn enrol(hub_dir: &Path, db: &str, desk: &Path) {
    ok(zk(
        hub_dir,
        &["hub", "enrol-desk", "--db", db, "--pubkey", &pubkey(desk)],
    ));
}

#[test]
fn a_bundle_goes_to_the_hub_and_its_receipt_comes_back() {
    let desk = tempfile::tempdir().unwrap();
    ok(zk(desk.path(), &["demo"]));
    let hub_dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", hub_dir.path().join("hub.sqlite").display());
    let key_file = hub_dir.path().join("hub.key");
    let key_file = key_file.to_str().unwrap();
    let made = json(&ok(zk(
        hub_dir.path(),
        &["hub", "keygen", "--out", key_file, "--json"],
    )));
    let hub_key = made["public_key"].as_str().unwrap().to_owned();
    assert!(hub_key.starts_with("zkhub1:"), "{hub_key}");
    // The key file is never overwritten.
    let again = zk(hub_dir.path(), &["hub", "keygen", "--out", key_file]);
    assert_eq!(again.status.code(), Some(1));
    let printed = ok(zk(hub_dir.path(), &["hub", "pubkey", "--key", key_file]));
    assert_eq!(String::from_utf8_lossy(&printed.stdout).trim(), hub_key);
    enrol(hub_dir.path(), &db, desk.path());

    let stick = tempfile::tempdir().unwrap();
    let bundle = stick.path().join("desk-1.zkb");
    let bundle_path = bundle.to_str().unwrap();
    let exported = json(&ok(zk(
        desk.path(),
        &[
            "sync",
            "export",
            "--out",
            bundle_path,
            "--hub-key",
            &hub_key,
            "--json",
        ],
    )));
    assert_eq!(exported["report"]["records"], 2);
    assert!(exported["report"]["blobs"].as_u64().unwrap() >= 4);
    // Nothing on the stick reads as an ID number or a name.
    let bytes = std::fs::read(&bundle).unwrap();
    assert!(!String::from_utf8_lossy(&bytes).contains("\"id_number\""));

    let imported = json(&ok(zk(
        hub_dir.path(),
        &[
            "hub",
            "import",
            "--db",
            &db,
            "--key",
            key_file,
            bundle_path,
            "--json",
        ],
    )));
    assert_eq!(
        (imported["records"].clone(), imported["stored"].clone()),
        (2.into(), 2.into())
    );
    let receipt = PathBuf::from(imported["receipt"].as_str().unwrap());
    assert_eq!(receipt, stick.path().join("desk-1.zkb.receipt.json"));
    let after_import = stats(&db);
    assert_eq!(after_import["confirmations"], 2);

    // Imported twice: the same answer, nothing new.
    let twice = json(&ok(zk(
        hub_dir.path(),
        &[
            "hub",
            "import",
            "--db",
            &db,
            "--key",
            key_file,
            bundle_path,
            "--json",
        ],
    )));
    assert_eq!(twice["stored"], 2, "the stored answer of the first import");
    assert_eq!(stats(&db), after_import);

    // A flipped byte: refused with a reason, nothing changes.
    let mut damaged = bytes.clone();
    let at = damaged.len() / 2;
    damaged[at] ^= 0x04;
    let damaged_path = stick.path().join("damaged.zkb");
    std::fs::write(&damaged_path, &damaged).unwrap();
    let refused = zk(
        hub_dir.path(),
        &[
            "hub",
            "import",
            "--db",
            &db,
            "--key",
            key_file,
            damaged_path.to_str().unwrap(),
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("damaged"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(stats(&db), after_import);

    // Before the receipt the desk still owes both; after it, none; twice changes nothing.
    let status = json(&ok(zk(desk.path(), &["sync", "status", "--json"])));
    assert_eq!(status["unacked"], 2);
    let applied = json(&ok(zk(
        desk.path(),
        &[
            "sync",
            "apply-receipt",
            receipt.to_str().unwrap(),
            "--hub-key",
            &hub_key,
            "--json",
        ],
    )));
    assert_eq!(applied["report"]["newly_acked"], 2);
    assert_eq!(applied["status"]["unacked"], 0);
    let reapplied = json(&ok(zk(
        desk.path(),
        &[
            "sync",
            "apply-receipt",
            receipt.to_str().unwrap(),
            "--hub-key",
            &hub_key,
            "--json",
        ],
    )));
    assert_eq!(reapplied["report"]["already_acked"], 2);

    // Another desk cannot apply this desk's receipt.
    let other = tempfile::tempdir().unwrap();
    ok(zk(other.path(), &["demo"]));
    let wrong = zk(
        other.path(),
        &[
            "sync",
            "apply-receipt",
            receipt.to_str().unwrap(),
            "--hub-key",
            &hub_key,
        ],
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("another desk"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
}

/// Kills the child when the test ends, whatever happens.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_listen() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("127.0.0.1:{port}")
}

fn start_hub(db: &str, listen: &str) -> Killed {
    let dir = tempfile::tempdir().unwrap();
    let hub = Killed(
        command(
            dir.path(),
            &["hub", "serve", "--db", db, "--listen", listen],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap(),
    );
    let started = Instant::now();
    while std::net::TcpStream::connect(listen).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the hub did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    hub
}

/// A desk store with `count` confirmations of kiosk-sized artefacts.
fn busy_desk(count: usize) -> Desk {
    let mut desk = Desk::new("desk-k", count, ("K", 1, 99_999));
    desk.confirm_many(
        0..count,
        Sizes {
            photo: 30_000,
            id_photo: 15_000,
            signature: 4_000,
        },
    );
    desk
}

/// Waits until `ready(stats)` or the child exits; false when it exited first.
fn wait_for(db: &str, child: &mut Child, ready: impl Fn(&serde_json::Value) -> bool) -> bool {
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if ready(&stats(db)) {
            return true;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "timed out");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Desk and hub agree: every confirmation once, payload hashes equal, nothing left to send.
fn assert_agree(desk: &Desk, db: &str, count: usize) {
    let status = desk.store.sync_status().unwrap();
    assert_eq!((status.confirmations, status.unacked), (count as u64, 0));
    let hub = stats(db);
    assert_eq!(hub["confirmations"], count as u64);
    assert_eq!(hub["conflicts"], 0);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let held = rt.block_on(async {
        let db = zk_hub::HubDb::connect(db).await.unwrap();
        db.confirmation_hashes().await.unwrap()
    });
    let seqs: Vec<i64> = (1..=count as i64).collect();
    let mut expected: Vec<(String, String)> = desk
        .store
        .outbox_rows(&seqs)
        .unwrap()
        .into_iter()
        .map(|row| {
            (
                row.confirmation_id,
                zk_sync::wire::sha256_hex(row.payload.as_bytes()),
            )
        })
        .collect();
    expected.sort();
    assert_eq!(held, expected);
}

#[test]
fn kill_9_of_the_hub_mid_push_loses_and_duplicates_nothing() {
    let count = 240;
    let mut desk = busy_desk(count);
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
            &desk.key().public_hex(),
        ],
    ));
    let listen = free_listen();
    let url = format!("http://{listen}");
    let store = desk.dir.path().to_path_buf();

    let mut hub = start_hub(&db, &listen);
    let mut push = Killed(
        command(&store, &["sync", "push", "--hub", &url, "--batch", "80"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // Mid-push: the first blobs have arrived, most of the push is still to come.
    assert!(
        wait_for(&db, &mut push.0, |s| s["blobs"].as_u64().unwrap() > 0),
        "the push ended before the hub could be killed"
    );
    hub.0.kill().unwrap(); // SIGKILL
    hub.0.wait().unwrap();
    let ended = push.0.wait_with_output_killed();
    assert!(
        !ended.0.success(),
        "the push cannot succeed without its hub"
    );
    assert!(ended.1.contains("unreachable"), "{}", ended.1);

    // The hub comes back; the desk pushes again and resumes.
    let _hub = start_hub(&db, &listen);
    let resumed = json(&ok(zk(
        &store,
        &["sync", "push", "--hub", &url, "--batch", "80", "--json"],
    )));
    assert_eq!(resumed["status"]["unacked"], 0);
    desk.store = zk_store::Store::open(&store).unwrap();
    assert_agree(&desk, &db, count);
}

#[test]
fn kill_9_of_the_desk_mid_push_loses_and_duplicates_nothing() {
    let count = 240;
    let mut desk = busy_desk(count);
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
            &desk.key().public_hex(),
        ],
    ));
    let listen = free_listen();
    let url = format!("http://{listen}");
    let store = desk.dir.path().to_path_buf();
    let _hub = start_hub(&db, &listen);
    let mut push = Killed(
        command(&store, &["sync", "push", "--hub", &url, "--batch", "80"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Killed as soon as the hub has committed a batch: likely before the desk marked it.
    assert!(
        wait_for(&db, &mut push.0, |s| s["confirmations"].as_u64().unwrap()
            >= 80),
        "the push ended before it could be killed"
    );
    push.0.kill().unwrap();
    push.0.wait().unwrap();
    let status = json(&ok(zk(&store, &["sync", "status", "--json"])));
    assert!(status["unacked"].as_u64().unwrap() > 0);
    let resumed = json(&ok(zk(
        &store,
        &["sync", "push", "--hub", &url, "--batch", "80", "--json"],
    )));
    assert_eq!(resumed["status"]["unacked"], 0);
    desk.store = zk_store::Store::open(&store).unwrap();
    assert_agree(&desk, &db, count);
}

trait WaitKilled {
    fn wait_with_output_killed(&mut self) -> (std::process::ExitStatus, String);
}

impl WaitKilled for Child {
    /// Waits for a child whose stderr is piped; returns its status and stderr.
    fn wait_with_output_killed(&mut self) -> (std::process::ExitStatus, String) {
        use std::io::Read;
        let mut text = String::new();
        if let Some(mut stderr) = self.stderr.take() {
            let _ = stderr.read_to_string(&mut text);
        }
        (self.wait().unwrap(), text)
    }
}
