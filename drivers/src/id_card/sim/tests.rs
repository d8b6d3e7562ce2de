use std::path::Path;
use std::time::Duration;

use zk_domain::IdNumber;

use super::*;
use crate::error::DeviceErrorKind;
use crate::testing::{png, shipped, temp_dir, write};

const TIMEOUT: Duration = Duration::from_millis(2500);

fn card_json(photo: &str) -> String {
    format!(
        r#"{{"card": {{"card_type": "resident", "name": "李明", "sex": "1", "ethnicity": "01",
            "birth_date": "19900307", "address": "湖北省武汉市洪山区珞喻路1号", "number": "110101199003070011",
            "authority": "武汉市公安局洪山分局", "valid_from": "20150101", "valid_to": "20350101", "photo": {photo}}}}}"#
    )
}

fn date(y: i32, m: u32, d: u32) -> Date {
    Date::from_ymd_opt(y, m, d).expect("a real date")
}

#[test]
fn a_good_script_replays_in_order_then_reports_no_card() {
    let dir = temp_dir();
    let photo = png(dir.path(), "face.png", [10, 20, 30]);
    let script = format!(
        "[\n{},\n{{\"none\": true}},\n{{\"fault\": \"busy\"}},\n{}\n]",
        card_json("\"face.png\""),
        card_json("null").replace("\"20350101\"", "\"长期\"")
    );
    let path = write(dir.path(), "cards.json", script);
    let mut reader = SimIdCardReader::from_file(&path).expect("the script loads");
    assert_eq!(reader.remaining(), 4);

    let card = reader.read(TIMEOUT).expect("no error").expect("a card");
    assert_eq!(card.card_type, CardType::Resident);
    assert_eq!(card.name.expose(), "李明");
    assert_eq!(card.sex, Sex::Male);
    assert_eq!(card.ethnicity.map(Ethnicity::code), Some(1));
    assert_eq!(card.birth_date, date(1990, 3, 7));
    assert_eq!(card.address.as_deref(), Some("湖北省武汉市洪山区珞喻路1号"));
    assert_eq!(card.number, "110101199003070011");
    assert_eq!(card.authority, "武汉市公安局洪山分局");
    assert_eq!(card.valid_from, date(2015, 1, 1));
    assert_eq!(card.valid_to, Validity::Until(date(2035, 1, 1)));
    assert_eq!(
        card.photo,
        CardPhoto::Decoded(std::fs::read(&photo).expect("photo bytes"))
    );
    assert_eq!(card.name_en, None);

    assert_eq!(
        reader.read(TIMEOUT).expect("no error"),
        None,
        "{{\"none\": true}} is no card"
    );
    let error = reader.read(TIMEOUT).expect_err("the busy fault");
    assert_eq!(error.kind(), DeviceErrorKind::Busy);

    let long_term = reader.read(TIMEOUT).expect("no error").expect("a card");
    assert_eq!(long_term.valid_to, Validity::LongTerm);
    assert_eq!(
        long_term.photo,
        CardPhoto::Missing,
        "\"photo\": null is a card without a photo"
    );

    for _ in 0..3 {
        assert_eq!(
            reader
                .read(TIMEOUT)
                .expect("an exhausted script never fails"),
            None
        );
    }
    assert_eq!(reader.remaining(), 0);
}

