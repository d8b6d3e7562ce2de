//! Importing an offline bundle: the same idempotent path as `POST /v1/batches`, fed from a file.
//!
//! The file is read twice. The first pass checks all of it (every chunk's tag, the content hash,
//! the desk's signature, the counts) and writes nothing; the second stores the blobs and applies
//! each batch under its Idempotency-Key, exactly as if the desk had posted it. A bundle imported
//! twice gets the stored answers; records the hub already holds from an online push come back
//! `duplicate`. The answer is a receipt signed by the hub for `zk sync apply-receipt`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::mpsc;
use zk_sync::bundle::{BundleEntry, BundleHeader, BundleReader, HubKey, Receipt};
use zk_sync::wire::{sha256_hex, BatchResponse, MAX_BATCH_RECORDS, VERSION};

use crate::db::{Claim, HubDb};
use crate::error::HubError;

fn open_file(path: &Path) -> Result<std::fs::File, HubError> {
    std::fs::File::open(path).map_err(|error| {
        HubError::Bundle(zk_sync::BundleError::Io(std::io::Error::new(
            error.kind(),
            format!("{}: {error}", path.display()),
        )))
    })
}

/// Checks the whole bundle without writing anything; returns its header.
fn verify(path: &Path, key: &HubKey) -> Result<BundleHeader, HubError> {
    let mut reader = BundleReader::open(open_file(path)?, key)?;
    reader.verify_all()?;
    Ok(reader.header)
}

/// Imports the bundle at `path` into `db` and returns the signed receipt.
pub async fn import_bundle(
    db: &HubDb,
    key: Arc<HubKey>,
    path: &Path,
    now_ms: i64,
) -> Result<Receipt, HubError> {
    let owned: PathBuf = path.to_path_buf();
    let checking = key.clone();
    let header = tokio::task::spawn_blocking(move || verify(&owned, &checking))
        .await
        .map_err(|error| HubError::Serve(format!("the bundle check stopped: {error}")))??;
    let desk = header.desk.to_ascii_lowercase();
    if !db.desk_enrolled(&desk).await? {
        return Err(HubError::UnknownDesk);
    }

    // Second pass: a blocking reader feeds entries to this task a few at a time.
    let (sender, mut receiver) = mpsc::channel::<Result<BundleEntry, HubError>>(4);
    let owned: PathBuf = path.to_path_buf();
    let reading = key.clone();
    let reader_task = tokio::task::spawn_blocking(move || {
        let result = (|| -> Result<(), HubError> {
            let mut reader = BundleReader::open(open_file(&owned)?, &reading)?;
            while let Some(entry) = reader.next_entry()? {
                if sender.blocking_send(Ok(entry)).is_err() {
                    return Ok(());
                }
            }
            Ok(())
        })();
        if let Err(error) = result {
            // The receiver may be gone already; then the error does not matter.
            let _ = sender.blocking_send(Err(error));
        }
    });

    let mut acks = Vec::with_capacity(usize::try_from(header.records).unwrap_or(0));
    while let Some(entry) = receiver.recv().await {
        match entry? {
            BundleEntry::Blob { sha256, bytes } => {
                db.put_blob(&sha256, &bytes, now_ms).await?;
            }
            BundleEntry::Batch(request) => {
                if request.version != VERSION || request.records.len() > MAX_BATCH_RECORDS {
                    return Err(HubError::BadRequest(format!(
                        "batch {} is not a v1 batch of at most {MAX_BATCH_RECORDS} records",
                        request.batch_key
                    )));
                }
                let body = serde_json::to_vec(&request)
                    .map_err(|error| HubError::BadRequest(error.to_string()))?;
                let fingerprint = sha256_hex(&body);
                let response = match db
                    .claim(&desk, &request.batch_key, &fingerprint, now_ms)
                    .await?
                {
                    Claim::Stored(answer) => serde_json::from_str::<BatchResponse>(&answer)
                        .map_err(|error| HubError::Storage {
                            context: "reading a stored batch answer",
                            message: error.to_string(),
                        })?,
                    Claim::InProgress => return Err(HubError::InProgress),
                    Claim::Reused => return Err(HubError::KeyReused),
                    Claim::Owned => match db.apply_batch(&desk, &request, now_ms).await {
                        Ok(response) => response,
                        Err(error) => {
                            db.release(&desk, &request.batch_key).await;
                            return Err(error);
                        }
                    },
                };
                acks.extend(response.acks);
            }
        }
    }
    reader_task
        .await
        .map_err(|error| HubError::Serve(format!("the bundle reader stopped: {error}")))?;
    if acks.len() as u64 != header.records {
        return Err(HubError::BadRequest(format!(
            "the bundle announced {} records but {} were applied",
            header.records,
            acks.len()
        )));
    }
    let mut receipt = Receipt {
        version: VERSION,
        bundle_id: header.bundle_id,
        desk,
        hub: String::new(),
        imported_at_ms: now_ms,
        acks,
        signature: String::new(),
    };
    key.sign_receipt(&mut receipt)?;
    Ok(receipt)
}
