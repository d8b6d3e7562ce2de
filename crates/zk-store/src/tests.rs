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
            "INSERT INTO roster VALUES ('r1', 'resident', ?3, '张三', '1', 1, '1990-03-07', NULL, ?1, 'C1', '英语', 'benke', ?2, 0, 0, NULL)",
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

#[test]
fn a_rotation_committed_before_a_crash_is_finished_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let session = store.begin_session(at(1)).unwrap();
    let id = store
        .put_artefact(session, ArtefactKind::SignatureImage, b"png", at(2))
        .unwrap();
    let new_key = key::ArtefactKey::generate().unwrap();
    let slot = store.key_slot.clone().unwrap();
    assert!(slot.pending().create(&new_key).is_ok());
    let mut report = rotate::RotationReport::default();
    store
        .reencrypt_all(&new_key, "admin", at(3), &mut report)
        .unwrap();
    // Crash: the database uses the new key, the old key file is still in place.
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert!(!dir.path().join("artefact.key.new").exists());
    let on_disk = key::ArtefactKey::read(&dir.path().join(KEY_FILE))
        .unwrap()
        .unwrap();
    assert_eq!(on_disk.check_value(), new_key.check_value());
    assert_eq!(store.get_artefact(&id).unwrap().bytes, b"png");
}

#[test]
fn rows_written_before_sealing_are_sealed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    // A roster row and a staff note as schema 0001 wrote them: in plain text.
    store
        .conn
        .execute(
            "INSERT INTO roster (registration_id, id_type, id_number, name, sex, ethnicity, birth_date, phone, \
             district_code, major_code, major_name, level, status, imported_at, updated_at) \
             VALUES ('r1', 'resident', '11010119900307001X', '张三丰', '1', 1, '1990-03-07', '13800000000', '4201', 'C1', '英语', 'benke', 'registered', 0, 0)",
            [],
        )
        .unwrap();
    let session: i64 = store
        .conn
        .query_row(
            "INSERT INTO sessions (started_at) VALUES (1) RETURNING id",
            [],
            |row| row.get(0),
        )
        .unwrap();
    store
        .conn
        .execute(
            "INSERT INTO attempts (session_id, step, attempt, decision, reason, scores, model_version, operator, note, at) \
             VALUES (?1, 'photo', 1, 'pass', NULL, '[]', 'staff', 'op', 'plain note', 5)",
            [session],
        )
        .unwrap();
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    let (id_column, name, sealed, note): (String, String, Option<Vec<u8>>, String) = store
        .conn
        .query_row(
            "SELECT r.id_number, r.name, r.sealed, a.note FROM roster r, attempts a",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .unwrap();
    assert_ne!(id_column, "11010119900307001X");
    assert_eq!(name, "*");
    assert!(sealed.is_some());
    assert!(note.starts_with("zk1:"));
    let registration = store
        .registration_by_id_number("11010119900307001x")
        .unwrap()
        .unwrap();
    assert_eq!(registration.name.expose(), "张三丰");
    assert_eq!(registration.phone.as_deref(), Some("13800000000"));
    assert_eq!(
        store.attempts(session::SessionId(session)).unwrap()[0]
            .note
            .as_deref(),
        Some("plain note")
    );
    store.verify_audit().unwrap();
}

#[test]
fn a_schema_1_store_upgrades_and_its_plain_roster_is_sealed() {
    let dir = tempfile::tempdir().unwrap();
    {
        let conn = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
        conn.execute_batch(migrate::MIGRATIONS[0].1).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO roster VALUES ('r1', 'resident', '11010119900307001X', '张三丰', '1', 1, '1990-03-07', '13800000000', '4201', 'C1', '英语', 'benke', 'registered', 0, 0)",
            [],
        )
        .unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let registration = store
        .registration_by_id_number("11010119900307001X")
        .unwrap()
        .unwrap();
    assert_eq!(registration.name.expose(), "张三丰");
    // While the store is open: the plaintext has left the database file and its WAL.
    let mut bytes = std::fs::read(dir.path().join(DATABASE_FILE)).unwrap();
    if let Ok(wal) = std::fs::read(dir.path().join("desk.sqlite-wal")) {
        bytes.extend(wal);
    }
    for needle in ["11010119900307001X", "张三丰", "13800000000"] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle} is still in the files"
        );
    }
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    let id_column: String = store
        .conn
        .query_row("SELECT id_number FROM roster", [], |row| row.get(0))
        .unwrap();
    assert_ne!(id_column, "11010119900307001X");
    assert!(store
        .audit_rows()
        .unwrap()
        .iter()
        .any(|row| row.action == "store.sealed"));
}
