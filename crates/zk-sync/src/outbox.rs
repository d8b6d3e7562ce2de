//! The desk side of sync as the push and the bundle export see it: [`DeskOutbox`], implemented
//! over the desk's store by [`StoreOutbox`].

use zk_store::{Store, StoreError};

use crate::plan::{OpenBatch, OutboxRecord};
use crate::wire::AuditHead;
use crate::SyncError;

/// What the push needs from the desk (implemented by [`StoreOutbox`]; tests may fake it).
pub trait DeskOutbox {
    fn open_batch(&mut self) -> Result<Option<OpenBatch>, SyncError>;
    /// Unacknowledged rows with `seq > after_seq`, ascending, at most `limit`.
    fn pending_after(
        &mut self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, SyncError>;
    /// These rows, acknowledged or not, in the order given.
    fn rows(&mut self, seqs: &[i64]) -> Result<Vec<OutboxRecord>, SyncError>;
    fn audit_head(&mut self) -> Result<AuditHead, SyncError>;
    /// Persists the batch durably before it is sent.
    fn begin_batch(&mut self, batch: &OpenBatch, now_ms: i64) -> Result<(), SyncError>;
    /// Marks `acked` rows acknowledged and closes the batch, in one transaction.
    fn complete_batch(&mut self, key: &str, acked: &[i64], now_ms: i64) -> Result<u64, SyncError>;
    /// The plaintext of an artefact.
    fn blob(&mut self, artefact_id: &str) -> Result<Vec<u8>, SyncError>;
}

/// What offline sync needs from the desk beyond the outbox: applying a hub receipt, and the
/// audit log (an export is audited).
pub trait DeskLedger {
    /// Marks the rows a hub receipt lists (seq, confirmation id) acknowledged, in one
    /// transaction; a listed row that does not exist or holds another confirmation refuses the
    /// whole receipt. Returns (newly acknowledged, already acknowledged).
    fn apply_receipt(
        &mut self,
        bundle_id: &str,
        rows: &[(i64, String)],
        now_ms: i64,
    ) -> Result<(u64, u64), SyncError>;
    /// Writes an entry to the desk's audit log.
    fn audit(&mut self, action: &str, detail: &str, now_ms: i64) -> Result<(), SyncError>;
}

/// [`DeskOutbox`] over the desk's [`Store`].
pub struct StoreOutbox<'a> {
    pub store: &'a mut Store,
}

fn store_error(error: StoreError) -> SyncError {
    SyncError::Store(error.to_string())
}

fn record(row: zk_store::OutboxRow) -> OutboxRecord {
    OutboxRecord {
        seq: row.seq,
        confirmation_id: row.confirmation_id,
        payload: row.payload,
    }
}

impl DeskOutbox for StoreOutbox<'_> {
    fn open_batch(&mut self) -> Result<Option<OpenBatch>, SyncError> {
        Ok(self
            .store
            .sync_open_batch()
            .map_err(store_error)?
            .map(|open| OpenBatch {
                key: open.key,
                seqs: open.seqs,
                audit_head: AuditHead {
                    seq: open.audit_seq,
                    hash: open.audit_hash,
                },
            }))
    }

    fn pending_after(
        &mut self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, SyncError> {
        Ok(self
            .store
            .outbox_pending(after_seq, limit)
            .map_err(store_error)?
            .into_iter()
            .map(record)
            .collect())
    }

    fn rows(&mut self, seqs: &[i64]) -> Result<Vec<OutboxRecord>, SyncError> {
        Ok(self
            .store
            .outbox_rows(seqs)
            .map_err(store_error)?
            .into_iter()
            .map(record)
            .collect())
    }

    fn audit_head(&mut self) -> Result<AuditHead, SyncError> {
        let (seq, hash) = self.store.audit_head().map_err(store_error)?;
        Ok(AuditHead { seq, hash })
    }

    fn begin_batch(&mut self, batch: &OpenBatch, now_ms: i64) -> Result<(), SyncError> {
        self.store
            .sync_begin_batch(
                &zk_store::SyncBatch {
                    key: batch.key.clone(),
                    seqs: batch.seqs.clone(),
                    audit_seq: batch.audit_head.seq,
                    audit_hash: batch.audit_head.hash.clone(),
                },
                zk_domain::Timestamp::from_millis(now_ms),
            )
            .map_err(store_error)
    }

    fn complete_batch(&mut self, key: &str, acked: &[i64], now_ms: i64) -> Result<u64, SyncError> {
        self.store
            .sync_complete_batch(key, acked, zk_domain::Timestamp::from_millis(now_ms))
            .map_err(store_error)
    }

    fn blob(&mut self, artefact_id: &str) -> Result<Vec<u8>, SyncError> {
        self.store
            .get_artefact(&zk_domain::ArtefactId(artefact_id.to_owned()))
            .map(|artefact| artefact.bytes)
            .map_err(store_error)
    }
}

impl DeskLedger for StoreOutbox<'_> {
    fn apply_receipt(
        &mut self,
        bundle_id: &str,
        rows: &[(i64, String)],
        now_ms: i64,
    ) -> Result<(u64, u64), SyncError> {
        self.store
            .sync_apply_receipt(bundle_id, rows, zk_domain::Timestamp::from_millis(now_ms))
            .map_err(store_error)
    }

    fn audit(&mut self, action: &str, detail: &str, now_ms: i64) -> Result<(), SyncError> {
        self.store
            .append_audit(
                "sync",
                action,
                detail,
                zk_domain::Timestamp::from_millis(now_ms),
            )
            .map_err(store_error)
    }
}
