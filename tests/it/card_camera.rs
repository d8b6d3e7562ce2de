//! The card read by the camera (the OCR fallback) through the kiosk: a failed chip read, the
//! candidate switching to the camera, a 样本 specimen of the demo card shown portrait side then
//! emblem side, the real PP-OCRv4 read, and staff confirming the fields; a camera that never
//! sees a card; staff importing card images; a desk with the camera switched off. Needs the
//! OCR models (scripts/fetch-models.sh) and fonts-noto-cjk: missing ones fail loudly.

use std::sync::mpsc::Receiver;

use image::RgbImage;
use zk_app::{AppConfig, AppError, CardHint, CardSide, Kiosk, KioskEvent, ManualClock};
use zk_domain::confirmation::Phase;
use zk_domain::{CardDevice, Decision, IdCard, Input, Mode, ReasonCode, Step};
use zk_drivers::{SimCamera, SimCardEvent, SimFault, SimIdCardReader};
use zk_store::Store;
use zk_tests::assets;

use crate::flow::kiosk::{default_scores, demo_card, kiosk_with_camera, sign_in};

/// Demo candidate A's card (李明, registered in the demo roster) and their card photo.
fn card_a() -> (IdCard, RgbImage) {
    let SimCardEvent::Card(card) = demo_card(0) else {
        panic!("the first demo card is not a card");
    };
    let photo = image::open(assets().join("demo/candidate-a-id.jpg"))
        .unwrap_or_else(|error| panic!("demo/candidate-a-id.jpg: {error}"))
        .to_rgb8();
    (*card, photo)
}

fn jpeg(image: &RgbImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(std::io::Cursor::new(&mut bytes), 90)
        .encode_image(image)
        .unwrap();
    bytes
}

fn config(side_timeout_secs: f64, looks_per_second: f32) -> AppConfig {
    let mut config = AppConfig::default();
    config.ocr.side_timeout_secs = side_timeout_secs;
    config.ocr.looks_per_second = looks_per_second;
    config
}

/// A kiosk whose reader fails once (a corrupt frame) and whose camera shows `frames`.
fn desk(config: &AppConfig, frames: Vec<RgbImage>) -> (Kiosk, Receiver<KioskEvent>) {
    let reader = SimIdCardReader::from_events(vec![SimCardEvent::Fault(SimFault::Corrupt)]);
    kiosk_with_camera(
        config,
        Store::open_in_memory().unwrap(),
        Box::new(reader),
        Box::new(SimCamera::from_images(frames, 15.0).unwrap()),
        default_scores(),
        ManualClock::at(1_800_000_000_000),
    )
}

/// The card step waiting for staff to confirm a read by the camera.
fn staff_confirming_a_camera_read() -> Phase {
    Phase::InProgress {
        step: Step::IdCard,
        mode: Mode::Staff {
            reason: Some(ReasonCode::CardReadByCamera),
        },
    }
}

/// Demo candidate A's live photo: a frame with a face and no card.
fn face_photo() -> RgbImage {
    image::open(assets().join("demo/candidate-a-live.jpg"))
        .unwrap()
        .to_rgb8()
}

fn step_of(phase: &Phase) -> Option<Step> {
    match phase {
        Phase::InProgress { step, .. } => Some(*step),
        _ => None,
    }
}

fn at_card_step_after_a_chip_failure(kiosk: &mut Kiosk) {
    kiosk.start_session().unwrap();
    let view = kiosk.give_consent().unwrap();
    assert_eq!(view.last_reason, Some(ReasonCode::CardUnreadable));
    assert_eq!(view.card_device, CardDevice::Reader);
}

