//! End to end with the simulators and a real file store: the demo's three candidates, what they
//! leave in the store, encryption at rest, device faults and the idle wipe.

use zk_app::AppConfig;
use zk_domain::RegistrationStatus;
use zk_store::Store;
use zk_tests::{assets, temp_dir};

fn run_demo(dir: &std::path::Path) -> zk_app::demo::DemoReport {
    let store = Store::open(dir).unwrap();
    let mut lines = Vec::new();
    let report = zk_app::demo::run(
        &AppConfig::default(),
        store,
        &assets(),
        &mut |line: &str| lines.push(line.to_owned()),
    )
    .unwrap_or_else(|error| panic!("demo failed: {error}\n{}", lines.join("\n")));
    assert!(
        lines.iter().any(|l| l.contains("digits shown and spoken")),
        "{}",
        lines.join("\n")
    );
    report
}

#[test]
fn demo_confirms_a_and_c_and_staff_reject_b() {
    let dir = temp_dir();
    let report = run_demo(dir.path());
    let by_label = |label: &str| {
        report
            .candidates
            .iter()
            .find(|c| c.label == label)
            .unwrap()
            .clone()
    };
    let a = by_label("A");
    let c = by_label("C");
    let b = by_label("B");
    assert!(
        a.admission_number
            .as_deref()
            .is_some_and(|n| n.len() == 12 && n.starts_with("4201271")),
        "{a:?}"
    );
    assert!(
        c.admission_number
            .as_deref()
            .is_some_and(|n| n.len() == 12 && n.starts_with("4202271")),
        "{c:?}"
    );
    assert_eq!(b.admission_number, None);
    assert_eq!(b.ended, Some(zk_domain::ReasonCode::StaffRejected));

    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.confirmations(10, 0).unwrap().len(), 2);
    let (pending, acked) = store.outbox_counts().unwrap();
    assert_eq!((pending, acked), (2, 0));
    let audit = store.verify_audit().unwrap();
    let rows = store.audit_rows().unwrap();
    assert_eq!(audit.rows as usize, rows.len());
    let count = |actor: &str, action: &str| {
        rows.iter()
            .filter(|row| row.actor == actor && row.action == action)
            .count()
    };
    assert_eq!(count("store", "key.created"), 1);
    assert_eq!(count("admin", "roster.import"), 1);
    assert_eq!(count("kiosk", "confirm"), 2);
    assert_eq!(count("candidate", "consent.accepted"), 3);
    assert_eq!(
        count("retention", "artefacts.purge"),
        1,
        "the purge at start"
    );
    // B rejected by the operator; C's failed liveness overridden by the reviewer.
    assert_eq!(count("demo-staff", "staff.decision"), 1);
    assert_eq!(count("demo-reviewer", "staff.decision"), 1);
    assert_eq!(count("demo-reviewer", "staff.override"), 1);
    assert_eq!(count("demo-staff", "signin"), 1);
    assert_eq!(count("demo-reviewer", "signout"), 1);
    // Every automatic decision too (A: 6 steps; B: consent, card; C: 3 failed liveness …).
    assert!(count("kiosk", "decision") >= 6 + 2 + 3, "{rows:#?}");
    // No personal data in the audit log.
    for row in &rows {
        for needle in ["110101199003070011", "李明", "王芳"] {
            assert!(!row.detail.contains(needle), "{row:?}");
        }
    }
    let counts = store.roster_counts().unwrap();
    assert_eq!(counts.confirmed, 2);
    let still_registered = store
        .registrations(Some(RegistrationStatus::Registered), 1000, 0)
        .unwrap();
    assert!(still_registered
        .iter()
        .any(|r| r.registration_id == "271420100002"));
}

