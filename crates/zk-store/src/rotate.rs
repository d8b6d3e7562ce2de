//! Artefact key rotation, crash-safe:
//! 1. a new random key is written to the slot's *pending* sibling (`artefact.key.new`, 0600);
//! 2. one transaction re-encrypts every artefact and re-seals every sealed column and the roster's
//!    lookup codes under the new key, records the new key check value and audits the rotation;
//! 3. the old key is overwritten and the pending key takes its place; the database is compacted
//!    so old ciphertext leaves the WAL and free pages.
//!
//! A crash before 2 commits leaves the old key in use (the next open erases the pending key); a
//! crash after leaves the database on the new key (the next open promotes the pending key).

use rusqlite::{params, Connection};
use zk_domain::Timestamp;

use crate::artefact::associated_data;
use crate::error::StoreError;
use crate::key::ArtefactKey;
use crate::keyslot::CreateError;
use crate::session::note_row;
use crate::{audit, roster, seal, set_synchronous, Store, KEY_CHECK};

/// What a rotation re-encrypted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RotationReport {
    pub artefacts: u64,
    pub roster_rows: u64,
    pub other_rows: u64,
    /// First 16 hex characters of the old and new key check values (never the keys).
    pub old_fingerprint: String,
    pub new_fingerprint: String,
}

