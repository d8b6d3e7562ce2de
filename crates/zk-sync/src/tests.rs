#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::plan::{apply_acks, build_request, next_batch, Next, OpenBatch, OutboxRecord};
use crate::sign::{verify_bytes, verify_request, AuthError, DeskKey, REPLAY_WINDOW_MS};
use crate::wire::{sha256_hex, Ack, AckStatus, AuditHead, BatchResponse};

fn row(seq: i64) -> OutboxRecord {
    let id = format!("c{seq}");
    OutboxRecord {
        seq,
        confirmation_id: id.clone(),
        payload: format!(
            r#"{{"version":1,"confirmation_id":"{id}","registration_id":"r{seq}","id_number":"X","admission_number":"A{seq}","artefacts":[{{"kind":"id_photo","id":"a{seq}","sha256":"{}","size":3}}]}}"#,
            sha256_hex(id.as_bytes())
        ),
    }
}

fn batch(seqs: &[i64]) -> OpenBatch {
    OpenBatch {
        key: "k".repeat(32),
        seqs: seqs.to_vec(),
        audit_head: AuditHead {
            seq: 7,
            hash: "0".repeat(64),
        },
    }
}

fn ack(seq: i64, status: AckStatus) -> Ack {
    Ack {
        seq,
        confirmation_id: format!("c{seq}"),
        status,
        reason: None,
    }
}

#[test]
fn an_open_batch_is_always_resent_first() {
    let open = batch(&[3, 4]);
    assert_eq!(
        next_batch(Some(open.clone()), &[5, 6], 10),
        Next::Resend(open)
    );
    assert_eq!(
        next_batch(None, &[5, 6, 7], 2),
        Next::Start { seqs: vec![5, 6] }
    );
    assert_eq!(next_batch(None, &[], 2), Next::Done);
}

#[test]
fn requests_are_deterministic_and_list_blobs() {
    let rows = vec![row(1), row(2)];
    let first = build_request(&batch(&[1, 2]), &rows).unwrap();
    let second = build_request(&batch(&[1, 2]), &rows).unwrap();
    assert_eq!(
        serde_json::to_vec(&first).unwrap(),
        serde_json::to_vec(&second).unwrap()
    );
    assert_eq!(first.records[0].blobs.len(), 1);
    assert_eq!(
        first.records[1].payload_sha256,
        sha256_hex(rows[1].payload.as_bytes())
    );
    // Rows that are not exactly the batch's are refused.
    assert!(build_request(&batch(&[1, 2]), &rows[..1]).is_err());
}

#[test]
fn acks_sort_rows_and_a_bad_answer_changes_nothing() {
    let rows = vec![row(1), row(2), row(3), row(4)];
    let open = batch(&[1, 2, 3, 4]);
    let response = BatchResponse {
        batch_key: open.key.clone(),
        acks: vec![
            ack(1, AckStatus::Stored),
            ack(2, AckStatus::Duplicate),
            ack(3, AckStatus::Conflict),
            ack(4, AckStatus::Rejected),
        ],
    };
    let plan = apply_acks(&open, &rows, &response).unwrap();
    assert_eq!(plan.acked, vec![1, 2, 3]);
    assert_eq!(plan.conflicts, vec![3]);
    assert_eq!(plan.rejected.len(), 1);
    assert_eq!((plan.stored, plan.duplicates), (1, 1));

    let mut missing = response.clone();
    missing.acks.pop();
    assert!(apply_acks(&open, &rows, &missing).is_err());
    let mut twice = response.clone();
    twice.acks[3] = ack(1, AckStatus::Stored);
    assert!(apply_acks(&open, &rows, &twice).is_err());
    let mut stranger = response.clone();
    stranger.acks[3] = ack(9, AckStatus::Stored);
    assert!(apply_acks(&open, &rows, &stranger).is_err());
    let mut other_key = response;
    other_key.batch_key = "x".repeat(32);
    assert!(apply_acks(&open, &rows, &other_key).is_err());
}

#[test]
fn signatures_bind_method_path_body_time_and_nonce() {
    let key = DeskKey::generate().unwrap();
    let now = 1_800_000_000_000;
    let nonce = "0123456789abcdef0123456789abcdef";
    let signed = key.sign_request("POST", "/v1/batches", b"{}", now, nonce);
    assert_eq!(
        verify_request(&signed, "POST", "/v1/batches", b"{}", now),
        Ok(())
    );
    for (method, path, body) in [
        ("PUT", "/v1/batches", &b"{}"[..]),
        ("POST", "/v1/blobs/missing", b"{}"),
        ("POST", "/v1/batches", b"{ }"),
    ] {
        assert_eq!(
            verify_request(&signed, method, path, body, now),
            Err(AuthError::BadSignature)
        );
    }
    let mut other_nonce = signed.clone();
    other_nonce.nonce = "f".repeat(32);
    assert_eq!(
        verify_request(&other_nonce, "POST", "/v1/batches", b"{}", now),
        Err(AuthError::BadSignature)
    );
    // ±10 min of skew is inside the window; beyond it is refused.
    for skew in [-600_000, 600_000] {
        assert_eq!(
            verify_request(&signed, "POST", "/v1/batches", b"{}", now + skew),
            Ok(())
        );
    }
    assert!(matches!(
        verify_request(
            &signed,
            "POST",
            "/v1/batches",
            b"{}",
            now + REPLAY_WINDOW_MS + 1
        ),
        Err(AuthError::OutsideWindow { .. })
    ));
    let sig = key.sign_bytes("zk-bundle-v1", b"abc");
    assert_eq!(
        verify_bytes(&key.public_hex(), "zk-bundle-v1", b"abc", &sig),
        Ok(())
    );
    assert!(verify_bytes(&key.public_hex(), "zk-bundle-v1", b"abd", &sig).is_err());
}

