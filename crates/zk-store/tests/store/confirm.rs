use zk_domain::{ArtefactKind, RegistrationStatus, SerialBlock};
use zk_store::{Store, StoreError};

use crate::common::*;

/// Everything a failed confirmation must leave as it was.
fn snapshot(store: &Store) -> String {
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        store.serial_blocks().unwrap(),
        store.confirmations(100, 0).unwrap(),
        store.outbox_counts().unwrap(),
        store
            .registrations(None, 100, 0)
            .unwrap()
            .iter()
            .map(|r| (r.registration_id.clone(), r.status))
            .collect::<Vec<_>>(),
        store.verify_audit().unwrap(),
    )
}

#[test]
fn happy_path_commits_everything_at_once() {
    let mut store = store_with(&[row(1), row(2)]);
    add_block(&mut store, "b1", 41, 45);
    let candidate = registration(&store, 1);
    let session = store.begin_session(at(3)).unwrap();
    let photo = store
        .put_artefact(
            session,
            ArtefactKind::RegistrationPhoto,
            b"\xFF\xD8\xFFphoto",
            at(4),
        )
        .unwrap();
    let audit_before = store.verify_audit().unwrap().rows;

    let receipt = store
        .confirm(
            session,
            &draft(
                &candidate,
                vec![(ArtefactKind::RegistrationPhoto, photo.clone())],
            ),
            sitting(),
            4,
            at(1_700_000_000_000),
        )
        .unwrap();
    assert_eq!(receipt.admission_number.to_string(), "420126200041");
    assert_eq!(receipt.remaining_serials, 4);
    assert!(!receipt.running_low);
    assert_eq!(receipt.confirmation_id.len(), 36);

    let block = &store.serial_blocks().unwrap()[0];
    assert_eq!((block.next, block.remaining()), (42, 4));
    assert_eq!(
        registration(&store, 1).status,
        RegistrationStatus::Confirmed
    );
    assert_eq!(
        registration(&store, 2).status,
        RegistrationStatus::Registered
    );

    let summaries = store.confirmations(10, 0).unwrap();
    assert_eq!(summaries.len(), 1);
    let summary = &summaries[0];
    assert_eq!(summary.confirmation_id, receipt.confirmation_id);
    assert_eq!(summary.admission_number, "420126200041");
    assert_eq!(summary.registration_id, "r00001");
    assert_eq!(summary.card_source, "chip");
    assert!(!summary.synced);
    let shown = summary.to_string();
    assert!(
        shown.contains("2023-11-14 22:13:20 UTC") && shown.contains("420126200041"),
        "{shown}"
    );

    assert_eq!(store.outbox_counts().unwrap(), (1, 0));
    let rows = store.outbox_pending(0, 10).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].confirmation_id, receipt.confirmation_id);
    assert!(
        !format!("{:?}", rows[0]).contains(&candidate.id_number),
        "outbox Debug hides the payload"
    );
    let payload: serde_json::Value = serde_json::from_str(&rows[0].payload).unwrap();
    assert_eq!(payload["confirmation_id"], receipt.confirmation_id.as_str());
    assert_eq!(payload["registration_id"], "r00001");
    assert_eq!(payload["id_number"], candidate.id_number.as_str());
    assert_eq!(payload["admission_number"], "420126200041");
    assert_eq!(payload["consent_version"], "consent-2026-1");
    assert_eq!(payload["card_source"], "chip");
    assert_eq!(payload["outcomes"].as_array().unwrap().len(), 6);
    assert_eq!(payload["outcomes"][2]["scores"][0]["value"], 0.31);
    assert_eq!(payload["outcomes"][2]["decision"], "pass");
    assert_eq!(payload["declaration"][1]["answer"], true);
    assert_eq!(payload["artefacts"][0]["id"], photo.0.as_str());
    assert_eq!(payload["artefacts"][0]["kind"], "registration_photo");
    let sha = store.get_artefact(&photo).unwrap().sha256;
    assert_eq!(payload["artefacts"][0]["sha256"], sha.as_str());

    let verification = store.verify_audit().unwrap();
    assert_eq!(verification.rows, audit_before + 1);

    // The second candidate runs the block down to the low-water mark.
    let second = registration(&store, 2);
    let session = store.begin_session(at(5)).unwrap();
    let receipt = store
        .confirm(
            session,
            &draft(&second, vec![]),
            sitting(),
            4,
            at(1_700_000_001_000),
        )
        .unwrap();
    assert_eq!(receipt.admission_number.serial, 42);
    assert_eq!(receipt.remaining_serials, 3);
    assert!(receipt.running_low);
    let listed = store.confirmations(10, 0).unwrap();
    assert_eq!(listed[0].admission_number, "420126200042", "newest first");
    assert_eq!(store.confirmations(10, 1).unwrap().len(), 1);
}

