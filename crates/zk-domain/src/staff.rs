//! Desk staff: roles, what each role may do, sign-in lock-out, session timeout and the rule for
//! overriding a failed match. Pure: time is a [`Timestamp`] argument, secrets are never seen here
//! (hashing lives in the store).

use std::fmt;
use std::time::Duration;

use crate::time::Timestamp;

/// A staff role. Ordered: an admin may do what a reviewer may, a reviewer what an operator may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Runs the desk: takes over steps, decides reviews, cancels sessions.
    Operator,
    /// Also overrides a failed automatic match.
    Reviewer,
    /// Also manages operators, imports, exports, purges and the key.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Operator, Role::Reviewer, Role::Admin];

    pub fn code(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.code() == code)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Everything staff can do at or for the desk; each needs a minimum [`Role`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StaffAction {
    TakeOver,
    /// Approve or reject a step waiting for staff (manual review, declined consent, document check).
    Decide,
    /// Approve a step whose automatic match failed.
    OverrideFailedMatch,
    Retry,
    CancelSession,
    /// Send confirmed records to the hub now (the push itself runs outside the kiosk).
    SyncNow,
    ManageOperators,
    ImportRoster,
    AllocateSerials,
    Export,
    Purge,
    RotateKey,
}

impl StaffAction {
    pub const ALL: [StaffAction; 12] = [
        StaffAction::TakeOver,
        StaffAction::Decide,
        StaffAction::OverrideFailedMatch,
        StaffAction::Retry,
        StaffAction::CancelSession,
        StaffAction::SyncNow,
        StaffAction::ManageOperators,
        StaffAction::ImportRoster,
        StaffAction::AllocateSerials,
        StaffAction::Export,
        StaffAction::Purge,
        StaffAction::RotateKey,
    ];

    pub fn required_role(self) -> Role {
        match self {
            StaffAction::TakeOver
            | StaffAction::Decide
            | StaffAction::Retry
            | StaffAction::CancelSession
            | StaffAction::SyncNow => Role::Operator,
            StaffAction::OverrideFailedMatch => Role::Reviewer,
            StaffAction::ManageOperators
            | StaffAction::ImportRoster
            | StaffAction::AllocateSerials
            | StaffAction::Export
            | StaffAction::Purge
            | StaffAction::RotateKey => Role::Admin,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            StaffAction::TakeOver => "take_over",
            StaffAction::Decide => "decide",
            StaffAction::OverrideFailedMatch => "override_failed_match",
            StaffAction::Retry => "retry",
            StaffAction::CancelSession => "cancel_session",
            StaffAction::SyncNow => "sync_now",
            StaffAction::ManageOperators => "manage_operators",
            StaffAction::ImportRoster => "import_roster",
            StaffAction::AllocateSerials => "allocate_serials",
            StaffAction::Export => "export",
            StaffAction::Purge => "purge",
            StaffAction::RotateKey => "rotate_key",
        }
    }
}

/// Sign-in and staff-session rules (part of the app's `[security]` config).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffPolicy {
    /// Wrong secrets in a row before the account locks (an admin unlocks it).
    pub max_failed_sign_ins: u32,
    /// A staff session ends after this long without a staff action.
    pub session_timeout: Duration,
    /// Overriding a failed match needs a second signed-in staff member besides the reviewer.
    pub override_needs_second_person: bool,
    /// Shortest accepted password or PIN, in characters.
    pub min_secret_len: usize,
}

impl Default for StaffPolicy {
    fn default() -> Self {
        StaffPolicy {
            max_failed_sign_ins: 5,
            session_timeout: Duration::from_secs(15 * 60),
            override_needs_second_person: false,
            min_secret_len: 6,
        }
    }
}

/// Why a staff request was refused. Messages say what to do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StaffRefusal {
    NotSignedIn,
    SessionExpired,
    RoleTooLow { needed: Role, has: Role },
    SecondPersonRequired,
    SecondPersonIsTheSame,
}

