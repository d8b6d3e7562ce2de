//! Desk ↔ hub against a real hub on 127.0.0.1 (in this process), on SQLite and on PostgreSQL
//! (a throwaway cluster): every fault ends with zero records lost, zero duplicated, and hub and
//! desk agreeing on counts and payload hashes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::{edit_row, now_ms, roster, Desk, RunningHub, TestPki, SMALL};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zk_domain::RegistrationStatus;
use zk_sync::plan::{build_request, OpenBatch, OutboxRecord};
use zk_sync::sign::new_nonce;
use zk_sync::wire::{self, AckStatus, AuditHead, BatchResponse};
use zk_sync::PullOptions;
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
    concurrent_sends_of_one_key_apply_once,
    tampered_or_unknown_signatures_are_refused,
    clock_skew_of_ten_minutes_is_inside_the_window,
    conflicts_are_kept_flagged_and_listed,
    hub_down_then_back_resumes_the_same_batch,
    desk_dies_between_hub_commit_and_ack,
    hub_storage_errors_are_5xx_and_nothing_is_lost,
    roster_pages_through_several_pages_and_resumes,
    a_changed_row_is_delivered_again_after_the_cursor,
    a_confirmed_registration_is_untouched_by_a_pull,
    a_desk_reads_only_its_own_sites_roster,
    two_desks_get_non_overlapping_blocks,
    the_same_serial_key_twice_gives_the_same_block,
    a_lost_serial_answer_then_a_retry_records_one_block,
    exhausted_serials_are_409_and_nothing_is_recorded,
    push_and_pull_over_https_with_the_site_ca,
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

