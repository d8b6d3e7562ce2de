use super::*;
use crate::admission::Sitting;
use crate::id_card::{Ethnicity, Sex, Validity};
use crate::name::PersonName;
use crate::roster::{IdType, Level, RegistrationStatus};
use expect_test::{expect, Expect};

fn date(y: i32, m: u32, d: u32) -> Date {
    Date::from_ymd_opt(y, m, d).unwrap()
}

fn config() -> FlowConfig {
    FlowConfig {
        site_districts: vec!["4201".into()],
        ..FlowConfig::new(date(2026, 10, 24))
    }
}

fn card() -> IdCard {
    IdCard {
        card_type: crate::id_card::CardType::Resident,
        name: PersonName::new("李明"),
        name_en: None,
        sex: Sex::Male,
        ethnicity: Some(Ethnicity::from_code(1)),
        birth_date: date(1990, 3, 7),
        address: Some("湖北省武汉市".into()),
        extra_addresses: Vec::new(),
        number: "110101199003070011".into(),
        authority: "武汉市公安局".into(),
        valid_from: date(2015, 1, 1),
        valid_to: Validity::Until(date(2035, 1, 1)),
        permit_number: None,
        issue_count: None,
        nationality: None,
        photo: CardPhoto::Decoded(vec![0xFF, 0xD8]),
    }
}

fn registration() -> Registration {
    Registration {
        registration_id: "R0001".into(),
        id_type: IdType::ResidentCard,
        id_number: "110101199003070011".into(),
        name: PersonName::new("李明"),
        sex: Sex::Male,
        ethnicity: Some(Ethnicity::from_code(1)),
        birth_date: date(1990, 3, 7),
        phone: None,
        district_code: "4201".into(),
        major_code: "C050201".into(),
        major_name: "英语".into(),
        level: Level::Benke,
        status: RegistrationStatus::Registered,
    }
}

fn card_read(card: IdCard, registration: Option<Registration>) -> Input {
    Input::CardRead {
        card: Box::new(card),
        registration: registration.map(Box::new),
        source: CardSource::Chip,
        photo: Some(ArtefactId("a-idphoto".into())),
    }
}

fn challenge(now: Timestamp) -> Input {
    Input::ChallengeDrawn(Challenge::from_digits(&[3, 7, 5, 9, 2, 1], now).unwrap())
}

fn scored(decision: Decision) -> Verdict {
    Verdict {
        decision,
        scores: vec![Score::new("face_distance_median", 0.31, 0.4)],
        model_version: "test-v1".into(),
    }
}

fn staff(approve: bool) -> Input {
    Input::StaffDecision {
        operator: "op7".into(),
        approve,
        reason: None,
        note: "checked the documents".into(),
    }
}

fn admission() -> AdmissionNumber {
    AdmissionNumber::new(
        "4201",
        Sitting {
            year: 26,
            season: 2,
        },
        17,
    )
    .unwrap()
}

/// Renders `input → phase | effects` lines for transcript snapshots.
fn render(machine: &Confirmation, input: &str, effects: &[Effect]) -> String {
    let phase = match machine.phase() {
        Phase::InProgress {
            step,
            mode: Mode::Auto,
        } => format!("{step}"),
        Phase::InProgress {
            step,
            mode: Mode::Staff { reason },
        } => {
            format!("{step}[staff:{}]", reason.map_or("-", ReasonCode::code))
        }
        Phase::Confirmed { admission_number } => format!("confirmed {admission_number}"),
        Phase::Ended { reason } => format!("ended {reason}"),
    };
    let effects: Vec<String> = effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Notify(_) => None,
            Effect::ReadCard => Some("ReadCard".into()),
            Effect::ReadCardByCamera => Some("ReadCardByCamera".into()),
            Effect::DrawChallenge { len } => Some(format!("DrawChallenge({len})")),
            Effect::RecordLiveness { challenge, secs } => {
                Some(format!("RecordLiveness({}, {secs}s)", challenge.as_text()))
            }
            Effect::CapturePhoto { compare_face } => {
                Some(format!("CapturePhoto(compare={compare_face})"))
            }
            Effect::ShowPledge => Some("ShowPledge".into()),
            Effect::CaptureSignature => Some("CaptureSignature".into()),
            Effect::RecordOutcome(o) => Some(format!(
                "Record({} #{} {}{}{})",
                o.step,
                o.attempt,
                o.decision.code(),
                o.decision
                    .reason()
                    .map(|r| format!(":{r}"))
                    .unwrap_or_default(),
                o.operator
                    .as_ref()
                    .map(|op| format!(" by {op}"))
                    .unwrap_or_default()
            )),
            Effect::RequestStaff { step, reason } => Some(format!(
                "RequestStaff({step}, {})",
                reason.map_or("-", ReasonCode::code)
            )),
            Effect::Commit(draft) => Some(format!(
                "Commit({}, {} outcomes, {} artefacts)",
                draft.registration_id,
                draft.outcomes.len(),
                draft.artefacts.len()
            )),
            Effect::EndSession { confirmed, reason } => Some(format!(
                "EndSession(confirmed={confirmed}, {})",
                reason.map_or("-", ReasonCode::code)
            )),
            Effect::Rejected { input, why } => Some(format!("Rejected({input}: {why})")),
        })
        .collect();
    format!("{input:<22} → {phase:<34} | {}\n", effects.join(", "))
}