impl fmt::Display for StaffRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StaffRefusal::NotSignedIn => f.write_str("this needs a staff sign-in; sign in at the staff screen"),
            StaffRefusal::SessionExpired => {
                f.write_str("the staff session timed out; sign in again")
            }
            StaffRefusal::RoleTooLow { needed, has } => write!(
                f,
                "this needs the {needed} role and the signed-in account is {has}; ask a {needed} to do it"
            ),
            StaffRefusal::SecondPersonRequired => f.write_str(
                "overriding a failed match needs a second staff member to sign in and confirm",
            ),
            StaffRefusal::SecondPersonIsTheSame => f.write_str(
                "the second confirmation must come from another staff member, not the same account",
            ),
        }
    }
}

impl std::error::Error for StaffRefusal {}

/// A signed-in staff member, as the app keeps it between requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffSession {
    pub operator: String,
    pub role: Role,
    pub signed_in_at: Timestamp,
    pub last_seen: Timestamp,
}

impl StaffSession {
    pub fn new(operator: String, role: Role, now: Timestamp) -> StaffSession {
        StaffSession {
            operator,
            role,
            signed_in_at: now,
            last_seen: now,
        }
    }

    /// Whether the session is still live at `now` (idle for less than the timeout).
    pub fn is_live(&self, now: Timestamp, policy: &StaffPolicy) -> bool {
        now.since(self.last_seen) < policy.session_timeout
    }

    /// Checks the session is live and its role allows `action`; on success the session counts as
    /// active at `now`.
    pub fn authorize(
        &mut self,
        action: StaffAction,
        now: Timestamp,
        policy: &StaffPolicy,
    ) -> Result<(), StaffRefusal> {
        if !self.is_live(now, policy) {
            return Err(StaffRefusal::SessionExpired);
        }
        let needed = action.required_role();
        if self.role < needed {
            return Err(StaffRefusal::RoleTooLow {
                needed,
                has: self.role,
            });
        }
        self.last_seen = self.last_seen.max(now);
        Ok(())
    }
}

/// Who approves an override of a failed match: a reviewer, and when the policy says so a second,
/// different staff member (any role).
pub fn check_override(
    decider: &StaffSession,
    second: Option<&StaffSession>,
    policy: &StaffPolicy,
) -> Result<(), StaffRefusal> {
    if decider.role < Role::Reviewer {
        return Err(StaffRefusal::RoleTooLow {
            needed: Role::Reviewer,
            has: decider.role,
        });
    }
    if policy.override_needs_second_person {
        match second {
            None => return Err(StaffRefusal::SecondPersonRequired),
            Some(second) if second.operator == decider.operator => {
                return Err(StaffRefusal::SecondPersonIsTheSame)
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The account's state after one more wrong secret: `(failures, locked)`.
pub fn after_failed_sign_in(failures: u32, policy: &StaffPolicy) -> (u32, bool) {
    let failures = failures.saturating_add(1);
    (failures, failures >= policy.max_failed_sign_ins.max(1))
}

/// Checks a new password or PIN against the policy; the reason never quotes it.
pub fn check_secret(secret: &str, policy: &StaffPolicy) -> Result<(), &'static str> {
    if secret.chars().count() < policy.min_secret_len {
        return Err("the password or PIN is too short");
    }
    if secret.trim() != secret {
        return Err("the password or PIN starts or ends with a space");
    }
    if secret.chars().any(char::is_control) {
        return Err("the password or PIN contains a control character");
    }
    let first = secret.chars().next();
    if secret.chars().all(|c| Some(c) == first) {
        return Err("the password or PIN repeats one character");
    }
    Ok(())
}

/// An operator id: 1–32 lowercase ASCII letters, digits, `.`, `_` or `-`, starting with a letter.
pub fn check_operator_id(id: &str) -> Result<(), &'static str> {
    let valid_chars = id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    if id.is_empty() || id.len() > 32 {
        return Err("an operator id has 1 to 32 characters");
    }
    if !valid_chars || !id.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(
            "an operator id starts with a lowercase letter and has only a-z, 0-9, '.', '_' or '-'",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests;
