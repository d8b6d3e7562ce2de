use super::*;
use proptest::prelude::*;

fn hex(text: &str) -> Vec<u8> {
    text.split_whitespace()
        .map(|byte| u8::from_str_radix(byte, 16).unwrap())
        .collect()
}

#[test]
fn request_frames_match_the_research_table() {
    let table = [
        (Command::ResetSam, "AA AA AA 96 69 00 03 10 FF EC"),
        (Command::SamStatus, "AA AA AA 96 69 00 03 11 FF ED"),
        (Command::SamId, "AA AA AA 96 69 00 03 12 FF EE"),
        (Command::FindCard, "AA AA AA 96 69 00 03 20 01 22"),
        (Command::SelectCard, "AA AA AA 96 69 00 03 20 02 21"),
        (Command::ReadTextPhoto, "AA AA AA 96 69 00 03 30 01 32"),
        (Command::ReadExtraAddress, "AA AA AA 96 69 00 03 30 03 30"),
        (
            Command::ReadTextPhotoFingerprint,
            "AA AA AA 96 69 00 03 30 10 23",
        ),
        (Command::SetBaud(0), "AA AA AA 96 69 00 03 60 00 63"),
        (Command::SetBaud(4), "AA AA AA 96 69 00 03 60 04 67"),
    ];
    for (command, expected) in table {
        assert_eq!(command.encode(), hex(expected), "{command:?}");
    }
    assert_eq!(Command::FindCard.success(), Status::CardFound);
    assert_eq!(Command::ReadTextPhoto.success(), Status::Success);
}

#[test]
fn decodes_the_literal_responses() {
    let mut decoder = FrameDecoder::new();
    decoder.push(&hex("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97"));
    decoder.push(&hex("AA AA AA 96 69 00 04 00 00 80 84"));
    let found = decoder.next_frame().unwrap().unwrap();
    assert_eq!(found.status, Status::CardFound);
    assert_eq!(found.data, vec![0; 4]);
    let none = decoder.next_frame().unwrap().unwrap();
    assert_eq!(none.status, Status::NoCard);
    assert!(none.data.is_empty());
    assert!(decoder.next_frame().is_none());
    // The research note's SAM-ID example: LEN 00 14 makes a 27-byte frame whose checksum is A1;
    // the note's trailing `27` is one byte too many and is skipped as junk before the next frame.
    decoder.push(&hex(
        "AA AA AA 96 69 00 14 00 00 90 05 00 01 00 A5 3A 34 01 15 CD 5B 07 D2 02 96 49 A1 27",
    ));
    let sam = decoder.next_frame().unwrap().unwrap();
    assert_eq!(sam.data.len(), 16);
    assert_eq!(
        sam.encode(),
        hex("AA AA AA 96 69 00 14 00 00 90 05 00 01 00 A5 3A 34 01 15 CD 5B 07 D2 02 96 49 A1")
    );
    assert!(decoder.next_frame().is_none());
}

#[test]
fn junk_split_reads_and_corruption() {
    let good = Response {
        sw1: 0,
        sw2: 0,
        status: Status::Success,
        data: vec![1, 2, 3],
    }
    .encode();
    let mut stream = vec![0x00, 0xAA, 0x13, 0xAA, 0xAA];
    stream.extend_from_slice(&good);
    let mut corrupt = good.clone();
    corrupt[11] ^= 0xFF;
    stream.extend_from_slice(&corrupt);
    stream.extend_from_slice(&good);
    let mut decoder = FrameDecoder::new();
    let mut results = Vec::new();
    for byte in stream {
        decoder.push(&[byte]);
        while let Some(result) = decoder.next_frame() {
            results.push(result);
        }
    }
    assert_eq!(results.len(), 3, "{results:?}");
    assert_eq!(results[0].as_ref().unwrap().data, vec![1, 2, 3]);
    assert_eq!(results[1], Err(FrameError::BadChecksum));
    assert_eq!(results[2].as_ref().unwrap().data, vec![1, 2, 3]);
    assert!(decoder.skipped >= 5);

    let mut decoder = FrameDecoder::new();
    decoder.push(&hex("AA AA AA 96 69 00 02 00 00"));
    assert_eq!(
        decoder.next_frame(),
        Some(Err(FrameError::BadLength { len: 2 }))
    );
    let mut decoder = FrameDecoder::new();
    decoder.push(&encode_frame(&[0x01, 0x00, 0x90], &[]));
    assert_eq!(
        decoder.next_frame(),
        Some(Err(FrameError::UnexpectedStatus { sw1: 1, sw2: 0 }))
    );
}

