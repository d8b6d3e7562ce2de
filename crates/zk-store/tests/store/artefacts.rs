use zk_domain::ArtefactKind;
use zk_store::{Store, StoreError, KEY_FILE};

use crate::common::*;

#[test]
fn round_trip_every_kind() {
    let mut store = Store::open_in_memory().unwrap();
    let session = store.begin_session(at(1)).unwrap();
    for (index, kind) in ArtefactKind::ALL.into_iter().enumerate() {
        let bytes = vec![index as u8; 1000 + index];
        let id = store.put_artefact(session, kind, &bytes, at(2)).unwrap();
        let artefact = store.get_artefact(&id).unwrap();
        assert_eq!(artefact.kind, kind);
        assert_eq!(artefact.bytes, bytes);
        assert_eq!(artefact.session, session);
        assert_eq!(artefact.created_at, at(2));
        assert_eq!(artefact.sha256.len(), 64);
        let debug = format!("{artefact:?}");
        assert!(
            debug.contains("1000") || debug.contains(&format!("{} bytes", bytes.len())),
            "{debug}"
        );
    }
    let empty = store
        .put_artefact(session, ArtefactKind::LiveFrame, b"", at(3))
        .unwrap();
    assert!(store.get_artefact(&empty).unwrap().bytes.is_empty());
    assert!(matches!(
        store.get_artefact(&zk_domain::ArtefactId("missing".into())),
        Err(StoreError::UnknownArtefact { .. })
    ));
    store.end_session(session, "ended", at(4)).unwrap();
    assert!(matches!(
        store.put_artefact(session, ArtefactKind::LiveFrame, b"late", at(5)),
        Err(StoreError::SessionClosed { .. })
    ));
}

