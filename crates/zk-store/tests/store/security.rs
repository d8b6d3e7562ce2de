//! Security: staff accounts and lock-out, consent records, secure purge (bytes gone from the
//! files), a stolen database without its key, key rotation and its crash recovery.

use std::time::Duration;

use zk_domain::retention::{plan, RetentionPolicy};
use zk_domain::{ArtefactKind, Role, StaffPolicy};
use zk_store::{NewOperator, RosterFormat, Store, StoreError};

use crate::common::*;

fn policy() -> StaffPolicy {
    StaffPolicy {
        max_failed_sign_ins: 3,
        ..StaffPolicy::default()
    }
}

fn new_operator(id: &str, role: Role) -> NewOperator {
    NewOperator {
        id: id.into(),
        display_name: format!("{id} display"),
        role,
    }
}

fn audit_actions(dir: &std::path::Path) -> Vec<(String, String, String)> {
    let conn = raw(dir);
    let mut statement = conn
        .prepare("SELECT actor, action, detail FROM audit_log ORDER BY seq")
        .unwrap();
    let rows = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

/// Every file of the store folder (database, WAL, key …) concatenated.
fn folder_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("desk.sqlite")
        {
            bytes.extend(std::fs::read(&path).unwrap());
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[test]
fn operators_sign_in_lock_out_after_repeated_failures_and_an_admin_unlocks() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let policy = policy();
    assert!(!store.has_admin().unwrap());
    store
        .add_operator(
            &new_operator("admin", Role::Admin),
            "admin-secret",
            &policy,
            "cli",
            at(1),
        )
        .unwrap();
    assert!(store.has_admin().unwrap());
    store
        .add_operator(
            &new_operator("wang", Role::Operator),
            "246810",
            &policy,
            "admin",
            at(2),
        )
        .unwrap();
    assert!(matches!(
        store.add_operator(
            &new_operator("wang", Role::Reviewer),
            "13579a",
            &policy,
            "admin",
            at(3)
        ),
        Err(StoreError::OperatorExists { .. })
    ));
    assert!(matches!(
        store.add_operator(
            &new_operator("li", Role::Operator),
            "1111111",
            &policy,
            "admin",
            at(3)
        ),
        Err(StoreError::WeakSecret { .. })
    ));
    assert!(matches!(
        store.add_operator(
            &new_operator("Li Si", Role::Operator),
            "246810",
            &policy,
            "admin",
            at(3)
        ),
        Err(StoreError::InvalidOperator { .. })
    ));

    let signed_in = store.sign_in("wang", "246810", &policy, at(10)).unwrap();
    assert_eq!(signed_in.role, Role::Operator);
    // Unknown ids and wrong secrets get the same refusal.
    assert!(matches!(
        store.sign_in("nobody", "246810", &policy, at(11)),
        Err(StoreError::SignInRefused)
    ));
    for attempt in 1..=2 {
        assert!(
            matches!(
                store.sign_in("wang", "wrong-pin", &policy, at(11 + attempt)),
                Err(StoreError::SignInRefused)
            ),
            "attempt {attempt}"
        );
    }
    // The third wrong secret locks the account …
    assert!(matches!(
        store.sign_in("wang", "wrong-pin", &policy, at(20)),
        Err(StoreError::OperatorLocked { .. })
    ));
    // … and then even the right one is refused.
    assert!(matches!(
        store.sign_in("wang", "246810", &policy, at(21)),
        Err(StoreError::OperatorLocked { .. })
    ));
    let wang = store.operator("wang").unwrap().unwrap();
    assert!(wang.locked);
    assert_eq!(wang.failed_sign_ins, 3);

    store.unlock_operator("wang", "admin", at(30)).unwrap();
    store.sign_in("wang", "246810", &policy, at(31)).unwrap();
    assert_eq!(store.operator("wang").unwrap().unwrap().failed_sign_ins, 0);
    store
        .set_operator_secret("wang", "new-secret-9", &policy, "admin", at(32))
        .unwrap();
    assert!(store.sign_in("wang", "246810", &policy, at(33)).is_err());
    store
        .sign_in("wang", "new-secret-9", &policy, at(34))
        .unwrap();
    assert!(matches!(
        store.unlock_operator("ghost", "admin", at(35)),
        Err(StoreError::UnknownOperator { .. })
    ));
    store.verify_audit().unwrap();
    drop(store);

    let actions: Vec<String> = audit_actions(dir.path())
        .into_iter()
        .map(|(actor, action, _)| format!("{actor} {action}"))
        .collect();
    for expected in [
        "cli operator.add",
        "wang signin",
        "nobody signin.refused",
        "wang operator.locked",
        "admin operator.unlock",
        "admin operator.passwd",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} not in {actions:#?}"
        );
    }
    // Neither a secret nor a hash is anywhere in the files' audit text.
    let bytes = folder_bytes(dir.path());
    assert!(!contains(&bytes, b"246810"));
    assert!(!contains(&bytes, b"new-secret-9"));
}