#[test]
fn artefacts_are_encrypted_at_rest() {
    let dir = temp_dir();
    run_demo(dir.path());
    let mut database = std::fs::read(dir.path().join("desk.sqlite")).unwrap();
    if let Ok(wal) = std::fs::read(dir.path().join("desk.sqlite-wal")) {
        database.extend(wal);
    }
    let contains = |needle: &[u8]| database.windows(needle.len()).any(|w| w == needle);
    // Needles long enough never to turn up by chance in megabytes of ciphertext (a 3-byte JPEG
    // start marker would, about once in 16 MB).
    assert!(
        !contains(b"JFIF\0") && !contains(b"Exif\0\0"),
        "a plaintext JPEG is in the database"
    );
    assert!(!contains(b"WAVEfmt "), "a plaintext WAV is in the database");
    assert!(
        !contains(b"\x89PNG\r\n\x1a\n"),
        "a plaintext PNG is in the database"
    );
    // The stolen-file case for the roster and the outbox: no ID number, name or phone number of
    // any demo registration is in the files (they are sealed under the key kept apart).
    let roster = std::fs::read_to_string(zk_tests::assets().join("demo/roster.csv")).unwrap();
    for line in roster
        .lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
    {
        let fields: Vec<&str> = line.split(',').collect();
        let values = [
            ("ID number", fields[2]),
            ("name", fields[3]),
            ("phone", fields[7]),
        ];
        for (what, value) in values.into_iter().filter(|(_, value)| !value.is_empty()) {
            assert!(
                !contains(value.as_bytes()),
                "the {what} of registration {} is in the database files",
                fields[0]
            );
        }
    }
    // And a piece of a real demo photo, which the clip and the photos were made from.
    let photo = std::fs::read(zk_tests::assets().join("demo/candidate-a-live.jpg")).unwrap();
    let middle = &photo[photo.len() / 2..photo.len() / 2 + 32];
    assert!(!contains(middle), "demo photo bytes are in the database");
}

pub(crate) mod kiosk {
    use std::sync::mpsc::{channel, Receiver};
    use std::time::Duration;

    use rand::SeedableRng;
    use zk_app::{AppConfig, Devices, Kiosk, KioskEvent, ManualClock, SimFaceMatcher, SimScores};
    use zk_domain::confirmation::Phase;
    use zk_domain::{Decision, Input, Mode, ReasonCode, SerialBlock, Sitting, Step};
    use zk_drivers::{
        IdCardReader, SimCamera, SimCardEvent, SimFault, SimIdCardReader, SimMicrophone,
        SimSignaturePad,
    };
    use zk_store::Store;
    use zk_tests::assets;

    pub(crate) fn demo_card(index: usize) -> SimCardEvent {
        let mut reader = SimIdCardReader::from_file(&assets().join("sim/cards.json")).unwrap();
        let mut card = None;
        for _ in 0..=index {
            card = reader.read(Duration::from_secs(1)).unwrap();
        }
        SimCardEvent::Card(Box::new(card.expect("demo card")))
    }

    fn kiosk(
        reader_events: Vec<SimCardEvent>,
        clock: ManualClock,
    ) -> (Kiosk, Receiver<KioskEvent>) {
        kiosk_with_reader(Box::new(SimIdCardReader::from_events(reader_events)), clock)
    }

    /// Staff accounts every test kiosk has: (id, role, PIN).
    pub(crate) const STAFF: [(&str, zk_domain::Role, &str); 3] = [
        ("t-op", zk_domain::Role::Operator, "op-pin-1"),
        ("t-rev", zk_domain::Role::Reviewer, "rev-pin-1"),
        ("t-admin", zk_domain::Role::Admin, "admin-pin-1"),
    ];

    /// Signs in one of [`STAFF`].
    pub(crate) fn sign_in(kiosk: &mut Kiosk, id: &str) -> zk_app::StaffToken {
        let (_, _, pin) = STAFF.iter().find(|(staff, _, _)| *staff == id).unwrap();
        kiosk.sign_in(id, pin).unwrap()
    }

    fn kiosk_with_reader(
        reader: Box<dyn IdCardReader>,
        clock: ManualClock,
    ) -> (Kiosk, Receiver<KioskEvent>) {
        kiosk_with(
            &AppConfig::default(),
            Store::open_in_memory().unwrap(),
            reader,
            default_scores(),
            clock,
        )
    }

    pub(crate) fn default_scores() -> SimScores {
        SimScores {
            face_distance: 0.3,
            one_face_fraction: 1.0,
            speech_secs: 2.0,
            lip_sync: 0.6,
            photo_distance: 0.3,
        }
    }

    /// A kiosk on `store` (demo roster imported, a block for 4201, the [`STAFF`] accounts).
    pub(crate) fn kiosk_with(
        config: &AppConfig,
        store: Store,
        reader: Box<dyn IdCardReader>,
        scores: SimScores,
        clock: ManualClock,
    ) -> (Kiosk, Receiver<KioskEvent>) {
        let camera =
            SimCamera::from_files(vec![assets().join("demo/candidate-a-live.jpg")], 15.0).unwrap();
        kiosk_with_camera(config, store, reader, Box::new(camera), scores, clock)
    }

