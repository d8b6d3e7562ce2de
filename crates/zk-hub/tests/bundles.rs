//! Offline bundles against a real hub database (SQLite and a throwaway PostgreSQL): export on
//! the desk, import at the hub (CLI path and upload endpoint), receipt back to the desk. Imported
//! twice, or imported and then pushed online, every record is stored once; a damaged or foreign
//! bundle changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{now_ms, Desk, RunningHub, SMALL};
use zk_hub::{HubDb, HubState};
use zk_sync::wire::{self, AckStatus};
use zk_sync::{BundleError, HubKey, Receipt, StoreOutbox};

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let dir = tempfile::tempdir().unwrap();
                    super::$name(super::common::sqlite_url(&dir)).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::common::postgres_url().await).await;
                }
            )*
        }
    };
}

on_both_backends!(
    a_bundle_imported_twice_stores_each_record_once,
    a_bundle_and_then_the_same_records_online_store_each_once,
    a_damaged_or_foreign_bundle_changes_nothing,
    a_bundle_uploaded_to_the_endpoint_is_imported,
);

/// Writes the desk's unacked records into `path` for `hub`.
fn export(desk: &mut Desk, hub: &HubKey, path: &Path) -> zk_sync::ExportReport {
    let key = desk.key();
    let file = std::fs::File::create(path).unwrap();
    let (_, report) = zk_sync::export_bundle(
        &mut StoreOutbox {
            store: &mut desk.store,
        },
        &key,
        &hub.public(),
        std::io::BufWriter::new(file),
        4,
        now_ms(),
    )
    .unwrap();
    report
}

fn apply(desk: &mut Desk, hub: &HubKey, receipt: &Receipt) -> zk_sync::ReceiptReport {
    let key = desk.key();
    zk_sync::apply_receipt(
        &mut StoreOutbox {
            store: &mut desk.store,
        },
        &key,
        &hub.public(),
        receipt,
        now_ms(),
    )
    .unwrap()
}

/// The hub holds exactly these confirmations of the desk, with the desk's payload hashes.
async fn assert_hub_holds(db: &HubDb, desk: &Desk, count: usize) {
    let seqs: Vec<i64> = (1..=count as i64).collect();
    let mut expected: Vec<(String, String)> = desk
        .store
        .outbox_rows(&seqs)
        .unwrap()
        .into_iter()
        .map(|row| {
            (
                row.confirmation_id,
                wire::sha256_hex(row.payload.as_bytes()),
            )
        })
        .collect();
    expected.sort();
    assert_eq!(db.confirmation_hashes().await.unwrap(), expected);
}