#[test]
fn requests_decode_on_the_reader_side() {
    let mut decoder = FrameDecoder::new();
    decoder.push(&[0x13, 0x37]);
    decoder.push(&Command::FindCard.encode());
    decoder.push(&encode_frame(&[0x61, 0xFF], &[0x50]));
    assert_eq!(decoder.next_request(), Some(Ok((0x20, 0x01, vec![]))));
    assert_eq!(decoder.next_request(), Some(Ok((0x61, 0xFF, vec![0x50]))));
    assert_eq!(decoder.next_request(), None);
    // A request is not a response.
    decoder.push(&Command::FindCard.encode());
    assert_eq!(
        decoder.next_frame(),
        Some(Err(FrameError::BadLength { len: 3 }))
    );
}

#[test]
fn every_status_code_round_trips() {
    let codes = [
        0x90, 0x91, 0x9F, 0x10, 0x11, 0x21, 0x23, 0x24, 0x31, 0x32, 0x33, 0x37, 0x3F, 0x40, 0x41,
        0x47, 0x60, 0x66, 0x80, 0x81,
    ];
    for code in codes {
        let status = Status::from_byte(code);
        assert!(!matches!(status, Status::Other(_)), "{code:02X}");
        assert_eq!(status.byte(), code);
        assert!(!status.message().is_empty());
    }
    assert_eq!(Status::from_byte(0x55), Status::Other(0x55));
}

fn date(y: i32, m: u32, d: u32) -> Date {
    Date::from_ymd_opt(y, m, d).unwrap()
}

fn resident() -> IdCard {
    IdCard {
        card_type: CardType::Resident,
        name: PersonName::new("阿依古丽·买买提"),
        name_en: None,
        sex: Sex::Female,
        ethnicity: Some(Ethnicity::from_code(5)),
        birth_date: date(1998, 9, 20),
        address: Some("湖北省武汉市江岸区沿江大道3号".into()),
        extra_addresses: Vec::new(),
        number: "42010219980920046X".into(),
        authority: "武汉市公安局江岸分局".into(),
        valid_from: date(2018, 1, 1),
        valid_to: Validity::LongTerm,
        permit_number: None,
        issue_count: None,
        nationality: None,
        photo: CardPhoto::Undecoded(vec![0x57, 0x4C, 0x66, 0x00]),
    }
}

#[test]
fn text_round_trips_for_every_card_type() {
    let hmt = IdCard {
        card_type: CardType::HmtPermit,
        number: "810000199408230021".into(),
        ethnicity: None,
        permit_number: Some("H12345678".into()),
        issue_count: Some("01".into()),
        valid_to: Validity::Until(date(2029, 8, 22)),
        ..resident()
    };
    let foreign_2017 = IdCard {
        card_type: CardType::ForeignPermanent2017,
        name: PersonName::new("约翰"),
        name_en: Some("SMITH, JOHN".into()),
        sex: Sex::Male,
        ethnicity: None,
        address: None,
        extra_addresses: Vec::new(),
        number: "USA110090030701".into(),
        authority: "1500".into(),
        nationality: Some("USA".into()),
        ..resident()
    };
    let foreign_2023 = IdCard {
        card_type: CardType::ForeignPermanent2023,
        name: PersonName::new("玛丽"),
        name_en: Some("MARIA ALEXANDRA KONSTANTINOPOULOU-PAPADOPOULOS".into()),
        ethnicity: None,
        address: None,
        extra_addresses: Vec::new(),
        number: "911840199809200047".into(),
        authority: String::new(),
        issue_count: Some("00".into()),
        nationality: Some("GRC".into()),
        ..resident()
    };
    for card in [resident(), hmt, foreign_2017, foreign_2023] {
        let text = encode_text(&card);
        let decoded = decode_text(&text, card.photo.clone()).unwrap();
        assert_eq!(decoded, card, "{:?}", card.card_type);
    }
}