    /// [`kiosk_with`] with its own camera.
    pub(crate) fn kiosk_with_camera(
        config: &AppConfig,
        mut store: Store,
        reader: Box<dyn IdCardReader>,
        camera: Box<dyn zk_drivers::Camera>,
        scores: SimScores,
        clock: ManualClock,
    ) -> (Kiosk, Receiver<KioskEvent>) {
        let assets = assets();
        let policy = config.security.staff_policy().unwrap();
        for (id, role, pin) in STAFF {
            let new = zk_store::NewOperator {
                id: id.into(),
                display_name: id.into(),
                role,
            };
            store
                .add_operator(&new, pin, &policy, "test", clock_now(&clock))
                .unwrap();
        }
        store
            .import_roster_file(&assets.join("demo/roster.csv"), clock_now(&clock))
            .unwrap();
        let sitting = Sitting::parse("271").unwrap();
        store
            .add_serial_block(
                &SerialBlock::new("t-1", "4201", sitting, 1, 10).unwrap(),
                "test",
                clock_now(&clock),
            )
            .unwrap();
        let devices = Devices {
            reader,
            camera,
            microphone: Box::new(SimMicrophone::from_file(&assets.join("sim/digits.wav")).unwrap()),
            signature_pad: Box::new(
                SimSignaturePad::from_file(&assets.join("sim/signature.json")).unwrap(),
            ),
            touch_signature: None,
            card_camera: None,
        };
        let matcher = SimFaceMatcher::with_default(scores);
        // The kiosk reads its consent texts from the assets; a CI target directory outside the
        // checkout cannot find them beside the test binary.
        let mut config = config.clone();
        config.assets_dir = Some(assets.clone());
        let mut kiosk = Kiosk::new(
            &config,
            store,
            devices,
            Box::new(matcher),
            Box::new(clock),
            Box::new(rand::rngs::StdRng::seed_from_u64(7)),
        )
        .unwrap();
        let (sender, receiver) = channel();
        kiosk.subscribe(sender);
        (kiosk, receiver)
    }

    pub(crate) fn clock_now(clock: &ManualClock) -> zk_domain::Timestamp {
        zk_app::Clock::now(clock)
    }

    #[test]
    fn reader_faults_are_distinct_and_route_to_staff_after_three() {
        let clock = ManualClock::at(1_800_000_000_000);
        let events = vec![
            SimCardEvent::Fault(SimFault::Unplug),
            SimCardEvent::Fault(SimFault::Removed),
            SimCardEvent::Fault(SimFault::Corrupt),
            demo_card(0),
        ];
        let (mut kiosk, receiver) = kiosk(events, clock.clone());
        kiosk.start_session().unwrap();
        kiosk.give_consent().unwrap();
        kiosk.handle(Input::Retry).unwrap();
        let view = kiosk.handle(Input::Retry).unwrap();
        assert_eq!(
            view.phase,
            Phase::InProgress {
                step: Step::IdCard,
                mode: Mode::Staff {
                    reason: Some(ReasonCode::TooManyAttempts)
                }
            }
        );
        let failures: Vec<ReasonCode> = receiver
            .try_iter()
            .filter_map(|event| match event {
                KioskEvent::OutcomeRecorded {
                    step: Step::IdCard,
                    decision: Decision::Fail(reason),
                    ..
                } => Some(reason),
                _ => None,
            })
            .collect();
        assert_eq!(
            failures,
            [
                ReasonCode::ReaderFault,
                ReasonCode::CardRemoved,
                ReasonCode::CardUnreadable
            ]
        );

        // Staff retake: the reader works again and the flow goes on, fully automatic, to the pledge.
        let view = kiosk.handle(Input::Retry).unwrap();
        assert_eq!(
            view.phase,
            Phase::InProgress {
                step: Step::Pledge,
                mode: Mode::Auto
            }
        );
        let view = kiosk
            .handle(Input::PledgeAccepted {
                declaration: vec![],
            })
            .unwrap();
        assert_eq!(
            view.phase,
            Phase::InProgress {
                step: Step::Signature,
                mode: Mode::Auto
            }
        );
        assert!(
            view.signature_preview.is_some(),
            "the signature is shown back"
        );
        let view = kiosk.handle(Input::SignatureAccepted).unwrap();
        let Phase::Confirmed { admission_number } = view.phase else {
            panic!("not confirmed: {view:?}")
        };
        assert_eq!(admission_number.to_string(), "420127100001");
        assert_eq!(
            kiosk
                .store()
                .attempts(zk_store::SessionId(1))
                .unwrap()
                .len(),
            3 + 6
        );
    }

