//! Writes the seed corpora with the codec's own encoders:
//!
//! ```sh
//! cd drivers/fuzz && cargo run --example make_seeds            # into ./corpus
//! cargo run --example make_seeds -- /some/other/corpus/dir
//! ```
//!
//! `corpus/frame_decoder/seed-*`: every request, a response for every status, the find / SAM-ID
//! / read answers (`30 01`, `30 10` with and without a fingerprint block) for every card type,
//! and streams with junk, corrupt and mis-sized frames. The first byte of each file is the chunk
//! control byte of the target (`00` whole stream, `01` byte by byte, `n` random chunks ≤ n).
//! `corpus/text_decoder/seed-*`: the 256-byte text block of every card type.
//! The cards are made up (the numbers follow GB 11643 but belong to nobody).

use std::path::{Path, PathBuf};

use zk_domain::{CardPhoto, CardType, Date, Ethnicity, IdCard, PersonName, Sex, Validity};
use zk_drivers::id_card::frame::{
    encode_extra_addresses, encode_frame, encode_read_payload, encode_sam_id, encode_text, Command,
    Response, Status, MAX_LEN, PHOTO_LEN,
};

fn date(y: i32, m: u32, d: u32) -> Date {
    Date::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn resident() -> IdCard {
    IdCard {
        card_type: CardType::Resident,
        name: PersonName::new("李明"),
        name_en: None,
        sex: Sex::Male,
        ethnicity: Some(Ethnicity::from_code(1)),
        birth_date: date(1990, 3, 7),
        address: Some("湖北省武汉市洪山区珞喻路1号".into()),
        extra_addresses: Vec::new(),
        number: "110101199003070011".into(),
        authority: "武汉市公安局洪山分局".into(),
        valid_from: date(2015, 1, 1),
        valid_to: Validity::Until(date(2035, 1, 1)),
        permit_number: None,
        issue_count: None,
        nationality: None,
        photo: CardPhoto::Missing,
    }
}

fn cards() -> Vec<(&'static str, IdCard)> {
    let resident_long_term = IdCard {
        name: PersonName::new("阿依古丽·买买提"),
        sex: Sex::Female,
        ethnicity: Some(Ethnicity::from_code(5)),
        birth_date: date(1998, 9, 20),
        address: Some("新疆维吾尔自治区乌鲁木齐市天山区解放北路一百二十三号院五号楼二单元".into()),
        extra_addresses: Vec::new(),
        number: "65010219980920046X".into(),
        authority: "乌鲁木齐市公安局天山区分局".into(),
        valid_from: date(2018, 1, 1),
        valid_to: Validity::LongTerm,
        ..resident()
    };
    let resident_unknown_ethnicity = IdCard {
        ethnicity: Some(Ethnicity::from_code(99)),
        sex: Sex::Unspecified,
        address: None,
        extra_addresses: Vec::new(),
        ..resident()
    };
    let hmt = IdCard {
        card_type: CardType::HmtPermit,
        name: PersonName::new("陈大文"),
        ethnicity: None,
        address: Some("广东省深圳市福田区福华一路1号".into()),
        extra_addresses: Vec::new(),
        number: "810000199408230021".into(),
        authority: "深圳市公安局".into(),
        birth_date: date(1994, 8, 23),
        valid_from: date(2019, 8, 23),
        valid_to: Validity::Until(date(2024, 8, 22)),
        permit_number: Some("H12345678".into()),
        issue_count: Some("01".into()),
        ..resident()
    };
    let taiwan = IdCard {
        name: PersonName::new("林美玲"),
        sex: Sex::Female,
        number: "830000198801010026".into(),
        permit_number: Some("01234567".into()),
        issue_count: Some("02".into()),
        address: None,
        extra_addresses: Vec::new(),
        ..hmt.clone()
    };
    let foreign_2017 = IdCard {
        card_type: CardType::ForeignPermanent2017,
        name: PersonName::new("约翰"),
        name_en: Some("SMITH, JOHN".into()),
        ethnicity: None,
        address: None,
        extra_addresses: Vec::new(),
        birth_date: date(1970, 7, 1),
        number: "USA110070070101".into(),
        authority: "1500".into(),
        valid_to: Validity::Until(date(2027, 1, 1)),
        nationality: Some("USA".into()),
        ..resident()
    };
    let foreign_2023 = IdCard {
        card_type: CardType::ForeignPermanent2023,
        name: PersonName::new("玛丽"),
        name_en: Some("MARIA ALEXANDRA KONSTANTINOPOULOU-PAPADOPOULOS".into()),
        sex: Sex::Female,
        ethnicity: None,
        address: None,
        extra_addresses: Vec::new(),
        birth_date: date(1998, 9, 20),
        number: "911840199809200047".into(),
        authority: String::new(),
        valid_from: date(2023, 12, 1),
        valid_to: Validity::Until(date(2033, 12, 1)),
        issue_count: Some("00".into()),
        nationality: Some("GRC".into()),
        ..resident()
    };
    let foreign_2023_short = IdCard {
        name: PersonName::new("金"),
        name_en: Some("KIM MINJI".into()),
        number: "914100200001010028".into(),
        issue_count: Some("01".into()),
        nationality: Some("KOR".into()),
        valid_to: Validity::LongTerm,
        ..foreign_2023.clone()
    };
    vec![
        ("resident", resident()),
        ("resident-long-term", resident_long_term),
        ("resident-unknown-ethnicity", resident_unknown_ethnicity),
        ("hmt-hongkong", hmt),
        ("hmt-taiwan", taiwan),
        ("foreign-2017", foreign_2017),
        ("foreign-2023", foreign_2023),
        ("foreign-2023-short", foreign_2023_short),
    ]
}

fn answer(status: Status, data: &[u8]) -> Vec<u8> {
    Response {
        sw1: 0,
        sw2: 0,
        status,
        data: data.to_vec(),
    }
    .encode()
}

/// A fake WLT photo (starts like one: `WLf`).
fn photo() -> Vec<u8> {
    let mut photo = vec![0u8; PHOTO_LEN];
    photo[..3].copy_from_slice(b"WLf");
    for (index, byte) in photo.iter_mut().enumerate().skip(3) {
        *byte = (index * 7 % 251) as u8;
    }
    photo
}

struct Seeds {
    dir: PathBuf,
    count: usize,
}

impl Seeds {
    fn new(dir: PathBuf) -> Seeds {
        if let Err(error) = std::fs::create_dir_all(&dir) {
            eprintln!("cannot create {}: {error}", dir.display());
            std::process::exit(1);
        }
        Seeds { dir, count: 0 }
    }

    fn write(&mut self, name: &str, bytes: &[u8]) {
        let path = self.dir.join(format!("seed-{name}"));
        if let Err(error) = std::fs::write(&path, bytes) {
            eprintln!("cannot write {}: {error}", path.display());
            std::process::exit(1);
        }
        self.count += 1;
    }

    /// A frame-decoder seed: the chunk control byte, then the stream.
    fn stream(&mut self, name: &str, control: u8, stream: &[u8]) {
        let mut bytes = vec![control];
        bytes.extend_from_slice(stream);
        self.write(name, &bytes);
    }
}

fn frame_seeds(seeds: &mut Seeds) {
    let commands = [
        ("reset-sam", Command::ResetSam),
        ("sam-status", Command::SamStatus),
        ("sam-id", Command::SamId),
        ("find-card", Command::FindCard),
        ("select-card", Command::SelectCard),
        ("read-text-photo", Command::ReadTextPhoto),
        (
            "read-text-photo-fingerprint",
            Command::ReadTextPhotoFingerprint,
        ),
        ("read-extra-address", Command::ReadExtraAddress),
        ("set-baud-0", Command::SetBaud(0)),
        ("set-baud-4", Command::SetBaud(4)),
    ];
    let mut all_requests = Vec::new();
    for (name, command) in commands {
        seeds.stream(&format!("request-{name}"), 0, &command.encode());
        all_requests.extend(command.encode());
    }
    seeds.stream("request-all-split", 3, &all_requests);
    seeds.stream(
        "request-with-data",
        0,
        &encode_frame(&[0x61, 0xFF], &[0x50]),
    );

    let statuses = [
        0x90, 0x91, 0x9F, 0x10, 0x11, 0x21, 0x23, 0x24, 0x31, 0x32, 0x33, 0x37, 0x3F, 0x40, 0x41,
        0x47, 0x60, 0x66, 0x80, 0x81, 0x55,
    ];
    let mut all_statuses = Vec::new();
    for code in statuses {
        let frame = answer(Status::from_byte(code), &[]);
        seeds.stream(&format!("status-{code:02x}"), 0, &frame);
        all_statuses.extend(frame);
    }
    seeds.stream("status-all-bytewise", 1, &all_statuses);
    seeds.stream("find-card-answer", 0, &answer(Status::CardFound, &[0; 4]));
    seeds.stream("select-card-answer", 0, &answer(Status::Success, &[0; 8]));
    // The research note's SAM ID answer.
    seeds.stream(
        "sam-id-answer",
        0,
        &answer(
            Status::Success,
            &[
                0x05, 0x00, 0x01, 0x00, 0xA5, 0x3A, 0x34, 0x01, 0x15, 0xCD, 0x5B, 0x07, 0xD2, 0x02,
                0x96, 0x49,
            ],
        ),
    );
    if let Some(id) = encode_sam_id("65535.00-4294967295-0000000000-0000000001") {
        seeds.stream("sam-id-extremes", 0, &answer(Status::Success, &id));
    }
    seeds.stream(
        "extra-address-answer",
        0,
        &answer(
            Status::Success,
            &encode_extra_addresses(&["湖北省武汉市武昌区中北路100号".to_owned()]),
        ),
    );
    seeds.stream(
        "extra-address-answer-three",
        0,
        &answer(
            Status::Success,
            &encode_extra_addresses(&[
                "湖北省武汉市武昌区中北路100号".to_owned(),
                String::new(),
                "湖北省武汉市江汉区解放大道200号之一二三四五六七八九十甲乙丙丁".to_owned(),
            ]),
        ),
    );
    seeds.stream(
        "no-extra-address-answer",
        0,
        &answer(Status::NoSuchItem, &[]),
    );

    let photo = photo();
    for (name, card) in cards() {
        let text = encode_text(&card);
        seeds.stream(
            &format!("read-{name}"),
            0,
            &answer(Status::Success, &encode_read_payload(&text, &photo, None)),
        );
        seeds.stream(
            &format!("read-fingerprint-{name}"),
            200,
            &answer(
                Status::Success,
                &encode_read_payload(&text, &photo, Some(&[0xC3; 1024])),
            ),
        );
    }
    let text = encode_text(&resident());
    seeds.stream(
        "read-fingerprint-empty",
        0,
        &answer(
            Status::Success,
            &encode_read_payload(&text, &photo, Some(&[])),
        ),
    );
    seeds.stream(
        "read-short-photo",
        0,
        &answer(
            Status::Success,
            &encode_read_payload(&text, &photo[..16], None),
        ),
    );

    // A whole session as the host sees it, with line noise, cut into random chunks.
    let mut session = vec![0x00, 0xAA, 0x13, 0xAA, 0xAA];
    session.extend(answer(Status::NoCard, &[]));
    session.extend(answer(Status::CardFound, &[0; 4]));
    session.extend(answer(Status::Success, &[0; 8]));
    session.extend(answer(
        Status::Success,
        &encode_read_payload(&text, &photo, None),
    ));
    session.extend([0xAA, 0xAA, 0xAA, 0x96]);
    seeds.stream("session-chunked", 37, &session);

    // Errors: bad checksum, LEN below / above the limits, a request where a response is due,
    // SW1 SW2 not 00 00, and a truncated frame at the end.
    let good = answer(Status::Success, &[1, 2, 3]);
    let mut corrupt = good.clone();
    corrupt[11] ^= 0xFF;
    let mut errors = Vec::new();
    errors.extend(&corrupt);
    errors.extend(&good);
    errors.extend([0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x02, 0x00, 0x00]);
    errors.extend(&good);
    errors.extend([0xAA, 0xAA, 0xAA, 0x96, 0x69, 0xFF, 0xFF, 0x00, 0x00, 0x90]);
    errors.extend(&good);
    errors.extend(Command::FindCard.encode());
    errors.extend(encode_frame(&[0x01, 0x00, 0x90], &[]));
    errors.extend(&good[..good.len() - 2]);
    seeds.stream("errors", 0, &errors);
    seeds.stream("errors-bytewise", 1, &errors);
    // LEN = MAX_LEN (all zero, so the checksum is right), then LEN = MAX_LEN + 1.
    let mut max_len = vec![0xAA, 0xAA, 0xAA, 0x96, 0x69];
    max_len.extend((MAX_LEN as u16).to_be_bytes());
    max_len.extend(vec![0u8; MAX_LEN - 1]);
    max_len.push(((MAX_LEN >> 8) as u8) ^ (MAX_LEN as u8));
    max_len.extend([0xAA, 0xAA, 0xAA, 0x96, 0x69]);
    max_len.extend(((MAX_LEN + 1) as u16).to_be_bytes());
    seeds.stream("length-max", 0, &max_len);
}

fn text_seeds(seeds: &mut Seeds) {
    for (name, card) in cards() {
        seeds.write(name, &encode_text(&card));
    }
}

fn main() {
    let root = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"));
    let mut frames = Seeds::new(root.join("frame_decoder"));
    frame_seeds(&mut frames);
    let mut texts = Seeds::new(root.join("text_decoder"));
    text_seeds(&mut texts);
    for seeds in [&frames, &texts] {
        // Every seed must pass the target's own checks.
        for entry in std::fs::read_dir(&seeds.dir)
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = entry.file_name();
            if !name.to_string_lossy().starts_with("seed-") {
                continue;
            }
            let bytes = std::fs::read(entry.path()).unwrap_or_default();
            if seeds.dir.ends_with("frame_decoder") {
                zk_drivers_fuzz::frame_decoder(&bytes);
            } else {
                zk_drivers_fuzz::text_decoder(&bytes);
            }
        }
        println!("{} seeds in {}", seeds.count, seeds.dir.display());
    }
}
