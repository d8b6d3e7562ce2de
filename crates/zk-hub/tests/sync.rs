//! Desk ↔ hub against a real hub on 127.0.0.1 (in this process), on SQLite and on PostgreSQL
//! (a throwaway cluster): every fault ends with zero records lost, zero duplicated, and hub and
//! desk agreeing on counts and payload hashes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::{now_ms, Desk, RunningHub, SMALL};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zk_sync::plan::{build_request, OpenBatch, OutboxRecord};
use zk_sync::sign::new_nonce;
use zk_sync::wire::{self, AckStatus, AuditHead, BatchResponse};
use zk_sync::{DeskKey, SyncError, SyncEvent};

/// Every test runs once per backend.
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
    push_then_push_again_changes_nothing,
    lost_answer_after_commit_resends_and_gets_the_stored_answer,
    replayed_and_reordered_batches_store_each_record_once,
    idempotency_key_reuse_is_422_and_a_running_key_is_409,
    tampered_or_unknown_signatures_are_refused,
    clock_skew_of_ten_minutes_is_inside_the_window,
    conflicts_are_kept_flagged_and_listed,
    hub_down_then_back_resumes_the_same_batch,
    desk_dies_between_hub_commit_and_ack,
    hub_storage_errors_are_5xx_and_nothing_is_lost,
);

/// Hub and desk agree: the hub holds exactly the desk's confirmations, with the same payloads.
async fn assert_agree(hub: &zk_hub::HubDb, desks: &[&Desk]) {
    let mut expected: Vec<(String, String)> = Vec::new();
    for desk in desks {
        let status = desk.store.sync_status().unwrap();
        assert_eq!(status.unacked, 0, "desk {} has unacked rows", desk.name);
        let seqs: Vec<i64> = (1..=status.confirmations as i64).collect();
        for row in desk.store.outbox_rows(&seqs).unwrap() {
            expected.push((
                row.confirmation_id,
                wire::sha256_hex(row.payload.as_bytes()),
            ));
        }
    }
    expected.sort();
    let held = hub.confirmation_hashes().await.unwrap();
    assert_eq!(held, expected, "hub and desks disagree");
    let stats = hub.stats().await.unwrap();
    assert_eq!(stats.confirmations as usize, expected.len());
}

async fn push_then_push_again_changes_nothing(db_url: String) {
    let hub = RunningHub::start(&db_url).await;
    let mut desk = Desk::new("desk-a", 40, ("A", 1, 999));
    hub.enrol(&desk).await;
    desk.confirm_many(0..25, SMALL);
    let report = desk.push(&hub.url).await.unwrap();
    assert_eq!(
        (report.stored, report.acked, report.blobs_uploaded),
        (25, 25, 75)
    );
    assert_agree(&hub.db, &[&desk]).await;
    let before = hub.db.stats().await.unwrap();
    assert_eq!(before.blobs, 75);

    let again = desk.push(&hub.url).await.unwrap();
    assert_eq!(again.batches, 0);
    assert_eq!(hub.db.stats().await.unwrap(), before);

    // New rows later go up alone; the earlier blobs are not sent again.
    desk.confirm_many(25..30, SMALL);
    let more = desk.push(&hub.url).await.unwrap();
    assert_eq!((more.stored, more.blobs_uploaded), (5, 15));
    assert_agree(&hub.db, &[&desk]).await;
    let status = desk.store.sync_status().unwrap();
    assert_eq!(
        (status.confirmations, status.unacked, status.acked),
        (30, 0, 30)
    );
    hub.stop().await;
}