    /// The real serial driver on the protocol simulator, without a photo decoder: the card data
    /// flows (it matched the roster), no photo is invented, and the card step asks staff to
    /// compare the face by eye.
    #[cfg(unix)]
    #[test]
    fn chip_photo_without_a_decoder_sends_the_face_check_to_staff() {
        use zk_drivers::id_card::sam_sim::Timing;
        use zk_drivers::id_card::SimulatedSerialReader;
        let clock = ManualClock::at(1_800_000_000_000);
        let reader = SimulatedSerialReader::start(
            &assets().join("sim/cards.json"),
            9_600,
            Timing::INSTANT,
            None,
        )
        .unwrap();
        let (mut kiosk, receiver) = kiosk_with_reader(Box::new(reader), clock);
        kiosk.start_session().unwrap();
        let view = kiosk.give_consent().unwrap();
        assert_eq!(
            view.phase,
            Phase::InProgress {
                step: Step::IdCard,
                mode: Mode::Staff {
                    reason: Some(ReasonCode::PhotoUnavailable)
                }
            },
            "{view:?}"
        );
        let events: Vec<KioskEvent> = receiver.try_iter().collect();
        assert!(events.iter().any(|event| matches!(
            event,
            KioskEvent::OutcomeRecorded {
                step: Step::IdCard,
                decision: Decision::Review(ReasonCode::PhotoUnavailable),
                ..
            }
        )));
    }

    /// The `touch` signature pad: the UI's pointer events (sent from another thread, as the
    /// shell would) become the stored signature, shown back and accepted.
    #[test]
    fn a_touch_signature_from_the_ui_is_captured_shown_back_and_committed() {
        use zk_drivers::signature::touch::TouchEvent;
        let assets = assets();
        let clock = ManualClock::at(1_800_000_000_000);
        let mut config = AppConfig::default();
        config.drivers.signature_pad.backend = zk_drivers::Backend::Touch;
        config.drivers.id_card.sim_baud = 115_200;
        config.assets_dir = Some(assets.clone());
        let devices = Devices::open(&config.drivers, &assets).unwrap();
        let mut store = Store::open_in_memory().unwrap();
        store
            .import_roster_file(&assets.join("demo/roster.csv"), clock_now(&clock))
            .unwrap();
        let block = SerialBlock::new("t-1", "4201", Sitting::parse("271").unwrap(), 1, 10).unwrap();
        store
            .add_serial_block(&block, "test", clock_now(&clock))
            .unwrap();
        let matcher = SimFaceMatcher::with_default(SimScores {
            face_distance: 0.3,
            one_face_fraction: 1.0,
            speech_secs: 2.0,
            lip_sync: 0.6,
            photo_distance: 0.3,
        });
        let mut kiosk = Kiosk::new(
            &config,
            store,
            devices,
            Box::new(matcher),
            Box::new(clock),
            Box::new(rand::rngs::StdRng::seed_from_u64(9)),
        )
        .unwrap();
        let touch = kiosk
            .touch_signature()
            .expect("a touch pad hands out its handle");
        let (sender, events) = channel();
        kiosk.subscribe(sender);
        let ui = std::thread::spawn(move || {
            for event in events {
                if let KioskEvent::AwaitingDevice {
                    device: "signature_pad",
                } = event
                {
                    touch.send(TouchEvent::Down {
                        x: 100.0,
                        y: 200.0,
                        pressure: None,
                        t_ms: 5_000.0,
                    });
                    for i in 1..60 {
                        let t = f64::from(i);
                        touch.send(TouchEvent::Move {
                            x: 100.0 + 12.0 * i as f32,
                            y: 200.0 + 90.0 * (i as f32 * 0.4).sin(),
                            pressure: Some(0.6),
                            t_ms: 5_000.0 + 16.0 * t,
                        });
                    }
                    touch.send(TouchEvent::Up);
                    touch.send(TouchEvent::Done);
                    return true;
                }
            }
            false
        });
        kiosk.start_session().unwrap();
        kiosk.give_consent().unwrap();
        let view = kiosk
            .handle(Input::PledgeAccepted {
                declaration: vec![],
            })
            .unwrap();
        assert_eq!(
            view.phase,
            Phase::InProgress {
                step: Step::Signature,
                mode: Mode::Auto
            },
            "{view:?}"
        );
        assert!(view.signature_preview.is_some());
        let view = kiosk.handle(Input::SignatureAccepted).unwrap();
        assert!(matches!(view.phase, Phase::Confirmed { .. }), "{view:?}");
        drop(kiosk);
        assert!(ui.join().unwrap(), "the UI saw the pad waiting");
    }

