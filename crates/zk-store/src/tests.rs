//! Tests that look inside: schema versions, constraints, and tampering through the connection.

use proptest::prelude::*;
use zk_domain::{ArtefactKind, Timestamp};

use super::*;

fn at(millis: i64) -> Timestamp {
    Timestamp::from_millis(millis)
}

#[test]
fn fresh_store_reaches_the_latest_schema_and_reopening_is_a_no_op() {
    let mut store = Store::open_in_memory().unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(migrate::migrate(&mut store.conn, ":memory:").unwrap(), 0);

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let journal: String = store
        .conn
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
    for (pragma, expected) in [
        ("foreign_keys", 1),
        ("secure_delete", 1),
        ("synchronous", 1),
    ] {
        let value: i64 = store
            .conn
            .pragma_query_value(None, pragma, |row| row.get(0))
            .unwrap();
        assert_eq!(value, expected, "{pragma}");
    }
    let audit_rows = store.verify_audit().unwrap().rows;
    drop(store);
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(migrate::migrate(&mut store.conn, "again").unwrap(), 0);
    // Reopening adds nothing (no second key, no audit row).
    assert_eq!(store.verify_audit().unwrap().rows, audit_rows);
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store
        .conn
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(store);
    match Store::open(dir.path()) {
        Err(StoreError::StoreTooNew {
            found, supported, ..
        }) => {
            assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn migrations_are_numbered_in_order() {
    for (index, (version, sql)) in migrate::MIGRATIONS.iter().enumerate() {
        assert_eq!(*version, index as i64 + 1);
        assert!(!sql.trim().is_empty());
    }
}

#[test]
fn constraints_refuse_bad_rows() {
    let store = Store::open_in_memory().unwrap();
    let insert_roster = |district: &str, status: &str, id_number: &str| {
        store.conn.execute(
            "INSERT INTO roster VALUES ('r1', 'resident', ?3, '张三', '1', 1, '1990-03-07', NULL, ?1, 'C1', '英语', 'benke', ?2, 0, 0)",
            [district, status, id_number],
        )
    };
    assert!(insert_roster("42a1", "registered", "110101199003070011").is_err());
    assert!(insert_roster("4201", "pending", "110101199003070011").is_err());
    assert!(insert_roster("4201", "registered", "11010119900307002x").is_err());
    insert_roster("4201", "registered", "110101199003070011").unwrap();
    assert!(store
        .conn
        .execute(
            "INSERT INTO serial_blocks VALUES ('b', '4201', '262', 10, 5, 10, 0, 'x')",
            [],
        )
        .is_err());
    assert!(store
        .conn
        .execute(
            "INSERT INTO attempts (session_id, step, attempt, decision, reason, scores, model_version, at) \
             VALUES (999, 'photo', 1, 'pass', NULL, '[]', 'm', 0)",
            [],
        )
        .is_err(), "foreign key to sessions");
    assert!(
        store
            .conn
            .execute(
                "INSERT INTO sessions (started_at, ended_at) VALUES (5, 6)",
                []
            )
            .is_err(),
        "an ended session has an outcome"
    );
}

#[test]
fn the_audit_log_refuses_update_and_delete() {
    let mut store = Store::open_in_memory().unwrap();
    store.append_audit("admin", "test", "one", at(1)).unwrap();
    assert!(store
        .conn
        .execute("UPDATE audit_log SET detail = 'x'", [])
        .is_err());
    assert!(store.conn.execute("DELETE FROM audit_log", []).is_err());
    store.verify_audit().unwrap();
}

fn drop_audit_triggers(store: &Store) {
    store
        .conn
        .execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
        .unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Any change to any field of any row is caught at that row.
    #[test]
    fn audit_tamper_is_found_at_its_row(
        details in proptest::collection::vec("[a-z=0-9 ]{0,20}", 2..12),
        pick in any::<proptest::sample::Index>(),
        column in 0usize..4,
    ) {
        let mut store = Store::open_in_memory().unwrap();
        // Row 1 is the key creation of the in-memory store.
        for (index, detail) in details.iter().enumerate() {
            store.append_audit("admin", "test", detail, at(index as i64)).unwrap();
        }
        let rows = store.verify_audit().unwrap().rows as i64;
        prop_assert_eq!(rows, details.len() as i64 + 1);
        let seq = pick.index(rows as usize) as i64 + 1;
        drop_audit_triggers(&store);
        let statement = match column {
            0 => "UPDATE audit_log SET detail = detail || '!' WHERE seq = ?1",
            1 => "UPDATE audit_log SET at = at + 1 WHERE seq = ?1",
            2 => "UPDATE audit_log SET actor = 'mallory' WHERE seq = ?1",
            _ => "UPDATE audit_log SET action = 'other' WHERE seq = ?1",
        };
        store.conn.execute(statement, [seq]).unwrap();
        match store.verify_audit() {
            Err(StoreError::AuditBroken { seq: broken, .. }) => prop_assert_eq!(broken, seq),
            other => prop_assert!(false, "{:?}", other),
        }
    }

    /// Flipping any byte of the stored ciphertext or nonce is caught; the round trip is exact.
    #[test]
    fn artefact_round_trip_and_bit_flips(
        bytes in proptest::collection::vec(any::<u8>(), 0..2048),
        kind_index in 0usize..ArtefactKind::ALL.len(),
        flip in any::<proptest::sample::Index>(),
        in_nonce in any::<bool>(),
    ) {
        let mut store = Store::open_in_memory().unwrap();
        let session = store.begin_session(at(1)).unwrap();
        let kind = ArtefactKind::ALL[kind_index];
        let id = store.put_artefact(session, kind, &bytes, at(2)).unwrap();
        let artefact = store.get_artefact(&id).unwrap();
        prop_assert_eq!(&artefact.bytes, &bytes);
        prop_assert_eq!(artefact.kind, kind);
        let column = if in_nonce { "nonce" } else { "ciphertext" };
        let mut stored: Vec<u8> = store
            .conn
            .query_row(&format!("SELECT {column} FROM artefacts WHERE id = ?1"), [&id.0], |row| row.get(0))
            .unwrap();
        let index = flip.index(stored.len());
        stored[index] ^= 0x01;
        store
            .conn
            .execute(&format!("UPDATE artefacts SET {column} = ?2 WHERE id = ?1"), rusqlite::params![id.0, stored])
            .unwrap();
        let corrupt = matches!(store.get_artefact(&id), Err(StoreError::ArtefactCorrupt { .. }));
        prop_assert!(corrupt);
    }
}