#[test]
fn read_payload_uses_its_length_fields() {
    let text = encode_text(&resident());
    let photo = vec![7u8; PHOTO_LEN];
    let data = encode_read_payload(&text, &photo, None);
    assert_eq!(data.len(), 4 + 256 + 1024);
    // A full 30 01 answer is the 1295-byte frame of the research note.
    let frame = Response {
        sw1: 0,
        sw2: 0,
        status: Status::Success,
        data: data.clone(),
    }
    .encode();
    assert_eq!(frame.len(), 1295);
    assert_eq!(
        &frame[..14],
        &hex("AA AA AA 96 69 05 08 00 00 90 01 00 04 00")[..]
    );
    let payload = parse_read_payload(&data, false).unwrap();
    assert_eq!(payload.text, text);
    assert_eq!(payload.photo, photo);
    assert_eq!(payload.fingerprint, None);

    let with_fingerprint = encode_read_payload(&text, &photo, Some(&[9u8; 1024]));
    assert_eq!(
        parse_read_payload(&with_fingerprint, true)
            .unwrap()
            .fingerprint
            .map(|f| f.len()),
        Some(1024)
    );
    let no_fingerprint = encode_read_payload(&text, &photo, Some(&[]));
    assert_eq!(
        parse_read_payload(&no_fingerprint, true)
            .unwrap()
            .fingerprint,
        None
    );

    assert!(parse_read_payload(&data[..3], false).is_err());
    assert!(parse_read_payload(&data[..data.len() - 1], false).is_err());
    let mut short_text = data.clone();
    short_text[1] = 0xFE;
    assert!(parse_read_payload(&short_text, false).is_err());
}

#[test]
fn malformed_text_fields_are_errors() {
    let mut text = encode_text(&resident());
    text[36..38].copy_from_slice(&u16::from(b'x').to_le_bytes());
    assert_eq!(
        decode_text(&text, CardPhoto::Missing),
        Err(FrameError::Text {
            field: "birth_date"
        })
    );
    let mut text = encode_text(&resident());
    text[0..2].copy_from_slice(&0xD800u16.to_le_bytes()); // lone surrogate
    assert_eq!(
        decode_text(&text, CardPhoto::Missing),
        Err(FrameError::Text { field: "name" })
    );
    let mut text = encode_text(&resident());
    text[30..32].copy_from_slice(&u16::from(b'5').to_le_bytes());
    assert_eq!(
        decode_text(&text, CardPhoto::Missing),
        Err(FrameError::Text { field: "sex" })
    );
}

#[test]
fn partial_frames_are_reported() {
    let frame = Command::SamStatus.encode();
    let mut decoder = FrameDecoder::new();
    assert_eq!(decoder.partial_frame(), None);
    decoder.push(&[0x12, 0x34]);
    assert_eq!(decoder.partial_frame(), None, "junk is not a frame");
    decoder.push(&frame[..6]);
    assert_eq!(decoder.partial_frame(), Some((6, 7)));
    decoder.push(&frame[6..9]);
    assert_eq!(decoder.partial_frame(), Some((9, 10)));
    decoder.push(&frame[9..]);
    assert_eq!(decoder.partial_frame(), None);
}

#[test]
fn extra_addresses_and_sam_id() {
    let addresses = vec![
        "湖北省武汉市武昌区中北路100号".to_owned(),
        "湖北省武汉市江汉区解放大道200号".to_owned(),
    ];
    let data = encode_extra_addresses(&addresses);
    assert_eq!(data.len(), 2 * EXTRA_ADDRESS_LEN);
    assert_eq!(parse_extra_addresses(&data).unwrap(), addresses);
    assert!(parse_extra_addresses(&data[..69]).is_err());
    assert!(parse_extra_addresses(&[]).is_err());
    // An unpaired surrogate is malformed text, not a panic.
    let mut bad = data.clone();
    bad[0..2].copy_from_slice(&0xD800u16.to_le_bytes());
    bad[2..4].copy_from_slice(&0x0041u16.to_le_bytes());
    assert!(parse_extra_addresses(&bad).is_err());

    // The research note's example frame (without its stray trailing byte).
    let frame =
        hex("AA AA AA 96 69 00 14 00 00 90 05 00 01 00 A5 3A 34 01 15 CD 5B 07 D2 02 96 49 A1");
    let mut decoder = FrameDecoder::new();
    decoder.push(&frame);
    let response = decoder.next_frame().unwrap().unwrap();
    let id = parse_sam_id(&response.data).unwrap();
    assert_eq!(id, "05.01-20200101-0123456789-1234567890");
    assert_eq!(encode_sam_id(&id).unwrap().to_vec(), response.data);
    assert!(parse_sam_id(&response.data[..15]).is_err());
    assert_eq!(encode_sam_id("05.01-x-1-2"), None);
}