#[test]
fn desk_keys_persist_and_debug_hides_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk-sign.key");
    let first = DeskKey::load_or_create(&path).unwrap();
    let second = DeskKey::load_or_create(&path).unwrap();
    assert_eq!(first.public_hex(), second.public_hex());
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!format!("{first:?}").contains(text.trim()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    std::fs::write(&path, "not hex").unwrap();
    assert!(DeskKey::load_or_create(&path).is_err());
}

#[cfg(feature = "http")]
#[test]
fn backoff_grows_and_stays_capped() {
    use crate::RetryPolicy;
    use std::time::Duration;
    let policy = RetryPolicy::default();
    assert_eq!(policy.delay(1, 0.0), Duration::ZERO);
    assert_eq!(policy.delay(1, 1.0), Duration::from_millis(200));
    assert_eq!(policy.delay(3, 1.0), Duration::from_millis(800));
    assert_eq!(policy.delay(30, 1.0), policy.max_delay);
}

#[test]
fn blob_packs_round_trip_and_refuse_damage() {
    use crate::wire::{decode_blob_pack, encode_blob_pack, sha256_hex};
    let blobs: Vec<Vec<u8>> = vec![b"first".to_vec(), Vec::new(), vec![7u8; 70_000]];
    let hashes: Vec<String> = blobs.iter().map(|blob| sha256_hex(blob)).collect();
    let pack = encode_blob_pack(
        hashes
            .iter()
            .zip(&blobs)
            .map(|(sha, blob)| (sha.as_str(), blob.as_slice())),
    )
    .unwrap();
    let decoded = decode_blob_pack(&pack).unwrap();
    assert_eq!(decoded.len(), 3);
    for ((sha, bytes), (want_sha, want)) in decoded.iter().zip(hashes.iter().zip(&blobs)) {
        assert_eq!((sha, *bytes), (want_sha, want.as_slice()));
    }
    assert!(decode_blob_pack(&[]).unwrap().is_empty());
    let mut flipped = pack.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    assert!(decode_blob_pack(&flipped).unwrap_err().contains("SHA-256"));
    assert!(decode_blob_pack(&pack[..pack.len() - 3]).is_err());
    assert!(decode_blob_pack(&pack[..20]).is_err());
    assert!(encode_blob_pack([("nothex", &b"x"[..])]).is_err());
}

fn entry() -> crate::wire::RosterEntry {
    crate::wire::RosterEntry {
        registration_id: "262420100001".into(),
        id_type: "resident".into(),
        id_number: "11010519491231002x".into(),
        name: "赵敏".into(),
        sex: "2".into(),
        ethnicity: Some(1),
        birth_date: "1949-12-31".into(),
        phone: Some("13800138000".into()),
        district_code: "4201".into(),
        major_code: "C050201".into(),
        major_name: "英语".into(),
        level: "zhuanke".into(),
        status: "registered".into(),
    }
}

#[test]
fn a_roster_entry_round_trips_and_hides_personal_fields() {
    use crate::roster::{entry_of, registration_of};
    let registration = registration_of(&entry()).unwrap();
    assert_eq!(registration.id_number, "11010519491231002X");
    let back = entry_of(&registration);
    assert_eq!(registration_of(&back).unwrap(), registration);
    assert_eq!(back.id_number, "11010519491231002X");
    let shown = format!("{back:?}");
    assert!(
        !shown.contains("1101051949") && !shown.contains("赵敏"),
        "{shown}"
    );
    // The canonical form is stable: the hub's change detection relies on it.
    assert_eq!(back.canonical().unwrap(), back.clone().canonical().unwrap());
    let mut renamed = back.clone();
    renamed.name = "赵敏敏".into();
    assert_ne!(renamed.canonical().unwrap().1, back.canonical().unwrap().1);
}

#[test]
fn a_bad_roster_entry_is_refused_without_its_values() {
    use crate::roster::registration_of;
    let mut wrong_birth = entry();
    wrong_birth.birth_date = "1950-01-01".into();
    let why = registration_of(&wrong_birth).unwrap_err();
    assert!(why.contains("birth_date") && !why.contains("1950"), "{why}");
    let mut bad_sex = entry();
    bad_sex.sex = "x".into();
    assert!(registration_of(&bad_sex).unwrap_err().contains("sex"));
}

#[test]
fn site_ids_queries_and_serial_requests_are_checked() {
    use crate::wire::{is_valid_site, roster_query, SerialBlockRequest};
    assert!(is_valid_site("site-4201_01.a"));
    for bad in ["", "..", "a/b", "a b", "站点", &"x".repeat(65)] {
        assert!(!is_valid_site(bad), "{bad:?}");
    }
    assert_eq!(
        roster_query("s1", 42, 100),
        "/v1/sites/s1/roster?after=42&limit=100"
    );
    let check = |district: &str, sitting: &str, size: u32| {
        SerialBlockRequest {
            district: district.into(),
            sitting: sitting.into(),
            size,
        }
        .check()
    };
    assert!(check("4201", "271", 1).is_ok());
    assert!(check("4201", "272", 99_999).is_ok());
    assert!(check("420", "271", 1).is_err());
    assert!(check("4201", "273", 1).is_err());
    assert!(check("4201", "271", 0).is_err());
    assert!(check("4201", "271", 100_000).is_err());
}