async fn a_bundle_imported_twice_stores_each_record_once(db_url: String) {
    let db = HubDb::connect(&db_url).await.unwrap();
    let hub_key = Arc::new(HubKey::generate().unwrap());
    let mut desk = Desk::new("desk-a", 20, ("A", 1, 999));
    db.enrol_desk(&desk.key().public_hex(), "desk-a", None, now_ms())
        .await
        .unwrap();
    desk.confirm_many(0..10, SMALL);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk-a.zkb");
    let report = export(&mut desk, &hub_key, &path);
    assert_eq!((report.records, report.batches, report.blobs), (10, 3, 30));
    // Exporting changes nothing on the desk: the rows stay pending until a receipt.
    assert_eq!(desk.unacked(), 10);

    let receipt = zk_hub::import_bundle(&db, hub_key.clone(), &path, now_ms())
        .await
        .unwrap();
    assert_eq!(receipt.acks.len(), 10);
    assert!(receipt
        .acks
        .iter()
        .all(|ack| ack.status == AckStatus::Stored));
    let after_first = db.stats().await.unwrap();
    assert_eq!((after_first.confirmations, after_first.blobs), (10, 30));

    // The same file again: the stored answers, nothing new.
    let again = zk_hub::import_bundle(&db, hub_key.clone(), &path, now_ms())
        .await
        .unwrap();
    assert_eq!(again.acks, receipt.acks);
    assert_eq!(db.stats().await.unwrap(), after_first);

    // The receipt back on the desk: all acknowledged; applying it twice changes nothing.
    let applied = apply(&mut desk, &hub_key, &receipt);
    assert_eq!((applied.newly_acked, applied.already_acked), (10, 0));
    let twice = apply(&mut desk, &hub_key, &again);
    assert_eq!((twice.newly_acked, twice.already_acked), (0, 10));
    assert_eq!(desk.unacked(), 0);
    assert_hub_holds(&db, &desk, 10).await;

    // A second bundle carries only what came after.
    desk.confirm_many(10..13, SMALL);
    let path2 = dir.path().join("desk-a-2.zkb");
    let second = export(&mut desk, &hub_key, &path2);
    assert_eq!(
        (second.records, second.first_seq, second.last_seq),
        (3, 11, 13)
    );
    let receipt2 = zk_hub::import_bundle(&db, hub_key.clone(), &path2, now_ms())
        .await
        .unwrap();
    apply(&mut desk, &hub_key, &receipt2);
    assert_eq!(desk.unacked(), 0);
    assert_hub_holds(&db, &desk, 13).await;
    // The desk's audit log records both exports and both receipts.
    let actions: Vec<String> = desk
        .store
        .audit_rows()
        .unwrap()
        .into_iter()
        .map(|row| row.action)
        .collect();
    assert_eq!(actions.iter().filter(|a| *a == "outbox.export").count(), 2);
    assert_eq!(actions.iter().filter(|a| *a == "outbox.receipt").count(), 3);
    db.close().await;
}

async fn a_bundle_and_then_the_same_records_online_store_each_once(db_url: String) {
    let hub_key = Arc::new(HubKey::generate().unwrap());
    let hub = RunningHub::start(&db_url).await;
    let mut desk = Desk::new("desk-a", 20, ("A", 1, 999));
    hub.enrol(&desk).await;
    desk.confirm_many(0..6, SMALL);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.zkb");
    export(&mut desk, &hub_key, &path);
    zk_hub::import_bundle(&hub.db, hub_key.clone(), &path, now_ms())
        .await
        .unwrap();
    // The receipt never reaches the desk; the site comes online and pushes.
    let report = desk.push(&hub.url).await.unwrap();
    assert_eq!((report.acked, report.stored, report.duplicates), (6, 0, 6));
    assert_eq!(report.blobs_uploaded, 0, "the bundle already brought them");
    assert_eq!(hub.db.stats().await.unwrap().confirmations, 6);
    assert_eq!(desk.unacked(), 0);
    // And the other way round: pushed online first, then a stale bundle imported.
    desk.confirm_many(6..9, SMALL);
    let stale = dir.path().join("stale.zkb");
    export(&mut desk, &hub_key, &stale);
    desk.push(&hub.url).await.unwrap();
    let receipt = zk_hub::import_bundle(&hub.db, hub_key.clone(), &stale, now_ms())
        .await
        .unwrap();
    assert!(receipt
        .acks
        .iter()
        .all(|ack| ack.status == AckStatus::Duplicate));
    assert_eq!(hub.db.stats().await.unwrap().confirmations, 9);
    assert_hub_holds(&hub.db, &desk, 9).await;
    hub.stop().await;
}

