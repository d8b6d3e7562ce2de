//! The push loop: outbox → hub, one persisted batch at a time, resumable after any failure.

use crate::outbox::DeskOutbox;
use crate::plan::{
    apply_acks, blobs_needed, build_request, next_batch, Next, OpenBatch, OutboxRecord,
};
use crate::sign::new_nonce;
use crate::transport::HttpUpstream;
use crate::wire::{encode_blob_pack, sha256_hex, BLOB_PACK_TARGET_BYTES};
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
    // Missing blobs go up in packs of about 4 MiB (one request and one transaction each at the
    // hub), two packs in flight; reading and checking each blob stays on this task.
    let mut in_flight = tokio::task::JoinSet::new();
    let mut pack: Vec<(String, Vec<u8>)> = Vec::new();
    let mut pack_bytes = 0usize;
    for (index, sha256) in missing.iter().enumerate() {
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
        pack_bytes += bytes.len();
        pack.push((sha256.clone(), bytes));
        let last = index + 1 == missing.len();
        if pack_bytes < BLOB_PACK_TARGET_BYTES && !last {
            continue;
        }
        while in_flight.len() >= PACKS_IN_FLIGHT {
            finish_upload(in_flight.join_next().await, report, events)?;
        }
        let upstream = upstream.clone();
        let blobs = std::mem::take(&mut pack);
        pack_bytes = 0;
        in_flight.spawn(async move {
            let mut retries = Vec::new();
            let body = encode_blob_pack(
                blobs
                    .iter()
                    .map(|(sha256, bytes)| (sha256.as_str(), bytes.as_slice())),
            )
            .map_err(SyncError::protocol);
            let result = match body {
                Ok(body) => {
                    upstream
                        .put_blob_pack(&body, &mut |event| retries.push(event))
                        .await
                }
                Err(error) => Err(error),
            };
            let uploaded = blobs
                .into_iter()
                .map(|(sha256, bytes)| (sha256, bytes.len() as u64))
                .collect::<Vec<_>>();
            (uploaded, result, retries)
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

/// Blob packs in flight at once.
const PACKS_IN_FLIGHT: usize = 2;

type Upload = (Vec<(String, u64)>, Result<(), SyncError>, Vec<SyncEvent>);

fn finish_upload(
    joined: Option<Result<Upload, tokio::task::JoinError>>,
    report: &mut PushReport,
    events: &mut (dyn FnMut(SyncEvent) + Send),
) -> Result<(), SyncError> {
    let Some(joined) = joined else {
        return Ok(());
    };
    let (uploaded, result, retries) =
        joined.map_err(|error| SyncError::protocol(format!("a blob upload stopped: {error}")))?;
    for event in retries {
        events(event);
    }
    result?;
    for (sha256, bytes) in uploaded {
        report.blobs_uploaded += 1;
        report.blob_bytes += bytes;
        events(SyncEvent::BlobUploaded { sha256, bytes });
    }
    Ok(())
}