/// Re-seals the sealed columns other than the roster (outbox payloads, confirmation outcomes and
/// declarations, staff notes) from `old` to `new`. With `only_plain`, only values not sealed yet
/// are sealed (the upgrade from schema 0001). Returns how many values changed.
pub(crate) fn reseal_columns(
    conn: &Connection,
    old: &ArtefactKey,
    new: &ArtefactKey,
    only_plain: bool,
) -> Result<u64, StoreError> {
    let db = StoreError::db;
    let mut changed = 0u64;
    // (table, key column, value column, domain)
    for (table, id_column, column, domain) in [
        ("outbox", "confirmation_id", "payload", "outbox"),
        ("confirmations", "id", "outcomes", "confirmation.outcomes"),
        (
            "confirmations",
            "id",
            "declaration",
            "confirmation.declaration",
        ),
    ] {
        let rows: Vec<(String, String)> = {
            let mut statement = conn
                .prepare(&format!("SELECT {id_column}, {column} FROM {table}"))
                .map_err(db("re-sealing stored data"))?;
            let rows = statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .map_err(db("re-sealing stored data"))?;
            rows.collect::<Result<_, _>>()
                .map_err(db("re-sealing stored data"))?
        };
        for (id, stored) in rows {
            if only_plain && seal::is_sealed_json(&stored) {
                continue;
            }
            let plain = zeroize::Zeroizing::new(seal::open_json(old, domain, &id, &stored)?);
            let sealed = seal::seal_json(new, domain, &id, &plain)?;
            conn.execute(
                &format!("UPDATE {table} SET {column} = ?2 WHERE {id_column} = ?1"),
                params![id, sealed],
            )
            .map_err(db("re-sealing stored data"))?;
            changed += 1;
        }
    }
    let notes: Vec<(i64, i64, i64, String)> = {
        let mut statement = conn
            .prepare("SELECT id, session_id, at, note FROM attempts WHERE note IS NOT NULL")
            .map_err(db("re-sealing staff notes"))?;
        let rows = statement
            .query_map([], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .map_err(db("re-sealing staff notes"))?;
        rows.collect::<Result<_, _>>()
            .map_err(db("re-sealing staff notes"))?
    };
    for (id, session, at, stored) in notes {
        if only_plain && seal::is_sealed_text(&stored) {
            continue;
        }
        let row = note_row(crate::SessionId(session), Timestamp::from_millis(at));
        let plain = zeroize::Zeroizing::new(seal::open_text(old, "attempt.note", &row, &stored)?);
        let sealed = seal::seal_text(new, "attempt.note", &row, &plain)?;
        conn.execute(
            "UPDATE attempts SET note = ?2 WHERE id = ?1",
            params![id, sealed],
        )
        .map_err(db("re-sealing staff notes"))?;
        changed += 1;
    }
    Ok(changed)
}

/// Re-encrypts every artefact that still has its bytes from `old` to `new`.
fn reencrypt_artefacts(
    conn: &Connection,
    old: &ArtefactKey,
    new: &ArtefactKey,
) -> Result<u64, StoreError> {
    let ids: Vec<(String, String)> = {
        let mut statement = conn
            .prepare("SELECT id, kind FROM artefacts WHERE purged_at IS NULL")
            .map_err(StoreError::db("re-encrypting artefacts"))?;
        let rows = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(StoreError::db("re-encrypting artefacts"))?;
        rows.collect::<Result<_, _>>()
            .map_err(StoreError::db("re-encrypting artefacts"))?
    };
    let mut count = 0u64;
    for (id, kind) in ids {
        // One at a time: an artefact may be large.
        let (nonce, ciphertext): (Vec<u8>, Vec<u8>) = conn
            .query_row(
                "SELECT nonce, ciphertext FROM artefacts WHERE id = ?1",
                [&id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .map_err(StoreError::db("re-encrypting artefacts"))?;
        let aad = associated_data(&id, &kind);
        let plaintext = zeroize::Zeroizing::new(
            old.open(&nonce, &ciphertext, &aad)
                .ok_or_else(|| StoreError::ArtefactCorrupt { id: id.clone() })?,
        );
        let (nonce, ciphertext) = new.seal(&plaintext, &aad)?;
        conn.execute(
            "UPDATE artefacts SET nonce = ?2, ciphertext = ?3 WHERE id = ?1",
            params![id, nonce.as_slice(), ciphertext],
        )
        .map_err(StoreError::db("re-encrypting artefacts"))?;
        count += 1;
    }
    Ok(count)
}

fn fingerprint(key: &ArtefactKey) -> String {
    let check = key.check_value();
    check.get(..16).unwrap_or(&check).to_owned()
}

impl Store {
    /// Rotates the artefact key (see the module docs for the crash-safe order). In-memory stores
    /// rotate too (there is no key file to replace).
    pub fn rotate_key(
        &mut self,
        actor: &str,
        now: Timestamp,
    ) -> Result<RotationReport, StoreError> {
        let new_key = ArtefactKey::generate()?;
        let pending = self.key_slot.as_ref().map(|slot| slot.pending());
        if let Some(pending) = &pending {
            match pending.create(&new_key) {
                Ok(()) => {}
                Err(CreateError::AlreadyExists) => {
                    return Err(StoreError::KeyRotation {
                        why: format!(
                            "a pending key from an unfinished rotation exists ({}); close every program using the store and open it again, which finishes or rolls back that rotation",
                            pending.describe()
                        ),
                    })
                }
                Err(CreateError::Failed(error)) => return Err(error),
            }
        }
        let mut report = RotationReport {
            old_fingerprint: fingerprint(&self.key),
            new_fingerprint: fingerprint(&new_key),
            ..RotationReport::default()
        };
        let result = self.reencrypt_all(&new_key, actor, now, &mut report);
        if let Err(error) = result {
            if let Some(pending) = &pending {
                if let Err(erase_error) = pending.erase() {
                    tracing::warn!(
                        "cannot erase the pending key after a failed rotation: {erase_error}"
                    );
                }
            }
            return Err(error);
        }
        // Committed: the database uses the new key from here on.
        self.key = new_key;
        if let (Some(slot), Some(pending)) = (&self.key_slot, &pending) {
            slot.promote(pending)?;
        }
        self.compact()?;
        tracing::info!(
            artefacts = report.artefacts,
            roster_rows = report.roster_rows,
            "artefact key rotated"
        );
        Ok(report)
    }

    pub(crate) fn reencrypt_all(
        &mut self,
        new_key: &ArtefactKey,
        actor: &str,
        now: Timestamp,
        report: &mut RotationReport,
    ) -> Result<(), StoreError> {
        set_synchronous(&self.conn, "FULL")?;
        let tx = self
            .conn
            .transaction()
            .map_err(StoreError::db("starting the key rotation"))?;
        crate::require_current_key(&tx, &self.key)?;
        report.artefacts = reencrypt_artefacts(&tx, &self.key, new_key)?;
        report.roster_rows = roster::reseal_rows(&tx, &self.key, new_key)? as u64;
        report.other_rows = reseal_columns(&tx, &self.key, new_key, false)?;
        tx.execute(
            "UPDATE meta SET value = ?2 WHERE key = ?1",
            params![KEY_CHECK, new_key.check_value()],
        )
        .map_err(StoreError::db("recording the new key check value"))?;
        audit::append(
            &tx,
            actor,
            "key.rotated",
            &format!(
                "old={} new={} artefacts={} roster_rows={} other_rows={}",
                report.old_fingerprint,
                report.new_fingerprint,
                report.artefacts,
                report.roster_rows,
                report.other_rows
            ),
            now,
        )?;
        let committed = tx
            .commit()
            .map_err(StoreError::db("committing the key rotation"));
        let restored = set_synchronous(&self.conn, "NORMAL");
        committed?;
        restored
    }
}