#[test]
fn optional_fields_and_other_card_types() {
    let script = r#"[{"card": {"card_type": "foreign_2017", "name": "ZHANG, WEI", "name_en": "ZHANG WEI",
        "sex": "9", "birth_date": "19880101", "number": "USA880101001", "authority": "国家移民管理局",
        "valid_from": "20200101", "valid_to": "20300101", "nationality": "USA"}},
        {"card": {"card_type": "hmt_permit", "name": "陈大文", "sex": "1", "birth_date": "19900101",
        "number": "810000199001010013", "authority": "深圳市公安局", "valid_from": "20200101",
        "valid_to": "20250101", "permit_number": "H01234567", "issue_count": "01"}},
        {"card": {"card_type": "foreign_2023", "name": "史密斯", "sex": "2", "birth_date": "19900101",
        "number": "911101199001010023", "authority": "国家移民管理局", "valid_from": "20230101", "valid_to": "20330101"}}]"#;
    let mut reader = SimIdCardReader::from_json(script, Path::new(".")).expect("the script loads");
    let foreign = reader.read(TIMEOUT).expect("no error").expect("a card");
    assert_eq!(foreign.card_type, CardType::ForeignPermanent2017);
    assert_eq!(foreign.sex, Sex::Unspecified);
    assert_eq!(foreign.ethnicity, None);
    assert_eq!(foreign.name_en.as_deref(), Some("ZHANG WEI"));
    assert_eq!(foreign.nationality.as_deref(), Some("USA"));
    assert_eq!(
        foreign.photo,
        CardPhoto::Missing,
        "an absent photo is a card without a photo"
    );
    let permit = reader.read(TIMEOUT).expect("no error").expect("a card");
    assert_eq!(permit.card_type, CardType::HmtPermit);
    assert_eq!(permit.permit_number.as_deref(), Some("H01234567"));
    assert_eq!(permit.issue_count.as_deref(), Some("01"));
    let foreign_2023 = reader.read(TIMEOUT).expect("no error").expect("a card");
    assert_eq!(foreign_2023.card_type, CardType::ForeignPermanent2023);
}

/// Each malformed script fails at construction with a `SimScript` error naming the file, the line
/// and what is wrong.
#[test]
fn malformed_scripts_fail_with_file_line_and_reason() {
    let good = card_json("null");
    let cases: Vec<(String, usize, &str)> = vec![
        (
            "[\n{\"none\": true},\n{\"card\": {\n".to_owned(),
            4,
            "EOF while parsing",
        ),
        (
            "[\n{\"none\": true}\n{\"none\": true}\n]".to_owned(),
            3,
            "expected `,` or `]`",
        ),
        (
            "{\"none\": true}".to_owned(),
            1,
            "invalid type: map, expected a sequence",
        ),
        (
            "[\n{\"cards\": {}}\n]".to_owned(),
            2,
            "unknown variant `cards`, expected one of `card`, `none`, `fault`",
        ),
        (
            "[\n\n{\"fault\": \"explode\"}\n]".to_owned(),
            3,
            "unknown variant `explode`",
        ),
        (
            "[\n{\"none\": false}\n]".to_owned(),
            2,
            "\"none\" must be true",
        ),
        (
            format!("[\n{}\n]", good.replace("19900307", "19901307")),
            4,
            "\"birth_date\" \"19901307\" is not a date",
        ),
        (
            format!("[\n{}\n]", good.replace("\"19900307\"", "\"1990-03-07\"")),
            4,
            "\"birth_date\" \"1990-03-07\"",
        ),
        (
            format!("[\n{}\n]", good.replace("\"20350101\"", "\"forever\"")),
            4,
            "\"valid_to\" \"forever\" is not a date written YYYYMMDD or 长期",
        ),
        (
            format!("[\n{}\n]", good.replace("\"20150101\"", "\"201501\"")),
            4,
            "\"valid_from\" \"201501\"",
        ),
        (
            format!("[\n{}\n]", good.replace("\"sex\": \"1\"", "\"sex\": \"M\"")),
            4,
            "\"sex\" \"M\" is not a GB/T 2261.1 code",
        ),
        (
            format!("[\n{}\n]", good.replace("\"01\"", "\"x9\"")),
            4,
            "\"ethnicity\" \"x9\"",
        ),
        (
            format!(
                "[\n{}\n]",
                good.replace("\"name\": \"李明\"", "\"name\": \"  \"")
            ),
            4,
            "\"name\" is empty",
        ),
        (
            format!("[\n{}\n]", good.replace("\"resident\"", "\"passport\"")),
            2,
            "unknown variant `passport`",
        ),
        (
            format!("[\n{}\n]", good.replace("\"name\"", "\"nmae\"")),
            2,
            "unknown field `nmae`",
        ),
        (
            format!(
                "[\n{}\n]",
                good.replace("\"number\": \"110101199003070011\",", "")
            ),
            4,
            "missing field `number`",
        ),
        (
            format!("[\n{}\n]", good.replace("\"sex\": \"1\"", "\"sex\": 1")),
            2,
            "invalid type: integer `1`, expected a string",
        ),
    ];
    let dir = temp_dir();
    for (index, (script, line, reason)) in cases.into_iter().enumerate() {
        let path = write(dir.path(), &format!("case{index}.json"), &script);
        let error = SimIdCardReader::from_file(&path).expect_err(&script);
        assert_eq!(error.kind(), DeviceErrorKind::CorruptData, "{error}");
        let DeviceError::SimScript {
            path: named,
            line: at_line,
            detail,
            ..
        } = &error
        else {
            panic!("case {index}: expected a script error, got {error:?}");
        };
        assert_eq!(named, &path, "case {index}");
        assert_eq!(*at_line, line, "case {index}: {error}");
        assert!(
            detail.contains(reason),
            "case {index}: {detail:?} should contain {reason:?}"
        );
        assert!(
            !detail.contains(" at line "),
            "case {index}: the position is not repeated: {detail:?}"
        );
        let message = error.to_string();
        assert!(message.contains(&format!("case{index}.json")), "{message}");
        assert!(message.contains(&format!("line {line}")), "{message}");
    }
}

