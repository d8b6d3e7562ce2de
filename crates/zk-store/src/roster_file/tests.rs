use super::*;

const HEADER: &str = "报名号,证件号码,姓名,性别,出生日期,考区代码,专业代码,专业名称,层次";

fn parse_csv_text(text: &str) -> Result<ParsedRoster, StoreError> {
    parse(text.as_bytes(), RosterFormat::Csv, ImportLimits::default())
}

/// Parses `HEADER` + one row and returns the row errors as `column: message` lines.
fn check(row: &str, expected: &[&str]) {
    let parsed = parse_csv_text(&format!("{HEADER}\n{row}\n")).unwrap();
    let lines: Vec<String> = parsed
        .errors
        .listed
        .iter()
        .map(|error| {
            assert_eq!(error.row, 2, "{error}");
            format!("{}: {}", error.column, error.message)
        })
        .collect();
    assert_eq!(lines.len(), expected.len(), "{row}\n{lines:#?}");
    for (line, expected) in lines.iter().zip(expected) {
        assert!(
            line.contains(expected),
            "{line:?} should contain {expected:?}"
        );
    }
    assert_eq!(parsed.rows.len(), usize::from(expected.is_empty()));
}

#[test]
fn row_checks() {
    check(
        "r1,110101199003070011,张三,男,19900307,4201,C050201,英语,本科",
        &[],
    );
    // Birth date may be empty (taken from the number), another format, or a 15-digit number.
    check("r1,110101199003070011,张三,男,,4201,C1,英语,本科", &[]);
    check(
        "r1,110101199003070011,张三,男,1990/3/7,4201,C1,英语,本科",
        &[],
    );
    check(
        "r1,110101900307001,张三,男,1990-03-07,4201,C1,英语,本科",
        &[],
    );
    check(
        "r1,110101199003070012,张三,男,19900307,4201,C1,英语,本科",
        &["证件号码: ID number 110***********0012: the check character"],
    );
    check(
        "r1,110101199003070011,张三,女,19900307,4201,C1,英语,本科",
        &["性别: the sex differs"],
    );
    check(
        "r1,110101199003070011,张三,男,19900308,4201,C1,英语,本科",
        &["出生日期: the birth date differs"],
    );
    check(
        "r1,110101199003070011,张三,男,1990-13-07,4201,C1,英语,本科",
        &["出生日期: the birth date is not a calendar date"],
    );
    check(
        "r1,110101199003070011,,x,19900307,42,C1,英语,研究生",
        &[
            "姓名: the name is empty",
            "性别: unknown sex \"x\"",
            "考区代码: the exam district code must be 4 digits",
            "层次: unknown level \"研究生\"",
        ],
    );
    check(
        ",110101199003070011,张三,男,19900307,4201,,英语,本科",
        &[
            "报名号: the registration id is empty",
            "专业代码: the major code is empty",
        ],
    );
    check(
        "r 1,110101199003070011,张三,,19900307,4201,C1,英语,",
        &[
            "报名号: the registration id must be at most 64 characters",
            "性别: the sex is empty",
            "层次: the level is empty",
        ],
    );
}

#[test]
fn id_numbers_are_redacted_in_errors() {
    let parsed = parse_csv_text(&format!(
        "{HEADER}\nr1,110101199003070012,张三,男,,4201,C1,英语,本科\nr2,110101199003070011,张三,男,,4201,C1,英语,本科\nr3,110101199003070011,李四,男,,4201,C1,英语,本科\n"
    ))
    .unwrap();
    let text = StoreError::RosterInvalid {
        total_errors: parsed.errors.total,
        errors: parsed.errors.listed,
    }
    .to_string();
    assert!(!text.contains("110101199003070012"), "{text}");
    assert!(!text.contains("110101199003070011"), "{text}");
    assert!(text.contains("row 4, column 证件号码: ID number 110***********0011 already appears in row 3 (registration r2)"), "{text}");
}

#[test]
fn optional_columns_and_english_header() {
    let parsed = parse_csv_text(
        "Registration ID,ID Type,ID Number,Name,Sex,Ethnicity,Birth Date,Phone,District Code,Major Code,Major Name,Level,Status\n\
         r1,resident,11010119900307002x,Li Ming,F,01,1990-03-07,138 0013 8000,4201,C1,English,bachelor,confirmed\n",
    )
    .unwrap();
    assert_eq!(parsed.errors.total, 0, "{:?}", parsed.errors.listed);
    let registration = &parsed.rows[0].registration;
    assert_eq!(registration.id_number, "11010119900307002X");
    assert_eq!(registration.phone.as_deref(), Some("13800138000"));
    assert_eq!(registration.status, RegistrationStatus::Confirmed);
    assert_eq!(registration.level, Level::Benke);
    assert_eq!(registration.ethnicity, Some(Ethnicity::from_code(1)));
}

