//! Test helpers: the shipped assets (a missing one fails the test, naming it) and temp files.

use std::path::{Path, PathBuf};

use image::{Rgb, RgbImage};

/// The repository's `assets/` folder.
pub fn assets_dir() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("assets");
    assert!(
        path.join("sim").is_dir(),
        "fixture missing: {} has no sim/ folder",
        path.display()
    );
    path
}

/// A shipped file under `assets/`, which must exist.
pub fn shipped(relative: &str) -> PathBuf {
    let path = assets_dir().join(relative);
    assert!(
        path.is_file(),
        "fixture missing: {} (shipped with the repository)",
        path.display()
    );
    path
}

pub fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("create a temp dir")
}

pub fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write a test file");
    path
}

/// A 4 × 3 PNG of one colour.
pub fn png(dir: &Path, name: &str, colour: [u8; 3]) -> PathBuf {
    let path = dir.join(name);
    RgbImage::from_pixel(4, 3, Rgb(colour))
        .save(&path)
        .expect("write a test PNG");
    path
}