#[test]
fn tampering_on_disk_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let session = store.begin_session(at(1)).unwrap();
    let photo = store
        .put_artefact(
            session,
            ArtefactKind::IdPhoto,
            b"\xFF\xD8\xFF a jpeg",
            at(2),
        )
        .unwrap();
    let clip = store
        .put_artefact(session, ArtefactKind::LivenessClip, b"RIFF a wav", at(2))
        .unwrap();
    let frame = store
        .put_artefact(session, ArtefactKind::LiveFrame, b"a frame", at(2))
        .unwrap();
    drop(store);

    let conn = raw(dir.path());
    // Plaintext is not in the file.
    let blob: Vec<u8> = conn
        .query_row(
            "SELECT ciphertext FROM artefacts WHERE id = ?1",
            [&photo.0],
            |row| row.get(0),
        )
        .unwrap();
    assert!(!blob.windows(3).any(|w| w == b"\xFF\xD8\xFF"));
    let mut flipped = blob.clone();
    flipped[5] ^= 0x80;
    conn.execute(
        "UPDATE artefacts SET ciphertext = ?2 WHERE id = ?1",
        rusqlite::params![photo.0, flipped],
    )
    .unwrap();
    // Relabelling a clip as a photo breaks the associated data.
    conn.execute(
        "UPDATE artefacts SET kind = 'id_photo' WHERE id = ?1",
        [&clip.0],
    )
    .unwrap();
    // A recorded hash that no longer fits.
    conn.execute(
        "UPDATE artefacts SET sha256 = ?2 WHERE id = ?1",
        [&frame.0, &"0".repeat(64)],
    )
    .unwrap();
    drop(conn);

    let store = Store::open(dir.path()).unwrap();
    for id in [&photo, &clip, &frame] {
        match store.get_artefact(id) {
            Err(error @ StoreError::ArtefactCorrupt { .. }) => {
                assert!(error.to_string().contains("integrity check"), "{error}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn moving_a_blob_to_another_row_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let session = store.begin_session(at(1)).unwrap();
    let first = store
        .put_artefact(session, ArtefactKind::IdPhoto, b"first", at(2))
        .unwrap();
    let second = store
        .put_artefact(session, ArtefactKind::IdPhoto, b"secnd", at(2))
        .unwrap();
    drop(store);
    let conn = raw(dir.path());
    conn.execute(
        "UPDATE artefacts SET (ciphertext, nonce, sha256) = (SELECT ciphertext, nonce, sha256 FROM artefacts WHERE id = ?1) WHERE id = ?2",
        [&first.0, &second.0],
    )
    .unwrap();
    drop(conn);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.get_artefact(&first).unwrap().bytes, b"first");
    assert!(matches!(
        store.get_artefact(&second),
        Err(StoreError::ArtefactCorrupt { .. })
    ));
}

#[cfg(unix)]
#[test]
fn key_file_is_created_0600_with_a_header() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let key_path = dir.path().join(KEY_FILE);
    let mode = std::fs::metadata(&key_path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let text = std::fs::read_to_string(&key_path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "zk-artefact-key-v1");
    assert_eq!(lines[1].len(), 64);
    // Neither Debug nor the audit log shows the key.
    let debug = format!("{store:?}");
    assert!(!debug.contains(lines[1]), "{debug}");
    assert!(debug.contains("redacted"), "{debug}");
    drop(store);
    let conn = raw(dir.path());
    let leaked: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM (SELECT detail AS t FROM audit_log UNION ALL SELECT value FROM meta) WHERE instr(t, ?1) > 0",
            [lines[1]],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(leaked, 0);
    let created: String = conn
        .query_row("SELECT action FROM audit_log WHERE seq = 1", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(created, "key.created");
}

#[test]
fn a_missing_key_is_never_recreated_over_existing_data() {
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join(KEY_FILE);
    drop(Store::open(dir.path()).unwrap());
    let original = std::fs::read(&key_path).unwrap();
    std::fs::remove_file(&key_path).unwrap();
    match Store::open(dir.path()) {
        Err(error @ StoreError::KeyMissing { .. }) => {
            assert!(
                error
                    .to_string()
                    .contains("restore the key file from backup"),
                "{error}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(!key_path.exists(), "a new key file must not be created");
    std::fs::write(&key_path, &original).unwrap();
    Store::open(dir.path()).unwrap();
}

#[test]
fn a_damaged_or_foreign_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join(KEY_FILE);
    let mut store = Store::open(dir.path()).unwrap();
    let session = store.begin_session(at(1)).unwrap();
    let id = store
        .put_artefact(session, ArtefactKind::IdPhoto, b"photo", at(2))
        .unwrap();
    drop(store);
    let original = std::fs::read(&key_path).unwrap();

    for damaged in [
        b"".as_slice(),
        b"zk-artefact-key-v1\n",
        b"zk-artefact-key-v1\nnot hex at all, not hex at all, not hex at all, not hex at all!!\n",
        &original[..original.len() - 10],
        b"\xff\xfe",
    ] {
        std::fs::write(&key_path, damaged).unwrap();
        assert!(
            matches!(Store::open(dir.path()), Err(StoreError::KeyCorrupt { .. })),
            "{damaged:?}"
        );
    }

    let other_dir = tempfile::tempdir().unwrap();
    drop(Store::open(other_dir.path()).unwrap());
    std::fs::copy(other_dir.path().join(KEY_FILE), &key_path).unwrap();
    match Store::open(dir.path()) {
        Err(error @ StoreError::WrongKey { .. }) => {
            assert!(
                error.to_string().contains("does not belong to this store"),
                "{error}"
            );
        }
        other => panic!("{other:?}"),
    }

    std::fs::write(&key_path, &original).unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.get_artefact(&id).unwrap().bytes, b"photo");
}

#[test]
fn open_with_key_keeps_the_key_apart() {
    let data = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let db = data.path().join("desk.sqlite");
    let key = keys.path().join("desk.key");
    let mut store = Store::open_with_key(&db, &key).unwrap();
    let session = store.begin_session(at(1)).unwrap();
    let id = store
        .put_artefact(session, ArtefactKind::SignatureImage, b"\x89PNG", at(2))
        .unwrap();
    drop(store);
    assert!(key.exists());
    assert!(!data.path().join(KEY_FILE).exists());
    let store = Store::open_with_key(&db, &key).unwrap();
    assert_eq!(store.get_artefact(&id).unwrap().bytes, b"\x89PNG");
    assert!(matches!(
        Store::open_with_key(&data.path().join("nope/desk.sqlite"), &key),
        Err(StoreError::Io { .. })
    ));
}

#[test]
fn purge_erases_only_what_may_go() {
    let mut store = store_with(&[row(1)]);
    add_block(&mut store, "b1", 1, 10);
    // An abandoned session: its frames may go once it ended.
    let abandoned = store.begin_session(at(3)).unwrap();
    let frame = store
        .put_artefact(abandoned, ArtefactKind::LiveFrame, b"frame", at(3))
        .unwrap();
    // A confirmed session: its clip stays until the hub has the confirmation.
    let confirmed = store.begin_session(at(4)).unwrap();
    let clip = store
        .put_artefact(confirmed, ArtefactKind::LivenessClip, b"clip", at(4))
        .unwrap();
    let photo = store
        .put_artefact(confirmed, ArtefactKind::RegistrationPhoto, b"photo", at(4))
        .unwrap();
    store
        .confirm(
            confirmed,
            &draft(
                &registration(&store, 1),
                vec![(ArtefactKind::LivenessClip, clip.clone())],
            ),
            sitting(),
            1,
            at(5),
        )
        .unwrap();
    store.end_session(confirmed, "confirmed", at(6)).unwrap();

    let kinds = [ArtefactKind::LiveFrame, ArtefactKind::LivenessClip];
    assert_eq!(
        store
            .purge_artefacts(&kinds, at(100), "retention", at(100))
            .unwrap(),
        0,
        "the abandoned session is still open"
    );
    store
        .end_session(abandoned, "session.abandoned", at(7))
        .unwrap();
    assert_eq!(
        store
            .purge_artefacts(&kinds, at(100), "retention", at(100))
            .unwrap(),
        1
    );
    assert!(matches!(
        store.get_artefact(&frame),
        Err(StoreError::ArtefactPurged { .. })
    ));
    assert!(store.get_artefact(&clip).is_ok());

    let pending = store.outbox_pending(0, 10).unwrap();
    store.outbox_ack(&[pending[0].seq], at(101)).unwrap();
    assert_eq!(
        store
            .purge_artefacts(&kinds, at(100), "retention", at(102))
            .unwrap(),
        1
    );
    assert!(matches!(
        store.get_artefact(&clip),
        Err(StoreError::ArtefactPurged { .. })
    ));
    assert_eq!(
        store.get_artefact(&photo).unwrap().bytes,
        b"photo",
        "other kinds stay"
    );
    store.verify_audit().unwrap();
}