/// Feeds inputs one per second and snapshots the transcript.
fn transcript(inputs: Vec<(&str, Input)>, expected: Expect) -> Confirmation {
    let mut now = Timestamp::from_millis(1_000_000);
    let (mut machine, _) = Confirmation::start(config(), now);
    let mut out = String::new();
    for (label, input) in inputs {
        now = now.plus(Duration::from_secs(1));
        let input = match input {
            Input::ChallengeDrawn(_) => challenge(now),
            other => other,
        };
        let effects = machine.handle(input, now);
        out.push_str(&render(&machine, label, &effects));
    }
    expected.assert_eq(&out);
    machine
}

fn happy_inputs() -> Vec<(&'static str, Input)> {
    vec![
        (
            "consent",
            Input::ConsentGiven {
                version: "consent-v1".into(),
            },
        ),
        ("card", card_read(card(), Some(registration()))),
        ("challenge", challenge(Timestamp::from_millis(0))),
        (
            "liveness pass",
            Input::LivenessChecked {
                verdict: scored(Decision::Pass),
                clip: Some(ArtefactId("a-clip".into())),
            },
        ),
        (
            "photo pass",
            Input::PhotoChecked {
                verdict: scored(Decision::Pass),
                photo: Some(ArtefactId("a-photo".into())),
            },
        ),
        (
            "pledge",
            Input::PledgeAccepted {
                declaration: vec![("fever".into(), false)],
            },
        ),
        (
            "signature",
            Input::SignatureCaptured {
                verdict: Verdict::pass("signature-checks-v1"),
                image: Some(ArtefactId("a-sig".into())),
                strokes: Some(ArtefactId("a-strokes".into())),
            },
        ),
        ("signature accepted", Input::SignatureAccepted),
    ]
}

#[test]
fn a_signature_is_shown_back_and_can_be_redone() {
    let (mut machine, now) = at_step(Step::Signature);
    let captured = |name: &str| Input::SignatureCaptured {
        verdict: Verdict::pass("signature-checks-v1"),
        image: Some(ArtefactId(format!("{name}-img"))),
        strokes: Some(ArtefactId(format!("{name}-strokes"))),
    };
    // Nothing to accept yet.
    let effects = machine.handle(Input::SignatureAccepted, now);
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Rejected { .. })),
        "{effects:?}"
    );
    let effects = machine.handle(captured("first"), now);
    assert_eq!(machine.step(), Some(Step::Signature));
    assert_eq!(
        machine.view(now).signature_preview,
        Some(ArtefactId("first-img".into()))
    );
    assert!(!effects
        .iter()
        .any(|e| matches!(e, Effect::RecordOutcome(_))));
    // Clear and sign again: a new capture, the old image is gone.
    let effects = machine.handle(Input::Retry, now);
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::CaptureSignature)));
    assert_eq!(machine.view(now).signature_preview, None);
    machine.handle(captured("second"), now);
    let effects = machine.handle(Input::SignatureAccepted, now);
    assert_eq!(machine.step(), Some(Step::Commit));
    let draft = effects
        .iter()
        .find_map(|e| {
            if let Effect::Commit(d) = e {
                Some(d.clone())
            } else {
                None
            }
        })
        .expect("commit effect");
    assert!(draft.artefacts.contains(&(
        ArtefactKind::SignatureImage,
        ArtefactId("second-img".into())
    )));
    assert!(!draft
        .artefacts
        .iter()
        .any(|(_, id)| id.0.starts_with("first")));
}

