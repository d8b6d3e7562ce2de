use zk_domain::{Decision, ReasonCode, Score, Step};
use zk_store::{SessionId, Store, StoreError};

use crate::common::*;

#[test]
fn outcomes_round_trip_in_order() {
    let mut store = Store::open_in_memory().unwrap();
    let session = store.begin_session(at(1)).unwrap();
    let other = store.begin_session(at(1)).unwrap();
    assert_ne!(session, other);
    let mut staff = outcome(Step::Photo, Decision::Review(ReasonCode::FaceUncertain));
    staff.operator = Some("op-7".into());
    staff.note = Some("looked at the card by hand".into());
    staff.attempt = 3;
    let outcomes = vec![
        outcome(Step::Consent, Decision::Pass),
        outcome(Step::Liveness, Decision::Fail(ReasonCode::NoSpeech)),
        staff,
        zk_domain::StepOutcome {
            scores: vec![],
            ..outcome(Step::Commit, Decision::Fail(ReasonCode::NoSerial))
        },
    ];
    for outcome in &outcomes {
        store.record_outcome(session, outcome).unwrap();
    }
    store
        .record_outcome(other, &outcome(Step::IdCard, Decision::Pass))
        .unwrap();
    assert_eq!(store.attempts(session).unwrap(), outcomes);
    assert_eq!(store.attempts(other).unwrap().len(), 1);
    assert!(store.attempts(SessionId(999)).unwrap().is_empty());
}

#[test]
fn non_finite_scores_are_kept_as_nan() {
    let mut store = Store::open_in_memory().unwrap();
    let session = store.begin_session(at(1)).unwrap();
    let mut odd = outcome(Step::Liveness, Decision::Pass);
    odd.scores = vec![
        Score::new("a", f64::NAN, 0.5),
        Score::new("b", f64::INFINITY, 1.0),
    ];
    store.record_outcome(session, &odd).unwrap();
    let back = store.attempts(session).unwrap().remove(0);
    assert!(back.scores[0].value.is_nan());
    assert_eq!(back.scores[0].threshold, 0.5);
    assert!(back.scores[1].value.is_nan());
}

#[test]
fn every_decision_is_audited_without_the_note() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let session = store.begin_session(at(1)).unwrap();
    let rows_before = store.verify_audit().unwrap().rows;
    store
        .record_outcome(session, &outcome(Step::Photo, Decision::Pass))
        .unwrap();
    assert_eq!(store.verify_audit().unwrap().rows, rows_before + 1);
    let mut staff = outcome(Step::Photo, Decision::Pass);
    staff.operator = Some("op-1".into());
    staff.note = Some("张三 looked fine".into());
    store.record_outcome(session, &staff).unwrap();
    assert_eq!(store.verify_audit().unwrap().rows, rows_before + 2);
    drop(store);
    let conn = crate::common::raw(dir.path());
    let rows: Vec<(String, String, String)> = conn
        .prepare("SELECT actor, action, detail FROM audit_log ORDER BY seq DESC LIMIT 2")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1.as_str()),
        ("op-1", "staff.decision")
    );
    assert_eq!(
        (rows[1].0.as_str(), rows[1].1.as_str()),
        ("kiosk", "decision")
    );
    assert!(rows.iter().all(|(_, _, detail)| !detail.contains("张三")));
}

#[test]
fn session_lifecycle() {
    let mut store = Store::open_in_memory().unwrap();
    let session = store.begin_session(at(10)).unwrap();
    store.end_session(session, "confirmed", at(20)).unwrap();
    store.end_session(session, "confirmed", at(21)).unwrap();
    assert!(matches!(
        store.end_session(session, "session.abandoned", at(22)),
        Err(StoreError::SessionClosed { session: id }) if id == session.0
    ));
    assert!(matches!(
        store.record_outcome(session, &outcome(Step::Photo, Decision::Pass)),
        Err(StoreError::SessionClosed { .. })
    ));
    assert!(matches!(
        store.record_outcome(SessionId(42), &outcome(Step::Photo, Decision::Pass)),
        Err(StoreError::UnknownSession { session: 42 })
    ));
    assert!(matches!(
        store.end_session(SessionId(42), "x", at(1)),
        Err(StoreError::UnknownSession { .. })
    ));
    // A clock that went backwards does not break the session row.
    let late = store.begin_session(at(100)).unwrap();
    store.end_session(late, "ended", at(50)).unwrap();
}

#[test]
fn the_days_sessions_list_newest_first_with_their_confirmation() {
    let mut store = store_with(&[row(1), row(2)]);
    add_block(&mut store, "b1", 41, 45);
    let yesterday = store.begin_session(at(500)).unwrap();
    store
        .end_session(yesterday, "consent.declined", at(600))
        .unwrap();
    let confirmed = store.begin_session(at(1_000)).unwrap();
    let candidate = registration(&store, 1);
    store
        .confirm(
            confirmed,
            &draft(&candidate, vec![]),
            sitting(),
            4,
            at(1_100),
        )
        .unwrap();
    store
        .end_session(confirmed, "confirmed", at(1_100))
        .unwrap();
    let rejected = store.begin_session(at(2_000)).unwrap();
    store
        .end_session(rejected, "staff.rejected", at(2_500))
        .unwrap();
    let running = store.begin_session(at(3_000)).unwrap();

    let rows = store.sessions_since(at(1_000), 100).unwrap();
    let sessions: Vec<i64> = rows.iter().map(|row| row.session).collect();
    assert_eq!(sessions, vec![running.0, rejected.0, confirmed.0]);
    assert_eq!(rows[0].outcome, None);
    assert_eq!(rows[0].ended_at, None);
    assert_eq!(rows[1].outcome.as_deref(), Some("staff.rejected"));
    assert_eq!(rows[1].admission_number, None);
    assert_eq!(rows[2].outcome.as_deref(), Some("confirmed"));
    assert_eq!(rows[2].registration_id.as_deref(), Some("r00001"));
    assert_eq!(rows[2].admission_number.as_deref(), Some("420126200041"));
    assert!(!rows[2].synced);
    assert_eq!(store.sessions_since(at(1_000), 1).unwrap().len(), 1);
    assert!(store.sessions_since(at(9_000), 100).unwrap().is_empty());
}
