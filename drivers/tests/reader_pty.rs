//! The real `SerialIdCardReader` against the protocol simulator on a pseudo-terminal: every card
//! type, every fault the simulator injects, reconnection after a pulled cable, rate probing and
//! port probing. Nothing here is mocked above the pty: frames cross the kernel's tty layer.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use image::{Rgb, RgbImage};
use serialport::SerialPort;
use zk_domain::{CardPhoto, CardType, Validity};
use zk_drivers::id_card::photo::{ImagePhotoDecoder, PHOTO_HEIGHT, PHOTO_WIDTH};
use zk_drivers::id_card::pty_sim::PtySimulator;
use zk_drivers::id_card::sam_sim::{SamEvent, SamSimulator, SimCard, Timing, SIM_SAM_ID};
use zk_drivers::id_card::serial::{probe_ports, SerialIdCardReader};
use zk_drivers::{DeviceErrorKind, IdCardReader};

const RESIDENT: &str = r#"{"card": {"card_type": "resident", "name": "阿依古丽·买买提", "sex": "2",
    "ethnicity": "05", "birth_date": "19980920", "address": "湖北省武汉市江岸区沿江大道3号",
    "number": "42010219980920046X", "authority": "武汉市公安局江岸分局", "valid_from": "20180101",
    "valid_to": "长期", "photo": "face.png", "extra_address": ["湖北省武汉市武昌区中北路100号"]}}"#;
const HMT: &str = r#"{"card": {"card_type": "hmt_permit", "name": "陈大文", "sex": "1",
    "birth_date": "19940823", "address": "广东省深圳市福田区福华一路1号", "number": "810000199408230021",
    "authority": "深圳市公安局", "valid_from": "20190823", "valid_to": "20290822",
    "permit_number": "H12345678", "issue_count": "01", "photo": "face.png"}}"#;
const FOREIGN_2017: &str = r#"{"card": {"card_type": "foreign_2017", "name": "约翰", "name_en": "SMITH, JOHN",
    "sex": "1", "birth_date": "19900307", "number": "USA110090030701", "authority": "1500",
    "valid_from": "20170101", "valid_to": "20270101", "nationality": "USA", "photo": "face.png"}}"#;
const FOREIGN_2023: &str = r#"{"card": {"card_type": "foreign_2023", "name": "玛丽",
    "name_en": "MARIA ALEXANDRA KONSTANTINOPOULOU-PAPADOPOULOS", "sex": "2", "birth_date": "19980920",
    "number": "911840199809200047", "authority": "", "valid_from": "20230101", "valid_to": "20330101",
    "issue_count": "00", "nationality": "GRC", "photo": "face.png"}}"#;

struct Setup {
    dir: tempfile::TempDir,
    sim: PtySimulator,
}

impl Setup {
    fn path(&self) -> String {
        self.sim.path().to_string_lossy().into_owned()
    }

    fn reader(&self) -> SerialIdCardReader {
        SerialIdCardReader::open(&self.path())
            .unwrap()
            .with_photo_decoder(Some(Box::new(ImagePhotoDecoder)))
    }
}

/// Writes `events` as a script beside a face photo and starts the simulator behind a link.
fn start(events: &[&str], baud: u32) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    RgbImage::from_fn(204, 252, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    })
    .save(dir.path().join("face.png"))
    .unwrap();
    let script = dir.path().join("cards.json");
    std::fs::write(&script, format!("[{}]", events.join(",\n"))).unwrap();
    let sim = SamSimulator::from_file(&script, baud, Timing::INSTANT).unwrap();
    let sim = PtySimulator::start(sim, Some(dir.path().join("ttyZK"))).unwrap();
    Setup { dir, sim }
}

