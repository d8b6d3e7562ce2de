//! Desk staff accounts: Argon2id-hashed passwords or PINs, roles, lock-out after repeated wrong
//! secrets, and every change and sign-in in the audit log. The rules (roles, lock-out count,
//! secret policy) are `zk_domain::staff`; this module only stores and hashes.

use std::fmt;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rusqlite::{params, Connection, OptionalExtension};
use zeroize::Zeroizing;
use zk_domain::staff::{after_failed_sign_in, check_operator_id, check_secret};
use zk_domain::{Role, StaffPolicy, Timestamp};

use crate::error::StoreError;
use crate::key::fill_random;
use crate::{audit, Store};

/// One staff account as listed (never the hash).
#[derive(Clone, PartialEq, Eq)]
pub struct Operator {
    pub id: String,
    pub display_name: String,
    pub role: Role,
    pub failed_sign_ins: u32,
    pub locked: bool,
    pub last_sign_in_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl fmt::Debug for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Operator")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("locked", &self.locked)
            .finish_non_exhaustive()
    }
}

/// A new account's fields (the secret is passed separately and never stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOperator {
    pub id: String,
    pub display_name: String,
    pub role: Role,
}

fn hash_secret(secret: &str) -> Result<String, StoreError> {
    let mut salt_bytes = [0u8; 16];
    fill_random(&mut salt_bytes)?;
    let salt = SaltString::encode_b64(&salt_bytes)
        .map_err(|_| StoreError::corrupt("a password salt could not be encoded"))?;
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|_| StoreError::corrupt("a password could not be hashed"))
}

fn verify_secret(secret: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(secret.as_bytes(), &hash)
            .is_ok()
    })
}

/// A valid hash of a random secret, verified against when the account does not exist, so an
/// unknown id takes as long as a wrong secret.
fn decoy_hash() -> Result<String, StoreError> {
    let mut random = Zeroizing::new([0u8; 16]);
    fill_random(random.as_mut())?;
    hash_secret(&hex::encode(random.as_ref()))
}

const SELECT_OPERATOR: &str =
    "SELECT id, display_name, role, failed_sign_ins, locked_at IS NOT NULL, \
     last_sign_in_at, created_at FROM operators";

fn operator_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(Operator, String)> {
    let role: String = row.get(2)?;
    let failed: i64 = row.get(3)?;
    let last: Option<i64> = row.get(5)?;
    Ok((
        Operator {
            id: row.get(0)?,
            display_name: row.get(1)?,
            role: Role::from_code(&role).unwrap_or(Role::Operator),
            failed_sign_ins: u32::try_from(failed).unwrap_or(u32::MAX),
            locked: row.get(4)?,
            last_sign_in_at: last.map(Timestamp::from_millis),
            created_at: Timestamp::from_millis(row.get(6)?),
        },
        role,
    ))
}

fn find(conn: &Connection, id: &str) -> Result<Option<Operator>, StoreError> {
    let found = conn
        .query_row(&format!("{SELECT_OPERATOR} WHERE id = ?1"), [id], |row| {
            operator_from_row(row)
        })
        .optional()
        .map_err(StoreError::db("reading an operator"))?;
    match found {
        Some((operator, role)) if Role::from_code(&role).is_some() => Ok(Some(operator)),
        Some(_) => Err(StoreError::corrupt(format!(
            "operator {id} has an unknown role"
        ))),
        None => Ok(None),
    }
}

impl Store {
    /// Creates a staff account. Fails on a bad id or weak secret, or an id already taken.
    pub fn add_operator(
        &mut self,
        new: &NewOperator,
        secret: &str,
        policy: &StaffPolicy,
        actor: &str,
        now: Timestamp,
    ) -> Result<Operator, StoreError> {
        check_operator_id(&new.id).map_err(|why| StoreError::InvalidOperator {
            message: why.into(),
        })?;
        let display_name = new.display_name.trim();
        if display_name.is_empty() || display_name.chars().count() > 64 {
            return Err(StoreError::InvalidOperator {
                message: "a display name has 1 to 64 characters".into(),
            });
        }
        check_secret(secret, policy).map_err(|why| StoreError::WeakSecret { why })?;
        let hash = hash_secret(secret)?;
        self.with_full_sync(|store| {
            let tx = store
                .conn
                .transaction()
                .map_err(StoreError::db("adding an operator"))?;
            if find(&tx, &new.id)?.is_some() {
                return Err(StoreError::OperatorExists { id: new.id.clone() });
            }
            tx.execute(
                "INSERT INTO operators (id, display_name, role, secret_hash, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                params![new.id, display_name, new.role.code(), hash, now.as_millis()],
            )
            .map_err(StoreError::db("adding an operator"))?;
            audit::append(
                &tx,
                actor,
                "operator.add",
                &format!("operator={} role={}", new.id, new.role.code()),
                now,
            )?;
            let operator = find(&tx, &new.id)?
                .ok_or_else(|| StoreError::corrupt("a new operator vanished"))?;
            tx.commit().map_err(StoreError::db("adding an operator"))?;
            Ok(operator)
        })
    }

    /// All accounts, by id.
    pub fn operators(&self) -> Result<Vec<Operator>, StoreError> {
        let mut statement = self
            .conn
            .prepare(&format!("{SELECT_OPERATOR} ORDER BY id"))
            .map_err(StoreError::db("listing operators"))?;
        let rows = statement
            .query_map([], operator_from_row)
            .map_err(StoreError::db("listing operators"))?;
        rows.map(|row| row.map(|(operator, _)| operator))
            .collect::<Result<Vec<_>, _>>()
            .map_err(StoreError::db("listing operators"))
    }

