//! Security through the kiosk: the candidate side reaches no staff command, staff roles and the
//! override rule, lock-out and unlock, consent records and the staff-only path, the retention job
//! at start and from the timer.

use std::time::Duration;

use zk_app::{AppConfig, AppError, ManualClock, StaffCommand};
use zk_domain::confirmation::Phase;
use zk_domain::{Input, Mode, ReasonCode, StaffAction, StaffRefusal, Step};
use zk_drivers::SimIdCardReader;
use zk_store::{Store, StoreError};

use crate::flow::kiosk::{clock_now, default_scores, demo_card, kiosk_with, sign_in};

const START: i64 = 1_800_000_000_000;

fn kiosk_for(
    config: &AppConfig,
    scores: zk_app::SimScores,
    clock: &ManualClock,
) -> (zk_app::Kiosk, std::sync::mpsc::Receiver<zk_app::KioskEvent>) {
    kiosk_with(
        config,
        Store::open_in_memory().unwrap(),
        Box::new(SimIdCardReader::from_events(vec![demo_card(0)])),
        scores,
        clock.clone(),
    )
}

fn is_refusal(result: &Result<impl std::fmt::Debug, AppError>, expected: &StaffRefusal) -> bool {
    matches!(result, Err(AppError::Staff(refusal)) if refusal == expected)
}

fn audit_has(kiosk: &zk_app::Kiosk, actor: &str, action: &str) -> bool {
    kiosk.store().verify_audit().unwrap();
    kiosk
        .store()
        .audit_rows()
        .unwrap()
        .iter()
        .any(|row| row.actor == actor && row.action == action)
}

#[test]
fn the_candidate_side_reaches_no_staff_command() {
    let clock = ManualClock::at(START);
    let (mut kiosk, _) = kiosk_for(&AppConfig::default(), default_scores(), &clock);
    kiosk.start_session().unwrap();
    // 1. Every staff input through the candidate entry point is refused, whatever operator id
    //    it names, and changes nothing.
    let staff_inputs = [
        Input::StaffTakeover {
            operator: "t-admin".into(),
        },
        Input::StaffDecision {
            operator: "t-admin".into(),
            approve: true,
            reason: None,
            note: "forged".into(),
        },
        Input::StaffDecision {
            operator: "t-admin".into(),
            approve: false,
            reason: None,
            note: "forged".into(),
        },
        Input::Cancel {
            operator: "t-admin".into(),
        },
    ];
    for input in staff_inputs {
        let name = format!("{input:?}");
        assert!(
            matches!(kiosk.handle(input), Err(AppError::StaffOnly(_))),
            "{name} was not refused"
        );
    }
    assert_eq!(
        kiosk.view().unwrap().phase,
        Phase::InProgress {
            step: Step::Consent,
            mode: Mode::Auto
        }
    );

    // 2. A token is needed for every staff command; one that was signed out (the only way the
    //    candidate side could hold one) or timed out is refused.
    let operator = sign_in(&mut kiosk, "t-op");
    kiosk.sign_out(&operator).unwrap();
    for command in StaffCommand::examples() {
        let name = command.name();
        assert!(
            is_refusal(&kiosk.staff(&operator, command), &StaffRefusal::NotSignedIn),
            "{name} with a signed-out token"
        );
    }
    assert!(is_refusal(
        &kiosk.purge(&operator, true),
        &StaffRefusal::NotSignedIn
    ));
    assert!(is_refusal(
        &kiosk.rotate_key(&operator),
        &StaffRefusal::NotSignedIn
    ));
    assert!(is_refusal(
        &kiosk.unlock_operator(&operator, "t-op"),
        &StaffRefusal::NotSignedIn
    ));

    let operator = sign_in(&mut kiosk, "t-op");
    clock.advance(Duration::from_secs(16 * 60));
    for command in StaffCommand::examples() {
        let name = command.name();
        let result = kiosk.staff(&operator, command);
        assert!(
            is_refusal(&result, &StaffRefusal::SessionExpired)
                || is_refusal(&result, &StaffRefusal::NotSignedIn),
            "{name} with a timed-out token: {result:?}"
        );
    }

    // 3. An operator cannot do admin work.
    let operator = sign_in(&mut kiosk, "t-op");
    let too_low = |result: &Result<(), AppError>| {
        matches!(
            result,
            Err(AppError::Staff(StaffRefusal::RoleTooLow { .. }))
        )
    };
    assert!(too_low(&kiosk.purge(&operator, true).map(|_| ())));
    assert!(too_low(&kiosk.rotate_key(&operator).map(|_| ())));
    assert!(too_low(&kiosk.unlock_operator(&operator, "t-rev")));
    for action in StaffAction::ALL
        .into_iter()
        .filter(|action| action.required_role() == zk_domain::Role::Admin)
    {
        assert!(
            too_low(&kiosk.staff_store(&operator, action).map(|_| ())),
            "{action:?}"
        );
    }
    // The store is never handed out for a non-admin action, even to an admin.
    let admin = sign_in(&mut kiosk, "t-admin");
    assert!(matches!(
        kiosk.staff_store(&admin, StaffAction::Decide).map(|_| ()),
        Err(AppError::StaffOnly(_))
    ));
    assert!(kiosk.purge(&admin, true).is_ok());
    // Sign-ins and sign-outs are in the audit log.
    assert!(audit_has(&kiosk, "t-op", "signin"));
    assert!(audit_has(&kiosk, "t-op", "signout"));
}

