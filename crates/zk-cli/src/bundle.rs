//! Offline sync: `zk sync export`, `zk sync apply-receipt` on the desk; `zk hub keygen`,
//! `zk hub pubkey`, `zk hub import` at the hub.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use zk_hub::HubDb;
use zk_sync::{DeskKey, HubKey, HubPublicKey, Receipt, StoreOutbox};

use crate::commands::{CliError, Context};
use crate::sync::{failed, now_ms, print_json};

/// Writes `path` whole or not at all (see [`zk_sync::write_atomically`]).
fn write_whole(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<(), CliError>,
) -> Result<(), CliError> {
    zk_sync::write_atomically(path, write, |error| {
        failed(format!("cannot write {}: {error}", path.display()))
    })
}

pub fn export(
    context: &Context,
    out: &Path,
    hub_key: &str,
    batch: usize,
    json: bool,
) -> Result<(), CliError> {
    let hub = HubPublicKey::parse(hub_key).map_err(failed)?;
    let (mut store, key_path) = context.open_desk()?;
    let desk = DeskKey::load_or_create(&key_path).map_err(failed)?;
    let mut report = None;
    write_whole(out, |writer| {
        let (_, written) = zk_sync::export_bundle(
            &mut StoreOutbox { store: &mut store },
            &desk,
            &hub,
            writer,
            batch,
            now_ms(),
        )
        .map_err(failed)?;
        report = Some(written);
        Ok(())
    })?;
    let report = report.ok_or_else(|| failed("the export wrote nothing"))?;
    if json {
        return print_json(&serde_json::json!({ "bundle": out, "report": report }));
    }
    println!(
        "wrote {}: {} records in {} batches with {} files ({} bytes); take it to the hub (`zk hub import`), then apply its receipt here (`zk sync apply-receipt`)",
        out.display(),
        report.records,
        report.batches,
        report.blobs,
        report.blob_bytes
    );
    Ok(())
}

pub fn apply_receipt(
    context: &Context,
    path: &Path,
    hub_key: &str,
    json: bool,
) -> Result<(), CliError> {
    let hub = HubPublicKey::parse(hub_key).map_err(failed)?;
    let text = std::fs::read_to_string(path)
        .map_err(|error| failed(format!("cannot read {}: {error}", path.display())))?;
    let receipt: Receipt = serde_json::from_str(&text)
        .map_err(|error| failed(format!("{} is not a hub receipt: {error}", path.display())))?;
    let (mut store, key_path) = context.open_desk()?;
    let desk = DeskKey::load_or_create(&key_path).map_err(failed)?;
    let report = zk_sync::apply_receipt(
        &mut StoreOutbox { store: &mut store },
        &desk,
        &hub,
        &receipt,
        now_ms(),
    )
    .map_err(failed)?;
    let status = store.sync_status()?;
    if json {
        return print_json(&serde_json::json!({ "report": report, "status": status }));
    }
    println!(
        "receipt {}: {} records newly acknowledged, {} already were, {} not taken by the hub ({} flagged as conflicts); {} left to send",
        report.bundle_id,
        report.newly_acked,
        report.already_acked,
        report.rejected,
        report.conflicts,
        status.unacked
    );
    Ok(())
}

pub fn keygen(out: &Path, json: bool) -> Result<(), CliError> {
    let key = HubKey::generate().map_err(failed)?;
    key.save_new(out).map_err(failed)?;
    let public = key.public().to_text();
    if json {
        return print_json(&serde_json::json!({ "key_file": out, "public_key": public }));
    }
    println!("{public}");
    eprintln!(
        "wrote {} (keep it secret and backed up; desks export bundles to the public key above)",
        out.display()
    );
    Ok(())
}

pub fn pubkey(path: &Path, json: bool) -> Result<(), CliError> {
    let public = HubKey::load(path).map_err(failed)?.public().to_text();
    if json {
        return print_json(&serde_json::json!({ "public_key": public }));
    }
    println!("{public}");
    Ok(())
}

pub async fn import(
    db: &str,
    key: &Path,
    bundle: &Path,
    receipt_path: Option<PathBuf>,
    json: bool,
) -> Result<(), CliError> {
    let key = Arc::new(HubKey::load(key).map_err(failed)?);
    let db = HubDb::connect(db).await.map_err(failed)?;
    let receipt = zk_hub::import_bundle(&db, key, bundle, now_ms())
        .await
        .map_err(failed)?;
    let receipt_path = receipt_path.unwrap_or_else(|| {
        let mut name = bundle.as_os_str().to_owned();
        name.push(".receipt.json");
        PathBuf::from(name)
    });
    let text = serde_json::to_string_pretty(&receipt).map_err(failed)?;
    write_whole(&receipt_path, |writer| {
        writer
            .write_all(text.as_bytes())
            .map_err(|error| failed(format!("cannot write the receipt: {error}")))
    })?;
    let count = |status: zk_sync::wire::AckStatus| {
        receipt
            .acks
            .iter()
            .filter(|ack| ack.status == status)
            .count()
    };
    use zk_sync::wire::AckStatus;
    let summary = serde_json::json!({
        "bundle_id": receipt.bundle_id,
        "records": receipt.acks.len(),
        "stored": count(AckStatus::Stored),
        "duplicates": count(AckStatus::Duplicate),
        "conflicts": count(AckStatus::Conflict),
        "rejected": count(AckStatus::Rejected),
        "receipt": receipt_path,
    });
    if json {
        return print_json(&summary);
    }
    println!(
        "bundle {}: {} records ({} new, {} already here, {} conflicts, {} not taken); receipt written to {} — apply it on the desk with `zk sync apply-receipt`",
        receipt.bundle_id,
        receipt.acks.len(),
        count(AckStatus::Stored),
        count(AckStatus::Duplicate),
        count(AckStatus::Conflict),
        count(AckStatus::Rejected),
        receipt_path.display()
    );
    Ok(())
}
