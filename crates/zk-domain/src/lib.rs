//! Pure domain logic of the zikao-kiosk.
//!
//! Nothing in this crate performs I/O, reads a clock or draws random numbers of its own: time comes in
//! as [`Timestamp`] / [`Date`] arguments and randomness as a caller-supplied RNG. Sensitive values
//! (ID numbers, names, photos, signatures) are newtypes whose `Debug`/`Display` redact.
#![forbid(unsafe_code)]

pub mod admission;
pub mod challenge;
pub mod confirmation;
pub mod decision;
pub mod id_card;
pub mod id_number;
pub mod name;
pub mod reading;
pub mod reason;
pub mod retention;
pub mod roster;
pub mod signature;
pub mod staff;
pub mod synthetic;
pub mod time;

pub use admission::{AdmissionError, AdmissionNumber, SerialBlock, SerialIssue, Sitting};
pub use challenge::Challenge;
pub use confirmation::{
    ArtefactId, ArtefactKind, CardDevice, CardSource, Confirmation, ConfirmationDraft, Effect,
    FlowConfig, Input, Mode, Phase, Step, StepOutcome, View,
};
pub use decision::{Decision, MatchPolicy, Score, Verdict};
pub use id_card::{CardPhoto, CardProblem, CardType, Ethnicity, IdCard, Sex, Validity};
pub use id_number::{IdNumber, IdNumberError, IdNumberKind};
pub use name::{normalize_name, PersonName};
pub use reading::{check_reading, parse_reading, ParsedReading, ReadingCheck, ReadingRule};
pub use reason::ReasonCode;
pub use retention::{ArtefactFacts, KindRetention, PurgeItem, PurgeReason, RetentionPolicy};
pub use roster::{
    match_registration, IdType, Level, Registration, RegistrationStatus, RosterMatchError,
};
pub use signature::{SignaturePoint, SignatureStrokes};
pub use staff::{Role, StaffAction, StaffPolicy, StaffRefusal, StaffSession};
pub use time::{Date, Timestamp};