#[test]
fn header_names() {
    for (written, field) in [
        ("报名号", Some(Field::RegistrationId)),
        ("\u{feff}报名号", Some(Field::RegistrationId)),
        (" Registration-ID ", Some(Field::RegistrationId)),
        ("出生日期(YYYYMMDD)", Some(Field::BirthDate)),
        ("*姓名", Some(Field::Name)),
        ("身份证号", Some(Field::IdNumber)),
        ("备注", None),
    ] {
        let normalized = normalize_header(written);
        let found = Field::ALL
            .into_iter()
            .find(|field| field.aliases().contains(&normalized.as_str()));
        assert_eq!(found, field, "{written:?} → {normalized:?}");
    }
}

#[test]
fn dates() {
    let date = Date::from_ymd_opt(1990, 3, 7);
    for text in [
        "19900307",
        "1990-03-07",
        "1990/03/07",
        "1990/3/7",
        "1990.3.7",
        " 1990-03-07T00:00:00 ",
        "1990/3/7 0:00",
    ] {
        assert_eq!(parse_date(text), date, "{text:?}");
    }
    for text in [
        "",
        "1990",
        "199003071",
        "90/3/7",
        "1990-02-30",
        "1990-3-7-1",
        "abcdefgh",
    ] {
        assert_eq!(parse_date(text), None, "{text:?}");
    }
}

#[test]
fn file_level_refusals() {
    assert!(matches!(parse_csv_text(""), Err(StoreError::RosterEmpty)));
    assert!(matches!(
        parse_csv_text("\n\n"),
        Err(StoreError::RosterEmpty)
    ));
    assert!(matches!(
        parse_csv_text(HEADER),
        Err(StoreError::RosterEmpty)
    ));
    assert!(matches!(
        parse_csv_text(&format!("{HEADER}\n,,,,\n")),
        Err(StoreError::RosterEmpty)
    ));
    match parse_csv_text("报名号,姓名\nr1,张三\n") {
        Err(StoreError::RosterMissingColumns(missing)) => {
            assert!(
                missing.iter().any(|m| m.starts_with("证件号码")),
                "{missing:?}"
            );
            assert!(missing.iter().any(|m| m.starts_with("层次")), "{missing:?}");
            assert!(
                !missing.iter().any(|m| m.starts_with("民族")),
                "{missing:?}"
            );
        }
        other => panic!("{:?}", other.map(|parsed| parsed.rows.len())),
    }
    match parse_csv_text(&format!("{HEADER},身份证号\n")) {
        Err(StoreError::RosterInvalid { errors, .. }) => {
            assert_eq!(errors[0].row, 1);
            assert_eq!(errors[0].column, "身份证号");
        }
        other => panic!("{:?}", other.map(|parsed| parsed.rows.len())),
    }
    assert!(matches!(
        parse(b"\xff\xfe\x00a", RosterFormat::Csv, ImportLimits::default()),
        Err(StoreError::RosterEncoding)
    ));
    assert!(matches!(
        parse(
            b"PK\x03\x04garbage",
            RosterFormat::Xlsx,
            ImportLimits::default()
        ),
        Err(StoreError::RosterUnreadable { .. })
    ));
    let small = ImportLimits {
        max_bytes: 10,
        max_rows: 1,
    };
    assert!(matches!(
        parse(HEADER.as_bytes(), RosterFormat::Csv, small),
        Err(StoreError::RosterTooLarge { limit: 10, .. })
    ));
}

#[test]
fn tab_separated_and_gb18030() {
    let text = format!(
        "{}\nr1\t110101199003070011\t张三\t男\t\t4201\tC1\t英语\t本科\n",
        HEADER.replace(',', "\t")
    );
    let (encoded, _, unmappable) = encoding_rs::GB18030.encode(&text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&encoded).is_err());
    let parsed = parse(&encoded, RosterFormat::Csv, ImportLimits::default()).unwrap();
    assert_eq!(parsed.errors.total, 0, "{:?}", parsed.errors.listed);
    assert_eq!(parsed.rows[0].registration.name.expose(), "张三");
}

#[test]
fn format_detection() {
    use std::path::Path;
    assert_eq!(
        RosterFormat::detect(Path::new("a.CSV"), b"PK\x03\x04"),
        RosterFormat::Csv
    );
    assert_eq!(
        RosterFormat::detect(Path::new("a.xlsx"), b""),
        RosterFormat::Xlsx
    );
    assert_eq!(
        RosterFormat::detect(Path::new("a"), b"PK\x03\x04..."),
        RosterFormat::Xlsx
    );
    assert_eq!(
        RosterFormat::detect(Path::new("a.dat"), "报名号".as_bytes()),
        RosterFormat::Csv
    );
}
