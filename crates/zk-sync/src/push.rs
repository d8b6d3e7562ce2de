//! The push loop: outbox → hub, one persisted batch at a time, resumable after any failure.

use zk_store::{Store, StoreError};

use crate::plan::{
    apply_acks, blobs_needed, build_request, next_batch, Next, OpenBatch, OutboxRecord,
};
use crate::sign::new_nonce;
use crate::transport::HttpUpstream;
use crate::wire::{sha256_hex, AuditHead};
use crate::SyncError;

/// Progress, for a UI or a log; the library never prints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncEvent {
    BatchPlanned {
        key: String,
        records: usize,
    },
    BlobsChecked {
        key: String,
        blobs: usize,
        missing: usize,
    },
    BlobUploaded {
        sha256: String,
        bytes: u64,
    },
    BatchSent {
        key: String,
        records: usize,
        resend: bool,
    },
    BatchAcked {
        key: String,
        acked: usize,
        conflicts: usize,
        rejected: usize,
    },
    Retrying {
        path: String,
        attempt: u32,
        delay_ms: u64,
        reason: String,
    },
    /// A roster page applied; the site's cursor is now `cursor`.
    RosterPage {
        site: String,
        rows: usize,
        cursor: i64,
    },
    /// A serial block from the hub recorded.
    SerialBlock {
        block_id: String,
        first: u32,
        last: u32,
    },
}

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

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushOptions {
    pub batch_records: usize,
    /// Stop after this many batches (tests; `None`: until the outbox is drained).
    pub max_batches: Option<u64>,
}

impl Default for PushOptions {
    fn default() -> PushOptions {
        PushOptions {
            batch_records: 200,
            max_batches: None,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PushReport {
    pub batches: u64,
    pub resent_batches: u64,
    pub records_sent: u64,
    pub acked: u64,
    pub stored: u64,
    pub duplicates: u64,
    pub conflicts: u64,
    pub rejected: u64,
    pub blobs_uploaded: u64,
    pub blob_bytes: u64,
}

/// Pushes every pending row: first the open batch (if a previous run left one), then new batches
/// of rows after the last one sent. Rows the hub rejects stay pending for the next run.
pub async fn push(
    outbox: &mut dyn DeskOutbox,
    upstream: &HttpUpstream,
    options: &PushOptions,
    events: &mut (dyn FnMut(SyncEvent) + Send),
) -> Result<PushReport, SyncError> {
    let mut report = PushReport::default();
    let mut cursor = 0i64;
    loop {
        if options.max_batches.is_some_and(|max| report.batches >= max) {
            break;
        }
        let open = outbox.open_batch()?;
        let page = if open.is_none() {
            outbox.pending_after(cursor, options.batch_records)?
        } else {
            Vec::new()
        };
        let page_seqs: Vec<i64> = page.iter().map(|row| row.seq).collect();
        let (batch, rows, resend) = match next_batch(open, &page_seqs, options.batch_records) {
            Next::Done => break,
            Next::Resend(batch) => {
                let rows = outbox.rows(&batch.seqs)?;
                (batch, rows, true)
            }
            Next::Start { seqs } => {
                let batch = OpenBatch {
                    key: new_nonce()?,
                    seqs,
                    audit_head: outbox.audit_head()?,
                };
                outbox.begin_batch(&batch, upstream.now_ms())?;
                events(SyncEvent::BatchPlanned {
                    key: batch.key.clone(),
                    records: batch.seqs.len(),
                });
                let rows: Vec<OutboxRecord> = page
                    .into_iter()
                    .filter(|row| batch.seqs.binary_search(&row.seq).is_ok())
                    .collect();
                (batch, rows, false)
            }
        };
        cursor = cursor.max(batch.seqs.last().copied().unwrap_or(cursor));
        send_batch(outbox, upstream, &batch, &rows, resend, &mut report, events).await?;
    }
    Ok(report)
}

async fn send_batch(
    outbox: &mut dyn DeskOutbox,
    upstream: &HttpUpstream,
    batch: &OpenBatch,
    rows: &[OutboxRecord],
    resend: bool,
    report: &mut PushReport,
    events: &mut (dyn FnMut(SyncEvent) + Send),
) -> Result<(), SyncError> {
    let request = build_request(batch, rows)?;
    let blobs = blobs_needed(rows)?;
    let missing = if blobs.is_empty() {
        Vec::new()
    } else {
        upstream
            .missing_blobs(blobs.keys().cloned().collect(), events)
            .await?
    };
    events(SyncEvent::BlobsChecked {
        key: batch.key.clone(),
        blobs: blobs.len(),
        missing: missing.len(),
    });
    // Uploads run a few at a time; reading and checking each blob stays on this task.
    let mut in_flight = tokio::task::JoinSet::new();
    for sha256 in &missing {
        let Some((artefact_id, _)) = blobs.get(sha256) else {
            return Err(SyncError::protocol(format!(
                "the hub asked for blob {sha256} which this batch does not reference"
            )));
        };
        let bytes = outbox.blob(artefact_id)?;
        if sha256_hex(&bytes) != *sha256 {
            return Err(SyncError::Store(format!(
                "artefact {artefact_id} no longer matches its SHA-256; run `zk audit verify` and check the store"
            )));
        }
        while in_flight.len() >= UPLOADS_IN_FLIGHT {
            finish_upload(in_flight.join_next().await, report, events)?;
        }
        let upstream = upstream.clone();
        let sha256 = sha256.clone();
        in_flight.spawn(async move {
            let mut retries = Vec::new();
            let result = upstream
                .put_blob(&sha256, &bytes, &mut |event| retries.push(event))
                .await;
            (sha256, bytes.len() as u64, result, retries)
        });
    }
    while !in_flight.is_empty() {
        finish_upload(in_flight.join_next().await, report, events)?;
    }
    events(SyncEvent::BatchSent {
        key: batch.key.clone(),
        records: rows.len(),
        resend,
    });
    let response = upstream.post_batch(&request, events).await?;
    let plan = apply_acks(batch, rows, &response)?;
    let acked = outbox.complete_batch(&batch.key, &plan.acked, upstream.now_ms())?;
    report.batches += 1;
    report.resent_batches += u64::from(resend);
    report.records_sent += rows.len() as u64;
    report.acked += acked;
    report.stored += plan.stored;
    report.duplicates += plan.duplicates;
    report.conflicts += plan.conflicts.len() as u64;
    report.rejected += plan.rejected.len() as u64;
    events(SyncEvent::BatchAcked {
        key: batch.key.clone(),
        acked: plan.acked.len(),
        conflicts: plan.conflicts.len(),
        rejected: plan.rejected.len(),
    });
    Ok(())
}

/// Blob uploads in flight at once.
const UPLOADS_IN_FLIGHT: usize = 4;

type Upload = (String, u64, Result<(), SyncError>, Vec<SyncEvent>);

fn finish_upload(
    joined: Option<Result<Upload, tokio::task::JoinError>>,
    report: &mut PushReport,
    events: &mut (dyn FnMut(SyncEvent) + Send),
) -> Result<(), SyncError> {
    let Some(joined) = joined else {
        return Ok(());
    };
    let (sha256, bytes, result, retries) =
        joined.map_err(|error| SyncError::protocol(format!("a blob upload stopped: {error}")))?;
    for event in retries {
        events(event);
    }
    result?;
    report.blobs_uploaded += 1;
    report.blob_bytes += bytes;
    events(SyncEvent::BlobUploaded { sha256, bytes });
    Ok(())
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