/// A TCP proxy that, once armed, forwards a `POST /v1/batches` to the hub, lets the hub answer,
/// then closes the desk's connection without passing the answer on.
async fn answer_dropping_proxy(hub: std::net::SocketAddr, armed: Arc<AtomicBool>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            let armed = armed.clone();
            tokio::spawn(async move {
                let Ok(mut upstream) = tokio::net::TcpStream::connect(hub).await else {
                    return;
                };
                let (mut client_read, mut client_write) = client.split();
                let (mut upstream_read, mut upstream_write) = upstream.split();
                let mut drop_answer = false;
                let mut up = [0u8; 65536];
                let mut down = [0u8; 65536];
                loop {
                    tokio::select! {
                        read = client_read.read(&mut up) => {
                            let Ok(n) = read else { return };
                            if n == 0 { return; }
                            if armed.load(Ordering::SeqCst)
                                && up[..n].windows(16).any(|w| w == b"POST /v1/batches")
                            {
                                armed.store(false, Ordering::SeqCst);
                                drop_answer = true;
                            }
                            if upstream_write.write_all(&up[..n]).await.is_err() { return; }
                        }
                        read = upstream_read.read(&mut down) => {
                            let Ok(n) = read else { return };
                            if n == 0 { return; }
                            if drop_answer {
                                // The hub has committed and answered; the desk never hears it.
                                return;
                            }
                            if client_write.write_all(&down[..n]).await.is_err() { return; }
                        }
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

async fn lost_answer_after_commit_resends_and_gets_the_stored_answer(db_url: String) {
    let hub = RunningHub::start(&db_url).await;
    let mut desk = Desk::new("desk-a", 20, ("A", 1, 999));
    hub.enrol(&desk).await;
    desk.confirm_many(0..12, SMALL);
    let armed = Arc::new(AtomicBool::new(true));
    let proxy = answer_dropping_proxy(hub.addr, armed.clone()).await;
    let upstream = desk.upstream(&proxy, Arc::new(now_ms));
    let mut events = Vec::new();
    let report = desk.push_with(&upstream, &mut events).await.unwrap();
    assert!(
        !armed.load(Ordering::SeqCst),
        "the proxy never dropped an answer"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, SyncEvent::Retrying { path, .. } if path == wire::BATCHES_PATH)),
        "the batch was not retried: {events:?}"
    );
    // The retry got the hub's stored answer: stored once, never twice.
    assert_eq!(
        (report.stored, report.duplicates, report.acked),
        (12, 0, 12)
    );
    assert_eq!(hub.db.stats().await.unwrap().batches, 1);
    assert_agree(&hub.db, &[&desk]).await;
    hub.stop().await;
}

fn rows_of(desk: &Desk, seqs: &[i64]) -> Vec<OutboxRecord> {
    desk.store
        .outbox_rows(seqs)
        .unwrap()
        .into_iter()
        .map(|row| OutboxRecord {
            seq: row.seq,
            confirmation_id: row.confirmation_id,
            payload: row.payload,
        })
        .collect()
}

fn open_batch(seqs: &[i64]) -> OpenBatch {
    OpenBatch {
        key: new_nonce().unwrap(),
        seqs: seqs.to_vec(),
        audit_head: AuditHead {
            seq: 1,
            hash: "0".repeat(64),
        },
    }
}

/// Sends a signed request by hand; returns status and body.
#[allow(clippy::too_many_arguments)]
async fn raw(
    client: &reqwest::Client,
    url: &str,
    key: &DeskKey,
    method: &str,
    path: &str,
    body: &[u8],
    idempotency_key: Option<&str>,
    timestamp_ms: i64,
    tamper: impl FnOnce(&mut Vec<u8>),
) -> (u16, String) {
    let nonce = new_nonce().unwrap();
    let signed = key.sign_request(method, path, body, timestamp_ms, &nonce);
    let mut sent = body.to_vec();
    tamper(&mut sent);
    let mut request = client
        .request(method.parse().unwrap(), format!("{url}{path}"))
        .header(wire::DESK_HEADER, signed.desk)
        .header(wire::TIMESTAMP_HEADER, signed.timestamp_ms.to_string())
        .header(wire::NONCE_HEADER, signed.nonce)
        .header(wire::SIGNATURE_HEADER, signed.signature)
        .body(sent);
    if let Some(key) = idempotency_key {
        request = request.header(wire::IDEMPOTENCY_KEY_HEADER, key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn upload_blobs(desk: &mut Desk, url: &str, rows: &[OutboxRecord]) {
    let upstream = desk.upstream(url, Arc::new(now_ms));
    let blobs = zk_sync::plan::blobs_needed(rows).unwrap();
    for (sha, (artefact_id, _)) in blobs {
        let bytes = desk
            .store
            .get_artefact(&zk_domain::ArtefactId(artefact_id))
            .unwrap()
            .bytes;
        upstream.put_blob(&sha, &bytes, &mut |_| {}).await.unwrap();
    }
}

async fn replayed_and_reordered_batches_store_each_record_once(db_url: String) {
    let hub = RunningHub::start(&db_url).await;
    let mut desk = Desk::new("desk-a", 20, ("A", 1, 999));
    hub.enrol(&desk).await;
    desk.confirm_many(0..10, SMALL);
    let client = reqwest::Client::new();
    let key = desk.key();
    let first = open_batch(&[1, 2, 3, 4, 5]);
    let second = open_batch(&[6, 7, 8, 9, 10]);
    let first_rows = rows_of(&desk, &first.seqs);
    let second_rows = rows_of(&desk, &second.seqs);
    upload_blobs(&mut desk, &hub.url, &first_rows).await;
    upload_blobs(&mut desk, &hub.url, &second_rows).await;
    let first_body = serde_json::to_vec(&build_request(&first, &first_rows).unwrap()).unwrap();
    let second_body = serde_json::to_vec(&build_request(&second, &second_rows).unwrap()).unwrap();

    // Reordered: the later batch first.
    let send = |body: Vec<u8>, batch_key: String| {
        let client = client.clone();
        let url = hub.url.clone();
        let key =
            DeskKey::from_seed_hex(&std::fs::read_to_string(&desk.key_path).unwrap()).unwrap();
        async move {
            raw(
                &client,
                &url,
                &key,
                "POST",
                wire::BATCHES_PATH,
                &body,
                Some(&batch_key),
                now_ms(),
                |_| {},
            )
            .await
        }
    };
    let (status, later) = send(second_body.clone(), second.key.clone()).await;
    assert_eq!(status, 200, "{later}");
    let (status, earlier) = send(first_body.clone(), first.key.clone()).await;
    assert_eq!(status, 200, "{earlier}");
    let earlier: BatchResponse = serde_json::from_str(&earlier).unwrap();
    assert!(earlier
        .acks
        .iter()
        .all(|ack| ack.status == AckStatus::Stored));

    // Replayed (a fresh signature, the same key and body): the stored answer, byte for byte.
    let (status, replay) = send(first_body.clone(), first.key.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<BatchResponse>(&replay).unwrap(),
        earlier
    );

    // Replayed verbatim (same nonce): refused by the nonce check.
    let nonce = new_nonce().unwrap();
    let signed = key.sign_request("POST", wire::BATCHES_PATH, &first_body, now_ms(), &nonce);
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let response = client
            .post(format!("{}{}", hub.url, wire::BATCHES_PATH))
            .header(wire::DESK_HEADER, &signed.desk)
            .header(wire::TIMESTAMP_HEADER, signed.timestamp_ms.to_string())
            .header(wire::NONCE_HEADER, &signed.nonce)
            .header(wire::SIGNATURE_HEADER, &signed.signature)
            .header(wire::IDEMPOTENCY_KEY_HEADER, &first.key)
            .body(first_body.clone())
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, vec![200, 401]);

    // The same records under a new key: duplicates, nothing new.
    let again = open_batch(&[1, 2, 3, 4, 5]);
    let again_body = serde_json::to_vec(&build_request(&again, &first_rows).unwrap()).unwrap();
    let (status, answer) = send(again_body, again.key.clone()).await;
    assert_eq!(status, 200);
    let answer: BatchResponse = serde_json::from_str(&answer).unwrap();
    assert!(answer
        .acks
        .iter()
        .all(|ack| ack.status == AckStatus::Duplicate));
    assert_eq!(hub.db.stats().await.unwrap().confirmations, 10);

    // The desk never saw those answers: its own push gets duplicates and agrees.
    let report = desk.push(&hub.url).await.unwrap();
    assert_eq!(
        (report.duplicates, report.stored, report.acked),
        (10, 0, 10)
    );
    assert_eq!(report.blobs_uploaded, 0);
    assert_agree(&hub.db, &[&desk]).await;
    hub.stop().await;
}

async fn idempotency_key_reuse_is_422_and_a_running_key_is_409(db_url: String) {
    let hub = RunningHub::start(&db_url).await;
    let mut desk = Desk::new("desk-a", 10, ("A", 1, 999));
    hub.enrol(&desk).await;
    desk.confirm_many(0..4, SMALL);
    let client = reqwest::Client::new();
    let key = desk.key();
    let rows = rows_of(&desk, &[1, 2, 3, 4]);
    upload_blobs(&mut desk, &hub.url, &rows).await;
    let batch = open_batch(&[1, 2]);
    let body = serde_json::to_vec(&build_request(&batch, &rows[..2]).unwrap()).unwrap();
    let (status, _) = raw(
        &client,
        &hub.url,
        &key,
        "POST",
        wire::BATCHES_PATH,
        &body,
        Some(&batch.key),
        now_ms(),
        |_| {},
    )
    .await;
    assert_eq!(status, 200);
    // Same key, other payload.
    let mut other = batch.clone();
    other.seqs = vec![3, 4];
    let other_body = serde_json::to_vec(&build_request(&other, &rows[2..]).unwrap()).unwrap();
    let (status, answer) = raw(
        &client,
        &hub.url,
        &key,
        "POST",
        wire::BATCHES_PATH,
        &other_body,
        Some(&batch.key),
        now_ms(),
        |_| {},
    )
    .await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer.contains("idempotency_key_reused"));
    // A key still being processed: 409 (claimed here as a concurrent request would).
    let running = open_batch(&[3, 4]);
    let running_body = serde_json::to_vec(&build_request(&running, &rows[2..]).unwrap()).unwrap();
    assert!(hub
        .db
        .claim_key(
            &key.public_hex(),
            &running.key,
            &wire::sha256_hex(&running_body),
            now_ms()
        )
        .await
        .unwrap());
    let (status, answer) = raw(
        &client,
        &hub.url,
        &key,
        "POST",
        wire::BATCHES_PATH,
        &running_body,
        Some(&running.key),
        now_ms(),
        |_| {},
    )
    .await;
    assert_eq!(status, 409, "{answer}");
    // A missing key is refused.
    let (status, _) = raw(
        &client,
        &hub.url,
        &key,
        "POST",
        wire::BATCHES_PATH,
        &running_body,
        None,
        now_ms(),
        |_| {},
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(hub.db.stats().await.unwrap().confirmations, 2);
    hub.stop().await;
}

async fn tampered_or_unknown_signatures_are_refused(db_url: String) {
    let hub = RunningHub::start(&db_url).await;
    let mut desk = Desk::new("desk-a", 10, ("A", 1, 999));
    hub.enrol(&desk).await;
    desk.confirm_many(0..3, SMALL);
    let client = reqwest::Client::new();
    let key = desk.key();
    let rows = rows_of(&desk, &[1, 2, 3]);
    let batch = open_batch(&[1, 2, 3]);
    let body = serde_json::to_vec(&build_request(&batch, &rows).unwrap()).unwrap();
    // One flipped byte in the body.
    let (status, answer) = raw(
        &client,
        &hub.url,
        &key,
        "POST",
        wire::BATCHES_PATH,
        &body,
        Some(&batch.key),
        now_ms(),
        |sent| {
            let last = sent.len() - 3;
            sent[last] ^= 0x01;
        },
    )
    .await;
    assert_eq!(status, 401, "{answer}");
    assert!(answer.contains("bad_signature"));
    // A blob whose bytes do not match its name.
    let (status, _) = raw(
        &client,
        &hub.url,
        &key,
        "PUT",
        &wire::blob_path(&"a".repeat(64)),
        b"xyz",
        None,
        now_ms(),
        |_| {},
    )
    .await;
    assert_eq!(status, 422);
    // A desk nobody enrolled.
    let stranger = DeskKey::generate().unwrap();
    let (status, answer) = raw(
        &client,
        &hub.url,
        &stranger,
        "POST",
        wire::BATCHES_PATH,
        &body,
        Some(&batch.key),
        now_ms(),
        |_| {},
    )
    .await;
    assert_eq!(status, 403, "{answer}");
    // Unsigned.
    let response = client
        .post(format!("{}{}", hub.url, wire::BATCHES_PATH))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert_eq!(hub.db.stats().await.unwrap().confirmations, 0);

    // The desk's push with an unenrolled key is refused for good; its outbox is intact.
    let mut other = Desk::new("desk-b", 10, ("B", 1, 999));
    other.confirm_many(0..2, SMALL);
    let error = other.push(&hub.url).await.unwrap_err();
    assert!(
        matches!(error, SyncError::Refused { status: 403, .. }),
        "{error}"
    );
    assert_eq!(other.unacked(), 2);
    hub.stop().await;
}

async fn clock_skew_of_ten_minutes_is_inside_the_window(db_url: String) {
    let hub = RunningHub::start(&db_url).await;
    let mut desk = Desk::new("desk-a", 10, ("A", 1, 999));
    hub.enrol(&desk).await;
    for (round, skew_ms) in [(0usize, -600_000i64), (1, 600_000)] {
        desk.confirm(round, SMALL);
        let upstream = desk.upstream(&hub.url, Arc::new(move || now_ms() + skew_ms));
        let report = desk.push_with(&upstream, &mut Vec::new()).await.unwrap();
        assert_eq!(report.stored, 1, "skew {skew_ms} ms");
    }
    // Twenty minutes off is refused with a clear code; nothing is lost.
    desk.confirm(2, SMALL);
    let upstream = desk.upstream(&hub.url, Arc::new(|| now_ms() - 1_200_000));
    let error = desk
        .push_with(&upstream, &mut Vec::new())
        .await
        .unwrap_err();
    match &error {
        SyncError::Refused { status, code, .. } => {
            assert_eq!((*status, code.as_str()), (401, "clock_skew"))
        }
        other => panic!("{other}"),
    }
    assert_eq!(desk.unacked(), 1);
    desk.push(&hub.url).await.unwrap();
    assert_agree(&hub.db, &[&desk]).await;
    hub.stop().await;
}

async fn conflicts_are_kept_flagged_and_listed(db_url: String) {
    let hub = RunningHub::start(&db_url).await;
    // Two desks with the same roster and (wrongly) the same serial block.
    let mut first = Desk::new("desk-a", 10, ("A", 1, 999));
    let mut second = Desk::new("desk-b", 10, ("A", 1, 999));
    hub.enrol(&first).await;
    hub.enrol(&second).await;
    let x_at_first = first.confirm(0, SMALL); // candidate 0, number …0001
    first.push(&hub.url).await.unwrap();
    let y_at_second = second.confirm(1, SMALL); // candidate 1, number …0001 again
    let x_at_second = second.confirm(0, SMALL); // candidate 0 again, at another desk
    let report = second.push(&hub.url).await.unwrap();
    assert_eq!((report.conflicts, report.acked), (2, 2));
    assert_agree(&hub.db, &[&first, &second]).await;
    let conflicts = hub.db.conflicts().await.unwrap();
    let mut found: Vec<(String, String, String)> = conflicts
        .iter()
        .map(|c| {
            (
                c.kind.clone(),
                c.confirmation_id.clone(),
                c.other_confirmation_id.clone(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            (
                "admission_number_twice".into(),
                y_at_second,
                x_at_first.clone()
            ),
            ("candidate_confirmed_twice".into(), x_at_second, x_at_first),
        ]
    );
    // Pushing again flags nothing new.
    second.push(&hub.url).await.unwrap();
    assert_eq!(hub.db.conflicts().await.unwrap().len(), 2);
    hub.stop().await;
}

async fn hub_down_then_back_resumes_the_same_batch(db_url: String) {
    let hub = RunningHub::start(&db_url).await;
    let mut desk = Desk::new("desk-a", 10, ("A", 1, 999));
    hub.enrol(&desk).await;
    let addr = hub.addr;
    let db = hub.stop().await;
    db.close().await;
    desk.confirm_many(0..6, SMALL);
    let error = desk.push(&format!("http://{addr}")).await.unwrap_err();
    assert!(matches!(error, SyncError::Unreachable { .. }), "{error}");
    let open = desk
        .store
        .sync_open_batch()
        .unwrap()
        .expect("the planned batch is kept");
    assert_eq!(open.seqs.len(), 6);
    assert_eq!(desk.unacked(), 6);

    let hub = RunningHub::start_on(&db_url, &addr.to_string()).await;
    let mut events = Vec::new();
    let upstream = desk.upstream(&hub.url, Arc::new(now_ms));
    let report = desk.push_with(&upstream, &mut events).await.unwrap();
    assert_eq!((report.resent_batches, report.stored), (1, 6));
    assert!(events
        .iter()
        .any(|e| matches!(e, SyncEvent::BatchSent { key, resend: true, .. } if *key == open.key)));
    assert_agree(&hub.db, &[&desk]).await;
    hub.stop().await;
}

/// The desk's store, failing once when the hub's answer is applied (the desk "dies" there).
struct DiesBeforeAck<'a> {
    inner: zk_sync::StoreOutbox<'a>,
}

impl zk_sync::DeskOutbox for DiesBeforeAck<'_> {
    fn open_batch(&mut self) -> Result<Option<OpenBatch>, SyncError> {
        self.inner.open_batch()
    }
    fn pending_after(&mut self, after: i64, limit: usize) -> Result<Vec<OutboxRecord>, SyncError> {
        self.inner.pending_after(after, limit)
    }
    fn rows(&mut self, seqs: &[i64]) -> Result<Vec<OutboxRecord>, SyncError> {
        self.inner.rows(seqs)
    }
    fn audit_head(&mut self) -> Result<AuditHead, SyncError> {
        self.inner.audit_head()
    }
    fn begin_batch(&mut self, batch: &OpenBatch, now_ms: i64) -> Result<(), SyncError> {
        self.inner.begin_batch(batch, now_ms)
    }
    fn complete_batch(
        &mut self,
        _key: &str,
        _acked: &[i64],
        _now_ms: i64,
    ) -> Result<u64, SyncError> {
        Err(SyncError::Store(
            "the desk died before applying the answer".into(),
        ))
    }
    fn blob(&mut self, artefact_id: &str) -> Result<Vec<u8>, SyncError> {
        self.inner.blob(artefact_id)
    }
}

async fn desk_dies_between_hub_commit_and_ack(db_url: String) {
    let hub = RunningHub::start(&db_url).await;
    let mut desk = Desk::new("desk-a", 10, ("A", 1, 999));
    hub.enrol(&desk).await;
    desk.confirm_many(0..7, SMALL);
    let upstream = desk.upstream(&hub.url, Arc::new(now_ms));
    let error = zk_sync::push(
        &mut DiesBeforeAck {
            inner: zk_sync::StoreOutbox {
                store: &mut desk.store,
            },
        },
        &upstream,
        &zk_sync::PushOptions::default(),
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(error, SyncError::Store(_)), "{error}");
    assert_eq!(hub.db.stats().await.unwrap().confirmations, 7);
    // The desk restarts: a fresh store from the same folder.
    let dir = desk.dir.path().to_path_buf();
    desk.store = zk_store::Store::open(&dir).unwrap();
    assert_eq!(desk.unacked(), 7);
    let report = desk.push(&hub.url).await.unwrap();
    // The resend got the stored answer of the first send: "stored", not "duplicate", once.
    assert_eq!(
        (report.resent_batches, report.stored, report.acked),
        (1, 7, 7)
    );
    assert_eq!(hub.db.stats().await.unwrap().batches, 1);
    assert_agree(&hub.db, &[&desk]).await;
    hub.stop().await;
}

async fn hub_storage_errors_are_5xx_and_nothing_is_lost(db_url: String) {
    let hub = RunningHub::start(&db_url).await;
    let mut desk = Desk::new("desk-a", 10, ("A", 1, 999));
    hub.enrol(&desk).await;
    desk.confirm_many(0..5, SMALL);
    // The hub's storage breaks under it.
    sqlx::any::install_default_drivers();
    let admin = sqlx::AnyPool::connect(&db_url).await.unwrap();
    sqlx::query("DROP TABLE blobs")
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let mut events = Vec::new();
    let upstream = desk.upstream(&hub.url, Arc::new(now_ms));
    let error = desk.push_with(&upstream, &mut events).await.unwrap_err();
    match &error {
        SyncError::Unreachable { last, .. } => assert!(last.starts_with("503"), "{last}"),
        other => panic!("{other}"),
    }
    assert!(events
        .iter()
        .any(|e| matches!(e, SyncEvent::Retrying { .. })));
    assert_eq!(desk.unacked(), 5);
    assert_eq!(
        hub.db.stats().await.err().map(|e| e.code()),
        Some("storage")
    );
    // Repaired (the schema is recreated on start) and restarted: everything arrives once.
    hub.stop().await;
    let hub = RunningHub::start(&db_url).await;
    let report = desk.push(&hub.url).await.unwrap();
    assert_eq!((report.resent_batches, report.stored), (1, 5));
    assert_agree(&hub.db, &[&desk]).await;
    hub.stop().await;
}