    pub fn operator(&self, id: &str) -> Result<Option<Operator>, StoreError> {
        find(&self.conn, id)
    }

    /// Whether any unlocked admin account exists (the CLI's bootstrap rule).
    pub fn has_admin(&self) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM operators WHERE role = 'admin' AND locked_at IS NULL)",
                [],
                |row| row.get(0),
            )
            .map_err(StoreError::db("looking for an admin"))
    }

    /// Checks a sign-in. A wrong secret counts towards the lock-out; the account locks at
    /// `policy.max_failed_sign_ins`; a locked account is refused even with the right secret. An
    /// unknown id is refused the same way as a wrong secret (and takes as long). Every attempt is
    /// audited; the secret never is.
    pub fn sign_in(
        &mut self,
        id: &str,
        secret: &str,
        policy: &StaffPolicy,
        now: Timestamp,
    ) -> Result<Operator, StoreError> {
        self.with_full_sync(|store| {
            let tx = store
                .conn
                .transaction()
                .map_err(StoreError::db("signing in"))?;
            let stored: Option<(String, i64, bool)> = tx
                .query_row(
                    "SELECT secret_hash, failed_sign_ins, locked_at IS NOT NULL FROM operators WHERE id = ?1",
                    [id],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()
                .map_err(StoreError::db("signing in"))?;
            // An id that is not a valid operator id is not written to the audit log as given.
            let audited_id = if check_operator_id(id).is_ok() { id } else { "?" };
            let Some((hash, failures, locked)) = stored else {
                let _ = verify_secret(secret, &decoy_hash()?);
                audit::append(&tx, audited_id, "signin.refused", "why=unknown_operator", now)?;
                tx.commit().map_err(StoreError::db("signing in"))?;
                return Err(StoreError::SignInRefused);
            };
            if locked {
                audit::append(&tx, id, "signin.refused", "why=locked", now)?;
                tx.commit().map_err(StoreError::db("signing in"))?;
                return Err(StoreError::OperatorLocked { id: id.to_owned() });
            }
            if !verify_secret(secret, &hash) {
                let (failures, lock) =
                    after_failed_sign_in(u32::try_from(failures).unwrap_or(u32::MAX), policy);
                tx.execute(
                    "UPDATE operators SET failed_sign_ins = ?2, locked_at = CASE WHEN ?3 THEN ?4 ELSE locked_at END, \
                     updated_at = ?4 WHERE id = ?1",
                    params![id, failures, lock, now.as_millis()],
                )
                .map_err(StoreError::db("signing in"))?;
                audit::append(
                    &tx,
                    id,
                    "signin.refused",
                    &format!("why=wrong_secret failures={failures}"),
                    now,
                )?;
                if lock {
                    audit::append(
                        &tx,
                        id,
                        "operator.locked",
                        &format!("failures={failures}"),
                        now,
                    )?;
                }
                tx.commit().map_err(StoreError::db("signing in"))?;
                tracing::warn!(operator = id, failures, locked = lock, "staff sign-in refused");
                return Err(if lock {
                    StoreError::OperatorLocked { id: id.to_owned() }
                } else {
                    StoreError::SignInRefused
                });
            }
            tx.execute(
                "UPDATE operators SET failed_sign_ins = 0, last_sign_in_at = ?2, updated_at = ?2 WHERE id = ?1",
                params![id, now.as_millis()],
            )
            .map_err(StoreError::db("signing in"))?;
            let operator =
                find(&tx, id)?.ok_or_else(|| StoreError::corrupt("an operator vanished"))?;
            audit::append(
                &tx,
                id,
                "signin",
                &format!("role={}", operator.role.code()),
                now,
            )?;
            tx.commit().map_err(StoreError::db("signing in"))?;
            Ok(operator)
        })
    }

    /// Audits a staff sign-out or session timeout.
    pub fn record_sign_out(
        &mut self,
        id: &str,
        why: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.append_audit(id, "signout", &format!("why={why}"), now)
    }

    /// Unlocks an account and clears its failure count.
    pub fn unlock_operator(
        &mut self,
        id: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.update_operator(id, actor, "operator.unlock", now, |tx| {
            tx.execute(
                "UPDATE operators SET failed_sign_ins = 0, locked_at = NULL, updated_at = ?2 WHERE id = ?1",
                params![id, now.as_millis()],
            )
        })
    }

    /// Sets a new password or PIN (and unlocks the account: an admin has vouched for the person).
    pub fn set_operator_secret(
        &mut self,
        id: &str,
        secret: &str,
        policy: &StaffPolicy,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        check_secret(secret, policy).map_err(|why| StoreError::WeakSecret { why })?;
        let hash = hash_secret(secret)?;
        self.update_operator(id, actor, "operator.passwd", now, |tx| {
            tx.execute(
                "UPDATE operators SET secret_hash = ?2, failed_sign_ins = 0, locked_at = NULL, updated_at = ?3 WHERE id = ?1",
                params![id, hash, now.as_millis()],
            )
        })
    }

    fn update_operator(
        &mut self,
        id: &str,
        actor: &str,
        action: &str,
        now: Timestamp,
        change: impl FnOnce(&Connection) -> rusqlite::Result<usize>,
    ) -> Result<(), StoreError> {
        self.with_full_sync(|store| {
            let tx = store
                .conn
                .transaction()
                .map_err(StoreError::db("changing an operator"))?;
            let changed = change(&tx).map_err(StoreError::db("changing an operator"))?;
            if changed == 0 {
                return Err(StoreError::UnknownOperator { id: id.to_owned() });
            }
            audit::append(&tx, actor, action, &format!("operator={id}"), now)?;
            tx.commit().map_err(StoreError::db("changing an operator"))
        })
    }
}
