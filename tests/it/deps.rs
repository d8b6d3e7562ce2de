//! The dependency rules of ARCHITECTURE.md, checked on each crate's resolved graph (`cargo tree`).

use std::collections::BTreeSet;
use std::process::Command;

/// What building one crate on its own pulls in at run time (`cargo tree -p NAME -e normal`).
/// Per crate, not the whole workspace's unified graph: the shell's Tauri turns on features of
/// shared dependencies (chrono's clock) that no pure crate asks for and that a build of that
/// crate alone does not have.
struct Graph {
    host: String,
}

impl Graph {
    fn load() -> Graph {
        // The graph for the host only: other platforms' crates are not downloaded (offline).
        let rustc = Command::new("rustc")
            .arg("-vV")
            .output()
            .expect("run rustc -vV");
        let version = String::from_utf8_lossy(&rustc.stdout).into_owned();
        let host = version
            .lines()
            .find_map(|line| line.strip_prefix("host: "))
            .expect("rustc -vV names the host")
            .to_owned();
        Graph { host }
    }

    /// Everything `name` pulls in at run time.
    fn closure(&self, name: &str) -> BTreeSet<String> {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let output = Command::new(cargo)
            .args([
                "tree",
                "-p",
                name,
                "-e",
                "normal",
                "--prefix",
                "none",
                "--format",
                "{p}",
                "--offline",
                "--target",
                &self.host,
            ])
            .current_dir(zk_tests::repo_root())
            .output()
            .expect("run cargo tree");
        assert!(
            output.status.success(),
            "cargo tree -p {name} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let crates: BTreeSet<String> = text
            .lines()
            .skip(1)
            .filter_map(|line| line.split_whitespace().next())
            .map(str::to_owned)
            .collect();
        assert!(
            !crates.is_empty() || name == "zk-domain",
            "cargo tree -p {name} listed nothing"
        );
        crates
    }
}

#[test]
fn pure_and_middle_crates_keep_their_distance() {
    let graph = Graph::load();
    let forbidden_in_pure = [
        "tokio",
        "rusqlite",
        "libsqlite3-sys",
        "tauri",
        "serialport",
        "nokhwa",
        "cpal",
        "iana-time-zone",
    ];
    let domain = graph.closure("zk-domain");
    for name in forbidden_in_pure {
        assert!(
            !domain.contains(name),
            "zk-domain must stay pure but depends on {name}"
        );
    }
    assert!(
        !domain.iter().any(|dep| dep.starts_with("zk-")),
        "zk-domain depends on a crate of ours: {domain:?}"
    );

    let drivers = graph.closure("zk-drivers");
    assert!(
        !drivers.contains("zk-store") && !drivers.contains("rusqlite"),
        "zk-drivers must not touch the store"
    );
    let store = graph.closure("zk-store");
    assert!(
        !store.contains("zk-drivers"),
        "zk-store must not depend on zk-drivers"
    );
    let app = graph.closure("zk-app");
    // The graph is read: the app's own layers are in it.
    assert!(
        app.contains("zk-store") && app.contains("zk-drivers") && app.contains("rusqlite"),
        "cargo tree -p zk-app did not list the app's own crates: {app:?}"
    );
    assert!(
        !app.iter().any(|dep| dep.starts_with("tauri")),
        "zk-app must not know Tauri"
    );
}

/// The kiosk does everything decisive offline: nothing it links can open a network connection
/// (face data never leaves the desk; sync, when it comes, lives in its own crate and carries
/// no face data).
#[test]
fn the_kiosk_links_no_network_client() {
    let graph = Graph::load();
    let app = graph.closure("zk-app");
    for name in [
        "reqwest",
        "hyper",
        "ureq",
        "curl",
        "tokio",
        "h2",
        "rustls",
        "native-tls",
        "openssl",
    ] {
        assert!(
            !app.contains(name),
            "zk-app (the kiosk) pulls in the network crate {name}"
        );
    }
}
