//! Test harness: paths to the repository's assets and the shared real data, temp dirs.
//! A missing fixture is a failing test with a clear message, never a skip.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test-only harness: failing loudly is its job

use std::path::PathBuf;

/// The repository root (the parent of `tests/`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The shipped `assets/` folder; panics with a clear message when it is missing.
pub fn assets() -> PathBuf {
    let path = repo_root().join("assets");
    assert!(
        path.join("sim").is_dir(),
        "fixture missing: {} has no sim/ folder",
        path.display()
    );
    path
}

/// A file under `tests/fixtures/`; panics with a clear message when it is missing.
pub fn fixture(name: &str) -> PathBuf {
    let path = repo_root().join("tests").join("fixtures").join(name);
    assert!(path.exists(), "fixture missing: {}", path.display());
    path
}

/// A fresh temporary directory, removed when dropped.
pub fn temp_dir() -> tempfile::TempDir {
    match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => panic!("cannot create a temp dir: {error}"),
    }
}
