//! ID card reader throughput: the codec on a full read answer, and a whole card read by the real
//! serial driver from the protocol simulator over a pseudo-terminal (no simulated SAM delays, so
//! this measures the driver, the codec and the tty layer).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use zk_domain::{CardPhoto, CardType, Date, Ethnicity, IdCard, PersonName, Sex, Validity};
use zk_drivers::id_card::frame::{self, FrameDecoder, Response, Status, PHOTO_LEN};
use zk_drivers::id_card::sam_sim::{SamEvent, SamSimulator, SimCard, Timing};
use zk_drivers::IdCardReader;

fn card() -> IdCard {
    IdCard {
        card_type: CardType::Resident,
        name: PersonName::new("测试样"),
        name_en: None,
        sex: Sex::Male,
        ethnicity: Some(Ethnicity::from_code(1)),
        birth_date: Date::from_ymd_opt(1990, 3, 7).unwrap(),
        address: Some("北京市东城区测试街道示例路1号".into()),
        extra_addresses: Vec::new(),
        number: "110101199003070011".into(),
        authority: "北京市公安局东城分局".into(),
        valid_from: Date::from_ymd_opt(2020, 1, 1).unwrap(),
        valid_to: Validity::Until(Date::from_ymd_opt(2040, 1, 1).unwrap()),
        permit_number: None,
        issue_count: None,
        nationality: None,
        photo: CardPhoto::Undecoded(vec![0x57; PHOTO_LEN]),
    }
}

fn codec(c: &mut Criterion) {
    let text = frame::encode_text(&card());
    let answer = Response {
        sw1: 0,
        sw2: 0,
        status: Status::Success,
        data: frame::encode_read_payload(&text, &[0x57; PHOTO_LEN], None),
    }
    .encode();
    let mut group = c.benchmark_group("codec");
    group.throughput(Throughput::Bytes(answer.len() as u64));
    group.bench_function("decode read answer (1295 B) + text", |b| {
        b.iter(|| {
            let mut decoder = FrameDecoder::new();
            for chunk in answer.chunks(64) {
                decoder.push(chunk);
            }
            let response = decoder.next_frame().unwrap().unwrap();
            let payload = frame::parse_read_payload(&response.data, false).unwrap();
            frame::decode_text(&payload.text, CardPhoto::Undecoded(payload.photo)).unwrap()
        })
    });
    group.finish();
}

#[cfg(unix)]
fn over_pty(c: &mut Criterion) {
    use zk_drivers::id_card::pty_sim::PtySimulator;
    use zk_drivers::id_card::serial::SerialIdCardReader;
    let sim_card = SimCard::from_card(&card(), Vec::new()).unwrap();
    let simulator = PtySimulator::start(
        SamSimulator::new(Vec::new(), 115_200, Timing::INSTANT),
        None,
    )
    .unwrap();
    let mut reader = SerialIdCardReader::open(&simulator.path().to_string_lossy()).unwrap();
    let mut group = c.benchmark_group("serial driver over pty");
    group.sample_size(30);
    group.bench_function("find + select + read + extra address", |b| {
        b.iter(|| {
            simulator.push(SamEvent::Card(Box::new(sim_card.clone())));
            reader.read(Duration::from_secs(5)).unwrap().unwrap()
        })
    });
    group.finish();
}

#[cfg(not(unix))]
fn over_pty(_: &mut Criterion) {}

criterion_group!(benches, codec, over_pty);
criterion_main!(benches);