#[test]
fn consent_is_recorded_with_version_text_hash_and_time() {
    let mut store = Store::open_in_memory().unwrap();
    let session = store.begin_session(at(1)).unwrap();
    assert_eq!(store.consent(session).unwrap(), None);
    let sha = "a".repeat(64);
    store
        .record_consent(session, false, "consent-2027-v1", &sha, at(2))
        .unwrap();
    assert_eq!(
        store.consent(session).unwrap(),
        Some(zk_store::ConsentRecord {
            accepted: false,
            version: "consent-2027-v1".to_owned(),
            text_sha256: sha.clone(),
            at: at(2)
        })
    );
    store
        .record_consent(session, true, "consent-2027-v1", &sha, at(3))
        .unwrap();
    assert!(store.consent(session).unwrap().unwrap().accepted);
    store.end_session(session, "confirmed", at(4)).unwrap();
    assert!(matches!(
        store.record_consent(session, true, "v", &sha, at(5)),
        Err(StoreError::SessionClosed { .. })
    ));
}

#[test]
fn expired_artefacts_are_gone_from_disk_after_the_purge() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let session = store.begin_session(at(0)).unwrap();
    let clip = store
        .put_artefact(
            session,
            ArtefactKind::LivenessClip,
            &vec![7u8; 20_000],
            at(1),
        )
        .unwrap();
    let photo = store
        .put_artefact(
            session,
            ArtefactKind::RegistrationPhoto,
            b"\xff\xd8\xff\xe0 photo",
            at(1),
        )
        .unwrap();
    store
        .end_session(session, "session.abandoned", at(2))
        .unwrap();
    // The ciphertext as it lies in the file.
    let ciphertext: Vec<u8> = raw(dir.path())
        .query_row(
            "SELECT ciphertext FROM artefacts WHERE id = ?1",
            [&clip.0],
            |row| row.get(0),
        )
        .unwrap();
    let needle = &ciphertext[1000..1064];
    assert!(contains(&folder_bytes(dir.path()), needle));

    let policy = RetentionPolicy::default();
    let day = 24 * 60 * 60 * 1000;
    // Not due yet: nothing goes.
    let facts = store.retention_facts().unwrap();
    assert_eq!(facts.len(), 2);
    assert!(plan(&policy, &facts, at(day)).is_empty());
    // Seven days after an unconfirmed session ended both go.
    let items = plan(&policy, &facts, at(2 + 7 * day));
    assert_eq!(items.len(), 2);
    let outcome = store.purge(&items, "retention", at(2 + 7 * day)).unwrap();
    assert_eq!(outcome.purged, 2);
    assert!(outcome.compacted);
    assert_eq!(
        outcome.by_kind_and_reason.get("liveness_clip:unconfirmed"),
        Some(&1)
    );
    assert!(matches!(
        store.get_artefact(&clip),
        Err(StoreError::ArtefactPurged { .. })
    ));
    assert!(matches!(
        store.get_artefact(&photo),
        Err(StoreError::ArtefactPurged { .. })
    ));
    assert!(store.retention_facts().unwrap().is_empty());
    // Purging again changes nothing.
    assert_eq!(
        store
            .purge(&items, "retention", at(3 + 7 * day))
            .unwrap()
            .purged,
        0
    );
    store.verify_audit().unwrap();
    let bytes = folder_bytes(dir.path());
    assert!(
        !contains(&bytes, needle),
        "the clip's ciphertext is still on disk"
    );
    drop(store);
    let bytes = folder_bytes(dir.path());
    assert!(
        !contains(&bytes, needle),
        "the clip's ciphertext is still on disk"
    );
    let purges: Vec<String> = audit_actions(dir.path())
        .into_iter()
        .filter(|(_, action, _)| action == "artefacts.purge")
        .map(|(_, _, detail)| detail)
        .collect();
    assert_eq!(purges.len(), 2, "{purges:?}");
    assert!(purges[0].starts_with("purged=2 "), "{purges:?}");
}

