//! The pure sync planner (no I/O, no clock): which batch to send next, what its request is, and
//! what the hub's answer means for the outbox.
//!
//! A batch is planned once and persisted (key, sequence numbers, audit head) *before* it is sent;
//! until the hub's answer is applied, every push resends exactly that batch under the same
//! `Idempotency-Key` with a byte-identical body, so a crash or a lost answer gets the hub's
//! stored answer instead of a second copy.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::wire::{
    sha256_hex, AuditHead, BatchRequest, BatchResponse, BlobRef, PayloadArtefact, PayloadHead,
    Record, MAX_BATCH_RECORDS, VERSION,
};
use crate::SyncError;

/// A planned, persisted batch whose answer has not been applied yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenBatch {
    pub key: String,
    /// Outbox sequence numbers, ascending.
    pub seqs: Vec<i64>,
    pub audit_head: AuditHead,
}

/// One outbox row as sync reads it. `Debug` hides the payload.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboxRecord {
    pub seq: i64,
    pub confirmation_id: String,
    /// The v1 payload JSON exactly as committed.
    pub payload: String,
}

impl fmt::Debug for OutboxRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboxRecord")
            .field("seq", &self.seq)
            .field("confirmation_id", &self.confirmation_id)
            .field("payload", &format_args!("{} bytes", self.payload.len()))
            .finish()
    }
}

/// What to do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// Send the open batch again, same key, same records.
    Resend(OpenBatch),
    /// Plan a new batch of these rows (persist it with a fresh key, then send).
    Start { seqs: Vec<i64> },
    /// Nothing pending after the cursor.
    Done,
}

/// Picks the next batch: the open one if any, else up to `max_records` of `page` (the unacked
/// rows after the cursor, ascending).
pub fn next_batch(open: Option<OpenBatch>, page: &[i64], max_records: usize) -> Next {
    if let Some(open) = open {
        return Next::Resend(open);
    }
    let limit = max_records.clamp(1, MAX_BATCH_RECORDS);
    let mut seqs: Vec<i64> = page.iter().copied().take(limit).collect();
    seqs.sort_unstable();
    seqs.dedup();
    if seqs.is_empty() {
        Next::Done
    } else {
        Next::Start { seqs }
    }
}

/// The blobs of one row (its artefacts) with the desk's artefact ids, from its payload.
pub fn artefacts_of(row: &OutboxRecord) -> Result<Vec<PayloadArtefact>, SyncError> {
    let head = PayloadHead::parse(&row.payload)
        .map_err(|why| SyncError::protocol(format!("outbox row {}: {why}", row.seq)))?;
    if head.confirmation_id != row.confirmation_id {
        return Err(SyncError::protocol(format!(
            "outbox row {} names another confirmation in its payload",
            row.seq
        )));
    }
    Ok(head.artefacts)
}

/// Builds the request of `batch` from its rows (which must be exactly its rows, in order).
/// Deterministic: the same batch and rows give the same bytes.
pub fn build_request(batch: &OpenBatch, rows: &[OutboxRecord]) -> Result<BatchRequest, SyncError> {
    let row_seqs: Vec<i64> = rows.iter().map(|row| row.seq).collect();
    if row_seqs != batch.seqs {
        return Err(SyncError::protocol(format!(
            "batch {} lists rows {:?} but the outbox gave {:?}",
            batch.key, batch.seqs, row_seqs
        )));
    }
    let mut records = Vec::with_capacity(rows.len());
    for row in rows {
        let blobs = artefacts_of(row)?
            .into_iter()
            .map(|artefact| BlobRef {
                kind: artefact.kind,
                sha256: artefact.sha256,
                size: artefact.size,
            })
            .collect();
        records.push(Record {
            seq: row.seq,
            confirmation_id: row.confirmation_id.clone(),
            payload_sha256: sha256_hex(row.payload.as_bytes()),
            payload: row.payload.clone(),
            blobs,
        });
    }
    Ok(BatchRequest {
        version: VERSION,
        batch_key: batch.key.clone(),
        records,
        audit_head: batch.audit_head.clone(),
    })
}

/// Every distinct blob of these rows: sha256 → (desk artefact id, size).
pub fn blobs_needed(rows: &[OutboxRecord]) -> Result<BTreeMap<String, (String, u64)>, SyncError> {
    let mut blobs = BTreeMap::new();
    for row in rows {
        for artefact in artefacts_of(row)? {
            blobs
                .entry(artefact.sha256)
                .or_insert((artefact.id, artefact.size));
        }
    }
    Ok(blobs)
}

/// What the hub's answer means for the outbox.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AckPlan {
    /// Rows the hub holds (stored, duplicate or conflict): mark acknowledged.
    pub acked: Vec<i64>,
    /// Rows the hub holds but flagged as conflicts (also in `acked`).
    pub conflicts: Vec<i64>,
    /// Rows the hub did not take, with its reason: they stay pending.
    pub rejected: Vec<(i64, String)>,
    /// Rows new at the hub.
    pub stored: u64,
    /// Rows the hub already had.
    pub duplicates: u64,
}

/// Checks the hub's answer against the batch (same key; each row answered exactly once, with its
/// confirmation id) and sorts the rows. A malformed answer changes nothing.
pub fn apply_acks(
    batch: &OpenBatch,
    rows: &[OutboxRecord],
    response: &BatchResponse,
) -> Result<AckPlan, SyncError> {
    if response.batch_key != batch.key {
        return Err(SyncError::protocol(format!(
            "the hub answered batch {} for batch {}",
            response.batch_key, batch.key
        )));
    }
    let expected: BTreeMap<i64, &str> = rows
        .iter()
        .map(|row| (row.seq, row.confirmation_id.as_str()))
        .collect();
    let mut seen = BTreeSet::new();
    let mut plan = AckPlan::default();
    for ack in &response.acks {
        match expected.get(&ack.seq) {
            Some(id) if *id == ack.confirmation_id => {}
            _ => {
                return Err(SyncError::protocol(format!(
                    "the hub acknowledged row {} ({}) which batch {} did not send",
                    ack.seq, ack.confirmation_id, batch.key
                )))
            }
        }
        if !seen.insert(ack.seq) {
            return Err(SyncError::protocol(format!(
                "the hub acknowledged row {} twice",
                ack.seq
            )));
        }
        use crate::wire::AckStatus;
        match ack.status {
            AckStatus::Stored => plan.stored += 1,
            AckStatus::Duplicate => plan.duplicates += 1,
            AckStatus::Conflict => plan.conflicts.push(ack.seq),
            AckStatus::Rejected => {}
        }
        if ack.status.is_held() {
            plan.acked.push(ack.seq);
        } else {
            plan.rejected.push((
                ack.seq,
                ack.reason
                    .clone()
                    .unwrap_or_else(|| "no reason given".into()),
            ));
        }
    }
    if seen.len() != expected.len() {
        return Err(SyncError::protocol(format!(
            "the hub answered {} of the {} rows of batch {}",
            seen.len(),
            expected.len(),
            batch.key
        )));
    }
    plan.acked.sort_unstable();
    Ok(plan)
}
