use zk_store::{Store, StoreError};

use crate::common::*;

/// A file store with `extra` audit rows after the key creation (row 1).
fn store_with_rows(extra: usize) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    for index in 0..extra {
        store
            .append_audit(
                "admin",
                "test",
                &format!("row {}", index + 2),
                at(index as i64),
            )
            .unwrap();
    }
    let verification = store.verify_audit().unwrap();
    assert_eq!(verification.rows, extra as u64 + 1);
    (dir, verification.head)
}

fn tamper(dir: &std::path::Path, sql: &str) {
    let conn = raw(dir);
    conn.execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
        .unwrap();
    conn.execute_batch(sql).unwrap();
}

fn broken_at(dir: &std::path::Path) -> (i64, String) {
    match Store::open(dir).unwrap().verify_audit() {
        Err(StoreError::AuditBroken { seq, why }) => (seq, why),
        other => panic!("expected AuditBroken, got {other:?}"),
    }
}

#[test]
fn an_intact_chain_verifies_and_the_head_moves() {
    let (dir, head) = store_with_rows(4);
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(store.verify_audit().unwrap().head, head);
    store
        .append_audit("admin", "export", "bundle=1", at(9))
        .unwrap();
    let after = store.verify_audit().unwrap();
    assert_eq!(after.rows, 6);
    assert_ne!(after.head, head);
    // Appending is refused to raw SQL too: the table is append-only.
    let conn = raw(dir.path());
    assert!(conn
        .execute("UPDATE audit_log SET detail = 'x' WHERE seq = 2", [])
        .is_err());
    assert!(conn
        .execute("DELETE FROM audit_log WHERE seq = 2", [])
        .is_err());
}

#[test]
fn an_edited_detail_breaks_at_that_row() {
    let (dir, _) = store_with_rows(4);
    tamper(
        dir.path(),
        "UPDATE audit_log SET detail = 'row 3, but nicer' WHERE seq = 3;",
    );
    let (seq, why) = broken_at(dir.path());
    assert_eq!(seq, 3);
    assert!(why.contains("altered"), "{why}");
    let message = Store::open(dir.path())
        .unwrap()
        .verify_audit()
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("broken at row 3") && message.contains("report it"),
        "{message}"
    );
}

#[test]
fn a_deleted_row_breaks_at_that_row() {
    let (dir, _) = store_with_rows(4);
    tamper(dir.path(), "DELETE FROM audit_log WHERE seq = 4;");
    let (seq, why) = broken_at(dir.path());
    assert_eq!(seq, 4);
    assert!(why.contains("missing"), "{why}");
}

#[test]
fn a_deleted_last_row_is_found_by_the_head() {
    let (dir, _) = store_with_rows(4);
    tamper(dir.path(), "DELETE FROM audit_log WHERE seq = 5;");
    let (seq, why) = broken_at(dir.path());
    assert_eq!(seq, 5);
    assert!(why.contains("removed from the end"), "{why}");
}

#[test]
fn swapped_rows_break_at_the_first_of_them() {
    let (dir, _) = store_with_rows(4);
    tamper(
        dir.path(),
        "UPDATE audit_log SET seq = 1000 WHERE seq = 2; \
         UPDATE audit_log SET seq = 2 WHERE seq = 3; \
         UPDATE audit_log SET seq = 3 WHERE seq = 1000;",
    );
    assert_eq!(broken_at(dir.path()).0, 2);
}

#[test]
fn a_rewritten_row_with_a_fresh_hash_breaks_the_link_after_it() {
    // An attacker who recomputes the row's own hash still breaks the next row's link.
    let (dir, _) = store_with_rows(4);
    let conn = raw(dir.path());
    let (at_ms, actor, action, prev): (i64, String, String, String) = conn
        .query_row(
            "SELECT at, actor, action, prev_hash FROM audit_log WHERE seq = 3",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .unwrap();
    drop(conn);
    let forged_hash = {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        hasher.update(b"zk-audit-v1");
        for field in [
            "3".as_bytes(),
            at_ms.to_string().as_bytes(),
            actor.as_bytes(),
            action.as_bytes(),
            b"forged",
            prev.as_bytes(),
        ] {
            hasher.update((field.len() as u64).to_be_bytes());
            hasher.update(field);
        }
        hex::encode(hasher.finalize())
    };
    tamper(
        dir.path(),
        &format!("UPDATE audit_log SET detail = 'forged', hash = '{forged_hash}' WHERE seq = 3;"),
    );
    let (seq, why) = broken_at(dir.path());
    assert_eq!(seq, 4);
    assert!(why.contains("does not link"), "{why}");
}
