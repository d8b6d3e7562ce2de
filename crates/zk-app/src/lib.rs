//! zk-app: the composition root of the kiosk.
//!
//! [`Kiosk`] owns the drivers (`Box<dyn …>`), the store, the face matcher and the config; it feeds
//! inputs to the pure [`zk_domain::Confirmation`] state machine, executes the effects it returns and
//! feeds the results back. Events go out on a channel; nothing here prints or knows Tauri.
#![forbid(unsafe_code)]

pub mod assets;
pub mod card_ocr;
pub mod clip;
pub mod clock;
pub mod config;
pub mod consent;
pub mod demo;
pub mod error;
pub mod kiosk;
pub mod matcher;
pub mod preview;
pub mod retention;
pub mod staff;

pub use card_ocr::{CardHint, CardSide, OcrConfig, OcrRead};
pub use clip::{ClipArtefact, RecordedClip};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{AppConfig, FlowSettings, MatcherConfig, SyncConfig};
pub use consent::{ConsentText, DeclarationItem, PledgeDocuments};
pub use error::AppError;
pub use kiosk::{
    local_midnight, mask_id_number, DeskStatus, Devices, Kiosk, KioskEvent, PersonFacts,
    ReviewCase, ReviewIdentity, SessionImages,
};
pub use matcher::{open_matcher, FaceMatcher, SimFaceMatcher, SimScores, VisionFaceMatcher};
pub use preview::{GuideHint, PreviewConfig, PreviewFrame, PreviewPhase, PreviewStep};
pub use retention::{PurgeReport, RetentionConfig};
pub use staff::{SecurityConfig, StaffCommand, StaffToken};
