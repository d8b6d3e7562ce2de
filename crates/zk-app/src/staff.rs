//! Staff capability: every staff command of the [`crate::Kiosk`] takes a [`StaffToken`], and a token
//! is obtained only through [`crate::Kiosk::sign_in`] (its fields are private and it cannot be
//! built outside this crate). The candidate-facing entry point, [`crate::Kiosk::handle`], refuses
//! every staff input. So the candidate window — which never holds a token — cannot reach a staff
//! command, whatever the UI does.

use std::fmt;

use serde::{Deserialize, Serialize};
use zk_domain::{ReasonCode, Role, StaffPolicy};

use crate::error::AppError;

/// Proof of a staff sign-in at this kiosk. Valid until sign-out or the idle timeout; the kiosk
/// keeps the session it refers to. `Debug` shows the operator and role only.
#[derive(Clone, PartialEq, Eq)]
pub struct StaffToken {
    pub(crate) id: u64,
    pub(crate) operator: String,
    pub(crate) role: Role,
}

impl StaffToken {
    pub fn operator(&self) -> &str {
        &self.operator
    }

    pub fn role(&self) -> Role {
        self.role
    }
}

impl fmt::Debug for StaffToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaffToken")
            .field("operator", &self.operator)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// What staff can do to the candidate session in progress.
#[derive(Clone, Debug, PartialEq)]
pub enum StaffCommand {
    /// Take over the current step (the candidate waits).
    TakeOver,
    /// Run the current step again automatically.
    Retry,
    /// Approve the step waiting for staff. Approving over a failed automatic match needs the
    /// reviewer role, and a second signed-in staff member when the policy says so.
    Approve {
        reason: Option<ReasonCode>,
        note: String,
        second: Option<StaffToken>,
    },
    /// Reject the step: the session ends.
    Reject {
        reason: Option<ReasonCode>,
        note: String,
    },
    /// End the session.
    Cancel,
}

impl StaffCommand {
    /// One of each command (tests walk them all).
    pub fn examples() -> Vec<StaffCommand> {
        vec![
            StaffCommand::TakeOver,
            StaffCommand::Retry,
            StaffCommand::Approve {
                reason: None,
                note: "checked".into(),
                second: None,
            },
            StaffCommand::Reject {
                reason: None,
                note: "checked".into(),
            },
            StaffCommand::Cancel,
        ]
    }

    pub fn name(&self) -> &'static str {
        match self {
            StaffCommand::TakeOver => "take_over",
            StaffCommand::Retry => "retry",
            StaffCommand::Approve { .. } => "approve",
            StaffCommand::Reject { .. } => "reject",
            StaffCommand::Cancel => "cancel",
        }
    }
}

/// The `[security]` section of the config.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct SecurityConfig {
    /// Wrong passwords/PINs in a row before an account locks (an admin unlocks it).
    pub max_failed_sign_ins: u32,
    /// A staff session ends after this long without a staff action.
    pub staff_session_timeout_secs: u64,
    /// Overriding a failed match needs a second signed-in staff member besides the reviewer.
    pub override_needs_second_person: bool,
    /// Shortest password or PIN accepted.
    pub min_secret_len: usize,
    /// Where the artefact key lives: `file` (0600, beside the database) or `keyring` (the OS
    /// keyring where this build has one; on Linux the file, with a log line).
    pub key_store: String,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        let policy = StaffPolicy::default();
        SecurityConfig {
            max_failed_sign_ins: policy.max_failed_sign_ins,
            staff_session_timeout_secs: policy.session_timeout.as_secs(),
            override_needs_second_person: policy.override_needs_second_person,
            min_secret_len: policy.min_secret_len,
            key_store: "file".into(),
        }
    }
}

impl SecurityConfig {
    pub fn staff_policy(&self) -> Result<StaffPolicy, AppError> {
        if !(3..=20).contains(&self.max_failed_sign_ins) {
            return Err(AppError::Config(
                "security.max_failed_sign_ins must be between 3 and 20".into(),
            ));
        }
        if !(60..=8 * 3600).contains(&self.staff_session_timeout_secs) {
            return Err(AppError::Config(
                "security.staff_session_timeout_secs must be between 60 and 28800".into(),
            ));
        }
        if !(4..=128).contains(&self.min_secret_len) {
            return Err(AppError::Config(
                "security.min_secret_len must be between 4 and 128".into(),
            ));
        }
        Ok(StaffPolicy {
            max_failed_sign_ins: self.max_failed_sign_ins,
            session_timeout: std::time::Duration::from_secs(self.staff_session_timeout_secs),
            override_needs_second_person: self.override_needs_second_person,
            min_secret_len: self.min_secret_len,
        })
    }

    pub fn key_backend(&self) -> Result<zk_store::KeyBackend, AppError> {
        match self.key_store.as_str() {
            "file" => Ok(zk_store::KeyBackend::File),
            "keyring" => Ok(zk_store::KeyBackend::Keyring),
            other => Err(AppError::Config(format!(
                "security.key_store = {other:?}: use \"file\" or \"keyring\""
            ))),
        }
    }
}
