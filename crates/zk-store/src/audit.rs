//! The audit log: append-only (triggers refuse UPDATE and DELETE) and hash-chained. Each row's hash
//! covers its own fields and the previous row's hash; `meta.audit_head` records the last
//! `seq:hash`, so removing rows from the end is caught too.

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use zk_domain::Timestamp;

use crate::error::StoreError;
use crate::Store;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const HEAD_KEY: &str = "audit_head";

/// One audit row as listed (the chain fields are checked by [`Store::verify_audit`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    pub seq: i64,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// The result of a successful [`Store::verify_audit`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditVerification {
    /// Rows checked.
    pub rows: u64,
    /// Hash of the last row (64 zeros for an empty log).
    pub head: String,
}

pub(crate) fn row_hash(
    seq: i64,
    at: i64,
    actor: &str,
    action: &str,
    detail: &str,
    prev_hash: &str,
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"zk-audit-v1");
    for field in [
        seq.to_string().as_bytes(),
        at.to_string().as_bytes(),
        actor.as_bytes(),
        action.as_bytes(),
        detail.as_bytes(),
        prev_hash.as_bytes(),
    ] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field);
    }
    hex::encode(hasher.finalize())
}

/// Appends one row inside the caller's transaction.
pub(crate) fn append(
    conn: &Connection,
    actor: &str,
    action: &str,
    detail: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let last: Option<(i64, String)> = conn
        .prepare_cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .and_then(|mut statement| {
            statement
                .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()
        })
        .map_err(StoreError::db("reading the audit log head"))?;
    let (prev_seq, prev_hash) = last.unwrap_or((0, GENESIS.to_owned()));
    let seq = prev_seq + 1;
    let at = now.as_millis();
    let hash = row_hash(seq, at, actor, action, detail, &prev_hash);
    conn.prepare_cached(
        "INSERT INTO audit_log (seq, at, actor, action, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut statement| statement.execute(params![seq, at, actor, action, detail, prev_hash, hash]))
    .map_err(StoreError::db("appending to the audit log"))?;
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .and_then(|mut statement| statement.execute(params![HEAD_KEY, format!("{seq}:{hash}")]))
    .map_err(StoreError::db("recording the audit log head"))?;
    Ok(())
}

impl Store {
    /// Appends one audit row in its own transaction. Callers keep PII out of `detail`.
    pub fn append_audit(
        &mut self,
        actor: &str,
        action: &str,
        detail: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.with_full_sync(|store| store.append_audit_now(actor, action, detail, now))
    }

    fn append_audit_now(
        &mut self,
        actor: &str,
        action: &str,
        detail: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction()
            .map_err(StoreError::db("starting an audit append"))?;
        append(&tx, actor, action, detail, now)?;
        tx.commit()
            .map_err(StoreError::db("committing an audit append"))
    }

    /// Every audit row, oldest first (no personal data is ever written to it).
    pub fn audit_rows(&self) -> Result<Vec<AuditRow>, StoreError> {
        let mut statement = self
            .conn
            .prepare("SELECT seq, at, actor, action, detail FROM audit_log ORDER BY seq")
            .map_err(StoreError::db("reading the audit log"))?;
        let rows = statement
            .query_map([], |row| {
                Ok(AuditRow {
                    seq: row.get(0)?,
                    at: Timestamp::from_millis(row.get(1)?),
                    actor: row.get(2)?,
                    action: row.get(3)?,
                    detail: row.get(4)?,
                })
            })
            .map_err(StoreError::db("reading the audit log"))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(StoreError::db("reading the audit log"))
    }

    /// Walks the whole chain. The first row that was changed, removed, reordered or does not link
    /// to its predecessor gives [`StoreError::AuditBroken`] with that row's `seq`.
    pub fn verify_audit(&self) -> Result<AuditVerification, StoreError> {
        let mut statement = self
            .conn
            .prepare("SELECT seq, at, actor, action, detail, prev_hash, hash FROM audit_log ORDER BY seq")
            .map_err(StoreError::db("reading the audit log"))?;
        let mut rows = statement
            .query([])
            .map_err(StoreError::db("reading the audit log"))?;
        let mut expected_seq = 1i64;
        let mut expected_prev = GENESIS.to_owned();
        let mut count = 0u64;
        while let Some(row) = rows
            .next()
            .map_err(StoreError::db("reading the audit log"))?
        {
            let read = |index| -> Result<String, StoreError> {
                row.get(index)
                    .map_err(StoreError::db("reading the audit log"))
            };
            let seq: i64 = row
                .get(0)
                .map_err(StoreError::db("reading the audit log"))?;
            let at: i64 = row
                .get(1)
                .map_err(StoreError::db("reading the audit log"))?;
            let (actor, action, detail, prev_hash, hash) =
                (read(2)?, read(3)?, read(4)?, read(5)?, read(6)?);
            if seq != expected_seq {
                return Err(StoreError::AuditBroken {
                    seq: expected_seq,
                    why: format!("row {expected_seq} is missing (the next row present is {seq})"),
                });
            }
            if row_hash(seq, at, &actor, &action, &detail, &prev_hash) != hash {
                return Err(StoreError::AuditBroken {
                    seq,
                    why: "the row's content does not match its hash (it was altered)".into(),
                });
            }
            if prev_hash != expected_prev {
                return Err(StoreError::AuditBroken {
                    seq,
                    why: "the row does not link to the row before it".into(),
                });
            }
            expected_seq += 1;
            expected_prev = hash;
            count += 1;
        }
        let head: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [HEAD_KEY], |row| {
                row.get(0)
            })
            .optional()
            .map_err(StoreError::db("reading the audit log head"))?;
        let last_seq = expected_seq - 1;
        let actual_head = format!("{last_seq}:{expected_prev}");
        match head {
            None if count == 0 => {}
            Some(head) if head == actual_head => {}
            Some(head) => {
                let recorded_seq = head
                    .split_once(':')
                    .and_then(|(seq, _)| seq.parse::<i64>().ok())
                    .unwrap_or(last_seq);
                let (seq, why) = if recorded_seq > last_seq {
                    (
                        last_seq + 1,
                        format!("the log ends at row {last_seq} but row {recorded_seq} was written: rows were removed from the end"),
                    )
                } else {
                    (
                        last_seq,
                        "the last row differs from the recorded head of the log".to_owned(),
                    )
                };
                return Err(StoreError::AuditBroken { seq, why });
            }
            None => {
                return Err(StoreError::AuditBroken {
                    seq: last_seq,
                    why: "the recorded head of the log is missing".into(),
                })
            }
        }
        Ok(AuditVerification {
            rows: count,
            head: expected_prev,
        })
    }
}
