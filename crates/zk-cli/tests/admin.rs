//! `zk operator …`, `zk store purge|rotate-key` and `zk audit verify` on tampered logs, end to end
//! through the binary (secrets on standard input).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `zk --store DIR ARGS` with `input` on standard input.
fn zk(store: &Path, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zk"))
        .current_dir(repo_root())
        .arg("--store")
        .arg(store)
        .args(args)
        .env_remove("ZK_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run zk");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn ok(output: Output) -> String {
    assert!(output.status.success(), "{}", text(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn failed(output: Output) -> String {
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn operators_bootstrap_lock_out_unlock_and_passwd() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path();
    // No admin yet: only an admin can be the first account, and it needs no --as.
    let refused = failed(zk(
        store,
        &[
            "operator", "add", "wang", "--name", "王", "--role", "operator",
        ],
        "246810\n",
    ));
    assert!(refused.contains("--role admin"), "{refused}");
    ok(zk(
        store,
        &[
            "operator",
            "add",
            "boss",
            "--name",
            "Site admin",
            "--role",
            "admin",
        ],
        "admin-pass-1\n",
    ));
    // From now on an admin signs for account changes.
    let refused = failed(zk(
        store,
        &[
            "operator", "add", "wang", "--name", "王", "--role", "operator",
        ],
        "246810\n",
    ));
    assert!(refused.contains("--as"), "{refused}");
    let refused = failed(zk(
        store,
        &["operator", "add", "wang", "--name", "王", "--as", "boss"],
        "wrong\n246810\n",
    ));
    assert!(refused.contains("sign-in refused"), "{refused}");
    ok(zk(
        store,
        &["operator", "add", "wang", "--name", "王", "--as", "boss"],
        "admin-pass-1\n246810\n",
    ));
    let weak = failed(zk(
        store,
        &["operator", "add", "li", "--name", "李", "--as", "boss"],
        "admin-pass-1\n123\n",
    ));
    assert!(weak.contains("too short"), "{weak}");

    // Five wrong PINs (the default) lock wang; then even the right one is refused.
    for _ in 0..4 {
        failed(zk(
            store,
            &["operator", "passwd", "wang"],
            "000000\n135790\n",
        ));
    }
    let locked = failed(zk(
        store,
        &["operator", "passwd", "wang"],
        "000000\n135790\n",
    ));
    assert!(
        locked.contains("locked") && locked.contains("zk operator unlock wang"),
        "{locked}"
    );
    failed(zk(
        store,
        &["operator", "passwd", "wang"],
        "246810\n135790\n",
    ));
    let list: serde_json::Value =
        serde_json::from_str(&ok(zk(store, &["operator", "list", "--json"], ""))).unwrap();
    let wang = list["operators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|operator| operator["id"] == "wang")
        .unwrap()
        .clone();
    assert_eq!(wang["locked"], true);
    assert_eq!(wang["role"], "operator");
    assert!(!list.to_string().contains("argon2"), "no hashes listed");

    // An operator cannot unlock; the admin can.
    failed(zk(
        store,
        &["operator", "unlock", "wang", "--as", "wang"],
        "246810\n",
    ));
    ok(zk(
        store,
        &["operator", "unlock", "wang", "--as", "boss"],
        "admin-pass-1\n",
    ));
    ok(zk(
        store,
        &["operator", "passwd", "wang"],
        "246810\n135790\n",
    ));
    ok(zk(
        store,
        &["operator", "passwd", "wang"],
        "135790\n975310\n",
    ));
    let human = ok(zk(store, &["operator", "list"], ""));
    assert!(
        human.contains("2 operator(s)") && human.contains("active"),
        "{human}"
    );
    ok(zk(store, &["audit", "verify"], ""));
    // No secret ever reaches the files.
    for file in ["desk.sqlite", "desk.sqlite-wal"] {
        if let Ok(bytes) = std::fs::read(store.join(file)) {
            for secret in ["admin-pass-1", "246810", "975310"] {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "{secret} in {file}"
                );
            }
        }
    }
}

#[test]
fn purge_dry_run_and_key_rotation_keep_the_store_working() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path();
    ok(zk(store, &["demo"], ""));
    let plan: serde_json::Value = serde_json::from_str(&ok(zk(
        store,
        &["store", "purge", "--dry-run", "--json"],
        "",
    )))
    .unwrap();
    assert_eq!(plan["dry_run"], true);
    assert_eq!(
        plan["planned"], 0,
        "nothing is due on the day of capture: {plan}"
    );
    assert!(plan["outcome"].is_null());
    let human = ok(zk(store, &["store", "purge"], ""));
    assert!(human.contains("erased 0 artefact(s)"), "{human}");

    let old_key = std::fs::read(store.join("artefact.key")).unwrap();
    let rotated: serde_json::Value =
        serde_json::from_str(&ok(zk(store, &["store", "rotate-key", "--json"], ""))).unwrap();
    assert!(rotated["artefacts"].as_u64().unwrap() >= 6, "{rotated}");
    assert!(rotated["roster_rows"].as_u64().unwrap() >= 10, "{rotated}");
    assert_ne!(std::fs::read(store.join("artefact.key")).unwrap(), old_key);
    assert!(!store.join("artefact.key.new").exists());
    let listed = ok(zk(store, &["roster", "list", "--json"], ""));
    assert!(listed.contains("李明"), "the roster still reads: {listed}");
    let confirmations: serde_json::Value =
        serde_json::from_str(&ok(zk(store, &["confirmations", "list", "--json"], ""))).unwrap();
    assert_eq!(confirmations.as_array().unwrap().len(), 2);
    let verified = ok(zk(store, &["audit", "verify"], ""));
    assert!(verified.contains("intact"), "{verified}");
}

/// A store with a few audit rows, then `sql` run on it by someone with the file.
fn tampered(sql: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    ok(zk(
        dir.path(),
        &[
            "operator", "add", "boss", "--name", "Admin", "--role", "admin",
        ],
        "admin-pass-1\n",
    ));
    ok(zk(
        dir.path(),
        &[
            "serials",
            "allocate",
            "--block-id",
            "b1",
            "--district",
            "4201",
            "--sitting",
            "271",
            "--first",
            "1",
            "--last",
            "9",
        ],
        "",
    ));
    ok(zk(dir.path(), &["operator", "list"], ""));
    let conn = rusqlite::Connection::open(dir.path().join("desk.sqlite")).unwrap();
    conn.execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
        .unwrap();
    conn.execute_batch(sql).unwrap();
    drop(conn);
    let output = zk(dir.path(), &["audit", "verify"], "");
    let message = failed(output);
    (dir, message)
}

#[test]
fn audit_verify_fails_and_names_the_row_for_an_edited_deleted_or_reordered_row() {
    let (_dir, edited) = tampered("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2;");
    assert!(
        edited.contains("broken at row 2") && edited.contains("altered"),
        "{edited}"
    );

    let (_dir, deleted) = tampered("DELETE FROM audit_log WHERE seq = 2;");
    assert!(
        deleted.contains("broken at row 2") && deleted.contains("missing"),
        "{deleted}"
    );

    let (_dir, reordered) = tampered(
        "UPDATE audit_log SET seq = 1000 WHERE seq = 2; \
         UPDATE audit_log SET seq = 2 WHERE seq = 3; \
         UPDATE audit_log SET seq = 3 WHERE seq = 1000;",
    );
    assert!(reordered.contains("broken at row 2"), "{reordered}");

    let (dir, _) = tampered("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log);");
    let json = zk(dir.path(), &["audit", "verify", "--json"], "");
    assert_eq!(json.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["intact"], false);
    assert!(
        value["error"]
            .as_str()
            .unwrap()
            .contains("removed from the end"),
        "{value}"
    );
}
