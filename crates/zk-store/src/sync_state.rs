//! What the sync planner needs from the desk: rows by sequence number, the audit head, and the
//! persisted open batch (its key is written before the batch is sent, so a resend reuses it).

use rusqlite::{params, OptionalExtension};
use zk_domain::Timestamp;

use crate::error::StoreError;
use crate::{audit, seal, OutboxRow, Store};

/// A planned batch, persisted before sending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncBatch {
    /// The Idempotency-Key.
    pub key: String,
    /// Outbox sequence numbers, ascending.
    pub seqs: Vec<i64>,
    pub audit_seq: i64,
    pub audit_hash: String,
}

/// The desk's sync state for `zk sync status`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SyncStatus {
    pub confirmations: u64,
    pub unacked: u64,
    pub acked: u64,
    /// The key of a batch sent but not answered yet, if any.
    pub open_batch: Option<String>,
    pub open_batch_records: usize,
    /// Milliseconds since the epoch of the last acknowledgement.
    pub last_acked_at: Option<i64>,
    pub completed_batches: u64,
}

fn seqs_json(seqs: &[i64]) -> Result<String, StoreError> {
    serde_json::to_string(seqs)
        .map_err(|error| StoreError::corrupt(format!("cannot encode a batch: {error}")))
}

impl Store {
    /// The head of the audit chain: `(seq, hash)`, `(0, 64 zeros)` for an empty log.
    pub fn audit_head(&self) -> Result<(i64, String), StoreError> {
        let last: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(StoreError::db("reading the audit log head"))?;
        Ok(last.unwrap_or_else(|| (0, "0".repeat(64))))
    }