#[test]
fn every_fault_maps_to_its_kind() {
    let cases = [
        ("timeout", DeviceErrorKind::Timeout),
        ("unplug", DeviceErrorKind::Disconnected),
        ("corrupt", DeviceErrorKind::CorruptData),
        ("busy", DeviceErrorKind::Busy),
        ("removed", DeviceErrorKind::MediaRemoved),
        ("no_card", DeviceErrorKind::NoMedia),
        ("permission_denied", DeviceErrorKind::PermissionDenied),
        ("unsupported", DeviceErrorKind::Unsupported),
    ];
    let script = format!(
        "[{}]",
        cases
            .iter()
            .map(|(name, _)| format!("{{\"fault\": \"{name}\"}}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let mut reader = SimIdCardReader::from_json(&script, Path::new(".")).expect("the script loads");
    for (name, kind) in cases {
        let error = reader.read(TIMEOUT).expect_err(name);
        assert_eq!(error.kind(), kind, "fault {name}: {error}");
        assert_eq!(error.device(), Device::IdCardReader, "fault {name}");
    }
    assert_eq!(reader.read(TIMEOUT).expect("exhausted"), None);
}

#[test]
fn removed_is_distinct_from_corrupt_and_timeout_waits_the_timeout() {
    let mut reader = SimIdCardReader::from_events(vec![
        SimFault::Removed.into(),
        SimFault::Timeout.into(),
        SimFault::NoCard.into(),
    ]);
    let removed = reader.read(TIMEOUT).expect_err("removed");
    assert!(removed.is_card_removed());
    assert!(matches!(removed, DeviceError::CardRemoved));
    let timeout = reader.read(TIMEOUT).expect_err("timeout");
    assert!(
        matches!(
            timeout,
            DeviceError::Timeout {
                device: Device::IdCardReader,
                waited_ms: 2500
            }
        ),
        "{timeout:?}"
    );
    assert!(matches!(reader.read(TIMEOUT), Err(DeviceError::NoCard)));
}

#[test]
fn push_queues_events_and_clones_share_the_queue() {
    let mut reader = SimIdCardReader::from_events(Vec::new());
    assert_eq!(reader.read(TIMEOUT).expect("empty"), None);

    let card = SimIdCardReader::from_json(&format!("[{}]", card_json("null")), Path::new("."))
        .expect("the script loads")
        .read(TIMEOUT)
        .expect("no error")
        .expect("a card");
    // The app keeps a clone and boxes the reader; pushing through the clone reaches the boxed one.
    let handle = reader.clone();
    let mut boxed: Box<dyn IdCardReader> = Box::new(reader.clone());
    handle.push(card.clone());
    handle.push(SimFault::Unplug);
    handle.push(SimCardEvent::NoCard);
    assert_eq!(reader.remaining(), 3);
    assert_eq!(boxed.read(TIMEOUT).expect("no error"), Some(card));
    assert_eq!(
        boxed.read(TIMEOUT).map_err(|error| error.kind()),
        Err(DeviceErrorKind::Disconnected)
    );
    assert_eq!(reader.read(TIMEOUT).expect("no error"), None);
    assert_eq!(handle.remaining(), 0);
}

#[test]
fn a_missing_photo_fails_at_load_naming_the_file() {
    let dir = temp_dir();
    let path = write(
        dir.path(),
        "cards.json",
        format!("[{}]", card_json("\"photos/nobody.jpg\"")),
    );
    let error = SimIdCardReader::from_file(&path).expect_err("the photo is missing");
    let message = error.to_string();
    assert!(message.contains("card photo"), "{message}");
    assert!(
        message.contains(&dir.path().join("photos/nobody.jpg").display().to_string()),
        "{message}"
    );
    assert_eq!(error.kind(), DeviceErrorKind::Disconnected, "{message}");
}

#[test]
fn a_photo_that_is_not_an_image_fails_as_corrupt_data() {
    let dir = temp_dir();
    write(dir.path(), "face.jpg", "this is not a JPEG");
    let path = write(
        dir.path(),
        "cards.json",
        format!("[{}]", card_json("\"face.jpg\"")),
    );
    let error = SimIdCardReader::from_file(&path).expect_err("not an image");
    assert_eq!(error.kind(), DeviceErrorKind::CorruptData, "{error}");
    let message = error.to_string();
    assert!(
        message.contains("face.jpg") && message.contains("not a JPEG, PNG or BMP image"),
        "{message}"
    );
}

#[test]
fn a_missing_script_fails_naming_it() {
    let dir = temp_dir();
    let missing = dir.path().join("nope.json");
    let error = SimIdCardReader::from_file(&missing).expect_err("missing");
    assert!(error.to_string().contains("card script"), "{error}");
    assert!(
        error.to_string().contains(&missing.display().to_string()),
        "{error}"
    );
}

#[test]
fn the_demo_id_numbers_are_valid() {
    for (number, birth, sex) in [
        ("110101199003070011", date(1990, 3, 7), Sex::Male),
        ("420111199506150246", date(1995, 6, 15), Sex::Female),
        ("42010219980920046X", date(1998, 9, 20), Sex::Female),
    ] {
        let parsed = IdNumber::parse(number).unwrap_or_else(|error| panic!("{number}: {error}"));
        assert_eq!(parsed.birth_date(), birth, "{number}");
        assert_eq!(parsed.sex(), sex, "{number}");
    }
}

/// The shipped `assets/sim/cards.json`: the demo's three candidates, valid on 2026-10-24, with
/// their photos.
#[test]
fn the_shipped_demo_cards_load_and_pass_the_card_checks() {
    let script = shipped("sim/cards.json");
    let mut reader = SimIdCardReader::from_file(&script).expect("the shipped script loads");
    let expected = [
        (
            "李明",
            "110101199003070011",
            Sex::Male,
            1,
            "demo/candidate-a-id.jpg",
        ),
        (
            "王芳",
            "420111199506150246",
            Sex::Female,
            1,
            "demo/candidate-b-id.jpg",
        ),
        (
            "阿依古丽·买买提",
            "42010219980920046X",
            Sex::Female,
            5,
            "demo/candidate-c-id.png",
        ),
    ];
    let exam_day = date(2026, 10, 24);
    for (name, number, sex, ethnicity, photo) in expected {
        let card = reader.read(TIMEOUT).expect("no error").expect("a card");
        assert_eq!(card.name.expose(), name);
        assert_eq!(card.number, number);
        assert_eq!(card.sex, sex);
        assert_eq!(card.ethnicity.map(Ethnicity::code), Some(ethnicity));
        card.check(exam_day)
            .unwrap_or_else(|problem| panic!("{name}: {problem}"));
        let bytes = card.photo.decoded_bytes().expect("a decoded photo");
        assert_eq!(
            bytes,
            std::fs::read(shipped(photo))
                .expect("read the photo")
                .as_slice(),
            "{photo}"
        );
        let image =
            image::load_from_memory(bytes).unwrap_or_else(|error| panic!("{photo}: {error}"));
        assert!(image.width() >= 100 && image.height() >= 100, "{photo}");
    }
    assert_eq!(reader.read(TIMEOUT).expect("exhausted"), None);
}

#[test]
fn the_shipped_demo_cards_have_the_expected_validity() {
    let mut reader = SimIdCardReader::from_file(&shipped("sim/cards.json")).expect("loads");
    let mut validity = Vec::new();
    while let Some(card) = reader.read(TIMEOUT).expect("no error") {
        validity.push((card.valid_from, card.valid_to));
    }
    assert_eq!(
        validity,
        [
            (date(2015, 1, 1), Validity::Until(date(2035, 1, 1))),
            (date(2016, 1, 1), Validity::Until(date(2036, 1, 1))),
            (date(2018, 1, 1), Validity::LongTerm),
        ]
    );
}