#[test]
fn the_audit_row_has_no_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store
        .import_roster_bytes(
            csv(HEADER_ZH, &[row(1)]).as_bytes(),
            zk_store::RosterFormat::Csv,
            at(1),
        )
        .unwrap();
    add_block(&mut store, "b1", 1, 10);
    let candidate = registration(&store, 1);
    let session = store.begin_session(at(3)).unwrap();
    let receipt = store
        .confirm(session, &draft(&candidate, vec![]), sitting(), 1, at(4))
        .unwrap();
    drop(store);
    let conn = raw(dir.path());
    let (action, detail): (String, String) = conn
        .query_row(
            "SELECT action, detail FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(action, "confirm");
    assert!(detail.contains(&receipt.confirmation_id), "{detail}");
    assert!(detail.contains("admission_number=420126200001"), "{detail}");
    assert!(detail.contains("registration=r00001"), "{detail}");
    let all: Vec<String> = conn
        .prepare("SELECT actor || action || detail FROM audit_log")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for text in all {
        assert!(!text.contains(&candidate.id_number), "{text}");
        assert!(!text.contains(candidate.name.expose()), "{text}");
    }
}

#[test]
fn confirming_twice_is_refused() {
    let mut store = store_with(&[row(1)]);
    add_block(&mut store, "b1", 1, 10);
    let candidate = registration(&store, 1);
    let session = store.begin_session(at(3)).unwrap();
    store
        .confirm(session, &draft(&candidate, vec![]), sitting(), 1, at(4))
        .unwrap();
    let before = snapshot(&store);
    let again = store.begin_session(at(5)).unwrap();
    let stale = registration(&store, 1);
    assert!(matches!(
        store.confirm(again, &draft(&stale, vec![]), sitting(), 1, at(6)),
        Err(StoreError::AlreadyConfirmed)
    ));
    assert_eq!(snapshot(&store), before);
}

