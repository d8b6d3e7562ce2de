//! What the desk takes from the hub: roster pages with their cursor, serial-block requests.

use zk_domain::{ArtefactKind, Registration, RegistrationStatus, SerialBlock};
use zk_store::{parse_roster, ImportLimits, RosterFormat, SerialRequest, Store, StoreError};

use crate::common::*;

fn parsed(rows: &[String]) -> Vec<Registration> {
    parse_roster(
        csv(HEADER_ZH, rows).as_bytes(),
        RosterFormat::Csv,
        ImportLimits::default(),
    )
    .unwrap()
}

fn confirm(store: &mut Store, n: u32) {
    let candidate = registration(store, n);
    let session = store.begin_session(at(3)).unwrap();
    let photo = store
        .put_artefact(session, ArtefactKind::RegistrationPhoto, b"photo", at(4))
        .unwrap();
    store
        .confirm(
            session,
            &draft(&candidate, vec![(ArtefactKind::RegistrationPhoto, photo)]),
            sitting(),
            4,
            at(5),
        )
        .unwrap();
}

#[test]
fn the_pure_parser_refuses_what_an_import_refuses() {
    let rows = parsed(&[row(1), row(2)]);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].registration_id, "r00001");
    let twice = parse_roster(
        csv(HEADER_ZH, &[row(1), row(1)]).as_bytes(),
        RosterFormat::Csv,
        ImportLimits::default(),
    );
    assert!(
        matches!(twice, Err(StoreError::RosterInvalid { total_errors, .. }) if total_errors == 2)
    );
}

#[test]
fn a_page_keeps_confirmations_refuses_a_held_id_number_and_moves_the_cursor() {
    let mut store = store_with(&[row(1), row(2), row(3)]);
    add_block(&mut store, "b1", 1, 9);
    confirm(&mut store, 1);
    let confirmed_before = registration(&store, 1);

    // The hub: 1 renamed (confirmed here), 2 cancelled, 4 new with 3's ID number, 5 new.
    let mut page = parsed(&[row(1), row(2), row(4), row(5)]);
    page[0].name = zk_domain::PersonName::new("改名");
    page[1].status = RegistrationStatus::Cancelled;
    page[2].id_number = registration(&store, 3).id_number;
    page[2].birth_date = registration(&store, 3).birth_date;
    page[2].sex = registration(&store, 3).sex;
    let outcome = store
        .apply_roster_page(
            "s1",
            &page,
            vec![("r9".into(), "unreadable".into())],
            7,
            at(9),
        )
        .unwrap();
    assert_eq!(
        (outcome.inserted, outcome.updated, outcome.kept_confirmed),
        (1, 1, 0)
    );
    assert_eq!(outcome.identity_changes, vec!["r00001".to_owned()]);
    let refused: Vec<&str> = outcome.refused.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(refused, vec!["r9", "r00004"]);
    assert_eq!(registration(&store, 1), confirmed_before);
    assert_eq!(
        registration(&store, 2).status,
        RegistrationStatus::Cancelled
    );
    assert_eq!(store.roster_counts().unwrap().total, 4);
    assert_eq!(store.roster_cursor("s1").unwrap(), 7);

    // The cursor never goes back; every page is audited.
    store
        .apply_roster_page("s1", &[], Vec::new(), 3, at(10))
        .unwrap();
    assert_eq!(store.roster_cursor("s1").unwrap(), 7);
    assert_eq!(store.roster_cursor("other").unwrap(), 0);
    let pulls = store.roster_pulls().unwrap();
    assert_eq!((pulls[0].site.as_str(), pulls[0].rows), ("s1", 5));
    let audited = store
        .audit_rows()
        .unwrap()
        .into_iter()
        .filter(|row| row.action == "roster.pull")
        .count();
    assert_eq!(audited, 2);
    store.verify_audit().unwrap();
}

#[test]
fn a_serial_request_records_its_block_once() {
    let mut store = Store::open_in_memory().unwrap();
    let request = SerialRequest {
        key: "k".repeat(32),
        district: "4201".into(),
        sitting: sitting(),
        size: 10,
    };
    store.begin_serial_request(&request, at(1)).unwrap();
    assert_eq!(store.open_serial_request().unwrap(), Some(request.clone()));
    // One open request at a time.
    let other = SerialRequest {
        key: "m".repeat(32),
        ..request.clone()
    };
    assert!(store.begin_serial_request(&other, at(1)).is_err());
    // A block that is not what was asked for is refused and changes nothing.
    let wrong = SerialBlock::new("4201-262-00001", "4201", sitting(), 1, 11).unwrap();
    assert!(matches!(
        store.complete_serial_request(&request.key, &wrong, "hub", at(2)),
        Err(StoreError::InvalidBlock { .. })
    ));
    assert!(store.serial_blocks().unwrap().is_empty());
    let block = SerialBlock::new("4201-262-00001", "4201", sitting(), 1, 10).unwrap();
    assert!(store
        .complete_serial_request(&request.key, &block, "hub", at(2))
        .unwrap());
    // Recording the same answer again changes nothing.
    assert!(!store
        .complete_serial_request(&request.key, &block, "hub", at(3))
        .unwrap());
    assert_eq!(store.serial_blocks().unwrap(), vec![block]);
    assert_eq!(store.open_serial_request().unwrap(), None);

    // A refused request is closed, audited, and the next one can start.
    store.begin_serial_request(&other, at(4)).unwrap();
    store
        .refuse_serial_request(&other.key, "serials_exhausted", at(5))
        .unwrap();
    assert_eq!(store.open_serial_request().unwrap(), None);
    let actions: Vec<String> = store
        .audit_rows()
        .unwrap()
        .into_iter()
        .map(|row| row.action)
        .collect();
    assert!(actions.contains(&"serials.add_block".to_owned()));
    assert!(actions.contains(&"serials.request_refused".to_owned()));
    store.verify_audit().unwrap();
}
