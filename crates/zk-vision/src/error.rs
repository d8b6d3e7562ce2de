//! The one error type of zk-vision, with variants named for what the caller can do.

use std::path::PathBuf;

use thiserror::Error;
use zk_domain::ReasonCode;

/// Why a face could not be found, embedded or compared. Messages say what to do next.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum VisionError {
    /// The bytes are not a readable BMP, JPEG or PNG (corrupt, truncated, another format).
    #[error("the image could not be read ({detail}); capture or read it again")]
    UnreadableImage { detail: String },

    /// Refused before decoding: decoding it would take too much memory and time.
    #[error(
        "the image is {width}×{height} px, more than the {limit_megapixels} megapixels allowed; \
         send a smaller image"
    )]
    ImageTooLarge {
        width: u32,
        height: u32,
        limit_megapixels: u32,
    },

    /// Too few pixels to hold a face the detector can find.
    #[error(
        "the image is only {width}×{height} px; a face needs at least {min_side} px on each side"
    )]
    ImageTooSmall {
        width: u32,
        height: u32,
        min_side: u32,
    },

    #[error("no face was found; the person should look straight at the camera in good light")]
    NoFace,

    #[error("{count} faces were found; only one person may be in the picture")]
    SeveralFaces { count: usize },

    /// A face was found but is too small to compare reliably.
    #[error(
        "the face is only {width_px} px wide, at least {min_px} px are needed; \
         move closer to the camera or use a larger photo"
    )]
    FaceTooSmall { width_px: u32, min_px: u32 },

    /// A frame list was empty, or a setting is out of range.
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// A dlib model file is not where it was looked for.
    #[error(
        "the face model file {} is missing; run scripts/fetch-models.sh \
         (it installs into $ZK_MODELS_DIR, default ~/.cache/zikao-kiosk/models)",
        path.display()
    )]
    ModelMissing { path: PathBuf },

    /// A dlib model file is there but is not the expected file.
    #[error(
        "the face model file {} is damaged or not the expected file ({detail}); \
         delete it and run scripts/fetch-models.sh",
        path.display()
    )]
    ModelInvalid { path: PathBuf, detail: String },

    /// The worker thread that owns the dlib models has stopped; a restart reloads them.
    #[error("the face embedding worker stopped ({0}); restart the kiosk")]
    WorkerStopped(String),

    /// The third-party detector or embedder failed on this input (a bug, not the candidate's fault).
    #[error("face analysis failed ({0}); try again, and report it if it repeats")]
    Internal(String),
}

impl VisionError {
    /// The reason to show the candidate when this error comes from a live camera frame, or `None`
    /// when it is not the candidate's doing (bad configuration, missing models, internal faults).
    pub fn frame_reason(&self) -> Option<ReasonCode> {
        match self {
            VisionError::NoFace => Some(ReasonCode::NoFace),
            VisionError::SeveralFaces { .. } => Some(ReasonCode::MultipleFaces),
            VisionError::FaceTooSmall { .. } => Some(ReasonCode::HeadSize),
            VisionError::UnreadableImage { .. }
            | VisionError::ImageTooLarge { .. }
            | VisionError::ImageTooSmall { .. } => Some(ReasonCode::CaptureFailed),
            VisionError::InvalidInput(_)
            | VisionError::ModelMissing { .. }
            | VisionError::ModelInvalid { .. }
            | VisionError::WorkerStopped(_)
            | VisionError::Internal(_) => None,
        }
    }

    /// True for problems with the picture itself (the ID photo cannot be used; staff compare by
    /// eye), false for problems of the installation (models, worker).
    pub fn is_input_problem(&self) -> bool {
        matches!(
            self,
            VisionError::UnreadableImage { .. }
                | VisionError::ImageTooLarge { .. }
                | VisionError::ImageTooSmall { .. }
                | VisionError::NoFace
                | VisionError::SeveralFaces { .. }
                | VisionError::FaceTooSmall { .. }
        )
    }
}