#[test]
fn no_block_rolls_everything_back() {
    let mut store = store_with(&[row(1)]);
    // A block exists, but for another district.
    let other = SerialBlock::new("other", "4202", sitting(), 1, 10).unwrap();
    store.add_serial_block(&other, "admin", at(2)).unwrap();
    let candidate = registration(&store, 1);
    let session = store.begin_session(at(3)).unwrap();
    let before = snapshot(&store);
    match store.confirm(session, &draft(&candidate, vec![]), sitting(), 1, at(4)) {
        Err(error @ StoreError::NoSerial { .. }) => {
            assert!(
                error
                    .to_string()
                    .contains("no serial block for district 4201 sitting 262"),
                "{error}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(snapshot(&store), before);
    assert_eq!(store.serial_blocks().unwrap()[0].next, 1);
    // The session is still open: staff can add a block and commit again.
    add_block(&mut store, "b1", 1, 10);
    store
        .confirm(session, &draft(&candidate, vec![]), sitting(), 1, at(5))
        .unwrap();
}

#[test]
fn exhausted_blocks_are_refused() {
    let mut store = store_with(&[row(1), row(2)]);
    add_block(&mut store, "b1", 7, 7);
    let first = registration(&store, 1);
    let session = store.begin_session(at(3)).unwrap();
    let receipt = store
        .confirm(session, &draft(&first, vec![]), sitting(), 1, at(4))
        .unwrap();
    assert_eq!((receipt.remaining_serials, receipt.running_low), (0, true));
    let before = snapshot(&store);
    let second = registration(&store, 2);
    let session = store.begin_session(at(5)).unwrap();
    match store.confirm(session, &draft(&second, vec![]), sitting(), 1, at(6)) {
        Err(error @ StoreError::SerialsExhausted { .. }) => {
            assert!(error.to_string().contains("used up"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(snapshot(&store), before);
    assert_eq!(store.serial_blocks().unwrap()[0].next, 8);
}

#[test]
fn blocks_must_not_overlap() {
    let mut store = Store::open_in_memory().unwrap();
    add_block(&mut store, "b1", 100, 200);
    let overlapping = SerialBlock::new("b2", "4201", sitting(), 200, 300).unwrap();
    assert!(matches!(
        store.add_serial_block(&overlapping, "admin", at(3)),
        Err(StoreError::OverlappingBlock { ref existing, .. }) if existing == "b1"
    ));
    let same_id = SerialBlock::new("b1", "4202", sitting(), 1, 2).unwrap();
    assert!(matches!(
        store.add_serial_block(&same_id, "admin", at(3)),
        Err(StoreError::DuplicateBlock { .. })
    ));
    let bad_next = SerialBlock {
        next: 500,
        ..SerialBlock::new("b3", "4201", sitting(), 300, 400).unwrap()
    };
    assert!(matches!(
        store.add_serial_block(&bad_next, "admin", at(3)),
        Err(StoreError::InvalidBlock { .. })
    ));
    // Other district or sitting, or adjacent: fine.
    add_block(&mut store, "b4", 201, 300);
    store
        .add_serial_block(
            &SerialBlock::new("b5", "4202", sitting(), 100, 200).unwrap(),
            "admin",
            at(3),
        )
        .unwrap();
    let blocks = store.serial_blocks().unwrap();
    let ids: Vec<&str> = blocks.iter().map(|b| b.block_id.as_str()).collect();
    assert_eq!(ids, ["b1", "b4", "b5"]);
}

#[test]
fn registration_problems_are_refused_and_rolled_back() {
    let mut store = store_with(&[row(1), row_in(2, "4201", "已取消"), row(3)]);
    add_block(&mut store, "b1", 1, 10);
    let session = store.begin_session(at(3)).unwrap();
    let before = snapshot(&store);

    let mut unknown = draft(&registration(&store, 1), vec![]);
    unknown.registration_id = "r99999".into();
    assert!(matches!(
        store.confirm(session, &unknown, sitting(), 1, at(4)),
        Err(StoreError::NoRegistration { .. })
    ));
    assert!(matches!(
        store.confirm(
            session,
            &draft(&registration(&store, 2), vec![]),
            sitting(),
            1,
            at(4)
        ),
        Err(StoreError::RegistrationCancelled { .. })
    ));
    let mut wrong_person = draft(&registration(&store, 1), vec![]);
    wrong_person.id_number = registration(&store, 3).id_number;
    assert!(matches!(
        store.confirm(session, &wrong_person, sitting(), 1, at(4)),
        Err(StoreError::DraftMismatch { .. })
    ));

    assert_eq!(snapshot(&store), before);

    // An artefact of another session, and one that does not exist.
    let other_session = store.begin_session(at(3)).unwrap();
    let foreign = store
        .put_artefact(other_session, ArtefactKind::SignatureImage, b"png", at(3))
        .unwrap();
    let snapshot_with_artefact = snapshot(&store);
    let candidate = registration(&store, 1);
    assert!(matches!(
        store.confirm(
            session,
            &draft(&candidate, vec![(ArtefactKind::SignatureImage, foreign)]),
            sitting(),
            1,
            at(4)
        ),
        Err(StoreError::ArtefactNotInSession { .. })
    ));
    assert!(matches!(
        store.confirm(
            session,
            &draft(
                &candidate,
                vec![(
                    ArtefactKind::SignatureImage,
                    zk_domain::ArtefactId("nope".into())
                )]
            ),
            sitting(),
            1,
            at(4)
        ),
        Err(StoreError::UnknownArtefact { .. })
    ));
    assert_eq!(snapshot(&store), snapshot_with_artefact);

    // A closed session cannot commit.
    store.end_session(session, "staff.rejected", at(5)).unwrap();
    assert!(matches!(
        store.confirm(session, &draft(&candidate, vec![]), sitting(), 1, at(6)),
        Err(StoreError::SessionClosed { .. })
    ));
    assert_eq!(
        registration(&store, 1).status,
        RegistrationStatus::Registered
    );
}

#[test]
fn outbox_pages_by_sequence_and_acks() {
    let rows: Vec<String> = (1..=5).map(row).collect();
    let mut store = store_with(&rows);
    add_block(&mut store, "b1", 1, 100);
    for n in 1..=5 {
        let session = store.begin_session(at(10 + i64::from(n))).unwrap();
        store
            .confirm(
                session,
                &draft(&registration(&store, n), vec![]),
                sitting(),
                1,
                at(20 + i64::from(n)),
            )
            .unwrap();
    }
    let first_page = store.outbox_pending(0, 2).unwrap();
    assert_eq!(first_page.len(), 2);
    let next_page = store.outbox_pending(first_page[1].seq, 10).unwrap();
    assert_eq!(next_page.len(), 3);
    assert!(first_page
        .iter()
        .chain(&next_page)
        .map(|r| r.seq)
        .collect::<Vec<_>>()
        .windows(2)
        .all(|w| w[0] < w[1]));
    let acked = store
        .outbox_ack(&[first_page[0].seq, first_page[1].seq, 9_999], at(40))
        .unwrap();
    assert_eq!(acked, 2);
    assert_eq!(
        store.outbox_ack(&[first_page[0].seq], at(41)).unwrap(),
        0,
        "acking twice changes nothing"
    );
    assert_eq!(store.outbox_counts().unwrap(), (3, 2));
    assert_eq!(store.outbox_pending(0, 10).unwrap().len(), 3);
    assert_eq!(
        store
            .confirmations(10, 0)
            .unwrap()
            .iter()
            .filter(|c| c.synced)
            .count(),
        2
    );
    store.verify_audit().unwrap();
}