#[test]
fn debug_never_shows_card_data() {
    let data = encode_read_payload(&encode_text(&resident()), &[1; 8], None);
    let response = Response {
        sw1: 0,
        sw2: 0,
        status: Status::Success,
        data: data.clone(),
    };
    assert_eq!(
        format!("{response:?}"),
        format!("Response(00 00 Success, {} data bytes)", data.len())
    );
    let payload = parse_read_payload(&data, false).unwrap();
    assert!(!format!("{payload:?}").contains("4201"));
}

proptest! {
    #[test]
    fn decoder_never_panics_and_always_drains(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..32)) {
        let mut decoder = FrameDecoder::new();
        for chunk in &chunks {
            decoder.push(chunk);
            let mut guard = 0;
            while decoder.next_frame().is_some() {
                guard += 1;
                prop_assert!(guard < 10_000);
            }
        }
    }

    #[test]
    fn frames_survive_any_split(data in prop::collection::vec(any::<u8>(), 0..300), split in 0usize..320, junk in prop::collection::vec(0u8..0xAA, 0..16)) {
        let response = Response { sw1: 0, sw2: 0, status: Status::Success, data };
        let mut stream = junk;
        stream.extend(response.encode());
        let split = split.min(stream.len());
        let mut decoder = FrameDecoder::new();
        decoder.push(&stream[..split]);
        let mut decoded = Vec::new();
        while let Some(frame) = decoder.next_frame() { decoded.push(frame); }
        decoder.push(&stream[split..]);
        while let Some(frame) = decoder.next_frame() { decoded.push(frame); }
        prop_assert_eq!(decoded, vec![Ok(response)]);
    }

    #[test]
    fn text_decoding_never_panics(bytes in prop::collection::vec(any::<u8>(), TEXT_LEN)) {
        let mut text = [0u8; TEXT_LEN];
        text.copy_from_slice(&bytes);
        let _ = decode_text(&text, CardPhoto::Missing);
    }
}

/// Fuzzing found these (drivers/fuzz/regressions/text_decoder/): the 2023 card's English name
/// spans two fields and must join exactly; dates are eight digits, never a signed year.
#[test]
fn english_names_split_across_fields_round_trip() {
    for name_en in [
        // 35 characters then a space exactly at the split.
        "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHI JOHN",
        // A non-BMP character straddling the split (two UTF-16 units).
        "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGH\u{1D400}XYZ",
        "SHORT NAME",
    ] {
        let card = IdCard {
            card_type: CardType::ForeignPermanent2023,
            name: PersonName::new("玛丽"),
            name_en: Some(name_en.into()),
            ethnicity: None,
            address: None,
            number: "911840199809200047".into(),
            authority: String::new(),
            issue_count: Some("00".into()),
            nationality: Some("GRC".into()),
            ..resident()
        };
        let decoded = decode_text(&encode_text(&card), card.photo.clone()).unwrap();
        assert_eq!(decoded.name_en.as_deref(), Some(name_en));
    }
}

#[test]
fn signed_or_short_years_are_not_dates() {
    let mut text = encode_text(&resident());
    // birth date field at 36..52: "-0010307" is what chrono would read as year -1.
    for (i, c) in "-0010307".encode_utf16().enumerate() {
        text[36 + i * 2..38 + i * 2].copy_from_slice(&c.to_le_bytes());
    }
    assert_eq!(
        decode_text(&text, CardPhoto::Missing),
        Err(FrameError::Text {
            field: "birth_date"
        })
    );
}

proptest! {
    #[test]
    fn any_english_name_that_fits_round_trips(
        name in "[A-Z ,\\-\u{00C0}-\u{00FF}\u{1D400}-\u{1D40F}]{0,40}"
    ) {
        let trimmed = name.trim_end_matches([' ', '\0']).trim_start().to_owned();
        prop_assume!(trimmed.encode_utf16().count() <= 46);
        let card = IdCard {
            card_type: CardType::ForeignPermanent2023,
            name: PersonName::new("玛丽"),
            name_en: (!trimmed.is_empty()).then(|| trimmed.clone()),
            ethnicity: None,
            address: None,
            number: "911840199809200047".into(),
            authority: String::new(),
            issue_count: Some("00".into()),
            nationality: Some("GRC".into()),
            ..resident()
        };
        let decoded = decode_text(&encode_text(&card), card.photo.clone()).unwrap();
        prop_assert_eq!(decoded.name_en, card.name_en);
    }
}