fn fault(name: &str) -> String {
    format!(r#"{{"fault": "{name}"}}"#)
}

fn read_card(reader: &mut SerialIdCardReader) -> zk_domain::IdCard {
    reader
        .read(Duration::from_secs(5))
        .unwrap()
        .expect("a card within 5 s")
}

/// Reads until a card arrives (or 10 s pass), returning the error kinds seen on the way.
fn read_through_errors(
    reader: &mut SerialIdCardReader,
) -> (Vec<DeviceErrorKind>, zk_domain::IdCard) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut errors = Vec::new();
    while Instant::now() < deadline {
        match reader.read(Duration::from_millis(500)) {
            Ok(Some(card)) => return (errors, card),
            Ok(None) => {}
            Err(error) => {
                errors.push(error.kind());
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
    panic!("no card after errors {errors:?}");
}

fn assert_photo_is_the_packed_jpeg(card: &zk_domain::IdCard) {
    let CardPhoto::Decoded(bytes) = &card.photo else {
        panic!("photo not decoded: {:?}", card.photo);
    };
    let image = image::load_from_memory(bytes).unwrap();
    assert_eq!((image.width(), image.height()), (PHOTO_WIDTH, PHOTO_HEIGHT));
}

#[test]
fn every_card_type_reads_once_per_placement() {
    let setup = start(&[RESIDENT, HMT, FOREIGN_2017, FOREIGN_2023], 115_200);
    let mut reader = setup.reader();
    assert_eq!(reader.baud_rate(), 115_200);

    let resident = read_card(&mut reader);
    assert_eq!(resident.card_type, CardType::Resident);
    assert_eq!(resident.number, "42010219980920046X");
    assert_eq!(resident.name, zk_domain::PersonName::new("阿依古丽·买买提"));
    assert_eq!(resident.valid_to, Validity::LongTerm);
    assert_eq!(
        resident.extra_addresses,
        vec!["湖北省武汉市武昌区中北路100号"]
    );
    assert_photo_is_the_packed_jpeg(&resident);

    let hmt = read_card(&mut reader);
    assert_eq!(hmt.card_type, CardType::HmtPermit);
    assert_eq!(hmt.permit_number.as_deref(), Some("H12345678"));
    assert!(hmt.extra_addresses.is_empty());

    let foreign_2017 = read_card(&mut reader);
    assert_eq!(foreign_2017.card_type, CardType::ForeignPermanent2017);
    assert_eq!(foreign_2017.name_en.as_deref(), Some("SMITH, JOHN"));
    assert_eq!(foreign_2017.nationality.as_deref(), Some("USA"));

    let foreign_2023 = read_card(&mut reader);
    assert_eq!(foreign_2023.card_type, CardType::ForeignPermanent2023);
    assert_eq!(foreign_2023.number, "911840199809200047");
    assert_photo_is_the_packed_jpeg(&foreign_2023);

    // The last card stays on the reader, already read: no second read of one placement.
    assert_eq!(reader.read(Duration::from_millis(700)).unwrap(), None);
    assert_eq!(reader.sam_id().unwrap(), SIM_SAM_ID);
}

#[test]
fn without_a_decoder_or_with_a_wlt_the_photo_stays_undecoded() {
    let setup = start(&[RESIDENT], 115_200);
    let mut reader = SerialIdCardReader::open(&setup.path()).unwrap();
    let card = read_card(&mut reader);
    assert!(
        matches!(card.photo, CardPhoto::Undecoded(_)),
        "{:?}",
        card.photo
    );

    // A real chip's WLT block: the image decoder refuses it, the card still reads.
    let mut wlt_card = card.clone();
    let mut wlt = vec![0u8; 1024];
    wlt[..6].copy_from_slice(&[0x57, 0x4C, 0x66, 0x00, 0x7E, 0x00]);
    wlt_card.photo = CardPhoto::Undecoded(wlt.clone());
    setup.sim.push(SamEvent::Card(Box::new(
        SimCard::from_card(&wlt_card, Vec::new()).unwrap(),
    )));
    let mut reader = reader.with_photo_decoder(Some(Box::new(ImagePhotoDecoder)));
    let card = read_card(&mut reader);
    assert_eq!(card.photo, CardPhoto::Undecoded(wlt));
    assert_eq!(card.number, "42010219980920046X");
}

/// A fault before a card: the first read fails with `kind`, a later read gets the card.
fn fault_then_card(fault_event: &str, kind: DeviceErrorKind) {
    // Two placements: a fault that lifts the card (removed) needs the candidate to place it again.
    let setup = start(&[fault_event, RESIDENT, RESIDENT], 115_200);
    let mut reader = setup.reader();
    let error = reader.read(Duration::from_secs(5)).unwrap_err();
    assert_eq!(error.kind(), kind, "{fault_event}: {error:?}");
    assert!(
        !error.to_string().contains("42010219980920046X"),
        "no personal data in errors"
    );
    let (_, card) = read_through_errors(&mut reader);
    assert_eq!(card.number, "42010219980920046X", "{fault_event}");
}

#[test]
fn corrupt_checksum_is_corrupt_data_then_recovers() {
    fault_then_card(&fault("corrupt"), DeviceErrorKind::CorruptData);
}

#[test]
fn truncated_frame_is_corrupt_data_then_recovers() {
    fault_then_card(&fault("truncated"), DeviceErrorKind::CorruptData);
}

#[test]
fn silence_is_a_timeout_then_recovers() {
    fault_then_card(&fault("timeout"), DeviceErrorKind::Timeout);
}

#[test]
fn an_answer_slower_than_the_deadline_is_a_timeout() {
    fault_then_card(r#"{"fault": "slow", "ms": 1500}"#, DeviceErrorKind::Timeout);
}

#[test]
fn card_removed_mid_read_is_media_removed_and_the_next_placement_reads() {
    fault_then_card(&fault("removed"), DeviceErrorKind::MediaRemoved);
}

#[test]
fn an_unauthorised_sam_is_unsupported() {
    let setup = start(&[&fault("unsupported"), RESIDENT], 115_200);
    let mut reader = setup.reader();
    let error = reader.read(Duration::from_secs(3)).unwrap_err();
    assert_eq!(error.kind(), DeviceErrorKind::Unsupported, "{error:?}");
    // It stays that way: a staff matter (the reader's SAM), not a retry loop.
    let error = reader.read(Duration::from_secs(1)).unwrap_err();
    assert_eq!(error.kind(), DeviceErrorKind::Unsupported);
}

#[test]
fn slow_garbled_and_split_answers_still_read() {
    for event in [
        r#"{"fault": "slow", "ms": 300}"#.to_owned(),
        fault("garbage"),
        fault("split"),
    ] {
        let setup = start(&[&event, RESIDENT], 115_200);
        let mut reader = setup.reader();
        assert_eq!(
            read_card(&mut reader).number,
            "42010219980920046X",
            "{event}"
        );
    }
}

#[test]
fn a_pulled_cable_recovers_when_plugged_back_without_reopening() {
    let setup = start(&[r#"{"fault": "unplug", "ms": 600}"#, RESIDENT], 115_200);
    let mut reader = setup.reader();
    let error = reader.read(Duration::from_secs(3)).unwrap_err();
    assert_eq!(error.kind(), DeviceErrorKind::Disconnected, "{error:?}");
    assert!(!reader.is_connected());
    let (errors, card) = read_through_errors(&mut reader);
    assert!(
        errors
            .iter()
            .all(|kind| *kind == DeviceErrorKind::Disconnected),
        "{errors:?}"
    );
    assert_eq!(card.number, "42010219980920046X");
    assert!(reader.is_connected());
}

#[test]
fn a_cable_that_stays_pulled_stays_disconnected() {
    let setup = start(&[&fault("unplug"), RESIDENT], 115_200);
    let mut reader = setup.reader();
    for _ in 0..3 {
        let error = reader.read(Duration::from_millis(500)).unwrap_err();
        assert_eq!(error.kind(), DeviceErrorKind::Disconnected);
        assert!(
            error.to_string().contains("cable") || error.to_string().contains("connect"),
            "{error}"
        );
    }
    assert!(!setup.sim.is_plugged());
}

#[test]
fn a_reader_at_another_rate_is_found_by_probing() {
    let setup = start(&[RESIDENT], 9_600);
    let mut reader = setup.reader();
    assert_eq!(reader.baud_rate(), 9_600);
    assert_eq!(read_card(&mut reader).number, "42010219980920046X");
}

#[test]
fn a_rate_change_mid_session_is_probed_again() {
    let setup = start(
        &[r#"{"fault": "wrong_baud", "baud": 19200}"#, RESIDENT],
        115_200,
    );
    let mut reader = setup.reader();
    assert_eq!(reader.baud_rate(), 115_200);
    let (errors, card) = read_through_errors(&mut reader);
    assert!(!errors.is_empty(), "the rate change is noticed");
    assert_eq!(card.number, "42010219980920046X");
    assert_eq!(reader.baud_rate(), 19_200);
}

#[test]
fn port_probing_reports_what_answered() {
    let setup = start(&[RESIDENT], 115_200);
    let missing = setup
        .dir
        .path()
        .join("ttyNONE")
        .to_string_lossy()
        .into_owned();
    let probes = probe_ports(&[missing.clone(), setup.path()]);
    assert_eq!(probes[0].path, missing);
    assert_eq!(
        probes[0].result.as_ref().unwrap_err().kind(),
        DeviceErrorKind::Disconnected
    );
    let (baud, sam_id) = probes[1].result.as_ref().unwrap();
    assert_eq!((*baud, sam_id.as_str()), (115_200, SIM_SAM_ID));
}

#[test]
fn a_port_with_something_else_on_it_is_not_a_reader() {
    // A pty whose other end never answers (a modem, a scale): every rate times out.
    let (_master, slave) = serialport::TTYPort::pair().unwrap();
    let path: PathBuf = slave.name().unwrap().into();
    drop(slave);
    let started = Instant::now();
    let error = SerialIdCardReader::open(path.to_str().unwrap()).unwrap_err();
    assert_eq!(error.kind(), DeviceErrorKind::Timeout, "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "probing all rates is bounded"
    );
}

#[test]
fn a_port_held_by_another_program_is_busy() {
    let setup = start(&[RESIDENT], 115_200);
    let _first = setup.reader();
    let error = SerialIdCardReader::open(&setup.path()).unwrap_err();
    assert_eq!(error.kind(), DeviceErrorKind::Busy, "{error:?}");
}
