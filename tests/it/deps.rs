//! The dependency rules of ARCHITECTURE.md, checked on the resolved graph (`cargo metadata`).

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use serde_json::Value;

struct Graph {
    /// package name → names of its normal (non-dev) dependencies, resolved.
    edges: HashMap<String, BTreeSet<String>>,
}

impl Graph {
    fn load() -> Graph {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
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
        let output = Command::new(cargo)
            .args([
                "metadata",
                "--format-version",
                "1",
                "--offline",
                "--filter-platform",
                &host,
            ])
            .current_dir(zk_tests::repo_root())
            .output()
            .expect("run cargo metadata");
        assert!(
            output.status.success(),
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let metadata: Value = serde_json::from_slice(&output.stdout).expect("metadata JSON");
        let names: HashMap<&str, &str> = metadata["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .map(|p| {
                (
                    p["id"].as_str().expect("id"),
                    p["name"].as_str().expect("name"),
                )
            })
            .collect();
        let mut edges = HashMap::new();
        for node in metadata["resolve"]["nodes"]
            .as_array()
            .expect("resolve nodes")
        {
            let name = names[node["id"].as_str().expect("node id")].to_owned();
            let deps: BTreeSet<String> = node["deps"]
                .as_array()
                .expect("deps")
                .iter()
                .filter(|dep| {
                    dep["dep_kinds"]
                        .as_array()
                        .expect("dep_kinds")
                        .iter()
                        .any(|kind| kind["kind"].is_null())
                })
                .map(|dep| names[dep["pkg"].as_str().expect("pkg")].to_owned())
                .collect();
            edges.entry(name).or_insert_with(BTreeSet::new).extend(deps);
        }
        Graph { edges }
    }

    /// Everything `name` pulls in at run time.
    fn closure(&self, name: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![name.to_owned()];
        while let Some(next) = stack.pop() {
            for dep in self.edges.get(&next).into_iter().flatten() {
                if seen.insert(dep.clone()) {
                    stack.push(dep.clone());
                }
            }
        }
        seen
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
