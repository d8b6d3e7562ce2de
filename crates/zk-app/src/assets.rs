//! Finding the shipped `assets/` folder (sim scripts, demo roster and photos).

use std::path::{Path, PathBuf};

use crate::error::AppError;

/// The assets folder: the configured one, else `ZK_ASSETS`, else `./assets`, else an `assets/`
/// beside an ancestor of the executable (a `target/` build run from anywhere).
pub fn locate(configured: Option<&Path>) -> Result<PathBuf, AppError> {
    let is_assets = |path: &Path| path.join("sim").is_dir() && path.join("demo").is_dir();
    if let Some(path) = configured {
        return if is_assets(path) {
            Ok(path.to_path_buf())
        } else {
            Err(AppError::AssetsMissing(format!(
                "configured assets_dir {} has no sim/ and demo/",
                path.display()
            )))
        };
    }
    if let Some(path) = std::env::var_os("ZK_ASSETS").map(PathBuf::from) {
        return if is_assets(&path) {
            Ok(path)
        } else {
            Err(AppError::AssetsMissing(format!(
                "ZK_ASSETS={} has no sim/ and demo/",
                path.display()
            )))
        };
    }
    let mut candidates = vec![PathBuf::from("assets")];
    if let Ok(exe) = std::env::current_exe() {
        candidates.extend(exe.ancestors().skip(1).map(|dir| dir.join("assets")));
    }
    candidates
        .into_iter()
        .find(|path| is_assets(path))
        .ok_or_else(|| {
            AppError::AssetsMissing("looked in ./assets and beside the executable".into())
        })
}