#[test]
fn after_a_failed_chip_read_the_camera_reads_both_sides_and_staff_confirm() {
    let (card, photo) = card_a();
    let [front, back] = zk_app::card_ocr::specimen_frames(&card, &photo).unwrap();
    // 15 fps and 4 looks a second: a look every 4th frame. The portrait side is held up first,
    // then the card is turned.
    let frames = [vec![front; 4], vec![back; 4]].concat();
    let (mut kiosk, events) = desk(&config(30.0, 4.0), frames);
    assert!(kiosk.camera_reads_cards());
    at_card_step_after_a_chip_failure(&mut kiosk);
    let view = kiosk
        .handle(Input::ReadCardWith(CardDevice::Camera))
        .unwrap();
    assert_eq!(view.card_device, CardDevice::Camera);
    assert_eq!(
        view.phase,
        staff_confirming_a_camera_read(),
        "every camera read goes to staff"
    );
    let events: Vec<KioskEvent> = events.try_iter().collect();
    let reads: Vec<(CardSide, CardHint)> = events
        .iter()
        .filter_map(|event| match event {
            KioskEvent::CardCapture { side, hint } => Some((*side, *hint)),
            _ => None,
        })
        .collect();
    assert_eq!(
        reads,
        [
            (CardSide::Front, CardHint::Read),
            (CardSide::Back, CardHint::Read)
        ]
    );
    assert!(events.iter().any(|event| matches!(
        event,
        KioskEvent::ImageStored {
            kind: zk_domain::ArtefactKind::IdPhoto,
            ..
        }
    )));

    // The reviewer sees every field as read, with the straightened sides.
    let token = sign_in(&mut kiosk, "t-rev");
    let case = kiosk.review(&token).unwrap().expect("a case for staff");
    let ocr = case.ocr.as_ref().expect("the OCR read for the reviewer");
    let text = |field: zk_ocr::Field| ocr.front.field(field).unwrap().text.clone();
    assert_eq!(text(zk_ocr::Field::Name), "李明");
    assert_eq!(text(zk_ocr::Field::IdNumber), card.number);
    assert_eq!(ocr.back.valid_from, Some(card.valid_from));
    assert_eq!(ocr.back.valid_to, Some(card.valid_to));
    assert_eq!(ocr.back.authority.as_deref(), Some(card.authority.as_str()));
    for jpeg in [&ocr.front_jpeg, &ocr.back_jpeg] {
        let side = image::load_from_memory(jpeg).unwrap();
        assert_eq!((side.width(), side.height()), (856, 540));
    }
    let identity = case.identity.as_ref().unwrap();
    assert_eq!(
        identity.registration_id.as_deref(),
        Some("271420100001"),
        "the roster was looked up by the number read"
    );
    assert!(
        case.images.id_photo.is_some(),
        "the printed portrait is the ID photo"
    );

    let view = kiosk
        .staff(
            &token,
            zk_app::StaffCommand::Approve {
                reason: None,
                note: "fields checked against the card".into(),
                second: None,
            },
        )
        .unwrap();
    // Liveness and the photo pass with the simulated matcher (the printed portrait is the ID
    // photo they compare with).
    assert_eq!(step_of(&view.phase), Some(Step::Pledge));
    assert!(kiosk.review(&token).unwrap().is_none());
    kiosk
        .handle(Input::PledgeAccepted {
            declaration: vec![],
        })
        .unwrap();
    let view = kiosk.handle(Input::SignatureAccepted).unwrap();
    assert!(
        matches!(view.phase, Phase::Confirmed { .. }),
        "not confirmed: {view:?}"
    );
    // The confirmation records where the card came from.
    let confirmations = kiosk.store().confirmations(10, 0).unwrap();
    assert_eq!(confirmations.len(), 1);
    assert_eq!(confirmations[0].card_source, "ocr");
}

#[test]
fn a_camera_that_never_sees_a_card_fails_the_attempt_with_what_to_do() {
    let face = face_photo();
    // 5 s at one look a second: five looks, then the attempt fails.
    let (mut kiosk, events) = desk(&config(5.0, 1.0), vec![face]);
    at_card_step_after_a_chip_failure(&mut kiosk);
    let view = kiosk
        .handle(Input::ReadCardWith(CardDevice::Camera))
        .unwrap();
    assert_eq!(view.last_reason, Some(ReasonCode::CardCameraUnreadable));
    assert_eq!(step_of(&view.phase), Some(Step::IdCard));
    let hints: Vec<CardHint> = events
        .try_iter()
        .filter_map(|event| match event {
            KioskEvent::CardCapture { hint, .. } => Some(hint),
            _ => None,
        })
        .collect();
    assert_eq!(hints, [CardHint::NoCard], "a hint is sent when it changes");
    // Retry stays with the camera; the candidate may go back to the reader.
    let view = kiosk
        .handle(Input::ReadCardWith(CardDevice::Reader))
        .unwrap();
    assert_eq!(view.card_device, CardDevice::Reader);
}