#[test]
fn happy_path_transcript() {
    let mut inputs = happy_inputs();
    inputs.push((
        "committed",
        Input::Committed {
            admission_number: admission(),
        },
    ));
    inputs.push(("late retry", Input::Retry));
    let machine = transcript(
        inputs,
        expect![[r#"
            consent                → id_card                            | Record(consent #1 pass), ReadCard
            card                   → liveness                           | Record(id_card #1 pass), DrawChallenge(6)
            challenge              → liveness                           | RecordLiveness(375921, 4s)
            liveness pass          → photo                              | Record(liveness #1 pass), CapturePhoto(compare=true)
            photo pass             → pledge                             | Record(photo #1 pass), ShowPledge
            pledge                 → signature                          | Record(pledge #1 pass), CaptureSignature
            signature              → signature                          | 
            signature accepted     → commit                             | Record(signature #1 pass), Commit(R0001, 6 outcomes, 5 artefacts)
            committed              → confirmed 420126200017             | EndSession(confirmed=true, -)
            late retry             → confirmed 420126200017             | Rejected(Retry: the session is over)
        "#]],
    );
    assert_eq!(machine.outcomes().len(), 6);
}

#[test]
fn commit_draft_carries_everything() {
    let mut now = Timestamp::from_millis(5_000);
    let (mut machine, _) = Confirmation::start(config(), now);
    let mut last = Vec::new();
    for (_, input) in happy_inputs() {
        now = now.plus(Duration::from_secs(1));
        let input = if let Input::ChallengeDrawn(_) = input {
            challenge(now)
        } else {
            input
        };
        last = machine.handle(input, now);
    }
    let draft = last
        .iter()
        .find_map(|e| {
            if let Effect::Commit(d) = e {
                Some(d.clone())
            } else {
                None
            }
        })
        .expect("commit effect");
    assert_eq!(draft.registration_id, "R0001");
    assert_eq!(draft.id_number, "110101199003070011");
    assert_eq!(draft.district_code, "4201");
    assert_eq!(draft.consent_version.as_deref(), Some("consent-v1"));
    assert_eq!(draft.card_source, CardSource::Chip);
    assert_eq!(draft.declaration, vec![("fever".to_owned(), false)]);
    let kinds: Vec<ArtefactKind> = draft.artefacts.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        kinds,
        [
            ArtefactKind::IdPhoto,
            ArtefactKind::LivenessClip,
            ArtefactKind::RegistrationPhoto,
            ArtefactKind::SignatureImage,
            ArtefactKind::SignatureStrokes
        ]
    );
    let liveness = draft
        .outcomes
        .iter()
        .find(|o| o.step == Step::Liveness)
        .unwrap();
    assert_eq!(
        liveness.scores,
        vec![Score::new("face_distance_median", 0.31, 0.4)]
    );
    assert_eq!(liveness.model_version, "test-v1");
}

#[test]
fn three_failures_route_to_staff_who_approve() {
    let failed = || Input::LivenessChecked {
        verdict: scored(Decision::Fail(ReasonCode::LipSyncLow)),
        clip: None,
    };
    let inputs = vec![
        (
            "consent",
            Input::ConsentGiven {
                version: "consent-v1".into(),
            },
        ),
        ("card", card_read(card(), Some(registration()))),
        ("challenge", challenge(Timestamp::from_millis(0))),
        ("liveness fail 1", failed()),
        ("retry", Input::Retry),
        ("challenge", challenge(Timestamp::from_millis(0))),
        ("liveness fail 2", failed()),
        ("retry", Input::Retry),
        ("challenge", challenge(Timestamp::from_millis(0))),
        ("liveness fail 3", failed()),
        (
            "early decision w/o note",
            Input::StaffDecision {
                operator: "op7".into(),
                approve: true,
                reason: None,
                note: " ".into(),
            },
        ),
        ("staff approve", staff(true)),
    ];
    transcript(
        inputs,
        expect![[r#"
            consent                → id_card                            | Record(consent #1 pass), ReadCard
            card                   → liveness                           | Record(id_card #1 pass), DrawChallenge(6)
            challenge              → liveness                           | RecordLiveness(375921, 4s)
            liveness fail 1        → liveness                           | Record(liveness #1 fail:liveness.lip_sync)
            retry                  → liveness                           | DrawChallenge(6)
            challenge              → liveness                           | RecordLiveness(375921, 4s)
            liveness fail 2        → liveness                           | Record(liveness #2 fail:liveness.lip_sync)
            retry                  → liveness                           | DrawChallenge(6)
            challenge              → liveness                           | RecordLiveness(375921, 4s)
            liveness fail 3        → liveness[staff:step.too_many_attempts] | Record(liveness #3 fail:liveness.lip_sync), RequestStaff(liveness, step.too_many_attempts)
            early decision w/o note → liveness[staff:step.too_many_attempts] | Rejected(StaffDecision: an operator and a note are required)
            staff approve          → photo                              | Record(liveness #3 pass by op7), CapturePhoto(compare=true)
        "#]],
    );
}

#[test]
fn name_mismatch_goes_to_review_and_staff_can_reject() {
    let other_name = Registration {
        name: PersonName::new("李敏"),
        ..registration()
    };
    transcript(
        vec![
            (
                "consent",
                Input::ConsentGiven {
                    version: "consent-v1".into(),
                },
            ),
            ("card (name differs)", card_read(card(), Some(other_name))),
            ("staff reject", staff(false)),
            ("retry after end", Input::Retry),
        ],
        expect![[r#"
            consent                → id_card                            | Record(consent #1 pass), ReadCard
            card (name differs)    → id_card[staff:roster.name_differs] | Record(id_card #1 review:roster.name_differs), RequestStaff(id_card, roster.name_differs)
            staff reject           → ended staff.rejected               | Record(id_card #1 fail:roster.name_differs by op7), EndSession(confirmed=false, staff.rejected)
            retry after end        → ended staff.rejected               | Rejected(Retry: the session is over)
        "#]],
    );
}

#[test]
fn card_reasons_each_distinct() {
    let cases: Vec<(IdCard, Option<Registration>, Decision)> = vec![
        (card(), None, Decision::Fail(ReasonCode::NoRegistration)),
        (
            card(),
            Some(Registration {
                status: RegistrationStatus::Confirmed,
                ..registration()
            }),
            Decision::Fail(ReasonCode::AlreadyConfirmed),
        ),
        (
            card(),
            Some(Registration {
                status: RegistrationStatus::Cancelled,
                ..registration()
            }),
            Decision::Fail(ReasonCode::RegistrationCancelled),
        ),
        (
            card(),
            Some(Registration {
                district_code: "4301".into(),
                ..registration()
            }),
            Decision::Fail(ReasonCode::OtherSite),
        ),
        (
            card(),
            Some(Registration {
                id_type: IdType::HmtPermit,
                ..registration()
            }),
            Decision::Fail(ReasonCode::DocumentTypeDiffers),
        ),
        (
            card(),
            Some(Registration {
                name: PersonName::new("李敏"),
                ..registration()
            }),
            Decision::Review(ReasonCode::NameDiffers),
        ),
        (
            card(),
            Some(Registration {
                sex: Sex::Female,
                ..registration()
            }),
            Decision::Review(ReasonCode::SexDiffers),
        ),
        (
            card(),
            Some(Registration {
                birth_date: date(1990, 3, 8),
                ..registration()
            }),
            Decision::Review(ReasonCode::BirthDiffers),
        ),
        (
            IdCard {
                valid_to: Validity::Until(date(2026, 1, 1)),
                ..card()
            },
            Some(registration()),
            Decision::Fail(ReasonCode::CardExpired),
        ),
        (
            IdCard {
                valid_from: date(2027, 1, 1),
                ..card()
            },
            Some(registration()),
            Decision::Fail(ReasonCode::CardNotYetValid),
        ),
        (
            IdCard {
                number: "110101199003070012".into(),
                ..card()
            },
            Some(registration()),
            Decision::Review(ReasonCode::CardBadNumber),
        ),
        (
            IdCard {
                birth_date: date(1990, 3, 8),
                ..card()
            },
            Some(registration()),
            Decision::Review(ReasonCode::CardBirthMismatch),
        ),
        (
            IdCard {
                sex: Sex::Female,
                ..card()
            },
            Some(registration()),
            Decision::Review(ReasonCode::CardSexMismatch),
        ),
        (
            IdCard {
                photo: CardPhoto::Undecoded(vec![0; 1024]),
                ..card()
            },
            Some(registration()),
            Decision::Review(ReasonCode::PhotoUnavailable),
        ),
        (card(), Some(registration()), Decision::Pass),
    ];
    for (card, registration, expected) in cases {
        let now = Timestamp::from_millis(0);
        let (mut machine, _) = Confirmation::start(config(), now);
        machine.handle(
            Input::ConsentGiven {
                version: "v1".into(),
            },
            now,
        );
        let effects = machine.handle(card_read(card, registration), now);
        let recorded = effects.iter().find_map(|e| {
            if let Effect::RecordOutcome(o) = e {
                Some(o.decision)
            } else {
                None
            }
        });
        assert_eq!(recorded, Some(expected));
    }
}

#[test]
fn ocr_or_typed_card_always_needs_staff_confirmation() {
    let now = Timestamp::from_millis(0);
    let (mut machine, _) = Confirmation::start(config(), now);
    machine.handle(
        Input::ConsentGiven {
            version: "v1".into(),
        },
        now,
    );
    let effects = machine.handle(
        Input::CardRead {
            card: Box::new(card()),
            registration: Some(Box::new(registration())),
            source: CardSource::Ocr,
            photo: None,
        },
        now,
    );
    assert!(effects.iter().any(|e| matches!(
        e,
        Effect::RequestStaff {
            step: Step::IdCard,
            ..
        }
    )));
    machine.handle(staff(true), now);
    assert_eq!(machine.step(), Some(Step::Liveness));
}

#[test]
fn a_failed_chip_read_can_switch_to_the_camera_which_always_needs_staff() {
    let ocr_read = Input::CardRead {
        card: Box::new(card()),
        registration: Some(Box::new(registration())),
        source: CardSource::Ocr,
        photo: None,
    };
    transcript(
        vec![
            (
                "consent",
                Input::ConsentGiven {
                    version: "v1".into(),
                },
            ),
            (
                "chip fails",
                Input::DeviceFailed {
                    reason: ReasonCode::CardUnreadable,
                },
            ),
            ("use camera", Input::ReadCardWith(CardDevice::Camera)),
            (
                "camera fails",
                Input::DeviceFailed {
                    reason: ReasonCode::CardUnreadable,
                },
            ),
            ("retry", Input::Retry),
            ("ocr read", ocr_read),
            ("staff ok", staff(true)),
            ("at liveness", Input::ReadCardWith(CardDevice::Reader)),
        ],
        expect![[r#"
            consent                → id_card                            | Record(consent #1 pass), ReadCard
            chip fails             → id_card                            | Record(id_card #1 fail:card.unreadable)
            use camera             → id_card                            | ReadCardByCamera
            camera fails           → id_card                            | Record(id_card #2 fail:card.unreadable)
            retry                  → id_card                            | ReadCardByCamera
            ocr read               → id_card[staff:card.read_by_camera] | Record(id_card #3 review:card.read_by_camera), RequestStaff(id_card, card.read_by_camera)
            staff ok               → liveness                           | Record(id_card #3 pass by op7), DrawChallenge(6)
            at liveness            → liveness                           | Rejected(ReadCardWith: the card is read only at the card step)
        "#]],
    );
}

#[test]
fn a_desk_without_a_reader_starts_the_card_step_with_the_camera() {
    let now = Timestamp::from_millis(0);
    let mut flow = config();
    flow.card_device = CardDevice::Camera;
    let (mut machine, _) = Confirmation::start(flow, now);
    let effects = machine.handle(
        Input::ConsentGiven {
            version: "v1".into(),
        },
        now,
    );
    assert!(effects.contains(&Effect::ReadCardByCamera), "{effects:?}");
    assert_eq!(machine.view(now).card_device, CardDevice::Camera);
    let effects = machine.handle(Input::ReadCardWith(CardDevice::Reader), now);
    assert!(effects.contains(&Effect::ReadCard), "{effects:?}");
    assert_eq!(machine.view(now).card_device, CardDevice::Reader);
}

#[test]
fn declined_consent_takes_the_staff_path_without_face_processing() {
    transcript(
        vec![
            ("decline", Input::ConsentDeclined),
            (
                "card",
                card_read(
                    IdCard {
                        photo: CardPhoto::Undecoded(vec![0; 1024]),
                        ..card()
                    },
                    Some(registration()),
                ),
            ),
            ("staff check", staff(true)),
        ],
        expect![[r#"
            decline                → id_card                            | Record(consent #1 pass), ReadCard
            card                   → liveness[staff:consent.declined]   | Record(id_card #1 pass), RequestStaff(liveness, consent.declined)
            staff check            → photo                              | Record(liveness #1 pass by op7), CapturePhoto(compare=false)
        "#]],
    );
}

#[test]
fn commit_failure_without_serials_needs_staff_then_commits() {
    let mut inputs = happy_inputs();
    inputs.push((
        "commit: no serial",
        Input::CommitFailed {
            reason: ReasonCode::NoSerial,
        },
    ));
    inputs.push(("staff: blocks added", staff(true)));
    inputs.push((
        "committed",
        Input::Committed {
            admission_number: admission(),
        },
    ));
    let transcript_text = {
        let mut now = Timestamp::from_millis(0);
        let (mut machine, _) = Confirmation::start(config(), now);
        let mut out = String::new();
        for (label, input) in inputs {
            now = now.plus(Duration::from_secs(1));
            let input = if let Input::ChallengeDrawn(_) = input {
                challenge(now)
            } else {
                input
            };
            let effects = machine.handle(input, now);
            out.push_str(&render(&machine, label, &effects));
        }
        out
    };
    let tail: Vec<&str> = transcript_text.lines().skip(7).collect();
    expect![[r#"
        signature accepted     → commit                             | Record(signature #1 pass), Commit(R0001, 6 outcomes, 5 artefacts)
        commit: no serial      → commit[staff:commit.no_serial]     | Record(commit #1 review:commit.no_serial), RequestStaff(commit, commit.no_serial)
        staff: blocks added    → commit                             | Commit(R0001, 6 outcomes, 5 artefacts)
        committed              → confirmed 420126200017             | EndSession(confirmed=true, -)"#]]
    .assert_eq(&tail.join("\n"));
}

#[test]
fn idle_warning_then_wipe_and_step_timeout() {
    let start = Timestamp::from_millis(0);
    let (mut machine, _) = Confirmation::start(config(), start);
    // Nothing due: a tick is silent.
    assert!(machine
        .handle(Input::Tick, start.plus(Duration::from_secs(10)))
        .is_empty());
    // Warning at idle_timeout - idle_warning (120 - 30 = 90 s), once.
    let effects = machine.handle(Input::Tick, start.plus(Duration::from_secs(90)));
    let Some(Effect::Notify(view)) = effects.first() else {
        panic!("expected a notification: {effects:?}")
    };
    assert_eq!(view.idle_warning_secs, Some(30));
    assert!(machine
        .handle(Input::Tick, start.plus(Duration::from_secs(95)))
        .is_empty());
    // Activity clears the warning.
    machine.handle(Input::Activity, start.plus(Duration::from_secs(100)));
    assert_eq!(
        machine
            .view(start.plus(Duration::from_secs(100)))
            .idle_warning_secs,
        None
    );
    let effects = machine.handle(Input::Tick, start.plus(Duration::from_secs(220)));
    assert!(effects.contains(&Effect::EndSession {
        confirmed: false,
        reason: Some(ReasonCode::Abandoned)
    }));
    assert_eq!(
        machine.phase(),
        &Phase::Ended {
            reason: ReasonCode::Abandoned
        }
    );

    // A device that never answers: the step times out as a failed attempt.
    let (mut machine, _) = Confirmation::start(
        FlowConfig {
            idle_timeout: Duration::from_secs(600),
            ..config()
        },
        start,
    );
    machine.handle(
        Input::ConsentGiven {
            version: "v1".into(),
        },
        start,
    );
    let effects = machine.handle(Input::Tick, start.plus(Duration::from_secs(61)));
    assert!(effects.iter().any(|e| matches!(e, Effect::RecordOutcome(o) if o.decision == Decision::Fail(ReasonCode::Timeout))));
    assert_eq!(machine.step(), Some(Step::IdCard));
}

#[test]
fn expired_challenge_fails_the_attempt() {
    let start = Timestamp::from_millis(0);
    let (mut machine, _) = Confirmation::start(
        FlowConfig {
            idle_timeout: Duration::from_secs(3600),
            step_timeout: Duration::from_secs(3600),
            ..config()
        },
        start,
    );
    machine.handle(
        Input::ConsentGiven {
            version: "v1".into(),
        },
        start,
    );
    machine.handle(card_read(card(), Some(registration())), start);
    machine.handle(challenge(start), start);
    let late = start.plus(crate::challenge::CHALLENGE_TTL + Duration::from_secs(1));
    let effects = machine.handle(
        Input::LivenessChecked {
            verdict: scored(Decision::Pass),
            clip: None,
        },
        late,
    );
    assert!(effects.iter().any(|e| matches!(e, Effect::RecordOutcome(o) if o.decision == Decision::Fail(ReasonCode::ChallengeExpired))));
}

#[test]
fn stale_and_misplaced_inputs_are_rejected_without_change() {
    let now = Timestamp::from_millis(0);
    let (mut machine, _) = Confirmation::start(config(), now);
    let effects = machine.handle(
        Input::PhotoChecked {
            verdict: scored(Decision::Pass),
            photo: None,
        },
        now,
    );
    assert_eq!(
        effects,
        vec![Effect::Rejected {
            input: "PhotoChecked",
            why: "not expected at this step"
        }]
    );
    let effects = machine.handle(staff(true), now);
    assert_eq!(
        effects,
        vec![Effect::Rejected {
            input: "StaffDecision",
            why: "take over the step first"
        }]
    );
    assert_eq!(machine.step(), Some(Step::Consent));
    // Staff cannot approve the card step when there is no registration to confirm.
    machine.handle(
        Input::ConsentGiven {
            version: "v1".into(),
        },
        now,
    );
    machine.handle(card_read(card(), None), now);
    machine.handle(
        Input::StaffTakeover {
            operator: "op7".into(),
        },
        now,
    );
    let effects = machine.handle(staff(true), now);
    assert!(matches!(
        effects.as_slice(),
        [Effect::Rejected {
            input: "StaffDecision",
            ..
        }]
    ));
}

/// Drives a fresh session to `step` along the happy path.
fn at_step(step: Step) -> (Confirmation, Timestamp) {
    let mut now = Timestamp::from_millis(0);
    let (mut machine, _) = Confirmation::start(config(), now);
    for (_, input) in happy_inputs() {
        if machine.step() == Some(step) {
            break;
        }
        now = now.plus(Duration::from_secs(1));
        let input = if let Input::ChallengeDrawn(_) = input {
            challenge(now)
        } else {
            input
        };
        machine.handle(input, now);
    }
    assert_eq!(machine.step(), Some(step));
    (machine, now)
}

#[test]
fn no_step_is_a_dead_end() {
    for step in Step::ALL {
        // Retry is always accepted and keeps the candidate at the step in automatic mode.
        let (mut machine, now) = at_step(step);
        let effects = machine.handle(Input::Retry, now);
        assert!(
            !effects.iter().any(|e| matches!(e, Effect::Rejected { .. })),
            "{step}: retry rejected"
        );
        assert_eq!(
            machine.phase(),
            &Phase::InProgress {
                step,
                mode: Mode::Auto
            }
        );

        // Staff can take over, and from staff mode retry, approve or reject.
        let (mut machine, now) = at_step(step);
        let effects = machine.handle(
            Input::StaffTakeover {
                operator: "op7".into(),
            },
            now,
        );
        assert!(
            effects.contains(&Effect::RequestStaff { step, reason: None }),
            "{step}: {effects:?}"
        );
        let mut approving = machine.clone();
        let mut rejecting = machine.clone();
        machine.handle(Input::Retry, now);
        assert_eq!(
            machine.phase(),
            &Phase::InProgress {
                step,
                mode: Mode::Auto
            },
            "{step}: retry from staff"
        );

        if step == Step::IdCard {
            // Approving needs a card and a registration: staff read (or type) it first.
            let differs = Registration {
                name: PersonName::new("李敏"),
                ..registration()
            };
            approving.handle(card_read(card(), Some(differs)), now);
        }
        let effects = approving.handle(staff(true), now);
        assert!(
            !effects.iter().any(|e| matches!(e, Effect::Rejected { .. })),
            "{step}: approve rejected {effects:?}"
        );
        match (step, approving.phase()) {
            (
                Step::Commit,
                Phase::InProgress {
                    step: Step::Commit,
                    mode: Mode::Auto,
                },
            ) => {
                assert!(effects.iter().any(|e| matches!(e, Effect::Commit(_))));
            }
            (_, Phase::InProgress { step: next, .. }) => {
                assert!(*next > step, "{step}: approve did not advance")
            }
            (_, other) => panic!("{step}: unexpected phase {other:?}"),
        }

        rejecting.handle(staff(false), now);
        assert_eq!(
            rejecting.phase(),
            &Phase::Ended {
                reason: ReasonCode::StaffRejected
            },
            "{step}"
        );

        // Staff can always cancel.
        let (mut machine, now) = at_step(step);
        machine.handle(
            Input::Cancel {
                operator: "op7".into(),
            },
            now,
        );
        assert_eq!(
            machine.phase(),
            &Phase::Ended {
                reason: ReasonCode::SessionCancelled
            }
        );
    }
}

#[test]
fn every_device_step_fails_over_to_staff_after_max_attempts() {
    for step in [
        Step::IdCard,
        Step::Liveness,
        Step::Photo,
        Step::Signature,
        Step::Commit,
    ] {
        let (mut machine, now) = at_step(step);
        for attempt in 1..=3 {
            if step == Step::Liveness {
                machine.handle(challenge(now), now);
            }
            let effects = machine.handle(
                Input::DeviceFailed {
                    reason: ReasonCode::CaptureFailed,
                },
                now,
            );
            let expected_staff = attempt == 3;
            assert_eq!(
                effects
                    .iter()
                    .any(|e| matches!(e, Effect::RequestStaff { .. })),
                expected_staff,
                "{step} attempt {attempt}: {effects:?}"
            );
            if !expected_staff {
                machine.handle(Input::Retry, now);
            }
        }
        assert_eq!(
            machine.phase(),
            &Phase::InProgress {
                step,
                mode: Mode::Staff {
                    reason: Some(ReasonCode::TooManyAttempts)
                }
            }
        );
    }
}

#[test]
fn debug_of_the_machine_leaks_nothing() {
    let (machine, _) = at_step(Step::Photo);
    let text = format!("{machine:?}");
    assert!(!text.contains("110101199003070011"), "{text}");
    assert!(!text.contains("李明"), "{text}");
}

#[test]
fn only_approving_over_a_failed_automatic_match_is_an_override() {
    let now = Timestamp::from_millis(0);
    let consent = || Input::ConsentGiven {
        version: "consent-v1".into(),
    };
    // Three failed liveness attempts: approving now overrides the matcher.
    let (mut machine, _) = Confirmation::start(config(), now);
    machine.handle(consent(), now);
    machine.handle(card_read(card(), Some(registration())), now);
    assert!(!machine.pending_override(), "automatic mode");
    for attempt in 1..=3 {
        machine.handle(challenge(now), now);
        machine.handle(
            Input::LivenessChecked {
                verdict: scored(Decision::Fail(ReasonCode::LipSyncLow)),
                clip: None,
            },
            now,
        );
        if attempt < 3 {
            assert!(!machine.pending_override(), "the candidate may still retry");
            machine.handle(Input::Retry, now);
        }
    }
    assert!(machine.pending_override());
    machine.handle(staff(true), now);
    assert!(!machine.pending_override(), "decided");

    // A review (name differs) is a manual review, not an override.
    let (mut machine, _) = Confirmation::start(config(), now);
    machine.handle(consent(), now);
    let other_name = Registration {
        name: PersonName::new("李敏"),
        ..registration()
    };
    machine.handle(card_read(card(), Some(other_name)), now);
    assert!(matches!(
        machine.phase(),
        Phase::InProgress {
            mode: Mode::Staff { .. },
            ..
        }
    ));
    assert!(!machine.pending_override());

    // Declined consent: the staff document check is not an override either; nor a takeover.
    let (mut machine, _) = Confirmation::start(config(), now);
    machine.handle(Input::ConsentDeclined, now);
    machine.handle(card_read(card(), Some(registration())), now);
    assert!(!machine.pending_override());
    let (mut machine, _) = Confirmation::start(config(), now);
    machine.handle(consent(), now);
    machine.handle(
        Input::StaffTakeover {
            operator: "op7".into(),
        },
        now,
    );
    assert!(!machine.pending_override());
}