    /// These outbox rows (acknowledged or not), in the order of `seqs`; an unknown one is an error.
    pub fn outbox_rows(&self, seqs: &[i64]) -> Result<Vec<OutboxRow>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT seq, confirmation_id, payload, created_at, acked_at FROM outbox WHERE seq = ?1",
            )
            .map_err(StoreError::db("reading the outbox"))?;
        let mut rows = Vec::with_capacity(seqs.len());
        for seq in seqs {
            let row = statement
                .query_row([seq], |row| {
                    Ok(OutboxRow {
                        seq: row.get(0)?,
                        confirmation_id: row.get(1)?,
                        payload: row.get(2)?,
                        created_at: Timestamp::from_millis(row.get(3)?),
                        acked_at: row.get::<_, Option<i64>>(4)?.map(Timestamp::from_millis),
                    })
                })
                .optional()
                .map_err(StoreError::db("reading the outbox"))?
                .ok_or_else(|| StoreError::corrupt(format!("outbox row {seq} is missing")))?;
            rows.push(row);
        }
        for row in &mut rows {
            row.payload = seal::open_json(&self.key, "outbox", &row.confirmation_id, &row.payload)?;
        }
        Ok(rows)
    }

    /// The batch planned and not yet answered, if any.
    pub fn sync_open_batch(&self) -> Result<Option<SyncBatch>, StoreError> {
        let found: Option<(String, String, i64, String)> = self
            .conn
            .query_row(
                "SELECT batch_key, seqs, audit_seq, audit_hash FROM sync_batches WHERE completed_at IS NULL",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .optional()
            .map_err(StoreError::db("reading the open sync batch"))?;
        found
            .map(|(key, seqs, audit_seq, audit_hash)| {
                let seqs: Vec<i64> = serde_json::from_str(&seqs).map_err(|error| {
                    StoreError::corrupt(format!("sync batch {key} is damaged: {error}"))
                })?;
                Ok(SyncBatch {
                    key,
                    seqs,
                    audit_seq,
                    audit_hash,
                })
            })
            .transpose()
    }

    /// Records a planned batch (durably) before it is sent. Refused while another is open.
    pub fn sync_begin_batch(
        &mut self,
        batch: &SyncBatch,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let seqs = seqs_json(&batch.seqs)?;
        self.with_full_sync(|store| {
            store
                .conn
                .execute(
                    "INSERT INTO sync_batches (batch_key, seqs, audit_seq, audit_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![batch.key, seqs, batch.audit_seq, batch.audit_hash, now.as_millis()],
                )
                .map_err(StoreError::db("recording the sync batch (is another batch still open?)"))?;
            Ok(())
        })
    }

    /// Applies the hub's answer: marks `acked` rows acknowledged and closes the batch, in one
    /// durable transaction. Returns how many rows changed.
    pub fn sync_complete_batch(
        &mut self,
        key: &str,
        acked: &[i64],
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        self.with_full_sync(|store| {
            let tx = store
                .conn
                .transaction()
                .map_err(StoreError::db("starting to apply the hub's answer"))?;
            let closed = tx
                .execute(
                    "UPDATE sync_batches SET completed_at = ?2, acked = ?3 WHERE batch_key = ?1 AND completed_at IS NULL",
                    params![key, now.as_millis(), i64::try_from(acked.len()).unwrap_or(i64::MAX)],
                )
                .map_err(StoreError::db("closing the sync batch"))?;
            if closed != 1 {
                return Err(StoreError::corrupt(format!(
                    "sync batch {key} is not open; run `zk sync push` again"
                )));
            }
            let mut changed = 0u64;
            {
                let mut statement = tx
                    .prepare_cached(
                        "UPDATE outbox SET acked_at = ?2 WHERE seq = ?1 AND acked_at IS NULL",
                    )
                    .map_err(StoreError::db("acknowledging outbox rows"))?;
                for seq in acked {
                    changed += statement
                        .execute(params![seq, now.as_millis()])
                        .map_err(StoreError::db("acknowledging outbox rows"))?
                        as u64;
                }
            }
            if changed > 0 {
                let first = acked.iter().min().copied().unwrap_or_default();
                let last = acked.iter().max().copied().unwrap_or_default();
                audit::append(
                    &tx,
                    "sync",
                    "outbox.ack",
                    &format!("acked={changed} seq_from={first} seq_to={last} batch={key}"),
                    now,
                )?;
            }
            tx.commit()
                .map_err(StoreError::db("committing the hub's answer"))?;
            Ok(changed)
        })
    }

    /// Counts for `zk sync status`.
    pub fn sync_status(&self) -> Result<SyncStatus, StoreError> {
        let (unacked, acked) = self.outbox_counts()?;
        let confirmations: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM confirmations", [], |row| row.get(0))
            .map_err(StoreError::db("counting confirmations"))?;
        let last_acked_at: Option<i64> = self
            .conn
            .query_row("SELECT MAX(acked_at) FROM outbox", [], |row| row.get(0))
            .map_err(StoreError::db("reading the outbox"))?;
        let completed_batches: i64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM sync_batches WHERE completed_at IS NOT NULL",
                [],
                |row| row.get(0),
            )
            .map_err(StoreError::db("counting sync batches"))?;
        let open = self.sync_open_batch()?;
        Ok(SyncStatus {
            confirmations: u64::try_from(confirmations).unwrap_or(0),
            unacked,
            acked,
            open_batch_records: open.as_ref().map_or(0, |batch| batch.seqs.len()),
            open_batch: open.map(|batch| batch.key),
            last_acked_at,
            completed_batches: u64::try_from(completed_batches).unwrap_or(0),
        })
    }

    /// Applies a hub receipt for an offline bundle: marks the listed rows (seq, confirmation id)
    /// acknowledged, in one durable transaction with an audit entry. A row that does not exist or
    /// holds another confirmation refuses the whole receipt (it is not this store's). Applying a
    /// receipt again changes nothing. Returns (newly acknowledged, already acknowledged).
    pub fn sync_apply_receipt(
        &mut self,
        bundle_id: &str,
        rows: &[(i64, String)],
        now: Timestamp,
    ) -> Result<(u64, u64), StoreError> {
        self.with_full_sync(|store| {
            let tx = store
                .conn
                .transaction()
                .map_err(StoreError::db("starting to apply a receipt"))?;
            let (mut newly, mut already) = (0u64, 0u64);
            {
                let mut lookup = tx
                    .prepare_cached("SELECT confirmation_id, acked_at FROM outbox WHERE seq = ?1")
                    .map_err(StoreError::db("reading the outbox"))?;
                let mut acknowledge = tx
                    .prepare_cached(
                        "UPDATE outbox SET acked_at = ?2 WHERE seq = ?1 AND acked_at IS NULL",
                    )
                    .map_err(StoreError::db("acknowledging outbox rows"))?;
                for (seq, confirmation_id) in rows {
                    let found: Option<(String, Option<i64>)> = lookup
                        .query_row([seq], |row| Ok((row.get(0)?, row.get(1)?)))
                        .optional()
                        .map_err(StoreError::db("reading the outbox"))?;
                    match found {
                        Some((stored, _)) if stored != *confirmation_id => {
                            return Err(StoreError::corrupt(format!(
                                "the receipt lists outbox row {seq} as {confirmation_id}, but this desk holds {stored} there: it is not this desk's receipt"
                            )));
                        }
                        None => {
                            return Err(StoreError::corrupt(format!(
                                "the receipt lists outbox row {seq}, which this desk does not have: it is not this desk's receipt"
                            )));
                        }
                        Some((_, Some(_))) => already += 1,
                        Some((_, None)) => {
                            newly += acknowledge
                                .execute(params![seq, now.as_millis()])
                                .map_err(StoreError::db("acknowledging outbox rows"))?
                                as u64;
                        }
                    }
                }
            }
            audit::append(
                &tx,
                "sync",
                "outbox.receipt",
                &format!("bundle={bundle_id} acked={newly} already={already}"),
                now,
            )?;
            tx.commit()
                .map_err(StoreError::db("committing the receipt"))?;
            Ok((newly, already))
        })
    }
}
