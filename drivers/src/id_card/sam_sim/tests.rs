//! The SAM state machine, request by request (research §10.3).

use super::*;
use crate::id_card::frame::{Command, FrameDecoder, PHOTO_LEN};
use crate::testing::{reader_card, temp_dir, write};

fn card() -> Box<SimCard> {
    Box::new(
        SimCard::from_card(&reader_card(), vec!["湖北省武汉市武昌区中北路100号".into()]).unwrap(),
    )
}

fn sim(events: Vec<SamEvent>) -> SamSimulator {
    SamSimulator::new(events, 115_200, Timing::INSTANT)
}

/// Sends one command; returns the decoded answer's status and data (None: silence).
fn ask(sim: &mut SamSimulator, command: Command) -> Option<Result<(Status, Vec<u8>), FrameError>> {
    let mut decoder = FrameDecoder::new();
    decoder.push(&command.encode());
    let request = decoder.next_request().unwrap();
    match sim.handle(request) {
        Action::Send { chunks, .. } => {
            let mut decoder = FrameDecoder::new();
            for chunk in chunks {
                decoder.push(&chunk);
            }
            decoder
                .next_frame()
                .map(|frame| frame.map(|response| (response.status, response.data)))
        }
        Action::Unplug(_) => panic!("unexpected unplug"),
    }
}

fn status(sim: &mut SamSimulator, command: Command) -> Status {
    ask(sim, command).unwrap().unwrap().0
}

#[test]
fn one_placement_reads_once_then_the_next_event_replaces_it() {
    let mut sim = sim(vec![
        SamEvent::Card(card()),
        SamEvent::NoCard,
        SamEvent::Card(card()),
    ]);
    assert_eq!(status(&mut sim, Command::SamStatus), Status::Success);
    assert_eq!(
        status(&mut sim, Command::ReadTextPhoto),
        Status::ReadFailed,
        "read before select"
    );
    assert_eq!(status(&mut sim, Command::FindCard), Status::CardFound);
    assert_eq!(status(&mut sim, Command::SelectCard), Status::Success);
    let (read, data) = ask(&mut sim, Command::ReadTextPhoto).unwrap().unwrap();
    assert_eq!(read, Status::Success);
    let payload = frame::parse_read_payload(&data, false).unwrap();
    assert_eq!(
        frame::decode_text(&payload.text, CardPhoto::Missing)
            .unwrap()
            .number,
        reader_card().number
    );
    let (_, extra) = ask(&mut sim, Command::ReadExtraAddress).unwrap().unwrap();
    assert_eq!(
        frame::parse_extra_addresses(&extra).unwrap(),
        vec!["湖北省武汉市武昌区中北路100号"]
    );
    // The card is lifted (`none`), then placed again.
    assert_eq!(status(&mut sim, Command::FindCard), Status::NoCard);
    assert_eq!(status(&mut sim, Command::FindCard), Status::CardFound);
    assert_eq!(status(&mut sim, Command::SelectCard), Status::Success);
    assert_eq!(status(&mut sim, Command::ReadTextPhoto), Status::Success);
    // Nothing more in the script: the read card stays halted.
    assert_eq!(status(&mut sim, Command::FindCard), Status::NoCard);
    assert_eq!(status(&mut sim, Command::FindCard), Status::NoCard);
    assert_eq!(status(&mut sim, Command::SelectCard), Status::SelectFailed);
}

#[test]
fn bad_requests_get_their_status_codes() {
    let mut sim = sim(Vec::new());
    let mut bad = Command::SamStatus.encode();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let mut decoder = FrameDecoder::new();
    decoder.push(&bad);
    let request = decoder.next_request().unwrap();
    let Action::Send { chunks, .. } = sim.handle(request) else {
        panic!()
    };
    let mut decoder = FrameDecoder::new();
    decoder.push(&chunks[0]);
    assert_eq!(
        decoder.next_frame().unwrap().unwrap().status,
        Status::HostChecksum
    );
    assert_eq!(status(&mut sim, Command::SetBaud(9)), Status::BadCommand);
    let (_, id) = ask(&mut sim, Command::SamId).unwrap().unwrap();
    assert_eq!(frame::parse_sam_id(&id).unwrap(), SIM_SAM_ID);
    assert_eq!(status(&mut sim, Command::SetBaud(4)), Status::Success);
    assert_eq!(sim.baud(), 9_600);
}