#[test]
fn overriding_a_failed_match_needs_a_reviewer_and_by_policy_a_second_person() {
    let clock = ManualClock::at(START);
    let mut config = AppConfig::default();
    config.security.override_needs_second_person = true;
    let mut scores = default_scores();
    scores.lip_sync = 0.05; // every liveness attempt fails
    let (mut kiosk, _) = kiosk_for(&config, scores, &clock);
    kiosk.start_session().unwrap();
    kiosk.give_consent().unwrap();
    kiosk.handle(Input::Retry).unwrap();
    let view = kiosk.handle(Input::Retry).unwrap();
    assert_eq!(
        view.phase,
        Phase::InProgress {
            step: Step::Liveness,
            mode: Mode::Staff {
                reason: Some(ReasonCode::TooManyAttempts)
            }
        }
    );
    let operator = sign_in(&mut kiosk, "t-op");
    let reviewer = sign_in(&mut kiosk, "t-rev");
    let approve = |second: Option<zk_app::StaffToken>| StaffCommand::Approve {
        reason: Some(ReasonCode::LipSyncLow),
        note: "compared the face with the card photo".into(),
        second,
    };
    assert!(matches!(
        kiosk.staff(&operator, approve(None)),
        Err(AppError::Staff(StaffRefusal::RoleTooLow { .. }))
    ));
    assert!(is_refusal(
        &kiosk.staff(&reviewer, approve(None)),
        &StaffRefusal::SecondPersonRequired
    ));
    assert!(is_refusal(
        &kiosk.staff(&reviewer, approve(Some(reviewer.clone()))),
        &StaffRefusal::SecondPersonIsTheSame
    ));
    // An operator may still reject (no override), but here the reviewer approves with a second.
    let view = kiosk.staff(&reviewer, approve(Some(operator))).unwrap();
    // Liveness approved; the photo step ran and passed.
    assert!(
        matches!(
            view.phase,
            Phase::InProgress {
                step: Step::Pledge,
                ..
            }
        ),
        "{view:?}"
    );
    assert!(audit_has(&kiosk, "t-rev", "staff.override"));
    assert!(audit_has(&kiosk, "t-rev", "staff.decision"));
    let attempts = kiosk.store().attempts(zk_store::SessionId(1)).unwrap();
    let liveness = attempts
        .iter()
        .rev()
        .find(|outcome| outcome.step == Step::Liveness)
        .unwrap();
    assert_eq!(
        liveness.operator.as_deref(),
        Some("t-rev"),
        "the decision carries the operator id"
    );
}

#[test]
fn lock_out_after_repeated_wrong_pins_and_an_admin_unlocks() {
    let clock = ManualClock::at(START);
    let mut config = AppConfig::default();
    config.security.max_failed_sign_ins = 3;
    let (mut kiosk, _) = kiosk_for(&config, default_scores(), &clock);
    for _ in 0..2 {
        assert!(matches!(
            kiosk.sign_in("t-op", "wrong"),
            Err(AppError::Store(StoreError::SignInRefused))
        ));
    }
    assert!(matches!(
        kiosk.sign_in("t-op", "wrong"),
        Err(AppError::Store(StoreError::OperatorLocked { .. }))
    ));
    assert!(matches!(
        kiosk.sign_in("t-op", "op-pin-1"),
        Err(AppError::Store(StoreError::OperatorLocked { .. }))
    ));
    let reviewer = sign_in(&mut kiosk, "t-rev");
    assert!(matches!(
        kiosk.unlock_operator(&reviewer, "t-op"),
        Err(AppError::Staff(StaffRefusal::RoleTooLow { .. }))
    ));
    let admin = sign_in(&mut kiosk, "t-admin");
    kiosk.unlock_operator(&admin, "t-op").unwrap();
    sign_in(&mut kiosk, "t-op");
    assert!(audit_has(&kiosk, "t-op", "operator.locked"));
    assert!(audit_has(&kiosk, "t-admin", "operator.unlock"));
}

