//! Shared by the shell's tests: the repository and the UI's fixtures.

use std::path::PathBuf;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `ui/fixtures/<name>` as JSON; a missing fixture fails the test.
pub fn fixture(name: &str) -> serde_json::Value {
    let path = repo().join("ui/fixtures").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("the UI fixture {} is missing: {error}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("the UI fixture {} is not JSON: {error}", path.display()))
}