#[test]
fn staff_import_card_images_and_bad_images_are_named_without_changing_the_session() {
    let (card, photo) = card_a();
    let [front, back] = zk_app::card_ocr::specimen_frames(&card, &photo).unwrap();
    let face = face_photo();
    let (mut kiosk, _events) = desk(&config(30.0, 4.0), vec![face.clone()]);
    at_card_step_after_a_chip_failure(&mut kiosk);
    let token = sign_in(&mut kiosk, "t-op");

    let broken = kiosk.read_card_from_images(&token, b"not an image", &jpeg(&back));
    assert!(matches!(broken, Err(AppError::Image(_))), "{broken:?}");
    let no_card = kiosk.read_card_from_images(&token, &jpeg(&face), &jpeg(&back));
    assert!(
        matches!(
            no_card,
            Err(AppError::CardImage {
                side: "front",
                problem: "no_card",
                ..
            })
        ),
        "{no_card:?}"
    );
    // The emblem side given as the photo side: the sides are named.
    let swapped = kiosk.read_card_from_images(&token, &jpeg(&back), &jpeg(&front));
    assert!(
        matches!(
            swapped,
            Err(AppError::CardImage {
                side: "front",
                problem: "turn_over",
                ..
            })
        ),
        "{swapped:?}"
    );
    let view = kiosk.view().unwrap();
    assert_eq!(
        step_of(&view.phase),
        Some(Step::IdCard),
        "the session is unchanged"
    );
    assert_eq!(view.attempt, 1);

    let view = kiosk
        .read_card_from_images(&token, &jpeg(&front), &jpeg(&back))
        .unwrap();
    assert_eq!(view.phase, staff_confirming_a_camera_read());
    let reviewer = sign_in(&mut kiosk, "t-rev");
    let case = kiosk.review(&reviewer).unwrap().unwrap();
    assert_eq!(
        case.attempts.last().map(|outcome| outcome.decision),
        Some(Decision::Review(ReasonCode::CardReadByCamera))
    );
    assert!(case.ocr.is_some());
    let audit = kiosk.store().audit_rows().unwrap();
    assert!(audit
        .iter()
        .any(|row| row.actor == "t-op" && row.action == "staff.card_images"));
}

#[test]
fn a_desk_with_the_camera_off_refuses_it_and_a_desk_without_a_reader_starts_with_it() {
    let mut off = AppConfig::default();
    off.ocr.enabled = false;
    let (mut kiosk, _) = desk(&off, vec![RgbImage::new(64, 48)]);
    assert!(!kiosk.camera_reads_cards());
    at_card_step_after_a_chip_failure(&mut kiosk);
    let refused = kiosk.handle(Input::ReadCardWith(CardDevice::Camera));
    assert!(
        matches!(refused, Err(AppError::Rejected { .. })),
        "{refused:?}"
    );

    let mut camera_first = config(5.0, 1.0);
    camera_first.ocr.camera_first = true;
    let (mut kiosk, events) = desk(&camera_first, vec![RgbImage::new(640, 480)]);
    kiosk.start_session().unwrap();
    let view = kiosk.give_consent().unwrap();
    assert_eq!(view.card_device, CardDevice::Camera);
    assert_eq!(view.last_reason, Some(ReasonCode::CardCameraUnreadable));
    assert!(events.try_iter().any(|event| matches!(
        event,
        KioskEvent::AwaitingDevice {
            device: "card_camera"
        }
    )));
}

/// The demo desk set up as a desk without a reader: its card camera shows a specimen of demo
/// candidate A's card (portrait side, then emblem side, in real time), which is read and sent
/// to staff, with the face camera pointed at A.
#[test]
fn the_demo_desk_without_a_reader_reads_its_specimen_card_with_the_camera() {
    let mut config = AppConfig::default();
    config.ocr.camera_first = true;
    config.ocr.side_timeout_secs = 20.0;
    let dir = zk_tests::temp_dir();
    let store = Store::open(dir.path()).unwrap();
    let mut lines = Vec::new();
    let mut desk = zk_app::demo::open_desk(&config, store, &assets(), &mut |line: &str| {
        lines.push(line.to_owned())
    })
    .unwrap_or_else(|error| panic!("demo desk: {error}\n{}", lines.join("\n")));
    let kiosk = &mut desk.kiosk;
    kiosk.start_session().unwrap();
    let view = kiosk.give_consent().unwrap();
    assert_eq!(view.card_device, CardDevice::Camera);
    assert_eq!(
        view.phase,
        staff_confirming_a_camera_read(),
        "last reason {:?}",
        view.last_reason
    );
    let token = kiosk.sign_in("demo-staff", "246813").unwrap();
    let case = kiosk.review(&token).unwrap().unwrap();
    let ocr = case.ocr.unwrap();
    assert_eq!(
        ocr.front.field(zk_ocr::Field::IdNumber).unwrap().text,
        "110101199003070011"
    );
    assert_eq!(
        case.identity.unwrap().registration_id.as_deref(),
        Some("271420100001")
    );
}