#[test]
fn a_stolen_database_without_the_key_shows_no_id_number_name_or_photo() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let rows: Vec<String> = (1..=5).map(row).collect();
    store
        .import_roster_bytes(csv(HEADER_ZH, &rows).as_bytes(), RosterFormat::Csv, at(1))
        .unwrap();
    add_block(&mut store, "b1", 1, 100);
    let first = registration(&store, 1);
    let session = store.begin_session(at(3)).unwrap();
    let jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01 the candidate's face".to_vec();
    let photo = store
        .put_artefact(session, ArtefactKind::RegistrationPhoto, &jpeg, at(4))
        .unwrap();
    let mut draft = draft(&first, vec![(ArtefactKind::RegistrationPhoto, photo)]);
    draft.outcomes[2].note = Some(format!("checked {} by eye", first.name.expose()));
    draft.outcomes[2].operator = Some("wang".into());
    store.confirm(session, &draft, sitting(), 1, at(5)).unwrap();
    let mut outcome = outcome(zk_domain::Step::Liveness, zk_domain::Decision::Pass);
    outcome.operator = Some("wang".into());
    outcome.note = Some(format!("spoke with {}", first.name.expose()));
    let session2 = store.begin_session(at(6)).unwrap();
    store.record_outcome(session2, &outcome).unwrap();
    // Everything still reads back through the store.
    assert_eq!(
        store
            .registration_by_id_number(&first.id_number)
            .unwrap()
            .unwrap()
            .name,
        first.name
    );
    assert!(store.outbox_pending(0, 10).unwrap()[0]
        .payload
        .contains(&first.id_number));
    assert_eq!(
        store.attempts(session2).unwrap()[0].note.as_deref(),
        outcome.note.as_deref()
    );
    drop(store);

    // The thief's view: the database and WAL files, no key.
    let bytes = folder_bytes(dir.path());
    assert!(bytes.len() > 10_000);
    for n in 1..=5 {
        let registration_row = row(n);
        let fields: Vec<&str> = registration_row.split(',').collect();
        let (number, name, phone) = (fields[2], fields[3], fields[7]);
        assert!(
            !contains(&bytes, number.as_bytes()),
            "ID number of r{n} in the files"
        );
        assert!(
            !contains(&bytes, name.as_bytes()),
            "name of r{n} in the files"
        );
        assert!(
            !contains(&bytes, phone.as_bytes()),
            "phone of r{n} in the files"
        );
    }
    assert!(
        !contains(&bytes, b"\xff\xd8\xff\xe0"),
        "JPEG start in the files"
    );
    assert!(!contains(&bytes, b"JFIF"), "JPEG marker in the files");
    assert!(!contains(&bytes, b"by eye"), "a staff note in the files");
    // Without the key file the store does not open.
    std::fs::remove_file(dir.path().join(zk_store::KEY_FILE)).unwrap();
    assert!(matches!(
        Store::open(dir.path()),
        Err(StoreError::KeyMissing { .. })
    ));
}