#[test]
fn declined_consent_is_recorded_and_routes_the_face_steps_to_staff() {
    let clock = ManualClock::at(START);
    let (mut kiosk, _) = kiosk_for(&AppConfig::default(), default_scores(), &clock);
    kiosk.start_session().unwrap();
    // A stale text version is refused.
    assert!(matches!(
        kiosk.handle(Input::ConsentGiven {
            version: "consent-1999-v1".into()
        }),
        Err(AppError::Rejected { .. })
    ));
    let view = kiosk.decline_consent().unwrap();
    assert_eq!(
        view.phase,
        Phase::InProgress {
            step: Step::Liveness,
            mode: Mode::Staff {
                reason: Some(ReasonCode::ConsentDeclined)
            }
        },
        "the card was read, then staff check the person by hand"
    );
    let record = kiosk
        .store()
        .consent(zk_store::SessionId(1))
        .unwrap()
        .unwrap();
    assert!(!record.accepted);
    assert_eq!(record.version, kiosk.consent_version());
    assert_eq!(record.text_sha256, kiosk.consent_text().sha256);
    assert_eq!(record.at, clock_now(&clock));
    assert!(audit_has(&kiosk, "candidate", "consent.declined"));
    // The document check is a staff decision (no override: nothing failed), by an operator.
    let operator = sign_in(&mut kiosk, "t-op");
    let view = kiosk
        .staff(
            &operator,
            StaffCommand::Approve {
                reason: None,
                note: "documents and face checked by hand".into(),
                second: None,
            },
        )
        .unwrap();
    // The photo is taken without a face comparison, and the flow goes on.
    assert!(
        matches!(
            view.phase,
            Phase::InProgress {
                step: Step::Pledge,
                ..
            }
        ),
        "{view:?}"
    );
}

#[test]
fn the_retention_job_runs_at_start_and_daily_from_the_timer() {
    let clock = ManualClock::at(START);
    let dir = zk_tests::temp_dir();
    // A session whose candidate walked away leaves a card photo and a clip behind.
    let (mut kiosk, _) = kiosk_with(
        &AppConfig::default(),
        Store::open(dir.path()).unwrap(),
        Box::new(SimIdCardReader::from_events(vec![demo_card(0)])),
        default_scores(),
        clock.clone(),
    );
    kiosk.start_session().unwrap();
    kiosk.give_consent().unwrap();
    let operator = sign_in(&mut kiosk, "t-op");
    kiosk.staff(&operator, StaffCommand::TakeOver).unwrap();
    kiosk.staff(&operator, StaffCommand::Cancel).unwrap();
    assert!(audit_has(&kiosk, "t-op", "staff.takeover"));
    assert!(
        audit_has(&kiosk, "t-op", "staff.decision"),
        "the cancel is a decision"
    );
    let kept = kiosk.store().retention_facts().unwrap();
    assert!(kept.len() >= 2, "{kept:?}");
    // Next day: not due yet.
    clock.advance(Duration::from_secs(24 * 3600));
    kiosk.maintenance().unwrap();
    assert_eq!(kiosk.store().retention_facts().unwrap().len(), kept.len());
    // Eight days after: the daily run erases them.
    clock.advance(Duration::from_secs(7 * 24 * 3600));
    kiosk.maintenance().unwrap();
    assert!(kiosk.store().retention_facts().unwrap().is_empty());
    for facts in &kept {
        assert!(matches!(
            kiosk.store().get_artefact(&facts.id),
            Err(StoreError::ArtefactPurged { .. })
        ));
    }
    assert!(audit_has(&kiosk, "retention", "artefacts.purge"));
    // Within the same day the timer does not run it again.
    let purges = |kiosk: &zk_app::Kiosk| {
        kiosk
            .store()
            .audit_rows()
            .unwrap()
            .iter()
            .filter(|row| row.action == "artefacts.purge")
            .count()
    };
    let before = purges(&kiosk);
    clock.advance(Duration::from_secs(3600));
    kiosk.maintenance().unwrap();
    assert_eq!(purges(&kiosk), before);
}
