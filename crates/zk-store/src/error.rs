//! `StoreError`: one enum for the crate, variants named for what the caller can do, messages that
//! say what to do next. No message carries a key, a full ID number or a name.

use std::fmt;
use std::path::PathBuf;

/// One problem in one cell of an imported roster. `row` counts as a spreadsheet does (the header is
/// row 1); `column` is the header as written in the file (or the canonical Chinese name when the
/// column is absent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "row {}, column {}: {}",
            self.row, self.column, self.message
        )
    }
}

/// The most row errors a [`StoreError::RosterInvalid`] lists; `total_errors` counts them all.
pub const MAX_LISTED_ROW_ERRORS: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    // ---- opening, keys, files ----
    #[error(
        "cannot use {path}: {source}; check that the folder exists, is writable and has free space"
    )]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("database error while {context}: {source}; if this repeats, copy the store folder for support and restore the last backup")]
    Database {
        context: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error("the store at {path} has schema version {found}, newer than this program's {supported}; install the newer zk version that wrote it")]
    StoreTooNew {
        path: String,
        found: i64,
        supported: i64,
    },
    #[error("the artefact key file {path} is missing but this store already holds data encrypted with a key; restore the key file from backup (a new key is never created over existing data)")]
    KeyMissing { path: PathBuf },
    #[error("the artefact key file {path} is damaged ({why}); restore it from backup")]
    KeyCorrupt { path: PathBuf, why: &'static str },
    #[error("the artefact key file {path} does not belong to this store; restore the key file that was made with this store from backup")]
    WrongKey { path: PathBuf },
    #[error(
        "stored data is inconsistent ({what}); restore the store from backup or contact support"
    )]
    Corrupt { what: String },

    // ---- roster import ----
    #[error("the roster lacks the required column(s) {}; add them to the header row (Chinese or English names, e.g. 报名号 or registration_id)", .0.join(", "))]
    RosterMissingColumns(Vec<String>),
    #[error("the roster has no data rows; export it again with the header row and at least one registration")]
    RosterEmpty,
    #[error("the roster file is neither UTF-8 nor GBK/GB18030 text; save it again as \"CSV UTF-8\" or as an .xlsx workbook")]
    RosterEncoding,
    #[error("the roster file cannot be read as {format}: {why}; save it again as \"CSV UTF-8\" or as an .xlsx workbook")]
    RosterUnreadable { format: &'static str, why: String },
    #[error("the roster file has {bytes} bytes, more than the limit of {limit}; split it into smaller files and import them one after the other")]
    RosterTooLarge { bytes: u64, limit: u64 },
    #[error("the roster has more than {limit} rows; split it into smaller files and import them one after the other")]
    RosterTooManyRows { limit: usize },
    #[error("{}", roster_invalid_message(.errors, *.total_errors))]
    RosterInvalid {
        errors: Vec<RowError>,
        total_errors: usize,
    },

    // ---- serial blocks ----
    #[error("{message}; correct the block and record it again")]
    InvalidBlock { message: String },
    #[error("serial block {block_id} is already recorded; use a new block id")]
    DuplicateBlock { block_id: String },
    #[error("serial block {block_id} overlaps block {existing} (district {district}, sitting {sitting}); ask the site admin for a block that does not overlap")]
    OverlappingBlock {
        block_id: String,
        existing: String,
        district: String,
        sitting: String,
    },

    // ---- sessions and artefacts ----
    #[error("there is no session {session}; start a new session")]
    UnknownSession { session: i64 },
    #[error("session {session} has already ended; start a new session")]
    SessionClosed { session: i64 },
    #[error("there is no artefact {id}; capture it again")]
    UnknownArtefact { id: String },
    #[error("artefact {id} belongs to another session; capture it again in this session")]
    ArtefactNotInSession { id: String },
    #[error("artefact {id} was purged under the retention policy; it is no longer available")]
    ArtefactPurged { id: String },
    #[error("artefact {id} failed its integrity check (altered or damaged on disk); capture it again or restore the store from backup")]
    ArtefactCorrupt { id: String },
    #[error(
        "an artefact of {size} bytes is larger than the limit of {limit}; capture a smaller one"
    )]
    ArtefactTooLarge { size: usize, limit: usize },

    // ---- confirmation ----
    #[error("there is no registration {registration_id} in the roster; import the current roster or check the registration id")]
    NoRegistration { registration_id: String },
    #[error("this registration is already confirmed; nothing more to do")]
    AlreadyConfirmed,
    #[error("registration {registration_id} was cancelled; it cannot be confirmed")]
    RegistrationCancelled { registration_id: String },
    #[error("the confirmation does not fit registration {registration_id}: {field} differs; read the card again")]
    DraftMismatch {
        registration_id: String,
        field: &'static str,
    },
    #[error("{message}")]
    NoSerial {
        district: String,
        sitting: String,
        message: String,
    },
    #[error("{message}")]
    SerialsExhausted {
        district: String,
        sitting: String,
        message: String,
    },
    #[error("admission number {number} is already in use; the serial blocks overlap an earlier allocation, ask the site admin to check them")]
    AdmissionNumberInUse { number: String },

    // ---- staff accounts ----
    #[error("{message}; choose another")]
    InvalidOperator { message: String },
    #[error("{why}; choose a longer password or PIN (at least the configured length, not one repeated character)")]
    WeakSecret { why: &'static str },
    #[error("operator {id} already exists; choose another id, or use `zk operator passwd` to reset its secret")]
    OperatorExists { id: String },
    #[error("there is no operator {id}; check the id with `zk operator list`")]
    UnknownOperator { id: String },
    #[error("sign-in refused: unknown operator or wrong password/PIN; try again (the account locks after repeated failures)")]
    SignInRefused,
    #[error("operator {id} is locked after too many wrong passwords/PINs; an admin unlocks it with `zk operator unlock {id}`")]
    OperatorLocked { id: String },

    // ---- keys ----
    #[error("the artefact key was rotated by another program while this one had the store open; restart this program to use the new key (nothing was written)")]
    KeyChanged,
    #[error("the artefact key could not be rotated: {why}; nothing was changed, the old key is still in use")]
    KeyRotation { why: String },

    // ---- audit ----
    #[error("the audit log is broken at row {seq}: {why}; keep this store as evidence and report it to the site admin")]
    AuditBroken { seq: i64, why: String },
}

fn roster_invalid_message(errors: &[RowError], total_errors: usize) -> String {
    let mut text = format!(
        "the roster has {total_errors} problem(s); nothing was imported. Fix these and import again:"
    );
    for error in errors {
        text.push_str(&format!("\n  {error}"));
    }
    if total_errors > errors.len() {
        text.push_str(&format!("\n  … and {} more", total_errors - errors.len()));
    }
    text
}

impl StoreError {
    pub(crate) fn db(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
        move |source| StoreError::Database { context, source }
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> StoreError {
        let path = path.into();
        move |source| StoreError::Io { path, source }
    }

    pub(crate) fn corrupt(what: impl Into<String>) -> StoreError {
        StoreError::Corrupt { what: what.into() }
    }
}