#[test]
fn rotating_the_key_reencrypts_everything_and_retires_the_old_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store
        .import_roster_bytes(
            csv(HEADER_ZH, &[row(1), row(2)]).as_bytes(),
            RosterFormat::Csv,
            at(1),
        )
        .unwrap();
    add_block(&mut store, "b1", 1, 100);
    let first = registration(&store, 1);
    let session = store.begin_session(at(3)).unwrap();
    let photo = store
        .put_artefact(
            session,
            ArtefactKind::RegistrationPhoto,
            b"photo bytes",
            at(4),
        )
        .unwrap();
    store
        .confirm(
            session,
            &draft(
                &first,
                vec![(ArtefactKind::RegistrationPhoto, photo.clone())],
            ),
            sitting(),
            1,
            at(5),
        )
        .unwrap();
    let old_key = std::fs::read(dir.path().join(zk_store::KEY_FILE)).unwrap();
    let report = store.rotate_key("admin", at(6)).unwrap();
    assert_eq!((report.artefacts, report.roster_rows), (1, 2));
    assert_eq!(report.other_rows, 3, "payload, outcomes, declaration");
    assert_ne!(report.old_fingerprint, report.new_fingerprint);
    assert_eq!(store.get_artefact(&photo).unwrap().bytes, b"photo bytes");
    assert!(store
        .registration_by_id_number(&first.id_number)
        .unwrap()
        .is_some());
    drop(store);

    let new_key = std::fs::read(dir.path().join(zk_store::KEY_FILE)).unwrap();
    assert_ne!(new_key, old_key);
    assert!(!dir.path().join("artefact.key.new").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(zk_store::KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.get_artefact(&photo).unwrap().bytes, b"photo bytes");
    assert!(store.outbox_pending(0, 10).unwrap()[0]
        .payload
        .contains(&first.id_number));
    store.verify_audit().unwrap();
    drop(store);
    // The old key no longer opens the store.
    std::fs::write(dir.path().join(zk_store::KEY_FILE), &old_key).unwrap();
    assert!(matches!(
        Store::open(dir.path()),
        Err(StoreError::WrongKey { .. })
    ));
    std::fs::write(dir.path().join(zk_store::KEY_FILE), &new_key).unwrap();
    Store::open(dir.path()).unwrap();
}

#[test]
fn a_leftover_pending_key_from_an_uncommitted_rotation_is_erased_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let session = store.begin_session(at(1)).unwrap();
    let photo = store
        .put_artefact(session, ArtefactKind::IdPhoto, b"card photo", at(2))
        .unwrap();
    drop(store);
    // A crash after writing the new key but before the transaction committed: the pending key
    // file is a valid key the database never used.
    let other = tempfile::tempdir().unwrap();
    drop(Store::open(other.path()).unwrap());
    std::fs::copy(
        other.path().join(zk_store::KEY_FILE),
        dir.path().join("artefact.key.new"),
    )
    .unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert!(!dir.path().join("artefact.key.new").exists());
    assert_eq!(store.get_artefact(&photo).unwrap().bytes, b"card photo");
    let _ = Duration::ZERO;
}

#[test]
fn a_store_open_elsewhere_during_a_rotation_refuses_to_write_with_the_old_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut kiosk_side = Store::open(dir.path()).unwrap();
    let session = kiosk_side.begin_session(at(1)).unwrap();
    let before = kiosk_side
        .put_artefact(session, ArtefactKind::IdPhoto, b"before", at(2))
        .unwrap();
    // The admin rotates the key from another process while the kiosk has the store open.
    let mut admin_side = Store::open(dir.path()).unwrap();
    admin_side.rotate_key("admin", at(3)).unwrap();
    drop(admin_side);
    assert!(matches!(
        kiosk_side.put_artefact(session, ArtefactKind::IdPhoto, b"after", at(4)),
        Err(StoreError::KeyChanged)
    ));
    assert!(matches!(
        kiosk_side.get_artefact(&before),
        Err(StoreError::KeyChanged)
    ));
    drop(kiosk_side);
    // Restarted, it reads everything with the new key.
    let restarted = Store::open(dir.path()).unwrap();
    assert_eq!(restarted.get_artefact(&before).unwrap().bytes, b"before");
}

#[test]
fn the_keyring_setting_falls_back_to_the_key_file_where_the_build_has_no_keyring() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with_backend(dir.path(), zk_store::KeyBackend::Keyring).unwrap();
    if zk_store::KEYRING_AVAILABLE {
        return; // macOS/Windows: the key is in the OS keyring (not exercised on this machine)
    }
    assert!(dir.path().join(zk_store::KEY_FILE).exists());
    drop(store);
    // The same store opens with either setting (both mean the file here).
    Store::open(dir.path()).unwrap();
    Store::open_with_backend(dir.path(), zk_store::KeyBackend::Keyring).unwrap();
}
