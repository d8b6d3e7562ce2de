//! The app's error type: what the shell and the CLI show, with what to do next.

use zk_drivers::DeviceError;
use zk_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Device(#[from] DeviceError),
    #[error(transparent)]
    Vision(#[from] zk_vision::VisionError),
    #[error(transparent)]
    Liveness(#[from] zk_liveness::LivenessError),
    #[error(transparent)]
    Asr(#[from] zk_asr::AsrError),
    #[error("configuration error: {0}")]
    Config(String),
    #[error("the assets folder was not found ({0}); run from the repository root or set ZK_ASSETS to the folder that holds sim/ and demo/")]
    AssetsMissing(String),
    #[error("no candidate session is open; start one first")]
    NoSession,
    #[error("a candidate session is already open; finish or cancel it first")]
    SessionOpen,
    #[error("the image could not be processed: {0}")]
    Image(String),
    #[error("{0} is a staff command; staff sign in at the staff screen and do it there")]
    StaffOnly(&'static str),
    #[error(transparent)]
    Staff(#[from] zk_domain::StaffRefusal),
    #[error("that image is not part of the current session")]
    NotShown,
    /// A card image staff gave could not be read.
    #[error("the {side} image of the card: {message}")]
    CardImage {
        side: &'static str,
        problem: &'static str,
        message: &'static str,
    },
    #[error("the session did not accept {input}: {why}")]
    Rejected {
        input: &'static str,
        why: &'static str,
    },
}