#[test]
fn armed_faults_change_the_next_answer_only() {
    let mut sim = sim(vec![
        SamEvent::Fault(ProtocolFault::Corrupt),
        SamEvent::Fault(ProtocolFault::Silence),
        SamEvent::Card(card()),
    ]);
    assert_eq!(
        ask(&mut sim, Command::FindCard),
        Some(Err(FrameError::BadChecksum))
    );
    assert_eq!(ask(&mut sim, Command::FindCard), None, "silence");
    assert_eq!(status(&mut sim, Command::FindCard), Status::CardFound);

    let mut sim = sim_with(ProtocolFault::Truncated);
    assert_eq!(
        ask(&mut sim, Command::FindCard),
        None,
        "half a frame never completes"
    );
    let mut sim = sim_with(ProtocolFault::Garbage);
    assert_eq!(status(&mut sim, Command::FindCard), Status::CardFound);
    let mut sim = sim_with(ProtocolFault::Split);
    assert_eq!(status(&mut sim, Command::FindCard), Status::CardFound);
    let mut sim = sim_with(ProtocolFault::Unauthorised);
    assert_eq!(
        status(&mut sim, Command::FindCard),
        Status::SamNotAuthorised
    );
    assert_eq!(status(&mut sim, Command::SamStatus), Status::Success);
}

fn sim_with(fault: ProtocolFault) -> SamSimulator {
    sim(vec![SamEvent::Fault(fault), SamEvent::Card(card())])
}

#[test]
fn removal_mid_read_and_unplug() {
    let mut sim = sim(vec![
        SamEvent::Fault(ProtocolFault::Removed),
        SamEvent::Card(card()),
        SamEvent::Fault(ProtocolFault::Unplug(Some(Duration::from_millis(5)))),
    ]);
    assert_eq!(status(&mut sim, Command::FindCard), Status::CardFound);
    assert_eq!(status(&mut sim, Command::SelectCard), Status::Success);
    assert_eq!(status(&mut sim, Command::ReadTextPhoto), Status::ReadFailed);
    let mut decoder = FrameDecoder::new();
    decoder.push(&Command::FindCard.encode());
    assert_eq!(
        sim.handle(decoder.next_request().unwrap()),
        Action::Unplug(Some(Duration::from_millis(5)))
    );
}

#[test]
fn photos_are_packed_as_small_jpegs_and_wlt_passes_through() {
    let dir = temp_dir();
    let photo = crate::testing::png(dir.path(), "p.png", [10, 20, 30]);
    let packed = pack_photo(&std::fs::read(photo).unwrap()).unwrap();
    assert!(packed.len() <= MAX_SIM_PHOTO);
    let image = image::load_from_memory(&packed).unwrap();
    assert_eq!((image.width(), image.height()), (PHOTO_WIDTH, PHOTO_HEIGHT));
    assert!(pack_photo(b"not an image").is_err());

    let mut wlt_card = reader_card();
    wlt_card.photo = CardPhoto::Undecoded(vec![0x57; PHOTO_LEN]);
    assert_eq!(
        SimCard::from_card(&wlt_card, Vec::new()).unwrap().photo,
        vec![0x57; PHOTO_LEN]
    );
}

#[test]
fn scripts_parse_with_clear_errors() {
    let dir = temp_dir();
    crate::testing::png(dir.path(), "face.png", [200, 180, 160]);
    let good = r#"[
        {"card": {"card_type": "resident", "name": "李明", "sex": "1", "ethnicity": "01",
                  "birth_date": "19900307", "number": "110101199003070011", "authority": "某局",
                  "valid_from": "20150101", "valid_to": "长期", "photo": "face.png",
                  "extra_address": ["某地"]}},
        {"none": true},
        {"fault": "slow", "ms": 50},
        {"fault": "unplug"},
        {"fault": "wrong_baud", "baud": 9600}
    ]"#;
    let path = write(dir.path(), "cards.json", good);
    let sim = SamSimulator::from_file(&path, 115_200, Timing::INSTANT).unwrap();
    assert_eq!(sim.remaining(), 5);

    for (script, needle) in [
        (r#"[{"fault": "busy"}]"#, "not a protocol fault"),
        (r#"[{"fault": "slow"}]"#, "needs \"ms\""),
        (
            r#"[{"fault": "wrong_baud", "baud": 1234}]"#,
            "needs \"baud\"",
        ),
        (r#"[{"fault": "corrupt", "ms": 5}]"#, "takes no"),
        (r#"[{"fault": "sparks"}]"#, "unknown fault"),
        (r#"[{"none": true, "fault": "corrupt"}]"#, "exactly one"),
        (r#"[{"card": {"card_type": "resident"}}]"#, "missing field"),
    ] {
        let path = write(dir.path(), "bad.json", script);
        let error = SamSimulator::from_file(&path, 115_200, Timing::INSTANT).unwrap_err();
        assert!(
            format!("{error:#}").contains(needle)
                || error.to_string().contains(needle)
                || format!("{error:?}").contains(needle),
            "{script}: {error:?}"
        );
    }
}
