use super::*;
use proptest::prelude::*;

fn check(input: &str, expected: Result<&str, IdNumberError>) {
    let actual = IdNumber::parse(input).map(|number| number.expose().to_owned());
    assert_eq!(actual, expected.map(str::to_owned), "input {input:?}");
}

#[test]
fn research_vectors() {
    check("11010519491231002X", Ok("11010519491231002X"));
    check("11010519491231002x", Ok("11010519491231002X"));
    check(" 150102197407011020 ", Ok("150102197407011020"));
    check("440308199901101512", Ok("440308199901101512"));
    check("810000199408230021", Ok("810000199408230021"));
    check("830000199201300022", Ok("830000199201300022"));
    check("110101199003070011", Ok("110101199003070011"));
    check(
        "110105194912310021",
        Err(IdNumberError::BadCheckDigit {
            expected: 'X',
            found: '1',
        }),
    );
}

#[test]
fn fifteen_digit_conversion() {
    check("610104620927690", Ok("610104196209276908"));
    assert_eq!(
        IdNumber::from_15("61010462092769"),
        Err(IdNumberError::WrongLength { len: 14 })
    );
}

#[test]
fn every_error_kind() {
    check("", Err(IdNumberError::Empty));
    check("   ", Err(IdNumberError::Empty));
    check(
        "1101051949123100",
        Err(IdNumberError::WrongLength { len: 16 }),
    );
    check(
        "11010519491231A02X",
        Err(IdNumberError::NotDigit { position: 15 }),
    );
    check(
        "11010519491231002Y",
        Err(IdNumberError::NotDigit { position: 18 }),
    );
    check(
        "１１0105194912310021",
        Err(IdNumberError::NotDigit { position: 1 }),
    );
    // 99 is not a province; 00 neither.
    check("990105194912310028", Err(IdNumberError::BadRegion));
    check("000105194912310028", Err(IdNumberError::BadRegion));
    // 810001 is not the permit prefix and 81 alone is not a resident region.
    check("810001199408230021", Err(IdNumberError::BadRegion));
    // 30 February.
    check("110105194902300021", Err(IdNumberError::BadBirthDate));
    check("110105000001010021", Err(IdNumberError::BadBirthDate));
}

#[test]
fn derived_fields() {
    let number = IdNumber::parse("11010519491231002X").unwrap();
    assert_eq!(
        number.birth_date(),
        Date::from_ymd_opt(1949, 12, 31).unwrap()
    );
    assert_eq!(number.sex(), Sex::Female);
    assert_eq!(number.region_code(), "110105");
    assert_eq!(number.kind(), IdNumberKind::Resident);
    let male = IdNumber::parse("440308199901101512").unwrap();
    assert_eq!(male.sex(), Sex::Male);
    assert_eq!(
        IdNumber::parse("810000199408230021").unwrap().kind(),
        IdNumberKind::HongKongPermit
    );
    assert_eq!(
        IdNumber::parse("830000199201300022").unwrap().kind(),
        IdNumberKind::TaiwanPermit
    );
}

#[test]
fn debug_and_display_redact() {
    let number = IdNumber::parse("11010519491231002X").unwrap();
    assert_eq!(number.to_string(), "110***********002X");
    assert_eq!(format!("{number:?}"), "IdNumber(110***********002X)");
    assert!(!format!("{number:?} {number}").contains("19491231"));
    assert_eq!(redact("abc"), "***");
}

fn with_check(first17: &str) -> String {
    let mut text = first17.to_owned();
    text.push(char::from(check_char(first17.as_bytes())));
    text
}

proptest! {
    #[test]
    fn generated_numbers_round_trip(
        province in prop::sample::select(&PROVINCE_CODES[..32]),
        rest in 0u32..10_000,
        days in 0i64..40_000,
        seq in 0u32..1000,
    ) {
        let birth = Date::from_ymd_opt(1920, 1, 1).unwrap() + chrono::Duration::days(days);
        let first17 = format!("{province:02}{rest:04}{}{seq:03}", birth.format("%Y%m%d"));
        let text = with_check(&first17);
        let number = IdNumber::parse(&text).unwrap();
        prop_assert_eq!(number.birth_date(), birth);
        prop_assert_eq!(number.expose(), text.as_str());
    }

    #[test]
    fn any_single_digit_change_is_caught(position in 0usize..17, delta in 1u8..10) {
        let text = "11010519491231002X";
        let mut bytes = text.as_bytes().to_vec();
        bytes[position] = b'0' + (bytes[position] - b'0' + delta) % 10;
        let changed = String::from_utf8(bytes).unwrap();
        prop_assert!(IdNumber::parse(&changed).is_err());
    }

    #[test]
    fn never_panics_on_any_input(input in "\\PC{0,24}") {
        let _ = IdNumber::parse(&input);
    }
}