async fn a_damaged_or_foreign_bundle_changes_nothing(db_url: String) {
    let db = HubDb::connect(&db_url).await.unwrap();
    let hub_key = Arc::new(HubKey::generate().unwrap());
    let mut desk = Desk::new("desk-a", 20, ("A", 1, 999));
    db.enrol_desk(&desk.key().public_hex(), "desk-a", None, now_ms())
        .await
        .unwrap();
    desk.confirm_many(0..5, SMALL);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.zkb");
    export(&mut desk, &hub_key, &path);
    let good = std::fs::read(&path).unwrap();

    // One flipped byte near the end (the last batch, after all the blobs).
    let flipped = dir.path().join("flipped.zkb");
    let mut bytes = good.clone();
    let at = bytes.len() - 40;
    bytes[at] ^= 0x20;
    std::fs::write(&flipped, &bytes).unwrap();
    let error = zk_hub::import_bundle(&db, hub_key.clone(), &flipped, now_ms())
        .await
        .unwrap_err();
    assert!(
        matches!(error, zk_hub::HubError::Bundle(BundleError::Damaged(_))),
        "{error}"
    );
    // Cut short.
    let cut = dir.path().join("cut.zkb");
    std::fs::write(&cut, &good[..good.len() / 2]).unwrap();
    let error = zk_hub::import_bundle(&db, hub_key.clone(), &cut, now_ms())
        .await
        .unwrap_err();
    assert!(matches!(error, zk_hub::HubError::Bundle(_)), "{error}");
    // For another hub.
    let other = Arc::new(HubKey::generate().unwrap());
    let error = zk_hub::import_bundle(&db, other, &path, now_ms())
        .await
        .unwrap_err();
    assert!(
        matches!(error, zk_hub::HubError::Bundle(BundleError::WrongHub)),
        "{error}"
    );
    // From a desk the hub does not know.
    let mut stranger = Desk::new("desk-x", 5, ("X", 1, 999));
    stranger.confirm_many(0..2, SMALL);
    let strange = dir.path().join("stranger.zkb");
    export(&mut stranger, &hub_key, &strange);
    let error = zk_hub::import_bundle(&db, hub_key.clone(), &strange, now_ms())
        .await
        .unwrap_err();
    assert!(matches!(error, zk_hub::HubError::UnknownDesk), "{error}");

    let stats = db.stats().await.unwrap();
    assert_eq!((stats.confirmations, stats.blobs, stats.batches), (0, 0, 0));
    // The good file still imports in full.
    let receipt = zk_hub::import_bundle(&db, hub_key.clone(), &path, now_ms())
        .await
        .unwrap();
    assert_eq!(receipt.acks.len(), 5);
    assert_hub_holds(&db, &desk, 5).await;
    // A receipt altered on the way back is refused and acknowledges nothing.
    let mut forged = receipt.clone();
    forged.acks.truncate(4);
    let key = desk.key();
    let error = zk_sync::apply_receipt(
        &mut StoreOutbox {
            store: &mut desk.store,
        },
        &key,
        &hub_key.public(),
        &forged,
        now_ms(),
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("not signed by this hub"),
        "{error}"
    );
    assert_eq!(desk.unacked(), 5);
    db.close().await;
}

async fn a_bundle_uploaded_to_the_endpoint_is_imported(db_url: String) {
    let hub_key = Arc::new(HubKey::generate().unwrap());
    let db = HubDb::connect(&db_url).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = Arc::new(HubState::with_system_clock(db.clone()).with_bundle_key(hub_key.clone()));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(zk_hub::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let mut desk = Desk::new("desk-a", 20, ("A", 1, 999));
    db.enrol_desk(&desk.key().public_hex(), "desk-a", None, now_ms())
        .await
        .unwrap();
    desk.confirm_many(0..4, SMALL);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.zkb");
    export(&mut desk, &hub_key, &path);
    let client = reqwest::Client::new();
    let url = format!("http://{addr}{}", wire::BUNDLES_PATH);
    let answer = client
        .post(&url)
        .body(std::fs::read(&path).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let receipt: Receipt = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    assert_eq!(receipt.acks.len(), 4);
    let applied = apply(&mut desk, &hub_key, &receipt);
    assert_eq!(applied.newly_acked, 4);
    assert_hub_holds(&db, &desk, 4).await;
    // Garbage is a 422 with a reason, and changes nothing.
    let answer = client
        .post(&url)
        .body(b"ZKBNDL01 garbage".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 422);
    let body: wire::ErrorBody = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    assert_eq!(body.code, "bundle_unusable");
    assert_eq!(db.stats().await.unwrap().confirmations, 4);
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