    #[test]
    fn idle_candidate_is_wiped_and_the_session_closed() {
        let clock = ManualClock::at(1_800_000_000_000);
        let (mut kiosk, receiver) = kiosk(vec![demo_card(0)], clock.clone());
        kiosk.start_session().unwrap();
        clock.advance(Duration::from_secs(95));
        let view = kiosk.handle(Input::Tick).unwrap();
        assert_eq!(view.idle_warning_secs, Some(25));
        clock.advance(Duration::from_secs(30));
        let view = kiosk.handle(Input::Tick).unwrap();
        assert_eq!(
            view.phase,
            Phase::Ended {
                reason: ReasonCode::Abandoned
            }
        );
        assert!(receiver.try_iter().any(|event| matches!(
            event,
            KioskEvent::SessionEnded {
                confirmed: false,
                reason: Some(ReasonCode::Abandoned),
                ..
            }
        )));
        // A new candidate can start at once.
        kiosk.start_session().unwrap();
    }

    #[test]
    fn missing_serial_block_goes_to_staff_and_loses_nothing() {
        let clock = ManualClock::at(1_800_000_000_000);
        // Candidate C registered in district 4202, for which this desk has no block.
        let (mut kiosk, receiver) = kiosk(vec![demo_card(2)], clock.clone());
        kiosk.start_session().unwrap();
        kiosk.give_consent().unwrap();
        kiosk
            .handle(Input::PledgeAccepted {
                declaration: vec![],
            })
            .unwrap();
        let view = kiosk.handle(Input::SignatureAccepted).unwrap();
        assert_eq!(
            view.phase,
            Phase::InProgress {
                step: Step::Commit,
                mode: Mode::Staff {
                    reason: Some(ReasonCode::NoSerial)
                }
            }
        );
        assert!(receiver.try_iter().any(|e| matches!(
            e,
            KioskEvent::StaffRequested {
                step: Step::Commit,
                ..
            }
        )));
        assert_eq!(kiosk.store().confirmations(10, 0).unwrap().len(), 0);

        // The admin records a block; staff approve the retry; the commit goes through.
        let block = SerialBlock::new("t-2", "4202", Sitting::parse("271").unwrap(), 1, 10).unwrap();
        let now = kiosk.now();
        let admin = sign_in(&mut kiosk, "t-admin");
        kiosk
            .staff_store(&admin, zk_domain::StaffAction::AllocateSerials)
            .unwrap()
            .add_serial_block(&block, "t-admin", now)
            .unwrap();
        let operator = sign_in(&mut kiosk, "t-op");
        let view = kiosk
            .staff(
                &operator,
                zk_app::StaffCommand::Approve {
                    reason: None,
                    note: "block added".into(),
                    second: None,
                },
            )
            .unwrap();
        assert!(matches!(view.phase, Phase::Confirmed { .. }), "{view:?}");
        assert_eq!(kiosk.store().confirmations(10, 0).unwrap().len(), 1);
    }

    #[test]
    fn staff_decisions_outside_staff_mode_are_refused() {
        let clock = ManualClock::at(1_800_000_000_000);
        let (mut kiosk, _) = kiosk(vec![demo_card(0)], clock);
        assert!(matches!(
            kiosk.handle(Input::Retry),
            Err(zk_app::AppError::NoSession)
        ));
        kiosk.start_session().unwrap();
        assert!(matches!(
            kiosk.start_session(),
            Err(zk_app::AppError::SessionOpen)
        ));
        let operator = sign_in(&mut kiosk, "t-op");
        let refused = kiosk.staff(
            &operator,
            zk_app::StaffCommand::Approve {
                reason: None,
                note: "x".into(),
                second: None,
            },
        );
        assert!(matches!(refused, Err(zk_app::AppError::Rejected { .. })));
    }
}
