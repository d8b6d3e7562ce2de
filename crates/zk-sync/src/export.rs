//! Offline sync on the desk: every unacknowledged record into one bundle for the hub, and the
//! hub's signed receipt back into the outbox.
//!
//! Export changes nothing in the outbox (a bundle may be lost on the way): rows stay pending
//! until a receipt or a push acknowledges them. Each export gets fresh batch keys; importing a
//! bundle twice, or a bundle and later the same records online, stores each record once (the
//! hub answers "duplicate" for what it holds).

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

use crate::bundle::{BundleCounts, BundleWriter, HubPublicKey, Receipt};
use crate::outbox::{DeskLedger, DeskOutbox};
use crate::plan::{blobs_needed, build_request, OpenBatch, OutboxRecord};
use crate::sign::{new_nonce, DeskKey};
use crate::SyncError;

/// Writes a file whole or not at all: into a temporary file beside `path`, flushed and synced,
/// then renamed over it. A crash or a full removable disk never leaves a half bundle or receipt
/// under the final name. `io_error` turns the file system's errors into the caller's.
pub fn write_atomically<E>(
    path: &std::path::Path,
    write: impl FnOnce(&mut dyn Write) -> Result<(), E>,
    io_error: impl Fn(std::io::Error) -> E,
) -> Result<(), E> {
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(&io_error)?;
    {
        let mut writer = std::io::BufWriter::new(file.as_file_mut());
        write(&mut writer)?;
        writer.flush().map_err(&io_error)?;
    }
    file.as_file().sync_all().map_err(&io_error)?;
    file.persist(path).map_err(|error| io_error(error.error))?;
    Ok(())
}

/// What an export wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ExportReport {
    pub bundle_id: String,
    pub batches: u64,
    pub records: u64,
    pub blobs: u64,
    pub blob_bytes: u64,
    /// The first and last outbox sequence numbers in the bundle (0 when empty).
    pub first_seq: i64,
    pub last_seq: i64,
}

/// Writes every unacknowledged outbox row (and the artefacts they reference, once each) into a
/// bundle for `hub`, in batches of at most `batch_records`.
pub fn export_bundle<W: Write, O: DeskOutbox + DeskLedger + ?Sized>(
    outbox: &mut O,
    desk: &DeskKey,
    hub: &HubPublicKey,
    out: W,
    batch_records: usize,
    now_ms: i64,
) -> Result<(W, ExportReport), SyncError> {
    let batch_records = batch_records.clamp(1, crate::wire::MAX_BATCH_RECORDS);
    let mut rows: Vec<OutboxRecord> = Vec::new();
    loop {
        let after = rows.last().map_or(0, |row| row.seq);
        let page = outbox.pending_after(after, 1000)?;
        if page.is_empty() {
            break;
        }
        rows.extend(page);
    }
    let audit_head = outbox.audit_head()?;
    let mut batches = Vec::new();
    let mut blob_order: Vec<Vec<(String, String)>> = Vec::new();
    let mut all_blobs: BTreeMap<String, String> = BTreeMap::new();
    for chunk in rows.chunks(batch_records) {
        let batch = OpenBatch {
            key: new_nonce()?,
            seqs: chunk.iter().map(|row| row.seq).collect(),
            audit_head: audit_head.clone(),
        };
        let request = build_request(&batch, chunk)?;
        let mut first_use = Vec::new();
        for (sha256, (artefact_id, _)) in blobs_needed(chunk)? {
            if !all_blobs.contains_key(&sha256) {
                all_blobs.insert(sha256.clone(), artefact_id.clone());
                first_use.push((sha256, artefact_id));
            }
        }
        batches.push(request);
        blob_order.push(first_use);
    }
    let counts = BundleCounts {
        batches: batches.len() as u64,
        records: rows.len() as u64,
        blobs: all_blobs.len() as u64,
    };
    let mut writer = BundleWriter::new(out, desk, hub, counts, now_ms)?;
    let mut report = ExportReport {
        bundle_id: writer.header.bundle_id.clone(),
        batches: counts.batches,
        records: counts.records,
        blobs: counts.blobs,
        blob_bytes: 0,
        first_seq: rows.first().map_or(0, |row| row.seq),
        last_seq: rows.last().map_or(0, |row| row.seq),
    };
    for (request, blobs) in batches.iter().zip(&blob_order) {
        for (sha256, artefact_id) in blobs {
            let bytes = outbox.blob(artefact_id)?;
            if crate::wire::sha256_hex(&bytes) != *sha256 {
                return Err(SyncError::Store(format!(
                    "artefact {artefact_id} no longer matches its SHA-256; run `zk audit verify` and check the store"
                )));
            }
            report.blob_bytes += bytes.len() as u64;
            writer.write_blob(sha256, &bytes)?;
        }
        writer.write_batch(request)?;
    }
    let (out, _) = writer.finish()?;
    outbox.audit(
        "outbox.export",
        &format!(
            "bundle={} records={} seq_from={} seq_to={}",
            report.bundle_id, report.records, report.first_seq, report.last_seq
        ),
        now_ms,
    )?;
    Ok((out, report))
}

/// What applying a receipt changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReceiptReport {
    pub bundle_id: String,
    pub newly_acked: u64,
    pub already_acked: u64,
    /// Records the hub did not take (they stay pending and go in the next push or bundle).
    pub rejected: u64,
    pub conflicts: u64,
}

/// Checks a receipt (the hub's signature, this desk) and marks the rows it holds acknowledged.
pub fn apply_receipt(
    outbox: &mut dyn DeskLedger,
    desk: &DeskKey,
    hub: &HubPublicKey,
    receipt: &Receipt,
    now_ms: i64,
) -> Result<ReceiptReport, SyncError> {
    receipt.verify(hub, &desk.public_hex())?;
    let held: Vec<(i64, String)> = receipt
        .acks
        .iter()
        .filter(|ack| ack.status.is_held())
        .map(|ack| (ack.seq, ack.confirmation_id.clone()))
        .collect();
    let (newly_acked, already_acked) = outbox.apply_receipt(&receipt.bundle_id, &held, now_ms)?;
    Ok(ReceiptReport {
        bundle_id: receipt.bundle_id.clone(),
        newly_acked,
        already_acked,
        rejected: receipt
            .acks
            .iter()
            .filter(|ack| !ack.status.is_held())
            .count() as u64,
        conflicts: receipt
            .acks
            .iter()
            .filter(|ack| ack.status == crate::wire::AckStatus::Conflict)
            .count() as u64,
    })
}
