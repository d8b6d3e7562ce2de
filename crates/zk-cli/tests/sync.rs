//! `zk desk`, `zk sync` and `zk hub` end to end: the demo's confirmations go from a desk store to
//! a `zk hub serve` child process on 127.0.0.1, and desk and hub agree on the counts; the hub's
//! roster and serial blocks come down to desk stores; the same over HTTPS with a private CA.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// The store tests' synthetic roster rows (no real people).
#[allow(dead_code)]
#[path = "../../zk-store/tests/store/common.rs"]
mod fixtures;

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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `zk hub serve` on a free port (HTTPS with `tls = Some((cert, key))`); returns it and its URL
/// once it accepts connections.
fn serve_hub(db: &str, tls: Option<(&Path, &Path)>) -> (HubProcess, String) {
    let listen = format!("127.0.0.1:{}", free_port());
    let mut command = Command::new(env!("CARGO_BIN_EXE_zk"));
    command.args(["hub", "serve", "--db", db, "--listen", &listen]);
    if let Some((cert, key)) = tls {
        command
            .arg("--tls-cert")
            .arg(cert)
            .arg("--tls-key")
            .arg(key);
    }
    let hub = HubProcess(
        command
            .env_remove("ZK_HUB_DB")
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
    let scheme = if tls.is_some() { "https" } else { "http" };
    (hub, format!("{scheme}://{listen}"))
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn pubkey(desk: &Path) -> String {
    String::from_utf8(ok(zk(desk, &["desk", "pubkey"])).stdout)
        .unwrap()
        .trim()
        .to_owned()
}

fn roster_file(dir: &Path, name: &str, rows: &[String]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, fixtures::csv(fixtures::HEADER_ZH, rows)).unwrap();
    path
}

#[test]
fn a_desk_process_pulls_its_sites_roster_and_serial_blocks_from_a_hub_process() {
    let hub_dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", hub_dir.path().join("hub.sqlite").display());
    let rows: Vec<String> = (1..=30).map(fixtures::row).collect();
    let file = roster_file(hub_dir.path(), "site-a.csv", &rows);
    let imported = json(&ok(zk(
        hub_dir.path(),
        &[
            "hub",
            "roster",
            "import",
            "--db",
            &db,
            "--site",
            "site-a",
            file.to_str().unwrap(),
            "--json",
        ],
    )));
    assert_eq!(
        (imported["inserted"].clone(), imported["revision"].clone()),
        (30.into(), 30.into())
    );
    // A roster the desk's importer refuses is refused here too, whole.
    let bad = roster_file(
        hub_dir.path(),
        "bad.csv",
        &[fixtures::row(1), fixtures::row(1)],
    );
    let refused = zk(
        hub_dir.path(),
        &[
            "hub",
            "roster",
            "import",
            "--db",
            &db,
            "--site",
            "site-a",
            bad.to_str().unwrap(),
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("row 3"), "{}", stderr(&refused));

    let desk = tempfile::tempdir().unwrap();
    let key = pubkey(desk.path());
    let enrolled = ok(zk(
        hub_dir.path(),
        &[
            "hub",
            "enrol-desk",
            "--db",
            &db,
            "--pubkey",
            &key,
            "--site",
            "site-a",
            "--name",
            "desk-1",
        ],
    ));
    assert!(String::from_utf8_lossy(&enrolled.stdout).contains("enrolled at site site-a"));
    let (_hub, url) = serve_hub(&db, None);

    let pulled = json(&ok(zk(
        desk.path(),
        &["sync", "pull", "--hub", &url, "--page", "7", "--json"],
    )));
    assert_eq!(pulled["site"], "site-a");
    assert_eq!(
        (
            pulled["pages"].clone(),
            pulled["rows"].clone(),
            pulled["inserted"].clone(),
            pulled["cursor"].clone()
        ),
        (5.into(), 30.into(), 30.into(), 30.into())
    );
    let listed = json(&ok(zk(desk.path(), &["roster", "list", "--json"])));
    assert_eq!(listed["total"], 30);

    // One registration changes at the hub: it alone comes down again.
    let mut changed = rows.clone();
    changed[4] = changed[4].replace("英语", "法学");
    let file = roster_file(hub_dir.path(), "site-a-2.csv", &changed);
    let second = json(&ok(zk(
        hub_dir.path(),
        &[
            "hub",
            "roster",
            "import",
            "--db",
            &db,
            "--site",
            "site-a",
            file.to_str().unwrap(),
            "--json",
        ],
    )));
    assert_eq!(
        (second["updated"].clone(), second["unchanged"].clone()),
        (1.into(), 29.into())
    );
    let again = json(&ok(zk(
        desk.path(),
        &["sync", "pull", "--hub", &url, "--json"],
    )));
    assert_eq!(
        (
            again["rows"].clone(),
            again["updated"].clone(),
            again["cursor"].clone()
        ),
        (1.into(), 1.into(), 31.into())
    );
    let status = json(&ok(zk(desk.path(), &["sync", "status", "--json"])));
    assert_eq!(status["roster_pulls"][0]["cursor"], 31);

    // Another site's roster: refused, and the message says why.
    let other = zk(
        desk.path(),
        &["sync", "pull", "--hub", &url, "--site", "site-b"],
    );
    assert_eq!(other.status.code(), Some(1));
    assert!(stderr(&other).contains("wrong_site"), "{}", stderr(&other));

    // Serial blocks: two in a row do not overlap; the hub lists both.
    let first = json(&ok(zk(
        desk.path(),
        &[
            "sync",
            "serials",
            "--hub",
            &url,
            "--district",
            "4201",
            "--sitting",
            "272",
            "--size",
            "50",
            "--json",
        ],
    )));
    assert_eq!(
        (
            first["block"]["first"].clone(),
            first["block"]["last"].clone()
        ),
        (1.into(), 50.into())
    );
    let next = json(&ok(zk(
        desk.path(),
        &[
            "sync",
            "serials",
            "--hub",
            &url,
            "--district",
            "4201",
            "--sitting",
            "272",
            "--size",
            "50",
            "--json",
        ],
    )));
    assert_eq!(next["block"]["first"], 51);
    let blocks = json(&ok(zk(desk.path(), &["serials", "list", "--json"])));
    assert_eq!(blocks.as_array().map(Vec::len), Some(2), "{blocks}");
    let allocations = json(&ok(zk(
        hub_dir.path(),
        &["hub", "serials", "--db", &db, "--json"],
    )));
    assert_eq!(allocations.as_array().map(Vec::len), Some(2));
    assert_eq!(allocations[0]["desk_name"], "desk-1");
    // More than is left: refused with the count that is left; nothing recorded.
    let exhausted = zk(
        desk.path(),
        &[
            "sync",
            "serials",
            "--hub",
            &url,
            "--district",
            "4201",
            "--sitting",
            "272",
            "--size",
            "99999",
        ],
    );
    assert_eq!(exhausted.status.code(), Some(1));
    assert!(
        stderr(&exhausted).contains("99899 serials left"),
        "{}",
        stderr(&exhausted)
    );
    let blocks = json(&ok(zk(desk.path(), &["serials", "list", "--json"])));
    assert_eq!(blocks.as_array().map(Vec::len), Some(2));
    ok(zk(desk.path(), &["audit", "verify"]));
}

#[test]
fn a_pull_leaves_the_demo_desks_confirmations_as_they_are() {
    let desk = tempfile::tempdir().unwrap();
    ok(zk(desk.path(), &["demo"]));
    let confirmations = json(&ok(zk(desk.path(), &["confirmations", "list", "--json"])));
    let confirmed: Vec<String> = confirmations
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["registration_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(confirmed.len(), 2, "{confirmations}");
    let before = json(&ok(zk(desk.path(), &["roster", "list", "--json"])));

    // The hub's roster is the demo roster with the first confirmed candidate renamed.
    let hub_dir = tempfile::tempdir().unwrap();
    let demo = std::fs::read_to_string(repo_root().join("assets/demo/roster.csv")).unwrap();
    let renamed: String = demo
        .lines()
        .map(|line| {
            if line.starts_with(&format!("{},", confirmed[0])) {
                let mut cells: Vec<&str> = line.split(',').collect();
                cells[3] = "改名";
                cells.join(",")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let file = hub_dir.path().join("roster.csv");
    std::fs::write(&file, renamed).unwrap();
    let db = format!("sqlite://{}", hub_dir.path().join("hub.sqlite").display());
    ok(zk(
        hub_dir.path(),
        &[
            "hub",
            "roster",
            "import",
            "--db",
            &db,
            "--site",
            "demo",
            file.to_str().unwrap(),
        ],
    ));
    let key = pubkey(desk.path());
    ok(zk(
        hub_dir.path(),
        &[
            "hub",
            "enrol-desk",
            "--db",
            &db,
            "--pubkey",
            &key,
            "--site",
            "demo",
        ],
    ));
    let (_hub, url) = serve_hub(&db, None);
    let pulled = json(&ok(zk(
        desk.path(),
        &["sync", "pull", "--hub", &url, "--json"],
    )));
    assert_eq!(
        (
            pulled["rows"].clone(),
            pulled["kept_confirmed"].clone(),
            pulled["identity_changes"].clone(),
            pulled["updated"].clone()
        ),
        (10.into(), 1.into(), 1.into(), 8.into())
    );
    assert_eq!(
        pulled["held_back"][0]["registration_id"],
        confirmed[0].as_str()
    );
    // The roster, the confirmations and the outbox are exactly as before.
    assert_eq!(
        json(&ok(zk(desk.path(), &["roster", "list", "--json"]))),
        before
    );
    assert_eq!(
        json(&ok(zk(desk.path(), &["confirmations", "list", "--json"]))),
        confirmations
    );
    let status = json(&ok(zk(desk.path(), &["sync", "status", "--json"])));
    assert_eq!(
        (status["confirmations"].clone(), status["unacked"].clone()),
        (2.into(), 2.into())
    );
    ok(zk(desk.path(), &["audit", "verify"]));
}

#[test]
fn push_over_https_needs_the_sites_ca() {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let pki = tempfile::tempdir().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "zk test site CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let hub_params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    let hub_key = KeyPair::generate().unwrap();
    let hub_cert = hub_params.signed_by(&hub_key, &issuer).unwrap();
    let (ca, cert, key) = (
        pki.path().join("ca.pem"),
        pki.path().join("hub.pem"),
        pki.path().join("hub.key"),
    );
    std::fs::write(&ca, ca_cert.pem()).unwrap();
    std::fs::write(&cert, hub_cert.pem()).unwrap();
    std::fs::write(&key, hub_key.serialize_pem()).unwrap();

    let desk = tempfile::tempdir().unwrap();
    ok(zk(desk.path(), &["demo"]));
    let hub_dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", hub_dir.path().join("hub.sqlite").display());
    let desk_key = pubkey(desk.path());
    ok(zk(
        hub_dir.path(),
        &["hub", "enrol-desk", "--db", &db, "--pubkey", &desk_key],
    ));
    // Only one of the two TLS files: a usage error.
    let half = zk(
        hub_dir.path(),
        &[
            "hub",
            "serve",
            "--db",
            &db,
            "--tls-cert",
            cert.to_str().unwrap(),
        ],
    );
    assert_eq!(half.status.code(), Some(2), "{}", stderr(&half));
    let (_hub, url) = serve_hub(&db, Some((&cert, &key)));
    assert!(url.starts_with("https://"));

    // Without the CA: refused at once, saying what to do; nothing sent.
    let refused = zk(desk.path(), &["sync", "push", "--hub", &url]);
    assert_eq!(refused.status.code(), Some(1));
    let message = stderr(&refused);
    assert!(message.contains("does not trust"), "{message}");
    assert!(message.contains("--ca"), "{message}");
    assert!(!message.contains("retrying"), "{message}");

    let pushed = json(&ok(zk(
        desk.path(),
        &[
            "sync",
            "push",
            "--hub",
            &url,
            "--ca",
            ca.to_str().unwrap(),
            "--json",
        ],
    )));
    assert_eq!(pushed["report"]["stored"], 2);
    assert_eq!(pushed["status"]["unacked"], 0);
    let stats = json(&ok(zk(
        hub_dir.path(),
        &["hub", "stats", "--db", &db, "--json"],
    )));
    assert_eq!(stats["confirmations"], 2);
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