/// A TCP proxy that, once armed, forwards a request starting with `request_line` (e.g. `POST
/// /v1/batches`) to the hub, lets the hub answer, then closes the desk's connection without passing
/// the answer on.
async fn answer_dropping_proxy(
    hub: std::net::SocketAddr,
    armed: Arc<AtomicBool>,
    request_line: &'static [u8],
) -> String {
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
                                && up[..n].windows(request_line.len()).any(|w| w == request_line)
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
    let proxy = answer_dropping_proxy(hub.addr, armed.clone(), b"POST /v1/batches").await;
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

/// The same batch sent many times at once under one key: each answer is the stored answer (200)
/// or "still running" (409), every 200 is the same answer, and every record is stored once.
async fn concurrent_sends_of_one_key_apply_once(db_url: String) {
    let hub = RunningHub::start(&db_url).await;
    let per_round = 40usize;
    let rounds = 4usize;
    let mut desk = Desk::new("desk-a", per_round * rounds, ("A", 1, 9999));
    hub.enrol(&desk).await;
    desk.confirm_many(0..per_round * rounds, SMALL);
    let client = reqwest::Client::new();
    let key = desk.key();
    let mut conflicts_seen = 0usize;
    for round in 0..rounds {
        let seqs: Vec<i64> = (1..=per_round as i64)
            .map(|s| s + (round * per_round) as i64)
            .collect();
        let rows = rows_of(&desk, &seqs);
        upload_blobs(&mut desk, &hub.url, &rows).await;
        let batch = open_batch(&seqs);
        let body = serde_json::to_vec(&build_request(&batch, &rows).unwrap()).unwrap();
        let sends = (0..12).map(|_| {
            let (client, url, key, body, idem) = (
                client.clone(),
                hub.url.clone(),
                desk.key(),
                body.clone(),
                batch.key.clone(),
            );
            tokio::spawn(async move {
                raw(
                    &client,
                    &url,
                    &key,
                    "POST",
                    wire::BATCHES_PATH,
                    &body,
                    Some(&idem),
                    now_ms(),
                    |_| {},
                )
                .await
            })
        });
        let handles: Vec<_> = sends.collect();
        let mut answers: Vec<(u16, String)> = Vec::new();
        for handle in handles {
            answers.push(handle.await.unwrap());
        }
        let stored: Vec<&String> = answers
            .iter()
            .filter(|(status, _)| *status == 200)
            .map(|(_, body)| body)
            .collect();
        for (status, body) in &answers {
            assert!(*status == 200 || *status == 409, "{status}: {body}");
        }
        conflicts_seen += answers.iter().filter(|(status, _)| *status == 409).count();
        assert!(!stored.is_empty(), "no send got the answer: {answers:?}");
        assert!(stored.iter().all(|body| *body == stored[0]));
        let answer: BatchResponse = serde_json::from_str(stored[0]).unwrap();
        assert_eq!(answer.acks.len(), per_round);
        assert!(answer
            .acks
            .iter()
            .all(|ack| ack.status == AckStatus::Stored));
        // Once the first send finished, a resend gets the stored answer.
        let (status, again) = raw(
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
        assert_eq!((status, &again), (200, stored[0]));
        assert_eq!(
            hub.db.stats().await.unwrap().confirmations as usize,
            per_round * (round + 1)
        );
    }
    // How often a send lost the race depends on timing (a SQLite hub has one connection and
    // mostly serialises them); `a_send_while_the_batch_runs_is_409` forces the overlap.
    eprintln!("{conflicts_seen} of {} sends were told 409", rounds * 12);
    assert!(hub.db.conflicts().await.unwrap().is_empty());
    hub.stop().await;
}

/// PostgreSQL (hubs may run side by side): while one send of a batch is blocked inside its
/// transaction (another session holds the confirmations table), a second send with the same key
/// is told 409 at once; the first then completes, and a resend gets its stored answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_while_the_batch_runs_is_409() {
    use sqlx::Connection;
    let db_url = common::postgres_url().await;
    let hub = RunningHub::start(&db_url).await;
    let mut desk = Desk::new("desk-a", 10, ("A", 1, 999));
    hub.enrol(&desk).await;
    desk.confirm_many(0..5, SMALL);
    let rows = rows_of(&desk, &[1, 2, 3, 4, 5]);
    upload_blobs(&mut desk, &hub.url, &rows).await;
    let batch = open_batch(&[1, 2, 3, 4, 5]);
    let body = serde_json::to_vec(&build_request(&batch, &rows).unwrap()).unwrap();

    let mut blocker = sqlx::AnyConnection::connect(&db_url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut blocker).await.unwrap();
    sqlx::query("LOCK TABLE confirmations IN EXCLUSIVE MODE")
        .execute(&mut blocker)
        .await
        .unwrap();
    let first = {
        let (url, key, body, idem) = (hub.url.clone(), desk.key(), body.clone(), batch.key.clone());
        tokio::spawn(async move {
            raw(
                &reqwest::Client::new(),
                &url,
                &key,
                "POST",
                wire::BATCHES_PATH,
                &body,
                Some(&idem),
                now_ms(),
                |_| {},
            )
            .await
        })
    };
    // Wait until the first send holds the key.
    let mut probe = sqlx::AnyConnection::connect(&db_url).await.unwrap();
    let mut held = false;
    for _ in 0..500 {
        let running: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM idempotency WHERE batch_key = $1 AND state = 'running'",
        )
        .bind(&batch.key)
        .fetch_one(&mut probe)
        .await
        .unwrap();
        if running == 1 {
            held = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(held, "the first send never claimed its key");
    let client = reqwest::Client::new();
    let key = desk.key();
    let (status, answer) = raw(
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
    assert_eq!(status, 409, "{answer}");
    assert!(answer.contains("in_progress"), "{answer}");
    assert!(
        !first.is_finished(),
        "the first send did not wait for the lock"
    );
    assert_eq!(hub.db.stats().await.unwrap().confirmations, 0);

    sqlx::query("COMMIT").execute(&mut blocker).await.unwrap();
    let (status, stored) = first.await.unwrap();
    assert_eq!(status, 200, "{stored}");
    let (status, again) = raw(
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
    assert_eq!((status, again), (200, stored));
    assert_eq!(hub.db.stats().await.unwrap().confirmations, 5);
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

// ---- down: the site roster ----

const SITE: &str = "site-4201-01";

fn pages_of(rows: u32) -> PullOptions {
    PullOptions {
        page_rows: rows,
        ..PullOptions::default()
    }
}

async fn roster_pages_through_several_pages_and_resumes(db_url: String) {
    let hub = RunningHub::start(&db_url).await;
    let (csv, ids) = roster(25);
    let imported = hub.import_roster(SITE, &csv).await;
    assert_eq!(
        (imported.rows, imported.inserted, imported.revision),
        (25, 25, 25)
    );
    let mut desk = Desk::bare("desk-a");
    hub.enrol_at(&desk, SITE).await;

    // Two pages of 10, then the pull is interrupted.
    let first = desk
        .pull(
            &hub.url,
            &PullOptions {
                max_pages: Some(2),
                ..pages_of(10)
            },
        )
        .await
        .unwrap();
    assert_eq!(first.site, SITE);
    assert_eq!(
        (
            first.pages,
            first.rows,
            first.inserted,
            first.cursor,
            first.more
        ),
        (2, 20, 20, 20, true)
    );
    assert_eq!(desk.store.roster_cursor(SITE).unwrap(), 20);
    assert_eq!(desk.store.roster_counts().unwrap().total, 20);

    // The next pull starts after the cursor: the last 5 rows, once.
    let rest = desk.pull(&hub.url, &pages_of(10)).await.unwrap();
    assert_eq!(
        (
            rest.cursor_from,
            rest.pages,
            rest.rows,
            rest.inserted,
            rest.cursor,
            rest.more
        ),
        (20, 1, 5, 5, 25, false)
    );
    let counts = desk.store.roster_counts().unwrap();
    assert_eq!((counts.total, counts.registered), (25, 25));
    for (registration_id, id_number) in &ids {
        let local = desk.store.registration(registration_id).unwrap().unwrap();
        assert_eq!(&local.id_number, id_number);
    }

    // Nothing new: one empty page, the cursor stays.
    let again = desk.pull(&hub.url, &pages_of(10)).await.unwrap();
    assert_eq!((again.pages, again.rows, again.cursor), (1, 0, 25));
    let pulls = desk.store.roster_pulls().unwrap();
    assert_eq!((pulls.len(), pulls[0].rows, pulls[0].cursor), (1, 25, 25));
    // Every page was audited and the chain holds.
    desk.store.verify_audit().unwrap();
    let audited = desk
        .store
        .audit_rows()
        .unwrap()
        .iter()
        .filter(|row| row.action == "roster.pull")
        .count();
    assert_eq!(audited, 4);
    hub.stop().await;
}

async fn a_changed_row_is_delivered_again_after_the_cursor(db_url: String) {
    let hub = RunningHub::start(&db_url).await;
    let (csv, ids) = roster(12);
    hub.import_roster(SITE, &csv).await;
    let mut desk = Desk::bare("desk-a");
    hub.enrol_at(&desk, SITE).await;
    assert_eq!(desk.pull(&hub.url, &pages_of(5)).await.unwrap().rows, 12);

    // The same file again changes nothing and sends nothing.
    let same = hub.import_roster(SITE, &csv).await;
    assert_eq!(
        (same.inserted, same.updated, same.unchanged, same.revision),
        (0, 0, 12, 12)
    );
    assert_eq!(desk.pull(&hub.url, &pages_of(5)).await.unwrap().rows, 0);

    // Registration 3 changes its phone, registration 7 is cancelled.
    let changed = edit_row(&csv, 3, |line| {
        line.replace(",13900000003,", ",13700000003,")
    });
    let changed = edit_row(&changed, 7, |line| format!("{line}已取消"));
    let import = hub.import_roster(SITE, &changed).await;
    assert_eq!(
        (import.updated, import.unchanged, import.revision),
        (2, 10, 14)
    );
    let pulled = desk.pull(&hub.url, &pages_of(5)).await.unwrap();
    assert_eq!(
        (
            pulled.cursor_from,
            pulled.rows,
            pulled.updated,
            pulled.inserted,
            pulled.cursor
        ),
        (12, 2, 2, 0, 14)
    );
    let third = desk.store.registration(&ids[3].0).unwrap().unwrap();
    assert_eq!(third.phone.as_deref(), Some("13700000003"));
    let seventh = desk.store.registration(&ids[7].0).unwrap().unwrap();
    assert_eq!(seventh.status, RegistrationStatus::Cancelled);
    assert_eq!(desk.store.roster_counts().unwrap().cancelled, 1);
    hub.stop().await;
}

async fn a_confirmed_registration_is_untouched_by_a_pull(db_url: String) {
    let hub = RunningHub::start(&db_url).await;
    // The desk has the roster from a file and confirms candidates 0, 1 and 2.
    let mut desk = Desk::new("desk-a", 10, ("A", 1, 999));
    hub.enrol_at(&desk, SITE).await;
    let confirmed: Vec<String> = (0..3).map(|index| desk.confirm(index, SMALL)).collect();
    let before: Vec<_> = (0..3)
        .map(|index| {
            desk.store
                .registration(&desk.ids[index].0)
                .unwrap()
                .unwrap()
        })
        .collect();
    // The hub's roster: candidate 0 under another name, candidate 1 with another ID number,
    // candidate 2 with another major, candidate 5 with another phone.
    let (csv, _) = roster(10);
    let csv = edit_row(&csv, 0, |line| line.replace("考生0,", "考生零,"));
    let other_number = common::id_number("420102", "19800101", 900);
    let csv = edit_row(&csv, 1, |line| line.replace(&desk.ids[1].1, &other_number));
    let csv = edit_row(&csv, 2, |line| line.replace("英语", "法学"));
    let csv = edit_row(&csv, 5, |line| {
        line.replace(",13900000005,", ",13700000005,")
    });
    hub.import_roster(SITE, &csv).await;

    let report = desk.pull(&hub.url, &pages_of(4)).await.unwrap();
    assert_eq!(report.rows, 10);
    assert_eq!(
        (
            report.kept_confirmed,
            report.identity_changes,
            report.updated,
            report.refused
        ),
        (1, 2, 7, 0)
    );
    let held: Vec<&str> = report
        .held_back
        .iter()
        .map(|held| held.registration_id.as_str())
        .collect();
    assert_eq!(held, vec![desk.ids[0].0.as_str(), desk.ids[1].0.as_str()]);
    // The confirmed ones are exactly as they were, still confirmed, with their confirmations.
    for (index, registration) in before.iter().enumerate() {
        let now = desk
            .store
            .registration(&desk.ids[index].0)
            .unwrap()
            .unwrap();
        assert_eq!(&now, registration);
        assert_eq!(now.status, RegistrationStatus::Confirmed);
    }
    let listed: Vec<String> = desk
        .store
        .confirmations(10, 0)
        .unwrap()
        .into_iter()
        .map(|confirmation| confirmation.confirmation_id)
        .collect();
    assert_eq!(listed.len(), 3);
    assert!(confirmed.iter().all(|id| listed.contains(id)));
    assert_eq!(desk.unacked(), 3);
    let fifth = desk.store.registration(&desk.ids[5].0).unwrap().unwrap();
    assert_eq!(fifth.phone.as_deref(), Some("13700000005"));
    let counts = desk.store.roster_counts().unwrap();
    assert_eq!((counts.total, counts.confirmed), (10, 3));
    desk.store.verify_audit().unwrap();
    // The confirmations still go up, unchanged.
    let pushed = desk.push(&hub.url).await.unwrap();
    assert_eq!(pushed.stored, 3);
    hub.stop().await;
}

async fn a_desk_reads_only_its_own_sites_roster(db_url: String) {
    let hub = RunningHub::start(&db_url).await;
    let (csv, _) = roster(6);
    hub.import_roster(SITE, &csv).await;
    let (other_csv, _) = roster(3);
    hub.import_roster("site-other", &other_csv).await;
    let mut desk = Desk::bare("desk-a");
    hub.enrol_at(&desk, SITE).await;

    // Another site's roster, by name: 403 with a code that says why; nothing applied.
    let error = desk
        .pull(
            &hub.url,
            &PullOptions {
                site: Some("site-other".into()),
                ..PullOptions::default()
            },
        )
        .await
        .unwrap_err();
    match &error {
        SyncError::Refused { status, code, .. } => {
            assert_eq!((*status, code.as_str()), (403, "wrong_site"))
        }
        other => panic!("{other}"),
    }
    assert_eq!(desk.store.roster_counts().unwrap().total, 0);
    assert_eq!(desk.store.roster_cursor("site-other").unwrap(), 0);

    // By hand, too; and a query changed after signing is refused (the query is signed).
    let client = reqwest::Client::new();
    let key = desk.key();
    let target = wire::roster_query("site-other", 0, 10);
    let (status, answer) = raw(
        &client,
        &hub.url,
        &key,
        "GET",
        &target,
        b"",
        None,
        now_ms(),
        |_| {},
    )
    .await;
    assert_eq!(status, 403, "{answer}");
    let nonce = new_nonce().unwrap();
    let signed = key.sign_request(
        "GET",
        &wire::roster_query(SITE, 0, 10),
        b"",
        now_ms(),
        &nonce,
    );
    let response = client
        .get(format!("{}{}", hub.url, wire::roster_query(SITE, 3, 10)))
        .header(wire::DESK_HEADER, &signed.desk)
        .header(wire::TIMESTAMP_HEADER, signed.timestamp_ms.to_string())
        .header(wire::NONCE_HEADER, &signed.nonce)
        .header(wire::SIGNATURE_HEADER, &signed.signature)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);

    // Its own site: fine.
    assert_eq!(
        desk.pull(&hub.url, &PullOptions::default())
            .await
            .unwrap()
            .rows,
        6
    );

    // A desk enrolled without a site has no roster to read.
    let mut siteless = Desk::bare("desk-b");
    hub.enrol(&siteless).await;
    let error = siteless
        .pull(&hub.url, &PullOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(error, SyncError::NoSite), "{error}");
    let error = siteless
        .pull(
            &hub.url,
            &PullOptions {
                site: Some(SITE.into()),
                ..PullOptions::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SyncError::Refused { status: 403, code, .. } if code == "wrong_site"),
        "{error}"
    );
    // Enrolling it at the site (again) lets it read.
    assert_eq!(
        hub.db
            .enrol_desk(&siteless.key().public_hex(), "desk-b", Some(SITE), now_ms())
            .await
            .unwrap(),
        zk_hub::Enrolment::SiteChanged
    );
    assert_eq!(
        siteless
            .pull(&hub.url, &PullOptions::default())
            .await
            .unwrap()
            .rows,
        6
    );
    // An unknown desk: 403 unknown_desk.
    let stranger = DeskKey::generate().unwrap();
    let (status, answer) = raw(
        &client,
        &hub.url,
        &stranger,
        "GET",
        &wire::roster_query(SITE, 0, 10),
        b"",
        None,
        now_ms(),
        |_| {},
    )
    .await;
    assert_eq!(status, 403);
    assert!(answer.contains("unknown_desk"), "{answer}");
    hub.stop().await;
}

// ---- down: serial blocks ----

fn assert_disjoint(blocks: &[(u32, u32)]) {
    let mut sorted = blocks.to_vec();
    sorted.sort_unstable();
    for pair in sorted.windows(2) {
        assert!(pair[0].1 < pair[1].0, "blocks overlap: {sorted:?}");
    }
}

async fn two_desks_get_non_overlapping_blocks(db_url: String) {
    let hub = RunningHub::start(&db_url).await;
    let mut first = Desk::bare("desk-a");
    let mut second = Desk::bare("desk-b");
    hub.enrol(&first).await;
    hub.enrol(&second).await;
    // Three rounds, both desks asking at the same time.
    let url = hub.url.clone();
    for _ in 0..3 {
        let (a, b) = tokio::join!(
            first.serials(&url, "4201", "271", 100),
            second.serials(&url, "4201", "271", 250)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(!a.resumed && !b.resumed);
        assert_eq!(a.block.last - a.block.first + 1, 100);
        assert_eq!(b.block.last - b.block.first + 1, 250);
    }
    let allocations = hub.db.serial_allocations().await.unwrap();
    assert_eq!(allocations.len(), 6);
    let ranges: Vec<(u32, u32)> = allocations
        .iter()
        .map(|a| (a.first as u32, a.last as u32))
        .collect();
    assert_disjoint(&ranges);
    assert_eq!(ranges.iter().map(|(f, l)| l - f + 1).sum::<u32>(), 1050);
    assert_eq!(
        (
            ranges.iter().map(|r| r.0).min(),
            ranges.iter().map(|r| r.1).max()
        ),
        (Some(1), Some(1050)),
        "allocation leaves no gaps"
    );
    // Each desk recorded exactly its own three blocks.
    for (desk, name) in [(&first, "desk-a"), (&second, "desk-b")] {
        let recorded = desk.store.serial_blocks().unwrap();
        assert_eq!(recorded.len(), 3);
        let mine: Vec<&str> = allocations
            .iter()
            .filter(|a| a.desk_name == name)
            .map(|a| a.block_id.as_str())
            .collect();
        for block in &recorded {
            assert!(mine.contains(&block.block_id.as_str()));
            assert_eq!((block.next, block.district.as_str()), (block.first, "4201"));
        }
        assert!(desk.store.open_serial_request().unwrap().is_none());
    }
    // Another sitting is another range: it starts at 1.
    let other = first.serials(&url, "4201", "272", 10).await.unwrap();
    assert_eq!((other.block.first, other.block.last), (1, 10));
    assert_eq!(hub.db.stats().await.unwrap().serial_blocks, 7);
    hub.stop().await;
}

async fn the_same_serial_key_twice_gives_the_same_block(db_url: String) {
    let hub = RunningHub::start(&db_url).await;
    let desk = Desk::bare("desk-a");
    hub.enrol(&desk).await;
    let client = reqwest::Client::new();
    let request = |size: u32, district: &str| {
        serde_json::to_vec(&wire::SerialBlockRequest {
            district: district.into(),
            sitting: "271".into(),
            size,
        })
        .unwrap()
    };
    let send = |body: Vec<u8>, idempotency_key: Option<String>| {
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
                wire::SERIAL_BLOCKS_PATH,
                &body,
                idempotency_key.as_deref(),
                now_ms(),
                |_| {},
            )
            .await
        }
    };
    let request_key = new_nonce().unwrap();
    let (status, first) = send(request(40, "4201"), Some(request_key.clone())).await;
    assert_eq!(status, 200, "{first}");
    let first: wire::SerialBlockResponse = serde_json::from_str(&first).unwrap();
    assert_eq!((first.first, first.last), (1, 40));
    let (status, again) = send(request(40, "4201"), Some(request_key.clone())).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        serde_json::from_str::<wire::SerialBlockResponse>(&again).unwrap(),
        first
    );
    // The same key with another request: 422, and no block.
    let (status, answer) = send(request(41, "4201"), Some(request_key.clone())).await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer.contains("idempotency_key_reused"));
    // No key, a bad district, a size of 0: 400.
    let (status, _) = send(request(10, "4201"), None).await;
    assert_eq!(status, 400);
    let (status, _) = send(request(10, "42"), Some(new_nonce().unwrap())).await;
    assert_eq!(status, 400);
    let (status, _) = send(request(0, "4201"), Some(new_nonce().unwrap())).await;
    assert_eq!(status, 400);
    // Another desk's key space is its own: the same key there is a new block.
    let other = Desk::bare("desk-b");
    hub.enrol(&other).await;
    let (status, theirs) = raw(
        &client,
        &hub.url,
        &other.key(),
        "POST",
        wire::SERIAL_BLOCKS_PATH,
        &request(40, "4201"),
        Some(&request_key),
        now_ms(),
        |_| {},
    )
    .await;
    assert_eq!(status, 200);
    let theirs: wire::SerialBlockResponse = serde_json::from_str(&theirs).unwrap();
    assert_eq!((theirs.first, theirs.last), (41, 80));
    assert_eq!(hub.db.serial_allocations().await.unwrap().len(), 2);
    hub.stop().await;
}

async fn a_lost_serial_answer_then_a_retry_records_one_block(db_url: String) {
    let hub = RunningHub::start(&db_url).await;
    let mut desk = Desk::bare("desk-a");
    hub.enrol(&desk).await;

    // The answer is lost once; the transport asks again with the same key at once.
    let armed = Arc::new(AtomicBool::new(true));
    let proxy = answer_dropping_proxy(hub.addr, armed.clone(), b"POST /v1/serial-blocks").await;
    let upstream = desk.upstream(&proxy, Arc::new(now_ms));
    let report = desk
        .serials_with(&upstream, "4201", "271", 30)
        .await
        .unwrap();
    assert!(
        !armed.load(Ordering::SeqCst),
        "the proxy never dropped an answer"
    );
    assert_eq!((report.block.first, report.block.last), (1, 30));
    assert_eq!(hub.db.serial_allocations().await.unwrap().len(), 1);
    assert_eq!(desk.store.serial_blocks().unwrap().len(), 1);

    // The answer is lost and the desk gives up (one try): the request stays open.
    armed.store(true, Ordering::SeqCst);
    let one_try = zk_sync::HttpUpstream::new(
        &proxy,
        desk.key(),
        Arc::new(now_ms),
        zk_sync::RetryPolicy {
            attempts: 1,
            ..common::fast_retry()
        },
    )
    .unwrap();
    let error = desk
        .serials_with(&one_try, "4201", "271", 30)
        .await
        .unwrap_err();
    assert!(matches!(error, SyncError::Unreachable { .. }), "{error}");
    let open = desk.store.open_serial_request().unwrap().unwrap();
    assert_eq!(open.size, 30);
    // The hub did allocate under that key; the desk has not recorded it.
    assert_eq!(hub.db.serial_allocations().await.unwrap().len(), 2);
    assert_eq!(desk.store.serial_blocks().unwrap().len(), 1);

    // The desk "restarts" and asks again: the same key, the same block, recorded once.
    desk.store = zk_store::Store::open(desk.dir.path()).unwrap();
    let retry = desk.serials(&hub.url, "4201", "271", 30).await.unwrap();
    assert!(retry.resumed);
    assert_eq!((retry.block.first, retry.block.last), (31, 60));
    assert_eq!(hub.db.serial_allocations().await.unwrap().len(), 2);
    let recorded = desk.store.serial_blocks().unwrap();
    assert_eq!(recorded.len(), 2);
    assert!(recorded
        .iter()
        .any(|block| block.block_id == retry.block.block_id));
    assert!(desk.store.open_serial_request().unwrap().is_none());

    // A lost answer to a request for something else is finished first, then the new one.
    armed.store(true, Ordering::SeqCst);
    desk.serials_with(&one_try, "4201", "271", 5)
        .await
        .unwrap_err();
    let both = desk.serials(&hub.url, "4201", "272", 7).await.unwrap();
    assert!(!both.resumed);
    let earlier = both.finished_earlier.unwrap();
    assert_eq!(
        (earlier.first, earlier.last, earlier.sitting.as_str()),
        (61, 65, "271")
    );
    assert_eq!((both.block.first, both.block.last), (1, 7));
    assert_eq!(desk.store.serial_blocks().unwrap().len(), 4);
    assert_eq!(hub.db.serial_allocations().await.unwrap().len(), 4);
    desk.store.verify_audit().unwrap();
    hub.stop().await;
}

async fn exhausted_serials_are_409_and_nothing_is_recorded(db_url: String) {
    let hub = RunningHub::start(&db_url).await;
    let mut desk = Desk::bare("desk-a");
    hub.enrol(&desk).await;
    let most = desk.serials(&hub.url, "4201", "271", 99_990).await.unwrap();
    assert_eq!((most.block.first, most.block.last), (1, 99_990));

    let started = std::time::Instant::now();
    let error = desk.serials(&hub.url, "4201", "271", 20).await.unwrap_err();
    match &error {
        SyncError::Refused {
            status,
            code,
            message,
        } => {
            assert_eq!((*status, code.as_str()), (409, "serials_exhausted"));
            assert!(message.contains("9 serials left"), "{message}");
        }
        other => panic!("{other}"),
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "an exhausted range is final, not retried"
    );
    // Nothing recorded, nothing left open.
    assert_eq!(desk.store.serial_blocks().unwrap().len(), 1);
    assert!(desk.store.open_serial_request().unwrap().is_none());
    assert_eq!(hub.db.serial_allocations().await.unwrap().len(), 1);

    // What is left can still be had, then nothing.
    let last = desk.serials(&hub.url, "4201", "271", 9).await.unwrap();
    assert_eq!((last.block.first, last.block.last), (99_991, 99_999));
    let error = desk.serials(&hub.url, "4201", "271", 1).await.unwrap_err();
    assert!(
        matches!(&error, SyncError::Refused { status: 409, message, .. } if message.contains("0 serials left")),
        "{error}"
    );
    assert_eq!(desk.store.serial_blocks().unwrap().len(), 2);
    desk.store.verify_audit().unwrap();
    hub.stop().await;
}

// ---- TLS ----

async fn push_and_pull_over_https_with_the_site_ca(db_url: String) {
    let pki = TestPki::new();
    let hub = RunningHub::start_tls(&db_url, pki.server_config()).await;
    assert!(hub.url.starts_with("https://"));
    let (csv, _) = roster(8);
    hub.import_roster(SITE, &csv).await;
    let mut desk = Desk::new("desk-a", 8, ("A", 1, 999));
    hub.enrol_at(&desk, SITE).await;
    desk.confirm_many(0..4, SMALL);

    // With the site's CA: push, pull and a serial block all work.
    let trusted = zk_sync::HttpUpstream::with_ca(
        &hub.url,
        desk.key(),
        Arc::new(now_ms),
        common::fast_retry(),
        pki.ca_pem.as_bytes(),
    )
    .unwrap();
    let report = desk.push_with(&trusted, &mut Vec::new()).await.unwrap();
    assert_eq!((report.stored, report.acked), (4, 4));
    let pulled = zk_sync::pull_roster(
        &mut desk.store,
        &trusted,
        &PullOptions::default(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!((pulled.rows, pulled.kept_confirmed), (8, 4));
    let block = desk
        .serials_with(&trusted, "4201", "271", 10)
        .await
        .unwrap();
    assert_eq!(block.block.first, 1);
    assert_agree(&hub.db, &[&desk]).await;

    // Without it: refused at once, with a message that says what to do; nothing changes.
    desk.confirm(4, SMALL);
    let mut events = Vec::new();
    let untrusting = desk.upstream(&hub.url, Arc::new(now_ms));
    let error = desk.push_with(&untrusting, &mut events).await.unwrap_err();
    match &error {
        SyncError::Untrusted { why, .. } => {
            assert!(why.contains("UnknownIssuer"), "{why}");
            assert!(error.to_string().contains("--ca"), "{error}");
        }
        other => panic!("{other}"),
    }
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, SyncEvent::Retrying { .. })),
        "an untrusted certificate is not retried"
    );
    assert_eq!(desk.unacked(), 1);
    assert_eq!(hub.db.stats().await.unwrap().confirmations, 4);
    // Plain HTTP to the HTTPS port gets no answer it could take for the hub's.
    let plain = desk.upstream(&hub.url.replace("https://", "http://"), Arc::new(now_ms));
    assert!(desk.push_with(&plain, &mut Vec::new()).await.is_err());
    // A CA file that is not PEM is refused before connecting.
    let error = zk_sync::HttpUpstream::with_ca(
        &hub.url,
        desk.key(),
        Arc::new(now_ms),
        common::fast_retry(),
        b"not a certificate",
    )
    .unwrap_err();
    assert!(matches!(error, SyncError::BadCa(_)), "{error}");
    hub.stop().await;
}
